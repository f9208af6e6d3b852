'use strict';
// The `omniroute.*` settings → the service's session options.
//
// Option names are the OpenCode plugin's (clients/README.md §5, CONTRACTS.md "Options"), so a
// user's block can be copied over. Only values the user actually set are passed on: unset
// settings leave the service's defaults (and OMNIROUTE_BASE_URL) in force. Options the service
// does not know yet come back as `initialize` warnings, which the extension logs.

/** Settings passed through to `initialize` as options, unchanged. */
const OPTION_NAMES = Object.freeze([
  'baseURL',
  'apiMode',
  'modelCacheTtl',
  'refreshOnList',
  'modelsDev',
  'modelMetadata',
  'visibleModels',
  'hiddenModels',
  'providersAllow',
  'toolsOnly',
  'visionOnly',
  'freeOnly',
  'view',
]);

/**
 * @typedef {{ inspect<T>(key: string): { globalValue?: T, workspaceValue?: T, workspaceFolderValue?: T } | undefined }} ConfigLike
 */

/**
 * The value a user set for `key` (folder > workspace > user), or undefined when unset.
 * @param {ConfigLike} config @param {string} key
 * @returns {unknown}
 */
function userValue(config, key) {
  const i = config.inspect(key);
  if (!i) return undefined;
  const v = i.workspaceFolderValue ?? i.workspaceValue ?? i.globalValue;
  return v === null ? undefined : v;
}

/**
 * @typedef {object} Settings
 * @property {Record<string, unknown>} options   for `initialize` / per-call `options`
 * @property {string | undefined} rpcBinary
 * @property {'chat' | 'responses'} apiMode
 */

/**
 * Read the extension's settings.
 * @param {ConfigLike} config the `omniroute` configuration section
 * @returns {Settings}
 */
function readSettings(config) {
  /** @type {Record<string, unknown>} */
  const options = {};
  for (const name of OPTION_NAMES) {
    const v = userValue(config, name);
    if (v === undefined) continue;
    if (typeof v === 'string' && !v.trim()) continue;
    options[name] = v;
  }
  const bin = userValue(config, 'rpcBinary');
  return {
    options,
    rpcBinary: typeof bin === 'string' && bin.trim() ? bin.trim() : undefined,
    apiMode: options.apiMode === 'responses' ? 'responses' : 'chat',
  };
}

module.exports = { OPTION_NAMES, readSettings };
