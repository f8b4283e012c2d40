#!/usr/bin/env bash
# Dynamic batching of /v1/generate, measured side by side (figures in docs/benchmarks.md): digits-rf,
# SAMPLES (16) samples per request at heun:steps=8, on a fresh 1-silo local cluster per configuration.
#   [SAMPLES=16] bench/generate-batching.sh [REPEATS=3] [REQUESTS=40]      (CONFIGS="shared unshared openblas" by default)
# Configurations (each its own cluster):
#   shared    Debian's reference BLAS preloaded and ORLEANSFLOW_COMPILATION=frozen+optimized (in that form
#             digits-rf's rows round the same in any batch layout, so the batcher's probe lets concurrent
#             requests share runs; as loaded or frozen, which warm-up picks on a quiet machine, they do not)
#   unshared  the same BLAS and form, OrleansFlow__GenerateMaxBatchSamples=1 (every request runs alone)
#   openblas  the machine's default BLAS (OpenBLAS): the probe finds layout-dependent rows, no sharing
# Within a configuration, REPEATS alternating rounds of: the bare PyTorch loop (tools/torch_bench.py:
# the same TorchScript file as loaded, batch SAMPLES, 2 threads, the same BLAS) as ms per batch; one client
# (p50, p99); 8 concurrent clients (requests/s, p50, p99). The load average is printed with every line:
# this machine is shared, so compare the ratios within a round, not absolute figures across rounds.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
repeats="${1:-3}"; requests="${2:-40}"
port="${BENCH_PORT:-8181}"
export ORLEANSFLOW_SILO_PORT=11181 ORLEANSFLOW_GATEWAY_PORT=30081
reference_blas=/usr/lib/x86_64-linux-gnu/blas/libblas.so.3
samples="${SAMPLES:-16}"
body="{\"model\":\"digits-rf\",\"sampler\":\"heun:steps=8\",\"samples\":$samples,\"format\":\"array\"}"
out="$(mktemp -d)"
# shellcheck source=bench/local-cluster.sh
source "$root/bench/local-cluster.sh"
trap 'stop_cluster; rm -rf "$out"' EXIT

load() { cut -d' ' -f1-3 /proc/loadavg; }
field() { python3 -c "import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])" "$1" "$2"; }

bare_ms() { # PRELOAD -> ms per batch of SAMPLES
  local result
  result=$(LD_PRELOAD="$1" /usr/bin/python3 "$root/tools/torch_bench.py" --model "$root/models/digits-rf" \
    --sampler heun:steps=8 --samples $((samples * requests)) --batch-size "$samples" --threads 2)
  python3 -c "import json,sys; r=json.loads(sys.argv[1]); print(round(r['seconds'] / (r['samples'] / int(sys.argv[2])) * 1000, 2))" "$result" "$samples"
}

run_config() { # NAME PRELOAD MAX_BATCH COMPILATION
  local name="$1" preload="$2" max_batch="$3" compilation="$4"
  LD_PRELOAD="$preload" OrleansFlow__GenerateMaxBatchSamples="$max_batch" OrleansFlow__MaxConcurrentGenerates=64 \
    ORLEANSFLOW_COMPILATION="$compilation" \
    "$root/run-local-cluster" 1 "$port" >"$out/$name.log" 2>&1 &
  cluster=$!
  until curl -sf "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; do
    kill -0 "$cluster" 2>/dev/null || { tail -n 20 "$out/$name.log"; echo "generate-batching: the cluster did not start" >&2; exit 1; }
    sleep 1
  done
  for round in $(seq 1 "$repeats"); do
    local bare one eight
    bare=$(bare_ms "$preload")
    one=$("$root/bench/generate_load.py" --url "http://127.0.0.1:$port" --token local-token --clients 1 --requests "$requests" --body "$body")
    eight=$("$root/bench/generate_load.py" --url "http://127.0.0.1:$port" --token local-token --clients 8 --requests "$requests" --body "$body")
    python3 - "$name" "$round" "$bare" "$one" "$eight" "$(load)" <<'PY'
import json, sys
name, round_, bare, one, eight, load = sys.argv[1], sys.argv[2], float(sys.argv[3]), json.loads(sys.argv[4]), json.loads(sys.argv[5]), sys.argv[6]
print(f"| {name} | {round_} | {load} | {bare} | {one['p50_ms']} | {one['p50_ms'] / bare:.2f}x "
      f"| {one['requests_per_second']} | {eight['requests_per_second']} | {eight['requests_per_second'] / one['requests_per_second']:.2f}x "
      f"| {eight['p50_ms']} | {eight['p99_ms']} | {eight['p99_ms'] / one['p50_ms']:.2f}x | {eight['statuses']} |")
PY
  done
  curl -sf "http://127.0.0.1:$port/metrics" | grep -E '^orleansflow_generate_batch_(requests|samples)_(sum|count)' | sed "s/^/    [$name] /" >&2 || true
  stop_cluster
}

echo "generate-batching: $(nproc) cores, load average $(load); $repeats rounds of $requests requests of $samples samples per client"
echo "| config | round | load avg (1/5/15 min) | bare PyTorch ms/batch | 1 client p50 ms | p50 / bare | 1 client req/s | 8 clients req/s | 8 / 1 | 8 clients p50 ms | 8 clients p99 ms | p99 / 1-client p50 | statuses |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
for config in ${CONFIGS:-shared unshared openblas}; do
  case "$config" in
    shared) run_config shared "$reference_blas" 256 frozen+optimized ;;
    unshared) run_config unshared "$reference_blas" 1 frozen+optimized ;;
    openblas) run_config openblas "" 256 fastest ;;
    *) echo "generate-batching: unknown configuration $config" >&2; exit 2 ;;
  esac
done
