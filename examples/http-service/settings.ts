/**
 * Where the servers are, read from the environment. Every one is optional: without
 * DATABASE_URL the service runs on an embedded PostgreSQL (PGlite), without REDIS_URL its
 * cache is memory only, so `npm run example:http` needs nothing installed.
 */
import { fileURLToPath } from 'node:url';

/** The servers and files the composition roots wire the service to. */
export interface ServiceSettings {
  /** The PostgreSQL primary. @default undefined (an embedded PGlite) */
  readonly databaseUrl?: string;
  /** Streaming replicas that take the reads. @default [] */
  readonly replicaUrls: readonly string[];
  /** The Redis of the L2 cache and the invalidation bus. @default undefined (L1 only) */
  readonly redisUrl?: string;
  /** The directory of the configuration files. @default this example's `config/` */
  readonly configDir: string;
  /** The variables the configuration reads (`NOTES_*`). @default process.env */
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** This example's own `config/` directory, wherever the process was started from. */
export const DEFAULT_CONFIG_DIR = fileURLToPath(new URL('./config', import.meta.url));

/**
 * Reads DATABASE_URL, REPLICA_URL (comma-separated for several) and REDIS_URL.
 *
 * @example
 * ```ts
 * readSettings({ DATABASE_URL: 'postgres://127.0.0.1/app', REPLICA_URL: 'postgres://127.0.0.1:5433/app' });
 * ```
 */
export function readSettings(
  env: Readonly<Record<string, string | undefined>> = process.env,
): ServiceSettings {
  const nonEmpty = (value: string | undefined) => (value?.trim() ? value.trim() : undefined);
  return {
    databaseUrl: nonEmpty(env.DATABASE_URL),
    replicaUrls: (env.REPLICA_URL ?? '')
      .split(',')
      .map((url) => url.trim())
      .filter(Boolean),
    redisUrl: nonEmpty(env.REDIS_URL),
    configDir: nonEmpty(env.NOTES_CONFIG_DIR) ?? DEFAULT_CONFIG_DIR,
    env,
  };
}
