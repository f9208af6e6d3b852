// Real OpenCode (opencode-ai@1.18.33), installed once under ~/.cache, run headless in a
// hermetic environment (reference/opencode.md §4).

import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const OPENCODE_VERSION = '1.18.33';
// os.userInfo() (not $HOME, which the tests replace) gives the real home for the cache.
export const OPENCODE_CACHE =
  process.env.OMNIROUTE_OPENCODE_CACHE || path.join(os.userInfo().homedir, '.cache', 'omniroute-rpc-opencode');

function platformPackages() {
  const plat = process.platform === 'win32' ? 'windows' : process.platform;
  const base = `opencode-${plat}-${process.arch}`;
  return [base, `${base}-baseline`, `${base}-musl`, `${base}-baseline-musl`];
}

function findInstalled() {
  const pkgJson = path.join(OPENCODE_CACHE, 'node_modules', 'opencode-ai', 'package.json');
  if (!existsSync(pkgJson)) return null;
  try {
    if (JSON.parse(readFileSync(pkgJson, 'utf8')).version !== OPENCODE_VERSION) return null;
  } catch {
    return null;
  }
  const exe = process.platform === 'win32' ? 'opencode.exe' : 'opencode';
  for (const p of platformPackages()) {
    const bin = path.join(OPENCODE_CACHE, 'node_modules', p, 'bin', exe);
    if (existsSync(bin)) return bin;
  }
  return null;
}

/** Path of the opencode executable, installing opencode-ai@1.18.33 if needed (~185 MB). */
export function ensureOpenCode() {
  let bin = findInstalled();
  if (bin) return bin;
  mkdirSync(OPENCODE_CACHE, { recursive: true });
  const pj = path.join(OPENCODE_CACHE, 'package.json');
  if (!existsSync(pj)) writeFileSync(pj, JSON.stringify({ name: 'omniroute-rpc-opencode-cache', private: true }) + '\n');
  execFileSync('npm', ['install', `opencode-ai@${OPENCODE_VERSION}`, '--no-audit', '--no-fund'], {
    cwd: OPENCODE_CACHE,
    stdio: ['ignore', 'inherit', 'inherit'],
    timeout: 600000,
  });
  bin = findInstalled();
  if (!bin) throw new Error(`opencode-ai@${OPENCODE_VERSION} installed in ${OPENCODE_CACHE} but no platform binary found`);
  return bin;
}

/**
 * Run opencode with exactly the given environment (plus PATH).
 * @param {string} bin @param {string[]} args
 * @param {{ env: Record<string, string>, cwd: string, timeoutMs?: number }} opts
 */
export function runOpenCode(bin, args, opts) {
  return new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(bin, args, {
      cwd: opts.cwd,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'], // stdin </dev/null
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c) => (stderr += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: Number(process.hrtime.bigint() - t0) / 1e6 });
    });
  });
}

/**
 * Parse `opencode models <provider> --verbose`: "<provider>/<id>" lines, each followed by
 * the model's JSON record.
 * @param {string} out @param {string} provider
 * @returns {Map<string, any>}
 */
export function parseVerboseModels(out, provider) {
  const map = new Map();
  const lines = out.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (!line.startsWith(provider + '/') || lines[i + 1] !== '{') continue;
    const id = line.slice(provider.length + 1).trim();
    let j = i + 1;
    const buf = [];
    for (; j < lines.length; j++) {
      buf.push(lines[j]);
      if (lines[j] === '}') break;
    }
    try {
      map.set(id, JSON.parse(buf.join('\n')));
    } catch {
      map.set(id, null);
    }
    i = j;
  }
  return map;
}
