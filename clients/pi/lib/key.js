// Which key Pi sends to the gateway, and which key the service uses for the catalogue.
//
// Pi makes the chat requests itself, so it needs the key (the service never hands a key out).
// Order, first hit wins:
//   1. option `apiKey` (Pi settings "omniroute" block or OMNIROUTE_OPTIONS): a key, or the name
//      of an environment variable (Pi's own rule for apiKey values)
//   2. Pi's own credentials, <agent dir>/auth.json {"omniroute": {"type": "api_key", "key"}}
//      (Pi reads it first anyway; we only pass it to the service for the catalogue)
//   3. the service's usual sources, as `auth.status` reports them:
//      env      -> Pi gets the *name* OMNIROUTE_API_KEY and reads the variable itself
//      authFile -> OpenCode's auth.json (or OPENCODE_AUTH_CONTENT), where auth.connect stores it
//      none     -> no key: an open gateway. Pi insists on some apiKey, and OmniRoute rejects a
//                  wrong Bearer even on open endpoints, so the provider sends an empty
//                  Authorization header instead (OmniRoute treats it as no key).
// The key is never logged; messages carry the service's keyHint at most.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { isPlainObject } from './options.js';

/** Placeholder apiKey for a key-less gateway (never sent: the empty Authorization header wins). */
export const NO_KEY = 'omniroute-no-key';

/**
 * Pi's rule for an apiKey value: the variable of that name if set, else the literal.
 * @param {string} value @param {NodeJS.ProcessEnv} env
 */
export function resolvePiValue(value, env) {
  return env[value] || value;
}

/**
 * The omniroute key of Pi's auth.json, if any.
 * @param {string} dir Pi's agent dir @param {NodeJS.ProcessEnv} env @param {string[]} warnings
 * @returns {string | undefined}
 */
export function piStoredKey(dir, env, warnings) {
  const file = path.join(dir, 'auth.json');
  let json;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    const code = /** @type {any} */ (e).code;
    if (code && code !== 'ENOENT' && code !== 'ENOTDIR') warnings.push(`cannot read ${file} (${code})`);
    else if (!code) warnings.push(`${file} is not valid JSON: its omniroute key is ignored`);
    return undefined;
  }
  const cred = isPlainObject(json) ? json.omniroute : undefined;
  if (!isPlainObject(cred) || cred.type !== 'api_key' || typeof cred.key !== 'string' || !cred.key) return undefined;
  if (cred.key.startsWith('!')) {
    warnings.push(`${file}: the omniroute key is a shell command; Pi runs it for its requests, the catalogue uses the service's own key`);
    return undefined;
  }
  return resolvePiValue(cred.key, env);
}

/**
 * The key OpenCode's credentials hold (what the service reads for source "authFile").
 * @param {string} authFile @param {NodeJS.ProcessEnv} env @param {string[]} warnings
 * @returns {string | undefined}
 */
export function authFileKey(authFile, env, warnings) {
  const fromEnv = env.OPENCODE_AUTH_CONTENT;
  let text;
  try {
    text = fromEnv !== undefined && fromEnv.trim() !== '' ? fromEnv : readFileSync(authFile, 'utf8');
  } catch (e) {
    warnings.push(`cannot read ${authFile} (${/** @type {any} */ (e).code ?? 'error'}): no key for Pi`);
    return undefined;
  }
  try {
    const cred = JSON.parse(text)?.omniroute;
    if (isPlainObject(cred) && cred.type === 'api' && typeof cred.key === 'string' && cred.key) return cred.key;
  } catch {
    /* the service reported the problem in auth.status warnings */
  }
  warnings.push(`no usable omniroute key in ${fromEnv ? 'OPENCODE_AUTH_CONTENT' : authFile}`);
  return undefined;
}

/**
 * @typedef {object} KeyChoice
 * @property {string} piApiKey                    ProviderConfig.apiKey (literal, or an env var name)
 * @property {Record<string, string> | undefined} headers  provider headers (the empty Authorization when key-less)
 * @property {string | undefined} callKey         `apiKey` param for the service's calls (undefined: its own sources)
 * @property {string | undefined} secret          the literal key, to redact from messages
 * @property {'option'|'piAuth'|'env'|'authFile'|'none'} source
 * @property {string | null} keyHint
 */

/**
 * @param {{ call: (method: string, params?: any) => Promise<any> }} client
 * @param {{ apiKey?: string, env: NodeJS.ProcessEnv, agentDir: string, warnings: string[] }} o
 * @returns {Promise<KeyChoice>}
 */
export async function chooseKey(client, o) {
  const { env, warnings } = o;
  if (o.apiKey) {
    const secret = resolvePiValue(o.apiKey, env);
    return { piApiKey: o.apiKey, headers: undefined, callKey: secret, secret, source: 'option', keyHint: null };
  }
  const stored = piStoredKey(o.agentDir, env, warnings);
  if (stored) {
    return { piApiKey: stored, headers: undefined, callKey: stored, secret: stored, source: 'piAuth', keyHint: null };
  }
  const st = await client.call('auth.status', {});
  for (const w of st?.warnings ?? []) warnings.push(String(w));
  const keyHint = typeof st?.keyHint === 'string' ? st.keyHint : null;
  if (st?.source === 'env' && env.OMNIROUTE_API_KEY) {
    return { piApiKey: 'OMNIROUTE_API_KEY', headers: undefined, callKey: undefined, secret: env.OMNIROUTE_API_KEY, source: 'env', keyHint };
  }
  if (st?.source === 'authFile' && typeof st.authFile === 'string') {
    const key = authFileKey(st.authFile, env, warnings);
    if (key) return { piApiKey: key, headers: undefined, callKey: undefined, secret: key, source: 'authFile', keyHint };
  }
  return { piApiKey: NO_KEY, headers: { Authorization: '' }, callKey: undefined, secret: undefined, source: 'none', keyHint: null };
}
