#!/usr/bin/python3
"""The plain PyTorch sampling loop that `orleansflow bench-torch` measures the C# backend against.

    /usr/bin/python3 tools/torch_bench.py --model models/tiny-sit --sampler heun:steps=8 \
        --samples 256 --batch-size 64 --threads 1

Loads the package's TorchScript files as a plain PyTorch loop would (eval mode; --form frozen or
frozen+optimized for torch.jit.freeze, and torch.jit.optimize_for_inference after it), runs the same sampler formulas (DESIGN.md; FlowTurbo as in
models_assemble.py) under torch.inference_mode, one batch after another, after one warm-up batch,
and prints one JSON line: {"samples": N, "seconds": s, "samples_per_second": r}.
Noise is torch.randn (the C# side draws Philox noise on the host and uploads it: that cost is its own).
"""

import argparse
import json
import os
import time

import torch


def load(path, form):
    module = torch.jit.load(path).eval()
    if form == "frozen":
        return torch.jit.freeze(module, optimize_numerics=False)
    if form == "frozen+optimized":
        return torch.jit.optimize_for_inference(torch.jit.freeze(module))
    return module


def parse_sampler(text):
    name, _, params = text.partition(":")
    values = dict(p.split("=") for p in params.split(",") if p)
    return name, {k: int(v) for k, v in values.items()}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", required=True)
    parser.add_argument("--sampler", required=True)
    parser.add_argument("--samples", type=int, default=256)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--form", choices=["as-loaded", "frozen", "frozen+optimized"], default="as-loaded")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    with open(os.path.join(args.model, "model.json")) as f:
        manifest = json.load(f)
    if manifest.get("time_convention", "sit") != "sit":
        raise SystemExit("torch_bench.py implements the sit time convention only")
    predictor = load(os.path.join(args.model, manifest["files"]["predictor"]), args.form)
    refiner_file = manifest["files"].get("refiner")
    refiner = load(os.path.join(args.model, refiner_file), args.form) if refiner_file else None
    shape = manifest["input_shape"]
    classes = manifest.get("classes", 0)
    name, params = parse_sampler(args.sampler)

    def sample(x0, labels):
        def v(x, t):
            return predictor(x, torch.full((x.shape[0],), t), labels)

        def r(x, t, u):
            return refiner(x, torch.full((x.shape[0],), t), u, labels)

        def heun_step(x, d, t_next, h):
            d_next = v(torch.add(x, d, alpha=h), t_next)
            return torch.add(x, d, alpha=h / 2).add_(d_next, alpha=h / 2), d_next

        x = x0.clone()
        if name == "euler":
            n = params["steps"]
            for k in range(n):
                x = torch.add(x, v(x, k / n), alpha=1 / n)
        elif name == "heun":
            n = params["steps"]
            for k in range(n):
                x, _ = heun_step(x, v(x, k / n), (k + 1) / n, 1 / n)
        elif name == "flowturbo":
            H, P, R = params.get("h", 0), params.get("p", 0), params.get("r", 0)
            n, kept, k = H + P + R, None, 0
            h = 1 / n
            for _ in range(H):
                x, kept = heun_step(x, v(x, k / n), (k + 1) / n, h)
                k += 1
            for _ in range(P):
                x, kept = heun_step(x, kept if kept is not None else v(x, k / n), (k + 1) / n, h)
                k += 1
            for _ in range(R):
                u = kept if kept is not None else v(x, k / n)
                d = torch.add(r(x, k / n, u), u)
                d_next = torch.add(r(torch.add(x, d, alpha=h), (k + 1) / n, u), d)
                x = torch.add(x, d, alpha=h / 2).add_(d_next, alpha=h / 2)
                kept = d
                k += 1
        else:
            raise SystemExit(f"unknown sampler {name}")
        return x

    def batch(n):
        x0 = torch.randn(n, *shape)
        labels = torch.randint(0, max(classes, 1), (n,))
        return sample(x0, labels).numpy()

    with torch.inference_mode():
        batch(args.batch_size)  # warm-up: the profiling executor specialises on this shape
        start = time.perf_counter()
        done = 0
        while done < args.samples:
            n = min(args.batch_size, args.samples - done)
            batch(n)
            done += n
        seconds = time.perf_counter() - start
    print(json.dumps({"samples": done, "seconds": seconds, "samples_per_second": done / seconds}))


if __name__ == "__main__":
    main()
