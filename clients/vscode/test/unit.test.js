'use strict';
// The pure parts: SSE parsing, request bodies, catalogue mapping, settings.

const test = require('node:test');
const assert = require('node:assert/strict');
const { parseSse, attributionComment } = require('../lib/sse.js');
const { chatBody, responsesBody, estimateTokens } = require('../lib/messages.js');
const { toChatInformation, toChatInformationList } = require('../lib/catalogue.js');
const { readSettings, OPTION_NAMES } = require('../lib/settings.js');
const { errorMessage } = require('../lib/chat.js');

/** @param {string[]} chunks */
async function sse(chunks) {
  const enc = new TextEncoder();
  async function* body() {
    for (const c of chunks) yield enc.encode(c);
  }
  const out = [];
  for await (const item of parseSse(body())) out.push(item);
  return out;
}

test('SSE: events split anywhere, CRLF across chunks, multi-line data, comments kept', async () => {
  const items = await sse(['data: {"a"', ':1}\r', '\n\r\nevent: x\ndata: l1\ndata: l2\n\n: x-omniroute-model=m', 'ock/a\n: keep-alive\n\ndata: tail']);
  assert.deepEqual(items, [
    { type: 'event', event: 'message', data: '{"a":1}' },
    { type: 'event', event: 'x', data: 'l1\nl2' },
    { type: 'comment', text: 'x-omniroute-model=mock/a' },
    { type: 'comment', text: 'keep-alive' },
    { type: 'event', event: 'message', data: 'tail' },
  ]);
});

test('SSE: multi-byte characters split between chunks', async () => {
  const bytes = Buffer.from('data: héllo 🌍\n\n');
  const enc = [bytes.subarray(0, 8), bytes.subarray(8, 15), bytes.subarray(15)];
  const out = [];
  async function* body() {
    for (const c of enc) yield new Uint8Array(c);
  }
  for await (const item of parseSse(body())) out.push(item);
  assert.deepEqual(out, [{ type: 'event', event: 'message', data: 'héllo 🌍' }]);
});

test('attribution comments: k=v, k: v, k v; others ignored', () => {
  assert.deepEqual(attributionComment('x-omniroute-Tokens-In=5'), ['tokens-in', '5']);
  assert.deepEqual(attributionComment('x-omniroute-model: mock/a'), ['model', 'mock/a']);
  assert.deepEqual(attributionComment('x-omniroute-latency 1ms'), ['latency', '1ms']);
  assert.equal(attributionComment('keep-alive'), null);
  assert.equal(attributionComment('x-other=1'), null);
});

const text = (/** @type {string} */ value) => ({ value });

test('chat body: system role, assistant text + calls, tool results first, modelOptions cannot override', () => {
  const body = chatBody('m', [
    { role: 3, content: [text('be brief')] },
    { role: 1, content: [text('hi')] },
    { role: 2, content: [text(''), { callId: 'c1', name: 'f', input: { a: 1 } }] },
    { role: 1, content: [{ callId: 'c1', content: [text('r1'), { value: { nested: true } }] }, text('and?')] },
    { role: 2, content: [{ mimeType: 'application/x-cache', data: new Uint8Array(1) }] },
  ], { modelOptions: { temperature: 0.2, model: 'evil', stream: false }, tools: [], toolMode: 1 });
  assert.equal(body.model, 'm');
  assert.equal(body.stream, true);
  assert.equal(body.temperature, 0.2);
  assert.equal(body.tools, undefined);
  assert.deepEqual(body.messages, [
    { role: 'system', content: 'be brief' },
    { role: 'user', content: 'hi' },
    { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{"a":1}' } }] },
    { role: 'tool', tool_call_id: 'c1', content: 'r1{"nested":true}' },
    { role: 'user', content: 'and?' },
  ]);
});

test('responses body: instructions, input items in order, images', () => {
  const body = responsesBody('m', [
    { role: 3, content: [text('sys')] },
    { role: 1, content: [text('look'), { mimeType: 'image/jpeg', data: new Uint8Array([1, 2]) }] },
    { role: 2, content: [text('ok'), { callId: 'c', name: 'f', input: {} }] },
    { role: 1, content: [{ callId: 'c', content: [text('done')] }] },
  ], { toolMode: 2, tools: [{ name: 'f', description: 'F' }] });
  assert.equal(body.instructions, 'sys');
  assert.deepEqual(body.input, [
    { role: 'user', content: [{ type: 'input_text', text: 'look' }, { type: 'input_image', image_url: 'data:image/jpeg;base64,AQI=' }] },
    { role: 'assistant', content: [{ type: 'output_text', text: 'ok' }] },
    { type: 'function_call', call_id: 'c', name: 'f', arguments: '{}' },
    { type: 'function_call_output', call_id: 'c', output: 'done' },
  ]);
  assert.equal(body.tool_choice, 'required');
  assert.deepEqual(body.tools, [{ type: 'function', name: 'f', description: 'F', parameters: { type: 'object', properties: {} } }]);
});

test('token estimate: ASCII by 4, other characters by 1', () => {
  assert.equal(estimateTokens('a'.repeat(40)), 10);
  assert.equal(estimateTokens('日本語'), 3);
  assert.equal(estimateTokens({ role: 1, content: [text('abcd')] }), 5);
});

test('catalogue: non-chat dropped, health and prices shown, strings cleaned', () => {
  const list = toChatInformationList(/** @type {any} */ ([
    { id: 'e', name: 'e', kind: 'embedding', provenance: {} },
    {
      id: 'p/m', name: 'M\u001b[31m', kind: 'chat', provenance: {}, contextWindow: 1000000, maxTokens: 32000,
      supportsVision: null, supportsTools: null, pricing: { input: 0.27, output: 1.1, cacheRead: 0.07 },
      health: { state: 'down', reason: 'circuit open', retryAfterMs: 30000, latencyMs: 812.4, successRate: 0.5 },
      releaseDate: '2025-01-02', modelsDev: { provider: 'x', id: 'm-1' },
    },
  ]));
  assert.equal(list.length, 1);
  const m = list[0];
  assert.equal(m.name, 'M [31m');
  assert.equal(m.family, 'm-1');
  assert.equal(m.version, '2025-01-02');
  assert.equal(m.maxInputTokens, 968000);
  assert.deepEqual(m.capabilities, { imageInput: false, toolCalling: true });
  assert.equal(m.detail, '⚠ down: circuit open · $0.27/$1.10 per 1M');
  assert.match(m.tooltip ?? '', /Context: 1M, output: 32k/);
  assert.match(m.tooltip ?? '', /Tools: \?, vision: \?/);
  assert.match(m.tooltip ?? '', /in \$0.27, out \$1.10, cache read \$0.07/);
  assert.match(m.tooltip ?? '', /Health: down \(circuit open\), latency 812 ms, success 50%, retry in 30 s/);
  assert.equal(toChatInformation(/** @type {any} */ ({ id: 'f', name: 'f', kind: 'chat', pricing: { input: 0, output: 0 }, usable: false }))?.detail, '⚠ no usable connection · free');
});

test('settings: only what the user set, OpenCode names, empty strings dropped', () => {
  /** @type {Record<string, unknown>} */
  const user = { baseURL: ' ', apiMode: 'responses', hiddenModels: ['a'], freeOnly: true, rpcBinary: ' /x/bin ', unrelated: 1 };
  const cfg = { inspect: (/** @type {string} */ k) => ({ globalValue: user[k] }) };
  const s = readSettings(/** @type {any} */ (cfg));
  assert.deepEqual(s.options, { apiMode: 'responses', hiddenModels: ['a'], freeOnly: true });
  assert.equal(s.rpcBinary, '/x/bin');
  assert.equal(s.apiMode, 'responses');
  assert.ok(OPTION_NAMES.includes('providersAllow') && OPTION_NAMES.includes('modelMetadata'));
});

test('gateway error bodies → their message', () => {
  assert.equal(errorMessage('{"error":{"message":"bad model"}}'), 'bad model');
  assert.equal(errorMessage('{"error":"nope"}'), 'nope');
  assert.equal(errorMessage('<html><body>502 Bad Gateway</body></html>'), '502 Bad Gateway');
});

test('manifest: every option and command is contributed, with the ids the code uses', () => {
  const pkg = require('../package.json');
  const props = Object.keys(pkg.contributes.configuration.properties).sort();
  assert.deepEqual(props, [...OPTION_NAMES, 'rpcBinary'].map((n) => `omniroute.${n}`).sort());
  assert.deepEqual(pkg.contributes.commands.map((/** @type {any} */ c) => c.command).sort(), ['omniroute.connect', 'omniroute.refreshModels', 'omniroute.showCombo']);
  assert.deepEqual(pkg.contributes.languageModelChatProviders, [{ vendor: 'omniroute', displayName: 'OmniRoute', managementCommand: 'omniroute.connect' }]);
  assert.equal(pkg.name, 'omniroute');
  assert.equal(pkg.publisher, 'omniroute');
  assert.equal(pkg.engines.vscode, '^1.104.0');
});
