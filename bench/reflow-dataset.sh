#!/usr/bin/env bash
# InstaFlow's coupling dataset at full size (issue 18, item 1): one reflow job of the Fashion-MNIST 1-rectified
# flow through a local 2-silo cluster (./run-local-cluster, each silo with a worker per core), with one silo
# killed (SIGKILL) once KILL_AT of the shards are done. Then:
#   - the figures: wall time, pairs/s, shards, attempts, scheduler busy ms per shard and PostgreSQL WAL bytes
#     (bench/jobs_driver.py reflow);
#   - nothing lost or duplicated: every shard file of the job's store is read, and their `seed` columns together
#     must be 0..SAMPLES-1 exactly once, with as many x0/x1 rows;
#   - byte for byte: an embedded run of the same spec over the first CHECK shards (by default the shards done or
#     in flight when the silo died, and a few more) must write the same shard files.
# The job's directory is copied to OUT (default out/reflow-dataset), where tools/train_fashion_reflow.py reads it.
#   [OUT=DIR] bench/reflow-dataset.sh [SAMPLES=200000] [SAMPLER=flowturbo:h=2,p=7,r=0] [SHARD_SIZE=1000] [KILL_AT=0.1] [CHECK]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
samples="${1:-200000}"; sampler="${2:-flowturbo:h=2,p=7,r=0}"; shard="${3:-1000}"; kill_at="${4:-0.1}"
shards=$(( (samples + shard - 1) / shard ))
check="${5:-$(/usr/bin/python3 -c "import math; print(min($shards, math.ceil($kill_at * $shards) + 8))")}"
seed=18; port="${BENCH_PORT:-8391}"
out="$(realpath -m "${OUT:-$root/out/reflow-dataset}")"; mkdir -p "$out"
export ORLEANSFLOW_SILO_PORT=12711 ORLEANSFLOW_GATEWAY_PORT=31711
cd "$root"
# shellcheck source=bench/local-cluster.sh
source "$root/bench/local-cluster.sh"
trap 'stop_cluster' EXIT
./orleansflow models list >/dev/null   # builds the CLI, pushes the shipped models into ./store

start_cluster 2 "$(nproc)" reflow
# The silo on the second port is the one killed (whichever silo hosts the job's scheduler).
victim=""
for pid in $(cluster_silo_pids | tr ',' ' '); do
  tr '\0' '\n' <"/proc/$pid/environ" | grep -qx "ASPNETCORE_URLS=http://127.0.0.1:$((port + 1))" && victim="$pid"
done
[ -n "$victim" ] || { echo "reflow-dataset: no silo on port $((port + 1))" >&2; exit 1; }
echo "reflow-dataset: $(date -u +%FT%TZ), 2 silos x $(nproc) workers, load $(cut -d' ' -f1-3 /proc/loadavg); SIGKILL of pid $victim at $kill_at"
/usr/bin/python3 bench/jobs_driver.py reflow --port "$port" --silos 2 --pids "$(cluster_silo_pids)" --model fashion-rf \
  --sampler "$sampler" --samples "$samples" --shard-size "$shard" --seed "$seed" --kill-at "$kill_at" --kill-pid "$victim" \
  --kill-index 1 --status "$out/status.json" --poll 1
job="$(/usr/bin/python3 -c "import json; print(json.load(open('$out/status.json'))['result']['job'])")"
stop_cluster
rm -rf "$out/job"; cp -r "$root/.local-cluster/store/jobs/$job" "$out/job"

echo "reflow-dataset: every shard of job $job read back"
/usr/bin/python3 - "$out/job" "$samples" <<'PY'
import glob, json, struct, sys
import numpy as np
directory, samples = sys.argv[1], int(sys.argv[2])

def tensors(path):
    with open(path, "rb") as f:
        size = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(size))
        data = f.read()
    kinds = {"F32": np.float32, "I64": np.int64}
    return {name: np.frombuffer(data[m["data_offsets"][0]:m["data_offsets"][1]], kinds[m["dtype"]]).reshape(m["shape"])
            for name, m in header.items() if name != "__metadata__"}

seeds, rows = [], 0
files = sorted(glob.glob(f"{directory}/shards/*.safetensors"))
for path in files:
    t = tensors(path)
    assert len(t["x0"]) == len(t["x1"]) == len(t["seed"]), path
    seeds.append(t["seed"]); rows += len(t["x0"])
seeds = np.concatenate(seeds)
unique = np.unique(seeds)
print(f"{len(files)} shard files, {rows:,} pairs, {len(unique):,} distinct sample indices, "
      f"{len(seeds) - len(unique)} duplicated, {samples - len(unique)} missing")
assert rows == samples and len(unique) == samples and unique[0] == 0 and unique[-1] == samples - 1, "pairs lost or duplicated"
PY

echo "reflow-dataset: the first $check shards again, embedded, for a byte-for-byte comparison"
./orleansflow reflow --model fashion-rf --sampler "$sampler" --samples $((check * shard)) --shard-size "$shard" \
  --batch-size 250 --seed "$seed" --quiet --force --out "$out/embedded" >/dev/null
differ=0
for i in $(seq 0 $((check - 1))); do
  name="$(printf '%05d.safetensors' "$i")"
  cmp -s "$out/embedded/shards/$name" "$out/job/shards/$name" || { echo "reflow-dataset: shard $name differs"; differ=$((differ + 1)); }
done
echo "reflow-dataset: $((check - differ))/$check shards byte-identical to the embedded run's"
[ "$differ" -eq 0 ]
