#!/usr/bin/env bash
# The Fashion-MNIST workload at full size (issue 17, item 7): one full-suite evaluation (FID, sFID, IS,
# precision/recall, KID against the 10,000 test images) of the shipped 1-rectified flow, embedded and then
# through a local 1-silo Orleans cluster, back to back on the same cores. Prints per run the wall time of
# the whole command, the job's own seconds and samples/s, the peak RSS of the process that sampled (the
# CLI embedded; the silo on the cluster) and every metric, then whether the FIDs are identical.
# Figures, not a test. At Heun 8 each run takes about an hour on 2 idle cores, so the two can be run in
# separate sessions: RUNS picks them, OUT keeps their results, and the comparison is printed over
# whatever OUT holds.
#   [RUNS="embedded cluster1"] [OUT=DIR] bench/fashion-full-size.sh [SAMPLES=50000] [SAMPLER=heun:steps=8] [SHARD_SIZE=1000]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
samples="${1:-50000}"; sampler="${2:-heun:steps=8}"; shard="${3:-1000}"
runs="${RUNS:-embedded cluster1}"
cores="$(nproc)"; port=8291
if [ -n "${OUT:-}" ]; then out="$(realpath -m "$OUT")"; mkdir -p "$out"; keep=1; else out="$(mktemp -d)"; keep=""; fi
job=(fid --model fashion-rf --reference fashion-eval --features fashion-eval --sampler "$sampler"
     --samples "$samples" --shard-size "$shard" --workers "$cores" --quiet)
cd "$root"
source "$root/bench/local-cluster.sh"
trap 'stop_cluster; [ -n "$keep" ] || rm -rf "$out"' EXIT
./orleansflow models list >/dev/null   # build, and push the shipped models into ./store, outside the timings

stamp() { echo "$(date -u +%H:%M:%S) UTC, load $(cut -d' ' -f1 /proc/loadavg)"; }
if [[ " $runs " == *" embedded "* ]]; then
  echo "fashion-full-size: embedded, $samples samples of $sampler ($(stamp))" >&2
  start=$(date +%s.%N)
  /usr/bin/time -f "%M" -o "$out/embedded.rss" ./orleansflow "${job[@]}" --force --out "$out/embedded" >"$out/embedded.txt"
  echo "$(date +%s.%N) - $start" | bc >"$out/embedded.wall"
fi

if [[ " $runs " == *" cluster1 "* ]]; then
  echo "fashion-full-size: 1-silo cluster ($(stamp))" >&2
  start_cluster 1 "$cores" cluster1
  start=$(date +%s.%N)
  rm -rf "$out/cluster1"   # a cluster job's --out must not exist (--force is for embedded runs)
  ./orleansflow "${job[@]}" --cluster "http://127.0.0.1:$port" --token local-token --out "$out/cluster1" >"$out/cluster1.txt"
  echo "$(date +%s.%N) - $start" | bc >"$out/cluster1.wall"
  # The silo's high-water mark (kB), read while it still runs.
  awk '/^VmHWM/ {print $2}' "/proc/$(cluster_silo_pids)/status" >"$out/cluster1.rss"
  stop_cluster
fi
echo "fashion-full-size: done ($(stamp))" >&2

/usr/bin/python3 - "$out" "$cores" <<'PY'
import json, os, sys
out, cores = sys.argv[1], sys.argv[2]
runs = [(label, key) for label, key in [("embedded (CLI process)", "embedded"), ("1-silo cluster (silo process)", "cluster1")]
        if os.path.exists(f"{out}/{key}/summary.json")]
s = {key: json.load(open(f"{out}/{key}/summary.json")) for _, key in runs}
e = next(iter(s.values()))
print(f"{e['samples']:,} samples of {e['spec']['model']}, {e['spec']['sampler']}, shards of {e['spec']['shardSize']}, {cores} workers; metrics {e['spec'].get('metrics')}")
print(f"{'run':<32}{'wall s':>9}{'job s':>9}{'samples/s':>11}{'peak RSS MB':>13}  FID / sFID / IS / precision / recall / KID")
for label, key in runs:
    r = s[key]
    wall = float(open(f"{out}/{key}.wall").read())
    rss = int(open(f"{out}/{key}.rss").read().split()[0]) / 1024
    ev = r.get("evaluation") or {}
    suite = " / ".join(f"{ev.get(k)}" for k in ("sfid", "inceptionScore", "precision", "recall", "kid"))
    print(f"{label:<32}{wall:>9.1f}{r['seconds']:>9.1f}{r['samplesPerSecond']:>11,.1f}{rss:>13,.0f}  {r['fid']!r} / {suite}")
if len(s) == 2:
    c, e = s["cluster1"], s["embedded"]
    print(f"1-silo cluster / embedded samples/s: {c['samplesPerSecond'] / e['samplesPerSecond']:.2f}x")
    print(f"FID identical: {c['fid'] == e['fid']} ({e['fid']!r} vs {c['fid']!r})")
else:
    print(f"only {', '.join(s)} in {out}: run the other one with the same OUT for the comparison")
print("wall s: the whole command (build already done; embedded includes loading the models, the cluster run its submission);")
print("job s: from the scheduler grain activating to the start of finalisation (the suite's finaliser is after it).")
PY
