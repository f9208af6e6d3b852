'use strict';
// The JSDoc-typed sources type-check against @types/vscode (engines.vscode's version) and
// @types/node: `tsc -p jsconfig.json` (checkJs, strict, noEmit).

const test = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const dir = path.resolve(__dirname, '..');
const tsc = path.join(dir, 'node_modules', 'typescript', 'bin', 'tsc');

test('tsc --noEmit with checkJs passes on extension.js and lib/', { skip: fs.existsSync(tsc) ? false : 'run npm ci first' }, () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
  const types = JSON.parse(fs.readFileSync(path.join(dir, 'node_modules', '@types', 'vscode', 'package.json'), 'utf8'));
  assert.equal(`^${types.version}`, pkg.engines.vscode, '@types/vscode must match engines.vscode');
  const r = spawnSync(process.execPath, [tsc, '-p', 'jsconfig.json'], { cwd: dir, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stdout + r.stderr);
});
