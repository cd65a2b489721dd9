/** Google's canonical status names for the HTTP codes the emulator answers with. */
const STATUS: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  409: 'ABORTED',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

/**
 * An error the emulator answers with, in Google's body shape
 * `{ error: { code, message, status } }`.
 *
 * @example
 * ```ts
 * throw new EmulatorApiError(400, 'Unable to parse range: Nope!A1');
 * ```
 */
export class EmulatorApiError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = 'EmulatorApiError';
  }

  /** Google's status name, e.g. `INVALID_ARGUMENT`. */
  get status(): string {
    return STATUS[this.code] ?? 'UNKNOWN';
  }

  /** The JSON body Google sends with this error. */
  body(): { error: { code: number; message: string; status: string } } {
    return { error: { code: this.code, message: this.message, status: this.status } };
  }
}
