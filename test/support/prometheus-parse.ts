/**
 * A strict reader of the Prometheus text exposition format (0.0.4), for tests: it
 * rejects what a scraper would reject (a sample before its TYPE, a family declared twice,
 * a duplicate series, a bad escape, a malformed value) and returns the samples with
 * their label values unescaped.
 */
export interface ParsedSample {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly value: number;
}

export interface ParsedExposition {
  readonly types: Map<string, string>;
  readonly help: Map<string, string>;
  readonly samples: ParsedSample[];
  /** The value of the one sample with this name and exactly these labels. */
  value(name: string, labels?: Record<string, string>): number | undefined;
}

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const SUFFIXES: Record<string, string[]> = {
  summary: ['', '_sum', '_count'],
  histogram: ['_bucket', '_sum', '_count'],
  counter: [''],
  gauge: [''],
  untyped: [''],
};

export function parsePrometheus(text: string): ParsedExposition {
  if (!text.endsWith('\n')) throw new Error('the exposition must end with a newline');
  const types = new Map<string, string>();
  const help = new Map<string, string>();
  const samples: ParsedSample[] = [];
  const seen = new Set<string>();
  const lines = text.slice(0, -1).split('\n');
  lines.forEach((line, index) => {
    const where = `line ${index + 1}: ${JSON.stringify(line)}`;
    const meta = new RegExp(`^# (HELP|TYPE) (${NAME}) (.*)$`).exec(line);
    if (meta) {
      const [, kind, name, rest] = meta as unknown as [string, string, string, string];
      if (kind === 'TYPE') {
        if (types.has(name)) throw new Error(`TYPE declared twice, ${where}`);
        if (!(rest in SUFFIXES)) throw new Error(`unknown type, ${where}`);
        types.set(name, rest);
      } else {
        if (help.has(name)) throw new Error(`HELP declared twice, ${where}`);
        if (/\\[^\\n]/.test(rest.replace(/\\\\/g, ''))) throw new Error(`bad HELP escape, ${where}`);
        help.set(
          name,
          rest.replace(/\\(\\|n)/g, (_m, c: string) => (c === 'n' ? '\n' : '\\')),
        );
      }
      return;
    }
    if (line.startsWith('#')) throw new Error(`unexpected comment, ${where}`);
    const sample = parseSample(line, where);
    const family = familyOf(sample.name, types);
    if (family === undefined) throw new Error(`sample before its TYPE, ${where}`);
    const series = `${sample.name}${JSON.stringify(Object.entries(sample.labels).sort())}`;
    if (seen.has(series)) throw new Error(`duplicate series, ${where}`);
    seen.add(series);
    samples.push(sample);
  });
  return {
    types,
    help,
    samples,
    value(name, labels = {}) {
      const wanted = JSON.stringify(Object.entries(labels).sort());
      return samples.find(
        (s) => s.name === name && JSON.stringify(Object.entries(s.labels).sort()) === wanted,
      )?.value;
    },
  };
}

function familyOf(sampleName: string, types: Map<string, string>): string | undefined {
  for (const [family, type] of types) {
    if (SUFFIXES[type]!.some((suffix) => `${family}${suffix}` === sampleName)) return family;
  }
  return undefined;
}

function parseSample(line: string, where: string): ParsedSample {
  const head = new RegExp(`^(${NAME})`).exec(line);
  if (!head) throw new Error(`bad metric name, ${where}`);
  const name = head[1]!;
  let at = name.length;
  const labels: Record<string, string> = {};
  if (line[at] === '{') {
    at++;
    while (line[at] !== '}') {
      const label = /^([a-zA-Z_][a-zA-Z0-9_]*)="/.exec(line.slice(at));
      if (!label) throw new Error(`bad label, ${where}`);
      at += label[0].length;
      let value = '';
      for (;;) {
        const c = line[at];
        if (c === undefined) throw new Error(`unterminated label value, ${where}`);
        at++;
        if (c === '"') break;
        if (c === '\\') {
          const next = line[at++];
          if (next === 'n') value += '\n';
          else if (next === '\\' || next === '"') value += next;
          else throw new Error(`bad escape \\${next}, ${where}`);
        } else {
          value += c;
        }
      }
      if (label[1]! in labels) throw new Error(`label repeated, ${where}`);
      labels[label[1]!] = value;
      if (line[at] === ',') at++;
      else if (line[at] !== '}') throw new Error(`expected , or }, ${where}`);
    }
    at++;
  }
  const rest = line.slice(at);
  const valueMatch = /^ (NaN|[+-]Inf|[+-]?\d+(?:\.\d+)?(?:e[+-]?\d+)?)$/.exec(rest);
  if (!valueMatch) throw new Error(`bad value, ${where}`);
  const raw = valueMatch[1]!;
  const value =
    raw === 'NaN' ? Number.NaN : raw === '+Inf' ? Infinity : raw === '-Inf' ? -Infinity : Number(raw);
  return { name, labels, value };
}
