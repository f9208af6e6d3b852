// The extension's work, given Pi's ExtensionAPI: spawn omniroute-rpc, initialize it with the
// user's options, register the `omniroute` provider in the factory (so `pi --list-models` and
// `--mode rpc` see it), re-register on `models/changed`, send `usage.record` per request, and
// close the service on `session_shutdown` (Pi's print mode waits for open child processes).

import { findBinary } from './find-binary.js';
import { RpcClient } from './rpc.js';
import { loadOptions, agentDir } from './options.js';
import { chooseKey } from './key.js';
import { buildProvider, clean, PROVIDER } from './provider.js';
import { UsageRecorder } from './attribution.js';

export const CLIENT_NAME = 'pi-omniroute';
export const CLIENT_VERSION = '0.1.0';

/**
 * @typedef {object} ExtensionState
 * @property {RpcClient | null} client
 * @property {any} list              the last models.list result
 * @property {any} provider          the last ProviderConfig registered
 * @property {import('./key.js').KeyChoice | null} key
 * @property {string[]} warnings     not shown yet
 * @property {number} registrations
 * @property {UsageRecorder | null} recorder
 * @property {Record<string, number>} timings
 */

/**
 * @param {any} pi Pi's ExtensionAPI
 * @param {{ env?: NodeJS.ProcessEnv, cwd?: string, stderr?: (line: string) => void }} [o]
 * @returns {Promise<ExtensionState>}
 */
export async function setupExtension(pi, o = {}) {
  const env = o.env ?? process.env;
  const cwd = o.cwd ?? process.cwd();
  const debug = env.OMNIROUTE_DEBUG === '1';
  const stderr = o.stderr ?? ((line) => process.stderr.write(line + '\n'));
  const t0 = Date.now();
  /** @type {ExtensionState} */
  const state = { client: null, list: null, provider: null, key: null, warnings: [], registrations: 0, recorder: null, timings: {} };
  const redact = (/** @type {string} */ s) => (state.key?.secret ? s.split(state.key.secret).join('[key]') : s);
  const warn = (/** @type {string} */ msg) => state.warnings.push(clean(redact(msg)));
  // no provider at all: say it now too (pi --list-models never starts a session)
  const fatal = (/** @type {string} */ msg) => {
    warn(msg);
    stderr(`[omniroute] ${clean(redact(msg))}`);
  };

  // Warnings are shown once Pi has a context: as notifications in the TUI, on stderr otherwise.
  pi.on('session_start', (/** @type {unknown} */ _event, /** @type {any} */ ctx) => flushWarnings(state, ctx, stderr));

  const cfg = loadOptions({ env, cwd });
  cfg.warnings.forEach(warn);
  let binary;
  try {
    binary = findBinary({ explicit: cfg.rpcBinary, baseDir: cwd, env }).path;
  } catch (e) {
    fatal(`omniroute: ${errMessage(e)}`);
    return state;
  }
  const client = new RpcClient({
    binary,
    env,
    onStderr: (line) => {
      if (debug) stderr(`[omniroute-rpc] ${clean(redact(line))}`);
    },
  });
  state.client = client;
  pi.on('session_shutdown', async () => {
    state.client = null;
    await client.close();
  });

  try {
    const init = await client.call('initialize', { clientInfo: { name: CLIENT_NAME, version: CLIENT_VERSION }, options: cfg.options });
    client.notify('initialized', {});
    for (const w of init?.warnings ?? []) warn(`omniroute: ${w}`);
    const keyWarnings = /** @type {string[]} */ ([]);
    state.key = await chooseKey(client, { apiKey: cfg.apiKey, env, agentDir: agentDir(env), warnings: keyWarnings });
    keyWarnings.forEach((w) => warn(`omniroute: ${w}`));
    state.timings.initMs = Date.now() - t0;
    // refresh:false never waits on the network when a cached or disk catalogue exists
    await register(pi, state, cfg.options, { refresh: false });
    state.timings.readyMs = Date.now() - t0;
  } catch (e) {
    fatal(`omniroute: the OmniRoute models are unavailable: ${errMessage(e)}`);
    return state;
  }
  if (debug) stderr(`[omniroute] ${state.provider.models.length} models from ${state.list.baseURL} (source ${state.list.source}, key ${state.key?.source}) in ${state.timings.readyMs} ms`);

  client.onNotification((method) => {
    if (method !== 'models/changed' || !state.client) return;
    register(pi, state, cfg.options, { refresh: false }).catch((e) => warn(`omniroute: refreshing the models failed: ${errMessage(e)}`));
  });

  const recorder = new UsageRecorder({ send: (rec) => state.client?.notify('usage.record', rec), redact });
  state.recorder = recorder;
  pi.on('before_provider_request', (/** @type {any} */ event, /** @type {any} */ ctx) => {
    recorder.request(event.payload, { model: ctx?.model, sessionId: sessionIdOf(ctx) });
    return undefined;
  });
  pi.on('after_provider_response', (/** @type {any} */ event) => recorder.response(event.status, event.headers));
  pi.on('message_update', (/** @type {any} */ event) => recorder.update(event.assistantMessageEvent));
  pi.on('message_end', (/** @type {any} */ event) => {
    recorder.end(event.message);
  });

  pi.registerCommand?.('omniroute', {
    description: 'OmniRoute: show the catalogue status; "/omniroute refresh" refetches it from the gateway',
    handler: async (/** @type {string} */ args, /** @type {any} */ ctx) => {
      const refresh = String(args ?? '').trim() === 'refresh';
      try {
        if (refresh) await register(pi, state, cfg.options, { refresh: true });
        const l = state.list;
        note(ctx, `OmniRoute: ${state.provider.models.length} models from ${l.baseURL} (source ${l.source}${l.fetchedAt ? ', fetched ' + l.fetchedAt : ''}), key: ${state.key?.source}${state.key?.keyHint ? ' ' + state.key.keyHint : ''}`, 'info', stderr);
      } catch (e) {
        note(ctx, `OmniRoute: ${errMessage(e)}`, 'error', stderr);
      }
      flushWarnings(state, ctx, stderr);
    },
  });
  return state;
}

/**
 * Fetch the catalogue and (re-)register the provider. Pi applies a registration made after
 * the load phase immediately (docs/extensions.md, pi.registerProvider).
 * @param {any} pi @param {ExtensionState} state @param {Record<string, any>} options
 * @param {{ refresh: boolean }} how
 */
async function register(pi, state, options, how) {
  const client = state.client;
  if (!client || !state.key) return;
  const params = { ...(how.refresh ? {} : { refresh: false }), ...(state.key.callKey ? { apiKey: state.key.callKey } : {}) };
  const list = await client.call(how.refresh ? 'models.refresh' : 'models.list', params);
  for (const w of list?.warnings ?? []) state.warnings.push(clean(`omniroute: ${w}`));
  const provider = buildProvider(list, { apiMode: options.apiMode, apiKey: state.key.piApiKey, headers: state.key.headers });
  if (provider.models.length === 0) {
    state.warnings.push('omniroute: the gateway lists no chat models; provider "omniroute" not registered');
    return;
  }
  pi.registerProvider(PROVIDER, provider);
  state.list = list;
  state.provider = provider;
  state.registrations++;
}

/** @param {any} ctx */
function sessionIdOf(ctx) {
  try {
    const id = ctx?.sessionManager?.getSessionId?.();
    return typeof id === 'string' && id ? id : undefined;
  } catch {
    return undefined;
  }
}

/** @param {any} ctx @param {string} msg @param {'info'|'warning'|'error'} level @param {(l: string) => void} stderr */
function note(ctx, msg, level, stderr) {
  if (ctx?.hasUI && ctx.ui?.notify) ctx.ui.notify(msg, level);
  else stderr(`[omniroute] ${msg}`);
}

/** @param {ExtensionState} state @param {any} ctx @param {(l: string) => void} stderr */
function flushWarnings(state, ctx, stderr) {
  const ws = state.warnings.splice(0);
  for (const w of ws) note(ctx, w, 'warning', stderr);
}

/** @param {unknown} e */
function errMessage(e) {
  return e instanceof Error ? e.message : String(e);
}
