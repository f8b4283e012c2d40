"""Shared pieces of the digits pipeline (tools/train_digits.py, tools/train_digits_reflow.py,
tools/digits_straightness.py): data, networks, FID-digits preprocessing and package export.

Run the scripts with Debian's interpreter (/usr/bin/python3 with python3-torch and python3-sklearn).
"""

import json
import math
import os

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
MODELS = os.path.join(ROOT, "models")
FID_DIR = os.path.join(MODELS, "digits-fid")
CLASSES = 10
NULL = CLASSES  # the label the velocity networks read as "no class" (classifier-free guidance)
SIZE = 8

# The extra file that tells OrleansFlow how to feed a TorchScript feature extractor (read by
# Grains/Torch/TorchFeatureExtractor.cs from the .pt zip archive): "native" = the samples at their
# own resolution and channel count, after the uint8 rule, as u/255*2-1; no resize.
FEATURES_EXTRA = "orleansflow_features.json"


def threads():
    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))


def load_digits():
    """scikit-learn's 8x8 digits (1,797 images, 0..16) scaled to [-1, 1]: x/8 - 1. Returns (N,1,8,8), labels."""
    from sklearn.datasets import load_digits as sk_load

    data = sk_load()
    x = torch.tensor(data.images, dtype=torch.float32)[:, None] / 8.0 - 1.0
    return x, torch.tensor(data.target, dtype=torch.int64)


def fid_preprocess(x: torch.Tensor) -> torch.Tensor:
    """Samples in [-1,1] -> OrleansFlow's uint8 rule clamp(floor(127.5x+128),0,255) -> u/255*2-1.

    The same steps as the C# feature extractor's "native" input, so real and generated images are
    quantised identically before the classifier sees them.
    """
    u = torch.clamp(torch.floor(x.float() * 127.5 + 128.0), 0, 255)
    return u / 255.0 * 2.0 - 1.0


def timestep_embedding(t: torch.Tensor, dim: int) -> torch.Tensor:
    """Sinusoidal embedding of t in [0, 1] (SiT's TimestepEmbedder on 1000 t)."""
    half = dim // 2
    # in t's precision (float32 as trained; float64 for the golden references of tools/export_fashion_models.py)
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=t.dtype) / half)
    args = (t * 1000.0)[:, None] * freqs[None, :]
    return torch.cat([torch.cos(args), torch.sin(args)], dim=1)


class ResBlock(nn.Module):
    """GroupNorm-SiLU-conv twice, with the conditioning vector as scale and shift (adaGN)."""

    def __init__(self, cin: int, cout: int, emb: int):
        super().__init__()
        self.norm1 = nn.GroupNorm(8, cin)
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.ada = nn.Linear(emb, 2 * cout)
        self.norm2 = nn.GroupNorm(8, cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else nn.Identity()

    def forward(self, x: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        h = self.conv1(F.silu(self.norm1(x)))
        scale, shift = self.ada(c).chunk(2, dim=1)
        h = self.norm2(h) * (1 + scale[:, :, None, None]) + shift[:, :, None, None]
        h = self.conv2(F.silu(h))
        return self.skip(x) + h


class VelocityUNet(nn.Module):
    """A small U-Net on 1x8x8: forward(x[N,1,8,8], t[N], label int64[N]; 10 = null) -> v[N,1,8,8].

    8x8 (ch) -> 4x4 (2ch) -> back up with a skip; time and class enter every block through adaGN.
    """

    def __init__(self, ch: int = 32, emb: int = 128):
        super().__init__()
        self.emb = emb
        self.t_mlp = nn.Sequential(nn.Linear(emb, emb), nn.SiLU(), nn.Linear(emb, emb))
        self.labels = nn.Embedding(CLASSES + 1, emb)
        self.inp = nn.Conv2d(1, ch, 3, padding=1)
        self.down = ResBlock(ch, ch, emb)
        self.low1 = ResBlock(ch, 2 * ch, emb)
        self.low2 = ResBlock(2 * ch, 2 * ch, emb)
        self.up = ResBlock(3 * ch, ch, emb)
        self.norm = nn.GroupNorm(8, ch)
        self.out = nn.Conv2d(ch, 1, 3, padding=1)

    def forward(self, x: torch.Tensor, t: torch.Tensor, label: torch.Tensor) -> torch.Tensor:
        c = F.silu(self.t_mlp(timestep_embedding(t, self.emb)) + self.labels(label))
        h0 = self.down(self.inp(x), c)
        h = self.low2(self.low1(F.avg_pool2d(h0, 2), c), c)
        h = F.interpolate(h, scale_factor=2.0, mode="nearest")
        h = self.up(torch.cat([h, h0], dim=1), c)
        return self.out(F.silu(self.norm(h)))


class Refiner(nn.Module):
    """FlowTurbo's velocity refiner interface: forward(x, t, v_prev, label) -> Δv, with v ≈ v_prev + Δv.

    Reads x, v_prev and the data estimate x + (1-t)·v_prev that v_prev implies on a straight path (what
    the velocity changes towards as t -> 1), then four 3x3 convolutions of 32 channels with time and class added
    after the first: about a tenth of the predictor's time per call (tools/train_digits_refiner.py measures it).
    """

    def __init__(self, ch: int = 32, emb: int = 32):
        super().__init__()
        self.emb = emb
        self.t_proj = nn.Linear(emb, ch)
        self.labels = nn.Embedding(CLASSES + 1, ch)
        self.inp = nn.Conv2d(3, ch, 3, padding=1)
        self.mid = nn.Conv2d(ch, ch, 3, padding=1)
        self.mid2 = nn.Conv2d(ch, ch, 3, padding=1)
        self.out = nn.Conv2d(ch, 1, 3, padding=1)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)

    def forward(self, x: torch.Tensor, t: torch.Tensor, v: torch.Tensor, label: torch.Tensor) -> torch.Tensor:
        c = self.t_proj(timestep_embedding(t, self.emb)) + self.labels(label)
        estimate = x + (1 - t)[:, None, None, None] * v
        h = F.silu(self.inp(torch.cat([x, v, estimate], dim=1)) + c[:, :, None, None])
        h = F.silu(self.mid(h)) + h
        h = F.silu(self.mid2(h)) + h
        return self.out(h)


class Classifier(nn.Module):
    """The FID-digits network: 1x8x8 in [-1,1] -> conv features (64x4x4) -> 64 (tanh) -> 10 logits."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, padding=1)
        self.conv2 = nn.Conv2d(32, 64, 3, padding=1)
        self.conv3 = nn.Conv2d(64, 64, 3, padding=1)
        self.fc = nn.Linear(64 * 4 * 4, 64)
        self.head = nn.Linear(64, CLASSES)

    def spatial(self, x: torch.Tensor) -> torch.Tensor:
        """The last convolution's ReLU map, 64 channels at 4x4."""
        h = F.relu(self.conv1(x))
        h = F.max_pool2d(F.relu(self.conv2(h)), 2)
        return F.relu(self.conv3(h))

    def pooled(self, x: torch.Tensor) -> torch.Tensor:
        """FID-digits' features: the last convolution's map averaged over positions (64), as Inception's pool3 is."""
        return self.spatial(x).mean(dim=(2, 3))

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The tanh penultimate layer the logits read (FID-digits' features until issue 10: saturated, see README)."""
        return torch.tanh(self.fc(self.spatial(x).flatten(1)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


class FeatureModule(nn.Module):
    """What OrleansFlow loads as the feature extractor: forward(x[N,1,8,8] in [-1,1]) -> f[N,64].

    The classifier's tanh penultimate layer separates classes so well that it saturates: Heun 8 and
    Heun 32 differ by 1 % in FID on it, and its seed-to-seed spread is larger than the gap from Heun 4.
    The average-pooled last convolution sees within-class detail: Heun 4 / 8 / 32 score 0.086 / 0.034
    / 0.024 ± 0.003-0.005 over 3 seeds of 1,000 samples (README, "FID-digits").
    """

    def __init__(self, classifier: Classifier):
        super().__init__()
        self.classifier = classifier

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier.pooled(x)


class LogitsModule(nn.Module):
    """The classifier's logits, for the conditional-generation tests: forward(x[N,1,8,8]) -> [N,10]."""

    def __init__(self, classifier: Classifier):
        super().__init__()
        self.classifier = classifier

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(x)


def save_script(module: nn.Module, path: str, extra: dict = None):
    scripted = torch.jit.script(module.eval())
    files = {name: json.dumps(value) for name, value in (extra or {}).items()}
    torch.jit.save(scripted, path, _extra_files=files)
    print(f"wrote {os.path.relpath(path, ROOT)} ({os.path.getsize(path):,} bytes)")


def write_manifest(directory: str, name: str, files: dict, description: str, input_shape=(1, SIZE, SIZE)):
    manifest = {
        "format": "orleansflow-model/1",
        "name": name,
        "kind": "velocity",
        "input_shape": list(input_shape),
        "classes": CLASSES,
        "null_class": NULL,
        "time_convention": "sit",
        "files": files,
        "description": description,
    }
    with open(os.path.join(directory, "model.json"), "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")
    print(f"wrote {os.path.relpath(os.path.join(directory, 'model.json'), ROOT)}")


# Packages name the one FID-digits extractor by a relative path (ModelPackage resolves files against the
# package directory), so `orleansflow fid --model models/digits-rf` uses it by default without a copy.
FEATURES_FILE = "../digits-fid/features.pt"


class Ema:
    def __init__(self, model: nn.Module, decay: float):
        import copy

        self.decay = decay
        self.model = copy.deepcopy(model).eval()
        for p in self.model.parameters():
            p.requires_grad_(False)

    @torch.no_grad()
    def update(self, model: nn.Module):
        for e, p in zip(self.model.parameters(), model.parameters()):
            e.mul_(self.decay).add_(p.detach(), alpha=1 - self.decay)


@torch.no_grad()
def euler_sample(model, x0: torch.Tensor, labels: torch.Tensor, steps: int) -> torch.Tensor:
    x = x0.clone()
    for k in range(steps):
        t = torch.full((x.shape[0],), k / steps)
        x = x + model(x, t, labels) / steps
    return x


def fid_from_features(f: np.ndarray, mu_ref: np.ndarray, sigma_ref: np.ndarray) -> float:
    from scipy import linalg

    mu, sigma = f.mean(0), np.cov(f, rowvar=False)
    covmean, _ = linalg.sqrtm(sigma.dot(sigma_ref), disp=False)
    if not np.isfinite(covmean).all():
        offset = np.eye(sigma.shape[0]) * 1e-6
        covmean = linalg.sqrtm((sigma + offset).dot(sigma_ref + offset))
    covmean = covmean.real
    diff = mu - mu_ref
    return float(diff.dot(diff) + np.trace(sigma) + np.trace(sigma_ref) - 2 * np.trace(covmean))


def rectified_flow_loss(net, x0: torch.Tensor, x1: torch.Tensor, t: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Flow matching on the straight path x_t = (1-t) x0 + t x1 with target x1 - x0 (Rectified Flow).
    Draws no random numbers, so callers keep their generator's order (and their committed weights)."""
    xt = (1 - t)[:, None, None, None] * x0 + t[:, None, None, None] * x1
    return (net(xt, t, labels) - (x1 - x0)).pow(2).mean()


def grid_times(n: int, k: int, count: int, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    return torch.full((count,), k / n, dtype=dtype)


@torch.no_grad()
def heun_sample(model, x0: torch.Tensor, labels: torch.Tensor, steps: int) -> torch.Tensor:
    """Heun on t_k = k/steps, as Grains/Sampling/HeunSampler.cs."""
    x, h = x0.clone(), 1.0 / steps
    for k in range(steps):
        d = model(x, grid_times(steps, k, len(x), x.dtype), labels)
        d_next = model(x + h * d, grid_times(steps, k + 1, len(x), x.dtype), labels)
        x = x + h / 2 * (d + d_next)
    return x


@torch.no_grad()
def predictor_steps(model, x0: torch.Tensor, labels: torch.Tensor, heun: int, pseudo: int, refine: int):
    """FlowTurbo's H Heun and P pseudo-corrector steps on t_k = k/(H+P+R): the point reached and the
    velocity kept for the refiner steps (evaluated once more when no step kept one, as DESIGN.md says)."""
    n = heun + pseudo + refine
    x, h, kept = x0.clone(), 1.0 / n, None
    for k in range(heun + pseudo):
        d = kept if (k >= heun and kept is not None) else model(x, grid_times(n, k, len(x), x.dtype), labels)
        kept = model(x + h * d, grid_times(n, k + 1, len(x), x.dtype), labels)
        x = x + h / 2 * (d + kept)
    u = kept if kept is not None else model(x, grid_times(n, heun + pseudo, len(x), x.dtype), labels)
    return x, u


@torch.no_grad()
def flowturbo_sample(model, refiner, x0: torch.Tensor, labels: torch.Tensor, heun: int, pseudo: int, refine: int) -> torch.Tensor:
    """FlowTurbo on t_k = k/(H+P+R), as Grains/Sampling/FlowTurboSampler.cs and FlowTurbo's models_assemble.py."""
    n = heun + pseudo + refine
    x, u = predictor_steps(model, x0, labels, heun, pseudo, refine)
    h = 1.0 / n
    for k in range(heun + pseudo, n):
        d = refiner(x, grid_times(n, k, len(x), x.dtype), u, labels) + u
        d_next = refiner(x + h * d, grid_times(n, k + 1, len(x), x.dtype), u, labels) + d
        x = x + h / 2 * (d + d_next)
        u = d
    return x


def rms(a: torch.Tensor, b: torch.Tensor) -> float:
    return (a - b).pow(2).mean().sqrt().item()
