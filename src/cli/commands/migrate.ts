import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { MigrationStep } from '../../backends/postgres/migrations/migration-error.js';
import type { PostgresMigrator } from '../../backends/postgres/migrations/postgres-migrator.js';
import { ValidationError } from '../../errors.js';
import type { CliMigrations } from '../cli-config.js';
import type { Command, CommandInput, CommandOutcome } from '../command.js';
import { migrationTemplate, timestampPrefix } from './migration-template.js';

/**
 * `reposit migrate up`: runs every pending migration (one transaction, under the
 * migration lock).
 *
 * @example
 * ```ts
 * await migrateUp(input); // { ok: true, result: { steps: [{ name, direction: 'up', status: 'done' }] } }
 * ```
 */
export const migrateUp: Command = async (input) =>
  stepsOutcome(await (await migrator(input)).latest(), 'Nothing to migrate: every migration has run.');

/**
 * `reposit migrate down`: undoes the last migration that ran.
 *
 * @example
 * ```ts
 * await migrateDown(input); // { ok: true, result: { steps: [{ name, direction: 'down', status: 'done' }] } }
 * ```
 */
export const migrateDown: Command = async (input) =>
  stepsOutcome(await (await migrator(input)).down(), 'Nothing to undo: no migration has run.');

/**
 * `reposit migrate status`: every migration, with when it ran (pending ones last).
 *
 * @example
 * ```ts
 * await migrateStatus(input); // { ok: true, result: { migrations: [{ name, executedAt }], pending: 1 } }
 * ```
 */
export const migrateStatus: Command = async (input) => {
  const migrations = await (await migrator(input)).status();
  const pending = migrations.filter((m) => m.executedAt === null).length;
  const width = Math.max(0, ...migrations.map((m) => m.name.length));
  return {
    ok: true,
    result: { migrations, pending },
    lines: [
      ...migrations.map(
        (m) => `${m.name.padEnd(width)}  ${m.executedAt ? m.executedAt.toISOString() : 'pending'}`,
      ),
      `${migrations.length} migration(s), ${pending} pending`,
    ],
  };
};

/**
 * `reposit migrate create <name>`: writes an empty migration into `migrations.dir`,
 * named with the current UTC time so that it sorts after the existing ones.
 *
 * @example
 * ```ts
 * await migrateCreate({ ...input, args: ['add_users'] }); // writes migrations/20240315_093000_add_users.ts
 * ```
 */
export const migrateCreate: Command = async (input) => {
  const settings = migrationSettings(input);
  if (settings.dir === undefined) {
    throw new ValidationError('migrate create needs a migrations folder to write to', [
      { path: 'migrations.dir', message: 'is required by migrate create', code: 'required' },
    ]);
  }
  const { parseMigrationName } = await import('../../backends/postgres/migrations/migration-name.js');
  const name = parseMigrationName(`${timestampPrefix(new Date())}_${input.args[0]}`).name;
  const extension = settings.extension ?? (/\.[cm]?ts$/.test(input.loaded.file) ? 'ts' : 'mjs');
  const folder = path.resolve(path.dirname(input.loaded.file), settings.dir);
  const file = path.join(folder, `${name}.${extension}`);
  await mkdir(folder, { recursive: true });
  // 'wx': never overwrite a migration that exists.
  await writeFile(file, migrationTemplate(extension), { flag: 'wx' });
  return {
    ok: true,
    result: { name, file },
    lines: [`Created ${path.relative(input.io.cwd, file) || file}`],
  };
};

function stepsOutcome(steps: readonly MigrationStep[], whenNone: string): CommandOutcome {
  return {
    ok: true,
    result: { steps },
    lines: steps.length === 0 ? [whenNone] : steps.map((step) => `${step.direction.padEnd(4)}  ${step.name}`),
  };
}

function migrationSettings(input: CommandInput): CliMigrations {
  const settings = input.loaded.config.migrations;
  if (!settings) {
    throw new ValidationError('The config module has no `migrations` section, which migrate needs', [
      {
        path: 'migrations',
        message: 'is required: { dir: "./migrations" } or { migrations: { ... } }',
        code: 'required',
      },
    ]);
  }
  return settings;
}

async function migrator(input: CommandInput): Promise<PostgresMigrator> {
  const settings = migrationSettings(input);
  const migrations =
    settings.migrations ??
    (settings.dir === undefined ? undefined : path.resolve(path.dirname(input.loaded.file), settings.dir));
  if (migrations === undefined) {
    throw new ValidationError("The config's `migrations` section names no migrations", [
      {
        path: 'migrations',
        message: 'needs dir (a folder) or migrations (a record or provider)',
        code: 'required',
      },
    ]);
  }
  const { PostgresMigrator } = await import('../../backends/postgres/migrations/postgres-migrator.js');
  const connections = await input.context.connections();
  // A round trip first: an unreachable database is then a ConnectionError that says so.
  await connections.query('select 1');
  return new PostgresMigrator({
    pool: connections.primaryPool,
    migrations,
    ...(settings.schema === undefined ? {} : { schema: settings.schema }),
    ...(settings.tableName === undefined ? {} : { tableName: settings.tableName }),
  });
}
