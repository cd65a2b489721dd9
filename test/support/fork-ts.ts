import { type ChildProcess, fork } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * Bundles a TypeScript script (packages stay external) into .tmp/ and returns the path,
 * so tests can fork real Node processes running reposit's source.
 */
export async function bundleScript(entry: string): Promise<string> {
  const outdir = path.join(root, '.tmp');
  mkdirSync(outdir, { recursive: true });
  const outfile = path.join(outdir, `${path.basename(entry, '.ts')}-${process.pid}-${Date.now()}.mjs`);
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    logLevel: 'silent',
  });
  return outfile;
}

/** A forked process speaking JSON messages over IPC. */
export interface Worker {
  readonly child: ChildProcess;
  /** Sends a request and resolves with the reply carrying the same `seq`. */
  request<R = Record<string, unknown>>(message: Record<string, unknown>, timeoutMs?: number): Promise<R>;
  /** Every message that is not a reply. */
  readonly notices: Record<string, unknown>[];
  /** Waits for a notice matching `test`. */
  waitFor(
    test: (notice: Record<string, unknown>) => boolean,
    timeoutMs?: number,
  ): Promise<Record<string, unknown>>;
  kill(signal?: NodeJS.Signals): void;
}

/** Forks a bundled script with extra environment variables. */
export function startWorker(script: string, env: Record<string, string>): Worker {
  const child = fork(script, [], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const waiting = new Map<number, (reply: Record<string, unknown>) => void>();
  const notices: Record<string, unknown>[] = [];
  const watchers = new Set<() => void>();
  let seq = 0;
  child.on('message', (raw) => {
    const message = raw as Record<string, unknown>;
    const resolve = typeof message.seq === 'number' ? waiting.get(message.seq) : undefined;
    if (resolve) {
      waiting.delete(message.seq as number);
      resolve(message);
    } else {
      notices.push(message);
      for (const watch of watchers) watch();
    }
  });
  return {
    child,
    notices,
    request(message, timeoutMs = 20_000) {
      const id = ++seq;
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`worker did not answer ${JSON.stringify(message)}`)),
          timeoutMs,
        );
        waiting.set(id, (reply) => {
          clearTimeout(timer);
          if (typeof reply.error === 'string') reject(new Error(reply.error));
          else resolve(reply as never);
        });
        child.send({ ...message, seq: id });
      });
    },
    waitFor(test, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = notices.find(test);
          if (found) {
            watchers.delete(check);
            clearTimeout(timer);
            resolve(found);
          }
        };
        const timer = setTimeout(() => {
          watchers.delete(check);
          reject(new Error('worker notice did not arrive'));
        }, timeoutMs);
        watchers.add(check);
        check();
      });
    },
    kill(signal = 'SIGTERM') {
      child.kill(signal);
    },
  };
}
