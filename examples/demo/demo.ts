/**
 * A short tour of reposit on PostgreSQL: CRUD, typed filters, keyset pages, a
 * transaction, an optimistic-lock conflict and a duplicate error.
 *
 * With DATABASE_URL set it uses that server; otherwise an embedded PostgreSQL (PGlite,
 * installed from npm) so that `npm run demo` needs nothing else.
 */
import { z } from 'zod';
import { ConnectionManager, PostgresBackend } from '../../src/backends/postgres/index.js';
import { BaseRepository, ConflictError, DuplicateError, defineEntity, withContext } from '../../src/index.js';
import { PglitePool } from '../../src/testing/index.js';

const Account = defineEntity({
  name: 'account',
  schema: z.object({
    id: z.number().int(),
    email: z.email(),
    owner: z.string().min(1),
    balance: z.number().int().nonnegative(),
    version: z.number().int(),
    createdAt: z.date(),
  }),
  id: 'id',
  generated: ['id'],
  version: 'version',
  timestamps: { createdAt: 'createdAt' },
});

/** Options of {@link runDemo}. */
export interface DemoOptions {
  /** Where each line goes. @default console.log */
  readonly print?: (line: string) => void;
  /** A PostgreSQL server to use. @default process.env.DATABASE_URL, else an embedded PGlite */
  readonly databaseUrl?: string;
  /** The schema the tour creates and drops. @default 'reposit_demo' */
  readonly schema?: string;
}

async function connect(url: string | undefined): Promise<{ connections: ConnectionManager; where: string }> {
  if (url) {
    const { hostname, port, pathname } = new URL(url);
    return {
      connections: new ConnectionManager({ primary: { connectionString: url } }),
      where: `PostgreSQL at ${hostname}:${port || 5432}${pathname}`,
    };
  }
  const { PGlite } = await import('@electric-sql/pglite');
  const pool = new PglitePool(await PGlite.create());
  return {
    connections: new ConnectionManager({ primary: pool }),
    where: 'an embedded PostgreSQL (PGlite; set DATABASE_URL to use a server)',
  };
}

/** Runs the tour, printing each step. */
export async function runDemo(options: DemoOptions = {}): Promise<void> {
  const print = options.print ?? console.log;
  const SCHEMA = options.schema ?? 'reposit_demo';
  const { connections, where } = await connect(options.databaseUrl ?? process.env.DATABASE_URL);
  print(`Using ${where}`);
  try {
    await connections.query(`drop schema if exists ${SCHEMA} cascade`, []);
    await connections.query(`create schema ${SCHEMA}`, []);
    await connections.query(
      `create table ${SCHEMA}.accounts (
         id bigserial primary key,
         email text not null unique,
         owner text not null,
         balance integer not null check (balance >= 0),
         version integer not null,
         created_at timestamptz not null)`,
      [],
    );
    const accounts = new BaseRepository({
      entity: Account,
      backend: new PostgresBackend(connections, { entity: Account, schema: SCHEMA, table: 'accounts' }),
    });

    print('\n1. create and read');
    const ada = await accounts.create({ email: 'ada@example.com', owner: 'Ada', balance: 100 });
    print(`   created ${ada.owner} #${ada.id} at version ${ada.version}`);
    await accounts.createMany(
      ['Grace', 'Alan', 'Edsger', 'Barbara', 'Donald', 'Frances', 'Ken'].map((owner, index) => ({
        email: `${owner.toLowerCase()}@example.com`,
        owner,
        balance: 50 + index * 25,
      })),
    );
    print(
      `   ${await accounts.count()} accounts; getById(${ada.id}) -> ${(await accounts.getById(ada.id))?.email}`,
    );

    print('\n2. typed filters');
    const rich = await accounts.list({
      where: { balance: { gte: 150 }, owner: { notIn: ['Ken'] } },
      orderBy: { balance: 'desc' },
    });
    print(
      `   balance >= 150, not Ken: ${rich.map((account) => `${account.owner} (${account.balance})`).join(', ')}`,
    );
    const aNames = await accounts.list({
      where: { or: [{ owner: { ilike: 'a%' } }, { email: { like: 'k%' } }] },
    });
    print(`   owner ilike 'a%' or email like 'k%': ${aNames.map((account) => account.owner).join(', ')}`);

    print('\n3. keyset pages of 3, by balance');
    let page = await accounts.list({ orderBy: { balance: 'asc' }, limit: 3, cursor: null });
    for (let number = 1; ; number++) {
      print(`   page ${number}: ${page.items.map((account) => account.owner).join(', ')}`);
      if (!page.nextCursor) break;
      page = await accounts.list({ orderBy: { balance: 'asc' }, limit: 3, cursor: page.nextCursor });
    }

    print('\n4. a transaction: move 30 from Ada to Grace, all or nothing');
    const grace = (await accounts.list({ where: { owner: 'Grace' }, limit: 1 }))[0]!;
    await withContext({ actor: 'demo' }, () =>
      connections.transaction(async () => {
        const from = await accounts.getOrFail(ada.id);
        const to = await accounts.getOrFail(grace.id);
        await accounts.update(from.id, { balance: from.balance - 30 }, { expectedVersion: from.version });
        await accounts.update(to.id, { balance: to.balance + 30 }, { expectedVersion: to.version });
      }),
    );
    print(
      `   Ada ${(await accounts.getOrFail(ada.id)).balance}, Grace ${(await accounts.getOrFail(grace.id)).balance}`,
    );
    const overdraw = connections.transaction(async () => {
      await accounts.update(grace.id, { balance: 0 });
      await accounts.update(ada.id, { balance: -1 });
    });
    const failure = await overdraw.catch((error: unknown) => error);
    print(
      `   an overdraft fails with ${(failure as Error).name}; Grace still has ${(await accounts.getOrFail(grace.id)).balance}`,
    );

    print('\n5. optimistic locking');
    const stale = await accounts.getOrFail(ada.id);
    await accounts.update(ada.id, { owner: 'Ada Lovelace' }, { expectedVersion: stale.version });
    const conflict = await accounts
      .update(ada.id, { owner: 'Countess' }, { expectedVersion: stale.version })
      .catch((error: unknown) => error);
    if (conflict instanceof ConflictError) {
      print(
        `   ${conflict.name}: expected version ${conflict.expectedVersion}, stored ${conflict.actualVersion}`,
      );
    }

    print('\n6. a duplicate');
    const duplicate = await accounts
      .create({ email: 'ada@example.com', owner: 'Impostor', balance: 0 })
      .catch((error: unknown) => error);
    if (duplicate instanceof DuplicateError)
      print(`   ${duplicate.name} on ${duplicate.constraint} (${duplicate.columns.join(', ')})`);

    print('\nDone.');
  } finally {
    await connections.query(`drop schema if exists ${SCHEMA} cascade`, []).catch(() => {});
    await connections.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  runDemo().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
