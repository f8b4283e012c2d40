#!/usr/bin/python3
"""Checks the Fashion-MNIST FID network and model before anything rests on them (issue 17), in Python
(the C# evaluation suite is the real measurement; this is the independent check):

    /usr/bin/python3 tools/fashion_checks.py [--models models] [--samples 1000] [--seeds 3]
        [--steps 4,8,32] [--reference-steps 64] [--trajectory-samples 200] [--grid docs/fashion-samples.png]

  1. FID (pool features of models/fashion-fid/eval.pt) of the 60,000 training images against the
     test batch's statistics (reference.npz): near zero if the network measures the distribution.
  2. FID of Heun N samples of models/fashion-rf (random labels, uniform over the 10 classes), for
     each N, over --seeds seeds of --samples samples: mean ± sd; the ordering Heun 4 > 8 > 32 must
     hold with gaps larger than the spreads.
  3. Trajectory error: RMS per pixel between Heun N and Heun --reference-steps from the same noises
     and labels, on --trajectory-samples samples.
  4. With --grid: a PNG of Heun 32 samples, one row per class (the labels' names in the README).

Sampling uses the TorchScript files as shipped, 2 threads, batches of 250. Prints one JSON object last.
"""

import argparse
import json
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fashion_common import CLASSES, MODELS, fid_preprocess, heun_sample, rms, threads, to_uint8  # noqa: E402
import fashion_data  # noqa: E402
from eval_reference import frechet_distance  # noqa: E402


def pool_features(eval_net, x):
    out = []
    with torch.inference_mode():
        for i in range(0, len(x), 500):
            out.append(eval_net(fid_preprocess(x[i:i + 500]))[0].double())
    return torch.cat(out).numpy()


def fid(eval_net, x, mu, sigma):
    f = pool_features(eval_net, x)
    return frechet_distance(f.mean(0), np.cov(f, rowvar=False), mu, sigma)


def sample(predictor, steps, n, seed):
    g = torch.Generator().manual_seed(seed)
    x0 = torch.randn((n, 1, 28, 28), generator=g)
    labels = torch.randint(0, CLASSES, (n,), generator=g)
    with torch.inference_mode():
        return torch.cat([heun_sample(predictor, x0[i:i + 250], labels[i:i + 250], steps) for i in range(0, n, 250)]), labels


def write_grid(predictor, path, per_class=10):
    from PIL import Image

    g = torch.Generator().manual_seed(123)
    labels = torch.arange(CLASSES).repeat_interleave(per_class)
    x0 = torch.randn((len(labels), 1, 28, 28), generator=g)
    with torch.inference_mode():
        x = heun_sample(predictor, x0, labels, 32)
    u = to_uint8(x)[:, 0].numpy().reshape(CLASSES, per_class, 28, 28)
    pad = 2
    canvas = np.full((CLASSES * (28 + pad) + pad, per_class * (28 + pad) + pad), 255, np.uint8)
    for r in range(CLASSES):
        for c in range(per_class):
            canvas[pad + r * (28 + pad):pad + r * (28 + pad) + 28, pad + c * (28 + pad):pad + c * (28 + pad) + 28] = u[r, c]
    Image.fromarray(canvas).resize((canvas.shape[1] * 3, canvas.shape[0] * 3), Image.NEAREST).save(path)
    print(f"wrote {path}: Heun 32, one row per class ({', '.join(fashion_data.NAMES)})", flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--models", default=MODELS)
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--steps", default="4,8,32")
    parser.add_argument("--reference-steps", type=int, default=64)
    parser.add_argument("--trajectory-samples", type=int, default=200)
    parser.add_argument("--grid", default=None)
    parser.add_argument("--skip-train-fid", action="store_true")
    a = parser.parse_args()
    threads()
    eval_net = torch.jit.load(os.path.join(a.models, "fashion-fid", "eval.pt")).eval()
    predictor = torch.jit.load(os.path.join(a.models, "fashion-rf", "predictor.pt")).eval()
    ref = np.load(os.path.join(a.models, "fashion-fid", "reference.npz"))
    mu, sigma = ref["mu"], ref["sigma"]
    result = {"samples": a.samples, "seeds": a.seeds}

    if a.grid:
        write_grid(predictor, a.grid)

    if not a.skip_train_fid:
        start = time.time()
        x, _ = fashion_data.load("train")
        result["fid_train_vs_test"] = fid(eval_net, x, mu, sigma)
        xt, _ = fashion_data.load("test")
        # the same statistic for two disjoint halves of the training set against the test set, for scale
        result["fid_train_first_10k_vs_test"] = fid(eval_net, x[:10000], mu, sigma)
        result["fid_test_vs_test"] = fid(eval_net, xt, mu, sigma)
        print(f"FID train (60,000) vs test: {result['fid_train_vs_test']:.4f}; first 10,000 train vs test "
              f"{result['fid_train_first_10k_vs_test']:.4f}; test vs itself {result['fid_test_vs_test']:.2e} "
              f"({time.time() - start:.0f} s)", flush=True)

    steps = [int(s) for s in a.steps.split(",")]
    result["fid"] = {}
    for n in steps:
        values = []
        for seed in range(a.seeds):
            start = time.time()
            x, _ = sample(predictor, n, a.samples, 1000 + seed)
            values.append(fid(eval_net, x, mu, sigma))
            print(f"heun {n} seed {seed}: FID {values[-1]:.4f} ({time.time() - start:.0f} s)", flush=True)
        result["fid"][f"heun{n}"] = {"values": values, "mean": float(np.mean(values)), "sd": float(np.std(values, ddof=1)) if len(values) > 1 else None}

    start = time.time()
    reference, _ = sample(predictor, a.reference_steps, a.trajectory_samples, 7)
    result["trajectory_rms"] = {f"heun{n}": rms(sample(predictor, n, a.trajectory_samples, 7)[0], reference) for n in steps}
    print(f"trajectory RMS vs heun {a.reference_steps} on {a.trajectory_samples} samples: "
          + ", ".join(f"{k} {v:.4f}" for k, v in result["trajectory_rms"].items()) + f" ({time.time() - start:.0f} s)", flush=True)

    fids = [result["fid"][f"heun{n}"] for n in steps]
    ordered = all(fids[i]["mean"] - (fids[i]["sd"] or 0) > fids[i + 1]["mean"] + (fids[i + 1]["sd"] or 0) for i in range(len(fids) - 1))
    trajectory = [result["trajectory_rms"][f"heun{n}"] for n in steps]
    result["fid_ordered_beyond_spread"] = ordered
    result["trajectory_ordered"] = all(trajectory[i] > trajectory[i + 1] for i in range(len(trajectory) - 1))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
