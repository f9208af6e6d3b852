// Real OpenCode 1.18.33 with this plugin (file:// spec), the real omniroute-rpc and the mock
// gateway. Set OMNIROUTE_SKIP_OPENCODE=1 to skip (announced loudly).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { hermeticDirs, binaryAvailable, RPC_BIN, PACKAGE_DIR } from './helpers/env.js';
import { startMockGateway, TEST_KEY } from './helpers/mock-gateway.js';
import { ensureOpenCode, runOpenCode, parseVerboseModels, OPENCODE_VERSION } from './helpers/opencode.js';

const SKIP_ENV = process.env.OMNIROUTE_SKIP_OPENCODE === '1';
if (SKIP_ENV) {
  console.warn('\n*** OMNIROUTE_SKIP_OPENCODE=1: the real-OpenCode tests are SKIPPED ***\n');
}
const skip = SKIP_ENV
  ? 'OMNIROUTE_SKIP_OPENCODE=1'
  : !binaryAvailable()
    ? `omniroute-rpc not usable at ${RPC_BIN}`
    : false;

/** @type {string} */ let oc;
let gw;
/** @type {ReturnType<typeof hermeticDirs>[]} */
const dirs = [];

before(async () => {
  if (skip) return;
  oc = ensureOpenCode();
  gw = await startMockGateway();
});
after(async () => {
  await gw?.close();
  for (const d of dirs) d.cleanup();
});

/**
 * @param {Record<string, unknown>} options provider.omniroute.options
 * @param {{ plugin?: boolean }} [o]
 */
function makeEnv(options, o = {}) {
  const h = hermeticDirs('omniroute-opencode');
  dirs.push(h);
  const project = path.join(h.root, 'project');
  mkdirSync(project, { recursive: true });
  const config = {
    $schema: 'https://opencode.ai/config.json',
    ...(o.plugin === false ? {} : { plugin: [pathToFileURL(PACKAGE_DIR).href] }),
    provider: { omniroute: { options } },
  };
  return {
    project,
    env: {
      ...h.env,
      OPENCODE_CONFIG_CONTENT: JSON.stringify(config),
      OPENCODE_AUTH_CONTENT: JSON.stringify({ omniroute: { type: 'api', key: TEST_KEY } }),
      OPENCODE_DISABLE_MODELS_FETCH: '1',
      OPENCODE_DISABLE_AUTOUPDATE: '1',
      npm_config_fetch_retries: '0',
      OMNIROUTE_RPC_BIN: RPC_BIN,
      ...(process.env.OMNIROUTE_DEBUG ? { OMNIROUTE_DEBUG: process.env.OMNIROUTE_DEBUG } : {}),
    },
  };
}

/** @param {any} r */
const show = (r) => `exit ${r.code}${r.signal ? ' ' + r.signal : ''}\nstdout:\n${r.stdout.slice(-3000)}\nstderr:\n${r.stderr.slice(-3000)}`;

test(`opencode ${OPENCODE_VERSION}: models omniroute --verbose lists the gateway's models with the right limits (cold and warm timings)`, { skip, timeout: 300000 }, async (t) => {
  const e = makeEnv({ baseURL: gw.baseURL, modelsDev: { url: gw.modelsDevURL } });
  const logArgs = ['--print-logs', '--log-level', 'INFO'];
  // OMNIROUTE_DEBUG=1: the plugin's start-up summary line (read below for the timings) is a debug line
  const debugEnv = { ...e.env, OMNIROUTE_DEBUG: '1' };
  const cold = await runOpenCode(oc, ['models', 'omniroute', '--verbose', ...logArgs], { env: debugEnv, cwd: e.project });
  assert.equal(cold.code, 0, show(cold));
  const models = parseVerboseModels(cold.stdout, 'omniroute');
  assert.ok(models.size >= 4, show(cold));
  assert.ok(!models.has('openai/text-embedding-3-small'), 'embedding model left out');

  const codex = models.get('cx/gpt-5.1-codex-mini');
  assert.deepEqual(codex.limit.context, 400000, 'models.dev context');
  assert.deepEqual(codex.limit.output, 128000, 'models.dev output');
  assert.equal(codex.api.npm, '@ai-sdk/openai-compatible');

  const claude = models.get('cc/claude-sonnet-4-5');
  assert.equal(claude.limit.context, 200000);
  assert.equal(claude.limit.output, 64000);
  assert.equal(claude.capabilities.input.image, true);

  const combo = models.get('coding-combo');
  assert.ok(combo, 'the combo is listed');
  assert.equal(combo.limit.context, 128000, 'combo: min context of its members');
  assert.equal(combo.limit.output, 16384, 'combo: min output of its members');

  const warm = await runOpenCode(oc, ['models', 'omniroute', ...logArgs], { env: debugEnv, cwd: e.project });
  assert.equal(warm.code, 0, show(warm));
  const warm2 = await runOpenCode(oc, ['models', 'omniroute'], { env: e.env, cwd: e.project });
  assert.equal(warm2.code, 0, show(warm2));
  assert.match(warm.stdout, /omniroute\/coding-combo/);

  // baseline: the same OpenCode without the plugin (no omniroute provider at all)
  const b = makeEnv({ baseURL: gw.baseURL }, { plugin: false });
  const base1 = await runOpenCode(oc, ['models'], { env: b.env, cwd: b.project });
  const base2 = await runOpenCode(oc, ['models'], { env: b.env, cwd: b.project });

  /** the plugin's own line: "provider omniroute: N models (source S, T ms)" */
  const hook = (/** @type {any} */ r) => {
    const m = /provider omniroute: (\d+) models \(source (\w+), (\d+) ms\)/.exec(r.stderr);
    return m ? `${m[3]} ms, ${m[1]} models, source ${m[2]}` : 'no hook line';
  };
  const hookLine = `TIMING config hook (opencode.provider round trip incl. spawn): cold ${hook(cold)}; warm ${hook(warm)}`;
  t.diagnostic(hookLine);
  console.log(hookLine);
  const line =
    `TIMING opencode models omniroute: cold ${cold.ms.toFixed(0)} ms (with --verbose), warm ${warm.ms.toFixed(0)} / ${warm2.ms.toFixed(0)} ms; ` +
    `without the plugin (opencode models): cold ${base1.ms.toFixed(0)} ms, warm ${base2.ms.toFixed(0)} ms`;
  t.diagnostic(line);
  console.log(line);
});

test(`opencode ${OPENCODE_VERSION}: run -m omniroute/gh/gpt-4.1 makes a chat/completions round trip`, { skip, timeout: 300000 }, async () => {
  const e = makeEnv({ baseURL: gw.baseURL, modelsDev: { enabled: false } });
  const n0 = gw.state.requests.length;
  const r = await runOpenCode(oc, ['run', '-m', 'omniroute/gh/gpt-4.1', '--format', 'json', 'hi'], { env: e.env, cwd: e.project, timeoutMs: 180000 });
  assert.equal(r.code, 0, show(r));
  const reqs = gw.state.requests.slice(n0).filter((q) => q.url === '/v1/chat/completions');
  assert.ok(reqs.length >= 1, 'the gateway got /v1/chat/completions\n' + show(r));
  assert.ok(reqs.some((q) => q.body?.model === 'gh/gpt-4.1'), 'for the chosen model');
  assert.ok(reqs.every((q) => q.auth === `Bearer ${TEST_KEY}`), 'with the stored key');
  assert.ok(!gw.state.requests.slice(n0).some((q) => q.url === '/v1/responses'));
  assert.match(r.stdout, /Hello from/, 'the reply reached OpenCode\n' + show(r));
  const events = r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l));
  assert.ok(events.length > 0);
});

test(`opencode ${OPENCODE_VERSION}: apiMode responses goes to /v1/responses`, { skip, timeout: 300000 }, async () => {
  const e = makeEnv({ baseURL: gw.baseURL, apiMode: 'responses', modelsDev: { enabled: false } });
  const n0 = gw.state.requests.length;
  const r = await runOpenCode(oc, ['run', '-m', 'omniroute/cc/claude-sonnet-4-5', '--format', 'json', 'hi'], { env: e.env, cwd: e.project, timeoutMs: 180000 });
  assert.equal(r.code, 0, show(r));
  const reqs = gw.state.requests.slice(n0).filter((q) => q.url === '/v1/responses');
  assert.ok(reqs.some((q) => q.body?.model === 'cc/claude-sonnet-4-5'), 'the gateway got /v1/responses\n' + show(r));
  assert.ok(!gw.state.requests.slice(n0).some((q) => q.url === '/v1/chat/completions'));
  assert.match(r.stdout, /Hello from/, show(r));
});

test(`opencode ${OPENCODE_VERSION}: a missing binary is logged, OpenCode keeps working`, { skip: SKIP_ENV && 'OMNIROUTE_SKIP_OPENCODE=1', timeout: 300000 }, async () => {
  oc ??= ensureOpenCode();
  const e = makeEnv({ baseURL: 'http://127.0.0.1:9/v1' });
  e.env.OMNIROUTE_RPC_BIN = '/nonexistent/omniroute-rpc';
  const r = await runOpenCode(oc, ['models', '--print-logs', '--log-level', 'INFO'], { env: e.env, cwd: e.project });
  assert.equal(r.code, 0, show(r));
  assert.match(r.stderr, /omniroute-rpc binary not found: OMNIROUTE_RPC_BIN points to \/nonexistent\/omniroute-rpc/);
  assert.doesNotMatch(r.stdout, /^omniroute\//m);
});

/** `opencode models omniroute` (not verbose): the listed model ids. @param {string} out */
function listedIds(out) {
  return out
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('omniroute/'))
    .map((l) => l.slice('omniroute/'.length))
    .sort();
}

test(`opencode ${OPENCODE_VERSION}: the view options decide what "opencode models omniroute" lists; a combo keeps its maths`, { skip, timeout: 300000 }, async () => {
  // allowlist (short form + glob), deny wins, the combo stays (a member matches) and keeps the
  // lowest common limits of both members although gh/gpt-4.1 is hidden
  const e = makeEnv({
    baseURL: gw.baseURL,
    modelsDev: { url: gw.modelsDevURL },
    visibleModels: ['gpt-5.1-codex-mini', 'cc/*', 'gh/*'],
    hiddenModels: ['gh/gpt-4.1'],
  });
  const r = await runOpenCode(oc, ['models', 'omniroute', '--verbose'], { env: e.env, cwd: e.project });
  assert.equal(r.code, 0, show(r));
  const models = parseVerboseModels(r.stdout, 'omniroute');
  assert.deepEqual([...models.keys()].sort(), ['cc/claude-sonnet-4-5', 'coding-combo', 'cx/gpt-5.1-codex-mini'], show(r));
  assert.deepEqual(models.get('coding-combo').limit, { context: 128000, output: 16384 }, 'combo limits from both members');

  // capability and provider filters (combos exempt from providersAllow, filtered on their own
  // computed flags); a literal visibleModels entry beats them (curated: it adds, no allowlist)
  const e2 = makeEnv({
    baseURL: gw.baseURL,
    modelsDev: { url: gw.modelsDevURL },
    view: 'curated',
    visionOnly: true,
    providersAllow: ['gh'],
    visibleModels: ['cx/gpt-5.1-codex-mini'],
  });
  const r2 = await runOpenCode(oc, ['models', 'omniroute'], { env: e2.env, cwd: e2.project });
  assert.equal(r2.code, 0, show(r2));
  assert.deepEqual(listedIds(r2.stdout), ['coding-combo', 'cx/gpt-5.1-codex-mini', 'gh/gpt-4.1'], show(r2));
});

test(`opencode ${OPENCODE_VERSION}: a long catalogue without a filter logs the hint once; view "curated" shortens it`, { skip, timeout: 300000 }, async () => {
  const created = 1764000000;
  const many = [];
  for (let i = 0; i < 320; i++) {
    many.push({ id: `bulk/model-${String(i).padStart(3, '0')}`, object: 'model', created, owned_by: 'bulk',
      release_date: `2024-01-${String((i % 28) + 1).padStart(2, '0')}` });
  }
  const big = await startMockGateway({ models: many, combos: [] });
  try {
    const e = makeEnv({ baseURL: big.baseURL, modelsDev: { enabled: false } });
    const r = await runOpenCode(oc, ['models', 'omniroute', '--print-logs', '--log-level', 'INFO'], { env: e.env, cwd: e.project });
    assert.equal(r.code, 0, show(r));
    assert.equal(listedIds(r.stdout).length, 320, show(r));
    const hints = r.stderr.split('\n').filter((l) => l.includes('chat models in the picker'));
    assert.equal(hints.length, 1, show(r));
    assert.match(hints[0], /320 chat models/);
    // OpenCode's log escapes the quotes
    assert.match(hints[0], /view\\?": \\?"curated/);
    assert.match(hints[0], /visibleModels/);

    const e2 = makeEnv({ baseURL: big.baseURL, modelsDev: { enabled: false }, view: 'curated' });
    const r2 = await runOpenCode(oc, ['models', 'omniroute', '--print-logs', '--log-level', 'INFO'], { env: e2.env, cwd: e2.project });
    assert.equal(r2.code, 0, show(r2));
    assert.equal(listedIds(r2.stdout).length, 10, 'the 10 newest of the one owner (none fresh)');
    assert.ok(!r2.stderr.includes('chat models in the picker'), 'no hint once a filter is set');
  } finally {
    await big.close();
  }
});
