// Runs a TypeScript benchmark: bundles it with esbuild (packages stay external) into
// .tmp/ and executes it with the same Node. Usage: node bench/run.mjs bench/cache.bench.ts
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';

const entry = process.argv[2];
if (!entry) {
  console.error('usage: node bench/run.mjs <bench file>');
  process.exit(2);
}
mkdirSync('.tmp', { recursive: true });
const outfile = path.join('.tmp', `${path.basename(entry, '.ts')}.mjs`);
await build({
  entryPoints: [entry],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  logLevel: 'error',
});
const result = spawnSync(process.execPath, [outfile, ...process.argv.slice(3)], { stdio: 'inherit' });
process.exit(result.status ?? 1);
