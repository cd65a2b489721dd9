import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';

/** A temporary `config/` directory with real files, removed by `remove()`. */
export interface TempConfigDir {
  readonly dir: string;
  /** Writes a file atomically (write + rename), as deploy tools and many editors do. */
  write(name: string, content: string): Promise<void>;
  remove(): Promise<void>;
}

export async function tempConfigDir(): Promise<TempConfigDir> {
  const dir = await mkdtemp(join(tmpdir(), 'reposit-config-'));
  let n = 0;
  return {
    dir,
    async write(name, content) {
      const staging = join(dir, `.staging-${n++}`);
      await writeFile(staging, content);
      await rename(staging, join(dir, name));
    },
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

/** The schema most tests use. */
export const appSchema = z.object({
  service: z.object({ name: z.string(), port: z.number().int().min(1).max(65535) }),
  db: z.object({
    host: z.string(),
    password: z.string().meta({ secret: true }),
    pool: z.object({ max: z.number().int().min(1), idleMs: z.number().int().default(10_000) }),
  }),
  features: z
    .object({ beta: z.boolean().default(false), tags: z.array(z.string()).default([]) })
    .prefault({}),
  limits: z.record(z.string(), z.number()).default({}),
});

/** Waits until `check` returns true, polling; fails after `timeoutMs`. */
export async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
