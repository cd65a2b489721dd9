/**
 * The part of a stream a {@link ProgressBar} draws on (`process.stderr` is one).
 *
 * @example
 * ```ts
 * const stream: ProgressStream = process.stderr;
 * ```
 */
export interface ProgressStream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

const REDRAW_EVERY_MS = 100;

/**
 * A one-line progress bar for long work, redrawn in place (at most ten times a second).
 * It draws only when `enabled` and the stream is a terminal: piped output and `--json`
 * runs stay free of control characters.
 *
 * @example
 * ```ts
 * const bar = new ProgressBar(process.stderr, 'backfill customers', { enabled: !json });
 * bar.update(250, 1000, '1,200 rows/s'); // backfill customers [=====>          ]  25% 250/1000 1,200 rows/s
 * bar.finish();
 * ```
 */
export class ProgressBar {
  readonly #stream: ProgressStream;
  readonly #label: string;
  readonly #active: boolean;
  #lastDraw = 0;
  #drawn = false;

  constructor(stream: ProgressStream, label: string, options: { enabled?: boolean } = {}) {
    this.#stream = stream;
    this.#label = label;
    this.#active = (options.enabled ?? true) && stream.isTTY === true;
  }

  /** Whether the bar draws at all. */
  get active(): boolean {
    return this.#active;
  }

  /** Shows `done` of `total` (and an optional note); the last call before `finish` always draws. */
  update(done: number, total: number, note = ''): void {
    if (!this.#active) return;
    const now = Date.now();
    if (done < total && now - this.#lastDraw < REDRAW_EVERY_MS) return;
    this.#lastDraw = now;
    this.#stream.write(
      `\r${renderProgressLine(this.#label, done, total, note, this.#stream.columns ?? 80)}\x1b[K`,
    );
    this.#drawn = true;
  }

  /** Ends the line the bar was drawn on. */
  finish(): void {
    if (this.#drawn) this.#stream.write('\n');
    this.#drawn = false;
  }
}

/**
 * One line of a progress bar, at most `width` characters.
 *
 * @example
 * ```ts
 * renderProgressLine('warm users', 5, 10, '', 60); // 'warm users [==========>          ]  50% 5/10'
 * ```
 */
export function renderProgressLine(
  label: string,
  done: number,
  total: number,
  note: string,
  width: number,
): string {
  const ratio = total > 0 ? Math.min(1, Math.max(0, done / total)) : 1;
  const percent = `${String(Math.floor(ratio * 100)).padStart(3)}%`;
  const counts = `${done}/${total}`;
  const tail = note === '' ? `${percent} ${counts}` : `${percent} ${counts} ${note}`;
  const room = width - label.length - tail.length - 4;
  if (room < 10) return `${label} ${tail}`.slice(0, Math.max(0, width - 1));
  const size = Math.min(30, room);
  const filled = Math.round(ratio * size);
  const bar =
    ratio >= 1
      ? '='.repeat(size)
      : `${'='.repeat(Math.max(0, filled - 1))}>${' '.repeat(size - Math.max(1, filled))}`;
  return `${label} [${bar}] ${tail}`;
}
