/**
 * The help of `reposit` and of each command group, keyed by its first word ('' is the top level).
 *
 * @example
 * ```ts
 * process.stdout.write(`${HELP.migrate}\n`); // Usage: reposit migrate <up|down|status|create <name>> ...
 * ```
 */
export const HELP: Readonly<Record<string, string>> = {
  '': `Usage: reposit <command> [options]

Commands:
  migrate up                 run every pending migration
  migrate down               undo the last migration that ran
  migrate status             list migrations and when they ran
  migrate create <name>      write a new, empty migration file
  health                     check the primary, replicas (with lag), Redis and Sheets
  cache warm [name...]       load repositories' rows into the cache
  legacy backfill [name...]  copy legacy records to the new store (resumable)
  sheets sync [name...]      two-way sync of sheets with other repositories

Options:
  -c, --config <file>  the data-layer module (default: reposit.config.{js,mjs,cjs,ts} in the working directory)
      --json           print one JSON document on stdout, no progress bars
  -h, --help           show help (also per command: reposit migrate --help)

Exit codes: 0 success, 1 failure, 2 wrong usage.`,
  migrate: `Usage: reposit migrate <up|down|status|create <name>> [--config <file>] [--json]

  up             run every pending migration, in name order, in one transaction
  down           undo the last migration that ran
  status         list every migration and when it ran (pending ones too)
  create <name>  write <dir>/YYYYMMDD_HHMMSS_<name>.<ext> with empty up/down functions

Needs the config's \`connection\` and \`migrations\` ({ dir } or { migrations }; create needs dir).`,
  health: `Usage: reposit health [--config <file>] [--json]

Checks the primary (a round trip), every replica (reachable, replication lag), Redis (PING)
and the configured spreadsheets (metadata read). Sections the config lacks are skipped.
Exits 1 when anything checked is down.`,
  cache: `Usage: reposit cache warm [name...] [--config <file>] [--json]

Loads rows into the cache through each target's repository (its own read path), for the
named targets of the config's \`caches\` (all of them without names).`,
  legacy: `Usage: reposit legacy backfill [name...] [--config <file>] [--json]

Runs the named backfills of the config's \`legacy.backfills\` (all without names). Each saves
a checkpoint after every batch: run it again after a failure or Ctrl-C and it continues.`,
  sheets: `Usage: reposit sheets sync [name...] [--config <file>] [--json]

Runs the named syncs of the config's \`sheets.syncs\` (all without names): a three-way
comparison with the last synced state, changes copied both ways, conflicts resolved by
each sync's rule.`,
};
