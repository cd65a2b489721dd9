/**
 * `reposit/cli`: the typed config of the `reposit` command line tool
 * (`reposit migrate|health|cache warm|legacy backfill|sheets sync`). Importing it has no
 * side effects and loads no driver.
 *
 * @module
 */
export type {
  CacheWarmTarget,
  CliConfig,
  CliContext,
  CliMigrations,
  CliValue,
  WarmableRepository,
} from './cli-config.js';
export { defineCliConfig } from './cli-config.js';
export { CliUsageError } from './cli-usage-error.js';
