import { afterAll, beforeAll } from 'vitest';
import { SheetsBackend } from '../../../src/backends/sheets/index.js';
import {
  runBackendConformance,
  type SheetsEmulator,
  startSheetsEmulator,
  Widget,
} from '../../../src/testing/index.js';
import { emulatorClient, FAST_RETRY, TEST_LIMITS } from '../../support/sheets.js';

let emulator: SheetsEmulator;

beforeAll(async () => {
  emulator = await startSheetsEmulator();
});
afterAll(async () => {
  await emulator.close();
});

await runBackendConformance({
  name: 'sheets',
  create: async () => {
    const spreadsheetId = emulator.createSpreadsheet({ sheets: ['Widgets'] });
    const backend = new SheetsBackend<Widget, string>({
      entity: Widget,
      client: emulatorClient(emulator.rootUrl),
      spreadsheetId,
      sheet: 'Widgets',
      unique: [['email']],
      gatewayOptions: { retry: FAST_RETRY, limits: TEST_LIMITS },
    });
    return { backend, teardown: () => backend.close() };
  },
});
