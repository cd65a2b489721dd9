import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SheetsEmulator, startSheetsEmulator } from '../../../src/testing/index.js';
import { createTestSchema, type TestSchema } from '../../support/postgres.js';
import { freePort } from '../../support/redis-server.js';
import { connectReplica } from '../../support/replica.js';
import { databaseUrl, redisUrl, replicaUrl } from '../../support/services.js';
import { bundleCli, type CliBundle, runReposit, succeeded } from './run-reposit.js';

let bundle: CliBundle;
let schema: TestSchema;
let emulator: SheetsEmulator;
let spreadsheetId: string;

beforeAll(async () => {
  // Fails loudly (never skips) when the replica of scripts/start-replica.sh is not running.
  const replica = await connectReplica();
  await replica.end();
  [bundle, schema, emulator] = await Promise.all([
    bundleCli(),
    createTestSchema('cli_health'),
    startSheetsEmulator(),
  ]);
  spreadsheetId = emulator.createSpreadsheet({ sheets: ['Widgets'] });
});
afterAll(async () => {
  await schema?.drop();
  await emulator?.close();
});

interface HealthReport {
  ok: boolean;
  command: string;
  result: {
    ok: boolean;
    primary: { ok: boolean; latencyMs?: number; address?: string; error?: string } | null;
    replicas: { name: string; ok: boolean; lagMs: number; address?: string }[] | null;
    redis: { ok: boolean; latencyMs?: number; error?: string } | null;
    sheets: { spreadsheetId: string; ok: boolean; error?: string }[] | null;
  };
}

const reposit = (env: Record<string, string>, ...args: string[]) =>
  runReposit(bundle.cli, ['--config', bundle.config, 'health', ...args], env);

describe('reposit health', () => {
  it('reports the primary, the replica with its lag, Redis and the spreadsheet', async () => {
    const run = await reposit(
      {
        CLI_DATABASE_URL: databaseUrl(),
        CLI_REPLICA_URL: replicaUrl(),
        CLI_SCHEMA: schema.name,
        CLI_REDIS_URL: redisUrl(),
        CLI_SHEETS_ROOT_URL: emulator.rootUrl,
        CLI_SPREADSHEET_ID: spreadsheetId,
      },
      '--json',
    );
    expect(run.stderr).toBe('');
    succeeded(run);
    const report = run.json<HealthReport>();
    expect(report).toMatchObject({ ok: true, command: 'health', result: { ok: true } });
    const { primary, replicas, redis, sheets } = report.result;
    expect(primary).toMatchObject({
      ok: true,
      address: `${new URL(databaseUrl()).hostname}:${new URL(databaseUrl()).port || 5432}`,
    });
    expect(primary!.latencyMs).toBeGreaterThanOrEqual(0);
    expect(replicas).toHaveLength(1);
    expect(replicas![0]).toMatchObject({
      name: 'replica:0',
      ok: true,
      address: `${new URL(replicaUrl()).hostname}:${new URL(replicaUrl()).port}`,
    });
    expect(replicas![0]!.lagMs).toBeGreaterThanOrEqual(0);
    expect(redis).toMatchObject({ ok: true });
    expect(sheets).toEqual([{ spreadsheetId, ok: true, latencyMs: expect.any(Number) }]);
    // Never a connection string or user in the report.
    expect(run.stdout).not.toContain('postgres://');
  });

  it('prints a readable report, and skips what the config does not configure', async () => {
    const run = await reposit({ CLI_DATABASE_URL: databaseUrl(), CLI_SCHEMA: schema.name });
    succeeded(run);
    expect(run.stdout).toMatch(/^primary \(.+:\d+\) {2}up [\d.]+ ms$/m);
    expect(run.stdout).toContain('redis  not configured');
    expect(run.stdout).toContain('sheets  not configured');
    expect(run.stdout.trimEnd().split('\n').at(-1)).toBe('healthy');
  });

  it('exits 1 and says which part is down, still reporting the rest', async () => {
    const [deadDatabase, deadRedis] = [await freePort(), await freePort()];
    const run = await reposit(
      {
        CLI_DATABASE_URL: `postgres://postgres@127.0.0.1:${deadDatabase}/test`,
        CLI_REDIS_URL: `redis://127.0.0.1:${deadRedis}`,
        CLI_SHEETS_ROOT_URL: emulator.rootUrl,
        CLI_SPREADSHEET_ID: 'no-such-spreadsheet',
      },
      '--json',
    );
    expect(run.code).toBe(1);
    const { ok, result } = run.json<HealthReport>();
    expect(ok).toBe(false);
    expect(result.primary).toMatchObject({ ok: false, address: `127.0.0.1:${deadDatabase}` });
    expect(result.primary!.error).toMatch(/connect|ECONNREFUSED/i);
    expect(result.redis).toMatchObject({ ok: false });
    expect(result.redis!.error).toMatch(/ECONNREFUSED|connect|Connection is closed/i);
    expect(result.sheets).toEqual([
      { spreadsheetId: 'no-such-spreadsheet', ok: false, error: expect.any(String) },
    ]);

    const human = await reposit({ CLI_DATABASE_URL: `postgres://postgres@127.0.0.1:${deadDatabase}/test` });
    expect(human.code).toBe(1);
    expect(human.stdout).toMatch(/^primary \(127\.0\.0\.1:\d+\) {2}DOWN: /m);
    expect(human.stdout.trimEnd().split('\n').at(-1)).toBe('UNHEALTHY');
  });
});
