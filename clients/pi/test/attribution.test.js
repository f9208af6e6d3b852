import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UsageRecorder, omnirouteHeaders, statusOfError } from '../lib/attribution.js';

function recorder() {
  /** @type {any[]} */
  const sent = [];
  let t = 1000;
  const r = new UsageRecorder({ send: (x) => sent.push(x), redact: (s) => s.split('sk-secret').join('[key]'), now: () => (t += 10) });
  return { r, sent };
}
const ours = { model: { provider: 'omniroute', id: 'e2e-mock' }, sessionId: 's1' };
const assistant = (extra = {}) => ({
  role: 'assistant', provider: 'omniroute', model: 'e2e-mock', stopReason: 'stop', responseModel: 'mock-small',
  usage: { input: 5, output: 4, cacheRead: 2, cacheWrite: 0 }, ...extra,
});

test('x-omniroute-* headers keyed without the prefix, lower-case; others dropped', () => {
  assert.deepEqual(omnirouteHeaders({ 'X-OmniRoute-Model': 'm', 'x-omniroute-tokens-in': '0', 'x-request-id': 'r', 'x-omniroute-': 'empty' }), { model: 'm', 'tokens-in': '0' });
});

test('a streamed request: one record with status, headers, ttft, latency, usage in OpenAI shape, body model', () => {
  const { r, sent } = recorder();
  r.request({ model: 'e2e-mock', stream: true, messages: [] }, ours); // t=1010
  r.response(200, { 'x-omniroute-model': 'mock-small', 'x-omniroute-tokens-in': '0', 'content-type': 'text/event-stream' }); // no clock
  r.update({ type: 'start' });
  r.update({ type: 'text_delta', delta: 'he' }); // t=1020
  r.update({ type: 'text_delta', delta: 'llo' });
  const rec = r.end(assistant()); // t=1030
  assert.deepEqual(rec, {
    model: 'e2e-mock', host: 'pi', at: 1010, status: 200, ok: true, latencyMs: 20, sessionId: 's1', stream: true, ttftMs: 10,
    omniroute: { model: 'mock-small', 'tokens-in': '0' },
    usage: { prompt_tokens: 7, completion_tokens: 4, prompt_tokens_details: { cached_tokens: 2 } },
    bodyModel: 'mock-small',
  });
  assert.deepEqual(sent, [rec]);
  assert.equal(r.end(assistant()), null, 'one record per request');
});

test('other providers and non-assistant messages send nothing', () => {
  const { r, sent } = recorder();
  r.request({ model: 'gpt-4o' }, { model: { provider: 'openai', id: 'gpt-4o' } });
  r.response(200, {});
  assert.equal(r.end({ ...assistant(), provider: 'openai' }), null);
  r.request({ model: 'x' }, ours);
  assert.equal(r.end({ role: 'user' }), null);
  assert.equal(r.end({ ...assistant(), provider: 'anthropic' }), null);
  assert.equal(sent.length, 0);
});

test('an HTTP error: status from the SDK message (no response event), ok false, first line, key redacted', () => {
  const { r, sent } = recorder();
  r.request({ model: 'e2e-mock', stream: true }, ours);
  r.end(assistant({ stopReason: 'error', errorMessage: '401 Invalid API key sk-secret\nstack…', usage: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 }, responseModel: undefined }));
  assert.equal(sent.length, 1);
  assert.equal(sent[0].status, 401);
  assert.equal(sent[0].ok, false);
  assert.equal(sent[0].error, '401 Invalid API key [key]');
  assert.equal('usage' in sent[0], false);
  assert.equal('ttftMs' in sent[0], false);
});

test('no response at all (connection refused): status 0; an abort says "aborted"', () => {
  const { r, sent } = recorder();
  r.request({ model: 'm' }, ours);
  r.end(assistant({ stopReason: 'error', errorMessage: 'Connection error.' }));
  r.request({ model: 'm', stream: true }, ours);
  r.response(200, {});
  r.end(assistant({ stopReason: 'aborted' }));
  assert.equal(sent[0].status, 0);
  assert.equal(sent[0].ok, false);
  assert.equal(sent[0].error, 'Connection error.');
  assert.equal('stream' in sent[0], false, 'payload without stream flag: unknown');
  assert.equal(sent[1].error, 'aborted');
  assert.equal(sent[1].ok, false);
});

test('statusOfError reads the leading status of an OpenAI SDK error, nothing else', () => {
  assert.equal(statusOfError('429 Rate limit reached'), 429);
  assert.equal(statusOfError('502 status code (no body)'), 502);
  assert.equal(statusOfError('Connection error.'), 0);
  assert.equal(statusOfError('1234 things'), 0);
  assert.equal(statusOfError(undefined), 0);
});
