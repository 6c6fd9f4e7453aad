#!/usr/bin/env bash
# Make a throwaway PostgreSQL server available on 127.0.0.1 for the tests.
#
# Idempotent: installs Debian's `postgresql` package when no server binaries exist,
# creates a cluster in $HELPDESK_PG_DIR (default /tmp/helpdesk-test-pg) listening on
# 127.0.0.1:$HELPDESK_PG_PORT (default 54329) with trust auth for loopback only, and
# starts it unless it is already running. Prints what it did; the last line is
#   HELPDESK_TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:<port>/postgres
# Exit status 1 with the reason on stderr when it cannot (tests then skip with it).
set -uo pipefail

PG_DIR="${HELPDESK_PG_DIR:-/tmp/helpdesk-test-pg}"
PG_PORT="${HELPDESK_PG_PORT:-54329}"
URL="postgresql+psycopg://postgres@127.0.0.1:${PG_PORT}/postgres"

say() { echo "ensure_postgres: $*" >&2; }
fail() { say "$*"; exit 1; }

find_bindir() {
  local dir
  dir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
  if [[ -n "$dir" && -x "$dir/initdb" ]]; then echo "$dir"; return 0; fi
  if command -v initdb >/dev/null 2>&1; then dirname "$(command -v initdb)"; return 0; fi
  return 1
}

as_root() {
  if [[ "$(id -u)" == 0 ]]; then "$@"; elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo -n "$@"; else return 1; fi
}

BIN="$(find_bindir)"
if [[ -z "$BIN" ]]; then
  command -v apt-get >/dev/null || fail "no PostgreSQL server binaries and no apt-get to install them"
  say "PostgreSQL server not found: installing Debian's postgresql package (apt-get)"
  as_root true || fail "PostgreSQL is not installed and installing it needs root (or passwordless sudo)"
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get update -qq >/dev/null || fail "apt-get update failed (no network or no package mirror?)"
  as_root apt-get install -y -qq postgresql >/dev/null || fail "apt-get install postgresql failed"
  BIN="$(find_bindir)" || fail "postgresql installed but initdb not found"
  # the package starts its own cluster on 5432; ours is separate and on another port
else
  say "PostgreSQL server binaries found in $BIN"
fi

# initdb and postgres refuse to run as root: use the `postgres` account when we are root
RUN=()
if [[ "$(id -u)" == 0 ]]; then
  id postgres >/dev/null 2>&1 || useradd --system --home-dir "$PG_DIR" postgres || fail "cannot create the postgres account"
  RUN=(runuser -u postgres --)
fi

if "$BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" 2>/dev/null; then
  say "already running on 127.0.0.1:$PG_PORT ($PG_DIR)"
  echo "HELPDESK_TEST_DATABASE_URL=$URL"
  exit 0
fi

if [[ ! -s "$PG_DIR/PG_VERSION" ]]; then
  say "creating a throwaway cluster in $PG_DIR (trust auth, loopback only)"
  mkdir -p "$PG_DIR" || fail "cannot create $PG_DIR"
  [[ "$(id -u)" == 0 ]] && chown postgres "$PG_DIR"
  chmod 700 "$PG_DIR"
  "${RUN[@]}" "$BIN/initdb" -D "$PG_DIR" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >"$PG_DIR.initdb.log" 2>&1 \
    || "${RUN[@]}" "$BIN/initdb" -D "$PG_DIR" -U postgres --auth=trust --encoding=UTF8 --no-locale >"$PG_DIR.initdb.log" 2>&1 \
    || fail "initdb failed: $(tail -n 3 "$PG_DIR.initdb.log")"
fi

say "starting PostgreSQL on 127.0.0.1:$PG_PORT"
"${RUN[@]}" "$BIN/pg_ctl" -D "$PG_DIR" -l "$PG_DIR/server.log" -w -t 60 \
  -o "-p $PG_PORT -k $PG_DIR -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" start >/dev/null \
  || fail "the server did not start: $(tail -n 5 "$PG_DIR/server.log" 2>/dev/null)"
"$BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" || fail "the server started but does not answer on 127.0.0.1:$PG_PORT"
say "running on 127.0.0.1:$PG_PORT"
echo "HELPDESK_TEST_DATABASE_URL=$URL"
