import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toPiModel, buildProvider, piApi, clean, DEFAULT_CONTEXT, DEFAULT_OUTPUT } from '../lib/provider.js';

test('a fully known model maps field by field ($/M prices unchanged)', () => {
  const m = {
    id: 'cc/claude-sonnet-4-5', name: 'Claude Sonnet 4.5', kind: 'chat', contextWindow: 200000, maxTokens: 64000,
    supportsVision: true, supportsReasoning: true, pricing: { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 },
  };
  assert.deepEqual(toPiModel(m), {
    id: 'cc/claude-sonnet-4-5', name: 'Claude Sonnet 4.5', reasoning: true, input: ['text', 'image'],
    cost: { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 }, contextWindow: 200000, maxTokens: 64000,
  });
});

test('unknowns: OpenCode-view default limits, false flags, zero prices; image from inputModalities', () => {
  assert.deepEqual(toPiModel({ id: 'x/y', kind: 'chat' }), {
    id: 'x/y', name: 'x/y', reasoning: false, input: ['text'], cost: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 },
    contextWindow: DEFAULT_CONTEXT, maxTokens: DEFAULT_OUTPUT,
  });
  const v = toPiModel({ id: 'v', inputModalities: ['text', 'image'], supportsVision: null, pricing: { input: null, output: -1 }, contextWindow: 0, maxTokens: 12.7 });
  assert.deepEqual(v.input, ['text', 'image']);
  assert.deepEqual(v.cost, { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 });
  assert.equal(v.contextWindow, DEFAULT_CONTEXT);
  assert.equal(v.maxTokens, 12);
  assert.equal(toPiModel({ id: 'n', supportsVision: false, inputModalities: ['text'] }).input.length, 1);
});

test('gateway names lose control characters before reaching the terminal', () => {
  assert.equal(toPiModel({ id: 'a', name: 'evil\u001b[31mred\u0007 name' }).name, 'evil [31mred  name');
  assert.equal(clean('\u009bx\n'), 'x');
});

test('buildProvider: chat models only, api per apiMode, headers only when given', () => {
  const list = {
    baseURL: 'http://127.0.0.1:9/v1',
    models: [
      { id: 'a', kind: 'chat' }, { id: 'e', kind: 'embedding' }, { id: 'i', kind: 'image' }, { id: 'combo', kind: 'chat', combo: { members: ['a'], resolved: true } },
      { kind: 'chat' }, null,
      { id: 'kmca/k2', kind: 'chat' }, { id: 'kimi-coding-apikey/k2', kind: 'chat', aliasOf: 'kmca/k2' }, { id: 'lone/twin', kind: 'chat', aliasOf: 'gone/twin' },
    ],
  };
  const p = buildProvider(list, { apiMode: undefined, apiKey: 'K' });
  assert.deepEqual(p.models.map((m) => m.id), ['a', 'combo', 'kmca/k2', 'lone/twin'], 'a twin whose alias is listed is left out');
  assert.equal(p.api, 'openai-completions');
  assert.equal(p.baseUrl, 'http://127.0.0.1:9/v1');
  assert.equal(p.apiKey, 'K');
  assert.equal('headers' in p, false);
  const r = buildProvider(list, { apiMode: 'responses', apiKey: 'x', headers: { Authorization: '' } });
  assert.equal(r.api, 'openai-responses');
  assert.deepEqual(r.headers, { Authorization: '' });
  assert.equal(piApi('chat'), 'openai-completions');
  assert.equal(piApi('bogus'), 'openai-completions');
});
