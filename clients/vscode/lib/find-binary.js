'use strict';
// Locating the `omniroute-rpc` executable (the same order as the OpenCode client, clients/opencode/lib/find-binary.js).
//
// Order (first hit wins):
//   1. an explicit path: the setting `omniroute.rpcBinary` (relative paths
//      resolve against `baseDir`, normally the first workspace folder)
//   2. env OMNIROUTE_RPC_BIN
//   3. the binary shipped in this package: bin/<platform>-<arch>/omniroute-rpc[.exe]
//   4. every directory of PATH
// An explicit path (1 or 2) that does not exist is an error of its own: we never silently
// run a different binary than the one the user named.

const { accessSync, chmodSync, constants, statSync } = require('node:fs');
const path = require('node:path');

const BINARY_NAME = 'omniroute-rpc';
const PACKAGE_ROOT = path.resolve(__dirname, '..');

class BinaryNotFoundError extends Error {
  /**
   * @param {string} message
   * @param {string[]} searched
   */
  constructor(message, searched) {
    super(message);
    this.name = 'BinaryNotFoundError';
    this.kind = 'binary_not_found';
    this.searched = searched;
  }
}

/** @param {string} file */
function isExecutableFile(file) {
  try {
    if (!statSync(file).isFile()) return false;
    if (process.platform === 'win32') return true;
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * An unpacker that dropped the executable bit (some zip tools do) leaves the shipped binary
 * unusable: give it back, once, to our own file only.
 * @param {string} file
 */
function restoreExecBit(file) {
  if (process.platform === 'win32') return false;
  try {
    if (!statSync(file).isFile()) return false;
    chmodSync(file, 0o755);
    return isExecutableFile(file);
  } catch {
    return false;
  }
}

/** The executable names to try in one directory. */
function exeNames() {
  if (process.platform !== 'win32') return [BINARY_NAME];
  const exts = (process.env.PATHEXT || '.EXE;.CMD;.BAT').split(';').filter(Boolean);
  return [BINARY_NAME + '.exe', ...exts.map((e) => BINARY_NAME + e.toLowerCase())];
}

/** Directory of the binary shipped inside this package for the running platform. */
function packagedBinaryDir() {
  return path.join(PACKAGE_ROOT, 'bin', `${process.platform}-${process.arch}`);
}

/**
 * @param {{ explicit?: string | undefined, baseDir?: string, env?: NodeJS.ProcessEnv }} [opts]
 * @returns {{ path: string, source: 'option' | 'env' | 'package' | 'PATH', searched: string[] }}
 */
function findBinary(opts = {}) {
  const env = opts.env ?? process.env;
  const baseDir = opts.baseDir ?? process.cwd();
  /** @type {string[]} */
  const searched = [];

  const explicit = typeof opts.explicit === 'string' && opts.explicit.trim() ? opts.explicit.trim() : undefined;
  if (explicit) {
    const p = path.resolve(baseDir, explicit);
    searched.push(`setting omniroute.rpcBinary: ${p}`);
    if (isExecutableFile(p)) return { path: p, source: 'option', searched };
    throw new BinaryNotFoundError(
      `omniroute-rpc binary not found: the setting omniroute.rpcBinary points to ${p}, which is not an executable file.`,
      searched,
    );
  }

  const fromEnv = env.OMNIROUTE_RPC_BIN && env.OMNIROUTE_RPC_BIN.trim();
  if (fromEnv) {
    const p = path.resolve(baseDir, fromEnv);
    searched.push(`env OMNIROUTE_RPC_BIN: ${p}`);
    if (isExecutableFile(p)) return { path: p, source: 'env', searched };
    throw new BinaryNotFoundError(
      `omniroute-rpc binary not found: OMNIROUTE_RPC_BIN points to ${p}, which is not an executable file.`,
      searched,
    );
  }

  const pkgDir = packagedBinaryDir();
  for (const name of exeNames()) {
    const p = path.join(pkgDir, name);
    searched.push(`package: ${p}`);
    if (isExecutableFile(p) || restoreExecBit(p)) return { path: p, source: 'package', searched };
  }

  const dirs = (env.PATH || env.Path || '').split(path.delimiter).filter(Boolean);
  for (const dir of dirs) {
    for (const name of exeNames()) {
      const p = path.join(dir, name);
      if (isExecutableFile(p)) {
        searched.push(`PATH: ${p}`);
        return { path: p, source: 'PATH', searched };
      }
    }
  }
  searched.push(`PATH (${dirs.length} directories): ${dirs.join(path.delimiter) || '(empty)'}`);

  throw new BinaryNotFoundError(
    'omniroute-rpc binary not found. Searched: ' +
      searched.join('; ') +
      '. Install a package that ships it for ' +
      `${process.platform}-${process.arch}, put omniroute-rpc on PATH, set OMNIROUTE_RPC_BIN, ` +
      'or set the setting "omniroute.rpcBinary".',
    searched,
  );
}

module.exports = { BINARY_NAME, BinaryNotFoundError, findBinary, packagedBinaryDir };
