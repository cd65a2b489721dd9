#!/usr/bin/env bash
# Starts PgBouncer (Debian's package) in transaction pooling mode in front of the local
# primary, for the tests that run reposit through a pooler (test/support/services.ts
# pgbouncerUrl(), test/integration/pgbouncer/). It never touches the system service or
# /etc/pgbouncer: its own ini and userlist live in a private directory.
#
# Idempotent: installs the package when it is missing (apt-get, non-interactive), does
# nothing when a PgBouncer already answers on the port, and otherwise (re)writes the
# configuration and starts it as a daemon (as the postgres OS user: PgBouncer refuses root).
#
# Environment (all optional):
#   PGBOUNCER_PORT        where it listens on 127.0.0.1 (default 6432)
#   PGBOUNCER_DIR         its private directory: ini, userlist, pid file, log (default /tmp/reposit-pgbouncer-$PGBOUNCER_PORT)
#   PRIMARY_HOST / PRIMARY_PORT   the server behind it (default 127.0.0.1:5432)
#   PGBOUNCER_DATABASE    the database it serves (default test)
#   PGBOUNCER_MAX_PREPARED_STATEMENTS   max_prepared_statements, only for PgBouncer >= 1.21
#                         (protocol-level named prepared statements; default 0 = off)
set -euo pipefail

PORT="${PGBOUNCER_PORT:-6432}"
DIR="${PGBOUNCER_DIR:-/tmp/reposit-pgbouncer-${PORT}}"
PRIMARY_HOST="${PRIMARY_HOST:-127.0.0.1}"
PRIMARY_PORT="${PRIMARY_PORT:-5432}"
DATABASE="${PGBOUNCER_DATABASE:-test}"
MAX_PREPARED="${PGBOUNCER_MAX_PREPARED_STATEMENTS:-0}"
RUN_AS=postgres

log() { printf 'start-pgbouncer: %s\n' "$*"; }
fail() { printf 'start-pgbouncer: ERROR: %s\n' "$*" >&2; exit 1; }

# PgBouncer's admin console answers SHOW commands (simple protocol only).
admin_sql() { psql -X -q -At -h 127.0.0.1 -p "$PORT" -U postgres -d pgbouncer -c "$1" 2>/dev/null; }

# 1. Already running?
if pg_isready -q -h 127.0.0.1 -p "$PORT" 2>/dev/null; then
  if admin_sql 'show version' | grep -qi pgbouncer; then
    log "PgBouncer already answers on 127.0.0.1:${PORT}; nothing to do"
    exit 0
  fi
  fail "something answers on 127.0.0.1:${PORT} but it is not PgBouncer; stop it or set PGBOUNCER_PORT"
fi

# 2. The package.
PGBOUNCER="$(command -v pgbouncer || true)"
[ -n "$PGBOUNCER" ] || [ ! -x /usr/sbin/pgbouncer ] || PGBOUNCER=/usr/sbin/pgbouncer
if [ -z "$PGBOUNCER" ]; then
  [ "$(id -u)" = 0 ] || fail "pgbouncer is not installed and this is not root; run: sudo apt-get install -y pgbouncer"
  log "installing Debian's pgbouncer package"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q pgbouncer >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q pgbouncer >/dev/null; }
  PGBOUNCER=/usr/sbin/pgbouncer
fi
VERSION="$("$PGBOUNCER" --version | sed -n 's/^PgBouncer \([0-9.]*\).*/\1/p')"
log "PgBouncer ${VERSION}"

pg_isready -q -h "$PRIMARY_HOST" -p "$PRIMARY_PORT" ||
  fail "the primary does not answer on ${PRIMARY_HOST}:${PRIMARY_PORT}; start it first (scripts/ensure-services.sh)"

# 3. Configuration. max_prepared_statements exists from 1.21 on; older versions refuse
#    unknown settings, so it is only written where it is understood.
prepared_line=""
if printf '%s\n1.21\n' "$VERSION" | sort -V -C 2>/dev/null; then
  [ "$MAX_PREPARED" = 0 ] || log "PgBouncer ${VERSION} has no max_prepared_statements (1.21+); named prepared statements stay off"
else
  prepared_line="max_prepared_statements = ${MAX_PREPARED}"
fi
install -d -o "$RUN_AS" -g "$RUN_AS" -m 700 "$DIR"
cat >"${DIR}/userlist.txt" <<'EOF'
"postgres" ""
EOF
cat >"${DIR}/pgbouncer.ini" <<EOF
; written by reposit scripts/start-pgbouncer.sh
[databases]
${DATABASE} = host=${PRIMARY_HOST} port=${PRIMARY_PORT} dbname=${DATABASE}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = ${PORT}
unix_socket_dir =
auth_type = trust
auth_file = ${DIR}/userlist.txt
auth_user = postgres
admin_users = postgres
stats_users = postgres
pool_mode = transaction
; Tests run files in parallel, each with pools of its own; the server keeps headroom
; for the tests that connect to it directly.
max_client_conn = 2000
default_pool_size = 30
reserve_pool_size = 5
reserve_pool_timeout = 3
server_idle_timeout = 30
; Only what PgBouncer can keep track of is accepted in startup packets (no
; statement_timeout, no options): settings that would stick to one server connection.
ignore_startup_parameters = extra_float_digits
${prepared_line}
logfile = ${DIR}/pgbouncer.log
pidfile = ${DIR}/pgbouncer.pid
EOF
chown "$RUN_AS:$RUN_AS" "${DIR}/userlist.txt" "${DIR}/pgbouncer.ini"
chmod 600 "${DIR}/userlist.txt"

# 4. Start it as a daemon and wait until it answers.
rm -f "${DIR}/pgbouncer.pid"
if [ "$(id -un)" = "$RUN_AS" ]; then
  "$PGBOUNCER" -d "${DIR}/pgbouncer.ini"
elif [ "$(id -u)" = 0 ]; then
  runuser -u "$RUN_AS" -- "$PGBOUNCER" -d "${DIR}/pgbouncer.ini"
else
  "$PGBOUNCER" -d "${DIR}/pgbouncer.ini"
fi
for _ in $(seq 1 40); do
  if pg_isready -q -h 127.0.0.1 -p "$PORT" 2>/dev/null && admin_sql 'show version' | grep -qi pgbouncer; then
    mode="$(admin_sql 'show config' | awk -F'|' '$1 == "pool_mode" { print $2 }')"
    log "PgBouncer ${VERSION} on 127.0.0.1:${PORT} (pool_mode=${mode}) in front of ${PRIMARY_HOST}:${PRIMARY_PORT}/${DATABASE}; log: ${DIR}/pgbouncer.log"
    exit 0
  fi
  sleep 0.25
done
tail -n 20 "${DIR}/pgbouncer.log" >&2 || true
fail "PgBouncer did not start on 127.0.0.1:${PORT}"
