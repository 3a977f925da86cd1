#!/usr/bin/env bash
# Real-browser test: starts `herald serve` on free loopback ports and drives Debian's Chromium
# (through playwright-core) against it with the native EventSource and WebSocket.
# Usage: run.sh HERALD_BINARY [TEST.test.mjs...]; without test files it runs every *.test.mjs
# here in turn against the same herald (CTest runs one file per test: browser.eventsource, ...).
# Missing Chromium, Node.js or node_modules is a failure with the fix, never a silent skip.
set -uo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
fail() { echo "browser test: $*" >&2; exit 1; }

[ $# -ge 1 ] || fail "usage: $0 PATH-TO-HERALD-BINARY [TEST.test.mjs...]"
herald="$1"
shift
[ -x "$herald" ] || fail "herald binary '$herald' is missing or not executable (build it: cmake --build build --target herald)"

chromium="${HERALD_CHROMIUM:-/usr/bin/chromium}"
[ -x "$chromium" ] || fail "Chromium not found at $chromium: install it with 'scripts/install-deps.sh --test' (Debian package chromium), or set HERALD_CHROMIUM"
command -v node >/dev/null 2>&1 || fail "node not found: install it with 'scripts/install-deps.sh --test' (Debian packages nodejs npm)"
tests=()
if [ $# -eq 0 ]; then
  for t in "$here"/*.test.mjs; do [ -f "$t" ] && tests+=("$(basename "$t")"); done
else
  for t in "$@"; do
    [ -f "$here/$(basename "$t")" ] || fail "no test file '$t' in $here"
    tests+=("$(basename "$t")")
  done
fi
[ "${#tests[@]}" -gt 0 ] || fail "no *.test.mjs in $here"
[ -d "$here/node_modules/playwright-core" ] || fail "$here/node_modules/playwright-core is missing: run tests/browser/setup.sh (npm install), as 'make test' does"

workdir="$(mktemp -d "${TMPDIR:-/tmp}/herald-browser.XXXXXX")"
log="$workdir/herald.log"
herald_pid=""

cleanup() {
  if [ -n "$herald_pid" ] && kill -0 "$herald_pid" 2>/dev/null; then
    kill -TERM "$herald_pid" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$herald_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$herald_pid" 2>/dev/null
    wait "$herald_pid" 2>/dev/null
  fi
  rm -rf "$workdir"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

show_log() {
  echo "---- herald log ($log) ----" >&2
  tail -n 50 "$log" >&2 2>/dev/null
  echo "---- end of herald log ----" >&2
}

# Passed to the tests too, which check the limit from both sides (1009 just over it).
ws_max_message_bytes=4096
# Short, so a test sees an idle page WebSocket outlive several server pings (answered by the browser).
ws_ping_interval=1000

# Two free loopback ports (the kernel picks them; the short race with other tests is retried below).
free_ports() {
  node -e '
    const net = require("net");
    const a = net.createServer().listen(0, "127.0.0.1", () => {
      const b = net.createServer().listen(0, "127.0.0.1", () => {
        console.log(a.address().port + " " + b.address().port);
        a.close(); b.close();
      });
    });'
}

healthy() {
  node -e '
    const req = require("http").get({host: "127.0.0.1", port: +process.argv[1], path: "/healthz", timeout: 1000},
      (res) => { res.resume(); process.exit(res.statusCode === 200 ? 0 : 1); });
    req.on("error", () => process.exit(1));
    req.on("timeout", () => { req.destroy(); process.exit(1); });' "$1"
}

started=0
for attempt in 1 2 3; do
  read -r public_port internal_port < <(free_ports) || fail "cannot pick free loopback ports"
  "$herald" serve --public "127.0.0.1:$public_port" --internal "127.0.0.1:$internal_port" \
    --keepalive 1000 --ws-max-message-bytes "$ws_max_message_bytes" --ws-ping-interval "$ws_ping_interval" \
    --log-level warn >"$log" 2>&1 &
  herald_pid=$!
  for _ in $(seq 100); do  # up to ~10 s
    if ! kill -0 "$herald_pid" 2>/dev/null; then break; fi
    if healthy "$internal_port"; then started=1; break; fi
    sleep 0.1
  done
  [ "$started" = 1 ] && break
  echo "browser test: herald did not come up on 127.0.0.1:$public_port / 127.0.0.1:$internal_port (attempt $attempt)" >&2
  show_log
  kill -KILL "$herald_pid" 2>/dev/null
  wait "$herald_pid" 2>/dev/null
  herald_pid=""
done
[ "$started" = 1 ] || fail "herald serve did not answer /healthz on its internal listener"

echo "browser test: herald pid $herald_pid, public 127.0.0.1:$public_port, internal 127.0.0.1:$internal_port"

cd "$here"
status=0
for t in "${tests[@]}"; do
  echo "browser test: node $t"
  HERALD_PUBLIC_PORT="$public_port" HERALD_INTERNAL_PORT="$internal_port" HERALD_CHROMIUM="$chromium" \
    HERALD_WS_MAX_MESSAGE_BYTES="$ws_max_message_bytes" HERALD_WS_PING_INTERVAL="$ws_ping_interval" \
    node "$t" || status=1
  if ! kill -0 "$herald_pid" 2>/dev/null; then
    echo "browser test: herald exited during $t" >&2
    status=1
    break
  fi
done
[ "$status" = 0 ] || show_log
exit "$status"
