// `opencode-omniroute-auth/runtime`: the old plugin's programmatic API, each function a call
// into the omniroute-rpc service (same names, compatible shapes).

import {
  DEFAULT_BASE_URL,
  disposeAll,
  dropSnapshots,
  fromLegacyConfig,
  getClient,
  getSnapshot,
  isRecord,
  log,
  storeSnapshot,
} from './lib/shared.js';

export { OmniRouteRpcError } from './lib/rpc-client.js';
export { BinaryNotFoundError, findBinary } from './lib/find-binary.js';

export const OMNIROUTE_PROVIDER_ID = 'omniroute';

export const OMNIROUTE_ENDPOINTS = Object.freeze({
  BASE_URL: DEFAULT_BASE_URL,
  MODELS: '/models',
  CHAT_COMPLETIONS: '/chat/completions',
  RESPONSES: '/responses',
});

/** Fallback models of the old plugin (the service has the same list for source "fallback"). */
export const OMNIROUTE_DEFAULT_MODELS = Object.freeze([
  { id: 'gpt-4o', name: 'GPT-4o', description: 'GPT-4o model with full capabilities', contextWindow: 128000, maxTokens: 4096, supportsStreaming: true, supportsVision: true, supportsTools: true },
  { id: 'gpt-4o-mini', name: 'GPT-4o Mini', description: 'Fast and cost-effective model for everyday tasks', contextWindow: 128000, maxTokens: 4096, supportsStreaming: true, supportsVision: true, supportsTools: true },
  { id: 'claude-3-5-sonnet', name: 'Claude 3.5 Sonnet', description: "Anthropic's Claude 3.5 Sonnet", contextWindow: 200000, maxTokens: 8192, supportsStreaming: true, supportsVision: true, supportsTools: true },
  { id: 'llama-3-1-405b', name: 'Llama 3.1 405B', description: "Meta's Llama 3.1 405B", contextWindow: 128000, maxTokens: 4096, supportsStreaming: true, supportsVision: false, supportsTools: true },
].map((m) => Object.freeze(m)));

export const MODEL_CACHE_TTL = 5 * 60 * 1000;
export const REQUEST_TIMEOUT = 30000;
/** Per-call bound on the service: the gateway timeout plus a margin. */
const CALL_TIMEOUT = REQUEST_TIMEOUT + 5000;

/** @param {any} config */
function client(config) {
  const rpcBinary = isRecord(config) && typeof config.rpcBinary === 'string' ? config.rpcBinary : undefined;
  return getClient({ rpcBinary });
}

/** @param {any} config @param {string | undefined} apiKey */
function params(config, apiKey) {
  const { options, apiKey: k } = fromLegacyConfig(config);
  const key = typeof apiKey === 'string' && apiKey ? apiKey : k;
  return { options, ...(key ? { apiKey: key } : {}) };
}

/** @param {any} config */
function ttlOf(config) {
  const t = isRecord(config) ? config.modelCacheTtl : undefined;
  return typeof t === 'number' && t > 0 ? t : MODEL_CACHE_TTL;
}

/** @param {any} config @param {any} result @param {{options: object, apiKey?: string}} origin */
function remember(config, result, origin) {
  storeSnapshot([isRecord(config) ? config.baseUrl ?? config.baseURL : undefined, result?.baseURL], result, ttlOf(config), origin);
}

/**
 * Models of the gateway (enriched). Without forceRefresh a catalogue younger than
 * modelCacheTtl is served from the service's cache, as the old plugin did.
 * @param {any} config @param {string} apiKey @param {boolean} [forceRefresh]
 */
export async function fetchModels(config, apiKey, forceRefresh = false) {
  const p = params(config, apiKey);
  const req = forceRefresh
    ? { ...p, refresh: true }
    : { ...p, options: { ...p.options, refreshOnList: false } };
  const result = await client(config).call('models.list', req, { timeoutMs: CALL_TIMEOUT });
  remember(config, result, p);
  return result.models ?? [];
}

/**
 * Forced refresh of everything the catalogue is built from.
 * @param {any} config @param {string} apiKey
 */
export async function refreshModels(config, apiKey) {
  const p = params(config, apiKey);
  const result = await client(config).call('models.refresh', p, { timeoutMs: CALL_TIMEOUT });
  remember(config, result, p);
  return result.models ?? [];
}

/**
 * The catalogue this process got last for config.baseUrl (from fetchModels/refreshModels,
 * updated after a models/changed notification), or null. Synchronous, no service call.
 * @param {any} [config] @param {string} [_apiKey]
 */
export function getCachedModels(config, _apiKey) {
  const snap = getSnapshot(isRecord(config) ? config.baseUrl ?? config.baseURL : undefined);
  return snap ? snap.models : null;
}

/**
 * Whether getCachedModels() is younger than modelCacheTtl and no models/changed
 * notification has outdated it. Synchronous.
 * @param {any} [config] @param {string} [_apiKey]
 */
export function isCacheValid(config, _apiKey) {
  const snap = getSnapshot(isRecord(config) ? config.baseUrl ?? config.baseURL : undefined);
  if (!snap || snap.stale) return false;
  return Date.now() - snap.storedAt < ttlOf(config) ;
}

/** @param {string[]} scopes @param {any} [config] */
async function clear(scopes, config) {
  try {
    const c = client(config);
    for (const scope of scopes) await c.call('cache.clear', { scope }, { timeoutMs: CALL_TIMEOUT });
  } catch (err) {
    log('warn', `cache.clear ${scopes.join(',')} failed: ${err instanceof Error ? err.message : err}`);
  }
}

/**
 * Clear the model cache (and the combo cache), in memory and on disk. Never rejects.
 * @param {any} [config] @param {string} [_apiKey]
 */
export function clearModelCache(config, _apiKey) {
  dropSnapshots(isRecord(config) && (config.baseUrl || config.baseURL) ? config.baseUrl ?? config.baseURL : undefined);
  return clear(['models', 'combos'], config);
}

/** Clear the combo cache. Never rejects. */
export function clearComboCache() {
  return clear(['combos']);
}

/** Clear the models.dev cache. Never rejects. */
export function clearModelsDevCache() {
  return clear(['modelsDev']);
}

/**
 * Combo definitions of the gateway, keyed by combo name, or null when they cannot be read.
 * @param {any} config
 */
export async function fetchComboData(config) {
  try {
    const p = params(config, undefined);
    const result = await client(config).call('models.list', { ...p, options: { ...p.options, refreshOnList: false } }, { timeoutMs: CALL_TIMEOUT });
    /** @type {Map<string, any>} */
    const map = new Map();
    for (const m of result.models ?? []) {
      if (!m?.combo) continue;
      map.set(m.id, { id: m.id, name: m.id, models: [...(m.combo.members ?? [])], strategy: m.combo.strategy });
    }
    return map;
  } catch (err) {
    log('warn', `fetchComboData failed: ${err instanceof Error ? err.message : err}`);
    return null;
  }
}

/**
 * The models behind a combo (nested combos followed), or [comboName] for a plain model.
 * @param {string} comboName @param {any} config
 * @returns {Promise<string[]>}
 */
export async function resolveUnderlyingModels(comboName, config) {
  let r;
  try {
    r = await client(config).call('combos.resolve', { name: comboName, ...params(config, undefined) }, { timeoutMs: CALL_TIMEOUT });
  } catch (err) {
    log('warn', `resolveUnderlyingModels(${comboName}) failed: ${err instanceof Error ? err.message : err}`);
    return [comboName];
  }
  if (!r?.found) return [comboName];
  const members = Array.isArray(r.members) ? r.members : [];
  // Members that are themselves combos appear in the `path` of their own members: keep leaves.
  const comboNames = new Set(members.flatMap((/** @type {any} */ m) => (Array.isArray(m.path) ? m.path : [])));
  const ids = [];
  for (const m of members) if (typeof m?.id === 'string' && !comboNames.has(m.id) && !ids.includes(m.id)) ids.push(m.id);
  return ids;
}

/**
 * Lowest common capabilities of a model (for a combo: of its members).
 * The third argument (the old models.dev index) is ignored: the service has its own.
 * @param {{id: string} | string} model @param {any} config @param {unknown} [_index]
 */
export async function calculateModelCapabilities(model, config, _index) {
  const id = typeof model === 'string' ? model : model?.id;
  const r = await client(config).call('capabilities.compute', { model: id, ...params(config, undefined) }, { timeoutMs: CALL_TIMEOUT });
  /** @type {Record<string, any>} */
  const out = {};
  for (const k of ['contextWindow', 'maxTokens', 'supportsVision', 'supportsTools', 'supportsReasoning', 'supportsAttachment', 'supportsTemperature']) {
    if (r?.[k] !== undefined && r?.[k] !== null) out[k] = r[k];
  }
  if (r?.pricing) {
    const price = /** @type {Record<string, number>} */ ({});
    if (r.pricing.input?.max !== undefined) price.input = r.pricing.input.max;
    if (r.pricing.output?.max !== undefined) price.output = r.pricing.output.max;
    if (Object.keys(price).length) out.pricing = price;
    out.pricingRange = r.pricing;
  }
  if (Array.isArray(r?.unknown) && r.unknown.length) out.unknownMembers = r.unknown;
  if (Array.isArray(r?.warnings) && r.warnings.length) out.warnings = r.warnings;
  return out;
}

/** Stop the service(s) started by this process (optional: an idle service never keeps a process alive). */
export function shutdown() {
  return disposeAll();
}
