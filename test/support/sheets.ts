import { sheets, type sheets_v4 } from '@googleapis/sheets';
import { z } from 'zod';
import {
  type SheetsApiClient,
  SheetsBackend,
  type SheetsBackendOptions,
} from '../../src/backends/sheets/index.js';
import { defineEntity, type EntityType } from '../../src/repository/entity.js';

/** The official client pointed at an emulator (typed as reposit's minimal interface to prove it fits). */
export function emulatorClient(rootUrl: string): sheets_v4.Sheets & SheetsApiClient {
  const client: sheets_v4.Sheets = sheets({ version: 'v4', rootUrl });
  const minimal: SheetsApiClient = client;
  void minimal;
  return client;
}

/** A small entity with every kind of cell the backend types. */
export const Person = defineEntity({
  name: 'person',
  schema: z.object({
    id: z.number().int(),
    name: z.string().min(1),
    age: z.number().int().nullable(),
    active: z.boolean(),
    joined: z.date(),
    version: z.number().int(),
  }),
  id: 'id',
  generated: ['id'],
  version: 'version',
});

/** The entity type of {@link Person}. */
export type PersonType = EntityType<typeof Person>;

/** Fast retries for tests. */
export const FAST_RETRY = { retries: 4, baseDelayMs: 20, maxDelayMs: 200, maxElapsedMs: 10_000 } as const;

/** Limits high enough that a test never waits for the token bucket (unless it means to). */
export const TEST_LIMITS = { read: { limit: 100_000 }, write: { limit: 100_000 } } as const;

/** A backend of {@link Person} on the tab `People` of an emulated spreadsheet, with fast retries and no quota waits. */
export function peopleBackend(
  rootUrl: string,
  spreadsheetId: string,
  extra: Partial<SheetsBackendOptions<PersonType>> = {},
): SheetsBackend<PersonType, number> {
  return new SheetsBackend<PersonType, number>({
    entity: Person,
    client: emulatorClient(rootUrl),
    spreadsheetId,
    sheet: 'People',
    gatewayOptions: { retry: FAST_RETRY, limits: TEST_LIMITS },
    ...extra,
  });
}
