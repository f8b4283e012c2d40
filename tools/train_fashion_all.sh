#!/usr/bin/env bash
# Trains (or resumes) the whole Fashion-MNIST pipeline in order, niced, then exports the models:
#   1. tools/train_fashion_classifier.py   FID network              (budget  8 min, wall cap  60 min)
#   2. tools/train_fashion.py              1-rectified flow, EMA    (budget 85 min, wall cap 600 min)
#   3. tools/train_fashion_refiner.py      FlowTurbo refiner        (budget 20 min, wall cap 180 min)
#   4. tools/export_fashion_models.py      models/fashion-rf, models/fashion-fid
#
#   nohup tools/train_fashion_all.sh > /work/ckpt/fashion/train.log 2>&1 &
#
# Safe to rerun after an interruption: each stage resumes from its checkpoint in $FASHION_CKPT
# (default /work/ckpt/fashion) and does nothing when its final file exists there. Budgets are CPU
# minutes per thread (what the stage takes on two idle cores, fashion_common.Budget); the wall caps
# bound a stage on a machine shared with other work, where nice -n 19 leaves it what others don't use.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export FASHION_CKPT="${FASHION_CKPT:-/work/ckpt/fashion}"
mkdir -p "$FASHION_CKPT"
py=(nice -n 19 /usr/bin/python3)

stage() { # NAME SCRIPT ARGS...
  local name="$1"; shift
  echo "== $name: $(date -u +%FT%TZ)"
  local start=$SECONDS
  "${py[@]}" "$root/tools/$@"
  echo "== $name: done in $(( (SECONDS - start) / 60 )) min ($(date -u +%FT%TZ))"
}

stage classifier train_fashion_classifier.py --minutes "${CLASSIFIER_MINUTES:-8}" --wall-minutes "${CLASSIFIER_WALL:-60}"
stage flow train_fashion.py --minutes "${FLOW_MINUTES:-85}" --wall-minutes "${FLOW_WALL:-600}"
stage refiner train_fashion_refiner.py --minutes "${REFINER_MINUTES:-20}" --wall-minutes "${REFINER_WALL:-180}"
stage export export_fashion_models.py
