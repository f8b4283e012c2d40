#!/usr/bin/python3
"""Closed-loop load on POST /v1/generate: CLIENTS threads, each sending REQUESTS requests one after
another (a fresh seed each), after WARMUP requests per client that are not counted. Prints one JSON
line: clients, requests, seconds, requests_per_second, p50_ms, p99_ms, max_ms, statuses.

    bench/generate_load.py --url http://127.0.0.1:8081 --token local-token --clients 8 --requests 40 \
        --body '{"model":"digits-rf","sampler":"heun:steps=8","samples":16,"format":"array"}'
"""

import argparse
import json
import threading
import time
import urllib.error
import urllib.request


def percentile(values, q):
    ordered = sorted(values)
    # nearest rank, as in the benchmark notes
    rank = max(1, int(round(q / 100 * len(ordered) + 0.5 - 1e-9)))
    return ordered[min(rank, len(ordered)) - 1]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--clients", type=int, default=1)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--body", required=True)
    args = parser.parse_args()
    body = json.loads(args.body)
    latencies, statuses, lock = [], {}, threading.Lock()
    start_barrier = threading.Barrier(args.clients + 1)

    def call(seed):
        request = urllib.request.Request(
            args.url.rstrip("/") + "/v1/generate",
            data=json.dumps(dict(body, seed=seed)).encode(),
            headers={"Authorization": f"Bearer {args.token}", "Content-Type": "application/json"},
        )
        began = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                response.read()
                status = response.status
        except urllib.error.HTTPError as error:
            status = error.code
        return status, time.perf_counter() - began

    def client(index):
        for k in range(args.warmup):
            call(1_000_000 + index * 1000 + k)
        start_barrier.wait()
        for k in range(args.requests):
            status, seconds = call(index * 100_000 + k)
            with lock:
                statuses[status] = statuses.get(status, 0) + 1
                if status == 200:
                    latencies.append(seconds)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(args.clients)]
    for thread in threads:
        thread.start()
    start_barrier.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - began
    print(json.dumps({
        "clients": args.clients,
        "requests": len(latencies),
        "seconds": round(seconds, 3),
        "requests_per_second": round(len(latencies) / seconds, 2),
        "p50_ms": round(percentile(latencies, 50) * 1000, 1),
        "p99_ms": round(percentile(latencies, 99) * 1000, 1),
        "max_ms": round(max(latencies) * 1000, 1),
        "statuses": statuses,
    }))


if __name__ == "__main__":
    main()
