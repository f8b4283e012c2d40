#!/usr/bin/env bash
# Walks the docs as a newcomer does, on a fresh clone of this checkout's HEAD, and fails at the first
# command that fails:
#   1. README.md's commands, read from README.md itself (every `./orleansflow ...` it shows), at small
#      sizes where the README allows (--samples capped at 500, --repeats 1); ./run-tests (the whole
#      suite, CI's job) and docker/kubectl are left out;
#   2. the registry's way in (docs/models.md): `./orleansflow models list` on the fresh clone, then
#      `./orleansflow models push models/digits-rf --name digits-rf@2`;
#   3. ./run-local-cluster 2 (docs/cluster.md), started in the background on ports of its own, and every
#      command it prints once its silos are ready, in order, exactly as printed;
#   4. the dashboard it prints, in headless chromium through the login form, showing both silos
#      (tools/dashboard_screenshot.py; skipped with a note when chromium is not installed).
#   tests/docs-walk.sh [--screenshot PATH]
# Not in CI: three builds from scratch (CLI, shim, silo) take 10-20 minutes on a shared 2-core machine.
# Last run (2026-12-05 10:25-10:37 UTC, commit 1f3f1b5, beside a training run and a 32-silo benchmark,
# load average 17-198): passed, 9 commands in 541 s, 224 of them the first step (the CLI and shim builds
# and the small fid-table).
# Environment: DOCS_WALK_PORT (first HTTP port, default 18081; PostgreSQL +1000), DOCS_WALK_SILO_PORT
# (21111), DOCS_WALK_GATEWAY_PORT (40000), DOCS_WALK_KEEP=1 keeps the clone.
set -euo pipefail
source_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
screenshot=""
[ "${1:-}" = "--screenshot" ] && screenshot="$(realpath -m "$2")"
http_port="${DOCS_WALK_PORT:-18081}"
export ORLEANSFLOW_SILO_PORT="${DOCS_WALK_SILO_PORT:-21111}" ORLEANSFLOW_GATEWAY_PORT="${DOCS_WALK_GATEWAY_PORT:-40000}"
unset OrleansFlow__Models OrleansFlow__Store OrleansFlow__ModelsContainer OrleansFlow__StoreContainer

work="$(mktemp -d /tmp/orleansflow-docs-walk-XXXXXX)"
chmod 755 "$work"   # PostgreSQL runs as the postgres user under it
cluster_pid=""
finish() {
  status=$?
  if [ -n "$cluster_pid" ] && kill -0 "$cluster_pid" 2>/dev/null; then
    kill -TERM "$cluster_pid" 2>/dev/null || true   # a background job ignores SIGINT; TERM runs its stop()
    wait "$cluster_pid" 2>/dev/null || true
  fi
  if [ "${DOCS_WALK_KEEP:-}" = 1 ] || [ "$status" -ne 0 ]; then
    echo "docs-walk: the clone and logs are in $work" >&2
  else
    rm -rf "$work"
  fi
}
trap finish EXIT

git clone -q "$source_root" "$work/repo"
cd "$work/repo"
echo "docs-walk: fresh clone of $(git rev-parse --short HEAD) in $work/repo"
steps=0
started=$SECONDS

run() { # COMMAND (a shell line, run as printed)
  steps=$((steps + 1))
  local log="$work/step-$steps.log" t0=$SECONDS
  echo "docs-walk: [$steps] \$ $1"
  if ! bash -c "$1" >"$log" 2>&1; then
    echo "docs-walk: FAILED [$steps] $1" >&2
    tail -n 30 "$log" >&2
    exit 1
  fi
  echo "docs-walk:     ok in $((SECONDS - t0)) s: $(tail -n 1 "$log" | cut -c1-150)"
}

# 1. README.md's commands, smaller where it allows.
mapfile -t readme < <(grep -oE '\./orleansflow [^`#]*' README.md | sed -e 's/[[:space:]]*$//')
[ "${#readme[@]}" -ge 2 ] || { echo "docs-walk: found ${#readme[@]} ./orleansflow commands in README.md" >&2; exit 1; }
for command in "${readme[@]}"; do
  small="$(sed -E -e 's/--samples [0-9]+/--samples 500/' -e 's/--repeats [0-9]+/--repeats 1/' <<<"$command")"
  case "$small" in *fid-table*--trajectory-samples*) ;; *fid-table*) small="$small --trajectory-samples 200" ;; esac
  run "$small"
done

# 2. The registry on a fresh clone (docs/models.md).
run "./orleansflow models list"
run "./orleansflow models push models/digits-rf --name digits-rf@2"
run "./orleansflow generate --model digits-rf@2 --samples 16 --out out/walk-generate"

# 3. A local cluster and what it prints.
cluster_log="$work/run-local-cluster.log"
./run-local-cluster 2 "$http_port" >"$cluster_log" 2>&1 &
cluster_pid=$!
echo "docs-walk: ./run-local-cluster 2 $http_port (pid $cluster_pid, log $cluster_log)"
until grep -q "silos ready" "$cluster_log"; do
  kill -0 "$cluster_pid" 2>/dev/null || { echo "docs-walk: FAILED ./run-local-cluster exited:" >&2; tail -n 30 "$cluster_log" >&2; exit 1; }
  [ $((SECONDS - started)) -lt 3600 ] || { echo "docs-walk: FAILED the cluster was not ready within the hour" >&2; exit 1; }
  sleep 1
done
sleep 1   # the rest of the printout
grep -A100 "silos ready" "$cluster_log" | sed 's/^/docs-walk: | /'
mapfile -t printed < <(grep -A100 "silos ready" "$cluster_log" | grep -E '^  \./orleansflow ' | sed 's/^  //')
[ "${#printed[@]}" -ge 3 ] || { echo "docs-walk: FAILED run-local-cluster printed ${#printed[@]} commands" >&2; exit 1; }
for command in "${printed[@]}"; do
  run "$command"
done

# 4. The dashboard it prints, as a browser opens it.
dashboard="$(grep -oE 'http://127\.0\.0\.1:[0-9]+/dashboard' "$cluster_log" | head -n 1)"
token="$(grep -oE '^token: [^ ]+' "$cluster_log" | cut -d' ' -f2)"
if command -v chromium >/dev/null && /usr/bin/python3 -c 'import websocket' 2>/dev/null; then
  run "/usr/bin/python3 tools/dashboard_screenshot.py ${dashboard%/dashboard} $token ${screenshot:-$work/dashboard.png} --fragment '#/silos' --expect 127.0.0.1:$ORLEANSFLOW_SILO_PORT --expect 127.0.0.1:$((ORLEANSFLOW_SILO_PORT + 1))"
else
  echo "docs-walk: dashboard not checked: apt-get install chromium python3-websocket"
fi

echo "docs-walk: passed: $steps commands in $((SECONDS - started)) s"
