// Process-wide state shared by the plugin and the /runtime API: one service client per
// binary setting, the logger, option translation and the latest catalogue per base URL.

import { RpcClient } from './rpc-client.js';

export const DEFAULT_BASE_URL = 'http://localhost:20128/v1';

/** Option names the service understands (contract "Options"). */
export const SERVICE_OPTION_KEYS = [
  'baseURL',
  'apiMode',
  'modelCacheTtl',
  'refreshOnList',
  'modelsDev',
  'modelMetadata',
  'requestTimeoutMs',
  'cacheDir',
  'offline',
  'startupWaitMs',
  // the gateway's management data and live health
  'managementToken',
  'usableOnly',
  'hideUnhealthy',
  'healthTtl',
  // what is shown (the names of OmniRoute's own OpenCode plugin; `features` is its block)
  'visibleModels',
  'hiddenModels',
  'providersAllow',
  'toolsOnly',
  'visionOnly',
  'freeOnly',
  'view',
  'showcasePerOwner',
  'freshPerOwner',
  'freshWindowDays',
  'features',
];

/** The options that narrow the model list (any of them set = the user chose a filter). */
export const VIEW_OPTION_KEYS = [
  'visibleModels',
  'hiddenModels',
  'providersAllow',
  'toolsOnly',
  'visionOnly',
  'freeOnly',
  'view',
];

/** Client-only option names (never sent to the service). */
export const CLIENT_OPTION_KEYS = ['rpcBinary', 'startupTimeoutMs', 'callTimeoutMs'];

// ---------------------------------------------------------------------------------------
// logging

/** @typedef {'debug'|'info'|'warn'|'error'} Level */
/** @type {Set<(level: Level, msg: string) => void>} */
const sinks = new Set();

export const debugEnabled = () => process.env.OMNIROUTE_DEBUG === '1';

/**
 * Log a line: to every registered sink (OpenCode's log via client.app.log), and to stderr
 * when OMNIROUTE_DEBUG=1. Never logs keys (callers never pass them).
 * @param {Level} level @param {string} msg
 */
export function log(level, msg) {
  if (level === 'debug' && !debugEnabled()) return;
  if (debugEnabled()) {
    try {
      process.stderr.write(`[omniroute] ${level}: ${msg}\n`);
    } catch {}
  }
  for (const s of sinks) {
    try {
      s(level, msg);
    } catch {}
  }
}

/** @param {(level: Level, msg: string) => void} sink */
export function addLogSink(sink) {
  sinks.add(sink);
  return () => sinks.delete(sink);
}

// ---------------------------------------------------------------------------------------
// service clients

/** @type {Map<string, RpcClient>} */
const clients = new Map();

/**
 * The shared client for a binary setting (normally there is exactly one).
 * @param {{ rpcBinary?: string, baseDir?: string, callTimeoutMs?: number }} [opts]
 */
export function getClient(opts = {}) {
  const key = `${opts.rpcBinary ?? ''}\u0000${opts.rpcBinary ? opts.baseDir ?? '' : ''}`;
  let c = clients.get(key);
  if (!c) {
    c = new RpcClient({
      rpcBinary: opts.rpcBinary,
      baseDir: opts.baseDir,
      timeoutMs: opts.callTimeoutMs,
      log: (level, msg) => log(level, msg),
      onNotification: onServiceNotification,
    });
    clients.set(key, c);
  }
  return c;
}

/** Stop every service this process started. */
export async function disposeAll() {
  await Promise.all([...clients.values()].map((c) => c.dispose()));
}

// ---------------------------------------------------------------------------------------
// catalogue snapshots (for the synchronous /runtime getters)

/**
 * @typedef {object} Snapshot
 * @property {any[]} models
 * @property {string|null} fetchedAt
 * @property {number} storedAt   Date.now() when we got it
 * @property {string} source
 * @property {number} ttl
 * @property {boolean} stale     set by a models/changed notification
 * @property {{options: object, apiKey?: string} | undefined} origin  how to re-fetch
 */

/** @type {Map<string, Snapshot>} keyed by normalised base URL */
const snapshots = new Map();
/** @type {{method: string, params: any, at: number} | null} */
export let lastNotification = null;

/** @param {string | undefined} url */
export function urlKey(url) {
  return String(url || DEFAULT_BASE_URL).trim().replace(/\/+$/, '').toLowerCase();
}

/**
 * @param {string[]} keys base URLs this catalogue answers for (raw and normalised)
 * @param {{models: any[], fetchedAt?: string|null, source?: string}} result
 * @param {number} ttl
 * @param {{options: object, apiKey?: string}} [origin]
 */
export function storeSnapshot(keys, result, ttl, origin) {
  /** @type {Snapshot} */
  const snap = {
    models: result.models ?? [],
    fetchedAt: result.fetchedAt ?? null,
    storedAt: Date.now(),
    source: result.source ?? 'live',
    ttl,
    stale: false,
    origin,
  };
  for (const k of keys) if (k) snapshots.set(urlKey(k), snap);
}

/** @param {string | undefined} baseURL */
export function getSnapshot(baseURL) {
  return snapshots.get(urlKey(baseURL)) ?? null;
}

/** @param {string} [baseURL] drop one snapshot, or all */
export function dropSnapshots(baseURL) {
  if (baseURL === undefined) snapshots.clear();
  else snapshots.delete(urlKey(baseURL));
}

/** @param {string} method @param {any} params */
function onServiceNotification(method, params) {
  lastNotification = { method, params, at: Date.now() };
  if (method !== 'models/changed') {
    log('debug', `notification ${method}`);
    return;
  }
  const diff = params?.diff ?? {};
  log(
    'info',
    `model list of ${params?.baseURL ?? '?'} changed: +${diff.added?.length ?? 0} -${diff.removed?.length ?? 0} ~${
      diff.changed?.length ?? 0
    }`,
  );
  const snap = getSnapshot(params?.baseURL);
  if (!snap) return;
  snap.stale = true;
  // Pull the new catalogue from the service's cache (no network wait) so that the
  // synchronous getters serve the latest list.
  if (snap.origin) {
    const client = [...clients.values()][0];
    client
      ?.call('models.list', { refresh: false, options: snap.origin.options, ...(snap.origin.apiKey ? { apiKey: snap.origin.apiKey } : {}) })
      .then((r) => storeSnapshot([params?.baseURL, r?.baseURL], r, snap.ttl, snap.origin))
      .catch((e) => log('debug', `re-reading the catalogue after models/changed failed: ${e.message}`));
  }
}

// ---------------------------------------------------------------------------------------
// options

/** @param {unknown} v */
export function isRecord(v) {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Pick the options the service understands from a record (plugin options or
 * provider.omniroute.options). Values are passed through untouched: the service validates
 * them and reports problems as warnings.
 * @param {Record<string, unknown> | undefined} src
 */
export function serviceOptions(src) {
  /** @type {Record<string, unknown>} */
  const out = {};
  if (!isRecord(src)) return out;
  for (const k of SERVICE_OPTION_KEYS) if (src[k] !== undefined && src[k] !== null) out[k] = src[k];
  return out;
}

/**
 * Translate the old runtime `OmniRouteConfig` ({baseUrl, apiKey, apiMode, ...}) into service
 * options and an API key.
 * @param {any} config
 * @returns {{ options: Record<string, unknown>, apiKey: string | undefined }}
 */
export function fromLegacyConfig(config) {
  const c = isRecord(config) ? config : {};
  const options = serviceOptions(c);
  const base = c.baseUrl ?? c.baseURL;
  if (typeof base === 'string' && base.trim()) options.baseURL = base;
  // RegExp `match` values (allowed by the old array form) cannot cross JSON: send them as
  // {regex, flags}.
  if (Array.isArray(options.modelMetadata)) {
    options.modelMetadata = options.modelMetadata.map((b) => {
      if (isRecord(b) && b.match instanceof RegExp) return { ...b, match: { regex: b.match.source, flags: b.match.flags } };
      return b;
    });
  }
  const apiKey = typeof c.apiKey === 'string' && c.apiKey ? c.apiKey : undefined;
  return { options, apiKey };
}
