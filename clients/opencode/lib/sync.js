// Mid-session sync for OpenCode: OpenCode builds its provider list once per project instance
// (at instance start, from the config the config hook filled), so a fresher catalogue only
// reaches it through a new instance. The sync refreshes the catalogue in the service (which
// also writes the disk snapshot, so the next start is fresh as well), and when the list of
// models changed it re-initialises the project instance (`POST /instance/dispose` through the
// plugin's own OpenCode client) once the current reply has ended: OpenCode then runs the
// plugins' config hooks again, the TUI re-reads the providers, and the new models are listed.
//
// Two ways in: the tool `omniroute_sync` (the model calls it) and the command
// `/omniroute-sync`, which the config hook adds; the command runs the sync itself in the
// `command.execute.before` hook, so it does not depend on the model choosing the tool.

import { isRecord, log } from './shared.js';
import { rememberProvider } from './startup.js';

export const SYNC_TOOL = 'omniroute_sync';
export const SYNC_COMMAND = 'omniroute-sync';

/** Longest list of ids quoted in a sync message. */
const MAX_LISTED = 10;

/**
 * @typedef {object} SyncDeps
 * @property {() => {call: (m: string, p: unknown, o?: {timeoutMs?: number}) => Promise<any>}} client
 * @property {() => Record<string, unknown>} params   the config hook's `opencode.provider` params
 * @property {() => string[] | null} published        model ids OpenCode got from the service at instance start
 * @property {(() => Promise<unknown>) | null} reload re-initialise the instance, or null when impossible
 * @property {number} timeoutMs
 */

/** @param {string[]} ids */
function listed(ids) {
  const head = ids.slice(0, MAX_LISTED).join(', ');
  return ids.length > MAX_LISTED ? `${head} and ${ids.length - MAX_LISTED} more` : head;
}

/**
 * Compare the ids OpenCode has with a fresh list.
 * @param {string[] | null} before @param {string[]} after
 */
export function diffIds(before, after) {
  const had = new Set(before ?? []);
  const now = new Set(after);
  return {
    added: after.filter((id) => !had.has(id)).sort(),
    removed: [...had].filter((id) => !now.has(id)).sort(),
  };
}

/** @param {SyncDeps} deps */
export function createSync(deps) {
  let reloadPending = false;

  /**
   * Refresh the catalogue and say what changed; schedules the instance reload when the
   * model list OpenCode holds differs from the fresh one.
   * @returns {Promise<string>}
   */
  async function sync() {
    const params = deps.params();
    const r = await deps.client().call('opencode.provider', { ...params, refresh: true }, { timeoutMs: deps.timeoutMs });
    const models = isRecord(r?.provider?.models) ? r.provider.models : {};
    const ids = Object.keys(models);
    const where = r?.provider?.options?.baseURL ?? 'the gateway';
    const warnings = Array.isArray(r?.warnings) && r.warnings.length ? ` Warnings: ${r.warnings.join('; ')}.` : '';
    if (r?.source !== 'live') {
      return `OmniRoute: ${where} did not give a fresh list (source ${r?.source ?? '?'}, ${ids.length} models); OpenCode keeps the models it has.${warnings}`;
    }
    rememberProvider(isRecord(params.options) ? params.options.baseURL : undefined, r.provider);
    const { added, removed } = diffIds(deps.published(), ids);
    let msg = `OmniRoute: ${ids.length} models from ${where} (fresh).`;
    if (!added.length && !removed.length) return `${msg} OpenCode already lists all of them; nothing to reload.${warnings}`;
    if (added.length) msg += ` New: ${listed(added)}.`;
    if (removed.length) msg += ` Gone: ${listed(removed)}.`;
    if (deps.reload) {
      reloadPending = true;
      msg += ' OpenCode reloads this project when this reply has ended; the new list is then in the model picker (/models).';
    } else {
      msg += ' The snapshot on disk is updated: the next OpenCode start lists them.';
    }
    log('info', `sync: ${added.length} new, ${removed.length} gone${deps.reload ? '; instance reload scheduled' : ''}`);
    return msg + warnings;
  }

  /** @param {unknown} err */
  const failed = (err) => `OmniRoute sync failed: ${err instanceof Error ? err.message : String(err)}`;

  return {
    /** The `omniroute_sync` tool (no arguments). */
    tool: {
      description:
        'Refresh the OmniRoute model list from the gateway. When models were added or removed, OpenCode reloads ' +
        'its provider list after this reply, so new models become selectable without restarting OpenCode.',
      args: {},
      async execute() {
        try {
          return await sync();
        } catch (err) {
          return failed(err);
        }
      },
    },

    /**
     * Add the `/omniroute-sync` command to the config unless the user defined one.
     * @param {any} cfg
     */
    addCommand(cfg) {
      if (!isRecord(cfg.command)) cfg.command = {};
      if (cfg.command[SYNC_COMMAND] !== undefined) return;
      cfg.command[SYNC_COMMAND] = {
        description: 'Refresh the OmniRoute model list; OpenCode reloads its providers after the reply',
        template: `Call the ${SYNC_TOOL} tool once and report its result to the user in one sentence.`,
      };
    },

    /**
     * `command.execute.before`: run the sync for `/omniroute-sync` and hand its result to the
     * model instead of the template (the parts array is the one OpenCode sends: edit in place).
     * @param {{command: string}} input @param {{parts: any[]}} output
     */
    async onCommand(input, output) {
      if (input?.command !== SYNC_COMMAND || !Array.isArray(output?.parts)) return;
      let msg;
      try {
        msg = await sync();
      } catch (err) {
        msg = failed(err);
      }
      const text =
        `The /${SYNC_COMMAND} command has already run; do not call ${SYNC_TOOL}. Its result:\n${msg}\n` +
        'Tell the user this result in one or two sentences.';
      const part = output.parts.find((p) => p?.type === 'text');
      if (part) part.text = text;
      else output.parts.push({ type: 'text', text });
    },

    /**
     * `event`: once a session is idle after a sync that changed the list, re-initialise the
     * instance (at most once per sync).
     * @param {{event?: {type?: string, properties?: any}}} input
     */
    async onEvent(input) {
      const ev = input?.event;
      if (!reloadPending || !ev) return;
      const idle = ev.type === 'session.idle' || (ev.type === 'session.status' && ev.properties?.status?.type === 'idle');
      if (!idle || !deps.reload) return;
      reloadPending = false;
      log('info', 'reloading the OpenCode instance for the new OmniRoute model list');
      try {
        // OpenCode calls event hooks synchronously from its bus: leave that call first.
        await new Promise((r) => setTimeout(r, 0));
        await deps.reload();
      } catch (err) {
        log('error', `instance reload failed (restart OpenCode to see the new models): ${err instanceof Error ? err.message : String(err)}`);
      }
    },

    /** Whether a reload waits for the session to become idle (tests). */
    get reloadPending() {
      return reloadPending;
    },
  };
}
