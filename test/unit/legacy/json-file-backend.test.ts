import { readFile, writeFile } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { JsonFileBackend } from '../../../src/backends/legacy/index.js';
import { DuplicateError, NotFoundError, ValidationError } from '../../../src/errors.js';
import { type LegacyWidget, legacyWidget, temporaryDirectory } from '../../support/legacy-widgets.js';

let directory: Awaited<ReturnType<typeof temporaryDirectory>>;
let path: string;
let store: JsonFileBackend<LegacyWidget, string>;

beforeEach(async () => {
  directory = await temporaryDirectory();
  path = `${directory.path}/widgets.json`;
  store = new JsonFileBackend<LegacyWidget, string>({ path, idField: 'W_ID', unique: [['E_MAIL']] });
});
afterEach(async () => {
  await directory.remove();
});

describe('JsonFileBackend', () => {
  it('keeps records as a plain JSON array that other programs can read', async () => {
    await store.insertMany([legacyWidget(1), legacyWidget(2)]);
    const onDisk = JSON.parse(await readFile(path, 'utf8'));
    expect(onDisk).toEqual([legacyWidget(1), legacyWidget(2)]);
    expect(await store.count({ kind: 'field', field: 'IS_ACTIVE', op: 'eq', value: 'Y' })).toBe(2);
  });

  it('rejects a taken id or unique value, and an update of an absent id, writing nothing', async () => {
    await store.insertMany([legacyWidget(1)]);
    await expect(store.insertMany([legacyWidget(2), legacyWidget(1)])).rejects.toBeInstanceOf(DuplicateError);
    await expect(store.upsert(legacyWidget(3, { E_MAIL: legacyWidget(1).E_MAIL }))).rejects.toBeInstanceOf(
      DuplicateError,
    );
    await expect(store.update('w0009', { W_NAME: 'x' })).rejects.toBeInstanceOf(NotFoundError);
    await expect(store.insertMany([{ W_NAME: 'no id' }])).rejects.toBeInstanceOf(ValidationError);
    expect(await store.count(undefined)).toBe(1);
  });

  it('a failed transaction leaves the file as it was; a committed one writes once', async () => {
    await store.insertMany([legacyWidget(1)]);
    const before = await readFile(path, 'utf8');
    await expect(
      store.runInTransaction(async () => {
        await store.insertMany([legacyWidget(2)]);
        await store.update('w0001', { W_NAME: 'changed' });
        expect(await store.count(undefined)).toBe(2);
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    expect(await readFile(path, 'utf8')).toBe(before);
    await store.runInTransaction(async () => {
      await store.insertMany([legacyWidget(2)]);
      await store.delete('w0001');
    });
    expect(
      (await store.find({ where: undefined, orderBy: [{ field: 'W_ID', direction: 'asc' }] })).map(
        (r) => r.W_ID,
      ),
    ).toEqual(['w0002']);
  });

  it('says what is wrong with a file that is not an array', async () => {
    await writeFile(path, '{"W_ID": "w0001"}');
    await expect(store.findByIds(['w0001'])).rejects.toThrow(/must hold a JSON array of records/);
  });
});
