// Attribution: one `usage.record` notification (CONTRACTS.md, host "pi") per request Pi sends
// to the gateway through the `omniroute` provider.
//
// Pi 0.73.1 gives an extension three seams around a provider request, and no access to the
// HTTP body or the fetch itself:
//   before_provider_request  the payload (model, stream) just before it is sent   -> at, model, stream
//   after_provider_response  HTTP status + response headers, before the body      -> status, x-omniroute-* headers
//                            (2xx only: on an error status the SDK throws first; see statusOfError)
//   message_update / _end    the parsed stream: first delta, final usage, response
//                            model, stop reason, error message                    -> ttftMs, latencyMs, usage, bodyModel, ok, error
// The SSE comment trailers (`: x-omniroute-tokens-in=…`) are consumed by Pi's OpenAI client and
// never reach an extension, so `omniroute` holds the headers only; on streams the real token
// counts come in `usage` (the service's rule: trailer > usage > non-zero header).
// The agent loop runs one provider request at a time per session, so one pending slot suffices.

import { PROVIDER } from './provider.js';

const MAX_ERROR = 300;
/** @param {unknown} n */
const num = (n) => (typeof n === 'number' && Number.isFinite(n) && n > 0 ? n : 0);

/**
 * On a non-2xx answer Pi's OpenAI client (openai 6.x) throws before `after_provider_response`
 * fires, so the status is only in the error message, which that SDK starts with it ("401 Invalid
 * API key"). 0 when there is none (no answer at all: refused, reset, timeout).
 * @param {unknown} message
 */
export function statusOfError(message) {
  const m = /^([1-5]\d\d) /.exec(String(message ?? ''));
  return m ? Number(m[1]) : 0;
}

/**
 * x-omniroute-* headers keyed without the prefix, lower-case.
 * @param {Record<string, string> | undefined} headers
 */
export function omnirouteHeaders(headers) {
  /** @type {Record<string, string>} */
  const out = {};
  for (const [k, v] of Object.entries(headers ?? {})) {
    const name = k.toLowerCase();
    if (name.startsWith('x-omniroute-') && name.length > 12) out[name.slice(12)] = String(v);
  }
  return out;
}

/**
 * @typedef {object} Pending
 * @property {number} at
 * @property {string | undefined} model
 * @property {boolean | undefined} stream
 * @property {string | undefined} sessionId
 * @property {number} [status]
 * @property {Record<string, string>} [omniroute]
 * @property {number} [firstDeltaAt]
 */

export class UsageRecorder {
  /**
   * @param {{ send: (record: Record<string, any>) => void, redact?: (s: string) => string, now?: () => number }} o
   */
  constructor(o) {
    this.send = o.send;
    this.redact = o.redact ?? ((s) => s);
    this.now = o.now ?? Date.now;
    /** @type {Pending | null} */
    this.pending = null;
  }

  /**
   * before_provider_request. Returns nothing: the payload is never changed.
   * @param {any} payload @param {{ model?: { provider?: string, id?: string }, sessionId?: string }} ctx
   */
  request(payload, ctx) {
    if (ctx.model?.provider !== PROVIDER) {
      this.pending = null;
      return;
    }
    this.pending = {
      at: this.now(),
      model: typeof payload?.model === 'string' ? payload.model : ctx.model.id,
      stream: typeof payload?.stream === 'boolean' ? payload.stream : undefined,
      sessionId: ctx.sessionId,
    };
  }

  /** after_provider_response. @param {number} status @param {Record<string, string>} headers */
  response(status, headers) {
    if (!this.pending) return;
    this.pending.status = status;
    this.pending.omniroute = omnirouteHeaders(headers);
  }

  /** message_update: the first streamed delta. @param {any} assistantEvent */
  update(assistantEvent) {
    if (!this.pending || this.pending.firstDeltaAt !== undefined) return;
    if (typeof assistantEvent?.type === 'string' && assistantEvent.type.endsWith('_delta')) this.pending.firstDeltaAt = this.now();
  }

  /**
   * message_end: sends the record for an assistant message of our provider.
   * @param {any} message
   * @returns {Record<string, any> | null} what was sent
   */
  end(message) {
    const p = this.pending;
    if (!p || message?.role !== 'assistant' || message.provider !== PROVIDER) return null;
    this.pending = null;
    const end = this.now();
    const failed = message.stopReason === 'error' || message.stopReason === 'aborted';
    const status = p.status ?? (failed ? statusOfError(message.errorMessage) : 0);
    /** @type {Record<string, any>} */
    const rec = {
      model: p.model ?? message.model,
      host: 'pi',
      at: p.at,
      status,
      ok: !failed && status >= 200 && status < 300,
      latencyMs: Math.max(0, end - p.at),
    };
    if (p.sessionId) rec.sessionId = p.sessionId;
    if (p.stream !== undefined) rec.stream = p.stream;
    if (p.stream && p.firstDeltaAt !== undefined) rec.ttftMs = Math.max(0, p.firstDeltaAt - p.at);
    if (failed) {
      const why = message.stopReason === 'aborted' ? 'aborted' : String(message.errorMessage ?? 'error');
      rec.error = this.redact(why.split('\n')[0]).slice(0, MAX_ERROR);
    }
    if (p.omniroute && Object.keys(p.omniroute).length) rec.omniroute = p.omniroute;
    const u = message.usage;
    if (u && (u.input > 0 || u.output > 0 || u.cacheRead > 0)) {
      // back to the OpenAI shape Pi parsed it from (pi-ai subtracts cached tokens from input)
      const cacheRead = num(u.cacheRead);
      rec.usage = { prompt_tokens: num(u.input) + cacheRead + num(u.cacheWrite), completion_tokens: num(u.output) };
      if (cacheRead > 0) rec.usage.prompt_tokens_details = { cached_tokens: cacheRead };
    }
    if (typeof message.responseModel === 'string' && message.responseModel) rec.bodyModel = message.responseModel;
    this.send(rec);
    return rec;
  }
}
