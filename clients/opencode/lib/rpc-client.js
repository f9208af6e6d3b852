// A small JSON-RPC 2.0 client for the `omniroute-rpc` service over stdio (NDJSON framing).
//
// - The child is spawned lazily on the first call, once per client (the package keeps one
//   client per process, see lib/shared.js).
// - Every call is bounded by a timeout; a timed-out request is cancelled with
//   `$/cancelRequest`. A service that does not even answer `initialize` is killed.
// - When the child exits, every pending call fails and the next call spawns a new child.
// - `dispose()` closes stdin (the service exits on EOF) and kills the child if it is still
//   alive after a grace period — unless the service said it is finishing a refresh
//   (`service/finishing`): then it is let go to finish and exit on its own.
// - The child and its pipes are unref'd while nothing is pending, so an idle service never
//   keeps the host process alive.

import { spawn } from 'node:child_process';
import { findBinary } from './find-binary.js';

export const PACKAGE_VERSION = '2.0.0';

export class OmniRouteRpcError extends Error {
  /**
   * @param {string} message
   * @param {{ code?: number, kind?: string, data?: unknown, method?: string }} [info]
   */
  constructor(message, info = {}) {
    super(message);
    this.name = 'OmniRouteRpcError';
    this.code = info.code;
    this.kind = info.kind;
    this.data = info.data;
    this.method = info.method;
  }
}

/**
 * @typedef {object} RpcClientOptions
 * @property {string} [binary]            explicit binary path (skips the search)
 * @property {string} [rpcBinary]         option value for the search (see find-binary.js)
 * @property {string} [baseDir]           base for relative rpcBinary paths
 * @property {NodeJS.ProcessEnv} [env]    environment of the child (default process.env)
 * @property {number} [timeoutMs]         default per-call timeout (default 35000)
 * @property {number} [initTimeoutMs]     timeout of the `initialize` handshake (default 10000)
 * @property {number} [disposeGraceMs]    wait for exit after closing stdin (default 1500)
 * @property {(level: 'debug'|'info'|'warn'|'error', msg: string) => void} [log]
 * @property {(method: string, params: any) => void} [onNotification]
 */

/** How long `dispose` waits for a service that said it is finishing a refresh before letting
 * it go (quick work such as cache writes is done by then). */
export const FINISHING_WAIT_MS = 100;

/**
 * Whether a child (and its pipes) keeps the host process alive.
 * @param {import('node:child_process').ChildProcess} child @param {boolean} hold
 */
function holdHost(child, hold) {
  for (const s of [child, child.stdin, child.stdout, child.stderr]) {
    try {
      // @ts-ignore streams of a child are sockets/pipes with ref/unref in Node and Bun
      if (s && typeof s.ref === 'function') hold ? s.ref() : s.unref();
    } catch {
      /* not supported by this runtime */
    }
  }
}

export class RpcClient {
  /** @param {RpcClientOptions} [opts] */
  constructor(opts = {}) {
    this.opts = opts;
    this.env = opts.env ?? process.env;
    this.debug = this.env.OMNIROUTE_DEBUG === '1';
    /** @type {import('node:child_process').ChildProcess | null} */
    this.child = null;
    /** @type {Promise<void> | null} */
    this.ready = null;
    this.nextId = 1;
    /** @type {Map<number, {resolve: Function, reject: Function, timer: NodeJS.Timeout, method: string, child?: import("node:child_process").ChildProcess}>} */
    this.pending = new Map();
    /** @type {Set<(method: string, params: any) => void>} */
    this.listeners = new Set();
    if (opts.onNotification) this.listeners.add(opts.onNotification);
    /** @type {string[]} last stderr lines, for crash messages */
    this.stderrTail = [];
    this.spawnCount = 0;
    this.serverInfo = null;
    this.binaryPath = null;
    /** @type {{child: import('node:child_process').ChildProcess | null, withinMs: number} | null} */
    this.finishing = null;
    /** @type {Set<(v: unknown) => void>} woken by `service/finishing` */
    this.finishingWaiters = new Set();
  }

  /** @param {'debug'|'info'|'warn'|'error'} level @param {string} msg */
  log(level, msg) {
    try {
      this.opts.log?.(level, msg);
    } catch {
      /* a logger must never break a call */
    }
  }

  /** @param {(method: string, params: any) => void} fn */
  onNotification(fn) {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  get pid() {
    return this.child?.pid ?? null;
  }

  /**
   * Call a method. Spawns the service if needed.
   * @param {string} method
   * @param {unknown} [params]
   * @param {{ timeoutMs?: number }} [callOpts]
   * @returns {Promise<any>}
   */
  async call(method, params, callOpts = {}) {
    const timeoutMs = callOpts.timeoutMs ?? this.opts.timeoutMs ?? 35000;
    const deadline = Date.now() + timeoutMs;
    await this.ensureStarted(timeoutMs);
    const left = Math.max(1, deadline - Date.now());
    return this.request(method, params, left);
  }

  /** @param {string} method @param {unknown} [params] */
  notify(method, params) {
    if (!this.child) return;
    this.write({ jsonrpc: '2.0', method, ...(params === undefined ? {} : { params }) });
  }

  /** @param {number} budgetMs */
  async ensureStarted(budgetMs) {
    if (this.child && this.ready) {
      return withTimeout(this.ready, budgetMs, () => this.timeoutError('initialize', budgetMs));
    }
    this.spawnChild();
    return withTimeout(/** @type {Promise<void>} */ (this.ready), budgetMs, () =>
      this.timeoutError('initialize', budgetMs),
    );
  }

  spawnChild() {
    const bin =
      this.opts.binary ??
      findBinary({ explicit: this.opts.rpcBinary, baseDir: this.opts.baseDir, env: this.env }).path;
    this.binaryPath = bin;
    const env = { ...this.env };
    if (this.debug && !env.OMNIROUTE_LOG) env.OMNIROUTE_LOG = 'debug';
    this.spawnCount++;
    this.log('debug', `spawning ${bin} (start #${this.spawnCount})`);
    const child = spawn(bin, [], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env,
      windowsHide: true,
    });
    this.child = child;
    this.stderrTail = [];

    let buf = '';
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk) => {
      buf += chunk;
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl).trim();
        buf = buf.slice(nl + 1);
        if (line) this.onLine(line);
      }
    });
    let errBuf = '';
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk) => {
      errBuf += chunk;
      let nl;
      while ((nl = errBuf.indexOf('\n')) >= 0) {
        const line = errBuf.slice(0, nl);
        errBuf = errBuf.slice(nl + 1);
        this.stderrTail.push(line);
        if (this.stderrTail.length > 20) this.stderrTail.shift();
        if (this.debug) this.log('debug', `[omniroute-rpc] ${line}`);
      }
    });
    child.stdin?.on('error', (err) => {
      this.log('debug', `stdin of omniroute-rpc: ${err.message}`);
    });
    child.on('error', (err) => {
      // spawn failure (ENOENT, EACCES) or a kill error
      this.onExit(child, null, null, err);
    });
    child.on('exit', (code, signal) => this.onExit(child, code, signal));

    const initTimeout = this.opts.initTimeoutMs ?? 10000;
    this.ready = this.request(
      'initialize',
      { clientInfo: { name: 'opencode-omniroute-auth', version: PACKAGE_VERSION } },
      initTimeout,
      child,
    ).then(
      (result) => {
        this.serverInfo = result?.serverInfo ?? null;
        this.notify('initialized', {});
        for (const w of result?.warnings ?? []) this.log('warn', `omniroute-rpc: ${w}`);
      },
      (err) => {
        // A service that cannot answer `initialize` is useless: kill it so the next call
        // starts fresh.
        if (this.child === child) this.kill(child);
        throw err;
      },
    );
    // Avoid an unhandled rejection when nobody awaits `ready` (it is always awaited in
    // ensureStarted, but be safe).
    this.ready.catch(() => {});
    this.updateRef();
  }

  /**
   * @param {import('node:child_process').ChildProcess} child
   * @param {number|null} code @param {NodeJS.Signals|null} signal @param {Error} [err]
   */
  onExit(child, code, signal, err) {
    if (this.child !== child) return;
    this.child = null;
    this.ready = null;
    const tail = this.stderrTail.slice(-5).join(' | ');
    const why = err
      ? `could not run ${this.binaryPath}: ${err.message}`
      : `omniroute-rpc exited (${signal ? 'signal ' + signal : 'code ' + code})` + (tail ? `; stderr: ${tail}` : '');
    if (this.pending.size) this.log(err ? 'error' : 'warn', why);
    else this.log('debug', why);
    const error = new OmniRouteRpcError(why, { kind: err ? 'spawn_failed' : 'service_exited' });
    for (const [id, p] of this.pending) {
      if (p.child && p.child !== child) continue;
      clearTimeout(p.timer);
      this.pending.delete(id);
      p.reject(error);
    }
    this.updateRef();
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
    if (Array.isArray(msg)) {
      for (const m of msg) this.onMessage(m);
    } else this.onMessage(msg);
  }

  /** @param {any} msg */
  onMessage(msg) {
    if (!msg || typeof msg !== 'object') return;
    if (typeof msg.method === 'string') {
      if (msg.id !== undefined && msg.id !== null) {
        // A server->client request: we implement none.
        this.write({ jsonrpc: '2.0', id: msg.id, error: { code: -32601, message: `method not found: ${msg.method}` } });
        return;
      }
      if (msg.method === 'service/finishing') {
        // stdin closed while a refresh runs: the service exits on its own within withinMs
        const within = Number(msg.params?.withinMs);
        this.finishing = { child: this.child, withinMs: Number.isFinite(within) && within > 0 ? within : 10000 };
        for (const wake of this.finishingWaiters) wake(undefined);
        this.finishingWaiters.clear();
      }
      for (const fn of this.listeners) {
        try {
          fn(msg.method, msg.params);
        } catch (e) {
          this.log('warn', `notification handler for ${msg.method} failed: ${e instanceof Error ? e.message : e}`);
        }
      }
      return;
    }
    const p = this.pending.get(msg.id);
    if (!p) return;
    this.pending.delete(msg.id);
    clearTimeout(p.timer);
    this.updateRef();
    if (msg.error) {
      const e = msg.error;
      p.reject(
        new OmniRouteRpcError(`${p.method}: ${e.message ?? 'error'}`, {
          code: e.code,
          kind: e.data?.kind,
          data: e.data,
          method: p.method,
        }),
      );
    } else p.resolve(msg.result);
  }

  /**
   * @param {string} method @param {unknown} params @param {number} timeoutMs
   * @param {import('node:child_process').ChildProcess} [child]
   */
  request(method, params, timeoutMs, child = this.child ?? undefined) {
    return new Promise((resolve, reject) => {
      if (!child || child !== this.child) {
        reject(new OmniRouteRpcError(`${method}: omniroute-rpc is not running`, { kind: 'service_exited' }));
        return;
      }
      const id = this.nextId++;
      const timer = setTimeout(() => {
        if (!this.pending.has(id)) return;
        this.pending.delete(id);
        this.updateRef();
        this.notify('$/cancelRequest', { id });
        reject(this.timeoutError(method, timeoutMs));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer, method, child });
      this.updateRef();
      this.write({ jsonrpc: '2.0', id, method, ...(params === undefined ? {} : { params }) });
    });
  }

  /** @param {string} method @param {number} ms */
  timeoutError(method, ms) {
    return new OmniRouteRpcError(`${method}: omniroute-rpc did not answer within ${ms} ms`, {
      kind: 'timeout',
      method,
    });
  }

  /** @param {unknown} obj */
  write(obj) {
    const child = this.child;
    if (!child?.stdin || child.stdin.destroyed) return;
    try {
      child.stdin.write(JSON.stringify(obj) + '\n');
    } catch (e) {
      this.log('debug', `write to omniroute-rpc failed: ${e instanceof Error ? e.message : e}`);
    }
  }

  /** Keep the host process alive only while a call is pending. */
  updateRef() {
    const child = this.child;
    if (!child) return;
    holdHost(child, this.pending.size > 0);
  }

  /**
   * Let a finishing service run on without this client: it no longer keeps the host alive,
   * its calls fail now, and it is killed only if it outlives its own bound by 2 s.
   * @param {import('node:child_process').ChildProcess} child @param {number} withinMs
   */
  letGo(child, withinMs) {
    this.log('debug', `omniroute-rpc is finishing a refresh (exits within ${withinMs} ms); not waiting for it`);
    holdHost(child, false);
    const timer = setTimeout(() => {
      if (child.exitCode === null && child.signalCode === null) this.kill(child);
    }, withinMs + 2000);
    // @ts-ignore
    timer.unref?.();
    if (this.child === child) {
      this.child = null;
      this.ready = null;
      const error = new OmniRouteRpcError('omniroute-rpc was disposed', { kind: 'service_exited' });
      for (const [id, p] of this.pending) {
        if (p.child && p.child !== child) continue;
        clearTimeout(p.timer);
        this.pending.delete(id);
        p.reject(error);
      }
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
   * Stop the service: close stdin (it exits on EOF), then kill it if it is still alive
   * after the grace period. A service that answers EOF with `service/finishing` (a refresh
   * still runs; it exits on its own within `withinMs`) is not waited for past a short
   * moment: it is let go to finish, so what it fetches lands in the disk snapshot for the next
   * start without holding the host's exit. Safe to call any number of times.
   */
  async dispose() {
    const child = this.child;
    if (!child) return;
    const grace = this.opts.disposeGraceMs ?? 1500;
    const exited = new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve(undefined);
      else child.once('exit', () => resolve(undefined));
    });
    try {
      child.stdin?.end();
    } catch {}
    const finishing = () => this.finishing?.child === child;
    /** @type {(v: unknown) => void} */ let wake = () => {};
    const notice = new Promise((r) => {
      wake = r;
      if (finishing()) r(undefined);
      else this.finishingWaiters.add(r);
    });
    /** @param {number} ms @param {boolean} onNotice @returns {Promise<'exit' | 'finishing' | 'time'>} */
    const next = async (ms, onNotice) => {
      let timer;
      const outcome = await Promise.race([
        exited.then(() => /** @type {const} */ ('exit')),
        ...(onNotice ? [notice.then(() => /** @type {const} */ ('finishing'))] : []),
        new Promise((r) => {
          timer = setTimeout(() => r('time'), ms);
          // @ts-ignore
          timer.unref?.();
        }),
      ]);
      clearTimeout(timer);
      return /** @type {'exit' | 'finishing' | 'time'} */ (outcome);
    };
    // A short wait for a quick exit first; then a service that said it is finishing is let go
    // (at once if it says so later), any other is waited for until the grace ends.
    const first = Math.min(grace, FINISHING_WAIT_MS);
    let outcome = await next(first, false);
    if (outcome === 'time') outcome = finishing() ? 'finishing' : await next(grace - first, true);
    this.finishingWaiters.delete(wake);
    if (outcome === 'finishing' && finishing() && this.finishing) {
      this.letGo(child, this.finishing.withinMs);
      return;
    }
    const timedOut = outcome !== 'exit';
    if (timedOut) {
      this.log('debug', 'omniroute-rpc did not exit on stdin EOF; killing it');
      this.kill(child);
      await Promise.race([exited, new Promise((r) => setTimeout(r, 1000).unref?.())]);
    }
    if (this.child === child) this.onExit(child, child.exitCode, child.signalCode);
  }
}

/**
 * @template T
 * @param {Promise<T>} p @param {number} ms @param {() => Error} mkErr
 * @returns {Promise<T>}
 */
export function withTimeout(p, ms, mkErr) {
  let timer;
  return Promise.race([
    p,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(mkErr()), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
