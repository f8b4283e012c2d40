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
job=(fid --model digits-rf --features digits-eval --reference digits-batch "${options[@]}")
cd "$root"
cluster=""
stop_cluster() {
  [ -n "$cluster" ] || return 0
  kill -TERM "$cluster" 2>/dev/null || true; wait "$cluster" 2>/dev/null || true; cluster=""
}
trap 'stop_cluster; rm -rf "$out"' EXIT

# The eval network (pooled features with spatial and logits) and the reference batch with images, by name.
store="$root/.local-cluster/store"
for entry in "features digits-eval models/digits-fid/eval.pt" "reference digits-batch models/digits-fid/reference-batch.npz"; do
  set -- $entry
  ./orleansflow models --store "$store" show --kind "$1" "$2" >/dev/null 2>&1 \
    || ./orleansflow models --store "$store" push --kind "$1" --name "$2" "$3" >/dev/null
done

# Runs the job on a fresh local cluster of $1 silos; the summary lands in $out/$2.
on_cluster() {
  local silos="$1" name="$2"
  OrleansFlow__Workers="$workers" "$root/run-local-cluster" "$silos" "$port" >"$out/$name.log" 2>&1 &
  cluster=$!
  for i in $(seq 0 $((silos - 1))); do
    until curl -sf "http://127.0.0.1:$((port + i))/readyz" >/dev/null 2>&1; do sleep 1; done
  done
  ./orleansflow "${job[@]}" --cluster "http://127.0.0.1:$port" --token local-token --out "$out/$name" >/dev/null 2>&1
  stop_cluster
}

./orleansflow fid --model models/digits-rf --features models/digits-fid/eval.pt \
  --reference models/digits-fid/reference-batch.npz "${options[@]}" --workers "$workers" --out "$out/embedded" >/dev/null
on_cluster 1 silo1
on_cluster 3 silo3

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
