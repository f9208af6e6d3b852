'use strict';
// VS Code chat messages → OpenAI request bodies (/chat/completions and /responses).
//
// Parts are recognised by shape, not by class, so parts made by another copy of the API
// (a proposed LanguageModelDataPart, a LanguageModelToolResultPart2, a test stand-in) work too:
//   text       {value: string}
//   tool call  {callId, name, input}
//   tool result{callId, content: part[]}
//   data       {mimeType, data: Uint8Array}   (images; text/json data is sent as text)

/** LanguageModelChatMessageRole values (3 = System, a proposed role some hosts send). */
const ROLE = Object.freeze({ User: 1, Assistant: 2, System: 3 });
/** LanguageModelChatToolMode.Required */
const TOOL_MODE_REQUIRED = 2;

/**
 * @typedef {{ kind: 'text', text: string }
 *   | { kind: 'image', mimeType: string, base64: string }
 *   | { kind: 'call', callId: string, name: string, input: unknown }
 *   | { kind: 'result', callId: string, text: string }} Part
 */

/** @param {any} p @returns {Part | null} */
function classify(p) {
  if (!p || typeof p !== 'object') return typeof p === 'string' ? { kind: 'text', text: p } : null;
  if (typeof p.callId === 'string' && typeof p.name === 'string' && 'input' in p) {
    return { kind: 'call', callId: p.callId, name: p.name, input: p.input };
  }
  if (typeof p.callId === 'string' && Array.isArray(p.content)) {
    return { kind: 'result', callId: p.callId, text: resultText(p.content) };
  }
  if (typeof p.value === 'string') return { kind: 'text', text: p.value };
  if (typeof p.mimeType === 'string' && p.data instanceof Uint8Array) {
    const mime = p.mimeType.toLowerCase();
    if (mime.startsWith('image/')) return { kind: 'image', mimeType: mime, base64: Buffer.from(p.data).toString('base64') };
    if (mime.startsWith('text/') || mime === 'application/json') {
      return { kind: 'text', text: Buffer.from(p.data).toString('utf8') };
    }
    return null; // e.g. cache-control markers: nothing to send
  }
  if (p.value !== undefined && p.value !== null) return { kind: 'text', text: JSON.stringify(p.value) };
  return null;
}

/** The text of a tool result's content parts. @param {any[]} content */
function resultText(content) {
  const out = [];
  for (const c of content) {
    const part = classify(c);
    if (part?.kind === 'text') out.push(part.text);
    else if (part?.kind === 'image') out.push(`[image ${part.mimeType}]`);
  }
  return out.join('');
}

/**
 * @param {readonly { role: number, content: readonly unknown[], name?: string }[]} messages
 * @returns {{ role: 'user' | 'assistant' | 'system', parts: Part[] }[]}
 */
function normalise(messages) {
  return messages.map((m) => ({
    role: m.role === ROLE.Assistant ? 'assistant' : m.role === ROLE.System ? 'system' : 'user',
    parts: (Array.isArray(m.content) ? m.content : []).map(classify).filter((p) => p !== null),
  }));
}

/** @param {unknown} input */
function argsJson(input) {
  if (typeof input === 'string') return input;
  return JSON.stringify(input ?? {});
}

/**
 * @typedef {{ name: string, description: string, inputSchema?: object | undefined }} ToolLike
 * @typedef {{ tools?: readonly ToolLike[], toolMode?: number, modelOptions?: { readonly [k: string]: any } }} RequestOptions
 */

/** Body fields a caller's modelOptions may not override. */
const RESERVED = new Set(['model', 'messages', 'input', 'stream', 'tools', 'tool_choice', 'stream_options']);

/** @param {RequestOptions} options */
function extraFields(options) {
  /** @type {Record<string, unknown>} */
  const out = {};
  for (const [k, v] of Object.entries(options.modelOptions ?? {})) if (!RESERVED.has(k)) out[k] = v;
  return out;
}

/**
 * The /chat/completions body.
 * @param {string} model
 * @param {readonly { role: number, content: readonly unknown[], name?: string }[]} messages
 * @param {RequestOptions} options
 */
function chatBody(model, messages, options) {
  /** @type {any[]} */
  const out = [];
  for (const m of normalise(messages)) {
    const calls = m.parts.filter((p) => p.kind === 'call');
    const results = m.parts.filter((p) => p.kind === 'result');
    const content = m.parts.filter((p) => p.kind === 'text' || p.kind === 'image');
    // Tool results answer the previous assistant turn: they come first, one `tool` message each.
    for (const r of results) {
      if (r.kind === 'result') out.push({ role: 'tool', tool_call_id: r.callId, content: r.text });
    }
    const hasImage = content.some((p) => p.kind === 'image');
    const text = content.map((p) => (p.kind === 'text' ? p.text : '')).join('');
    /** @type {any} */
    let body = text;
    if (hasImage && m.role === 'user') {
      body = content.map((p) =>
        p.kind === 'image'
          ? { type: 'image_url', image_url: { url: `data:${p.mimeType};base64,${p.base64}` } }
          : { type: 'text', text: p.kind === 'text' ? p.text : '' },
      );
    }
    if (m.role === 'assistant') {
      if (!text && !calls.length) continue;
      /** @type {any} */
      const msg = { role: 'assistant', content: text || null };
      if (calls.length) {
        msg.tool_calls = calls.map((c) =>
          c.kind === 'call' ? { id: c.callId, type: 'function', function: { name: c.name, arguments: argsJson(c.input) } } : null,
        );
      }
      out.push(msg);
    } else if (content.length) {
      out.push({ role: m.role, content: body });
    }
  }
  /** @type {Record<string, unknown>} */
  const req = { ...extraFields(options), model, messages: out, stream: true, stream_options: { include_usage: true } };
  if (options.tools?.length) {
    req.tools = options.tools.map((t) => ({
      type: 'function',
      function: { name: t.name, description: t.description, parameters: t.inputSchema ?? { type: 'object', properties: {} } },
    }));
    req.tool_choice = options.toolMode === TOOL_MODE_REQUIRED ? 'required' : 'auto';
  }
  return req;
}

/**
 * The /responses body (OpenAI Responses API).
 * @param {string} model
 * @param {readonly { role: number, content: readonly unknown[], name?: string }[]} messages
 * @param {RequestOptions} options
 */
function responsesBody(model, messages, options) {
  /** @type {any[]} */
  const input = [];
  const instructions = [];
  for (const m of normalise(messages)) {
    if (m.role === 'system') {
      instructions.push(m.parts.map((p) => (p.kind === 'text' ? p.text : '')).join(''));
      continue;
    }
    /** @type {any[]} */
    let content = [];
    const flush = () => {
      if (content.length) input.push({ role: m.role, content });
      content = [];
    };
    for (const p of m.parts) {
      if (p.kind === 'text') content.push({ type: m.role === 'assistant' ? 'output_text' : 'input_text', text: p.text });
      else if (p.kind === 'image' && m.role === 'user') {
        content.push({ type: 'input_image', image_url: `data:${p.mimeType};base64,${p.base64}` });
      } else if (p.kind === 'call') {
        flush();
        input.push({ type: 'function_call', call_id: p.callId, name: p.name, arguments: argsJson(p.input) });
      } else if (p.kind === 'result') {
        flush();
        input.push({ type: 'function_call_output', call_id: p.callId, output: p.text });
      }
    }
    flush();
  }
  /** @type {Record<string, unknown>} */
  const req = { ...extraFields(options), model, input, stream: true };
  if (instructions.length) req.instructions = instructions.join('\n\n');
  if (options.tools?.length) {
    req.tools = options.tools.map((t) => ({
      type: 'function',
      name: t.name,
      description: t.description,
      parameters: t.inputSchema ?? { type: 'object', properties: {} },
    }));
    req.tool_choice = options.toolMode === TOOL_MODE_REQUIRED ? 'required' : 'auto';
  }
  return req;
}

/**
 * A token estimate without a tokenizer: ~4 characters per token for ASCII text, one token per
 * non-ASCII character (CJK, emoji), a flat cost per image and per message.
 * @param {string | { role: number, content: readonly unknown[] }} input
 */
function estimateTokens(input) {
  /** @param {string} s */
  const textTokens = (s) => {
    let ascii = 0;
    let other = 0;
    for (const ch of s) {
      if (/** @type {number} */ (ch.codePointAt(0)) < 128) ascii++;
      else other++;
    }
    return Math.ceil(ascii / 4) + other;
  };
  if (typeof input === 'string') return textTokens(input);
  let n = 4; // role and framing
  for (const p of normalise([input])[0].parts) {
    if (p.kind === 'text') n += textTokens(p.text);
    else if (p.kind === 'image') n += 765; // a 1024×1024 image at high detail
    else if (p.kind === 'call') n += textTokens(p.name) + textTokens(argsJson(p.input)) + 3;
    else if (p.kind === 'result') n += textTokens(p.text) + 3;
  }
  return n;
}

module.exports = { chatBody, responsesBody, estimateTokens, classify, ROLE };
