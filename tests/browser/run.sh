#!/usr/bin/env bash
# Real-browser test: starts `herald serve` on free loopback ports and drives Debian's Chromium
# (through playwright-core) against it with the native EventSource and WebSocket.
# Usage: run.sh HERALD_BINARY [TEST.test.mjs...]; without test files it runs every *.test.mjs
# here in turn against the same herald, save those that ask for their own (herald-args below;
# CTest runs one file per test: browser.eventsource, ...).
# Missing Chromium, Node.js or node_modules is a failure with the fix, never a silent skip.
#
# A test file that needs herald started differently says so in a line of its own:
#   // herald-args: --jwt-secret $HERALD_JWT_SECRET --public-channels news --auth-expiring-notice 2000
# The words (split on blanks; no quotes, no globbing, no other expansion) are added to herald
# serve's usual arguments, and such a file gets a herald of its own, stopped after it (the next
# file with the very same line shares it); files without the line share one with the usual ones.
# The literal $HERALD_JWT_SECRET in a word is replaced by a random secret made for this run, and
# $HERALD_PAGE_ORIGIN by the origin the test's page is served from (http://127.0.0.1:PORT, PORT
# picked with herald's, so herald can list it: --allowed-origin $HERALD_PAGE_ORIGIN).
# Every test gets, besides the ports:
#   HERALD_PAGE_PORT   the free loopback port for the test's page (harness.mjs serves it there)
#   HERALD_JWT_SECRET  that secret (to sign tokens with; herald has it only when its args say so)
#   HERALD_BINARY      the herald binary's absolute path (to run `herald token create ...`)
# herald serve runs without the HERALD_* auth variables of the caller's environment (a developer's
# exported HERALD_JWT_SECRET must not turn auth on for the tests that expect none).
set -uo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
fail() { echo "browser test: $*" >&2; exit 1; }

[ $# -ge 1 ] || fail "usage: $0 PATH-TO-HERALD-BINARY [TEST.test.mjs...]"
herald="$1"
shift
[ -x "$herald" ] || fail "herald binary '$herald' is missing or not executable (build it: cmake --build build --target herald)"
herald="$(cd "$(dirname "$herald")" && pwd)/$(basename "$herald")"  # the tests run in $here

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

stop_herald() {
  if [ -n "$herald_pid" ] && kill -0 "$herald_pid" 2>/dev/null; then
    kill -TERM "$herald_pid" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$herald_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$herald_pid" 2>/dev/null
    wait "$herald_pid" 2>/dev/null
  fi
  herald_pid=""
}

cleanup() {
  stop_herald
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

# Three free loopback ports, all different: herald's public and internal listeners and the test
# page's (the kernel picks them; the short race with other tests is retried below for herald's).
free_ports() {
  node -e '
    const net = require("net");
    const a = net.createServer().listen(0, "127.0.0.1", () => {
      const b = net.createServer().listen(0, "127.0.0.1", () => {
        const c = net.createServer().listen(0, "127.0.0.1", () => {
          console.log(a.address().port + " " + b.address().port + " " + c.address().port);
          a.close(); b.close(); c.close();
        });
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

# The extra `herald serve` words a test file asks for (its `// herald-args:` line), one a line,
# placeholders left in (start_herald replaces them once the ports are picked).
herald_args_of() {
  local line
  line="$(grep -m1 -E '^[[:space:]]*//[[:space:]]*herald-args:' "$here/$1")" || return 0
  local -a words
  read -r -a words <<<"${line#*herald-args:}"
  local w
  for w in "${words[@]}"; do printf '%s\n' "$w"; done
}

# One herald-args word with its placeholders replaced.
expand_word() {
  local w="$1" p_secret='$HERALD_JWT_SECRET' p_origin='$HERALD_PAGE_ORIGIN'
  w="${w//"$p_secret"/$jwt_secret}"
  w="${w//"$p_origin"/http://127.0.0.1:$page_port}"
  printf '%s' "$w"
}

# Starts herald serve with the usual arguments plus "$@" (placeholders replaced) on two free ports,
# with a third picked for the page (three tries); sets herald_pid, public_port, internal_port and
# page_port.
start_herald() {
  local started=0 attempt w
  local -a args
  for attempt in 1 2 3; do
    read -r public_port internal_port page_port < <(free_ports) || fail "cannot pick free loopback ports"
    args=()
    for w in "$@"; do args+=("$(expand_word "$w")"); done
    env -u HERALD_JWT_SECRET -u HERALD_JWT_PUBLIC_KEY -u HERALD_JWT_AUDIENCE -u HERALD_JWT_ISSUER \
        -u HERALD_PUBLIC_CHANNELS -u HERALD_TOKEN_COOKIE -u HERALD_AUTH_EXPIRING_NOTICE -u HERALD_API_KEY \
      "$herald" serve --public "127.0.0.1:$public_port" --internal "127.0.0.1:$internal_port" \
      --keepalive 1000 --ws-max-message-bytes "$ws_max_message_bytes" --ws-ping-interval "$ws_ping_interval" \
      --log-level warn "${args[@]}" >"$log" 2>&1 &
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
  echo "browser test: herald pid $herald_pid, public 127.0.0.1:$public_port, internal 127.0.0.1:$internal_port, page port $page_port${*:+ (extra args: ${args[*]//$jwt_secret/<secret>})}"
}

jwt_secret="$(od -An -tx1 -N24 /dev/urandom | tr -d ' \n')"
[ -n "$jwt_secret" ] || fail "cannot read /dev/urandom for a JWT secret"

cd "$here"
status=0
running_args=none  # the extra args of the running herald, joined; none: no herald running yet
herald_failed=0    # a test failed against the running herald: show its log before it goes
for t in "${tests[@]}"; do
  mapfile -t extra < <(herald_args_of "$t")
  wanted="${extra[*]}"
  if [ "$running_args" != "$wanted" ]; then
    [ "$herald_failed" = 0 ] || show_log
    stop_herald
    herald_failed=0
    : >"$log"
    start_herald "${extra[@]}"
    running_args="$wanted"
  fi
  echo "browser test: node $t"
  HERALD_PUBLIC_PORT="$public_port" HERALD_INTERNAL_PORT="$internal_port" HERALD_PAGE_PORT="$page_port" \
    HERALD_CHROMIUM="$chromium" \
    HERALD_WS_MAX_MESSAGE_BYTES="$ws_max_message_bytes" HERALD_WS_PING_INTERVAL="$ws_ping_interval" \
    HERALD_JWT_SECRET="$jwt_secret" HERALD_BINARY="$herald" \
    node "$t" || { status=1; herald_failed=1; }
  if ! kill -0 "$herald_pid" 2>/dev/null; then
    echo "browser test: herald exited during $t" >&2
    status=1
    herald_failed=1
    break
  fi
done
[ "$herald_failed" = 0 ] || show_log
exit "$status"
