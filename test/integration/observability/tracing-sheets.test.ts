import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SheetsBackend } from '../../../src/backends/sheets/index.js';
import { ConnectionError } from '../../../src/errors.js';
import { configureTracing } from '../../../src/index.js';
import { BaseRepository } from '../../../src/repository/base-repository.js';
import type { CreateInputOf } from '../../../src/repository/entity.js';
import { type SheetsEmulator, startSheetsEmulator } from '../../../src/testing/index.js';
import { emulatorClient, FAST_RETRY, Person, type PersonType, TEST_LIMITS } from '../../support/sheets.js';
import { installTracing, spanText } from '../../support/tracing.js';

const tracing = installTracing();
let emulator: SheetsEmulator;
const backends: SheetsBackend<PersonType, number>[] = [];

beforeAll(async () => {
  emulator = await startSheetsEmulator();
});
afterAll(async () => {
  for (const backend of backends) await backend.close();
  await emulator.close();
  tracing.provider.shutdown().catch(() => {});
});
beforeEach(() => {
  configureTracing({ tracer: 'auto' });
  emulator.faults.clear();
  tracing.reset();
});

function people() {
  const spreadsheetId = emulator.createSpreadsheet({ sheets: ['People'] });
  const backend = new SheetsBackend<PersonType, number>({
    entity: Person,
    client: emulatorClient(emulator.rootUrl),
    spreadsheetId,
    sheet: 'People',
    gatewayOptions: { retry: FAST_RETRY, limits: TEST_LIMITS },
  });
  backends.push(backend);
  const repository = new BaseRepository<PersonType, number, CreateInputOf<typeof Person>>({
    entity: Person,
    backend,
  });
  return { spreadsheetId, backend, repository };
}

const joined = new Date('2024-03-01T10:00:00.000Z');

describe('Sheets spans', () => {
  it('every Sheets API call is a sheets.<method> client span under the repository operation', async () => {
    const { repository } = people();
    await repository.create({ name: 'Ada', age: 36, active: true, joined });
    const create = tracing.named('repository.create');
    expect(create).toHaveLength(1);
    const calls = tracing.descendantsOf(create[0]!).filter((span) => span.name.startsWith('sheets.'));
    expect(calls.length).toBeGreaterThanOrEqual(1);
    expect(calls.map((span) => span.name)).toContain('sheets.spreadsheets.batchUpdate');
    for (const span of calls) {
      expect(span.kind).toBe(2); // CLIENT
      expect(span.attributes['reposit.sheets.operation']).toBe(span.name.slice('sheets.'.length));
      expect(span.attributes['reposit.sheets.attempts']).toBe(1);
    }
    expect(calls.find((span) => span.name === 'sheets.spreadsheets.batchUpdate')?.attributes).toMatchObject({
      'reposit.sheets.kind': 'write',
    });

    tracing.reset();
    expect(await repository.getById(1)).toMatchObject({ name: 'Ada' });
    const read = tracing.named('repository.getById');
    expect(read).toHaveLength(1);
    const [batchGet] = tracing
      .descendantsOf(read[0]!)
      .filter((span) => span.name === 'sheets.values.batchGet');
    expect(batchGet?.attributes).toMatchObject({
      'reposit.sheets.kind': 'read',
      'reposit.sheets.attempts': 1,
    });
  });

  it('a retried call is one span that counts its attempts and the last HTTP status', async () => {
    const { repository } = people();
    await repository.create({ name: 'Grace', age: null, active: false, joined });
    tracing.reset();
    emulator.faults.inject({ status: 503, times: 1, methods: ['values.batchGet'] });
    expect(await repository.getById(1)).toMatchObject({ name: 'Grace' });
    const [batchGet] = tracing.named('sheets.values.batchGet');
    expect(batchGet?.attributes).toMatchObject({
      'reposit.sheets.attempts': 2,
      'http.response.status_code': 503,
    });
    expect(batchGet?.status.code).not.toBe(2);
  });

  it('a call that keeps failing ends its span with ERROR and the reposit error code, up to the repository', async () => {
    const { repository } = people();
    await repository.create({ name: 'Linus', age: 50, active: true, joined });
    tracing.reset();
    emulator.faults.inject({ status: 503, times: 50, methods: ['values.batchGet'] });
    const failure = await repository.getById(1).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ConnectionError);
    const code = (failure as ConnectionError).code;
    const [batchGet] = tracing.named('sheets.values.batchGet');
    expect(batchGet?.status.code).toBe(2);
    expect(batchGet?.attributes['error.type']).toBe(code);
    expect(batchGet?.attributes['reposit.sheets.attempts']).toBe(FAST_RETRY.retries + 1);
    const [read] = tracing.named('repository.getById');
    expect(read?.status.code).toBe(2);
    expect(tracing.descendantsOf(read!)).toContain(batchGet);
    for (const span of tracing.spans()) expect(spanText(span)).not.toContain('Linus');
  });
});
