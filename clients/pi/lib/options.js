// The user's options for the service, from Pi's own settings and the environment.
//
// Pi (0.73.1) has no API for extension settings, but its settings files keep keys they do not
// know (SettingsManager rewrites only the fields it changed), so the options live under an
// `omniroute` key there, merged the way Pi merges its own settings (project over global,
// nested objects merged):
//   1. <agent dir>/settings.json  "omniroute": {...}   (agent dir: $PI_CODING_AGENT_DIR or ~/.pi/agent)
//   2. <cwd>/.pi/settings.json    "omniroute": {...}
//   3. env OMNIROUTE_OPTIONS      a JSON object (as clients/examples use), over both
// Two keys are the extension's own and never reach the service: `rpcBinary` (path of
// omniroute-rpc) and `apiKey` (a key, or the name of an environment variable holding one).

import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Keys the extension consumes itself. */
export const EXTENSION_KEYS = ['rpcBinary', 'apiKey'];

/** @param {unknown} v @returns {v is Record<string, any>} */
export const isPlainObject = (v) => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Pi's agent directory, as Pi computes it (getAgentDir in its config.js).
 * @param {NodeJS.ProcessEnv} env
 */
export function agentDir(env) {
  const home = env.HOME || os.homedir();
  const dir = env.PI_CODING_AGENT_DIR;
  if (dir) {
    if (dir === '~') return home;
    if (dir.startsWith('~/')) return path.join(home, dir.slice(2));
    return dir;
  }
  return path.join(home, '.pi', 'agent');
}

/**
 * Deep merge of plain objects (b wins; arrays and scalars replace).
 * @param {Record<string, any>} a @param {Record<string, any>} b
 * @returns {Record<string, any>}
 */
export function merge(a, b) {
  /** @type {Record<string, any>} */
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) {
    out[k] = isPlainObject(v) && isPlainObject(out[k]) ? merge(out[k], v) : v;
  }
  return out;
}

/**
 * The `omniroute` block of one settings file; a missing file is silent, a broken one a warning.
 * @param {string} file @param {string[]} warnings
 * @returns {Record<string, any> | null}
 */
function readSettingsBlock(file, warnings) {
  let text;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = /** @type {any} */ (e).code;
    if (code !== 'ENOENT' && code !== 'ENOTDIR') warnings.push(`cannot read ${file} (${code ?? 'error'}): its "omniroute" options are ignored`);
    return null;
  }
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    warnings.push(`${file} is not valid JSON: its "omniroute" options are ignored`);
    return null;
  }
  if (!isPlainObject(json) || json.omniroute === undefined) return null;
  if (!isPlainObject(json.omniroute)) {
    warnings.push(`${file}: "omniroute" must be an object of options; ignored`);
    return null;
  }
  return json.omniroute;
}

/**
 * @typedef {object} LoadedOptions
 * @property {Record<string, any>} options   what goes to the service (initialize)
 * @property {string | undefined} rpcBinary
 * @property {string | undefined} apiKey
 * @property {string[]} sources              where options were found (file paths, "OMNIROUTE_OPTIONS")
 * @property {string[]} warnings
 */

/**
 * @param {{ env?: NodeJS.ProcessEnv, cwd?: string }} [o]
 * @returns {LoadedOptions}
 */
export function loadOptions(o = {}) {
  const env = o.env ?? process.env;
  const cwd = o.cwd ?? process.cwd();
  /** @type {string[]} */
  const warnings = [];
  /** @type {string[]} */
  const sources = [];
  /** @type {Record<string, any>} */
  let merged = {};
  for (const file of [path.join(agentDir(env), 'settings.json'), path.join(cwd, '.pi', 'settings.json')]) {
    const block = readSettingsBlock(file, warnings);
    if (block) {
      merged = merge(merged, block);
      sources.push(file);
    }
  }
  const raw = env.OMNIROUTE_OPTIONS;
  if (raw !== undefined && raw.trim() !== '') {
    let parsed;
    try {
      parsed = JSON.parse(raw);
    } catch {
      warnings.push('OMNIROUTE_OPTIONS is not valid JSON: ignored');
    }
    if (parsed !== undefined) {
      if (isPlainObject(parsed)) {
        merged = merge(merged, parsed);
        sources.push('OMNIROUTE_OPTIONS');
      } else warnings.push('OMNIROUTE_OPTIONS must be a JSON object: ignored');
    }
  }
  const { rpcBinary, apiKey, ...options } = merged;
  if (rpcBinary !== undefined && typeof rpcBinary !== 'string') warnings.push('option rpcBinary must be a string path: ignored');
  if (apiKey !== undefined && typeof apiKey !== 'string') warnings.push('option apiKey must be a string: ignored');
  return {
    options,
    rpcBinary: typeof rpcBinary === 'string' && rpcBinary.trim() ? rpcBinary.trim() : undefined,
    apiKey: typeof apiKey === 'string' && apiKey.trim() ? apiKey.trim() : undefined,
    sources,
    warnings,
  };
}
