// `opencode-omniroute-auth/runtime`: the old plugin's programmatic API, served by omniroute-rpc.

export type OmniRouteApiMode = 'chat' | 'responses';

export interface OmniRouteModelsDevConfig {
  enabled?: boolean;
  url?: string;
  timeoutMs?: number;
  cacheTtl?: number;
  providerAliases?: Record<string, string>;
}

export interface OmniRouteModelMetadata {
  name?: string;
  description?: string;
  contextWindow?: number;
  maxTokens?: number;
  supportsStreaming?: boolean;
  supportsVision?: boolean;
  supportsTools?: boolean;
  supportsReasoning?: boolean;
  supportsAttachment?: boolean;
  supportsTemperature?: boolean;
  pricing?: { input?: number; output?: number; cacheRead?: number; cacheWrite?: number };
}

export interface OmniRouteModelMetadataBlock extends OmniRouteModelMetadata {
  /** A literal id, a RegExp, or (JSON-friendly) {regex, flags}. */
  match: string | RegExp | { regex: string; flags?: string };
  addIfMissing?: boolean;
}

export type OmniRouteModelMetadataConfig =
  | Record<string, OmniRouteModelMetadata>
  | OmniRouteModelMetadataBlock[];

export interface OmniRouteConfig {
  baseUrl: string;
  apiKey: string;
  apiMode: OmniRouteApiMode;
  defaultModels?: OmniRouteModel[];
  modelCacheTtl?: number;
  refreshOnList?: boolean;
  modelsDev?: OmniRouteModelsDevConfig;
  modelMetadata?: OmniRouteModelMetadataConfig;
  /** New: explicit omniroute-rpc path (else OMNIROUTE_RPC_BIN, the packaged binary, PATH). */
  rpcBinary?: string;
  requestTimeoutMs?: number;
  cacheDir?: string;
  offline?: boolean;
}

export type OmniRouteModelKind =
  | 'chat' | 'embedding' | 'image' | 'rerank' | 'audio' | 'moderation' | 'video' | 'music' | 'other';

export type OmniRouteFieldSource = 'gateway' | 'models.dev' | 'combo' | 'override' | 'default';

export interface OmniRouteModel {
  id: string;
  name: string;
  description?: string;
  contextWindow?: number;
  maxTokens?: number;
  supportsStreaming?: boolean;
  supportsVision?: boolean;
  supportsTools?: boolean;
  supportsReasoning?: boolean;
  supportsAttachment?: boolean;
  supportsTemperature?: boolean;
  pricing?: { input?: number; output?: number; cacheRead?: number; cacheWrite?: number };
  // new in the service
  kind?: OmniRouteModelKind;
  ownedBy?: string;
  releaseDate?: string;
  family?: string;
  inputModalities?: string[];
  outputModalities?: string[];
  aliasOf?: string;
  combo?: { strategy?: string; members: string[] };
  modelsDev?: { provider: string; id: string };
  provenance?: Record<string, OmniRouteFieldSource>;
}

export interface OmniRouteCombo {
  id?: string;
  name: string;
  models: string[];
  strategy?: string;
}

export interface OmniRouteCapabilities extends OmniRouteModelMetadata {
  /** min/max over the members (pricing above uses the max) */
  pricingRange?: { input?: { min: number; max: number }; output?: { min: number; max: number } };
  /** members the service knows nothing about (left out of the calculation) */
  unknownMembers?: string[];
  warnings?: string[];
}

export declare const OMNIROUTE_PROVIDER_ID: 'omniroute';
export declare const OMNIROUTE_ENDPOINTS: Readonly<{
  BASE_URL: string;
  MODELS: string;
  CHAT_COMPLETIONS: string;
  RESPONSES: string;
}>;
export declare const OMNIROUTE_DEFAULT_MODELS: ReadonlyArray<Readonly<OmniRouteModel>>;
export declare const MODEL_CACHE_TTL: number;
export declare const REQUEST_TIMEOUT: number;

export declare function fetchModels(config: OmniRouteConfig, apiKey: string, forceRefresh?: boolean): Promise<OmniRouteModel[]>;
export declare function refreshModels(config: OmniRouteConfig, apiKey: string): Promise<OmniRouteModel[]>;
/** Synchronous: the last catalogue this process got for config.baseUrl, or null. */
export declare function getCachedModels(config?: Partial<OmniRouteConfig>, apiKey?: string): OmniRouteModel[] | null;
/** Synchronous: getCachedModels() is within modelCacheTtl and not outdated by models/changed. */
export declare function isCacheValid(config?: Partial<OmniRouteConfig>, apiKey?: string): boolean;
/** Clears the model and combo caches (memory and disk). Never rejects. */
export declare function clearModelCache(config?: Partial<OmniRouteConfig>, apiKey?: string): Promise<void>;
export declare function clearComboCache(): Promise<void>;
export declare function clearModelsDevCache(): Promise<void>;
/** Combos keyed by name, or null when they cannot be read. */
export declare function fetchComboData(config: Partial<OmniRouteConfig>): Promise<Map<string, OmniRouteCombo> | null>;
/** Leaf models behind a combo (nested combos followed), or [comboName] for a plain model. */
export declare function resolveUnderlyingModels(comboName: string, config: Partial<OmniRouteConfig>): Promise<string[]>;
/** The third argument (old models.dev index) is accepted and ignored. */
export declare function calculateModelCapabilities(
  model: { id: string } | string,
  config: Partial<OmniRouteConfig>,
  index?: unknown,
): Promise<OmniRouteCapabilities>;
/** Stops the service(s) this process started (optional). */
export declare function shutdown(): Promise<void>;

export declare class OmniRouteRpcError extends Error {
  code?: number;
  kind?: string;
  data?: unknown;
  method?: string;
}
export declare class BinaryNotFoundError extends Error {
  kind: 'binary_not_found';
  searched: string[];
}
export declare function findBinary(opts?: { explicit?: string; baseDir?: string; env?: Record<string, string | undefined> }): {
  path: string;
  source: 'option' | 'env' | 'package' | 'PATH';
  searched: string[];
};
