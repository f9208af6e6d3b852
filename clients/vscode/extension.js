'use strict';
// OmniRoute for VS Code: the gateway's models in VS Code's model picker, through the Language
// Model Chat Provider API, with the catalogue served by the omniroute-rpc service.

const vscode = require('vscode');
const { readSettings } = require('./lib/settings.js');
const { Service } = require('./lib/service.js');
const { OmniRouteChatProvider, KeyStore, KEY_SECRET } = require('./lib/provider.js');
const { StatusItem, connect, refreshModels, showCombo } = require('./lib/commands.js');

/** @type {Service | undefined} */
let current;

/**
 * @param {vscode.ExtensionContext} context
 */
function activate(context) {
  const log = vscode.window.createOutputChannel('OmniRoute', { log: true });
  const config = () => readSettings(vscode.workspace.getConfiguration('omniroute'));
  const service = new Service({
    settings: config(),
    baseDir: vscode.workspace.workspaceFolders?.[0]?.uri.fsPath,
    version: String(context.extension?.packageJSON?.version ?? '0.0.0'),
    log: (level, msg) => log[level](msg),
  });
  current = service;
  const keys = new KeyStore(context.secrets);
  const status = new StatusItem();
  /** @type {import('./lib/commands.js').CommandDeps} */
  const deps = { service, keys, log, modelsChanged: () => provider.fireChanged() };
  const provider = new OmniRouteChatProvider({
    service,
    keys,
    log,
    connect: () => connect(deps),
    onListing: (listing) => status.update(listing),
  });

  context.subscriptions.push(
    log,
    status,
    provider,
    vscode.lm.registerLanguageModelChatProvider('omniroute', provider),
    vscode.commands.registerCommand('omniroute.connect', () => connect(deps)),
    vscode.commands.registerCommand('omniroute.refreshModels', () => refreshModels({ ...deps, status })),
    vscode.commands.registerCommand('omniroute.showCombo', (/** @type {unknown} */ name) =>
      showCombo(deps, typeof name === 'string' ? name : undefined),
    ),
    // A background refresh found a different catalogue: VS Code asks again and gets it from the cache.
    service.onModelsChanged((params) => {
      const d = params?.diff;
      if (d) log.info(`models changed: +${d.added?.length ?? 0} −${d.removed?.length ?? 0} ~${d.changed?.length ?? 0}`);
      provider.fireChanged();
    }),
    context.secrets.onDidChange((e) => {
      if (e.key === KEY_SECRET) provider.fireChanged();
    }),
    vscode.workspace.onDidChangeConfiguration(async (e) => {
      if (!e.affectsConfiguration('omniroute')) return;
      await service.restart(config());
      provider.fireChanged();
    }),
    { dispose: () => void service.dispose() },
  );
  return { service, provider };
}

/** Stop the service (closing its stdin is enough; dispose also kills a stuck one). */
async function deactivate() {
  await current?.dispose();
  current = undefined;
}

module.exports = { activate, deactivate };
