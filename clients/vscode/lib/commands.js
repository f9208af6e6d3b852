'use strict';
// The commands (Connect, Refresh Models, Show Combo) and the status-bar item.

const vscode = require('vscode');
const { clean, fmtPrice } = require('./catalogue.js');

/**
 * @typedef {object} CommandDeps
 * @property {import('./service.js').Service} service
 * @property {import('./provider.js').KeyStore} keys
 * @property {vscode.LogOutputChannel} log
 * @property {() => void} modelsChanged   fire the provider's change event
 */

/** The status-bar item: catalogue source and model count. */
class StatusItem {
  constructor() {
    this.item = vscode.window.createStatusBarItem('omniroute.status', vscode.StatusBarAlignment.Right, 100);
    this.item.name = 'OmniRoute';
    this.item.command = 'omniroute.refreshModels';
    this.item.text = '$(hubot) OmniRoute';
    this.item.tooltip = 'OmniRoute: not connected. Run "OmniRoute: Connect".';
    this.item.show();
  }

  /** @param {import('./service.js').Listing} listing */
  update(listing) {
    const chat = listing.models.filter((m) => m.kind === 'chat').length;
    this.item.text = `$(hubot) OmniRoute: ${chat} (${clean(listing.source)})`;
    this.item.tooltip =
      `OmniRoute ${clean(listing.baseURL)}\n${chat} chat models of ${listing.models.length}, source ${clean(listing.source)}` +
      (listing.fetchedAt ? `, fetched ${clean(listing.fetchedAt)}` : '') +
      (listing.warnings?.length ? `\n${listing.warnings.length} warning(s): see the OmniRoute output` : '') +
      '\nClick to refresh.';
  }

  /** @param {string} message */
  error(message) {
    this.item.text = '$(warning) OmniRoute';
    this.item.tooltip = `OmniRoute: ${message}`;
  }

  dispose() {
    this.item.dispose();
  }
}

/**
 * "OmniRoute: Connect": ask for the key, check it with `auth.connect {persist:false}` (the
 * service keeps it for this session only), store it in SecretStorage.
 * @param {CommandDeps} deps
 * @returns {Promise<boolean>} whether a working key is stored now
 */
async function connect(deps) {
  const key = await vscode.window.showInputBox({
    title: 'OmniRoute: Connect',
    prompt: 'API key of your OmniRoute gateway (stored in VS Code\'s secret storage)',
    placeHolder: 'sk-…',
    password: true,
    ignoreFocusOut: true,
    validateInput: (v) => (v.trim() ? undefined : 'Enter a key'),
  });
  if (!key || !key.trim()) return false;
  try {
    const res = await deps.service.checkKey(key.trim());
    await deps.keys.store(key.trim());
    deps.log.info(`connected to ${res.baseURL} as ${res.keyHint}: ${res.modelCount} models`);
    for (const w of res.warnings ?? []) deps.log.warn(w);
    deps.modelsChanged();
    void vscode.window.showInformationMessage(
      `OmniRoute: connected to ${clean(res.baseURL)} as ${clean(res.keyHint)} (${res.modelCount} models).`,
    );
    return true;
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    deps.log.error(`connect failed: ${msg}`);
    void vscode.window.showErrorMessage(`OmniRoute: ${msg}`);
    return false;
  }
}

/**
 * "OmniRoute: Refresh Models": `models.refresh`, then VS Code asks for the models again.
 * @param {CommandDeps & { status: StatusItem }} deps
 */
async function refreshModels(deps) {
  try {
    const res = await deps.service.refresh(await deps.keys.get());
    deps.status.update(res);
    const d = res.diff ?? { added: [], removed: [], changed: [] };
    const summary = `${res.models.length} models (${res.source}): +${d.added.length} −${d.removed.length} ~${d.changed.length}`;
    deps.log.info(`refreshed: ${summary}`);
    for (const w of res.warnings ?? []) deps.log.warn(w);
    deps.modelsChanged();
    void vscode.window.showInformationMessage(`OmniRoute: ${summary}`);
    return res;
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    deps.status.error(msg);
    deps.log.error(`refresh failed: ${msg}`);
    void vscode.window.showErrorMessage(`OmniRoute: ${msg}`);
    return undefined;
  }
}

/**
 * The text of a resolved combo.
 * @param {any} r combos.resolve result
 */
function comboReport(r) {
  const v = (/** @type {unknown} */ x) => (x === undefined || x === null ? '?' : String(x));
  const lines = [`Combo ${clean(r.name)}${r.strategy ? ` (${clean(r.strategy)})` : ''}`];
  for (const m of r.members ?? []) {
    const via = Array.isArray(m.path) && m.path.length > 1 ? ` via ${m.path.slice(1).map(clean).join(' > ')}` : '';
    const w = typeof m.weight === 'number' && m.weight > 0 ? ` weight ${m.weight}` : '';
    const model = m.model ?? {};
    const info = m.resolved
      ? ` context ${v(model.contextWindow)}, output ${v(model.maxTokens)}, tools ${v(model.supportsTools)}, vision ${v(model.supportsVision)}` +
        (model.pricing ? `, ${fmtPrice(model.pricing.input)}/${fmtPrice(model.pricing.output)} per 1M` : '')
      : ` (unresolved${m.reason ? `: ${clean(m.reason)}` : ''})`;
    lines.push(`  ${clean(m.id)}${via}${w}:${info}`);
  }
  const c = r.capabilities ?? {};
  lines.push(
    `Together: context ${v(c.contextWindow)}, output ${v(c.maxTokens)}, tools ${v(c.supportsTools)}, vision ${v(c.supportsVision)}` +
      (c.pricing ? `, input ${fmtPrice(c.pricing.input?.min)}–${fmtPrice(c.pricing.input?.max)}, output ${fmtPrice(c.pricing.output?.min)}–${fmtPrice(c.pricing.output?.max)} per 1M` : ''),
  );
  if (c.unknown?.length) lines.push(`Unknown for: ${c.unknown.map(clean).join(', ')}`);
  for (const cyc of r.cycles ?? []) lines.push(`Cycle: ${cyc.map(clean).join(' > ')}`);
  for (const w of r.warnings ?? []) lines.push(`Warning: ${clean(w)}`);
  return lines.join('\n');
}

/**
 * "OmniRoute: Show Combo": pick a combo (or take `name`), resolve it, show members and limits.
 * @param {CommandDeps} deps @param {string} [name]
 * @returns {Promise<string | undefined>} the report shown
 */
async function showCombo(deps, name) {
  try {
    const key = await deps.keys.get();
    if (!name) {
      const listing = deps.service.last ?? (await deps.service.list(key));
      const combos = listing.models.filter((m) => m.combo);
      if (!combos.length) {
        void vscode.window.showInformationMessage('OmniRoute: the gateway lists no combos.');
        return undefined;
      }
      const pick = await vscode.window.showQuickPick(
        combos.map((m) => ({ label: m.id, description: `${m.combo?.members.length ?? 0} members` })),
        { title: 'OmniRoute: Show Combo', placeHolder: 'Combo' },
      );
      if (!pick) return undefined;
      name = pick.label;
    }
    const r = await deps.service.resolveCombo(name, key);
    if (!r.found) {
      void vscode.window.showWarningMessage(`OmniRoute: no combo named ${clean(name)}.`);
      return undefined;
    }
    const report = comboReport(r);
    deps.log.info(report);
    deps.log.show(true);
    return report;
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    deps.log.error(`show combo failed: ${msg}`);
    void vscode.window.showErrorMessage(`OmniRoute: ${msg}`);
    return undefined;
  }
}

module.exports = { StatusItem, connect, refreshModels, showCombo, comboReport };
