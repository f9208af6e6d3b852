'use strict';
// Server-sent events from a fetch() body, with comments kept: OmniRoute appends its
// attribution as trailing comment lines (`: x-omniroute-k=v`) after the last event.

/**
 * @typedef {{ type: 'event', event: string, data: string } | { type: 'comment', text: string }} SseItem
 */

/**
 * Parse a byte stream into events and comments, as they arrive.
 * @param {AsyncIterable<Uint8Array>} body
 * @returns {AsyncGenerator<SseItem>}
 */
async function* parseSse(body) {
  const decoder = new TextDecoder();
  let buf = '';
  let event = '';
  /** @type {string[]} */
  let data = [];
  /** @param {string} line @returns {SseItem | null} */
  const onLine = (line) => {
    if (line === '') {
      if (!data.length) {
        event = '';
        return null;
      }
      /** @type {SseItem} */
      const item = { type: 'event', event: event || 'message', data: data.join('\n') };
      event = '';
      data = [];
      return item;
    }
    if (line.startsWith(':')) return { type: 'comment', text: line.slice(1).trim() };
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') data.push(value);
    else if (field === 'event') event = value;
    return null;
  };
  for await (const chunk of body) {
    buf += decoder.decode(chunk, { stream: true });
    let nl;
    while ((nl = buf.search(/\r\n|\r|\n/)) >= 0) {
      if (buf[nl] === '\r' && nl === buf.length - 1) break; // a CRLF split across chunks
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + (buf[nl] === '\r' && buf[nl + 1] === '\n' ? 2 : 1));
      const item = onLine(line);
      if (item) yield item;
    }
  }
  buf += decoder.decode();
  if (buf) {
    const item = onLine(buf);
    if (item) yield item;
  }
  const last = onLine('');
  if (last) yield last;
}

/**
 * An OmniRoute attribution comment `x-omniroute-k=v` (also `k: v` / `k v`) → [k, v] with the
 * prefix removed and the name lower-cased; null for other comments.
 * @param {string} text
 * @returns {[string, string] | null}
 */
function attributionComment(text) {
  const m = /^x-omniroute-([A-Za-z0-9_.-]+)\s*(?:=|:|\s)\s*(.*)$/i.exec(text.trim());
  if (!m) return null;
  return [m[1].toLowerCase(), m[2].trim()];
}

module.exports = { parseSse, attributionComment };
