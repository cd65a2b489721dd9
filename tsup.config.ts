import { defineConfig } from 'tsup';

/**
 * One entry per subpath export; keep this list and package.json "exports" in step.
 * p-retry is ESM-only, so the CJS build bundles it rather than `require` an ES module.
 * The CJS build keeps `import()` as is (esbuild would turn it into `require`), so that
 * ESM-only optional peers such as vitest load lazily from CommonJS too.
 */
export const entries = {
  index: 'src/index.ts',
  postgres: 'src/backends/postgres/index.ts',
  sheets: 'src/backends/sheets/index.ts',
  redis: 'src/cache/redis/index.ts',
  testing: 'src/testing/index.ts',
  legacy: 'src/backends/legacy/index.ts',
  config: 'src/backends/config/index.ts',
  nestjs: 'src/nestjs/index.ts',
  'cli-config': 'src/cli/index.ts',
} as const;

/** The `reposit` command (package.json "bin"): ESM only; its hashbang comes from the source. */
const bin = { cli: 'src/cli/bin.ts' } as const;

export default defineConfig([
  {
    entry: { ...entries, ...bin },
    format: ['esm'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'node20',
    splitting: true,
    treeshake: true,
  },
  {
    entry: entries,
    format: ['cjs'],
    dts: true,
    sourcemap: true,
    target: 'node20',
    splitting: true,
    treeshake: true,
    noExternal: ['p-retry', 'is-network-error'],
    // import.meta.url (the optional require of @opentelemetry/api) becomes the file's URL.
    shims: true,
    esbuildOptions(options) {
      options.supported = { ...options.supported, 'dynamic-import': true };
    },
  },
]);
