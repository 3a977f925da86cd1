#!/usr/bin/env bash
# make test-image: builds herald's image (Dockerfile) and the example app's (examples/Containerfile)
# with rootful podman, runs herald's image as a user would (health check, publish and subscribe
# from the host, SIGTERM drain), then runs the pod manifests in deploy/kubernetes/ with
# `podman kube play` (app + herald sharing localhost) and checks an event published from the
# app container reaches a subscriber on the host. Needs root (Debian 12); installs podman, runc
# and mmdebstrap when missing. No registry is needed: the debian:12 and debian:12-slim bases are
# made locally from Debian packages (mmdebstrap | podman import) and builds use --pull=never.
# Images stay cached between runs (KEEP_IMAGES=0 removes herald's and the example's afterwards).
# Engine settings come from a containers.conf this script writes (CONTAINERS_CONF), not /etc.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

fail() { echo "test-image: FAIL: $*" >&2; exit 1; }
say() { echo "test-image: $*"; }
T_START=$(date +%s%N); T_STEP=$T_START
lap() {
  local now; now=$(date +%s%N)
  printf 'test-image: == %-46s %6.1fs (total %6.1fs)\n' "$1" "$(( (now - T_STEP) / 1000000 ))e-3" \
    "$(( (now - T_START) / 1000000 ))e-3"
  T_STEP=$now
}

[ "$(id -u)" -eq 0 ] || fail "needs root: rootful podman is what this test checks (sudo make test-image)"

# ---- 1. packages (only the missing ones) ------------------------------------------------------
# catatonit: `podman kube play` builds its pause image from it (a podman Recommends, not a Depends).
packages=(podman runc catatonit mmdebstrap uidmap fuse-overlayfs slirp4netns curl python3)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  say "installing missing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
lap "packages"

# ---- 2. engine settings -------------------------------------------------------------------------
# Rootful podman puts nofile/nproc = 1048576 in every container's spec; raising a limit above the
# current hard limit needs CAP_SYS_RESOURCE, which sandboxes and some CI machines lack, and podman
# lowers its own nproc to kernel.pid_max first. So: the hard limits we have (nproc <= pid_max).
# runc, not crun: crun 1.8 refuses hybrid cgroup layouts ("cgroups in hybrid mode not supported").
WORK=$(mktemp -d /tmp/herald-test-image.XXXXXX)
NOFILE=$(ulimit -Hn); [ "$NOFILE" = unlimited ] && NOFILE=1048576
NPROC=$(cat /proc/sys/kernel/pid_max); H=$(ulimit -Hu)
if [ "$H" != unlimited ] && [ "$H" -lt "$NPROC" ]; then NPROC=$H; fi
cat > "$WORK/containers.conf" <<EOF
[containers]
default_ulimits = ["nofile=$NOFILE:$NOFILE", "nproc=$NPROC:$NPROC"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
EOF
export CONTAINERS_CONF="$WORK/containers.conf"
podman info --format '{{.Host.OCIRuntime.Name}}' 2>/dev/null | grep -qx runc \
  || fail "podman does not use runc with $CONTAINERS_CONF: $(podman info 2>&1 | tail -3)"

NAME=herald-test-$$
SECRET=herald-secrets-test-$$
HERALD_IMAGE=localhost/herald:latest
EXAMPLE_IMAGE=localhost/herald-example:latest
SUB_PIDS=()
cleanup() {
  local rc=$?
  for pid in "${SUB_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  podman rm -f -t 0 "$NAME" >/dev/null 2>&1 || true
  for f in "$WORK"/pod-*.yaml; do
    [ -f "$f" ] && podman kube down "$f" >/dev/null 2>&1 || true
  done
  podman secret rm "$SECRET" >/dev/null 2>&1 || true
  if [ "${KEEP_IMAGES:-1}" = 0 ]; then
    podman rmi -f "$HERALD_IMAGE" "$EXAMPLE_IMAGE" >/dev/null 2>&1 || true
    podman image prune -f >/dev/null 2>&1 || true
  fi
  rm -rf "$WORK"
  [ $rc -eq 0 ] || echo "test-image: failed after $(( ($(date +%s%N) - T_START) / 1000000000 ))s" >&2
}
trap cleanup EXIT

# ---- 3. base images from Debian packages (made once, kept) ---------------------------------------
SOURCES=/etc/apt/sources.list.d/debian.sources
[ -f "$SOURCES" ] || SOURCES=/etc/apt/sources.list
[ -f "$SOURCES" ] || fail "no apt sources file (/etc/apt/sources.list.d/debian.sources or /etc/apt/sources.list) to make base images from"
make_base() {  # make_base TAG [slim]: mmdebstrap minbase bookworm | podman import, tagged as docker.io's too
  local tag=$1 hooks=()
  if podman image exists "localhost/debian:$tag"; then return; fi
  say "making base image debian:$tag with mmdebstrap (from $SOURCES)"
  if [ "${2:-}" = slim ]; then  # like the official -slim: no man pages, docs, locales
    hooks=(--customize-hook='rm -rf "$1"/usr/share/man/* "$1"/usr/share/info/* "$1"/usr/share/locale/*'
           --customize-hook='find "$1"/usr/share/doc -mindepth 1 -not -name copyright -not -type d -delete'
           --customize-hook='printf "path-exclude=/usr/share/%s/*\n" man info locale doc > "$1"/etc/dpkg/dpkg.cfg.d/slim'
           --customize-hook='echo "path-include=/usr/share/doc/*/copyright" >> "$1"/etc/dpkg/dpkg.cfg.d/slim')
  fi
  bash -c 'set -o pipefail; mmdebstrap --quiet --variant=minbase --format=tar "$@" | podman import --quiet --change "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" --change "CMD [\"bash\"]" - "$0" >/dev/null' \
    "localhost/debian:$tag" "${hooks[@]}" \
    --customize-hook='echo "APT::Install-Recommends \"false\";" > "$1"/etc/apt/apt.conf.d/99norecommends' \
    bookworm - "$SOURCES" || fail "could not make the debian:$tag base image (mmdebstrap | podman import)"
  podman tag "localhost/debian:$tag" "docker.io/library/debian:$tag"
}
make_base 12
make_base 12-slim slim
lap "base images debian:12, debian:12-slim"

# ---- 4. build the images ----------------------------------------------------------------------
# --format docker keeps HEALTHCHECK (OCI images have no field for it); --pull=never: no registry.
# The herald build compiles C++: it holds the machine's build lock (/tmp/herald-build.lock, shared
# with the other builds) so two compiles never compete for the cores.
build_image() {  # build_image TAG FILE [lock]
  local lock=()
  [ "${3:-}" = lock ] && lock=(flock /tmp/herald-build.lock)
  "${lock[@]}" podman build --pull=never --format docker --build-arg JOBS=2 -q -t "$1" -f "$2" . \
    >"$WORK/build.log" 2>&1 || { tail -40 "$WORK/build.log" >&2; fail "podman build -f $2 failed (last lines above)"; }
}
build_image "$HERALD_IMAGE" Dockerfile lock
lap "podman build herald (Dockerfile)"
say "image $HERALD_IMAGE: $(podman image inspect --format '{{.Size}}' "$HERALD_IMAGE" | awk '{printf "%.0f MB", $1/1e6}'), user $(podman image inspect --format '{{.Config.User}}' "$HERALD_IMAGE")"
[ "$(podman image inspect --format '{{.Config.User}}' "$HERALD_IMAGE")" = "10001:10001" ] || fail "the image does not run as the non-root user 10001"
podman image inspect --format '{{.Config.Healthcheck}}' "$HERALD_IMAGE" | grep -q "herald probe" \
  || fail "the image has no HEALTHCHECK running herald probe (built without --format docker?)"
[ "$(podman image inspect --format '{{.Config.StopSignal}}' "$HERALD_IMAGE")" = SIGTERM ] || fail "STOPSIGNAL is not SIGTERM"

# ---- helpers -------------------------------------------------------------------------------------
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# wait_for SECONDS DESCRIPTION COMMAND...: polls every 0.2 s. DESCRIPTION is expanded only on
# failure (give it in single quotes), so the $(podman logs ...) it names shows the state by then.
wait_for() {
  local secs=$1 what=$2; shift 2
  for _ in $(seq $((secs * 5))); do "$@" >/dev/null 2>&1 && return 0; sleep 0.2; done
  eval "fail \"$what (waited ${secs}s)\""
}
subscribe() {  # subscribe URL FILE: a curl SSE subscriber on the host, in the background
  curl -sN --max-time 120 "$1" >"$2" 2>&1 &
  SUB_PIDS+=($!)
}
# publish_from_host URL KEY CHANNEL DATA -> HTTP status
publish_from_host() {
  curl -s -o "$WORK/publish.out" -w '%{http_code}' -H "Authorization: Bearer $2" \
    -d "{\"channel\":\"$3\",\"data\":$4}" "$1/v1/publish"
}
metric() {  # metric INTERNAL_URL KEY NAME -> value (0 when missing)
  curl -fsS -H "Authorization: Bearer $2" "$1/metrics" | awk -v n="$3" '$1 == n {print $2; f=1} END {if (!f) print 0}'
}

# ---- 5. the image on its own: podman run -p ------------------------------------------------------
# A clear refusal: the internal listener off loopback without an API key.
if out=$(podman run --rm --name "$NAME" -e HERALD_INTERNAL=0.0.0.0:8081 "$HERALD_IMAGE" 2>&1); then
  fail "herald started with its internal listener on 0.0.0.0 and no API key: $out"
fi
grep -q "not on loopback and no API key" <<<"$out" || fail "no clear refusal for an off-loopback internal listener without a key: $out"
say "refuses an off-loopback internal listener without an API key: ok"

PUB=$(free_port); INT=$(free_port); KEY=$(od -An -tx1 -N24 /dev/urandom | tr -d ' \n')
PUB_URL=http://127.0.0.1:$PUB INT_URL=http://127.0.0.1:$INT
podman run -d --name "$NAME" -p "127.0.0.1:$PUB:8080" -p "127.0.0.1:$INT:8081" \
  -e HERALD_INTERNAL=0.0.0.0:8081 -e HERALD_API_KEY="$KEY" -e HERALD_DRAIN_WINDOW=2s \
  -e HERALD_SHUTDOWN_TIMEOUT=8s "$HERALD_IMAGE" >/dev/null 2>"$WORK/podman.err" \
  || fail "podman run $HERALD_IMAGE failed: $(cat "$WORK/podman.err")"
wait_for 20 'herald /readyz on the published public port $PUB_URL never answered 200; log: $(podman logs "$NAME" 2>&1 | tail -5)' \
  curl -fsS "$PUB_URL/readyz"
lap "podman run: ready"
# Health checks are not scheduled without systemd; run the image's HEALTHCHECK once by hand.
podman healthcheck run "$NAME" 2>"$WORK/podman.err" || fail "podman healthcheck run (herald probe) failed: $(podman inspect --format '{{json .State.Health}}' "$NAME" 2>/dev/null)"
[ "$(podman exec "$NAME" id -u)" = 10001 ] || fail "herald does not run as uid 10001 in the container"
podman exec "$NAME" herald probe --live >/dev/null || fail "herald probe --live in the container failed"
say "healthcheck (herald probe) healthy; runs as uid 10001"
code=$(publish_from_host "$INT_URL" wrong-key news '"x"')
[ "$code" = 401 ] || fail "a publish with a wrong API key got $code, not 401: $(cat "$WORK/publish.out")"
subscribe "$PUB_URL/v1/sse?channel=news" "$WORK/sub1.txt"
wait_for 10 "the host's SSE subscriber never joined (herald_subscriptions)" \
  sh -c "[ \"\$(curl -fsS -H 'Authorization: Bearer $KEY' $INT_URL/metrics | awk '\$1==\"herald_subscriptions\"{print \$2}')\" = 1 ]"
code=$(publish_from_host "$INT_URL" "$KEY" news '{"hello":"from the host"}')
[ "$code" = 200 ] || fail "publish through the published internal port got $code: $(cat "$WORK/publish.out")"
wait_for 10 'the subscriber on the host never got the published event; it has: $(head -c 400 "$WORK/sub1.txt")' \
  grep -q '"hello":"from the host"' "$WORK/sub1.txt"
say "publish (API key) -> herald in the container -> SSE subscriber on the host: ok"
lap "podman run: healthcheck, publish, subscribe"

# SIGTERM: readyz turns 503, the subscriber gets herald.disconnect, the container exits 0 in time.
t0=$(date +%s%N)
podman kill -s TERM "$NAME" >/dev/null 2>"$WORK/podman.err"
wait_for 10 'no herald.disconnect reached the subscriber after SIGTERM; it has: $(tail -c 400 "$WORK/sub1.txt")' \
  grep -q '^event: herald.disconnect' "$WORK/sub1.txt"
rc=$(timeout 20 podman wait "$NAME") || fail "the container did not exit within 20 s of SIGTERM"
took=$(( ($(date +%s%N) - t0) / 1000000 ))
[ "$rc" = 0 ] || fail "the container exited $rc after SIGTERM, not 0; log: $(podman logs "$NAME" 2>&1 | tail -5)"
[ "$took" -lt 8000 ] || fail "the drain took ${took} ms, past the 8 s shutdown timeout"
logs=$(podman logs "$NAME" 2>&1)
grep -q "received SIGTERM, draining" <<<"$logs" || fail "herald's log has no drain line: $(tail -5 <<<"$logs")"
grep -q "stopped" <<<"$logs" || fail "herald's log has no 'stopped' line: $(tail -5 <<<"$logs")"
grep -A1 '^event: herald.disconnect' "$WORK/sub1.txt" | grep -q '"code":1012' || fail "herald.disconnect without code 1012: $(tail -c 300 "$WORK/sub1.txt")"
podman rm -f -t 0 "$NAME" >/dev/null 2>&1
say "SIGTERM: subscriber told herald.disconnect (1012), exit 0 after ${took} ms"
lap "podman run: SIGTERM drain"

# ---- 6. the pod: podman kube play of deploy/kubernetes/ -----------------------------------------
# The two manifests hold the same pod (the cluster's Deployment, podman's Pod with host ports) and
# the same ConfigMaps: comments and host ports aside, they must not drift apart. (The Secret is in
# the cluster's file only: podman 4.3 cannot read a kind: Secret back, see podman-pod.yaml.)
python3 - deploy/kubernetes/herald-sidecar.yaml deploy/kubernetes/podman-pod.yaml <<'PY' || fail "deploy/kubernetes/podman-pod.yaml and herald-sidecar.yaml differ (above)"
import re, sys, difflib
def docs(path):
    return open(path).read().split("\n---\n")
def clean(text, dedent=0):
    out = []
    for line in text.split("\n"):
        if not line.strip() or line.strip().startswith("#"):
            continue
        line = re.sub(r", hostPort: \d+, hostIP: 127\.0\.0\.1", "", line.rstrip())
        out.append(line[dedent:] if line.startswith(" " * dedent) else line)
    return out
def kind(d, k): return [x for x in d if re.search(r"^kind: " + k + r"$", x, re.M)]
cluster, single = docs(sys.argv[1]), docs(sys.argv[2])
ok = len(kind(cluster, "ConfigMap")) == 2 and len(kind(single, "ConfigMap")) == 2 and len(kind(cluster, "Secret")) == 1
if not ok: print("expected two ConfigMaps in each file and a Secret in", sys.argv[1])
for a, b in zip(kind(cluster, "ConfigMap"), kind(single, "ConfigMap")):
    if clean(a) != clean(b):
        ok = False; print("\n".join(difflib.unified_diff(clean(a), clean(b), lineterm="")))
dep = kind(cluster, "Deployment")[0]; pod = kind(single, "Pod")[0]
a = clean(dep[dep.index("\n    spec:\n") + 11:], 4); b = clean(pod[pod.index("\nspec:\n") + 7:])
if a != b:
    ok = False; print("\n".join(difflib.unified_diff(a, b, "Deployment pod template", "Pod spec", lineterm="")))
# The policies ConfigMap carries the example app's examples/herald.json.
import json
cm = kind(cluster, "ConfigMap")[1]
block = cm[cm.index("herald.json: |\n") + len("herald.json: |\n"):]
if json.loads(block) != json.load(open("examples/herald.json")):
    ok = False; print("the herald-policies ConfigMap's herald.json differs from examples/herald.json")
sys.exit(0 if ok else 1)
PY
[ -f examples/app.py ] && [ -f clients/js/herald.js ] \
  || fail "examples/app.py or clients/js/herald.js is missing: the pod's app image (examples/Containerfile) needs both"
build_image "$EXAMPLE_IMAGE" examples/Containerfile
lap "podman build example app (examples/Containerfile)"

# kube_check FILE: plays the manifest (with free host ports), waits for both containers, runs the
# probes, publishes from the app container to herald over the pod's localhost and sees the event
# at a subscriber on the host, and the app's own ticker too; then takes the pod down.
kube_check() {
  local src=$1 pod app_port pub_port f
  f="$WORK/pod-$(basename "$src")"
  app_port=$(free_port); pub_port=$(free_port)
  # The manifests' hostPorts (8000 for the app, 8080 for herald) -> free ports for this run.
  # The manifest's host ports (8000 for the app, 8080 for herald) -> free ports for this run; its
  # podman secret herald-secrets -> one of this run's own, made the way podman-pod.yaml says.
  sed -e "s/hostPort: 8000,/hostPort: $app_port,/" -e "s/hostPort: 8080,/hostPort: $pub_port,/" \
      -e "s/name: herald-secrets,/name: $SECRET,/" -e "s/^  name: herald-example\$/  name: $NAME-pod/" "$src" >"$f"
  grep -q "hostPort: $pub_port," "$f" || fail "$src has no 'hostPort: 8080' on herald's public port"
  grep -q "name: $SECRET," "$f" || fail "$src takes no secrets from herald-secrets"
  printf '{"jwt-secret":"%s","api-key":"%s"}' "$(head -c 32 /dev/urandom | base64 -w0 | base64 -w0)" \
    "$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' | base64 -w0)" | podman secret create "$SECRET" - >/dev/null \
    || fail "podman secret create $SECRET failed"
  podman kube play "$f" >"$WORK/kube-play.out" 2>"$WORK/kube-play.err" \
    || fail "podman kube play $src failed: $(cat "$WORK/kube-play.err")"
  pod=$(awk '/^Pod:/{getline; print; exit}' "$WORK/kube-play.out")
  [ -n "$pod" ] || fail "podman kube play $src created no pod: $(cat "$WORK/kube-play.out")"
  local herald_ctr app_ctr
  herald_ctr=$(podman ps --filter "pod=$pod" --format '{{.Names}}' | grep -- '-herald$' || true)
  app_ctr=$(podman ps --filter "pod=$pod" --format '{{.Names}}' | grep -- '-app$' || true)
  [ -n "$herald_ctr" ] && [ -n "$app_ctr" ] \
    || fail "$src: expected containers app and herald running in pod $pod: $(podman ps -a --pod --format '{{.Names}} {{.Status}}')"
  wait_for 20 '$src: herald in the pod never became ready; log: $(podman logs "$herald_ctr" 2>&1 | tail -5)' \
    podman exec "$herald_ctr" herald probe
  # The liveness probe (exec herald probe --live) is a podman healthcheck; run it once by hand.
  podman healthcheck run "$herald_ctr" 2>"$WORK/podman.err" || fail "$src: the liveness probe (podman healthcheck run $herald_ctr) failed"
  wait_for 20 "$src: the public port never answered on the host (hostPort $pub_port)" curl -fsS "http://127.0.0.1:$pub_port/readyz"
  wait_for 20 '$src: the example app never answered on the host (hostPort $app_port); log: $(podman logs "$app_ctr" 2>&1 | tail -5)' \
    curl -fsS -o /dev/null "http://127.0.0.1:$app_port/"
  # A subscriber on the host, through the pod's public port; an event published from inside the
  # app container to herald's internal listener on the shared localhost.
  subscribe "http://127.0.0.1:$pub_port/v1/sse?channel=news" "$WORK/sub2.txt"
  sleep 0.5
  podman exec "$app_ctr" python3 -c '
import json, os, sys, urllib.request
body = json.dumps({"channel": "news", "data": {"from": "app container"}}).encode()
req = urllib.request.Request("http://127.0.0.1:8081/v1/publish", data=body, headers={"Content-Type": "application/json"})
key = os.environ.get("HERALD_API_KEY", "")
if key:
    req.add_header("Authorization", "Bearer " + key.split(",")[0])
print(urllib.request.urlopen(req, timeout=5).read().decode())' >"$WORK/pod-publish.out" 2>&1 \
    || fail "$src: publishing from the app container to http://127.0.0.1:8081 failed: $(cat "$WORK/pod-publish.out")"
  wait_for 10 '$src: the event from the app container never reached the subscriber on the host; it has: $(head -c 400 "$WORK/sub2.txt")' \
    grep -q '"from":"app container"' "$WORK/sub2.txt"
  # The example app's own ticker (keyed channel prices) reaches the host too.
  subscribe "http://127.0.0.1:$pub_port/v1/sse?channel=prices" "$WORK/sub3.txt"
  wait_for 15 '$src: no ticker event from the example app on channel prices; app log: $(podman logs "$app_ctr" 2>&1 | tail -5)' \
    grep -q '^data: ' "$WORK/sub3.txt"
  say "$src: app container -> herald (pod localhost) -> subscriber on the host: ok; ticker: ok"
  podman kube down "$f" >/dev/null 2>&1 || fail "podman kube down $src failed"
  rm -f "$f"
}
kube_check deploy/kubernetes/podman-pod.yaml
lap "podman kube play deploy/kubernetes/podman-pod.yaml"

# Builder-stage images of earlier sources pile up (about 1 GB each); keep a day's worth as cache.
podman image prune -f --filter until=24h >/dev/null 2>&1 || true
say "ALL OK in $(( ($(date +%s%N) - T_START) / 1000000000 ))s"
