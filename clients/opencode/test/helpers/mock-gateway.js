// A loopback mock of the OmniRoute gateway (and of models.dev) for the tests.
// Every response is sent in one write, with Nagle off.

import http from 'node:http';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const MODELS_DEV_FIXTURE = readFileSync(path.join(here, '..', 'fixtures', 'modelsdev-small.json'));
export const TEST_KEY = 'sk-0123456789abcdef-abcdef-01234567';

/** OmniRoute-shaped /v1/models entries. */
export function defaultModels() {
  const created = Math.floor(Date.now() / 1000);
  return [
    // no metadata at all: models.dev (openai/gpt-5.1-codex-mini) must fill 400000 / 128000
    { id: 'cx/gpt-5.1-codex-mini', object: 'model', created, owned_by: 'codex', root: 'cx/gpt-5.1-codex-mini', parent: null },
    // gateway metadata
    {
      id: 'cc/claude-sonnet-4-5', object: 'model', created, owned_by: 'claude', root: 'cc/claude-sonnet-4-5', parent: null,
      context_length: 200000, max_output_tokens: 64000,
      capabilities: { vision: true, tool_calling: true, reasoning: true },
      input_modalities: ['text', 'image'], output_modalities: ['text'],
    },
    {
      id: 'gh/gpt-4.1', object: 'model', created, owned_by: 'github', root: 'gh/gpt-4.1', parent: null,
      context_length: 128000, max_output_tokens: 16384,
      capabilities: { vision: true, tool_calling: true, reasoning: false },
    },
    // not a chat model: must not reach OpenCode
    { id: 'openai/text-embedding-3-small', object: 'model', created, owned_by: 'openai', type: 'embedding', root: 'openai/text-embedding-3-small', parent: null },
    // a combo with the placeholder metadata of 3.7.9
    {
      id: 'coding-combo', object: 'model', created, owned_by: 'combo', root: 'coding-combo', parent: null,
      max_output_tokens: 8192, capabilities: { tool_calling: true, reasoning: true },
    },
  ];
}

export function defaultCombos() {
  return [
    {
      name: 'coding-combo',
      strategy: 'priority',
      models: [
        { kind: 'model', model: 'cc/claude-sonnet-4-5', providerId: 'cc', weight: 1 },
        { kind: 'model', model: 'gh/gpt-4.1', providerId: 'gh', weight: 1 },
      ],
    },
  ];
}

/**
 * @param {{ requireKey?: boolean, key?: string, models?: any[], combos?: any[] }} [opts]
 */
export async function startMockGateway(opts = {}) {
  /** @type {Set<NodeJS.Timeout>} timers of delayed answers, cleared on close */
  const delays = new Set();
  const state = {
    key: opts.key ?? TEST_KEY,
    requireKey: opts.requireKey ?? true,
    models: opts.models ?? defaultModels(),
    combos: opts.combos ?? defaultCombos(),
    /** @type {{method: string, url: string, auth: string | undefined, body: any}[]} */
    requests: [],
    counts: /** @type {Record<string, number>} */ ({}),
    /** delay /v1/models answers by this many ms */
    modelsDelayMs: 0,
    /** @type {((body: any) => {name: string, arguments?: string} | null | undefined) | null} a streamed chat answer that calls this tool */
    chatToolCall: null,
  };

  /**
   * @param {http.ServerResponse} res @param {number} status @param {Record<string,string>} headers @param {string|Buffer} body
   */
  function send(res, status, headers, body) {
    res.socket?.setNoDelay(true);
    const buf = Buffer.isBuffer(body) ? body : Buffer.from(body);
    res.writeHead(status, { ...headers, 'content-length': String(buf.length) });
    res.end(buf);
  }
  const json = (/** @type {any} */ res, /** @type {number} */ status, /** @type {any} */ obj, extra = {}) =>
    send(res, status, { 'content-type': 'application/json', ...extra }, JSON.stringify(obj));

  const server = http.createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (c) => (raw += c));
    req.on('end', async () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const p = url.pathname.replace(/\/+$/, '');
      let body;
      try {
        body = raw ? JSON.parse(raw) : undefined;
      } catch {
        body = raw;
      }
      state.requests.push({ method: req.method ?? 'GET', url: p, auth: req.headers.authorization, body });
      state.counts[p] = (state.counts[p] ?? 0) + 1;

      if (p === '/api.json') {
        send(res, 200, { 'content-type': 'application/json' }, MODELS_DEV_FIXTURE);
        return;
      }
      if (p.startsWith('/v1') || p.startsWith('/api')) {
        const auth = req.headers.authorization;
        const ok = auth === `Bearer ${state.key}`;
        if ((auth && !ok) || (!auth && state.requireKey)) {
          json(res, 401, { error: { message: 'Invalid API key', type: 'invalid_request_error', code: 'invalid_api_key' } });
          return;
        }
      }
      if (p === '/v1/models' || p === '/models' || p === '/v1') {
        if (state.modelsDelayMs) {
          await new Promise((r) => {
            const t = setTimeout(() => {
              delays.delete(t);
              r(undefined);
            }, state.modelsDelayMs);
            delays.add(t);
          });
        }
        json(res, 200, { object: 'list', data: state.models });
        return;
      }
      if (p === '/v1/combos') {
        json(res, 200, { object: 'list', data: state.combos });
        return;
      }
      if (p === '/api/combos') {
        json(res, 403, { error: 'forbidden' });
        return;
      }
      if (p === '/v1/chat/completions' && req.method === 'POST') {
        chat(res, body);
        return;
      }
      if (p === '/v1/responses' && req.method === 'POST') {
        responses(res, body);
        return;
      }
      send(res, 404, { 'content-type': 'text/html' }, '<html><body>404 not found</body></html>');
    });
  });

  const REPLY = 'Hello from the OmniRoute mock.';

  /** @param {http.ServerResponse} res @param {any} body */
  function chat(res, body) {
    const model = body?.model ?? 'unknown';
    const id = 'chatcmpl-mock' + state.requests.length;
    const created = Math.floor(Date.now() / 1000);
    const usage = { prompt_tokens: 12, completion_tokens: 7, total_tokens: 19 };
    if (body?.stream === false) {
      json(
        res,
        200,
        {
          id, object: 'chat.completion', created, model,
          choices: [{ index: 0, message: { role: 'assistant', content: REPLY }, finish_reason: 'stop' }],
          usage,
        },
        { 'x-omniroute-model': model },
      );
      return;
    }
    const chunk = (/** @type {any} */ delta, /** @type {string|null} */ finish, extra = {}) =>
      `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: [{ index: 0, delta, finish_reason: finish }], ...extra })}\n\n`;
    const call = state.chatToolCall?.(body);
    if (call) {
      const tc = { index: 0, id: `call_${state.requests.length}`, type: 'function', function: { name: call.name, arguments: call.arguments ?? '{}' } };
      const sse = chunk({ role: 'assistant', content: null, tool_calls: [tc] }, null) + chunk({}, 'tool_calls') +
        `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: [], usage })}\n\n` + 'data: [DONE]\n\n';
      send(res, 200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' }, sse);
      return;
    }
    const sse =
      chunk({ role: 'assistant', content: '' }, null) +
      chunk({ content: 'Hello from ' }, null) +
      chunk({ content: 'the OmniRoute mock.' }, null) +
      chunk({}, 'stop') +
      `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: [], usage })}\n\n` +
      'data: [DONE]\n\n' +
      `: x-omniroute-model ${model}\n: x-omniroute-latency 1ms\n\n`;
    send(res, 200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' }, sse);
  }

  /** @param {http.ServerResponse} res @param {any} body */
  function responses(res, body) {
    const model = body?.model ?? 'unknown';
    const created = Math.floor(Date.now() / 1000);
    const rid = 'resp_mock' + state.requests.length;
    const mid = 'msg_mock' + state.requests.length;
    const usage = { input_tokens: 12, input_tokens_details: { cached_tokens: 0 }, output_tokens: 7, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 19 };
    const item = { id: mid, type: 'message', status: 'completed', role: 'assistant', content: [{ type: 'output_text', text: REPLY, annotations: [] }] };
    const base = { id: rid, object: 'response', created_at: created, model, status: 'in_progress', output: [], usage: null, incomplete_details: null, error: null };
    if (body?.stream === false) {
      json(res, 200, { ...base, status: 'completed', output: [item], usage });
      return;
    }
    let seq = 0;
    const ev = (/** @type {string} */ type, /** @type {any} */ data) =>
      `event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: seq++, ...data })}\n\n`;
    const sse =
      ev('response.created', { response: base }) +
      ev('response.in_progress', { response: base }) +
      ev('response.output_item.added', { output_index: 0, item: { id: mid, type: 'message', status: 'in_progress', role: 'assistant', content: [] } }) +
      ev('response.content_part.added', { item_id: mid, output_index: 0, content_index: 0, part: { type: 'output_text', text: '', annotations: [] } }) +
      ev('response.output_text.delta', { item_id: mid, output_index: 0, content_index: 0, delta: 'Hello from ', logprobs: [] }) +
      ev('response.output_text.delta', { item_id: mid, output_index: 0, content_index: 0, delta: 'the OmniRoute mock.', logprobs: [] }) +
      ev('response.output_text.done', { item_id: mid, output_index: 0, content_index: 0, text: REPLY, logprobs: [] }) +
      ev('response.content_part.done', { item_id: mid, output_index: 0, content_index: 0, part: { type: 'output_text', text: REPLY, annotations: [] } }) +
      ev('response.output_item.done', { output_index: 0, item }) +
      ev('response.completed', { response: { ...base, status: 'completed', output: [item], usage } }) +
      `: x-omniroute-model ${model}\n\n`;
    send(res, 200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' }, sse);
  }

  await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)));
  const addr = /** @type {import('node:net').AddressInfo} */ (server.address());
  const origin = `http://127.0.0.1:${addr.port}`;
  return {
    state,
    origin,
    baseURL: `${origin}/v1`,
    modelsDevURL: `${origin}/api.json`,
    close: () =>
      new Promise((resolve) => {
        // a delayed answer nobody waits for any more must not keep the test process alive
        for (const t of delays) clearTimeout(t);
        delays.clear();
        server.closeAllConnections?.();
        server.close(() => resolve(undefined));
      }),
  };
}
