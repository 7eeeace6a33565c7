#!/usr/bin/env bash
# Project-local PostgreSQL for development, tests and CI.
#
#   scripts/postgres.sh start    start the cluster (idempotent; installs and initialises on first use)
#   scripts/postgres.sh stop     stop it
#   scripts/postgres.sh crash-restart  stop it in immediate mode, as a power cut would, and start it again
#   scripts/postgres.sh url      owner URL (superuser; runs migrations, creates test databases)
#   scripts/postgres.sh app-url  the service's URL (role edtriage_app: no UPDATE/DELETE on audit_log)
#   scripts/postgres.sh ca       path of the CA certificate that signed the server's TLS certificate
#   scripts/postgres.sh psql     psql on the edtriage database as the owner
#
# The cluster listens on 127.0.0.1:${EDTRIAGE_PG_PORT:-54329} only (each port its own cluster), with password-less (trust) auth on
# loopback: it is a development database, never a production one. It speaks TLS (ssl = on) with a
# certificate for localhost and 127.0.0.1 from a CA made here, so the URLs use sslmode=verify-full as a
# hospital's would. PostgreSQL refuses to run as root,
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
[[ $PORT == 54329 ]] || LINK="$LINK-$PORT"

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

# The data folder: .local/pg for a normal user (.local/pg-PORT off the default port); for root a folder in
# edtriage-pg's home, one per checkout and port.
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
# The test suites run side by side, each on a database and pools of its own: 268 connections at the peak here,
# 397 seen once in CI.
max_connections = 1000
fsync = on
EOF
    cat >"$DATA/pg_hba.conf" <<EOF
host all all 127.0.0.1/32 trust
EOF
}

# A development CA and a server certificate it signed (kept in the data folder), and ssl = on.
ensure_tls() {
    local tls="$DATA/tls"
    if [[ ! -s "$tls/server.crt" ]]; then
        command -v openssl >/dev/null || die "openssl is needed to make the cluster's TLS certificate"
        echo "postgres.sh: making a development CA and server certificate in $tls" >&2
        local work
        work="$(mktemp -d)"
        openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 \
            -subj "/CN=EDTriage development CA" -keyout "$work/ca.key" -out "$work/ca.crt" 2>/dev/null
        openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=localhost" \
            -keyout "$work/server.key" -out "$work/server.csr" 2>/dev/null
        printf 'subjectAltName = DNS:localhost, IP:127.0.0.1\nextendedKeyUsage = serverAuth\n' >"$work/ext"
        openssl x509 -req -in "$work/server.csr" -CA "$work/ca.crt" -CAkey "$work/ca.key" -CAcreateserial \
            -days 825 -extfile "$work/ext" -out "$work/server.crt" 2>/dev/null
        chmod 755 "$work"
        chmod 644 "$work/ca.crt" "$work/server.crt"
        chmod 600 "$work/ca.key" "$work/server.key"
        if is_root; then chown -R "$RUN_USER:" "$work"; fi
        as_owner mkdir -p "$tls"
        as_owner cp -p "$work/ca.crt" "$work/server.crt" "$work/server.key" "$tls/"
        rm -rf "$work"
    fi
    if ! grep -q "^ssl = on" "$DATA/postgresql.conf"; then
        printf "%s\n" "ssl = on" "ssl_cert_file = 'tls/server.crt'" "ssl_key_file = 'tls/server.key'" \
            "ssl_min_protocol_version = 'TLSv1.2'" | as_owner tee -a "$DATA/postgresql.conf" >/dev/null
        if is_running; then pg_ctl_cmd reload >/dev/null; fi
    fi
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
    ensure_tls
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

# Immediate mode kills every server process without a checkpoint: the restart replays the WAL, as after a crash.
crash_restart() {
    is_running || die "the cluster is not running"
    pg_ctl_cmd -m immediate -w stop >/dev/null
    pg_ctl_cmd -l "$DATA/server.log" -w -t 60 start >/dev/null
}

BIN="$(bin_dir)"
DATA="$(data_dir)"

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    crash-restart) crash_restart ;;
    url) echo "postgres://$OWNER@127.0.0.1:$PORT/$DATABASE?sslmode=verify-full" ;;
    app-url) echo "postgres://$APP_ROLE:$APP_PASSWORD@127.0.0.1:$PORT/$DATABASE?sslmode=verify-full" ;;
    ca) echo "$DATA/tls/ca.crt" ;;
    psql) shift; psql_owner -d "$DATABASE" "$@" ;;
    *) die "usage: $0 start|stop|crash-restart|url|app-url|ca|psql" ;;
esac
