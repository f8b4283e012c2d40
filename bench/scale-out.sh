#!/usr/bin/env bash
# Scale-out on pinned cores (issue 16, item 7): the same model-bound digits fid job (digits-rf, heun:steps=4,
# shards of 500, the digits-eval features and reference batch by registry name) on a local cluster of 1 silo
# pinned to core 0, then of 2 silos pinned to cores 0 and 1, one worker each, back to back in one run;
# samples/s of each, their ratio, FID of both (must be identical) and the load average around each run.
# On a machine shared with other work the ratio measures the sharing too: report the load with it.
#   bench/scale-out.sh [SAMPLES=20000] [SAMPLER=heun:steps=4] [SHARD_SIZE=500]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
samples="${1:-20000}"; sampler="${2:-heun:steps=4}"; shard="${3:-500}"
out="$(mktemp -d)"; port=8381
job=(fid --model digits-rf --features digits-eval --reference digits-eval --metrics fid --sampler "$sampler"
     --samples "$samples" --shard-size "$shard" --quiet)
cd "$root"
source "$root/bench/local-cluster.sh"
trap 'stop_cluster; rm -rf "$out"' EXIT

for run in "1 0 one" "2 0,1 two"; do
  read -r silos cpus name <<<"$run"
  cluster_cpus="$cpus"
  echo "$name before $(cut -d' ' -f1-3 /proc/loadavg)" >>"$out/load.txt"
  run_on_cluster "$silos" 1 "$name" "${job[@]}"
  echo "$name after $(cut -d' ' -f1-3 /proc/loadavg)" >>"$out/load.txt"
done

/usr/bin/python3 - "$out" <<'PY'
import json, sys
out = sys.argv[1]
one, two = (json.load(open(f"{out}/{n}/summary.json")) for n in ("one", "two"))
print(f"{one['samples']:,} samples of {one['spec']['model']}, {one['spec']['sampler']}, shards of {one['spec']['shardSize']}, one worker per silo")
print(f"{'run':<26}{'seconds':>9}{'samples/s':>11}{'FID':>22}")
for label, r in (("1 silo on core 0", one), ("2 silos on cores 0 and 1", two)):
    print(f"{label:<26}{r['seconds']:>9.2f}{r['samplesPerSecond']:>11,.0f}{r['fid']:>22.15f}")
print(f"ratio 2/1: {two['samplesPerSecond'] / one['samplesPerSecond']:.2f}x; FID identical: {one['fid'] == two['fid']}")
print(open(f"{out}/load.txt").read().strip())
PY
