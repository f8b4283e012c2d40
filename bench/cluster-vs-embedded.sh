#!/usr/bin/env bash
# The same gmm-demo FID job embedded (one in-process Orleans silo), on a local 1-silo Orleans cluster and
# on a local 3-silo one (one PostgreSQL, this machine), back to back in one run, with the ratios of
# samples/s. The 1-silo cluster gets as many workers as the machine has cores, like embedded; the
# 3 silos one worker each (WORKERS3), so all runs use the same cores. Figures, not a test.
#   bench/cluster-vs-embedded.sh [SAMPLES=50000] [SHARD_SIZE=1000] [WORKERS3=1]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
samples="${1:-50000}"; shard="${2:-1000}"; workers3="${3:-1}"
cores="$(nproc)"; out="$(mktemp -d)"; port=8281
job=(fid --samples "$samples" --shard-size "$shard" --sampler heun:steps=8 --quiet)
cd "$root"
source "$root/bench/local-cluster.sh"
trap 'stop_cluster; rm -rf "$out"' EXIT

./orleansflow "${job[@]}" --workers "$cores" --out "$out/embedded" >/dev/null
run_on_cluster 1 "$cores" cluster1 "${job[@]}"
run_on_cluster 3 "$workers3" cluster3 "${job[@]}"

/usr/bin/python3 - "$out" "$cores" "$workers3" <<'PY'
import json, sys
out, cores, workers3 = sys.argv[1], sys.argv[2], sys.argv[3]
runs = [("embedded (in-process silo)", "embedded", cores), ("cluster, 1 silo", "cluster1", cores), ("cluster, 3 silos", "cluster3", f"3 x {workers3}")]
s = {key: json.load(open(f"{out}/{key}/summary.json")) for _, key, _ in runs}
e = s["embedded"]
print(f"FID job: {e['samples']:,} samples of {e['spec']['model']}, {e['spec']['sampler']}, shards of {e['spec']['shardSize']}; {cores} cores")
print(f"{'run':<28}{'workers':>9}{'seconds':>9}{'samples/s':>12}{'FID':>12}")
for label, key, workers in runs:
    r = s[key]
    print(f"{label:<28}{workers:>9}{r['seconds']:>9.2f}{r['samplesPerSecond']:>12,.0f}{r['fid']:>12.6f}")
print(f"1-silo cluster / embedded samples/s: {s['cluster1']['samplesPerSecond'] / e['samplesPerSecond']:.2f}x")
print(f"3 silos / 1 silo samples/s: {s['cluster3']['samplesPerSecond'] / s['cluster1']['samplesPerSecond']:.2f}x")
print(f"FID identical in all runs: {len({r['fid'] for r in s.values()}) == 1}")
print("seconds, in every run: from the job's scheduler grain activating (the submission already warmed a sampler) to the start of finalisation; all silos and PostgreSQL share this machine's cores")
PY
