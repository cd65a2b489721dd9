/**
 * A typical cached row for the cache benchmarks: plain JSON types only (a Date would make the
 * raw baselines return a string).
 */
export function typicalRow(id: number) {
  return {
    id: `w${id}`,
    email: `user${id}@example.com`,
    name: `User number ${id}`,
    age: 30 + (id % 40),
    score: id * 1.5,
    active: id % 2 === 0,
    tags: ['alpha', 'beta'],
    version: 3,
  };
}
