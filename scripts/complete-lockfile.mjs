#!/usr/bin/env node
// Adds lockfile entries for platform-specific optional dependencies that the package
// mirror of this build machine does not carry (darwin, win32, android … builds of
// esbuild, rollup, biome). npm 11 refuses `npm ci` when an optional dependency named by a
// locked package has no entry of its own, even one that can never be installed on the
// current platform. Each added entry carries only its version and the os/cpu/libc
// guards read from its name, so npm skips it on every other platform without fetching it.
// Run after `npm install` whenever package-lock.json changes.
import { readFileSync, writeFileSync } from 'node:fs';

const path = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(path, 'utf8'));
const packages = lock.packages;
const OS = [
  'android',
  'darwin',
  'freebsd',
  'linux',
  'openbsd',
  'sunos',
  'win32',
  'aix',
  'netbsd',
  'openharmony',
  'cygwin',
];
const CPU = [
  'arm64',
  'arm',
  'x64',
  'ia32',
  'ppc64',
  'riscv64',
  's390x',
  'loong64',
  'mips64el',
  'loongarch64',
  'wasm32',
];
let added = 0;

function guards(name) {
  const base = name.split('/').pop();
  const parts = base.split('-');
  const os = parts.find((part) => OS.includes(part));
  const cpu = parts.find((part) => CPU.includes(part)) ?? (parts.includes('arm') ? 'arm' : undefined);
  const guard = {};
  if (os) guard.os = [os];
  if (cpu) guard.cpu = [cpu];
  if (parts.includes('musl') || parts.includes('musleabihf')) guard.libc = ['musl'];
  else if (
    os === 'linux' &&
    (parts.includes('gnu') || parts.includes('gnueabihf') || name.startsWith('@biomejs/'))
  )
    guard.libc = ['glibc'];
  if (name.includes('wasm')) return { cpu: ['wasm32'] };
  return guard;
}

for (const [location, entry] of Object.entries(packages)) {
  for (const [dependency, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const prefix = location === '' ? '' : `${location}/`;
    const nested = `${prefix}node_modules/${dependency}`;
    const hoisted = `node_modules/${dependency}`;
    if (packages[nested] || packages[hoisted]) continue;
    const guard = guards(dependency);
    if (!guard.os && !guard.cpu) continue;
    packages[hoisted] = { version, ...(entry.dev ? { dev: true } : {}), optional: true, ...guard };
    added++;
  }
}

const sorted = Object.fromEntries(
  Object.entries(packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))),
);
lock.packages = sorted;
writeFileSync(path, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`complete-lockfile: added ${added} platform entries`);
