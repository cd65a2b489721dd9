import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { temporaryDirectory } from '../../support/legacy-widgets.js';
import { freePort } from '../../support/redis-server.js';
import { bundleCli, type CliBundle, runReposit, succeeded } from './run-reposit.js';

let bundle: CliBundle;
let folder: { path: string; remove: () => Promise<void> };

beforeAll(async () => {
  [bundle, folder] = await Promise.all([bundleCli(), temporaryDirectory()]);
});
afterAll(async () => {
  await folder?.remove();
});

/** Writes a config module into its own folder and returns the folder and the file. */
async function configModule(name: string, text: string): Promise<{ dir: string; file: string }> {
  const dir = path.join(folder.path, `${name.replace(/\W/g, '_')}-${Math.random().toString(36).slice(2, 8)}`);
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, name);
  await writeFile(file, text);
  return { dir, file };
}

describe('reposit usage errors (exit 2)', () => {
  it('prints help, top-level and per command', async () => {
    const top = await runReposit(bundle.cli, ['--help']);
    succeeded(top);
    expect(top.stdout).toContain('Usage: reposit <command> [options]');
    expect(top.stdout).toContain('legacy backfill [name...]');
    const none = await runReposit(bundle.cli, []);
    succeeded(none);
    expect(none.stdout).toBe(top.stdout);
    const migrate = await runReposit(bundle.cli, ['migrate', '--help']);
    succeeded(migrate);
    expect(migrate.stdout).toContain('Usage: reposit migrate <up|down|status|create <name>>');
  });

  it('names an unknown command and the help to read', async () => {
    const run = await runReposit(bundle.cli, ['migrate', 'sideways']);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(
      'reposit: Unknown command "migrate sideways" (commands: migrate up, migrate down',
    );
    expect(run.stderr).toContain('See `reposit migrate --help`.');
    const json = await runReposit(bundle.cli, ['frobnicate', '--json']);
    expect(json.code).toBe(2);
    expect(json.json()).toMatchObject({ ok: false, error: { name: 'CliUsageError', code: 'E_CLI_USAGE' } });
    expect(json.stderr).toBe('');
  });

  it('names an unknown option', async () => {
    const run = await runReposit(bundle.cli, ['health', '--jsn']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^reposit: Unknown option '--jsn'/m);
  });

  it('says where it looked for the config module', async () => {
    const missing = await runReposit(bundle.cli, ['health', '--config', 'nowhere/reposit.config.mjs']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(
      `Config module ${fileURLToPath(new URL('nowhere/reposit.config.mjs', import.meta.url))} does not exist`,
    );
    const empty = await runReposit(bundle.cli, ['health'], {}, { cwd: folder.path });
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain(
      `No config module found: looked for reposit.config.js, reposit.config.mjs, reposit.config.cjs, reposit.config.ts in ${folder.path}`,
    );
  });
});

describe('reposit config modules', () => {
  it('finds reposit.config.mjs in the working directory', async () => {
    const { dir } = await configModule(
      'reposit.config.mjs',
      "export default { migrations: { dir: './migrations' } };\n",
    );
    const run = await runReposit(bundle.cli, ['migrate', 'create', 'first', '--json'], {}, { cwd: dir });
    succeeded(run);
    expect(await readdir(path.join(dir, 'migrations'))).toEqual([
      expect.stringMatching(/^\d{8}_\d{6}_first\.mjs$/),
    ]);
  });

  it('loads a CommonJS config module', async () => {
    const { dir, file } = await configModule(
      'reposit.config.cjs',
      "module.exports = { migrations: { dir: 'm' } };\n",
    );
    const run = await runReposit(bundle.cli, ['-c', file, 'migrate', 'create', 'from_cjs']);
    succeeded(run);
    expect(await readdir(path.join(dir, 'm'))).toEqual([expect.stringMatching(/_from_cjs\.mjs$/)]);
  });

  it('explains how to load a TypeScript config module, and loads it under tsx', async () => {
    const { dir, file } = await configModule(
      'reposit.config.ts',
      "const config = { migrations: { dir: './migrations' } } satisfies Record<string, unknown>;\nexport default config;\n",
    );
    const plain = await runReposit(bundle.cli, ['-c', file, 'migrate', 'create', 'typed']);
    expect(plain.code).toBe(1);
    expect(plain.stderr).toContain(
      `Config module ${file} is TypeScript, and this Node.js cannot load TypeScript by itself`,
    );
    expect(plain.stderr).toContain("NODE_OPTIONS='--import tsx' npx reposit");

    const loaded = await runReposit(
      bundle.cli,
      ['-c', file, 'migrate', 'create', 'typed'],
      {},
      { nodeArgs: ['--import', 'tsx'] },
    );
    expect(loaded.stderr).toBe('');
    succeeded(loaded);
    // A TypeScript config gets TypeScript migrations.
    expect(await readdir(path.join(dir, 'migrations'))).toEqual([expect.stringMatching(/_typed\.ts$/)]);
  });

  it('reports a module that fails to load, exports nothing, or has unknown sections (exit 1)', async () => {
    const throwing = await configModule('broken.mjs', "throw new Error('config exploded');\n");
    const broken = await runReposit(bundle.cli, ['-c', throwing.file, 'health']);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toContain(
      `reposit: Config module ${throwing.file} failed to load: config exploded`,
    );

    const empty = await configModule('empty.mjs', 'export const unrelated = 1;\n');
    const nothing = await runReposit(bundle.cli, ['-c', empty.file, 'health']);
    expect(nothing.code).toBe(1);
    expect(nothing.stderr).toContain('exports no config: export default defineCliConfig({ ... })');

    const typo = await configModule('typo.mjs', 'export default { conection: {}, migrations: {} };\n');
    const unknown = await runReposit(bundle.cli, ['-c', typo.file, 'health', '--json']);
    expect(unknown.code).toBe(1);
    expect(unknown.json()).toMatchObject({
      ok: false,
      error: { code: 'E_VALIDATION', issues: [{ path: 'conection', code: 'unknown_field' }] },
    });
  });

  it('says which section a command needs', async () => {
    const { file } = await configModule('bare.mjs', 'export default { cache: {} };\n');
    const run = await runReposit(bundle.cli, ['-c', file, 'migrate', 'status']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      'reposit: The config module has no `migrations` section, which migrate needs',
    );
    const warm = await runReposit(bundle.cli, ['-c', file, 'cache', 'warm']);
    expect(warm.code).toBe(1);
    expect(warm.stderr).toContain('reposit: The config module has nothing for cache warm: `caches` is empty');
  });
});

describe('reposit with an unreachable database', () => {
  it('fails with a ConnectionError that names the node, not the connection string', async () => {
    const port = await freePort();
    const { file } = await configModule(
      'unreachable.mjs',
      `export default { connection: { primary: { connectionString: 'postgres://app:s3cret@127.0.0.1:${port}/app' }, connectTimeoutMs: 2000 }, migrations: { dir: 'm' } };\n`,
    );
    const run = await runReposit(bundle.cli, ['-c', file, 'migrate', 'status']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('reposit: The connection to primary was refused');
    expect(run.stderr).toContain('(ConnectionError, code E_CONNECTION, retryable)');
    expect(run.stderr).not.toContain('s3cret');
    const json = await runReposit(bundle.cli, ['-c', file, 'migrate', 'up', '--json']);
    expect(json.code).toBe(1);
    expect(json.json()).toMatchObject({ ok: false, command: 'migrate up', error: { code: 'E_CONNECTION' } });
  });
});
