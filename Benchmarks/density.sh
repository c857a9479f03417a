#!/usr/bin/env bash
# Density (issue 16 goal 1): what 110 pods cost on one machine (kubelet's default maxPods).
#
#   swift build -c release --static-swift-stdlib && sudo Benchmarks/density.sh
#   (PODLAB=path/to/podlab to measure another build, with its pause next to it; PODS=110;
#    BATCH=10 applies at once in the parallel phase; NO_PODMAN=1 skips podman;
#    PODLAB_BRIDGE/PODLAB_SUBNET/PODLAB_CGROUP_PARENT to move it off the defaults below)
#
# Prints, for podlab and (if it runs here) podman, in one run:
#   1. sequential: PODS pods (busybox `sleep 3600`, bridge network, the default limits) applied
#      one after another: p50/p99 of `apply` at pods 1-10 and at pods 100-110 (goal: 100-110
#      within 1.25x of 1-10), then every pod waited Ready;
#   2. at PODS pods: `podlab pods` and `podlab ps -a` latency (median of 10; goal <= 30 ms);
#   3. memory per pod at PODS pods, two ways: the PSS sum of podlab's own processes (supervisors,
#      pause; the sleeps are the workload and shown apart) / PODS (goal <= 1.5 MiB), and the drop
#      of MemAvailable / PODS (goal <= 3 MiB; kernel objects included), with the /proc/meminfo
#      deltas that say where it went (Slab/SUnreclaim: netns, veth, cgroups, mounts; Shmem: the
#      state dir on tmpfs; KernelStack, PageTables), and a supervisor's private memory by
#      mapping (podlab's relocated data, .data, .bss, heap, stacks, shared libraries);
#   4. `delete --all` time;
#   5. parallel: the same PODS pods applied BATCH at a time: per-apply p50/p99 and wall time;
#      `delete --all` again;
#   6. containerd (when podlab-cri is built): the same pods through containerd's CRI, with
#      containerd-shim + pause PSS per pod and MemAvailable, like the podlab figures;
#   7. podman: PODS pods (`pod create` + `run -d --pod … sleep 3600`, bridge network), the same
#      memory figures for its per-pod processes (conmon + the infra container) and MemAvailable.
# The machine is shared and noisy: compare ratios and orders of magnitude, not the last digit.
#
# Needs root, python3, busybox-static (podlab's default image), optionally podman (apt-get install
# podman catatonit netavark: the infra container is catatonit, the network file is netavark's). Everything it creates (temp dir under /var/tmp, state dir under /run, bridges,
# cgroups, podman storage) is removed on exit, also on failure or Ctrl-C.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
PODLAB_BUILD=${PODLAB:-$ROOT/.build/release/podlab}
PODS=${PODS:-110}
BATCH=${BATCH:-10}
WORK=$(mktemp -d /var/tmp/podlab-density.XXXXXX)

[ "$(id -u)" = 0 ] || { echo "run as root: pods need it" >&2; exit 2; }
[ -x "$PODLAB_BUILD" ] || { echo "build podlab first: swift build -c release --static-swift-stdlib" >&2; exit 2; }
[ -x "$(dirname "$PODLAB_BUILD")/pause" ] || { echo "no pause next to $PODLAB_BUILD" >&2; exit 2; }
command -v python3 >/dev/null || { echo "missing python3" >&2; exit 2; }
((PODS >= 20)) || { echo "PODS=$PODS: need at least 20 (first and last ten are compared)" >&2; exit 2; }

# podlab and pause copied side by side: their /proc/PID/exe then names exactly this run's
# supervisors and pause processes, whoever else runs podlab on the machine.
BIN=$WORK/bin
mkdir -p "$BIN"
cp "$PODLAB_BUILD" "$(dirname "$PODLAB_BUILD")/pause" "$BIN/"
# Written back before any pod maps them: a freshly written file's dirty page-cache pages count
# as Private_Dirty of the one process mapping them (the one-pod figure read 14 MB so).
sync "$BIN/podlab" "$BIN/pause"
PODLAB=$BIN/podlab
STATE=$(mktemp -d /run/podlab-density.XXXXXX)
export PODLAB_ROOTFS_DIR=$WORK/rootfs PODLAB_DATA_DIR=$WORK/data PODLAB_STATE_DIR=$STATE
export PODLAB_BRIDGE=${PODLAB_BRIDGE:-plden0} PODLAB_SUBNET=${PODLAB_SUBNET:-10.216.0.0/16}
export PODLAB_CGROUP_PARENT=${PODLAB_CGROUP_PARENT:-podlab-density}
PM_BRIDGE=pldenpm0
PODMAN_USED=0
CONTAINERD_USED=0
CRI_BRIDGE=pldencri0
# podman_, podman_config and what podman's machine-wide dirs looked like before (PODMAN_FRESH_*).
source "$ROOT/Benchmarks/lib/peers.sh"

cleanup() {
  set +e
  "$PODLAB" delete --all --grace-period 0 >/dev/null 2>&1
  [ "$CONTAINERD_USED" = 1 ] && "$PODLAB" runtime down >/dev/null 2>&1
  "$PODLAB" clean >/dev/null 2>&1
  if [ "$PODMAN_USED" = 1 ]; then
    podman_ pod rm -af -t 0 >/dev/null 2>&1
    podman_ rm -af -t 0 >/dev/null 2>&1
  fi
  for link in "$PODLAB_BRIDGE" "$PM_BRIDGE" "$CRI_BRIDGE"; do
    [ -e "/sys/class/net/$link" ] && ip link delete "$link"
  done
  find /sys/fs/cgroup/*/"$PODLAB_CGROUP_PARENT" /sys/fs/cgroup/*/libpod_parent -depth -type d -exec rmdir {} + 2>/dev/null
  [ -n "$PODMAN_FRESH_RUN" ] && rm -rf /run/containers
  [ -n "$PODMAN_FRESH_LIB" ] && rm -rf /var/lib/containers
  for dir in "$WORK" "$STATE"; do
    grep -o " $dir[^ ]*" /proc/self/mounts | sort -r | while read -r m; do umount -l "$m"; done
  done
  rm -rf "$WORK" "$STATE"
}
trap cleanup EXIT
trap "exit 130" INT TERM  # so Ctrl-C and kill still run cleanup (EXIT)

now_ms() { local t=${EPOCHREALTIME/./}; echo $((t / 1000)); }  # bash 5: no fork for a clock
# Runs "$@" and appends its wall time in ms to file $1 (the rest is the command); fails loudly.
timed() {
  local out=$1; shift
  local start end
  start=${EPOCHREALTIME/./}
  if ! "$@" >"$WORK/last.out" 2>"$WORK/last.err"; then
    echo "FAILED: $*" >&2; sed 's/^/  /' "$WORK/last.err" >&2
    return 1
  fi
  end=${EPOCHREALTIME/./}
  echo $(((end - start) / 1000)).$(((end - start) % 1000 / 100)) >>"$out"
}
# p50/p99 of lines FROM..TO (1-based) of a file of ms figures.
stats() {
  python3 - "$@" <<'PY'
import sys, statistics
path, lo, hi = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
v = [float(x) for x in open(path).read().split()][lo - 1:hi]
s = sorted(v)
p99 = s[min(len(s) - 1, int(round(0.99 * (len(s) - 1))))]
print(f"p50 {statistics.median(v):7.1f} ms  p99 {p99:7.1f} ms  (n={len(v)})")
PY
}
median_ms() {  # runs "$@" 10 times, prints the median wall time
  rm -f "$WORK/m.txt"
  for _ in 1 2 3 4 5 6 7 8 9 10; do timed "$WORK/m.txt" "$@"; done
  python3 -c "import statistics,sys; print(f'{statistics.median(float(x) for x in open(sys.argv[1]).read().split()):.1f} ms')" "$WORK/m.txt"
}
meminfo() { awk -v k="$1:" '$1 == k { print $2 }' /proc/meminfo; }  # kB
snapshot() { for k in MemAvailable Slab SUnreclaim Shmem KernelStack PageTables Percpu; do echo "$k $(meminfo $k)"; done >"$1"; }
# PSS in kB of a runtime's per-pod processes: `procs MONITOR-TEST SANDBOX-COMMS` prints
# "monitors N kB / sandboxes N kB / workload N kB", where monitors are the processes the test
# picks (podlab's supervisors, podman's conmons), sandboxes their children named in
# SANDBOX-COMMS (pause, catatonit) and workload every other descendant (the sleeps).
procs() {
  python3 - "$1" "$2" <<'PY'
import os, sys
test, sandbox_comms = sys.argv[1], set(sys.argv[2].split(","))
info = {}
for pid in filter(str.isdigit, os.listdir("/proc")):
    try:
        comm = open(f"/proc/{pid}/comm").read().strip()
        ppid = next(l.split()[1] for l in open(f"/proc/{pid}/status") if l.startswith("PPid:"))
        cmd = open(f"/proc/{pid}/cmdline", "rb").read().replace(b"\0", b" ").decode(errors="replace")
        try: exe = os.readlink(f"/proc/{pid}/exe")
        except OSError: exe = ""
        info[pid] = (comm, ppid, cmd, exe)
    except (OSError, StopIteration):
        pass
kind, needle = test.split("=", 1)
monitors = {p for p, (comm, _, cmd, exe) in info.items()
            if (kind == "exe" and exe == needle and " supervise " in cmd + " ") or (kind == "conmon" and comm == "conmon" and needle in cmd)
            or (kind == "shim" and comm.startswith("containerd-shim") and needle in cmd)}
sandboxes, workload = set(), set()
for p, (comm, ppid, _, _) in info.items():
    if ppid in monitors:
        (sandboxes if comm in sandbox_comms else workload).add(p)
def pss(pids):
    total = 0
    for p in pids:
        try: total += next(int(l.split()[1]) for l in open(f"/proc/{p}/smaps_rollup") if l.startswith("Pss:"))
        except (OSError, StopIteration): pass
    return total
print(len(monitors), pss(monitors), len(sandboxes), pss(sandboxes), len(workload), pss(workload))
PY
}
# Average smaps_rollup of this run's supervisors: "N rss pss private_dirty anonymous threads" (kB).
supervisor_rollup() {
  python3 - "$1" <<'PY'
import os, sys
exe = sys.argv[1]
sums, n, threads = {"Rss": 0, "Pss": 0, "Private_Dirty": 0, "Anonymous": 0}, 0, 0
for pid in filter(str.isdigit, os.listdir("/proc")):
    try:
        if os.readlink(f"/proc/{pid}/exe") != exe or b" supervise " not in open(f"/proc/{pid}/cmdline", "rb").read().replace(b"\0", b" ") + b" ":
            continue
        for line in open(f"/proc/{pid}/smaps_rollup"):
            key = line.split(":")[0]
            if key in sums: sums[key] += int(line.split()[1])
        threads += len(os.listdir(f"/proc/{pid}/task"))
        n += 1
    except OSError:
        pass
n1 = max(n, 1)
print(f"{n} supervisors, each (average): RSS {sums['Rss'] / n1:.0f} kB, PSS {sums['Pss'] / n1:.0f} kB, "
      f"private dirty {sums['Private_Dirty'] / n1:.0f} kB, anonymous {sums['Anonymous'] / n1:.0f} kB, threads {threads / n1:.1f}")
PY
}
# Where a supervisor's private memory is (average Private_Dirty per mapping kind, kB, from
# /proc/PID/smaps): podlab's own image split into relro (relocated read-only data), data and
# bss (the anonymous mapping right after the image), heap, stack, other anonymous mappings
# (thread stacks, Swift runtime allocations) and the shared libraries' copy-on-write pages.
supervisor_mappings() {
  python3 - "$1" <<'PY'
import os, re, sys, collections
exe = sys.argv[1]
sums, n = collections.Counter(), 0
for pid in filter(str.isdigit, os.listdir("/proc")):
    try:
        if os.readlink(f"/proc/{pid}/exe") != exe or b" supervise " not in open(f"/proc/{pid}/cmdline", "rb").read().replace(b"\0", b" ") + b" ":
            continue
        kind, image_end = None, None
        for line in open(f"/proc/{pid}/smaps"):
            m = re.match(r"^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \S+\s*(.*)$", line)
            if m:
                start, perms, name = int(m.group(1), 16), m.group(3), m.group(4)
                if name == exe:
                    kind = {"r--p": "relro", "rw-p": "data"}.get(perms, "image")
                    image_end = int(m.group(2), 16)
                elif not name:
                    kind = "bss" if start == image_end else "anon"
                elif name in ("[heap]", "[stack]"):
                    kind = name.strip("[]")
                else:
                    kind = "libs"
                continue
            if line.startswith("Private_Dirty:"):
                sums[kind] += int(line.split()[1])
        n += 1
    except OSError:
        pass
n1 = max(n, 1)
print("private dirty per supervisor: " + ", ".join(f"{k} {sums[k] / n1:.0f}" for k in ["relro", "data", "bss", "heap", "stack", "anon", "libs"]) + f" kB (total {sum(sums.values()) / n1:.0f})")
PY
}
mib() { python3 -c "import sys; print(f'{int(sys.argv[1]) / 1024 / int(sys.argv[2]):.2f} MiB')" "$1" "$2"; }
memory_report() {  # before-file after-file label [pods, default PODS]
  python3 - "$1" "$2" "${4:-$PODS}" "$3" <<'PY'
import sys
before = dict(l.split() for l in open(sys.argv[1]))
after = dict(l.split() for l in open(sys.argv[2]))
pods, label = int(sys.argv[3]), sys.argv[4]
drop = int(before["MemAvailable"]) - int(after["MemAvailable"])
print(f"  {label}: MemAvailable drop / {pods} = {drop / 1024 / pods:.2f} MiB per pod ({drop / 1024:.0f} MiB in all)")
for k in ["Slab", "SUnreclaim", "Shmem", "KernelStack", "PageTables", "Percpu"]:
    d = int(after[k]) - int(before[k])
    print(f"    {k:<12} {d / 1024:+8.1f} MiB  ({d / pods:+7.0f} kB per pod)")
PY
}
manifest() {  # name
  cat <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: $1
  labels: {bench: density}
spec:
  containers:
  - name: app
    image: busybox
    command: ["sleep", "3600"]
EOF
}
for i in $(seq 1 "$PODS"); do manifest "d$i" >"$WORK/d$i.yaml"; done

# ELF e_type of the binary (offset 16): DYN (PIE) is what Package.swift builds; EXEC a non-PIE
# experiment (BENCHMARKS.md, density: 0.85 MiB less per supervisor, no ASLR for podlab's image).
elf_type() { python3 -c "import sys; t = int.from_bytes(open(sys.argv[1], 'rb').read(18)[16:18], 'little'); print({2: 'EXEC', 3: 'DYN (PIE)'}.get(t, t))" "$1"; }
echo "density: $PODS pods, podlab $PODLAB_BUILD ($(elf_type "$PODLAB")), bridge $PODLAB_BRIDGE $PODLAB_SUBNET, $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
# Warm-up outside the figures: image build/unpack, bridge, cgroup parents.
"$PODLAB" rootfs build busybox >/dev/null
manifest warm >"$WORK/warm.yaml"
"$PODLAB" apply -f "$WORK/warm.yaml" >/dev/null
"$PODLAB" wait warm --for condition=Ready --timeout 60s >/dev/null
sleep 1
echo "== podlab: one pod alone: $(supervisor_rollup "$BIN/podlab")"
"$PODLAB" delete warm --grace-period 0 >/dev/null
sync; sleep 1
snapshot "$WORK/before.mem"

# --- 1. sequential --------------------------------------------------------------------------
echo "== podlab: sequential apply of $PODS pods"
for i in $(seq 1 "$PODS"); do timed "$WORK/seq.txt" "$PODLAB" apply -f "$WORK/d$i.yaml"; done
for i in $(seq 1 "$PODS"); do "$PODLAB" wait "d$i" --for condition=Ready --timeout 120s >/dev/null; done
echo "  apply pods 1-10:      $(stats "$WORK/seq.txt" 1 10)"
echo "  apply pods $((PODS - 10))-$PODS:   $(stats "$WORK/seq.txt" $((PODS - 10)) "$PODS")"
echo "  all $PODS Ready; pods listed: $("$PODLAB" pods -q | wc -l)"

# --- 2. listing latency ---------------------------------------------------------------------
echo "== podlab: listing at $PODS pods (median of 10; load $(cut -d' ' -f1 /proc/loadavg))"
echo "  podlab --version (process start, the floor): $(median_ms "$PODLAB" --version)"
echo "  podlab pods:   $(median_ms "$PODLAB" pods)"
echo "  podlab ps -a:  $(median_ms "$PODLAB" ps -a)"

# --- 3. memory ------------------------------------------------------------------------------
sleep 2
snapshot "$WORK/after.mem"
read -r SUP_N SUP_PSS PAUSE_N PAUSE_PSS SLEEP_N SLEEP_PSS < <(procs "exe=$BIN/podlab" pause)
echo "== podlab: memory at $PODS pods"
echo "  supervisors: $SUP_N processes, PSS $((SUP_PSS / 1024)) MiB; pause: $PAUSE_N, PSS $((PAUSE_PSS / 1024)) MiB"
echo "  PSS (supervisor + pause) / $PODS = $(mib $((SUP_PSS + PAUSE_PSS)) "$PODS") per pod   [goal <= 1.5 MiB]"
echo "  (the workload, $SLEEP_N busybox sleeps: $(mib "$SLEEP_PSS" "$PODS") per pod, not counted)"
echo "  $(supervisor_rollup "$BIN/podlab")"
echo "  $(supervisor_mappings "$BIN/podlab")"
memory_report "$WORK/before.mem" "$WORK/after.mem" "podlab"

# --- 4. delete --all ------------------------------------------------------------------------
rm -f "$WORK/del.txt"
timed "$WORK/del.txt" "$PODLAB" delete --all --grace-period 0
echo "== podlab: delete --all --grace-period 0 of $PODS pods (sleep ignores SIGTERM as PID 1): $(cat "$WORK/del.txt") ms"

# --- 5. parallel batches --------------------------------------------------------------------
echo "== podlab: parallel apply, $BATCH at a time"
start=$(now_ms)
for first in $(seq 1 "$BATCH" "$PODS"); do
  for i in $(seq "$first" $((first + BATCH - 1))); do
    ((i <= PODS)) || break
    ( start_i=${EPOCHREALTIME/./}
      if "$PODLAB" apply -f "$WORK/d$i.yaml" >/dev/null 2>"$WORK/par$i.err"; then
        end_i=${EPOCHREALTIME/./}; echo "$i $(((end_i - start_i) / 1000))" >"$WORK/par$i.ms"
      else echo "FAILED: apply d$i" >&2; sed 's/^/  /' "$WORK/par$i.err" >&2; fi ) &
  done
  wait
done
wall=$(($(now_ms) - start))
cat "$WORK"/par*.ms 2>/dev/null | sort -n | awk '{ print $2 }' >"$WORK/par.txt"
echo "  applied $(wc -l <"$WORK/par.txt")/$PODS in $wall ms wall"
echo "  apply pods 1-10:      $(stats "$WORK/par.txt" 1 10)"
echo "  apply pods $((PODS - 10))-$PODS:   $(stats "$WORK/par.txt" $((PODS - 10)) "$(wc -l <"$WORK/par.txt")")"
for i in $(seq 1 "$PODS"); do "$PODLAB" wait "d$i" --for condition=Ready --timeout 120s >/dev/null || echo "  d$i not Ready" >&2; done
echo "  podlab pods at $PODS (parallel-started): $(median_ms "$PODLAB" pods)"
rm -f "$WORK/del.txt"
timed "$WORK/del.txt" "$PODLAB" delete --all --grace-period 0
echo "  delete --all: $(cat "$WORK/del.txt") ms"

# --- 6. containerd --------------------------------------------------------------------------
# The same pods through containerd's CRI (`podlab runtime up containerd` on this run's state dir,
# bridge pldencri0, 10.226.0.0/16): per pod containerd-shim-runc-v2 + pause, what a kubelet node
# pays, and podlab's supervisor, which drives the pod over CRI as kubelet's pod worker would.
# CONTAINERD_PODS (default PODS) pods; NO_CONTAINERD=1 skips it.
CRI=${PODLAB_CRI:-$ROOT/Runtimes/CRI/.build/debug/podlab-cri}
CTR_PODS=${CONTAINERD_PODS:-$PODS}
if [ -n "${NO_CONTAINERD:-}" ]; then
  echo "== containerd: skipped (NO_CONTAINERD set)"
elif ! command -v containerd >/dev/null || [ ! -x "$CRI" ]; then
  echo "== containerd: not available (needs containerd and podlab-cri: swift build --package-path Runtimes/CRI, or PODLAB_CRI)"
else
  export PODLAB_CRI=$CRI PODLAB_CRI_BRIDGE=$CRI_BRIDGE PODLAB_CRI_SUBNET=10.226.0.0/16
  CONTAINERD_USED=1
  if ! "$PODLAB" runtime up containerd >"$WORK/ctr.log" 2>&1 \
     || ! "$PODLAB" apply --runtime containerd -f "$WORK/warm.yaml" >>"$WORK/ctr.log" 2>&1 \
     || ! "$PODLAB" wait warm --for condition=Ready --timeout 120s >>"$WORK/ctr.log" 2>&1; then
    echo "== containerd: cannot run a pod here:"; sed 's/^/  /' "$WORK/ctr.log"
  else
    "$PODLAB" delete warm --grace-period 0 >/dev/null
    sync; sleep 1
    snapshot "$WORK/ctr-before.mem"
    echo "== containerd: sequential apply --runtime containerd of $CTR_PODS pods"
    for i in $(seq 1 "$CTR_PODS"); do timed "$WORK/ctr.txt" "$PODLAB" apply --runtime containerd -f "$WORK/d$i.yaml"; done
    for i in $(seq 1 "$CTR_PODS"); do "$PODLAB" wait "d$i" --for condition=Ready --timeout 120s >/dev/null; done
    echo "  apply pods 1-10:      $(stats "$WORK/ctr.txt" 1 10)"
    echo "  apply pods $((CTR_PODS - 10))-$CTR_PODS:   $(stats "$WORK/ctr.txt" $((CTR_PODS - 10)) "$CTR_PODS")"
    sleep 2
    snapshot "$WORK/ctr-after.mem"
    read -r SHIM_N SHIM_PSS CPAUSE_N CPAUSE_PSS _ _ < <(procs "shim=$STATE" pause)
    read -r CSUP_N CSUP_PSS _ _ CHELP_N CHELP_PSS < <(procs "exe=$BIN/podlab" pause)
    echo "== containerd: memory at $CTR_PODS pods"
    echo "  containerd-shim-runc-v2: $SHIM_N processes, PSS $((SHIM_PSS / 1024)) MiB; pause: $CPAUSE_N, PSS $((CPAUSE_PSS / 1024)) MiB"
    echo "  PSS (shim + pause) / $CTR_PODS = $(mib $((SHIM_PSS + CPAUSE_PSS)) "$CTR_PODS") per pod (containerd's own, as on a node)"
    echo "  podlab's supervisors of these pods: $CSUP_N, $(mib "$CSUP_PSS" "$CTR_PODS") per pod (kubelet's role here; kubelet itself is one process for all pods); their children (podlab-cri): $CHELP_N, $(mib "$CHELP_PSS" "$CTR_PODS") per pod"
    memory_report "$WORK/ctr-before.mem" "$WORK/ctr-after.mem" "containerd" "$CTR_PODS"
    rm -f "$WORK/del.txt"
    timed "$WORK/del.txt" "$PODLAB" delete --all --grace-period 0
    echo "  delete --all: $(cat "$WORK/del.txt") ms"
  fi
  "$PODLAB" runtime down >/dev/null 2>&1
  CONTAINERD_USED=0
fi

# --- 7. podman ------------------------------------------------------------------------------
if [ -n "${NO_PODMAN:-}" ]; then
  echo "== podman: skipped (NO_PODMAN set)"; exit 0
elif ! command -v podman >/dev/null; then
  echo "== podman: not installed (apt-get install podman)"; exit 0
fi
# As Benchmarks/pod-cycle.sh: runc, cgroupfs, file events, own storage and an internal bridge.
podman_config
cat >"$WORK/podman/networks/plden.json" <<EOF
{"name": "plden", "id": "$(printf plden | sha256sum | cut -c1-64)", "driver": "bridge",
 "network_interface": "$PM_BRIDGE", "created": "2024-01-01T00:00:00Z",
 "subnets": [{"subnet": "172.31.216.0/24", "gateway": "172.31.216.1"}],
 "ipv6_enabled": false, "internal": true, "dns_enabled": false, "ipam_options": {"driver": "host-local"}}
EOF
PODMAN_USED=1
"$PODLAB" rootfs unpack busybox --dest "$WORK/podman-rootfs" >/dev/null
if ! podman_ pod create --name pmwarm --network plden >"$WORK/pm.log" 2>&1 \
   || ! podman_ run -d --pod pmwarm --rootfs "$WORK/podman-rootfs" sleep 3600 >>"$WORK/pm.log" 2>&1; then
  echo "== podman: cannot run a pod here:"; sed 's/^/  /' "$WORK/pm.log"; exit 0
fi
podman_ pod rm -f -t 0 pmwarm >/dev/null
sync; sleep 1
snapshot "$WORK/pm-before.mem"
echo "== podman: sequential pod create + run of $PODS pods"
for i in $(seq 1 "$PODS"); do
  timed "$WORK/pm.txt" sh -c "CONTAINERS_CONF=$WORK/podman.conf podman --root $WORK/podman/root --runroot $WORK/podman/run pod create --name pm$i --network plden && CONTAINERS_CONF=$WORK/podman.conf podman --root $WORK/podman/root --runroot $WORK/podman/run run -d --pod pm$i --rootfs $WORK/podman-rootfs sleep 3600"
done
echo "  pod create+run 1-10:  $(stats "$WORK/pm.txt" 1 10)"
echo "  pod create+run $((PODS - 10))-$PODS: $(stats "$WORK/pm.txt" $((PODS - 10)) "$PODS")"
echo "  podman pod ps:  $(median_ms podman_ pod ps)"
echo "  podman ps -a:   $(median_ms podman_ ps -a)"
sleep 2
snapshot "$WORK/pm-after.mem"
read -r CONMON_N CONMON_PSS INFRA_N INFRA_PSS PM_SLEEP_N PM_SLEEP_PSS < <(procs "conmon=$WORK/podman" catatonit,pause,podman-pause)
echo "== podman: memory at $PODS pods"
echo "  conmon: $CONMON_N processes, PSS $((CONMON_PSS / 1024)) MiB; infra: $INFRA_N, PSS $((INFRA_PSS / 1024)) MiB"
echo "  PSS (conmon + infra) / $PODS = $(mib $((CONMON_PSS + INFRA_PSS)) "$PODS") per pod"
echo "  (the workload, $PM_SLEEP_N sleeps: $(mib "$PM_SLEEP_PSS" "$PODS") per pod, not counted)"
memory_report "$WORK/pm-before.mem" "$WORK/pm-after.mem" "podman"
rm -f "$WORK/del.txt"
timed "$WORK/del.txt" podman_ pod rm -af -t 0
echo "  podman pod rm -af: $(cat "$WORK/del.txt") ms"
