/**
 * Column letters of a zero-based column index (`0` → `A`, `26` → `AA`).
 *
 * @example
 * ```ts
 * columnLetters(27); // 'AB'
 * ```
 */
export function columnLetters(index: number): string {
  let n = index + 1;
  let letters = '';
  while (n > 0) {
    const rem = (n - 1) % 26;
    letters = String.fromCharCode(65 + rem) + letters;
    n = Math.floor((n - 1) / 26);
  }
  return letters;
}

/**
 * A sheet title quoted for A1 notation, `'` doubled.
 *
 * @example
 * ```ts
 * quoteTitle("Bob's"); // "'Bob''s'"
 * ```
 */
export function quoteTitle(title: string): string {
  return `'${title.replaceAll("'", "''")}'`;
}
