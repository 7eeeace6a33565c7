# Sourced by scripts/run.sh, scripts/test.sh and bench/*.sh: the embedded defaults for this machine.
#
# Without EDTRIAGE_DATABASE_URL it starts the project-local PostgreSQL (scripts/postgres.sh) and points the
# service at it over TLS (verify-full against the cluster's CA): the service role for serving, the owner for
# migrations and test databases. It fetches the
# bundled model, and makes a development JWT secret in .local/ unless one is configured.
# Anything already set in the environment wins.

if [[ -z "${EDTRIAGE_DATABASE_URL:-}" ]]; then
    scripts/postgres.sh start
    export EDTRIAGE_DATABASE_SSL_ROOT_CERT="${EDTRIAGE_DATABASE_SSL_ROOT_CERT:-$(scripts/postgres.sh ca)}"
    export EDTRIAGE_DATABASE_URL="$(scripts/postgres.sh app-url)"
    export EDTRIAGE_DATABASE_MIGRATION_URL="${EDTRIAGE_DATABASE_MIGRATION_URL:-$(scripts/postgres.sh url)}"
fi
export EDTRIAGE_TEST_DATABASE_URL="${EDTRIAGE_TEST_DATABASE_URL:-${EDTRIAGE_DATABASE_MIGRATION_URL:-$EDTRIAGE_DATABASE_URL}}"
export EDTRIAGE_MODEL_PATH="${EDTRIAGE_MODEL_PATH:-$(scripts/fetch-model.sh)}"

if [[ -z "${EDTRIAGE_AUTH_HS256_SECRET:-}${EDTRIAGE_AUTH_HS256_SECRET_FILE:-}" ]]; then
    mkdir -p .local
    [[ -s .local/dev-jwt-secret ]] || (umask 077 && head -c 32 /dev/urandom | base64 > .local/dev-jwt-secret)
    export EDTRIAGE_AUTH_HS256_SECRET_FILE="$PWD/.local/dev-jwt-secret"
fi
# Development only: `edtriage token` mints tokens (production leaves this off and uses the identity provider).
export EDTRIAGE_AUTH_ALLOW_DEV_TOKENS="${EDTRIAGE_AUTH_ALLOW_DEV_TOKENS:-true}"

# Image decoding links Debian's libjpeg-turbo, libpng and libwebp (the vision tower's inputs).
if [[ ! -f /usr/include/jpeglib.h || ! -f /usr/include/png.h || ! -f /usr/include/webp/decode.h ]]; then
    if [[ $(id -u) -eq 0 ]]; then
        echo "dev-env.sh: installing libjpeg62-turbo-dev libpng-dev libwebp-dev with apt-get (image decoding)" >&2
        DEBIAN_FRONTEND=noninteractive apt-get update -q >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q libjpeg62-turbo-dev libpng-dev libwebp-dev >&2
    else
        echo "dev-env.sh: image libraries are missing: sudo apt-get install libjpeg62-turbo-dev libpng-dev libwebp-dev" >&2
    fi
fi

# The ED board's browser tests drive Debian's headless Chromium.
if ! command -v chromium >/dev/null 2>&1; then
    if [[ $(id -u) -eq 0 ]]; then
        echo "dev-env.sh: installing chromium with apt-get (the board's browser tests)" >&2
        DEBIAN_FRONTEND=noninteractive apt-get update -q >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >&2
    else
        echo "dev-env.sh: chromium is missing (the board's browser tests need it): sudo apt-get install chromium" >&2
    fi
fi
