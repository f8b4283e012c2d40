#!/usr/bin/env bash
# Big jobs (issue 16, item 7): reflow jobs of 100, 1,000 and 10,000 one-sample shards, one after another,
# through one 3-silo local cluster. The model is the test-only sleep-MS (OrleansFlow__TestModels: a shard is one
# model call that sleeps MS ms without using a core), so the figures are the scheduler's and storage's, not the
# model's: per job wall time, shards/s, scheduler busy ms per shard (orleansflow_scheduler_busy_seconds_total),
# silo CPU ms per shard, PostgreSQL WAL bytes per shard, over the whole job and over 10-90 % of it
# (bench/jobs_driver.py). As LedgerCostTests, full_page_writes is off for the run: a full-page image follows
# each checkpoint, so it grows with the run's duration, not with what a shard event writes.
#   bench/big-jobs.sh [SIZES=100,1000,10000] [MS=200] [WORKERS=2]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
sizes="${1:-100,1000,10000}"; ms="${2:-200}"; workers="${3:-2}"
out="$(mktemp -d)"; port="${BENCH_PORT:-8581}"
export ORLEANSFLOW_SILO_PORT=12611 ORLEANSFLOW_GATEWAY_PORT=31611 OrleansFlow__TestModels=true
cd "$root"
# shellcheck source=bench/local-cluster.sh
source "$root/bench/local-cluster.sh"
trap 'stop_cluster; rm -rf "$out"' EXIT
start_cluster 3 "$workers" big-jobs
psql=("$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)/psql" -h 127.0.0.1 -p $((port + 1000)) -U postgres -d postgres -Atqc)
"${psql[@]}" "ALTER SYSTEM SET full_page_writes = off"; "${psql[@]}" "SELECT pg_reload_conf()" >/dev/null
echo "$(date -u +%FT%TZ) 3 silos x $workers workers, sleep-$ms, load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
/usr/bin/python3 "$root/bench/jobs_driver.py" big --port "$port" --silos 3 --pids "$(cluster_silo_pids)" --model "sleep-$ms" --sizes "$sizes"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
