#!/usr/bin/env bash
# Builds the silo's container image and runs it the way Kubernetes would, on this machine (no container
# registry needed): a debootstrapped Debian 12 base, Debian's libtorch, the silo published self-contained
# on the host (Dockerfile with APP=prepublished). Two containers of the image form a 2-silo cluster beside
# a throw-away PostgreSQL 15; the script checks /healthz, runs a digits FID job by registry name, kills one
# container (SIGKILL) mid-job, checks that every shard was counted once and that the FID equals an
# uninterrupted embedded run's, and prints the image size and the containers' start-up time.
#
#   tools/image-check.sh            (as root; needs: apt-get install podman buildah debootstrap runc postgresql-15)
#
# Slow (minutes: debootstrap once, a self-contained publish, an image build), so it is not part of
# ./run-tests. Settings: SAMPLES (default 10000), SHARD_SIZE (500), DEBIAN_MIRROR (the machine's),
# IMAGE_CHECK_DIR (default .build/image-check; the imported base image is reused between runs),
# REUSE_IMAGE=1 (skip the publish and build when the image exists: re-run only the cluster checks).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="${IMAGE_CHECK_DIR:-$root/.build/image-check}"
samples="${SAMPLES:-10000}"
shard_size="${SHARD_SIZE:-500}"
base="localhost/orleansflow-debian-base:bookworm"
image="localhost/orleansflow-silo:debian"
token="image-check-token"
mirror="${DEBIAN_MIRROR:-$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n 1)}"
mirror="${mirror:-http://deb.debian.org/debian}"
# runc: crun fails on this kind of host ("cgroups in hybrid mode not supported"); the ulimits: podman's
# default rlimits are refused without them (../shared/STACK.md, "Container images").
podman=(podman --runtime runc)
run_flags=(--ulimit nofile=20000:20000 --ulimit nproc=32768:32768 --network host)
http_ports=(18091 18092); silo_ports=(11191 11192); gateway_ports=(30091 30092); pg_port=15491
containers=(orleansflow-check-a orleansflow-check-b)

step() { printf '[image-check %s] %s\n' "$(date -u +%H:%M:%S)" "$*"; }
fail() { step "FAILED: $*"; exit 1; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

for tool in podman runc debootstrap dotnet curl python3; do
  command -v "$tool" >/dev/null || fail "$tool is missing (apt-get install podman buildah debootstrap runc)"
done
pg_bin="${ORLEANSFLOW_PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}"
[ -x "$pg_bin/pg_ctl" ] || fail "PostgreSQL not found: apt-get install postgresql-15"
as_pg=(); [ "$(id -u)" -ne 0 ] || as_pg=(runuser -u postgres --)
mkdir -p "$work"

cleanup() {
  for c in "${containers[@]}"; do "${podman[@]}" rm -f "$c" >/dev/null 2>&1 || true; done
  [ ! -d "$work/pg" ] || "${as_pg[@]}" "$pg_bin/pg_ctl" stop -D "$work/pg" -m immediate >/dev/null 2>&1 || true
}
trap cleanup EXIT
cleanup

step "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); $(podman --version), $(runc --version | head -n 1)"

# 1. The base: Debian 12 minbase, imported once.
if "${podman[@]}" image exists "$base"; then
  step "base $base already imported"
else
  t=$(now)
  rm -rf "$work/rootfs"
  debootstrap --variant=minbase bookworm "$work/rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 \
    || fail "debootstrap (log: $work/debootstrap.log)"
  tar -C "$work/rootfs" -c . | "${podman[@]}" import - "$base" >/dev/null
  rm -rf "$work/rootfs"
  step "debootstrap bookworm minbase from $mirror and import: $(since "$t") s"
fi

if [ "${REUSE_IMAGE:-}" = 1 ] && "${podman[@]}" image exists "$image"; then
  size=$("${podman[@]}" image inspect --format '{{.Size}}' "$image")
  step "REUSE_IMAGE=1: image $image ($((size / 1000000)) MB, built $("${podman[@]}" image inspect --format '{{.Created}}' "$image" | cut -d. -f1)) reused, no publish or build"
else
# 2. The silo, published self-contained from a copy of the sources (so a build in the worktree cannot
# race it), with the libtorch shim built on this Debian host against Debian's libtorch.
t=$(now)
"$root/native/build.sh" --install >/dev/null
rm -rf "$work/src" "$work/context"; mkdir -p "$work/src" "$work/context"
tar -C "$root" --exclude='*/bin' --exclude='*/obj' -c global.json Directory.Build.props Directory.Packages.props .editorconfig \
  Grains.Interfaces Grains Silo | tar -C "$work/src" -x
dotnet publish "$work/src/Silo/Silo.csproj" -c Release -r linux-x64 --self-contained -o "$work/context/app" -nologo -v q >"$work/publish.log" 2>&1 \
  || fail "dotnet publish (log: $work/publish.log)"
cp "$root/native/build/liborleansflow_torch.so" "$work/context/app/"
apt-cache depends libtorch-dev | awk '$1 == "Depends:" && $2 ~ /^libtorch[0-9]/ { print $2 }' >"$work/context/libtorch-runtime-packages"
step "self-contained publish + shim: $(since "$t") s, $(du -sm "$work/context/app" | cut -f1) MB; libtorch runtime: $(cat "$work/context/libtorch-runtime-packages")"

# 3. The image: the repository's Dockerfile, Debian base, the publish above. .NET needs ICU and CA
# certificates, which Microsoft's runtime image has and minbase does not.
t=$(now)
"${podman[@]}" build -f "$root/Dockerfile" -t "$image" \
  --build-arg RUNTIME_IMAGE="$base" --build-arg APP=prepublished --build-arg EXTRA_PACKAGES="libicu72 ca-certificates" \
  "$work/context" >"$work/build.log" 2>&1 || { tail -n 30 "$work/build.log"; fail "podman build (log: $work/build.log)"; }
size=$("${podman[@]}" image inspect --format '{{.Size}}' "$image")
step "podman build: $(since "$t") s; image $image: $((size / 1000000)) MB"
fi

# 4. PostgreSQL 15 (throw-away) and the registry (a store directory both containers mount).
rm -rf "$work/pg" "$work/store"; mkdir -p "$work/pg" "$work/store"
[ "$(id -u)" -ne 0 ] || chown postgres:postgres "$work/pg"
"${as_pg[@]}" "$pg_bin/initdb" -D "$work/pg" -A trust -U postgres --no-sync >/dev/null
"${as_pg[@]}" "$pg_bin/pg_ctl" start -D "$work/pg" -l "$work/pg/server.log" -w -o "-p $pg_port -k /tmp -c listen_addresses=127.0.0.1" >/dev/null
"$root/tools/push_digits_models.sh" "$work/store" >"$work/push.log" 2>&1 || fail "push_digits_models (log: $work/push.log)"
# The containers run as UID 1654 (the Deployment's runAsUser): the shared store must be writable for it.
chmod -R a+rwX "$work/store"
step "PostgreSQL on 127.0.0.1:$pg_port; digits models pushed to the registry in $work/store"

# 5. Two silos, each a container of the image, as the Deployment runs them (read-only root, writable /tmp).
start_silo() { # INDEX
  local i="$1"
  "${podman[@]}" run -d --name "${containers[$i]}" "${run_flags[@]}" --read-only --tmpfs /tmp \
    -v "$work/store:/store" \
    -e ASPNETCORE_URLS="http://127.0.0.1:${http_ports[$i]}" \
    -e OrleansFlow__Token="$token" \
    -e OrleansFlow__NodeId="${containers[$i]}" \
    -e OrleansFlow__Postgres="Host=127.0.0.1;Port=$pg_port;Username=postgres;Database=postgres" \
    -e OrleansFlow__AdvertisedAddress=127.0.0.1 \
    -e OrleansFlow__SiloPort="${silo_ports[$i]}" -e OrleansFlow__GatewayPort="${gateway_ports[$i]}" \
    -e OrleansFlow__Store=/store -e OrleansFlow__ModelCache=/tmp/model-cache -e OrleansFlow__Workers=1 \
    "$image" >/dev/null
}
wait_healthy() { # INDEX -> seconds to /healthz and /readyz
  local i="$1" t; t=$(now)
  until curl -sf -m 2 "http://127.0.0.1:${http_ports[$i]}/healthz" >/dev/null 2>&1; do
    "${podman[@]}" container exists "${containers[$i]}" && [ "$("${podman[@]}" inspect -f '{{.State.Running}}' "${containers[$i]}")" = true ] \
      || { "${podman[@]}" logs "${containers[$i]}" 2>&1 | tail -n 20; fail "${containers[$i]} exited"; }
    sleep 0.2
  done
  healthz=$(since "$t")
  until curl -sf -m 2 "http://127.0.0.1:${http_ports[$i]}/readyz" >/dev/null 2>&1; do sleep 0.2; done
  step "${containers[$i]}: /healthz answered $healthz s after podman run, /readyz $(since "$t") s"
}
for i in 0 1; do
  t0=$(now); start_silo "$i"; wait_healthy "$i"
done
api() { curl -sf -m 60 -H "Authorization: Bearer $token" "$@"; }
health_a=$(curl -sf "http://127.0.0.1:${http_ports[0]}/healthz"); health_b=$(curl -sf "http://127.0.0.1:${http_ports[1]}/healthz")
step "/healthz: a=$health_a b=$health_b; membership: $(PGHOST=127.0.0.1 "$pg_bin/psql" -p "$pg_port" -U postgres -Atc "select string_agg(status::text, ',') from orleansflow.orleansmembershiptable" 2>/dev/null || echo '?') (3 = Active)"

# 6. A digits FID job by registry name; SIGKILL of container b once some shards are done.
spec=$(printf '{"kind":"fid","model":"digits-rf","reference":"digits-fid","sampler":"heun:steps=4","samples":%d,"shardSize":%d,"batchSize":250,"seed":21}' "$samples" "$shard_size")
t=$(now)
# The submission loads and warms digits-rf on the silo (a registry download): minutes on a loaded machine.
job=$(api -m 600 -X POST -H 'Content-Type: application/json' -H "Idempotency-Key: image-check-$$" -d "$spec" "http://127.0.0.1:${http_ports[0]}/v1/jobs" \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])') || fail "submitting the job"
status() { api "http://127.0.0.1:${http_ports[0]}/v1/jobs/$job"; }
field() { python3 -c "import json,sys; j=json.load(sys.stdin); print(j$1)"; }
until [ "$(status | field '["shardsDone"]')" -ge 2 ]; do sleep 0.3; done
before=$(status | field '["shardsDone"], "/", j["shardCount"], "shards done; in flight:", j.get("inFlight")')
"${podman[@]}" kill --signal KILL "${containers[1]}" >/dev/null
step "job $job: $before -> podman kill -s KILL ${containers[1]}"
# While the killed silo is not yet declared dead (a few seconds), a status read that reaches a grain on it
# fails; the poll counts those and keeps going (a client retries), the job must still succeed.
state=""; failed_polls=0; first_failure=""
for _ in $(seq 1 1200); do
  if state=$(status | field '["state"]' 2>/dev/null); then
    case "$state" in succeeded|failed|cancelled) break ;; esac
  else
    failed_polls=$((failed_polls + 1)); [ -n "$first_failure" ] || first_failure=$(since "$t")
  fi
  sleep 0.5
done
[ "$failed_polls" = 0 ] || step "status reads that failed during the fail-over: $failed_polls (the first $first_failure s into the job), each retried 0.5 s later"
[ "$state" = succeeded ] || fail "job ended $state: $(status)"
read -r done count generated fid <<<"$(status | field '["shardsDone"], j["shardCount"], j["summary"]["samples"], repr(j["summary"]["fid"])')"
shard_files=$(find "$work/store/jobs/$job" -path '*shards*' -type f | wc -l)
step "job succeeded in $(since "$t") s with one silo killed: shards $done/$count, samples $generated/$samples, shard files in the store $shard_files, FID $fid"

# 7. Nothing lost: every shard counted once, and the same FID (bit for bit) as an embedded run of the spec.
rm -rf "$work/embedded"
"$root/orleansflow" fid --model "$root/models/digits-rf" --reference "$root/models/digits-fid/reference.npz" --sampler heun:steps=4 \
  --samples "$samples" --shard-size "$shard_size" --batch-size 250 --seed 21 --out "$work/embedded" >"$work/embedded.log" 2>&1 \
  || fail "embedded run (log: $work/embedded.log)"
embedded_fid=$(python3 -c 'import json,sys; print(repr(json.load(open(sys.argv[1]))["fid"]))' "$work/embedded/summary.json")
[ "$done" = "$count" ] && [ "$generated" = "$samples" ] || fail "shards or samples missing"
if [ "$fid" != "$embedded_fid" ]; then
  # Which shards' statistics differ from the embedded run's, and by how much (the shard files hold each
  # shard's feature moments: n, sum, outer, pool, labels, nfe).
  /usr/bin/python3 - "$work/embedded/shards" "$work/store/jobs/$job/shards" <<'PY' || true
import glob, os, sys
import numpy as np
differ = []
for path in sorted(glob.glob(os.path.join(sys.argv[1], "*.npz"))):
    a, b = np.load(path), np.load(os.path.join(sys.argv[2], os.path.basename(path)))
    keys = [k for k in a.files if not np.array_equal(a[k], b[k])]
    if keys:
        differ.append(f"{os.path.basename(path)} ({', '.join(f'{k} max |diff| {np.abs(a[k].astype(float) - b[k].astype(float)).max():.2g}' for k in keys)})")
print(f"[image-check] shards whose statistics differ from the embedded run's: {len(differ)}: " + "; ".join(differ))
PY
  fail "FID $fid differs from the embedded run's $embedded_fid"
fi
step "nothing lost: $count/$count shards, $samples samples, FID identical to the embedded run's ($embedded_fid)"

# 8. Start-up of a fresh container of the image on the surviving cluster.
"${podman[@]}" rm -f "${containers[1]}" >/dev/null
start_silo 1; wait_healthy 1
step "image $image: $((size / 1000000)) MB; done"
