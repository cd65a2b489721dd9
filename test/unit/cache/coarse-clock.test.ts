import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { coarseNow } from '../../../src/cache/coarse-clock.js';

describe('coarseNow', () => {
  it('catches up with the wall clock once the event loop turns', async () => {
    const before = coarseNow();
    await sleep(20);
    const after = coarseNow();
    expect(after - before).toBeGreaterThanOrEqual(15);
    expect(after).toBeLessThanOrEqual(Date.now());
  });

  it('re-reads the clock within a burst that never yields, so a busy loop cannot freeze time', () => {
    const first = coarseNow();
    const spinUntil = Date.now() + 10;
    while (Date.now() < spinUntil) {
      // busy: the 1 ms timer cannot fire during this loop
    }
    let last = first;
    for (let call = 0; call < 200; call++) last = coarseNow();
    expect(last).toBeGreaterThanOrEqual(spinUntil);
  });
});
