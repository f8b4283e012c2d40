#!/usr/bin/python3
"""Inputs and the scipy baseline of bench/frechet-finaliser.sh (the fid finaliser at high dimension).

Run with Debian's interpreter (python3-numpy, python3-scipy):

    /usr/bin/python3 tools/frechet_finaliser.py make OUT_DIR [--dimension 2048] [--components 4] [--seed 0]
    /usr/bin/python3 tools/frechet_finaliser.py sqrtm STATS.npz REFERENCE.npz

`make` writes OUT_DIR/mixture.json (a `gmm:` model: an isotropic Gaussian mixture of shape [D,1,1],
unconditional) and OUT_DIR/reference.npz (mu, sigma: the mixture's exact moments, float64, as
pytorch-fid saves statistics). `sqrtm` reads two pytorch-fid statistics files and prints one JSON
line: the seconds of scipy.linalg.sqrtm(sigma1 @ sigma2) alone (what the issue compares the
finaliser's Fréchet step with) and of pytorch-fid's whole formula, and the FID.
"""

import argparse
import json
import os
import sys
import time

import numpy as np
from scipy import linalg

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fid_golden import calculate_frechet_distance  # noqa: E402


def make(args):
    rng = np.random.default_rng(args.seed)
    d, k = args.dimension, args.components
    weights = np.full(k, 1.0 / k)
    means = rng.standard_normal((k, d)) * 2.0
    stds = rng.uniform(0.3, 1.0, k)
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "mixture.json"), "w") as f:
        json.dump({"shape": [d, 1, 1], "weights": weights.tolist(), "means": means.tolist(), "stds": stds.tolist()}, f)
    # Exact moments of the mixture: E x = sum w mu_k; Cov x = sum w (s_k^2 I + mu_k mu_k^T) - m m^T.
    mean = weights @ means
    second = (means.T * weights) @ means + np.eye(d) * float(weights @ stds ** 2)
    np.savez(os.path.join(args.out, "reference.npz"), mu=mean, sigma=second - np.outer(mean, mean))


def sqrtm(args):
    first, second = np.load(args.stats), np.load(args.reference)
    mu1, sigma1, mu2, sigma2 = first["mu"], first["sigma"], second["mu"], second["sigma"]
    start = time.perf_counter()
    linalg.sqrtm(sigma1.dot(sigma2), disp=False)
    sqrtm_seconds = time.perf_counter() - start
    start = time.perf_counter()
    fid, _ = calculate_frechet_distance(mu1, sigma1, mu2, sigma2)
    formula_seconds = time.perf_counter() - start
    print(json.dumps({"sqrtmSeconds": sqrtm_seconds, "formulaSeconds": formula_seconds, "fid": fid}))


def main():
    parser = argparse.ArgumentParser()
    commands = parser.add_subparsers(dest="command", required=True)
    p = commands.add_parser("make")
    p.add_argument("out")
    p.add_argument("--dimension", type=int, default=2048)
    p.add_argument("--components", type=int, default=4)
    p.add_argument("--seed", type=int, default=0)
    p = commands.add_parser("sqrtm")
    p.add_argument("stats")
    p.add_argument("reference")
    args = parser.parse_args()
    make(args) if args.command == "make" else sqrtm(args)


if __name__ == "__main__":
    main()
