// `omniroute-rpc export` results loaded by the real tools where they run here: Continue's CLI
// (`cn --config FILE -p`, answering through the exported model against the mock gateway) and
// OpenCode 1.18.33 (`opencode models omniroute --verbose` from the static block, no plugin);
// Crush's and Zed's files against their schemas (ajv) after an independent JSONC parse
// (jsonc-parser). Run by tests/export-real.sh, which installs the tools.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, readFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { hermeticDirs } from '../clients/opencode/test/helpers/env.js';
import { startMockGateway, TEST_KEY } from '../clients/opencode/test/helpers/mock-gateway.js';
import { ensureOpenCode, runOpenCode, parseVerboseModels } from '../clients/opencode/test/helpers/opencode.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const FIXTURES = path.join(ROOT, 'tests', 'fixtures', 'export');
const BIN = path.resolve(ROOT, process.env.OMNIROUTE_RPC_BIN || 'target/debug/omniroute-rpc');
const TOOLS = process.env.OMNIROUTE_EXPORT_TOOLS; // node_modules holder with cn, ajv, jsonc-parser
if (!TOOLS) throw new Error('OMNIROUTE_EXPORT_TOOLS is not set: run tests/export-real.sh');
const need = createRequire(path.join(TOOLS, 'package.json'));
const CN = path.join(TOOLS, 'node_modules', '.bin', 'cn');

let gw;
/** @type {ReturnType<typeof hermeticDirs>} */
let h;
before(async () => {
  gw = await startMockGateway();
  h = hermeticDirs('omniroute-export-real');
});
after(async () => {
  await gw?.close();
  h?.cleanup();
});

/**
 * Runs a process without blocking the event loop (the mock gateway lives in this process).
 * @param {string} bin @param {string[]} args @param {{ env: Record<string, string>, cwd?: string, timeoutMs?: number }} opts
 * @returns {Promise<{ status: number | null, stdout: string, stderr: string }>}
 */
function run(bin, args, opts) {
  return new Promise((resolve) => {
    const child = spawn(bin, args, { cwd: opts.cwd ?? h.root, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c) => (stderr += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120000);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

/** Copies a fixture and runs `omniroute-rpc export TARGET --write` on it; returns the path. */
async function exportInto(target, fixture) {
  const dir = path.join(h.root, target);
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, fixture);
  copyFileSync(path.join(FIXTURES, fixture), file);
  const r = await run(BIN, ['export', target, '--write', file, '--base-url', gw.baseURL], {
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      ...h.env,
      OMNIROUTE_API_KEY: TEST_KEY,
      OMNIROUTE_OPTIONS: JSON.stringify({ modelsDev: { url: gw.modelsDevURL } }),
    },
  });
  assert.equal(r.status, 0, `export ${target}: ${r.stdout}\n${r.stderr}`);
  const text = readFileSync(file, 'utf8');
  assert.ok(!text.includes(TEST_KEY), 'no key in the file');
  return { file, text };
}

/** Independent JSONC parse: errors fail the test. */
function parseJsonc(text) {
  const { parse, printParseErrorCode } = need('jsonc-parser');
  const errors = [];
  const value = parse(text, errors, { allowTrailingComma: true, disallowComments: false });
  assert.deepEqual(errors.map((e) => `${printParseErrorCode(e.error)}@${e.offset}`), []);
  return value;
}

function validator(schemaFile, draft2020) {
  const Ajv = draft2020 ? need('ajv/dist/2020').default : need('ajv').default;
  const addFormats = need('ajv-formats').default;
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  return ajv.compile(JSON.parse(readFileSync(path.join(FIXTURES, schemaFile), 'utf8')));
}

test('Continue CLI loads the exported config.yaml and answers through an exported model', { timeout: 180000 }, async () => {
  const { file } = await exportInto('continue', 'continue-config.yaml');
  const before = gw.state.requests.length;
  const r = await run(CN, ['--config', file, '-p', 'Say hello.'], {
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      ...h.env,
      CONTINUE_GLOBAL_DIR: path.join(h.root, 'continue-home'),
      OMNIROUTE_API_KEY: TEST_KEY, // resolved by `${{ secrets.OMNIROUTE_API_KEY }}`
    },
    timeoutMs: 150000,
  });
  assert.equal(r.status, 0, `cn: ${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, /Hello from the OmniRoute mock\./);
  const chats = gw.state.requests.slice(before).filter((q) => q.url === '/v1/chat/completions');
  assert.ok(chats.length >= 1, 'cn called the gateway');
  assert.equal(chats[0].auth, `Bearer ${TEST_KEY}`, 'key from the env reference');
  const exported = ['cc/claude-sonnet-4-5', 'coding-combo', 'cx/gpt-5.1-codex-mini', 'gh/gpt-4.1'];
  assert.ok(exported.includes(chats[0].body.model), `an exported model: ${chats[0].body.model}`);
  console.log(`cn ${need('@continuedev/cli/package.json').version} answered through ${chats[0].body.model}`);
});

test('OpenCode 1.18.33 lists the static provider.omniroute block with its limits and completes a turn with the env key', { timeout: 600000 }, async () => {
  const { file } = await exportInto('opencode', 'opencode.jsonc');
  const oc = ensureOpenCode();
  const project = path.join(h.root, 'oc-project');
  mkdirSync(project, { recursive: true });
  const r = await runOpenCode(oc, ['models', 'omniroute', '--verbose'], {
    cwd: project,
    env: {
      ...h.env,
      OPENCODE_CONFIG: file,
      OMNIROUTE_API_KEY: TEST_KEY,
      OPENCODE_DISABLE_MODELS_FETCH: '1',
      OPENCODE_DISABLE_AUTOUPDATE: '1',
      OPENCODE_DISABLE_DEFAULT_PLUGINS: '1',
      npm_config_fetch_retries: '0',
    },
  });
  assert.equal(r.code, 0, `opencode: ${r.stdout.slice(-2000)}\n${r.stderr.slice(-2000)}`);
  const models = parseVerboseModels(r.stdout, 'omniroute');
  assert.deepEqual([...models.keys()].sort(), ['cc/claude-sonnet-4-5', 'coding-combo', 'cx/gpt-5.1-codex-mini', 'gh/gpt-4.1']);
  assert.equal(models.get('cx/gpt-5.1-codex-mini').limit.context, 400000);
  assert.equal(models.get('coding-combo').limit.context, 128000, 'combo: lowest common context');
  assert.equal(models.get('coding-combo').limit.output, 16384, 'combo: lowest common output');
  console.log(`opencode listed ${models.size} models from the static block`);

  // A turn through the static block: the key comes from OMNIROUTE_API_KEY via the block's `env`.
  const before = gw.state.requests.length;
  const turn = await runOpenCode(oc, ['run', '-m', 'omniroute/gh/gpt-4.1', 'Say hello.'], {
    cwd: project,
    env: {
      ...h.env,
      OPENCODE_CONFIG: file,
      OMNIROUTE_API_KEY: TEST_KEY,
      OPENCODE_DISABLE_MODELS_FETCH: '1',
      OPENCODE_DISABLE_AUTOUPDATE: '1',
      OPENCODE_DISABLE_DEFAULT_PLUGINS: '1',
      npm_config_fetch_retries: '0',
    },
    timeoutMs: 240000,
  });
  assert.equal(turn.code, 0, `opencode run: ${turn.stdout.slice(-2000)}\n${turn.stderr.slice(-2000)}`);
  assert.match(turn.stdout, /Hello from the OmniRoute mock\./);
  const chats = gw.state.requests.slice(before).filter((q) => q.url === '/v1/chat/completions');
  assert.ok(chats.some((q) => q.auth === `Bearer ${TEST_KEY}` && q.body.model === 'gh/gpt-4.1'), 'turn with the env key');
});

test("Crush's crush.json is strict JSON and valid against Crush's published schema", async () => {
  const { text } = await exportInto('crush', 'crush.json');
  const value = JSON.parse(text); // strict: Crush accepts no comments
  const validate = validator('crush-schema.json', true);
  assert.ok(validate(value), JSON.stringify(validate.errors, null, 2));
  const p = value.providers.omniroute;
  assert.equal(p.api_key, '$OMNIROUTE_API_KEY');
  assert.equal(p.type, 'openai-compat');
  assert.ok(value.providers.deepseek, "the user's provider is kept");
  const combo = p.models.find((m) => m.id === 'coding-combo');
  assert.equal(combo.context_window, 128000);
  assert.equal(combo.default_max_tokens, 16384);
});

test("Zed's settings.json parses as JSONC and its openai_compatible block matches Zed's settings types", async () => {
  const { text } = await exportInto('zed', 'zed-settings.json');
  const value = parseJsonc(text);
  const validate = validator('zed-openai-compatible.schema.json', false);
  assert.ok(validate(value), JSON.stringify(validate.errors, null, 2));
  assert.equal(value.theme, 'One Dark');
  assert.ok(value.language_models.ollama, "the user's provider is kept");
  const block = value.language_models.openai_compatible.omniroute;
  assert.equal(block.api_url, gw.baseURL);
  const combo = block.available_models.find((m) => m.name === 'coding-combo');
  assert.equal(combo.max_tokens, 128000);
  assert.equal(combo.max_output_tokens, 16384);
  // The schema must be able to fail: a missing max_tokens is refused.
  delete combo.max_tokens;
  assert.equal(validate(value), false);
});

test('OpenCode JSONC result also parses independently', async () => {
  const { text } = await exportInto('opencode', 'opencode.jsonc');
  const value = parseJsonc(text);
  assert.equal(value.theme, 'tokyonight');
  assert.ok(value.provider.anthropic);
  assert.deepEqual(value.provider.omniroute.env, ['OMNIROUTE_API_KEY']);
});

test('the binary under test is the one built from this tree', () => {
  const out = execFileSync(BIN, ['export', '--help'], { encoding: 'utf8' });
  assert.match(out, /--check/);
});
