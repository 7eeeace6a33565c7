# Sourced by bench/*.sh: a release build of edtriage in $edtriage, as a site would run it (or the binary
# EDTRIAGE_BIN names, e.g. the tests' debug build), and a fresh migrated
# database `edtriage_bench` on the project-local PostgreSQL, with EDTRIAGE_DATABASE_URL and
# EDTRIAGE_DATABASE_MIGRATION_URL pointing at it (TLS settings kept). `fresh_bench_database` starts it over.
unset EDTRIAGE_DATABASE_URL EDTRIAGE_DATABASE_MIGRATION_URL
source scripts/dev-env.sh

# The same URL for another database: the path's last segment replaced, the query (sslmode) kept.
with_database() {
    local url=$1 database=$2 query=""
    [[ $url == *\?* ]] && query="?${url#*\?}"
    local base=${url%%\?*}
    echo "${base%/*}/$database$query"
}

export EDTRIAGE_DATABASE_URL="$(with_database "$EDTRIAGE_DATABASE_URL" edtriage_bench)"
export EDTRIAGE_DATABASE_MIGRATION_URL="$(with_database "$EDTRIAGE_DATABASE_MIGRATION_URL" edtriage_bench)"
export EDTRIAGE_LOG_LEVEL=warning

if [[ -n ${EDTRIAGE_BIN:-} ]]; then
    edtriage=$EDTRIAGE_BIN
else
    swift build -c release --product edtriage
    edtriage=.build/release/edtriage
fi

fresh_bench_database() {
    scripts/postgres.sh psql -d postgres -q -c "DROP DATABASE IF EXISTS edtriage_bench WITH (FORCE)" \
        -c "CREATE DATABASE edtriage_bench"
    "$edtriage" migrate >/dev/null
}
fresh_bench_database
