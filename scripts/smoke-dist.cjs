// Requires the built package from CommonJS, as a user would, and checks cross-build
// instanceof in the other direction.
const assert = require('node:assert/strict');
const { readFileSync } = require('node:fs');
const path = require('node:path');

const cjs = require('reposit');

async function main() {
  const esm = await import('reposit');
  const fromEsm = new esm.ValidationError('from esm');
  assert.ok(fromEsm instanceof cjs.ValidationError, 'ESM error is a CJS ValidationError');
  assert.ok(fromEsm instanceof cjs.RepositoryError, 'ESM error is a CJS RepositoryError');
  const { exports } = JSON.parse(readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8'));
  for (const subpath of Object.keys(exports)) {
    if (subpath === './package.json') continue;
    const specifier = subpath === '.' ? 'reposit' : `reposit/${subpath.slice(2)}`;
    const mod = require(specifier);
    assert.ok(Object.keys(mod).length > 0, `${specifier} has exports (CJS)`);
  }
  console.log('smoke (CJS): ok');
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
