#!/usr/bin/python3
"""Reference implementation of OrleansFlow's evaluation suite, for cross-checking it.

Computes FID, sFID, Inception Score, precision/recall and KID from features with numpy/scipy only,
following the published definitions of the ADM evaluator (openai/guided-diffusion
evaluations/evaluator.py: FID/sFID via scipy sqrtm with the eps retry, IS over splits of 5,000,
Kynkaanniemi et al. precision/recall with k = 3) and torch-fidelity's metric_kid.py (unbiased
polynomial-kernel MMD^2, degree 3, gamma = 1/D, coef0 = 1, 100 subsets of 1,000). It is written
from those descriptions, not copied, and computes every quantity the direct way (full softmax
matrix, full kernel and distance matrices) so it checks the project's sharded sums independently.

Two places fix a choice the references leave open, in the same way OrleansFlow does:
  * KID subsets: SplitMix64 seeded with the job seed driving a partial Fisher-Yates shuffle
    (torch-fidelity uses numpy's RandomState(2020).choice); per subset, generated indices then
    reference indices, from one stream. The subset size is min(1000, N_gen, N_ref).
  * Precision/recall distances: squared Euclidean in float64 with one summation order (4 lanes,
    lane l sums dimensions d = l mod 4 in order, then (l0+l1)+(l2+l3)); the ADM evaluator uses
    ||u||^2 - 2u.v + ||v||^2 in fp16/fp32. A fixed order makes the counts comparable exactly.

Input: an .npz with
  gen_pool [N, D] float32       pooled features of the generated samples (FID, KID, P/R)
  ref_pool [M, D]               pooled features of the reference (KID, P/R; FID when no mu/sigma)
  mu, sigma                     reference pool statistics (optional; else from ref_pool)
  gen_spatial [N, S], ref_spatial [M, S] or mu_s, sigma_s   (optional: sFID)
  gen_logits [N, C]             (optional: Inception Score)
Usage: /usr/bin/python3 tools/eval_reference.py FEATURES.npz [--seed S] [--split-size 5000]
       [--kid-subsets 100] [--kid-subset-size 1000] [--neighbours 3]
Prints one JSON object.
"""
import argparse
import json

import numpy as np
from scipy import linalg

MASK64 = (1 << 64) - 1


def frechet_distance(mu1, sigma1, mu2, sigma2, eps=1e-6):
    """pytorch-fid's calculate_frechet_distance (also the ADM evaluator's FIDStatistics.frechet_distance)."""
    diff = mu1 - mu2
    covmean, _ = linalg.sqrtm(sigma1.dot(sigma2), disp=False)
    if not np.isfinite(covmean).all():
        offset = np.eye(sigma1.shape[0]) * eps
        covmean = linalg.sqrtm((sigma1 + offset).dot(sigma2 + offset))
    if np.iscomplexobj(covmean):
        if not np.allclose(np.diagonal(covmean).imag, 0, atol=1e-3):
            raise ValueError("Imaginary component %g" % np.max(np.abs(covmean.imag)))
        covmean = covmean.real
    return float(diff.dot(diff) + np.trace(sigma1) + np.trace(sigma2) - 2 * np.trace(covmean))


def statistics(features):
    f = features.astype(np.float64)
    return f.mean(axis=0), np.cov(f, rowvar=False)


def inception_score(logits, split_size):
    """ADM: exp(mean KL(p_i || mean p)) per split of split_size consecutive samples; mean and std over splits."""
    z = logits.astype(np.float64)
    z = z - z.max(axis=1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    p = np.exp(log_p)
    scores = []
    for start in range(0, len(p), split_size):
        part, log_part = p[start:start + split_size], log_p[start:start + split_size]
        mean = part.mean(axis=0)
        log_mean = np.log(np.where(mean > 0, mean, 1.0))
        kl = (part * (log_part - log_mean[None, :])).sum(axis=1).mean()
        scores.append(float(np.exp(kl)))
    return {"mean": float(np.mean(scores)), "std": float(np.std(scores)), "splits": scores}


class SplitMix64:
    def __init__(self, seed):
        self.state = seed & MASK64

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK64
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
        return z ^ (z >> 31)

    def below(self, bound):
        threshold = (1 << 64) % bound
        while True:
            x = self.next()
            if x >= threshold:
                return x % bound

    def subset(self, population, size):
        order = list(range(population))
        for i in range(size):
            j = i + self.below(population - i)
            order[i], order[j] = order[j], order[i]
        return np.array(order[:size])


def polynomial_mmd2(x, y):
    """Unbiased MMD^2 with k(a, b) = (a.b / D + 1)^3 (torch-fidelity mmd2 with mmd_est='unbiased')."""
    m, d = x.shape
    k_xx = (x @ x.T / d + 1) ** 3
    k_yy = (y @ y.T / d + 1) ** 3
    k_xy = (x @ y.T / d + 1) ** 3
    within = (k_xx.sum() - np.trace(k_xx)) + (k_yy.sum() - np.trace(k_yy))
    return float(within / (m * (m - 1)) - 2 * k_xy.sum() / (m * m))


def kid(gen, ref, seed, subsets, subset_size):
    size = min(subset_size, len(gen), len(ref))
    rng = SplitMix64(seed)
    draws = [(rng.subset(len(gen), size), rng.subset(len(ref), size)) for _ in range(subsets)]
    g, r = gen.astype(np.float64), ref.astype(np.float64)
    values = [polynomial_mmd2(g[a], r[b]) for a, b in draws]
    return {"mean": float(np.mean(values)), "std": float(np.std(values)), "subsetSize": size, "subsets": values}


def squared_distances(a, b):
    """||a_i - b_j||^2 in float64, lane l of 4 summing dimensions d = l (mod 4) in order, then (l0+l1)+(l2+l3)."""
    d = a.shape[1]
    width = (d + 3) // 4 * 4
    pa = np.zeros((len(a), width)); pa[:, :d] = a
    pb = np.zeros((len(b), width)); pb[:, :d] = b
    lanes = np.zeros((4, len(a), len(b)))
    for start in range(0, width, 4):
        for lane in range(4):
            diff = pa[:, None, start + lane] - pb[None, :, start + lane]
            lanes[lane] += diff * diff
    return (lanes[0] + lanes[1]) + (lanes[2] + lanes[3])


def precision_recall(gen, ref, k):
    """Kynkaanniemi et al. 2019 as the ADM ManifoldEstimator: radius = k-th neighbour distance (self included at index 0)."""
    g, r = gen.astype(np.float64), ref.astype(np.float64)
    ref_radii = np.partition(squared_distances(r, r), k, axis=1)[:, k]
    gen_radii = np.partition(squared_distances(g, g), k, axis=1)[:, k]
    precision = int((squared_distances(g, r) <= ref_radii[None, :]).any(axis=1).sum())
    recall = int((squared_distances(r, g) <= gen_radii[None, :]).any(axis=1).sum())
    return {"generatedInside": precision, "generated": len(g), "referenceInside": recall, "reference": len(r),
            "precision": precision / len(g), "recall": recall / len(r)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("features")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--split-size", type=int, default=5000)
    parser.add_argument("--kid-subsets", type=int, default=100)
    parser.add_argument("--kid-subset-size", type=int, default=1000)
    parser.add_argument("--neighbours", type=int, default=3)
    args = parser.parse_args()
    data = np.load(args.features)
    result = {}
    gen = data["gen_pool"]
    if "mu" in data:
        mu, sigma = data["mu"], data["sigma"]
    else:
        mu, sigma = statistics(data["ref_pool"])
    result["fid"] = frechet_distance(*statistics(gen), mu, sigma)
    if "gen_spatial" in data:
        ref_s = (data["mu_s"], data["sigma_s"]) if "mu_s" in data else statistics(data["ref_spatial"])
        result["sfid"] = frechet_distance(*statistics(data["gen_spatial"]), *ref_s)
    if "gen_logits" in data:
        result["is"] = inception_score(data["gen_logits"], args.split_size)
    if "ref_pool" in data:
        result["kid"] = kid(gen, data["ref_pool"], args.seed, args.kid_subsets, args.kid_subset_size)
        result["prc"] = precision_recall(gen, data["ref_pool"], args.neighbours)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
