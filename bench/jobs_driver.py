#!/usr/bin/python3
"""Drives jobs through a running local cluster's HTTP API and reports the scheduler's costs (issue 16, item 7).
Used by bench/big-jobs.sh and bench/many-jobs.sh, which start and stop the cluster; figures, not a test.

    big   --sizes 100,1000,10000: one job at a time of that many one-sample shards; per job: wall time,
          shards/s, scheduler busy seconds per shard (orleansflow_scheduler_busy_seconds_total summed over
          the silos), silo CPU seconds per shard (/proc of the silo processes), PostgreSQL WAL bytes per shard
          (pg_current_wal_lsn), each over the whole job and over the middle of it (10 % to 90 % of its shards
          done, where every write is a shard event: start-up and finalisation left out).
    many  --jobs 100 --shards 10: that many jobs submitted at once; all must succeed with one attempt per
          shard and no re-dispatch; p50/p99 latency (the server's createdAt to finishedAt).
    reflow --model fashion-rf --sampler S --samples N --shard-size K --kill-at F: one real reflow job (issue 18's
          coupling dataset); once F of its shards are done, SIGKILL the silo process --kill-pid. Reports wall time,
          pairs/s, shards, attempts, scheduler busy seconds per shard and WAL bytes per shard (over the surviving
          silos' metrics and the whole job), and writes the job's id and final status to --status.
Prints a table and, last, one JSON line with every figure.
"""

import argparse
import glob
import json
import os
import re
import subprocess
import threading
import time
import urllib.request
from datetime import datetime

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


class Cluster:
    def __init__(self, args):
        self.ports = [args.port + i for i in range(args.silos)]
        self.token = args.token
        self.pg_port = args.port + 1000
        self.pids = [int(p) for p in args.pids.split(",") if p]
        self.psql = sorted(glob.glob("/usr/lib/postgresql/*/bin/psql"))[-1]
        self.dead = set()

    def call(self, method, path, body=None, port=None):
        request = urllib.request.Request(
            f"http://127.0.0.1:{port or self.ports[0]}{path}", method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=60) as response:
            text = response.read().decode()
        return json.loads(text) if text.startswith(("{", "[")) else text

    def sql(self, query):
        return subprocess.run([self.psql, "-h", "127.0.0.1", "-p", str(self.pg_port), "-U", "postgres", "-d", "postgres",
                               "-Atc", query], check=True, capture_output=True, text=True).stdout.strip()

    def metric(self, family):
        """The family's samples summed over every live silo's /metrics (a killed silo's counters are gone with it)."""
        total = 0.0
        for port in self.live_ports():
            for line in self.call("GET", "/metrics", port=port).splitlines():
                match = re.match(rf"^{family}(?:{{[^}}]*}})? (\S+)", line)
                if match:
                    total += float(match.group(1))
        return total

    def live_ports(self):
        return [port for port in self.ports if port not in self.dead]

    def outcomes(self):
        """Shard runs by outcome (completed, busy: handed back unstarted, ...), summed over every silo's /metrics."""
        counts = {}
        for port in self.ports:
            for line in self.call("GET", "/metrics", port=port).splitlines():
                match = re.match(r'^orleansflow_shard_duration_seconds_count\{[^}]*outcome="([^"]+)"[^}]*\} (\S+)', line)
                if match:
                    counts[match.group(1)] = counts.get(match.group(1), 0) + int(float(match.group(2)))
        return counts

    def cpu_seconds(self):
        total = 0
        for pid in self.pids:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
        return total / CLOCK_TICKS

    def snapshot(self, job_id=None):
        """Shards done (read before and after, averaged: the other readings take a moment), WAL, busy, CPU."""
        before = self.call("GET", f"/v1/jobs/{job_id}")["shardsDone"] if job_id else 0
        wal = self.sql("SELECT pg_current_wal_lsn()")
        busy = self.metric("orleansflow_scheduler_busy_seconds_total")
        cpu = self.cpu_seconds() if not self.dead else 0.0
        after = self.call("GET", f"/v1/jobs/{job_id}")["shardsDone"] if job_id else 0
        return {"done": (before + after) / 2, "wal": wal, "busy": busy, "cpu": cpu, "time": time.monotonic()}

    def wal_bytes(self, since, until):
        return float(self.sql(f"SELECT pg_wal_lsn_diff('{until}', '{since}')"))


def spec(args, samples, seed):
    return {"kind": "reflow", "model": args.model, "sampler": "euler:steps=1", "samples": samples,
            "shardSize": 1, "batchSize": 1, "seed": seed}


def per_shard(cluster, a, b):
    shards = b["done"] - a["done"]
    return {"shards": shards, "busy_ms": 1000 * (b["busy"] - a["busy"]) / shards, "cpu_ms": 1000 * (b["cpu"] - a["cpu"]) / shards,
            "wal_bytes": cluster.wal_bytes(a["wal"], b["wal"]) / shards, "shards_per_s": shards / (b["time"] - a["time"])}


def run_to_end(cluster, body):
    job = cluster.call("POST", "/v1/jobs", body)
    while job["state"] not in ("succeeded", "failed", "cancelled"):
        time.sleep(0.2)
        job = cluster.call("GET", f"/v1/jobs/{job['id']}")
    assert job["state"] == "succeeded", job


def big(cluster, args):
    # A fresh cluster's first job also pays for JIT compilation and the samplers' activation: not a job size's cost.
    run_to_end(cluster, spec(args, 30, 999))
    rows = []
    for n, size in enumerate(int(s) for s in args.sizes.split(",")):
        start = cluster.snapshot()
        job = cluster.call("POST", "/v1/jobs", spec(args, size, 1000 + n))
        marks, state = {}, job
        while state["state"] not in ("succeeded", "failed", "cancelled"):
            time.sleep(args.poll)
            state = cluster.call("GET", f"/v1/jobs/{job['id']}")
            for fraction in (0.1, 0.9):
                if fraction not in marks and state["shardsDone"] >= fraction * size:
                    marks[fraction] = cluster.snapshot(job["id"])
        # The job's end as the poll saw it: the end snapshot scrapes every silo's /metrics, seconds on a loaded machine.
        finished = time.monotonic()
        end = cluster.snapshot()
        end["done"] = size
        assert state["state"] == "succeeded", state
        row = {"shards": size, "wall_s": finished - start["time"], "attempts": state["attempts"],
               "whole": per_shard(cluster, {**start, "done": 0}, end), "middle": per_shard(cluster, marks[0.1], marks[0.9]),
               "load": open("/proc/loadavg").read().split()[:3]}
        rows.append(row)
        print(f"{size:>7,} shards {row['wall_s']:7.1f} s {size / row['wall_s']:7.1f} shards/s | whole job: scheduler "
              f"{row['whole']['busy_ms']:6.2f} ms/shard, silo CPU {row['whole']['cpu_ms']:6.2f} ms/shard, WAL "
              f"{row['whole']['wal_bytes']:7.0f} B/shard | 10-90 %: scheduler {row['middle']['busy_ms']:6.2f} ms/shard, "
              f"silo CPU {row['middle']['cpu_ms']:6.2f} ms/shard, WAL {row['middle']['wal_bytes']:7.0f} B/shard, "
              f"{row['middle']['shards_per_s']:6.1f} shards/s | attempts {row['attempts']} | load {' '.join(row['load'])}", flush=True)
    first, last = rows[0], rows[-1]
    for key in ("busy_ms", "cpu_ms", "wal_bytes"):
        print(f"{key}: {last['shards']:,} vs {first['shards']:,} shards: whole job {last['whole'][key] / first['whole'][key]:.2f}x, "
              f"10-90 % {last['middle'][key] / first['middle'][key]:.2f}x")
    print(json.dumps({"big": rows}))


def many(cluster, args):
    run_to_end(cluster, spec(args, 30, 4999))
    redispatched = cluster.metric("orleansflow_shard_redispatches_total")
    outcomes = cluster.outcomes()
    start = cluster.snapshot()
    jobs, lock = [], threading.Lock()

    def submit(i):
        # Round robin over the silos' APIs, as a load balancer would.
        job = cluster.call("POST", "/v1/jobs", spec(args, args.shards, 5000 + i), port=cluster.ports[i % len(cluster.ports)])
        with lock:
            jobs.append(job["id"])

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(args.jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    submitted = time.monotonic()
    finished = {}
    while len(finished) < len(jobs):
        time.sleep(args.poll)
        for job in jobs:
            if job not in finished:
                state = cluster.call("GET", f"/v1/jobs/{job}")
                if state["state"] in ("succeeded", "failed", "cancelled"):
                    finished[job] = state
    end = cluster.snapshot()
    end["done"] = args.jobs * args.shards

    def seconds(s):
        return (datetime.fromisoformat(s["finishedAt"]) - datetime.fromisoformat(s["createdAt"])).total_seconds()

    latencies = sorted(seconds(s) for s in finished.values())
    rank = lambda q: latencies[min(len(latencies), max(1, round(q * len(latencies) + 0.5 - 1e-9))) - 1]
    states = {}
    for s in finished.values():
        states[s["state"]] = states.get(s["state"], 0) + 1
    attempts = sum(s["attempts"] for s in finished.values())
    result = {"jobs": args.jobs, "shards": args.shards, "states": states, "attempts": attempts,
              "redispatches": cluster.metric("orleansflow_shard_redispatches_total") - redispatched,
              "outcomes": {k: v - outcomes.get(k, 0) for k, v in cluster.outcomes().items()},
              "p50_s": rank(0.5), "p99_s": rank(0.99), "max_s": latencies[-1], "wall_s": end["time"] - start["time"],
              "submit_s": submitted - start["time"], "whole": per_shard(cluster, {**start, "done": 0}, end),
              "load": open("/proc/loadavg").read().split()[:3]}
    print(f"{args.jobs} jobs x {args.shards} shards ({args.model}): {states}; attempts {attempts} for {args.jobs * args.shards} shards; "
          f"re-dispatches {result['redispatches']:.0f}; shard runs by outcome {result['outcomes']}; latency p50 {result['p50_s']:.1f} s, p99 {result['p99_s']:.1f} s, "
          f"max {result['max_s']:.1f} s; all done in {result['wall_s']:.1f} s; scheduler {result['whole']['busy_ms']:.2f} ms/shard, "
          f"silo CPU {result['whole']['cpu_ms']:.2f} ms/shard, WAL {result['whole']['wal_bytes']:.0f} B/shard; load {' '.join(result['load'])}")
    print(json.dumps({"many": result}))


def reflow(cluster, args):
    body = {"kind": "reflow", "model": args.model, "sampler": args.sampler, "samples": args.samples,
            "shardSize": args.shard_size, "batchSize": args.batch_size, "seed": args.seed}
    start = cluster.snapshot()
    job = cluster.call("POST", "/v1/jobs", body)
    print(f"reflow job {job['id']}: {args.samples:,} pairs of {args.model}, {args.sampler}, {job['shardCount']} shards of {args.shard_size}", flush=True)
    killed, state = None, job
    while state["state"] not in ("succeeded", "failed", "cancelled"):
        time.sleep(args.poll)
        try:
            state = cluster.call("GET", f"/v1/jobs/{job['id']}", port=cluster.live_ports()[0])
        except OSError as e:  # a read that reached the killed silo before it is declared dead: retried
            print(f"status read failed ({e}); retrying", flush=True)
            continue
        if killed is None and args.kill_pid and state["shardsDone"] >= args.kill_at * job["shardCount"]:
            os.kill(args.kill_pid, 9)
            cluster.dead.add(cluster.ports[args.kill_index])
            killed = {"shards_done": state["shardsDone"], "in_flight": state.get("inFlight"), "after_s": time.monotonic() - start["time"]}
            print(f"SIGKILL silo pid {args.kill_pid} (port {cluster.ports[args.kill_index]}) at {state['shardsDone']}/{job['shardCount']} shards, "
                  f"{killed['after_s']:.0f} s in; in flight: {killed['in_flight']}", flush=True)
    end = cluster.snapshot()
    end["done"] = job["shardCount"]
    wall = end["time"] - start["time"]
    result = {"job": job["id"], "state": state["state"], "pairs": args.samples, "shards": job["shardCount"], "attempts": state["attempts"],
              "wall_s": wall, "pairs_per_s": args.samples / wall, "killed": killed,
              "scheduler_busy_ms_per_shard_surviving": 1000 * (end["busy"] - start["busy"]) / job["shardCount"],
              "wal_bytes_per_shard": cluster.wal_bytes(start["wal"], end["wal"]) / job["shardCount"],
              "wal_bytes": cluster.wal_bytes(start["wal"], end["wal"]), "load": open("/proc/loadavg").read().split()[:3]}
    with open(args.status, "w") as f:
        json.dump({"result": result, "status": state}, f)
    print(f"{state['state']}: {args.samples:,} pairs in {wall:.0f} s ({result['pairs_per_s']:.1f} pairs/s), {job['shardCount']} shards, "
          f"{state['attempts']} attempts; scheduler busy {result['scheduler_busy_ms_per_shard_surviving']:.2f} ms/shard (surviving silos' counters); "
          f"PostgreSQL WAL {result['wal_bytes'] / 1e6:.2f} MB, {result['wal_bytes_per_shard']:.0f} B/shard; load {' '.join(result['load'])}", flush=True)
    print(json.dumps({"reflow": result}))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["big", "many", "reflow"])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--silos", type=int, default=3)
    parser.add_argument("--pids", default="", help="the silo processes, comma-separated (CPU seconds)")
    parser.add_argument("--token", default="local-token")
    parser.add_argument("--model", default="sleep-200")
    parser.add_argument("--sizes", default="100,1000,10000")
    parser.add_argument("--jobs", type=int, default=100)
    parser.add_argument("--shards", type=int, default=10)
    parser.add_argument("--poll", type=float, default=0.1)
    parser.add_argument("--sampler", default="heun:steps=8")
    parser.add_argument("--samples", type=int, default=200000)
    parser.add_argument("--shard-size", type=int, default=1000)
    parser.add_argument("--batch-size", type=int, default=250)
    parser.add_argument("--seed", type=int, default=18)
    parser.add_argument("--kill-at", type=float, default=0.3, help="fraction of shards done when --kill-pid is killed")
    parser.add_argument("--kill-pid", type=int, default=0)
    parser.add_argument("--kill-index", type=int, default=1, help="which silo (0-based port order) --kill-pid is")
    parser.add_argument("--status", default="reflow-status.json")
    args = parser.parse_args()
    cluster = Cluster(args)
    {"big": big, "many": many, "reflow": reflow}[args.mode](cluster, args)


if __name__ == "__main__":
    main()
