import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../src/cli/run-cli.js';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'reposit-run-cli-'));
  // A repository-shaped object records what `cache warm` asks of it: no database needed here.
  await writeFile(
    path.join(dir, 'reposit.config.mjs'),
    `export const warmed = [];
export default {
  migrations: { dir: './migrations' },
  caches: {
    things: {
      repository: {
        async warm(ids, onProgress) { warmed.push(...ids); onProgress?.({ done: ids.length, total: ids.length }); },
        async *stream() { yield { id: 'a' }; yield { id: 'b' }; },
      },
    },
  },
};
`,
  );
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function capture() {
  let stdout = '';
  let stderr = '';
  return {
    io: {
      stdout: { write: (text: string) => (stdout += text) },
      stderr: { write: (text: string) => (stderr += text), isTTY: false },
      cwd: dir,
    },
    out: () => stdout,
    err: () => stderr,
  };
}

describe('runCli', () => {
  it('lets batch commands stop gracefully, and only those', async () => {
    const graceful: string[] = [];
    for (const argv of [
      ['cache', 'warm', '--json'],
      ['migrate', 'create', 'first', '--json'],
    ]) {
      const { io, out, err } = capture();
      const code = await runCli(argv, io, {
        signal: new AbortController().signal,
        onGracefulStop: () => graceful.push(argv.slice(0, 2).join(' ')),
      });
      expect({ code, stderr: err() }).toEqual({ code: 0, stderr: '' });
      expect(JSON.parse(out())).toMatchObject({ ok: true });
    }
    expect(graceful).toEqual(['cache warm']);
  });

  it('warms every row of a target when no ids are given, without drawing on a pipe', async () => {
    const { io, out, err } = capture();
    expect(await runCli(['cache', 'warm', 'things'], io)).toBe(0);
    expect(out()).toMatch(/^warmed things: 2 id\(s\) in \d+ ms\n$/);
    expect(err()).toBe('');
  });

  it('does not start the next target once interrupted, and reports the run as failed', async () => {
    const controller = new AbortController();
    controller.abort();
    const { io, out } = capture();
    expect(await runCli(['cache', 'warm', '--json'], io, { signal: controller.signal })).toBe(1);
    expect(JSON.parse(out())).toEqual({
      ok: false,
      command: 'cache warm',
      result: { targets: [], stopped: true },
    });
  });
});
