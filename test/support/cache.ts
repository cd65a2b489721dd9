import { Redis } from 'ioredis';
import type { RemoteTier } from '../../src/cache/remote-tier.js';
import { redisUrl } from './services.js';

/** A Redis client for a test; the caller disconnects it. */
export function testRedis(options: { lazy?: boolean } = {}): Redis {
  const client = new Redis(redisUrl(), { maxRetriesPerRequest: 1, lazyConnect: options.lazy ?? false });
  client.on('error', () => {});
  return client;
}

/** Counts the calls a real tier receives (a recorder around the real Redis tier, not a mock). */
export function countingTier(tier: RemoteTier): RemoteTier & { calls: Record<string, number> } {
  const calls: Record<string, number> = {};
  return new Proxy(tier, {
    get(target, property, receiver) {
      if (property === 'calls') return calls;
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        calls[String(property)] = (calls[String(property)] ?? 0) + 1;
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  }) as RemoteTier & { calls: Record<string, number> };
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A promise plus its resolver, to hold a loader mid-flight. */
export function gate<T = void>(): { promise: Promise<T>; open: (value: T) => void } {
  let open!: (value: T) => void;
  const promise = new Promise<T>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

/** Polls until `check` passes or `ms` elapse. */
export async function eventually(check: () => boolean | Promise<boolean>, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return;
    await sleep(5);
  }
  throw new Error(`condition not met within ${ms} ms`);
}

/** Closes the managers a test file made, deletes its namespace's keys and disconnects. */
export async function disposeCaches(
  redis: Redis,
  namespace: string,
  managers: readonly { close(): Promise<void> }[],
): Promise<void> {
  for (const cache of managers) await cache.close();
  const keys = await redis.keys(`${namespace}*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
}
