'use strict';
// The LanguageModelChatProvider registered for the vendor `omniroute`.

const vscode = require('vscode');
const { toChatInformationList } = require('./catalogue.js');
const { runChat, ChatCancelled, GatewayError } = require('./chat.js');
const { estimateTokens } = require('./messages.js');

/** The SecretStorage key of the API key. */
const KEY_SECRET = 'omniroute.apiKey';

/**
 * Where the API key comes from: VS Code's SecretStorage (set by "OmniRoute: Connect"), else
 * OMNIROUTE_API_KEY in the extension host's environment.
 */
class KeyStore {
  /** @param {vscode.SecretStorage} secrets @param {NodeJS.ProcessEnv} [env] */
  constructor(secrets, env = process.env) {
    this.secrets = secrets;
    this.env = env;
  }

  /** @returns {Promise<string | undefined>} */
  async get() {
    const stored = await this.secrets.get(KEY_SECRET);
    if (stored) return stored;
    const fromEnv = this.env.OMNIROUTE_API_KEY?.trim();
    return fromEnv || undefined;
  }

  /** @param {string} key */
  store(key) {
    return this.secrets.store(KEY_SECRET, key);
  }
}

/**
 * @typedef {object} ProviderDeps
 * @property {import('./service.js').Service} service
 * @property {KeyStore} keys
 * @property {vscode.LogOutputChannel} log
 * @property {() => Promise<boolean>} connect   the interactive "Connect" flow
 * @property {(listing: import('./service.js').Listing) => void} [onListing]
 */

/** @implements {vscode.LanguageModelChatProvider} */
class OmniRouteChatProvider {
  /** @param {ProviderDeps} deps */
  constructor(deps) {
    this.deps = deps;
    /** @type {vscode.EventEmitter<void>} */
    this.changed = new vscode.EventEmitter();
    this.onDidChangeLanguageModelChatInformation = this.changed.event;
    /** @type {Set<string>} warnings already logged */
    this.warned = new Set();
  }

  /** Tell VS Code to ask for the models again. */
  fireChanged() {
    this.changed.fire();
  }

  /**
   * @param {vscode.PrepareLanguageModelChatModelOptions} options
   * @param {vscode.CancellationToken} token
   * @returns {Promise<vscode.LanguageModelChatInformation[]>}
   */
  async provideLanguageModelChatInformation(options, token) {
    const { service, keys, log } = this.deps;
    let key = await keys.get();
    if (!key) {
      if (options.silent) return [];
      if (!(await this.deps.connect())) return [];
      key = await keys.get();
      if (!key) return [];
    }
    try {
      const listing = await service.list(key, { token });
      for (const w of listing.warnings ?? []) {
        if (this.warned.has(w)) continue;
        this.warned.add(w);
        log.warn(w);
      }
      this.deps.onListing?.(listing);
      return toChatInformationList(listing.models);
    } catch (e) {
      if (token.isCancellationRequested) return [];
      const msg = e instanceof Error ? e.message : String(e);
      log.error(`models.list failed: ${msg}`);
      if (!options.silent) void vscode.window.showErrorMessage(`OmniRoute: ${msg}`);
      return [];
    }
  }

  /**
   * @param {vscode.LanguageModelChatInformation} model
   * @param {readonly vscode.LanguageModelChatRequestMessage[]} messages
   * @param {vscode.ProvideLanguageModelChatResponseOptions} options
   * @param {vscode.Progress<vscode.LanguageModelResponsePart>} progress
   * @param {vscode.CancellationToken} token
   */
  async provideLanguageModelChatResponse(model, messages, options, progress, token) {
    const { service, keys, log } = this.deps;
    const apiKey = await keys.get();
    const baseURL = service.last?.baseURL ?? (await service.list(apiKey, { token })).baseURL;
    /** @type {import('./chat.js').Attribution | undefined} */
    let attribution;
    try {
      attribution = await runChat({
        baseURL,
        apiKey,
        apiMode: service.settings.apiMode,
        model: model.id,
        messages: /** @type {any} */ (messages),
        options,
        token,
        emit: {
          text: (s) => progress.report(new vscode.LanguageModelTextPart(s)),
          toolCall: (id, name, input) => progress.report(new vscode.LanguageModelToolCallPart(id, name, input)),
        },
      });
    } catch (e) {
      attribution = /** @type {any} */ (e)?.attribution;
      if (e instanceof ChatCancelled) throw new vscode.CancellationError();
      const msg = e instanceof Error ? e.message : String(e);
      log.error(`${model.id}: ${msg}`);
      if (e instanceof GatewayError && (e.status === 401 || e.status === 403)) {
        throw vscode.LanguageModelError.NoPermissions(`${msg} (run "OmniRoute: Connect")`);
      }
      if (e instanceof GatewayError && e.status === 404) throw vscode.LanguageModelError.NotFound(msg);
      throw new Error(msg);
    } finally {
      if (attribution) {
        await service.recordUsage({ ...attribution, host: 'vscode', sessionId: vscode.env.sessionId });
      }
    }
  }

  /**
   * @param {vscode.LanguageModelChatInformation} _model
   * @param {string | vscode.LanguageModelChatRequestMessage} text
   * @param {vscode.CancellationToken} _token
   */
  async provideTokenCount(_model, text, _token) {
    return estimateTokens(/** @type {any} */ (text));
  }

  dispose() {
    this.changed.dispose();
  }
}

module.exports = { OmniRouteChatProvider, KeyStore, KEY_SECRET };
