import type { SyncProgress } from '../../backends/sheets/sheets-sync.js';
import type { Command } from '../command.js';
import { ProgressBar } from '../progress-bar.js';
import { selectTargets } from './select-targets.js';

/**
 * `reposit sheets sync [name…]`: runs each named sync of the config
 * (`syncRepositories`), with a progress bar over the ids that changed. A sync that fails
 * part-way can be run again: it continues from the state it saved.
 *
 * @example
 * ```ts
 * await sheetsSync({ ...input, args: ['contacts'] });
 * // { ok: true, result: { syncs: [{ name: 'contacts', total: 3, copiedToSheet: 2, copiedToOther: 1, ... }] } }
 * ```
 */
export const sheetsSync: Command = async (input) => {
  const targets = selectTargets(input.loaded.config.sheets?.syncs, input.args, 'sheets.syncs', 'sheets sync');
  const { syncRepositories } = await import('../../backends/sheets/sheets-sync.js');
  const results: (SyncProgress & { name: string })[] = [];
  for (const [name, value] of targets) {
    if (input.signal.aborted) break;
    const options = await input.context.resolve(value);
    const bar = new ProgressBar(input.io.stderr, `sync ${name}`, { enabled: !input.json });
    try {
      const report = await syncRepositories({
        ...options,
        onProgress: (progress) => {
          options.onProgress?.(progress);
          bar.update(progress.processed, progress.total, `${progress.conflicts} conflict(s)`);
        },
      });
      results.push({ name, ...report });
    } finally {
      bar.finish();
    }
  }
  const stopped = input.signal.aborted && results.length < targets.length;
  return {
    ok: !stopped,
    result: { syncs: results, stopped },
    lines: results
      .map(
        (r) =>
          `sync ${r.name}: ${r.total} changed id(s); to sheet ${r.copiedToSheet} copied, ${r.deletedInSheet} deleted; ` +
          `to other ${r.copiedToOther} copied, ${r.deletedInOther} deleted; ${r.conflicts} conflict(s)`,
      )
      .concat(stopped ? ['Stopped by interrupt before every sync ran.'] : []),
  };
};
