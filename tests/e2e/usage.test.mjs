// Usage attribution end to end (issue 16): real OpenCode 1.18.33 -> clients/opencode (its
// attribution fetch) -> real OmniRoute 3.7.9 -> mock upstream; the plugin sends usage.record to
// its omniroute-rpc, which writes the ledger; then a separate omniroute-rpc reads it back with
// usage.summary and must name the combo member that answered, with its tokens.
//
//   node --test --test-concurrency=1 tests/e2e/usage.test.mjs      (tests/e2e/run.sh does this)
//
// Env as e2e.test.mjs (OMNIROUTE_RPC_BIN, OMNIROUTE_E2E_STATE_DIR, OMNIROUTE_SKIP_OPENCODE=1).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { requireBinary, startStack, hermeticDirs, RpcClient, closeAllClients, TEST_KEY, PLUGIN_DIR, RPC_BIN } from './lib.mjs';
import { ensureOpenCode, runOpenCode, OPENCODE_VERSION } from '../../clients/opencode/test/helpers/opencode.js';

const SKIP = process.env.OMNIROUTE_SKIP_OPENCODE === '1' ? 'OMNIROUTE_SKIP_OPENCODE=1' : false;
const OWN_STATE_DIR = !process.env.OMNIROUTE_E2E_STATE_DIR;
const stateDir = process.env.OMNIROUTE_E2E_STATE_DIR || mkdtempSync(path.join(os.tmpdir(), 'omniroute-e2e-usage-'));
/** @type {Awaited<ReturnType<typeof startStack>>} */ let stack;
let h;

before(async () => {
  if (SKIP) return;
  requireBinary();
  stack = await startStack(stateDir);
  h = hermeticDirs('e2e-usage', stateDir);
}, { timeout: 1500000 });

after(async () => {
  await closeAllClients();
  await stack?.stop();
  h?.cleanup();
  if (OWN_STATE_DIR) rmSync(stateDir, { recursive: true, force: true });
});

const show = (r) => `exit ${r.code} (${Math.round(r.ms)} ms)\nstdout:\n${r.stdout.slice(-3000)}\nstderr:\n${r.stderr.slice(-3000)}`;

test(`opencode ${OPENCODE_VERSION}: run on a combo, then usage.summary names the member that answered, with its tokens`, { skip: SKIP, timeout: 600000 }, async () => {
  const oc = ensureOpenCode();
  const project = path.join(h.root, 'project');
  mkdirSync(project, { recursive: true });
  const config = {
    $schema: 'https://opencode.ai/config.json',
    plugin: [pathToFileURL(PLUGIN_DIR).href],
    small_model: 'omniroute/mock/mock-small', // never an OpenAI catalogue model (FINDINGS.md)
    provider: { omniroute: { options: { baseURL: stack.baseURL, modelsDev: { enabled: false } } } },
  };
  const env = {
    ...h.env,
    OPENCODE_CONFIG_CONTENT: JSON.stringify(config),
    OPENCODE_AUTH_CONTENT: JSON.stringify({ omniroute: { type: 'api', key: TEST_KEY } }),
    OPENCODE_DISABLE_MODELS_FETCH: '1',
    OPENCODE_DISABLE_AUTOUPDATE: '1',
    npm_config_fetch_retries: '0',
    OMNIROUTE_RPC_BIN: RPC_BIN,
  };
  const r = await runOpenCode(oc, ['run', '-m', 'omniroute/e2e-mock', '--format', 'json', 'hi'], { env, cwd: project, timeoutMs: 240000 });
  assert.equal(r.code, 0, show(r));
  const events = r.stdout.split('\n').filter((l) => l.trim().startsWith('{')).map((l) => JSON.parse(l));
  assert.ok(events.map((e) => e.part?.text ?? '').join('').includes('hello from mock upstream'), show(r));

  // The plugin's service wrote the ledger in OpenCode's (hermetic) cache dir; read it from a
  // separate process, as the CLI or an editor would.
  const ledger = path.join(h.env.XDG_CACHE_HOME, 'omniroute-rpc', 'usage.jsonl');
  assert.equal(statSync(ledger).mode & 0o777, 0o600);
  const text = readFileSync(ledger, 'utf8');
  assert.ok(!text.includes(TEST_KEY), 'no key in the ledger');
  assert.ok(!text.includes('"hi"'), 'no prompt text in the ledger');
  const c = new RpcClient(h.env);
  const s = await c.ok('usage.summary', { groupBy: 'member', since: '1h' });
  const combo = s.rows.filter((row) => row.model === 'e2e-mock');
  assert.equal(combo.length, 1, JSON.stringify(s.rows));
  const row = combo[0];
  assert.equal(row.servedModel, 'mock/mock-small', 'the member, mapped back to its catalogue id');
  assert.equal(row.requests, 1);
  assert.equal(row.errors, 0);
  assert.ok(row.tokensIn > 0 && row.tokensOut > 0, JSON.stringify(row));
  assert.ok(row.avgLatencyMs >= 0);

  const records = text.trim().split('\n').map((l) => JSON.parse(l));
  const rec = records.find((x) => x.model === 'e2e-mock');
  assert.equal(rec.host, 'opencode');
  assert.match(rec.sessionId ?? '', /^ses_/, 'the OpenCode session id (x-session-affinity)');
  assert.equal(rec.servedModel, 'mock-small', 'x-omniroute-model');
  assert.ok(rec.provider, 'x-omniroute-provider');
  assert.equal(rec.ok, true);
  assert.equal(rec.status, 200);
  const bySession = await c.ok('usage.summary', { groupBy: 'model', sessionId: rec.sessionId });
  assert.ok(bySession.totals.requests >= 1);
  console.log(`RECORDED e2e-mock: ${JSON.stringify(rec)}`);
  console.log(`SUMMARY member rows: ${JSON.stringify(s.rows)}`);
  await c.close();
});
