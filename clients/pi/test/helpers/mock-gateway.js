// A loopback OmniRoute-shaped gateway for the Pi extension's tests (127.0.0.1, free port):
//   GET  /v1/models            `state.models` (OmniRoute 3.7.9 entry shapes)
//   GET  /api/combos           `state.combos` (the definitions; /v1/combos is a 404 page as in 3.7.9)
//   POST /v1/chat/completions  SSE stream with x-omniroute-* headers (zeros) and trailer comments
//   POST /v1/responses         Responses API SSE stream
// Auth as OmniRoute: a wrong Bearer is 401 even when open; no key is fine unless `requireKey`.
// Every request is logged in `state.requests` ({method, path, auth, body}).

import http from 'node:http';

export const TEST_KEY = 'sk-pitest0123456789-abcdef-76543210';
export const REPLY = 'Hello from the Pi mock gateway.';

/** OmniRoute-shaped /v1/models entries: real metadata, placeholders, a combo, a non-chat entry. @returns {any[]} */
export function defaultModels() {
  const created = Math.floor(Date.now() / 1000);
  return [
    { id: 'pi-combo', object: 'model', created, owned_by: 'combo', root: 'pi-combo', parent: null, permission: [], max_output_tokens: 8192, capabilities: { tool_calling: true, reasoning: true } },
    {
      id: 'cc/claude-sonnet-4-5', object: 'model', created, owned_by: 'claude', root: 'claude-sonnet-4-5', parent: null, permission: [],
      context_length: 200000, max_input_tokens: 200000, max_output_tokens: 64000,
      capabilities: { vision: true, tool_calling: true, reasoning: true }, input_modalities: ['text', 'image'], output_modalities: ['text'],
    },
    {
      id: 'gh/gpt-4.1', object: 'model', created, owned_by: 'github', root: 'gpt-4.1', parent: null, permission: [],
      context_length: 128000, max_input_tokens: 128000, max_output_tokens: 16384, capabilities: { vision: false, tool_calling: true, reasoning: false },
    },
    { id: 'mystery/unknown-model', object: 'model', created, owned_by: 'mystery', root: 'unknown-model', parent: null, permission: [] },
    { id: 'openai/text-embedding-3-small', object: 'model', created, owned_by: 'openai', root: 'text-embedding-3-small', type: 'embedding', dimensions: 1536, capabilities: {}, max_output_tokens: 8192 },
  ];
}

export function defaultCombos() {
  return [{ id: 'c1', name: 'pi-combo', strategy: 'priority', models: [{ kind: 'model', model: 'cc/claude-sonnet-4-5' }, { kind: 'model', model: 'gh/gpt-4.1' }] }];
}

/** @param {{ requireKey?: boolean, key?: string }} [opts] */
export async function startMockGateway(opts = {}) {
  const state = {
    key: opts.key ?? TEST_KEY,
    requireKey: opts.requireKey ?? false,
    models: defaultModels(),
    combos: defaultCombos(),
    /** @type {{method: string, path: string, auth: string | undefined, body: any}[]} */
    requests: [],
  };

  /** @param {http.ServerResponse} res @param {number} status @param {Record<string, string>} headers @param {string} body */
  function send(res, status, headers, body) {
    res.socket?.setNoDelay(true);
    const buf = Buffer.from(body);
    res.writeHead(status, { ...headers, 'content-length': String(buf.length) });
    res.end(buf);
  }
  const json = (/** @type {http.ServerResponse} */ res, /** @type {number} */ status, /** @type {any} */ obj) =>
    send(res, status, { 'content-type': 'application/json' }, JSON.stringify(obj));

  const server = http.createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8').on('data', (c) => (raw += c));
    req.on('end', () => {
      const p = new URL(req.url ?? '/', 'http://x').pathname.replace(/\/+$/, '');
      let body;
      try {
        body = raw ? JSON.parse(raw) : undefined;
      } catch {
        body = raw;
      }
      const auth = req.headers.authorization;
      state.requests.push({ method: req.method ?? 'GET', path: p, auth, body });
      // OmniRoute's rule (middleware of 3.7.9): a token is "Bearer <non-empty>"; anything else is no key
      const token = typeof auth === 'string' && /^bearer /i.test(auth.trim()) ? auth.trim().slice(7).trim() : '';
      if ((token && token !== state.key) || (!token && state.requireKey)) {
        json(res, 401, { error: { code: 'AUTH_002', message: token ? 'Invalid API key' : 'Authentication required' } });
        return;
      }
      if (p === '/v1/models' && req.method === 'GET') return json(res, 200, { object: 'list', data: state.models });
      if (p === '/api/combos' && req.method === 'GET') return json(res, 200, { combos: state.combos });
      if (p === '/v1/chat/completions' && req.method === 'POST') return chat(res, body);
      if (p === '/v1/responses' && req.method === 'POST') return responses(res, body);
      send(res, 404, { 'content-type': 'text/html; charset=utf-8' }, '<!DOCTYPE html><html><body>404</body></html>');
    });
  });

  /** Headers as OmniRoute sends them on a stream: model and provider real, counters zero. @param {string} served */
  const omniHeaders = (served) => ({
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    'x-omniroute-model': served,
    'x-omniroute-provider': 'mock-provider',
    'x-omniroute-tokens-in': '0',
    'x-omniroute-tokens-out': '0',
    'x-omniroute-latency-ms': '0',
    'x-omniroute-cache-hit': 'false',
  });
  /** the served member: a combo's first member, without its prefix @param {string} model */
  const servedOf = (model) => {
    const combo = state.combos.find((c) => c.name === model);
    const first = combo ? combo.models[0].model : model;
    return first.slice(first.indexOf('/') + 1);
  };
  const trailers = (/** @type {string} */ served) =>
    `: x-omniroute-tokens-in=11\n: x-omniroute-tokens-out=6\n: x-omniroute-response-cost=0.000042\n: x-omniroute-model=${served}\n`;

  /** @param {http.ServerResponse} res @param {any} body */
  function chat(res, body) {
    const served = servedOf(String(body?.model ?? ''));
    const id = `chatcmpl-pi${state.requests.length}`;
    const created = Math.floor(Date.now() / 1000);
    const chunk = (/** @type {any} */ delta, /** @type {string | null} */ finish, extra = {}) =>
      `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model: served, choices: [{ index: 0, delta, finish_reason: finish }], ...extra })}\n\n`;
    const usage = { prompt_tokens: 11, completion_tokens: 6, total_tokens: 17, estimated: true };
    const sse =
      chunk({ role: 'assistant', content: '' }, null) +
      chunk({ content: 'Hello from ' }, null) +
      chunk({ content: 'the Pi mock gateway.' }, null) +
      chunk({}, 'stop') +
      `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model: served, choices: [], usage })}\n\n` +
      trailers(served) +
      'data: [DONE]\n\n';
    send(res, 200, omniHeaders(served), sse);
  }

  /** @param {http.ServerResponse} res @param {any} body */
  function responses(res, body) {
    const served = servedOf(String(body?.model ?? ''));
    const rid = `resp_pi${state.requests.length}`;
    const mid = `msg_pi${state.requests.length}`;
    const usage = { input_tokens: 11, input_tokens_details: { cached_tokens: 0 }, output_tokens: 6, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 17 };
    const item = { id: mid, type: 'message', status: 'completed', role: 'assistant', content: [{ type: 'output_text', text: REPLY, annotations: [] }] };
    const base = { id: rid, object: 'response', created_at: Math.floor(Date.now() / 1000), model: served, status: 'in_progress', output: [], usage: null, error: null, incomplete_details: null };
    let seq = 0;
    const ev = (/** @type {string} */ type, /** @type {any} */ data) => `event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: seq++, ...data })}\n\n`;
    const part = { type: 'output_text', text: '', annotations: [] };
    const sse =
      ev('response.created', { response: base }) +
      ev('response.output_item.added', { output_index: 0, item: { ...item, status: 'in_progress', content: [] } }) +
      ev('response.content_part.added', { item_id: mid, output_index: 0, content_index: 0, part }) +
      ev('response.output_text.delta', { item_id: mid, output_index: 0, content_index: 0, delta: 'Hello from ', logprobs: [] }) +
      ev('response.output_text.delta', { item_id: mid, output_index: 0, content_index: 0, delta: 'the Pi mock gateway.', logprobs: [] }) +
      ev('response.output_text.done', { item_id: mid, output_index: 0, content_index: 0, text: REPLY, logprobs: [] }) +
      ev('response.content_part.done', { item_id: mid, output_index: 0, content_index: 0, part: { ...part, text: REPLY } }) +
      ev('response.output_item.done', { output_index: 0, item }) +
      ev('response.completed', { response: { ...base, status: 'completed', output: [item], usage } }) +
      trailers(served) + '\n';
    send(res, 200, omniHeaders(served), sse);
  }

  await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)));
  const port = /** @type {import('node:net').AddressInfo} */ (server.address()).port;
  return {
    state,
    baseURL: `http://127.0.0.1:${port}/v1`,
    /** requests to one path */
    hits: (/** @type {string} */ p) => state.requests.filter((r) => r.path === p),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve(undefined));
      }),
  };
}
