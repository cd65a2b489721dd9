import net from 'node:net';
import { dockerEngineAnswers, startServiceContainers } from './support/containers.js';
import { databaseUrl, pgbouncerUrl, redisUrl } from './support/services.js';

function reachable(url: string, defaultPort: number): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect({ host: hostname || '127.0.0.1', port: Number(port || defaultPort) });
    socket.setTimeout(2000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Integration tests need PostgreSQL and Redis (and, under CI=true, PgBouncer). They never
 * skip silently: PostgreSQL or Redis that cannot be reached through its variable or the
 * local default is started with testcontainers when a Docker engine answers (unless
 * TEST_NO_CONTAINERS is set), and otherwise the whole run stops here with a message
 * saying how to provide it.
 */
export default async function setup(): Promise<(() => Promise<void>) | undefined> {
  const postgresDown = !(await reachable(databaseUrl(), 5432));
  const redisDown = !(await reachable(redisUrl(), 6379));
  // Locally the PgBouncer tests fail on their own with instructions; CI must have every service.
  const pgbouncerDown = process.env.CI === 'true' && !(await reachable(pgbouncerUrl(), 6432));
  if (!postgresDown && !redisDown && !pgbouncerDown) return undefined;
  if (!pgbouncerDown && !process.env.TEST_NO_CONTAINERS && (await dockerEngineAnswers())) {
    const started = await startServiceContainers({ postgres: postgresDown, redis: redisDown });
    // Test workers are started after this and inherit the variables.
    Object.assign(process.env, started.env);
    return () => started.stop();
  }
  const missing: string[] = [];
  if (postgresDown) {
    missing.push(
      `PostgreSQL at ${redact(databaseUrl())} (set TEST_DATABASE_URL, start a local server on 127.0.0.1:5432, or make a Docker engine available for testcontainers)`,
    );
  }
  if (redisDown) {
    missing.push(
      `Redis at ${redact(redisUrl())} (set TEST_REDIS_URL, start a local server on 127.0.0.1:6379, or make a Docker engine available for testcontainers)`,
    );
  }
  if (pgbouncerDown) {
    missing.push(
      `PgBouncer at ${redact(pgbouncerUrl())} (set TEST_PGBOUNCER_URL or run bash scripts/start-pgbouncer.sh)`,
    );
  }
  throw new Error(`The test services are not reachable:\n  - ${missing.join('\n  - ')}`);
}

function redact(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}
