import type { SoakEnvironment } from './environment.js';

/** The faults the soak injects, each once per run, in this order. */
export const FAULTS = [
  'redis-stop',
  'replica-stop',
  'primary-kill',
  'primary-latency',
  'primary-hang',
  'redis-latency',
  'redis-hang',
] as const;

/** One fault. */
export type FaultName = (typeof FAULTS)[number];

/** Which component a fault hits, and so which error target applies to it. */
export function componentOf(fault: FaultName): 'redis' | 'replica' | 'primary' {
  if (fault.startsWith('redis')) return 'redis';
  if (fault.startsWith('replica')) return 'replica';
  return 'primary';
}

/** A slot of the schedule: the fault runs from `start` to `end`, then the system recovers until `until`. */
export interface Slot {
  readonly fault: FaultName;
  readonly start: number;
  readonly end: number;
  readonly until: number;
}

/** When each fault starts and ends, relative to the run's start (ms). */
export interface Schedule {
  readonly warmupMs: number;
  readonly slots: readonly Slot[];
  readonly totalMs: number;
}

/**
 * Spreads the faults over `durationMs`: a fault-free warm-up, then one slot per fault, each
 * a fault (at most 10 s, about a third of the slot) followed by a recovery window.
 */
export function planSchedule(durationMs: number): Schedule {
  const warmupMs = Math.round(Math.min(15_000, Math.max(4_000, durationMs * 0.08)));
  const slotMs = (durationMs - warmupMs) / FAULTS.length;
  const faultMs = Math.min(10_000, slotMs * 0.35);
  const slots = FAULTS.map((fault, index) => {
    const start = Math.round(warmupMs + index * slotMs);
    return { fault, start, end: Math.round(start + faultMs), until: Math.round(start + slotMs) };
  });
  return { warmupMs, slots, totalMs: durationMs };
}

/** The phase a moment of the run belongs to: `warmup`, `<fault>` or `<fault> after`. */
export function phaseAt(schedule: Schedule, atMs: number): { label: string; slot: Slot | undefined } {
  if (atMs < schedule.warmupMs) return { label: 'warmup', slot: undefined };
  const slot = schedule.slots.find((candidate) => atMs < candidate.until) ?? schedule.slots.at(-1)!;
  return { label: atMs < slot.end ? slot.fault : `${slot.fault} after`, slot };
}

/** Injects and ends the faults on the soak's own servers and proxies. */
export class FaultInjector {
  readonly #env: SoakEnvironment;
  #killTimer: NodeJS.Timeout | undefined;
  killed = 0;

  constructor(env: SoakEnvironment) {
    this.#env = env;
  }

  async begin(fault: FaultName): Promise<void> {
    const env = this.#env;
    switch (fault) {
      case 'redis-stop':
        return env.redis.stop();
      case 'replica-stop':
        return env.replica.stop();
      case 'primary-kill': {
        await this.#killPrimaryConnections();
        // Every second while the fault lasts: new connections die too.
        this.#killTimer = setInterval(() => {
          this.#killPrimaryConnections().catch(() => {});
        }, 1000);
        return;
      }
      case 'primary-latency':
        return env.primaryProxy.setDelay(150);
      case 'primary-hang':
        return env.primaryProxy.setMode('hold');
      case 'redis-latency':
        return env.redisProxy.setDelay(150);
      case 'redis-hang':
        return env.redisProxy.setMode('hold');
    }
  }

  async end(fault: FaultName): Promise<void> {
    const env = this.#env;
    switch (fault) {
      case 'redis-stop':
        return env.redis.restart();
      case 'replica-stop':
        return env.replica.start();
      case 'primary-kill':
        clearInterval(this.#killTimer);
        return;
      case 'primary-latency':
      case 'primary-hang':
        return env.primaryProxy.restore();
      case 'redis-latency':
      case 'redis-hang':
        return env.redisProxy.restore();
    }
  }

  /** Ends whatever is still injected (after an abort). */
  async clear(): Promise<void> {
    clearInterval(this.#killTimer);
    this.#env.primaryProxy.restore();
    this.#env.redisProxy.restore();
  }

  async #killPrimaryConnections(): Promise<void> {
    const { rows } = await this.#env.admin.query<{ killed: boolean }>(
      'select pg_terminate_backend(pid) as killed from pg_stat_activity where application_name = $1 and pid <> pg_backend_pid()',
      [this.#env.applicationName],
    );
    this.killed += rows.filter((row) => row.killed).length;
  }
}
