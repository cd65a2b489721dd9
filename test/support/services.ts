/**
 * Where the tests find their services: environment variables first, then the local
 * defaults. Never an address off this machine.
 */
export const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/test';
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

/** The PostgreSQL connection string tests use. */
export function databaseUrl(): string {
  return process.env.TEST_DATABASE_URL ?? DEFAULT_DATABASE_URL;
}

/** The Redis URL tests use. */
export function redisUrl(): string {
  return process.env.TEST_REDIS_URL ?? DEFAULT_REDIS_URL;
}

/** The streaming replica's connection string (started by scripts/start-replica.sh). */
export function replicaUrl(): string {
  return process.env.TEST_REPLICA_URL ?? 'postgres://postgres@127.0.0.1:5433/test';
}

/** PgBouncer in transaction pooling mode in front of the primary (scripts/start-pgbouncer.sh). */
export function pgbouncerUrl(): string {
  return process.env.TEST_PGBOUNCER_URL ?? 'postgres://postgres@127.0.0.1:6432/test';
}

/** A name unique to this test file and run, usable as a schema name or key prefix. */
export function uniqueName(prefix: string): string {
  const random = Math.random().toString(36).slice(2, 8);
  return `${prefix}_${process.pid}_${Date.now().toString(36)}_${random}`.toLowerCase();
}
