import { type ChildProcess, execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleScript } from '../../support/fork-ts.js';

const here = path.dirname(fileURLToPath(import.meta.url));

/** What one run of the `reposit` command printed, and how it exited. */
export interface RepositRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout parsed, for `--json` runs. */
  json<T = Record<string, unknown>>(): T;
}

/**
 * Fails with the command's stderr when it did not exit 0 (a bare "expected 1 to be 0"
 * would hide why), and returns the run.
 */
export function succeeded(run: RepositRun): RepositRun {
  if (run.code !== 0) {
    throw new Error(`reposit exited ${run.code}:\n${run.stderr}\n${run.stdout}`);
  }
  return run;
}

/** The CLI (src/cli/bin.ts) and the fixture config module, bundled for real Node processes. */
export interface CliBundle {
  readonly cli: string;
  readonly config: string;
}

/** Bundles the CLI entry and the fixture config once per test file. */
export async function bundleCli(): Promise<CliBundle> {
  const [cli, config] = await Promise.all([
    bundleScript(path.resolve(here, '../../../src/cli/bin.ts')),
    bundleScript(path.resolve(here, 'fixtures/widgets.config.ts')),
  ]);
  return { cli, config };
}

/**
 * Runs `node <cli> ...args` as a child process with extra environment variables (no
 * inherited CLI_* variables) and resolves with its exit code and output; never rejects
 * on a non-zero exit.
 */
export function runReposit(
  cli: string,
  args: readonly string[],
  env: Record<string, string> = {},
  options: {
    nodeArgs?: readonly string[];
    cwd?: string;
    timeoutMs?: number;
    /** Called with the child process as soon as it starts (to signal it). */
    onSpawn?: (child: ChildProcess) => void;
  } = {},
): Promise<RepositRun> {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !key.startsWith('CLI_')),
  );
  return new Promise((resolve, reject) => {
    const child = execFile(
      process.execPath,
      [...(options.nodeArgs ?? []), cli, ...args],
      {
        env: { ...inherited, ...env },
        cwd: options.cwd ?? here,
        timeout: options.timeoutMs ?? 60_000,
        maxBuffer: 16 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
        if (code === null) {
          reject(new Error(`reposit ${args.join(' ')} did not exit normally: ${error?.message}\n${stderr}`));
          return;
        }
        resolve({
          code,
          stdout,
          stderr,
          json: <T>() => {
            try {
              return JSON.parse(stdout) as T;
            } catch {
              throw new Error(`reposit ${args.join(' ')} printed no JSON document:\n${stdout}\n${stderr}`);
            }
          },
        });
      },
    );
    options.onSpawn?.(child);
  });
}
