#!/usr/bin/env bash
# Pushes the committed digits models into a model registry (docs/models.md), so clusters name them:
#   models: digits-rf, digits-2rf, digits-onestep   features: digits-fid   reference: digits-fid
#   the evaluation suite's network and reference batch (fid-table): features and reference digits-eval
#   tools/push_digits_models.sh [STORE]   (default: $OrleansFlow__Models, else $OrleansFlow__Store, else ./store)
# Entries are create-only, so names already in the registry are skipped. A registry package holds all
# its files: the packages' "../digits-fid/features.pt" is copied in (as features.pt) on the way.
# Nothing is retrained; the bytes pushed are the committed ones.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
store="${1:-${OrleansFlow__Models:-${OrleansFlow__Store:-store}}}"
cli=("$root/orleansflow" models --store "$store")
stage="$(mktemp -d)"; trap 'rm -rf "$stage"' EXIT

push() { # KIND NAME PATH
  if "${cli[@]}" show --kind "$1" "$2" >/dev/null 2>&1; then
    echo "push_digits_models: $1 '$2' is already in $store"
  else
    "${cli[@]}" push --kind "$1" --name "$2" "$3"
  fi
}

for model in digits-rf digits-2rf digits-onestep; do
  mkdir -p "$stage/$model"
  cp "$root/models/$model/"* "$stage/$model/"
  # Make the package self-contained: pull in the features file its model.json points at, if outside.
  /usr/bin/python3 "$root/tools/stage_package.py" "$stage/$model" "$root/models/$model"
  push model "$model" "$stage/$model"
done
push features digits-fid "$root/models/digits-fid/features.pt"
push reference digits-fid "$root/models/digits-fid/reference.npz"
push features digits-eval "$root/models/digits-fid/eval.pt"
push reference digits-eval "$root/models/digits-fid/reference-batch.npz"
