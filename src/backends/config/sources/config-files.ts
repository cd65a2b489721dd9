import { join } from 'node:path';
import { ValidationError } from '../../../errors.js';
import { FileSource } from './file-source.js';

/**
 * Options of {@link configFiles}.
 *
 * @example
 * ```ts
 * const options: ConfigFilesOptions = { dir: 'config', environment: 'staging', debounceMs: 50 };
 * ```
 */
export interface ConfigFilesOptions {
  /** The directory holding the files. @default 'config' */
  readonly dir?: string;
  /** The environment whose file is loaded after `default.*`. */
  readonly environment: string;
  /** Debounce of the file watchers, in milliseconds. @default 100 */
  readonly debounceMs?: number;
}

const EXTENSIONS = ['json', 'yaml', 'yml'] as const;

/**
 * The file layers, lowest to highest: `default.*`, `{environment}.*`, `local.*`; within
 * one base name `.json`, then `.yaml`, then `.yml`. Every file is optional, and one that
 * appears later is picked up by the watcher.
 *
 * @example
 * ```ts
 * configFiles({ dir: 'config', environment: 'production' }).map((f) => f.path);
 * // ['config/default.json', 'config/default.yaml', …, 'config/local.yml']
 * ```
 */
export function configFiles(options: ConfigFilesOptions): FileSource[] {
  const dir = options.dir ?? 'config';
  if (!/^[\w.-]+$/.test(options.environment)) {
    throw ValidationError.fromIssues('Invalid configuration environment', [
      {
        path: 'environment',
        message: `"${options.environment}" must be a plain name such as "production" (letters, digits, ".", "_", "-")`,
        code: 'invalid_environment',
      },
    ]);
  }
  const bases = ['default', options.environment, 'local'].filter((b, i, all) => all.indexOf(b) === i);
  return bases.flatMap((base) =>
    EXTENSIONS.map(
      (ext) =>
        new FileSource(join(dir, `${base}.${ext}`), { optional: true, debounceMs: options.debounceMs }),
    ),
  );
}
