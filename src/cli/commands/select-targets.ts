import { ValidationError } from '../../errors.js';
import { CliUsageError } from '../cli-usage-error.js';

/**
 * The named entries of a config section that a command runs: those named on the command
 * line, in that order, or all of them. An unknown name is a usage error that lists the
 * known ones; an empty section is a ValidationError naming it.
 *
 * @example
 * ```ts
 * selectTargets({ users: a, orders: b }, ['orders'], 'caches', 'cache warm'); // [['orders', b]]
 * selectTargets({ users: a }, ['nope'], 'caches', 'cache warm'); // throws CliUsageError
 * ```
 */
export function selectTargets<T>(
  section: Readonly<Record<string, T>> | undefined,
  names: readonly string[],
  sectionPath: string,
  command: string,
): [string, T][] {
  const entries = Object.entries(section ?? {});
  if (entries.length === 0) {
    throw new ValidationError(`The config module has nothing for ${command}: \`${sectionPath}\` is empty`, [
      { path: sectionPath, message: `needs at least one named entry for ${command}`, code: 'required' },
    ]);
  }
  if (names.length === 0) return entries;
  const known = new Map(entries);
  const unknown = names.filter((name) => !known.has(name));
  if (unknown.length > 0) {
    throw new CliUsageError(
      `${command}: no ${sectionPath} entry named ${unknown.map((n) => `"${n}"`).join(', ')} (known: ${[...known.keys()].join(', ')})`,
      `reposit ${command.split(' ')[0]} --help`,
    );
  }
  return [...new Set(names)].map((name) => [name, known.get(name)!]);
}
