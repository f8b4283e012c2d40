#!/usr/bin/env bash
# Precision/recall's pass scaled over 1 vs 3 silos: the same digits fid job (digits-rf, FID-digits eval
# network, the 1,797-image digits reference batch, --metrics fid,prc) embedded, on a fresh local 1-silo
# cluster and then a 3-silo one, back to back in one run. The figure is the finaliser's
# `evaluation.seconds.prc`: the four block passes, on the finaliser's threads when embedded
# (LocalManifoldBlockRunner), through the silos' manifold workers and radii blobs on a cluster
# (ClusterManifoldBlockRunner, also with 1 silo).
# Every silo gets WORKERS block slots (default: the machine's cores); all silos share this machine's
# cores, so 3 silos cannot compute faster than 1 here: the ratio shows the dispatch's cost, not a
# speed-up. Figures, not a test.
#   bench/prc-cluster-scaling.sh [SAMPLES=50000] [WORKERS=nproc]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
samples="${1:-50000}"; workers="${2:-$(nproc)}"
out="$(mktemp -d)"; port=8381
export ORLEANSFLOW_SILO_PORT=11411 ORLEANSFLOW_GATEWAY_PORT=30400
options=(--sampler euler:steps=2 --samples "$samples" --shard-size 1000 --metrics fid,prc --quiet)
# The eval network and the reference batch with images, by the names tools/push_digits_models.sh gives
# them (run-local-cluster pushes them into its store).
job=(fid --model digits-rf --features digits-eval --reference digits-eval "${options[@]}")
cd "$root"
source "$root/bench/local-cluster.sh"
trap 'stop_cluster; rm -rf "$out"' EXIT

./orleansflow fid --model models/digits-rf --features models/digits-fid/eval.pt \
  --reference models/digits-fid/reference-batch.npz "${options[@]}" --workers "$workers" --out "$out/embedded" >/dev/null
run_on_cluster 1 "$workers" silo1 "${job[@]}"
run_on_cluster 3 "$workers" silo3 "${job[@]}"

/usr/bin/python3 - "$out" "$workers" "$(nproc)" <<'PY'
import json, sys
out, workers, cores = sys.argv[1], sys.argv[2], sys.argv[3]
runs = (("embedded (threads)", "embedded"), ("cluster, 1 silo", "silo1"), ("cluster, 3 silos", "silo3"))
s = {key: json.load(open(f"{out}/{key}/summary.json")) for _, key in runs}
one = s["silo1"]
print(f"precision/recall pass: {one['samples']:,} generated digits features x {one['evaluation']['precisionRecallCounts']['reference']:,} reference, "
      f"blocks of 1,000 rows; {workers} block slots (threads) per silo; {cores} cores shared by all silos")
print(f"{'run':<20}{'prc seconds':>13}{'shards seconds':>16}{'precision':>22}{'recall':>16}")
for label, key in runs:
    e = s[key]["evaluation"]; c = e["precisionRecallCounts"]
    print(f"{label:<20}{e['seconds']['prc']:>13.2f}{s[key]['seconds']:>16.2f}"
          f"{c['generatedInside']:>11,} / {c['generated']:<8,}{c['referenceInside']:>7,} / {c['reference']:<6,}")
prc = {key: s[key]["evaluation"]["seconds"]["prc"] for _, key in runs}
print(f"3 silos / 1 silo, prc pass speed: {prc['silo1'] / prc['silo3']:.2f}x   (1 silo / embedded: {prc['embedded'] / prc['silo1']:.2f}x)")
print(f"counts identical: {len({json.dumps(s[key]['evaluation']['precisionRecallCounts'], sort_keys=True) for _, key in runs}) == 1}")
print("shards seconds: sampling, features and shard records (cluster: submission to finalisation); prc seconds: the finaliser's four passes")
PY
