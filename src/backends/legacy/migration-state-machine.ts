import { ValidationError } from '../../errors.js';
import { TypedEvents } from '../../observability/typed-events.js';
import { MIGRATION_PHASES, type MigrationPhase } from './migration-phase.js';

/**
 * One recorded move of a {@link MigrationStateMachine}.
 *
 * @example
 * ```ts
 * machine.events.on('transition', (t: PhaseTransition) => saveState({ phase: t.to, at: t.at, reason: t.reason }));
 * ```
 */
export interface PhaseTransition {
  readonly from: MigrationPhase;
  readonly to: MigrationPhase;
  /** Why, as the operator said. */
  readonly reason: string | undefined;
  readonly at: Date;
}

/**
 * Decides whether a move may happen: returns a reason to refuse it, or undefined.
 *
 * @example
 * ```ts
 * const guard: TransitionGuard = (from, to) => (to === 'new-only' && !backfilled ? 'run the backfill first' : undefined);
 * ```
 */
export type TransitionGuard = (from: MigrationPhase, to: MigrationPhase) => string | undefined;

/**
 * Options of {@link MigrationStateMachine}.
 *
 * @example
 * ```ts
 * new MigrationStateMachine({ initial: await loadSavedPhase(), guard: (from, to) => (to === 'new-only' ? 'not before the audit' : undefined) });
 * ```
 */
export interface MigrationStateMachineOptions {
  /** The phase to start in. @default 'legacy-only' */
  readonly initial?: MigrationPhase;
  /** Refuses moves, e.g. until the cut-over gate opens. @default undefined (every move allowed) */
  readonly guard?: TransitionGuard;
}

/**
 * Events of a {@link MigrationStateMachine}.
 *
 * @example
 * ```ts
 * machine.events.on('transition', ({ from, to }) => console.log(`${from} → ${to}`));
 * ```
 */
export interface MigrationStateEvents {
  transition: PhaseTransition;
}

/**
 * The one state machine every strategy configures: the phases of
 * {@link MIGRATION_PHASES}, moved one step at a time, forward or back. Each move is
 * recorded, can be refused by a guard, and is announced to listeners (persist the phase
 * there if it must survive a restart).
 *
 * @example
 * ```ts
 * const machine = new MigrationStateMachine({ initial: 'dual-write' });
 * machine.advance('backfill done');   // → shadow-read
 * machine.retreat('mismatches found'); // → dual-write
 * machine.moveTo('new-primary');       // steps through shadow-read
 * ```
 */
export class MigrationStateMachine {
  readonly events = new TypedEvents<MigrationStateEvents>();
  #phase: MigrationPhase;
  readonly #guard: TransitionGuard | undefined;
  readonly #history: PhaseTransition[] = [];

  constructor(options: MigrationStateMachineOptions = {}) {
    this.#phase = options.initial ?? 'legacy-only';
    if (!MIGRATION_PHASES.includes(this.#phase)) throw unknownPhase(this.#phase);
    this.#guard = options.guard;
  }

  /** The current phase. */
  get phase(): MigrationPhase {
    return this.#phase;
  }

  /** Every move so far, oldest first. */
  get history(): readonly PhaseTransition[] {
    return this.#history;
  }

  /** Moves one step forward; throws `ValidationError` at `new-only` or when the guard refuses. */
  advance(reason?: string): MigrationPhase {
    const index = MIGRATION_PHASES.indexOf(this.#phase);
    if (index === MIGRATION_PHASES.length - 1)
      throw new ValidationError(`The migration is already at ${this.#phase}; there is no step forward`);
    return this.#move(MIGRATION_PHASES[index + 1]!, reason);
  }

  /** Moves one step back; throws `ValidationError` at `legacy-only` or when the guard refuses. */
  retreat(reason?: string): MigrationPhase {
    const index = MIGRATION_PHASES.indexOf(this.#phase);
    if (index === 0)
      throw new ValidationError(`The migration is already at ${this.#phase}; there is no step back`);
    return this.#move(MIGRATION_PHASES[index - 1]!, reason);
  }

  /** Walks step by step to `target` (each step guarded and recorded); stops at the first refusal. */
  moveTo(target: MigrationPhase, reason?: string): MigrationPhase {
    const to = MIGRATION_PHASES.indexOf(target);
    if (to < 0) throw unknownPhase(target);
    while (this.#phase !== target) {
      if (MIGRATION_PHASES.indexOf(this.#phase) < to) this.advance(reason);
      else this.retreat(reason);
    }
    return this.#phase;
  }

  #move(to: MigrationPhase, reason: string | undefined): MigrationPhase {
    const from = this.#phase;
    const refusal = this.#guard?.(from, to);
    if (refusal !== undefined)
      throw new ValidationError(`The migration cannot move from ${from} to ${to}: ${refusal}`);
    this.#phase = to;
    const transition: PhaseTransition = { from, to, reason, at: new Date() };
    this.#history.push(transition);
    this.events.emit('transition', transition);
    return to;
  }
}

function unknownPhase(phase: unknown): ValidationError {
  return new ValidationError(
    `Unknown migration phase ${JSON.stringify(phase)} (phases: ${MIGRATION_PHASES.join(', ')})`,
  );
}
