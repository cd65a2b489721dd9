import { describe, expect, it } from 'vitest';
import {
  CircuitBreaker,
  CutOverGate,
  compareLists,
  diffEntities,
  ignoreFields,
  ignoreGenerated,
  ignoreTimestamps,
} from '../../../src/backends/legacy/index.js';
import { ValidationError } from '../../../src/errors.js';
import { Widget } from '../../../src/testing/index.js';

describe('field-level comparison', () => {
  it('lists nested, date and array differences by path, and treats null and undefined alike', () => {
    const diffs = diffEntities(
      { a: 1, at: new Date(0), address: { zip: '1000', city: 'Oslo' }, tags: ['x', 'y'], note: null },
      { a: 1, at: new Date(1), address: { zip: '1001', city: 'Oslo' }, tags: ['x', 'z'], note: undefined },
    );
    expect(diffs).toEqual([
      { path: 'at', legacy: new Date(0), new: new Date(1) },
      { path: 'address.zip', legacy: '1000', new: '1001' },
      { path: 'tags[1]', legacy: 'y', new: 'z' },
    ]);
    expect(diffEntities({ a: new Date(5) }, { a: new Date(5) })).toEqual([]);
    expect(diffEntities(null, { a: 1 })).toEqual([{ path: '$row', legacy: null, new: 'present' }]);
  });

  it('normalisers drop timestamps and generated fields before comparing', () => {
    const left = { id: 'a', name: 'x', createdAt: new Date(0), version: 1 };
    const right = { id: 'a', name: 'x', createdAt: new Date(9), version: 4 };
    expect(compareLists([left], [right], 'id', diffEntities, [])).toHaveLength(2);
    expect(
      compareLists([left], [right], 'id', diffEntities, [ignoreTimestamps(Widget), ignoreGenerated(Widget)]),
    ).toEqual([]);
    expect(compareLists([left], [right], 'id', diffEntities, [ignoreFields('createdAt', 'version')])).toEqual(
      [],
    );
  });

  it('reports the order when both lists hold the same rows in another order', () => {
    expect(compareLists([{ id: 1 }, { id: 2 }], [{ id: 2 }, { id: 1 }], 'id', diffEntities, [])).toEqual([
      { path: '$order', legacy: ['1', '2'], new: ['2', '1'] },
    ]);
  });
});

describe('CutOverGate', () => {
  it('slides over the last N reads', () => {
    const gate = new CutOverGate({ window: 4, maxMismatchRate: 0.3 });
    for (const matched of [false, true, true, true]) gate.record(matched);
    expect(gate.status()).toMatchObject({ open: true, mismatchRate: 0.25 });
    gate.record(false);
    gate.record(false);
    expect(gate.status()).toMatchObject({ open: false, mismatchRate: 0.5 });
    for (let index = 0; index < 4; index++) gate.record(true);
    expect(gate.status()).toMatchObject({ open: true, mismatchRate: 0 });
    gate.reset();
    expect(gate.status()).toMatchObject({ open: false, samples: 0 });
  });

  it('with a threshold of 0 opens only on a perfect window, and rejects bad options', () => {
    const gate = new CutOverGate({ window: 2, maxMismatchRate: 0 });
    gate.record(true);
    gate.record(true);
    expect(gate.status().open).toBe(true);
    gate.record(false);
    expect(gate.status().open).toBe(false);
    expect(() => new CutOverGate({ window: 0 })).toThrow(ValidationError);
    expect(() => new CutOverGate({ maxMismatchRate: 2 })).toThrow(ValidationError);
  });
});

describe('CircuitBreaker', () => {
  it('opens after consecutive failures, lets one trial through after the reset, and closes on success', () => {
    let now = 0;
    const breaker = new CircuitBreaker({ failureThreshold: 2, resetAfterMs: 100, now: () => now });
    breaker.failure();
    expect(breaker.allows()).toBe(true);
    breaker.failure();
    expect(breaker.state).toBe('open');
    expect(breaker.allows()).toBe(false);
    now = 100;
    expect(breaker.allows()).toBe(true);
    expect(breaker.allows()).toBe(false);
    breaker.failure();
    expect(breaker.state).toBe('open');
    now = 200;
    expect(breaker.allows()).toBe(true);
    breaker.success();
    expect(breaker.state).toBe('closed');
  });
});
