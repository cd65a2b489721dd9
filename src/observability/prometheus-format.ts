import { ValidationError } from '../errors.js';

/**
 * One sample of a metric family: its labels, its value, and the suffix of a summary's
 * or histogram's extra series (`_sum`, `_count`, `_bucket`).
 *
 * @example
 * ```ts
 * const sample: MetricSample = { labels: { node: 'primary', quantile: '0.99' }, value: 0.012 };
 * ```
 */
export interface MetricSample {
  readonly labels?: Readonly<Record<string, string>>;
  readonly value: number;
  readonly suffix?: '_sum' | '_count' | '_bucket';
}

/**
 * A metric family as the Prometheus text format describes it: one `# HELP`, one
 * `# TYPE`, then its samples.
 *
 * @example
 * ```ts
 * const family: MetricFamily = {
 *   name: 'db_statement_errors_total',
 *   type: 'counter',
 *   help: 'Statements that failed.',
 *   samples: [{ labels: { node: 'primary' }, value: 2 }],
 * };
 * ```
 */
export interface MetricFamily {
  /** The name without the prefix, e.g. `cache_hits_total`. */
  readonly name: string;
  readonly type: 'counter' | 'gauge' | 'summary' | 'histogram' | 'untyped';
  readonly help: string;
  readonly samples: readonly MetricSample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/**
 * Renders metric families in the Prometheus text exposition format (version 0.0.4, what
 * `Content-Type: text/plain; version=0.0.4` announces). Families with the same name are
 * merged into one (one HELP and TYPE, every sample), label values are escaped
 * (backslash, double quote, newline), and `NaN` and infinities are spelled as
 * Prometheus expects.
 *
 * @example
 * ```ts
 * formatPrometheus([{ name: 'up', type: 'gauge', help: 'Up.', samples: [{ labels: { app: 'a"b' }, value: 1 }] }], 'reposit');
 * // '# HELP reposit_up Up.\n# TYPE reposit_up gauge\nreposit_up{app="a\\"b"} 1\n'
 * ```
 */
export function formatPrometheus(families: readonly MetricFamily[], prefix: string): string {
  if (prefix !== '' && !METRIC_NAME.test(prefix)) {
    throw ValidationError.fromIssues('Invalid metrics prefix', [
      {
        path: 'prefix',
        message: 'must match [a-zA-Z_:][a-zA-Z0-9_:]* (or be empty)',
        code: 'invalid_format',
      },
    ]);
  }
  const lines: string[] = [];
  for (const family of mergeFamilies(families)) {
    const name = prefix === '' ? family.name : `${prefix}_${family.name}`;
    if (!METRIC_NAME.test(name)) throw new Error(`reposit bug: invalid metric name ${name}`);
    lines.push(`# HELP ${name} ${escapeHelp(family.help)}`, `# TYPE ${name} ${family.type}`);
    for (const sample of family.samples) {
      lines.push(`${name}${sample.suffix ?? ''}${formatLabels(sample.labels)} ${formatValue(sample.value)}`);
    }
  }
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}

function mergeFamilies(families: readonly MetricFamily[]): MetricFamily[] {
  const byName = new Map<string, MetricFamily>();
  for (const family of families) {
    const known = byName.get(family.name);
    if (known === undefined) byName.set(family.name, family);
    else byName.set(family.name, { ...known, samples: [...known.samples, ...family.samples] });
  }
  return [...byName.values()];
}

function formatLabels(labels: Readonly<Record<string, string>> | undefined): string {
  if (labels === undefined) return '';
  const pairs = Object.entries(labels);
  if (pairs.length === 0) return '';
  return `{${pairs
    .map(([key, value]) => {
      if (!LABEL_NAME.test(key) || key.startsWith('__')) throw new Error(`reposit bug: invalid label ${key}`);
      return `${key}="${escapeLabelValue(value)}"`;
    })
    .join(',')}}`;
}

/**
 * A label value as the text format needs it: `\` → `\\`, `"` → `\"`, newline → `\n`.
 *
 * @example
 * ```ts
 * escapeLabelValue('say "hi"\n'); // 'say \\"hi\\"\\n'
 * ```
 */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function escapeHelp(help: string): string {
  return help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/**
 * A sample value as the text format spells it (`NaN`, `+Inf`, `-Inf`, or the number).
 *
 * @example
 * ```ts
 * formatValue(Number.POSITIVE_INFINITY); // '+Inf'
 * ```
 */
export function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(value);
}
