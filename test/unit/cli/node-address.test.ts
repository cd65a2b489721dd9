import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { describeNodeAddress } from '../../../src/cli/commands/node-address.js';

describe('describeNodeAddress', () => {
  it('gives host:port and never the user, password or database', () => {
    expect(describeNodeAddress({ connectionString: 'postgres://app:s3cret@db.internal:5433/app' })).toEqual({
      address: 'db.internal:5433',
    });
    expect(describeNodeAddress({ connectionString: 'postgres://app@db.internal/app' })).toEqual({
      address: 'db.internal:5432',
    });
  });

  it('lets fields given beside the connection string win, as pg does', () => {
    expect(
      describeNodeAddress({ connectionString: 'postgres://a@one:5000/x', host: 'two', port: 6000 }),
    ).toEqual({
      address: 'two:6000',
    });
  });

  it('knows nothing of a pool passed in, or of settings without a host', () => {
    const pool = new pg.Pool();
    expect(describeNodeAddress(pool)).toEqual({});
    expect(describeNodeAddress({ pool })).toEqual({});
    expect(describeNodeAddress({ database: 'app' })).toEqual({});
    expect(describeNodeAddress({ connectionString: 'not a url' })).toEqual({});
    expect(describeNodeAddress(undefined)).toEqual({});
  });
});
