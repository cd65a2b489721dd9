import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from './redis-server.js';

/**
 * A Redis master, one replica and one Sentinel of the test's own, on spare loopback
 * ports; `killMaster()` SIGKILLs the master so Sentinel fails over to the replica.
 */
export class OwnRedisSentinel {
  readonly name = 'reposit-test';
  readonly masterPort: number;
  readonly replicaPort: number;
  readonly sentinelPort: number;
  readonly #children = new Map<string, ChildProcess>();
  readonly #dir: string;

  private constructor(dir: string, ports: [number, number, number]) {
    this.#dir = dir;
    [this.masterPort, this.replicaPort, this.sentinelPort] = ports;
  }

  static async start(): Promise<OwnRedisSentinel> {
    const dir = mkdtempSync(path.join(tmpdir(), 'reposit-sentinel-'));
    const setup = new OwnRedisSentinel(dir, [await freePort(), await freePort(), await freePort()]);
    const base = ['--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
    setup.#spawn('master', ['--port', String(setup.masterPort), ...base]);
    await setup.#waitFor(setup.masterPort);
    setup.#spawn('replica', [
      '--port',
      String(setup.replicaPort),
      ...base,
      '--replicaof',
      '127.0.0.1',
      String(setup.masterPort),
    ]);
    await setup.#waitFor(setup.replicaPort);
    const config = path.join(dir, 'sentinel.conf');
    writeFileSync(
      config,
      [
        `port ${setup.sentinelPort}`,
        'bind 127.0.0.1',
        `sentinel monitor ${setup.name} 127.0.0.1 ${setup.masterPort} 1`,
        `sentinel down-after-milliseconds ${setup.name} 500`,
        `sentinel failover-timeout ${setup.name} 2000`,
        '',
      ].join('\n'),
    );
    setup.#spawn('sentinel', [config, '--sentinel']);
    await setup.#waitFor(setup.sentinelPort);
    return setup;
  }

  /** ioredis options that reach the master through Sentinel. */
  get options(): { sentinels: { host: string; port: number }[]; name: string } {
    return { sentinels: [{ host: '127.0.0.1', port: this.sentinelPort }], name: this.name };
  }

  /** The port Sentinel currently names as master. */
  currentMasterPort(): number {
    const out = spawnSync('redis-cli', [
      '-p',
      String(this.sentinelPort),
      'sentinel',
      'get-master-addr-by-name',
      this.name,
    ])
      .stdout.toString()
      .trim()
      .split('\n');
    return Number(out[1]);
  }

  /** SIGKILLs the master, so Sentinel promotes the replica. */
  async killMaster(): Promise<void> {
    await this.#kill('master');
  }

  async stop(): Promise<void> {
    for (const role of [...this.#children.keys()]) await this.#kill(role);
    rmSync(this.#dir, { recursive: true, force: true });
  }

  #spawn(role: string, args: string[]): void {
    this.#children.set(role, spawn('redis-server', args, { cwd: this.#dir, stdio: 'ignore' }));
  }

  async #kill(role: string): Promise<void> {
    const child = this.#children.get(role);
    this.#children.delete(role);
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  }

  async #waitFor(port: number): Promise<void> {
    const deadline = Date.now() + 5000;
    while (
      spawnSync('redis-cli', ['-p', String(port), 'ping'])
        .stdout?.toString()
        .trim() !== 'PONG'
    ) {
      if (Date.now() > deadline) throw new Error(`redis on port ${port} did not start`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}
