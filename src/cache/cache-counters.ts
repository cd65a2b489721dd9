/** The raw counters a CacheManager keeps (see `CacheManager.stats()`). */
export class CacheCounters {
  l1Hits = 0;
  l1Misses = 0;
  l2Hits = 0;
  l2Misses = 0;
  l2Errors = 0;
  /** L2 calls not made because the breaker was open. */
  l2Skipped = 0;
  /** L2 values refused because their signature did not verify (signing on). */
  l2Rejected = 0;
  staleServed = 0;
  loads = 0;
  loadErrors = 0;
  /** Write-backs refused because a write happened while the value loaded. */
  writeBacksRefused = 0;
  invalidations = 0;
  /** Invalidations waiting to be retried on L2. */
  pendingRetries = 0;
  busReceived = 0;
  busReconnects = 0;
  /** Delivery delays of received bus messages, milliseconds (a bounded reservoir). */
  readonly busDelays: number[] = [];

  recordBusDelay(ms: number): void {
    this.busReceived++;
    if (this.busDelays.length < 10_000) this.busDelays.push(ms);
    else this.busDelays[Math.floor(Math.random() * this.busDelays.length)] = ms;
  }
}
