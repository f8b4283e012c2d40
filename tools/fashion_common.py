"""Networks and helpers of the Fashion-MNIST pipeline (tools/train_fashion*.py, tools/fashion_arch_bench.py,
tools/export_fashion_models.py). Run with Debian's interpreter, /usr/bin/python3 (python3-torch).

Conventions (docs/DESIGN.md): t = 0 noise, t = 1 data, x_t = (1-t) x0 + t x1, the network returns
v(x, t, label) with label 10 = the null class (classifier-free guidance). Images are 1x28x28 in [-1, 1].
"""

import math
import os
import sys
import tempfile
import time

import torch
from torch import nn
from torch.nn import functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# The pieces the digits pipeline already has: SiT's time embedding, the uint8 rule's FID input, EMA, and
# DESIGN.md's samplers in Python (Heun, FlowTurbo's pseudo-corrector and refiner steps), in any dtype.
from digits_common import (Ema, fid_preprocess, flowturbo_sample, grid_times, heun_sample,  # noqa: E402,F401
                           predictor_steps, rms, threads, timestep_embedding)

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
MODELS = os.path.join(ROOT, "models")
PACKAGE = os.path.join(MODELS, "fashion-rf")
FID_DIR = os.path.join(MODELS, "fashion-fid")
CKPT = os.environ.get("FASHION_CKPT", "/work/ckpt/fashion")
CLASSES = 10
NULL = CLASSES
SIZE = 28


def make_norm(kind: str, ch: int) -> nn.Module:
    if kind == "group":
        return nn.GroupNorm(8, ch)
    if kind == "batch":
        return nn.BatchNorm2d(ch)
    return nn.Identity()


class Block(nn.Module):
    """norm-SiLU-conv, scale/shift from the conditioning vector, norm-SiLU-conv, plus a skip.

    With norm "none" the second convolution starts at zero (SkipInit), so the residual stack starts
    as the identity and trains without normalisation layers, which cost more than the convolutions
    at this size on a CPU (tools/fashion_arch_bench.py)."""

    def __init__(self, cin: int, cout: int, emb: int, norm: str):
        super().__init__()
        self.norm1 = make_norm(norm, cin)
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.ada = nn.Linear(emb, 2 * cout)
        self.norm2 = make_norm(norm, cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else nn.Identity()
        if norm == "none":
            nn.init.zeros_(self.conv2.weight)
            nn.init.zeros_(self.conv2.bias)

    def forward(self, x: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        h = self.conv1(F.silu(self.norm1(x)))
        scale, shift = self.ada(c).chunk(2, dim=1)
        h = self.norm2(h) * (1 + scale[:, :, None, None]) + shift[:, :, None, None]
        h = self.conv2(F.silu(h))
        return self.skip(x) + h


class VelocityUNet(nn.Module):
    """Class-conditional U-Net on 1x28x28: forward(x[N,1,28,28], t[N], label int64[N]; 10 = null) -> v.

    28x28 (ch) -> 14x14 (2ch) -> 7x7 (2ch, two blocks) -> back up with skips; time and class enter
    every block as a scale and shift."""

    def __init__(self, ch: int = 32, emb: int = 128, norm: str = "none"):
        super().__init__()
        self.emb = emb
        self.t_mlp = nn.Sequential(nn.Linear(emb, emb), nn.SiLU(), nn.Linear(emb, emb))
        self.labels = nn.Embedding(CLASSES + 1, emb)
        self.inp = nn.Conv2d(1, ch, 3, padding=1)
        self.d28 = Block(ch, ch, emb, norm)
        self.d14 = Block(ch, 2 * ch, emb, norm)
        self.m7a = Block(2 * ch, 2 * ch, emb, norm)
        self.m7b = Block(2 * ch, 2 * ch, emb, norm)
        self.u14 = Block(4 * ch, 2 * ch, emb, norm)
        self.u28 = Block(3 * ch, ch, emb, norm)
        self.norm = make_norm(norm, ch)
        self.out = nn.Conv2d(ch, 1, 3, padding=1)

    def forward(self, x: torch.Tensor, t: torch.Tensor, label: torch.Tensor) -> torch.Tensor:
        c = F.silu(self.t_mlp(timestep_embedding(t, self.emb)) + self.labels(label))
        h28 = self.d28(self.inp(x), c)
        h14 = self.d14(F.avg_pool2d(h28, 2), c)
        h = self.m7b(self.m7a(F.avg_pool2d(h14, 2), c), c)
        h = self.u14(torch.cat([F.interpolate(h, scale_factor=2.0, mode="nearest"), h14], dim=1), c)
        h = self.u28(torch.cat([F.interpolate(h, scale_factor=2.0, mode="nearest"), h28], dim=1), c)
        return self.out(F.silu(self.norm(h)))


class Refiner(nn.Module):
    """FlowTurbo's velocity refiner: forward(x, t, v_prev, label) -> Δv, with v ≈ v_prev + Δv.

    Reads x, the kept velocity and the data estimate x + (1-t)·v_prev it implies, at 14x14 (a
    stride-2 convolution in, a pixel shuffle out) so that a call costs about a tenth of the
    predictor's or less (tools/fashion_arch_bench.py)."""

    def __init__(self, ch: int = 32, emb: int = 32):
        super().__init__()
        self.emb = emb
        self.t_proj = nn.Linear(emb, ch)
        self.labels = nn.Embedding(CLASSES + 1, ch)
        self.inp = nn.Conv2d(3, ch, 4, stride=2, padding=1)
        self.mid = nn.Conv2d(ch, ch, 3, padding=1)
        self.mid2 = nn.Conv2d(ch, ch, 3, padding=1)
        self.out = nn.Conv2d(ch, 4, 3, padding=1)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)

    def forward(self, x: torch.Tensor, t: torch.Tensor, v: torch.Tensor, label: torch.Tensor) -> torch.Tensor:
        c = self.t_proj(timestep_embedding(t, self.emb)) + self.labels(label)
        estimate = x + (1 - t)[:, None, None, None] * v
        h = F.silu(self.inp(torch.cat([x, v, estimate], dim=1)) + c[:, :, None, None])
        h = F.silu(self.mid(h)) + h
        h = F.silu(self.mid2(h)) + h
        return F.pixel_shuffle(self.out(h), 2)


class Classifier(nn.Module):
    """The FID network: 1x28x28 in [-1,1] -> conv 28 (32) -> 14 (64) -> 7 (128) -> pooled 128 -> 10 logits.

    pool = the last convolution's ReLU map averaged over its 7x7 positions (as Inception's pool_3),
    spatial = its first 7 channels flattened in H, W, C order (ADM's mixed_6/conv[..., :7]), logits
    = a linear head on pool. One convolution per resolution keeps training inside minutes on a
    shared 2-core machine."""

    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(1, 32, 3, padding=1)
        self.c2 = nn.Conv2d(32, 64, 3, padding=1)
        self.c3 = nn.Conv2d(64, 128, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(32)
        self.bn2 = nn.BatchNorm2d(64)
        self.bn3 = nn.BatchNorm2d(128)
        self.drop = nn.Dropout(0.2)
        self.head = nn.Linear(128, CLASSES)

    def spatial_map(self, x: torch.Tensor) -> torch.Tensor:
        h = F.max_pool2d(F.relu(self.bn1(self.c1(x))), 2)
        h = F.max_pool2d(F.relu(self.bn2(self.c2(h))), 2)
        return F.relu(self.bn3(self.c3(h)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.drop(self.spatial_map(x).mean(dim=(2, 3))))


class FashionEval(nn.Module):
    """What OrleansFlow loads for the evaluation suite: forward(x[N,1,28,28]) -> (pool 128, spatial 343, logits 10)."""

    def __init__(self, classifier: Classifier):
        super().__init__()
        self.classifier = classifier

    def forward(self, x: torch.Tensor):
        c = self.classifier
        h = c.spatial_map(x)
        pool = h.mean(dim=(2, 3))
        spatial = h[:, :7].permute(0, 2, 3, 1).reshape(h.shape[0], -1)
        return pool, spatial, c.head(pool)


class FashionFeatures(nn.Module):
    """The FID features alone: forward(x) -> pool (128)."""

    def __init__(self, classifier: Classifier):
        super().__init__()
        self.classifier = classifier

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier.spatial_map(x).mean(dim=(2, 3))


def to_uint8(x: torch.Tensor) -> torch.Tensor:
    return torch.clamp(torch.floor(x.float() * 127.5 + 128.0), 0, 255).to(torch.uint8)


def atomic_save(obj, path: str):
    """torch.save to a temporary file in the same directory, fsync, then rename over path."""
    directory = os.path.dirname(path)
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-" + os.path.basename(path))
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save(obj, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


class Budget:
    """Compute accounting that survives restarts. The budget is CPU time per thread (process time
    divided by the intra-op threads): what the run would take on two idle cores. The training runs
    niced on a machine shared with other work, so its wall time says more about the others than
    about it; a wall-time cap (also summed over restarts) bounds it anyway."""

    def __init__(self, minutes: float, wall_minutes: float, spent: dict = None):
        spent = spent or {}
        self.limit, self.wall_limit = minutes * 60.0, wall_minutes * 60.0
        self.cpu0, self.wall0 = spent.get("cpu", 0.0), spent.get("wall", 0.0)
        self.start_cpu, self.start = time.process_time(), time.monotonic()

    def cpu(self) -> float:
        return self.cpu0 + (time.process_time() - self.start_cpu) / torch.get_num_threads()

    def wall(self) -> float:
        return self.wall0 + time.monotonic() - self.start

    def fraction(self) -> float:
        return min(1.0, max(self.cpu() / self.limit, self.wall() / self.wall_limit))

    def over(self) -> bool:
        return self.fraction() >= 1.0

    def state(self) -> dict:
        return {"cpu": self.cpu(), "wall": self.wall()}

    def __str__(self) -> str:
        return f"{self.cpu() / 60:.1f} CPU-min, {self.wall() / 60:.1f} wall-min"


class Checkpointer:
    """One training state in one file, saved atomically every `every` seconds of wall time and
    resumed from at start: the named modules' (and optimisers') state dicts, the random generator, the
    step and the budget spent, plus whatever the script adds."""

    def __init__(self, path: str, generator: torch.Generator, every: float = 300.0, **modules):
        self.path, self.generator, self.every, self.modules = path, generator, every, modules
        self.last = time.monotonic()

    def resume(self) -> dict:
        """Loads the saved state into the modules and the generator; {} when there is none."""
        if not os.path.exists(self.path):
            return {}
        state = torch.load(self.path)
        for name, module in self.modules.items():
            module.load_state_dict(state[name])
        self.generator.set_state(state["rng"])
        print(f"resumed from {self.path}: step {state['step']}, {state['spent'].get('cpu', 0.0) / 60:.1f} CPU-min spent", flush=True)
        return state

    def save(self, step: int, budget: "Budget", **extra):
        state = {name: module.state_dict() for name, module in self.modules.items()}
        atomic_save({**state, "rng": self.generator.get_state(), "step": step, "spent": budget.state(), **extra}, self.path)
        self.last = time.monotonic()

    def due(self) -> bool:
        return time.monotonic() - self.last >= self.every


def augment(x: torch.Tensor, g: torch.Generator, shift: int = 0) -> torch.Tensor:
    """Random horizontal flips (garments are left-right symmetric) and, when shift > 0, random
    translations of up to shift pixels padded with the background (-1)."""
    flip = torch.rand(len(x), generator=g) < 0.5
    x = torch.where(flip[:, None, None, None], x.flip(3), x)
    if shift > 0:
        padded = F.pad(x, (shift, shift, shift, shift), value=-1.0)
        dx, dy = torch.randint(0, 2 * shift + 1, (2,), generator=g).tolist()
        x = padded[:, :, dy:dy + SIZE, dx:dx + SIZE]
    return x


def stage_arguments(final: str, minutes: float, wall_minutes: float, steps: int = None):
    """A training stage's command line (--minutes CPU budget, --wall-minutes cap, --steps); sets the
    threads. None when the stage's final file exists: the stage is done and must not run again."""
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=minutes, help="CPU minutes per thread (fashion_common.Budget)")
    parser.add_argument("--wall-minutes", type=float, default=wall_minutes)
    if steps is not None:
        parser.add_argument("--steps", type=int, default=steps)
    a = parser.parse_args()
    threads()
    if os.path.exists(final):
        print(f"{os.path.basename(sys.argv[0])}: {final} exists, nothing to do")
        return None
    return a


def warmup_cosine_lr(base: float, step: int, warmup: int, fraction: float) -> float:
    """The fashion scripts' schedule: linear warm-up over `warmup` steps, then a cosine to 5 % over the
    budget's fraction spent."""
    return base * min(1.0, (step + 1) / warmup) * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * min(fraction, 1.0))))


def optimiser_step(net: nn.Module, opt: torch.optim.Optimizer, ema, loss: torch.Tensor, step: int, decay: float):
    """Backward, gradient clipping at 1, the optimiser's step, then the EMA with a warm-up (decay
    (1+n)/(10+n) until it reaches `decay`), so early weights fade fast."""
    opt.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
    opt.step()
    ema.decay = min(decay, (1 + step) / (10 + step))
    ema.update(net)
