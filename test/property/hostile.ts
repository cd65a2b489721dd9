/**
 * Hostile inputs for the property tests: values of every JavaScript type a caller (or a
 * JSON body) can hand the library, keys that try prototype pollution, deep nesting and
 * huge lists, plus the assertion that only typed repository errors come out.
 */
import fc from 'fast-check';
import { z } from 'zod';
import { RepositoryError } from '../../src/errors.js';
import { defineEntity, type EntityType } from '../../src/repository/entity.js';

/**
 * Runs per surface, fixed so a reader knows the coverage; on a failure fast-check prints
 * the seed and path to replay (`{ seed, path }` in the property's parameters).
 */
export const RUNS = 10_000;

// Replays a reported failure: FC_SEED=<seed printed by fast-check> npx vitest run <file>.
if (process.env.FC_SEED) fc.configureGlobal({ seed: Number(process.env.FC_SEED) });

/** An entity with one field of every kind the normaliser knows, and a non-scalar one. */
export const Probe = defineEntity({
  name: 'probe',
  schema: z.object({
    id: z.string().min(1).max(64),
    name: z.string().max(200),
    score: z.number(),
    rank: z.number().int().nullable(),
    big: z.bigint(),
    active: z.boolean(),
    seenAt: z.date(),
    colour: z.enum(['red', 'green', 'blue']),
    meta: z.object({ note: z.string() }).nullable(),
    version: z.number().int(),
  }),
  id: 'id',
  version: 'version',
});
export type Probe = EntityType<typeof Probe>;

export const FIELDS = ['id', 'name', 'score', 'rank', 'big', 'active', 'seenAt', 'colour', 'meta', 'version'];
export const OPERATORS = ['eq', 'ne', 'in', 'notIn', 'gt', 'gte', 'lt', 'lte', 'like', 'ilike', 'isNull'];
export const POLLUTING_KEYS = [
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'valueOf',
  'hasOwnProperty',
  '__defineGetter__',
];

class Custom {
  readonly x = 1;
}

/** A null-prototype object whose `constructor.name` is an object: zod's message builder throws on it. */
export function exoticObject(): object {
  const maker = Object.assign(Object.create(null), { name: Object.create(null) });
  return Object.assign(Object.create(null), { constructor: maker });
}

/** A scalar of any type, including the ones JSON cannot carry. */
export const hostileScalar: fc.Arbitrary<unknown> = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom("'; DROP TABLE canary; --", '%', '_', '\\', '\u0000', '{a}', 'a:b', ''),
  fc.double(),
  fc.integer(),
  fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0, 2 ** 53, 1e308),
  fc.bigInt(),
  fc.boolean(),
  fc.constantFrom(null, undefined),
  fc.date({ noInvalidDate: false }),
  fc.constant(new Date(Number.NaN)),
  fc.constantFrom('red', 'green', 'purple'),
  fc.constant(Symbol('hostile')),
  fc.constant(() => 1),
  fc.constant(new Custom()),
  fc.constant(new Map([['a', 1]])),
  fc.constant(Buffer.from('hi')),
  fc.constant(/x/),
  fc.constant(null).map(() => exoticObject()),
);

/** Keys an attacker would send: fields, operators, combinators, pollution and noise. */
export const hostileKey: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...FIELDS, ...OPERATORS, 'and', 'or', ...POLLUTING_KEYS),
  fc.string({ maxLength: 12 }),
);

/** A plain object with exactly these own enumerable entries (`__proto__` included, as JSON.parse makes it). */
export function ownObject(entries: readonly (readonly [string, unknown])[], nullPrototype = false): object {
  const object: Record<string, unknown> = nullPrototype ? Object.create(null) : {};
  for (const [key, value] of entries)
    Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
  return object;
}

/** Arbitrary nested values: objects with hostile keys, arrays, scalars. */
export const hostileValue: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    hostileScalar,
    fc.array(tie('value'), { maxLength: 5 }),
    fc
      .tuple(fc.array(fc.tuple(hostileKey, tie('value')), { maxLength: 5 }), fc.boolean())
      .map(([entries, bare]) => ownObject(entries, bare)),
  ),
})).value;

/** A list too long for any `in` bound, and nesting deeper than any depth bound. */
export const hugeList = fc.constantFrom(
  Array.from({ length: 20_000 }, (_, index) => `v${index}`),
  Array.from({ length: 10_001 }, () => 1),
);

/** `{ and: [{ and: [ … leaf … ] }] }` nested `depth` levels. */
export function nested(depth: number, key: 'and' | 'or', leaf: unknown): unknown {
  let filter = leaf;
  for (let level = 0; level < depth; level++) filter = { [key]: [filter] };
  return filter;
}

export const deepFilter = fc
  .tuple(fc.integer({ min: 1, max: 2_000 }), fc.constantFrom<'and' | 'or'>('and', 'or'), hostileValue)
  .map(([depth, key, leaf]) => nested(depth, key, leaf));

/** A filter-shaped value: mostly well-formed structure with hostile leaves, sometimes anything. */
export const hostileFilter: fc.Arbitrary<unknown> = fc.letrec<{ filter: unknown; condition: unknown }>(
  (tie) => ({
    filter: fc.oneof(
      { depthSize: 'small' },
      fc
        .array(
          fc.oneof(
            fc.tuple(fc.constantFrom(...FIELDS), tie('condition')),
            fc.tuple(fc.constantFrom('and', 'or'), fc.array(tie('filter'), { maxLength: 3 })),
            fc.tuple(hostileKey, hostileValue),
          ),
          { maxLength: 4 },
        )
        .map((entries) => ownObject(entries)),
      hostileValue,
      deepFilter,
      fc.tuple(fc.constantFrom(...FIELDS), hugeList).map(([field, list]) => ({ [field]: { in: list } })),
      fc.string().map((text) => safeJson(text)),
    ),
    condition: fc.oneof(
      hostileScalar,
      fc
        .array(fc.tuple(fc.constantFrom(...OPERATORS, ...POLLUTING_KEYS), hostileValue), {
          minLength: 1,
          maxLength: 3,
        })
        .map((entries) => ownObject(entries)),
      fc
        .tuple(fc.constantFrom('in', 'notIn'), fc.array(hostileScalar, { maxLength: 6 }))
        .map(([op, list]) => ({ [op]: list })),
    ),
  }),
).filter;

/** Sort keys in both accepted shapes, with hostile fields and directions. */
export const hostileOrderBy: fc.Arbitrary<unknown> = fc.oneof(
  hostileValue,
  fc
    .array(fc.tuple(hostileKey, fc.oneof(fc.constantFrom('asc', 'desc', 'ASC', 'DESC; --'), hostileScalar)), {
      maxLength: 10,
    })
    .map((entries) => ownObject(entries)),
  fc.array(
    fc.oneof(
      fc
        .record({ field: hostileKey, direction: fc.oneof(fc.constantFrom('asc', 'desc'), hostileScalar) })
        .map((key) => key as unknown),
      hostileValue,
    ),
    { maxLength: 10 },
  ),
);

/** JSON.parse of attacker text, or the text itself when it is not JSON. */
export function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * The contract of every property: the call returns (the property checks the result) or
 * throws a typed {@link RepositoryError} with a readable message — never a TypeError,
 * RangeError or anything untyped.
 */
export function expectTyped(error: unknown): RepositoryError {
  if (!(error instanceof RepositoryError)) {
    const text = error instanceof Error ? `${error.name}: ${error.message}\n${error.stack}` : String(error);
    throw new Error(`an untyped error escaped: ${text}`);
  }
  if (typeof error.message !== 'string' || error.message.length === 0 || error.message.length > 20_000)
    throw new Error(
      `unreadable error message (${error.message.length} characters): ${error.message.slice(0, 300)}`,
    );
  return error;
}

/** Runs `work`; returns its result, or the typed error it threw (rethrows anything else). */
export function typedOutcome<R>(
  work: () => R,
): { ok: true; value: R } | { ok: false; error: RepositoryError } {
  try {
    return { ok: true, value: work() };
  } catch (error) {
    return { ok: false, error: expectTyped(error) };
  }
}

/** The async form of {@link typedOutcome}. */
export async function typedOutcomeAsync<R>(
  work: () => Promise<R>,
): Promise<{ ok: true; value: R } | { ok: false; error: RepositoryError }> {
  let pending: Promise<R>;
  try {
    pending = work();
  } catch (error) {
    // A promise-returning API that throws before returning one escapes `.catch()` handlers.
    throw new Error(`threw synchronously instead of rejecting: ${String((error as Error)?.message)}`);
  }
  try {
    return { ok: true, value: await pending };
  } catch (error) {
    return { ok: false, error: expectTyped(error) };
  }
}

/** Object.prototype's own keys, to compare before and after a run. */
export function prototypeSnapshot(): string {
  return JSON.stringify([
    Object.getOwnPropertyNames(Object.prototype).sort(),
    Object.getOwnPropertyNames(Array.prototype).sort(),
  ]);
}

/**
 * Counts the process's unhandled rejections and uncaught exceptions from now on (vitest
 * fails a run that has any, too; this names the surface that caused them).
 */
export function watchProcess(): { readonly count: () => number; readonly stop: () => void } {
  const seen: unknown[] = [];
  const record = (reason: unknown) => seen.push(reason);
  process.on('unhandledRejection', record);
  process.on('uncaughtException', record);
  return {
    count: () => seen.length,
    stop: () => {
      process.off('unhandledRejection', record);
      process.off('uncaughtException', record);
    },
  };
}
