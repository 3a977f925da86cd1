#!/bin/sh
# Runs bench/publish_bench against Nchan (nginx + libnginx-mod-nchan): starts nginx in the
# foreground from a temporary prefix with bench/nchan/nginx.conf on a free loopback port, finds
# its single worker, runs publish_bench --url http://127.0.0.1:PORT/pub/{ch} --server-pid WORKER
# with the arguments given here (e.g. --duration 10), then stops nginx.
#
#   apt-get install -y nginx-light libnginx-mod-nchan    # once (Debian 12); the system service is not used
#   bench/nchan/run.sh                                   # 32 publishers, 10 s
#   bench/nchan/run.sh --connections 1 --duration 5
#
# Environment: PUBLISH_BENCH (default build/bench/publish_bench), NGINX (default nginx),
# NCHAN_PORT (default: a free port), KEEP_PREFIX=1 keeps the temporary prefix (error.log).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bench=${PUBLISH_BENCH:-$root/build/bench/publish_bench}
nginx=${NGINX:-nginx}
command -v "$nginx" >/dev/null || { echo "run.sh: nginx not found (apt-get install -y nginx-light libnginx-mod-nchan)" >&2; exit 2; }
[ -f /usr/lib/nginx/modules/ngx_nchan_module.so ] || { echo "run.sh: libnginx-mod-nchan is not installed" >&2; exit 2; }
[ -x "$bench" ] || { echo "run.sh: $bench not built (/tmp/hb --target publish_bench)" >&2; exit 2; }

port=${NCHAN_PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')}
prefix=$(mktemp -d /tmp/nchan-bench.XXXXXX)
mkdir -p "$prefix/logs"
sed -e "s|@PORT@|$port|g" -e "s|@PREFIX@|$prefix|g" "$here/nginx.conf" > "$prefix/nginx.conf"

"$nginx" -p "$prefix" -c "$prefix/nginx.conf" -e "$prefix/error.log" &
master=$!
cleanup() {
    kill -QUIT "$master" 2>/dev/null || true
    wait "$master" 2>/dev/null || true
    [ "${KEEP_PREFIX:-0}" = 1 ] && echo "run.sh: nginx prefix kept in $prefix" >&2 || rm -rf "$prefix"
}
trap cleanup EXIT INT TERM

worker=""
i=0
while [ $i -lt 100 ]; do
    worker=$(pgrep -P "$master" | head -n 1 || true)
    if [ -n "$worker" ] && curl -s -o /dev/null "http://127.0.0.1:$port/pub/probe" -X POST -d probe; then break; fi
    kill -0 "$master" 2>/dev/null || { echo "run.sh: nginx exited; see $prefix/error.log" >&2; cat "$prefix/error.log" >&2; exit 1; }
    i=$((i + 1))
    sleep 0.05
done
[ -n "$worker" ] || { echo "run.sh: no nginx worker came up" >&2; exit 1; }
echo "run.sh: nginx master $master, worker $worker, port $port ($("$nginx" -v 2>&1))" >&2

"$bench" --url "http://127.0.0.1:$port/pub/{ch}" --server-pid "$worker" "$@"
