import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import type { LegacyMapper } from '../../src/backends/legacy/index.js';
import type { Backend, BackendUpdateOptions } from '../../src/repository/backend.js';
import { defineEntity } from '../../src/repository/entity.js';
import type { BackendQuery, Condition } from '../../src/repository/query.js';
import type { Widget } from '../../src/testing/index.js';

/** The conformance widget as an old system stores it: upper-case columns, text numbers, Y/N flags. */
export interface LegacyWidget {
  W_ID: string;
  E_MAIL: string;
  W_NAME: string;
  /** '' when unknown. */
  AGE_YRS: string;
  SCORE_TXT: string;
  IS_ACTIVE: 'Y' | 'N';
  CREATED_TS: string;
  REV: number;
}

/** The legacy record declared as an entity, so a MemoryBackend can stand in for an old database table. */
export const LegacyWidgetEntity = defineEntity({
  name: 'legacy_widget',
  schema: z.object({
    W_ID: z.string(),
    E_MAIL: z.string(),
    W_NAME: z.string(),
    AGE_YRS: z.string(),
    SCORE_TXT: z.string(),
    IS_ACTIVE: z.enum(['Y', 'N']),
    CREATED_TS: z.string(),
    REV: z.number(),
  }),
  id: 'W_ID',
});

export const widgetMapper: LegacyMapper<LegacyWidget, Widget, string, string> = {
  legacyIdField: 'W_ID',
  toEntity: (record) => ({
    id: record.W_ID,
    email: record.E_MAIL.toLowerCase(),
    name: record.W_NAME,
    age: record.AGE_YRS === '' ? null : Number(record.AGE_YRS),
    score: Number(record.SCORE_TXT),
    active: record.IS_ACTIVE === 'Y',
    createdAt: new Date(record.CREATED_TS),
    version: record.REV,
  }),
  toLegacy: (widget) => ({
    W_ID: widget.id,
    E_MAIL: widget.email.toUpperCase(),
    W_NAME: widget.name,
    AGE_YRS: widget.age === null ? '' : String(widget.age),
    SCORE_TXT: String(widget.score),
    IS_ACTIVE: widget.active ? 'Y' : 'N',
    CREATED_TS: widget.createdAt.toISOString(),
    REV: widget.version,
  }),
  toLegacyId: (id) => id,
  toEntityId: (id) => id,
};

/** A legacy record for widget n, as the old system would hold it. */
export function legacyWidget(index: number, overrides: Partial<LegacyWidget> = {}): LegacyWidget {
  const id = `w${String(index).padStart(4, '0')}`;
  return {
    W_ID: id,
    E_MAIL: `${id}@EXAMPLE.COM`,
    W_NAME: `name ${index}`,
    AGE_YRS: String(20 + index),
    SCORE_TXT: String(index),
    IS_ACTIVE: 'Y',
    CREATED_TS: new Date(Date.UTC(2024, 0, 1, 0, 0, index)).toISOString(),
    REV: 1,
    ...overrides,
  };
}

/** A temporary directory, and a function that removes it. */
export async function temporaryDirectory(): Promise<{ path: string; remove: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), 'reposit-legacy-'));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

/**
 * Wraps a real backend and injects faults on demand: failures and delays per operation.
 * The stored data is the wrapped backend's; only the calls are disturbed.
 */
export class FaultyBackend<T extends object, ID> implements Backend<T, ID> {
  readonly kind = 'faulty';
  readonly calls: Record<string, number> = {};
  /** The queries `find` received, oldest first. */
  readonly queries: BackendQuery[] = [];
  /** Operations that throw while listed. */
  failing = new Set<string>();
  /** Milliseconds each call waits before it runs. */
  delayMs = 0;
  readonly runInTransaction?: <R>(fn: () => Promise<R>) => Promise<R>;
  readonly #inner: Backend<T, ID>;

  constructor(inner: Backend<T, ID>) {
    this.#inner = inner;
    if (inner.runInTransaction) this.runInTransaction = (fn) => inner.runInTransaction!(fn);
  }

  async #call<R>(name: string, run: () => Promise<R>): Promise<R> {
    this.calls[name] = (this.calls[name] ?? 0) + 1;
    if (this.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.delayMs));
    if (this.failing.has(name) || this.failing.has('*')) throw new Error(`injected failure in ${name}`);
    return run();
  }

  insertMany(rows: readonly Partial<T>[]): Promise<T[]> {
    return this.#call('insertMany', () => this.#inner.insertMany(rows));
  }
  findByIds(ids: readonly ID[]): Promise<T[]> {
    return this.#call('findByIds', () => this.#inner.findByIds(ids));
  }
  find(query: BackendQuery): Promise<T[]> {
    this.queries.push(query);
    return this.#call('find', () => this.#inner.find(query));
  }
  count(where: Condition | undefined): Promise<number> {
    return this.#call('count', () => this.#inner.count(where));
  }
  update(id: ID, patch: Partial<T>, options: BackendUpdateOptions): Promise<T> {
    return this.#call('update', () => this.#inner.update(id, patch, options));
  }
  upsert(row: Partial<T>): Promise<T> {
    return this.#call('upsert', () => this.#inner.upsert(row));
  }
  delete(id: ID): Promise<boolean> {
    return this.#call('delete', () => this.#inner.delete(id));
  }
}
