#!/usr/bin/env bash
# The fid finaliser at Inception's dimension: embedded fid jobs on a 2,048-d Gaussian mixture (identity
# features, so the shard records hold 2,048² float64 moments: 32 MB each) with a pytorch-fid reference
# file (mu, sigma: the mixture's exact moments, 32 MB), for each shard count given. Per job: the
# finaliser's own seconds (summary evaluation.seconds: read = reading the shard records, fid = merging
# the pooled moments + the Fréchet distance, fid_spread = FID's spread over groups of shards), the
# process's wall time minus the job's shard seconds (start-up, reference, finaliser, writing stats.npz),
# and scipy's sqrtm(sigma1·sigma2) alone on the same two statistics (stats.npz, reference.npz), timed by
# Debian's python3 right after the job. Figures, not a test; one run each.
#   bench/frechet-finaliser.sh [SHARDS...=3 10 50]     (shards of 1,000 samples)
#   ORLEANSFLOW=/path/to/orleansflow-or-dll bench/frechet-finaliser.sh ...   (another build, e.g. the previous commit)
# PAUSE_TRAINING=1 stops the Fashion-MNIST training (SIGSTOP) for the jobs and scipy's timings only, and always resumes it.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
shard_counts=("$@"); [ "${#shard_counts[@]}" -gt 0 ] || shard_counts=(3 10 50)
dimension="${DIMENSION:-2048}"
cli="${ORLEANSFLOW:-$root/orleansflow}"
run_cli() { case "$cli" in *.dll) dotnet "$cli" "$@" ;; *) "$cli" "$@" ;; esac; }
out="$(mktemp -d)"
resume() { [ -z "${PAUSE_TRAINING:-}" ] || pkill -CONT -f train_fashion || true; }
trap 'resume; rm -rf "$out"' EXIT
cd "$root"
/usr/bin/python3 tools/frechet_finaliser.py make "$out/inputs" --dimension "$dimension"
run_cli --help >/dev/null   # builds the CLI now, not inside the timed jobs
[ -z "${PAUSE_TRAINING:-}" ] || pkill -STOP -f train_fashion || true
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
for shards in "${shard_counts[@]}"; do
  start=$(date +%s.%N)
  run_cli fid --model "gmm:$out/inputs/mixture.json" --reference "$out/inputs/reference.npz" --sampler euler:steps=1 \
    --samples $((shards * 1000)) --shard-size 1000 --quiet --force --out "$out/job-$shards" >/dev/null
  end=$(date +%s.%N)
  /usr/bin/python3 tools/frechet_finaliser.py sqrtm "$out/job-$shards/stats.npz" "$out/inputs/reference.npz" >"$out/scipy-$shards.json"
  echo "$shards $start $end $(cut -d' ' -f1 /proc/loadavg)" >>"$out/runs.txt"
done
resume

/usr/bin/python3 - "$out" "$dimension" <<'PY'
import json, sys
out, dimension = sys.argv[1], int(sys.argv[2])
print(f"{dimension}-d mixture, identity features, euler:steps=1, shards of 1,000, embedded")
print(f"{'shards':>6} {'load':>5} {'read s':>7} {'fid s':>7} {'spread s':>9} {'wall-shards s':>14} {'scipy sqrtm s':>14} {'fid/sqrtm':>10} {'FID':>20}")
for line in open(f"{out}/runs.txt"):
    shards, start, end, load = line.split()
    summary = json.load(open(f"{out}/job-{shards}/summary.json"))
    scipy = json.load(open(f"{out}/scipy-{shards}.json"))
    seconds = summary["evaluation"].get("seconds") or {}
    fid = seconds.get("fid", float("nan"))
    print(f"{shards:>6} {float(load):>5.1f} {seconds.get('read', float('nan')):>7.2f} {fid:>7.2f} {seconds.get('fid_spread', float('nan')):>9.2f} "
          f"{float(end) - float(start) - summary['seconds']:>14.2f} {scipy['sqrtmSeconds']:>14.2f} {fid / scipy['sqrtmSeconds']:>9.2f}x "
          f"{summary['fid']:>20.12f}")
    print(f"{'':>6} scipy's whole formula on the same statistics: FID {scipy['fid']:.12f} in {scipy['formulaSeconds']:.2f} s")
PY
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
