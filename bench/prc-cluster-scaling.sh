#!/usr/bin/env bash
# Precision/recall's pass scaled over 1 vs 3 silos: the same digits fid job (digits-rf, FID-digits eval
# network, the 1,797-image digits reference batch, --metrics fid,prc) on a fresh local 1-silo cluster and
# then a 3-silo one, back to back in one run. The figure is the finaliser's `evaluation.seconds.prc`:
# the four block passes, which the 3-silo finaliser spreads over its silos (ClusterManifoldBlockRunner).
# Every silo gets WORKERS block slots (default: the machine's cores); all silos share this machine's
# cores, so 3 silos cannot compute faster than 1 here: the ratio shows the dispatch's cost, not a
# speed-up. Figures, not a test.
#   bench/prc-cluster-scaling.sh [SAMPLES=50000] [WORKERS=nproc]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
samples="${1:-50000}"; workers="${2:-$(nproc)}"
out="$(mktemp -d)"; port=8381
export ORLEANSFLOW_SILO_PORT=11411 ORLEANSFLOW_GATEWAY_PORT=30400
job=(fid --model digits-rf --features digits-eval --reference digits-batch --sampler euler:steps=2
     --samples "$samples" --shard-size 1000 --metrics fid,prc --quiet)
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

on_cluster 1 silo1
on_cluster 3 silo3

/usr/bin/python3 - "$out" "$workers" "$(nproc)" <<'PY'
import json, sys
out, workers, cores = sys.argv[1], sys.argv[2], sys.argv[3]
s = {key: json.load(open(f"{out}/{key}/summary.json")) for key in ("silo1", "silo3")}
one = s["silo1"]
print(f"precision/recall pass: {one['samples']:,} generated digits features x {one['evaluation']['precisionRecallCounts']['reference']:,} reference, "
      f"blocks of 1,000 rows; {workers} block slots per silo; {cores} cores shared by all silos")
print(f"{'run':<14}{'prc seconds':>13}{'job seconds':>13}{'precision':>22}{'recall':>16}")
for label, key in (("1 silo", "silo1"), ("3 silos", "silo3")):
    e = s[key]["evaluation"]; c = e["precisionRecallCounts"]
    print(f"{label:<14}{e['seconds']['prc']:>13.2f}{s[key]['seconds']:>13.2f}"
          f"{c['generatedInside']:>11,} / {c['generated']:<8,}{c['referenceInside']:>7,} / {c['reference']:<6,}")
print(f"3 silos / 1 silo, prc pass speed: {s['silo1']['evaluation']['seconds']['prc'] / s['silo3']['evaluation']['seconds']['prc']:.2f}x")
print(f"counts identical: {s['silo1']['evaluation']['precisionRecallCounts'] == s['silo3']['evaluation']['precisionRecallCounts']}")
PY
