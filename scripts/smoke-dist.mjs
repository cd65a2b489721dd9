// Imports the built package from ESM, as a user would, and checks that errors made by
// the CJS build are recognised by the ESM build's classes (the brand, not the prototype).

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as esm from 'reposit';

const require = createRequire(import.meta.url);
const cjs = require('reposit');

assert.equal(typeof esm.defineEntity, 'function', 'ESM build exports defineEntity');
const fromCjs = new cjs.NotFoundError('from cjs');
assert.ok(fromCjs instanceof esm.NotFoundError, 'CJS error is an ESM NotFoundError');
assert.ok(fromCjs instanceof esm.RepositoryError, 'CJS error is an ESM RepositoryError');
assert.ok(!(fromCjs instanceof esm.ConflictError), 'CJS NotFoundError is not a ConflictError');
const { exports } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
for (const subpath of Object.keys(exports)) {
  if (subpath === './package.json') continue;
  const specifier = subpath === '.' ? 'reposit' : `reposit/${subpath.slice(2)}`;
  const module = await import(specifier);
  assert.ok(Object.keys(module).length > 0, `${specifier} has exports (ESM)`);
}
console.log('smoke (ESM): ok');
