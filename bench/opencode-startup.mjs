// Benchmark (not a test): what our OpenCode plugin adds to OpenCode's start-up.
// `opencode models omniroute` with the plugin against the same OpenCode with a do-nothing plugin
// that publishes a static provider, in alternating pairs; reports the median of each side and the
// median of the per-pair differences, for two cases:
//   fast     a healthy loopback gateway (warm disk snapshot)
//   hanging  the gateway never answers /v1/models (delay longer than every timeout), warm snapshot
// Run through bench/opencode-startup.sh. Uses the test helpers of clients/opencode (mock gateway,
// OpenCode 1.18.33 installed under ~/.cache, hermetic HOME/XDG dirs).

import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL, fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const PKG = path.resolve(HERE, '..', 'clients', 'opencode');
const { hermeticDirs, RPC_BIN } = await import(pathToFileURL(path.join(PKG, 'test', 'helpers', 'env.js')).href);
const { startMockGateway, TEST_KEY } = await import(pathToFileURL(path.join(PKG, 'test', 'helpers', 'mock-gateway.js')).href);
const { ensureOpenCode, runOpenCode, OPENCODE_VERSION } = await import(pathToFileURL(path.join(PKG, 'test', 'helpers', 'opencode.js')).href);

const N = Math.max(1, Number(process.env.N ?? process.argv[2] ?? 5) || 5);
const CASES = (process.env.CASES ?? 'fast,hanging').split(',').map((s) => s.trim()).filter(Boolean);

/** The do-nothing plugin: publishes a fixed provider.omniroute in its config hook. */
const STATIC_PLUGIN = `export default async function StaticOmniRoute() {
  return {
    async config(cfg) {
      cfg.provider ??= {};
      cfg.provider.omniroute = {
        name: 'OmniRoute', npm: '@ai-sdk/openai-compatible', env: ['OMNIROUTE_API_KEY'],
        options: { baseURL: cfg.provider.omniroute?.options?.baseURL ?? 'http://127.0.0.1:9/v1' },
        models: Object.fromEntries(['cx/gpt-5.1-codex-mini', 'cc/claude-sonnet-4-5', 'gh/gpt-4.1', 'coding-combo']
          .map((id) => [id, { name: id, limit: { context: 128000, output: 16384 } }])),
      };
    },
  };
}
`;

/** @param {number[]} xs */
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const sec = (/** @type {number} */ ms) => `${(ms / 1000).toFixed(2)} s`;

/** @type {ReturnType<typeof hermeticDirs>[]} */
const dirs = [];

/** @param {string} pluginSpec @param {string} baseURL */
function makeEnv(pluginSpec, baseURL) {
  const h = hermeticDirs('omniroute-bench');
  dirs.push(h);
  const project = path.join(h.root, 'project');
  mkdirSync(project, { recursive: true });
  const config = { plugin: [pluginSpec], provider: { omniroute: { options: { baseURL, modelsDev: { enabled: false } } } } };
  return {
    project,
    env: {
      ...h.env,
      OPENCODE_CONFIG_CONTENT: JSON.stringify(config),
      OPENCODE_AUTH_CONTENT: JSON.stringify({ omniroute: { type: 'api', key: TEST_KEY } }),
      OPENCODE_DISABLE_MODELS_FETCH: '1',
      OPENCODE_DISABLE_AUTOUPDATE: '1',
      npm_config_fetch_retries: '0',
      OMNIROUTE_RPC_BIN: RPC_BIN,
    },
  };
}

/** @param {any} r */
const countModels = (r) => (r.stdout.match(/^omniroute\//gm) ?? []).length;

async function main() {
  const oc = ensureOpenCode();
  const sh = hermeticDirs('omniroute-bench-static');
  dirs.push(sh);
  const staticDir = path.join(sh.root, 'plugin');
  mkdirSync(staticDir, { recursive: true });
  writeFileSync(path.join(staticDir, 'index.js'), STATIC_PLUGIN);
  writeFileSync(path.join(staticDir, 'package.json'), JSON.stringify({ name: 'static-omniroute', version: '1.0.0', type: 'module', main: 'index.js' }));

  console.log(`# opencode ${OPENCODE_VERSION}, omniroute-rpc ${RPC_BIN}, N=${N} alternating pairs per case`);
  const gw = await startMockGateway();
  try {
    for (const name of CASES) {
      const ours = makeEnv(pathToFileURL(PKG).href, gw.baseURL);
      const stat = makeEnv(pathToFileURL(staticDir).href, gw.baseURL);
      gw.state.modelsDelayMs = 0;
      // warm-up: OpenCode installs its plugin SDK into a fresh config dir once; the service
      // writes its disk snapshot
      for (const e of [ours, stat]) {
        const w = await runOpenCode(oc, ['models', 'omniroute'], { env: e.env, cwd: e.project, timeoutMs: 180000 });
        if (w.code !== 0) throw new Error(`warm-up failed (exit ${w.code}): ${w.stderr.slice(-1500)}`);
      }
      if (name === 'hanging') gw.state.modelsDelayMs = 600000;
      else if (name !== 'fast') throw new Error(`unknown case ${name} (fast, hanging)`);
      /** @type {number[]} */ const a = [];
      /** @type {number[]} */ const b = [];
      /** @type {number[]} */ const d = [];
      let minModels = Infinity;
      for (let i = 0; i < N; i++) {
        // alternate which side goes first, so that a drift of the machine hits both sides
        const order = i % 2 ? [stat, ours] : [ours, stat];
        /** @type {Map<any, any>} */ const res = new Map();
        for (const e of order) res.set(e, await runOpenCode(oc, ['models', 'omniroute'], { env: e.env, cwd: e.project, timeoutMs: 180000 }));
        const ro = res.get(ours);
        const rs = res.get(stat);
        minModels = Math.min(minModels, ro.code === 0 ? countModels(ro) : 0);
        a.push(ro.ms);
        b.push(rs.ms);
        d.push(ro.ms - rs.ms);
        console.log(`${name} pair ${i + 1}: plugin ${sec(ro.ms)} (exit ${ro.code}, ${countModels(ro)} models), static ${sec(rs.ms)}, diff ${sec(ro.ms - rs.ms)}`);
      }
      const spread = Math.max(...d) - Math.min(...d);
      console.log(
        `RESULT ${name}: plugin median ${sec(median(a))}, static median ${sec(median(b))}, ` +
          `median difference ${sec(median(d))} (spread ${sec(spread)}), fewest models listed by the plugin: ${minModels}`,
      );
    }
  } finally {
    await gw.close();
    for (const h of dirs) h.cleanup();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err instanceof Error ? err.stack : err);
    process.exit(1);
  },
);
