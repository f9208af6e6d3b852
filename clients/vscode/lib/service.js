'use strict';
// The extension's view of the omniroute-rpc service: one RpcClient per settings generation,
// the last catalogue it answered, and the calls the extension makes.
//
// The API key is passed with each call (`apiKey` param), never through settings or the
// environment of the child, so a key stored in VS Code's SecretStorage reaches the service
// for this session only.

const { RpcClient } = require('./rpc-client.js');

/**
 * @typedef {object} Listing  (models.list / models.refresh result)
 * @property {import('./catalogue.js').CatalogueModel[]} models
 * @property {string} source
 * @property {string} [fetchedAt]
 * @property {string} baseURL
 * @property {string[]} warnings
 * @property {{ added: string[], removed: string[], changed: string[] }} [diff]
 */

/**
 * @typedef {object} ServiceOptions
 * @property {import('./settings.js').Settings} settings
 * @property {string} [baseDir]
 * @property {string} [version]
 * @property {NodeJS.ProcessEnv} [env]
 * @property {(level: 'debug'|'info'|'warn'|'error', msg: string) => void} [log]
 */

class Service {
  /** @param {ServiceOptions} opts */
  constructor(opts) {
    this.opts = opts;
    /** @type {Listing | null} */
    this.last = null;
    /** @type {Set<(params: any) => void>} */
    this.changeListeners = new Set();
    this.client = this.makeClient();
  }

  makeClient() {
    const client = new RpcClient({
      rpcBinary: this.opts.settings.rpcBinary,
      baseDir: this.opts.baseDir,
      env: this.opts.env,
      options: this.opts.settings.options,
      version: this.opts.version,
      log: this.opts.log,
    });
    client.onNotification((method, params) => {
      if (method !== 'models/changed') return;
      for (const fn of this.changeListeners) fn(params);
    });
    return client;
  }

  get settings() {
    return this.opts.settings;
  }

  /** @param {(params: any) => void} fn @returns {{ dispose(): void }} */
  onModelsChanged(fn) {
    this.changeListeners.add(fn);
    return { dispose: () => this.changeListeners.delete(fn) };
  }

  /**
   * New settings: stop the running service; the next call starts one with the new options.
   * @param {import('./settings.js').Settings} settings
   */
  async restart(settings) {
    const old = this.client;
    this.opts.settings = settings;
    this.last = null;
    this.client = this.makeClient();
    await old.dispose();
  }

  /** @param {string | undefined} apiKey */
  keyParam(apiKey) {
    return apiKey ? { apiKey } : {};
  }

  /**
   * The catalogue, answered from the cache or snapshot when there is one (`refresh:false`: a
   * background refresh ends in `models/changed` when it finds something new).
   * @param {string | undefined} apiKey @param {{ token?: import('./rpc-client.js').CancelToken }} [o]
   * @returns {Promise<Listing>}
   */
  async list(apiKey, o = {}) {
    const res = await this.client.call('models.list', { refresh: false, ...this.keyParam(apiKey) }, { token: o.token });
    this.last = res;
    return res;
  }

  /** Fetch a fresh list now; the result has a `diff`. @param {string | undefined} apiKey @returns {Promise<Listing>} */
  async refresh(apiKey) {
    const res = await this.client.call('models.refresh', this.keyParam(apiKey));
    this.last = res;
    return res;
  }

  /** @param {string} name @param {string | undefined} apiKey */
  resolveCombo(name, apiKey) {
    return this.client.call('combos.resolve', { name, ...this.keyParam(apiKey) });
  }

  /**
   * Check a key against the gateway without storing it anywhere (the extension keeps it in
   * SecretStorage).
   * @param {string} apiKey
   * @returns {Promise<{ keyHint: string, baseURL: string, modelCount: number, warnings: string[] }>}
   */
  checkKey(apiKey) {
    return this.client.call('auth.connect', { apiKey, persist: false });
  }

  /**
   * Hand one request's attribution to the service (CONTRACTS.md usage.record). Never throws.
   * @param {Record<string, unknown>} params
   */
  async recordUsage(params) {
    try {
      await this.client.notify('usage.record', params);
    } catch (e) {
      this.opts.log?.('debug', `usage.record not sent: ${e instanceof Error ? e.message : e}`);
    }
  }

  /** The warnings of the last `initialize` (unknown options etc.). */
  get initWarnings() {
    return this.client.initWarnings;
  }

  dispose() {
    return this.client.dispose();
  }
}

module.exports = { Service };
