// The OpenCode plugin: glue between OpenCode's hooks and the omniroute-rpc service.
// No mapping logic lives here: the service builds the whole provider.omniroute block.

import {
  DEFAULT_BASE_URL,
  VIEW_OPTION_KEYS,
  addLogSink,
  getClient,
  isRecord,
  log,
  serviceOptions,
} from './shared.js';
import { createAttributionFetch, usageTool } from './attribution.js';
import { fallbackProvider, rememberProvider, startupBudget, startupCall } from './startup.js';
import { SYNC_TOOL, createSync } from './sync.js';

export const PROVIDER_ID = 'omniroute';
export const NO_KEY_MESSAGE =
  "No API key available. Please run '/connect omniroute' to set up your OmniRoute connection.";
const DEFAULT_STARTUP_TIMEOUT_MS = 10000;
/** Above this many chat models with no filter set, the plugin suggests one (once). */
export const HINT_MIN_MODELS = 300;
const DEFAULT_AUTH_TIMEOUT_MS = 35000;

/**
 * @param {unknown} v @param {number} dflt
 */
function positiveNumber(v, dflt) {
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : dflt;
}

/**
 * Merge the service's model entry with a model the user declared: user fields win; nested
 * records (limit, cost, options, …) are merged one level deep so that the service still fills
 * what the user left out.
 * @param {Record<string, any>} svc @param {Record<string, any>} user
 */
export function mergeModel(svc, user) {
  /** @type {Record<string, any>} */
  const out = { ...svc, ...user };
  for (const [k, v] of Object.entries(user)) {
    if (isRecord(v) && isRecord(svc[k])) out[k] = { ...svc[k], ...v };
  }
  return out;
}

/**
 * Merge the service's provider block into the user's (user wins).
 * @param {Record<string, any> | undefined} existing
 * @param {Record<string, any>} svc
 */
export function mergeProvider(existing, svc) {
  const user = isRecord(existing) ? existing : {};
  /** @type {Record<string, any>} */
  const out = { ...svc, ...user };
  out.options = { ...(isRecord(svc.options) ? svc.options : {}), ...(isRecord(user.options) ? user.options : {}) };
  const svcModels = isRecord(svc.models) ? svc.models : {};
  const userModels = isRecord(user.models) ? user.models : {};
  /** @type {Record<string, any>} */
  const models = {};
  for (const [id, m] of Object.entries(svcModels)) {
    models[id] = isRecord(userModels[id]) ? mergeModel(m, userModels[id]) : m;
  }
  for (const [id, m] of Object.entries(userModels)) if (!(id in models)) models[id] = m;
  out.models = models;
  return out;
}

/**
 * The provider entry used when the service cannot answer: the user's block, completed with
 * the fixed fields (name, npm by apiMode, env, options.baseURL) and no gateway models.
 * @param {Record<string, any> | undefined} existing @param {Record<string, unknown>} options
 */
export function minimalProvider(existing, options) {
  const user = isRecord(existing) ? existing : {};
  const npm = options.apiMode === 'responses' ? '@ai-sdk/openai' : '@ai-sdk/openai-compatible';
  const baseURL = typeof options.baseURL === 'string' && options.baseURL ? options.baseURL : DEFAULT_BASE_URL;
  return mergeProvider(user, { name: 'OmniRoute', npm, env: ['OMNIROUTE_API_KEY'], options: { baseURL }, models: {} });
}

/**
 * True when the options set any filter (top level, or in the `features` block of OmniRoute's
 * own plugin).
 * @param {Record<string, unknown>} options
 */
export function hasViewFilter(options) {
  const features = isRecord(options.features) ? options.features : {};
  return VIEW_OPTION_KEYS.some((k) => {
    const v = options[k] !== undefined && options[k] !== null ? options[k] : features[k];
    if (v === undefined || v === null || v === false) return false;
    if (Array.isArray(v)) return v.length > 0;
    return !(k === 'view' && v === 'all');
  });
}

/**
 * The one-line hint for a long picker, or undefined when none is due.
 * @param {number} chatModels @param {Record<string, unknown>} options
 */
export function filterHint(chatModels, options) {
  if (chatModels <= HINT_MIN_MODELS || hasViewFilter(options)) return undefined;
  return (
    `provider ${PROVIDER_ID}: ${chatModels} chat models in the picker; to shorten it set ` +
    `"view": "curated" (newest per provider, fresh ones, combos, recently used) or ` +
    `"visibleModels": ["cx/*", "claude-sonnet-4*"] in provider.${PROVIDER_ID}.options`
  );
}

/**
 * @param {any} input   OpenCode PluginInput ({client, directory, ...})
 * @param {Record<string, unknown>} [pluginOptions] options from `["opencode-omniroute-auth", {...}]`
 */
export async function OmniRouteAuthPlugin(input, pluginOptions) {
  const pluginOpts = isRecord(pluginOptions) ? pluginOptions : {};
  const directory = typeof input?.directory === 'string' ? input.directory : process.cwd();

  // Send our log lines to OpenCode's log (service "omniroute").
  const appLog = input?.client?.app?.log;
  // OpenCode serves client.app.log in-process, but only once the instance has finished
  // bootstrapping (the config hook runs during it): keep the deliveries and let `dispose`
  // wait for them (bounded), or a short command like `opencode models` drops them.
  /** @type {Set<Promise<unknown>>} */
  const deliveries = new Set();
  const removeSink =
    typeof appLog === 'function'
      ? addLogSink((level, message) => {
          const p = Promise.resolve()
            .then(() => input.client.app.log({ body: { service: 'omniroute', level, message } }))
            .catch(() => {})
            .finally(() => deliveries.delete(p));
          deliveries.add(p);
        })
      : () => {};

  /** What the config hook saw last: used by authorize and loader. */
  let current = {
    /** @type {Record<string, unknown>} */ options: serviceOptions(pluginOpts),
    /** @type {string | undefined} */ rpcBinary: typeof pluginOpts.rpcBinary === 'string' ? pluginOpts.rpcBinary : undefined,
    /** @type {number | undefined} */ callTimeoutMs: undefined,
    baseURL: /** @type {string | undefined} */ (undefined),
  };
  let hinted = false;

  const client = () =>
    getClient({ rpcBinary: current.rpcBinary, baseDir: directory, callTimeoutMs: current.callTimeoutMs });

  /** Served-member attribution (issue 16): one `usage.record` notification per request. */
  const sendUsage = (/** @type {Record<string, unknown>} */ rec) => {
    const c = client();
    c.ensureStarted(5000)
      .then(() => c.notify('usage.record', { ...rec, options: current.options }))
      .catch((e) => log('debug', `usage.record not sent: ${e instanceof Error ? e.message : e}`));
  };
  // Mid-session sync (tool + /omniroute-sync): see lib/sync.js.
  /** @type {Record<string, unknown>} */ let startupParams = { options: current.options };
  /** @type {string[] | null} */ let publishedIds = null;
  const canReload = typeof input?.client?.instance?.dispose === 'function';
  const sync = createSync({
    client,
    params: () => startupParams,
    published: () => publishedIds,
    reload: canReload ? () => input.client.instance.dispose() : null,
    timeoutMs: DEFAULT_AUTH_TIMEOUT_MS,
  });

  return {
    tool: {
      [SYNC_TOOL]: sync.tool,
      omniroute_usage: usageTool((method, params) =>
        client().call(method, { ...params, options: current.options }, { timeoutMs: 10000 }),
      ),
    },
    'command.execute.before': sync.onCommand,
    event: sync.onEvent,

    /** @param {any} cfg */
    async config(cfg) {
      try {
        if (!isRecord(cfg.provider)) cfg.provider = {};
        const existing = isRecord(cfg.provider[PROVIDER_ID]) ? cfg.provider[PROVIDER_ID] : undefined;
        const userOpts = isRecord(existing?.options) ? existing.options : {};
        const pick = (/** @type {string} */ k) => (userOpts[k] !== undefined ? userOpts[k] : pluginOpts[k]);
        current = {
          options: { ...serviceOptions(pluginOpts), ...serviceOptions(userOpts) },
          rpcBinary: typeof pick('rpcBinary') === 'string' ? /** @type {string} */ (pick('rpcBinary')) : undefined,
          callTimeoutMs: positiveNumber(pick('callTimeoutMs'), 0) || undefined,
          baseURL: undefined,
        };
        const timeoutMs = startupBudget(positiveNumber(pick('startupTimeoutMs'), DEFAULT_STARTUP_TIMEOUT_MS), current.options.startupWaitMs);
        const apiKey = typeof userOpts.apiKey === 'string' && userOpts.apiKey ? userOpts.apiKey : undefined;
        startupParams = { options: current.options, ...(apiKey ? { apiKey } : {}) };
        sync.addCommand(cfg);

        const started = Date.now();
        let result;
        try {
          result = await startupCall(client(), 'opencode.provider', startupParams, timeoutMs);
          if (result?.source !== 'fallback') rememberProvider(current.options.baseURL, result?.provider);
        } catch (err) {
          // Publish the last good list rather than none (memory, else the service's snapshot).
          const last = await fallbackProvider(client(), startupParams, timeoutMs);
          if (!last) throw err;
          log('warn', `${err instanceof Error ? err.message : String(err)}; using the last model list (${last.source})`);
          result = { provider: last.provider, source: last.source };
        }
        const svcProvider = isRecord(result?.provider) ? result.provider : {};
        publishedIds = Object.keys(isRecord(svcProvider.models) ? svcProvider.models : {});
        const merged = mergeProvider(existing, svcProvider);
        cfg.provider[PROVIDER_ID] = merged;
        current.baseURL = merged.options?.baseURL;
        for (const w of result?.warnings ?? []) log('warn', String(w));
        const hint = hinted ? undefined : filterHint(Object.keys(svcProvider.models ?? {}).length, current.options);
        if (hint) {
          hinted = true;
          log('info', hint);
        }
        // Debug, not info: one line sent to OpenCode's log during start-up (client.app.log)
        // costs OpenCode ~0.25 s before it exits (bench/opencode-startup.sh); warnings and
        // errors are still sent, routine lines only with OMNIROUTE_DEBUG=1.
        log(
          'debug',
          `provider ${PROVIDER_ID}: ${Object.keys(merged.models ?? {}).length} models ` +
            `(source ${result?.source ?? '?'}, ${Date.now() - started} ms)`,
        );
      } catch (err) {
        // Never break OpenCode start-up. Keep what the user wrote, and make sure the provider
        // entry exists: OpenCode 1.18.33 crashes ("undefined is not an object (evaluating
        // '$.models')") when an auth hook's provider is missing from the config while a key
        // is stored.
        const msg = err instanceof Error ? err.message : String(err);
        log('error', `could not load the OmniRoute model list (provider "${PROVIDER_ID}" has no models from the gateway): ${msg}`);
        try {
          if (!isRecord(cfg.provider)) cfg.provider = {};
          cfg.provider[PROVIDER_ID] = minimalProvider(cfg.provider[PROVIDER_ID], current.options);
        } catch {
          /* the config object is not writable: nothing more we can do */
        }
      }
    },

    auth: {
      provider: PROVIDER_ID,
      methods: [
        {
          type: 'api',
          label: 'OmniRoute API Key',
          /**
           * OpenCode 1.18.33 calls authorize with the answers to `prompts` only (the typed key
           * is not passed); then a result without `key` makes it store the typed key as is.
           * When a key is passed (inputs.key / inputs.apiKey) it is checked against the
           * gateway without being written anywhere (auth.connect persist:false).
           * @param {Record<string, string>} [inputs]
           */
          async authorize(inputs) {
            const key = inputs?.key ?? inputs?.apiKey;
            if (typeof key !== 'string' || !key.trim()) return /** @type {any} */ ({ type: 'success' });
            try {
              const r = await client().call(
                'auth.connect',
                { apiKey: key.trim(), persist: false, options: current.options },
                { timeoutMs: DEFAULT_AUTH_TIMEOUT_MS },
              );
              log('info', `API key ${r?.keyHint ?? ''} accepted by ${r?.baseURL ?? 'the gateway'} (${r?.modelCount ?? '?'} models)`);
              return { type: 'success', key: key.trim() };
            } catch (err) {
              log('error', `API key check failed: ${err instanceof Error ? err.message : String(err)}`);
              return { type: 'failed' };
            }
          },
        },
      ],
      /**
       * @param {() => Promise<any>} getAuth
       * @param {any} provider
       */
      async loader(getAuth, provider) {
        const auth = await getAuth();
        if (!auth || auth.type !== 'api' || typeof auth.key !== 'string' || !auth.key) {
          throw new Error(NO_KEY_MESSAGE);
        }
        const baseURL =
          (typeof provider?.options?.baseURL === 'string' && provider.options.baseURL) ||
          current.baseURL ||
          (typeof current.options.baseURL === 'string' && current.options.baseURL) ||
          DEFAULT_BASE_URL;
        const recordUsage = provider?.options?.recordUsage ?? pluginOpts.recordUsage;
        if (recordUsage === false) return { apiKey: auth.key, baseURL };
        // Attribution wraps the fetch the AI SDK uses (reference/opencode.md §2: the loader's
        // `fetch` becomes an SDK option); requests to other origins pass through untouched.
        return { apiKey: auth.key, baseURL, fetch: createAttributionFetch({ baseURL, send: sendUsage }) };
      },
    },

    async dispose() {
      if (deliveries.size) {
        await Promise.race([Promise.allSettled([...deliveries]), new Promise((r) => setTimeout(r, 1000))]);
      }
      removeSink();
      await client().dispose();
    },
  };
}
