/**
 * `npm run example:http`: starts the notes service. WIRING=plain picks the plain
 * composition root (default: awilix); PORT (default 3000); DATABASE_URL, REPLICA_URL and
 * REDIS_URL are optional — without them it runs on an embedded PostgreSQL and a memory
 * cache. SIGINT/SIGTERM close it cleanly.
 */

import { describeDatabase } from './connections.js';
import { createAwilixApp } from './container.awilix.js';
import { createPlainApp } from './container.plain.js';
import { listen } from './service-app.js';
import { readSettings } from './settings.js';

async function main(): Promise<void> {
  const settings = readSettings();
  const wiring = process.env.WIRING ?? 'awilix';
  if (wiring !== 'awilix' && wiring !== 'plain')
    throw new Error(`WIRING must be awilix or plain, got "${wiring}"`);
  const app = await (wiring === 'plain' ? createPlainApp(settings) : createAwilixApp(settings));
  const running = await listen(app, {
    port: Number(process.env.PORT ?? 3000),
    host: process.env.HOST ?? '127.0.0.1',
  });
  const { engine, replicas } = describeDatabase(settings);
  console.log(
    `notes service (${wiring} wiring) on ${engine}, ${replicas} replica(s), ${settings.redisUrl ? 'memory + Redis' : 'memory-only'} cache`,
  );
  console.log(`listening on ${running.url}`);
  const stop = () => {
    running.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
