#!/usr/bin/env bash
# Project-local PostgreSQL for development, tests and CI.
#
#   scripts/postgres.sh start    start the cluster (idempotent; installs and initialises on first use)
#   scripts/postgres.sh stop     stop it
#   scripts/postgres.sh url      owner URL (superuser; runs migrations, creates test databases)
#   scripts/postgres.sh app-url  the service's URL (role edtriage_app: no UPDATE/DELETE on audit_log)
#   scripts/postgres.sh psql     psql on the edtriage database as the owner
#
# The cluster listens on 127.0.0.1:${EDTRIAGE_PG_PORT:-54329} only, with password-less (trust) auth on
# loopback: it is a development database, never a production one. PostgreSQL refuses to run as root,
# so under root (CI) the server runs as the unprivileged system user edtriage-pg, and the data folder
# lives in that user's home (the checkout may sit below folders only root can enter); .local/pg then
# is a symlink to it.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PORT="${EDTRIAGE_PG_PORT:-54329}"
DATABASE=edtriage
OWNER=postgres
APP_ROLE=edtriage_app
APP_PASSWORD=edtriage_app
RUN_USER=edtriage-pg
LINK="$ROOT/.local/pg"

die() { echo "postgres.sh: $*" >&2; exit 1; }

bin_dir() {
    local dir
    dir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
    if [[ -z "$dir" ]]; then
        [[ "$(id -u)" == 0 ]] || die "no PostgreSQL binaries in /usr/lib/postgresql; install the postgresql package"
        echo "postgres.sh: installing PostgreSQL with apt-get" >&2
        DEBIAN_FRONTEND=noninteractive apt-get update -q >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >&2
        dir="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
    fi
    echo "$dir"
}

is_root() { [[ "$(id -u)" == 0 ]]; }

# Runs a command as the user that owns the cluster.
as_owner() {
    if is_root; then
        runuser -u "$RUN_USER" -- "$@"
    else
        "$@"
    fi
}

ensure_run_user() {
    is_root || return 0
    id "$RUN_USER" >/dev/null 2>&1 ||
        useradd --system --home-dir "/var/lib/$RUN_USER" --create-home --shell /usr/sbin/nologin "$RUN_USER"
    mkdir -p "/var/lib/$RUN_USER"
    chown "$RUN_USER:" "/var/lib/$RUN_USER"
    chmod 700 "/var/lib/$RUN_USER"
}

# The data folder: .local/pg for a normal user; for root a folder in edtriage-pg's home, one per checkout.
data_dir() {
    if is_root; then
        local key
        key="$(printf '%s:%s' "$ROOT" "$PORT" | sha256sum | cut -c1-12)"
        echo "/var/lib/$RUN_USER/cluster-$key"
    else
        echo "$LINK"
    fi
}

pg_ctl_cmd() { as_owner "$BIN/pg_ctl" -D "$DATA" "$@"; }

is_running() { pg_ctl_cmd status >/dev/null 2>&1; }

init_cluster() {
    [[ -f "$DATA/PG_VERSION" ]] && return 0
    echo "postgres.sh: initialising cluster in $DATA" >&2
    if is_root; then
        install -d -o "$RUN_USER" -m 700 "$DATA"
    else
        mkdir -p "$DATA" && chmod 700 "$DATA"
    fi
    as_owner "$BIN/initdb" -D "$DATA" -U "$OWNER" --auth=trust --encoding=UTF8 --locale=C.UTF-8 >/dev/null
    cat >>"$DATA/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = ''
max_connections = 200
fsync = on
EOF
    cat >"$DATA/pg_hba.conf" <<EOF
host all all 127.0.0.1/32 trust
EOF
}

psql_owner() { "$BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PORT" -U "$OWNER" "$@"; }

create_database_and_role() {
    psql_owner -d postgres <<EOF >/dev/null
SELECT 'CREATE DATABASE $DATABASE' WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = '$DATABASE')
\gexec
DO \$\$ BEGIN
    CREATE ROLE $APP_ROLE LOGIN PASSWORD '$APP_PASSWORD';
EXCEPTION WHEN duplicate_object THEN
    ALTER ROLE $APP_ROLE LOGIN PASSWORD '$APP_PASSWORD';
END \$\$;
EOF
}

start() {
    ensure_run_user
    if ! is_running && "$BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT"; then
        # Another checkout's cluster (e.g. a second worktree) already answers on this port: share it.
        echo "postgres.sh: a server already answers on 127.0.0.1:$PORT; using it" >&2
        create_database_and_role
        return
    fi
    init_cluster
    if ! is_running; then
        mkdir -p "$ROOT/.local"
        if is_root; then ln -sfn "$DATA" "$LINK"; fi
        pg_ctl_cmd -l "$DATA/server.log" -w -t 60 start >/dev/null || {
            tail -n 20 "$DATA/server.log" >&2
            die "the server did not start"
        }
    fi
    create_database_and_role
    echo "postgres.sh: running on 127.0.0.1:$PORT" >&2
}

stop() {
    if [[ -f "$DATA/PG_VERSION" ]] && is_running; then
        pg_ctl_cmd -m fast -w stop >/dev/null
    fi
}

BIN="$(bin_dir)"
DATA="$(data_dir)"

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    url) echo "postgres://$OWNER@127.0.0.1:$PORT/$DATABASE" ;;
    app-url) echo "postgres://$APP_ROLE:$APP_PASSWORD@127.0.0.1:$PORT/$DATABASE" ;;
    psql) shift; psql_owner -d "$DATABASE" "$@" ;;
    *) die "usage: $0 start|stop|url|app-url|psql" ;;
esac
