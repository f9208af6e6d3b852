// `opencode serve` on a free loopback port, with helpers for its HTTP API.

import { spawn } from 'node:child_process';
import net from 'node:net';

/** A free TCP port on 127.0.0.1. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = /** @type {import('node:net').AddressInfo} */ (s.address()).port;
      s.close(() => resolve(port));
    });
  });
}

/**
 * Start `opencode serve` and wait until it answers (bounded).
 * @param {string} bin @param {{ env: Record<string, string>, cwd: string, timeoutMs?: number }} opts
 */
export async function startServe(bin, opts) {
  const port = await freePort();
  const child = spawn(bin, ['serve', '--port', String(port), '--hostname', '127.0.0.1', '--print-logs', '--log-level', 'INFO'], {
    cwd: opts.cwd,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let logs = '';
  child.stdout.setEncoding('utf8').on('data', (c) => (logs += c));
  child.stderr.setEncoding('utf8').on('data', (c) => (logs += c));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (opts.timeoutMs ?? 90000);
  for (;;) {
    if (child.exitCode !== null) throw new Error(`opencode serve exited (${child.exitCode}):\n${logs.slice(-3000)}`);
    try {
      const r = await fetch(`${url}/path`, { signal: AbortSignal.timeout(5000) });
      if (r.ok) break;
    } catch {
      /* not listening yet, or the first request is stuck behind the instance's bootstrap: ask again */
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`opencode serve did not answer within ${opts.timeoutMs ?? 90000} ms:\n${logs.slice(-3000)}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }

  /** @param {string} p @param {unknown} [body] */
  async function api(p, body) {
    const init = body === undefined ? {} : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
    const r = await fetch(url + p, { ...init, signal: AbortSignal.timeout(90000) });
    const text = await r.text();
    if (!r.ok) throw new Error(`${body === undefined ? 'GET' : 'POST'} ${p}: HTTP ${r.status}: ${text.slice(0, 500)}`);
    return text ? JSON.parse(text) : null;
  }

  return {
    url,
    api,
    logs: () => logs,
    /** ids of a provider's models as the server lists them (GET /config/providers), or null */
    async modelIds(provider = 'omniroute') {
      const r = await api('/config/providers');
      const p = (r?.providers ?? []).find((/** @type {any} */ x) => x.id === provider);
      return p ? Object.keys(p.models ?? {}).sort() : null;
    },
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(t);
      }
    },
  };
}
