#!/usr/bin/env bash
# For a GPU node with a CUDA build of PyTorch (none on the development machine): builds the shim against
# that PyTorch's libtorch, then runs the Fashion-MNIST main rows on the CUDA device without and with CUDA
# graphs, and on the CPU, and prints ms/sample and each CUDA row's FID against the CPU row's.
#
#   bench/gpu-check.sh [python3] [samples]     (default: /usr/bin/python3, 2000)
#
# Needs the fashion models in the registry (./orleansflow fid-table pushes them on its first run).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
python="${1:-/usr/bin/python3}"; samples="${2:-2000}"
fail() { echo "gpu-check: $*" >&2; exit 1; }

"$python" -c 'import torch' 2>/dev/null || fail "$python has no torch: pass the interpreter of a CUDA build of PyTorch"
"$python" -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)' \
  || fail "no CUDA device visible to $python's PyTorch ($("$python" -c 'import torch; print(torch.__version__, "cuda", torch.version.cuda)'))"

build="$root/native/build-cuda"
prefix="$("$python" -c 'import torch; print(torch.utils.cmake_prefix_path)')"
cmake -S native -B "$build" -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$prefix" >"$build.log" 2>&1 || { cat "$build.log"; fail "cmake against $prefix failed"; }
grep -q "CUDA graph capture compiled in" "$build.log" || fail "libtorch under $prefix has no CUDA: the shim would run on the CPU"
cmake --build "$build" -j "$(nproc)" >>"$build.log" 2>&1 || { tail -30 "$build.log"; fail "building the shim failed"; }

rows="heun,turbo,pseudo,euler"
run() {  # label, then environment assignments
  local label="$1"; shift
  env "$@" ORLEANSFLOW_NATIVE_DIR="$build" ./orleansflow fid-table --data fashion --samples "$samples" --repeats 1 --rows "$rows" \
    --metrics fid --quiet --out "out/gpu-check/$label" >"out/gpu-check/$label.txt"
}
mkdir -p out/gpu-check
run cpu ORLEANSFLOW_DEVICE=cpu
run cuda ORLEANSFLOW_DEVICE=cuda
run cuda-graphs ORLEANSFLOW_DEVICE=cuda ORLEANSFLOW_CUDA_GRAPHS=1

"$python" - out/gpu-check <<'PY'
import json, sys, os
base = sys.argv[1]
tables = {k: json.load(open(os.path.join(base, k, "table.json"))) for k in ("cpu", "cuda", "cuda-graphs")}
print(f"{'row':32} {'cpu ms':>9} {'cuda ms':>9} {'graphs ms':>10} {'FID cpu':>9} {'|cuda-cpu|':>11} {'|graphs-cpu|':>13}")
for i, row in enumerate(tables["cpu"]["rows"]):
    c, g, gg = row, tables["cuda"]["rows"][i], tables["cuda-graphs"]["rows"][i]
    f = lambda r: r["fid"]["mean"]
    print(f"{row['row']['name']:32} {c['msPerSample']:9.3f} {g['msPerSample']:9.3f} {gg['msPerSample']:10.3f} {f(c):9.3f} {abs(f(g) - f(c)):11.4f} {abs(f(gg) - f(c)):13.4f}")
print("FID differences come from float rounding on the device (cuDNN kernels); they should be far below each row's seed spread.")
PY
