/**
 * One hostile repository call per generated case, the same for every backend: ids,
 * create/update inputs, filters and sort keys an attacker controls. The property is the
 * repository's contract: a correct result or a typed error, nothing else.
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import type { BaseRepository } from '../../src/repository/base-repository.js';
import {
  hostileFilter,
  hostileKey,
  hostileOrderBy,
  hostileScalar,
  hostileValue,
  ownObject,
  type Probe,
  Probe as ProbeEntity,
  typedOutcomeAsync,
} from './hostile.js';

export type ProbeInput = Omit<Probe, 'version'> & { version?: number };
type ProbeRepository = BaseRepository<Probe, string, ProbeInput>;

/** A valid create input; hostile cases start from it and break one or two fields. */
export function validProbe(id: string): ProbeInput {
  return {
    id,
    name: `name of ${id}`,
    score: 1.5,
    rank: 3,
    big: 7n,
    active: true,
    seenAt: new Date('2024-05-01T00:00:00.000Z'),
    colour: 'green',
    meta: { note: 'n' },
  };
}

/**
 * SQL and key injection strings aimed at the canaries; a test file pushes its own canary
 * names in before running, and the generators read the list when they generate.
 */
export const injections: string[] = ["'; DROP TABLE probes; --", "x' OR '1'='1", '*', '\\'];
const injection = fc.nat().map((index) => injections[index % injections.length]!);

/** Values zod accepts that a database may not: NUL bytes, int4/int8 overflow, far dates, denormals. */
const storageEdge = fc.constantFrom<[string, unknown]>(
  ['name', 'a\u0000b'],
  ['name', '\ud800'],
  ['rank', 2 ** 40],
  ['rank', -(2 ** 31) - 1],
  ['big', 2n ** 64n],
  ['big', -(2n ** 63n) - 1n],
  ['seenAt', new Date(8.64e15)],
  ['seenAt', new Date(-8.64e15)],
  ['seenAt', new Date(-62_198_755_200_000)],
  ['score', 5e-324],
  ['score', -1.7976931348623157e308],
  ['meta', { note: '\u0000' }],
  ['meta', { note: '\ud800' }],
);

/** Values of each field's own type, so that many cases pass validation and reach the backend. */
const typed: Record<string, fc.Arbitrary<unknown>> = {
  id: fc.oneof(fc.constantFrom('p-1', 'p-2'), fc.string({ maxLength: 64 }), injection),
  name: fc.oneof(fc.string({ maxLength: 40 }), injection),
  score: fc.double({ noNaN: true, noDefaultInfinity: true }),
  rank: fc.integer(),
  big: fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }),
  active: fc.boolean(),
  seenAt: fc.date({ noInvalidDate: true }),
  colour: fc.constantFrom('red', 'green', 'blue'),
};
const typedField = fc.constantFrom(...Object.keys(typed));
const plausibleFilter = fc
  .array(
    typedField.chain((field) =>
      fc
        .oneof(
          typed[field]!,
          typed[field]!.map((value) => ({ ne: value })),
          typed[field]!.map((value) => ({ gte: value })),
          fc.array(typed[field]!, { maxLength: 4 }).map((values) => ({ in: values })),
          fc.string({ maxLength: 8 }).map((pattern) => ({ [field === 'name' ? 'ilike' : 'like']: pattern })),
          fc.constant(null),
        )
        .map((condition) => [field, condition] as const),
    ),
    { maxLength: 3 },
  )
  .map((entries) => ownObject(entries));
const plausiblePatch = fc.oneof(
  storageEdge.map(([field, value]) => ({ [field]: value })),
  fc.record(
    { name: typed.name!, score: typed.score!, rank: typed.rank!, big: typed.big!, seenAt: typed.seenAt! },
    { requiredKeys: [] },
  ),
);

const hostileId = fc.oneof(
  fc.constantFrom('p-1', 'p-2'),
  injection,
  fc.string({ maxLength: 70 }),
  fc.constantFrom("1' OR '1'='1", 'p-1', 'p-2', "'; DELETE FROM canary.canary; --", '\u0000', ''),
  hostileValue,
);

const hostileInput = fc.oneof(
  fc
    .tuple(fc.string({ minLength: 1, maxLength: 60 }), storageEdge)
    .map(([id, [field, value]]) => ({ ...validProbe(`e-${id}`), [field]: value })),
  fc
    .tuple(
      fc.string({ minLength: 1, maxLength: 64 }),
      fc.array(
        fc.tuple(
          fc.oneof(fc.constantFrom(...Object.keys(validProbe('x')), 'version'), hostileKey),
          hostileValue,
        ),
        {
          maxLength: 2,
        },
      ),
    )
    .map(([id, breaks]) => ownObject([...Object.entries(validProbe(`h-${id}`)), ...breaks])),
  hostileValue,
);

const hostilePatch = fc.oneof(
  plausiblePatch,
  fc
    .array(
      fc.tuple(
        fc.oneof(fc.constantFrom('name', 'score', 'rank', 'big', 'seenAt', 'meta'), hostileKey),
        hostileScalar,
      ),
      {
        maxLength: 3,
      },
    )
    .map((entries) => ownObject(entries)),
  hostileValue,
);

const smallLimit = fc.oneof(fc.integer({ min: 0, max: 5 }), hostileScalar);

/** A repository call with hostile arguments; returns the call and a label for failures. */
export const hostileCall = fc.oneof(
  hostileId.map((id) => ({ op: 'getById', run: (r: ProbeRepository) => r.getById(id as string) })),
  fc
    .array(hostileId, { maxLength: 4 })
    .map((ids) => ({ op: 'getByIds', run: (r: ProbeRepository) => r.getByIds(ids as string[]) })),
  hostileInput.map((input) => ({
    op: 'create',
    run: async (r: ProbeRepository) => {
      const created = await r.create(input as ProbeInput);
      // What was acknowledged is what was given: no backend may silently alter a string.
      const given = (input as Record<string, unknown>).name;
      if (created.name !== given)
        throw new Error(`create stored name ${JSON.stringify(created.name)}, given ${JSON.stringify(given)}`);
      return created;
    },
  })),
  fc
    .tuple(hostileId, hostilePatch, fc.oneof(fc.constant(undefined), hostileScalar))
    .map(([id, patch, expected]) => ({
      op: 'update',
      run: (r: ProbeRepository) =>
        r.update(id as string, patch as Partial<Probe>, { expectedVersion: expected as number }),
    })),
  fc
    .tuple(
      fc.oneof(plausibleFilter, hostileFilter),
      fc.oneof(
        fc.constantFrom(undefined, { score: 'desc' }, [
          { field: 'seenAt' },
          { field: 'big', direction: 'desc' },
        ]),
        hostileOrderBy,
      ),
      smallLimit,
    )
    .map(([where, orderBy, limit]) => ({
      op: 'list',
      run: (r: ProbeRepository) => r.list({ where, orderBy, limit } as never),
    })),
  fc
    .tuple(
      fc.oneof(plausibleFilter, hostileFilter),
      smallLimit,
      fc.oneof(fc.constant(null), fc.string(), hostileScalar),
    )
    .map(([where, limit, cursor]) => ({
      op: 'page',
      run: (r: ProbeRepository) => r.list({ where, limit, cursor } as never),
    })),
  fc
    .oneof(plausibleFilter, hostileFilter)
    .map((where) => ({ op: 'count', run: (r: ProbeRepository) => r.count(where as never) })),
  // p-1 survives every run, so that updates and reads of a real row are exercised throughout.
  hostileId
    .filter((id) => id !== 'p-1')
    .map((id) => ({ op: 'delete', run: (r: ProbeRepository) => r.delete(id as string) })),
);

/** Whatever the repository returned is well-typed: entities parse, counts are counts. */
function assertResult(op: string, value: unknown): void {
  const entities: unknown[] = [];
  if (op === 'getById' && value !== null) entities.push(value);
  if (op === 'getByIds') entities.push(...(value as unknown[]).filter((item) => item !== null));
  if (op === 'create' || op === 'update') entities.push(value);
  if (op === 'list') entities.push(...(value as unknown[]));
  if (op === 'page') entities.push(...(value as { items: unknown[] }).items);
  if (op === 'count') expect(Number.isSafeInteger(value) && (value as number) >= 0).toBe(true);
  if (op === 'delete') expect(typeof value).toBe('boolean');
  for (const entity of entities) {
    const parsed = ProbeEntity.schema.safeParse(entity);
    expect(parsed.success, `${op} returned an invalid entity: ${parsed.error?.message}`).toBe(true);
  }
}

/** Runs one hostile call and checks the contract; returns the error code, if any. */
export async function checkHostileCall(
  repo: ProbeRepository,
  call: { op: string; run: (r: ProbeRepository) => Promise<unknown> },
): Promise<string | undefined> {
  const outcome = await typedOutcomeAsync(() => call.run(repo));
  if (outcome.ok) {
    assertResult(call.op, outcome.value);
    return undefined;
  }
  return outcome.error.code;
}
