#!/usr/bin/env node
// Capture what a real OmniRoute returns, as pretty-printed JSON files (the team's ground truth).
//
//   node tests/e2e/omniroute-capture.mjs open        BASE_URL UPSTREAM_URL OUTDIR [SEED_JSON]
//   node tests/e2e/omniroute-capture.mjs locked      BASE_URL UPSTREAM_URL OUTDIR PASSWORD
//   node tests/e2e/omniroute-capture.mjs require-key BASE_URL UPSTREAM_URL OUTDIR
//
//   open         a seeded gateway with /api/* open (fresh install, loopback, no password)
//   locked       sets a dashboard password through the API (POST /api/settings/require-login),
//                then records how /api/* and /v1/* answer without auth, with Bearer keys, with a cookie.
//                It leaves the instance locked: run it last.
//   require-key  a gateway started with REQUIRE_API_KEY=true
//
// The test key is $OMNIROUTE_TEST_KEY (default sk-e2etest0123456789-abcdef-12345678).
// Chat captures only use the mock models and combos made of them: nothing goes to a real provider.
// (Never send a bare unknown model name: 3.7.9 routes "foo" to "openai/foo" and calls api.openai.com.)
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const [, , mode, baseArg, upstreamArg, outDir, extra] = process.argv;
if (!["open", "locked", "require-key"].includes(mode) || !baseArg || !upstreamArg || !outDir) {
  console.error("usage: node tests/e2e/omniroute-capture.mjs open|locked|require-key BASE_URL UPSTREAM_URL OUTDIR [SEED_JSON|PASSWORD]");
  process.exit(2);
}
const ORIGIN = baseArg.replace(/\/+$/, "").replace(/\/v1$/, "");
const UPSTREAM = upstreamArg.replace(/\/+$/, "").replace(/\/v1$/, "");
const KEY = process.env.OMNIROUTE_TEST_KEY || "sk-e2etest0123456789-abcdef-12345678";
const WRONG_KEY = "sk-0000000000000000-000000-00000000";
mkdirSync(outDir, { recursive: true });
const log = (...a) => console.error(`[omniroute-capture:${mode}]`, ...a);

// Values that differ per run are replaced so that the files diff cleanly between runs.
const redactions = [];
function scrub(text) {
  let t = text;
  for (const [from, to] of redactions) t = t.split(from).join(to);
  return t;
}

function write(name, obj) {
  const path = join(outDir, name);
  writeFileSync(path, scrub(JSON.stringify(obj, null, 2)) + "\n");
  log("wrote", path);
}

function authHeaders(auth) {
  if (!auth) return {};
  if (auth.cookie) return { cookie: auth.cookie };
  if (auth.header) return { [auth.header]: auth.value };
  return { authorization: `Bearer ${auth.bearer}` };
}
function describeAuth(auth) {
  if (!auth) return "none";
  if (auth.label) return auth.label;
  if (auth.cookie) return "dashboard cookie";
  return auth.header ? `${auth.header}: ${auth.value}` : `Bearer ${auth.bearer}`;
}

function parseSse(text) {
  const events = [];
  for (const block of text.split(/\r?\n\r?\n/)) {
    if (!block.trim()) continue;
    const ev = {};
    const data = [];
    const comments = [];
    for (const line of block.split(/\r?\n/)) {
      if (line.startsWith(":")) comments.push(line.slice(1).trim());
      else if (line.startsWith("event:")) ev.event = line.slice(6).trim();
      else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
      else if (line.startsWith("id:")) ev.id = line.slice(3).trim();
      else if (line.trim()) (ev.other ??= []).push(line);
    }
    if (data.length) {
      const joined = data.join("\n");
      try {
        ev.data = JSON.parse(joined);
      } catch {
        ev.data = joined;
      }
    }
    if (comments.length) ev.comments = comments;
    events.push(ev);
  }
  return events;
}

async function call(method, path, { auth, body, rawBody, headers = {}, origin = ORIGIN, keepText = 600 } = {}) {
  const reqHeaders = { ...authHeaders(auth), ...headers };
  if (body !== undefined) reqHeaders["content-type"] = "application/json";
  const t0 = performance.now();
  const res = await fetch(origin + path, {
    method,
    headers: reqHeaders,
    body: rawBody ?? (body === undefined ? undefined : JSON.stringify(body)),
    redirect: "manual",
    signal: AbortSignal.timeout(30000),
  });
  const text = await res.text();
  const ms = Math.round(performance.now() - t0);
  const resHeaders = {};
  for (const [k, v] of res.headers) resHeaders[k] = v;
  const setCookie = res.headers.getSetCookie?.() ?? [];
  if (setCookie.length) resHeaders["set-cookie"] = setCookie;
  const contentType = res.headers.get("content-type") || "";
  const out = {
    request: { method, path, auth: describeAuth(auth), ...(body !== undefined ? { body } : {}), ...(rawBody ? { rawBody } : {}) },
    status: res.status,
    contentType,
    headers: resHeaders,
    elapsedMs: ms,
  };
  if (contentType.includes("application/json")) {
    try {
      out.body = JSON.parse(text);
    } catch {
      out.bodyText = text.slice(0, keepText);
    }
  } else if (contentType.includes("text/event-stream")) {
    out.sse = { events: parseSse(text), raw: text };
  } else {
    out.bodyLength = text.length;
    out.bodyFirstBytes = text.slice(0, keepText);
  }
  return out;
}

const summarize = (r) => ({ status: r.status, contentType: r.contentType, ...(r.body?.error ? { error: r.body.error } : {}) });

async function mockRequests() {
  const r = await fetch(UPSTREAM + "/_mock/requests").then((x) => x.json());
  return r.requests;
}
const mockReset = () => fetch(UPSTREAM + "/_mock/reset", { method: "POST" }).then((x) => x.json());

const chatBody = (model, stream) => ({
  model,
  ...(stream === undefined ? {} : { stream }),
  messages: [{ role: "user", content: "Say hello." }],
});
const respBody = (model, stream, input) => ({
  model,
  ...(stream === undefined ? {} : { stream }),
  input: input ?? [{ role: "user", content: "Say hello." }],
});

// ------------------------------------------------------------------------------------------- open
async function captureOpen() {
  const seed = extra ? JSON.parse(readFileSync(extra, "utf8")) : {};
  const dashboardKey = seed.dashboardKey || null;
  for (const [name, id] of Object.entries(seed.providerNodes ?? {})) redactions.push([id, `<provider-node-id:${name}>`]);
  for (const [name, id] of Object.entries(seed.connections ?? {})) redactions.push([id, `<connection-id:${name}>`]);
  for (const [name, id] of Object.entries(seed.combos ?? {})) redactions.push([id, `<combo-id:${name}>`]);
  if (dashboardKey) redactions.push([dashboardKey, "<dashboard-key>"]);
  redactions.push([UPSTREAM, "http://127.0.0.1:<mock-port>"]);
  redactions.push([ORIGIN, "http://127.0.0.1:<gateway-port>"]);
  const bearer = { bearer: KEY, label: "Bearer <test key (OMNIROUTE_API_KEY)>" };
  const wrong = { bearer: WRONG_KEY, label: "Bearer <wrong key>" };
  const dash = dashboardKey ? { bearer: dashboardKey, label: "Bearer <dashboard key from POST /api/keys>" } : null;

  // /v1/models
  const mNo = await call("GET", "/v1/models");
  write("models-noauth.json", mNo);
  const mKey = await call("GET", "/v1/models", { auth: bearer });
  write("models-bearer.json", mKey);
  write("models-bearer-wrong.json", await call("GET", "/v1/models", { auth: wrong }));
  const data = mNo.body?.data ?? [];
  const ids = data.map((m) => m.id);

  // `created` per call
  const again = await call("GET", "/v1/models");
  // paths and query
  const paths = {};
  for (const p of ["/v1/models", "/v1", "/models", "/v1/models?prefix=alias", "/v1/models?prefix=canonical", "/api/v1/models", "/v1/models/"]) {
    const r = await call("GET", p);
    const pIds = (r.body?.data ?? []).map((m) => m.id);
    paths[p] = {
      status: r.status,
      contentType: r.contentType,
      count: r.body?.data?.length ?? null,
      sameIdsAsV1Models: r.body?.data ? JSON.stringify(pIds) === JSON.stringify(ids) : false,
      ...(r.body?.data ? {} : { bodyFirstBytes: (r.bodyFirstBytes ?? r.bodyText ?? JSON.stringify(r.body ?? "")).slice(0, 200) }),
    };
  }
  // latency
  const lat = [];
  for (let i = 0; i < 10; i++) lat.push((await call("GET", "/v1/models")).elapsedMs);
  write("models-misc.json", {
    note: "GET /v1/models variants after seeding; `created` of the same entry on two consecutive calls; 10-call latency.",
    paths,
    createdOnTwoCalls: { first: data[0]?.created, second: again.body?.data?.[0]?.created, entry: data[0]?.id },
    latencyMs: { samples: lat, min: Math.min(...lat), max: Math.max(...lat) },
    inactiveComboListed: ids.includes("e2e-inactive"),
  });

  // entry groups
  write("models-entries-combos.json", {
    note: "entries with owned_by == combo (e2e-inactive has isActive:false and is absent)",
    entries: data.filter((m) => m.owned_by === "combo"),
  });
  write("models-entries-alias-twins.json", {
    note: "entries whose parent is set (canonical copy of an alias entry) and the alias entries they point to",
    entries: data.filter((m) => m.parent || data.some((o) => o.parent === m.id)),
  });
  write("models-entries-nonchat.json", { note: "entries carrying `type`", entries: data.filter((m) => m.type) });
  write("models-entries-custom.json", {
    note: "models of the openai-compatible provider nodes (mock = apiType chat, mockr = apiType responses)",
    entries: data.filter((m) => m.custom || String(m.owned_by).startsWith("openai-compatible")),
  });
  write("models-entries-openai-chat.json", {
    note: "OpenAI catalogue chat entries (connection with a fake key)",
    entries: data.filter((m) => m.owned_by === "openai" && !m.type),
  });

  // combos endpoints
  write("v1-combos-noauth.json", await call("GET", "/v1/combos", { keepText: 300 }));
  write("v1-combos-bearer.json", await call("GET", "/v1/combos", { auth: bearer, keepText: 300 }));
  write("api-combos-noauth.json", await call("GET", "/api/combos"));
  write("api-combos-bearer.json", await call("GET", "/api/combos", { auth: bearer }));
  write("api-combos-bearer-wrong.json", await call("GET", "/api/combos", { auth: wrong }));

  // chat through mock models and combos
  await mockReset();
  const captures = [
    ["chat-mock-nonstream.json", "/v1/chat/completions", chatBody("mock/mock-small", false)],
    ["chat-mock-stream.json", "/v1/chat/completions", chatBody("mock/mock-small", true)],
    ["chat-mock-stream-omitted.json", "/v1/chat/completions", chatBody("mock/mock-small", undefined)],
    ["chat-combo-nonstream.json", "/v1/chat/completions", chatBody("e2e-mock", false)],
    ["chat-combo-stream.json", "/v1/chat/completions", chatBody("e2e-mock", true)],
    ["chat-nested-combo-nonstream.json", "/v1/chat/completions", chatBody("nested/outer", false)],
    ["chat-mockr-nonstream.json", "/v1/chat/completions", chatBody("mockr/mock-large", false)],
    ["chat-unknown-model.json", "/v1/chat/completions", chatBody("mock/does-not-exist", false)],
    ["chat-no-v1-prefix-nonstream.json", "/chat/completions", chatBody("mock/mock-small", false)],
    ["responses-mock-nonstream.json", "/v1/responses", respBody("mock/mock-small", false)],
    ["responses-mock-stream.json", "/v1/responses", respBody("mock/mock-small", true)],
    ["responses-combo-stream.json", "/v1/responses", respBody("e2e-mock", true)],
    ["responses-combo-nonstream.json", "/v1/responses", respBody("e2e-mock", false)],
    ["responses-mockr-nonstream.json", "/v1/responses", respBody("mockr/mock-large", false)],
    ["responses-mockr-stream.json", "/v1/responses", respBody("mockr/mock-large", true)],
    ["responses-string-input.json", "/v1/responses", respBody("mock/mock-small", false, "Say hello.")],
  ];
  const upstreamByCapture = {};
  for (const [file, path, body] of captures) {
    await mockReset();
    const r = await call("POST", path, { auth: bearer, body });
    write(file, r);
    upstreamByCapture[file] = (await mockRequests()).map((q) => ({
      method: q.method,
      path: q.path,
      authorization: q.headers.authorization ? q.headers.authorization.replace(/^(Bearer )(.*)$/, "$1<upstream key>") : undefined,
      body: q.body,
    }));
  }
  // without any key (endpoint open by default)
  await mockReset();
  write("chat-mock-nonstream-noauth.json", await call("POST", "/v1/chat/completions", { body: chatBody("mock/mock-small", false) }));
  write("upstream-requests.json", {
    note: "what the mock upstream received for each capture (the gateway's outbound requests)",
    byCapture: upstreamByCapture,
  });

  // auth matrix
  const variants = [
    ["none", undefined],
    ["Bearer <test key>", bearer],
    ...(dash ? [["Bearer <dashboard key>", dash]] : []),
    ["Bearer <wrong key>", wrong],
    ["Bearer (empty)", { header: "authorization", value: "Bearer ", label: "Bearer (empty)" }],
    ["x-api-key <wrong key>", { header: "x-api-key", value: WRONG_KEY, label: "x-api-key <wrong key>" }],
    ["x-api-key <test key>", { header: "x-api-key", value: KEY, label: "x-api-key <test key>" }],
  ];
  const endpoints = [
    ["GET", "/v1/models"],
    ["GET", "/v1/combos"],
    ["GET", "/api/combos"],
    ["GET", "/api/providers"],
    ["POST", "/v1/chat/completions", chatBody("mock/mock-small", false)],
  ];
  const matrix = {};
  for (const [m, p, b] of endpoints) {
    const row = {};
    for (const [label, auth] of variants) {
      const r = await call(m, p, { auth, body: b });
      row[label] = summarize(r);
    }
    matrix[`${m} ${p}`] = row;
  }
  write("auth-matrix-open.json", { note: "fresh install, no password, reached over 127.0.0.1", matrix });
}

// ------------------------------------------------------------------------------------------- locked
async function captureLocked() {
  const password = extra;
  if (!password) throw new Error("locked mode needs a PASSWORD argument");
  redactions.push([ORIGIN, "http://127.0.0.1:<gateway-port>"]);
  const bearer = { bearer: KEY, label: "Bearer <test key (OMNIROUTE_API_KEY)>" };
  const wrong = { bearer: WRONG_KEY, label: "Bearer <wrong key>" };
  const set = await call("POST", "/api/settings/require-login", { body: { requireLogin: true, password } });
  if (set.status !== 200) throw new Error(`could not set a password: HTTP ${set.status} ${JSON.stringify(set.body ?? set.bodyFirstBytes)}`);
  const status = await call("GET", "/api/settings/require-login");
  const login = await call("POST", "/api/auth/login", { body: { password } });
  const cookies = (login.headers["set-cookie"] ?? []).map((c) => c.split(";")[0]);
  const cookie = cookies.length ? { cookie: cookies.join("; "), label: "dashboard cookie (auth_token)" } : null;
  for (const c of cookies) redactions.push([c.split("=").slice(1).join("="), "<jwt>"]);
  const loginOut = { ...login, body: login.body };
  write("locked-setup.json", {
    note: "POST /api/settings/require-login {requireLogin:true,password} then POST /api/auth/login {password}",
    setPassword: summarize(set),
    requireLoginStatus: status.body,
    login: loginOut,
  });
  write("locked-api-combos-noauth.json", await call("GET", "/api/combos"));
  write("locked-api-combos-bearer.json", await call("GET", "/api/combos", { auth: bearer }));
  write("locked-api-combos-bearer-wrong.json", await call("GET", "/api/combos", { auth: wrong }));
  if (cookie) {
    const r = await call("GET", "/api/combos", { auth: cookie });
    write("locked-api-combos-cookie.json", { ...r, body: r.body ? { combosCount: r.body.combos?.length, firstCombo: r.body.combos?.[0] } : r.body });
  }
  const matrix = {};
  const variants = [["none", undefined], ["Bearer <test key>", bearer], ["Bearer <wrong key>", wrong], ...(cookie ? [["cookie", cookie]] : [])];
  for (const [m, p, b] of [
    ["GET", "/v1/models"],
    ["GET", "/v1/combos"],
    ["GET", "/api/combos"],
    ["POST", "/v1/chat/completions", chatBody("mock/mock-small", false)],
  ]) {
    const row = {};
    for (const [label, auth] of variants) row[label] = summarize(await call(m, p, { auth, body: b }));
    matrix[`${m} ${p}`] = row;
  }
  write("auth-matrix-locked.json", { note: "after a dashboard password was set (login required)", matrix });
}

// ------------------------------------------------------------------------------------------- require-key
async function captureRequireKey() {
  redactions.push([ORIGIN, "http://127.0.0.1:<gateway-port>"]);
  const bearer = { bearer: KEY, label: "Bearer <test key (OMNIROUTE_API_KEY)>" };
  const wrong = { bearer: WRONG_KEY, label: "Bearer <wrong key>" };
  write("require-key-models-noauth.json", await call("GET", "/v1/models"));
  write("require-key-models-wrong.json", await call("GET", "/v1/models", { auth: wrong }));
  const ok = await call("GET", "/v1/models", { auth: bearer });
  write("require-key-models-bearer.json", { ...ok, body: ok.body ? { object: ok.body.object, count: ok.body.data?.length } : ok.body });
  const matrix = {};
  for (const [m, p] of [["GET", "/v1/models"], ["GET", "/v1/combos"], ["GET", "/api/combos"]]) {
    const row = {};
    for (const [label, auth] of [["none", undefined], ["Bearer <test key>", bearer], ["Bearer <wrong key>", wrong]]) {
      row[label] = summarize(await call(m, p, { auth }));
    }
    matrix[`${m} ${p}`] = row;
  }
  write("auth-matrix-require-api-key.json", { note: "server started with REQUIRE_API_KEY=true (no password)", matrix });
}

const run = { open: captureOpen, locked: captureLocked, "require-key": captureRequireKey }[mode];
run().catch((e) => {
  console.error(`[omniroute-capture:${mode}] ERROR: ${e.stack || e.message}`);
  process.exit(1);
});
