#!/usr/bin/python3
"""Golden files for the OrleansFlow FID statistics tests.

Run with Debian's interpreter (python3-numpy, python3-scipy):

    /usr/bin/python3 tools/fid_golden.py

Writes into tests/OrleansFlow.Grains.Tests/Statistics/Golden/. Deterministic: every case draws from
its own fixed seed, so re-running reproduces the same bytes for the same numpy version.

Files:
  fid_<case>.npz      mu1, sigma1, mu2, sigma2 (float64); fid (float64 scalar) from pytorch-fid's
                      algorithm; eps_retried (int64 scalar, 1 when the eps=1e-6 retry was taken).
  features_300x8.npz  features (300x8 float32), mean and cov = np.cov(rowvar=False) in float64.
  compressed.npz      np.savez_compressed of mu/sigma plus int64, float32 and uint8 arrays.
  header_v1.npy, header_v2.npy, header_v3.npy
                      one float64 (3, 4) array under each .npy header version.
  big_endian.npy, fortran_order.npy, complex128.npy
                      arrays the reader must refuse with a clear message.
"""

import os

import numpy as np
from scipy import linalg

GOLDEN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                      "OrleansFlow.Grains.Tests", "Statistics", "Golden")


def calculate_frechet_distance(mu1, sigma1, mu2, sigma2, eps=1e-6):
    """pytorch-fid fid_score.py calculate_frechet_distance, returning (fid, eps_retried).

    d^2 = ||mu1 - mu2||^2 + Tr(sigma1 + sigma2 - 2*sqrt(sigma1*sigma2)); when sqrtm of the product is
    not finite, eps*I is added to both covariances and sqrtm recomputed; a complex result keeps its
    real part (after pytorch-fid's check that the diagonal's imaginary part is within atol=1e-3).
    """
    mu1 = np.atleast_1d(mu1)
    mu2 = np.atleast_1d(mu2)
    sigma1 = np.atleast_2d(sigma1)
    sigma2 = np.atleast_2d(sigma2)
    assert mu1.shape == mu2.shape and sigma1.shape == sigma2.shape

    diff = mu1 - mu2
    covmean, _ = linalg.sqrtm(sigma1.dot(sigma2), disp=False)
    eps_retried = False
    if not np.isfinite(covmean).all():
        eps_retried = True
        offset = np.eye(sigma1.shape[0]) * eps
        covmean = linalg.sqrtm((sigma1 + offset).dot(sigma2 + offset))
    if np.iscomplexobj(covmean):
        if not np.allclose(np.diagonal(covmean).imag, 0, atol=1e-3):
            raise ValueError("Imaginary component {}".format(np.max(np.abs(covmean.imag))))
        covmean = covmean.real
    tr_covmean = np.trace(covmean)
    fid = diff.dot(diff) + np.trace(sigma1) + np.trace(sigma2) - 2 * tr_covmean
    return float(fid), eps_retried


def sample_statistics(rng, n, d, scale):
    """Mean and np.cov of n samples of a random correlated Gaussian in d dimensions."""
    mixing = rng.standard_normal((d, d)) * scale / np.sqrt(d)
    shift = rng.standard_normal(d)
    samples = rng.standard_normal((n, d)) @ mixing.T + shift
    return samples.mean(axis=0), np.cov(samples, rowvar=False)


def write_fid_case(name, mu1, sigma1, mu2, sigma2):
    fid, eps_retried = calculate_frechet_distance(mu1, sigma1, mu2, sigma2)
    np.savez(os.path.join(GOLDEN, "fid_%s.npz" % name),
             mu1=mu1, sigma1=sigma1, mu2=mu2, sigma2=sigma2,
             fid=np.float64(fid), eps_retried=np.int64(eps_retried))
    print("fid_%s: fid=%.17g eps_retried=%s" % (name, fid, eps_retried))


def write_fid_cases():
    for d in (2, 16, 64):
        rng = np.random.default_rng(1000 + d)
        mu1, sigma1 = sample_statistics(rng, 4 * d + 10, d, 1.0)
        mu2, sigma2 = sample_statistics(rng, 4 * d + 10, d, 1.5)
        write_fid_case("dim%d" % d, mu1, sigma1, mu2, sigma2)

    # Fewer samples than dimensions, so both covariances are singular (pytorch-fid issue #13).
    rng = np.random.default_rng(2013)
    mu1, sigma1 = sample_statistics(rng, 20, 48, 1.0)
    mu2, sigma2 = sample_statistics(rng, 30, 48, 1.0)
    write_fid_case("rank_deficient", mu1, sigma1, mu2, sigma2)

    # Two draws of 4000 samples each from the same distribution: FID close to 0.
    rng = np.random.default_rng(7)
    d = 16
    mixing = rng.standard_normal((d, d)) / np.sqrt(d)
    draws = [rng.standard_normal((4000, d)) @ mixing.T + 0.5 for _ in range(2)]
    write_fid_case("nearly_identical",
                   draws[0].mean(axis=0), np.cov(draws[0], rowvar=False),
                   draws[1].mean(axis=0), np.cov(draws[1], rowvar=False))


def write_features_case():
    # Non-negative, ReLU-like features with a mean of the same order as their spread, as Inception
    # pool_3 features are; float32 as a feature extractor would hand them over.
    rng = np.random.default_rng(300)
    features = np.maximum(rng.standard_normal((300, 8)) * 0.7 + 0.4, 0).astype(np.float32)
    as_double = features.astype(np.float64)
    np.savez(os.path.join(GOLDEN, "features_300x8.npz"), features=features,
             mean=as_double.mean(axis=0), cov=np.cov(as_double, rowvar=False))


def write_format_cases():
    rng = np.random.default_rng(42)
    mu, sigma = sample_statistics(rng, 40, 6, 1.0)
    np.savez_compressed(os.path.join(GOLDEN, "compressed.npz"),
                        mu=mu, sigma=sigma,
                        counts=np.arange(-3, 9, dtype=np.int64).reshape(3, 4),
                        halves=(np.arange(10, dtype=np.float32) / 2).reshape(2, 5),
                        arr_0=np.arange(2 * 3 * 4 * 3, dtype=np.uint8).reshape(2, 3, 4, 3))

    grid = np.arange(12, dtype=np.float64).reshape(3, 4) / 8
    for version in ((1, 0), (2, 0), (3, 0)):
        with open(os.path.join(GOLDEN, "header_v%d.npy" % version[0]), "wb") as f:
            np.lib.format.write_array(f, grid, version=version)

    np.save(os.path.join(GOLDEN, "big_endian.npy"), grid.astype(">f8"))
    np.save(os.path.join(GOLDEN, "fortran_order.npy"), np.asfortranarray(grid))
    np.save(os.path.join(GOLDEN, "complex128.npy"), grid.astype(np.complex128))


def main():
    os.makedirs(GOLDEN, exist_ok=True)
    write_fid_cases()
    write_features_case()
    write_format_cases()


if __name__ == "__main__":
    main()
