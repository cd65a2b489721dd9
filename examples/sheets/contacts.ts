/**
 * A contacts list kept in a Google Sheet, read and written through a reposit repository.
 *
 * Offline (default): starts the local Sheets emulator from `reposit/testing` and runs
 * against it. Online: set SHEETS_SPREADSHEET_ID (and credentials for Application Default
 * Credentials, e.g. GOOGLE_APPLICATION_CREDENTIALS=/path/to/service-account.json, with the
 * spreadsheet shared with that service account) and it runs against the real spreadsheet.
 *
 * Run: `node --import tsx examples/sheets/contacts.ts`
 */
import { sheets } from '@googleapis/sheets';
import { GoogleAuth } from 'google-auth-library';
import { z } from 'zod';
import { type SheetsApiClient, SheetsBackend } from '../../src/backends/sheets/index.js';
import { BaseRepository } from '../../src/repository/base-repository.js';
import { defineEntity, type EntityType } from '../../src/repository/entity.js';
import { startSheetsEmulator } from '../../src/testing/index.js';

export const Contact = defineEntity({
  name: 'contact',
  schema: z.object({
    id: z.string(),
    name: z.string().min(1),
    email: z.email(),
    vip: z.boolean(),
    lastCall: z.date().nullable(),
    version: z.number().int(),
  }),
  id: 'id',
  version: 'version',
});
export type Contact = EntityType<typeof Contact>;

/** What the example does with a sheet; returns the lines it would print. */
export async function runContacts(
  client: SheetsApiClient,
  spreadsheetId: string,
  tab: string,
): Promise<string[]> {
  const out: string[] = [];
  const backend = new SheetsBackend<Contact, string>({
    entity: Contact,
    client,
    spreadsheetId,
    sheet: tab,
    unique: [['email']],
  });
  const contacts = new BaseRepository({ entity: Contact, backend, cursorSecret: 'example' });
  try {
    const run = Date.now().toString(36);
    const [ada, grace] = await contacts.createMany([
      { id: `ada-${run}`, name: 'Ada Lovelace', email: `ada-${run}@example.com`, vip: true, lastCall: null },
      {
        id: `grace-${run}`,
        name: 'Grace Hopper',
        email: `grace-${run}@example.com`,
        vip: false,
        lastCall: null,
      },
    ]);
    out.push(`created ${ada!.id} and ${grace!.id}`);
    const called = await contacts.update(grace!.id, {
      lastCall: new Date('2024-05-01T09:30:00Z'),
      vip: true,
    });
    out.push(`${called.name} is now VIP, version ${called.version}`);
    const vips = await contacts.list({
      where: { vip: true, id: { like: `%-${run}` } },
      orderBy: { name: 'asc' },
    });
    out.push(`VIPs: ${vips.map((c) => c.name).join(', ')}`);
    await contacts.delete(ada!.id);
    out.push(
      `after deleting Ada: ${await contacts.count({ id: { like: `%-${run}` } })} contact(s) from this run`,
    );
    out.push(`API calls: ${JSON.stringify(backend.gateway.stats())}`);
  } finally {
    await backend.close();
  }
  return out;
}

async function main(): Promise<void> {
  const spreadsheetId = process.env.SHEETS_SPREADSHEET_ID;
  const tab = process.env.SHEETS_TAB ?? 'Contacts';
  if (spreadsheetId) {
    const auth = new GoogleAuth({ scopes: ['https://www.googleapis.com/auth/spreadsheets'] });
    const lines = await runContacts(sheets({ version: 'v4', auth }), spreadsheetId, tab);
    for (const line of lines) console.log(line);
    return;
  }
  const emulator = await startSheetsEmulator();
  try {
    const id = emulator.createSpreadsheet({ sheets: [tab] });
    const lines = await runContacts(sheets({ version: 'v4', rootUrl: emulator.rootUrl }), id, tab);
    for (const line of lines) console.log(line);
    console.log('sheet now holds:');
    for (const row of emulator.values(id, tab)) console.log(`  ${JSON.stringify(row)}`);
  } finally {
    await emulator.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((error) => {
    console.error(error instanceof Error ? `${error.name}: ${error.message}` : error);
    process.exitCode = 1;
  });
}
