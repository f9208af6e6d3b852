// Real Pi (@mariozechner/pi-coding-agent, pinned) installed once under ~/.cache from npm, and
// run headless in a hermetic environment: temp HOME (so ~/.pi/agent is temp too), PI_OFFLINE=1
// (no update check, no telemetry), stdin </dev/null.

import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const PI_PACKAGE = '@mariozechner/pi-coding-agent';
export const PI_VERSION = '0.73.1';
// os.userInfo() (not $HOME, which tests replace) gives the real home for the cache.
export const PI_CACHE = process.env.OMNIROUTE_PI_CACHE || path.join(os.userInfo().homedir, '.cache', 'omniroute-rpc-pi');

/** Path of Pi's cli.js if the pinned version is installed in the cache. */
export function installedPi() {
  const dir = path.join(PI_CACHE, 'node_modules', ...PI_PACKAGE.split('/'));
  try {
    if (JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')).version !== PI_VERSION) return null;
  } catch {
    return null;
  }
  const cli = path.join(dir, 'dist', 'cli.js');
  return existsSync(cli) ? cli : null;
}

/** Pi's cli.js, installing the pinned version from npm if needed (~10–25 s, no native build). */
export function ensurePi() {
  let cli = installedPi();
  if (cli) return cli;
  mkdirSync(PI_CACHE, { recursive: true });
  const pj = path.join(PI_CACHE, 'package.json');
  if (!existsSync(pj)) writeFileSync(pj, JSON.stringify({ name: 'omniroute-rpc-pi-cache', private: true }) + '\n');
  execFileSync('npm', ['install', `${PI_PACKAGE}@${PI_VERSION}`, '--no-audit', '--no-fund', '--ignore-scripts'], {
    cwd: PI_CACHE,
    stdio: ['ignore', 'inherit', 'inherit'],
    timeout: 600000,
  });
  cli = installedPi();
  if (!cli) throw new Error(`${PI_PACKAGE}@${PI_VERSION} installed in ${PI_CACHE} but dist/cli.js is missing`);
  return cli;
}

/**
 * Run Pi with exactly the given environment (plus PATH and the offline switches).
 * @param {string} cli @param {string[]} args
 * @param {{ env: Record<string, string>, cwd: string, timeoutMs?: number, input?: string }} opts
 * @returns {Promise<{code: number|null, signal: string|null, stdout: string, stderr: string, ms: number}>}
 */
export function runPi(cli, args, opts) {
  return new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(process.execPath, [cli, ...args], {
      cwd: opts.cwd,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', PI_OFFLINE: '1', PI_TELEMETRY: '0', PI_SKIP_VERSION_CHECK: '1', ...opts.env },
      stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c) => (stderr += c));
    if (opts.input !== undefined) child.stdin?.end(opts.input);
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: Number(process.hrtime.bigint() - t0) / 1e6 });
    });
  });
}

/**
 * Parse `pi --list-models` output (a table on stderr): provider, model, context, max-out, thinking, images.
 * @param {string} text @returns {Map<string, {provider: string, model: string, context: string, maxOut: string, thinking: string, images: string}>} keyed "provider/model"
 */
export function parseListModels(text) {
  const map = new Map();
  for (const line of text.split('\n')) {
    const cols = line.trim().split(/\s+/);
    if (cols.length !== 6 || cols[0] === 'provider') continue;
    const [provider, model, context, maxOut, thinking, images] = cols;
    map.set(`${provider}/${model}`, { provider, model, context, maxOut, thinking, images });
  }
  return map;
}

/**
 * Pi's --mode rpc: send commands (one JSON per line) on stdin and collect the JSON lines it prints.
 * @param {string} cli @param {any[]} commands
 * @param {{ env: Record<string, string>, cwd: string, extraArgs?: string[], timeoutMs?: number }} opts
 */
export async function piRpc(cli, commands, opts) {
  const r = await runPi(cli, ['--mode', 'rpc', ...(opts.extraArgs ?? [])], {
    ...opts,
    input: commands.map((c) => JSON.stringify(c)).join('\n') + '\n',
  });
  const messages = [];
  for (const line of r.stdout.split('\n')) {
    if (!line.trim()) continue;
    try {
      messages.push(JSON.parse(line));
    } catch {
      messages.push({ unparsed: line });
    }
  }
  return { ...r, messages };
}

/**
 * A live `pi --mode rpc` session: request(cmd) resolves with the response of the same id.
 * close() ends stdin (Pi exits on EOF) and resolves with the exit.
 * @param {string} cli @param {{ env: Record<string, string>, cwd: string, extraArgs?: string[] }} opts
 */
export function startPiRpc(cli, opts) {
  const child = spawn(process.execPath, [cli, '--mode', 'rpc', ...(opts.extraArgs ?? [])], {
    cwd: opts.cwd,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', PI_OFFLINE: '1', PI_TELEMETRY: '0', PI_SKIP_VERSION_CHECK: '1', ...opts.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  /** @type {Map<string, (msg: any) => void>} */
  const waiting = new Map();
  let stderr = '';
  let buf = '';
  let n = 0;
  child.stderr.setEncoding('utf8').on('data', (c) => (stderr += c));
  child.stdout.setEncoding('utf8').on('data', (c) => {
    buf += c;
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      try {
        const msg = JSON.parse(line);
        if (msg.type === 'response' && waiting.has(msg.id)) {
          waiting.get(msg.id)?.(msg);
          waiting.delete(msg.id);
        }
      } catch {
        /* not ours */
      }
    }
  });
  const exited = new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  const killer = setTimeout(() => child.kill('SIGKILL'), 120000);
  return {
    get stderr() {
      return stderr;
    },
    /** @param {Record<string, any>} cmd @returns {Promise<any>} */
    request(cmd) {
      const id = `r${++n}`;
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`pi --mode rpc: no answer to ${cmd.type}; stderr: ${stderr.slice(-2000)}`)), 60000);
        waiting.set(id, (msg) => {
          clearTimeout(t);
          resolve(msg);
        });
        child.stdin.write(JSON.stringify({ ...cmd, id }) + '\n');
      });
    },
    async close() {
      child.stdin.end();
      const r = await exited;
      clearTimeout(killer);
      return r;
    },
  };
}
