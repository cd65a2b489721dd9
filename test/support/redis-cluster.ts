import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Cluster } from 'ioredis';
import { freePort } from './redis-server.js';

/**
 * A three-node Redis Cluster of the test's own (three masters, no replicas) on spare
 * loopback ports, each node in its own temporary directory.
 */
export class OwnRedisCluster {
  readonly ports: number[];
  readonly #children: ChildProcess[];
  readonly #dir: string;

  private constructor(ports: number[], children: ChildProcess[], dir: string) {
    this.ports = ports;
    this.#children = children;
    this.#dir = dir;
  }

  static async start(): Promise<OwnRedisCluster> {
    const dir = mkdtempSync(path.join(tmpdir(), 'reposit-cluster-'));
    const ports = [await freePort(), await freePort(), await freePort()];
    const children = ports.map((port) =>
      spawn(
        'redis-server',
        [
          '--port',
          String(port),
          '--bind',
          '127.0.0.1',
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          `nodes-${port}.conf`,
          '--save',
          '',
          '--appendonly',
          'no',
        ],
        { cwd: dir, stdio: 'ignore' },
      ),
    );
    const cluster = new OwnRedisCluster(ports, children, dir);
    for (const port of ports) {
      const deadline = Date.now() + 5000;
      while (
        spawnSync('redis-cli', ['-p', String(port), 'ping'])
          .stdout?.toString()
          .trim() !== 'PONG'
      ) {
        if (Date.now() > deadline) throw new Error(`cluster node ${port} did not start`);
        await new Promise((r) => setTimeout(r, 20));
      }
    }
    const created = spawnSync(
      'redis-cli',
      [
        '--cluster',
        'create',
        ...ports.map((p) => `127.0.0.1:${p}`),
        '--cluster-replicas',
        '0',
        '--cluster-yes',
      ],
      { encoding: 'utf8' },
    );
    if (created.status !== 0)
      throw new Error(`redis-cli --cluster create failed: ${created.stdout}${created.stderr}`);
    const deadline = Date.now() + 10_000;
    while (
      !spawnSync('redis-cli', ['-p', String(ports[0]), 'cluster', 'info'])
        .stdout.toString()
        .includes('cluster_state:ok')
    ) {
      if (Date.now() > deadline) throw new Error('the cluster did not become ok');
      await new Promise((r) => setTimeout(r, 50));
    }
    return cluster;
  }

  /** Startup nodes for ioredis. */
  get nodes(): { host: string; port: number }[] {
    return this.ports.map((port) => ({ host: '127.0.0.1', port }));
  }

  /** A Cluster client; the caller disconnects it. */
  client(): Cluster {
    const client = new Cluster(this.nodes, { redisOptions: { maxRetriesPerRequest: 1 } });
    client.on('error', () => {});
    return client;
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.#children.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGKILL');
          }),
      ),
    );
    rmSync(this.#dir, { recursive: true, force: true });
  }
}
