// Types of the package root (the OpenCode plugin). Structural: no dependency on
// @opencode-ai/plugin, but compatible with its `Plugin` type.

export interface OmniRoutePluginOptions {
  /** Path of the omniroute-rpc executable (relative paths: to the project directory). */
  rpcBinary?: string;
  /** Bound on the config hook's wait for the model list, ms (default 10000; kept ≥ startupWaitMs + 2000). */
  startupTimeoutMs?: number;
  /** Service start-up deadline, ms: past it the start-up call is answered from the snapshot. */
  startupWaitMs?: number;
  /** Default bound on every other service call, ms (default 35000). */
  callTimeoutMs?: number;
  /** Service options (same names as provider.omniroute.options, which win over these). */
  baseURL?: string;
  apiMode?: 'chat' | 'responses';
  modelCacheTtl?: number;
  refreshOnList?: boolean;
  modelsDev?: {
    enabled?: boolean;
    url?: string;
    timeoutMs?: number;
    cacheTtl?: number;
    providerAliases?: Record<string, string>;
  };
  modelMetadata?: Record<string, Record<string, unknown>> | Array<Record<string, unknown>>;
  requestTimeoutMs?: number;
  cacheDir?: string;
  offline?: boolean;
  /** Ids or globs to show (`"*"`, `cx/*`; no `/` = match by suffix). */
  visibleModels?: string[];
  /** Ids or globs to hide; wins over everything. */
  hiddenModels?: string[];
  /** Provider prefixes to keep. */
  providersAllow?: string[];
  toolsOnly?: boolean;
  visionOnly?: boolean;
  freeOnly?: boolean;
  /** `all` (default) or `curated`. */
  view?: 'all' | 'curated';
  showcasePerOwner?: number;
  freshPerOwner?: number;
  freshWindowDays?: number;
  [key: string]: unknown;
}

export type OmniRouteAuthResult =
  | { type: 'success'; key?: string; provider?: string; metadata?: Record<string, string> }
  | { type: 'failed' };

export interface OmniRouteHooks {
  /** Fills `provider.omniroute` (name, npm, env, options.baseURL, models); user fields win. */
  config(cfg: Record<string, any>): Promise<void>;
  auth: {
    provider: 'omniroute';
    methods: Array<{
      type: 'api';
      label: string;
      authorize(inputs?: Record<string, string>): Promise<OmniRouteAuthResult>;
    }>;
    /** Returns the AI-SDK options; throws "No API key available. …" without a stored key. */
    loader(
      getAuth: () => Promise<{ type: string; key?: string } | undefined>,
      provider: { options?: Record<string, any> } & Record<string, any>,
    ): Promise<{ apiKey: string; baseURL: string }>;
  };
  /** Stops the omniroute-rpc child (closes stdin; kills it if it does not exit). */
  dispose(): Promise<void>;
  /** `omniroute_sync`: refreshes the catalogue; reloads the instance when the list changed. */
  tool: Record<string, { description: string; args: Record<string, never>; execute(args?: unknown, ctx?: unknown): Promise<string> }>;
  /** Runs the sync for `/omniroute-sync` and puts its result into the command's prompt. */
  'command.execute.before'(input: { command: string }, output: { parts: any[] }): Promise<void>;
  /** Re-initialises the instance once a session is idle after a sync that changed the list. */
  event(input: { event?: { type?: string; properties?: any } }): Promise<void>;
}

export declare function OmniRouteAuthPlugin(
  input: { directory?: string; client?: any; [key: string]: unknown },
  options?: OmniRoutePluginOptions,
): Promise<OmniRouteHooks>;

export default OmniRouteAuthPlugin;
