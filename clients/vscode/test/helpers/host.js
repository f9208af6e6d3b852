'use strict';
// Runs the real extension in this Node process with `require('vscode')` answered by the
// stand-in, the real omniroute-rpc (through a wrapper that records everything the extension
// writes to the service's stdin) and a hermetic HOME/XDG.

const Module = require('node:module');
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const PACKAGE_DIR = path.resolve(__dirname, '..', '..');
const STUB = path.join(__dirname, 'vscode-stub.js');
const RPC_BIN = path.resolve(PACKAGE_DIR, process.env.OMNIROUTE_RPC_BIN || '../../target/debug/omniroute-rpc');

/** @type {any} */
const M = Module;
const originalResolve = M._resolveFilename;
M._resolveFilename = function (/** @type {string} */ request, /** @type {any[]} */ ...rest) {
  if (request === 'vscode') return STUB;
  return originalResolve.call(this, request, ...rest);
};

/** @type {typeof import('./vscode-stub.js')} */
const vscode = require('vscode');

/** The binary exists and answers `call rpc.discover`. */
function binaryAvailable() {
  try {
    return /"openrpc"/.test(execFileSync(RPC_BIN, ['call', 'rpc.discover'], { timeout: 15000, stdio: ['ignore', 'pipe', 'ignore'] }).toString());
  } catch {
    return false;
  }
}

/** Make this process hermetic: the service inherits process.env. */
function hermetic() {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'omniroute-vscode-'));
  for (const k of ['OMNIROUTE_API_KEY', 'OMNIROUTE_BASE_URL', 'OPENCODE_AUTH_CONTENT', 'OMNIROUTE_LOG', 'OMNIROUTE_RPC_BIN']) delete process.env[k];
  for (const [k, d] of [['HOME', 'home'], ['XDG_DATA_HOME', 'data'], ['XDG_CACHE_HOME', 'cache'], ['XDG_CONFIG_HOME', 'config']]) {
    const p = path.join(root, d);
    fs.mkdirSync(p, { recursive: true });
    process.env[k] = p;
  }
  return root;
}

/**
 * A wrapper executable that tees the service's stdin into `capture`, then runs the real binary.
 * @param {string} dir
 */
function captureWrapper(dir) {
  const capture = path.join(dir, 'stdin.ndjson');
  const wrapper = path.join(dir, 'omniroute-rpc-capture');
  const q = (/** @type {string} */ s) => `'${s.replace(/'/g, `'\\''`)}'`;
  fs.writeFileSync(wrapper, `#!/bin/sh\ntee -a ${q(capture)} | exec ${q(RPC_BIN)} "$@"\n`, { mode: 0o755 });
  return {
    wrapper,
    capture,
    /** Every JSON message the extension wrote so far. @returns {any[]} */
    messages() {
      if (!fs.existsSync(capture)) return [];
      return fs.readFileSync(capture, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
    },
  };
}

/**
 * Activate the extension with settings.
 * @param {Record<string, unknown>} settings `omniroute.*` values
 * @param {string} [extensionDir] where extension.js is (default: this package)
 */
function activate(settings, extensionDir = PACKAGE_DIR) {
  vscode.__test.reset();
  vscode.__test.setSettings(settings);
  const secrets = vscode.__test.makeSecrets();
  const context = { subscriptions: /** @type {{ dispose(): any }[]} */ ([]), secrets, extension: { packageJSON: { version: '0.1.0-test' } } };
  const ext = require(path.join(extensionDir, 'extension.js'));
  const api = ext.activate(context);
  const provider = vscode.__test.ui.providers.get('omniroute');
  return {
    ext,
    api,
    context,
    secrets,
    provider,
    async deactivate() {
      for (const d of context.subscriptions) await d.dispose();
      await ext.deactivate();
    },
  };
}

/** A progress sink. */
function collector() {
  /** @type {any[]} */
  const parts = [];
  return { parts, progress: { report: (/** @type {any} */ p) => parts.push(p) } };
}

/**
 * Wait for a condition (a bounded wait for an asynchronous effect, not a timing assertion).
 * @param {() => boolean} fn @param {string} what @param {number} [ms]
 * @param {() => Promise<void>} [poll] run before each check
 */
async function waitFor(fn, what, ms = 15000, poll) {
  const end = Date.now() + ms;
  while ((await poll?.(), !fn())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

module.exports = { vscode, PACKAGE_DIR, RPC_BIN, binaryAvailable, hermetic, captureWrapper, activate, collector, waitFor };
