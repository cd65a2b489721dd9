/**
 * The `YYYYMMDD_HHMMSS` prefix of a migration name for a moment, in UTC.
 *
 * @example
 * ```ts
 * timestampPrefix(new Date('2024-03-15T09:30:00Z')); // '20240315_093000'
 * ```
 */
export function timestampPrefix(at: Date): string {
  const two = (n: number) => String(n).padStart(2, '0');
  return (
    `${at.getUTCFullYear()}${two(at.getUTCMonth() + 1)}${two(at.getUTCDate())}_` +
    `${two(at.getUTCHours())}${two(at.getUTCMinutes())}${two(at.getUTCSeconds())}`
  );
}

/**
 * The text of a new, empty migration module of the given file type.
 *
 * @example
 * ```ts
 * migrationTemplate('ts'); // "import type { Kysely } from 'kysely';\n\nexport async function up(db: Kysely<any>) ..."
 * ```
 */
export function migrationTemplate(extension: 'ts' | 'js' | 'mjs' | 'cjs'): string {
  if (extension === 'cjs') {
    return `/** @param {import('kysely').Kysely<any>} db */
exports.up = async function up(db) {};

/** @param {import('kysely').Kysely<any>} db */
exports.down = async function down(db) {};
`;
  }
  if (extension === 'ts') {
    return `import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {}

export async function down(db: Kysely<any>): Promise<void> {}
`;
  }
  return `/** @param {import('kysely').Kysely<any>} db */
export async function up(db) {}

/** @param {import('kysely').Kysely<any>} db */
export async function down(db) {}
`;
}
