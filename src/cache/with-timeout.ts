import { TimeoutError } from '../errors.js';

/**
 * Races a promise against a timer; the timer never keeps the process alive.
 *
 * @example
 * ```ts
 * const value = await withTimeout(redis.get(key), 50, 'L2 GET');
 * ```
 */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  if (!Number.isFinite(ms) || ms <= 0) return promise;
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new TimeoutError(`${what} took longer than ${ms} ms`, { timeoutMs: ms }));
    }, ms);
    timer.unref();
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
