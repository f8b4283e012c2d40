#!/usr/bin/python3
"""Times candidate Fashion-MNIST velocity networks and refiners before training (issue 17: size the
predictor at 0.5-5 ms per sample per call, the refiner at a tenth of that or less).

    /usr/bin/python3 tools/fashion_arch_bench.py [--batch 256] [--threads 2] [--repeats 5]

For each candidate: parameters, ms per sample of one TorchScript call at the batch size as loaded
(torch.jit.script), frozen (torch.jit.freeze) and frozen + torch.jit.optimize_for_inference (what the
shim did when this was written), and ms per training step (forward + backward, batch 128). Times are
the best of the repeats, so other load on the machine inflates them less. Prints one table.
"""

import argparse
import os
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fashion_common import Refiner, VelocityUNet  # noqa: E402

CANDIDATES = [
    ("unet ch32 groupnorm", lambda: VelocityUNet(32, 128, "group"), "v"),
    ("unet ch32 batchnorm", lambda: VelocityUNet(32, 128, "batch"), "v"),
    ("unet ch32 no norm", lambda: VelocityUNet(32, 128, "none"), "v"),
    ("unet ch48 no norm", lambda: VelocityUNet(48, 128, "none"), "v"),
    ("unet ch64 no norm", lambda: VelocityUNet(64, 128, "none"), "v"),
    ("refiner ch32 @14x14", lambda: Refiner(32), "r"),
    ("refiner ch24 @14x14", lambda: Refiner(24), "r"),
    ("refiner ch16 @14x14", lambda: Refiner(16), "r"),
]


def best_ms(fn, repeats):
    """(wall ms, process CPU ms / threads): the best of the repeats after one warm-up call. On a
    loaded machine the wall time measures the other processes too; CPU time per thread is what the
    call would take on idle cores if its threads kept both busy."""
    fn()
    wall, cpu = [], []
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - start)
        cpu.append((time.process_time() - start_cpu) / torch.get_num_threads())
    return min(wall) * 1000, min(cpu) * 1000


def args_for(kind, n):
    x = torch.randn(n, 1, 28, 28)
    t = torch.rand(n)
    label = torch.randint(0, 11, (n,))
    return (x, t, label) if kind == "v" else (x, t, torch.randn(n, 1, 28, 28), label)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--only", default=None, help="substring of the candidates to run")
    a = parser.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    print(f"batch {a.batch}, {a.threads} threads, torch {torch.__version__}, load average {os.getloadavg()[0]:.1f}")
    print("ms per sample per call, wall/CPU (CPU = process time / threads), best of the repeats; train step = CPU ms per forward+backward at batch 128")
    print(f"{'candidate':24} {'params':>9} {'loaded':>13} {'frozen':>13} {'frozen+ofi':>13}   {'train step':>11}")
    for name, make, kind in CANDIDATES:
        if a.only and a.only not in name:
            continue
        net = make()
        params = sum(p.numel() for p in net.parameters())
        # train-step time (forward + backward + nothing else) at batch 128
        net.train()
        targs = args_for(kind, 128)
        target = torch.randn(128, 1, 28, 28)

        def step():
            net.zero_grad()
            (net(*targs) - target).pow(2).mean().backward()

        train_ms = best_ms(step, max(2, a.repeats // 2))[1]
        net.eval()
        iargs = args_for(kind, a.batch)
        with torch.inference_mode():
            loaded = torch.jit.script(net)
            frozen = torch.jit.freeze(torch.jit.script(net))
            ofi = torch.jit.optimize_for_inference(torch.jit.freeze(torch.jit.script(net)))
            row = [best_ms(lambda m=m: m(*iargs), a.repeats) for m in (loaded, frozen, ofi)]
        cells = " ".join(f"{w / a.batch:7.2f}/{c / a.batch:5.2f}" for w, c in row)
        print(f"{name:24} {params:9,} {cells}   {train_ms:8.0f} ms", flush=True)


if __name__ == "__main__":
    main()
