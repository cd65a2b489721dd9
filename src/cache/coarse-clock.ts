/**
 * The wall clock for L1 hits. Reading the system clock costs 100–250 ns on a busy virtual
 * machine, as much as the rest of an L1 hit, so hits reuse one reading: for at most
 * {@link MAX_REUSES} calls, and only until a 1 ms timer (one at a time, unref'd) forgets it.
 * A cached entry can therefore outlive its TTL by about a millisecond plus the event
 * loop's lag, never longer; invalidations do not depend on the clock at all.
 *
 * @module
 */

const MAX_REUSES = 64;
let reading = 0;
let reuses = 0;
let forgetTimer: ReturnType<typeof setTimeout> | undefined;

function forget(): void {
  reading = 0;
  forgetTimer = undefined;
}

/**
 * `Date.now()`, give or take a millisecond, for checking whether an L1 entry is fresh.
 *
 * @example
 * ```ts
 * if (entry.expiresAt > coarseNow()) return entry.value;
 * ```
 */
export function coarseNow(): number {
  if (reading !== 0 && reuses < MAX_REUSES) {
    reuses++;
    return reading;
  }
  reading = Date.now();
  reuses = 0;
  if (forgetTimer === undefined) {
    forgetTimer = setTimeout(forget, 1);
    forgetTimer.unref();
  }
  return reading;
}
