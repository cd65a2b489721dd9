import { currentTransaction } from '../../context/transaction-scope.js';
import { DuplicateError } from '../../errors.js';
import { TypedEvents } from '../../observability/typed-events.js';
import type { Backend, BackendUpdateOptions } from '../../repository/backend.js';
import { comparatorFor } from '../../repository/condition-evaluator.js';
import type { BackendQuery, Condition } from '../../repository/query.js';
import { CircuitBreaker } from './circuit-breaker.js';
import { allCohort, type Cohort } from './cohort.js';
import {
  type Comparator,
  compareLists,
  diffEntities,
  type FieldDiff,
  type Normaliser,
} from './comparison.js';
import { ComparisonRecorder, type ComparisonReport, type ShadowObservation } from './comparison-recorder.js';
import { CutOverGate } from './cut-over-gate.js';
import { type DeadLetterStore, MemoryDeadLetterStore } from './dead-letter-store.js';
import type { LegacyAdapterEvents, LegacyAdapterOptions } from './legacy-adapter-options.js';
import { LegacyCounters, type LegacyMetricsSnapshot } from './legacy-metrics.js';
import { LegacyStore, type MigrationEntity } from './legacy-store.js';
import {
  MIGRATION_PHASES,
  type MigrationPhase,
  type MigrationSide,
  type PhaseBehaviour,
  phaseBehaviour,
} from './migration-phase.js';
import { MigrationStateMachine } from './migration-state-machine.js';
import type { MigrationStore } from './migration-store.js';
import { RecordConverter } from './record-converter.js';
import { type SecondaryChange, SecondaryWriter } from './secondary-writer.js';
import { ShadowRunner } from './shadow-runner.js';
import type { MigrationStrategy } from './strategies.js';
import { TargetStore } from './target-store.js';

interface Slice<T> {
  readonly phase: MigrationPhase;
  readonly condition: Condition | undefined;
  readonly keep: ((entity: T) => boolean) | undefined;
}

/**
 * A `Backend` that composes a legacy store and a new one, so the repository above it
 * (validation, cache, audit) stays the same while the data moves. Which side is read,
 * which is written first, whether reads are compared, and whether new falls back to
 * legacy is decided by the phase of the {@link MigrationStateMachine} for the id's
 * cohort; strategies ({@link bigBang}, {@link phased}, {@link parallel}, {@link hybrid})
 * are configurations of that machine.
 *
 * @example
 * ```ts
 * const adapter = new LegacyAdapter({
 *   entity: Customer,
 *   legacy: new JsonFileBackend<LegacyCustomer, string>({ path: 'customers.json', idField: 'CUST_NO' }),
 *   target: new PostgresBackend(connections, { entity: Customer, table: 'customers' }),
 *   mapper: customerMapper,
 *   strategy: parallel(),
 *   comparison: { normalisers: [ignoreTimestamps(Customer)], timeoutMs: 200 },
 *   secondaryWrites: { policy: 'outbox' },
 * });
 * const customers = new BaseRepository({ entity: Customer, backend: adapter });
 * // later
 * if (adapter.gate.status().open) adapter.machine.advance('mismatch rate under 0.1%');
 * ```
 */
export class LegacyAdapter<L extends object, T extends object, ID, LID> implements Backend<T, ID> {
  readonly kind = 'legacy';
  /** The phase machine; move it to migrate (or to step back). */
  readonly machine: MigrationStateMachine;
  /** Says when the mismatch rate is low enough to make new primary. */
  readonly gate: CutOverGate;
  readonly events = new TypedEvents<LegacyAdapterEvents>();
  /** Records that failed to convert. */
  readonly deadLetters: DeadLetterStore;
  readonly strategy: MigrationStrategy<T, ID>;
  readonly #entity: MigrationEntity<T>;
  readonly #legacyBackend: Backend<L, LID>;
  readonly #targetBackend: Backend<T, ID>;
  readonly #legacy: LegacyStore<L, T, ID, LID>;
  readonly #target: TargetStore<T, ID>;
  readonly #stores: Record<MigrationSide, MigrationStore<T, ID>>;
  readonly #counters = new LegacyCounters();
  readonly #breaker: CircuitBreaker;
  readonly #recorder: ComparisonRecorder;
  readonly #shadow: ShadowRunner;
  readonly #comparator: Comparator;
  readonly #normalisers: readonly Normaliser[];
  readonly #ignore: ((diffs: readonly FieldDiff[]) => boolean) | undefined;
  readonly #sampleRate: number;
  readonly #writer: SecondaryWriter<T, ID>;
  readonly #lazy: boolean;
  readonly #primary: MigrationSide;
  readonly #behaviours: Record<MigrationPhase, PhaseBehaviour>;
  readonly #outsidePhase: MigrationPhase;
  #cohort: Cohort<T, ID>;

  constructor(options: LegacyAdapterOptions<L, T, ID, LID>) {
    this.#entity = options.entity;
    this.strategy = options.strategy ?? { name: 'custom', initialPhase: 'legacy-only' };
    this.#cohort = this.strategy.cohort ?? allCohort();
    this.#outsidePhase = this.strategy.outsidePhase ?? 'dual-write';
    this.#lazy = this.strategy.lazyMigration ?? false;
    this.#primary = this.strategy.primary ?? 'legacy';
    this.#behaviours = Object.fromEntries(
      MIGRATION_PHASES.map((phase) => [phase, phaseBehaviour(phase, this.#primary)]),
    ) as Record<MigrationPhase, PhaseBehaviour>;
    this.deadLetters = options.deadLetters ?? new MemoryDeadLetterStore();
    this.#legacyBackend = options.legacy;
    this.#targetBackend = options.target;
    const converter = new RecordConverter(options.entity, options.mapper, this.deadLetters, () => {
      this.#counters.deadLetters++;
    });
    this.#legacy = new LegacyStore(options.entity, options.legacy, converter, options.legacyStore);
    this.#target = new TargetStore(options.entity, options.target);
    this.#stores = { legacy: this.#legacy, new: this.#target };
    this.#breaker = new CircuitBreaker(options.breaker);
    this.gate = new CutOverGate(options.gate);
    const comparison = options.comparison ?? {};
    this.#comparator = comparison.comparator ?? diffEntities;
    this.#normalisers = comparison.normalisers ?? [];
    this.#ignore = comparison.ignore;
    this.#sampleRate = comparison.sampleRate ?? 1;
    this.#recorder = new ComparisonRecorder(comparison.sampleSize ?? 50);
    this.#shadow = new ShadowRunner({
      ...(comparison.timeoutMs === undefined ? {} : { timeoutMs: comparison.timeoutMs }),
      publish: (observation) => this.#publish(observation),
    });
    const guard = options.guard;
    this.machine = new MigrationStateMachine({
      initial: this.strategy.initialPhase,
      guard: (from, to) => {
        const refusal = guard?.(from, to);
        if (refusal !== undefined) return refusal;
        if (options.requireGate && from === 'shadow-read' && to === 'new-primary')
          return this.gate.status().reason;
        return undefined;
      },
    });
    this.#writer = new SecondaryWriter({
      entityName: options.entity.name,
      stores: this.#stores,
      counters: this.#counters,
      options: options.secondaryWrites ?? {},
      onQueued: (queued) => this.events.emit('queued', queued),
    });
  }

  /** The ids the machine's phase applies to. */
  get cohort(): Cohort<T, ID> {
    return this.#cohort;
  }

  /** Changes the cohort (for example a larger hash percentage); takes effect on the next call. */
  setCohort(cohort: Cohort<T, ID>): void {
    this.#cohort = cohort;
  }

  /** The phase that applies to one id. */
  phaseOf(id: ID): MigrationPhase {
    return this.#cohort.everything || this.#cohort.containsId(id) ? this.machine.phase : this.#outsidePhase;
  }

  /** Counters and the comparison report's timings, plus the outbox's size. */
  async metrics(): Promise<LegacyMetricsSnapshot> {
    const c = this.#counters;
    return {
      reads: { ...c.reads },
      fallbacks: c.fallbacks,
      breakerOpenFallbacks: c.breakerOpenFallbacks,
      lazyMigrations: c.lazyMigrations,
      deadLetters: c.deadLetters,
      secondaryWrites: c.secondaryWrites,
      secondaryFailures: c.secondaryFailures,
      outboxDelivered: c.outboxDelivered,
      outboxPending: await this.#writer.pending(),
      breaker: this.#breaker.state,
    };
  }

  /** Matched / mismatched / ignored counters, timings of both sides and a sample of mismatches. */
  comparisonReport(): ComparisonReport {
    return this.#recorder.report();
  }

  // ---- reads ------------------------------------------------------------------------

  async findByIds(ids: readonly ID[]): Promise<T[]> {
    if (ids.length === 0) return [];
    // The common case, one phase for every id, skips the grouping.
    if (this.#cohort.everything || this.machine.phase === this.#outsidePhase)
      return this.#readIds(this.machine.phase, ids);
    const groups = new Map<MigrationPhase, ID[]>();
    for (const id of ids) {
      const phase = this.phaseOf(id);
      const group = groups.get(phase);
      if (group) group.push(id);
      else groups.set(phase, [id]);
    }
    const results = await Promise.all([...groups].map(([phase, group]) => this.#readIds(phase, group)));
    return results.flat();
  }

  async find(query: BackendQuery): Promise<T[]> {
    const slices = this.#slices();
    if (slices.length === 1 && !slices[0]!.keep) {
      const phase = slices[0]!.phase;
      const behaviour = this.#behaviour(phase);
      const primary = () =>
        this.#read(behaviour, 'find', (store) => this.#findIn(store, phase, query, slices[0]!));
      return this.#maybeShadow(
        'find',
        query,
        phase,
        behaviour,
        primary,
        (store) => store.find(query),
        (legacy, next) =>
          compareLists(legacy, next, this.#entity.idField, this.#comparator, this.#normalisers),
      );
    }
    const parts = await Promise.all(
      slices.map((slice) =>
        this.#read(this.#behaviour(slice.phase), 'find', (store) =>
          this.#findIn(store, slice.phase, query, slice),
        ),
      ),
    );
    const merged = parts.flat().sort(comparatorFor(query.orderBy));
    const start = query.offset ?? 0;
    return merged.slice(start, query.limit === undefined ? undefined : start + query.limit);
  }

  async count(where: Condition | undefined): Promise<number> {
    const slices = this.#slices();
    const query: BackendQuery = { where, orderBy: [{ field: this.#entity.idField, direction: 'asc' }] };
    const countIn = async (store: MigrationStore<T, ID>, slice: Slice<T>) => {
      const lazy = this.#lazy && slice.phase === 'new-primary' && store.side === 'new';
      if (!lazy && (!slice.keep || slice.condition)) return store.count(and(where, slice.condition));
      return (await this.#findIn(store, slice.phase, query, slice)).length;
    };
    if (slices.length === 1 && !slices[0]!.keep) {
      const phase = slices[0]!.phase;
      const behaviour = this.#behaviour(phase);
      const primary = () => this.#read(behaviour, 'count', (store) => countIn(store, slices[0]!));
      return this.#maybeShadow(
        'count',
        where,
        phase,
        behaviour,
        primary,
        (store) => store.count(where),
        (legacy, next) => (legacy === next ? [] : [{ path: '$count', legacy, new: next }]),
      );
    }
    const counts = await Promise.all(
      slices.map((slice) =>
        this.#read(this.#behaviour(slice.phase), 'count', (store) => countIn(store, slice)),
      ),
    );
    return counts.reduce((sum, n) => sum + n, 0);
  }

  async #readIds(phase: MigrationPhase, ids: readonly ID[]): Promise<T[]> {
    const behaviour = this.#behaviour(phase);
    if (behaviour.read === 'legacy' && !behaviour.shadow) {
      this.#counters.reads.legacy++;
      return this.#legacy.findByIds(ids);
    }
    const lazy = this.#lazy && phase === 'new-primary';
    const primary = () =>
      this.#read(behaviour, 'findByIds', (store) =>
        lazy && store.side === 'new' ? this.#lazyRead(ids) : store.findByIds(ids),
      );
    if (!behaviour.shadow) return primary();
    const byId = (rows: readonly T[]) =>
      [...rows].sort(comparatorFor([{ field: this.#entity.idField, direction: 'asc' }]));
    return this.#maybeShadow(
      'findByIds',
      ids,
      phase,
      behaviour,
      primary,
      (store) => store.findByIds(ids),
      (legacy, next) =>
        compareLists(byId(legacy), byId(next), this.#entity.idField, this.#comparator, this.#normalisers),
    );
  }

  #maybeShadow<R>(
    operation: ShadowObservation['operation'],
    input: unknown,
    phase: MigrationPhase,
    behaviour: PhaseBehaviour,
    primary: () => Promise<R>,
    shadow: (store: MigrationStore<T, ID>) => Promise<R>,
    compare: (legacy: R, next: R) => FieldDiff[],
  ): Promise<R> {
    const shadowSide = behaviour.shadow;
    // Inside a transaction the other side cannot see uncommitted writes: nothing to compare.
    if (!shadowSide || currentTransaction() || Math.random() >= this.#sampleRate) return primary();
    return this.#shadow.run({
      operation,
      input,
      phase,
      primarySide: behaviour.read,
      primary,
      shadow: () => shadow(this.#stores[shadowSide]),
      compare,
      ...(this.#ignore ? { ignore: this.#ignore } : {}),
    });
  }

  /** Reads from the phase's read side; in `new-primary`, legacy answers when new fails or its breaker is open. */
  async #read<R>(
    behaviour: PhaseBehaviour,
    operation: string,
    read: (store: MigrationStore<T, ID>) => Promise<R>,
  ): Promise<R> {
    const side = behaviour.read;
    if (side !== 'new' || behaviour.fallback === undefined) {
      this.#counters.reads[side]++;
      return read(this.#stores[side]);
    }
    const fallback = this.#stores[behaviour.fallback];
    if (!this.#breaker.allows()) {
      this.#counters.fallbacks++;
      this.#counters.breakerOpenFallbacks++;
      this.#counters.reads[fallback.side]++;
      return read(fallback);
    }
    try {
      const result = await read(this.#target);
      this.#breaker.success();
      this.#counters.reads.new++;
      return result;
    } catch (error) {
      this.#breaker.failure();
      this.#counters.fallbacks++;
      this.#counters.reads[fallback.side]++;
      this.events.emit('fallback', { operation, error });
      return read(fallback);
    }
  }

  /**
   * The query's answer from one store for one slice: for the whole data set (no `keep`)
   * the answer itself; for part of it, the first `offset + limit` rows, which the caller
   * merges with the other part before applying the offset.
   */
  async #findIn(
    store: MigrationStore<T, ID>,
    phase: MigrationPhase,
    query: BackendQuery,
    slice: Slice<T>,
  ): Promise<T[]> {
    const needed = query.limit === undefined ? undefined : (query.offset ?? 0) + query.limit;
    const sliced: BackendQuery = { where: and(query.where, slice.condition), orderBy: query.orderBy };
    const keep = slice.keep;
    if (!(this.#lazy && phase === 'new-primary' && store.side === 'new')) {
      if (!keep) return store.find(query);
      return collect(store, sliced, needed, async (rows) => rows.filter(keep));
    }
    // Hybrid: what new holds, plus what only legacy holds.
    const fromNew = await collect(this.#target, sliced, needed, async (rows) =>
      keep ? rows.filter(keep) : rows,
    );
    const fromLegacy = await collect(this.#legacy, sliced, needed, async (rows) => {
      const candidates = keep ? rows.filter(keep) : rows;
      if (candidates.length === 0) return candidates;
      const migrated = new Set(
        (await this.#target.findByIds(candidates.map((row) => this.#idOf(row)))).map((row) =>
          idKey(this.#idOf(row)),
        ),
      );
      return candidates.filter((row) => !migrated.has(idKey(this.#idOf(row))));
    });
    const merged = [...fromNew, ...fromLegacy].sort(comparatorFor(query.orderBy));
    if (keep) return needed === undefined ? merged : merged.slice(0, needed);
    const start = query.offset ?? 0;
    return merged.slice(start, needed);
  }

  /** The parts of the data set by phase: one when every id is in the same phase. */
  #slices(): Slice<T>[] {
    const phase = this.machine.phase;
    const cohort = this.#cohort;
    if (cohort.everything || phase === this.#outsidePhase)
      return [{ phase, condition: undefined, keep: undefined }];
    return [
      { phase, condition: cohort.conditions?.inside, keep: (entity) => cohort.containsEntity(entity) },
      {
        phase: this.#outsidePhase,
        condition: cohort.conditions?.outside,
        keep: (entity) => !cohort.containsEntity(entity),
      },
    ];
  }

  async #lazyRead(ids: readonly ID[]): Promise<T[]> {
    const found = await this.#target.findByIds(ids);
    const have = new Set(found.map((row) => idKey(this.#idOf(row))));
    const missing = ids.filter((id) => !have.has(idKey(id)));
    if (missing.length === 0) return found;
    const fromLegacy = await this.#legacy.findByIds(missing, 'lazy-migration');
    if (fromLegacy.length === 0) return found;
    return [...found, ...(await this.#migrate(fromLegacy))];
  }

  async #migrate(entities: readonly T[]): Promise<T[]> {
    try {
      const stored = await this.#target.insertMany(entities);
      this.#counters.lazyMigrations += stored.length;
      return stored;
    } catch (error) {
      if (!(error instanceof DuplicateError)) throw error;
    }
    // Someone migrated some of them at the same moment: keep theirs, add the rest one by one.
    const result: T[] = [];
    for (const entity of entities) {
      try {
        result.push(...(await this.#target.insertMany([entity])));
        this.#counters.lazyMigrations++;
      } catch (error) {
        if (!(error instanceof DuplicateError)) throw error;
        const [theirs] = await this.#target.findByIds([this.#idOf(entity)]);
        result.push(theirs ?? entity);
      }
    }
    return result;
  }

  // ---- writes -----------------------------------------------------------------------

  async insertMany(rows: readonly Partial<T>[]): Promise<T[]> {
    if (rows.length === 0) return [];
    const groups = new Map<MigrationPhase, { index: number; row: Partial<T> }[]>();
    rows.forEach((row, index) => {
      const id = (row as Record<string, unknown>)[this.#entity.idField] as ID | undefined;
      // A generated id is not known before the insert: such rows follow the cohort only when it is everything.
      const phase =
        id === undefined
          ? this.#cohort.everything
            ? this.machine.phase
            : this.#outsidePhase
          : this.phaseOf(id);
      const group = groups.get(phase);
      if (group) group.push({ index, row });
      else groups.set(phase, [{ index, row }]);
    });
    const result: T[] = new Array(rows.length);
    await this.#write([...groups.keys()], async () => {
      const changes: SecondaryChange<T>[] = [];
      for (const [phase, entries] of groups) {
        const behaviour = this.#behaviour(phase);
        const created = await this.#stores[behaviour.writePrimary].insertMany(
          entries.map((entry) => entry.row),
        );
        created.forEach((entity, position) => {
          result[entries[position]!.index] = entity;
          if (behaviour.writeSecondary)
            changes.push({ side: behaviour.writeSecondary, id: this.#idOf(entity), entity });
        });
      }
      return changes;
    });
    return result;
  }

  async update(id: ID, patch: Partial<T>, options: BackendUpdateOptions): Promise<T> {
    const phase = this.phaseOf(id);
    await this.#ensureMigrated(phase, id);
    const behaviour = this.#behaviour(phase);
    let entity: T | undefined;
    await this.#write([phase], async () => {
      entity = await this.#stores[behaviour.writePrimary].update(id, patch, options);
      return behaviour.writeSecondary ? [{ side: behaviour.writeSecondary, id, entity }] : [];
    });
    return entity!;
  }

  async upsert(row: Partial<T>): Promise<T> {
    const id = (row as Record<string, unknown>)[this.#entity.idField] as ID;
    const phase = this.phaseOf(id);
    await this.#ensureMigrated(phase, id);
    const behaviour = this.#behaviour(phase);
    let entity: T | undefined;
    await this.#write([phase], async () => {
      entity = await this.#stores[behaviour.writePrimary].upsert(row);
      return behaviour.writeSecondary ? [{ side: behaviour.writeSecondary, id, entity }] : [];
    });
    return entity!;
  }

  async delete(id: ID): Promise<boolean> {
    const phase = this.phaseOf(id);
    await this.#ensureMigrated(phase, id);
    const behaviour = this.#behaviour(phase);
    let deleted = false;
    await this.#write([phase], async () => {
      deleted = await this.#stores[behaviour.writePrimary].delete(id);
      // Mirrored even when the primary had nothing, so a drifted secondary converges.
      return behaviour.writeSecondary ? [{ side: behaviour.writeSecondary, id, entity: null }] : [];
    });
    return deleted;
  }

  /**
   * Copies each id's current value from its primary side to its secondary side (or
   * deletes it there), e.g. after the old system changed a record behind the adapter's
   * back. Idempotent; ids in a phase with one side only are left alone.
   *
   * @example
   * ```ts
   * const drifted = adapter.comparisonReport().sample.flatMap((o) => o.input as string[]);
   * await adapter.resync(drifted);
   * ```
   */
  async resync(ids: readonly ID[]): Promise<void> {
    for (const id of ids) {
      const behaviour = this.#behaviour(this.phaseOf(id));
      if (!behaviour.writeSecondary) continue;
      const [current] = await this.#stores[behaviour.writePrimary].findByIds([id]);
      await this.#stores[behaviour.writeSecondary].mirror(id, current ?? null);
    }
  }

  async runInTransaction<R>(fn: () => Promise<R>): Promise<R> {
    return this.#writer.atomic(['legacy', 'new'], fn);
  }

  /** Whether either backend may read from a replica (one that cannot tell is taken to). */
  mayReadFromReplicas(): boolean {
    return (
      this.#legacyBackend.mayReadFromReplicas?.() !== false ||
      this.#targetBackend.mayReadFromReplicas?.() !== false
    );
  }

  /** Stops the outbox timer and closes both backends. */
  async close(): Promise<void> {
    await this.#writer.close();
    await this.#legacyBackend.close?.();
    await this.#targetBackend.close?.();
  }

  /**
   * Retries the queued secondary writes that are due: each copies the current value of
   * the id from the other side (or deletes it there), so it is idempotent.
   */
  drainOutbox(limit = 100): Promise<{ delivered: number; failed: number }> {
    return this.#writer.drain(limit);
  }

  async #ensureMigrated(phase: MigrationPhase, id: ID): Promise<void> {
    if (this.#lazy && phase === 'new-primary') await this.#lazyRead([id]);
  }

  /** Writes through the {@link SecondaryWriter}, inside the transactions of the sides these phases write. */
  #write(phases: readonly MigrationPhase[], primary: () => Promise<SecondaryChange<T>[]>): Promise<void> {
    const sides = new Set<MigrationSide>();
    for (const phase of phases) {
      const behaviour = this.#behaviour(phase);
      sides.add(behaviour.writePrimary);
      if (this.#writer.policy === 'fail' && behaviour.writeSecondary) sides.add(behaviour.writeSecondary);
    }
    return this.#writer.write([...sides], primary);
  }

  #publish(observation: ShadowObservation): void {
    this.#recorder.record(observation);
    this.gate.record(observation.outcome === 'matched' || observation.outcome === 'ignored');
    this.events.emit('observation', observation);
  }

  #behaviour(phase: MigrationPhase): PhaseBehaviour {
    return this.#behaviours[phase];
  }

  #idOf(entity: T): ID {
    return (entity as Record<string, unknown>)[this.#entity.idField] as ID;
  }
}

async function collect<T extends object>(
  store: MigrationStore<T, unknown>,
  query: BackendQuery,
  needed: number | undefined,
  keep: (rows: T[]) => Promise<T[]>,
): Promise<T[]> {
  const chunk = Math.max(needed ?? 1000, 100);
  const kept: T[] = [];
  for (let offset = 0; ; offset += chunk) {
    const page = await store.find({ where: query.where, orderBy: query.orderBy, limit: chunk, offset });
    kept.push(...(await keep(page)));
    if (page.length < chunk || (needed !== undefined && kept.length >= needed)) break;
  }
  return needed === undefined ? kept : kept.slice(0, needed);
}

function and(left: Condition | undefined, right: Condition | undefined): Condition | undefined {
  if (!left) return right;
  if (!right) return left;
  return { kind: 'and', conditions: [left, right] };
}

function idKey(id: unknown): string {
  return id instanceof Date ? `d:${id.getTime()}` : `${typeof id}:${String(id)}`;
}
