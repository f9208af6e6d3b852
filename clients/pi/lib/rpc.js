// A small JSON-RPC 2.0 client for `omniroute-rpc` over stdio, NDJSON framing.
//
// - One child per client; replies are matched by id; messages without an id go to the
//   notification listeners.
// - Every call has a timeout; a timed-out call is cancelled with `$/cancelRequest`.
// - The child and its pipes are ref'd only while a call is pending: an idle service never
//   keeps Pi's process alive (print mode exits when its event loop is empty), while a pending
//   call (e.g. the factory's models.list) does.
// - close() sends shutdown + exit and closes stdin (the service exits on EOF); a child still
//   alive after the grace period is killed.

import { spawn } from 'node:child_process';

/** An error answered by the service (code/kind from the JSON-RPC error) or by this client. */
export class RpcError extends Error {
  /**
   * @param {string} message
   * @param {{ code?: number, kind?: string, method?: string }} [info]
   */
  constructor(message, info = {}) {
    super(message);
    this.name = 'RpcError';
    this.code = info.code;
    this.kind = info.kind;
    this.method = info.method;
  }
}

/**
 * @typedef {object} RpcOptions
 * @property {string} binary                 path of omniroute-rpc
 * @property {NodeJS.ProcessEnv} [env]       environment of the child
 * @property {number} [timeoutMs]            default per-call timeout (35000)
 * @property {number} [closeGraceMs]         wait for exit after closing stdin (1500)
 * @property {(line: string) => void} [onStderr]  the service's log lines
 */

export class RpcClient {
  /** @param {RpcOptions} opts */
  constructor(opts) {
    this.opts = opts;
    this.nextId = 1;
    /** @type {Map<number, {resolve: (v: any) => void, reject: (e: Error) => void, timer: NodeJS.Timeout, method: string}>} */
    this.pending = new Map();
    /** @type {Set<(method: string, params: any) => void>} */
    this.listeners = new Set();
    /** @type {string[]} */
    this.stderrTail = [];
    this.closed = false;
    /** @type {{code: number|null, signal: string|null} | null} */
    this.exitStatus = null;
    const child = spawn(opts.binary, [], { stdio: ['pipe', 'pipe', 'pipe'], env: opts.env ?? process.env, windowsHide: true });
    this.child = child;
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exitStatus = { code, signal };
        this.failAll(`omniroute-rpc exited (${signal ? 'signal ' + signal : 'code ' + code})${this.tail()}`, 'service_exited');
        resolve(this.exitStatus);
      });
    });
    child.once('error', (err) => {
      this.exitStatus ??= { code: null, signal: null };
      this.failAll(`could not run ${opts.binary}: ${err.message}`, 'spawn_failed');
    });
    child.stdin.on('error', () => {}); // EPIPE after the child died: the exit handler reports it
    let buf = '';
    child.stdout.setEncoding('utf8').on('data', (chunk) => {
      buf += chunk;
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl).trim();
        buf = buf.slice(nl + 1);
        if (line) this.onLine(line);
      }
    });
    let errBuf = '';
    child.stderr.setEncoding('utf8').on('data', (chunk) => {
      errBuf += chunk;
      let nl;
      while ((nl = errBuf.indexOf('\n')) >= 0) {
        const line = errBuf.slice(0, nl);
        errBuf = errBuf.slice(nl + 1);
        this.stderrTail.push(line);
        if (this.stderrTail.length > 20) this.stderrTail.shift();
        opts.onStderr?.(line);
      }
    });
    this.updateRef();
  }

  get pid() {
    return this.child.pid;
  }

  tail() {
    const t = this.stderrTail.slice(-3).join(' | ');
    return t ? `; stderr: ${t}` : '';
  }

  /** @param {(method: string, params: any) => void} fn */
  onNotification(fn) {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /**
   * @param {string} method @param {unknown} [params] @param {{timeoutMs?: number}} [o]
   * @returns {Promise<any>} the result
   */
  call(method, params, o = {}) {
    if (this.closed || this.exitStatus) {
      return Promise.reject(new RpcError(`omniroute-rpc is not running (${method})${this.tail()}`, { kind: 'service_exited', method }));
    }
    const id = this.nextId++;
    const timeoutMs = o.timeoutMs ?? this.opts.timeoutMs ?? 35000;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        this.updateRef();
        this.notify('$/cancelRequest', { id });
        reject(new RpcError(`omniroute-rpc did not answer ${method} within ${timeoutMs} ms`, { kind: 'timeout', method }));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer, method });
      this.updateRef();
      this.write({ jsonrpc: '2.0', id, method, ...(params === undefined ? {} : { params }) });
    });
  }

  /** A notification (no answer). Dropped when the service is gone. @param {string} method @param {unknown} [params] */
  notify(method, params) {
    if (this.closed || this.exitStatus) return;
    this.write({ jsonrpc: '2.0', method, ...(params === undefined ? {} : { params }) });
  }

  /** @param {object} msg */
  write(msg) {
    if (!this.child.stdin.writable) return;
    this.child.stdin.write(JSON.stringify(msg) + '\n');
  }

  /** @param {string} line */
  onLine(line) {
    let msg;
    try {
      msg = JSON.parse(line);
    } catch {
      return; // only protocol frames are expected; never crash the host on a bad line
    }
    for (const m of Array.isArray(msg) ? msg : [msg]) this.onMessage(m);
  }

  /** @param {any} msg */
  onMessage(msg) {
    if (!msg || typeof msg !== 'object') return;
    if (typeof msg.method === 'string' && (msg.id === undefined || msg.id === null)) {
      for (const fn of this.listeners) {
        try {
          fn(msg.method, msg.params);
        } catch {
          /* a listener never breaks the client */
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
      p.reject(new RpcError(String(e.message ?? 'error'), { code: e.code, kind: e.data?.kind, method: p.method }));
    } else p.resolve(msg.result);
  }

  /** @param {string} why @param {string} kind */
  failAll(why, kind) {
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      this.pending.delete(id);
      p.reject(new RpcError(why, { kind, method: p.method }));
    }
    this.updateRef();
  }

  /** Keep Pi's event loop alive only while a call is pending. */
  updateRef() {
    const busy = this.pending.size > 0 && !this.exitStatus;
    const c = /** @type {any} */ (this.child);
    for (const h of [c, c.stdin, c.stdout, c.stderr]) {
      try {
        if (busy) h?.ref?.();
        else h?.unref?.();
      } catch {
        /* a closed handle */
      }
    }
  }

  /** shutdown + exit, close stdin; kill after the grace period. Idempotent. */
  async close() {
    if (!this.closed && !this.exitStatus) {
      try {
        await this.call('shutdown', undefined, { timeoutMs: 1000 });
      } catch {
        /* going away anyway */
      }
      this.notify('exit');
    }
    this.closed = true;
    try {
      this.child.stdin.end();
    } catch {
      /* already closed */
    }
    if (this.exitStatus) return this.exitStatus;
    const grace = setTimeout(() => this.child.kill('SIGKILL'), this.opts.closeGraceMs ?? 1500);
    const r = await this.exited;
    clearTimeout(grace);
    return r;
  }
}
