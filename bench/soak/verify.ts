import { decodeEntry } from '../../src/cache/cache-entry.js';
import { richJsonSerializer } from '../../src/cache/serializer.js';
import type { SoakEnvironment } from './environment.js';
import type { AppInstance, Item } from './instance.js';
import type { Ledger } from './ledger.js';

/** The outcome of checking every acknowledged write against the primary. */
export interface WriteCheck {
  readonly acknowledged: number;
  readonly lost: number;
  readonly examples: string[];
  /** The table as it is at the end: id → version. */
  readonly versions: ReadonlyMap<number, number>;
}

/**
 * Reads the table from the primary (bypassing reposit) and checks every acknowledged
 * write: the row exists, no two acknowledged writes of a row got the same version, none
 * is above the row's version, and the newest acknowledged version, when it is the row's,
 * carries the value that was acknowledged (each write wrote a unique value).
 */
export async function verifyWrites(env: SoakEnvironment, ledger: Ledger): Promise<WriteCheck> {
  const { rows } = await env.admin.query<{ id: number; version: number; value: number }>(
    `select id, version, value from "${env.schema}".items`,
  );
  const table = new Map(rows.map((row) => [row.id, row]));
  let acknowledged = 0;
  let lost = 0;
  const examples: string[] = [];
  const lose = (count: number, why: string) => {
    lost += count;
    if (examples.length < 10) examples.push(why);
  };
  for (const [id, writes] of ledger.acknowledged) {
    acknowledged += writes.length;
    const row = table.get(id);
    if (!row) {
      lose(writes.length, `row ${id} is missing (${writes.length} acknowledged writes)`);
      continue;
    }
    const versions = writes.map((write) => write.version);
    const duplicates = versions.length - new Set(versions).size;
    if (duplicates > 0) lose(duplicates, `row ${id}: ${duplicates} acknowledged writes share a version`);
    const above = writes.filter((write) => write.version > row.version).length;
    if (above > 0) lose(above, `row ${id}: ${above} acknowledged versions above the stored ${row.version}`);
    const newest = writes.reduce((a, b) => (b.version > a.version ? b : a));
    if (newest.version === row.version && newest.value !== row.value)
      lose(1, `row ${id}: version ${row.version} holds value ${row.value}, acknowledged ${newest.value}`);
  }
  return { acknowledged, lost, examples, versions: new Map(rows.map((row) => [row.id, row.version])) };
}

/** Cached entries (L1 of each instance, and L2) that disagree with the table after quiescence. */
export interface CacheAudit {
  readonly checked: number;
  readonly stale: number;
  readonly examples: string[];
}

/** Compares every cached entry of the rows written during the run with the table. */
export async function auditCaches(
  instances: readonly AppInstance[],
  ids: readonly number[],
  versions: ReadonlyMap<number, number>,
): Promise<CacheAudit> {
  let checked = 0;
  let stale = 0;
  const examples: string[] = [];
  const compare = (where: string, id: number, cached: Item | null) => {
    checked++;
    const truth = versions.get(id) ?? 0;
    const got = cached?.version ?? 0;
    if (got === truth) return;
    stale++;
    if (examples.length < 10) examples.push(`${where} row ${id}: cached version ${got}, table ${truth}`);
  };
  for (const instance of instances) {
    instance.itemCache.peek(ids).forEach((cached, at) => {
      if (cached !== undefined) compare(`L1 of instance ${instance.index}`, ids[at]!, cached);
    });
  }
  const first = instances[0]!;
  for (let start = 0; start < ids.length; start += 500) {
    const chunk = ids.slice(start, start + 500);
    const texts = await first.l2.client.mget(...chunk.map((id) => first.itemCache.keys.id(id)));
    texts.forEach((text, at) => {
      if (text === null) return;
      const entry = decodeEntry(text);
      if (!entry) return;
      compare('L2', chunk[at]!, entry.negative ? null : (richJsonSerializer.deserialize(entry.body) as Item));
    });
  }
  return { checked, stale, examples };
}
