import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type ConfigIssue, ConfigurationRepository } from '../../../src/backends/config/index.js';
import { ValidationError } from '../../../src/errors.js';
import { appSchema, eventually, type TempConfigDir, tempConfigDir } from './helpers.js';

const good = 'service: { name: svc, port: 8080 }\ndb: { host: h, password: p, pool: { max: 5 } }\n';

describe('configuration validation', () => {
  let files: TempConfigDir;
  beforeEach(async () => {
    files = await tempConfigDir();
  });
  afterEach(() => files.remove());

  it('fails fast at start with every problem at once, each naming its path and source', async () => {
    await files.write(
      'default.yaml',
      'service: { name: svc, port: 70000 }\ndb: { host: h, pool: { max: 5 } }\n',
    );
    await files.write('local.json', '{ "db": { "pool": { "max": 2 }, }');
    const error = await ConfigurationRepository.start({
      schema: appSchema,
      files: { dir: files.dir },
      env: {
        prefix: 'VAL_',
        env: { VAL_DB__POOL__MAX: 'lots', VAL_DB__POLL__MAX: '3', VAL_FEATURES__BETA: 'maybe' },
      },
      watch: false,
    }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ValidationError);
    const issues = (error as ValidationError).issues as readonly ConfigIssue[];
    const summary = issues.map((i) => [i.path, i.code, i.source.replace(files.dir, 'DIR')]);
    expect(summary).toEqual(
      expect.arrayContaining([
        ['', 'parse_error', 'file DIR/local.json'],
        ['', 'unknown_key', 'env VAL_DB__POLL__MAX'],
        ['service.port', 'too_big', 'file DIR/default.yaml'],
        ['db.password', 'missing', 'none'],
        ['db.pool.max', 'invalid_type', 'env VAL_DB__POOL__MAX'],
        ['features.beta', 'invalid_type', 'env VAL_FEATURES__BETA'],
      ]),
    );
    expect(issues).toHaveLength(6);
    const message = (error as Error).message;
    expect(message).toContain('6 problems');
    expect(message).toContain('db.password: is required but no source sets it');
    expect(message).toContain('(from env VAL_DB__POOL__MAX)');
    expect(message).toMatch(/local\.json does not parse: invalid JSON at line 1, column \d+/);
  });

  it('coerces environment strings by the schema type at their path', async () => {
    const schema = z.object({
      server: z.object({ maxConnections: z.number(), debug: z.boolean(), name: z.string() }),
      hosts: z.array(z.string()),
      limits: z.record(z.string(), z.number()),
    });
    const config = await ConfigurationRepository.start({
      schema,
      files: false,
      env: {
        prefix: 'CO_',
        env: {
          CO_SERVER__MAX_CONNECTIONS: ' 42 ',
          CO_SERVER__DEBUG: 'off',
          CO_SERVER__NAME: '0042',
          CO_HOSTS: '["a","b"]',
          CO_LIMITS__RPS: '7',
          OTHER_SERVER__NAME: 'ignored',
        },
      },
    });
    expect(config.getAll()).toEqual({
      server: { maxConnections: 42, debug: false, name: '0042' },
      hosts: ['a', 'b'],
      limits: { rps: 7 },
    });
    expect(config.explain('server.maxConnections').source).toBe('env CO_SERVER__MAX_CONNECTIONS');
    await config.close();
  });

  it('rejects an invalid runtime override with the path and source, keeping the last good value', async () => {
    await files.write('default.yaml', good);
    const config = await ConfigurationRepository.start({ schema: appSchema, files: { dir: files.dir } });
    const seen: unknown[] = [];
    config.onChange((path, from, to) => seen.push([path, from, to]));

    const error = await config.override('db.pool.max', 0).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues).toMatchObject([{ path: 'db.pool.max', source: 'runtime' }]);
    expect((error as Error).message).toMatch(/db\.pool\.max: .*>=1 \(from runtime\)/);
    expect(config.get('db.pool.max')).toBe(5);
    expect(config.explain('db.pool.max').sources.at(-1)).toEqual({
      source: 'runtime',
      defined: false,
      value: undefined,
    });
    expect(seen).toEqual([]);

    // A later valid override is judged against the last good state, not the rejected one.
    await config.override('db.pool.max', 9);
    expect(config.get('db.pool.max')).toBe(9);
    expect(seen).toEqual([['db.pool.max', 5, 9]]);
    await config.close();
  });

  it('rejects an invalid file change, keeps the last good configuration and reports the file', async () => {
    await files.write('default.yaml', good);
    const config = await ConfigurationRepository.start({
      schema: appSchema,
      files: { dir: files.dir, debounceMs: 20 },
    });
    const errors: Error[] = [];
    config.onError((e) => errors.push(e));

    await files.write('default.yaml', good.replace('max: 5', 'max: many'));
    await eventually(() => errors.length > 0);
    expect(errors[0]).toBeInstanceOf(ValidationError);
    expect((errors[0] as ValidationError).issues).toMatchObject([
      { path: 'db.pool.max', source: `file ${files.dir}/default.yaml` },
    ]);
    expect(config.get('db.pool.max')).toBe(5);

    // A file that no longer parses is rejected the same way.
    await files.write('default.yaml', 'service: [unclosed');
    await eventually(() => errors.length > 1);
    expect(errors[1]!.message).toMatch(/default\.yaml does not parse: YAML error at line \d+/);
    expect(errors[1]!.message).not.toContain('unclosed');
    expect(config.get('service.name')).toBe('svc');

    // Fixing the file brings the change in.
    await files.write('default.yaml', good.replace('max: 5', 'max: 6'));
    await eventually(() => config.get('db.pool.max') === 6);
    await config.close();
  });

  it('rejects unknown paths and bad environment names with typed errors', async () => {
    await files.write('default.yaml', good);
    const config = await ConfigurationRepository.start({
      schema: appSchema,
      files: { dir: files.dir },
      watch: false,
    });
    expect(() => config.get('db.pool.nope' as 'db.pool.max')).toThrow(ValidationError);
    expect(() => config.explain('nope' as 'db')).toThrow(/Unknown configuration path: nope/);
    await expect(config.set('db.pool.max', 3)).rejects.toThrow(/needs the database source/);
    await config.close();
    await expect(
      ConfigurationRepository.start({ schema: appSchema, environment: '../etc', files: { dir: files.dir } }),
    ).rejects.toThrow(ValidationError);
  });
});
