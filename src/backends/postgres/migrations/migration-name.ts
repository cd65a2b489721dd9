import { ValidationError } from '../../../errors.js';

const PATTERN = /^(\d{4})(\d{2})(\d{2})_(\d{2})(\d{2})(\d{2})_([A-Za-z0-9][A-Za-z0-9_-]*)$/;

/**
 * A migration name taken apart: `YYYYMMDD_HHMMSS_description`.
 *
 * @example
 * ```ts
 * const parsed: MigrationName = { name: '20240315_093000_create_users', createdAt: new Date('2024-03-15T09:30:00Z'), description: 'create_users' };
 * ```
 */
export interface MigrationName {
  readonly name: string;
  /** The timestamp of the name, read as UTC. */
  readonly createdAt: Date;
  readonly description: string;
}

/**
 * What is wrong with a migration name, or undefined when it is well formed: a
 * `YYYYMMDD_HHMMSS_` timestamp that is a real date and time (UTC), then a description of
 * letters, digits, `_` and `-`. Names sort as they were written, so the timestamp
 * decides the order migrations run in.
 *
 * @example
 * ```ts
 * migrationNameProblem('20240315_093000_create_users'); // undefined
 * migrationNameProblem('20241315_093000_create_users'); // 'month 13 does not exist'
 * migrationNameProblem('create_users'); // 'must look like YYYYMMDD_HHMMSS_description ...'
 * ```
 */
export function migrationNameProblem(name: string): string | undefined {
  const match = PATTERN.exec(name);
  if (!match) {
    return 'must look like YYYYMMDD_HHMMSS_description (e.g. 20240315_093000_create_users; description: letters, digits, "_" and "-")';
  }
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (month < 1 || month > 12) return `month ${month} does not exist`;
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (day < 1 || day > daysInMonth)
    return `day ${day} does not exist in ${year}-${String(month).padStart(2, '0')}`;
  if (hour > 23 || minute > 59 || second > 59)
    return `time ${match[4]}:${match[5]}:${match[6]} does not exist`;
  return undefined;
}

/**
 * Parses a migration name; a `ValidationError` that says what is wrong otherwise.
 *
 * @example
 * ```ts
 * parseMigrationName('20240315_093000_create_users').createdAt; // 2024-03-15T09:30:00.000Z
 * parseMigrationName('add_users'); // throws ValidationError
 * ```
 */
export function parseMigrationName(name: string): MigrationName {
  const problem = migrationNameProblem(name);
  if (problem) {
    throw new ValidationError(`Migration name ${JSON.stringify(name)} ${problem}`, [
      { path: name, message: problem, code: 'invalid_migration_name' },
    ]);
  }
  const match = PATTERN.exec(name)!;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as number[];
  return {
    name,
    createdAt: new Date(Date.UTC(year!, month! - 1, day!, hour!, minute!, second!)),
    description: match[7]!,
  };
}

/**
 * Checks a set of migration names at once, so that one error lists every bad name.
 *
 * @example
 * ```ts
 * assertMigrationNames(['20240315_093000_create_users', 'oops']); // ValidationError naming "oops"
 * ```
 */
export function assertMigrationNames(names: Iterable<string>, where = 'Migrations'): void {
  const issues = [];
  for (const name of names) {
    const problem = migrationNameProblem(name);
    if (problem) issues.push({ path: name, message: problem, code: 'invalid_migration_name' });
  }
  if (issues.length > 0) throw ValidationError.fromIssues(`${where}: invalid migration names`, issues);
}
