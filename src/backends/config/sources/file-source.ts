import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { ConfigIssue, ConfigSource, SourceSnapshot } from '../config-source.js';
import { isPlainObject } from '../object-path.js';
import { watchFile } from '../watcher.js';

/**
 * Options of {@link FileSource}.
 *
 * @example
 * ```ts
 * new FileSource('/run/secrets/app.json', { name: 'mounted secrets', optional: false });
 * ```
 */
export interface FileSourceOptions {
  /** Shown by `explain()` and in validation messages. @default `file <path>` */
  readonly name?: string;
  /** Whether a missing file is an empty layer rather than a problem. @default true */
  readonly optional?: boolean;
  /** Debounce of the file watcher, in milliseconds. @default 100 */
  readonly debounceMs?: number;
}

/**
 * One configuration file, JSON (`.json`) or YAML (`.yaml`, `.yml`). Its top level must
 * be a mapping. A file that does not parse is reported as an issue naming the file and
 * the line, never with the file's content (it may hold secrets).
 *
 * @example
 * ```ts
 * const local = new FileSource('config/local.yaml');
 * const { data, issues } = await local.load();
 * ```
 */
export class FileSource implements ConfigSource {
  readonly name: string;
  readonly path: string;
  readonly #optional: boolean;
  readonly #debounceMs: number;

  constructor(path: string, options: FileSourceOptions = {}) {
    this.path = path;
    this.name = options.name ?? `file ${path}`;
    this.#optional = options.optional ?? true;
    this.#debounceMs = options.debounceMs ?? 100;
  }

  async load(): Promise<SourceSnapshot> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' && this.#optional) return { data: {} };
      return this.#problem(`cannot be read (${code ?? 'error'})`, 'unreadable');
    }
    let parsed: unknown;
    try {
      parsed = this.#isYaml() ? parseYaml(text) : JSON.parse(text);
    } catch (error) {
      return this.#problem(`does not parse: ${describeParseError(error, text)}`, 'parse_error');
    }
    if (parsed === null || parsed === undefined) return { data: {} };
    if (!isPlainObject(parsed))
      return this.#problem('must contain a mapping at the top level', 'invalid_type');
    return { data: parsed };
  }

  watch(onChange: () => void): () => void {
    return watchFile(this.path, onChange, { debounceMs: this.#debounceMs });
  }

  #isYaml(): boolean {
    const ext = extname(this.path).toLowerCase();
    return ext === '.yaml' || ext === '.yml';
  }

  #problem(message: string, code: string): SourceSnapshot {
    const issue: ConfigIssue = { path: '', message: `${this.path} ${message}`, code, source: this.name };
    return { data: {}, issues: [issue] };
  }
}

/** Where a parse failed, without echoing the text around it. */
function describeParseError(error: unknown, text: string): string {
  const linePos = (error as { linePos?: [{ line: number; col: number }] }).linePos?.[0];
  if (linePos) return `YAML error at line ${linePos.line}, column ${linePos.col}`;
  const position = /position (\d+)/.exec(String((error as Error).message))?.[1];
  if (position === undefined) return 'invalid JSON';
  const before = text.slice(0, Number(position));
  const line = before.split('\n').length;
  const col = Number(position) - before.lastIndexOf('\n');
  return `invalid JSON at line ${line}, column ${col}`;
}
