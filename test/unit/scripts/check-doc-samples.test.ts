import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const script = path.join(root, 'scripts', 'check-doc-samples.mjs');

interface Run {
  readonly code: number;
  readonly output: string;
}

async function checkDocs(...files: string[]): Promise<Run> {
  const run = await new Promise<Run>((resolve) => {
    execFile(process.execPath, [script, ...files], { cwd: root }, (error, stdout, stderr) => {
      resolve({
        code: error ? (typeof error.code === 'number' ? error.code : 1) : 0,
        output: stdout + stderr,
      });
    });
  });
  // A failing run leaves its samples for inspection; these are the test's own.
  const kept = /samples written to (\S+);/.exec(run.output)?.[1];
  if (kept) await rm(path.join(root, kept), { recursive: true, force: true });
  return run;
}

const fence = '```';

const entity = `import { z } from 'zod';
import { BaseRepository, defineEntity, MemoryBackend } from 'reposit';

const User = defineEntity({ name: 'user', schema: z.object({ id: z.number().int(), name: z.string() }), id: 'id' });
const users = new BaseRepository({ entity: User, backend: new MemoryBackend(User) });`;

describe('check:docs', () => {
  let dir: string;

  beforeAll(async () => {
    await mkdir(path.join(root, '.tmp'), { recursive: true });
    dir = await mkdtemp(path.join(root, '.tmp', 'check-docs-test-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('passes complete samples, continued blocks and nocheck fragments', { timeout: 120_000 }, async () => {
    const page = path.join(dir, 'good.md');
    await writeFile(
      page,
      [
        '# Good',
        `${fence}ts`,
        entity,
        fence,
        'Then:',
        `${fence}ts continued`,
        "await users.create({ id: 1, name: 'Ada' });",
        fence,
        `${fence}ts nocheck`,
        'users.list({ where: { ... } })',
        fence,
        `${fence}sh`,
        'npm test',
        fence,
      ].join('\n'),
    );
    const run = await checkDocs(page);
    expect(run.output).toContain('2 code blocks (1 samples) in 1 markdown files type-check');
    expect(run.code).toBe(0);
  });

  it('fails a wrong sample and names the markdown file, line and column', { timeout: 120_000 }, async () => {
    const page = path.join(dir, 'bad.md');
    const lines = [
      '# Bad',
      '',
      `${fence}typescript`,
      entity,
      fence,
      '',
      `${fence}ts continued`,
      "await users.create({ id: 1, name: 'Ada' });",
      "await users.list({ orderBy: { name: 'sideways' } });",
      fence,
      `${fence}ts`,
      "import { NoSuchExport } from 'reposit/postgres';",
      fence,
    ]
      .join('\n')
      .split('\n');
    await writeFile(page, lines.join('\n'));
    const lineOf = (text: string) => lines.findIndex((line) => line.includes(text)) + 1;
    const run = await checkDocs(page);
    expect(run.code).toBe(1);
    const relative = path.relative(root, page);
    expect(run.output).toContain(`${relative}:${lineOf("'sideways'")}:20: error TS2769`);
    expect(run.output).toContain(`${relative}:${lineOf('NoSuchExport')}:10: error TS2305`);
    expect(run.output).toContain(`type errors in the code samples of ${relative}`);
  });

  it('refuses a continued block with nothing to continue', { timeout: 60_000 }, async () => {
    const page = path.join(dir, 'orphan.md');
    await writeFile(page, ['# Orphan', `${fence}ts continued`, 'const x = 1;', fence].join('\n'));
    const run = await checkDocs(page);
    expect(run.code).toBe(1);
    expect(run.output).toContain(
      `${path.relative(root, page)}:2: a \`continued\` block needs a checked block before it`,
    );
  });
});
