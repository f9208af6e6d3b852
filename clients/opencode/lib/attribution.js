// Served-member and cost attribution (issue 16), host side.
//
// `createAttributionFetch` wraps the fetch OpenCode's AI SDK uses for the omniroute provider.
// For requests to the gateway's own origin only, it reads the x-omniroute-* response headers
// and, while the body passes through untouched, the trailing `: x-omniroute-k=v` SSE comments
// and the last chunk's `usage` object. The body is re-exposed by a pull-based stream that
// hands every chunk on before looking at it: nothing is buffered ahead of the consumer and no
// byte waits for the scan. Each completed, failed or cut-off request becomes one raw record
// (contract `usage.record`, CONTRACTS.md) given to `send`; the service normalises it.
//
// `usageTool` is the `omniroute_usage` tool: the session's and the week's spend and the
// member split of each combo, from `usage.summary`.

/** Longest text kept from a non-streamed body (to read its `usage`); longer bodies are passed
 * on without it. */
const MAX_JSON_BODY = 2 * 1024 * 1024;
/** Longest SSE line kept while waiting for its end. */
const MAX_LINE = 1024 * 1024;
const PREFIX = 'x-omniroute-';

/**
 * @typedef {object} RawRecord  the `usage.record` params (CONTRACTS.md)
 * @property {string} model
 * @property {string} host
 * @property {string} [sessionId]
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

/**
 * @param {unknown} input fetch's first argument
 * @returns {string | undefined}
 */
function urlOf(input) {
  if (typeof input === 'string') return input;
  if (input instanceof URL) return input.href;
  if (input && typeof input === 'object' && 'url' in input && typeof input.url === 'string') return input.url;
  return undefined;
}

/** @param {string | undefined} url */
export function originOf(url) {
  if (!url) return undefined;
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
}

/**
 * A header value from fetch's init.headers (Headers, array of pairs or a record).
 * @param {any} headers @param {string} name lower-case
 */
function headerOf(headers, name) {
  if (!headers) return undefined;
  try {
    if (typeof headers.get === 'function') return headers.get(name) ?? undefined;
    if (Array.isArray(headers)) {
      const hit = headers.find((h) => Array.isArray(h) && String(h[0]).toLowerCase() === name);
      return hit ? String(hit[1]) : undefined;
    }
    for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === name && v != null) return String(v);
  } catch {}
  return undefined;
}

/**
 * The requested model and stream flag, from a JSON string body (nothing else is read).
 * @param {unknown} body
 */
function requestInfo(body) {
  if (typeof body !== 'string' || body.length > 64 * 1024 * 1024) return null;
  try {
    const j = JSON.parse(body);
    if (!j || typeof j !== 'object' || typeof j.model !== 'string' || !j.model) return null;
    return { model: j.model, stream: j.stream === true };
  } catch {
    return null;
  }
}

/** @param {unknown} e */
function shortError(e) {
  const msg = e instanceof Error ? `${e.name === 'Error' ? '' : e.name + ': '}${e.message}` : String(e);
  return msg.slice(0, 200);
}

/** @param {unknown} v */
const isObj = (v) => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Scans SSE text incrementally: trailing `: x-omniroute-k=v` comments, the body's `model`, the
 * last `usage`, an end marker ([DONE], a finish_reason, response.completed) and error events.
 * Lines split across chunks are joined.
 */
export class SseScanner {
  constructor() {
    this.partial = '';
    /** @type {Record<string, string>} */
    this.trailers = {};
    /** @type {Record<string, unknown> | undefined} */
    this.usage = undefined;
    /** @type {string | undefined} */
    this.model = undefined;
    this.finished = false;
    /** @type {string | undefined} */
    this.error = undefined;
  }

  /** @param {string} text */
  push(text) {
    let data = this.partial + text;
    let nl;
    let start = 0;
    while ((nl = data.indexOf('\n', start)) >= 0) {
      this.line(data.slice(start, nl));
      start = nl + 1;
    }
    data = data.slice(start);
    this.partial = data.length > MAX_LINE ? '' : data;
  }

  end() {
    if (this.partial) this.line(this.partial);
    this.partial = '';
  }

  /** @param {string} raw */
  line(raw) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.startsWith(':')) {
      const m = /^:\s*x-omniroute-([A-Za-z0-9_-]+)\s*[=:]\s*(.*)$/.exec(line);
      if (m) this.trailers[m[1].toLowerCase()] = m[2].trim().slice(0, 200);
      return;
    }
    if (!line.startsWith('data:')) return;
    const payload = line.slice(5).trim();
    if (payload === '[DONE]') {
      this.finished = true;
      return;
    }
    // Parse only the chunks that can carry what we want: the first (model), the ones with a
    // usage object, a finish reason, a Responses API end event or an error.
    if (
      this.model !== undefined &&
      !payload.includes('"usage"') &&
      !payload.includes('"finish_reason":"') &&
      !payload.includes('"response.') &&
      !payload.includes('"error"')
    )
      return;
    let j;
    try {
      j = JSON.parse(payload);
    } catch {
      return;
    }
    if (!isObj(j)) return;
    const resp = isObj(j.response) ? j.response : undefined;
    const model = typeof j.model === 'string' ? j.model : typeof resp?.model === 'string' ? resp.model : undefined;
    if (model && this.model === undefined) this.model = model;
    if (isObj(j.usage)) this.usage = j.usage;
    if (isObj(resp?.usage)) this.usage = resp.usage;
    if (Array.isArray(j.choices) && j.choices.some((c) => isObj(c) && c.finish_reason)) this.finished = true;
    if (j.type === 'response.completed') this.finished = true;
    if (j.type === 'response.failed' || j.type === 'error' || isObj(j.error)) {
      const e = isObj(j.error) ? j.error : isObj(resp?.error) ? resp.error : undefined;
      this.error = String(e?.message ?? j.type ?? 'error').slice(0, 200);
    }
  }
}

/**
 * @typedef {object} AttributionOptions
 * @property {string} baseURL                 the gateway's base URL (its origin is the only one observed)
 * @property {(rec: RawRecord) => void} send  receives one record per request (must not throw)
 * @property {typeof fetch} [fetch]           the real fetch (default globalThis.fetch)
 * @property {string} [host]                  default 'opencode'
 * @property {() => number} [now]             clock in ms (default performance.now based)
 */

/**
 * Wraps `fetch` so that requests to the gateway's origin are attributed.
 * @param {AttributionOptions} opts
 * @returns {typeof fetch}
 */
export function createAttributionFetch(opts) {
  const realFetch = opts.fetch ?? globalThis.fetch;
  const origin = originOf(opts.baseURL);
  const host = opts.host ?? 'opencode';
  const clock = opts.now ?? (() => performance.now());

  /** @param {RawRecord} rec */
  const emit = (rec) => {
    try {
      opts.send(rec);
    } catch {}
  };

  /** @type {any} */
  const wrapped = async (/** @type {any} */ input, /** @type {any} */ init) => {
    const url = urlOf(input);
    if (!origin || originOf(url) !== origin) return realFetch(input, init);
    const req = requestInfo(init?.body);
    if (!req) return realFetch(input, init); // not a model request (GET /models, …)
    const headers = init?.headers ?? (input instanceof Request ? input.headers : undefined);
    const sessionId = headerOf(headers, 'x-session-affinity') ?? headerOf(headers, 'x-session-id');
    const t0 = clock();
    /** @type {RawRecord} */
    const rec = {
      model: req.model,
      host,
      ...(sessionId ? { sessionId } : {}),
      at: Date.now(),
      status: 0,
      ok: false,
      stream: req.stream,
      omniroute: {},
    };
    let res;
    try {
      res = await realFetch(input, init);
    } catch (e) {
      emit({ ...rec, error: shortError(e), latencyMs: Math.round(clock() - t0) });
      throw e;
    }
    try {
      return observe(res, rec, t0);
    } catch {
      return res; // never let attribution break a response
    }
  };

  /**
   * @param {Response} res @param {RawRecord} rec @param {number} t0
   * @returns {Response}
   */
  function observe(res, rec, t0) {
    /** @type {Record<string, string>} */
    const om = {};
    res.headers.forEach((v, k) => {
      const key = k.toLowerCase();
      if (key.startsWith(PREFIX)) om[key.slice(PREFIX.length)] = v.slice(0, 200);
    });
    const fromGateway = Object.keys(om).length > 0;
    // A response without any x-omniroute-* header is not OmniRoute's (a proxy, another
    // server on the origin): left alone, unless it is an error, which still counts as a
    // failed request.
    if (!fromGateway && res.ok) return res;
    rec.status = res.status;
    rec.omniroute = om;
    if (!res.body) {
      emit({ ...rec, ok: res.ok, latencyMs: Math.round(clock() - t0) });
      return res;
    }
    const ctype = (res.headers.get('content-type') ?? '').toLowerCase();
    const sse = ctype.includes('text/event-stream');
    const scanner = sse ? new SseScanner() : null;
    const decoder = new TextDecoder();
    let json = '';
    let jsonOverflow = false;
    /** @type {number | undefined} */
    let ttft;
    let done = false;

    /** @param {string | undefined} error */
    const finish = (error) => {
      if (done) return;
      done = true;
      const latencyMs = Math.round(clock() - t0);
      /** @type {RawRecord} */
      const out = { ...rec, latencyMs };
      if (sse && ttft !== undefined) out.ttftMs = ttft;
      if (scanner) {
        scanner.end();
        out.omniroute = { ...om, ...scanner.trailers };
        if (scanner.usage) out.usage = scanner.usage;
        if (scanner.model) out.bodyModel = scanner.model;
        if (!error && scanner.error) error = scanner.error;
        if (!error && !scanner.finished && res.ok) error = 'the stream ended before its end marker';
      } else if (!jsonOverflow && json) {
        try {
          const j = JSON.parse(json);
          if (isObj(j)) {
            if (isObj(j.usage)) out.usage = j.usage;
            if (typeof j.model === 'string') out.bodyModel = j.model;
            if (!res.ok && isObj(j.error) && typeof j.error.message === 'string') error ??= j.error.message.slice(0, 200);
          }
        } catch {}
      }
      if (!res.ok) error ??= `HTTP ${res.status}`;
      out.ok = !error && res.ok;
      if (error) out.error = error;
      emit(out);
    };

    const reader = res.body.getReader();
    const body = new ReadableStream(
      {
        async pull(controller) {
          let step;
          try {
            step = await reader.read();
          } catch (e) {
            finish(`the response was cut off: ${shortError(e)}`);
            controller.error(e);
            return;
          }
          if (step.done) {
            controller.close();
            finish(undefined);
            return;
          }
          const chunk = step.value;
          controller.enqueue(chunk); // hand it on first: the scan never delays a byte
          try {
            if (ttft === undefined) ttft = Math.round(clock() - t0);
            const text = decoder.decode(chunk, { stream: true });
            if (scanner) scanner.push(text);
            else if (!jsonOverflow) {
              json += text;
              if (json.length > MAX_JSON_BODY) {
                jsonOverflow = true;
                json = '';
              }
            }
          } catch {}
        },
        cancel(reason) {
          finish(`cancelled by the client${reason ? ': ' + shortError(reason) : ''}`);
          return reader.cancel(reason);
        },
      },
      { highWaterMark: 0 },
    );
    const out = new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers });
    for (const k of /** @type {const} */ (['url', 'redirected', 'type'])) {
      try {
        Object.defineProperty(out, k, { value: res[k], configurable: true });
      } catch {}
    }
    return out;
  }

  return wrapped;
}

// ---------------------------------------------------------------------------------------
// the omniroute_usage tool

/** @param {number} c */
function cost(c) {
  if (!c) return '$0';
  return c < 0.01 ? `$${c.toFixed(6)}` : `$${c.toFixed(4)}`;
}

/** Strips control characters from gateway strings. @param {unknown} s */
function clean(s) {
  // eslint-disable-next-line no-control-regex
  return String(s ?? '').replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ').slice(0, 120);
}

/** @param {any} t totals row */
function line(t) {
  const err = t?.errors ? `, ${t.errors} failed` : '';
  return `${t?.requests ?? 0} request(s)${err}, ${t?.tokensIn ?? 0} tokens in / ${t?.tokensOut ?? 0} out, ${cost(t?.costUsd ?? 0)}`;
}

/**
 * Text of the tool's answer from two `usage.summary` results.
 * @param {any} session grouped by model, this session only (or null when there is no session)
 * @param {any} week grouped by member, last 7 days
 */
export function formatUsage(session, week) {
  const out = ['OmniRoute usage'];
  if (session) out.push(`This session: ${line(session.totals)}`);
  out.push(`Last 7 days: ${line(week?.totals)}`);
  const rows = Array.isArray(week?.rows) ? week.rows : [];
  /** @type {Map<string, any[]>} */
  const byModel = new Map();
  for (const r of rows) {
    const k = clean(r.model);
    if (!byModel.has(k)) byModel.set(k, []);
    byModel.get(k)?.push(r);
  }
  if (byModel.size) out.push('', 'Which model answered (last 7 days):');
  for (const [model, members] of byModel) {
    out.push(`- ${model}`);
    for (const r of members) {
      const served = r.servedModel ? clean(r.servedModel) : '(no answer)';
      out.push(`    → ${served}: ${line(r)}${r.avgLatencyMs != null ? `, avg ${r.avgLatencyMs} ms` : ''}`);
    }
  }
  return out.join('\n');
}

/**
 * The `omniroute_usage` tool definition for OpenCode's `tool` hook (no arguments).
 * @param {(method: string, params: any) => Promise<any>} call  a usage.summary caller
 */
export function usageTool(call) {
  return {
    description:
      "OmniRoute spend: this session's and the last 7 days' requests, tokens and cost, and which member model of each combo actually answered.",
    args: {},
    /** @param {any} _args @param {any} context */
    async execute(_args, context) {
      const sessionId = typeof context?.sessionID === 'string' ? context.sessionID : undefined;
      const [session, week] = await Promise.all([
        sessionId ? call('usage.summary', { groupBy: 'model', sessionId }) : Promise.resolve(null),
        call('usage.summary', { groupBy: 'member', since: '7d' }),
      ]);
      return formatUsage(session, week);
    },
  };
}
