// Hermetic environment for every process a test spawns (the service, OpenCode).

import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const PACKAGE_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const RPC_BIN = path.resolve(PACKAGE_DIR, process.env.OMNIROUTE_RPC_BIN || '../../target/debug/omniroute-rpc');
export const FIXTURES = path.join(PACKAGE_DIR, 'test', 'fixtures');

let usable;
/** The binary exists and answers `call rpc.discover` (checked once per process). */
export function binaryAvailable() {
  if (usable === undefined) {
    usable = false;
    if (existsSync(RPC_BIN)) {
      try {
        const out = execFileSync(RPC_BIN, ['call', 'rpc.discover'], { timeout: 15000, stdio: ['ignore', 'pipe', 'ignore'] });
        usable = /"openrpc"/.test(out.toString());
      } catch {
        usable = false;
      }
    }
  }
  return usable;
}

/**
 * Fresh temp HOME and XDG dirs. Returns the env additions and a cleanup function.
 * @param {string} [label]
 */
export function hermeticDirs(label = 'omniroute-test') {
  const root = mkdtempSync(path.join(os.tmpdir(), `${label}-`));
  const dirs = {
    HOME: path.join(root, 'home'),
    XDG_CONFIG_HOME: path.join(root, 'config'),
    XDG_DATA_HOME: path.join(root, 'data'),
    XDG_CACHE_HOME: path.join(root, 'cache'),
    XDG_STATE_HOME: path.join(root, 'state'),
  };
  for (const d of Object.values(dirs)) mkdirSync(d, { recursive: true });
  return { root, env: dirs, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

/** Variables that must not leak from the developer's environment into a test. */
export const SCRUB = [
  'OMNIROUTE_API_KEY', 'OMNIROUTE_BASE_URL', 'OPENCODE_AUTH_CONTENT', 'OPENCODE_CONFIG_CONTENT',
  'OPENCODE_CONFIG', 'OPENCODE_CONFIG_DIR', 'OMNIROUTE_LOG',
];

/**
 * Make *this* process hermetic (the shared service client inherits process.env).
 * @param {string} [label]
 */
export function hermeticProcess(label) {
  const h = hermeticDirs(label);
  for (const k of SCRUB) delete process.env[k];
  Object.assign(process.env, h.env, { OMNIROUTE_RPC_BIN: RPC_BIN });
  return h;
}
