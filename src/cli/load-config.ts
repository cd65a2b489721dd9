import { access } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ValidationError } from '../errors.js';
import type { CliConfig } from './cli-config.js';
import { CliUsageError } from './cli-usage-error.js';

/**
 * The file names looked for in the working directory when no `--config` is given, in order.
 *
 * @example
 * ```ts
 * DEFAULT_CONFIG_FILES[0]; // 'reposit.config.js'
 * ```
 */
export const DEFAULT_CONFIG_FILES = [
  'reposit.config.js',
  'reposit.config.mjs',
  'reposit.config.cjs',
  'reposit.config.ts',
] as const;

const SECTIONS = new Set(['connection', 'migrations', 'redis', 'cache', 'caches', 'legacy', 'sheets']);

/**
 * A loaded config module: what it exports and where it lives (relative paths in it,
 * such as `migrations.dir`, are read from its folder).
 *
 * @example
 * ```ts
 * const loaded: LoadedCliConfig = { file: '/app/reposit.config.mjs', config: { migrations: { dir: './migrations' } } };
 * ```
 */
export interface LoadedCliConfig {
  readonly file: string;
  readonly config: CliConfig;
}

/**
 * Finds and imports the config module: the `--config` path, or the first of
 * {@link DEFAULT_CONFIG_FILES} in `cwd`. JavaScript modules load natively; a `.ts`
 * module needs a TypeScript loader in the process (`node --import tsx`), and without
 * one the error says so. A missing file is a {@link CliUsageError}; a module that fails
 * to load or exports no config object is a ValidationError.
 *
 * @example
 * ```ts
 * const { file, config } = await loadCliConfig('./config/reposit.config.mjs', process.cwd());
 * ```
 */
export async function loadCliConfig(configPath: string | undefined, cwd: string): Promise<LoadedCliConfig> {
  const file = configPath === undefined ? await findDefault(cwd) : path.resolve(cwd, configPath);
  if (!(await exists(file))) {
    throw new CliUsageError(`Config module ${file} does not exist`, 'reposit --help');
  }
  let loaded: Record<string, unknown>;
  try {
    loaded = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (error) {
    throw new ValidationError(loadFailure(file, error), [], { cause: error });
  }
  const config = pickConfig(loaded);
  if (!config) {
    throw new ValidationError(
      `Config module ${file} exports no config: export default defineCliConfig({ ... }) (from 'reposit/cli')`,
    );
  }
  const unknown = Object.keys(config).filter((key) => !SECTIONS.has(key));
  if (unknown.length > 0) {
    throw ValidationError.fromIssues(
      `Config module ${file} has unknown sections`,
      unknown.map((key) => ({
        path: key,
        message: `is not a config section (known: ${[...SECTIONS].join(', ')})`,
        code: 'unknown_field',
      })),
    );
  }
  return { file, config: config as CliConfig };
}

async function findDefault(cwd: string): Promise<string> {
  for (const name of DEFAULT_CONFIG_FILES) {
    const candidate = path.join(cwd, name);
    if (await exists(candidate)) return candidate;
  }
  throw new CliUsageError(
    `No config module found: looked for ${DEFAULT_CONFIG_FILES.join(', ')} in ${cwd}; pass --config <file>`,
    'reposit --help',
  );
}

function pickConfig(module: Record<string, unknown>): Record<string, unknown> | undefined {
  // A CommonJS module's exports arrive as `default`; an ES module may also export `config`.
  let candidate = module.default ?? module.config;
  if (isObject(candidate) && isObject(candidate.default) && !hasSection(candidate))
    candidate = candidate.default;
  return isObject(candidate) ? candidate : undefined;
}

function hasSection(value: Record<string, unknown>): boolean {
  return Object.keys(value).some((key) => SECTIONS.has(key));
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function loadFailure(file: string, error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  if (
    /\.[cm]?ts$/.test(file) &&
    (code === 'ERR_UNKNOWN_FILE_EXTENSION' || /Unknown file extension/.test(message))
  ) {
    return (
      `Config module ${file} is TypeScript, and this Node.js cannot load TypeScript by itself: ` +
      "run the command under a TypeScript loader (NODE_OPTIONS='--import tsx' npx reposit ...), " +
      'or compile the config to JavaScript (reposit.config.js / .mjs)'
    );
  }
  return `Config module ${file} failed to load: ${message}`;
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}
