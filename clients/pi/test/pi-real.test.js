// The REAL Pi (pinned @mariozechner/pi-coding-agent from npm, cached under ~/.cache) loading
// this extension with `-e`, headless, against the REAL omniroute-rpc and a loopback mock gateway.
// (tests/e2e/pi.test.mjs does the same against a real OmniRoute 3.7.9.)

import nodeTest, { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync, existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { ensurePi, runPi, piRpc, startPiRpc, parseListModels, PI_VERSION } from './helpers/pi.js';
import { startMockGateway, TEST_KEY, REPLY } from './helpers/mock-gateway.js';
import { requireBinary, sandbox, RPC_BIN, TEE_BIN, PACKAGE_DIR } from './helpers/env.js';

const SKIP = process.env.OMNIROUTE_SKIP_PI === '1';
if (SKIP) console.warn('\n*** OMNIROUTE_SKIP_PI=1: the real-Pi tests are SKIPPED ***\n');
const test = SKIP ? nodeTest.skip : nodeTest;

/** @type {string} */ let cli;
/** @type {Awaited<ReturnType<typeof startMockGateway>>} */ let gw;
const boxes = [];
before(async () => {
  if (SKIP) return;
  requireBinary();
  const t = Date.now();
  cli = ensurePi();
  console.log(`# Pi ${PI_VERSION} ready in ${Date.now() - t} ms (${cli})`);
  gw = await startMockGateway();
}, { timeout: 900000 });
after(async () => {
  await gw?.close();
  for (const b of boxes) b.cleanup();
});

/** a sandbox whose omniroute-rpc is the real one behind the frame logger @param {string} label @param {Record<string, string>} [extra] */
function setup(label, extra = {}) {
  const b = sandbox(label);
  boxes.push(b);
  const env = {
    ...b.env,
    OMNIROUTE_RPC_BIN: TEE_BIN,
    OMNIROUTE_TEE_TARGET: RPC_BIN,
    OMNIROUTE_TEE_LOG: b.teeLog,
    OMNIROUTE_OPTIONS: JSON.stringify({ baseURL: gw.baseURL, modelsDev: { enabled: false } }),
    ...extra,
  };
  const frames = () => (existsSync(b.teeLog) ? readFileSync(b.teeLog, 'utf8').trim().split('\n').map((l) => JSON.parse(l)) : []);
  return { b, env, frames };
}

/** `pi -p --mode json` events @param {string} stdout */
function events(stdout) {
  return stdout.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
}
/** the last assistant message of a json-mode run @param {any[]} evs */
const lastAssistant = (evs) => evs.filter((e) => e.type === 'message_end' && e.message.role === 'assistant').at(-1)?.message;

test('pi --list-models shows the omniroute models with their real limits, the combo included', async () => {
  const { b, env } = setup('pi-real-list');
  const r = await runPi(cli, ['-e', PACKAGE_DIR, '--list-models', 'omniroute'], { env, cwd: b.cwd });
  assert.equal(r.code, 0, r.stderr);
  const models = parseListModels(r.stderr + r.stdout); // Pi 0.73.1 prints the table on stderr
  console.log(`# pi --list-models: ${Math.round(r.ms)} ms`);
  assert.deepEqual([...models.keys()].sort(), ['omniroute/cc/claude-sonnet-4-5', 'omniroute/gh/gpt-4.1', 'omniroute/mystery/unknown-model', 'omniroute/pi-combo']);
  assert.deepEqual(models.get('omniroute/pi-combo'), { provider: 'omniroute', model: 'pi-combo', context: '128K', maxOut: '16.4K', thinking: 'no', images: 'no' });
  assert.deepEqual(models.get('omniroute/cc/claude-sonnet-4-5'), { provider: 'omniroute', model: 'cc/claude-sonnet-4-5', context: '200K', maxOut: '64K', thinking: 'yes', images: 'yes' });
});

test('pi --mode rpc answers get_available_models with the registered models and exits on EOF', async () => {
  const { b, env } = setup('pi-real-rpc', { OMNIROUTE_API_KEY: TEST_KEY });
  const r = await piRpc(cli, [{ id: 'm', type: 'get_available_models' }], { env, cwd: b.cwd, extraArgs: ['-e', PACKAGE_DIR] });
  assert.equal(r.code, 0, r.stderr);
  const resp = r.messages.find((m) => m.type === 'response' && m.command === 'get_available_models');
  assert.ok(resp?.success, JSON.stringify(r.messages).slice(0, 2000));
  const ours = resp.data.models.filter((/** @type {any} */ m) => m.provider === 'omniroute');
  assert.equal(ours.length, 4);
  const combo = ours.find((/** @type {any} */ m) => m.id === 'pi-combo');
  assert.deepEqual(combo, {
    id: 'pi-combo', name: 'pi-combo', api: 'openai-completions', provider: 'omniroute', baseUrl: gw.baseURL, reasoning: false, input: ['text'],
    cost: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 }, contextWindow: 128000, maxTokens: 16384,
  });
});

test('pi -p --mode json: one turn through the combo, the env key on the wire, one usage.record, the service shut down', async () => {
  const { b, env, frames } = setup('pi-real-turn', { OMNIROUTE_API_KEY: TEST_KEY });
  gw.state.requests.length = 0;
  const r = await runPi(cli, ['-e', PACKAGE_DIR, '-p', '--mode', 'json', '--no-session', '--provider', 'omniroute', '--model', 'pi-combo', 'Say hello.'], { env, cwd: b.cwd });
  console.log(`# pi -p turn (chat completions): ${Math.round(r.ms)} ms`);
  assert.equal(r.code, 0, r.stderr);
  const msg = lastAssistant(events(r.stdout));
  assert.equal(msg.provider, 'omniroute');
  assert.equal(msg.model, 'pi-combo');
  assert.equal(msg.stopReason, 'stop', msg.errorMessage);
  assert.deepEqual(msg.content, [{ type: 'text', text: REPLY }]);
  const chats = gw.hits('/v1/chat/completions');
  assert.equal(chats.length, 1);
  assert.equal(chats[0].auth, `Bearer ${TEST_KEY}`);
  assert.equal(chats[0].body.model, 'pi-combo');
  assert.equal(chats[0].body.stream, true);

  const f = frames();
  const recs = f.filter((x) => x.method === 'usage.record').map((x) => x.params);
  assert.equal(recs.length, 1, JSON.stringify(f));
  const rec = recs[0];
  assert.equal(typeof rec.at, 'number');
  assert.match(rec.sessionId, /^[0-9a-f-]{36}$/, 'Pi session id (in memory with --no-session)');
  delete rec.sessionId;
  assert.ok(rec.latencyMs >= 0 && rec.ttftMs >= 0 && rec.ttftMs <= rec.latencyMs);
  assert.deepEqual(
    { ...rec, at: 0, latencyMs: 0, ttftMs: 0 },
    {
      model: 'pi-combo', host: 'pi', at: 0, status: 200, ok: true, latencyMs: 0, ttftMs: 0, stream: true,
      omniroute: { model: 'claude-sonnet-4-5', provider: 'mock-provider', 'tokens-in': '0', 'tokens-out': '0', 'latency-ms': '0', 'cache-hit': 'false' },
      usage: { prompt_tokens: 11, completion_tokens: 6 },
      bodyModel: 'claude-sonnet-4-5',
    },
  );
  assert.deepEqual(f.slice(-2).map((x) => x.method), ['shutdown', 'exit'], 'closed on session_shutdown');
  assert.ok(!JSON.stringify(f).includes(TEST_KEY), 'the key never goes to the service from the env source');
});

test('key-less open gateway: Pi sends an empty Authorization (never the placeholder) and the turn succeeds', async () => {
  const { b, env } = setup('pi-real-nokey');
  gw.state.requests.length = 0;
  const r = await runPi(cli, ['-e', PACKAGE_DIR, '-p', '--mode', 'json', '--no-session', '--provider', 'omniroute', '--model', 'gh/gpt-4.1', 'Say hello.'], { env, cwd: b.cwd });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(lastAssistant(events(r.stdout)).stopReason, 'stop');
  const chats = gw.hits('/v1/chat/completions');
  assert.equal(chats.length, 1);
  assert.equal(chats[0].auth, '', 'empty header: OmniRoute reads it as no key');
});

test('apiMode "responses" in Pi settings.json: the turn goes to /v1/responses', async () => {
  const { b, env } = setup('pi-real-responses', { OMNIROUTE_API_KEY: TEST_KEY });
  delete env.OMNIROUTE_OPTIONS;
  mkdirSync(b.agentDir, { recursive: true });
  writeFileSync(path.join(b.agentDir, 'settings.json'), JSON.stringify({ omniroute: { baseURL: gw.baseURL, modelsDev: { enabled: false }, apiMode: 'responses' } }));
  gw.state.requests.length = 0;
  const r = await runPi(cli, ['-e', PACKAGE_DIR, '-p', '--mode', 'json', '--no-session', '--provider', 'omniroute', '--model', 'pi-combo', 'Say hello.'], { env, cwd: b.cwd });
  console.log(`# pi -p turn (responses): ${Math.round(r.ms)} ms`);
  assert.equal(r.code, 0, r.stderr);
  const msg = lastAssistant(events(r.stdout));
  assert.equal(msg.api, 'openai-responses');
  assert.equal(msg.stopReason, 'stop', msg.errorMessage);
  assert.deepEqual(msg.content.filter((/** @type {any} */ c) => c.type === 'text').map((/** @type {any} */ c) => c.text), [REPLY]);
  assert.equal(gw.hits('/v1/responses').length, 1);
  assert.equal(gw.hits('/v1/chat/completions').length, 0);
});

test('a rejected key: the turn fails with the gateway error, the record says 401, the key is not in it', async () => {
  const bad = 'sk-wrongwrong0000-aaaaaa-bbbbbbbb';
  const { b, env, frames } = setup('pi-real-401', { OMNIROUTE_OPTIONS: JSON.stringify({ baseURL: gw.baseURL, modelsDev: { enabled: false }, apiKey: bad }) });
  const r = await runPi(cli, ['-e', PACKAGE_DIR, '-p', '--mode', 'json', '--no-session', '--provider', 'omniroute', '--model', 'pi-combo', 'Say hello.'], { env, cwd: b.cwd });
  const msg = lastAssistant(events(r.stdout));
  assert.equal(msg?.stopReason, 'error', r.stdout.slice(-2000));
  const recs = frames().filter((x) => x.method === 'usage.record').map((x) => x.params);
  assert.ok(recs.length >= 1, 'Pi may retry; every attempt is recorded');
  console.log(`# 401 record: ${JSON.stringify(recs[0])}`);
  for (const rec of recs) {
    assert.equal(rec.status, 401);
    assert.equal(rec.ok, false);
    assert.match(rec.error, /401/);
  }
  assert.ok(!JSON.stringify(recs).includes(bad));
  assert.ok(!r.stderr.includes(bad), 'not on stderr either');
});

test('a catalogue change seen by a background refresh reaches the running Pi (re-registered provider)', async (t) => {
  const { b, env, frames } = setup('pi-real-changed');
  const options = { baseURL: gw.baseURL, modelsDev: { enabled: false }, cacheDir: path.join(b.root, 'orpc-cache'), modelCacheTtl: 1 };
  env.OMNIROUTE_OPTIONS = JSON.stringify(options);
  // a first Pi leaves the service's disk snapshot of today's list
  const first = await runPi(cli, ['-e', PACKAGE_DIR, '--list-models', 'omniroute'], { env, cwd: b.cwd });
  assert.equal(first.code, 0, first.stderr);
  rmSync(b.teeLog);
  const saved = structuredClone(gw.state.models);
  t.after(() => {
    gw.state.models = saved;
  });
  gw.state.models.push({ id: 'cc/claude-opus-4-6', object: 'model', created: 1, owned_by: 'claude', root: 'claude-opus-4-6', parent: null, context_length: 1000000, max_input_tokens: 1000000, max_output_tokens: 128000, capabilities: { vision: true, tool_calling: true, reasoning: true } });
  // the next one starts from the snapshot, the service refreshes in the background, models/changed follows
  const pi = startPiRpc(cli, { env, cwd: b.cwd, extraArgs: ['-e', PACKAGE_DIR] });
  try {
    let ids = [];
    for (let i = 0; i < 200; i++) {
      const r = await pi.request({ type: 'get_available_models' });
      assert.ok(r.success, JSON.stringify(r));
      ids = r.data.models.filter((/** @type {any} */ m) => m.provider === 'omniroute').map((/** @type {any} */ m) => m.id);
      if (ids.includes('cc/claude-opus-4-6')) break;
      await new Promise((res) => setTimeout(res, 50));
    }
    assert.ok(ids.includes('cc/claude-opus-4-6'), `the new model reached Pi: ${ids.join(' ')}\n${pi.stderr.slice(-2000)}`);
    const r = await pi.request({ type: 'get_available_models' });
    const opus = r.data.models.find((/** @type {any} */ m) => m.id === 'cc/claude-opus-4-6');
    assert.equal(opus.contextWindow, 1000000);
    assert.equal(opus.maxTokens, 128000);
  } finally {
    const exit = await pi.close();
    assert.equal(exit.code, 0);
  }
  // start-up list (the snapshot) + the one after models/changed: the running provider was re-registered
  assert.deepEqual(frames().filter((f) => f.method === 'models.list').map((f) => f.params), [{ refresh: false }, { refresh: false }]);
});
