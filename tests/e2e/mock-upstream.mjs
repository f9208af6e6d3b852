#!/usr/bin/env node
// Tiny OpenAI-compatible upstream for end-to-end tests against a real OmniRoute.
//
//   node tests/e2e/mock-upstream.mjs            -> prints {"port":N} on stdout, serves until SIGTERM/SIGINT
//
// Binds 127.0.0.1 only, port 0 (or MOCK_PORT). Every response is sent in one write
// (headers + body, SSE streams included) on a socket with TCP_NODELAY.
//
// Endpoints (each also without the /v1 prefix):
//   GET  /v1/models              {"object":"list","data":[mock-small, mock-large, mock-vision]}
//   POST /v1/chat/completions    chat.completion, or SSE chunks + "data: [DONE]" when "stream": true
//   POST /v1/responses           Responses API object, or SSE "event:/data:" events when "stream": true
//   GET  /_mock/requests         the requests received so far (method, path, headers, body), newest last
//   POST /_mock/reset            clears that log
//   GET  /_mock/health           {"ok":true}
//
// Env: MOCK_REPLY (default "hello from mock upstream"), MOCK_PORT (default 0),
//      MOCK_EXIT_ON_STDIN_EOF=1 (exit when stdin closes: handy when a test spawns it with a pipe).
import http from "node:http";

const REPLY = process.env.MOCK_REPLY || "hello from mock upstream";
const MODELS = ["mock-small", "mock-large", "mock-vision"];
const CREATED = 1735689600; // fixed: 2025-01-01T00:00:00Z
const MAX_LOG = 200;
const requests = [];
let counter = 0;

function nextId(prefix) {
  counter += 1;
  return `${prefix}${String(counter).padStart(6, "0")}`;
}

function send(res, status, contentType, body, extraHeaders = {}) {
  const buf = Buffer.from(body);
  // writeHead + end(buf) with a known Content-Length: Node sends headers and body in one write.
  res.writeHead(status, {
    "content-type": contentType,
    "content-length": buf.length,
    "cache-control": "no-cache",
    ...extraHeaders,
  });
  res.end(buf);
}

const json = (res, status, obj) => send(res, status, "application/json", JSON.stringify(obj));
const sse = (res, text) => send(res, 200, "text/event-stream; charset=utf-8", text);

function splitReply(text) {
  // Three deltas, so a client sees a real stream and not one chunk.
  const words = text.split(" ");
  const a = Math.max(1, Math.floor(words.length / 3));
  const b = Math.max(a + 1, Math.floor((2 * words.length) / 3));
  return [words.slice(0, a).join(" "), " " + words.slice(a, b).join(" "), " " + words.slice(b).join(" ")].filter(
    (p) => p.trim() !== "",
  );
}

function usageCounts(body) {
  const prompt = Math.max(1, Math.ceil(JSON.stringify(body?.messages ?? body?.input ?? "").length / 4));
  const completion = REPLY.split(" ").length;
  return { prompt, completion };
}

function chatCompletion(body, res) {
  const model = typeof body.model === "string" ? body.model : "mock-small";
  const id = nextId("chatcmpl-mock");
  const created = Math.floor(Date.now() / 1000);
  const { prompt, completion } = usageCounts(body);
  const usage = { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
  if (body.stream !== true) {
    return json(res, 200, {
      id,
      object: "chat.completion",
      created,
      model,
      choices: [
        { index: 0, message: { role: "assistant", content: REPLY }, logprobs: null, finish_reason: "stop" },
      ],
      usage,
      system_fingerprint: "fp_mock",
    });
  }
  const base = { id, object: "chat.completion.chunk", created, model, system_fingerprint: "fp_mock" };
  const chunks = [{ ...base, choices: [{ index: 0, delta: { role: "assistant", content: "" }, finish_reason: null }] }];
  for (const part of splitReply(REPLY)) {
    chunks.push({ ...base, choices: [{ index: 0, delta: { content: part }, finish_reason: null }] });
  }
  chunks.push({ ...base, choices: [{ index: 0, delta: {}, finish_reason: "stop" }] });
  if (body.stream_options?.include_usage) chunks.push({ ...base, choices: [], usage });
  sse(res, chunks.map((c) => `data: ${JSON.stringify(c)}\n\n`).join("") + "data: [DONE]\n\n");
}

function responsesApi(body, res) {
  const model = typeof body.model === "string" ? body.model : "mock-small";
  const id = nextId("resp_mock");
  const msgId = nextId("msg_mock");
  const createdAt = Math.floor(Date.now() / 1000);
  const { prompt, completion } = usageCounts(body);
  const usage = {
    input_tokens: prompt,
    input_tokens_details: { cached_tokens: 0 },
    output_tokens: completion,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: prompt + completion,
  };
  const textPart = { type: "output_text", text: REPLY, annotations: [], logprobs: [] };
  const message = { type: "message", id: msgId, status: "completed", role: "assistant", content: [textPart] };
  const common = {
    id,
    object: "response",
    created_at: createdAt,
    model,
    instructions: body.instructions ?? null,
    max_output_tokens: body.max_output_tokens ?? null,
    parallel_tool_calls: true,
    previous_response_id: null,
    temperature: body.temperature ?? 1,
    top_p: body.top_p ?? 1,
    tool_choice: "auto",
    tools: [],
    text: { format: { type: "text" } },
    truncation: "disabled",
    metadata: {},
    error: null,
    incomplete_details: null,
  };
  const completed = { ...common, status: "completed", output: [message], usage };
  if (body.stream !== true) return json(res, 200, completed);

  const inProgress = { ...common, status: "in_progress", output: [], usage: null };
  let seq = 0;
  const events = [];
  const ev = (type, data) => events.push(`event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: seq++, ...data })}\n\n`);
  ev("response.created", { response: inProgress });
  ev("response.in_progress", { response: inProgress });
  ev("response.output_item.added", {
    output_index: 0,
    item: { type: "message", id: msgId, status: "in_progress", role: "assistant", content: [] },
  });
  ev("response.content_part.added", {
    item_id: msgId,
    output_index: 0,
    content_index: 0,
    part: { type: "output_text", text: "", annotations: [], logprobs: [] },
  });
  for (const delta of splitReply(REPLY)) {
    ev("response.output_text.delta", { item_id: msgId, output_index: 0, content_index: 0, delta, logprobs: [] });
  }
  ev("response.output_text.done", { item_id: msgId, output_index: 0, content_index: 0, text: REPLY, logprobs: [] });
  ev("response.content_part.done", { item_id: msgId, output_index: 0, content_index: 0, part: textPart });
  ev("response.output_item.done", { output_index: 0, item: message });
  ev("response.completed", { response: completed });
  sse(res, events.join(""));
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const parts = [];
    let size = 0;
    req.on("data", (c) => {
      size += c.length;
      if (size > 8 * 1024 * 1024) {
        reject(new Error("request body too large"));
        req.destroy();
        return;
      }
      parts.push(c);
    });
    req.on("end", () => resolve(Buffer.concat(parts).toString("utf8")));
    req.on("error", reject);
  });
}

const server = http.createServer(async (req, res) => {
  let raw = "";
  try {
    raw = await readBody(req);
  } catch (e) {
    return json(res, 413, { error: { message: String(e.message), type: "invalid_request_error" } });
  }
  const url = new URL(req.url, "http://127.0.0.1");
  const path = url.pathname.replace(/\/+$/, "") || "/";
  const route = path.startsWith("/v1/") ? path.slice(3) : path;
  let body = null;
  if (raw) {
    try {
      body = JSON.parse(raw);
    } catch {
      body = undefined;
    }
  }
  if (!path.startsWith("/_mock")) {
    requests.push({ method: req.method, path: url.pathname + url.search, headers: req.headers, body: body ?? raw });
    if (requests.length > MAX_LOG) requests.shift();
    if (process.env.MOCK_QUIET !== "1") {
      process.stderr.write(`[mock-upstream] ${req.method} ${url.pathname} model=${body?.model ?? "-"} stream=${body?.stream ?? "-"}\n`);
    }
  }

  if (req.method === "GET" && path === "/_mock/health") return json(res, 200, { ok: true });
  if (req.method === "GET" && path === "/_mock/requests") return json(res, 200, { requests });
  if (req.method === "POST" && path === "/_mock/reset") {
    requests.length = 0;
    return json(res, 200, { ok: true });
  }
  if (req.method === "GET" && route === "/models") {
    return json(res, 200, {
      object: "list",
      data: MODELS.map((id) => ({ id, object: "model", created: CREATED, owned_by: "mock-upstream" })),
    });
  }
  if (req.method === "POST" && (route === "/chat/completions" || route === "/responses")) {
    if (body === undefined || body === null || typeof body !== "object") {
      return json(res, 400, { error: { message: "body must be a JSON object", type: "invalid_request_error" } });
    }
    return route === "/responses" ? responsesApi(body, res) : chatCompletion(body, res);
  }
  return json(res, 404, { error: { message: `mock upstream: no route ${req.method} ${url.pathname}`, type: "not_found" } });
});

server.on("connection", (socket) => socket.setNoDelay(true));
server.keepAliveTimeout = 5000;

const port = Number.parseInt(process.env.MOCK_PORT || "0", 10);
server.listen(port, "127.0.0.1", () => {
  process.stdout.write(JSON.stringify({ port: server.address().port }) + "\n");
});
server.on("error", (e) => {
  process.stderr.write(`mock-upstream: cannot listen on 127.0.0.1:${port}: ${e.message}\n`);
  process.exit(1);
});

const stop = () => {
  server.close(() => process.exit(0));
  server.closeAllConnections?.();
  setTimeout(() => process.exit(0), 1000).unref();
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
if (process.env.MOCK_EXIT_ON_STDIN_EOF === "1") {
  process.stdin.on("end", stop);
  process.stdin.on("close", stop);
  process.stdin.resume();
}
