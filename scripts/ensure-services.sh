#!/usr/bin/env bash
# Starts the local PostgreSQL and Redis when they are not running, and fails with a clear
# message when they cannot be reached afterwards. Only loopback addresses are used.
set -uo pipefail

pg_up() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }
redis_up() { redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null | grep -q PONG; }

if [ -z "${TEST_DATABASE_URL:-}" ] && ! pg_up; then
  echo "PostgreSQL is not running on 127.0.0.1:5432; starting it"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main start || true
  for _ in $(seq 1 30); do pg_up && break; sleep 1; done
fi
if [ -z "${TEST_REDIS_URL:-}" ] && ! redis_up; then
  echo "Redis is not running on 127.0.0.1:6379; starting it"
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no || true
  for _ in $(seq 1 30); do redis_up && break; sleep 1; done
fi

status=0
if [ -z "${TEST_DATABASE_URL:-}" ] && ! pg_up; then
  echo "ERROR: PostgreSQL is not reachable on 127.0.0.1:5432 and could not be started. Set TEST_DATABASE_URL to a server the tests may use." >&2
  status=1
fi
if [ -z "${TEST_REDIS_URL:-}" ] && ! redis_up; then
  echo "ERROR: Redis is not reachable on 127.0.0.1:6379 and could not be started. Set TEST_REDIS_URL to a server the tests may use." >&2
  status=1
fi
exit $status
