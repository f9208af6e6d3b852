// Real OpenCode 1.18.33: mid-session sync (/omniroute-sync and the omniroute_sync tool make new
// gateway models appear in the running server without a restart) and start-up with a hanging
// gateway and a warm snapshot (the snapshot's models are listed, not an empty provider).
// Set OMNIROUTE_SKIP_OPENCODE=1 to skip (announced loudly).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { hermeticDirs, binaryAvailable, RPC_BIN, PACKAGE_DIR } from './helpers/env.js';
import { startMockGateway, TEST_KEY } from './helpers/mock-gateway.js';
import { ensureOpenCode, runOpenCode, OPENCODE_VERSION } from './helpers/opencode.js';
import { startServe } from './helpers/serve.js';

const SKIP_ENV = process.env.OMNIROUTE_SKIP_OPENCODE === '1';
if (SKIP_ENV) console.warn('\n*** OMNIROUTE_SKIP_OPENCODE=1: the real-OpenCode sync tests are SKIPPED ***\n');
const skip = SKIP_ENV ? 'OMNIROUTE_SKIP_OPENCODE=1' : !binaryAvailable() ? `omniroute-rpc not usable at ${RPC_BIN}` : false;

/** @type {string} */ let oc;
/** @type {ReturnType<typeof hermeticDirs>[]} */
const dirs = [];
before(() => {
  if (!skip) oc = ensureOpenCode();
});
after(() => {
  for (const d of dirs) d.cleanup();
});

const NEW_MODEL = { id: 'new/model-c', object: 'model', owned_by: 'new', context_length: 32000, max_output_tokens: 4096 };

/** @param {string} baseURL @param {Record<string, unknown>} [extra] provider options */
function makeEnv(baseURL, extra = {}) {
  const h = hermeticDirs('omniroute-sync');
  dirs.push(h);
  const project = path.join(h.root, 'project');
  mkdirSync(project, { recursive: true });
  const config = {
    $schema: 'https://opencode.ai/config.json',
    plugin: [pathToFileURL(PACKAGE_DIR).href],
    provider: { omniroute: { options: { baseURL, modelsDev: { enabled: false }, ...extra } } },
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
    },
  };
}

/**
 * Poll until `pred` holds (bounded); returns the last value.
 * @template T @param {() => Promise<T>} get @param {(v: T) => boolean} pred @param {number} ms
 */
async function until(get, pred, ms) {
  const deadline = Date.now() + ms;
  let v = await get();
  while (!pred(v) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 250));
    v = await get().catch(() => v);
  }
  return v;
}

test(`opencode ${OPENCODE_VERSION} serve: /omniroute-sync and the omniroute_sync tool bring new gateway models into the running server`, { skip, timeout: 240000 }, async (t) => {
  const gw = await startMockGateway();
  const e = makeEnv(gw.baseURL);
  const srv = await startServe(oc, { env: e.env, cwd: e.project });
  t.after(async () => {
    await srv.stop();
    await gw.close();
  });
  const show = () => `server log:\n${srv.logs().split('\n').filter((l) => /omniroute|dispos|ERROR/i.test(l)).slice(-30).join('\n')}`;

  const before = await srv.modelIds();
  assert.ok(before && before.includes('gh/gpt-4.1'), `the plugin's models are listed\n${show()}`);
  assert.ok(!before.includes(NEW_MODEL.id));
  const commands = await srv.api('/command');
  assert.ok(commands.some((/** @type {any} */ c) => c.name === 'omniroute-sync'), 'the config hook added /omniroute-sync');

  // 1. the command: the gateway adds a model, /omniroute-sync runs, the server lists it
  gw.state.models.push({ ...NEW_MODEL, created: Math.floor(Date.now() / 1000) });
  const s1 = await srv.api('/session', {});
  await srv.api(`/session/${s1.id}/command`, { command: 'omniroute-sync', arguments: '', model: 'omniroute/gh/gpt-4.1' });
  const prompt = gw.state.requests
    .filter((q) => q.url === '/v1/chat/completions')
    .map((q) => JSON.stringify(q.body?.messages ?? []))
    .find((m) => m.includes('/omniroute-sync command has already run'));
  assert.ok(prompt, `the command's prompt carries the sync result\n${show()}`);
  assert.match(prompt, /New: new\/model-c/);
  const after1 = await until(() => srv.modelIds(), (ids) => !!ids?.includes(NEW_MODEL.id), 30000);
  assert.ok(after1?.includes(NEW_MODEL.id), `new/model-c listed after /omniroute-sync without a restart: ${JSON.stringify(after1)}\n${show()}`);
  assert.match(srv.logs(), /disposing instance/);

  // 2. the tool: the gateway drops the model again, the model calls omniroute_sync
  gw.state.models = gw.state.models.filter((m) => m.id !== NEW_MODEL.id);
  let called = false;
  gw.state.chatToolCall = (body) => {
    const last = body?.messages?.at(-1);
    if (body?.tools?.some((/** @type {any} */ x) => x.function?.name === 'omniroute_sync') && last?.role === 'user' && JSON.stringify(last.content).includes('sync the omniroute models')) {
      called = true;
      return { name: 'omniroute_sync' };
    }
    return null;
  };
  const s2 = await srv.api('/session', {});
  await srv.api(`/session/${s2.id}/message`, { model: { providerID: 'omniroute', modelID: 'gh/gpt-4.1' }, parts: [{ type: 'text', text: 'please sync the omniroute models' }] });
  assert.ok(called, `the model was offered omniroute_sync and called it\n${show()}`);
  const toolResult = gw.state.requests
    .filter((q) => q.url === '/v1/chat/completions')
    .flatMap((q) => q.body?.messages ?? [])
    .find((m) => m.role === 'tool');
  assert.ok(toolResult, 'the tool result went back to the model');
  assert.match(JSON.stringify(toolResult.content), /Gone: new\/model-c/);
  const after2 = await until(() => srv.modelIds(), (ids) => !!ids && !ids.includes(NEW_MODEL.id), 30000);
  assert.ok(after2 && !after2.includes(NEW_MODEL.id) && after2.includes('gh/gpt-4.1'), `new/model-c gone after the tool: ${JSON.stringify(after2)}\n${show()}`);
});

test(`opencode ${OPENCODE_VERSION}: a hanging gateway with a warm snapshot still lists the snapshot's models`, { skip, timeout: 240000 }, async (t) => {
  const gw = await startMockGateway();
  t.after(() => gw.close());
  // startupTimeoutMs bounds the wait with a binary that has no start-up deadline of its own
  const e = makeEnv(gw.baseURL, { startupTimeoutMs: 3000, requestTimeoutMs: 60000 });
  const warm = await runOpenCode(oc, ['models', 'omniroute'], { env: e.env, cwd: e.project });
  assert.equal(warm.code, 0, warm.stderr.slice(-2000));
  assert.match(warm.stdout, /^omniroute\/gh\/gpt-4\.1$/m);

  gw.state.modelsDelayMs = 120000; // longer than every timeout
  const hang = await runOpenCode(oc, ['models', 'omniroute', '--print-logs', '--log-level', 'INFO'], { env: e.env, cwd: e.project, timeoutMs: 90000 });
  const line = `TIMING opencode models omniroute with a hanging gateway and a warm snapshot: ${hang.ms.toFixed(0)} ms (warm start with a healthy gateway ${warm.ms.toFixed(0)} ms)`;
  t.diagnostic(line);
  console.log(line);
  assert.equal(hang.code, 0, hang.stderr.slice(-2000));
  assert.doesNotMatch(hang.stderr, /Provider not found/);
  for (const id of ['gh/gpt-4.1', 'cc/claude-sonnet-4-5', 'coding-combo']) {
    assert.match(hang.stdout, new RegExp(`^omniroute/${id.replace(/[/.]/g, '\\$&')}$`, 'm'), `${id} from the snapshot\n${hang.stderr.slice(-2000)}`);
  }
});
