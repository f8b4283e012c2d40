#!/usr/bin/python3
"""Straightness of the digits flows, the measure of the Rectified Flow paper (Liu et al. 2022, eq. 5):

    S(Z) = ∫_0^1 E ||(Z_1 - Z_0) - dZ_t/dt||² dt

estimated on sampled trajectories: N noises (fixed seed, labels i mod 10), the ODE dZ/dt = v(Z, t, label)
solved by Euler with K steps, dZ_t/dt = v at each grid point, Z_1 - Z_0 the trajectory's displacement,
the integral as the mean over the K grid points. 0 means straight lines (one Euler step is exact).

    /usr/bin/python3 tools/digits_straightness.py [--samples 1000] [--steps 100]

Prints S summed over the 64 pixels (the paper's squared norm) and per pixel, for digits-rf (1-rectified)
and digits-2rf (2-rectified), computed here in Python with the exported TorchScript predictors.
"""

import argparse
import json
import os

import torch

from digits_common import MODELS


@torch.no_grad()
def straightness(predictor, x0, labels, steps):
    x, velocities = x0.clone(), []
    for k in range(steps):
        v = predictor(x, torch.full((len(x),), k / steps), labels)
        velocities.append(v)
        x = x + v / steps
    displacement = x - x0
    per_step = torch.stack([((displacement - v) ** 2).flatten(1).sum(1) for v in velocities])  # [K, N]
    return per_step.mean().item()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--steps", type=int, default=100)
    args = parser.parse_args()
    torch.set_num_threads(1)
    g = torch.Generator().manual_seed(8)
    x0 = torch.randn((args.samples, 1, 8, 8), generator=g)
    labels = torch.arange(args.samples) % 10
    results = {}
    for package in ("digits-rf", "digits-2rf"):
        predictor = torch.jit.load(os.path.join(MODELS, package, "predictor.pt")).eval()
        s = straightness(predictor, x0, labels, args.steps)
        results[package] = {"S": s, "S_per_pixel": s / 64}
        print(f"{package}: S = {s:.4f} (sum over 64 pixels), {s / 64:.5f} per pixel; "
              f"{args.samples} trajectories, Euler {args.steps} steps")
    print(json.dumps(results))


if __name__ == "__main__":
    main()
