import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * What a unit of work (an HTTP request, a job) tells reposit about itself: who acts
 * (recorded in the audit trail) and a request id (carried by log lines).
 */
export interface RequestContext {
  /** Who performs the writes, e.g. a user id; recorded by the audit trail. */
  readonly actor?: string;
  /** Correlates log lines of one request. */
  readonly requestId?: string;
  /** Free-form values for hooks and audit metadata. */
  readonly attributes?: Readonly<Record<string, unknown>>;
}

/** A running context: the caller's fields plus per-context state that reposit keeps. */
export interface ActiveContext extends RequestContext {
  /**
   * Per-context state owned by reposit's components (for example the log position of
   * the last write, for read-your-writes). Keys are symbols private to each component.
   */
  readonly state: Map<symbol, unknown>;
}

const storage = new AsyncLocalStorage<ActiveContext>();

/**
 * Runs `fn` with a request context. Nested calls inherit the outer fields they do not
 * set; state (such as read-your-writes positions) is shared with the outer context.
 *
 * @example
 * ```ts
 * app.use((req, _res, next) => withContext({ actor: req.user.id, requestId: req.id }, next));
 * await withContext({ actor: 'admin' }, () => users.update(1, { name: 'Ada' }));
 * ```
 */
export function withContext<R>(context: RequestContext, fn: () => R): R {
  const outer = storage.getStore();
  const active: ActiveContext = {
    actor: context.actor ?? outer?.actor,
    requestId: context.requestId ?? outer?.requestId,
    attributes: { ...outer?.attributes, ...context.attributes },
    state: outer?.state ?? new Map(),
  };
  return storage.run(active, fn);
}

/**
 * The context of the running call, if any.
 *
 * @example
 * ```ts
 * const actor = currentContext()?.actor ?? 'system';
 * ```
 */
export function currentContext(): ActiveContext | undefined {
  return storage.getStore();
}

/**
 * Runs `fn` outside any request context: for long-lived background work (timers, health
 * checks) started by a component that may be created inside a request, so that the work
 * is not attributed to that request (its log lines carry no `requestId`).
 *
 * @example
 * ```ts
 * outsideRequestContext(() => setInterval(check, 5_000));
 * ```
 */
export function outsideRequestContext<R>(fn: () => R): R {
  return storage.exit(fn);
}
