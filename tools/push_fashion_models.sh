#!/usr/bin/env bash
# Pushes the committed Fashion-MNIST models into a model registry (docs/models.md), so clusters name them:
#   models: fashion-rf, fashion-2rf, fashion-onestep   features and reference: fashion-fid (features.pt, reference.npz)
#   the evaluation suite's network and reference batch: features and reference fashion-eval
#   (eval.pt, reference-batch.npz: the 10,000 test images and their statistics)
#   tools/push_fashion_models.sh [STORE]   (default: $OrleansFlow__Models, else $OrleansFlow__Store, else ./store)
# Entries are create-only, so names already in the registry are skipped. A registry package holds all
# its files: `models push` copies the package's "../fashion-fid/features.pt" in (as features.pt).
# Nothing is retrained; the bytes pushed are the committed ones (made by tools/train_fashion_all.sh).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
store="${1:-${OrleansFlow__Models:-${OrleansFlow__Store:-store}}}"
cli=("$root/orleansflow" models --store "$store")

push() { # KIND NAME PATH
  if "${cli[@]}" show --kind "$1" "$2" >/dev/null 2>&1; then
    echo "push_fashion_models: $1 '$2' is already in $store"
  else
    "${cli[@]}" push --kind "$1" --name "$2" "$3"
  fi
}

# The 1-rectified flow (tools/train_fashion_all.sh makes it), then InstaFlow's 2-rectified flow and distilled
# one-step model (tools/train_fashion_reflow.sh makes them).
for name in fashion-rf fashion-2rf fashion-onestep; do
  maker=train_fashion_reflow.sh; [ "$name" = fashion-rf ] && maker=train_fashion_all.sh
  for file in model.json predictor.pt; do
    [ -f "$root/models/$name/$file" ] || { echo "push_fashion_models: models/$name/$file is missing (tools/$maker makes it)" >&2; exit 2; }
  done
  push model "$name" "$root/models/$name"
done
push features fashion-fid "$root/models/fashion-fid/features.pt"
push reference fashion-fid "$root/models/fashion-fid/reference.npz"
push features fashion-eval "$root/models/fashion-fid/eval.pt"
push reference fashion-eval "$root/models/fashion-fid/reference-batch.npz"
