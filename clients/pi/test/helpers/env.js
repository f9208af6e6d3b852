// Hermetic environments for the tests, the real binary, and a stand-in for Pi's ExtensionAPI.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const PACKAGE_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const REPO = path.resolve(PACKAGE_DIR, '..', '..');
/** The real omniroute-rpc: $OMNIROUTE_RPC_BIN (relative to the repo root), else target/debug. */
export const RPC_BIN = path.resolve(REPO, process.env.OMNIROUTE_RPC_BIN || 'target/debug/omniroute-rpc');
/** The frame-logging wrapper around RPC_BIN (see tee-rpc.mjs). */
export const TEE_BIN = path.join(PACKAGE_DIR, 'test', 'helpers', 'tee-rpc.mjs');

/** Fails loudly when the binary is missing or broken (a skipped suite would hide a regression). */
export function requireBinary() {
  if (!existsSync(RPC_BIN)) throw new Error(`omniroute-rpc not found at ${RPC_BIN}: build it (cargo build) or set OMNIROUTE_RPC_BIN`);
  const out = execFileSync(RPC_BIN, ['call', 'rpc.discover'], { timeout: 15000, stdio: ['ignore', 'pipe', 'ignore'] });
  if (!/"openrpc"/.test(out.toString())) throw new Error(`${RPC_BIN} does not answer rpc.discover`);
  return RPC_BIN;
}

/**
 * A temp HOME/XDG tree and a working directory; `env` holds only these plus PATH (nothing of
 * the developer's OMNIROUTE_*, OPENCODE_*, PI_* leaks in).
 * @param {string} [label]
 */
export function sandbox(label = 'pi-omniroute') {
  const root = mkdtempSync(path.join(os.tmpdir(), `${label}-`));
  const dirs = {
    HOME: path.join(root, 'home'),
    XDG_CONFIG_HOME: path.join(root, 'config'),
    XDG_DATA_HOME: path.join(root, 'data'),
    XDG_CACHE_HOME: path.join(root, 'cache'),
    XDG_STATE_HOME: path.join(root, 'state'),
  };
  for (const d of Object.values(dirs)) mkdirSync(d, { recursive: true });
  const cwd = path.join(root, 'project');
  mkdirSync(cwd);
  return {
    root,
    cwd,
    /** @type {Record<string, string>} */
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...dirs },
    agentDir: path.join(dirs.HOME, '.pi', 'agent'),
    teeLog: path.join(root, 'frames.ndjson'),
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}

/** A stand-in for Pi's ExtensionAPI: records registrations and lets a test fire events. */
export function fakePi() {
  /** @type {Map<string, Function[]>} */
  const handlers = new Map();
  /** @type {{name: string, config: any}[]} */
  const providers = [];
  /** @type {Map<string, any>} */
  const commands = new Map();
  return {
    providers,
    commands,
    handlers,
    /** @param {string} event @param {Function} fn */
    on(event, fn) {
      handlers.set(event, [...(handlers.get(event) ?? []), fn]);
    },
    /** @param {string} name @param {any} config */
    registerProvider(name, config) {
      providers.push({ name, config: structuredClone(config) });
    },
    /** @param {string} name @param {any} options */
    registerCommand(name, options) {
      commands.set(name, options);
    },
    /** fire an event as Pi's runner does (handlers in order, awaited) @param {string} event @param {any} [payload] @param {any} [ctx] */
    async emit(event, payload = {}, ctx = { hasUI: false }) {
      const out = [];
      for (const fn of handlers.get(event) ?? []) out.push(await fn({ type: event, ...payload }, ctx));
      return out;
    },
  };
}

/** Poll until fn() is truthy (bounded; no timing assertion). @param {() => any} fn @param {string} what */
export async function until(fn, what, limitMs = 20000) {
  const end = Date.now() + limitMs;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Is a process alive? @param {number} pid */
export function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
