import { existsSync } from 'node:fs';
import net from 'node:net';

/**
 * The last resort of the test set-up: when PostgreSQL or Redis cannot be reached (neither
 * through TEST_DATABASE_URL / TEST_REDIS_URL nor on the local defaults) and a Docker engine
 * answers, testcontainers starts them: a PostgreSQL primary, a streaming replica of it
 * (the read/write-splitting suites need one) and a Redis. Set TEST_NO_CONTAINERS=1 to
 * refuse the fallback.
 */

const POSTGRES_IMAGE = 'postgres:15-alpine';
const REDIS_IMAGE = 'redis:7-alpine';

/** Whether a Docker engine answers `GET /_ping` on DOCKER_HOST or the default socket. */
export async function dockerEngineAnswers(timeoutMs = 2000): Promise<boolean> {
  const target = dockerTarget();
  if (!target) return false;
  return new Promise((resolve) => {
    const socket = net.connect(target);
    let reply = '';
    const done = (answer: boolean) => {
      socket.destroy();
      resolve(answer);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString('latin1');
      if (reply.includes('\r\n\r\n')) done(/^HTTP\/1\.[01] 200/.test(reply));
    });
    socket.once('end', () => done(/^HTTP\/1\.[01] 200/.test(reply)));
  });
}

function dockerTarget(): net.NetConnectOpts | undefined {
  const host = process.env.DOCKER_HOST;
  if (host?.startsWith('tcp://')) {
    const url = new URL(`http://${host.slice('tcp://'.length)}`);
    return { host: url.hostname, port: Number(url.port || 2375) };
  }
  const path = host?.startsWith('unix://') ? host.slice('unix://'.length) : '/var/run/docker.sock';
  return existsSync(path) ? { path } : undefined;
}

/** What {@link startServiceContainers} started: the variables pointing the tests at it, and how to stop it. */
export interface ServiceContainers {
  readonly env: Record<string, string>;
  stop(): Promise<void>;
}

/** Starts the services asked for; the environment it returns is what the test files read. */
export async function startServiceContainers(need: {
  readonly postgres: boolean;
  readonly redis: boolean;
}): Promise<ServiceContainers> {
  const { GenericContainer, Network, Wait } = await import('testcontainers');
  const stops: (() => Promise<unknown>)[] = [];
  const env: Record<string, string> = {};
  try {
    if (need.redis) {
      const redis = await new GenericContainer(REDIS_IMAGE)
        .withExposedPorts(6379)
        .withCommand(['redis-server', '--save', '', '--appendonly', 'no'])
        .withWaitStrategy(Wait.forLogMessage(/Ready to accept connections/))
        .start();
      stops.push(() => redis.stop());
      env.TEST_REDIS_URL = `redis://${redis.getHost()}:${redis.getMappedPort(6379)}`;
    }
    if (need.postgres) {
      const network = await new Network().start();
      stops.push(() => network.stop());
      const primary = await new GenericContainer(POSTGRES_IMAGE)
        .withNetwork(network)
        .withNetworkAliases('primary')
        .withExposedPorts(5432)
        .withEnvironment({ POSTGRES_HOST_AUTH_METHOD: 'trust', POSTGRES_DB: 'test' })
        .withCopyContentToContainer([
          {
            // Trust for replication too: the replica container copies the primary over the network.
            content: 'local all all trust\nhost all all all trust\nhost replication all all trust\n',
            target: '/etc/reposit/pg_hba.conf',
            mode: 0o644,
          },
        ])
        .withCommand(['postgres', '-c', 'hba_file=/etc/reposit/pg_hba.conf', '-c', 'max_connections=300'])
        // The image's entrypoint starts a temporary server first: wait for the real one.
        .withWaitStrategy(Wait.forLogMessage(/database system is ready to accept connections/, 2))
        .start();
      stops.unshift(() => primary.stop());
      env.TEST_DATABASE_URL = `postgres://postgres@${primary.getHost()}:${primary.getMappedPort(5432)}/test`;
      const replica = await new GenericContainer(POSTGRES_IMAGE)
        .withNetwork(network)
        .withExposedPorts(5432)
        .withUser('postgres')
        .withEntrypoint([
          'sh',
          '-c',
          [
            'until pg_basebackup -h primary -U postgres -D /tmp/replica -R -X stream; do rm -rf /tmp/replica; sleep 1; done',
            'chmod 700 /tmp/replica',
            "exec postgres -D /tmp/replica -c hot_standby=on -c listen_addresses='*'",
          ].join(' && '),
        ])
        .withWaitStrategy(Wait.forLogMessage(/ready to accept read[- ]only connections/))
        .start();
      stops.unshift(() => replica.stop());
      env.TEST_REPLICA_URL = `postgres://postgres@${replica.getHost()}:${replica.getMappedPort(5432)}/test`;
    }
  } catch (error) {
    for (const stop of stops) await stop().catch(() => {});
    throw error;
  }
  return {
    env,
    async stop() {
      for (const stop of stops) await stop().catch(() => {});
    },
  };
}
