// The service's catalogue (models.list result) -> Pi's ProviderConfig for `omniroute`.
//
// Pi's model shape (ProviderModelConfig, docs/custom-provider.md): {id, name, reasoning,
// input: ("text"|"image")[], cost: {input, output, cacheRead, cacheWrite} in $/M tokens,
// contextWindow, maxTokens}. Pi needs numbers where the catalogue may say "unknown": unknown
// limits get the OpenCode view's defaults (128000 / 4096, src/catalog/opencode.rs), unknown
// flags are false, unknown prices 0 (Pi then shows no cost rather than an invented one).

export const PROVIDER = 'omniroute';
/** Context window when the catalogue does not know it (the OpenCode view's default). */
export const DEFAULT_CONTEXT = 128000;
/** Output limit when the catalogue does not know it (the OpenCode view's default). */
export const DEFAULT_OUTPUT = 4096;

/**
 * Control characters out of gateway strings before they reach Pi's terminal UI.
 * @param {unknown} s
 */
export function clean(s) {
  // eslint-disable-next-line no-control-regex
  return String(s).replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, ' ').trim();
}

/** @param {unknown} n */
const posInt = (n) => (typeof n === 'number' && Number.isFinite(n) && n > 0 ? Math.floor(n) : undefined);
/** @param {unknown} n */
const price = (n) => (typeof n === 'number' && Number.isFinite(n) && n >= 0 ? n : 0);

/**
 * Pi's `api` for the service option apiMode (`responses` -> Responses API, else Chat Completions).
 * @param {unknown} apiMode
 */
export function piApi(apiMode) {
  return apiMode === 'responses' ? 'openai-responses' : 'openai-completions';
}

/**
 * One catalogue model -> a Pi model definition.
 * @param {any} m
 */
export function toPiModel(m) {
  const modalities = Array.isArray(m.inputModalities) ? m.inputModalities : [];
  const image = m.supportsVision === true || modalities.includes('image');
  const p = m.pricing ?? {};
  return {
    id: String(m.id),
    name: clean(m.name || m.id),
    reasoning: m.supportsReasoning === true,
    input: image ? ['text', 'image'] : ['text'],
    cost: { input: price(p.input), output: price(p.output), cacheRead: price(p.cacheRead), cacheWrite: price(p.cacheWrite) },
    contextWindow: posInt(m.contextWindow) ?? DEFAULT_CONTEXT,
    maxTokens: posInt(m.maxTokens) ?? DEFAULT_OUTPUT,
  };
}

/**
 * The whole provider: every chat model of the catalogue (embeddings, images, audio… and alias
 * twins left out).
 * @param {any} list a models.list result
 * @param {{ apiMode?: unknown, apiKey: string, headers?: Record<string, string> }} o
 */
export function buildProvider(list, o) {
  /** @type {any[]} */
  const all = (Array.isArray(list?.models) ? list.models : []).filter((/** @type {any} */ m) => m && typeof m.id === 'string' && m.id);
  const listed = new Set(all.map((m) => m.id));
  const models = all
    .filter((m) => (m.kind ?? 'chat') === 'chat')
    // an alias twin (kimi-coding-apikey/x next to kmca/x) is the same model: offered once, as the
    // OpenCode view does (src/catalog/opencode.rs)
    .filter((m) => !(typeof m.aliasOf === 'string' && listed.has(m.aliasOf)))
    .map(toPiModel);
  return {
    name: 'OmniRoute',
    baseUrl: String(list.baseURL),
    apiKey: o.apiKey,
    api: piApi(o.apiMode),
    ...(o.headers ? { headers: o.headers } : {}),
    models,
  };
}
