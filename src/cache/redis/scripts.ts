import { createHash } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';

/**
 * The Lua scripts of the L2 tier. Each takes key pairs (value key, generation key), so
 * one call covers every key of one hash slot atomically.
 */

/** KEYS: key, gen, … ARGV: [generation, value, ttlMs] per pair. Returns 1/0 per pair. */
export const SET_IF_GENERATION = `
local out = {}
for i = 1, #KEYS, 2 do
  local a = (i - 1) / 2 * 3
  local g = redis.call('GET', KEYS[i + 1]) or ''
  if g == ARGV[a + 1] then
    redis.call('SET', KEYS[i], ARGV[a + 2], 'PX', ARGV[a + 3])
    out[#out + 1] = 1
  else
    out[#out + 1] = 0
  end
end
return out`;

/**
 * KEYS: key, gen, version key, … ARGV: [generationTtlMs, then value, ttlMs, version per
 * triple]. A write carrying a version ('' for none) is skipped when the stored version is
 * the same or newer, so write-throughs that arrive out of commit order cannot go back.
 * Returns 1/0 per triple.
 */
export const WRITE = `
local out = {}
for i = 1, #KEYS, 3 do
  local a = (i - 1) / 3 * 3 + 2
  local version = ARGV[a + 2]
  local skip = false
  if version ~= '' then
    local current = tonumber(redis.call('GET', KEYS[i + 2]) or '')
    if current ~= nil and current >= tonumber(version) then
      skip = true
    else
      redis.call('SET', KEYS[i + 2], version, 'PX', ARGV[1])
    end
  end
  if skip then
    out[#out + 1] = 0
  else
    redis.call('INCR', KEYS[i + 1])
    redis.call('PEXPIRE', KEYS[i + 1], ARGV[1])
    redis.call('SET', KEYS[i], ARGV[a], 'PX', ARGV[a + 1])
    out[#out + 1] = 1
  end
end
return out`;

/** KEYS: key, gen, … ARGV: [generationTtlMs]. */
export const INVALIDATE = `
for i = 1, #KEYS, 2 do
  redis.call('INCR', KEYS[i + 1])
  redis.call('PEXPIRE', KEYS[i + 1], ARGV[1])
  redis.call('DEL', KEYS[i])
end
return 1`;

/** KEYS: lock. ARGV: token. */
export const UNLOCK = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

const shas = new Map<string, string>();

/**
 * Runs a script by its SHA, loading it on NOSCRIPT (so the user's client gets no
 * commands defined on it).
 */
export async function runScript(
  client: Redis | Cluster,
  script: string,
  keys: readonly string[],
  args: readonly (string | number)[],
): Promise<unknown> {
  let sha = shas.get(script);
  if (sha === undefined) {
    sha = createHash('sha1').update(script).digest('hex');
    shas.set(script, sha);
  }
  try {
    return await client.evalsha(sha, keys.length, ...keys, ...args);
  } catch (error) {
    if (error instanceof Error && error.message.includes('NOSCRIPT')) {
      return client.eval(script, keys.length, ...keys, ...args);
    }
    throw error;
  }
}
