'use strict';
// One chat request to the gateway, streamed: OpenAI SSE from /chat/completions (or the
// Responses API's events from /responses), reported as text and tool-call parts as they arrive.
// Returns the attribution the host saw (CONTRACTS.md usage.record) whether it succeeded or not.

const { parseSse, attributionComment } = require('./sse.js');
const { chatBody, responsesBody } = require('./messages.js');

/**
 * @typedef {object} Emit  how parts reach VS Code's progress
 * @property {(text: string) => void} text
 * @property {(callId: string, name: string, input: object) => void} toolCall
 */

/**
 * @typedef {object} Attribution  (the usage.record params minus host/session)
 * @property {string} model
 * @property {number} at
 * @property {number} status
 * @property {boolean} ok
 * @property {boolean} stream
 * @property {string} [error]
 * @property {number} [latencyMs]
 * @property {number} [ttftMs]
 * @property {Record<string, string>} omniroute
 * @property {Record<string, unknown>} [usage]
 * @property {string} [bodyModel]
 */

/** Thrown when the request was cancelled through the token. */
class ChatCancelled extends Error {
  constructor() {
    super('cancelled');
    this.name = 'ChatCancelled';
  }
}

/** Thrown with the gateway's own message. */
class GatewayError extends Error {
  /** @param {string} message @param {number} status */
  constructor(message, status) {
    super(message);
    this.name = 'GatewayError';
    this.status = status;
  }
}

/**
 * The message of an error body: OpenAI `{error:{message}}`, `{error:"…"}`, `{message}`, or text.
 * @param {string} text
 */
function errorMessage(text) {
  try {
    const j = JSON.parse(text);
    const m = j?.error?.message ?? (typeof j?.error === 'string' ? j.error : undefined) ?? j?.message ?? j?.detail;
    if (typeof m === 'string' && m) return m;
  } catch {
    /* not JSON */
  }
  return text.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 300);
}

/** Remove the key from any text we pass on. @param {string} s @param {string | undefined} key */
function redact(s, key) {
  return key && key.length >= 8 ? s.split(key).join('[redacted]') : s;
}

/**
 * @typedef {object} ChatRequest
 * @property {string} baseURL      the gateway's /v1 URL (from models.list)
 * @property {string | undefined} apiKey
 * @property {'chat' | 'responses'} apiMode
 * @property {string} model
 * @property {readonly { role: number, content: readonly unknown[], name?: string }[]} messages
 * @property {import('./messages.js').RequestOptions} options
 * @property {Emit} emit
 * @property {{ isCancellationRequested: boolean, onCancellationRequested: (fn: () => void) => { dispose(): void } }} token
 * @property {typeof fetch} [fetch]
 */

/**
 * Run one request. Resolves with the attribution; on failure rejects with an error carrying it
 * as `attribution` (ChatCancelled, GatewayError or a network error).
 * @param {ChatRequest} req
 * @returns {Promise<Attribution>}
 */
async function runChat(req) {
  const at = Date.now();
  /** @type {Attribution} */
  const attr = { model: req.model, at, status: 0, ok: false, stream: true, omniroute: {} };
  const controller = new AbortController();
  const sub = req.token.onCancellationRequested(() => controller.abort());
  try {
    if (req.token.isCancellationRequested) throw new ChatCancelled();
    await stream(req, attr, controller.signal);
    attr.ok = true;
    return attr;
  } catch (e) {
    const err = req.token.isCancellationRequested ? new ChatCancelled() : /** @type {Error} */ (e);
    if (!(err instanceof GatewayError) && !(err instanceof ChatCancelled)) {
      err.message = redact(`OmniRoute request failed: ${err.message}${causeOf(err)}`, req.apiKey);
    }
    attr.error = err instanceof ChatCancelled ? 'cancelled' : err.message.slice(0, 300);
    /** @type {any} */ (err).attribution = attr;
    throw err;
  } finally {
    attr.latencyMs = Date.now() - at;
    sub.dispose();
  }
}

/** fetch() hides the reason in `cause`. @param {any} e */
function causeOf(e) {
  const c = e?.cause;
  return c && typeof c.message === 'string' ? ` (${c.code ? c.code + ': ' : ''}${c.message})` : '';
}

/**
 * @param {ChatRequest} req @param {Attribution} attr @param {AbortSignal} signal
 */
async function stream(req, attr, signal) {
  const responses = req.apiMode === 'responses';
  const url = req.baseURL.replace(/\/+$/, '') + (responses ? '/responses' : '/chat/completions');
  const body = responses
    ? responsesBody(req.model, req.messages, req.options)
    : chatBody(req.model, req.messages, req.options);
  /** @type {Record<string, string>} */
  const headers = { 'content-type': 'application/json', accept: 'text/event-stream' };
  if (req.apiKey) headers.authorization = `Bearer ${req.apiKey}`;
  const doFetch = req.fetch ?? fetch;
  const res = await doFetch(url, { method: 'POST', headers, body: JSON.stringify(body), signal });
  attr.status = res.status;
  res.headers.forEach((value, name) => {
    const n = name.toLowerCase();
    if (n.startsWith('x-omniroute-')) attr.omniroute[n.slice('x-omniroute-'.length)] = value;
  });
  if (!res.ok) {
    const text = redact(await res.text(), req.apiKey);
    throw new GatewayError(`OmniRoute ${res.status}: ${errorMessage(text) || res.statusText}`, res.status);
  }
  const type = res.headers.get('content-type') ?? '';
  if (!type.includes('text/event-stream')) {
    // A gateway that answers a stream request with one JSON body.
    attr.stream = false;
    const json = await res.json();
    attr.ttftMs = Date.now() - attr.at;
    emitWhole(json, attr, req.emit, responses);
    return;
  }
  if (!res.body) throw new GatewayError('OmniRoute: empty response body', res.status);
  const handler = responses ? responsesHandler(attr, req.emit) : chatHandler(attr, req.emit);
  let first = true;
  for await (const item of parseSse(/** @type {AsyncIterable<Uint8Array>} */ (/** @type {unknown} */ (res.body)))) {
    if (first) {
      attr.ttftMs = Date.now() - attr.at;
      first = false;
    }
    if (item.type === 'comment') {
      const kv = attributionComment(item.text);
      if (kv) attr.omniroute[kv[0]] = kv[1]; // a trailer overrides the header
      continue;
    }
    if (item.data === '[DONE]') continue;
    /** @type {any} */
    let json;
    try {
      json = JSON.parse(item.data);
    } catch {
      continue; // keep-alives and junk between events
    }
    handler.onEvent(item.event, json);
  }
  handler.end();
}

/** @param {any} e */
function streamError(e) {
  const m = e?.error?.message ?? (typeof e?.error === 'string' ? e.error : undefined) ?? e?.message;
  return new GatewayError(`OmniRoute: ${typeof m === 'string' && m ? m : 'the stream reported an error'}`, 200);
}

/** @param {string} args @param {string} name */
function parseArgs(args, name) {
  if (!args.trim()) return {};
  try {
    const v = JSON.parse(args);
    return v && typeof v === 'object' && !Array.isArray(v) ? v : { value: v };
  } catch {
    throw new GatewayError(`OmniRoute: the model sent invalid JSON arguments for the tool "${name}"`, 200);
  }
}

/**
 * Chat Completions chunks: content deltas, tool-call fragments keyed by index.
 * @param {Attribution} attr @param {Emit} emit
 */
function chatHandler(attr, emit) {
  /** @type {Map<number, { id: string, name: string, args: string }>} */
  const calls = new Map();
  const flush = () => {
    for (const c of calls.values()) emit.toolCall(c.id, c.name, parseArgs(c.args, c.name));
    calls.clear();
  };
  return {
    /** @param {string} _event @param {any} json */
    onEvent(_event, json) {
      if (json?.error) throw streamError(json);
      if (typeof json?.model === 'string') attr.bodyModel = json.model;
      if (json?.usage && typeof json.usage === 'object') attr.usage = json.usage;
      for (const choice of Array.isArray(json?.choices) ? json.choices : []) {
        const d = choice?.delta ?? choice?.message ?? {};
        if (typeof d.content === 'string' && d.content) emit.text(d.content);
        for (const tc of Array.isArray(d.tool_calls) ? d.tool_calls : []) {
          const index = typeof tc.index === 'number' ? tc.index : calls.size;
          const c = calls.get(index) ?? { id: '', name: '', args: '' };
          if (tc.id) c.id = String(tc.id);
          if (tc.function?.name) c.name += String(tc.function.name);
          if (typeof tc.function?.arguments === 'string') c.args += tc.function.arguments;
          calls.set(index, c);
        }
        if (choice?.finish_reason) flush();
      }
    },
    end() {
      flush();
    },
  };
}

/**
 * Responses API events.
 * @param {Attribution} attr @param {Emit} emit
 */
function responsesHandler(attr, emit) {
  /** @type {Map<string, { id: string, name: string, args: string, done: boolean }>} */
  const calls = new Map();
  /** @param {any} item */
  const finishCall = (item) => {
    const key = String(item.id ?? item.call_id);
    const c = calls.get(key) ?? { id: String(item.call_id ?? key), name: String(item.name ?? ''), args: '', done: false };
    if (c.done) return;
    c.done = true;
    calls.set(key, c);
    const args = typeof item.arguments === 'string' ? item.arguments : c.args;
    emit.toolCall(String(item.call_id ?? c.id), String(item.name ?? c.name), parseArgs(args, c.name));
  };
  return {
    /** @param {string} event @param {any} json */
    onEvent(event, json) {
      const type = typeof json?.type === 'string' ? json.type : event;
      if (type === 'error' || type === 'response.failed') {
        throw streamError(type === 'response.failed' ? json.response ?? json : json);
      }
      if (type === 'response.output_text.delta' && typeof json.delta === 'string') emit.text(json.delta);
      else if (type === 'response.output_item.added' && json.item?.type === 'function_call') {
        const it = json.item;
        calls.set(String(it.id ?? it.call_id), { id: String(it.call_id ?? it.id), name: String(it.name ?? ''), args: '', done: false });
      } else if (type === 'response.function_call_arguments.delta') {
        const c = calls.get(String(json.item_id));
        if (c && typeof json.delta === 'string') c.args += json.delta;
      } else if (type === 'response.output_item.done' && json.item?.type === 'function_call') finishCall(json.item);
      else if (type === 'response.completed' || type === 'response.incomplete') {
        const r = json.response ?? {};
        if (typeof r.model === 'string') attr.bodyModel = r.model;
        if (r.usage && typeof r.usage === 'object') attr.usage = r.usage;
        for (const it of Array.isArray(r.output) ? r.output : []) if (it?.type === 'function_call') finishCall(it);
      }
    },
    end() {
      for (const c of calls.values()) if (!c.done) finishCall({ id: c.id, call_id: c.id, name: c.name, arguments: c.args });
    },
  };
}

/**
 * A whole (non-stream) body: chat completion or response object.
 * @param {any} json @param {Attribution} attr @param {Emit} emit @param {boolean} responses
 */
function emitWhole(json, attr, emit, responses) {
  if (json?.error) throw streamError(json);
  if (typeof json?.model === 'string') attr.bodyModel = json.model;
  if (json?.usage && typeof json.usage === 'object') attr.usage = json.usage;
  if (responses) {
    for (const it of Array.isArray(json?.output) ? json.output : []) {
      if (it?.type === 'message') {
        for (const c of it.content ?? []) if (typeof c?.text === 'string') emit.text(c.text);
      } else if (it?.type === 'function_call') {
        emit.toolCall(String(it.call_id), String(it.name), parseArgs(String(it.arguments ?? ''), String(it.name)));
      }
    }
    return;
  }
  const msg = json?.choices?.[0]?.message ?? {};
  if (typeof msg.content === 'string' && msg.content) emit.text(msg.content);
  for (const tc of Array.isArray(msg.tool_calls) ? msg.tool_calls : []) {
    const name = String(tc.function?.name ?? '');
    emit.toolCall(String(tc.id), name, parseArgs(String(tc.function?.arguments ?? ''), name));
  }
}

module.exports = { runChat, ChatCancelled, GatewayError, errorMessage };
