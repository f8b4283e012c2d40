#!/usr/bin/env bash
# Beyond this machine, simulated (issue 16, item 7): SILOS silo processes on this machine with the sleep-MS
# test model (OrleansFlow__TestModels: every shard is one model call that sleeps MS ms without using a core)
# run one reflow job of SHARDS one-sample shards; throughput against the ideal silos × workers / shard time.
# Memory: each silo process takes ~250 MB. Figures, not a test.
#   bench/simulated-cluster.sh [SILOS=32] [SHARDS=10000] [MS=500] [WORKERS=1]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
silos="${1:-32}"; shards="${2:-10000}"; ms="${3:-500}"; workers="${4:-1}"
out="$(mktemp -d)"; port=8481
cd "$root"
source "$root/bench/local-cluster.sh"
trap 'stop_cluster; rm -rf "$out"' EXIT
export OrleansFlow__TestModels=true
# Silo i's Orleans ports are the first ones plus i: keep 32 of each clear of a local cluster on the defaults.
export ORLEANSFLOW_SILO_PORT=12111 ORLEANSFLOW_GATEWAY_PORT=31000
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
run_on_cluster "$silos" "$workers" simulated reflow --model "sleep-$ms" --sampler euler:steps=1 \
  --samples "$shards" --shard-size 1 --batch-size 1 --quiet
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
/usr/bin/python3 - "$out" "$silos" "$workers" "$ms" <<'PY'
import json, sys
out, silos, workers, ms = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
s = json.load(open(f"{out}/simulated/summary.json"))
shards = s["spec"]["samples"] // s["spec"]["shardSize"]
ideal = silos * workers / (ms / 1000)
print(f"{silos} silos x {workers} worker(s), sleep-{ms}: {shards:,} shards in {s['seconds']:.1f} s = {shards / s['seconds']:.1f} shards/s, "
      f"ideal {ideal:.1f} shards/s: {shards / s['seconds'] / ideal:.0%} of ideal")
PY
