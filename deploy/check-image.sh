#!/usr/bin/env bash
# Builds the container image from deploy/Containerfile with buildah and runs it as Kubernetes runs the pods:
# user 10001, a read-only root filesystem, a tmpfs on /tmp and the model on a read-only mount. Against the
# project-local PostgreSQL it migrates, serves, answers /healthz, /readyz, the OpenAPI document, the board and
# /metrics, scores a posted arrival with the rules and then the model, and stops on SIGTERM.
# As root, on Debian (installs buildah and debootstrap when missing). Not part of CI: it takes about 12 minutes.
#
# usage: deploy/check-image.sh [--stand-in-bases]
#
# --stand-in-bases: where no container registry can be reached, first makes local images under the two names
# the Containerfile starts from: debian:bookworm-slim from debootstrap (Debian 12, minbase), and
# swift:6.3-bookworm from that plus the Swift image's build packages, this machine's toolchain (/opt/swift) and
# its copy of the Swift packages (/opt/swift-packages, with the git settings that send github.com there).
set -euo pipefail
cd "$(dirname "$0")/.."
[[ $(id -u) -eq 0 ]] || { echo "check-image.sh: run as root" >&2; exit 1; }
source scripts/dev-env.sh
swift build --product edtriage >&2   # mints the nurse's token

readonly IMAGE=localhost/edtriage:check
readonly PORT=18080
WORK=$(mktemp -d)
ROOT="$WORK/root"
CONTAINER=""
SERVER=""

cleanup() {
    if [[ -n "$SERVER" ]]; then kill -KILL "$SERVER" 2>/dev/null || true; fi
    for mount in mnt srv tmp dev proc ""; do
        if mountpoint -q "$ROOT/$mount"; then umount "$ROOT/$mount"; fi
    done
    if [[ -n "$CONTAINER" ]]; then buildah rm "$CONTAINER" >/dev/null; fi
    rm -rf "$WORK"
}
trap cleanup EXIT

fail() { echo "check-image.sh: FAILED: $*" >&2; exit 1; }

if ! command -v buildah >/dev/null || ! command -v debootstrap >/dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q buildah debootstrap >&2
fi

# The build packages of the official swift:6.3-bookworm image.
readonly SWIFT_BUILD_PACKAGES="binutils git gnupg2 libc6-dev libcurl4-openssl-dev libedit2 libgcc-12-dev \
libpython3-dev libsqlite3-0 libstdc++-12-dev libxml2-dev libncurses-dev libz3-dev pkg-config tzdata zlib1g-dev \
ca-certificates"

stand_in_bases() {
    debootstrap --variant=minbase bookworm "$WORK/debian" http://deb.debian.org/debian >"$WORK/debootstrap.log"
    rm -rf "$WORK/debian/var/cache/apt/archives/"*.deb "$WORK/debian/var/lib/apt/lists/"*
    local base
    base=$(buildah from scratch)
    buildah copy "$base" "$WORK/debian/" / >/dev/null
    buildah config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin --cmd /bin/bash "$base"
    buildah commit -q --rm "$base" docker.io/library/debian:bookworm-slim >/dev/null

    local swift
    swift=$(buildah from --pull=never docker.io/library/debian:bookworm-slim)
    buildah run --isolation chroot "$swift" -- sh -c "apt-get update -q && DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -q --no-install-recommends $SWIFT_BUILD_PACKAGES && rm -rf /var/lib/apt/lists/*" >&2
    buildah copy "$swift" /opt/swift/usr /usr >/dev/null
    buildah copy "$swift" /opt/swift-packages /opt/swift-packages >/dev/null
    buildah copy "$swift" /etc/gitconfig /etc/gitconfig >/dev/null
    buildah commit -q --rm "$swift" docker.io/library/swift:6.3-bookworm >/dev/null
}

PULL=missing
if [[ "${1:-}" == --stand-in-bases ]]; then
    echo "check-image.sh: making stand-in base images" >&2
    stand_in_bases
    PULL=never
fi

echo "check-image.sh: building $IMAGE" >&2
started=$(date +%s)
buildah bud --isolation chroot --pull="$PULL" -f deploy/Containerfile -t "$IMAGE" . >"$WORK/build.log" 2>&1 \
    || { tail -n 30 "$WORK/build.log" >&2; fail "the image did not build"; }
echo "built in $(( $(date +%s) - started )) s; $(buildah images --format '{{.Size}}' "$IMAGE")"

# The image's root, read-only, with what the pod mounts: /proc, /dev, a tmpfs /tmp, the secrets (/srv here)
# and the model (/mnt here; /models is created by the container engine, which this is not).
CONTAINER=$(buildah from --pull=never "$IMAGE")
mkdir -p "$ROOT" "$WORK/secrets" "$WORK/models"
mount --bind "$(buildah mount "$CONTAINER")" "$ROOT"
mount -o remount,ro,bind "$ROOT"
mount -t proc proc "$ROOT/proc"
mount --bind /dev "$ROOT/dev"
mount -t tmpfs -o size=64m tmpfs "$ROOT/tmp"
install -m 444 "$EDTRIAGE_DATABASE_SSL_ROOT_CERT" "$WORK/secrets/ca.crt"
install -m 444 "$EDTRIAGE_AUTH_HS256_SECRET_FILE" "$WORK/secrets/hs256-secret"
install -m 444 "$EDTRIAGE_MODEL_PATH" "$WORK/models/model.gguf"
for folder in srv mnt; do
    source_folder=$([[ $folder == srv ]] && echo "$WORK/secrets" || echo "$WORK/models")
    mount --bind "$source_folder" "$ROOT/$folder"
    mount -o remount,ro,bind "$ROOT/$folder"
done
touch "$ROOT/opt/edtriage/probe" 2>/dev/null && fail "the image's root is writable"

# The image's entrypoint as user 10001 in its working directory, configured as the pods are.
in_image() {
    chroot --userspec=10001:10001 "$ROOT" /usr/bin/env -C /opt/edtriage -i PATH=/usr/bin:/bin \
        EDTRIAGE_HTTP_HOST=0.0.0.0 EDTRIAGE_HTTP_PORT=$PORT \
        EDTRIAGE_DATABASE_MIGRATIONS_PATH=/opt/edtriage/Migrations \
        EDTRIAGE_DATABASE_URL="$EDTRIAGE_DATABASE_URL" \
        EDTRIAGE_DATABASE_MIGRATION_URL="$EDTRIAGE_DATABASE_MIGRATION_URL" \
        EDTRIAGE_DATABASE_SSL_ROOT_CERT=/srv/ca.crt EDTRIAGE_AUTH_HS256_SECRET_FILE=/srv/hs256-secret \
        EDTRIAGE_MODEL_PATH=/mnt/model.gguf \
        /opt/edtriage/bin/edtriage "$@"
}

in_image migrate >"$WORK/migrate.log" 2>&1 || { cat "$WORK/migrate.log" >&2; fail "migrate"; }
in_image serve --config /opt/edtriage/config/edtriage.yaml >"$WORK/serve.log" 2>&1 &
serving=$!
sleep 1
SERVER=$(pgrep -f "^/opt/edtriage/bin/edtriage serve") || { cat "$WORK/serve.log" >&2; fail "serve did not start"; }
[[ $(ps -o uid= -p "$SERVER" | tr -d ' ') == 10001 ]] || fail "the service does not run as user 10001"
for _ in $(seq 1 60); do
    curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null && break
    sleep 1
done
for path in /healthz /readyz /v1/openapi.yaml /board /board/board.js /board/board.css /metrics; do
    status=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT$path")
    [[ $status == 200 ]] || fail "GET $path answered $status"
    echo "GET $path: 200"
done

token=$(.build/debug/edtriage token --role nurse --subject image-check 2>/dev/null | tail -n 1)
external_id="image-check-$(date +%s%N)"
arrival=$(head -n 1 samples/arrivals.ndjson | python3 -c "import json, sys
a = json.load(sys.stdin); a['external_id'] = sys.argv[1]; print(json.dumps(a))" "$external_id" \
    | curl -fs -H "Authorization: Bearer $token" -H "Content-Type: application/json" --data-binary @- \
        "http://127.0.0.1:$PORT/v1/arrivals" | python3 -c "import json, sys; print(json.load(sys.stdin)['arrival_id'])")
echo "POST /v1/arrivals: arrival $arrival"
# The rules' level at once, the model's assessment after any model jobs already queued in this database.
model_status=""
for _ in $(seq 1 600); do
    model_status=$(curl -fs -H "Authorization: Bearer $token" "http://127.0.0.1:$PORT/v1/worklist" | python3 -c "
import json, sys
rows = [r for r in json.load(sys.stdin)['rows'] if r['arrival_id'] == int(sys.argv[1])]
print(f\"{rows[0]['effective_level']} {rows[0]['model_status']}\" if rows else '')" "$arrival")
    [[ $model_status == *" scored" ]] && break
    sleep 1
done
[[ $model_status == *" scored" ]] || fail "arrival $arrival: level and model status '$model_status'"
echo "arrival $arrival on the worklist: ESI ${model_status% *}, model ${model_status#* }"

stopping=$(date +%s%N)
kill -TERM "$SERVER"
wait "$serving" || fail "serve exited with status $? on SIGTERM"
SERVER=""
echo "stopped on SIGTERM after $(( ($(date +%s%N) - stopping) / 1000000 )) ms"
echo "check-image.sh: passed"
