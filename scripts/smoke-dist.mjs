// Imports the built package from ESM, as a user would, and checks that errors made by
// the CJS build are recognised by the ESM build's classes (the brand, not the prototype).

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esm from 'reposit';

const require = createRequire(import.meta.url);
const cjs = require('reposit');

assert.equal(typeof esm.defineEntity, 'function', 'ESM build exports defineEntity');
const fromCjs = new cjs.NotFoundError('from cjs');
assert.ok(fromCjs instanceof esm.NotFoundError, 'CJS error is an ESM NotFoundError');
assert.ok(fromCjs instanceof esm.RepositoryError, 'CJS error is an ESM RepositoryError');
assert.ok(!(fromCjs instanceof esm.ConflictError), 'CJS NotFoundError is not a ConflictError');
for (const build of [esm, cjs]) {
  for (const name of [
    'RepositoryError',
    'NotFoundError',
    'ValidationError',
    'DuplicateError',
    'ConflictError',
    'ConnectionError',
    'TimeoutError',
    'RateLimitError',
    'UnavailableError',
  ]) {
    assert.equal(new build[name]('x').name, name, `${name} keeps its name in the build`);
  }
}
const { exports } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
for (const subpath of Object.keys(exports)) {
  if (subpath === './package.json') continue;
  const specifier = subpath === '.' ? 'reposit' : `reposit/${subpath.slice(2)}`;
  const module = await import(specifier);
  assert.ok(Object.keys(module).length > 0, `${specifier} has exports (ESM)`);
}
console.log('smoke (ESM): ok');

// The `reposit` command as built (package.json "bin"), with a config module that imports
// `reposit/cli` as a user's would.
const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const { bin } = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
const cli = path.join(root, bin.reposit);
assert.match(readFileSync(cli, 'utf8'), /^#!\/usr\/bin\/env node\n/, 'the bin starts with a hashbang');
assert.match(
  execFileSync(process.execPath, [cli, '--help'], { encoding: 'utf8' }),
  /^Usage: reposit <command>/,
);
mkdirSync(path.join(root, '.tmp'), { recursive: true });
const work = mkdtempSync(path.join(root, '.tmp', 'smoke-cli-'));
try {
  writeFileSync(
    path.join(work, 'reposit.config.mjs'),
    "import { defineCliConfig } from 'reposit/cli';\nexport default defineCliConfig({ migrations: { dir: './migrations' } });\n",
  );
  const created = JSON.parse(
    execFileSync(process.execPath, [cli, 'migrate', 'create', 'smoke', '--json'], {
      cwd: work,
      encoding: 'utf8',
    }),
  );
  assert.equal(created.ok, true, 'migrate create succeeded');
  assert.deepEqual(readdirSync(path.join(work, 'migrations')), [`${created.result.name}.mjs`]);
} finally {
  rmSync(work, { recursive: true, force: true });
}
console.log('smoke (bin): ok');
