// TypeDoc: the API reference of every entry point (tsup.config.ts `entries`), into docs/api.
// Any warning fails the run: an undocumented export, a broken link, a type that a public
// signature uses but the package does not export (unless listed as intentionally so).
import { packageEntries } from './scripts/package-entries.mjs';

/** @type {Partial<import('typedoc').TypeDocOptions>} */
export default {
  entryPoints: Object.values(packageEntries()),
  tsconfig: 'tsconfig.json',
  out: 'docs/api',
  name: 'reposit',
  readme: 'none',
  excludePrivate: true,
  // No public repository URL yet: source links would depend on the clone's git remote.
  disableSources: true,
  excludeInternal: true,
  validation: {
    notExported: true,
    invalidLink: true,
    notDocumented: true,
  },
  treatWarningsAsErrors: true,
  requiredToBeDocumented: [
    'Enum',
    'Variable',
    'Function',
    'Class',
    'Interface',
    'TypeAlias',
    'Method',
    'Accessor',
  ],
  intentionallyNotExported: [
    'MaxDepth',
    'Leaf',
    'FilterableKeys',
    'ConfigObject',
    'VERIFIED_APPLIED',
    'RangeValues',
    'Listener',
    'CacheCore',
    'QueryInput',
    'ZodLikeIssue',
    'SecondaryWriterConfig',
    'EntityOf',
    'IdOfEntity',
    'InputOf',
    'AnyEntity',
    'UpdatedSpreadsheet',
    'StatsSource',
  ],
  externalSymbolLinkMappings: {
    kysely: {
      Migration: 'https://kysely-org.github.io/kysely-apidoc/interfaces/Migration.html',
    },
  },
  highlightLanguages: [
    'bash',
    'console',
    'css',
    'html',
    'javascript',
    'json',
    'jsonc',
    'json5',
    'yaml',
    'tsx',
    'typescript',
    'sh',
    'sql',
  ],
  skipErrorChecking: true,
};
