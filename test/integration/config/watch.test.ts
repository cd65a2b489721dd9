import { unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigurationRepository, watchFile } from '../../../src/backends/config/index.js';
import { appSchema, eventually, type TempConfigDir, tempConfigDir } from './helpers.js';

const base = 'service: { name: svc, port: 8080 }\ndb: { host: h, password: p, pool: { max: 5 } }\n';

describe('file hot reload', () => {
  let files: TempConfigDir;
  beforeEach(async () => {
    files = await tempConfigDir();
  });
  afterEach(() => files.remove());

  it('applies an edited file and tells subscribers (path, oldValue, newValue) per changed value', async () => {
    await files.write('default.yaml', base);
    const config = await ConfigurationRepository.start({
      schema: appSchema,
      environment: 'dev',
      files: { dir: files.dir, debounceMs: 20 },
    });
    const all: unknown[][] = [];
    const pool: unknown[][] = [];
    config.onChange((path, from, to, { source }) =>
      all.push([path, from, to, source.replace(files.dir, 'DIR')]),
    );
    const off = config.onChange('db.pool', (path, from, to) => pool.push([path, from, to]));

    // A file that did not exist at start is picked up when it appears.
    await files.write('dev.yaml', 'db: { pool: { max: 7 } }\nfeatures: { tags: [x] }\n');
    await eventually(() => config.get('db.pool.max') === 7);
    expect(all).toEqual([
      ['db.pool.max', 5, 7, 'file DIR/dev.yaml'],
      ['features.tags', [], ['x'], 'file DIR/dev.yaml'],
    ]);
    expect(pool).toEqual([['db.pool.max', 5, 7]]);

    // Editing in place (not a rename) works as well.
    off();
    await writeFile(join(files.dir, 'dev.yaml'), 'db: { pool: { max: 8 } }\nfeatures: { tags: [x] }\n');
    await eventually(() => config.get('db.pool.max') === 8);
    expect(pool).toHaveLength(1);

    // Deleting a file removes its layer.
    await unlink(join(files.dir, 'dev.yaml'));
    await eventually(() => config.get('db.pool.max') === 5);
    expect(all.at(-1)).toEqual(['features.tags', ['x'], [], 'file DIR/dev.yaml']);
    await config.close();
  });

  it('stops reloading after close', async () => {
    await files.write('default.yaml', base);
    const config = await ConfigurationRepository.start({
      schema: appSchema,
      files: { dir: files.dir, debounceMs: 10 },
    });
    await config.close();
    await files.write('default.yaml', base.replace('max: 5', 'max: 6'));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(config.get('db.pool.max')).toBe(5);
  });

  it('debounces a burst of writes into one change', async () => {
    const path = join(files.dir, 'burst.json');
    let calls = 0;
    // A generous quiet time, so a busy machine's slow timers do not split the burst.
    const stop = watchFile(path, () => calls++, { debounceMs: 300 });
    for (let i = 0; i < 10; i++) {
      await writeFile(path, JSON.stringify({ i }));
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await eventually(() => calls > 0);
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(calls).toBe(1);
    stop();
  });
});
