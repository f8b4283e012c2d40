#!/usr/bin/env bash
# Builds the libtorch shim into native/build/liborleansflow_torch.so when it is missing or older than
# its sources. With --install, first installs what the build needs with apt (libtorch-dev, cmake, g++;
# as root or through sudo). Says when it installs or builds; otherwise quiet unless something fails. Used by ./run-tests and ./orleansflow.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
lib="$here/build/liborleansflow_torch.so"

missing=()
[ -f /usr/lib/x86_64-linux-gnu/cmake/Torch/TorchConfig.cmake ] || [ -n "${Torch_DIR:-}${CMAKE_PREFIX_PATH:-}" ] || missing+=(libtorch-dev)
command -v cmake >/dev/null || missing+=(cmake)
command -v g++ >/dev/null || missing+=(g++)
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "${1:-}" != "--install" ]; then
    echo "native/build.sh: missing ${missing[*]}: run native/build.sh --install (apt-get install ${missing[*]})" >&2
    exit 1
  fi
  echo "native/build.sh: installing ${missing[*]} with apt-get (once; libtorch-dev is large)..." >&2
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if [ -f "$lib" ] && [ -z "$(find "$here/src" "$here/include" "$here/CMakeLists.txt" -newer "$lib" -print -quit)" ]; then
  exit 0
fi

echo "native/build.sh: building the libtorch shim (once; about 35 s on 2 idle cores)..." >&2
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
if ! { cmake -S "$here" -B "$here/build" -DCMAKE_BUILD_TYPE=Release && cmake --build "$here/build" -j "$(nproc)"; } >"$log" 2>&1; then
  cat "$log" >&2
  echo "native/build.sh: building the libtorch shim failed" >&2
  exit 1
fi
