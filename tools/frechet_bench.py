#!/usr/bin/python3
"""Two d-dimensional feature statistics and pytorch-fid's Fréchet distance between them, timed.

Run with Debian's interpreter (python3-numpy, python3-scipy):

    /usr/bin/python3 tools/frechet_bench.py OUT_DIR [--dimension 2048] [--samples 4096] [--seed 0]

Writes OUT_DIR/first.npz and OUT_DIR/second.npz (mu, sigma: float64, as pytorch-fid saves
statistics), then times fid_golden.calculate_frechet_distance (pytorch-fid fid_score.py's formula,
scipy.linalg.sqrtm of sigma1·sigma2) on them and prints one JSON line: {"fid", "seconds",
"dimension", "samples", "blas"}. The statistics are np.cov of `samples` correlated Gaussian draws, so
with fewer samples than dimensions they are rank-deficient, as small Inception runs are.
"""

import argparse
import json
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fid_golden import calculate_frechet_distance, sample_statistics  # noqa: E402


def blas_name():
    """The BLAS numpy runs on (Debian switches it with update-alternatives)."""
    try:
        return os.path.realpath("/usr/lib/x86_64-linux-gnu/libblas.so.3")
    except OSError:
        return "unknown"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--dimension", type=int, default=2048)
    parser.add_argument("--samples", type=int, default=4096)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    os.makedirs(args.out, exist_ok=True)
    rng = np.random.default_rng(args.seed)
    statistics = [sample_statistics(rng, args.samples, args.dimension, scale) for scale in (1.0, 1.2)]
    for name, (mu, sigma) in zip(("first", "second"), statistics):
        np.savez(os.path.join(args.out, name + ".npz"), mu=mu, sigma=sigma)

    (mu1, sigma1), (mu2, sigma2) = statistics
    start = time.perf_counter()
    fid, eps_retried = calculate_frechet_distance(mu1, sigma1, mu2, sigma2)
    seconds = time.perf_counter() - start
    print(json.dumps({"fid": fid, "seconds": seconds, "epsRetried": eps_retried, "dimension": args.dimension,
                      "samples": args.samples, "blas": blas_name()}))


if __name__ == "__main__":
    main()
