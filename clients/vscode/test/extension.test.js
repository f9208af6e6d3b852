'use strict';
// The real extension, driven through the `vscode` stand-in, against the real omniroute-rpc and
// a loopback gateway.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const host = require('./helpers/host.js');
const { startMockGateway, TEST_KEY } = require('./helpers/mock-gateway.js');

const { vscode } = host;
const ui = vscode.__test.ui;
const skip = host.binaryAvailable() ? false : `omniroute-rpc not runnable at ${host.RPC_BIN} (set OMNIROUTE_RPC_BIN)`;

/** @type {Awaited<ReturnType<typeof startMockGateway>>} */
let gw;
/** @type {string} */
let root;
/** @type {ReturnType<typeof host.captureWrapper>} */
let cap;
/** @type {ReturnType<typeof host.activate>} */
let h;

/** @param {Record<string, unknown>} [extra] */
function settings(extra = {}) {
  return {
    'omniroute.rpcBinary': cap.wrapper,
    'omniroute.baseURL': gw.baseURL,
    'omniroute.modelsDev': { enabled: false },
    ...extra,
  };
}

const token = () => new vscode.CancellationTokenSource().token;
const noTools = { toolMode: vscode.LanguageModelChatToolMode.Auto };

/** Usage records written to the service so far. */
const usageRecords = () => cap.messages().filter((m) => m.method === 'usage.record').map((m) => m.params);

test.describe('VS Code extension against omniroute-rpc', { skip }, () => {
  test.before(async () => {
    root = host.hermetic();
    gw = await startMockGateway();
  });
  test.after(async () => {
    await gw?.close();
    fs.rmSync(root, { recursive: true, force: true });
  });
  test.beforeEach(() => {
    const dir = fs.mkdtempSync(path.join(root, 'run-'));
    cap = host.captureWrapper(dir);
    // a fresh cache per test: the first list of a test is live, no background refresh in flight
    process.env.XDG_CACHE_HOME = path.join(dir, 'cache');
  });
  test.afterEach(async () => {
    await h?.deactivate();
  });

  test('silent without a key: [] and no prompt, nothing asked of the gateway', async () => {
    h = host.activate(settings());
    const before = gw.state.requests.length;
    const models = await h.provider.provideLanguageModelChatInformation({ silent: true }, token());
    assert.deepEqual(models, []);
    assert.equal(ui.inputBoxCalls, 0);
    assert.equal(gw.state.requests.length, before);
  });

  test('Connect: a rejected key is not stored; a good one goes to SecretStorage only', async () => {
    h = host.activate(settings());
    ui.inputAnswers.push('sk-wrong-key-000000000000');
    assert.equal(await vscode.commands.executeCommand('omniroute.connect'), false);
    assert.equal(h.secrets.map.size, 0);
    assert.match(ui.messages.at(-1)?.text ?? '', /401|reject|invalid/i);

    ui.inputAnswers.push(TEST_KEY);
    assert.equal(await vscode.commands.executeCommand('omniroute.connect'), true);
    assert.equal(h.secrets.map.get('omniroute.apiKey'), TEST_KEY);
    const info = ui.messages.at(-1);
    assert.equal(info?.level, 'info');
    assert.match(info?.text ?? '', /connected to .* as sk-.*4d79/);
    // checked with persist:false: no auth file written, the key is in no setting, log or message
    const connects = cap.messages().filter((m) => m.method === 'auth.connect');
    assert.equal(connects.length, 2);
    assert.equal(connects[1].params.persist, false);
    assert.ok(!fs.existsSync(path.join(/** @type {string} */ (process.env.XDG_DATA_HOME), 'opencode', 'auth.json')));
    assert.ok(!JSON.stringify(ui.settings).includes(TEST_KEY));
    assert.ok(!JSON.stringify(ui.log).includes(TEST_KEY));
    assert.ok(!JSON.stringify(ui.messages).includes(TEST_KEY));
  });

  test('not silent without a key: asks through Connect, then lists', async () => {
    h = host.activate(settings());
    ui.inputAnswers.push(TEST_KEY);
    const models = await h.provider.provideLanguageModelChatInformation({ silent: false }, token());
    assert.equal(ui.inputBoxCalls, 1);
    assert.ok(models.length > 0);
  });

  test('model mapping: chat models only, limits, capabilities, combo detail; status bar', async () => {
    h = host.activate(settings({ 'omniroute.visibleModels': ['mock/*'], 'omniroute.toolsOnly': false, 'omniroute.view': 'all' }));
    await h.secrets.store('omniroute.apiKey', TEST_KEY);
    const models = await h.provider.provideLanguageModelChatInformation({ silent: true }, token());
    const byId = new Map(models.map((/** @type {any} */ m) => [m.id, m]));
    assert.deepEqual([...byId.keys()].sort(), ['mock-combo', 'mock/bare', 'mock/error', 'mock/slow', 'mock/small', 'mock/text']);

    const text = byId.get('mock/text');
    assert.equal(text.maxOutputTokens, 16384);
    assert.equal(text.maxInputTokens, 128000 - 16384);
    assert.deepEqual(text.capabilities, { imageInput: true, toolCalling: true });
    assert.equal(text.family, 'text');
    assert.match(text.tooltip, /Context: 128k, output: 16384/);
    assert.match(text.tooltip, /Provider: mockprov/);

    const small = byId.get('mock/small'); // output == context: half stays for input
    assert.equal(small.maxOutputTokens, 8192);
    assert.equal(small.maxInputTokens, 4096);
    assert.deepEqual(small.capabilities, { imageInput: false, toolCalling: false });

    const bare = byId.get('mock/bare'); // nothing known: assumed defaults, said so
    assert.equal(bare.maxOutputTokens, 4096);
    assert.equal(bare.maxInputTokens, 128000 - 4096);
    assert.match(bare.tooltip, /Context: \? \(assumed 128k\), output: \? \(assumed 4096\)/);
    assert.match(bare.tooltip, /Price: \?/);

    const combo = byId.get('mock-combo'); // lowest common limits of its members
    assert.equal(combo.maxOutputTokens, 8192);
    assert.equal(combo.maxInputTokens, 4096);
    assert.deepEqual(combo.capabilities, { imageInput: false, toolCalling: false });
    assert.match(combo.detail, /combo · 2 members/);
    assert.match(combo.tooltip, /Combo \(priority\): mock\/text, mock\/small/);
    assert.equal(combo.family, 'combo');

    const status = ui.statusItems[0];
    assert.equal(status.visible, true);
    assert.equal(status.text, '$(hubot) OmniRoute: 6 (live)');

    // the settings reached the service's initialize as options, under the OpenCode names
    const init = cap.messages().find((m) => m.method === 'initialize');
    assert.deepEqual(init.params.options.visibleModels, ['mock/*']);
    assert.equal(init.params.options.toolsOnly, false);
    assert.equal(init.params.options.view, 'all');
    assert.equal(init.params.options.baseURL, gw.baseURL);
    assert.equal(init.params.clientInfo.name, 'vscode-omniroute');
    assert.ok(!JSON.stringify(init).includes(TEST_KEY), 'the key is passed per call, not in initialize');
  });

  test('refresh: Refresh Models and a background models/changed both fire the change event', async () => {
    h = host.activate(settings({ 'omniroute.modelCacheTtl': 1 }));
    await h.secrets.store('omniroute.apiKey', TEST_KEY);
    let fired = 0;
    h.provider.onDidChangeLanguageModelChatInformation(() => fired++);
    const first = await h.provider.provideLanguageModelChatInformation({ silent: true }, token());
    assert.ok(!first.some((/** @type {any} */ m) => m.id === 'mock/new'));

    // the gateway gains a model; the cache (TTL 1 ms) is stale: the next list answers from it and
    // refreshes in the background, which ends in models/changed
    gw.state.models.push({ id: 'mock/new', object: 'model', created: 1, owned_by: 'mockprov', context_length: 64000, max_output_tokens: 2000 });
    await new Promise((r) => setTimeout(r, 5));
    const base = fired;
    await h.provider.provideLanguageModelChatInformation({ silent: true }, token());
    await host.waitFor(() => fired > base, 'onDidChangeLanguageModelChatInformation after models/changed');
    const next = await h.provider.provideLanguageModelChatInformation({ silent: true }, token());
    assert.ok(next.some((/** @type {any} */ m) => m.id === 'mock/new' && m.maxInputTokens === 62000));

    // explicit refresh: a fresh list (a background refresh may have seen the removal first, so
    // the diff is not asserted), the summary, the event
    gw.state.models = gw.state.models.filter((/** @type {any} */ m) => m.id !== 'mock/new');
    const before = fired;
    const res = await vscode.commands.executeCommand('omniroute.refreshModels');
    assert.equal(res.source, 'live');
    assert.ok(!res.models.some((/** @type {any} */ m) => m.id === 'mock/new'));
    assert.ok(Array.isArray(res.diff.removed));
    assert.ok(fired > before);
    assert.match(ui.messages.at(-1)?.text ?? '', /^OmniRoute: 7 models \(live\): \+\d+ −\d+ ~\d+$/);
  });

  test('chat: streamed text, attribution sent as usage.record', async () => {
    h = host.activate(settings());
    await h.secrets.store('omniroute.apiKey', TEST_KEY);
    const [model] = (await h.provider.provideLanguageModelChatInformation({ silent: true }, token())).filter((/** @type {any} */ m) => m.id === 'mock-combo');
    const c = host.collector();
    await h.provider.provideLanguageModelChatResponse(model, [vscode.LanguageModelChatMessage.User('hi')], noTools, c.progress, token());
    assert.ok(c.parts.every((p) => p instanceof vscode.LanguageModelTextPart));
    assert.equal(c.parts.map((p) => p.value).join(''), 'Hello from the mock.');
    const req = gw.state.requests.filter((r) => r.path === '/v1/chat/completions').at(-1);
    assert.equal(req?.auth, `Bearer ${TEST_KEY}`);
    assert.equal(req?.body.stream, true);
    assert.deepEqual(req?.body.messages, [{ role: 'user', content: 'hi' }]);

    await host.waitFor(() => usageRecords().length > 0, 'usage.record');
    const u = usageRecords().at(-1);
    assert.equal(u.model, 'mock-combo');
    assert.equal(u.host, 'vscode');
    assert.equal(u.sessionId, 'stub-session-1');
    assert.equal(u.status, 200);
    assert.equal(u.ok, true);
    assert.equal(u.stream, true);
    assert.equal(u.bodyModel, 'mock/small');
    assert.deepEqual(u.usage, { prompt_tokens: 5, completion_tokens: 4, total_tokens: 9 });
    assert.equal(u.omniroute.model, 'mock/small');
    assert.equal(u.omniroute.provider, 'openai-compatible-chat-mock');
    assert.equal(u.omniroute['tokens-in'], '5', 'the trailer overrides the zero header');
    assert.equal(u.omniroute['response-cost'], '0.0000012');
    assert.equal(u.omniroute['request-id'], 'req-mock-1');
    assert.equal(typeof u.at, 'number');
    assert.equal(typeof u.latencyMs, 'number');
    assert.equal(typeof u.ttftMs, 'number');
    assert.ok(!JSON.stringify(cap.messages().filter((m) => m.method === 'usage.record')).includes(TEST_KEY));

    // the service took it: the ledger splits the combo by the member that served it
    /** @type {any[]} */
    let rows = [];
    await host.waitFor(() => rows.length > 0, 'the record in usage.summary', 15000, async () => {
      rows = (await h.api.service.client.call('usage.summary', { groupBy: 'member' })).rows;
    });
    assert.deepEqual(rows.map((r) => [r.model, r.servedModel, r.requests, r.errors, r.tokensIn, r.tokensOut]), [['mock-combo', 'mock/small', 1, 0, 5, 4]]);
    assert.ok(Math.abs(rows[0].costUsd - 0.0000012) < 1e-12);
  });

  test('chat: tool calls with JSON arguments, then the tool result in the history', async () => {
    h = host.activate(settings());
    await h.secrets.store('omniroute.apiKey', TEST_KEY);
    const models = await h.provider.provideLanguageModelChatInformation({ silent: true }, token());
    const model = models.find((/** @type {any} */ m) => m.id === 'mock/text');
    const tools = [{ name: 'get_weather', description: 'Weather of a city', inputSchema: { type: 'object', properties: { city: { type: 'string' } } } }];
    const c = host.collector();
    await h.provider.provideLanguageModelChatResponse(model, [vscode.LanguageModelChatMessage.User('weather in Paris?')],
      { tools, toolMode: vscode.LanguageModelChatToolMode.Required }, c.progress, token());
    const calls = c.parts.filter((p) => p instanceof vscode.LanguageModelToolCallPart);
    assert.deepEqual(calls.map((p) => [p.callId, p.name, p.input]), [['call_1', 'get_weather', { city: 'Paris' }], ['call_2', 'get_weather', {}]]);
    assert.equal(c.parts.filter((p) => p instanceof vscode.LanguageModelTextPart).map((p) => p.value).join(''), 'Let me check.');
    const sent = gw.state.requests.filter((r) => r.path === '/v1/chat/completions').at(-1)?.body;
    assert.equal(sent.tool_choice, 'required');
    assert.deepEqual(sent.tools[0], { type: 'function', function: { name: 'get_weather', description: 'Weather of a city', parameters: tools[0].inputSchema } });

    const history = [
      vscode.LanguageModelChatMessage.User('weather in Paris?'),
      vscode.LanguageModelChatMessage.Assistant([new vscode.LanguageModelTextPart('Let me check.'), calls[0]]),
      vscode.LanguageModelChatMessage.User([new vscode.LanguageModelToolResultPart('call_1', [new vscode.LanguageModelTextPart('18°C, sunny')])]),
    ];
    const c2 = host.collector();
    await h.provider.provideLanguageModelChatResponse(model, history, { tools, toolMode: vscode.LanguageModelChatToolMode.Auto }, c2.progress, token());
    assert.equal(c2.parts.map((p) => p.value).join(''), 'Tool said: 18°C, sunny');
    const sent2 = gw.state.requests.filter((r) => r.path === '/v1/chat/completions').at(-1)?.body;
    assert.deepEqual(sent2.messages.slice(1), [
      { role: 'assistant', content: 'Let me check.', tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
      { role: 'tool', tool_call_id: 'call_1', content: '18°C, sunny' },
    ]);
  });

  test('chat: image parts reach the gateway as data URLs', async () => {
    h = host.activate(settings());
    await h.secrets.store('omniroute.apiKey', TEST_KEY);
    const models = await h.provider.provideLanguageModelChatInformation({ silent: true }, token());
    const model = models.find((/** @type {any} */ m) => m.id === 'mock/text');
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]);
    const c = host.collector();
    await h.provider.provideLanguageModelChatResponse(model,
      [vscode.LanguageModelChatMessage.User([new vscode.LanguageModelTextPart('what is this?'), vscode.LanguageModelDataPart.image(png, 'image/png')])],
      noTools, c.progress, token());
    assert.equal(c.parts.map((p) => p.value).join(''), 'I see 1 image(s)');
    const sent = gw.state.requests.filter((r) => r.path === '/v1/chat/completions').at(-1)?.body;
    assert.deepEqual(sent.messages[0].content, [
      { type: 'text', text: 'what is this?' },
      { type: 'image_url', image_url: { url: `data:image/png;base64,${Buffer.from(png).toString('base64')}` } },
    ]);
  });

  test('chat: cancellation through the token closes the stream', async () => {
    h = host.activate(settings());
    await h.secrets.store('omniroute.apiKey', TEST_KEY);
    const models = await h.provider.provideLanguageModelChatInformation({ silent: true }, token());
    const model = models.find((/** @type {any} */ m) => m.id === 'mock/slow');
    const cts = new vscode.CancellationTokenSource();
    const c = host.collector();
    const run = h.provider.provideLanguageModelChatResponse(model, [vscode.LanguageModelChatMessage.User('go')], noTools, c.progress, cts.token);
    await host.waitFor(() => c.parts.length > 0, 'the first streamed part');
    assert.equal(c.parts[0].value, 'partial');
    cts.cancel();
    await assert.rejects(run, (e) => e instanceof vscode.CancellationError);
    await gw.state.slowClosed; // the gateway saw the connection go
    await host.waitFor(() => usageRecords().some((u) => u.model === 'mock/slow'), 'usage.record of the cancelled request');
    const u = usageRecords().find((r) => r.model === 'mock/slow');
    assert.equal(u.ok, false);
    assert.equal(u.error, 'cancelled');
    assert.equal(u.status, 200);
  });

  test('chat: the gateway\'s error message reaches the caller', async () => {
    h = host.activate(settings());
    await h.secrets.store('omniroute.apiKey', TEST_KEY);
    const models = await h.provider.provideLanguageModelChatInformation({ silent: true }, token());
    const model = models.find((/** @type {any} */ m) => m.id === 'mock/error');
    await assert.rejects(
      h.provider.provideLanguageModelChatResponse(model, [vscode.LanguageModelChatMessage.User('x')], noTools, host.collector().progress, token()),
      /OmniRoute 429: Rate limit exceeded for mock\/error/,
    );
    await host.waitFor(() => usageRecords().some((u) => u.model === 'mock/error'), 'usage.record of the failed request');
    const u = usageRecords().find((r) => r.model === 'mock/error');
    assert.equal(u.status, 429);
    assert.equal(u.ok, false);
    assert.match(u.error, /Rate limit/);
  });

  test('chat: apiMode "responses" streams from /responses (text and a tool call)', async () => {
    h = host.activate(settings());
    await h.secrets.store('omniroute.apiKey', TEST_KEY);
    vscode.__test.setSettings({ 'omniroute.apiMode': 'responses' }); // restarts the service with the new options
    const models = await h.provider.provideLanguageModelChatInformation({ silent: true }, token());
    const model = models.find((/** @type {any} */ m) => m.id === 'mock/text');
    const tools = [{ name: 'get_weather', description: 'Weather', inputSchema: { type: 'object' } }];
    const c = host.collector();
    await h.provider.provideLanguageModelChatResponse(model, [vscode.LanguageModelChatMessage.User('weather in Oslo?')],
      { tools, toolMode: vscode.LanguageModelChatToolMode.Auto }, c.progress, token());
    assert.equal(c.parts.filter((p) => p instanceof vscode.LanguageModelTextPart).map((p) => p.value).join(''), 'Hello from the responses mock.');
    const calls = c.parts.filter((p) => p instanceof vscode.LanguageModelToolCallPart);
    assert.deepEqual(calls.map((p) => [p.callId, p.name, p.input]), [['call_r1', 'get_weather', { city: 'Oslo' }]]);
    const sent = gw.state.requests.filter((r) => r.path === '/v1/responses').at(-1)?.body;
    assert.deepEqual(sent.input, [{ role: 'user', content: [{ type: 'input_text', text: 'weather in Oslo?' }] }]);
    assert.deepEqual(sent.tools[0], { type: 'function', name: 'get_weather', description: 'Weather', parameters: { type: 'object' } });
    const inits = cap.messages().filter((m) => m.method === 'initialize');
    assert.equal(inits.at(-1).params.options.apiMode, 'responses');
    await host.waitFor(() => usageRecords().some((u) => u.usage?.input_tokens === 7), 'usage.record with the Responses usage');
  });

  test('Show Combo: members and lowest common limits', async () => {
    h = host.activate(settings());
    await h.secrets.store('omniroute.apiKey', TEST_KEY);
    await h.provider.provideLanguageModelChatInformation({ silent: true }, token());
    ui.quickPickAnswers.push('mock-combo');
    const report = await vscode.commands.executeCommand('omniroute.showCombo');
    assert.match(report, /^Combo mock-combo \(priority\)/);
    assert.match(report, /mock\/text weight 1: context 128000, output 16384, tools true, vision true/);
    assert.match(report, /mock\/small weight 1: context 8192, output 8192/);
    assert.match(report, /Together: context 8192, output 8192, tools false, vision false/);
    assert.ok(ui.logShown > 0);
    const direct = await vscode.commands.executeCommand('omniroute.showCombo', 'no-such-combo');
    assert.equal(direct, undefined);
    assert.match(ui.messages.at(-1)?.text ?? '', /no-such-combo.*not found/);
  });

  test('token count: an estimate that grows with text and images', async () => {
    h = host.activate(settings());
    const model = { id: 'mock/text' };
    const t = (/** @type {any} */ x) => h.provider.provideTokenCount(model, x, token());
    assert.equal(await t(''), 0);
    assert.equal(await t('abcdefgh'), 2);
    const plain = await t(vscode.LanguageModelChatMessage.User('hello there, how are you?'));
    const withImage = await t(vscode.LanguageModelChatMessage.User([new vscode.LanguageModelTextPart('hello there, how are you?'), vscode.LanguageModelDataPart.image(new Uint8Array(10), 'image/png')]));
    assert.ok(plain > 6 && plain < 20, `plain ${plain}`);
    assert.ok(withImage > plain + 500);
  });

  test('a missing binary is reported, not thrown at VS Code', async () => {
    h = host.activate(settings({ 'omniroute.rpcBinary': path.join(root, 'nope', 'omniroute-rpc') }));
    await h.secrets.store('omniroute.apiKey', TEST_KEY);
    assert.deepEqual(await h.provider.provideLanguageModelChatInformation({ silent: true }, token()), []);
    assert.ok(ui.log.some((l) => l.level === 'error' && /omniroute-rpc binary not found: the setting omniroute.rpcBinary/.test(l.text)));
    assert.equal(ui.messages.length, 0, 'silent: no pop-up');
  });
});
