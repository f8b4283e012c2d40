#!/usr/bin/env bash
# Trains (or resumes) stage 2 of the Fashion-MNIST pipeline, niced: tools/train_fashion_reflow.py on a
# reflow job made by the cluster (2-rectified flow, then one-step distillation, then the packages
# models/fashion-2rf and models/fashion-onestep and the straightness report).
#
#   nohup tools/train_fashion_reflow.sh [JOB] [extra arguments] > /work/ckpt/fashion/reflow.log 2>&1 &
#
# JOB defaults to /work/ckpt/reflow-fashion/job. Safe to rerun after an interruption: each stage resumes
# from its checkpoint in $FASHION_CKPT (default /work/ckpt/fashion: reflow2.pt, distill.pt) and is
# skipped once its final file exists (reflow2-final.pt, distill-final.pt). Budgets are CPU minutes per
# thread summed over restarts (fashion_common.Budget); the wall caps bound a stage on a shared machine.
# Extra arguments go to the Python script (e.g. --out-root /tmp/models, --export-only).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export FASHION_CKPT="${FASHION_CKPT:-/work/ckpt/fashion}"
mkdir -p "$FASHION_CKPT"
job="${1:-/work/ckpt/reflow-fashion/job}"
[ $# -gt 0 ] && shift

echo "== reflow: $job, $(date -u +%FT%TZ)"
start=$SECONDS
nice -n 19 /usr/bin/python3 "$root/tools/train_fashion_reflow.py" "$job" \
  --reflow-minutes "${REFLOW_MINUTES:-45}" --reflow-wall-minutes "${REFLOW_WALL:-60}" \
  --distill-minutes "${DISTILL_MINUTES:-30}" --distill-wall-minutes "${DISTILL_WALL:-45}" "$@"
echo "== reflow: done in $(( (SECONDS - start) / 60 )) min ($(date -u +%FT%TZ))"
