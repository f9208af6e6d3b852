'use strict';
// A stand-in for the `vscode` module: the parts of the API the extension uses, with the same
// names and shapes as @types/vscode, plus test controls (`__test`) to script the UI (input box,
// quick pick answers), set settings and read what the extension showed.

class Disposable {
  /** @param {() => void} fn */
  constructor(fn) {
    this.fn = fn;
  }
  dispose() {
    this.fn?.();
  }
}

/** @template T */
class EventEmitter {
  constructor() {
    /** @type {Set<(e: T) => void>} */
    this.listeners = new Set();
    /** @param {(e: T) => void} fn */
    this.event = (fn) => {
      this.listeners.add(fn);
      return new Disposable(() => this.listeners.delete(fn));
    };
  }
  /** @param {T} [e] */
  fire(e) {
    for (const fn of [...this.listeners]) fn(/** @type {T} */ (e));
  }
  dispose() {
    this.listeners.clear();
  }
}

class CancellationTokenSource {
  constructor() {
    const emitter = new EventEmitter();
    this.emitter = emitter;
    this.token = { isCancellationRequested: false, onCancellationRequested: emitter.event };
  }
  cancel() {
    if (this.token.isCancellationRequested) return;
    this.token.isCancellationRequested = true;
    this.emitter.fire();
  }
  dispose() {
    this.emitter.dispose();
  }
}

class CancellationError extends Error {
  constructor() {
    super('Canceled');
    this.name = 'Canceled';
  }
}

class LanguageModelTextPart {
  /** @param {string} value */
  constructor(value) {
    this.value = value;
  }
}
class LanguageModelToolCallPart {
  /** @param {string} callId @param {string} name @param {object} input */
  constructor(callId, name, input) {
    this.callId = callId;
    this.name = name;
    this.input = input;
  }
}
class LanguageModelToolResultPart {
  /** @param {string} callId @param {unknown[]} content */
  constructor(callId, content) {
    this.callId = callId;
    this.content = content;
  }
}
class LanguageModelDataPart {
  /** @param {Uint8Array} data @param {string} mimeType */
  constructor(data, mimeType) {
    this.data = data;
    this.mimeType = mimeType;
  }
  /** @param {Uint8Array} data @param {string} mime */
  static image(data, mime) {
    return new LanguageModelDataPart(data, mime);
  }
}
const LanguageModelChatMessageRole = Object.freeze({ User: 1, Assistant: 2 });
const LanguageModelChatToolMode = Object.freeze({ Auto: 1, Required: 2 });

class LanguageModelChatMessage {
  /** @param {number} role @param {string | unknown[]} content @param {string} [name] */
  constructor(role, content, name) {
    this.role = role;
    this.content = typeof content === 'string' ? [new LanguageModelTextPart(content)] : content;
    this.name = name;
  }
  /** @param {string | unknown[]} c */
  static User(c) {
    return new LanguageModelChatMessage(1, c);
  }
  /** @param {string | unknown[]} c */
  static Assistant(c) {
    return new LanguageModelChatMessage(2, c);
  }
}

class LanguageModelError extends Error {
  /** @param {string} message @param {string} code */
  constructor(message, code) {
    super(message);
    this.code = code;
  }
  /** @param {string} [m] */
  static NoPermissions(m) {
    return new LanguageModelError(m ?? '', 'NoPermissions');
  }
  /** @param {string} [m] */
  static Blocked(m) {
    return new LanguageModelError(m ?? '', 'Blocked');
  }
  /** @param {string} [m] */
  static NotFound(m) {
    return new LanguageModelError(m ?? '', 'NotFound');
  }
}

const StatusBarAlignment = Object.freeze({ Left: 1, Right: 2 });

/** Everything the extension showed or registered, and the scripted answers. */
const ui = {
  /** @type {{ level: string, text: string }[]} */
  messages: [],
  /** @type {{ level: string, text: string }[]} */
  log: [],
  /** @type {(string | undefined)[]} */
  inputAnswers: [],
  inputBoxCalls: 0,
  /** @type {(string | undefined)[]} labels to pick */
  quickPickAnswers: [],
  /** @type {any[]} */
  statusItems: [],
  /** @type {Map<string, (...a: any[]) => any>} */
  commands: new Map(),
  /** @type {Map<string, any>} */
  providers: new Map(),
  /** @type {Record<string, unknown>} the user's `omniroute.*` settings */
  settings: {},
  logShown: 0,
};
const configEmitter = new EventEmitter();

const window = {
  /** @param {string} name @param {{ log: true }} _opts */
  createOutputChannel(name, _opts) {
    const line = (/** @type {string} */ level) => (/** @type {string} */ text) => ui.log.push({ level, text });
    return {
      name,
      trace: line('trace'),
      debug: line('debug'),
      info: line('info'),
      warn: line('warn'),
      error: line('error'),
      appendLine: line('info'),
      show: () => ui.logShown++,
      dispose() {},
    };
  },
  /** @param {string} id */
  createStatusBarItem(id) {
    const item = { id, text: '', tooltip: '', command: undefined, name: '', visible: false, show() { item.visible = true; }, hide() { item.visible = false; }, dispose() {} };
    ui.statusItems.push(item);
    return item;
  },
  /** @param {any} opts */
  async showInputBox(opts) {
    ui.inputBoxCalls++;
    if (!opts?.password) throw new Error('the key must be asked with password: true');
    return ui.inputAnswers.shift();
  },
  /** @param {{ label: string }[]} items */
  async showQuickPick(items) {
    const want = ui.quickPickAnswers.shift();
    return items.find((i) => i.label === want);
  },
  /** @param {string} text */
  async showInformationMessage(text) {
    ui.messages.push({ level: 'info', text });
    return undefined;
  },
  /** @param {string} text */
  async showWarningMessage(text) {
    ui.messages.push({ level: 'warn', text });
    return undefined;
  },
  /** @param {string} text */
  async showErrorMessage(text) {
    ui.messages.push({ level: 'error', text });
    return undefined;
  },
};

const workspace = {
  /** @type {undefined | { uri: { fsPath: string } }[]} */
  workspaceFolders: undefined,
  /** @param {string} section */
  getConfiguration(section) {
    const key = (/** @type {string} */ k) => (section ? `${section}.${k}` : k);
    return {
      /** @param {string} k @param {unknown} [d] */
      get: (k, d) => (key(k) in ui.settings ? ui.settings[key(k)] : d),
      /** @param {string} k */
      inspect: (k) => ({ key: key(k), globalValue: ui.settings[key(k)] }),
    };
  },
  onDidChangeConfiguration: configEmitter.event,
};

const commands = {
  /** @param {string} id @param {(...a: any[]) => any} fn */
  registerCommand(id, fn) {
    ui.commands.set(id, fn);
    return new Disposable(() => ui.commands.delete(id));
  },
  /** @param {string} id @param {...any} args */
  async executeCommand(id, ...args) {
    const fn = ui.commands.get(id);
    if (!fn) throw new Error(`command '${id}' not found`);
    return fn(...args);
  },
};

const lm = {
  /** @param {string} vendor @param {any} provider */
  registerLanguageModelChatProvider(vendor, provider) {
    ui.providers.set(vendor, provider);
    return new Disposable(() => ui.providers.delete(vendor));
  },
};

const env = { sessionId: 'stub-session-1', appName: 'vscode-stub' };

/** A SecretStorage backed by a Map. */
function makeSecrets() {
  const map = new Map();
  const changed = new EventEmitter();
  return {
    map,
    /** @param {string} k */
    get: async (k) => map.get(k),
    /** @param {string} k @param {string} v */
    store: async (k, v) => {
      map.set(k, v);
      changed.fire({ key: k });
    },
    /** @param {string} k */
    delete: async (k) => {
      map.delete(k);
      changed.fire({ key: k });
    },
    onDidChange: changed.event,
  };
}

const __test = {
  ui,
  makeSecrets,
  /** Change `omniroute.*` settings and fire the configuration event. @param {Record<string, unknown>} values */
  setSettings(values) {
    for (const [k, v] of Object.entries(values)) {
      if (v === undefined) delete ui.settings[k];
      else ui.settings[k] = v;
    }
    configEmitter.fire({ affectsConfiguration: (/** @type {string} */ s) => Object.keys(values).some((k) => k === s || k.startsWith(s + '.')) });
  },
  reset() {
    ui.messages.length = 0;
    ui.log.length = 0;
    ui.inputAnswers.length = 0;
    ui.quickPickAnswers.length = 0;
    ui.inputBoxCalls = 0;
    ui.statusItems.length = 0;
    ui.commands.clear();
    ui.providers.clear();
    ui.settings = {};
    ui.logShown = 0;
  },
};

module.exports = {
  Disposable,
  EventEmitter,
  CancellationTokenSource,
  CancellationError,
  LanguageModelTextPart,
  LanguageModelToolCallPart,
  LanguageModelToolResultPart,
  LanguageModelDataPart,
  LanguageModelChatMessage,
  LanguageModelChatMessageRole,
  LanguageModelChatToolMode,
  LanguageModelError,
  StatusBarAlignment,
  window,
  workspace,
  commands,
  lm,
  env,
  __test,
};
