import { expect, it } from 'vitest';
import { databaseUrl, uniqueName } from '../../test/support/services.js';
import { runDemo } from './demo.js';

it('runs the tour end to end against PostgreSQL', async () => {
  const lines: string[] = [];
  await runDemo({
    print: (line) => lines.push(line),
    databaseUrl: databaseUrl(),
    schema: uniqueName('demo'),
  });
  const output = lines.join('\n');
  const { hostname, port, pathname } = new URL(databaseUrl());
  // Host and port once each (it printed "127.0.0.1:5432:5432").
  expect(output).toContain(`Using PostgreSQL at ${hostname}:${port || 5432}${pathname}\n`);
  expect(output).toContain('page 3: Frances, Ken');
  expect(output).toContain('Ada 70, Grace 80');
  expect(output).toMatch(/an overdraft fails with ValidationError; Grace still has 80/);
  expect(output).toContain('ConflictError: expected version 2, stored 3');
  expect(output).toContain('DuplicateError on accounts_email_key (email)');
  expect(output).toContain('Done.');
});
