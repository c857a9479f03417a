#!/usr/bin/env bash
# Times podlab's libarchive unpack against bsdtar and GNU tar on the same tarballs, in one run
# (the VM is noisy: compare ratios, not absolute figures), plus the cost of an image-cache hit,
# plus pull throughput from a local registry against `skopeo copy` (needs podlab-pull, skopeo, docker-registry).
#
#   swift build -c release --static-swift-stdlib && Benchmarks/unpack.sh
#   (PODLAB=path/to/podlab to time another build; WORK=/dev/shm/x to time on tmpfs)
#
# Needs: hyperfine, bsdtar (libarchive-tools), GNU tar, busybox-static. Everything it creates
# lives under $WORK (default: a mktemp dir under /var/tmp, on disk like a real cache) and is removed.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
PODLAB=${PODLAB:-$ROOT/.build/release/podlab}
RUNS=${RUNS:-20}
WARMUP=${WARMUP:-3}
BIG_RUNS=${BIG_RUNS:-$RUNS}      # the 50 MB case takes seconds per run
BIG_WARMUP=${BIG_WARMUP:-$WARMUP}
WORK=${WORK:-$(mktemp -d /var/tmp/podlab-unpack-bench.XXXXXX)}
mkdir -p "$WORK"
trap 'rm -rf "$WORK"' EXIT

[ -x "$PODLAB" ] || { echo "build podlab first: swift build -c release" >&2; exit 2; }
for tool in hyperfine bsdtar tar; do command -v $tool >/dev/null || { echo "missing $tool" >&2; exit 2; }; done

export PODLAB_ROOTFS_DIR=$WORK/rootfs PODLAB_DATA_DIR=$WORK/data PODLAB_STATE_DIR=$WORK/state

# 1. The busybox image, built by podlab itself.
"$PODLAB" rootfs build busybox >/dev/null
BUSYBOX=$WORK/rootfs/busybox_latest.tar.gz

# 2. A ~50 MB gzip'ed rootfs with thousands of files, from this machine's /usr/share and /usr/lib
#    (same files every run on the same machine; the size is capped by the selection below).
BIG=$WORK/big.tar.gz
if [ ! -s "$BIG" ]; then
  (cd / && find usr/share/doc usr/share/locale usr/share/perl5 usr/lib/python3* usr/share/zoneinfo \
      -xdev \( -type f -o -type l -o -type d \) -size -2M 2>/dev/null || true) | LC_ALL=C sort > "$WORK/all"
  head -n 9000 "$WORK/all" > "$WORK/list"
  tar -C / --no-recursion -czf "$BIG" -T "$WORK/list" 2>/dev/null || true
fi
echo "busybox: $(du -h "$BUSYBOX" | cut -f1), $(bsdtar -tf "$BUSYBOX" | wc -l) entries"
echo "big:     $(du -h "$BIG" | cut -f1), $(bsdtar -tf "$BIG" | wc -l) entries, $(bsdtar -xOf "$BIG" | wc -c | numfmt --to=iec) unpacked"

D=$WORK/out
bench() {  # name tarball runs warmup
  local name=$1 tarball=$2 runs=$3 warmup=$4
  hyperfine -N --warmup "$warmup" --runs "$runs" --export-json "$WORK/$name.json" \
    --prepare "sh -c 'rm -rf $D && mkdir $D'" \
    -n "podlab $name" "$PODLAB rootfs unpack $tarball --dest $D" \
    -n "bsdtar $name" "bsdtar -xpf $tarball -C $D" \
    -n "gnutar $name" "tar -xpf $tarball -C $D"
  python3 - "$WORK/$name.json" <<'PY'
import json, sys
r = {x["command"].split()[0]: x for x in json.load(open(sys.argv[1]))["results"]}
p = r["podlab"]["median"]
for peer in ("bsdtar", "gnutar"):
    print(f"  median podlab / {peer}: {p*1000:.1f} / {r[peer]['median']*1000:.1f} ms = {p / r[peer]['median']:.2f}x")
PY
}
bench busybox "$BUSYBOX" "$RUNS" "$WARMUP"
bench big "$BIG" "$BIG_RUNS" "$BIG_WARMUP"

# 3. Cache: a miss (sha256 check + unpack + rename) and a hit (one stat of the marker).
hyperfine -N --warmup "$WARMUP" --runs "$RUNS" \
  --prepare "rm -rf $WORK/data" -n "cache miss busybox" "$PODLAB rootfs unpack busybox"
"$PODLAB" rootfs unpack busybox >/dev/null
hyperfine -N --warmup "$WARMUP" --runs "$RUNS" \
  -n "cache hit busybox (whole CLI)" "$PODLAB rootfs unpack busybox" \
  -n "podlab --version (CLI floor)" "$PODLAB --version"

# 4. Pull throughput from a local registry (scripts/registry: Debian's docker-registry on
#    127.0.0.1, token auth) against `skopeo copy` of the same image into an OCI layout dir, in the
#    same run. The image is the big tarball as one layer, exported by podlab and pushed (gzip) by
#    skopeo. Every run starts with an empty blob store / destination, so both download everything.
#    podlab-pull also verifies each digest while streaming and flattens the layers into the
#    catalog's rootfs tarball (unpack + repack), which skopeo does not do: compare with that in mind.
#    SKIP_PULL=1 skips this part.
if [ -z "${SKIP_PULL:-}" ]; then
  PULL=${PULL:-$(dirname "$PODLAB")/podlab-pull}
  PULL_PODLAB=${PULL_PODLAB:-$PODLAB}   # the podlab that imports and exports the image (needs `rootfs export`)
  [ -x "$PULL" ] || { echo "build podlab-pull first: swift build -c release --product podlab-pull" >&2; exit 2; }
  REG=$WORK/registry
  trap '"$ROOT/scripts/registry" stop "$REG" >/dev/null 2>&1; rm -rf "$WORK"' EXIT
  "$ROOT/scripts/registry" start "$REG" --owner $$ >/dev/null
  REGISTRY_TOKEN=$(sed -n 's/^REGISTRY_TOKEN=//p' "$REG/env")
  "$PULL_PODLAB" rootfs import "$BIG" --name bench/big:1 >/dev/null
  "$PULL_PODLAB" rootfs export bench/big:1 -o "$WORK/big-oci.tar" >/dev/null
  skopeo copy --quiet --dest-tls-verify=false "oci-archive:$WORK/big-oci.tar" "docker://$REGISTRY_TOKEN/bench/big:1"
  echo "pull image: $(skopeo inspect --raw --tls-verify=false "docker://$REGISTRY_TOKEN/bench/big:1" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(len(d["layers"]), "layer,", sum(x["size"] for x in d["layers"]) // 1000000, "MB compressed")')"
  PR=$WORK/pullroot
  hyperfine -N --warmup 1 --runs "${PULL_RUNS:-5}" --export-json "$WORK/pull.json" \
    --prepare "rm -rf $PR $WORK/skopeo-oci $WORK/pulldata" \
    -n "podlab-pull" "env PODLAB_ROOTFS_DIR=$PR PODLAB_DATA_DIR=$WORK/pulldata $PULL -q $REGISTRY_TOKEN/bench/big:1" \
    -n "skopeo copy" "skopeo copy --quiet --src-tls-verify=false docker://$REGISTRY_TOKEN/bench/big:1 oci:$WORK/skopeo-oci:big"
  LAYER_BYTES=$(skopeo inspect --raw --tls-verify=false "docker://$REGISTRY_TOKEN/bench/big:1" | python3 -c 'import json,sys; print(sum(x["size"] for x in json.load(sys.stdin)["layers"]))')
  python3 - "$WORK/pull.json" "$LAYER_BYTES" <<'PY'
import json, sys
r = {x["command"].split()[0]: x for x in json.load(open(sys.argv[1]))["results"]}
size = int(sys.argv[2])
p, s = r["podlab-pull"]["median"], r["skopeo"]["median"]
print(f"  median podlab-pull / skopeo copy: {p*1000:.0f} / {s*1000:.0f} ms = {p / s:.2f}x"
      f"  ({size / p / 1e6:.1f} vs {size / s / 1e6:.1f} MB/s of compressed layer)")
PY
fi
