import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { nodeAddress } from '../../../src/connection/node-address.js';

describe('nodeAddress', () => {
  it('takes host, port and database from a URL, never the user or password', () => {
    const address = nodeAddress({
      connectionString: 'postgres://app:s3cret@db.internal:6432/shop?sslmode=require',
    });
    expect(address).toEqual({ host: 'db.internal', port: 6432, database: 'shop' });
    expect(JSON.stringify(address)).not.toMatch(/s3cret|app/);
  });

  it('lets explicit fields win over the URL, and leaves out what is unknown', () => {
    expect(nodeAddress({ connectionString: 'postgres://db/shop', host: 'other', port: 5433 })).toEqual({
      host: 'other',
      port: 5433,
      database: 'shop',
    });
    expect(nodeAddress({ connectionString: 'postgres:///shop' })).toEqual({
      host: undefined,
      port: undefined,
      database: 'shop',
    });
  });

  it('does not guess from a key=value connection string (it may hold password=…)', () => {
    expect(nodeAddress({ connectionString: 'host=db password=s3cret dbname=shop' })).toEqual({
      host: undefined,
      port: undefined,
      database: undefined,
    });
  });

  it("reads a pool's own options, bare or wrapped, and ignores the server `options` string of settings", async () => {
    const pool = new pg.Pool({ host: 'pooled', port: 7000, database: 'inventory', password: 's3cret' });
    try {
      expect(nodeAddress(pool)).toEqual({ host: 'pooled', port: 7000, database: 'inventory' });
      expect(nodeAddress({ pool })).toEqual({ host: 'pooled', port: 7000, database: 'inventory' });
    } finally {
      await pool.end();
    }
    expect(nodeAddress({ host: 'h', options: '-c search_path=app' })).toEqual({
      host: 'h',
      port: undefined,
      database: undefined,
    });
  });
});
