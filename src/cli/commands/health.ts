import type { Redis } from 'ioredis';
import type { ConnectionManagerOptions } from '../../connection/connection-options.js';
import type { CliConfig } from '../cli-config.js';
import type { Command, CommandInput } from '../command.js';
import { describeNodeAddress } from './node-address.js';

/** One checked part: whether it answered, how fast, and why not. */
interface Check {
  readonly ok: boolean;
  readonly latencyMs?: number;
  readonly error?: string;
}

/**
 * `reposit health`: a round trip to the primary, every replica's state and lag (from
 * the ConnectionManager's own health check), a PING to Redis and a metadata read of
 * each configured spreadsheet. Parts the config does not configure are reported as
 * `null` (skipped); any part that is down makes the command fail (exit 1), with the
 * full report still printed.
 *
 * @example
 * ```ts
 * await health(input);
 * // { ok: true, result: { primary: { ok: true, latencyMs: 1.2, address: '127.0.0.1:5432' },
 * //   replicas: [{ name: 'replica:0', ok: true, lagMs: 0, address: '127.0.0.1:5433' }], redis: { ok: true, latencyMs: 0.4 }, sheets: null } }
 * ```
 */
export const health: Command = async (input) => {
  const { config } = input.loaded;
  const [database, redis, sheets] = await Promise.all([
    config.connection === undefined ? undefined : checkDatabase(input),
    config.redis === undefined
      ? undefined
      : timed(async () => void (await pingRedis(await input.context.redis()))),
    config.sheets?.client === undefined ? undefined : checkSheets(input, config),
  ]);
  const result = {
    primary: database?.primary ?? null,
    replicas: database?.replicas ?? null,
    redis: redis ?? null,
    sheets: sheets ?? null,
  };
  const parts: Check[] = [
    ...(database ? [database.primary, ...database.replicas] : []),
    ...(redis ? [redis] : []),
    ...(sheets ?? []),
  ];
  const ok = parts.length > 0 && parts.every((part) => part.ok);
  const lines = [
    ...(database
      ? [
          line('primary', database.primary),
          ...database.replicas.map((r) => line(r.name, r, `lag ${r.lagMs} ms`)),
        ]
      : ['database  not configured']),
    redis ? line('redis', redis) : 'redis  not configured',
    ...(sheets ? sheets.map((s) => line(`sheet ${s.spreadsheetId}`, s)) : ['sheets  not configured']),
    parts.length === 0
      ? 'Nothing to check: the config has no connection, redis or sheets.client'
      : ok
        ? 'healthy'
        : 'UNHEALTHY',
  ];
  return { ok, result: { ok, ...result }, lines };
};

async function checkDatabase(input: CommandInput) {
  let connections: Awaited<ReturnType<CommandInput['context']['connections']>>;
  try {
    connections = await input.context.connections();
  } catch (error) {
    return { primary: { ok: false, error: messageOf(error) }, replicas: [] };
  }
  // Addresses are known only from settings; a ConnectionManager passed in does not tell them.
  const setting = await input.context.connectionSetting();
  const options =
    setting === undefined || setting === connections ? undefined : (setting as ConnectionManagerOptions);
  const primary = {
    ...(await timed(async () => void (await connections.query('select 1')))),
    ...describeNodeAddress(options?.primary),
  };
  const stats = await connections.checkHealth();
  const replicaConfigs = options?.replicas ?? [];
  const replicas = stats.nodes
    .filter((node) => node.role === 'replica')
    .map((node, index) => ({
      name: node.name,
      ok: node.healthy,
      lagMs: node.lagMs,
      ...describeNodeAddress(replicaConfigs[index]),
      ...(node.healthy
        ? {}
        : { error: 'out of read rotation (unreachable, or lagging past maxReplicaLagMs)' }),
    }));
  return { primary, replicas };
}

async function checkSheets(input: CommandInput, config: CliConfig) {
  const sheets = config.sheets!;
  const client = await input.context.resolve(sheets.client!);
  return Promise.all(
    (sheets.spreadsheets ?? []).map(async (spreadsheetId) => ({
      spreadsheetId,
      ...(await timed(
        async () => void (await client.spreadsheets.get({ spreadsheetId, fields: 'spreadsheetId' })),
      )),
    })),
  );
}

async function pingRedis(redis: Redis): Promise<void> {
  // A client that cannot connect rejects with "Connection is closed"; the reason (refused,
  // unknown host, auth) arrives as an 'error' event: report that instead.
  let reason: Error | undefined;
  const remember = (error: Error) => {
    reason ??= error;
  };
  redis.on('error', remember);
  try {
    const answer = await redis.ping();
    if (answer !== 'PONG') throw new Error(`Redis answered PING with ${String(answer)}`);
  } catch (error) {
    throw reason ?? error;
  } finally {
    redis.off('error', remember);
  }
}

async function timed(check: () => Promise<void>): Promise<Check> {
  const started = performance.now();
  try {
    await check();
    return { ok: true, latencyMs: Math.round((performance.now() - started) * 10) / 10 };
  } catch (error) {
    return { ok: false, error: messageOf(error) };
  }
}

function line(name: string, check: Check & { address?: string }, extra = ''): string {
  const where = check.address ? ` (${check.address})` : '';
  if (!check.ok) return `${name}${where}  DOWN: ${check.error}`;
  const details = [check.latencyMs === undefined ? '' : `${check.latencyMs} ms`, extra].filter(
    (d) => d !== '',
  );
  return `${name}${where}  up${details.length > 0 ? ` ${details.join(', ')}` : ''}`;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
