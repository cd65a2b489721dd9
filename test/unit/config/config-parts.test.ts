import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { diffEntries } from '../../../src/backends/config/config-versions.js';
import { EnvSource, REDACTED, SecretPolicy } from '../../../src/backends/config/index.js';
import { type Layer, mergeLayers, winningSource } from '../../../src/backends/config/merge.js';
import { nest } from '../../../src/backends/config/sources/database-source.js';

const layer = (name: string, data: Record<string, unknown>): Layer => ({ name, snapshot: { data } });

describe('mergeLayers / winningSource', () => {
  const layers = [
    layer('a', { db: { host: 'a', port: 1 }, list: [1, 2] }),
    layer('b', { db: { port: 2 }, list: [3] }),
    layer('c', { db: 'replaced' }),
  ];

  it('merges objects key by key and replaces everything else', () => {
    expect(mergeLayers(layers.slice(0, 2))).toEqual({ db: { host: 'a', port: 2 }, list: [3] });
    expect(mergeLayers(layers)).toEqual({ db: 'replaced', list: [3] });
  });

  it('names the highest layer that sets a path or replaces its parent', () => {
    expect(winningSource(layers.slice(0, 2), 'db.host')).toBe('a');
    expect(winningSource(layers.slice(0, 2), 'db.port')).toBe('b');
    expect(winningSource(layers, 'db.host')).toBe('c');
    expect(winningSource(layers, 'nothing')).toBeUndefined();
  });
});

describe('SecretPolicy', () => {
  const schema = z.object({
    db: z.object({ password: z.string().meta({ secret: true }).optional(), host: z.string() }),
    keys: z.record(z.string(), z.object({ secret: z.string().meta({ secret: true }), id: z.string() })),
  });
  const policy = new SecretPolicy(schema, ['extra.token']);

  it('finds secrets marked in the schema (through wrappers and records) and listed ones', () => {
    expect(policy.paths.sort()).toEqual(['db.password', 'extra.token', 'keys.*.secret']);
    expect(policy.isSecret('keys.github.secret')).toBe(true);
    expect(policy.isSecret('keys.github.id')).toBe(false);
    expect(policy.isSecret('db.password.anything')).toBe(true);
  });

  it('redacts at any depth without touching the input', () => {
    const value = { db: { password: 'p', host: 'h' }, keys: { gh: { secret: 's', id: 'i' } } };
    expect(policy.redact(value)).toEqual({
      db: { password: REDACTED, host: 'h' },
      keys: { gh: { secret: REDACTED, id: 'i' } },
    });
    expect(value.db.password).toBe('p');
    expect(policy.redact({ secret: 's', id: 'i' }, 'keys.gh')).toEqual({ secret: REDACTED, id: 'i' });
    expect(policy.redact(undefined, 'db.password')).toBeUndefined();
  });
});

describe('EnvSource', () => {
  const schema = z.object({ http: z.object({ maxBodySize: z.number(), trustProxy: z.boolean() }) });
  const context = { schema, environment: 'test' };

  it('matches names ignoring case and underscores, with a custom separator', async () => {
    const source = new EnvSource({
      prefix: 'X_',
      separator: '.',
      env: { 'X_HTTP.MAX_BODY_SIZE': '1024', 'X_HTTP.TRUST-PROXY': 'YES' },
    });
    const { data, labels, issues } = await source.load(context);
    expect(data).toEqual({ http: { maxBodySize: 1024, trustProxy: true } });
    expect(labels?.get('http.maxBodySize')).toBe('env X_HTTP.MAX_BODY_SIZE');
    expect(issues).toEqual([]);
  });

  it('reports or ignores variables that name no key', async () => {
    const env = { X_HTTP__NOPE: '1', X_HTTP____TRUST_PROXY: 'true' };
    const strict = await new EnvSource({ prefix: 'X_', env }).load(context);
    expect(strict.issues?.map((i) => i.message)).toEqual([
      'X_HTTP__NOPE does not name a configuration key (no key matching "NOPE" under "http")',
      'X_HTTP____TRUST_PROXY has an empty part between separators',
    ]);
    const lenient = await new EnvSource({ prefix: 'X_', env, unknownKeys: 'ignore' }).load(context);
    expect(lenient.issues).toEqual([]);
    expect(lenient.data).toEqual({});
  });
});

describe('database rows', () => {
  it('nest applies a parent row before the keys inside it', () => {
    expect(nest({ 'db.pool.max': 5, db: { host: 'h', pool: { max: 1, min: 0 } } })).toEqual({
      db: { host: 'h', pool: { max: 5, min: 0 } },
    });
  });

  it('diffEntries lists added, changed and removed keys in order', () => {
    expect(diffEntries({ a: 1, b: [1], c: 3 }, { a: 1, b: [2], d: 4 })).toEqual([
      { path: 'b', oldValue: [1], newValue: [2] },
      { path: 'c', oldValue: 3, newValue: undefined },
      { path: 'd', oldValue: undefined, newValue: 4 },
    ]);
  });
});
