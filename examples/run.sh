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
app_url="$(url_of "$APP_HOST:$APP_PORT")"

# Any HTTP answer at URL $1 (answers), a 2xx one (ok); never through a proxy of the environment.
answers() { curl -s --noproxy '*' --max-time 2 -o /dev/null "$1"; }
ok() { curl -sf --noproxy '*' --max-time 2 -o /dev/null "$1"; }

herald_pid="" app_pid=""
stop() {
  trap - INT TERM EXIT
  for pid in $app_pid $herald_pid; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in $app_pid $herald_pid; do wait "$pid" 2>/dev/null || true; done
}
trap stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Another herald (or app) already there would answer the checks below in place of ours.
! answers "$HERALD_INTERNAL_URL/healthz" ||
  fail "something already answers at $HERALD_INTERNAL_URL (another herald?): stop it, or set HERALD_INTERNAL and HERALD_PUBLIC"
! answers "$app_url/" || fail "something already answers at $APP_HOST:$APP_PORT: stop it, or set APP_PORT"

"$herald" serve --config "$here/herald.json" &
herald_pid=$!
for _ in $(seq 100); do   # up to ~10 s
  kill -0 "$herald_pid" 2>/dev/null || fail "herald serve exited (see its messages above)"
  ok "$HERALD_INTERNAL_URL/healthz" && break
  sleep 0.1
done
ok "$HERALD_INTERNAL_URL/healthz" || fail "herald did not answer $HERALD_INTERNAL_URL/healthz"

python3 "$here/app.py" &
app_pid=$!
for _ in $(seq 50); do
  kill -0 "$app_pid" 2>/dev/null || fail "the app exited (see its messages above)"
  ok "$app_url/" && break
  sleep 0.1
done

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
if kill -0 "$herald_pid" 2>/dev/null; then who="the app"; else who="herald"; fi
if [ "$status" = 0 ]; then
  echo "examples/run.sh: $who stopped; stopping the other" >&2
else
  echo "examples/run.sh: $who exited with status $status; stopping the other" >&2
fi
exit "$status"
