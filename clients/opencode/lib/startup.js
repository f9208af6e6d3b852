// The start-up call of the plugin (`opencode.provider` from the config hook), kept apart from
// the hooks: it tells the service that this is a start-up call (`startup: true`, so a service
// with a start-up deadline answers from memory or its disk snapshot instead of waiting on a
// slow gateway), falls back to the plain call on an older service that rejects the param, and
// when the service does not answer in time it publishes the last good provider instead of an
// empty one.

import { isRecord, log, urlKey } from './shared.js';

/** Margin between the service's start-up deadline and the plugin's own bound on the call. */
export const STARTUP_MARGIN_MS = 2000;
/** Bound on the offline read of the service's snapshot after a failed start-up call: a fifth
 * of the start-up budget, between 250 ms and 2 s (an answer from disk takes milliseconds). */
export const offlineFallbackMs = (/** @type {number} */ budgetMs) => Math.min(2000, Math.max(250, Math.round(budgetMs / 5)));

/**
 * Whether an error is the service's -32602 answer naming the `startup` param (a binary that
 * predates start-up deadlines).
 * @param {unknown} err
 */
export function rejectsStartupParam(err) {
  const e = /** @type {any} */ (err);
  if (!e || e.code !== -32602) return false;
  if (e.data?.field === 'startup') return true;
  return typeof e.message === 'string' && /\bstartup\b/.test(e.message);
}

/**
 * The plugin's bound on the start-up call: `startupTimeoutMs`, raised to stay above the
 * service's own deadline (`startupWaitMs`) by a margin, so that the service always gets to
 * answer from its snapshot before the plugin gives up.
 * @param {number} startupTimeoutMs @param {unknown} startupWaitMs
 */
export function startupBudget(startupTimeoutMs, startupWaitMs) {
  const wait = typeof startupWaitMs === 'number' && Number.isFinite(startupWaitMs) && startupWaitMs > 0 ? startupWaitMs : 0;
  return Math.max(startupTimeoutMs, wait + STARTUP_MARGIN_MS);
}

/** Clients (service processes' owners) known to reject `startup`: ask them only once. */
const noStartupParam = new WeakSet();

/**
 * Call `method` as a start-up call: with `startup: true`, again without it when the service
 * rejects the param (-32602 naming `startup`). Both attempts share one time budget.
 * @param {{call: (m: string, p: unknown, o?: {timeoutMs?: number}) => Promise<any>}} client
 * @param {string} method @param {Record<string, unknown>} params @param {number} timeoutMs
 */
export async function startupCall(client, method, params, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  if (!noStartupParam.has(client)) {
    try {
      return await client.call(method, { ...params, startup: true }, { timeoutMs });
    } catch (err) {
      if (!rejectsStartupParam(err)) throw err;
      noStartupParam.add(client);
      log('debug', `${method}: this omniroute-rpc does not know the start-up param; calling without it`);
    }
  }
  return client.call(method, params, { timeoutMs: Math.max(1, deadline - Date.now()) });
}

/** The last provider block the service gave this process, per gateway (normalised base URL). */
const lastProviders = new Map();

/**
 * @param {unknown} baseURL @param {Record<string, any>} provider a service provider block
 */
export function rememberProvider(baseURL, provider) {
  if (isRecord(provider?.models) && Object.keys(provider.models).length) {
    lastProviders.set(urlKey(typeof baseURL === 'string' ? baseURL : undefined), provider);
  }
}

/** @param {unknown} baseURL */
export function lastProvider(baseURL) {
  return lastProviders.get(urlKey(typeof baseURL === 'string' ? baseURL : undefined)) ?? null;
}

/** Forget every remembered provider (tests). */
export function forgetProviders() {
  lastProviders.clear();
}

/**
 * What to publish when the start-up call failed or timed out, best first: the provider this
 * process got last for the same gateway, else the service's own snapshot read without network
 * (`offline: true`, bounded) — never the built-in fallback list. Null when there is nothing.
 * @param {{call: (m: string, p: unknown, o?: {timeoutMs?: number}) => Promise<any>}} client
 * @param {Record<string, unknown>} params the start-up call's params ({options, apiKey?})
 * @param {number} budgetMs the start-up call's budget (the offline read gets a fifth of it)
 * @returns {Promise<{provider: Record<string, any>, source: string} | null>}
 */
export async function fallbackProvider(client, params, budgetMs) {
  const options = isRecord(params.options) ? params.options : {};
  const mem = lastProvider(options.baseURL);
  if (mem) return { provider: mem, source: 'memory' };
  try {
    const r = await client.call(
      'opencode.provider',
      { ...params, options: { ...options, offline: true } },
      { timeoutMs: offlineFallbackMs(budgetMs) },
    );
    const models = isRecord(r?.provider?.models) ? r.provider.models : {};
    if (r?.source === 'fallback' || !Object.keys(models).length) return null;
    return { provider: r.provider, source: String(r.source ?? 'snapshot') };
  } catch (err) {
    log('debug', `offline read of the snapshot failed: ${err instanceof Error ? err.message : String(err)}`);
    return null;
  }
}
