#!/usr/bin/env bash
# Beyond this machine, simulated (issue 16, item 7): SILOS silo processes on this machine with the sleep-MS
# test model (OrleansFlow__TestModels: every shard is one model call that sleeps MS ms without using a core)
# run one reflow job of SHARDS one-sample shards (after a 30-shard warm-up job); throughput against the ideal
# silos × workers / shard time, over the whole job and over 10-90 % of it, and where the scheduler's time goes
# (bench/jobs_driver.py: its busy ms per shard, the silos' CPU, PostgreSQL's WAL per shard).
# Memory: each silo process takes ~250 MB. Figures, not a test.
#   [PROBE_TIMEOUT_S=1] bench/simulated-cluster.sh [SILOS=32] [SHARDS=10000] [MS=500] [WORKERS=1]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
silos="${1:-32}"; shards="${2:-10000}"; ms="${3:-500}"; workers="${4:-1}"
out="$(mktemp -d)"; port="${BENCH_PORT:-8481}"
cd "$root"
source "$root/bench/local-cluster.sh"
trap 'stop_cluster; rm -rf "$out"' EXIT
export OrleansFlow__TestModels=true
# Silo i's Orleans ports are the first ones plus i: keep 32 of each clear of a local cluster on the defaults.
export ORLEANSFLOW_SILO_PORT=12111 ORLEANSFLOW_GATEWAY_PORT=31000
# One silo at a time: 32 starting at once on 2 cores declared each other dead (run-local-cluster).
export ORLEANSFLOW_START_ONE_BY_ONE=1
# Orleans' probe timeout and period (1 s in production): PROBE_TIMEOUT_S=5 keeps 32 silos on 2 loaded cores
# from voting each other dead, at the price of slower death detection (MembershipTuning).
export OrleansFlow__MembershipProbeTimeoutSeconds="${PROBE_TIMEOUT_S:-1}"
started=$SECONDS
start_cluster "$silos" "$workers" simulated
echo "$(date -u +%FT%TZ) $silos silos ready after $((SECONDS - started)) s; silo memory $(ps -o rss= -p "$(cluster_silo_pids)" | awk '{s += $1} END {printf "%.0f MB in all, %.0f MB each", s / 1024, s / 1024 / NR}'); load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
/usr/bin/python3 "$root/bench/jobs_driver.py" big --port "$port" --silos "$silos" --pids "$(cluster_silo_pids)" --model "sleep-$ms" \
  --sizes "$shards" --poll 0.5 | tee "$out/driver.txt"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
/usr/bin/python3 - "$out/driver.txt" "$silos" "$workers" "$ms" <<'PY'
import json, sys
path, silos, workers, ms = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
row = json.loads(open(path).read().strip().splitlines()[-1])["big"][0]
ideal = silos * workers / (ms / 1000)
whole, middle = row["shards"] / row["wall_s"], row["middle"]["shards_per_s"]
print(f"{silos} silos x {workers} worker(s), sleep-{ms}: {row['shards']:,} shards in {row['wall_s']:.1f} s = {whole:.1f} shards/s "
      f"({whole / ideal:.0%} of the ideal {ideal:.1f}); 10-90 %: {middle:.1f} shards/s ({middle / ideal:.0%})")
busy = row["whole"]["busy_ms"] * row["shards"] / 1000
print(f"scheduler busy {busy:.1f} s of the job's {row['wall_s']:.1f} s ({busy / row['wall_s']:.0%}); silos' CPU {row['whole']['cpu_ms'] * row['shards'] / 1000:.1f} s in all")
PY
