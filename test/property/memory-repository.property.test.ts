import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryBackend } from '../../src/backends/memory/memory-backend.js';
import { BaseRepository } from '../../src/repository/base-repository.js';
import { type Probe, Probe as ProbeEntity, prototypeSnapshot, RUNS, watchProcess } from './hostile.js';
import { checkHostileCall, hostileCall, type ProbeInput, validProbe } from './repository-operations.js';

describe('BaseRepository on MemoryBackend under hostile calls (fast-check)', () => {
  const repo = new BaseRepository<Probe, string, ProbeInput>({
    entity: ProbeEntity,
    backend: new MemoryBackend(ProbeEntity),
    cursorSecret: 'memory-secret',
  });
  const codes = new Map<string, number>();
  let before: string;
  const watcher = watchProcess();

  beforeAll(async () => {
    before = prototypeSnapshot();
    await repo.createMany([validProbe('p-1'), validProbe('p-2')]);
  });
  afterAll(async () => {
    await new Promise((resolve) => setTimeout(resolve, 50));
    watcher.stop();
    expect(watcher.count(), 'unhandled rejections or uncaught exceptions').toBe(0);
    expect(prototypeSnapshot()).toBe(before);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it(`${RUNS} hostile ids, inputs, patches, filters, sort keys and cursors give results or typed errors`, async () => {
    await fc.assert(
      fc.asyncProperty(hostileCall, async (call) => {
        const code = await checkHostileCall(repo, call);
        const label = `${call.op}:${code ?? 'ok'}`;
        codes.set(label, (codes.get(label) ?? 0) + 1);
      }),
      { numRuns: RUNS },
    );
    // The run reached both outcomes of the main calls, so the property did not pass vacuously.
    for (const label of [
      'list:ok',
      'list:E_VALIDATION',
      'create:ok',
      'create:E_VALIDATION',
      'update:ok',
      'page:ok',
      'count:ok',
    ])
      expect(codes.get(label) ?? 0).toBeGreaterThan(0);
  });
});
