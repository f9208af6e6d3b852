// The plugin's hooks against the real omniroute-rpc and the mock gateway.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { hermeticProcess, binaryAvailable, RPC_BIN } from './helpers/env.js';
import { startMockGateway, TEST_KEY } from './helpers/mock-gateway.js';
import OmniRouteAuthPluginDefault, { OmniRouteAuthPlugin } from '../index.js';
import { NO_KEY_MESSAGE, mergeProvider, filterHint, hasViewFilter, HINT_MIN_MODELS } from '../lib/plugin.js';

const h = hermeticProcess('omniroute-plugin');
const skip = !binaryAvailable() && `omniroute-rpc not usable at ${RPC_BIN}`;
let gw;
/** @type {any[]} */
const logs = [];
const input = () => ({ directory: h.root, client: { app: { log: async (/** @type {any} */ x) => logs.push(x.body) } } });

before(async () => {
  gw = await startMockGateway();
  process.env.OPENCODE_AUTH_CONTENT = JSON.stringify({ omniroute: { type: 'api', key: TEST_KEY } });
});
after(async () => {
  await gw?.close();
  h.cleanup();
});

test('root exports only the plugin function (default and named are the same)', () => {
  assert.equal(typeof OmniRouteAuthPlugin, 'function');
  assert.equal(OmniRouteAuthPluginDefault, OmniRouteAuthPlugin);
});

test('mergeProvider: user fields and user-declared models win, nested records merged', () => {
  const svc = {
    name: 'OmniRoute', npm: '@ai-sdk/openai-compatible', env: ['OMNIROUTE_API_KEY'], options: { baseURL: 'http://a/v1' },
    models: { m1: { name: 'M1', limit: { context: 10, output: 5 }, cost: { input: 1, output: 2 } }, m2: { name: 'M2', limit: { context: 1, output: 1 } } },
  };
  const user = { name: 'Mine', options: { baseURL: 'http://b/v1', timeout: 5 }, models: { m1: { name: 'Mine1', limit: { context: 7 } }, m3: { name: 'M3' } } };
  const out = mergeProvider(user, svc);
  assert.equal(out.name, 'Mine');
  assert.equal(out.npm, '@ai-sdk/openai-compatible');
  assert.deepEqual(out.options, { baseURL: 'http://b/v1', timeout: 5 });
  assert.deepEqual(out.models.m1, { name: 'Mine1', limit: { context: 7, output: 5 }, cost: { input: 1, output: 2 } });
  assert.deepEqual(out.models.m2, svc.models.m2);
  assert.deepEqual(out.models.m3, { name: 'M3' });
});

test('config hook fills provider.omniroute from the service and keeps user fields', { skip }, async () => {
  const hooks = await OmniRouteAuthPlugin(input(), {});
  const cfg = {
    provider: {
      omniroute: {
        name: 'My OmniRoute',
        options: { baseURL: gw.baseURL, modelsDev: { url: gw.modelsDevURL }, someSdkOption: 'kept' },
        models: {
          'gh/gpt-4.1': { name: 'Custom GPT-4.1', limit: { context: 1000 } },
          'user-only': { name: 'Declared by the user', limit: { context: 5000, output: 500 } },
        },
      },
      other: { name: 'Other', options: { baseURL: 'http://127.0.0.1:9/v1' } },
    },
  };
  await hooks.config(cfg);
  const p = cfg.provider.omniroute;
  assert.equal(p.name, 'My OmniRoute');
  assert.equal(p.npm, '@ai-sdk/openai-compatible');
  assert.deepEqual(p.env, ['OMNIROUTE_API_KEY']);
  assert.equal(p.options.baseURL, gw.baseURL);
  assert.equal(p.options.someSdkOption, 'kept');
  assert.deepEqual(cfg.provider.other, { name: 'Other', options: { baseURL: 'http://127.0.0.1:9/v1' } });

  const m = p.models;
  assert.ok(!('openai/text-embedding-3-small' in m), 'non-chat models are left out');
  // models.dev enrichment (the gateway says nothing about this one)
  assert.deepEqual(m['cx/gpt-5.1-codex-mini'].limit, { context: 400000, output: 128000 });
  // gateway metadata
  assert.deepEqual(m['cc/claude-sonnet-4-5'].limit, { context: 200000, output: 64000 });
  assert.ok(m['cc/claude-sonnet-4-5'].modalities.input.includes('image'));
  // user-declared model: user fields win, the service fills the rest
  assert.equal(m['gh/gpt-4.1'].name, 'Custom GPT-4.1');
  assert.equal(m['gh/gpt-4.1'].limit.context, 1000);
  assert.equal(m['gh/gpt-4.1'].limit.output, 16384);
  assert.deepEqual(m['user-only'], { name: 'Declared by the user', limit: { context: 5000, output: 500 } });
  // the combo: lowest common limits of its members
  assert.deepEqual(m['coding-combo'].limit, { context: 128000, output: 16384 });
  for (const [id, model] of Object.entries(m)) {
    assert.equal(typeof model.limit?.context, 'number', `${id} has limit.context`);
    assert.equal(typeof model.limit?.output, 'number', `${id} has limit.output`);
  }
  await hooks.dispose();
});

test('config hook: apiMode responses selects @ai-sdk/openai; plugin options are used, provider options win', { skip }, async () => {
  const hooks = await OmniRouteAuthPlugin(input(), { baseURL: 'http://127.0.0.1:9/v1', apiMode: 'responses', modelsDev: { enabled: false } });
  const cfg = { provider: { omniroute: { options: { baseURL: gw.baseURL } } } };
  await hooks.config(cfg);
  assert.equal(cfg.provider.omniroute.npm, '@ai-sdk/openai');
  assert.ok('gh/gpt-4.1' in cfg.provider.omniroute.models);
  // only plugin options
  const cfg2 = {};
  const hooks2 = await OmniRouteAuthPlugin(input(), { baseURL: gw.baseURL, modelsDev: { enabled: false } });
  await hooks2.config(cfg2);
  assert.equal(/** @type {any} */ (cfg2).provider.omniroute.options.baseURL, gw.baseURL);
  assert.ok('cc/claude-sonnet-4-5' in /** @type {any} */ (cfg2).provider.omniroute.models);
  await hooks.dispose();
  await hooks2.dispose();
});

test('auth hook: provider, method label, loader', async () => {
  const hooks = await OmniRouteAuthPlugin(input(), {});
  assert.equal(hooks.auth.provider, 'omniroute');
  assert.equal(hooks.auth.methods.length, 1);
  assert.equal(hooks.auth.methods[0].type, 'api');
  assert.equal(hooks.auth.methods[0].label, 'OmniRoute API Key');
  const { fetch: attributed, ...r } = await hooks.auth.loader(async () => ({ type: 'api', key: 'sk-abc' }), { options: { baseURL: 'http://gw:1/v1' } });
  assert.deepEqual(r, { apiKey: 'sk-abc', baseURL: 'http://gw:1/v1' });
  assert.equal(typeof attributed, 'function', 'the usage-attribution fetch (attribution.test.js)');
  const { fetch: _f, ...d } = await hooks.auth.loader(async () => ({ type: 'api', key: 'sk-abc' }), {});
  assert.deepEqual(d, { apiKey: 'sk-abc', baseURL: 'http://localhost:20128/v1' });
  const off = await hooks.auth.loader(async () => ({ type: 'api', key: 'sk-abc' }), { options: { recordUsage: false } });
  assert.deepEqual(off, { apiKey: 'sk-abc', baseURL: 'http://localhost:20128/v1' }, 'recordUsage: false leaves fetch alone');
  await assert.rejects(hooks.auth.loader(async () => undefined, {}), { message: NO_KEY_MESSAGE });
  await assert.rejects(hooks.auth.loader(async () => ({ type: 'oauth', access: 'x' }), {}), /No API key available\. Please run '\/connect omniroute'/);
  await hooks.dispose();
});

test('authorize checks a key without storing it', { skip }, async () => {
  const hooks = await OmniRouteAuthPlugin(input(), { baseURL: gw.baseURL, modelsDev: { enabled: false } });
  await hooks.config({});
  const authorize = hooks.auth.methods[0].authorize;
  assert.deepEqual(await authorize({ key: TEST_KEY }), { type: 'success', key: TEST_KEY });
  assert.deepEqual(await authorize({ key: 'sk-wrong-key' }), { type: 'failed' });
  // OpenCode 1.18.33 passes only prompt answers: the typed key is stored by OpenCode itself
  assert.deepEqual(await authorize({}), { type: 'success' });
  assert.equal(existsSync(path.join(/** @type {string} */ (process.env.XDG_DATA_HOME), 'opencode', 'auth.json')), false, 'nothing written');
  assert.ok(gw.state.requests.some((r) => r.auth === 'Bearer sk-wrong-key'), 'the wrong key reached the gateway');
  await hooks.dispose();
});

test('dispose ends the service, the next hook call respawns it', { skip }, async () => {
  const hooks = await OmniRouteAuthPlugin(input(), { baseURL: gw.baseURL, modelsDev: { enabled: false } });
  const cfg1 = {};
  await hooks.config(cfg1);
  await hooks.dispose();
  const cfg2 = {};
  await hooks.config(cfg2);
  assert.deepEqual(Object.keys(/** @type {any} */ (cfg2).provider.omniroute.models).sort(), Object.keys(/** @type {any} */ (cfg1).provider.omniroute.models).sort());
  await hooks.dispose();
});

test('hasViewFilter / filterHint: only a long list with no filter gets the hint', () => {
  assert.equal(hasViewFilter({}), false);
  assert.equal(hasViewFilter({ view: 'all', visibleModels: [], toolsOnly: false }), false);
  assert.equal(hasViewFilter({ view: 'curated' }), true);
  assert.equal(hasViewFilter({ hiddenModels: ['x'] }), true);
  assert.equal(hasViewFilter({ features: { freeOnly: true } }), true, "the OmniRoute plugin's features block");
  assert.equal(filterHint(HINT_MIN_MODELS, {}), undefined);
  assert.equal(filterHint(HINT_MIN_MODELS + 1, { providersAllow: ['cx'] }), undefined);
  const hint = filterHint(742, { baseURL: 'http://x/v1' });
  assert.match(String(hint), /742 chat models/);
  assert.match(String(hint), /"view": "curated"/);
  assert.match(String(hint), /"visibleModels"/);
});

test('config hook: filters reach the service; the hint is logged once for a long list without a filter', { skip }, async () => {
  const many = [];
  for (let i = 0; i <= HINT_MIN_MODELS; i++) {
    many.push({ id: `bulk/m-${i}`, object: 'model', created: 0, owned_by: 'bulk', capabilities: { tool_calling: i % 2 === 0 } });
  }
  const big = await startMockGateway({ models: many, combos: [] });
  try {
    logs.length = 0;
    const hooks = await OmniRouteAuthPlugin(input(), {});
    const opts = { baseURL: big.baseURL, modelsDev: { enabled: false } };
    const cfg = { provider: { omniroute: { options: opts } } };
    await hooks.config(cfg);
    assert.equal(Object.keys(cfg.provider.omniroute.models).length, HINT_MIN_MODELS + 1);
    await hooks.config({ provider: { omniroute: { options: opts } } });
    await hooks.dispose();
    const hints = logs.filter((l) => String(l.message).includes('chat models in the picker'));
    assert.equal(hints.length, 1, JSON.stringify(logs));

    logs.length = 0;
    const hooks2 = await OmniRouteAuthPlugin(input(), {});
    const cfg2 = { provider: { omniroute: { options: { ...opts, toolsOnly: true } } } };
    await hooks2.config(cfg2);
    await hooks2.dispose();
    assert.equal(Object.keys(cfg2.provider.omniroute.models).length, Math.floor(HINT_MIN_MODELS / 2) + 1);
    assert.ok(!logs.some((l) => String(l.message).includes('chat models in the picker')), JSON.stringify(logs));
  } finally {
    await big.close();
  }
});
