#!/usr/bin/env node
// Seed a running OmniRoute (3.7.9) over its management API, idempotently.
//
//   node tests/e2e/omniroute-seed.mjs BASE_URL UPSTREAM_URL
//     BASE_URL      http://127.0.0.1:PORT or http://127.0.0.1:PORT/v1 (the /v1 is stripped for /api/*)
//     UPSTREAM_URL  the mock upstream, e.g. http://127.0.0.1:MOCKPORT (with or without /v1)
//
// Prints a JSON summary on stdout (ids of everything made, the dashboard key if one was created,
// and the model ids /v1/models then lists). Needs /api/* to be open: a fresh install started with
// no INITIAL_PASSWORD, reached over loopback (omniroute-start.sh does that).
//
// What it makes (names are fixed so tests can rely on them):
//   provider node  "mock"  (openai-compatible, apiType chat)      -> mock/mock-small, mock/mock-large, mock/mock-vision
//   provider node  "mockr" (openai-compatible, apiType responses) -> mockr/mock-large
//   connection     openai              (fake key: real OpenAI catalogue entries appear, never called)
//   connection     kimi-coding-apikey  (fake key: alias twins kmca/... + kimi-coding-apikey/...)
//   combos  e2e-plain     members given as plain strings (stored as {kind:"model"} objects)
//           e2e-weighted  strategy weighted, context_length 64000, weights 70/30
//           e2e-mock      priority over the three mock models
//           nested/outer  {kind:"combo-ref", comboName:"e2e-mock"} + openai/gpt-4o  (name with a slash)
//           e2e-rr        round-robin over mockr/mock-large and mock/mock-small
//           e2e-inactive  isActive:false (so absent from /v1/models)
//   API key "e2e-dashboard" via POST /api/keys (dashboard-format key)

const [, , baseArg, upstreamArg] = process.argv;
if (!baseArg || !upstreamArg) {
  console.error("usage: node tests/e2e/omniroute-seed.mjs BASE_URL UPSTREAM_URL");
  process.exit(2);
}
const origin = baseArg.replace(/\/+$/, "").replace(/\/v1$/, "");
const upstreamV1 = upstreamArg.replace(/\/+$/, "").replace(/\/v1$/, "") + "/v1";
for (const u of [origin, upstreamV1]) {
  const h = new URL(u).hostname;
  if (h !== "127.0.0.1" && h !== "localhost" && h !== "[::1]") {
    console.error(`omniroute-seed: refusing non-loopback URL ${u}`);
    process.exit(2);
  }
}

const log = (...a) => console.error("[omniroute-seed]", ...a);

async function api(method, path, body, { ok = [200, 201] } = {}) {
  let res;
  try {
    res = await fetch(origin + path, {
      method,
      headers: body === undefined ? {} : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(30000),
    });
  } catch (e) {
    throw new Error(`cannot reach the gateway at ${origin} (${method} ${path}): ${e.cause?.code || e.cause?.message || e.message}`);
  }
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  if (!ok.includes(res.status)) {
    const hint =
      res.status === 401 || res.status === 403
        ? " (the management API is locked: start the server without INITIAL_PASSWORD and reach it over 127.0.0.1)"
        : "";
    throw new Error(`${method} ${path} -> HTTP ${res.status}${hint}: ${text.slice(0, 300)}`);
  }
  return { status: res.status, json };
}

async function ensureProviderNode({ name, prefix, apiType }) {
  const { json } = await api("GET", "/api/provider-nodes");
  const existing = (json?.nodes ?? []).find((n) => n.prefix === prefix);
  if (existing) {
    if (existing.baseUrl !== upstreamV1) {
      await api("PUT", `/api/provider-nodes/${encodeURIComponent(existing.id)}`, {
        name: existing.name, prefix, apiType, baseUrl: upstreamV1,
      }, { ok: [200, 201] }).catch((e) => log(`warning: could not update node ${prefix}: ${e.message}`));
    }
    return existing.id;
  }
  const r = await api("POST", "/api/provider-nodes", {
    name, prefix, apiType, type: "openai-compatible", baseUrl: upstreamV1,
  });
  return r.json.node.id;
}

async function ensureConnection(provider, name, apiKey) {
  const { json } = await api("GET", "/api/providers");
  const existing = (json?.connections ?? []).find((c) => c.provider === provider && c.name === name);
  if (existing) return existing.id;
  const r = await api("POST", "/api/providers", { provider, apiKey, name });
  return r.json.connection.id;
}

async function ensureProviderModel(provider, modelId) {
  // POST is an upsert in 3.7.9 (200 either way)
  await api("POST", "/api/provider-models", { provider, modelId });
}

async function ensureCombo(def, existingByName) {
  if (existingByName.has(def.name)) return existingByName.get(def.name).id;
  const r = await api("POST", "/api/combos", def);
  existingByName.set(def.name, r.json);
  return r.json.id;
}

async function main() {
  const summary = { origin, baseURL: origin + "/v1", upstream: upstreamV1, providerNodes: {}, connections: {}, combos: {} };

  summary.providerNodes.mock = await ensureProviderNode({ name: "Mock Upstream (chat)", prefix: "mock", apiType: "chat" });
  summary.providerNodes.mockr = await ensureProviderNode({ name: "Mock Upstream (responses)", prefix: "mockr", apiType: "responses" });
  summary.connections.mock = await ensureConnection(summary.providerNodes.mock, "e2e-mock", "sk-mock-upstream-key");
  summary.connections.mockr = await ensureConnection(summary.providerNodes.mockr, "e2e-mockr", "sk-mock-upstream-key");
  for (const m of ["mock-small", "mock-large", "mock-vision"]) await ensureProviderModel(summary.providerNodes.mock, m);
  await ensureProviderModel(summary.providerNodes.mockr, "mock-large");
  summary.connections.openai = await ensureConnection("openai", "e2e-openai-fake", "sk-fake-openai-key-e2e");
  summary.connections["kimi-coding-apikey"] = await ensureConnection("kimi-coding-apikey", "e2e-kimi-fake", "sk-fake-kimi-key-e2e");

  const { json: combosJson } = await api("GET", "/api/combos");
  const byName = new Map((combosJson?.combos ?? []).map((c) => [c.name, c]));
  const defs = [
    { name: "e2e-plain", models: ["openai/gpt-5.5", "openai/gpt-4o", "mock/mock-small"] },
    {
      name: "e2e-weighted",
      strategy: "weighted",
      context_length: 64000,
      models: [
        { kind: "model", model: "openai/gpt-5.5", providerId: "openai", weight: 70 },
        { kind: "model", model: "openai/gpt-4.1", providerId: "openai", weight: 30 },
      ],
    },
    {
      name: "e2e-mock",
      strategy: "priority",
      models: [
        { kind: "model", model: "mock/mock-small" },
        { kind: "model", model: "mock/mock-large" },
        { kind: "model", model: "mock/mock-vision" },
      ],
    },
    {
      name: "nested/outer",
      strategy: "priority",
      models: [
        { kind: "combo-ref", comboName: "e2e-mock", weight: 0 },
        { kind: "model", model: "openai/gpt-4o" },
      ],
    },
    { name: "e2e-rr", strategy: "round-robin", models: ["mockr/mock-large", "mock/mock-small"] },
    { name: "e2e-inactive", models: ["mock/mock-small"] },
  ];
  for (const def of defs) summary.combos[def.name] = await ensureCombo(def, byName);
  // isActive is ignored on create; set it with PUT /api/combos/:id
  const inactive = byName.get("e2e-inactive");
  if (inactive && inactive.isActive !== false) {
    await api("PUT", `/api/combos/${encodeURIComponent(summary.combos["e2e-inactive"])}`, { isActive: false });
  }

  const { json: keysJson } = await api("GET", "/api/keys");
  const keyList = Array.isArray(keysJson) ? keysJson : (keysJson?.keys ?? []);
  if (keyList.some((k) => k?.name === "e2e-dashboard")) {
    summary.dashboardKey = null; // exists already; its secret is not shown again
  } else {
    const r = await api("POST", "/api/keys", { name: "e2e-dashboard" });
    summary.dashboardKey = r.json.key;
  }

  const models = await fetch(origin + "/v1/models", { signal: AbortSignal.timeout(30000) }).then((r) => r.json());
  summary.modelIds = (models.data ?? []).map((m) => m.id);
  process.stdout.write(JSON.stringify(summary, null, 2) + "\n");
  log(`seeded: ${Object.keys(summary.combos).length} combos, ${summary.modelIds.length} models listed`);
}

main().catch((e) => {
  console.error(`[omniroute-seed] ERROR: ${e.message}`);
  process.exit(1);
});
