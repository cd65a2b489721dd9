import net from 'node:net';
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
 * Integration tests need PostgreSQL and Redis (and, under CI=true, PgBouncer). They never skip silently: when a service
 * cannot be reached the whole run stops here with a message saying how to provide it.
 */
export default async function setup(): Promise<void> {
  const missing: string[] = [];
  if (!(await reachable(databaseUrl(), 5432))) {
    missing.push(
      `PostgreSQL at ${redact(databaseUrl())} (set TEST_DATABASE_URL or start a local server on 127.0.0.1:5432)`,
    );
  }
  if (!(await reachable(redisUrl(), 6379))) {
    missing.push(
      `Redis at ${redact(redisUrl())} (set TEST_REDIS_URL or start a local server on 127.0.0.1:6379)`,
    );
  }
  // Locally the PgBouncer tests fail on their own with instructions; CI must have every service.
  if (process.env.CI === 'true' && !(await reachable(pgbouncerUrl(), 6432))) {
    missing.push(
      `PgBouncer at ${redact(pgbouncerUrl())} (set TEST_PGBOUNCER_URL or run bash scripts/start-pgbouncer.sh)`,
    );
  }
  if (missing.length > 0) {
    throw new Error(`The test services are not reachable:\n  - ${missing.join('\n  - ')}`);
  }
}

function redact(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}
