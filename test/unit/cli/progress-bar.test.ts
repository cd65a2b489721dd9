import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ProgressBar, renderProgressLine } from '../../../src/cli/progress-bar.js';

/** A real stream that keeps what was written, claiming to be a terminal (or not). */
function terminal(isTTY: boolean): Writable & { isTTY: boolean; columns: number; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(String(chunk));
      done();
    },
  }) as Writable & { isTTY: boolean; columns: number; text: () => string };
  stream.isTTY = isTTY;
  stream.columns = 80;
  stream.text = () => chunks.join('');
  return stream;
}

describe('renderProgressLine', () => {
  it('draws a bar, the percentage and the counts within the width', () => {
    expect(renderProgressLine('warm users', 5, 10, '', 60)).toBe(
      `warm users [${'='.repeat(14)}>${' '.repeat(15)}]  50% 5/10`,
    );
    expect(renderProgressLine('x', 0, 10, '', 60)).toBe(`x [>${' '.repeat(29)}]   0% 0/10`);
    expect(renderProgressLine('x', 10, 10, 'done', 60)).toBe(`x [${'='.repeat(30)}] 100% 10/10 done`);
    for (const width of [20, 40, 80, 200]) {
      expect(renderProgressLine('backfill customers', 3, 7, '120 rows/s', width).length).toBeLessThanOrEqual(
        width,
      );
    }
  });

  it('treats nothing to do as complete, and never goes past 100%', () => {
    expect(renderProgressLine('x', 0, 0, '', 60)).toContain('100% 0/0');
    expect(renderProgressLine('x', 12, 10, '', 60)).toContain('100% 12/10');
  });
});

describe('ProgressBar', () => {
  it('draws in place on a terminal and ends its line', () => {
    const stream = terminal(true);
    const bar = new ProgressBar(stream, 'sync', { enabled: true });
    expect(bar.active).toBe(true);
    bar.update(1, 2);
    bar.update(2, 2, 'ok');
    bar.finish();
    const text = stream.text();
    expect(text.startsWith('\rsync [')).toBe(true);
    expect(text).toContain('100% 2/2 ok');
    expect(text.endsWith('\n')).toBe(true);
  });

  it('draws nothing when the stream is not a terminal, or when disabled (--json)', () => {
    for (const [isTTY, enabled] of [
      [false, true],
      [true, false],
    ] as const) {
      const stream = terminal(isTTY);
      const bar = new ProgressBar(stream, 'sync', { enabled });
      bar.update(1, 2);
      bar.update(2, 2);
      bar.finish();
      expect(bar.active).toBe(false);
      expect(stream.text()).toBe('');
    }
  });
});
