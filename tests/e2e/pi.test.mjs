// End to end through the REAL Pi coding agent (@mariozechner/pi-coding-agent, pinned in
// clients/pi/test/helpers/pi.js, installed from npm and cached): Pi -> clients/pi (`pi -e`) ->
// omniroute-rpc -> a REAL OmniRoute 3.7.9 (started, seeded and stopped by lib.mjs) -> mock upstream.
//
//   node --test --test-concurrency=1 tests/e2e/pi.test.mjs      (tests/e2e/run.sh does this)
//
// Pi runs headless (--list-models, --mode rpc, -p --mode json) with a temp HOME (so ~/.pi/agent is
// temp) and PI_OFFLINE=1. Only mock models and combos of mock models are asked to answer (an
// OpenAI catalogue model would make the seeded gateway call api.openai.com). The omniroute-rpc the
// extension spawns is the real binary behind clients/pi/test/helpers/tee-rpc.mjs, which logs the
// frames Pi's extension sends, so the usage.record notifications can be checked.
// Env: OMNIROUTE_RPC_BIN, OMNIROUTE_E2E_STATE_DIR (PIDs for run.sh's trap), OMNIROUTE_SKIP_PI=1.

import nodeTest, { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { requireBinary, startStack, startModelsDev, hermeticDirs, RpcClient, closeAllClients, TEST_KEY, ROOT, RPC_BIN } from './lib.mjs';
import { ensurePi, runPi, piRpc, parseListModels, PI_VERSION } from '../../clients/pi/test/helpers/pi.js';

const SKIP = process.env.OMNIROUTE_SKIP_PI === '1';
if (SKIP) console.warn('\n*** OMNIROUTE_SKIP_PI=1: the real-Pi e2e tests are SKIPPED ***\n');
const test = SKIP ? nodeTest.skip : nodeTest;

const EXT = path.join(ROOT, 'clients', 'pi');
const TEE = path.join(EXT, 'test', 'helpers', 'tee-rpc.mjs');
const MOCK_REPLY = 'hello from mock upstream'; // mock-upstream.mjs default

/** @type {Awaited<ReturnType<typeof startStack>>} */ let stack;
/** @type {Awaited<ReturnType<typeof startModelsDev>>} */ let dev;
/** @type {string} */ let cli;
const dirs = [];
const OWN_STATE_DIR = !process.env.OMNIROUTE_E2E_STATE_DIR;
const stateDir = process.env.OMNIROUTE_E2E_STATE_DIR || mkdtempSync(path.join(os.tmpdir(), 'omniroute-e2e-pi-state-'));

before(async () => {
  if (SKIP) return;
  requireBinary();
  let t = Date.now();
  cli = ensurePi();
  console.log(`TIMING pi: Pi ${PI_VERSION} ready in ${Date.now() - t} ms`);
  t = Date.now();
  stack = await startStack(stateDir);
  dev = await startModelsDev();
  const s = stack.timings;
  console.log(`TIMING pi e2e stack: install ${s.install}, mock+start ${s.startMs} ms, seed ${s.seedMs} ms (gateway ${stack.origin})`);
}, { timeout: 1500000 });

after(async () => {
  await closeAllClients();
  await dev?.close();
  await stack?.stop();
  for (const d of dirs) d.cleanup();
  if (OWN_STATE_DIR) rmSync(stateDir, { recursive: true, force: true });
});

/**
 * A hermetic HOME/XDG tree for one Pi run; the extension's service is the real binary behind the
 * frame logger. @param {string} label @param {Record<string, any>} [options] @param {Record<string, string>} [extra]
 */
function piEnv(label, options = {}, extra = {}) {
  const h = hermeticDirs(label, stateDir);
  dirs.push(h);
  const project = path.join(h.root, 'project');
  mkdirSync(project, { recursive: true });
  const teeLog = path.join(h.root, 'frames.ndjson');
  const env = {
    ...h.env,
    OMNIROUTE_RPC_BIN: TEE,
    OMNIROUTE_TEE_TARGET: RPC_BIN,
    OMNIROUTE_TEE_LOG: teeLog,
    OMNIROUTE_API_KEY: TEST_KEY,
    OMNIROUTE_OPTIONS: JSON.stringify({ baseURL: stack.baseURL, modelsDev: { url: dev.url, timeoutMs: 5000 }, requestTimeoutMs: 15000, ...options }),
    ...extra,
  };
  const frames = () => (existsSync(teeLog) ? readFileSync(teeLog, 'utf8').trim().split('\n').map((l) => JSON.parse(l)) : []);
  return { h, env, project, frames };
}

const show = (r) => `exit ${r.code}${r.signal ? ' ' + r.signal : ''} (${Math.round(r.ms)} ms)\nstdout:\n${r.stdout.slice(-3000)}\nstderr:\n${r.stderr.slice(-3000)}`;
const gatewayLog = () => (stack.log && existsSync(stack.log) ? readFileSync(stack.log, 'utf8') : '');
async function upstreamRequests() {
  return (await (await fetch(`${stack.upstream}/_mock/requests`)).json()).requests;
}
/** the chat models of the service's own catalogue in the same environment (alias twins once) */
async function serviceChatModels(e) {
  const c = new RpcClient(e.h.env, { OMNIROUTE_API_KEY: TEST_KEY });
  const r = await c.ok('models.list', { refresh: false, options: JSON.parse(e.env.OMNIROUTE_OPTIONS) });
  await c.close();
  const ids = new Set(r.models.map((m) => m.id));
  return r.models.filter((m) => m.kind === 'chat' && !(m.aliasOf && ids.has(m.aliasOf)));
}

test(`pi ${PI_VERSION} --list-models: every chat model of the real gateway with the service's limits, combos included`, { timeout: 300000 }, async () => {
  const e = piEnv('e2e-pi-list');
  const r = await runPi(cli, ['-e', EXT, '--list-models', 'omniroute'], { env: e.env, cwd: e.project, timeoutMs: 120000 });
  assert.equal(r.code, 0, show(r));
  console.log(`TIMING pi --list-models (cold service cache, live gateway): ${Math.round(r.ms)} ms`);
  const listed = parseListModels(r.stderr + r.stdout); // Pi 0.73.1 prints the table on stderr
  const expected = await serviceChatModels(e);
  assert.equal(listed.size, expected.length, [...listed.keys()].join(' '));
  assert.equal(listed.size, 19, 'the 19 chat models OpenCode also gets');
  for (const id of ['e2e-plain', 'e2e-weighted', 'e2e-mock', 'nested/outer', 'e2e-rr', 'mock/mock-small', 'openai/gpt-5.5', 'kmca/kimi-k2.6']) {
    assert.ok(listed.has(`omniroute/${id}`), `${id} listed\n${show(r)}`);
  }
  for (const id of ['openai/text-embedding-3-small', 'openai/gpt-image-2', 'e2e-inactive', 'kimi-coding-apikey/kimi-k2.6']) assert.ok(!listed.has(`omniroute/${id}`), `${id} left out`);
  assert.equal(listed.get('omniroute/e2e-weighted')?.context, '64K', 'the combo\'s hand-set context');
  assert.equal(listed.get('omniroute/openai/gpt-5.5')?.context, '1.1M');
  assert.equal(listed.get('omniroute/openai/gpt-5.5')?.maxOut, '128K');
});

test(`pi ${PI_VERSION} --mode rpc: get_available_models carries each model's limits, modalities and prices from the service`, { timeout: 300000 }, async () => {
  const e = piEnv('e2e-pi-rpc');
  const expected = new Map((await serviceChatModels(e)).map((m) => [m.id, m]));
  const r = await piRpc(cli, [{ id: 'm', type: 'get_available_models' }], { env: e.env, cwd: e.project, extraArgs: ['-e', EXT], timeoutMs: 120000 });
  assert.equal(r.code, 0, show(r));
  const resp = r.messages.find((m) => m.type === 'response' && m.command === 'get_available_models');
  assert.ok(resp?.success, show(r));
  const ours = resp.data.models.filter((m) => m.provider === 'omniroute');
  assert.equal(ours.length, expected.size);
  for (const pm of ours) {
    const m = expected.get(pm.id);
    assert.ok(m, pm.id);
    assert.equal(pm.baseUrl, stack.baseURL);
    assert.equal(pm.api, 'openai-completions');
    assert.equal(pm.contextWindow, m.contextWindow ?? 128000, pm.id);
    assert.equal(pm.maxTokens, m.maxTokens ?? 4096, pm.id);
    assert.equal(pm.reasoning, m.supportsReasoning === true, pm.id);
    assert.deepEqual(pm.input, m.supportsVision === true || (m.inputModalities ?? []).includes('image') ? ['text', 'image'] : ['text'], pm.id);
    assert.equal(pm.cost.input, m.pricing?.input ?? 0, pm.id);
    assert.equal(pm.cost.output, m.pricing?.output ?? 0, pm.id);
  }
  const gpt = ours.find((m) => m.id === 'openai/gpt-5.5');
  assert.ok(gpt.cost.input > 0 && gpt.cost.output > 0, 'models.dev prices (loopback copy) reach Pi');
  const mock = ours.find((m) => m.id === 'e2e-mock');
  assert.ok(mock, 'the combo');
});

for (const [model, label] of [
  ['e2e-mock', 'a combo of mock models'],
  ['nested/outer', 'a nested combo'],
]) {
  test(`pi ${PI_VERSION} -p --mode json: one turn through ${model} (${label}) returns the mock's reply; one usage.record`, { timeout: 300000 }, async () => {
    const e = piEnv('e2e-pi-turn');
    const n0 = (await upstreamRequests()).length;
    const log0 = gatewayLog().length;
    const r = await runPi(cli, ['-e', EXT, '-p', '--mode', 'json', '--no-session', '--provider', 'omniroute', '--model', model, 'Say hello.'], { env: e.env, cwd: e.project, timeoutMs: 180000 });
    assert.equal(r.code, 0, show(r));
    console.log(`TIMING pi -p --mode json (${model}): ${Math.round(r.ms)} ms`);
    const evs = r.stdout.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
    const msg = evs.filter((x) => x.type === 'message_end' && x.message.role === 'assistant').at(-1)?.message;
    assert.equal(msg?.stopReason, 'stop', show(r));
    assert.equal(msg.provider, 'omniroute');
    assert.equal(msg.model, model);
    assert.ok(msg.content.map((c) => c.text ?? '').join('').includes(MOCK_REPLY), show(r));

    const reqs = (await upstreamRequests()).slice(n0).filter((q) => q.method === 'POST');
    assert.equal(reqs.length, 1, JSON.stringify(reqs.map((q) => [q.path, q.body.model])));
    assert.ok(reqs[0].path.endsWith('/chat/completions'));
    assert.equal(reqs[0].body.model, 'mock-small', 'the combo\'s first member, without its prefix');
    const logged = gatewayLog().slice(log0);
    assert.doesNotMatch(logged, /\[openai\/|USAGE\] OPENAI \||fetch failed/, logged.slice(-3000));

    const frames = e.frames();
    const recs = frames.filter((f) => f.method === 'usage.record').map((f) => f.params);
    assert.equal(recs.length, 1, JSON.stringify(frames.map((f) => f.method)));
    const rec = recs[0];
    assert.equal(rec.model, model);
    assert.equal(rec.host, 'pi');
    assert.equal(rec.status, 200);
    assert.equal(rec.ok, true);
    assert.equal(rec.stream, true);
    assert.equal(rec.omniroute?.model, 'mock-small', 'x-omniroute-model: the served member');
    assert.match(rec.omniroute?.provider ?? '', /^openai-compatible-chat-/);
    assert.equal(rec.bodyModel, 'mock-small');
    assert.ok(rec.usage?.completion_tokens > 0, JSON.stringify(rec));
    assert.ok(typeof rec.latencyMs === 'number' && typeof rec.at === 'number');
    assert.deepEqual(frames.slice(-2).map((f) => f.method), ['shutdown', 'exit'], 'the service is closed on session_shutdown');
    assert.ok(!JSON.stringify(frames).includes(TEST_KEY), 'the env key never goes through the extension');
    console.log(`usage.record (${model}): ${JSON.stringify(rec)}`);
  });
}

test(`pi ${PI_VERSION}: without any key the open gateway answers (empty Authorization, never a placeholder Bearer)`, { timeout: 300000 }, async () => {
  const e = piEnv('e2e-pi-nokey');
  delete e.env.OMNIROUTE_API_KEY;
  const r = await runPi(cli, ['-e', EXT, '-p', '--mode', 'json', '--no-session', '--provider', 'omniroute', '--model', 'e2e-mock', 'Say hello.'], { env: e.env, cwd: e.project, timeoutMs: 180000 });
  assert.equal(r.code, 0, show(r));
  const evs = r.stdout.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
  const msg = evs.filter((x) => x.type === 'message_end' && x.message.role === 'assistant').at(-1)?.message;
  assert.equal(msg?.stopReason, 'stop', show(r));
  assert.ok(msg.content.map((c) => c.text ?? '').join('').includes(MOCK_REPLY));
});

test(`pi ${PI_VERSION}: apiMode "responses" from Pi's settings.json sends the turn to the gateway's /v1/responses`, { timeout: 300000 }, async () => {
  const e = piEnv('e2e-pi-responses');
  delete e.env.OMNIROUTE_OPTIONS;
  const agentDir = path.join(e.env.HOME, '.pi', 'agent');
  mkdirSync(agentDir, { recursive: true });
  writeFileSync(path.join(agentDir, 'settings.json'), JSON.stringify({ omniroute: { baseURL: stack.baseURL, modelsDev: { url: dev.url }, apiMode: 'responses' } }));
  const n0 = (await upstreamRequests()).length;
  const r = await runPi(cli, ['-e', EXT, '-p', '--mode', 'json', '--no-session', '--provider', 'omniroute', '--model', 'e2e-mock', 'Say hello.'], { env: e.env, cwd: e.project, timeoutMs: 180000 });
  assert.equal(r.code, 0, show(r));
  console.log(`TIMING pi -p --mode json (responses, e2e-mock): ${Math.round(r.ms)} ms`);
  const evs = r.stdout.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
  const msg = evs.filter((x) => x.type === 'message_end' && x.message.role === 'assistant').at(-1)?.message;
  assert.equal(msg?.api, 'openai-responses');
  assert.equal(msg?.stopReason, 'stop', show(r));
  assert.ok(msg.content.map((c) => c.text ?? '').join('').includes(MOCK_REPLY), show(r));
  // Pi's Responses client posted to <baseUrl>/responses; the gateway served it from the chat member
  const reqs = (await upstreamRequests()).slice(n0).filter((q) => q.method === 'POST');
  assert.equal(reqs.length, 1, JSON.stringify(reqs.map((q) => [q.path, q.body.model])));
  assert.equal(reqs[0].body.model, 'mock-small');
  const rec = e.frames().filter((f) => f.method === 'usage.record').map((f) => f.params);
  assert.equal(rec.length, 1);
  assert.equal(rec[0].status, 200);
  assert.equal(rec[0].omniroute?.model, 'mock-small');
});
