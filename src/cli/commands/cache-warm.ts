import { UnavailableError, ValidationError } from '../../errors.js';
import type { CacheWarmTarget } from '../cli-config.js';
import type { Command } from '../command.js';
import { ProgressBar } from '../progress-bar.js';
import { selectTargets } from './select-targets.js';

/**
 * `reposit cache warm [name…]`: for each target, loads its ids (the configured ones, or
 * every row's) through the repository's `warm`, so that the cache is filled by the
 * repository's own read path. Fails when the CLI's cache reported L2 (Redis) errors
 * while warming: a warm that reached only memory would be worth nothing.
 *
 * @example
 * ```ts
 * await cacheWarm({ ...input, args: ['users'] }); // { ok: true, result: { targets: [{ name: 'users', ids: 1000 }] } }
 * ```
 */
export const cacheWarm: Command = async (input) => {
  const targets = selectTargets(input.loaded.config.caches, input.args, 'caches', 'cache warm');
  const l2Errors: string[] = [];
  const watched = input.loaded.config.redis === undefined ? undefined : await input.context.cache();
  const stopWatching = watched?.events.on('error', ({ tier, operation, error }) => {
    if (tier === 'l2')
      l2Errors.push(`${operation}: ${error instanceof Error ? error.message : String(error)}`);
  });
  const results: { name: string; ids: number; durationMs: number }[] = [];
  try {
    for (const [name, value] of targets) {
      if (input.signal.aborted) break;
      const target = await input.context.resolve(value);
      assertTarget(name, target);
      const started = performance.now();
      const ids = await idsOf(target);
      const bar = new ProgressBar(input.io.stderr, `warm ${name}`, { enabled: !input.json });
      await target.repository.warm(
        ids,
        ({ done, total }) => bar.update(done, total),
        target.chunkSize ?? 500,
      );
      bar.finish();
      results.push({ name, ids: ids.length, durationMs: Math.round(performance.now() - started) });
    }
    await watched?.settle();
  } finally {
    stopWatching?.();
  }
  if (l2Errors.length > 0) {
    throw new UnavailableError(
      `cache warm: ${l2Errors.length} Redis (L2) operation(s) failed, so the cache is not warm: ${l2Errors[0]}`,
    );
  }
  const stopped = input.signal.aborted && results.length < targets.length;
  return {
    ok: !stopped,
    result: { targets: results, stopped },
    lines: [
      ...results.map((r) => `warmed ${r.name}: ${r.ids} id(s) in ${r.durationMs} ms`),
      ...(stopped ? ['Stopped by interrupt before every target was warmed.'] : []),
    ],
  };
};

async function idsOf(target: CacheWarmTarget): Promise<readonly unknown[]> {
  if (target.ids !== undefined) return typeof target.ids === 'function' ? await target.ids() : target.ids;
  const idField = target.idField ?? 'id';
  const ids: unknown[] = [];
  for await (const row of target.repository.stream({}, { batchSize: target.chunkSize ?? 500 })) {
    ids.push((row as Record<string, unknown>)[idField]);
  }
  return ids;
}

function assertTarget(name: string, target: CacheWarmTarget): void {
  const repository = target?.repository as Partial<CacheWarmTarget['repository']> | undefined;
  if (typeof repository?.warm !== 'function' || typeof repository.stream !== 'function') {
    throw new ValidationError(`caches.${name} is not a cache warm target`, [
      {
        path: `caches.${name}.repository`,
        message: 'must be a repository (warm and stream), e.g. a BaseRepository',
        code: 'invalid_type',
      },
    ]);
  }
}
