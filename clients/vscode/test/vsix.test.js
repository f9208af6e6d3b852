'use strict';
// scripts/pack.sh builds a .vsix that carries the binary for this platform; the unpacked
// extension, with no setting, no OMNIROUTE_RPC_BIN and nothing on PATH, runs that binary and
// lists the gateway's models.

const test = require('node:test');
const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const host = require('./helpers/host.js');
const { startMockGateway, TEST_KEY } = require('./helpers/mock-gateway.js');

const vsce = path.join(host.PACKAGE_DIR, 'node_modules', '@vscode', 'vsce', 'vsce');
const skip = !host.binaryAvailable()
  ? `omniroute-rpc not runnable at ${host.RPC_BIN}`
  : !fs.existsSync(vsce)
    ? 'run npm ci first'
    : false;

test('the .vsix ships the binary and the unpacked extension uses it', { skip, timeout: 300000 }, async () => {
  const root = host.hermetic();
  const gw = await startMockGateway();
  /** @type {ReturnType<typeof host.activate> | undefined} */
  let h;
  const savedPath = process.env.PATH;
  try {
    const out = execFileSync('sh', [path.join(host.PACKAGE_DIR, 'scripts', 'pack.sh'), '--binary', host.RPC_BIN, '--out', path.join(root, 'dist')], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const vsix = out.trim().split('\n').pop() ?? '';
    const platform = `${process.platform}-${process.arch}`;
    assert.equal(path.basename(vsix), `omniroute-${platform}-0.1.0.vsix`);

    const unpacked = path.join(root, 'unpacked');
    execFileSync('unzip', ['-q', vsix, '-d', unpacked]);
    const manifest = fs.readFileSync(path.join(unpacked, 'extension.vsixmanifest'), 'utf8');
    assert.match(manifest, new RegExp(`TargetPlatform="${platform}"`));
    assert.match(manifest, /Id="omniroute"/);
    assert.match(manifest, /Publisher="omniroute"/);
    const ext = path.join(unpacked, 'extension');
    const pkg = JSON.parse(fs.readFileSync(path.join(ext, 'package.json'), 'utf8'));
    assert.equal(pkg.main, './extension.js');
    assert.equal(pkg.engines.vscode, '^1.104.0');
    assert.deepEqual(pkg.contributes.languageModelChatProviders.map((/** @type {any} */ p) => p.vendor), ['omniroute']);
    const bin = path.join(ext, 'bin', platform, 'omniroute-rpc');
    fs.accessSync(bin, fs.constants.X_OK);
    assert.ok(!fs.existsSync(path.join(ext, 'test')), 'tests are not shipped');
    assert.ok(!fs.existsSync(path.join(ext, 'node_modules')), 'no node_modules shipped');

    process.env.PATH = '/nonexistent';
    h = host.activate({ 'omniroute.baseURL': gw.baseURL, 'omniroute.modelsDev': { enabled: false } }, ext);
    await h.secrets.store('omniroute.apiKey', TEST_KEY);
    const models = await h.provider.provideLanguageModelChatInformation({ silent: true }, new host.vscode.CancellationTokenSource().token);
    assert.ok(models.some((/** @type {any} */ m) => m.id === 'mock/text'));
    assert.equal(h.api.service.client.binaryPath, bin);
  } finally {
    process.env.PATH = savedPath;
    await h?.deactivate();
    await gw.close();
    fs.rmSync(root, { recursive: true, force: true });
  }
});
