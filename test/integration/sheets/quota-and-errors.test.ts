import { Writable } from 'node:stream';
import { inspect } from 'node:util';
import { sheets } from '@googleapis/sheets';
import { OAuth2Client } from 'google-auth-library';
import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  SheetsBackend,
  type SheetsBackendOptions,
  SheetsGateway,
} from '../../../src/backends/sheets/index.js';
import {
  ConnectionError,
  NotFoundError,
  RateLimitError,
  TimeoutError,
  UnavailableError,
  ValidationError,
} from '../../../src/errors.js';
import { type SheetsEmulator, startSheetsEmulator } from '../../../src/testing/index.js';
import {
  emulatorClient,
  FAST_RETRY,
  Person,
  type PersonType,
  peopleBackend,
  TEST_LIMITS,
} from '../../support/sheets.js';

let emulator: SheetsEmulator;
let spreadsheetId: string;
const joined = new Date('2024-01-01T00:00:00.000Z');

beforeAll(async () => {
  emulator = await startSheetsEmulator();
});
afterAll(async () => {
  await emulator.close();
});
beforeEach(() => {
  emulator.faults.clear();
  emulator.resetCounts();
  spreadsheetId = emulator.createSpreadsheet({ sheets: ['People', 'Others'] });
});

function backendFor(extra: Partial<SheetsBackendOptions<PersonType>> = {}) {
  return peopleBackend(emulator.rootUrl, spreadsheetId, extra);
}

const person = (n: number) => ({ id: n, name: `p${n}`, age: n, active: true, joined });

describe('retries and Retry-After', () => {
  it('waits out a 429 with Retry-After on a read, then succeeds', async () => {
    const backend = backendFor();
    await backend.insertMany([person(1)]);
    emulator.faults.inject({ status: 429, retryAfterSeconds: 1, methods: ['values.batchGet'] });
    const started = performance.now();
    expect(await backend.findByIds([1])).toHaveLength(1);
    expect(performance.now() - started).toBeGreaterThanOrEqual(950);
    expect(backend.gateway.stats()['values.batchGet']).toBe(3); // the insert's read, the 429, the retry
  });

  it('retries POSTs on 429 and 5xx: a create survives two failures and lands once', async () => {
    const backend = backendFor();
    emulator.faults.inject({ status: 503, times: 1, methods: ['spreadsheets.batchUpdate'] });
    emulator.faults.inject({ status: 429, times: 1, methods: ['spreadsheets.batchUpdate'] });
    await backend.insertMany([person(1)]);
    expect(emulator.values(spreadsheetId, 'People!A2:B')).toEqual([[1, 'p1']]);
    expect(emulator.requestCounts()['spreadsheets.batchUpdate']).toBe(3);
  });

  it('does not write twice when a create took effect but its response was lost', async () => {
    const backend = backendFor();
    emulator.faults.inject({ status: 500, phase: 'after', methods: ['spreadsheets.batchUpdate'] });
    const [created] = await backend.insertMany([person(7)]);
    expect(created!.id).toBe(7);
    expect(emulator.values(spreadsheetId, 'People!A2:A')).toEqual([[7]]);
    expect(emulator.requestCounts()['developerMetadata.search']).toBe(1); // the check instead of a resend
  });

  it('retries idempotent value writes whose response was lost', async () => {
    const backend = backendFor();
    await backend.insertMany([person(1)]);
    emulator.faults.inject({ status: 502, phase: 'after', methods: ['values.batchUpdateByDataFilter'] });
    expect((await backend.update(1, { name: 'again' }, {})).name).toBe('again');
    expect(emulator.values(spreadsheetId, 'People!A2:B')).toEqual([[1, 'again']]);
  });
});

describe('error mapping', () => {
  it('gives up with RateLimitError carrying Retry-After when 429s persist', async () => {
    const backend = backendFor({
      gatewayOptions: { retry: { retries: 2, baseDelayMs: 5 }, limits: TEST_LIMITS },
    });
    emulator.faults.inject({ status: 429, times: 10, retryAfterSeconds: 0.02 });
    const error = await backend.findByIds([1]).catch((e) => e);
    expect(error).toBeInstanceOf(RateLimitError);
    expect(error.retryAfterMs).toBe(20);
    expect(error.message).toContain("Quota exceeded for quota metric 'Read requests'");
    expect(emulator.requestCounts()['values.batchGet']).toBe(3);
  });

  it('maps persistent 500s to ConnectionError, 403 to UnavailableError, 400 to ValidationError, 404 to NotFoundError', async () => {
    const backend = backendFor({
      gatewayOptions: { retry: { retries: 1, baseDelayMs: 5 }, limits: TEST_LIMITS },
    });
    emulator.faults.inject({ status: 500, times: 2 });
    const server = await backend.findByIds([1]).catch((e) => e);
    expect(server).toBeInstanceOf(ConnectionError);
    expect(server.retryable).toBe(true);
    emulator.faults.inject({ status: 403 });
    expect(await backend.findByIds([1]).catch((e) => e)).toBeInstanceOf(UnavailableError);
    emulator.faults.inject({ status: 400 });
    expect(await backend.findByIds([1]).catch((e) => e)).toBeInstanceOf(ValidationError);
    const missing = new SheetsBackend<PersonType, number>({
      entity: Person,
      client: emulatorClient(emulator.rootUrl),
      spreadsheetId: 'no-such-spreadsheet',
      sheet: 'People',
      gatewayOptions: { retry: FAST_RETRY, limits: TEST_LIMITS },
    });
    expect(await missing.findByIds([1]).catch((e) => e)).toBeInstanceOf(NotFoundError);
  });

  it('maps an unreachable server to ConnectionError and a slow answer to TimeoutError', async () => {
    const gone = await startSheetsEmulator();
    const id = gone.createSpreadsheet({ sheets: ['People'] });
    const backend = new SheetsBackend<PersonType, number>({
      entity: Person,
      client: emulatorClient(gone.rootUrl),
      spreadsheetId: id,
      sheet: 'People',
      gatewayOptions: { retry: { retries: 1, baseDelayMs: 5 }, limits: TEST_LIMITS, timeoutMs: 200 },
    });
    await backend.insertMany([person(1)]);
    gone.faults.inject({ delayMs: 600, times: 2 });
    const slow = await backend.findByIds([1]).catch((e) => e);
    expect(slow).toBeInstanceOf(TimeoutError);
    await gone.close();
    const write = await backend.update(1, { name: 'x' }, {}).catch((e) => e);
    expect(write).toBeInstanceOf(ConnectionError);
    const read = await backend.findByIds([1]).catch((e) => e);
    expect(read).toBeInstanceOf(ConnectionError);
    expect(read.outcomeUnknown).toBe(false);
  });

  it('never puts credentials into errors or log lines', async () => {
    const token = 'ya29.reposit-test-secret-token';
    const auth = new OAuth2Client();
    auth.setCredentials({ access_token: token, expiry_date: Date.now() + 3_600_000 });
    const backend = new SheetsBackend<PersonType, number>({
      entity: Person,
      client: sheets({ version: 'v4', rootUrl: emulator.rootUrl, auth }),
      spreadsheetId,
      sheet: 'People',
      gatewayOptions: { retry: { retries: 1, baseDelayMs: 5 }, limits: TEST_LIMITS },
    });
    await backend.insertMany([person(1)]); // the authenticated client works against the emulator
    emulator.faults.inject({ status: 500, times: 2 });
    const error = await backend.findByIds([1]).catch((e) => e);
    expect(error).toBeInstanceOf(ConnectionError);
    const lines: string[] = [];
    const logger = pino(
      { level: 'info' },
      new Writable({
        write(chunk, _encoding, done) {
          lines.push(String(chunk));
          done();
        },
      }),
    );
    logger.error({ err: error }, 'sheets read failed');
    const everything = [
      inspect(error, { depth: Number.POSITIVE_INFINITY }),
      JSON.stringify(error),
      ...lines,
    ].join('\n');
    expect(everything).toContain('Internal error encountered.');
    expect(everything).not.toContain(token);
    expect(everything.toLowerCase()).not.toContain('authorization');
  });
});

describe('rate limiting and batching', () => {
  it('keeps under the quota: no 429 when the limiter matches the server quota', async () => {
    emulator.faults.setQuota({ reads: 6, writes: 6, windowMs: 600 });
    const backend = backendFor({
      gatewayOptions: {
        retry: FAST_RETRY,
        limits: { read: { limit: 6, windowMs: 600 }, write: { limit: 6, windowMs: 600 } },
      },
    });
    const started = performance.now();
    for (let i = 0; i < 14; i += 1) await backend.findByIds([i]); // sequential: no batching possible
    expect(emulator.faults.throttled).toBe(0);
    expect(emulator.faults.maxInWindow('read', 600)).toBeLessThanOrEqual(6);
    // 14 reads at 6 per 600 ms (burst 1, then 5 per window) take well over a second.
    expect(performance.now() - started).toBeGreaterThan(1200);
  });

  it('coalesces 200 concurrent reads into one values:batchGet and 100 concurrent creates into one batchUpdate', async () => {
    const backend = backendFor();
    const created = await Promise.all(
      Array.from({ length: 100 }, (_, i) => backend.insertMany([person(i + 1)])),
    );
    expect(created.flat()).toHaveLength(100);
    expect(emulator.requestCounts()).toEqual({
      'spreadsheets.get': 1,
      'values.batchGet': 1,
      'spreadsheets.batchUpdate': 1,
    });
    emulator.resetCounts();
    const found = await Promise.all(
      Array.from({ length: 200 }, (_, i) => backend.findByIds([(i % 100) + 1])),
    );
    expect(found.every((rows) => rows.length === 1)).toBe(true);
    expect(emulator.requestCounts()).toEqual({ 'values.batchGet': 1 });
  });

  it('batches reads of two tabs sharing a gateway into one values:batchGet', async () => {
    const gateway = new SheetsGateway({
      client: emulatorClient(emulator.rootUrl),
      spreadsheetId,
      limits: TEST_LIMITS,
    });
    const people = new SheetsBackend<PersonType, number>({ entity: Person, gateway, sheet: 'People' });
    const others = new SheetsBackend<PersonType, number>({ entity: Person, gateway, sheet: 'Others' });
    await Promise.all([people.insertMany([person(1)]), others.insertMany([person(2)])]);
    emulator.resetCounts();
    const [a, b] = await Promise.all([people.findByIds([1]), others.findByIds([2])]);
    expect([a[0]?.id, b[0]?.id]).toEqual([1, 2]);
    expect(emulator.requestCounts()).toEqual({ 'values.batchGet': 1 });
    gateway.close();
  });
});

describe('modes', () => {
  it('cache-first serves reads from memory, sees its own writes, and picks up edits on refresh', async () => {
    const backend = backendFor({ mode: 'cache-first', refreshIntervalMs: 150 });
    await backend.insertMany([person(1), person(2)]);
    emulator.resetCounts();
    for (let i = 0; i < 20; i += 1) expect(await backend.findByIds([1, 2])).toHaveLength(2);
    expect(emulator.totalRequests()).toBeLessThanOrEqual(1);
    await backend.update(1, { name: 'mine' }, {});
    expect((await backend.findByIds([1]))[0]?.name).toBe('mine');
    emulator.setValues(spreadsheetId, 'People!B3', [['edited by a person']]);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect((await backend.findByIds([2]))[0]?.name).toBe('edited by a person');
    await backend.close();
  });
});

describe('credentials', () => {
  it('reads a sheet with an API key, and refuses writes with it (UnavailableError)', async () => {
    const strict = await startSheetsEmulator({ auth: 'required' });
    const id = strict.createSpreadsheet({
      sheets: [
        {
          title: 'People',
          rows: [
            ['id', 'name', 'age', 'active', 'joined', 'version'],
            [1, 'Ada', 36, true, '2024-01-01', 1],
          ],
        },
      ],
    });
    const options = {
      entity: Person,
      spreadsheetId: id,
      sheet: 'People',
      gatewayOptions: { retry: FAST_RETRY, limits: TEST_LIMITS },
    };
    const anonymous = new SheetsBackend<PersonType, number>({
      ...options,
      client: emulatorClient(strict.rootUrl),
    });
    expect(await anonymous.findByIds([1]).catch((e) => e)).toBeInstanceOf(UnavailableError);
    const keyed = new SheetsBackend<PersonType, number>({
      ...options,
      client: sheets({ version: 'v4', rootUrl: strict.rootUrl, auth: 'an-api-key' }),
    });
    expect((await keyed.findByIds([1]))[0]?.name).toBe('Ada');
    const write = await keyed.update(1, { name: 'x' }, {}).catch((e) => e);
    expect(write).toBeInstanceOf(UnavailableError);
    expect(write.message).toContain('API keys are not supported');
    expect(write.message).not.toContain('an-api-key');
    const token = new OAuth2Client();
    token.setCredentials({ access_token: 'token', expiry_date: Date.now() + 3_600_000 });
    const authorised = new SheetsBackend<PersonType, number>({
      ...options,
      client: sheets({ version: 'v4', rootUrl: strict.rootUrl, auth: token }),
    });
    expect((await authorised.update(1, { name: 'Ada L.' }, {})).name).toBe('Ada L.');
    await strict.close();
  });
});
