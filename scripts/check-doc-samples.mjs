#!/usr/bin/env node
// Type-checks every ```ts / ```typescript block of README.md and docs/**/*.md, or of the
// markdown files given as arguments (`npm run check:docs -- docs/cli.md`).
//
// Each block becomes its own module under .tmp/doc-samples, where `reposit` and
// `reposit/*` resolve to src/ through tsconfig paths (so no build is needed), and tsc
// checks them all in one run. Errors are reported at the markdown file and line.
//
// A page can read as one program: a block whose info string is `ts continued` is checked
// together with the blocks before it on the same page (it sees their imports and
// declarations). A block that is deliberately a fragment opts out with `ts nocheck`;
// prefer a complete sample to either.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { importSpecifiers } from './package-entries.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// A folder per run, so that concurrent runs (a test of this script) never share one.
const outDir = path.join(root, '.tmp', 'doc-samples', String(process.pid));
const checkedLanguages = new Set(['ts', 'typescript']);

/** `reposit` and its subpaths, from tsup.config.ts `entries`. */
const subpaths = importSpecifiers();

function markdownFiles() {
  const files = [path.join(root, 'README.md')];
  const walk = (dir) => {
    for (const name of readdirSync(dir).sort()) {
      const full = path.join(dir, name);
      if (statSync(full).isDirectory()) {
        if (path.relative(root, full) !== path.join('docs', 'api')) walk(full);
      } else if (name.endsWith('.md')) {
        files.push(full);
      }
    }
  };
  walk(path.join(root, 'docs'));
  return files;
}

/**
 * The checked samples of one markdown file. A sample is one module: a block, plus the
 * `continued` blocks after it, each segment remembering the markdown line it starts on.
 */
function extractSamples(file) {
  const lines = readFileSync(file, 'utf8').split(/\r?\n/);
  const samples = [];
  let open;
  for (const [index, line] of lines.entries()) {
    const fence = /^(\s*)(`{3,}|~{3,})\s*(.*)$/.exec(line);
    if (open) {
      if (fence && fence[2][0] === open.marker[0] && fence[2].length >= open.marker.length && !fence[3]) {
        if (open.checked) {
          const segment = { startLine: open.startLine, lines: open.body };
          const previous = samples.at(-1);
          if (open.continued && !previous) {
            throw new Error(
              `${path.relative(root, file)}:${open.startLine - 1}: a \`continued\` block needs a checked block before it`,
            );
          }
          if (open.continued && previous) previous.segments.push(segment);
          else samples.push({ file, segments: [segment] });
        }
        open = undefined;
      } else {
        open.body.push(line.slice(Math.min(open.indent, line.length - line.trimStart().length)));
      }
    } else if (fence) {
      const words = fence[3]
        .trim()
        .split(/[\s,{}]+/)
        .filter(Boolean);
      const checked = checkedLanguages.has(words[0] ?? '') && !words.includes('nocheck');
      const continued = words.includes('continued');
      open = {
        marker: fence[2],
        indent: fence[1].length,
        checked,
        continued,
        startLine: index + 2,
        body: [],
      };
    }
  }
  if (open) throw new Error(`${path.relative(root, file)}: unclosed code fence`);
  return samples;
}

function writeSamples(samples) {
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const byOutput = new Map();
  for (const sample of samples) {
    const stem = path.relative(root, sample.file).replace(/[\\/.]/g, '_');
    const name = `${stem}_L${sample.segments[0].startLine}.ts`;
    // `export {}` keeps every sample a module of its own (top-level await, no clashes).
    const code = sample.segments.flatMap((segment) => segment.lines);
    writeFileSync(path.join(outDir, name), `${code.join('\n')}\nexport {};\n`);
    byOutput.set(name, sample);
  }
  const paths = Object.fromEntries(
    Object.entries(subpaths).map(([name, file]) => [name, [path.join(root, file)]]),
  );
  const tsconfig = {
    extends: path.join(root, 'tsconfig.json'),
    compilerOptions: { noEmit: true, paths, types: ['node'] },
    include: ['./*.ts'],
  };
  writeFileSync(path.join(outDir, 'tsconfig.json'), `${JSON.stringify(tsconfig, null, 2)}\n`);
  return byOutput;
}

/** The markdown line of line `line` (1-based) of a sample's module. */
function markdownLine(sample, line) {
  let offset = line - 1;
  for (const segment of sample.segments) {
    if (offset < segment.lines.length) return segment.startLine + offset;
    offset -= segment.lines.length;
  }
  const last = sample.segments.at(-1);
  return last.startLine + last.lines.length;
}

/** Rewrites `.tmp/doc-samples/x_L10.ts(3,5): error …` as `docs/x.md:12:5: error …`. */
function mapDiagnostics(output, byOutput) {
  const mapped = [];
  for (const line of output.split('\n')) {
    const match = /^(?:.*[\\/])?([^\\/(]+\.ts)\((\d+),(\d+)\): (.*)$/.exec(line);
    const sample = match ? byOutput.get(match[1]) : undefined;
    if (match && sample) {
      const where = `${path.relative(root, sample.file)}:${markdownLine(sample, Number(match[2]))}:${match[3]}`;
      mapped.push(`${where}: ${match[4]}`);
    } else if (line.trim()) {
      mapped.push(line);
    }
  }
  return mapped;
}

const requested = process.argv.slice(2).map((file) => path.resolve(file));
const samples = (requested.length > 0 ? requested : markdownFiles()).flatMap(extractSamples);
if (samples.length === 0) {
  console.log('check:docs: no ts code blocks to check');
  process.exit(0);
}
const byOutput = writeSamples(samples);
const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
const result = spawnSync(
  process.execPath,
  [tsc, '-p', path.join(outDir, 'tsconfig.json'), '--pretty', 'false'],
  {
    cwd: root,
    encoding: 'utf8',
  },
);
const files = new Set(samples.map((sample) => sample.file)).size;
const blocks = samples.reduce((sum, sample) => sum + sample.segments.length, 0);
if (result.status === 0) {
  rmSync(outDir, { recursive: true, force: true });
  console.log(
    `check:docs: ${blocks} code blocks (${samples.length} samples) in ${files} markdown files type-check`,
  );
} else {
  const diagnostics = mapDiagnostics(`${result.stdout}${result.stderr}`, byOutput);
  console.error(diagnostics.join('\n'));
  const failing = new Set(
    diagnostics.filter((line) => /: error TS/.test(line)).map((line) => line.split(':')[0]),
  );
  console.error(
    `\ncheck:docs: type errors in the code samples of ${[...failing].join(', ') || 'the docs'}` +
      ` (samples written to ${path.relative(root, outDir)}; mark a deliberate fragment \`\`\`ts nocheck)`,
  );
  process.exitCode = 1;
}
