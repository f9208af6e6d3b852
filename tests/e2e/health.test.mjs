// Issue 15 against the REAL OmniRoute 3.7.9 (login off, loopback): its monitoring endpoint parsed
// for real, a provider whose upstream answers 500 shows `down` once OmniRoute opens its circuit
// breaker (threshold lowered to 1 through the gateway's own PATCH /api/resilience), a 429 upstream
// shows the lockout, and prices and display names come from /api/pricing(/models).
//
//   node --test --test-concurrency=1 tests/e2e/health.test.mjs      (tests/e2e/run.sh does this)

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { requireBinary, startStack, hermeticDirs, RpcClient, closeAllClients, byId, gw, TEST_KEY } from './lib.mjs';

/** @type {Awaited<ReturnType<typeof startStack>>} */ let stack;
/** @type {http.Server[]} */ const upstreams = [];
const OWN_STATE_DIR = !process.env.OMNIROUTE_E2E_STATE_DIR;
const stateDir = process.env.OMNIROUTE_E2E_STATE_DIR || mkdtempSync(path.join(os.tmpdir(), 'omniroute-e2e-state-'));
const dirs = [];

/** An OpenAI-compatible upstream on 127.0.0.1 that lists `model` and fails every completion with `status`. */
function failingUpstream(model, status) {
  return new Promise((resolve) => {
    const s = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        if (req.url.endsWith('/models')) {
          res.writeHead(200, { 'content-type': 'application/json' });
          return res.end(JSON.stringify({ object: 'list', data: [{ id: model, object: 'model' }] }));
        }
        const headers = { 'content-type': 'application/json' };
        if (status === 429) headers['retry-after'] = '120';
        res.writeHead(status, headers);
        res.end(JSON.stringify({ error: { message: `upstream failing (${status})`, type: 'server_error' } }));
      });
    });
    s.listen(0, '127.0.0.1', () => {
      upstreams.push(s);
      resolve(`http://127.0.0.1:${/** @type {any} */ (s.address()).port}/v1`);
    });
  });
}

/** Adds a provider node with `prefix` at `baseUrl`, a connection and `model`. */
async function addProvider(prefix, baseUrl, model) {
  const node = await gw(stack.origin, 'POST', '/api/provider-nodes', { name: `health-${prefix}`, prefix, apiType: 'chat', type: 'openai-compatible', baseUrl });
  assert.ok([200, 201].includes(node.status), `provider node: ${node.status} ${node.text.slice(0, 200)}`);
  const id = (node.json.node ?? node.json).id;
  const conn = await gw(stack.origin, 'POST', '/api/providers', { provider: id, apiKey: 'sk-fake', name: `health-${prefix}-conn` });
  assert.ok([200, 201].includes(conn.status), `connection: ${conn.status}`);
  const m = await gw(stack.origin, 'POST', '/api/provider-models', { provider: id, modelId: model });
  assert.ok([200, 201].includes(m.status), `model: ${m.status}`);
  return id;
}

async function chat(model) {
  const r = await fetch(`${stack.baseURL}/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TEST_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model, stream: false, messages: [{ role: 'user', content: 'hi' }] }),
    signal: AbortSignal.timeout(60000),
  });
  await r.text();
  return r.status;
}

before(async () => {
  requireBinary();
  stack = await startStack(stateDir);
}, { timeout: 1500000 });

after(async () => {
  await closeAllClients();
  for (const s of upstreams) s.close();
  await stack?.stop();
  for (const d of dirs) d.cleanup();
  if (OWN_STATE_DIR) rmSync(stateDir, { recursive: true, force: true });
});

function client() {
  const h = hermeticDirs('omniroute-e2e-health', stateDir);
  dirs.push(h);
  return new RpcClient(h.env, { OMNIROUTE_API_KEY: TEST_KEY });
}

const opts = (extra = {}) => ({ baseURL: stack.baseURL, modelsDev: { enabled: false }, requestTimeoutMs: 15000, healthTtl: 1, ...extra });

test('real 3.7.9: monitoring parsed, gateway prices and names merged, every model ok at first', async () => {
  const c = client();
  const list = await c.ok('models.list', { options: opts(), refresh: true });
  const m = byId(list);
  const gpt = m.get('openai/gpt-5.5');
  assert.equal(gpt.provenance.pricing, 'gateway', JSON.stringify(gpt));
  assert.deepEqual(gpt.pricing, { input: 5, output: 30, cacheRead: 0.5, cacheWrite: 5 });
  assert.equal(gpt.name, 'GPT-5.5');
  assert.equal(gpt.provenance.name, 'gateway');
  assert.equal(gpt.usable, true);
  assert.equal(m.get('mock/mock-small').usable, true);
  assert.ok(!list.warnings.some((w) => /^\/api\/(pricing|providers)/.test(w)), list.warnings.join('\n'));

  const h = await c.ok('models.health', { options: opts() });
  assert.equal(h.gatewayVersion, '3.7.9');
  assert.equal(h.models['mock/mock-small'].state, 'ok');
  assert.equal(h.models['openai/gpt-5.5'].state, 'ok');
  assert.ok(!h.warnings.some((w) => w.startsWith('/api/monitoring')), h.warnings.join('\n'));
  await c.close();
});

test('real 3.7.9: an upstream answering 500 opens the breaker → down; 429 → lockout; combos and OpenCode marks follow', async () => {
  const r = await gw(stack.origin, 'PATCH', '/api/resilience', { providerBreaker: { apikey: { failureThreshold: 1, resetTimeoutMs: 600000 } }, waitForCooldown: { enabled: false } });
  assert.equal(r.status, 200, r.text.slice(0, 300));
  await addProvider('hbad', await failingUpstream('hbad-model', 500), 'hbad-model');
  await addProvider('hlim', await failingUpstream('hlim-model', 429), 'hlim-model');
  const combo = await gw(stack.origin, 'POST', '/api/combos', { name: 'health-mixed', models: ['hbad/hbad-model', 'mock/mock-small'] });
  assert.ok([200, 201].includes(combo.status), combo.text.slice(0, 200));
  const allBad = await gw(stack.origin, 'POST', '/api/combos', { name: 'health-all-bad', models: ['hbad/hbad-model'] });
  assert.ok([200, 201].includes(allBad.status), allBad.text.slice(0, 200));

  let opened = false;
  for (let i = 0; i < 5 && !opened; i++) {
    assert.ok((await chat('hbad/hbad-model')) >= 500);
    const mon = await gw(stack.origin, 'GET', '/api/monitoring/health');
    opened = (mon.json.providerBreakers ?? []).some((b) => b.state === 'OPEN');
  }
  assert.ok(opened, 'OmniRoute did not open a breaker');
  assert.equal(await chat('hlim/hlim-model'), 429);

  const c = client();
  await c.ok('models.list', { options: opts(), refresh: true });
  const h = await c.ok('models.health', { options: opts() });
  const bad = h.models['hbad/hbad-model'];
  assert.equal(bad.state, 'down', JSON.stringify(bad));
  assert.match(bad.reason, /circuit breaker open/);
  assert.ok(bad.retryAfterMs > 0);
  const lim = h.models['hlim/hlim-model'];
  // The lockout lasts a few seconds; if it has already expired the model is back to ok.
  assert.ok(['down', 'ok', 'degraded'].includes(lim.state), JSON.stringify(lim));
  if (lim.state === 'down') assert.match(lim.reason, /locked out: rate_limited/);
  assert.equal(h.models['mock/mock-small'].state, 'ok');
  assert.equal(h.models['health-all-bad'].state, 'down', JSON.stringify(h.models['health-all-bad']));
  assert.equal(h.models['health-mixed'].state, 'degraded');

  const caps = await c.ok('capabilities.compute', { model: 'health-mixed', options: opts({ healthTtl: 600000 }) });
  // the 600 s TTL reading is a different cache window than healthTtl 1: read one first
  const h2 = await c.ok('models.health', { options: opts({ healthTtl: 600000 }) });
  assert.equal(h2.models['hbad/hbad-model'].state, 'down');
  const caps2 = await c.ok('capabilities.compute', { model: 'health-mixed', options: opts({ healthTtl: 600000 }) });
  assert.deepEqual(caps2.downMembers, ['hbad/hbad-model']);
  assert.ok(caps2.upNow, JSON.stringify(caps2));
  assert.ok(caps); // answered without waiting for health

  const block = await c.ok('opencode.provider', { options: opts() });
  assert.equal(block.provider.models['hbad/hbad-model'].name, '✖ hbad/hbad-model');
  assert.equal(block.provider.models['mock/mock-small'].name, 'mock/mock-small');
  const hidden = await c.ok('opencode.provider', { options: opts({ hideUnhealthy: true }) });
  assert.ok(!('hbad/hbad-model' in hidden.provider.models));
  assert.ok(!('health-all-bad' in hidden.provider.models));
  assert.ok('health-mixed' in hidden.provider.models);
  assert.ok(!c.stdout.includes(TEST_KEY) && !c.stderr.includes(TEST_KEY));
  await c.close();
});
