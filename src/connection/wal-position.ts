/**
 * Parses a PostgreSQL WAL position (`pg_lsn` text such as `16/B374D848`) into a
 * bigint that compares correctly; `undefined` for null or unparsable input.
 *
 * @example
 * ```ts
 * parseLsn('16/B374D848'); // 0x16B374D848n
 * parseLsn(null); // undefined
 * ```
 */
export function parseLsn(text: unknown): bigint | undefined {
  if (typeof text !== 'string') return undefined;
  const match = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/.exec(text);
  if (!match) return undefined;
  return (BigInt(`0x${match[1]}`) << 32n) | BigInt(`0x${match[2]}`);
}
