// The extension with the REAL omniroute-rpc and a loopback mock gateway; Pi's ExtensionAPI is a
// recording stand-in (the real Pi runs in pi-real.test.js and tests/e2e/pi.test.mjs).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { setupExtension } from '../lib/extension.js';
import { NO_KEY } from '../lib/key.js';
import { startMockGateway, TEST_KEY } from './helpers/mock-gateway.js';
import { requireBinary, sandbox, fakePi, until, alive, RPC_BIN, TEE_BIN } from './helpers/env.js';

/** @type {Awaited<ReturnType<typeof startMockGateway>>} */ let gw;
const boxes = [];
before(async () => {
  requireBinary();
  gw = await startMockGateway();
});
after(async () => {
  await gw?.close();
  for (const b of boxes) b.cleanup();
});

function box(label) {
  const b = sandbox(label);
  boxes.push(b);
  return b;
}
const opts = (extra = {}) => JSON.stringify({ baseURL: gw.baseURL, modelsDev: { enabled: false }, ...extra });

/** Run the factory; returns the fake pi, the state, stderr lines, and a shutdown function. */
async function load(env, cwd) {
  const pi = fakePi();
  const lines = [];
  const state = await setupExtension(pi, { env, cwd, stderr: (l) => lines.push(l) });
  const pid = state.client?.pid;
  return {
    pi, state, lines, pid,
    shutdown: async () => {
      await pi.emit('session_shutdown', { reason: 'quit' });
    },
  };
}

test('the factory registers every chat model of the catalogue with its limits (combo = lowest common)', async (t) => {
  const b = box('pi-ext-list');
  const env = { ...b.env, OMNIROUTE_RPC_BIN: RPC_BIN, OMNIROUTE_OPTIONS: opts() };
  const x = await load(env, b.cwd);
  t.after(x.shutdown);
  assert.equal(x.pi.providers.length, 1, x.lines.join('\n'));
  const { name, config } = x.pi.providers[0];
  assert.equal(name, 'omniroute');
  assert.equal(config.baseUrl, gw.baseURL);
  assert.equal(config.api, 'openai-completions');
  const m = new Map(config.models.map((/** @type {any} */ x) => [x.id, x]));
  assert.deepEqual([...m.keys()], ['pi-combo', 'cc/claude-sonnet-4-5', 'gh/gpt-4.1', 'mystery/unknown-model'], 'no embedding model');
  assert.deepEqual(m.get('cc/claude-sonnet-4-5'), {
    id: 'cc/claude-sonnet-4-5', name: 'cc/claude-sonnet-4-5', reasoning: true, input: ['text', 'image'],
    cost: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 }, contextWindow: 200000, maxTokens: 64000,
  });
  const combo = m.get('pi-combo');
  assert.equal(combo.contextWindow, 128000, 'min of the members');
  assert.equal(combo.maxTokens, 16384, 'min of the members, not the 8192 placeholder');
  assert.equal(combo.reasoning, false, 'gh/gpt-4.1 has no reasoning');
  assert.deepEqual(combo.input, ['text'], 'gh/gpt-4.1 has no vision');
  assert.deepEqual(m.get('mystery/unknown-model').maxTokens, 4096, 'unknown -> default');
  assert.equal(x.state.key?.source, 'none');
  assert.equal(config.apiKey, NO_KEY);
  assert.deepEqual(config.headers, { Authorization: '' }, 'key-less: an empty Authorization replaces the placeholder Bearer');
  assert.ok(x.pi.commands.has('omniroute'));
});

test('key from OMNIROUTE_API_KEY: Pi gets the variable name, the value never leaves the environment', async (t) => {
  const b = box('pi-ext-envkey');
  gw.state.requests.length = 0;
  const env = { ...b.env, OMNIROUTE_RPC_BIN: RPC_BIN, OMNIROUTE_OPTIONS: opts(), OMNIROUTE_API_KEY: TEST_KEY };
  const x = await load(env, b.cwd);
  t.after(x.shutdown);
  const cfg = x.pi.providers[0].config;
  assert.equal(cfg.apiKey, 'OMNIROUTE_API_KEY');
  assert.equal(cfg.headers, undefined);
  assert.equal(x.state.key?.source, 'env');
  assert.equal(x.state.key?.keyHint, 'sk-…3210');
  assert.ok(gw.hits('/v1/models').length > 0 && gw.hits('/v1/models').every((r) => r.auth === `Bearer ${TEST_KEY}`), 'the service used the env key');
  assert.ok(!JSON.stringify(x.pi.providers).includes(TEST_KEY));
  assert.ok(!x.lines.join('\n').includes(TEST_KEY));
});

test("key from OpenCode's auth.json (where auth.connect stores it) and from OPENCODE_AUTH_CONTENT", async (t) => {
  const b = box('pi-ext-authfile');
  const file = path.join(b.env.XDG_DATA_HOME, 'opencode', 'auth.json');
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify({ other: { type: 'api', key: 'x' }, omniroute: { type: 'api', key: TEST_KEY } }), { mode: 0o600 });
  const env = { ...b.env, OMNIROUTE_RPC_BIN: RPC_BIN, OMNIROUTE_OPTIONS: opts() };
  const x = await load(env, b.cwd);
  t.after(x.shutdown);
  assert.equal(x.state.key?.source, 'authFile');
  assert.equal(x.pi.providers[0].config.apiKey, TEST_KEY);

  const c = box('pi-ext-authcontent');
  const y = await load({ ...c.env, OMNIROUTE_RPC_BIN: RPC_BIN, OMNIROUTE_OPTIONS: opts(), OPENCODE_AUTH_CONTENT: JSON.stringify({ omniroute: { type: 'api', key: 'sk-from-content-0000' } }) }, c.cwd);
  t.after(y.shutdown);
  assert.equal(y.state.key?.source, 'authFile');
  assert.equal(y.pi.providers[0].config.apiKey, 'sk-from-content-0000');
});

test("the option apiKey (a variable name) and Pi's own auth.json win over the service's sources", async (t) => {
  const b = box('pi-ext-optkey');
  gw.state.requests.length = 0;
  const env = { ...b.env, OMNIROUTE_RPC_BIN: RPC_BIN, OMNIROUTE_OPTIONS: opts({ apiKey: 'MY_GATEWAY_KEY' }), MY_GATEWAY_KEY: TEST_KEY, OMNIROUTE_API_KEY: 'sk-other-1111' };
  const x = await load(env, b.cwd);
  t.after(x.shutdown);
  assert.equal(x.state.key?.source, 'option');
  assert.equal(x.pi.providers[0].config.apiKey, 'MY_GATEWAY_KEY', 'Pi resolves the name itself');
  assert.ok(gw.hits('/v1/models').length > 0 && gw.hits('/v1/models').every((r) => r.auth === `Bearer ${TEST_KEY}`), 'catalogue fetched with it');

  const c = box('pi-ext-piauth');
  const piAuth = path.join(c.agentDir, 'auth.json');
  mkdirSync(path.dirname(piAuth), { recursive: true });
  writeFileSync(piAuth, JSON.stringify({ omniroute: { type: 'api_key', key: TEST_KEY } }));
  gw.state.requests.length = 0;
  const y = await load({ ...c.env, OMNIROUTE_RPC_BIN: RPC_BIN, OMNIROUTE_OPTIONS: opts() }, c.cwd);
  t.after(y.shutdown);
  assert.equal(y.state.key?.source, 'piAuth');
  assert.ok(gw.hits('/v1/models').length > 0 && gw.hits('/v1/models').every((r) => r.auth === `Bearer ${TEST_KEY}`));
});

test('options from Pi settings.json: apiMode responses -> openai-responses; rpcBinary; the service warns about a bad option', async (t) => {
  const b = box('pi-ext-settings');
  mkdirSync(b.agentDir, { recursive: true });
  writeFileSync(path.join(b.agentDir, 'settings.json'), JSON.stringify({
    defaultProvider: 'omniroute',
    omniroute: { baseURL: gw.baseURL, modelsDev: { enabled: false }, apiMode: 'responses', rpcBinary: RPC_BIN, modelCacheTtl: 'soon' },
  }));
  const x = await load({ ...b.env }, b.cwd); // no OMNIROUTE_RPC_BIN, no OMNIROUTE_OPTIONS
  t.after(x.shutdown);
  assert.equal(x.pi.providers.length, 1, x.lines.join('\n'));
  assert.equal(x.pi.providers[0].config.api, 'openai-responses');
  assert.equal(x.pi.providers[0].config.baseUrl, gw.baseURL);
  // warnings wait for a session; without a UI they go to stderr
  await x.pi.emit('session_start', { reason: 'startup' }, { hasUI: false });
  assert.match(x.lines.join('\n'), /\[omniroute\] omniroute: .*modelCacheTtl/);
  // with a UI they become notifications
  const notes = [];
  await x.pi.emit('session_start', { reason: 'startup' }, { hasUI: true, ui: { notify: (/** @type {string} */ m, /** @type {string} */ l) => notes.push([l, m]) } });
  assert.deepEqual(notes, [], 'each warning is shown once');
});

test('models/changed from a background refresh re-registers the provider with the new list', async (t) => {
  const b = box('pi-ext-changed');
  const cacheDir = path.join(b.root, 'orpc-cache');
  const options = { baseURL: gw.baseURL, modelsDev: { enabled: false }, cacheDir, modelCacheTtl: 1 };
  // a first process leaves a disk snapshot of today's list
  const first = await load({ ...b.env, OMNIROUTE_RPC_BIN: RPC_BIN, OMNIROUTE_OPTIONS: JSON.stringify(options) }, b.cwd);
  await first.shutdown();
  const saved = structuredClone(gw.state.models);
  t.after(() => {
    gw.state.models = saved;
  });
  gw.state.models = gw.state.models.filter((m) => m.id !== 'mystery/unknown-model');
  gw.state.models.push({ id: 'cc/claude-opus-4-6', object: 'model', created: 1, owned_by: 'claude', root: 'claude-opus-4-6', parent: null, context_length: 1000000, max_input_tokens: 1000000, max_output_tokens: 128000, capabilities: { vision: true, tool_calling: true, reasoning: true } });
  // the next one answers from the snapshot at once, refreshes in the background, gets models/changed
  const x = await load({ ...b.env, OMNIROUTE_RPC_BIN: RPC_BIN, OMNIROUTE_OPTIONS: JSON.stringify(options) }, b.cwd);
  t.after(x.shutdown);
  assert.ok(x.pi.providers[0].config.models.some((/** @type {any} */ m) => m.id === 'mystery/unknown-model'), 'first registration: the snapshot');
  await until(() => x.pi.providers.length >= 2, 're-registration after models/changed');
  const ids = x.pi.providers.at(-1)?.config.models.map((/** @type {any} */ m) => m.id);
  assert.ok(ids.includes('cc/claude-opus-4-6'));
  assert.ok(!ids.includes('mystery/unknown-model'));
  assert.equal(x.pi.providers.at(-1)?.config.models.find((/** @type {any} */ m) => m.id === 'cc/claude-opus-4-6').contextWindow, 1000000);
});

test('/omniroute refresh refetches and re-registers; the status line names source and key source', async (t) => {
  const b = box('pi-ext-cmd');
  const x = await load({ ...b.env, OMNIROUTE_RPC_BIN: RPC_BIN, OMNIROUTE_OPTIONS: opts() }, b.cwd);
  t.after(x.shutdown);
  const before = gw.hits('/v1/models').length;
  const notes = [];
  await x.pi.commands.get('omniroute').handler('refresh', { hasUI: true, ui: { notify: (/** @type {string} */ m, /** @type {string} */ l) => notes.push([l, m]) } });
  assert.equal(x.pi.providers.length, 2);
  assert.ok(gw.hits('/v1/models').length > before, 'went to the gateway');
  assert.match(notes[0][1], /^OmniRoute: 4 models from http:\/\/127\.0\.0\.1:\d+\/v1 \(source live, fetched .*\), key: none$/);
});

test('session_shutdown stops the service (Pi print mode waits for open children)', async () => {
  const b = box('pi-ext-shutdown');
  const x = await load({ ...b.env, OMNIROUTE_RPC_BIN: RPC_BIN, OMNIROUTE_OPTIONS: opts() }, b.cwd);
  assert.ok(x.pid && alive(x.pid));
  await x.shutdown();
  assert.equal(x.state.client, null);
  await until(() => !alive(/** @type {number} */ (x.pid)), 'the service to exit');
});

test('attribution: a request through the provider ends in one usage.record frame to the real service', async () => {
  const b = box('pi-ext-usage');
  const env = { ...b.env, OMNIROUTE_RPC_BIN: TEE_BIN, OMNIROUTE_TEE_TARGET: RPC_BIN, OMNIROUTE_TEE_LOG: b.teeLog, OMNIROUTE_OPTIONS: opts() };
  const x = await load(env, b.cwd);
  const ctx = { hasUI: false, model: { provider: 'omniroute', id: 'pi-combo' }, sessionManager: { getSessionId: () => 'sess-1' } };
  const r = await x.pi.emit('before_provider_request', { payload: { model: 'pi-combo', stream: true, messages: [] } }, ctx);
  assert.deepEqual(r, [undefined], 'the payload is left alone');
  await x.pi.emit('after_provider_response', { status: 200, headers: { 'x-omniroute-model': 'claude-sonnet-4-5' } }, ctx);
  await x.pi.emit('message_update', { assistantMessageEvent: { type: 'text_delta' } }, ctx);
  await x.pi.emit('message_end', { message: { role: 'assistant', provider: 'omniroute', model: 'pi-combo', stopReason: 'stop', usage: { input: 3, output: 2, cacheRead: 0, cacheWrite: 0 } } }, ctx);
  await x.shutdown(); // shutdown is written after the record, and the tee has flushed when the child exits
  await until(() => !alive(/** @type {number} */ (x.pid)), 'the tee to exit');
  const frames = readFileSync(b.teeLog, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const recs = frames.filter((f) => f.method === 'usage.record');
  assert.equal(recs.length, 1);
  assert.equal(recs[0].id, undefined, 'a notification');
  assert.deepEqual(
    { ...recs[0].params, at: 0, latencyMs: 0, ttftMs: 0 },
    { model: 'pi-combo', host: 'pi', at: 0, status: 200, ok: true, latencyMs: 0, ttftMs: 0, sessionId: 'sess-1', stream: true, omniroute: { model: 'claude-sonnet-4-5' }, usage: { prompt_tokens: 3, completion_tokens: 2 } },
  );
  assert.deepEqual(frames.map((f) => f.method), ['initialize', 'initialized', 'auth.status', 'models.list', 'usage.record', 'shutdown', 'exit']);
});

test('no binary: no provider, a clear message now (pi --list-models has no session), no throw', async () => {
  const b = box('pi-ext-nobin');
  const x = await load({ ...b.env, PATH: b.root, OMNIROUTE_OPTIONS: opts() }, b.cwd);
  assert.equal(x.pi.providers.length, 0);
  assert.equal(x.state.client, null);
  assert.match(x.lines.join('\n'), /\[omniroute\] omniroute: omniroute-rpc binary not found\. Searched: .*OMNIROUTE_RPC_BIN/);
  const y = await load({ ...b.env, OMNIROUTE_RPC_BIN: path.join(b.root, 'nope') }, b.cwd);
  assert.equal(y.pi.providers.length, 0);
  assert.match(y.lines.join('\n'), /OMNIROUTE_RPC_BIN points to .*nope, which is not an executable file/);
});

test('a service that dies during start-up: no provider, the reason on stderr, no throw', async () => {
  const b = box('pi-ext-dies');
  const fake = path.join(b.root, 'omniroute-rpc');
  writeFileSync(fake, '#!/bin/sh\necho "boom: cannot start" >&2\nexit 3\n', { mode: 0o755 });
  const x = await load({ ...b.env, OMNIROUTE_RPC_BIN: fake }, b.cwd);
  assert.equal(x.pi.providers.length, 0);
  assert.match(x.lines.join('\n'), /models are unavailable: omniroute-rpc exited \(code 3\); stderr: boom: cannot start/);
  assert.ok(existsSync(fake));
});
