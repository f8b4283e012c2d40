#!/usr/bin/env bash
# The scale-out goal (issue 16: >= 1.8x) asks for one run side by side, and one run of bench/scale-out.sh moves by
# +-0.1x on this VM between identical runs: this repeats it RUNS times (each a 1-silo and a 2-silo cluster, two
# jobs each, as the script does) and reports every ratio, their median and mean, and in how many runs the goal
# was met, and the machine's ceiling once (the last run's: bench/scale-out.sh runs bench/scale-out-ceiling.sh at its
# end unless CEILING=0).
#   bench/scale-out-repeat.sh [RUNS=6] [SAMPLES=20000] [SAMPLER=heun:steps=4] [SHARD_SIZE=500]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
runs="${1:-6}"; shift || true
out="$(mktemp -d)"; trap 'rm -rf "$out"' EXIT
[[ "$runs" =~ ^[1-9][0-9]*$ ]] || { echo "scale-out-repeat: RUNS must be a positive whole number, got '$runs'" >&2; exit 2; }
for run in $(seq 1 "$runs"); do
  echo "run $run of $runs, $(date -u +%T) UTC, load $(cut -d' ' -f1 /proc/loadavg)"
  ceiling=0; [ "$run" -lt "$runs" ] || ceiling="${CEILING:-1}"
  CEILING="$ceiling" "$root/bench/scale-out.sh" "$@" >"$out/run$run.txt" 2>&1 || { cat "$out/run$run.txt" >&2; exit 1; }
  grep -E '^ratio 2/1|^FID identical' "$out/run$run.txt" | sed 's/^/  /'
done
python3 - "$out" "$runs" <<'PY'
import re, statistics, sys
out, runs = sys.argv[1], int(sys.argv[2])
last = open(f"{out}/run{runs}.txt").read()
ceiling = re.search(r"^machine ceiling: ([0-9.]+)x(.*)$", last, re.M)
if ceiling:
    print(f"machine ceiling (after the last run): {ceiling.group(1)}x{ceiling.group(2)}")
for label in ("first jobs", "second jobs"):
    ratios = [float(re.search(rf"^ratio 2/1, {label}: ([0-9.]+)x", open(f"{out}/run{i}.txt").read(), re.M).group(1)) for i in range(1, runs + 1)]
    median = statistics.median(ratios)
    share = f" ({100 * median / float(ceiling.group(1)):.0f}% of the ceiling)" if ceiling else ""
    print(f"{label}: {', '.join(f'{r:.2f}x' for r in ratios)}; median {median:.2f}x{share}, "
          f"mean {statistics.mean(ratios):.2f}x, >= 1.80x (as printed) in {sum(r >= 1.8 for r in ratios)} of {runs}")
PY
