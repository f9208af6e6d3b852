// Spawning, timeouts, crashes, restarts, dispose and a missing binary.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { hermeticProcess, binaryAvailable, RPC_BIN, FIXTURES } from './helpers/env.js';
import { startMockGateway, TEST_KEY } from './helpers/mock-gateway.js';
import { RpcClient, OmniRouteRpcError } from '../lib/rpc-client.js';
import { findBinary, BinaryNotFoundError } from '../lib/find-binary.js';
import { OmniRouteAuthPlugin } from '../index.js';

const FAKE = path.join(FIXTURES, 'fake-rpc');
const h = hermeticProcess('omniroute-lifecycle');
let gw;

before(async () => {
  gw = await startMockGateway();
});
after(async () => {
  await gw?.close();
  h.cleanup();
});

/** @param {number} pid */
function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test('a hanging service: initialize times out, the child is killed, the error is clear', async () => {
  const c = new RpcClient({ binary: FAKE, env: { ...process.env, FAKE_RPC_MODE: 'hang-all' }, initTimeoutMs: 300 });
  const t0 = Date.now();
  await assert.rejects(c.call('models.list', {}, { timeoutMs: 5000 }), (e) => {
    assert.ok(e instanceof OmniRouteRpcError);
    assert.equal(e.kind, 'timeout');
    assert.match(e.message, /initialize: omniroute-rpc did not answer within 300 ms/);
    return true;
  });
  assert.ok(Date.now() - t0 < 3000, 'bounded');
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(c.child, null, 'killed after a failed handshake');
});

test('a service that hangs on a call: the call times out, $/cancelRequest is sent, dispose kills it', async () => {
  const c = new RpcClient({ binary: FAKE, env: { ...process.env, FAKE_RPC_MODE: 'hang-after-init' }, disposeGraceMs: 300 });
  const t0 = Date.now();
  await assert.rejects(c.call('opencode.provider', {}, { timeoutMs: 400 }), /opencode\.provider: omniroute-rpc did not answer within \d+ ms/);
  assert.ok(Date.now() - t0 < 2000);
  const pid = c.pid;
  assert.ok(pid && alive(pid), 'child still alive after a call timeout');
  await c.dispose(); // the fake ignores stdin EOF: dispose must kill it
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(alive(pid), false, 'dispose killed the child');
});

test('a crash fails pending calls with the exit status and stderr, the next call respawns', async () => {
  const c = new RpcClient({ binary: FAKE, env: { ...process.env, FAKE_RPC_MODE: 'exit-on-call' } });
  await assert.rejects(c.call('models.list', {}, { timeoutMs: 3000 }), (e) => {
    assert.equal(e.kind, 'service_exited');
    assert.match(e.message, /exited \(code 3\).*exiting on purpose/);
    return true;
  });
  await assert.rejects(c.call('models.list', {}, { timeoutMs: 3000 }), /code 3/);
  assert.equal(c.spawnCount, 2, 'respawned for the second call');
  await c.dispose();
});

test('missing binary: findBinary names every place searched', () => {
  const env = { PATH: '/nonexistent-a:/nonexistent-b' };
  assert.throws(() => findBinary({ env }), (e) => {
    assert.ok(e instanceof BinaryNotFoundError);
    assert.match(e.message, /omniroute-rpc binary not found/);
    assert.match(e.message, /package: .*bin[\\/]\w+-\w+[\\/]omniroute-rpc/);
    assert.match(e.message, /nonexistent-a/);
    assert.match(e.message, /OMNIROUTE_RPC_BIN/);
    assert.match(e.message, /rpcBinary/);
    return true;
  });
  assert.throws(() => findBinary({ env: { OMNIROUTE_RPC_BIN: '/no/such/omniroute-rpc' } }), /OMNIROUTE_RPC_BIN points to \/no\/such\/omniroute-rpc/);
  assert.throws(() => findBinary({ explicit: './nope', baseDir: '/tmp', env }), /option rpcBinary points to \/tmp\/nope/);
  const found = findBinary({ explicit: FAKE, env });
  assert.equal(found.source, 'option');
  // fake-rpc is not named omniroute-rpc: the PATH search must not pick it up
  assert.throws(() => findBinary({ env: { PATH: `/nonexistent:${FIXTURES}` } }), /PATH \(2 directories\)/);
});

test('missing binary: the plugin logs a clear error to OpenCode and leaves the config usable', async () => {
  const saved = process.env.OMNIROUTE_RPC_BIN;
  process.env.OMNIROUTE_RPC_BIN = '/no/such/dir/omniroute-rpc';
  /** @type {any[]} */
  const logs = [];
  const client = { app: { log: async (/** @type {any} */ x) => logs.push(x.body) } };
  try {
    const hooks = await OmniRouteAuthPlugin({ client, directory: h.root }, {});
    const cfg = { provider: { omniroute: { options: { baseURL: gw.baseURL } }, other: { name: 'x' } } };
    await hooks.config(cfg); // must not throw
    // the user's block survives, completed so that OpenCode can still start (no models)
    assert.deepEqual(cfg.provider.omniroute, {
      name: 'OmniRoute', npm: '@ai-sdk/openai-compatible', env: ['OMNIROUTE_API_KEY'],
      options: { baseURL: gw.baseURL }, models: {},
    });
    assert.deepEqual(cfg.provider.other, { name: 'x' });
    await new Promise((r) => setTimeout(r, 20));
    const err = logs.find((l) => l.level === 'error');
    assert.ok(err, 'an error was logged');
    assert.equal(err.service, 'omniroute');
    assert.match(err.message, /omniroute-rpc binary not found: OMNIROUTE_RPC_BIN points to \/no\/such\/dir\/omniroute-rpc/);
    // authorize with a key reports failure instead of throwing
    assert.deepEqual(await hooks.auth.methods[0].authorize({ key: 'sk-x' }), { type: 'failed' });
    await hooks.dispose();
  } finally {
    process.env.OMNIROUTE_RPC_BIN = saved;
  }
});

test('config hook is bounded by startupTimeoutMs when the service hangs', async () => {
  /** @type {any[]} */
  const logs = [];
  const client = { app: { log: async (/** @type {any} */ x) => logs.push(x.body) } };
  process.env.FAKE_RPC_MODE = 'hang-after-init';
  const hooks = await OmniRouteAuthPlugin({ client, directory: h.root }, { rpcBinary: FAKE, startupTimeoutMs: 500 });
  const cfg = { provider: {} };
  const t0 = Date.now();
  await hooks.config(cfg);
  const took = Date.now() - t0;
  assert.ok(took < 2500, `config hook returned in ${took} ms`);
  assert.deepEqual(/** @type {any} */ (cfg.provider).omniroute.models, {});
  await new Promise((r) => setTimeout(r, 20));
  assert.ok(logs.some((l) => l.level === 'error' && /did not answer within/.test(l.message)));
  await hooks.dispose();
  delete process.env.FAKE_RPC_MODE;
});

test('real service: kill the child, the next call respawns it', { skip: !binaryAvailable() && `no binary at ${RPC_BIN}` }, async () => {
  const c = new RpcClient({ binary: RPC_BIN });
  const opts = { baseURL: gw.baseURL, modelsDev: { enabled: false } };
  const r1 = await c.call('models.list', { options: opts, apiKey: TEST_KEY }, { timeoutMs: 15000 });
  assert.ok(r1.models.some((/** @type {any} */ m) => m.id === 'gh/gpt-4.1'));
  const pid1 = c.pid;
  assert.ok(pid1);
  const pending = c.call('models.refresh', { options: opts, apiKey: TEST_KEY }, { timeoutMs: 15000 }).catch((e) => e);
  process.kill(/** @type {number} */ (pid1), 'SIGKILL');
  const r = await pending;
  // the refresh either finished before the kill landed or failed with service_exited
  if (r instanceof Error) assert.equal(/** @type {any} */ (r).kind, 'service_exited');
  await new Promise((res) => setTimeout(res, 100));
  const r2 = await c.call('models.list', { options: opts, apiKey: TEST_KEY }, { timeoutMs: 15000 });
  assert.ok(r2.models.length >= 4);
  assert.notEqual(c.pid, pid1);
  assert.equal(c.spawnCount, 2);
  const pid2 = /** @type {number} */ (c.pid);
  await c.dispose();
  await new Promise((res) => setTimeout(res, 100));
  assert.equal(alive(pid2), false, 'the real service exits on stdin EOF');
});

test('real service: OMNIROUTE_DEBUG=1 forwards the service stderr to the debug log', { skip: !binaryAvailable() && `no binary at ${RPC_BIN}` }, async () => {
  /** @type {string[]} */
  const lines = [];
  const c = new RpcClient({
    binary: RPC_BIN,
    env: { ...process.env, OMNIROUTE_DEBUG: '1' },
    log: (level, msg) => lines.push(`${level} ${msg}`),
  });
  await c.call('models.list', { options: { baseURL: gw.baseURL, modelsDev: { enabled: false } }, apiKey: TEST_KEY }, { timeoutMs: 15000 });
  await c.dispose();
  assert.ok(lines.some((l) => l.startsWith('debug [omniroute-rpc]')), 'stderr lines forwarded: ' + lines.slice(0, 5).join(' / '));
  const quiet = [];
  const c2 = new RpcClient({ binary: RPC_BIN, env: { ...process.env, OMNIROUTE_DEBUG: '' }, log: (l, m) => quiet.push(m) });
  await c2.call('models.list', { options: { baseURL: gw.baseURL, modelsDev: { enabled: false } }, apiKey: TEST_KEY }, { timeoutMs: 15000 });
  await c2.dispose();
  assert.ok(!quiet.some((m) => m.startsWith('[omniroute-rpc]')), 'no stderr forwarding without OMNIROUTE_DEBUG');
});

test('dispose lets a service finishing a refresh go: the host is not held, the child exits on its own', { skip: !binaryAvailable() }, async () => {
  const slow = await startMockGateway();
  try {
    const options = { baseURL: slow.baseURL, modelsDev: { enabled: false }, requestTimeoutMs: 60000, startupWaitMs: 200 };
    const c = new RpcClient({ binary: RPC_BIN, env: process.env });
    const warm = await c.call('models.list', { refresh: true, options, apiKey: TEST_KEY });
    assert.equal(warm.source, 'live');
    slow.state.modelsDelayMs = 120000;
    // a start-up call with a good cache answers at the deadline; the refresh goes on
    const r = await c.call('models.list', { startup: true, options, apiKey: TEST_KEY });
    assert.notEqual(r.source, 'live');
    const pid = c.pid;
    const t0 = Date.now();
    await c.dispose();
    const took = Date.now() - t0;
    assert.ok(took < 1000, `dispose returned in ${took} ms, not after the 1500 ms grace`);
    assert.equal(c.child, null);
    assert.ok(pid && alive(pid), 'the service runs on to finish its refresh');
    process.kill(/** @type {number} */ (pid), 'SIGKILL'); // the test does not wait out its 10 s bound
  } finally {
    await slow.close();
  }
});

test('dispose of a service with nothing long to finish: it exits on EOF by itself, never killed', { skip: !binaryAvailable() }, async () => {
  const c = new RpcClient({ binary: RPC_BIN, env: process.env });
  await c.call('models.list', { refresh: true, options: { baseURL: gw.baseURL, modelsDev: { enabled: false } }, apiKey: TEST_KEY });
  const child = /** @type {import('node:child_process').ChildProcess} */ (c.child);
  const exit = new Promise((r) => child.once('exit', (code, signal) => r({ code, signal })));
  const t0 = Date.now();
  await c.dispose();
  assert.ok(Date.now() - t0 < 1500, 'not the kill path');
  const done = await Promise.race([exit, new Promise((r) => setTimeout(() => r(null), 5000))]);
  assert.deepEqual(done, { code: 0, signal: null }, 'exited with 0 on its own');
});
