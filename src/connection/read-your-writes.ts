import { currentContext } from '../context/request-context.js';

/** Where the last write of a context left the primary's WAL, and until when that matters. */
interface WriteMark {
  /** The primary's WAL insert position after the write; undefined when it could not be read. */
  readonly lsn: bigint | undefined;
  /** After this time (ms since epoch) reads may go to any healthy replica again. */
  readonly until: number;
}

/**
 * Remembers, per request context, the last write's WAL position, so that the
 * context's reads stay on the primary until a replica has replayed that position or a
 * bounded window has passed. Without a context the tracker itself is the context.
 * Each tracker keys the context state with a symbol of its own, so two managers in one
 * context never mix their positions.
 *
 * @example
 * ```ts
 * const ryw = new ReadYourWrites(2000);
 * ryw.recordWrite(parseLsn('0/3000060'));
 * ryw.requiredLsn(); // 0x3000060n: only a replica that has replayed this far may serve
 * ```
 */
export class ReadYourWrites {
  readonly #key = Symbol('reposit.connection.readYourWrites');
  readonly #windowMs: number;
  #global: WriteMark | undefined;

  /** @param windowMs how long after a write its context stays on the primary at most */
  constructor(windowMs: number) {
    this.#windowMs = windowMs;
  }

  /** Records a write that left the primary at `lsn`. */
  recordWrite(lsn: bigint | undefined): void {
    const previous = this.#read();
    const merged =
      previous?.lsn !== undefined && (lsn === undefined || previous.lsn > lsn) ? previous.lsn : lsn;
    this.#write({ lsn: merged, until: Date.now() + this.#windowMs });
  }

  /**
   * The position a replica must have replayed to serve this context's reads:
   * `undefined` when any replica will do, `null` when only the primary will do (the
   * position is unknown but the window is still open).
   */
  requiredLsn(): bigint | null | undefined {
    const mark = this.#read();
    if (mark === undefined) return undefined;
    if (Date.now() >= mark.until) {
      this.#write(undefined);
      return undefined;
    }
    return mark.lsn ?? null;
  }

  #read(): WriteMark | undefined {
    const state = currentContext()?.state;
    return state ? (state.get(this.#key) as WriteMark | undefined) : this.#global;
  }

  #write(mark: WriteMark | undefined): void {
    const state = currentContext()?.state;
    if (!state) this.#global = mark;
    else if (mark) state.set(this.#key, mark);
    else state.delete(this.#key);
  }
}
