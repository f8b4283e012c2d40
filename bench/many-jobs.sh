#!/usr/bin/env bash
# Many jobs (issue 16, item 7): JOBS reflow jobs of SHARDS one-sample shards submitted at once (round robin over the
# silos' APIs) to a 3-silo local cluster with the test-only sleep-MS model (a shard sleeps MS ms without using a
# core). All must succeed with one attempt per shard and no re-dispatch (orleansflow_shard_redispatches_total);
# reports p50/p99 job latency (createdAt to finishedAt) and the scheduler's costs (bench/jobs_driver.py).
#   bench/many-jobs.sh [JOBS=100] [SHARDS=10] [MS=500] [WORKERS=2]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
jobs="${1:-100}"; shards="${2:-10}"; ms="${3:-500}"; workers="${4:-2}"
out="$(mktemp -d)"; port="${BENCH_PORT:-8581}"
export ORLEANSFLOW_SILO_PORT=12611 ORLEANSFLOW_GATEWAY_PORT=31611 OrleansFlow__TestModels=true
cd "$root"
# shellcheck source=bench/local-cluster.sh
source "$root/bench/local-cluster.sh"
trap 'stop_cluster; rm -rf "$out"' EXIT
start_cluster 3 "$workers" many-jobs
echo "$(date -u +%FT%TZ) 3 silos x $workers workers, sleep-$ms, ideal $((3 * workers * 1000 / ms)) shards/s, load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
/usr/bin/python3 "$root/bench/jobs_driver.py" many --port "$port" --silos 3 --pids "$(cluster_silo_pids)" --model "sleep-$ms" \
  --jobs "$jobs" --shards "$shards" --poll 0.5
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
