// Helpers for e2e.test.mjs: the real OmniRoute's life cycle (install/start/seed/stop through the
// scripts next to this file), the mock upstream, a loopback models.dev, the gateway's management
// API, and an NDJSON JSON-RPC client for the real omniroute-rpc binary in a hermetic environment.
// Node 20 built-ins only. Everything binds or talks to 127.0.0.1.

import { spawn, execFile } from 'node:child_process';
import { createInterface } from 'node:readline';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, accessSync, constants } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MODELS_DEV } from './modelsdev-fixture.mjs';

export const HERE = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(HERE, '..', '..');
export const RPC_BIN = path.resolve(ROOT, process.env.OMNIROUTE_RPC_BIN || 'target/debug/omniroute-rpc');
export const TEST_KEY = process.env.OMNIROUTE_TEST_KEY || 'sk-e2etest0123456789-abcdef-12345678';
export const PLUGIN_DIR = path.join(ROOT, 'clients', 'opencode');

const log = (...a) => console.error('[e2e]', ...a);

/** Fails with a clear message when the binary is missing (run.sh builds nothing). */
export function requireBinary() {
  try {
    accessSync(RPC_BIN, constants.X_OK);
  } catch {
    throw new Error(`omniroute-rpc binary not found or not executable at ${RPC_BIN} (build it: cargo build; or set OMNIROUTE_RPC_BIN)`);
  }
  return RPC_BIN;
}

/** execFile as a promise; rejects with stdout/stderr tails. */
export function run(cmd, args, opts = {}) {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { maxBuffer: 64 * 1024 * 1024, timeout: opts.timeoutMs ?? 120000, ...opts }, (err, stdout, stderr) => {
      if (err) {
        err.message += `\nstdout:\n${String(stdout).slice(-2000)}\nstderr:\n${String(stderr).slice(-4000)}`;
        reject(err);
      } else resolve({ stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

/** A throwaway HOME + XDG dirs. */
export function hermeticDirs(label = 'omniroute-e2e-rpc', parent = os.tmpdir()) {
  const root = mkdtempSync(path.join(parent, `${label}-`));
  const env = {
    HOME: path.join(root, 'home'),
    XDG_CONFIG_HOME: path.join(root, 'config'),
    XDG_DATA_HOME: path.join(root, 'data'),
    XDG_CACHE_HOME: path.join(root, 'cache'),
    XDG_STATE_HOME: path.join(root, 'state'),
  };
  for (const d of Object.values(env)) mkdirSync(d, { recursive: true });
  return {
    root,
    env,
    authFile: path.join(env.XDG_DATA_HOME, 'opencode', 'auth.json'),
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}

// ------------------------------------------------------------------------------------------
// The gateway's life cycle

/**
 * Installs (cached), starts the mock upstream and OmniRoute, seeds. Writes PIDs into stateDir so
 * run.sh's EXIT trap can stop them if this process dies. Returns a handle with stop().
 * @param {string} stateDir
 */
export async function startStack(stateDir) {
  mkdirSync(stateDir, { recursive: true });
  const timings = {};
  const handle = {
    stateFile: path.join(stateDir, 'omniroute.state'),
    mockPidFile: path.join(stateDir, 'mock.pid'),
    mock: /** @type {import('node:child_process').ChildProcess | null} */ (null),
    timings,
    stopped: false,
    async stop() {
      if (handle.stopped) return;
      handle.stopped = true;
      const t = Date.now();
      if (existsSync(handle.stateFile)) {
        try {
          await run('bash', [path.join(HERE, 'omniroute-stop.sh'), handle.stateFile], { timeoutMs: 30000 });
          rmSync(handle.stateFile, { force: true });
        } catch (e) {
          log(`omniroute-stop.sh failed: ${e.message}`);
        }
      }
      if (handle.mock && handle.mock.exitCode === null && handle.mock.signalCode === null) {
        const exited = new Promise((r) => handle.mock.once('exit', r));
        handle.mock.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
        if (handle.mock.exitCode === null && handle.mock.signalCode === null) handle.mock.kill('SIGKILL');
      }
      rmSync(handle.mockPidFile, { force: true });
      timings.stopMs = Date.now() - t;
    },
  };

  let t = Date.now();
  let installDir = process.env.OMNIROUTE_E2E_INSTALL_DIR; // run.sh installed it already
  timings.install = 'done by run.sh';
  if (!installDir || !existsSync(path.join(installDir, 'app', 'server.js'))) {
    timings.install = undefined;
    const inst = await run('bash', [path.join(HERE, 'omniroute-install.sh')], { timeoutMs: 1200000 });
    installDir = inst.stdout.trim().split('\n').pop();
  }
  timings.install ??= `${Date.now() - t} ms`;

  // mock upstream: exits with its stdin (our pipe) too, so it never outlives this process
  t = Date.now();
  const mock = spawn(process.execPath, [path.join(HERE, 'mock-upstream.mjs')], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', MOCK_QUIET: '1', MOCK_EXIT_ON_STDIN_EOF: '1' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  handle.mock = mock;
  writeFileSync(handle.mockPidFile, `${mock.pid}\n`);
  let mockErr = '';
  mock.stderr.setEncoding('utf8').on('data', (c) => (mockErr = (mockErr + c).slice(-4000)));
  const mockPort = await new Promise((resolve, reject) => {
    const rl = createInterface({ input: mock.stdout });
    const timer = setTimeout(() => reject(new Error(`mock upstream printed no port: ${mockErr}`)), 10000);
    rl.once('line', (line) => {
      clearTimeout(timer);
      try {
        resolve(JSON.parse(line).port);
      } catch (e) {
        reject(new Error(`mock upstream printed ${line}`));
      }
    });
    mock.once('exit', (c) => reject(new Error(`mock upstream exited (${c}): ${mockErr}`)));
  });
  handle.upstream = `http://127.0.0.1:${mockPort}`;

  try {
    const st = await run('bash', [path.join(HERE, 'omniroute-start.sh'), handle.stateFile], {
      env: { ...process.env, OMNIROUTE_E2E_INSTALL_DIR: installDir, OMNIROUTE_TEST_KEY: TEST_KEY },
      timeoutMs: 180000,
    });
    const kv = Object.fromEntries(
      st.stdout.split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
    Object.assign(handle, { baseURL: kv.BASE_URL, origin: kv.ORIGIN, pid: Number(kv.PID), log: kv.LOG });
    timings.startMs = Date.now() - t;

    t = Date.now();
    const seed = await run(process.execPath, [path.join(HERE, 'omniroute-seed.mjs'), handle.baseURL, handle.upstream], { timeoutMs: 120000 });
    handle.seed = JSON.parse(seed.stdout);
    timings.seedMs = Date.now() - t;
  } catch (e) {
    await handle.stop();
    throw e;
  }
  return handle;
}

// ------------------------------------------------------------------------------------------
// models.dev on loopback

/** Serves MODELS_DEV at /api.json; counts requests. */
export async function startModelsDev() {
  const body = Buffer.from(JSON.stringify(MODELS_DEV));
  const state = { requests: 0 };
  const server = http.createServer((req, res) => {
    if (req.url === '/api.json') {
      state.requests++;
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
      res.end(body);
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
    }
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${server.address().port}/api.json`;
  return {
    url,
    state,
    close: () => new Promise((r) => { server.closeAllConnections?.(); server.close(() => r()); }),
  };
}

// ------------------------------------------------------------------------------------------
// The gateway's HTTP APIs

/** fetch against the gateway; returns {status, json, text}. */
export async function gw(origin, method, p, body, headers = {}) {
  const res = await fetch(origin + p, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(30000),
  });
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, json, text, headers: res.headers };
}

export async function comboId(origin, name) {
  const r = await gw(origin, 'GET', '/api/combos');
  return (r.json?.combos ?? []).find((c) => c.name === name)?.id;
}

export async function createCombo(origin, def) {
  const r = await gw(origin, 'POST', '/api/combos', def);
  if (r.status !== 200 && r.status !== 201) throw new Error(`POST /api/combos ${def.name} -> ${r.status} ${r.text.slice(0, 300)}`);
  return r.json;
}

export async function deleteCombo(origin, name) {
  const id = await comboId(origin, name);
  if (!id) return false;
  const r = await gw(origin, 'DELETE', `/api/combos/${encodeURIComponent(id)}`);
  if (r.status !== 200) throw new Error(`DELETE /api/combos/${id} (${name}) -> ${r.status} ${r.text.slice(0, 300)}`);
  return true;
}

// ------------------------------------------------------------------------------------------
// JSON-RPC over NDJSON to the real binary

const liveClients = new Set();

export class RpcClient {
  /**
   * @param {Record<string,string>} dirsEnv HOME/XDG_* of a hermeticDirs()
   * @param {Record<string,string>} [extraEnv]
   */
  constructor(dirsEnv, extraEnv = {}) {
    // env cleared: no OMNIROUTE_*, no OPENCODE_* from the developer's shell
    this.child = spawn(RPC_BIN, [], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...dirsEnv, ...extraEnv },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.nextId = 1;
    /** @type {Map<number, {resolve: Function, timer: NodeJS.Timeout}>} */
    this.pending = new Map();
    /** @type {any[]} */
    this.notifications = [];
    this.stdout = '';
    this.stderr = '';
    this.exited = new Promise((r) => this.child.once('exit', (code, signal) => r({ code, signal })));
    this.child.stderr.setEncoding('utf8').on('data', (c) => (this.stderr += c));
    this.child.stdin.on('error', () => {});
    const rl = createInterface({ input: this.child.stdout });
    rl.on('line', (line) => {
      this.stdout += line + '\n';
      let msg;
      try {
        msg = JSON.parse(line);
      } catch {
        this.protocolErrors = (this.protocolErrors ?? []).concat(line);
        return;
      }
      if (msg.id !== undefined && msg.id !== null && this.pending.has(msg.id)) {
        const p = this.pending.get(msg.id);
        this.pending.delete(msg.id);
        clearTimeout(p.timer);
        p.resolve(msg);
      } else if (msg.method) {
        this.notifications.push(msg);
      }
    });
    this.child.once('exit', () => {
      for (const [id, p] of this.pending) {
        clearTimeout(p.timer);
        p.resolve({ id, error: { code: 'EXITED', message: `omniroute-rpc exited; stderr:\n${this.stderr.slice(-3000)}` } });
      }
      this.pending.clear();
    });
    liveClients.add(this);
  }

  /** @returns {Promise<any>} the whole response object */
  request(method, params, timeoutMs = 45000) {
    const id = this.nextId++;
    const msg = { jsonrpc: '2.0', id, method, ...(params === undefined ? {} : { params }) };
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        resolve({ id, error: { code: 'TIMEOUT', message: `${method}: no answer within ${timeoutMs} ms; stderr:\n${this.stderr.slice(-3000)}` } });
      }, timeoutMs);
      this.pending.set(id, { resolve, timer });
      this.child.stdin.write(JSON.stringify(msg) + '\n');
    });
  }

  async ok(method, params, timeoutMs) {
    const r = await this.request(method, params, timeoutMs);
    if (r.error || !('result' in r)) throw new Error(`${method} failed: ${JSON.stringify(r.error ?? r)}\nstderr:\n${this.stderr.slice(-2000)}`);
    return r.result;
  }

  async err(method, params, timeoutMs) {
    const r = await this.request(method, params, timeoutMs);
    if (!r.error) throw new Error(`${method} unexpectedly succeeded: ${JSON.stringify(r.result).slice(0, 2000)}`);
    return r.error;
  }

  /** Closes stdin (the service exits on EOF); kills it after 5 s. */
  async close() {
    liveClients.delete(this);
    this.child.stdin.end();
    const t = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    const r = await this.exited;
    clearTimeout(t);
    return r;
  }
}

/** Kills every client still alive (for `after`). */
export async function closeAllClients() {
  await Promise.all([...liveClients].map((c) => c.close()));
}

/** models of a models.list result by id */
export const byId = (r) => new Map(r.models.map((m) => [m.id, m]));

export function readJson(file) {
  return JSON.parse(readFileSync(file, 'utf8'));
}
