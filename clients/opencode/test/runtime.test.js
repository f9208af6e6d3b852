// The /runtime API against the real omniroute-rpc and the mock gateway.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { hermeticProcess, binaryAvailable, RPC_BIN } from './helpers/env.js';
import { startMockGateway, TEST_KEY, defaultModels } from './helpers/mock-gateway.js';
import * as runtime from '../runtime.js';

const h = hermeticProcess('omniroute-runtime');
const skip = !binaryAvailable() && `omniroute-rpc not usable at ${RPC_BIN}`;
let gw;
/** @type {any} */
let config;

before(async () => {
  gw = await startMockGateway();
  config = { baseUrl: gw.baseURL, apiKey: TEST_KEY, apiMode: 'chat', modelsDev: { url: gw.modelsDevURL } };
});
after(async () => {
  await runtime.shutdown();
  await gw?.close();
  h.cleanup();
});

test('constants keep the old values', () => {
  assert.equal(runtime.OMNIROUTE_PROVIDER_ID, 'omniroute');
  assert.equal(runtime.MODEL_CACHE_TTL, 300000);
  assert.equal(runtime.REQUEST_TIMEOUT, 30000);
  assert.deepEqual({ ...runtime.OMNIROUTE_ENDPOINTS }, {
    BASE_URL: 'http://localhost:20128/v1', MODELS: '/models', CHAT_COMPLETIONS: '/chat/completions', RESPONSES: '/responses',
  });
  assert.deepEqual(runtime.OMNIROUTE_DEFAULT_MODELS.map((m) => m.id), ['gpt-4o', 'gpt-4o-mini', 'claude-3-5-sonnet', 'llama-3-1-405b']);
  for (const f of ['fetchModels', 'clearModelCache', 'refreshModels', 'clearComboCache', 'fetchComboData', 'resolveUnderlyingModels',
    'calculateModelCapabilities', 'getCachedModels', 'isCacheValid', 'clearModelsDevCache']) {
    assert.equal(typeof (/** @type {any} */ (runtime))[f], 'function', f);
  }
});

test('fetchModels / getCachedModels / isCacheValid / clearModelCache', { skip }, async () => {
  assert.equal(runtime.getCachedModels(config, TEST_KEY), null);
  assert.equal(runtime.isCacheValid(config, TEST_KEY), false);
  const models = await runtime.fetchModels(config, TEST_KEY);
  const byId = new Map(models.map((m) => [m.id, m]));
  assert.ok(byId.has('gh/gpt-4.1'));
  assert.ok(byId.has('coding-combo'));
  const codex = byId.get('cx/gpt-5.1-codex-mini');
  assert.equal(codex.contextWindow, 400000);
  assert.equal(codex.maxTokens, 128000);
  assert.equal(codex.provenance?.contextWindow, 'models.dev');
  assert.equal(byId.get('cc/claude-sonnet-4-5').supportsVision, true);
  assert.equal(byId.get('openai/text-embedding-3-small')?.kind, 'embedding');
  assert.deepEqual(runtime.getCachedModels(config, TEST_KEY)?.map((m) => m.id), models.map((m) => m.id));
  assert.equal(runtime.isCacheValid(config, TEST_KEY), true);

  // a second fetch within the TTL is served from the service cache: no new /v1/models request
  const before = gw.state.counts['/v1/models'] ?? 0;
  await runtime.fetchModels(config, TEST_KEY);
  assert.equal(gw.state.counts['/v1/models'] ?? 0, before, 'served from cache');
  await runtime.fetchModels(config, TEST_KEY, true);
  assert.equal(gw.state.counts['/v1/models'], before + 1, 'forceRefresh goes to the gateway');

  await runtime.clearModelCache(config, TEST_KEY);
  assert.equal(runtime.getCachedModels(config, TEST_KEY), null);
  assert.equal(runtime.isCacheValid(config, TEST_KEY), false);
});

test('refreshModels picks up a new model', { skip }, async () => {
  gw.state.models = [...defaultModels(), { id: 'ds/deepseek-chat', object: 'model', owned_by: 'deepseek', context_length: 64000, max_output_tokens: 8000 }];
  const models = await runtime.refreshModels(config, TEST_KEY);
  assert.ok(models.some((m) => m.id === 'ds/deepseek-chat'));
  gw.state.models = defaultModels();
  await runtime.refreshModels(config, TEST_KEY);
});

test('combos: fetchComboData, resolveUnderlyingModels, calculateModelCapabilities', { skip }, async () => {
  const combos = await runtime.fetchComboData(config);
  assert.ok(combos instanceof Map);
  const combo = combos.get('coding-combo');
  assert.ok(combo, 'coding-combo listed');
  assert.deepEqual([...combo.models].sort(), ['cc/claude-sonnet-4-5', 'gh/gpt-4.1']);
  assert.equal(combo.strategy, 'priority');

  assert.deepEqual((await runtime.resolveUnderlyingModels('coding-combo', config)).sort(), ['cc/claude-sonnet-4-5', 'gh/gpt-4.1']);
  assert.deepEqual(await runtime.resolveUnderlyingModels('gh/gpt-4.1', config), ['gh/gpt-4.1']);

  const caps = await runtime.calculateModelCapabilities({ id: 'coding-combo' }, config, null);
  assert.equal(caps.contextWindow, 128000);
  assert.equal(caps.maxTokens, 16384);
  assert.equal(caps.supportsTools, true);
  assert.equal(caps.supportsVision, true);
  assert.equal(caps.supportsReasoning, false, 'gpt-4.1 has no reasoning: explicitly false');

  await runtime.clearComboCache();
  await runtime.clearModelsDevCache();
  assert.ok((await runtime.fetchComboData(config))?.has('coding-combo'), 'still works after clearing');
});

test('unreachable gateway: fetchModels serves the fallback models', { skip }, async () => {
  const dead = { baseUrl: 'http://127.0.0.1:9/v1', apiKey: TEST_KEY, apiMode: 'chat', modelsDev: { enabled: false } };
  const models = await runtime.fetchModels(dead, TEST_KEY, true);
  assert.deepEqual(models.map((m) => m.id).sort(), runtime.OMNIROUTE_DEFAULT_MODELS.map((m) => m.id).sort());
  assert.equal(await runtime.fetchComboData(dead).then((m) => m?.size ?? 0), 0);
});

test('models/changed keeps the cached catalogue current', { skip }, async () => {
  const cfg = { ...config, modelCacheTtl: 1 };
  await runtime.fetchModels(cfg, TEST_KEY, true);
  gw.state.models = [...defaultModels(), { id: 'ds/deepseek-reasoner', object: 'model', owned_by: 'deepseek', context_length: 64000, max_output_tokens: 8000 }];
  await new Promise((r) => setTimeout(r, 20));
  // the cached list is older than the TTL: the service answers from the cache and refreshes
  // in the background, then notifies models/changed; the client re-reads the catalogue.
  const { getClient } = await import('../lib/shared.js');
  const client = getClient({});
  const notified = new Promise((resolve) => {
    const off = client.onNotification((method, params) => {
      if (method === 'models/changed') {
        off();
        resolve(params);
      }
    });
  });
  const r = await client.call('models.list', { refresh: false, options: { baseURL: gw.baseURL, modelCacheTtl: 1, modelsDev: { url: gw.modelsDevURL } }, apiKey: TEST_KEY });
  assert.ok(!r.models.some((/** @type {any} */ m) => m.id === 'ds/deepseek-reasoner'), 'served from the cache first');
  const params = /** @type {any} */ (await Promise.race([notified, new Promise((_, rej) => setTimeout(() => rej(new Error('no models/changed within 10 s')), 10000))]));
  assert.ok(params.diff.added.includes('ds/deepseek-reasoner'));
  for (let i = 0; i < 50 && !runtime.getCachedModels(cfg)?.some((m) => m.id === 'ds/deepseek-reasoner'); i++) {
    await new Promise((res) => setTimeout(res, 100));
  }
  assert.ok(runtime.getCachedModels(cfg)?.some((m) => m.id === 'ds/deepseek-reasoner'), 'getCachedModels serves the new list');
  gw.state.models = defaultModels();
});
