// Overhead of the OpenCode usage-attribution fetch wrapper (clients/opencode/lib/attribution.js):
// time to first byte (first token) and to last byte, plain fetch vs wrapped fetch, against a
// loopback server streaming an OmniRoute-shaped SSE answer (chunks written with a yield
// between them, usage chunk, trailing x-omniroute comments, [DONE]). Runs are interleaved so
// drift hits both sides alike. Not a test: prints medians and p95 of both and their difference.
//
//   node bench/attribution.mjs [iterations=300] [chunks=200]

import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { createAttributionFetch } from '../clients/opencode/lib/attribution.js';

const N = Number(process.argv[2] ?? 300);
const CHUNKS = Number(process.argv[3] ?? 200);

const chunk = (o) => `data: ${JSON.stringify(o)}\n\n`;
const parts = [];
for (let i = 0; i < CHUNKS; i++) {
  parts.push(chunk({ id: 'c', object: 'chat.completion.chunk', model: 'mock-small', choices: [{ index: 0, delta: { content: `token ${i} ` }, finish_reason: null }] }));
}
parts.push(chunk({ id: 'c', object: 'chat.completion.chunk', model: 'mock-small', choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] }));
parts.push(chunk({ id: 'c', object: 'chat.completion.chunk', model: 'mock-small', choices: [], usage: { prompt_tokens: 12, completion_tokens: CHUNKS } }));
parts.push(': x-omniroute-latency-ms=158\n: x-omniroute-response-cost=0.0000042\n: x-omniroute-tokens-in=12\ndata: [DONE]\n\n');

const server = http.createServer(async (req, res) => {
  req.resume();
  await new Promise((r) => req.on('end', r));
  res.writeHead(200, { 'content-type': 'text/event-stream', 'x-omniroute-model': 'mock-small', 'x-omniroute-tokens-in': '0' });
  for (const p of parts) {
    res.write(p);
    await new Promise((r) => setImmediate(r));
  }
  res.end();
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const base = `http://127.0.0.1:${server.address().port}/v1`;
let records = 0;
const wrapped = createAttributionFetch({ baseURL: base, send: () => records++ });
const init = () => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'e2e-mock', stream: true, messages: [] }) });

/** @param {typeof fetch} f */
async function once(f) {
  const t0 = performance.now();
  const res = await f(`${base}/chat/completions`, init());
  const reader = res.body.getReader();
  let first;
  let bytes = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    first ??= performance.now() - t0;
    bytes += value.length;
  }
  return { first, last: performance.now() - t0, bytes };
}

const pct = (a, p) => {
  const s = [...a].sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

for (let i = 0; i < 20; i++) {
  await once(fetch);
  await once(wrapped);
}
const plain = { first: [], last: [] };
const wrap = { first: [], last: [] };
for (let i = 0; i < N; i++) {
  const order = i % 2 ? [[fetch, plain], [wrapped, wrap]] : [[wrapped, wrap], [fetch, plain]];
  for (const [f, acc] of order) {
    const r = await once(f);
    acc.first.push(r.first);
    acc.last.push(r.last);
  }
}
server.close();
const fmt = (x) => x.toFixed(3).padStart(8);
console.log(`node ${process.version}, ${N} interleaved runs, ${parts.length} SSE writes per answer, ${records} records sent`);
console.log('                      plain fetch          wrapped fetch        added');
for (const k of ['first', 'last']) {
  for (const p of [50, 95]) {
    const a = pct(plain[k], p);
    const b = pct(wrap[k], p);
    console.log(`${k === 'first' ? 'first byte' : 'last byte '} p${p} ms    ${fmt(a)}             ${fmt(b)}          ${fmt(b - a)}`);
  }
}

// In memory (no sockets, no scheduling noise): the wrapper's own cost per answer and per chunk.
const enc = new TextEncoder();
const encoded = parts.map((p) => enc.encode(p));
const memFetch = async () => {
  let i = 0;
  const body = new ReadableStream({ pull: (c) => (i < encoded.length ? c.enqueue(encoded[i++]) : c.close()) });
  return new Response(body, { headers: { 'content-type': 'text/event-stream', 'x-omniroute-model': 'mock-small' } });
};
const memWrapped = createAttributionFetch({ baseURL: 'http://gw.test/v1', send: () => {}, fetch: memFetch });
async function mem(f) {
  const res = await f('http://gw.test/v1/chat/completions', init());
  const reader = res.body.getReader();
  while (!(await reader.read()).done);
}
const M = N * 2;
for (let i = 0; i < 50; i++) await mem(memFetch), await mem(memWrapped);
const tm = { plain: [], wrapped: [] };
for (let i = 0; i < M; i++) {
  for (const [k, f] of i % 2 ? [['plain', memFetch], ['wrapped', memWrapped]] : [['wrapped', memWrapped], ['plain', memFetch]]) {
    const t = performance.now();
    await mem(f);
    tm[k].push(performance.now() - t);
  }
}
const a = pct(tm.plain, 50);
const b = pct(tm.wrapped, 50);
console.log(`in memory, ${parts.length} chunks: plain p50 ${a.toFixed(3)} ms, wrapped p50 ${b.toFixed(3)} ms, added ${(b - a).toFixed(3)} ms per answer = ${(((b - a) * 1000) / parts.length).toFixed(1)} µs per chunk`);
