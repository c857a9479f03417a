#!/usr/bin/env bash
# Times one whole podlab pod cycle against crun, runc and podman, in one hyperfine run (the VM is
# noisy: compare ratios, not absolute figures).
#
#   swift build -c release --static-swift-stdlib && Benchmarks/pod-cycle.sh
#   (PODLAB=path/to/podlab to time another build, with its pause next to it; RUNS/WARMUP to change
#    the counts; NO_PODMAN=1 to skip podman)
#
# What is timed (each a separate process tree, hyperfine -N, no shell unless said):
#   podlab  sh cycle.sh: podlab apply -f pod.yaml (busybox, bridge networking, `true`, restartPolicy
#           Never) && podlab wait POD --for exited && podlab delete POD --grace-period 0
#           (every command is timed twice: back to back, and cold with 100 ms idle before each
#            run, COLD=0 to skip; see BENCHMARKS.md for why crun's figure differs)
#   crun    nsenter --mount=PINNED crun run (create+start+wait+delete), same busybox rootfs, args
#           ["/bin/true"], bundle from `crun spec`; the pinned mount namespace hides the hybrid
#           cgroup2 mount that crun refuses (BENCH-NOTES), so nsenter's own cost is timed too
#   runc    runc run, same bundle shape from `runc spec`
#   podman  sh cycle.sh: podman pod create (bridge network) && podman run --pod && podman pod rm -f
#   floors  `sh -c true` (the wrappers' shell) and `nsenter --mount=PINNED true` (crun's wrapper)
#
# Needs root, hyperfine, crun, runc, nsenter/unshare (util-linux); podman is optional (apt install
# podman): if it is missing or cannot run here the script says why and times the others.
# Network: podlab's pods only on plbench0 (10.215.0.0/16); podman only on its own internal bridge
# plbenchpm0 (172.31.215.0/24, `--internal`: no NAT, no route out). Everything it creates (temp
# dir under /var/tmp, state dir under /run, runtime state, bridges, cgroups, the pinned mount namespace) is removed.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
PODLAB_BUILD=${PODLAB:-$ROOT/.build/release/podlab}
RUNS=${RUNS:-20}
WARMUP=${WARMUP:-3}
POD=plbench-cycle
WORK=$(mktemp -d /var/tmp/podlab-cycle-bench.XXXXXX)

[ "$(id -u)" = 0 ] || { echo "run as root: pods, crun and runc need it" >&2; exit 2; }
[ -x "$PODLAB_BUILD" ] || { echo "build podlab first: swift build -c release --static-swift-stdlib" >&2; exit 2; }
[ -x "$(dirname "$PODLAB_BUILD")/pause" ] || { echo "no pause next to $PODLAB_BUILD (swift build -c release builds both)" >&2; exit 2; }
for tool in hyperfine crun runc nsenter unshare python3; do
  command -v $tool >/dev/null || { echo "missing $tool" >&2; exit 2; }
done

# podlab and pause, installed side by side (podlab finds pause next to /proc/self/exe).
BIN=$WORK/bin
mkdir -p "$BIN"
cp "$PODLAB_BUILD" "$(dirname "$PODLAB_BUILD")/pause" "$BIN/"
PODLAB=$BIN/podlab
# Like podlab's defaults: runtime state on tmpfs (/run/podlab), image cache and leases on disk.
STATE=$(mktemp -d /run/podlab-cycle-bench.XXXXXX)
export PODLAB_ROOTFS_DIR=$WORK/rootfs PODLAB_DATA_DIR=$WORK/data PODLAB_STATE_DIR=$STATE
export PODLAB_BRIDGE=plbench0 PODLAB_SUBNET=10.215.0.0/16 PODLAB_CGROUP_PARENT=podlab-bench

source "$ROOT/Benchmarks/lib/peers.sh"  # crun, runc and podman: shared with cri-cycle.sh
cleanup() {
  set +e
  "$PODLAB" delete --all --grace-period 0 >/dev/null 2>&1
  "$PODLAB" clean >/dev/null 2>&1
  peers_cleanup
  [ -e /sys/class/net/plbench0 ] && ip link delete plbench0  # iproute2: cleanup check only, not timed
  # Empty parent cgroups podlab (PODLAB_CGROUP_PARENT) leaves behind, deepest first; rmdir
  # refuses anything still in use.
  find /sys/fs/cgroup/*/podlab-bench -depth -type d -exec rmdir {} + 2>/dev/null
  # Storage drivers may leave mounts under the temp dir; never rm -rf through a mount.
  for dir in "$WORK" "$STATE"; do
    grep -o " $dir[^ ]*" /proc/self/mounts | sort -r | while read -r m; do umount -l "$m"; done
  done
  rm -rf "$WORK" "$STATE"
}
trap cleanup EXIT

# --- podlab ---------------------------------------------------------------------------------
ROOTFS=$WORK/busybox-rootfs
"$PODLAB" rootfs build busybox >/dev/null  # from Debian's busybox-static, as apply would on first use
"$PODLAB" rootfs unpack busybox --dest "$ROOTFS" >/dev/null
cat > "$WORK/pod.yaml" <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: $POD
spec:
  restartPolicy: Never
  containers:
  - name: app
    image: busybox
    command: ["true"]
EOF
cat > "$WORK/podlab-cycle.sh" <<EOF
set -e
$PODLAB apply -f $WORK/pod.yaml >/dev/null
$PODLAB wait $POD --for exited --timeout 30s >/dev/null
$PODLAB delete $POD --grace-period 0 >/dev/null
EOF
# One cycle outside hyperfine: unpacks the image into the cache and shows errors plainly.
sh -x "$WORK/podlab-cycle.sh"

# --- crun, runc and podman (Benchmarks/lib/peers.sh) -----------------------------------------
peers_prepare

# --- the run --------------------------------------------------------------------------------
CMDS=(-n "true (exec floor)" "/bin/true"
      -n "sh -c true (wrapper floor)" "sh -c true"
      -n "nsenter --mount true (crun wrapper floor)" "nsenter --mount=$MNTNS true"
      -n "podlab pod cycle" "sh $WORK/podlab-cycle.sh"
      -n "crun run" "$CRUN"
      -n "runc run" "$RUNC")
[ "$PODMAN_OK" = 1 ] && CMDS+=(-n "podman pod cycle" "$PODMAN_CYCLE")
hyperfine -N --warmup "$WARMUP" --runs "$RUNS" --export-json "$WORK/cycle.json" "${CMDS[@]}"

# Cold: 100 ms of idle before every timed run (--prepare is not timed). Back to back, a run
# finds the cgroup rwsem's RCU sync still warm from the previous run's cgroup.procs write and
# skips the grace period a lone container start waits for (10-15 ms here, see BENCHMARKS.md);
# crun's cycle is short enough to profit, podlab's is not. COLD=0 skips this run.
if [ "${COLD:-1}" != 0 ]; then
  COLD_CMDS=(-n "podlab pod cycle" "sh $WORK/podlab-cycle.sh" -n "crun run" "$CRUN" -n "runc run" "$RUNC")
  [ "$PODMAN_OK" = 1 ] && COLD_CMDS+=(-n "podman pod cycle" "$PODMAN_CYCLE")
  hyperfine -N --warmup "$WARMUP" --runs "$RUNS" --prepare "sleep 0.1" --export-json "$WORK/cycle-cold.json" "${COLD_CMDS[@]}"
fi

python3 - "$WORK/cycle.json" "$WORK/cycle-cold.json" <<'PY'
import json, os, sys
def load(path):
    return {x["command"]: x for x in json.load(open(path))["results"]} if os.path.exists(path) else None
r, cold = load(sys.argv[1]), load(sys.argv[2])
ms = lambda results, name: results[name]["median"] * 1000
p = ms(r, "podlab pod cycle")
print("\nmedians (ms), back to back:")
for name, x in r.items():
    print(f"  {name:42s} {x['median']*1000:8.1f}  (min {x['min']*1000:.1f}, max {x['max']*1000:.1f})")
c = ms(r, "crun run")
print(f"\npodlab / crun:   {p:.1f} / {c:.1f} ms = {p / c:.2f}x  (goal <= 2.5)")
# nsenter's cost in front of crun: exec nsenter + setns, i.e. its floor minus a bare exec.
c0 = c - (ms(r, "nsenter --mount true (crun wrapper floor)") - ms(r, "true (exec floor)"))
print(f"podlab / crun without nsenter's cost: {p:.1f} / {c0:.1f} ms = {p / c0:.2f}x")
sh = ms(r, "sh -c true (wrapper floor)") - ms(r, "true (exec floor)")
print(f"  (the podlab cycle includes its sh wrapper, ~{sh:.1f} ms over a bare exec)")
print(f"podlab / runc:   {p:.1f} / {ms(r, 'runc run'):.1f} ms = {p / ms(r, 'runc run'):.2f}x")
if "podman pod cycle" in r:
    q = ms(r, "podman pod cycle")
    print(f"podman / podlab: {q:.1f} / {p:.1f} ms = {q / p:.1f}x  (goal >= 25)")
if cold:
    print("\nmedians (ms), cold (100 ms idle before each run):")
    for name, x in cold.items():
        print(f"  {name:42s} {x['median']*1000:8.1f}  (min {x['min']*1000:.1f}, max {x['max']*1000:.1f})")
    pc, cc = ms(cold, "podlab pod cycle"), ms(cold, "crun run")
    print(f"\ncold podlab / crun: {pc:.1f} / {cc:.1f} ms = {pc / cc:.2f}x")
    print(f"cold podlab / runc: {pc:.1f} / {ms(cold, 'runc run'):.1f} ms = {pc / ms(cold, 'runc run'):.2f}x")
    if "podman pod cycle" in cold:
        print(f"cold podman / podlab: {ms(cold, 'podman pod cycle'):.1f} / {pc:.1f} ms = {ms(cold, 'podman pod cycle') / pc:.1f}x")
PY
