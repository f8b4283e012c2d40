#!/usr/bin/env bash
# The machine's own ceiling for bench/scale-out.sh: what two cores give when nothing is shared but the machine.
# The same model-bound digits fid job as scale-out.sh, run embedded (one process, no cluster, no PostgreSQL)
# with one worker: first alone pinned to core 0, then two independent copies at once, pinned to cores 0 and 1.
# The ratio (sum of the two copies' samples/s over the lone one's) is what two processes of this code get from the
# two cores at that moment, with nothing to coordinate; scale-out.sh's ratio divided by it is the share of that a
# cluster keeps. Not a hard bound: one repetition is as noisy as the VM (1.73x to 2.11x seen on 2026-12-06), so it
# repeats REPS times (each the lone copy, then the pair) and reports their mean last.
#   bench/scale-out-ceiling.sh [SAMPLES=20000] [SAMPLER=heun:steps=4] [SHARD_SIZE=500] [BATCH_SIZE=250] [REPS=3]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
samples="${1:-20000}"; sampler="${2:-heun:steps=4}"; shard="${3:-500}"; batch="${4:-250}"; reps="${5:-3}"
out="$(mktemp -d)"; trap 'rm -rf "$out"' EXIT
cd "$root"
"$root/orleansflow" models list >/dev/null   # builds the CLI and pushes the shipped models into ./store, outside the timing
source "$root/bench/scale-out-job.sh"
scale_out_job "$samples" "$sampler" "$shard" "$batch"
job() { # job CORE NAME: one embedded job pinned to CORE, its summary in $out/NAME
  taskset -c "$1" "$root/orleansflow" "${scale_out_job_args[@]}" --workers 1 --out "$out/$2" --force >/dev/null
}
rate() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['samplesPerSecond'])" "$out/$1/summary.json"; }
echo "$samples samples of digits-rf, $sampler, shards of $shard, batches of $batch, embedded, one worker per process"
printf '%-4s %12s %14s %14s %10s %10s  %s\n' rep "alone s/s" "pair core0" "pair core1" ceiling "per core" "load (1 min)"
: >"$out/ceilings"
for rep in $(seq 1 "$reps"); do
  load=$(cut -d' ' -f1 /proc/loadavg)
  job 0 alone
  job 0 pair0 & a=$!; job 1 pair1 & b=$!; wait "$a" "$b"
  python3 - "$rep" "$(rate alone)" "$(rate pair0)" "$(rate pair1)" "$load" "$out/ceilings" <<'PY'
import sys
rep, alone, p0, p1, load, ceilings = sys.argv[1], *map(float, sys.argv[2:5]), *sys.argv[5:7]
print(f"{rep:<4} {alone:>12,.0f} {p0:>14,.0f} {p1:>14,.0f} {(p0 + p1) / alone:>9.2f}x {(p0 + p1) / 2 / alone:>9.0%}  {load}")
open(ceilings, "a").write(f"{(p0 + p1) / alone}\n")
PY
done
# The last line is read by bench/scale-out.sh: keep its form.
awk '{ s += $1; n++ } END { printf "machine ceiling: %.2fx (mean of %d)\n", s / n, n }' "$out/ceilings"
