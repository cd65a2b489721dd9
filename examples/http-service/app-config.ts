/**
 * The service's configuration: one zod schema, read by the ConfigurationRepository
 * from `config/default.yaml` (and `config/{NODE_ENV}.yaml`, `config/local.yaml`) and from
 * `NOTES_*` environment variables (`NOTES_CACHE__TTL_MS=5000` sets `cache.ttlMs`).
 */
import { z } from 'zod';
import { ConfigurationRepository } from '../../src/backends/config/index.js';

export const AppConfigSchema = z.object({
  service: z.object({ name: z.string().min(1).default('notes') }).prefault({}),
  database: z
    .object({
      /** The schema of the `notes` table; an identifier, because it is spliced into DDL. */
      schema: z
        .string()
        .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'a lower-case PostgreSQL identifier')
        .default('http_service'),
    })
    .prefault({}),
  cache: z
    .object({
      /** The prefix of every cache key in Redis, so services sharing a Redis never meet. */
      namespace: z.string().min(1).default('notes'),
      ttlMs: z.number().int().positive().default(60_000),
    })
    .prefault({}),
  notes: z
    .object({
      pageSize: z.number().int().min(1).max(100).default(20),
      cursorSecret: z.string().min(16).meta({ secret: true }).default('change-me-outside-of-development'),
    })
    .prefault({}),
});

/** The validated configuration, as `config.get()` returns it. */
export type AppConfig = ConfigurationRepository<typeof AppConfigSchema>;

/** Where configuration comes from. */
export interface ConfigSources {
  /** The directory of `default.yaml` and friends. */
  readonly configDir: string;
  /** The variables `NOTES_*` are read from. */
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** Loads and validates the configuration; a bad value fails the start with a ValidationError. */
export function loadAppConfig({ configDir, env }: ConfigSources): Promise<AppConfig> {
  return ConfigurationRepository.start({
    schema: AppConfigSchema,
    environment: env.NODE_ENV ?? 'development',
    files: { dir: configDir },
    env: { prefix: 'NOTES_', env },
  });
}
