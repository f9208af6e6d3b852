// scripts/pack.sh produces a tarball that, installed into a clean directory, works in
// OpenCode with the binary it ships (no OMNIROUTE_RPC_BIN, nothing on PATH).
// The package is copied to a temp dir first so the source tree is never touched; the test
// packages the debug binary (--binary) instead of running a release build.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { hermeticDirs, binaryAvailable, RPC_BIN, PACKAGE_DIR } from './helpers/env.js';
import { startMockGateway, TEST_KEY } from './helpers/mock-gateway.js';
import { ensureOpenCode, runOpenCode, parseVerboseModels } from './helpers/opencode.js';

const skip = !binaryAvailable() ? `omniroute-rpc not usable at ${RPC_BIN}` : false;
const h = hermeticDirs('omniroute-pack');
after(() => h.cleanup());

test('pack.sh → npm install into a clean dir → the packaged binary is found and used', { skip, timeout: 300000 }, async (t) => {
  const src = path.join(h.root, 'src');
  cpSync(PACKAGE_DIR, src, {
    recursive: true,
    filter: (p) => !/[\\/](node_modules|bin[\\/][^\\/]+-[^\\/]+)([\\/]|$)/.test(p) && !p.endsWith('.tgz'),
  });
  const out = path.join(h.root, 'out');
  const tarball = execFileSync('sh', [path.join(src, 'scripts', 'pack.sh'), '--binary', RPC_BIN, '--out', out], {
    encoding: 'utf8',
    env: { ...process.env, ...h.env },
  }).trim().split('\n').pop();
  assert.ok(tarball && existsSync(tarball), `tarball ${tarball}`);
  const listing = execFileSync('tar', ['tzf', tarball], { encoding: 'utf8' });
  const plat = `${process.platform}-${process.arch}`;
  assert.match(listing, new RegExp(`package/bin/${plat}/omniroute-rpc`));
  assert.doesNotMatch(listing, /package\/test\//, 'tests are not shipped');

  const clean = path.join(h.root, 'clean');
  mkdirSync(clean, { recursive: true });
  writeFileSync(path.join(clean, 'package.json'), '{"name":"clean","private":true}\n');
  execFileSync('npm', ['install', tarball, '--no-audit', '--no-fund', '--offline'], { cwd: clean, env: { ...process.env, ...h.env }, stdio: 'ignore' });
  const installed = path.join(clean, 'node_modules', 'opencode-omniroute-auth');
  assert.deepEqual(readdirSync(path.join(installed, 'bin')), [plat]);

  // the installed runtime finds its own binary
  const findOut = execFileSync(process.execPath, ['--input-type=module', '-e',
    `import('opencode-omniroute-auth/runtime').then(m => console.log(JSON.stringify(m.findBinary({ env: { PATH: '' } }))))`], { cwd: clean, encoding: 'utf8' });
  const found = JSON.parse(findOut);
  assert.equal(found.source, 'package');
  assert.equal(found.path, path.join(installed, 'bin', plat, 'omniroute-rpc'));

  if (process.env.OMNIROUTE_SKIP_OPENCODE === '1') {
    t.diagnostic('OMNIROUTE_SKIP_OPENCODE=1: OpenCode part skipped');
    return;
  }
  const oc = ensureOpenCode();
  const gw = await startMockGateway();
  try {
    const project = path.join(h.root, 'project');
    mkdirSync(project, { recursive: true });
    const env = {
      ...h.env,
      OPENCODE_CONFIG_CONTENT: JSON.stringify({
        plugin: [pathToFileURL(installed).href],
        provider: { omniroute: { options: { baseURL: gw.baseURL, modelsDev: { url: gw.modelsDevURL } } } },
      }),
      OPENCODE_AUTH_CONTENT: JSON.stringify({ omniroute: { type: 'api', key: TEST_KEY } }),
      OPENCODE_DISABLE_MODELS_FETCH: '1',
      OPENCODE_DISABLE_AUTOUPDATE: '1',
      npm_config_fetch_retries: '0',
    };
    const r = /** @type {any} */ (await runOpenCode(oc, ['models', 'omniroute', '--verbose'], { env, cwd: project }));
    assert.equal(r.code, 0, r.stderr);
    const models = parseVerboseModels(r.stdout, 'omniroute');
    assert.equal(models.get('cx/gpt-5.1-codex-mini')?.limit?.context, 400000, r.stdout.slice(0, 2000));
    assert.ok(models.has('coding-combo'));
  } finally {
    await gw.close();
  }
});
