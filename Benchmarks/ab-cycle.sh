#!/usr/bin/env bash
# A/B of two podlab builds on the same pod cycle, interleaved so both see the same machine load
# (this VM's medians drift by 1.2-1.5x between runs; hyperfine runs one command after the other).
#
#   Benchmarks/ab-cycle.sh OLD/podlab NEW/podlab [CYCLES]      (as root; default 25 cycles each)
#
# Each cycle: podlab apply -f pod.yaml (busybox, `true`, restartPolicy Never), podlab wait --for
# exited, podlab delete --grace-period 0, after 50 ms of idle (so neither build profits from the
# other's warm cgroup state, see BENCHMARKS.md). Prints the median of each step per build.
# Both builds need their `pause` next to them (swift build puts it there). Pods live on bridge
# plab0 (10.217.0.0/16) with their own state dir; everything is removed at the end.
set -euo pipefail
[ $# -ge 2 ] || { sed -n 2,12p "$0" >&2; exit 2; }
OLD=$1 NEW=$2 CYCLES=${3:-25}
[ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 2; }
for bin in "$OLD" "$NEW"; do
  [ -x "$bin" ] && [ -x "$(dirname "$bin")/pause" ] || { echo "$bin (with pause next to it) not found" >&2; exit 2; }
done
WORK=$(mktemp -d /var/tmp/podlab-ab.XXXXXX)
STATE=$(mktemp -d /run/podlab-ab.XXXXXX)
export PODLAB_STATE_DIR=$STATE PODLAB_DATA_DIR=$WORK/data PODLAB_BRIDGE=plab0 PODLAB_SUBNET=10.217.0.0/16 PODLAB_CGROUP_PARENT=podlab-ab
cleanup() {
  "$NEW" delete --all --grace-period 0 >/dev/null 2>&1 || true
  "$NEW" clean >/dev/null 2>&1 || true
  # A non-default state dir's clean leaves the shared pieces: the bridge and the parent cgroups.
  [ -e /sys/class/net/plab0 ] && ip link delete plab0  # iproute2: cleanup only, not timed
  find /sys/fs/cgroup/*/podlab-ab -depth -type d -exec rmdir {} + 2>/dev/null || true
  rm -rf "$WORK" "$STATE"
}
trap cleanup EXIT
cat > "$WORK/pod.yaml" <<YAML
apiVersion: v1
kind: Pod
metadata:
  name: ab-cycle
spec:
  restartPolicy: Never
  containers:
  - name: app
    image: busybox
    command: ["true"]
YAML
cycle() {  # build label
  local t0 t1 t2 t3
  t0=$EPOCHREALTIME; "$1" apply -f "$WORK/pod.yaml" >/dev/null
  t1=$EPOCHREALTIME; "$1" wait ab-cycle --for exited >/dev/null
  t2=$EPOCHREALTIME; "$1" delete ab-cycle --grace-period 0 >/dev/null
  t3=$EPOCHREALTIME
  echo "$2 $t0 $t1 $t2 $t3" >> "$WORK/times"
}
cycle "$OLD" warmup; cycle "$NEW" warmup  # first use: image cache, bridge
for _ in $(seq "$CYCLES"); do
  sleep 0.05; cycle "$OLD" old
  sleep 0.05; cycle "$NEW" new
done
median() { sort -n | awk '{v[NR]=$1} END {printf "%.1f", v[int((NR+1)/2)]}'; }
printf '%-4s %8s %8s %8s %8s   (ms, medians of %d cycles)\n' build apply wait delete cycle "$CYCLES"
for label in old new; do
  rows=$(grep "^$label " "$WORK/times")
  printf '%-4s %8s %8s %8s %8s\n' "$label" \
    "$(awk '{print ($3-$2)*1000}' <<<"$rows" | median)" "$(awk '{print ($4-$3)*1000}' <<<"$rows" | median)" \
    "$(awk '{print ($5-$4)*1000}' <<<"$rows" | median)" "$(awk '{print ($5-$2)*1000}' <<<"$rows" | median)"
done
