# Sourced by the bench scripts: runs one job on a fresh local cluster (./run-local-cluster) and stops it.
# The caller sets root, out (a scratch directory) and port, and traps EXIT with stop_cluster; it may set
# cluster_cpus (run-local-cluster --cpus: silo i pinned to the i-th entry) before run_on_cluster.
cluster=""; cluster_cpus=""

stop_cluster() {
  [ -n "$cluster" ] || return 0
  kill -TERM "$cluster" 2>/dev/null || true; wait "$cluster" 2>/dev/null || true; cluster=""
}

# start_cluster SILOS WORKERS NAME: a cluster of SILOS silos with WORKERS workers each, its log in $out/NAME.log;
# returns once every silo answers /readyz (fails if the cluster exits first). $cluster is run-local-cluster's pid;
# the silo processes are its children (cluster_silo_pids), PostgreSQL listens on port + 1000.
start_cluster() {
  local silos="$1" workers="$2" name="$3"
  local pin=(); [ -z "$cluster_cpus" ] || pin=(--cpus "$cluster_cpus")
  OrleansFlow__Workers="$workers" "$root/run-local-cluster" "${pin[@]}" "$silos" "$port" >"$out/$name.log" 2>&1 &
  cluster=$!
  for i in $(seq 0 $((silos - 1))); do
    until curl -sf "http://127.0.0.1:$((port + i))/readyz" >/dev/null 2>&1; do
      kill -0 "$cluster" 2>/dev/null || { tail -n 20 "$out/$name.log" >&2; echo "the local cluster exited before it was ready" >&2; return 1; }
      sleep 1
    done
  done
}

# The silo processes of the running cluster (run-local-cluster's dotnet children), comma-separated.
cluster_silo_pids() { pgrep -P "$cluster" -d, -f OrleansFlow.Silo.dll; }

# run_on_cluster SILOS WORKERS NAME JOB...: a cluster of SILOS silos with WORKERS workers each runs
# `orleansflow JOB... --cluster ...`; its summary lands in $out/NAME, the cluster's log in $out/NAME.log.
run_on_cluster() {
  local silos="$1" workers="$2" name="$3"; shift 3
  start_cluster "$silos" "$workers" "$name"
  "$root/orleansflow" "$@" --cluster "http://127.0.0.1:$port" --token local-token --out "$out/$name" >/dev/null 2>&1
  stop_cluster
}
