#!/usr/bin/python3
"""Which FlowTurbo schedules can reach Heun 8 on models/fashion-rf, before a refiner is trained for them.

    /usr/bin/python3 tools/fashion_schedule_scan.py [--max-predictor-nfe 7] [--steps 8,10,12,14] [--pseudo-only]

A refiner can at best replace each of its steps by the exact Heun step it stands for, so the schedule
with its refiner steps done by the predictor (train_digits_refiner.heun_tail: "a perfect refiner") is the
floor of the trajectory error a trained refiner reaches. This prints that floor, against Heun 64 from the
same 200 held-out noises as tools/train_fashion_refiner.py's check, for every (H, P, R) with
H + P + R in --steps and predictor NFE 2H + P at most --max-predictor-nfe (Heun 8 costs 16), beside
Heun 6..10. Only schedules whose floor is below Heun 8's are worth a refiner. --pseudo-only scans the
schedules without refiner steps instead (H Heun steps, then P pseudo-corrector steps): what they print is
their own error, not a floor, since they need no trained network.
"""

import argparse
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fashion_common import CLASSES, heun_sample, rms  # noqa: E402
from train_digits_refiner import heun_tail  # noqa: E402
from train_fashion_refiner import HELDOUT, load_predictor  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--max-predictor-nfe", type=int, default=7)
    parser.add_argument("--steps", default="8,10,12,14", help="total steps H+P+R to try")
    parser.add_argument("--pseudo-only", action="store_true", help="scan H+P schedules (R = 0) instead")
    a = parser.parse_args()
    torch.set_num_threads(2)
    predictor = load_predictor()
    g = torch.Generator().manual_seed(10)  # train_fashion_refiner's held-out noises
    x0 = torch.randn((HELDOUT, 1, 28, 28), generator=g)
    labels = torch.randint(0, CLASSES, (HELDOUT,), generator=g)
    with torch.no_grad():
        reference = heun_sample(predictor, x0, labels, 64)
        for n in range(6, 11):
            print(f"heun {n:2d}: predictor NFE {2 * n:2d}, RMS {rms(heun_sample(predictor, x0, labels, n), reference):.4f}", flush=True)
        for n in (int(s) for s in a.steps.split(",")):
            for h in range(1, n):
                for p in range(0, n - h + 1):
                    r = n - h - p
                    if 2 * h + p > a.max_predictor_nfe or (r == 0) != a.pseudo_only:
                        continue
                    error = rms(heun_tail(predictor, x0, labels, h, p, r), reference)
                    what = "RMS" if a.pseudo_only else "perfect-refiner RMS"
                    print(f"h{h}p{p}r{r} (steps {n}): predictor NFE {2 * h + p}, refiner calls {2 * r}, "
                          f"{what} {error:.4f}", flush=True)


if __name__ == "__main__":
    main()
