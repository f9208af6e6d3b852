'use strict';
// Test-only extension for the code-server run: asks VS Code (not the provider directly) for the
// models of the vendor `omniroute`, sends one request through the first mock model, and writes
// what it saw as JSON to $OMNIROUTE_PROBE_OUT.

const vscode = require('vscode');
const fs = require('node:fs');

/** @param {any} result */
function write(result) {
  const out = process.env.OMNIROUTE_PROBE_OUT;
  if (out) fs.writeFileSync(out + '.tmp', JSON.stringify(result, null, 2)), fs.renameSync(out + '.tmp', out);
}

async function probe() {
  const result = { vscodeVersion: vscode.version, appName: vscode.env.appName, attempts: 0, models: [], chat: null, error: null };
  try {
    // The provider registers on activation of the omniroute extension: ask until it answers.
    for (let i = 0; i < 60 && !result.models.length; i++) {
      result.attempts++;
      const models = await vscode.lm.selectChatModels({ vendor: 'omniroute' });
      result.models = models.map((m) => ({
        id: m.id, name: m.name, vendor: m.vendor, family: m.family, version: m.version, maxInputTokens: m.maxInputTokens,
      }));
      if (!result.models.length) await new Promise((r) => setTimeout(r, 1000));
    }
    const model = (await vscode.lm.selectChatModels({ vendor: 'omniroute', id: 'mock/text' }))[0];
    if (model) {
      const cts = new vscode.CancellationTokenSource();
      const timer = setTimeout(() => cts.cancel(), 20000);
      try {
        const res = await model.sendRequest([vscode.LanguageModelChatMessage.User('hi')], {}, cts.token);
        let text = '';
        for await (const t of res.text) text += t;
        result.chat = { text, tokens: await model.countTokens('hello world, how are you?') };
      } catch (e) {
        result.chat = { error: String(e && e.message || e), code: e && e.code };
      } finally {
        clearTimeout(timer);
      }
    }
  } catch (e) {
    result.error = String(e && e.stack || e);
  }
  write(result);
}

/** @param {vscode.ExtensionContext} _context */
function activate(_context) {
  void probe();
}

module.exports = { activate };
