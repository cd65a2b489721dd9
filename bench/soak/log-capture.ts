/**
 * Everything the soak run could leak a secret through: reposit's log lines (a pino
 * destination), whatever the process writes to stdout and stderr (ioredis and pg warnings
 * included), and the errors callers and cache listeners receive.
 */
export class LogCapture {
  readonly lines: string[] = [];
  readonly errorTexts: string[] = [];
  readonly #restore: (() => void)[] = [];
  #errorsSeen = 0;

  /** A pino destination that keeps every line. */
  readonly destination = {
    write: (line: string) => {
      this.lines.push(line);
    },
  };

  /** Tees stdout and stderr into the capture (they are still printed). */
  teeProcessOutput(): void {
    for (const stream of [process.stdout, process.stderr]) {
      const original = stream.write.bind(stream) as (...args: unknown[]) => boolean;
      (stream as unknown as { write: unknown }).write = (chunk: unknown, ...rest: unknown[]) => {
        this.lines.push(
          typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'),
        );
        return original(chunk, ...rest);
      };
      this.#restore.push(() => {
        (stream as unknown as { write: unknown }).write = original;
      });
    }
  }

  /**
   * Keeps the texts of an error a caller or listener received: message, stack, context
   * fields and the whole `cause` chain. The first 20,000 errors are kept; that is plenty to
   * cover every kind, and bounds memory when a fault produces many of the same.
   */
  recordError(error: unknown): void {
    if (++this.#errorsSeen > 20_000) return;
    let current: unknown = error;
    for (let depth = 0; depth < 6 && current !== undefined && current !== null; depth++) {
      if (current instanceof Error) {
        this.errorTexts.push(current.message, current.stack ?? '', safeJson(current));
        current = current.cause;
      } else {
        this.errorTexts.push(String(current));
        current = undefined;
      }
    }
  }

  stop(): void {
    for (const restore of this.#restore.splice(0)) restore();
  }

  /** Where each secret appears (also URL-encoded): a list of excerpts, empty when clean. */
  scan(secrets: readonly string[]): string[] {
    const needles = secrets.flatMap((secret) => [secret, encodeURIComponent(secret)]);
    const hits: string[] = [];
    for (const [source, texts] of [
      ['log line', this.lines],
      ['error', this.errorTexts],
    ] as const) {
      for (const text of texts) {
        const needle = needles.find((candidate) => text.includes(candidate));
        if (!needle) continue;
        const at = text.indexOf(needle);
        hits.push(`${source}: …${text.slice(Math.max(0, at - 60), at).replaceAll('\n', ' ')}<SECRET>…`);
      }
    }
    return hits;
  }

  /** How many error texts were scanned. */
  get errorsRecorded(): number {
    return Math.min(this.#errorsSeen, 20_000);
  }
}

function safeJson(error: Error): string {
  try {
    return JSON.stringify({ ...error });
  } catch {
    return '';
  }
}
