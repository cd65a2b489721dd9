#!/usr/bin/env bash
# Starts a real streaming replica of the local primary (127.0.0.1:5432) on 127.0.0.1:5433,
# made with `pg_basebackup -R`, for the read/write-splitting, lag, read-your-writes and
# failover tests (test/support/services.ts replicaUrl()).
#
# Idempotent: if a server in recovery already answers on the replica port, it does nothing;
# if the replica's data directory exists but the server is stopped, it starts it again; it
# only takes a fresh base backup when there is none.
#
# Environment (all optional):
#   PRIMARY_HOST / PRIMARY_PORT   the primary (default 127.0.0.1:5432)
#   REPLICA_PORT                  where the replica listens (default 5433)
#   REPLICA_DATA_DIR              its data directory (default /var/lib/postgresql/<major>/replica-$REPLICA_PORT)
#   PG_BIN                        PostgreSQL binaries (default: the newest /usr/lib/postgresql/<major>/bin)
set -euo pipefail

PRIMARY_HOST="${PRIMARY_HOST:-127.0.0.1}"
PRIMARY_PORT="${PRIMARY_PORT:-5432}"
REPLICA_PORT="${REPLICA_PORT:-5433}"
# The newest installed server binaries, unless PG_BIN says otherwise.
if [ -z "${PG_BIN:-}" ]; then
  newest="$(ls -1 /usr/lib/postgresql 2>/dev/null | sort -V | tail -n 1 || true)"
  if [ -n "$newest" ]; then
    PG_BIN="/usr/lib/postgresql/${newest}/bin"
  else
    PG_BIN="$(dirname "$(command -v pg_basebackup || echo /usr/lib/postgresql/15/bin/pg_basebackup)")"
  fi
fi
PG_MAJOR="$(basename "$(dirname "$PG_BIN")")"
DATA_DIR="${REPLICA_DATA_DIR:-/var/lib/postgresql/${PG_MAJOR}/replica-${REPLICA_PORT}}"
LOG_FILE="${DATA_DIR}.log"
PG_USER=postgres

log() { printf 'start-replica: %s\n' "$*"; }
fail() { printf 'start-replica: ERROR: %s\n' "$*" >&2; exit 1; }

# Run a command as the postgres OS user (the server refuses to run as root).
as_postgres() {
  if [ "$(id -un)" = "$PG_USER" ]; then "$@"; else runuser -u "$PG_USER" -- "$@"; fi
}

primary_sql() { psql -X -q -At -h "$PRIMARY_HOST" -p "$PRIMARY_PORT" -U postgres -d postgres -c "$1"; }
replica_sql() { psql -X -q -At -h 127.0.0.1 -p "$REPLICA_PORT" -U postgres -d postgres -c "$1" 2>/dev/null; }

# 1. Already running?
if pg_isready -q -h 127.0.0.1 -p "$REPLICA_PORT"; then
  if [ "$(replica_sql 'select pg_is_in_recovery()' || true)" = "t" ]; then
    log "a replica already answers on 127.0.0.1:${REPLICA_PORT}; nothing to do"
    exit 0
  fi
  fail "something answers on 127.0.0.1:${REPLICA_PORT} but it is not a server in recovery; stop it or set REPLICA_PORT"
fi

pg_isready -q -h "$PRIMARY_HOST" -p "$PRIMARY_PORT" ||
  fail "the primary does not answer on ${PRIMARY_HOST}:${PRIMARY_PORT}; start it first (scripts/ensure-services.sh)"
[ -x "${PG_BIN}/pg_basebackup" ] || fail "no PostgreSQL binaries in ${PG_BIN}; set PG_BIN"

# 2. The primary must accept replication connections from loopback.
[ "$(primary_sql 'show wal_level')" != "minimal" ] || fail "the primary runs with wal_level=minimal; streaming needs 'replica'"
hba_file="$(primary_sql 'show hba_file')"
if ! grep -Eq '^[[:space:]]*host[[:space:]]+replication[[:space:]]+all[[:space:]]+127\.0\.0\.1/32[[:space:]]+trust' "$hba_file"; then
  log "allowing loopback replication connections in ${hba_file}"
  printf '\n# added by reposit scripts/start-replica.sh\nhost replication all 127.0.0.1/32 trust\n' >>"$hba_file"
  primary_sql 'select pg_reload_conf()' >/dev/null
  sleep 1
fi

# 3. A base backup (fresh), and the configuration the copy lacks.
base_backup() {
  log "taking a base backup of ${PRIMARY_HOST}:${PRIMARY_PORT} into ${DATA_DIR}"
  rm -rf "$DATA_DIR"
  mkdir -p "$(dirname "$DATA_DIR")"
  install -d -o "$PG_USER" -g "$PG_USER" -m 700 "$DATA_DIR"
  as_postgres "${PG_BIN}/pg_basebackup" -h "$PRIMARY_HOST" -p "$PRIMARY_PORT" -U postgres \
    -D "$DATA_DIR" -R -X stream -c fast
  # Debian keeps the primary's configuration under /etc, so the copy has none of its own.
  # Hot standby needs at least the primary's max_connections and friends.
  max_connections="$(primary_sql 'show max_connections')"
  max_worker_processes="$(primary_sql 'show max_worker_processes')"
  max_wal_senders="$(primary_sql 'show max_wal_senders')"
  max_locks="$(primary_sql 'show max_locks_per_transaction')"
  max_prepared="$(primary_sql 'show max_prepared_transactions')"
  as_postgres tee "${DATA_DIR}/postgresql.conf" >/dev/null <<EOF
# written by reposit scripts/start-replica.sh
port = ${REPLICA_PORT}
listen_addresses = '127.0.0.1'
unix_socket_directories = '/tmp'
hot_standby = on
hot_standby_feedback = on
max_connections = ${max_connections}
max_worker_processes = ${max_worker_processes}
max_wal_senders = ${max_wal_senders}
max_locks_per_transaction = ${max_locks}
max_prepared_transactions = ${max_prepared}
wal_receiver_status_interval = 1s
shared_buffers = 64MB
logging_collector = off
EOF
  as_postgres tee "${DATA_DIR}/pg_hba.conf" >/dev/null <<'EOF'
local all all trust
host all all 127.0.0.1/32 trust
EOF
  as_postgres touch "${DATA_DIR}/pg_ident.conf"
}

# 4. Start it and wait until it streams.
start_and_wait() {
  log "starting the replica on 127.0.0.1:${REPLICA_PORT} (log: ${LOG_FILE})"
  touch "$LOG_FILE" && chown "$PG_USER" "$LOG_FILE"
  as_postgres "${PG_BIN}/pg_ctl" -D "$DATA_DIR" -l "$LOG_FILE" -w -t 60 start >/dev/null ||
    { tail -n 20 "$LOG_FILE" >&2; return 1; }
  for _ in $(seq 1 60); do
    if [ "$(replica_sql "select status from pg_stat_wal_receiver" || true)" = "streaming" ] &&
      [ "$(replica_sql 'select pg_is_in_recovery()' || true)" = "t" ]; then
      return 0
    fi
    sleep 0.5
  done
  tail -n 20 "$LOG_FILE" >&2
  return 1
}

fresh=false
if [ ! -f "${DATA_DIR}/standby.signal" ] || [ ! -f "${DATA_DIR}/PG_VERSION" ]; then
  base_backup
  fresh=true
fi
if ! start_and_wait; then
  [ "$fresh" = false ] || fail "the replica did not start streaming from the primary"
  # An old copy (of a primary since re-created, or one too far behind): start over from a fresh one.
  log "the existing replica does not stream; replacing it with a fresh base backup"
  as_postgres "${PG_BIN}/pg_ctl" -D "$DATA_DIR" -m immediate stop >/dev/null 2>&1 || true
  base_backup
  start_and_wait || fail "the replica did not start streaming from the primary"
fi
log "replica on 127.0.0.1:${REPLICA_PORT} is streaming from ${PRIMARY_HOST}:${PRIMARY_PORT}"
