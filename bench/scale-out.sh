#!/usr/bin/env bash
# Scale-out on pinned cores (issue 16, item 7): the same model-bound digits fid job (digits-rf, heun:steps=4,
# shards of 500, the digits-eval features and reference batch by registry name) on a local cluster of 1 silo
# pinned to core 0, then of 2 silos pinned to cores 0 and 1, one worker each, back to back in one run;
# samples/s of each, their ratio, FID of both (must be identical) and the load average around each run.
# Where the time goes: CPU seconds over each job of the silo processes (pinned), of PostgreSQL (all its
# processes) and of the client (the orleansflow CLI), none of which but the silos is pinned.
# On a machine shared with other work the ratio measures the sharing too: report the load with it.
# Then, unless CEILING=0, the machine's own ceiling at that moment (bench/scale-out-ceiling.sh, CEILING_REPS=3
# repetitions: two independent embedded copies of a job of the same size on cores 0 and 1 against one alone; one
# repetition read 1.73x minutes after three had read 1.94-1.98x) and each ratio as a share of their mean,
# so a run on a slow moment of the VM is told apart from a cluster that loses its second core.
# PAUSE_TRAINING=1 stops the Fashion-MNIST training (SIGSTOP) for the two jobs only, and always resumes it.
#   bench/scale-out.sh [SAMPLES=20000] [SAMPLER=heun:steps=4] [SHARD_SIZE=500]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
samples="${1:-20000}"; sampler="${2:-heun:steps=4}"; shard="${3:-500}"; batch=250   # samples per model call (the CLI's default); the ceiling's jobs use the same
out="$(mktemp -d)"; port="${BENCH_PORT:-8381}"
export ORLEANSFLOW_SILO_PORT=12711 ORLEANSFLOW_GATEWAY_PORT=31711
cd "$root"
source "$root/bench/scale-out-job.sh"
scale_out_job "$samples" "$sampler" "$shard" "$batch"; job=("${scale_out_job_args[@]}")
source "$root/bench/local-cluster.sh"
resume() { [ -z "${PAUSE_TRAINING:-}" ] || pkill -CONT -f train_fashion || true; }
trap 'resume; stop_cluster; rm -rf "$out"' EXIT

# CPU seconds (user + system) of the given pids, summed.
cpu_of() { local t=0 pid; for pid in "$@"; do [ -r "/proc/$pid/stat" ] && t=$((t + $(awk '{sub(/.*\) /, ""); print $12 + $13}' "/proc/$pid/stat"))); done; echo "$t"; }
pg_pids() { local main; main=$(head -n 1 "$root/.local-cluster/pg/postmaster.pid"); echo "$main" $(pgrep -P "$main"); }
"$root/orleansflow" --help >/dev/null   # builds the CLI now, not inside the timed job

# run_job NAME: one job on the running cluster, its summary in $out/NAME, CPU seconds and load in cpu.txt and load.txt.
run_job() {
  local name="$1" silo0 pg0
  echo "$name before $(cut -d' ' -f1-3 /proc/loadavg) $(date -u +%FT%TZ)" >>"$out/load.txt"
  silo0=$(cpu_of $silo_pids); pg0=$(cpu_of $(pg_pids))
  /usr/bin/time -f "%U %S %e" -o "$out/$name.client" "$root/orleansflow" "${job[@]}" --cluster "http://127.0.0.1:$port" --token local-token --out "$out/$name" >/dev/null 2>&1
  # Backends that exited during the job took their CPU with them: PostgreSQL's figure is a lower bound.
  echo "$name $(( $(cpu_of $silo_pids) - silo0 )) $(( $(cpu_of $(pg_pids)) - pg0 )) $(cat "$out/$name.client")" >>"$out/cpu.txt"
  echo "$name after $(cut -d' ' -f1-3 /proc/loadavg)" >>"$out/load.txt"
}

# Two jobs per cluster: the first is a fresh cluster's (the silos but the submitting one load and warm the
# model inside the job's clock), the second runs on silos all warm.
for run in "1 0 one" "2 0,1 two"; do
  read -r silos cpus name <<<"$run"
  cluster_cpus="$cpus"
  start_cluster "$silos" 1 "$name"
  silo_pids=$(cluster_silo_pids | tr , ' ')
  [ -z "${PAUSE_TRAINING:-}" ] || pkill -STOP -f train_fashion || true
  run_job "$name"
  for i in $(seq 0 $((silos - 1))); do
    curl -sf -H "Authorization: Bearer local-token" "http://127.0.0.1:$((port + i))/metrics" >"$out/$name-silo$i.prom" || true
  done
  run_job "$name-warm"
  resume
  stop_cluster
done

/usr/bin/python3 - "$out" "$(getconf CLK_TCK)" <<'PY'
import json, sys
out, ticks = sys.argv[1], int(sys.argv[2])
runs = {n: json.load(open(f"{out}/{n}/summary.json")) for n in ("one", "two", "one-warm", "two-warm")}
cpu = {line.split()[0]: line.split()[1:] for line in open(f"{out}/cpu.txt")}
one = runs["one"]
print(f"{one['samples']:,} samples of {one['spec']['model']}, {one['spec']['sampler']}, shards of {one['spec']['shardSize']}, one worker per silo")
print(f"{'run':<34}{'seconds':>9}{'samples/s':>11}{'submit-to-done s':>18}{'FID':>22}{'silos cpu s':>13}{'postgres cpu s':>16}{'client cpu s':>14}")
for label, name in (("1 silo on core 0, first job", "one"), ("2 silos on cores 0 and 1, first job", "two"),
                    ("1 silo on core 0, second job", "one-warm"), ("2 silos on cores 0 and 1, second job", "two-warm")):
    r = runs[name]
    silo, pg, user, system, wall = cpu[name]
    print(f"{label:<34}{r['seconds']:>9.2f}{r['samplesPerSecond']:>11,.0f}{float(wall):>18.2f}{r['fid']:>22.15f}{int(silo) / ticks:>13.1f}{int(pg) / ticks:>16.1f}{float(user) + float(system):>14.1f}")
for first, label in (("", "first jobs"), ("-warm", "second jobs")):
    a, b = runs["one" + first], runs["two" + first]
    # The job's clock starts once the submission prepared the model (on every silo that takes shards); the
    # client's wall time also counts that prepare, the CLI's start and its download of the results.
    wall = lambda n: float(cpu[n][4])
    print(f"ratio 2/1, {label}: {b['samplesPerSecond'] / a['samplesPerSecond']:.2f}x by the job's clock, "
          f"{wall('one' + first) / wall('two' + first):.2f}x by the client's wall time")
    open(f"{out}/ratios", "a").write(f"{label} {b['samplesPerSecond'] / a['samplesPerSecond']}\n")
print(f"FID identical in all four: {len({r['fid'] for r in runs.values()}) == 1}")
print(open(f"{out}/load.txt").read().strip())
# Where each silo's time went (its /metrics after the first job): model loads and warm-ups happen inside the job on
# every silo but the one that took the submission (it warmed the model before the job's clock started).
import glob, re
for path in sorted(glob.glob(f"{out}/*-silo*.prom")):
    sums = {}
    for line in open(path):
        m = re.match(r"^(orleansflow_(?:model_load_duration_seconds|model_warmup_duration_seconds|shard_duration_seconds)_(?:sum|count)|orleansflow_scheduler_busy_seconds_total)(?:\{[^}]*\})? (\S+)", line)
        if m:
            sums[m.group(1)] = sums.get(m.group(1), 0) + float(m.group(2))
    g = lambda k: sums.get(k, 0)
    print(f"{path.rsplit('/', 1)[1][:-5]}: {g('orleansflow_shard_duration_seconds_count'):.0f} shards in {g('orleansflow_shard_duration_seconds_sum'):.1f} s, "
          f"model loads {g('orleansflow_model_load_duration_seconds_sum'):.2f} s, warm-ups {g('orleansflow_model_warmup_duration_seconds_sum'):.2f} s "
          f"({g('orleansflow_model_warmup_duration_seconds_count'):.0f}), scheduler busy {g('orleansflow_scheduler_busy_seconds_total'):.2f} s")
    # The compiled form each model module's warm-up chose (sample-aware compilation: timed on this silo, under its load).
    chosen = sorted({re.sub(r'(,?otel_scope_name="[^"]*"|,?chosen="true")', "", m.group(1))
                     for m in re.finditer(r'^orleansflow_model_compilation_forward_seconds_count\{([^}]*chosen="true"[^}]*)\}', open(path).read(), re.M)})
    print(f"  chosen forms: {'; '.join(chosen) or 'none recorded'}")
PY

[ "${CEILING:-1}" = 0 ] && exit 0
# The first repetition right after a cluster stopped read off twice (a slow pair copy once, a slow lone copy once): let the
# stopped silos' and PostgreSQL's writes reach the disk first.
sync; sleep 5
"$root/bench/scale-out-ceiling.sh" "$samples" "$sampler" "$shard" "$batch" "${CEILING_REPS:-3}" | tee "$out/ceiling.txt" | tail -n +2
ceiling=$(awk '/^machine ceiling:/ { sub(/x$/, "", $3); print $3 }' "$out/ceiling.txt")
while read -r first second ratio; do
  awk -v r="$ratio" -v c="$ceiling" -v l="$first $second" 'BEGIN { printf "%s: %.2fx = %.0f%% of the machine ceiling (%.2fx)\n", l, r, 100 * r / c, c }'
done <"$out/ratios"
