// The usage-attribution fetch wrapper (lib/attribution.js): headers, trailing SSE comments,
// chunk boundaries, cut-off streams, other origins and non-OmniRoute responses, bytes to the
// consumer unchanged; then the whole chain plugin -> real omniroute-rpc -> ledger -> the
// omniroute_usage tool.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { hermeticProcess, binaryAvailable, RPC_BIN } from './helpers/env.js';
import { SseScanner, createAttributionFetch, formatUsage } from '../lib/attribution.js';
import { OmniRouteAuthPlugin } from '../index.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

// What OmniRoute 3.7.9 streams (tests/e2e/FINDINGS.md): zero headers, usage in the last chunk,
// then the trailing comments and [DONE] in the same event block.
const SSE_HEADERS = {
  'content-type': 'text/event-stream',
  'x-omniroute-model': 'mock-small',
  'x-omniroute-provider': 'openai-compatible-chat-node1',
  'x-omniroute-tokens-in': '0',
  'x-omniroute-tokens-out': '0',
  'x-omniroute-response-cost': '0.0000000000',
  'x-omniroute-latency-ms': '0',
  'x-omniroute-cache-hit': 'false',
};
const chunk = (o) => `data: ${JSON.stringify(o)}\n\n`;
const SSE_BODY =
  chunk({ id: 'c1', object: 'chat.completion.chunk', model: 'mock-small', choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] }) +
  chunk({ id: 'c1', object: 'chat.completion.chunk', model: 'mock-small', choices: [{ index: 0, delta: { content: 'héllo — ok' }, finish_reason: null }] }) +
  chunk({ id: 'c1', object: 'chat.completion.chunk', model: 'mock-small', choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] }) +
  chunk({ id: 'c1', object: 'chat.completion.chunk', model: 'mock-small', choices: [], usage: { prompt_tokens: 12, completion_tokens: 7, total_tokens: 19, estimated: true } }) +
  ': x-omniroute-cache-hit=false\n: x-omniroute-latency-ms=158\n: x-omniroute-response-cost=0.0000042\n' +
  ': x-omniroute-tokens-in=12\n: x-omniroute-tokens-out=7\n: x-omniroute-model=mock-small\ndata: [DONE]\n\n';

const REQ = (stream = true, extra = {}) => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', authorization: 'Bearer sk-test', 'x-session-affinity': 'ses_abc', ...extra },
  body: JSON.stringify({ model: 'e2e-mock', stream, messages: [{ role: 'user', content: 'secret prompt' }] }),
});

/** A Response whose body yields exactly these chunks (bytes), optionally failing after them. */
function chunkedResponse(parts, headers = SSE_HEADERS, { failAfter = false, status = 200 } = {}) {
  let i = 0;
  const body = new ReadableStream({
    pull(c) {
      if (i < parts.length) c.enqueue(typeof parts[i] === 'string' ? enc.encode(parts[i++]) : parts[i++]);
      else if (failAfter) c.error(new TypeError('terminated: other side closed'));
      else c.close();
    },
  });
  return new Response(body, { status, headers });
}

/** Reads a body to the end, returning the bytes (and the error, if it failed). */
async function drain(res) {
  const reader = res.body.getReader();
  const parts = [];
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      parts.push(value);
    }
  } catch (e) {
    return { bytes: Buffer.concat(parts), error: e };
  }
  return { bytes: Buffer.concat(parts), error: null };
}

function harness(fakeFetch, baseURL = 'http://gw.test:20128/v1') {
  const records = [];
  const f = createAttributionFetch({ baseURL, send: (r) => records.push(r), fetch: fakeFetch });
  return { f, records };
}

// ------------------------------------------------------------------------------------------

test('SseScanner: same result for every split of the stream into two and into single characters', () => {
  const whole = new SseScanner();
  whole.push(SSE_BODY);
  whole.end();
  assert.deepEqual(whole.trailers, {
    'cache-hit': 'false', 'latency-ms': '158', 'response-cost': '0.0000042', 'tokens-in': '12', 'tokens-out': '7', model: 'mock-small',
  });
  assert.equal(whole.usage.prompt_tokens, 12);
  assert.equal(whole.model, 'mock-small');
  assert.equal(whole.finished, true);
  for (let cut = 1; cut < SSE_BODY.length; cut++) {
    const s = new SseScanner();
    s.push(SSE_BODY.slice(0, cut));
    s.push(SSE_BODY.slice(cut));
    s.end();
    assert.deepEqual([s.trailers, s.usage, s.model, s.finished], [whole.trailers, whole.usage, whole.model, true], `split at ${cut}`);
  }
  const s = new SseScanner();
  for (const ch of SSE_BODY.replace(/\n/g, '\r\n')) s.push(ch);
  s.end();
  assert.deepEqual(s.trailers, whole.trailers, 'CRLF, one character at a time');
});

test('streamed: bytes unchanged across awkward chunk boundaries; headers, trailers and usage recorded', async () => {
  const bytes = enc.encode(SSE_BODY);
  // cut inside a multi-byte character, inside "data:", inside a trailer comment
  const cuts = [5, SSE_BODY.indexOf('é') + 1, SSE_BODY.indexOf('x-omniroute-response') + 4, bytes.length - 3];
  const parts = [];
  let prev = 0;
  for (const c of [...cuts.map((c) => enc.encode(SSE_BODY.slice(0, c)).length), bytes.length]) {
    parts.push(bytes.slice(prev, c));
    prev = c;
  }
  let seenArgs;
  const { f, records } = harness(async (input, init) => {
    seenArgs = [input, init];
    return chunkedResponse(parts);
  });
  const init = REQ();
  const res = await f('http://gw.test:20128/v1/chat/completions', init);
  assert.equal(seenArgs[0], 'http://gw.test:20128/v1/chat/completions');
  assert.equal(seenArgs[1], init, 'the request goes out untouched');
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('x-omniroute-model'), 'mock-small');
  const { bytes: got, error } = await drain(res);
  assert.equal(error, null);
  assert.deepEqual(Buffer.from(got), Buffer.from(bytes), 'identical bytes');
  assert.equal(records.length, 1);
  const r = records[0];
  assert.equal(r.model, 'e2e-mock');
  assert.equal(r.host, 'opencode');
  assert.equal(r.sessionId, 'ses_abc');
  assert.equal(r.stream, true);
  assert.equal(r.status, 200);
  assert.equal(r.ok, true);
  assert.equal(r.bodyModel, 'mock-small');
  assert.deepEqual(r.usage, { prompt_tokens: 12, completion_tokens: 7, total_tokens: 19, estimated: true });
  assert.equal(r.omniroute['response-cost'], '0.0000042', 'the trailer overrides the zero header');
  assert.equal(r.omniroute['latency-ms'], '158');
  assert.equal(r.omniroute.provider, 'openai-compatible-chat-node1', 'headers kept');
  assert.equal(typeof r.latencyMs, 'number');
  assert.equal(typeof r.ttftMs, 'number');
  assert.ok(r.at > 1.6e12);
  const text = JSON.stringify(r);
  assert.ok(!text.includes('secret prompt') && !text.includes('sk-test'), 'no prompt, no key');
});

test('not delayed: a chunk reaches the consumer before the source has produced the next one', async () => {
  let release;
  const second = new Promise((r) => (release = r));
  let pulls = 0;
  const source = new ReadableStream({
    async pull(c) {
      pulls++;
      if (pulls === 1) c.enqueue(enc.encode('data: {"model":"mock-small","choices":[]}\n\n'));
      else if (pulls === 2) {
        await second; // only after the test has read the first chunk
        c.enqueue(enc.encode(SSE_BODY));
      } else c.close();
    },
  });
  const { f, records } = harness(async () => new Response(source, { headers: SSE_HEADERS }));
  const res = await f('http://gw.test:20128/v1/chat/completions', REQ());
  const reader = res.body.getReader();
  const first = await reader.read(); // would hang here if the wrapper waited for more data
  assert.match(dec.decode(first.value), /mock-small/);
  assert.equal(records.length, 0, 'no record before the end');
  release();
  while (!(await reader.read()).done);
  assert.equal(records.length, 1);
  assert.equal(records[0].ok, true);
});

test('a stream cut off mid-way: the consumer sees the same bytes and the error; the record says so', async () => {
  const half = SSE_BODY.slice(0, 200);
  const { f, records } = harness(async () => chunkedResponse([half.slice(0, 90), half.slice(90)], SSE_HEADERS, { failAfter: true }));
  const res = await f('http://gw.test:20128/v1/chat/completions', REQ());
  const { bytes, error } = await drain(res);
  assert.equal(dec.decode(bytes), half);
  assert.ok(error, 'the consumer gets the failure');
  assert.equal(records.length, 1);
  assert.equal(records[0].ok, false);
  assert.match(records[0].error, /cut off.*terminated/);
  assert.equal(records[0].status, 200);
  assert.equal(records[0].bodyModel, 'mock-small');
});

test('a stream that just ends before [DONE], and one the consumer cancels, are failures', async () => {
  const { f, records } = harness(async () => chunkedResponse([SSE_BODY.slice(0, 150)]));
  await drain(await f('http://gw.test:20128/v1/chat/completions', REQ()));
  assert.equal(records[0].ok, false);
  assert.match(records[0].error, /ended before/);

  const { f: f2, records: r2 } = harness(async () => chunkedResponse([SSE_BODY.slice(0, 100), SSE_BODY.slice(100)]));
  const res = await f2('http://gw.test:20128/v1/chat/completions', REQ());
  const reader = res.body.getReader();
  await reader.read();
  await reader.cancel(new Error('user aborted'));
  assert.equal(r2.length, 1);
  assert.equal(r2[0].ok, false);
  assert.match(r2[0].error, /cancelled by the client: user aborted/);
});

test('JSON answer: headers and body usage/model recorded, body identical', async () => {
  const body = JSON.stringify({ id: 'x', model: 'mock-small', choices: [{ message: { content: 'hi' } }], usage: { prompt_tokens: 2010, completion_tokens: 4 } });
  const headers = { 'content-type': 'application/json', 'x-omniroute-model': 'mock-small', 'x-omniroute-tokens-in': '10', 'x-omniroute-tokens-out': '4', 'X-OmniRoute-Response-Cost': '0.00001' };
  const { f, records } = harness(async () => chunkedResponse([body.slice(0, 10), body.slice(10)], headers));
  const res = await f(new URL('http://gw.test:20128/v1/chat/completions'), REQ(false));
  assert.equal(await res.text(), body);
  assert.equal(records.length, 1);
  const r = records[0];
  assert.equal(r.stream, false);
  assert.equal(r.ok, true);
  assert.deepEqual(r.omniroute, { model: 'mock-small', 'tokens-in': '10', 'tokens-out': '4', 'response-cost': '0.00001' });
  assert.equal(r.usage.prompt_tokens, 2010);
  assert.equal(r.bodyModel, 'mock-small');
  assert.equal(r.ttftMs, undefined, 'time to first token only for streams');
});

test('gateway error answers are recorded as failures with their message', async () => {
  const body = JSON.stringify({ error: { message: 'Stream ended before producing useful content' } });
  const { f, records } = harness(async () => new Response(body, { status: 502, headers: { 'content-type': 'application/json' } }));
  const res = await f('http://gw.test:20128/v1/chat/completions', REQ());
  assert.equal(res.status, 502);
  assert.equal(await res.text(), body);
  assert.equal(records[0].ok, false);
  assert.equal(records[0].status, 502);
  assert.match(records[0].error, /Stream ended before/);
});

test('a fetch that throws is recorded (status 0) and the error rethrown', async () => {
  const boom = new TypeError('fetch failed');
  const { f, records } = harness(async () => {
    throw boom;
  });
  await assert.rejects(f('http://gw.test:20128/v1/chat/completions', REQ()), (e) => e === boom);
  assert.equal(records.length, 1);
  assert.deepEqual([records[0].status, records[0].ok], [0, false]);
  assert.match(records[0].error, /fetch failed/);
});

test('another origin, non-model requests and non-OmniRoute responses are left untouched', async () => {
  const original = new Response('{"ok":true}', { headers: { 'content-type': 'application/json' } });
  let args;
  const { f, records } = harness(async (...a) => {
    args = a;
    return original;
  });
  const init = REQ();
  for (const url of ['http://gw.test:20129/v1/chat/completions', 'https://gw.test:20128/v1/chat/completions', 'http://api.openai.com/v1/chat/completions']) {
    const res = await f(url, init);
    assert.equal(res, original, `${url}: the very same response`);
    assert.equal(args[1], init);
  }
  assert.equal(await f('http://gw.test:20128/v1/models', { method: 'GET' }), original, 'no body: no model request');
  assert.equal(await f('http://gw.test:20128/v1/chat/completions', REQ()), original, 'no x-omniroute header: not OmniRoute');
  assert.equal(records.length, 0);
});

// ------------------------------------------------------------------------------------------
// over real sockets: a loopback server that talks like OmniRoute

let server;
let origin;
before(async () => {
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', async () => {
      const stream = JSON.parse(body || '{}').stream === true;
      if (req.url.startsWith('/v1/cut')) {
        res.writeHead(200, SSE_HEADERS);
        res.write(SSE_BODY.slice(0, 120));
        setImmediate(() => res.socket.destroy());
        return;
      }
      if (!stream) {
        res.writeHead(200, { 'content-type': 'application/json', 'x-omniroute-model': 'mock-small', 'x-omniroute-tokens-in': '3', 'x-omniroute-tokens-out': '2' });
        res.end(JSON.stringify({ model: 'mock-small', usage: { prompt_tokens: 2003, completion_tokens: 2 } }));
        return;
      }
      res.writeHead(200, SSE_HEADERS);
      // several writes, one of them splitting a trailer comment
      const at = SSE_BODY.indexOf('response-cost');
      for (const part of [SSE_BODY.slice(0, 150), SSE_BODY.slice(150, at), SSE_BODY.slice(at)]) {
        res.write(part);
        await new Promise((r) => setImmediate(r));
      }
      res.end();
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  origin = `http://127.0.0.1:${server.address().port}`;
});
after(() => server?.close());

test('real sockets: stream, JSON and a dropped connection, bytes identical to a direct fetch', async () => {
  const records = [];
  const f = createAttributionFetch({ baseURL: `${origin}/v1`, send: (r) => records.push(r) });
  const direct = await (await fetch(`${origin}/v1/chat/completions`, REQ())).text();
  const wrapped = await (await f(`${origin}/v1/chat/completions`, REQ())).text();
  assert.equal(wrapped, direct);
  assert.equal(wrapped, SSE_BODY);
  assert.equal(records.length, 1);
  assert.equal(records[0].omniroute['response-cost'], '0.0000042');
  assert.equal(records[0].usage.completion_tokens, 7);

  const j = await (await f(`${origin}/v1/chat/completions`, REQ(false))).json();
  assert.equal(j.model, 'mock-small');
  assert.equal(records[1].omniroute['tokens-in'], '3');

  const res = await f(`${origin}/v1/cut/chat/completions`, REQ());
  const { error } = await drain(res);
  assert.ok(error, 'the consumer sees the dropped connection');
  assert.equal(records.length, 3);
  assert.equal(records[2].ok, false);
});

// ------------------------------------------------------------------------------------------
// the whole chain: plugin loader fetch -> usage.record -> real omniroute-rpc -> ledger -> tool

const skip = !binaryAvailable() && `omniroute-rpc not usable at ${RPC_BIN}`;

test('plugin: the loader fetch records through the real service; omniroute_usage reports the member split', { skip }, async () => {
  const h = hermeticProcess('omniroute-attribution');
  try {
    const hooks = await OmniRouteAuthPlugin({ directory: h.root }, { baseURL: `${origin}/v1`, modelsDev: { enabled: false } });
    const opts = await hooks.auth.loader(async () => ({ type: 'api', key: 'sk-plugin-key-123456' }), { options: { baseURL: `${origin}/v1` } });
    const text = await (await opts.fetch(`${origin}/v1/chat/completions`, REQ(true, { 'x-session-affinity': 'ses_tool' }))).text();
    assert.equal(text, SSE_BODY);
    const tool = hooks.tool.omniroute_usage;
    assert.deepEqual(tool.args, {});
    // the record is a notification: ask until the service has written it (bounded)
    let out = '';
    for (let i = 0; i < 100 && !out.includes('mock-small'); i++) {
      out = await tool.execute({}, { sessionID: 'ses_tool' });
      if (!out.includes('mock-small')) await new Promise((r) => setTimeout(r, 50));
    }
    assert.match(out, /This session: 1 request\(s\), 12 tokens in \/ 7 out, \$0\.000004/);
    assert.match(out, /- e2e-mock\n {4}→ mock-small: 1 request\(s\), 12 tokens in \/ 7 out/);
    assert.ok(!out.includes('sk-plugin'), 'no key');
    await hooks.dispose();
  } finally {
    h.cleanup();
  }
});

test('formatUsage: member split per combo, control characters removed', () => {
  const t = formatUsage(
    { totals: { requests: 1, errors: 0, tokensIn: 1, tokensOut: 2, costUsd: 0 } },
    {
      totals: { requests: 3, errors: 1, tokensIn: 5, tokensOut: 6, costUsd: 0.5 },
      rows: [
        { model: 'combo', servedModel: 'a\u001b[2J', requests: 2, errors: 0, tokensIn: 5, tokensOut: 6, costUsd: 0.5, avgLatencyMs: 10 },
        { model: 'combo', requests: 1, errors: 1, tokensIn: 0, tokensOut: 0, costUsd: 0 },
      ],
    },
  );
  assert.ok(!t.includes('\u001b'));
  assert.match(t, /Last 7 days: 3 request\(s\), 1 failed, 5 tokens in \/ 6 out, \$0\.5000/);
  assert.match(t, /→ \(no answer\): 1 request\(s\), 1 failed/);
});
