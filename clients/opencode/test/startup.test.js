// The plugin's start-up call (lib/startup.js) and mid-session sync (lib/sync.js): unit tests
// with a scripted client, then the config hook against the real omniroute-rpc.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { hermeticProcess, binaryAvailable, RPC_BIN } from './helpers/env.js';
import { startMockGateway, TEST_KEY } from './helpers/mock-gateway.js';
import { OmniRouteRpcError } from '../lib/rpc-client.js';
import {
  STARTUP_MARGIN_MS,
  fallbackProvider,
  forgetProviders,
  rejectsStartupParam,
  rememberProvider,
  startupBudget,
  startupCall,
} from '../lib/startup.js';
import { SYNC_COMMAND, SYNC_TOOL, createSync, diffIds } from '../lib/sync.js';
import { OmniRouteAuthPlugin } from '../lib/plugin.js';

const h = hermeticProcess('omniroute-startup');
const skip = !binaryAvailable() && `omniroute-rpc not usable at ${RPC_BIN}`;
let gw;
before(async () => {
  gw = await startMockGateway();
  process.env.OPENCODE_AUTH_CONTENT = JSON.stringify({ omniroute: { type: 'api', key: TEST_KEY } });
});
after(async () => {
  await gw?.close();
  h.cleanup();
});

/** The -32602 answer of a service that predates `startup` (as the current binary words it). */
const OLD_REJECT = () =>
  new OmniRouteRpcError("opencode.provider: invalid params: field `startup`: unknown field `startup`, expected one of `refresh`, `options`, `apiKey`", {
    code: -32602,
    kind: 'invalid_params',
    data: { field: 'startup', kind: 'invalid_params' },
  });

/**
 * A scripted client: `answer(method, params)` returns a value, or throws.
 * @param {(method: string, params: any) => any} answer
 */
function fakeClient(answer) {
  /** @type {{method: string, params: any, timeoutMs?: number}[]} */
  const calls = [];
  return {
    calls,
    /** @param {string} method @param {any} params @param {{timeoutMs?: number}} [o] */
    async call(method, params, o = {}) {
      calls.push({ method, params, timeoutMs: o.timeoutMs });
      return answer(method, params);
    },
  };
}

const provider = (/** @type {string[]} */ ids) => ({
  name: 'OmniRoute',
  options: { baseURL: 'http://gw.test/v1' },
  models: Object.fromEntries(ids.map((id) => [id, { name: id, limit: { context: 1000, output: 100 } }])),
});

test('rejectsStartupParam: only -32602 naming startup', () => {
  assert.equal(rejectsStartupParam(OLD_REJECT()), true);
  assert.equal(rejectsStartupParam(new OmniRouteRpcError('x: invalid params: startup is wrong', { code: -32602 })), true);
  assert.equal(rejectsStartupParam(new OmniRouteRpcError('x: invalid params: field `refresh`', { code: -32602, data: { field: 'refresh' } })), false);
  assert.equal(rejectsStartupParam(new OmniRouteRpcError('x: startup failed', { code: -32000 })), false);
  assert.equal(rejectsStartupParam(new Error('startup')), false);
  assert.equal(rejectsStartupParam(undefined), false);
});

test('startupBudget stays above the service deadline', () => {
  assert.equal(startupBudget(10000, undefined), 10000);
  assert.equal(startupBudget(10000, 800), 10000);
  assert.equal(startupBudget(10000, 9000), 9000 + STARTUP_MARGIN_MS);
  assert.equal(startupBudget(3000, 20000), 20000 + STARTUP_MARGIN_MS);
  assert.equal(startupBudget(3000, -5), 3000);
  assert.equal(startupBudget(3000, 'x'), 3000);
});

test('startupCall: a new service gets startup:true once', async () => {
  const c = fakeClient(() => ({ provider: provider(['a']), source: 'snapshot' }));
  const r = await startupCall(c, 'opencode.provider', { options: { startupWaitMs: 500 } }, 5000);
  assert.equal(r.source, 'snapshot');
  assert.equal(c.calls.length, 1);
  assert.deepEqual(c.calls[0].params, { options: { startupWaitMs: 500 }, startup: true });
  assert.equal(c.calls[0].timeoutMs, 5000);
});

test('startupCall: an old service (-32602 naming startup) is asked again without it, and not asked with it again', async () => {
  const c = fakeClient((_m, p) => {
    if ('startup' in p) throw OLD_REJECT();
    return { provider: provider(['a']), source: 'live' };
  });
  const r = await startupCall(c, 'opencode.provider', { options: {} }, 5000);
  assert.equal(r.source, 'live');
  assert.deepEqual(c.calls.map((x) => 'startup' in x.params), [true, false]);
  assert.ok(/** @type {number} */ (c.calls[1].timeoutMs) <= 5000);
  await startupCall(c, 'opencode.provider', { options: {} }, 5000);
  assert.deepEqual(c.calls.map((x) => 'startup' in x.params), [true, false, false], 'remembered per client');
});

test('startupCall: other errors are not retried', async () => {
  const c = fakeClient(() => {
    throw new OmniRouteRpcError('opencode.provider: did not answer', { kind: 'timeout' });
  });
  await assert.rejects(startupCall(c, 'opencode.provider', { options: {} }, 100), /did not answer/);
  assert.equal(c.calls.length, 1);
});

test('fallbackProvider: memory first, else the offline snapshot, never the built-in fallback', async () => {
  forgetProviders();
  const snap = fakeClient((_m, p) => {
    assert.equal(p.options.offline, true, 'read without network');
    return { provider: provider(['s1', 's2']), source: 'snapshot' };
  });
  assert.equal(snap.calls.length, 0);
  const a = await fallbackProvider(snap, { options: { baseURL: 'http://gw.test/v1' } }, 10000);
  assert.equal(a?.source, 'snapshot');
  assert.equal(snap.calls[0].timeoutMs, 2000, 'bounded: a fifth of the budget, at most 2 s');
  await fallbackProvider(snap, { options: { baseURL: 'http://gw.test/v1' } }, 500);
  assert.equal(snap.calls[1].timeoutMs, 250, 'at least 250 ms');
  assert.deepEqual(Object.keys(a?.provider.models ?? {}), ['s1', 's2']);

  const builtIn = fakeClient(() => ({ provider: provider(['gpt-4o']), source: 'fallback' }));
  assert.equal(await fallbackProvider(builtIn, { options: { baseURL: 'http://gw.test/v1' } }, 10000), null);
  const failing = fakeClient(() => {
    throw new Error('dead');
  });
  assert.equal(await fallbackProvider(failing, { options: { baseURL: 'http://gw.test/v1' } }, 10000), null);

  rememberProvider('http://GW.test/v1/', provider(['m1']));
  const m = await fallbackProvider(failing, { options: { baseURL: 'http://gw.test/v1' } }, 10000);
  assert.equal(m?.source, 'memory');
  assert.deepEqual(Object.keys(m?.provider.models ?? {}), ['m1']);
  assert.equal(failing.calls.length, 1, 'memory needs no call');
  rememberProvider('http://gw.test/v1', provider([]));
  assert.equal((await fallbackProvider(failing, { options: { baseURL: 'http://gw.test/v1' } }, 10000))?.source, 'memory', 'an empty list never replaces a good one');
  forgetProviders();
});

test('diffIds', () => {
  assert.deepEqual(diffIds(['a', 'b'], ['b', 'c', 'a']), { added: ['c'], removed: [] });
  assert.deepEqual(diffIds(['a', 'b'], ['b']), { added: [], removed: ['a'] });
  assert.deepEqual(diffIds(null, ['x']), { added: ['x'], removed: [] });
});

test('sync: tool reports the diff, reloads once when a session is idle; no change, no reload', async () => {
  let ids = ['a', 'b', 'c'];
  let reloads = 0;
  const c = fakeClient((m, p) => {
    assert.equal(m, 'opencode.provider');
    assert.equal(p.refresh, true);
    return { provider: provider(ids), source: 'live' };
  });
  const s = createSync({ client: () => c, params: () => ({ options: { baseURL: 'http://gw.test/v1' } }, 10000), published: () => ['a', 'b', 'x'], reload: async () => void reloads++, timeoutMs: 1000 });
  const out = await s.tool.execute();
  assert.match(out, /3 models from http:\/\/gw\.test\/v1 \(fresh\)\. New: c\. Gone: x\. OpenCode reloads this project/);
  assert.equal(s.reloadPending, true);
  await s.onEvent({ event: { type: 'session.status', properties: { status: { type: 'busy' } } } });
  assert.equal(reloads, 0, 'not while busy');
  await s.onEvent({ event: { type: 'session.idle', properties: {} } });
  assert.equal(reloads, 1);
  await s.onEvent({ event: { type: 'session.status', properties: { status: { type: 'idle' } } } });
  assert.equal(reloads, 1, 'once per sync');

  ids = ['a', 'b', 'x'];
  assert.match(await s.tool.execute(), /already lists all of them; nothing to reload/);
  assert.equal(s.reloadPending, false);
});

test('sync: a stale answer changes nothing; a failure is a message; without reload the next start is promised', async () => {
  const stale = fakeClient(() => ({ provider: provider(['a', 'z']), source: 'snapshot', warnings: ['gateway timeout'] }));
  const s1 = createSync({ client: () => stale, params: () => ({ options: {} }), published: () => ['a'], reload: async () => {}, timeoutMs: 1000 });
  assert.match(await s1.tool.execute(), /did not give a fresh list \(source snapshot, 2 models\); OpenCode keeps the models it has\. Warnings: gateway timeout\./);
  assert.equal(s1.reloadPending, false);

  const dead = fakeClient(() => {
    throw new Error('omniroute-rpc exited');
  });
  const s2 = createSync({ client: () => dead, params: () => ({ options: {} }), published: () => ['a'], reload: null, timeoutMs: 1000 });
  assert.equal(await s2.tool.execute(), 'OmniRoute sync failed: omniroute-rpc exited');

  const fresh = fakeClient(() => ({ provider: provider(['a', 'n']), source: 'live' }));
  const s3 = createSync({ client: () => fresh, params: () => ({ options: {} }), published: () => ['a'], reload: null, timeoutMs: 1000 });
  assert.match(await s3.tool.execute(), /New: n\. The snapshot on disk is updated: the next OpenCode start lists them\./);
});

test('sync: /omniroute-sync command is added unless the user has one; its hook runs the sync and rewrites the prompt in place', async () => {
  const c = fakeClient(() => ({ provider: provider(['a', 'n']), source: 'live' }));
  const s = createSync({ client: () => c, params: () => ({ options: {} }), published: () => ['a'], reload: async () => {}, timeoutMs: 1000 });
  /** @type {any} */ const cfg = {};
  s.addCommand(cfg);
  assert.match(cfg.command[SYNC_COMMAND].template, new RegExp(SYNC_TOOL));
  const mine = { command: { [SYNC_COMMAND]: { template: 'mine' } } };
  s.addCommand(mine);
  assert.deepEqual(mine.command[SYNC_COMMAND], { template: 'mine' });

  const parts = [{ type: 'text', text: 'template text' }];
  await s.onCommand({ command: 'other' }, { parts });
  assert.equal(parts[0].text, 'template text');
  assert.equal(c.calls.length, 0);
  const same = parts;
  await s.onCommand({ command: SYNC_COMMAND }, { parts });
  assert.equal(parts, same);
  assert.match(parts[0].text, /has already run; do not call omniroute_sync\. Its result:\nOmniRoute: 2 models .*New: n\./s);
  assert.equal(s.reloadPending, true);
});

test('config hook against the current binary: startup param falls back, provider is filled', { skip }, async () => {
  const hooks = await OmniRouteAuthPlugin({ directory: h.root }, {});
  /** @type {any} */ const cfg = { provider: { omniroute: { options: { baseURL: gw.baseURL, modelsDev: { enabled: false }, startupWaitMs: 700 } } } };
  await hooks.config(cfg);
  assert.ok('gh/gpt-4.1' in cfg.provider.omniroute.models);
  assert.equal(cfg.provider.omniroute.options.startupWaitMs, 700, 'the user option stays');
  assert.ok(cfg.command[SYNC_COMMAND], '/omniroute-sync added');
  assert.equal(typeof hooks.tool?.[SYNC_TOOL]?.execute, 'function');
  await hooks.dispose();
});

test('config hook: a hanging gateway after a warm snapshot publishes the snapshot, not an empty provider', { skip }, async () => {
  forgetProviders();
  const slow = await startMockGateway();
  try {
    const options = { baseURL: slow.baseURL, modelsDev: { enabled: false }, requestTimeoutMs: 60000 };
    const warm = await OmniRouteAuthPlugin({ directory: h.root }, {});
    /** @type {any} */ const cfg1 = { provider: { omniroute: { options } } };
    await warm.config(cfg1);
    await warm.dispose();
    const want = Object.keys(cfg1.provider.omniroute.models).sort();
    assert.ok(want.includes('gh/gpt-4.1'));

    forgetProviders(); // a new OpenCode process: nothing in memory, only the disk snapshot
    slow.state.modelsDelayMs = 120000;
    const hooks = await OmniRouteAuthPlugin({ directory: h.root }, {});
    /** @type {any} */ const cfg2 = { provider: { omniroute: { options: { ...options, startupTimeoutMs: 1500 } } } };
    await hooks.config(cfg2);
    assert.deepEqual(Object.keys(cfg2.provider.omniroute.models).sort(), want);
    await hooks.dispose();
  } finally {
    await slow.close();
  }
});
