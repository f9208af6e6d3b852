'use strict';
// A loopback OmniRoute gateway for the extension's tests: OmniRoute-shaped /v1/models and
// /v1/combos, and /v1/chat/completions + /v1/responses streaming SSE with tool calls and the
// gateway's attribution (x-omniroute-* headers with zeros, real values in trailing comments).
//
// Chat behaviour, chosen by the request:
//   model mock/error          429 with an OpenAI error body
//   model mock/slow           one text chunk, then holds the stream open until the client goes
//   last message role "tool"  "Tool said: <result>"
//   tools present             a tool call (arguments split over chunks) + a second one without args
//   an image part             "I see N image(s)"
//   otherwise                 "Hello from the mock."

const http = require('node:http');

const TEST_KEY = 'sk-vscode0123456789-abcdef-00004d79';

function defaultModels() {
  const created = 1765000000;
  return [
    {
      id: 'mock/text', object: 'model', created, owned_by: 'mockprov',
      context_length: 128000, max_output_tokens: 16384,
      capabilities: { vision: true, tool_calling: true, reasoning: false },
      input_modalities: ['text', 'image'], output_modalities: ['text'],
    },
    {
      id: 'mock/small', object: 'model', created, owned_by: 'mockprov',
      context_length: 8192, max_output_tokens: 8192,
      capabilities: { vision: false, tool_calling: false, reasoning: false },
    },
    { id: 'mock/bare', object: 'model', created, owned_by: 'other' },
    { id: 'mock/slow', object: 'model', created, owned_by: 'mockprov', context_length: 32000, max_output_tokens: 4000 },
    { id: 'mock/error', object: 'model', created, owned_by: 'mockprov', context_length: 32000, max_output_tokens: 4000 },
    { id: 'mock/embed', object: 'model', created, owned_by: 'mockprov', type: 'embedding' },
    {
      id: 'mock-combo', object: 'model', created, owned_by: 'combo',
      max_output_tokens: 8192, capabilities: { tool_calling: true, reasoning: true },
    },
  ];
}

function defaultCombos() {
  return [
    {
      name: 'mock-combo',
      strategy: 'priority',
      models: [
        { kind: 'model', model: 'mock/text', providerId: 'mockprov', weight: 1 },
        { kind: 'model', model: 'mock/small', providerId: 'mockprov', weight: 1 },
      ],
    },
  ];
}

/**
 * @param {{ key?: string }} [opts]
 */
async function startMockGateway(opts = {}) {
  const state = {
    key: opts.key ?? TEST_KEY,
    models: defaultModels(),
    combos: defaultCombos(),
    /** @type {{ method: string, path: string, auth: string | undefined, body: any }[]} */
    requests: [],
    /** resolves when a held (mock/slow) stream's client went away */
    slowClosed: /** @type {Promise<void>} */ (Promise.resolve()),
  };
  /** @type {() => void} */
  let markClosed = () => {};
  state.slowClosed = new Promise((r) => (markClosed = r));

  /** @param {http.ServerResponse} res @param {number} status @param {any} obj @param {Record<string,string>} [extra] */
  const json = (res, status, obj, extra = {}) => {
    const buf = Buffer.from(JSON.stringify(obj));
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(buf.length), ...extra });
    res.end(buf);
  };

  /** Attribution headers as OmniRoute sends them on a stream: zeros for the counters. @param {string} served */
  const attributionHeaders = (served) => ({
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache',
    'x-omniroute-model': served,
    'x-omniroute-provider': 'openai-compatible-chat-mock',
    'x-omniroute-tokens-in': '0',
    'x-omniroute-tokens-out': '0',
    'x-omniroute-response-cost': '0',
    'x-omniroute-request-id': 'req-mock-1',
    'x-omniroute-cache-hit': 'false',
  });
  const trailers = (/** @type {string} */ served) =>
    `: x-omniroute-model=${served}\n: x-omniroute-tokens-in=5\n: x-omniroute-tokens-out=4\n` +
    ': x-omniroute-response-cost=0.0000012\n: x-omniroute-latency-ms=158\n\n';

  /** @param {http.ServerResponse} res @param {any} body */
  function chat(res, body) {
    const model = String(body?.model ?? 'unknown');
    if (model === 'mock/error') {
      json(res, 429, { error: { message: `Rate limit exceeded for ${model}`, type: 'rate_limit_error' } });
      return;
    }
    const served = model === 'mock-combo' ? 'mock/small' : model;
    const id = 'chatcmpl-mock';
    const chunk = (/** @type {any} */ delta, /** @type {string|null} */ finish) =>
      `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', model: served, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
    res.socket?.setNoDelay(true);
    res.writeHead(200, attributionHeaders(served));
    if (model === 'mock/slow') {
      res.write(chunk({ role: 'assistant', content: 'partial' }, null));
      res.on('close', () => markClosed());
      return; // held open until the client aborts
    }
    const messages = Array.isArray(body?.messages) ? body.messages : [];
    const last = messages[messages.length - 1];
    const images = messages.flatMap((/** @type {any} */ m) => (Array.isArray(m.content) ? m.content : [])).filter((/** @type {any} */ p) => p.type === 'image_url').length;
    let sse = chunk({ role: 'assistant', content: '' }, null);
    if (last?.role === 'tool') {
      sse += chunk({ content: 'Tool said: ' }, null) + chunk({ content: String(last.content) }, null) + chunk({}, 'stop');
    } else if (Array.isArray(body?.tools) && body.tools.length) {
      const name = body.tools[0].function.name;
      sse +=
        chunk({ content: 'Let me check.' }, null) +
        chunk({ tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name, arguments: '' } }] }, null) +
        chunk({ tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] }, null) +
        chunk({ tool_calls: [{ index: 0, function: { arguments: '"Paris"}' } }] }, null) +
        chunk({ tool_calls: [{ index: 1, id: 'call_2', type: 'function', function: { name, arguments: '' } }] }, null) +
        chunk({}, 'tool_calls');
    } else if (images) {
      sse += chunk({ content: `I see ${images} image(s)` }, null) + chunk({}, 'stop');
    } else {
      sse += chunk({ content: 'Hello from ' }, null) + chunk({ content: 'the mock.' }, null) + chunk({}, 'stop');
    }
    sse += `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', model: served, choices: [], usage: { prompt_tokens: 5, completion_tokens: 4, total_tokens: 9 } })}\n\n`;
    sse += 'data: [DONE]\n\n' + trailers(served);
    res.end(sse);
  }

  /** @param {http.ServerResponse} res @param {any} body */
  function responses(res, body) {
    const model = String(body?.model ?? 'unknown');
    let seq = 0;
    const ev = (/** @type {string} */ type, /** @type {any} */ data) =>
      `event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: seq++, ...data })}\n\n`;
    const base = { id: 'resp_mock', object: 'response', model, status: 'in_progress', output: [] };
    const input = Array.isArray(body?.input) ? body.input : [];
    const lastOut = input.filter((/** @type {any} */ i) => i.type === 'function_call_output').pop();
    const text = lastOut ? `Tool said: ${lastOut.output}` : 'Hello from the responses mock.';
    const msg = { id: 'msg_1', type: 'message', role: 'assistant', content: [{ type: 'output_text', text }] };
    let sse = ev('response.created', { response: base }) +
      ev('response.output_item.added', { output_index: 0, item: { id: 'msg_1', type: 'message', role: 'assistant', content: [] } }) +
      ev('response.output_text.delta', { item_id: 'msg_1', output_index: 0, content_index: 0, delta: text.slice(0, 6) }) +
      ev('response.output_text.delta', { item_id: 'msg_1', output_index: 0, content_index: 0, delta: text.slice(6) });
    const output = [msg];
    if (!lastOut && Array.isArray(body?.tools) && body.tools.length) {
      const fc = { id: 'fc_1', type: 'function_call', call_id: 'call_r1', name: body.tools[0].name, arguments: '' };
      sse += ev('response.output_item.added', { output_index: 1, item: fc }) +
        ev('response.function_call_arguments.delta', { item_id: 'fc_1', output_index: 1, delta: '{"city":' }) +
        ev('response.function_call_arguments.delta', { item_id: 'fc_1', output_index: 1, delta: '"Oslo"}' }) +
        ev('response.output_item.done', { output_index: 1, item: { ...fc, arguments: '{"city":"Oslo"}' } });
      output.push(/** @type {any} */ ({ ...fc, arguments: '{"city":"Oslo"}' }));
    }
    sse += ev('response.completed', { response: { ...base, status: 'completed', output, usage: { input_tokens: 7, output_tokens: 3, total_tokens: 10 } } });
    res.socket?.setNoDelay(true);
    res.writeHead(200, attributionHeaders(model));
    res.end(sse + trailers(model));
  }

  const server = http.createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      const path = new URL(req.url ?? '/', 'http://x').pathname.replace(/\/+$/, '');
      /** @type {any} */
      let body;
      try {
        body = raw ? JSON.parse(raw) : undefined;
      } catch {
        body = raw;
      }
      state.requests.push({ method: req.method ?? 'GET', path, auth: req.headers.authorization, body });
      if (path.startsWith('/v1')) {
        const auth = req.headers.authorization;
        if (auth !== `Bearer ${state.key}`) {
          json(res, 401, { error: { message: 'Invalid API key', type: 'invalid_request_error', code: 'invalid_api_key' } });
          return;
        }
      }
      if (path === '/v1/models') json(res, 200, { object: 'list', data: state.models });
      else if (path === '/v1/combos') json(res, 200, { object: 'list', data: state.combos });
      else if (path === '/v1/chat/completions' && req.method === 'POST') chat(res, body);
      else if (path === '/v1/responses' && req.method === 'POST') responses(res, body);
      else json(res, 404, { error: { message: `no route ${path}` } });
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)));
  const addr = /** @type {import('node:net').AddressInfo} */ (server.address());
  return {
    state,
    baseURL: `http://127.0.0.1:${addr.port}/v1`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve(undefined));
      }),
  };
}

module.exports = { startMockGateway, TEST_KEY };
