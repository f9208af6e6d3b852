'use strict';
// JSON-RPC 2.0 client for the `omniroute-rpc` service over stdio (NDJSON framing), for the
// VS Code extension host.
//
// - The child is spawned lazily on the first call; `initialize` carries the session's options
//   and every other request waits for its answer (clients/README.md §10).
// - Every call is bounded by a timeout and can be cancelled (VS Code CancellationToken):
//   both send `$/cancelRequest` so the service stops the work.
// - When the child exits, pending calls fail and the next call spawns a new child.
// - `dispose()` closes stdin (the service exits on EOF) and kills it after a grace period.

const { spawn } = require('node:child_process');
const { findBinary } = require('./find-binary.js');

const CLIENT_NAME = 'vscode-omniroute';

class OmniRouteRpcError extends Error {
  /**
   * @param {string} message
   * @param {{ code?: number, kind?: string, method?: string }} [info]
   */
  constructor(message, info = {}) {
    super(message);
    this.name = 'OmniRouteRpcError';
    this.code = info.code;
    this.kind = info.kind;
    this.method = info.method;
  }
}

/**
 * @typedef {object} RpcClientOptions
 * @property {string} [rpcBinary]          the `omniroute.rpcBinary` setting
 * @property {string} [baseDir]            base for a relative rpcBinary
 * @property {NodeJS.ProcessEnv} [env]     environment of the child (default process.env)
 * @property {Record<string, unknown>} [options]  session options sent with `initialize`
 * @property {string} [version]            extension version for clientInfo
 * @property {number} [timeoutMs]          default per-call timeout (default 35000)
 * @property {number} [initTimeoutMs]      `initialize` timeout (default 10000)
 * @property {(level: 'debug'|'info'|'warn'|'error', msg: string) => void} [log]
 */

/**
 * @typedef {{ isCancellationRequested: boolean, onCancellationRequested: (fn: () => void) => { dispose(): void } }} CancelToken
 */

class RpcClient {
  /** @param {RpcClientOptions} [opts] */
  constructor(opts = {}) {
    this.opts = opts;
    /** @type {import('node:child_process').ChildProcessWithoutNullStreams | null} */
    this.child = null;
    /** @type {Promise<any> | null} */
    this.ready = null;
    this.nextId = 1;
    /** @type {Map<number, {resolve: (v: any) => void, reject: (e: Error) => void, method: string, child: object}>} */
    this.pending = new Map();
    /** @type {Set<(method: string, params: any) => void>} */
    this.listeners = new Set();
    /** @type {string[]} */
    this.stderrTail = [];
    /** @type {string[]} warnings of the last `initialize` */
    this.initWarnings = [];
    this.binaryPath = '';
    this.disposed = false;
  }

  /** @param {'debug'|'info'|'warn'|'error'} level @param {string} msg */
  log(level, msg) {
    try {
      this.opts.log?.(level, msg);
    } catch {
      /* a logger never breaks a call */
    }
  }

  /** @param {(method: string, params: any) => void} fn @returns {{ dispose(): void }} */
  onNotification(fn) {
    this.listeners.add(fn);
    return { dispose: () => this.listeners.delete(fn) };
  }

  /**
   * Call a method, spawning the service if needed.
   * @param {string} method
   * @param {unknown} [params]
   * @param {{ timeoutMs?: number, token?: CancelToken }} [callOpts]
   * @returns {Promise<any>}
   */
  async call(method, params, callOpts = {}) {
    await this.start();
    return this.request(method, params, callOpts.timeoutMs ?? this.opts.timeoutMs ?? 35000, callOpts.token);
  }

  /**
   * Send a notification, spawning the service if needed (after `initialize` answered).
   * @param {string} method @param {unknown} [params]
   */
  async notify(method, params) {
    await this.start();
    this.write({ jsonrpc: '2.0', method, ...(params === undefined ? {} : { params }) });
  }

  /** Spawn and initialize the service unless it runs. */
  async start() {
    if (this.disposed) throw new OmniRouteRpcError('omniroute-rpc client is disposed', { kind: 'disposed' });
    if (!this.child || !this.ready) this.spawnChild();
    await this.ready;
  }

  spawnChild() {
    const env = this.opts.env ?? process.env;
    const bin = findBinary({ explicit: this.opts.rpcBinary, baseDir: this.opts.baseDir, env }).path;
    this.binaryPath = bin;
    this.log('debug', `spawning ${bin}`);
    const child = spawn(bin, [], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...env }, windowsHide: true });
    this.child = child;
    this.stderrTail = [];

    let buf = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk) => {
      buf += chunk;
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl).trim();
        buf = buf.slice(nl + 1);
        if (line) this.onLine(line);
      }
    });
    let errBuf = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk) => {
      errBuf += chunk;
      let nl;
      while ((nl = errBuf.indexOf('\n')) >= 0) {
        const line = errBuf.slice(0, nl);
        errBuf = errBuf.slice(nl + 1);
        this.stderrTail.push(line);
        if (this.stderrTail.length > 20) this.stderrTail.shift();
        this.log('debug', `[omniroute-rpc] ${line}`);
      }
    });
    child.stdin.on('error', (err) => this.log('debug', `stdin of omniroute-rpc: ${err.message}`));
    child.on('error', (err) => this.onExit(child, null, null, err));
    child.on('exit', (code, signal) => this.onExit(child, code, signal));

    const init = this.request(
      'initialize',
      { clientInfo: { name: CLIENT_NAME, version: this.opts.version ?? '0.0.0' }, options: this.opts.options ?? {} },
      this.opts.initTimeoutMs ?? 10000,
    ).then(
      (result) => {
        this.initWarnings = Array.isArray(result?.warnings) ? result.warnings.map(String) : [];
        for (const w of this.initWarnings) this.log('warn', `omniroute-rpc: ${w}`);
        this.write({ jsonrpc: '2.0', method: 'initialized', params: {} });
        return result;
      },
      (err) => {
        // A service that cannot answer `initialize` is useless: kill it, the next call respawns.
        if (this.child === child) this.kill(child);
        throw err;
      },
    );
    init.catch(() => {});
    this.ready = init;
  }

  /**
   * @param {object} child @param {number|null} code @param {NodeJS.Signals|null} signal @param {Error} [err]
   */
  onExit(child, code, signal, err) {
    if (this.child !== child) return;
    this.child = null;
    this.ready = null;
    const tail = this.stderrTail.slice(-5).join(' | ');
    const why = err
      ? `could not run ${this.binaryPath}: ${err.message}`
      : `omniroute-rpc exited (${signal ? 'signal ' + signal : 'code ' + code})` + (tail ? `; stderr: ${tail}` : '');
    this.log(this.pending.size ? 'warn' : 'debug', why);
    const error = new OmniRouteRpcError(why, { kind: err ? 'spawn_failed' : 'service_exited' });
    for (const [id, p] of this.pending) {
      if (p.child !== child) continue;
      this.pending.delete(id);
      p.reject(error);
    }
  }

  /** @param {string} line */
  onLine(line) {
    let msg;
    try {
      msg = JSON.parse(line);
    } catch {
      this.log('debug', `ignoring a non-JSON line from omniroute-rpc: ${line.slice(0, 200)}`);
      return;
    }
    for (const m of Array.isArray(msg) ? msg : [msg]) this.onMessage(m);
  }

  /** @param {any} msg */
  onMessage(msg) {
    if (!msg || typeof msg !== 'object') return;
    if (typeof msg.method === 'string') {
      if (msg.id !== undefined && msg.id !== null) {
        this.write({ jsonrpc: '2.0', id: msg.id, error: { code: -32601, message: `method not found: ${msg.method}` } });
        return;
      }
      for (const fn of this.listeners) {
        try {
          fn(msg.method, msg.params);
        } catch (e) {
          this.log('warn', `handler of ${msg.method} failed: ${e instanceof Error ? e.message : e}`);
        }
      }
      return;
    }
    const p = this.pending.get(msg.id);
    if (!p) return;
    this.pending.delete(msg.id);
    if (msg.error) {
      const e = msg.error;
      p.reject(new OmniRouteRpcError(String(e.message ?? 'error'), { code: e.code, kind: e.data?.kind, method: p.method }));
    } else p.resolve(msg.result);
  }

  /**
   * @param {string} method @param {unknown} params @param {number} timeoutMs @param {CancelToken} [token]
   * @returns {Promise<any>}
   */
  request(method, params, timeoutMs, token) {
    const child = this.child;
    return new Promise((resolve, reject) => {
      if (!child) {
        reject(new OmniRouteRpcError(`${method}: omniroute-rpc is not running`, { kind: 'service_exited' }));
        return;
      }
      const id = this.nextId++;
      /** @type {{ dispose(): void } | undefined} */
      let sub;
      const finish = () => {
        clearTimeout(timer);
        sub?.dispose();
      };
      /** @param {Error} err */
      const abandon = (err) => {
        if (!this.pending.has(id)) return;
        this.pending.delete(id);
        this.write({ jsonrpc: '2.0', method: '$/cancelRequest', params: { id } });
        finish();
        reject(err);
      };
      const timer = setTimeout(
        () => abandon(new OmniRouteRpcError(`${method}: omniroute-rpc did not answer within ${timeoutMs} ms`, { kind: 'timeout', method })),
        timeoutMs,
      );
      this.pending.set(id, {
        resolve: (v) => (finish(), resolve(v)),
        reject: (e) => (finish(), reject(e)),
        method,
        child,
      });
      if (token) {
        const cancel = () => abandon(new OmniRouteRpcError(`${method}: cancelled`, { kind: 'cancelled', method }));
        if (token.isCancellationRequested) {
          cancel();
          return;
        }
        sub = token.onCancellationRequested(cancel);
      }
      this.write({ jsonrpc: '2.0', id, method, ...(params === undefined ? {} : { params }) });
    });
  }

  /** @param {unknown} obj */
  write(obj) {
    const child = this.child;
    if (!child || child.stdin.destroyed) return;
    try {
      child.stdin.write(JSON.stringify(obj) + '\n');
    } catch (e) {
      this.log('debug', `write to omniroute-rpc failed: ${e instanceof Error ? e.message : e}`);
    }
  }

  /** @param {import('node:child_process').ChildProcess} child */
  kill(child) {
    try {
      child.stdin?.destroy();
    } catch {}
    try {
      child.kill('SIGKILL');
    } catch {}
  }

  /**
   * Stop the current service (the next call starts a new one, unless `final`).
   * Closes stdin, then kills the child if it has not exited after `graceMs`.
   * @param {{ final?: boolean, graceMs?: number }} [opts]
   */
  async stop(opts = {}) {
    if (opts.final) this.disposed = true;
    const child = this.child;
    if (!child) return;
    const exited = new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve(undefined);
      else child.once('exit', () => resolve(undefined));
    });
    try {
      child.stdin.end();
    } catch {}
    /** @type {NodeJS.Timeout | undefined} */
    let timer;
    const late = await Promise.race([
      exited.then(() => false),
      new Promise((r) => (timer = setTimeout(() => r(true), opts.graceMs ?? 1500))),
    ]);
    clearTimeout(timer);
    if (late) {
      this.kill(child);
      await exited;
    }
    this.onExit(child, child.exitCode, child.signalCode);
  }

  /** Stop for good (extension deactivation). */
  dispose() {
    return this.stop({ final: true });
  }
}

module.exports = { RpcClient, OmniRouteRpcError, CLIENT_NAME };
