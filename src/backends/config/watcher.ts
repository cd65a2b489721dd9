import { type FSWatcher, watch } from 'node:fs';
import { basename, dirname } from 'node:path';

/**
 * Options of {@link watchFile}.
 *
 * @example
 * ```ts
 * watchFile('config/local.yaml', reload, { debounceMs: 250, onError: (e) => log.warn(e) });
 * ```
 */
export interface WatchFileOptions {
  /**
   * Quiet time after the last event before `onChange` runs: editors and deploy tools
   * write a file in several steps (truncate, write, rename), and one reload should
   * follow them, not one per step.
   * @default 100
   */
  readonly debounceMs?: number;
  /** Called when the directory cannot be watched (never thrown). @default undefined */
  readonly onError?: (error: Error) => void;
}

/**
 * Watches one file with `fs.watch` on its directory (so a file that is created,
 * replaced by a rename, or deleted is noticed as well as one edited in place) and
 * calls `onChange` once per burst of events. Returns a function that stops watching.
 * A directory that does not exist is not watched.
 *
 * @example
 * ```ts
 * const stop = watchFile('config/local.yaml', () => reload(), { debounceMs: 50 });
 * // later
 * stop();
 * ```
 */
export function watchFile(path: string, onChange: () => void, options: WatchFileOptions = {}): () => void {
  const debounceMs = options.debounceMs ?? 100;
  const name = basename(path);
  let timer: NodeJS.Timeout | undefined;
  let watcher: FSWatcher;
  try {
    watcher = watch(dirname(path), { persistent: false }, (_event, file) => {
      if (file !== null && file.toString() !== name) return;
      clearTimeout(timer);
      timer = setTimeout(onChange, debounceMs);
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') options.onError?.(error as Error);
    return () => {};
  }
  watcher.on('error', (error) => options.onError?.(error));
  return () => {
    clearTimeout(timer);
    watcher.close();
  };
}
