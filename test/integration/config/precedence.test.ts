import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConfigSource, ConfigurationRepository } from '../../../src/backends/config/index.js';
import { createTestSchema, type TestSchema } from '../../support/postgres.js';
import { appSchema, eventually, type TempConfigDir, tempConfigDir } from './helpers.js';

describe('configuration precedence', () => {
  let pg: TestSchema;
  let files: TempConfigDir;

  beforeAll(async () => {
    pg = await createTestSchema('cfg_prec');
    files = await tempConfigDir();
  });
  afterAll(async () => {
    await files.remove();
    await pg.drop();
  });

  it('merges defaults < default.* < {environment}.* < local.* < database < env < runtime', async () => {
    // Each layer sets db.pool.max (and one key of its own) so every step of the order is visible.
    await files.write(
      'default.json',
      JSON.stringify({ service: { name: 'svc', port: 1000 }, db: { pool: { max: 2 } } }),
    );
    await files.write('default.yaml', 'db:\n  host: from-default-yaml\n  pool:\n    max: 3\n');
    await files.write('staging.yaml', 'db:\n  pool:\n    max: 4\nfeatures:\n  tags: [staging]\n');
    await files.write('production.yaml', 'db:\n  pool:\n    max: 999\n');
    await files.write('local.json', JSON.stringify({ db: { pool: { max: 5 } }, service: { port: 1005 } }));

    const config = await ConfigurationRepository.start({
      schema: appSchema,
      environment: 'staging',
      defaults: { db: { password: 'from-defaults', pool: { max: 1 } }, limits: { rps: 1 } },
      files: { dir: files.dir },
      database: { connection: pg.pool, schema: pg.name, ensureSchema: true },
      env: { prefix: 'PREC_', env: { PREC_DB__POOL__MAX: '7', PREC_FEATURES__BETA: 'true' } },
      watch: false,
    });
    try {
      expect(config.get('db.pool.max')).toBe(7);
      await config.set('db.pool.max', 6);
      expect(config.get('db.pool.max')).toBe(7); // env outranks the database
      await config.override('db.pool.max', 8);
      expect(config.get('db.pool.max')).toBe(8);

      const explained = config.explain('db.pool.max');
      expect(explained.source).toBe('runtime');
      expect(explained.sources.map((s) => [s.source.replace(files.dir, 'DIR'), s.value])).toEqual([
        ['defaults', 1],
        ['file DIR/default.json', 2],
        ['file DIR/default.yaml', 3],
        ['file DIR/default.yml', undefined],
        ['file DIR/staging.json', undefined],
        ['file DIR/staging.yaml', 4],
        ['file DIR/staging.yml', undefined],
        ['file DIR/local.json', 5],
        ['file DIR/local.yaml', undefined],
        ['file DIR/local.yml', undefined],
        ['database', 6],
        ['env PREC_DB__POOL__MAX', 7],
        ['runtime', 8],
      ]);

      // Removing layers from the top shows the next one down each time.
      await config.clearOverride('db.pool.max');
      expect(config.explain('db.pool.max').source).toBe('env PREC_DB__POOL__MAX');

      // Keys set by one layer only come through untouched; schema defaults fill the rest.
      expect(config.get('service')).toEqual({ name: 'svc', port: 1005 });
      expect(config.get('db.host')).toBe('from-default-yaml');
      expect(config.explain('db.host').source).toBe(`file ${files.dir}/default.yaml`);
      expect(config.get('features')).toEqual({ beta: true, tags: ['staging'] });
      expect(config.get('db.pool.idleMs')).toBe(10_000);
      expect(config.explain('db.pool.idleMs').source).toBe('schema default');
      expect(config.get('limits.rps')).toBe(1);
      expect(config.environment).toBe('staging');
    } finally {
      await config.close();
    }
  });

  it('selects the environment file from NODE_ENV when no environment is given', async () => {
    const dir = await tempConfigDir();
    await dir.write(
      'default.yaml',
      'service: { name: base, port: 1 }\ndb: { host: h, password: p, pool: { max: 1 } }\n',
    );
    await dir.write('production.yaml', 'service: { name: prod }\n');
    await dir.write('test.yaml', 'service: { name: under-test }\n');
    const previous = process.env.NODE_ENV;
    process.env.NODE_ENV = 'production';
    try {
      const config = await ConfigurationRepository.start({
        schema: appSchema,
        files: { dir: dir.dir },
        watch: false,
      });
      expect(config.environment).toBe('production');
      expect(config.get('service.name')).toBe('prod');
      await config.close();
      const explicit = await ConfigurationRepository.start({
        schema: appSchema,
        environment: 'test',
        files: { dir: dir.dir },
        watch: false,
      });
      expect(explicit.get('service.name')).toBe('under-test');
      await explicit.close();
    } finally {
      process.env.NODE_ENV = previous;
      await dir.remove();
    }
  });

  it('places extra sources above the database and below env, and reloads them when they signal', async () => {
    let secret = 'vault-1';
    let signal: () => void = () => {};
    let closed = false;
    const vault: ConfigSource = {
      name: 'vault',
      load: async () => ({ data: { db: { password: secret, host: 'from-vault' } } }),
      watch(onChange) {
        signal = onChange;
        return () => {
          signal = () => {};
        };
      },
      close: async () => {
        closed = true;
      },
    };
    const config = await ConfigurationRepository.start({
      schema: appSchema,
      files: false,
      defaults: { service: { name: 's', port: 1 }, db: { host: 'h', password: 'p', pool: { max: 1 } } },
      database: { connection: pg.pool, schema: pg.name, table: 'vault_order', ensureSchema: true },
      sources: [vault],
      env: { prefix: 'VLT_', env: { VLT_DB__HOST: 'from-env' } },
    });
    try {
      await config.set('db.password', 'from-database');
      expect(config.get('db.password')).toBe('vault-1');
      expect(config.explain('db.password').sources.map((s) => s.source)).toEqual([
        'defaults',
        'database',
        'vault',
        'env',
        'runtime',
      ]);
      expect(config.explain('db.host').source).toBe('env VLT_DB__HOST');
      secret = 'vault-2';
      signal();
      await eventually(() => config.get('db.password') === 'vault-2');
    } finally {
      await config.close();
    }
    expect(closed).toBe(true);
  });

  it('replaces arrays instead of merging them, and reads are frozen snapshots', async () => {
    const config = await ConfigurationRepository.start({
      schema: appSchema,
      files: false,
      defaults: {
        service: { name: 'a', port: 1 },
        db: { host: 'h', password: 'p', pool: { max: 1 } },
        features: { tags: ['a', 'b', 'c'] },
      },
      env: { prefix: 'ARR_', env: { ARR_FEATURES__TAGS: '["z"]' } },
    });
    expect(config.get('features.tags')).toEqual(['z']);
    const all = config.getAll();
    expect(Object.isFrozen(all.db.pool)).toBe(true);
    expect(() => {
      (all.db.pool as { max: number }).max = 100;
    }).toThrow(TypeError);
    expect(config.get('db.pool.max')).toBe(1);
    await config.close();
  });
});
