import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync, chmodSync } from 'node:fs';
import path from 'node:path';
import { loadOptions, agentDir, merge } from '../lib/options.js';
import { sandbox } from './helpers/env.js';

/** @param {string} file @param {any} json */
function writeJson(file, json) {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, typeof json === 'string' ? json : JSON.stringify(json));
}

test('agent dir: PI_CODING_AGENT_DIR (with ~) or ~/.pi/agent, as Pi computes it', () => {
  assert.equal(agentDir({ HOME: '/h' }), '/h/.pi/agent');
  assert.equal(agentDir({ HOME: '/h', PI_CODING_AGENT_DIR: '~/pi' }), '/h/pi');
  assert.equal(agentDir({ HOME: '/h', PI_CODING_AGENT_DIR: '/etc/pi' }), '/etc/pi');
});

test('merge: nested objects merge, arrays and scalars replace', () => {
  assert.deepEqual(merge({ a: { b: 1, c: [1] }, d: 1 }, { a: { c: [2] }, d: { x: 1 } }), { a: { b: 1, c: [2] }, d: { x: 1 } });
});

test('global settings < project settings < OMNIROUTE_OPTIONS; rpcBinary/apiKey kept out of the service options', (t) => {
  const s = sandbox('pi-opts');
  t.after(s.cleanup);
  writeJson(path.join(s.agentDir, 'settings.json'), {
    theme: 'dark',
    omniroute: { baseURL: 'http://127.0.0.1:1/v1', modelsDev: { enabled: false, timeoutMs: 100 }, apiMode: 'responses', rpcBinary: '/opt/orpc' },
  });
  writeJson(path.join(s.cwd, '.pi', 'settings.json'), { omniroute: { modelsDev: { timeoutMs: 200 }, apiKey: 'MY_KEY_VAR' } });
  const r = loadOptions({ env: { ...s.env, OMNIROUTE_OPTIONS: '{"apiMode":"chat","hiddenModels":["x"]}' }, cwd: s.cwd });
  assert.deepEqual(r.options, { baseURL: 'http://127.0.0.1:1/v1', modelsDev: { enabled: false, timeoutMs: 200 }, apiMode: 'chat', hiddenModels: ['x'] });
  assert.equal(r.rpcBinary, '/opt/orpc');
  assert.equal(r.apiKey, 'MY_KEY_VAR');
  assert.deepEqual(r.sources, [path.join(s.agentDir, 'settings.json'), path.join(s.cwd, '.pi', 'settings.json'), 'OMNIROUTE_OPTIONS']);
  assert.deepEqual(r.warnings, []);
});

test('nothing configured: empty options, no warnings', (t) => {
  const s = sandbox('pi-opts-none');
  t.after(s.cleanup);
  assert.deepEqual(loadOptions({ env: s.env, cwd: s.cwd }), { options: {}, rpcBinary: undefined, apiKey: undefined, sources: [], warnings: [] });
});

test('broken inputs are named in warnings and skipped, never thrown', (t) => {
  const s = sandbox('pi-opts-bad');
  t.after(s.cleanup);
  writeJson(path.join(s.agentDir, 'settings.json'), '{ not json');
  writeJson(path.join(s.cwd, '.pi', 'settings.json'), { omniroute: ['not', 'an', 'object'] });
  let r = loadOptions({ env: { ...s.env, OMNIROUTE_OPTIONS: '[1,2]' }, cwd: s.cwd });
  assert.deepEqual(r.options, {});
  assert.equal(r.warnings.length, 3, r.warnings.join('\n'));
  assert.match(r.warnings[0], /settings\.json is not valid JSON/);
  assert.match(r.warnings[1], /"omniroute" must be an object/);
  assert.match(r.warnings[2], /OMNIROUTE_OPTIONS must be a JSON object/);
  r = loadOptions({ env: { ...s.env, OMNIROUTE_OPTIONS: '{oops' }, cwd: s.cwd });
  assert.ok(r.warnings.some((w) => /OMNIROUTE_OPTIONS is not valid JSON/.test(w)));
  writeJson(path.join(s.cwd, '.pi', 'settings.json'), { omniroute: { rpcBinary: 7, apiKey: { k: 1 } } });
  r = loadOptions({ env: s.env, cwd: s.cwd });
  assert.equal(r.rpcBinary, undefined);
  assert.equal(r.apiKey, undefined);
  assert.ok(r.warnings.some((w) => /rpcBinary must be a string/.test(w)));
  assert.ok(r.warnings.some((w) => /apiKey must be a string/.test(w)));
});

test('an unreadable settings file is a warning', { skip: process.getuid?.() === 0 ? 'root reads any file' : false }, (t) => {
  const s = sandbox('pi-opts-perm');
  t.after(s.cleanup);
  const f = path.join(s.agentDir, 'settings.json');
  writeJson(f, { omniroute: { baseURL: 'http://x' } });
  chmodSync(f, 0);
  const r = loadOptions({ env: s.env, cwd: s.cwd });
  assert.match(r.warnings.join('\n'), /cannot read .*EACCES/);
});
