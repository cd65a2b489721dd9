import type { Redis } from 'ioredis';

/**
 * A reference point for the concurrency-32 L2 read, not a baseline: the least a coalescing
 * reader can do with the same ioredis client. Reads made in one tick go out as MGETs of at
 * most 16 keys (reposit's batch size) and each value is parsed (JSON.parse unless told
 * otherwise); nothing else — no L1,
 * no envelope or TTL, no timeout, breaker or freezing. What reposit pays beyond it is the
 * price of those.
 *
 * @example
 * ```ts
 * const read = minimalCoalescer(redis);
 * const row = await read('bench:raw:1');
 * ```
 */
export function minimalCoalescer(
  redis: Redis,
  parse: (text: string) => unknown = JSON.parse,
): (key: string) => Promise<unknown> {
  let queued: { key: string; resolve: (value: unknown) => void; reject: (error: unknown) => void }[] = [];
  const flush = () => {
    const batch = queued;
    queued = [];
    for (let start = 0; start < batch.length; start += 16) {
      const part = batch.slice(start, start + 16);
      redis.mget(...part.map((read) => read.key)).then(
        (values) => {
          for (let i = 0; i < part.length; i++) {
            const text = values[i];
            part[i]!.resolve(text == null ? undefined : parse(text));
          }
        },
        (error: unknown) => {
          for (const read of part) read.reject(error);
        },
      );
    }
  };
  return (key) =>
    new Promise((resolve, reject) => {
      if (queued.length === 0) process.nextTick(flush);
      queued.push({ key, resolve, reject });
    });
}
