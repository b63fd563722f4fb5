#!/usr/bin/env bash
# Find PostgreSQL and Redis for the test suite, start them if they are installed but stopped,
# and fail with a clear message when they can't be had. Nothing is silently skipped.
set -u

PG_URL="${TEST_DATABASE_URL:-postgresql://root@127.0.0.1:5432/test}"
REDIS_URL="${TEST_REDIS_URL:-redis://127.0.0.1:6379/1}"
PY="${PYTHON:-.venv/bin/python}"

pg_ok() {
  "$PY" - "$PG_URL" <<'PY' >/dev/null 2>&1
import sys, psycopg
url = sys.argv[1].replace("postgresql+psycopg://", "postgresql://").replace("postgres://", "postgresql://")
psycopg.connect(url, connect_timeout=2).close()
PY
}

redis_ok() {
  "$PY" - "$REDIS_URL" <<'PY' >/dev/null 2>&1
import sys, redis
redis.Redis.from_url(sys.argv[1], socket_connect_timeout=2).ping()
PY
}

wait_for() {  # wait_for <check> : up to ~15 s
  for _ in $(seq 1 30); do "$1" && return 0; sleep 0.5; done
  return 1
}

if ! pg_ok; then
  if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
    echo "PostgreSQL is not answering at $PG_URL; starting the local cluster..."
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main start || true
    wait_for pg_ok || { echo "ERROR: started PostgreSQL, but $PG_URL still does not answer." >&2; exit 1; }
  else
    echo "ERROR: PostgreSQL is not reachable at $PG_URL and is not installed here." >&2
    echo "       Install it, or point TEST_DATABASE_URL at a PostgreSQL database the tests may wipe." >&2
    exit 1
  fi
fi

if ! redis_ok; then
  if command -v redis-server >/dev/null 2>&1; then
    echo "Redis is not answering at $REDIS_URL; starting redis-server..."
    redis-server --daemonize yes --port 6379 --save "" --appendonly no >/dev/null || true
    wait_for redis_ok || { echo "ERROR: started redis-server, but $REDIS_URL still does not answer." >&2; exit 1; }
  else
    echo "ERROR: Redis is not reachable at $REDIS_URL and redis-server is not installed here." >&2
    echo "       Install it, or point TEST_REDIS_URL at a Redis database the tests may flush." >&2
    exit 1
  fi
fi

echo "Test services: PostgreSQL at $PG_URL, Redis at $REDIS_URL."
