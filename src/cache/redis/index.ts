/**
 * `reposit/redis`: the Redis parts of the cache (L2 tier, invalidation bus, write-behind
 * queue). ioredis is a peer dependency of this subpath only.
 *
 * @module reposit/redis
 */
export type { RedisBusOptions } from './redis-bus.js';
export { RedisBus } from './redis-bus.js';
export type { RedisConnection, RedisTierOptions } from './redis-tier.js';
export { RedisTier } from './redis-tier.js';
export type { WriteBehindOp, WriteBehindOptions } from './write-behind.js';
export { WriteBehindQueue } from './write-behind.js';
export type { WriteBehindDeadLetter, WriteBehindEvents } from './write-behind-dead-letter.js';
