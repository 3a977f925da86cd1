#!/usr/bin/env bash
# Runs the examples with one command: `herald serve --config examples/herald.json` and the example
# app (examples/app.py) beside it, prints the URLs, and stops both on Ctrl-C (or when either exits).
#
#   examples/run.sh
#
# Environment (all optional):
#   HERALD_BIN         the herald binary (default build/herald; built with `make build` when missing)
#   HERALD_JWT_SECRET  the subscriber-token secret herald and the app share (default: a random one
#                      made for this run, so user:<id> channels need the app's tokens)
#   HERALD_API_KEY     an API key for herald's internal listener; the app then publishes with it
#   HERALD_PUBLIC, HERALD_INTERNAL  herald's listeners (default 127.0.0.1:8080 and 127.0.0.1:8081)
#   APP_HOST, APP_PORT the app's address (default 127.0.0.1:8000)
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
fail() { echo "examples/run.sh: $*" >&2; exit 1; }

herald="${HERALD_BIN:-$root/build/herald}"
if [ ! -x "$herald" ]; then
  [ -z "${HERALD_BIN:-}" ] || fail "HERALD_BIN=$HERALD_BIN is not an executable file"
  echo "examples/run.sh: $herald is missing; building it with 'make build'"
  make -C "$root" build
fi
command -v python3 >/dev/null 2>&1 || fail "python3 not found (the app needs it): sudo apt-get install python3"
command -v curl >/dev/null 2>&1 || fail "curl not found (to wait for herald): sudo apt-get install curl"

export HERALD_PUBLIC="${HERALD_PUBLIC:-127.0.0.1:8080}"
export HERALD_INTERNAL="${HERALD_INTERNAL:-127.0.0.1:8081}"
if [ -z "${HERALD_JWT_SECRET:-}" ]; then
  HERALD_JWT_SECRET="$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')"
  secret_from="made for this run"
else
  secret_from="from HERALD_JWT_SECRET"
fi
export HERALD_JWT_SECRET   # herald and the app read it from the environment: it is not on any command line
# The URLs the app uses: a wildcard listener is reached on loopback.
url_of() { local hp="$1"; hp="${hp/#0.0.0.0:/127.0.0.1:}"; printf 'http://%s' "${hp/#\[::\]:/[::1]:}"; }
export HERALD_PUBLIC_URL="${HERALD_PUBLIC_URL:-$(url_of "$HERALD_PUBLIC")}"
export HERALD_INTERNAL_URL="${HERALD_INTERNAL_URL:-$(url_of "$HERALD_INTERNAL")}"
export APP_HOST="${APP_HOST:-127.0.0.1}" APP_PORT="${APP_PORT:-8000}"

herald_pid="" app_pid=""
stop() {
  trap - INT TERM EXIT
  for pid in $app_pid $herald_pid; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in $app_pid $herald_pid; do wait "$pid" 2>/dev/null || true; done
}
trap stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

"$herald" serve --config "$here/herald.json" &
herald_pid=$!
for _ in $(seq 100); do   # up to ~10 s
  kill -0 "$herald_pid" 2>/dev/null || fail "herald serve exited (see its messages above)"
  curl -sf -o /dev/null "$HERALD_INTERNAL_URL/healthz" && break
  sleep 0.1
done
curl -sf -o /dev/null "$HERALD_INTERNAL_URL/healthz" || fail "herald did not answer $HERALD_INTERNAL_URL/healthz"

python3 "$here/app.py" &
app_pid=$!
for _ in $(seq 50); do
  kill -0 "$app_pid" 2>/dev/null || fail "the app exited (see its messages above)"
  curl -sf -o /dev/null "http://$APP_HOST:$APP_PORT/" && break
  sleep 0.1
done

app_url="$(url_of "$APP_HOST:$APP_PORT")"
cat <<EOF

herald examples are running (JWT secret $secret_from):
  unread badge   $app_url/badge
  news feed      $app_url/news
  stock ticker   $app_url/ticker
  herald         public $HERALD_PUBLIC_URL, internal $HERALD_INTERNAL_URL
                 (try: $herald channels latest prices --url $HERALD_INTERNAL_URL)
Ctrl-C stops both.

EOF
set +e
wait -n "$herald_pid" "$app_pid"
status=$?
echo "examples/run.sh: $(kill -0 "$herald_pid" 2>/dev/null && echo "the app" || echo "herald") exited ($status); stopping" >&2
exit "$status"
