// The package's entry points, read from `entries` in tsup.config.ts (the one list that
// the build, the exports map and the docs tools follow): `{ index: 'src/index.ts', … }`.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** `{ name: source }` for every entry; `index` is the package root. */
export function packageEntries() {
  const config = readFileSync(path.join(root, 'tsup.config.ts'), 'utf8');
  const block = /export const entries = \{([^}]*)\}/.exec(config)?.[1];
  if (!block) throw new Error('tsup.config.ts: no `export const entries = { … }` found');
  const entries = Object.fromEntries(
    [...block.matchAll(/([\w-]+)\s*:\s*['"]([^'"]+)['"]/g)].map((m) => [m[1], m[2]]),
  );
  if (!entries.index) throw new Error('tsup.config.ts: `entries` has no `index`');
  return entries;
}

/** `{ 'reposit': 'src/index.ts', 'reposit/postgres': … }`: the import specifiers. */
export function importSpecifiers(packageName = 'reposit') {
  return Object.fromEntries(
    Object.entries(packageEntries()).map(([name, source]) => [
      name === 'index' ? packageName : `${packageName}/${name}`,
      source,
    ]),
  );
}
