/** The part of a PGlite instance the pool uses (from `@electric-sql/pglite`). */
export interface PgliteDatabase {
  /** Runs one statement with its values as parameters. */
  query<R = Record<string, unknown>>(
    text: string,
    parameters?: unknown[],
  ): Promise<{ rows: R[]; affectedRows?: number; command?: string }>;
  /** Closes the database. */
  close(): Promise<void>;
}

/** A pg-style query: text, or a config object with text and values. */
type QueryInput = string | { text: string; values?: unknown[]; name?: string };

/** A result in pg's shape. */
export interface PgliteQueryResult<R> {
  rows: R[];
  rowCount: number;
  command: string;
}

/** A checked-out client of a {@link PglitePool}: holds the single connection until released. */
export interface PgliteClient {
  /** Runs one statement on the held connection. */
  query<R = Record<string, unknown>>(input: QueryInput, values?: unknown[]): Promise<PgliteQueryResult<R>>;
  /** Hands the connection back to the pool. */
  release(error?: unknown): void;
  /** Present for pg compatibility; PGlite emits no events. */
  on(event: string, listener: (...args: never[]) => void): PgliteClient;
  /** Present for pg compatibility. */
  removeListener(event: string, listener: (...args: never[]) => void): PgliteClient;
}

/**
 * Makes an embedded PGlite database look like a pg `Pool` (connect/query/end and the
 * counters), so a `ConnectionManager` — and every repository on it — runs on PostgreSQL
 * compiled to WebAssembly with no server: for demos and for users' unit tests.
 *
 * PGlite has one connection, so the pool hands it to one client at a time; others wait
 * their turn, which keeps transactions from interleaving.
 *
 * @example
 * ```ts
 * import { PGlite } from '@electric-sql/pglite';
 * const connections = new ConnectionManager({ primary: { pool: new PglitePool(await PGlite.create()) } });
 * ```
 */
export class PglitePool {
  readonly #db: PgliteDatabase;
  #tail: Promise<void> = Promise.resolve();
  #waiting = 0;
  #busy = false;
  #ended = false;

  constructor(db: PgliteDatabase) {
    this.#db = db;
  }

  /** Always 1: the single embedded connection. */
  get totalCount(): number {
    return 1;
  }

  /** 1 while nobody holds the connection. */
  get idleCount(): number {
    return this.#busy ? 0 : 1;
  }

  /** Callers waiting for the connection. */
  get waitingCount(): number {
    return this.#waiting;
  }

  /** Hands out the connection once it is free. */
  async connect(): Promise<PgliteClient> {
    const release = await this.#acquire();
    let released = false;
    const client: PgliteClient = {
      query: (input, values) => {
        if (released) return Promise.reject(new Error('Client was released and cannot be used'));
        return this.#run(input, values);
      },
      release: () => {
        if (released) return;
        released = true;
        release();
      },
      on: () => client,
      removeListener: () => client,
    };
    return client;
  }

  /** Runs one statement when the connection is free. */
  async query<R = Record<string, unknown>>(
    input: QueryInput,
    values?: unknown[],
  ): Promise<PgliteQueryResult<R>> {
    const release = await this.#acquire();
    try {
      return await this.#run<R>(input, values);
    } finally {
      release();
    }
  }

  /** Nothing to listen to: an embedded connection cannot drop. Present for pg compatibility. */
  on(_event: string, _listener: (...args: never[]) => void): this {
    return this;
  }

  /** Present for pg compatibility. */
  removeListener(_event: string, _listener: (...args: never[]) => void): this {
    return this;
  }

  /** Waits for the connection and closes the database. */
  async end(): Promise<void> {
    if (this.#ended) return;
    this.#ended = true;
    const release = await this.#acquire(true);
    release();
    await this.#db.close();
  }

  async #run<R>(input: QueryInput, values?: unknown[]): Promise<PgliteQueryResult<R>> {
    const text = typeof input === 'string' ? input : input.text;
    const parameters = typeof input === 'string' ? values : (input.values ?? values);
    const result = await this.#db.query<R>(text, parameters ? [...parameters] : []);
    const command = result.command ?? '';
    return {
      rows: result.rows,
      rowCount: command === 'SELECT' ? result.rows.length : (result.affectedRows ?? result.rows.length),
      command,
    };
  }

  #acquire(closing = false): Promise<() => void> {
    if (this.#ended && !closing)
      return Promise.reject(new Error('Cannot use a pool after calling end on the pool'));
    this.#waiting++;
    let release!: () => void;
    const turn = new Promise<void>((resolve) => {
      release = resolve;
    });
    const previous = this.#tail;
    this.#tail = previous.then(() => turn);
    return previous.then(() => {
      this.#waiting--;
      this.#busy = true;
      return () => {
        this.#busy = false;
        release();
      };
    });
  }
}
