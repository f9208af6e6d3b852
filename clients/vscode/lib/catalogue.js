'use strict';
// A `models.list` catalogue entry → VS Code's LanguageModelChatInformation.
//
// The catalogue leaves unknown fields absent; VS Code needs numbers for the limits. Unknown
// limits get conservative defaults and the tooltip says so ("assumed"), so the picker never
// pretends to know what the gateway did not say.

/** Context window assumed when neither the gateway nor models.dev knows it. */
const DEFAULT_CONTEXT = 128000;
/** Output limit assumed when unknown. */
const DEFAULT_OUTPUT = 4096;

/**
 * @typedef {object} CatalogueModel  (schema/ModelsListResult.json `Model`, plus the health
 *   fields of issue 15 when the service has them)
 * @property {string} id
 * @property {string} name
 * @property {string} kind
 * @property {number | null} [contextWindow]
 * @property {number | null} [maxTokens]
 * @property {boolean | null} [supportsVision]
 * @property {boolean | null} [supportsTools]
 * @property {boolean | null} [supportsReasoning]
 * @property {{ input?: number | null, output?: number | null, cacheRead?: number | null, cacheWrite?: number | null } | null} [pricing]
 * @property {{ strategy?: string | null, members: string[], resolved?: boolean } | null} [combo]
 * @property {string | null} [family]
 * @property {string | null} [ownedBy]
 * @property {string | null} [releaseDate]
 * @property {string | null} [description]
 * @property {string | null} [aliasOf]
 * @property {{ provider: string, id: string } | null} [modelsDev]
 * @property {{ state?: string, reason?: string | null, retryAfterMs?: number | null, latencyMs?: number | null, successRate?: number | null } | null} [health]
 * @property {boolean | null} [usable]
 */

/**
 * @typedef {object} ChatInformation
 * @property {string} id
 * @property {string} name
 * @property {string} family
 * @property {string} version
 * @property {number} maxInputTokens
 * @property {number} maxOutputTokens
 * @property {string} [tooltip]
 * @property {string} [detail]
 * @property {{ imageInput?: boolean, toolCalling?: boolean | number }} capabilities
 */

/** Strip control characters from gateway strings before they reach the UI. @param {unknown} s */
function clean(s) {
  // eslint-disable-next-line no-control-regex
  return String(s ?? '').replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ').trim();
}

/** @param {unknown} n */
function isCount(n) {
  return typeof n === 'number' && Number.isFinite(n) && n > 0;
}

/** @param {number} n */
function fmtTokens(n) {
  if (n >= 1e6 && n % 1e5 === 0) return `${n / 1e6}M`;
  if (n >= 1000 && n % 1000 === 0) return `${n / 1000}k`;
  return String(n);
}

/** USD per 1M tokens. @param {unknown} p */
function fmtPrice(p) {
  if (typeof p !== 'number' || !Number.isFinite(p)) return '?';
  if (p === 0) return '$0';
  return '$' + (p >= 1 ? p.toFixed(2) : String(Number(p.toPrecision(3))));
}

/** The input/output limits VS Code gets. @param {CatalogueModel} m */
function limits(m) {
  const ctxKnown = isCount(m.contextWindow);
  const outKnown = isCount(m.maxTokens);
  const ctx = ctxKnown ? /** @type {number} */ (m.contextWindow) : DEFAULT_CONTEXT;
  let out = outKnown ? /** @type {number} */ (m.maxTokens) : DEFAULT_OUTPUT;
  // The output budget comes out of the context window; never leave less than half for input.
  const reserve = Math.min(out, Math.floor(ctx / 2));
  if (out > ctx) out = ctx;
  return { maxInputTokens: ctx - reserve, maxOutputTokens: out, ctxKnown, outKnown, ctx };
}

/** A one-line health mark ('' when ok or unknown). @param {CatalogueModel} m */
function healthMark(m) {
  const h = m.health;
  if (m.usable === false) return 'no usable connection';
  if (!h || !h.state || h.state === 'ok' || h.state === 'unknown') return '';
  return clean(h.state) + (h.reason ? `: ${clean(h.reason)}` : '');
}

/** @param {CatalogueModel} m */
function familyOf(m) {
  if (m.family) return clean(m.family);
  if (m.modelsDev?.id) return clean(m.modelsDev.id);
  if (m.combo) return 'combo';
  const slash = m.id.lastIndexOf('/');
  return clean(slash >= 0 ? m.id.slice(slash + 1) : m.id);
}

/**
 * The picker's one-line detail: combo summary, price, health.
 * @param {CatalogueModel} m
 */
function detailOf(m) {
  const parts = [];
  const mark = healthMark(m);
  if (mark) parts.push(`⚠ ${mark}`);
  if (m.combo) parts.push(`combo · ${m.combo.members.length} member${m.combo.members.length === 1 ? '' : 's'}`);
  const p = m.pricing;
  if (p && (typeof p.input === 'number' || typeof p.output === 'number')) {
    parts.push(p.input === 0 && p.output === 0 ? 'free' : `${fmtPrice(p.input)}/${fmtPrice(p.output)} per 1M`);
  }
  return parts.join(' · ');
}

/**
 * The hover text: everything a user wants to know, "?" for unknowns.
 * @param {CatalogueModel} m @param {ReturnType<typeof limits>} l
 */
function tooltipOf(m, l) {
  const yn = (/** @type {boolean | null | undefined} */ v) => (v === true ? 'yes' : v === false ? 'no' : '?');
  const lines = [clean(m.id)];
  if (m.description) lines.push(clean(m.description));
  if (m.ownedBy && !m.combo) lines.push(`Provider: ${clean(m.ownedBy)}`);
  lines.push(
    `Context: ${l.ctxKnown ? fmtTokens(l.ctx) : `? (assumed ${fmtTokens(DEFAULT_CONTEXT)})`}, ` +
      `output: ${l.outKnown ? fmtTokens(l.maxOutputTokens) : `? (assumed ${fmtTokens(DEFAULT_OUTPUT)})`}`,
  );
  lines.push(`Tools: ${yn(m.supportsTools)}, vision: ${yn(m.supportsVision)}, reasoning: ${yn(m.supportsReasoning)}`);
  const p = m.pricing;
  if (p) {
    let price = `Price per 1M tokens: in ${fmtPrice(p.input)}, out ${fmtPrice(p.output)}`;
    if (typeof p.cacheRead === 'number') price += `, cache read ${fmtPrice(p.cacheRead)}`;
    lines.push(price);
  } else lines.push('Price: ?');
  if (m.combo) {
    const strategy = m.combo.strategy ? ` (${clean(m.combo.strategy)})` : '';
    lines.push(`Combo${strategy}: ${m.combo.members.map(clean).join(', ') || '(no members)'}`);
    if (m.combo.resolved === false) lines.push('Combo members could not be read from the gateway.');
  }
  const h = m.health;
  if (h && h.state) {
    let line = `Health: ${clean(h.state)}`;
    if (h.reason) line += ` (${clean(h.reason)})`;
    if (isCount(h.latencyMs)) line += `, latency ${Math.round(/** @type {number} */ (h.latencyMs))} ms`;
    if (typeof h.successRate === 'number') line += `, success ${Math.round(h.successRate * 100)}%`;
    if (isCount(h.retryAfterMs)) line += `, retry in ${Math.ceil(/** @type {number} */ (h.retryAfterMs) / 1000)} s`;
    lines.push(line);
  }
  if (m.usable === false) lines.push('No usable connection for this provider on the gateway.');
  if (m.aliasOf) lines.push(`Same model as ${clean(m.aliasOf)}`);
  return lines.join('\n');
}

/**
 * Map one catalogue entry. Returns null for entries that are not chat models.
 * @param {CatalogueModel} m
 * @returns {ChatInformation | null}
 */
function toChatInformation(m) {
  if (!m || typeof m.id !== 'string' || !m.id || m.kind !== 'chat') return null;
  const l = limits(m);
  const detail = detailOf(m);
  return {
    id: m.id,
    name: clean(m.name || m.id),
    family: familyOf(m),
    version: m.releaseDate ? clean(m.releaseDate) : clean(m.id),
    maxInputTokens: l.maxInputTokens,
    maxOutputTokens: l.maxOutputTokens,
    tooltip: tooltipOf(m, l),
    ...(detail ? { detail } : {}),
    capabilities: {
      imageInput: m.supportsVision === true,
      // Unknown counts as able (as OmniRoute's own provider does): the gateway rejects a
      // tool request a model cannot serve, while a false "no" would hide it from agent mode.
      toolCalling: m.supportsTools !== false,
    },
  };
}

/**
 * The chat models of a catalogue, in the catalogue's order.
 * @param {CatalogueModel[]} models
 * @returns {ChatInformation[]}
 */
function toChatInformationList(models) {
  /** @type {ChatInformation[]} */
  const out = [];
  for (const m of Array.isArray(models) ? models : []) {
    const info = toChatInformation(m);
    if (info) out.push(info);
  }
  return out;
}

module.exports = { toChatInformation, toChatInformationList, clean, fmtPrice, DEFAULT_CONTEXT, DEFAULT_OUTPUT };
