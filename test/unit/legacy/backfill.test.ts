import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  BackfillJob,
  type BackfillProgress,
  FileCheckpointStore,
  FileDeadLetterStore,
  ignoreFields,
  JsonFileBackend,
  reconcile,
} from '../../../src/backends/legacy/index.js';
import { MemoryBackend } from '../../../src/backends/memory/index.js';
import { Widget, widget } from '../../../src/testing/index.js';
import {
  type LegacyWidget,
  legacyWidget,
  temporaryDirectory,
  widgetMapper,
} from '../../support/legacy-widgets.js';

let directory: Awaited<ReturnType<typeof temporaryDirectory>>;
let legacy: JsonFileBackend<LegacyWidget, string>;
let target: MemoryBackend<Widget, string>;

beforeEach(async () => {
  directory = await temporaryDirectory();
  legacy = new JsonFileBackend<LegacyWidget, string>({
    path: `${directory.path}/legacy.json`,
    idField: 'W_ID',
  });
  target = new MemoryBackend<Widget, string>(Widget, { unique: [['email']] });
  await legacy.insertMany(Array.from({ length: 95 }, (_, index) => legacyWidget(index)));
});
afterEach(async () => {
  await directory.remove();
});

const job = (
  options: Partial<ConstructorParameters<typeof BackfillJob<LegacyWidget, Widget, string, string>>[0]> = {},
) =>
  new BackfillJob({
    entity: Widget,
    legacy,
    target,
    mapper: widgetMapper,
    batchSize: 10,
    checkpoints: new FileCheckpointStore(`${directory.path}/checkpoint.json`),
    ...options,
  });

describe('BackfillJob', () => {
  it('copies every record in batches and reports progress with rate and ETA', async () => {
    const progress: BackfillProgress[] = [];
    const result = await job({ onProgress: (p) => progress.push(p) }).run();
    expect(result).toMatchObject({
      processed: 95,
      inserted: 95,
      skipped: 0,
      deadLettered: 0,
      done: true,
      resumed: false,
      total: 95,
    });
    expect(target.size).toBe(95);
    expect(progress).toHaveLength(10);
    expect(progress[0]).toMatchObject({ processed: 10, total: 95 });
    expect(progress[0]!.rowsPerSecond).toBeGreaterThan(0);
    expect(progress[0]!.etaMs).toBeGreaterThan(0);
    expect(progress.at(-1)!.etaMs).toBe(0);
    expect((await target.findByIds(['w0042']))[0]).toMatchObject({
      email: 'w0042@example.com',
      age: 62,
      version: 1,
    });
  });

  it('stops after a batch when aborted and resumes from the checkpoint without re-reading', async () => {
    const controller = new AbortController();
    const first = await job({
      signal: controller.signal,
      onProgress: (p) => {
        if (p.processed >= 30) controller.abort();
      },
    }).run();
    expect(first).toMatchObject({ processed: 30, done: false });
    const inserted: string[] = [];
    const second = await job({ onInserted: (ids) => void inserted.push(...ids) }).run();
    expect(second).toMatchObject({
      resumed: true,
      resumedAfter: 'w0029',
      processedThisRun: 65,
      processed: 95,
      inserted: 95,
    });
    expect(inserted[0]).toBe('w0030');
    expect(target.size).toBe(95);
    const third = await job().run();
    expect(third).toMatchObject({ processedThisRun: 0, processed: 95, done: true });
  });

  it('never overwrites what new already holds (newer, from dual-write) and counts it as skipped', async () => {
    await target.insertMany([
      { ...widget(5), name: 'written by dual-write', version: 3, createdAt: new Date(0) },
    ]);
    const result = await job().run();
    expect(result).toMatchObject({ inserted: 94, skipped: 1 });
    expect((await target.findByIds(['w0005']))[0]).toMatchObject({
      name: 'written by dual-write',
      version: 3,
    });
  });

  it('dead-letters records that fail the schema or clash on a unique field, and carries on', async () => {
    await legacy.upsert(legacyWidget(7, { E_MAIL: 'broken' }));
    await legacy.upsert(legacyWidget(8, { E_MAIL: 'W0009@EXAMPLE.COM' }));
    const deadLetters = new FileDeadLetterStore(`${directory.path}/dead.jsonl`);
    const result = await job({ deadLetters }).run();
    expect(result).toMatchObject({ processed: 95, inserted: 93, deadLettered: 2 });
    const letters = await deadLetters.list();
    expect(letters.map((letter) => letter.legacyId).sort()).toEqual(['w0007', 'w0009']);
    expect(letters.find((letter) => letter.legacyId === 'w0009')!.reason).toMatch(/already exists/);
    expect(await target.findByIds(['w0007'])).toEqual([]);
  });

  it('rejects a batch size that is not a positive whole number', () => {
    expect(() => job({ batchSize: 0 })).toThrow(/batchSize/);
  });
});

describe('reconcile', () => {
  it('reports missing, extra, different and unconvertible entities, with samples', async () => {
    await job().run();
    await legacy.upsert(legacyWidget(200));
    await legacy.upsert(legacyWidget(201, { SCORE_TXT: 'lots' }));
    await target.insertMany([widget(300)]);
    await target.update('w0003', { name: 'changed on new' }, {});
    const report = await reconcile({ entity: Widget, legacy, target, mapper: widgetMapper, batchSize: 40 });
    expect(report).toMatchObject({
      legacyCount: 97,
      newCount: 96,
      matched: 94,
      missingInNew: 1,
      missingInLegacy: 1,
      different: 1,
      unconvertible: 1,
      inSync: false,
    });
    expect(report.samples.find((sample) => sample.kind === 'different')).toEqual({
      id: 'w0003',
      kind: 'different',
      diffs: [
        { path: 'name', legacy: 'name 3', new: 'changed on new' },
        { path: 'version', legacy: 1, new: 2 },
      ],
    });
    const normalised = await reconcile({
      entity: Widget,
      legacy,
      target,
      mapper: widgetMapper,
      normalisers: [ignoreFields('name', 'version')],
    });
    expect(normalised.different).toBe(0);
  });

  it('says in sync after a clean backfill', async () => {
    await job().run();
    expect(await reconcile({ entity: Widget, legacy, target, mapper: widgetMapper })).toMatchObject({
      inSync: true,
      matched: 95,
    });
  });
});
