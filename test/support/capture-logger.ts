import type { Logger } from '../../src/observability/logger.js';

/**
 * One line a {@link CaptureLogger} received.
 *
 * @example
 * ```ts
 * const [line] = logger.lines; // { level: 'warn', obj: { node: 'primary' }, message: '…' }
 * ```
 */
export interface CapturedLine {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly obj: object;
  readonly message: string | undefined;
}

/**
 * A Logger that keeps every line in memory, for assertions on what was logged.
 *
 * @example
 * ```ts
 * const logger = new CaptureLogger();
 * const db = new ConnectionManager({ primary: { connectionString }, logger });
 * expect(logger.matching('replica taken out').length).toBe(1);
 * ```
 */
export class CaptureLogger implements Logger {
  readonly lines: CapturedLine[] = [];
  debug(obj: object, message?: string): void {
    this.lines.push({ level: 'debug', obj, message });
  }
  info(obj: object, message?: string): void {
    this.lines.push({ level: 'info', obj, message });
  }
  warn(obj: object, message?: string): void {
    this.lines.push({ level: 'warn', obj, message });
  }
  error(obj: object, message?: string): void {
    this.lines.push({ level: 'error', obj, message });
  }
  /** Lines whose message contains `text`. */
  matching(text: string): CapturedLine[] {
    return this.lines.filter((line) => line.message?.includes(text));
  }
}
