import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileCheckpointStore, JsonFileBackend, reconcile } from '../../../src/backends/legacy/index.js';
import { Widget } from '../../../src/testing/index.js';
import { type LegacyWidget, legacyWidget, widgetMapper } from '../../support/legacy-widgets.js';

const TOTAL = 2000;
const directory = join(tmpdir(), `reposit-legacy-kill-${process.pid}-${Date.now()}`);
const CHILD = join(import.meta.dirname, 'fixtures', 'backfill-child.ts');
const paths = {
  legacy: join(directory, 'legacy.json'),
  target: join(directory, 'target.json'),
  checkpoint: join(directory, 'checkpoint.json'),
  log: join(directory, 'inserted.log'),
};

beforeAll(async () => {
  await mkdir(directory, { recursive: true });
  const legacy = new JsonFileBackend<LegacyWidget, string>({ path: paths.legacy, idField: 'W_ID' });
  await legacy.insertMany(Array.from({ length: TOTAL }, (_, index) => legacyWidget(index)));
});
afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

function startChild(): { child: ChildProcess; lines: string[]; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD], {
    env: {
      ...process.env,
      LEGACY_PATH: paths.legacy,
      TARGET_PATH: paths.target,
      CHECKPOINT_PATH: paths.checkpoint,
      INSERT_LOG: paths.log,
      BATCH_SIZE: '50',
      DELAY_MS: '15',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines: string[] = [];
  let buffer = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    const parts = buffer.split('\n');
    buffer = parts.pop()!;
    lines.push(...parts);
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, lines, exited };
}

describe('backfill killed with SIGKILL mid-run', () => {
  it('resumes from the file checkpoint and finishes with every record exactly once', async () => {
    const first = startChild();
    await expect
      .poll(() => first.lines.filter((line) => line.startsWith('progress')).length, {
        timeout: 20_000,
        interval: 5,
      })
      .toBeGreaterThanOrEqual(8);
    first.child.kill('SIGKILL');
    await first.exited;
    expect(first.child.signalCode).toBe('SIGKILL');
    expect(first.lines.some((line) => line.startsWith('result'))).toBe(false);

    const checkpoint = await new FileCheckpointStore(paths.checkpoint).load();
    expect(checkpoint).toBeDefined();
    expect(checkpoint!.done).toBe(false);
    expect(checkpoint!.processed).toBeGreaterThanOrEqual(400);
    expect(checkpoint!.processed).toBeLessThan(TOTAL);

    const second = startChild();
    expect(await second.exited).toBe(0);
    const result = JSON.parse(
      second.lines.find((line) => line.startsWith('result '))!.slice('result '.length),
    );
    expect(result).toMatchObject({
      resumed: true,
      resumedAfter: checkpoint!.lastLegacyId,
      done: true,
      processed: TOTAL,
    });
    // The second run read only what the first had not finished (plus nothing twice).
    expect(result.processedThisRun).toBe(TOTAL - checkpoint!.processed);

    const logged = (await readFile(paths.log, 'utf8')).split('\n').filter(Boolean);
    expect(new Set(logged).size).toBe(logged.length);
    const target = new JsonFileBackend<Widget, string>({
      path: paths.target,
      idField: 'id',
      typedJson: true,
    });
    expect(await target.count(undefined)).toBe(TOTAL);
    // A batch written just before the kill but after the last checkpoint is skipped, not written again.
    expect(logged.length + (result.skipped as number)).toBe(TOTAL);

    const report = await reconcile({
      entity: Widget,
      legacy: new JsonFileBackend<LegacyWidget, string>({ path: paths.legacy, idField: 'W_ID' }),
      target,
      mapper: widgetMapper,
    });
    expect(report).toMatchObject({ inSync: true, matched: TOTAL });
  });
});
