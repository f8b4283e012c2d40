#!/usr/bin/env bash
# The same FID job embedded and on a local 3-silo cluster (one PostgreSQL, this machine), run back
# to back, and the ratio of samples/s: what coordination through PostgreSQL costs. Figures, not a test.
#   bench/cluster-vs-embedded.sh [SAMPLES=40000] [SHARD_SIZE=500] [SILOS=3]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
samples="${1:-40000}"; shard="${2:-500}"; silos="${3:-3}"
out="$(mktemp -d)"; port=8281
job=(fid --samples "$samples" --shard-size "$shard" --sampler heun:steps=8 --quiet)
cd "$root"

./orleansflow "${job[@]}" --out "$out/embedded" >/dev/null
"$root/run-local-cluster" "$silos" "$port" >"$out/cluster.log" 2>&1 &
cluster=$!
trap 'kill -TERM $cluster 2>/dev/null; wait $cluster 2>/dev/null; rm -rf "$out"' EXIT
until curl -sf "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; do sleep 1; done
for i in $(seq 1 $((silos - 1))); do until curl -sf "http://127.0.0.1:$((port + i))/readyz" >/dev/null 2>&1; do sleep 1; done; done
./orleansflow "${job[@]}" --cluster "http://127.0.0.1:$port" --token local-token --out "$out/cluster" >/dev/null 2>&1

/usr/bin/python3 - "$out" "$silos" "$(nproc)" <<'PY'
import json, sys
out, silos, cores = sys.argv[1], sys.argv[2], sys.argv[3]
e = json.load(open(f"{out}/embedded/summary.json")); c = json.load(open(f"{out}/cluster/summary.json"))
print(f"FID job: {e['samples']:,} samples of {e['spec']['model']}, {e['spec']['sampler']}, shards of {e['spec']['shardSize']}; {cores} cores")
print(f"{'run':<28}{'seconds':>9}{'samples/s':>12}{'FID':>12}")
print(f"{'embedded (1 process)':<28}{e['seconds']:>9.2f}{e['samplesPerSecond']:>12,.0f}{e['fid']:>12.6f}")
print(f"{f'cluster ({silos} silos + PostgreSQL)':<28}{c['seconds']:>9.2f}{c['samplesPerSecond']:>12,.0f}{c['fid']:>12.6f}")
print(f"cluster/embedded samples/s: {c['samplesPerSecond'] / e['samplesPerSecond']:.2f}x; FID identical: {e['fid'] == c['fid']}")
print("cluster seconds run from submission to finalisation; all silos share this machine's cores")
PY
