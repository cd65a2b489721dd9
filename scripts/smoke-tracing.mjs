// Both builds with and without @opentelemetry/api resolvable: the optional peer is found
// when installed, and its absence costs nothing but the spans.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const blocker = fileURLToPath(
  new URL('../test/integration/observability/fixtures/block-opentelemetry.cjs', import.meta.url),
);
const work = `
  const cache = new CacheManager({ namespace: 'smoke' });
  const value = await cache.getOrLoad('k', async () => 7);
  await cache.close();
  console.log(JSON.stringify({ status: tracingStatus(), value }));
`;
const programs = {
  esm: ['--input-type=module', '-e', `import { CacheManager, tracingStatus } from 'reposit'; ${work}`],
  cjs: ['-e', `const { CacheManager, tracingStatus } = require('reposit'); (async () => { ${work} })();`],
};
for (const [build, args] of Object.entries(programs)) {
  for (const [blocked, expected] of [
    [false, 'opentelemetry'],
    [true, 'unavailable'],
  ]) {
    const output = execFileSync(process.execPath, [...(blocked ? ['--require', blocker] : []), ...args], {
      encoding: 'utf8',
    });
    assert.deepEqual(JSON.parse(output), { status: expected, value: 7 }, `${build}, api blocked: ${blocked}`);
  }
}
console.log('smoke (tracing, ESM and CJS, with and without @opentelemetry/api): ok');
