#!/usr/bin/env bash
# Sample-aware compilation against a plain PyTorch loop, whole process against whole process, in one run.
#
#   bench/compile-vs-pytorch.sh [repeats] [model-dir ...]
#
# For each model package (default: models/compile-check, models/digits-rf, and models/fashion-rf when
# present), alternates, `repeats` times (default 3):
#   orleansflow   an embedded reflow job (Euler 8, 4,000 samples, batches of 250, one shard at a time,
#                 libtorch's 2 threads), compiled as the silo chooses (ORLEANSFLOW_COMPILATION=fastest);
#   optimized     the same job with every module frozen + optimize_for_inference (what every silo did
#                 before this bench existed);
#   pytorch       tools/torch_bench.py: the same file loaded as is, the same sampler, a plain loop on 2
#                 threads (process start and load included, as for the others).
# and prints each one's median wall seconds and its ratio to the PyTorch loop. The reflow job also
# writes its pairs to disk; the loop writes nothing, so the ratio is conservative.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
repeats="${1:-3}"; shift || true
models=("$@")
if [ "${#models[@]}" -eq 0 ]; then
  models=(models/compile-check models/digits-rf)
  [ -f models/fashion-rf/model.json ] && models+=(models/fashion-rf)
fi
samples=4000 batch=250 sampler="euler:steps=8"
./orleansflow --help >/dev/null  # build first, outside the timings
out="$(mktemp -d)"; trap 'rm -rf "$out"' EXIT

seconds() { local start end; start=$(date +%s.%N); "$@" >/dev/null 2>&1; end=$(date +%s.%N); echo "$end - $start" | bc; }
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

echo "compile-vs-pytorch: $(nproc) cores, load average $(cut -d' ' -f1 /proc/loadavg) at start; $sampler, $samples samples, batches of $batch, $repeats alternating runs each"
printf '%-22s %12s %12s %12s %10s %10s\n' model orleansflow optimized pytorch "of/pt" "opt/pt"
for model in "${models[@]}"; do
  : >"$out/of"; : >"$out/opt"; : >"$out/pt"
  for _ in $(seq "$repeats"); do
    ORLEANSFLOW_COMPILATION=fastest seconds ./orleansflow reflow --model "$model" --sampler "$sampler" --samples $samples --batch-size $batch \
      --shard-size $samples --workers 1 --quiet --force --out "$out/job" >>"$out/of"
    ORLEANSFLOW_COMPILATION=frozen+optimized seconds ./orleansflow reflow --model "$model" --sampler "$sampler" --samples $samples --batch-size $batch \
      --shard-size $samples --workers 1 --quiet --force --out "$out/job" >>"$out/opt"
    seconds /usr/bin/python3 tools/torch_bench.py --model "$model" --sampler "$sampler" --samples $samples --batch-size $batch --threads 2 >>"$out/pt"
  done
  of=$(median <"$out/of"); opt=$(median <"$out/opt"); pt=$(median <"$out/pt")
  printf '%-22s %11.2fs %11.2fs %11.2fs %9.2fx %9.2fx\n' "$(basename "$model")" "$of" "$opt" "$pt" "$(echo "$of / $pt" | bc -l)" "$(echo "$opt / $pt" | bc -l)"
done
echo "load average $(cut -d' ' -f1 /proc/loadavg) at the end; the compiled forms the silo chose are in each job's summary.json (\"compilation\")"
