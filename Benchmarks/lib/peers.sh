# The peers podlab's pod cycle is timed against, shared by Benchmarks/pod-cycle.sh and
# Benchmarks/cri-cycle.sh (source it; bash). Each peer runs `/bin/true` in the same unpacked
# busybox rootfs podlab's pods use:
#   crun    nsenter --mount=PINNED crun run (create+start+wait+delete), bundle from `crun spec`; the
#           pinned mount namespace hides the hybrid cgroup2 mount that crun refuses (BENCH-NOTES),
#           so nsenter's own cost is timed too
#   runc    runc run, same bundle shape from `runc spec`
#   podman  sh podman-cycle.sh: podman pod create (bridge network) && podman run --pod && podman pod rm -f
#
#   peers_prepare    needs WORK (a temp dir, removed by the caller) and ROOTFS (unpacked busybox);
#                    sets CRUN, RUNC, MNTNS, PODMAN_OK (1 when podman can run a pod here; NO_PODMAN=1
#                    skips it) and PODMAN_CYCLE
#   peers_cleanup    removes the peers' state, bridge, cgroups and podman's machine-wide files if
#                    this run created them (call from the caller's EXIT trap, before rm -rf WORK)
# Network: podman only on its own internal bridge plbenchpm0 (172.31.215.0/24, no NAT, no route out).

PODMAN_OK=0
PODMAN_FRESH_RUN=$([ -e /run/containers ] || echo 1)
PODMAN_FRESH_LIB=$([ -e /var/lib/containers ] || echo 1)

podman_() { CONTAINERS_CONF=$WORK/podman.conf podman --root "$WORK/podman/root" --runroot "$WORK/podman/run" "$@"; }

# podman's configuration for every benchmark that times it (BENCH-NOTES: root rlimits podman
# cannot set here, runc, cgroupfs, file events), its storage and network config under $WORK.
podman_config() {
  mkdir -p "$WORK/podman/networks" "$WORK/podman/tmp"
  cat > "$WORK/podman.conf" <<EOF
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=4096:4096"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
tmp_dir = "$WORK/podman/tmp"
[network]
network_backend = "netavark"
network_config_dir = "$WORK/podman/networks"
EOF
}

peers_cleanup() {
  if [ "$PODMAN_OK" != 0 ] || [ -e "$WORK/podman.conf" ]; then
    podman_ pod rm -af >/dev/null 2>&1
    podman_ rm -af >/dev/null 2>&1
    podman_ network rm -f plbench >/dev/null 2>&1
  fi
  crun --root "$WORK/crun-state" delete -f plbench-crun >/dev/null 2>&1
  runc --root "$WORK/runc-state" delete -f plbench-runc >/dev/null 2>&1
  umount "$WORK/ns/mnt" 2>/dev/null; umount "$WORK/ns" 2>/dev/null
  [ -e /sys/class/net/plbenchpm0 ] && ip link delete plbenchpm0  # iproute2: cleanup only, not timed
  # Empty parent cgroups podman (cgroupfs: libpod_parent) leaves behind, deepest first.
  find /sys/fs/cgroup/*/libpod_parent -depth -type d -exec rmdir {} + 2>/dev/null
  # Podman's machine-wide files (netavark's IPAM db, the blob cache), if this run created them.
  [ -n "$PODMAN_FRESH_RUN" ] && rm -rf /run/containers
  [ -n "$PODMAN_FRESH_LIB" ] && rm -rf /var/lib/containers
  return 0
}

# OCI bundle over the shared read-only rootfs: oci_bundle RUNTIME DIR
oci_bundle() {
  mkdir -p "$2"
  (cd "$2" && $1 spec)
  python3 - "$2/config.json" "$ROOTFS" <<'PY'
import json, sys
path, rootfs = sys.argv[1], sys.argv[2]
spec = json.load(open(path))
spec["root"] = {"path": rootfs, "readonly": True}
spec["process"]["args"] = ["/bin/true"]
spec["process"]["terminal"] = False
json.dump(spec, open(path, "w"), indent=1)
PY
}

peers_prepare() {
  for tool in crun runc nsenter unshare python3; do
    command -v $tool >/dev/null || { echo "missing $tool" >&2; return 2; }
  done
  oci_bundle crun "$WORK/crun-bundle"
  oci_bundle runc "$WORK/runc-bundle"
  # crun 1.8 refuses this machine's hybrid layout (cgroup2 at /sys/fs/cgroup/unified): give it a
  # pinned mount namespace without that mount; the host's mounts are unchanged.
  MNTNS=$WORK/ns/mnt
  mkdir -p "$WORK/ns"
  mount --bind "$WORK/ns" "$WORK/ns"
  mount --make-private "$WORK/ns"
  touch "$MNTNS"
  unshare --mount="$MNTNS" --propagation private sh -c 'if mountpoint -q /sys/fs/cgroup/unified; then umount /sys/fs/cgroup/unified; fi'
  CRUN="nsenter --mount=$MNTNS crun --root $WORK/crun-state run -b $WORK/crun-bundle plbench-crun"
  RUNC="runc --root $WORK/runc-state run -b $WORK/runc-bundle plbench-runc"
  $CRUN && $RUNC || { echo "crun or runc cannot run the bundle (see above)" >&2; return 1; }

  # podman (optional). BENCH-NOTES: root rlimits podman cannot set here, cgroupfs, file events;
  # runc as its OCI runtime (its default, crun, refuses the hybrid cgroup layout and podman cannot
  # be given crun's pinned mount namespace without its storage mounts landing there too); its own
  # storage and network config under $WORK; `--rootfs` writes into the dir, so it gets its own copy.
  PODMAN_CYCLE="sh $WORK/podman-cycle.sh"
  if [ -n "${NO_PODMAN:-}" ]; then
    echo "podman: skipped (NO_PODMAN set)"
  elif ! command -v podman >/dev/null; then
    echo "podman: not installed (apt-get install podman); timing without it"
  else
    podman_config
    cp -a "$ROOTFS" "$WORK/podman-rootfs"
    # The busybox rootfs has no /etc/passwd entry podman needs for the default user: none, run as 0.
    cat > "$WORK/podman-cycle.sh" <<EOF
set -e
export CONTAINERS_CONF=$WORK/podman.conf
P="podman --root $WORK/podman/root --runroot $WORK/podman/run"
\$P pod create --name plbench-pod --network plbench >/dev/null
\$P run --pod plbench-pod --rootfs $WORK/podman-rootfs /bin/true
\$P pod rm -f plbench-pod >/dev/null
EOF
    # The network as a netavark config file: podman 4.3 has no --interface-name, and a known
    # bridge name is what lets cleanup remove it. internal: no NAT, no route out; no DNS server.
    cat > "$WORK/podman/networks/plbench.json" <<EOF
{"name": "plbench", "id": "$(printf plbench | sha256sum | cut -c1-64)", "driver": "bridge",
 "network_interface": "plbenchpm0", "created": "2024-01-01T00:00:00Z",
 "subnets": [{"subnet": "172.31.215.0/24", "gateway": "172.31.215.1"}],
 "ipv6_enabled": false, "internal": true, "dns_enabled": false, "ipam_options": {"driver": "host-local"}}
EOF
    if sh "$WORK/podman-cycle.sh" >"$WORK/podman.log" 2>&1; then
      PODMAN_OK=1
    else
      echo "podman: cannot run a pod here, timing without it:"; sed 's/^/  /' "$WORK/podman.log"
      podman_ pod rm -af >/dev/null 2>&1 || true
    fi
  fi
}
