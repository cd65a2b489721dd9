import type { BackfillResult } from '../../backends/legacy/backfill-job.js';
import type { Command } from '../command.js';
import { ProgressBar } from '../progress-bar.js';
import { selectTargets } from './select-targets.js';

/**
 * `reposit legacy backfill [name…]`: runs each named `BackfillJob` of the config, with a
 * progress bar (rows per second, time left). Ctrl-C stops after the current batch with
 * the checkpoint saved (exit 1, "stopped"); the next run continues from it.
 *
 * @example
 * ```ts
 * await legacyBackfill({ ...input, args: ['customers'] });
 * // { ok: true, result: { backfills: [{ name: 'customers', processed: 1000, inserted: 990, skipped: 10, ... }] } }
 * ```
 */
export const legacyBackfill: Command = async (input) => {
  const targets = selectTargets(
    input.loaded.config.legacy?.backfills,
    input.args,
    'legacy.backfills',
    'legacy backfill',
  );
  const { BackfillJob } = await import('../../backends/legacy/backfill-job.js');
  const results: (Omit<BackfillResult, 'resumedAfter'> & { name: string; resumedAfter?: unknown })[] = [];
  for (const [name, value] of targets) {
    if (input.signal.aborted) break;
    const options = await input.context.resolve(value);
    const bar = new ProgressBar(input.io.stderr, `backfill ${name}`, { enabled: !input.json });
    const job = new BackfillJob({
      ...options,
      signal: input.signal,
      onProgress: (progress) => {
        options.onProgress?.(progress);
        const eta = progress.etaMs === undefined ? '' : `, ${Math.ceil(progress.etaMs / 1000)} s left`;
        bar.update(progress.processed, progress.total, `${Math.round(progress.rowsPerSecond)} rows/s${eta}`);
      },
    });
    try {
      results.push({ name, ...(await job.run()) });
    } finally {
      bar.finish();
    }
  }
  const stopped = input.signal.aborted && (results.length < targets.length || results.some((r) => !r.done));
  return {
    ok: !stopped,
    result: { backfills: results, stopped },
    lines: [
      ...results.map(
        (r) =>
          `backfill ${r.name}: ${r.processed}/${r.total} processed (${r.inserted} inserted, ${r.skipped} skipped, ` +
          `${r.deadLettered} dead-lettered)${r.resumed ? `, resumed after ${String(r.resumedAfter)}` : ''}${r.done ? '' : ', NOT done'}`,
      ),
      ...(stopped
        ? ['Stopped by interrupt; the checkpoint is saved: run the command again to continue.']
        : []),
    ],
  };
};
