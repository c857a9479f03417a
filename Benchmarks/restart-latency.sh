#!/usr/bin/env bash
# Restart latency (issue 11, issue 16): the time from a container's death to its next start under
# restartPolicy Always (the first restart is immediate, docs/FIDELITY.md #19), the path that
# `podlab run pause-persistence`'s step `wait-for-restart` measures.
#
#   Benchmarks/restart-latency.sh PODLAB [OTHER-PODLAB] [ROUNDS]     (as root; default 15 rounds)
#
# Each round, for each build in turn (interleaved, so both see the same machine load): apply a
# busybox `sleep 3600` pod, wait Ready, 100 ms idle, `kill -KILL` the container's process from
# this shell, and read the supervisor's log: "terminated" (the supervisor reaped it) and
# "attempt 1 started" (spawn returned). Prints per build the medians of kill -> started (what a
# user waits) and terminated -> started (the supervisor's own work), in ms. Both builds need their
# `pause` next to them. Pods live on bridge plrl0 (10.218.0.0/16, override with PODLAB_BRIDGE /
# PODLAB_SUBNET) with their own state dir; everything is removed at the end.
set -euo pipefail
[ $# -ge 1 ] || { sed -n 2,15p "$0" >&2; exit 2; }
BUILDS=("$1")
ROUNDS=15
if [ $# -ge 2 ]; then
  if [[ $2 =~ ^[0-9]+$ ]]; then ROUNDS=$2; else BUILDS+=("$2"); ROUNDS=${3:-15}; fi
fi
[ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 2; }
WORK=$(mktemp -d /var/tmp/podlab-rl.XXXXXX)
STATE=$(mktemp -d /run/podlab-rl.XXXXXX)
export PODLAB_STATE_DIR=$STATE PODLAB_DATA_DIR=$WORK/data PODLAB_CGROUP_PARENT=podlab-rl
export PODLAB_BRIDGE=${PODLAB_BRIDGE:-plrl0} PODLAB_SUBNET=${PODLAB_SUBNET:-10.218.0.0/16}
# Each build copied with its pause into its own directory: `pgrep -f` on that path then finds
# exactly this run's supervisors.
for i in "${!BUILDS[@]}"; do
  bin=${BUILDS[$i]}
  [ -x "$bin" ] && [ -x "$(dirname "$bin")/pause" ] || { echo "$bin (with pause next to it) not found" >&2; exit 2; }
  mkdir -p "$WORK/b$i"
  cp "$bin" "$(dirname "$bin")/pause" "$WORK/b$i/"
done
cleanup() {
  set +e
  for i in "${!BUILDS[@]}"; do "$WORK/b$i/podlab" delete --all --grace-period 0 >/dev/null 2>&1; done
  "$WORK/b0/podlab" clean >/dev/null 2>&1
  [ -e "/sys/class/net/$PODLAB_BRIDGE" ] && ip link delete "$PODLAB_BRIDGE"
  find /sys/fs/cgroup/*/podlab-rl -depth -type d -exec rmdir {} + 2>/dev/null
  rm -rf "$WORK" "$STATE"
}
trap cleanup EXIT
trap "exit 130" INT TERM
cat >"$WORK/pod.yaml" <<YAML
apiVersion: v1
kind: Pod
metadata:
  name: rl
spec:
  containers:
  - name: app
    image: busybox
    command: ["sleep", "3600"]
YAML
"$WORK/b0/podlab" rootfs build busybox >/dev/null

# Waits for "attempt 1 started" in LOG; prints "kill->started terminated->started" in ms.
measure() {  # LOG KILL-EPOCH
  python3 - "$1" "$2" <<'PY'
import sys, time, datetime
path, killed = sys.argv[1], float(sys.argv[2])
def ts(line):
    return datetime.datetime.strptime(line.split()[0], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc).timestamp()
deadline = time.time() + 30
while time.time() < deadline:
    lines = open(path).read().splitlines()
    term = [l for l in lines if " attempt 0 terminated" in l]
    start = [l for l in lines if " attempt 1 started" in l]
    if term and start:
        print(f"{(ts(start[0]) - killed) * 1000:.1f} {(ts(start[0]) - ts(term[0])) * 1000:.1f}")
        sys.exit(0)
    time.sleep(0.005)
sys.exit("no restart within 30 s")
PY
}

echo "restart latency: ${#BUILDS[@]} build(s), $ROUNDS rounds, $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
for round in $(seq 1 "$ROUNDS"); do
  for i in "${!BUILDS[@]}"; do
    podlab="$WORK/b$i/podlab"
    "$podlab" apply -f "$WORK/pod.yaml" >/dev/null
    "$podlab" wait rl --for condition=Ready --timeout 60s >/dev/null
    sup=$(pgrep -f "^$WORK/b$i/podlab supervise" | head -1)
    pid=$(pgrep -P "$sup" -x sleep | head -1)
    log=$(ls "$STATE"/pods/*/supervisor.log | head -1)
    sleep 0.1
    killed=$EPOCHREALTIME
    kill -KILL "$pid"
    echo "$(measure "$log" "$killed")" >>"$WORK/b$i.txt"
    "$podlab" delete rl --grace-period 0 >/dev/null
  done
done
for i in "${!BUILDS[@]}"; do
  python3 - "$WORK/b$i.txt" "${BUILDS[$i]}" <<'PY'
import sys, statistics
rows = [tuple(map(float, l.split())) for l in open(sys.argv[1]) if l.strip()]
kill = sorted(r[0] for r in rows); sup = sorted(r[1] for r in rows)
print(f"{sys.argv[2]}: kill -> started median {statistics.median(kill):6.1f} ms (min {kill[0]:.1f}, max {kill[-1]:.1f}); "
      f"terminated -> started median {statistics.median(sup):6.1f} ms (min {sup[0]:.1f}, max {sup[-1]:.1f}); n={len(rows)}")
PY
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
