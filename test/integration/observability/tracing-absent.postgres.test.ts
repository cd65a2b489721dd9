import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { bundleScript, startWorker } from '../../support/fork-ts.js';
import { databaseUrl } from '../../support/services.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const blocker = path.join(here, 'fixtures', 'block-opentelemetry.cjs');
let script: string;

beforeAll(async () => {
  script = await bundleScript(path.join(here, 'fixtures', 'untraced-process.ts'));
}, 60_000);

async function run(env: Record<string, string>): Promise<Record<string, unknown>> {
  const worker = startWorker(script, { DB_URL: databaseUrl(), ...env });
  const exited = new Promise<number | null>((resolve) => worker.child.once('exit', resolve));
  try {
    const notice = await worker.waitFor((message) => 'report' in message || 'failed' in message, 30_000);
    expect(notice.failed).toBeUndefined();
    expect(await exited).toBe(0);
    return notice.report as Record<string, unknown>;
  } finally {
    worker.kill();
  }
}

describe('without @opentelemetry/api', () => {
  it('queries, transactions, cache and repository calls work, and tracing reports itself unavailable', async () => {
    const report = await run({
      NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --require ${blocker}`.trim(),
    });
    expect(report).toEqual({
      status: 'unavailable',
      requireFailure: 'MODULE_NOT_FOUND',
      answer: 42,
      transactionAnswer: { one: 1 },
      loaded: 7,
      found: 'W',
    });
  });

  it('the same process finds the package when it is installed (so the test above measured its absence)', async () => {
    const report = await run({});
    expect(report).toMatchObject({ status: 'opentelemetry', requireFailure: 'resolved', answer: 42 });
  });
});
