#!/usr/bin/env bash
# One run, two runtimes: the pod cycle (sandbox + one busybox container running `true` +
# teardown) on podlab's own runtime and through containerd's CRI (the containerd that
# `podlab runtime up containerd` starts), plus the start-up of `podlab --version` and of the
# CRI shim `podlab-cri --version`; and, in the same run, the crun, runc and podman rows of
# Benchmarks/pod-cycle.sh (Benchmarks/lib/peers.sh: the same bundles and commands, timed by
# hyperfine over the same number of runs; NO_PODMAN=1 skips podman).
#
#   Benchmarks/cri-cycle.sh [CYCLES]      (as root, from the checkout; default 10 cycles each;
#                                          PODLAB_BIN=path/podlab, default .build/release/podlab)
#
# podlab cycle: podlab apply -f pod.yaml, podlab wait --for exited, podlab delete --grace-period 0.
# CRI cycle, over one `podlab-cri serve` connection as kubelet keeps one: RunPodSandbox,
# CreateContainer, StartContainer, ContainerStatus until CONTAINER_EXITED, RemoveContainer,
# StopPodSandbox, RemovePodSandbox. Prints the median of each. Own state dir, bridges plcb0
# (podlab, 10.229.0.0/16) and plcri0 (containerd, 10.228.0.0/16); everything removed at the end.
set -euo pipefail
CYCLES=${1:-10}
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 2; }
# The release build when there is one (what users run; `scripts/podlab` builds it), else debug;
# PODLAB_BIN picks another.
PODLAB=${PODLAB_BIN:-$PWD/.build/release/podlab}
[ -x "$PODLAB" ] || PODLAB=$PWD/.build/debug/podlab
CRI=${PODLAB_CRI:-$PWD/Runtimes/CRI/.build/debug/podlab-cri}
[ -x "$PODLAB" ] && [ -x "$CRI" ] || { echo "build first: swift build; swift build --package-path Runtimes/CRI" >&2; exit 2; }
WORK=$(mktemp -d /var/tmp/podlab-cri-bench.XXXXXX)
STATE=$(mktemp -d /run/podlab-cri-bench.XXXXXX)
# BENCH_BRIDGE/BENCH_SUBNET and CRI_BENCH_BRIDGE/CRI_BENCH_SUBNET move the two networks (a
# shared machine: each user their own block).
BENCH_BRIDGE=${BENCH_BRIDGE:-plcb0}
export PODLAB_STATE_DIR=$STATE PODLAB_DATA_DIR=$WORK/data PODLAB_BRIDGE=$BENCH_BRIDGE PODLAB_SUBNET=${BENCH_SUBNET:-10.229.0.0/16} PODLAB_CGROUP_PARENT=podlab-crib
export PODLAB_CRI_BRIDGE=${CRI_BENCH_BRIDGE:-plcri0} PODLAB_CRI_SUBNET=${CRI_BENCH_SUBNET:-10.228.0.0/16} PODLAB_CRI=$CRI
source Benchmarks/lib/peers.sh
cleanup() {
  set +e
  "$PODLAB" delete --all --grace-period 0 >/dev/null 2>&1 || true
  "$PODLAB" runtime down >/dev/null 2>&1 || true
  "$PODLAB" clean >/dev/null 2>&1 || true
  [ -e /sys/class/net/$BENCH_BRIDGE ] && ip link delete $BENCH_BRIDGE
  find /sys/fs/cgroup/*/podlab-crib -depth -type d -exec rmdir {} + 2>/dev/null || true
  peers_cleanup
  for dir in "$WORK" "$STATE"; do
    grep -o " $dir[^ ]*" /proc/self/mounts | sort -r | while read -r m; do umount -l "$m"; done
  done
  rm -rf "$WORK" "$STATE"
}
trap cleanup EXIT

echo "== start-up (hyperfine, 20 runs)"
if command -v hyperfine >/dev/null; then
  hyperfine -N -w 3 -r 20 --style basic "$PODLAB --version" "$CRI --version" 2>&1 | grep -E "Benchmark|Time"
fi

cat > "$WORK/pod.yaml" <<YAML
apiVersion: v1
kind: Pod
metadata:
  name: cri-cycle
spec:
  restartPolicy: Never
  containers:
  - name: app
    image: busybox
    command: ["true"]
YAML
"$PODLAB" runtime up containerd
for i in $(seq "$CYCLES"); do
  t0=$EPOCHREALTIME; "$PODLAB" apply -f "$WORK/pod.yaml" >/dev/null
  "$PODLAB" wait cri-cycle --for exited >/dev/null
  "$PODLAB" delete cri-cycle --grace-period 0 >/dev/null
  t1=$EPOCHREALTIME
  echo "podlab $t0 $t1" >> "$WORK/times"
done

python3 - "$CRI" "$STATE/containerd/containerd.sock" "$CYCLES" "$WORK" >> "$WORK/times" <<'PY'
import json, subprocess, sys, time, uuid
cri, sock, cycles, work = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
p = subprocess.Popen([cri, "--address", sock, "serve"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
n = 0
def call(method, request):
    global n
    n += 1
    p.stdin.write(json.dumps({"id": n, "method": method, "request": request}) + "\n"); p.stdin.flush()
    reply = json.loads(p.stdout.readline())
    if "error" in reply: raise SystemExit(f"{method}: {reply['error']}")
    return reply["response"]
for i in range(cycles):
    uid = str(uuid.uuid4())
    sandbox = {"metadata": {"name": "cri-cycle", "uid": uid, "namespace": "bench"}, "hostname": "cri-cycle",
               "logDirectory": work + "/logs/" + uid, "linux": {"cgroupParent": "/podlab-crib/pod" + uid}}
    t0 = time.time()
    sid = call("RunPodSandbox", {"config": sandbox})["podSandboxId"]
    cid = call("CreateContainer", {"podSandboxId": sid, "sandboxConfig": sandbox, "config": {
        "metadata": {"name": "app"}, "image": {"image": "podlab.local/busybox:latest"}, "command": ["true"], "logPath": "app.log"}})["containerId"]
    call("StartContainer", {"containerId": cid})
    while call("ContainerStatus", {"containerId": cid})["status"].get("state") != "CONTAINER_EXITED":
        time.sleep(0.01)
    call("RemoveContainer", {"containerId": cid})
    call("StopPodSandbox", {"podSandboxId": sid})
    call("RemovePodSandbox", {"podSandboxId": sid})
    t1 = time.time()
    print(f"containerd-cri {t0} {t1}")
p.stdin.close(); p.wait()
PY

# crun, runc, podman: /bin/true in the same busybox rootfs, as Benchmarks/pod-cycle.sh times them.
ROOTFS=$WORK/busybox-rootfs
"$PODLAB" rootfs unpack busybox --dest "$ROOTFS" >/dev/null
peers_prepare
PEERS=(-n "crun run" "$CRUN" -n "runc run" "$RUNC")
[ "$PODMAN_OK" = 1 ] && PEERS+=(-n "podman pod cycle" "$PODMAN_CYCLE")
hyperfine -N --warmup 1 --runs "$CYCLES" --export-json "$WORK/peers.json" "${PEERS[@]}" >/dev/null
python3 - "$WORK/peers.json" >> "$WORK/times" <<'PY'
import json, sys
for result in json.load(open(sys.argv[1]))["results"]:
    name = result["command"].split(" ")[0]  # crun, runc, podman
    for seconds in result["times"]:
        print(f"{name} 0 {seconds}")
PY

echo "== pod cycle (sandbox + one container + teardown), median of $CYCLES; load: $(cut -d' ' -f1-3 /proc/loadavg)"
awk '{ d[$1] = d[$1] " " ($3 - $2) * 1000 } END { for (k in d) print k, d[k] }' "$WORK/times" | while read -r name values; do
  median=$(echo "$values" | tr ' ' '\n' | grep . | sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }')
  printf "%-16s %8.1f ms\n" "$name" "$median"
done
