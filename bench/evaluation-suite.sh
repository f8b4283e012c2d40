#!/usr/bin/env bash
# The whole evaluation suite (--metrics fid,sfid,is,prc,kid) on digits samples, embedded, then the same
# job with --metrics fid alone, back to back in one run: wall time and peak RSS (/usr/bin/time -v), the
# job's seconds, the finaliser's seconds per metric (summary evaluation.seconds) and each one's share.
# The reference features are cached (ORLEANSFLOW_REFERENCE_CACHE) before either run is timed. Figures, not a test.
#   bench/evaluation-suite.sh [SAMPLES=50000] [SAMPLER=heun:steps=4]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
samples="${1:-50000}"; sampler="${2:-heun:steps=4}"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
cd "$root"
job=(fid --model models/digits-rf --sampler "$sampler" --features models/digits-fid/eval.pt
     --reference models/digits-fid/reference-batch.npz --force --quiet)
./orleansflow "${job[@]}" --samples 1000 --metrics fid,kid --out "$out/warm" >/dev/null   # builds, fills the cache
for metrics in fid,sfid,is,prc,kid fid; do
  /usr/bin/time -v -o "$out/time-$metrics.txt" ./orleansflow "${job[@]}" --samples "$samples" --metrics "$metrics" --out "$out/$metrics" >/dev/null
done

/usr/bin/python3 - "$out" <<'PY'
import json, re, sys
out = sys.argv[1]
def timing(name):
    text = open(f"{out}/time-{name}.txt").read()
    wall = text.split("Elapsed (wall clock) time (h:mm:ss or m:ss): ")[1].split("\n")[0].split(":")
    seconds = sum(float(p) * 60 ** i for i, p in enumerate(reversed(wall)))
    user = float(re.search(r"User time \(seconds\): ([\d.]+)", text).group(1))
    system = float(re.search(r"System time \(seconds\): ([\d.]+)", text).group(1))
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", text).group(1))
    return seconds, user, system, rss
full = json.load(open(f"{out}/fid,sfid,is,prc,kid/summary.json"))
fid = json.load(open(f"{out}/fid/summary.json"))
print(f"{full['samples']:,} samples of {full['spec']['model']}, {full['spec']['sampler']}, embedded, shards of {full['spec']['shardSize']}")
print(f"{'metrics':<22}{'wall s':>9}{'user s':>9}{'sys s':>8}{'peak RSS MB':>13}{'shards s':>10}")
for name, s in (("fid,sfid,is,prc,kid", full), ("fid", fid)):
    wall, user, system, rss = timing(name)
    print(f"{name:<22}{wall:>9.1f}{user:>9.1f}{system:>8.1f}{rss / 1024:>13.0f}{s['seconds']:>10.1f}")
# The job's seconds end when its last shard is merged; the finaliser (every metric) runs after them.
per = full["evaluation"]["seconds"]
final = sum(per.values())
total = full["seconds"] + final
print(f"suite: {total:.1f} s = shards (sampling, features, per-shard sums) {full['seconds']:.1f} s ({full['seconds'] / total:.1%}) + finaliser {final:.1f} s")
for metric, seconds in per.items():
    print(f"  finaliser {metric:<5}{seconds:>9.2f} s  {seconds / total:>6.1%}")
e = full["evaluation"]
print(f"FID {full['fid']:.4f} (fid-only run {fid['fid']:.4f}), sFID {e['sfid']:.4f}, IS {e['inceptionScore']:.4f} ± {e['inceptionScoreSpread']['std']:.4f}, "
      f"precision {e['precision']:.4f}, recall {e['recall']:.4f}, KID {e['kid']:.6f} ± {e['kidSpread']['std']:.6f}")
PY
