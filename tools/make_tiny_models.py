#!/usr/bin/python3
"""The tiny TorchScript model package and golden files for the libtorch tests and benchmark.

Run with Debian's interpreter and python3-torch (the python3 on PATH may lack torch):

    /usr/bin/python3 tools/make_tiny_models.py

Writes
  models/tiny-sit/                 a model package (see docs in tools/export_model_package.py):
      model.json                   4x8x8 latents, 10 classes + null class 10, time convention "sit"
      predictor.pt                 SiT-like: patchify 2x2 -> 2 adaLN transformer blocks -> unpatchify
      refiner.pt                   FlowTurbo-style light refiner, about 1/20 of the predictor's FLOPs,
                                   briefly trained on the predictor's own trajectories
      decoder.pt                   latents 4x8x8 -> images 3x16x16 in [-1, 1] (a stand-in for a VAE)
  tests/OrleansFlow.Torch.Tests/Golden/
      golden.npz                   inputs and outputs for the C# tests (float32/int64; see below)
      standin_inception.pt         a random conv net with the FID Inception interface
                                   (N x 3 x 299 x 299 in [-1, 1] -> N x 64); real Inception weights
                                   are not available here, so the tests check plumbing and
                                   preprocessing, not Inception itself

The weights are random (fixed seeds), apart from the short refiner fit; nothing is downloaded.
The trajectories in golden.npz are computed here with the formulas of DESIGN.md (FlowTurbo as in
its models_assemble.py), independently of the C# samplers, with the same tensor operations the shim
uses (torch.add with alpha, torch.lerp), so C# must agree to float rounding.
"""

import json
import math
import os

import numpy as np
import torch
from torch import nn

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
PACKAGE = os.path.join(ROOT, "models", "tiny-sit")
GOLDEN = os.path.join(ROOT, "tests", "OrleansFlow.Torch.Tests", "Golden")

CHANNELS, SIZE, PATCH, HIDDEN, HEADS, DEPTH, CLASSES = 4, 8, 2, 48, 4, 2, 10


def timestep_embedding(t: torch.Tensor, dim: int) -> torch.Tensor:
    """Sinusoidal embedding of t (SiT/DiT TimestepEmbedder) with frequencies up to 10 rad per unit t.

    SiT's own embedding (max period 10000 on raw t) is smooth in t; random weights on a much faster
    embedding would give a field that oscillates in t and a useless solver-error benchmark.
    """
    half = dim // 2
    freqs = torch.exp(-math.log(100.0) * torch.arange(half, dtype=torch.float32) / half)
    args = (t.float() * 10.0)[:, None] * freqs[None, :]
    return torch.cat([torch.cos(args), torch.sin(args)], dim=1)


class Block(nn.Module):
    """A DiT block with adaLN modulation from the conditioning vector c."""

    heads: torch.jit.Final[int]

    def __init__(self, hidden: int, heads: int):
        super().__init__()
        self.heads = heads
        self.norm1 = nn.LayerNorm(hidden, elementwise_affine=False, eps=1e-6)
        self.qkv = nn.Linear(hidden, 3 * hidden)
        self.proj = nn.Linear(hidden, hidden)
        self.norm2 = nn.LayerNorm(hidden, elementwise_affine=False, eps=1e-6)
        self.mlp1 = nn.Linear(hidden, 2 * hidden)
        self.mlp2 = nn.Linear(2 * hidden, hidden)
        self.ada = nn.Linear(hidden, 6 * hidden)

    def forward(self, x: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        shift1, scale1, gate1, shift2, scale2, gate2 = self.ada(nn.functional.silu(c)).chunk(6, dim=1)
        h = self.norm1(x) * (1 + scale1[:, None, :]) + shift1[:, None, :]
        b, n, d = h.shape
        qkv = self.qkv(h).reshape(b, n, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        attn = torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(d // self.heads), dim=-1)
        h = (attn @ v).transpose(1, 2).reshape(b, n, d)
        x = x + gate1[:, None, :] * self.proj(h)
        h = self.norm2(x) * (1 + scale2[:, None, :]) + shift2[:, None, :]
        return x + gate2[:, None, :] * self.mlp2(nn.functional.gelu(self.mlp1(h)))


class TinySiT(nn.Module):
    """forward(x: N×4×8×8 float32, t: N float32, label: N int64; label 10 = null) -> velocity N×4×8×8."""

    channels: torch.jit.Final[int]
    size: torch.jit.Final[int]
    patch: torch.jit.Final[int]
    hidden: torch.jit.Final[int]

    def __init__(self):
        super().__init__()
        self.channels, self.size, self.patch, self.hidden = CHANNELS, SIZE, PATCH, HIDDEN
        tokens = (SIZE // PATCH) ** 2
        self.embed = nn.Linear(CHANNELS * PATCH * PATCH, HIDDEN)
        self.pos = nn.Parameter(torch.randn(1, tokens, HIDDEN) * 0.1)
        self.t_mlp = nn.Sequential(nn.Linear(HIDDEN, HIDDEN), nn.SiLU(), nn.Linear(HIDDEN, HIDDEN))
        self.labels = nn.Embedding(CLASSES + 1, HIDDEN)
        self.blocks = nn.ModuleList([Block(HIDDEN, HEADS) for _ in range(DEPTH)])
        self.norm = nn.LayerNorm(HIDDEN, elementwise_affine=False, eps=1e-6)
        self.out = nn.Linear(HIDDEN, CHANNELS * PATCH * PATCH)

    def forward(self, x: torch.Tensor, t: torch.Tensor, label: torch.Tensor) -> torch.Tensor:
        n, c, size = x.shape[0], self.channels, self.size
        g = size // self.patch
        p = self.patch
        tokens = x.reshape(n, c, g, p, g, p).permute(0, 2, 4, 1, 3, 5).reshape(n, g * g, -1)
        h = self.embed(tokens) + self.pos
        cond = self.t_mlp(timestep_embedding(t, self.hidden)) + self.labels(label)
        for block in self.blocks:
            h = block(h, cond)
        out = self.out(self.norm(h))
        v = out.reshape(n, g, g, c, p, p).permute(0, 3, 1, 4, 2, 5).reshape(n, c, size, size)
        # A rectified-flow-like field: pulls x toward a label-dependent pattern, plus the network's term.
        return v - x


class TinyRefiner(nn.Module):
    """forward(x, t, v_prev, label) -> velocity change R, FlowTurbo's refiner interface."""

    def __init__(self):
        super().__init__()
        self.inp = nn.Conv2d(2 * CHANNELS, 16, 3, padding=1)
        self.t_proj = nn.Linear(16, 16)
        self.labels = nn.Embedding(CLASSES + 1, 16)
        self.mid = nn.Conv2d(16, 16, 3, padding=1)
        self.out = nn.Conv2d(16, CHANNELS, 3, padding=1)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)

    def forward(self, x: torch.Tensor, t: torch.Tensor, v: torch.Tensor, label: torch.Tensor) -> torch.Tensor:
        h = self.inp(torch.cat([x, v], dim=1))
        c = self.t_proj(timestep_embedding(t, 16)) + self.labels(label)
        h = nn.functional.silu(h + c[:, :, None, None])
        h = nn.functional.silu(self.mid(h))
        return self.out(h)


class TinyDecoder(nn.Module):
    """forward(z: N×4×8×8) -> images N×3×16×16 in [-1, 1]."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(CHANNELS, 16, 3, padding=1)
        self.conv2 = nn.Conv2d(16, 3, 3, padding=1)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        h = nn.functional.silu(self.conv1(z))
        h = nn.functional.interpolate(h, scale_factor=2.0, mode="nearest")
        return torch.tanh(self.conv2(h))


class StandInInception(nn.Module):
    """The FID Inception interface (N×3×299×299 in [-1, 1] -> N×D pool features) with random weights."""

    def __init__(self, dim: int = 64):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, 5, stride=4)
        self.conv2 = nn.Conv2d(16, dim, 3, stride=2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = nn.functional.relu(self.conv1(x))
        h = nn.functional.relu(self.conv2(h))
        return nn.functional.adaptive_avg_pool2d(h, (1, 1)).flatten(1)


# ---- the samplers, written from DESIGN.md with the shim's operations ----

def full_time(t: float, n: int) -> torch.Tensor:
    return torch.full((n,), float(t), dtype=torch.float32)


class Velocity:
    """GuidedVelocity: labels bound, CFG v = lerp(v_uncond, v_cond, s) from one doubled batch."""

    def __init__(self, predictor, refiner, labels: torch.Tensor, guidance: float):
        self.predictor, self.refiner, self.labels, self.s = predictor, refiner, labels, guidance
        self.guided = guidance != 1.0
        if self.guided:
            self.doubled = torch.cat([torch.full_like(labels, CLASSES), labels])

    def _guide(self, both, n):
        return torch.lerp(both[:n], both[n:], self.s)

    def predict(self, x, t):
        n = x.shape[0]
        if not self.guided:
            return self.predictor(x, full_time(t, n), self.labels)
        return self._guide(self.predictor(torch.cat([x, x]), full_time(t, 2 * n), self.doubled), n)

    def refine(self, x, t, u):
        n = x.shape[0]
        if not self.guided:
            return self.refiner(x, full_time(t, n), u, self.labels)
        return self._guide(self.refiner(torch.cat([x, x]), full_time(t, 2 * n), torch.cat([u, u]), self.doubled), n)


def heun_step(vel, x, d, t_next, h):
    """x̃ = x + h·d, d' = v(x̃, t_next), x ← x + h/2·(d + d'); returns (x, d')."""
    d_next = vel.predict(torch.add(x, d, alpha=h), t_next)
    return torch.add(x, d, alpha=h / 2).add_(d_next, alpha=h / 2), d_next


def heun(vel, x0, steps):
    x, h = x0.clone(), 1.0 / steps
    for k in range(steps):
        d = vel.predict(x, k / steps)
        x, _ = heun_step(vel, x, d, (k + 1) / steps, h)
    return x


def euler(vel, x0, steps):
    x, h = x0.clone(), 1.0 / steps
    for k in range(steps):
        x = torch.add(x, vel.predict(x, k / steps), alpha=h)
    return x


def flowturbo(vel, x0, H, P, R):
    """DESIGN.md "FlowTurbo" (models_assemble.py) on t_k = k/(H+P+R)."""
    n_steps = H + P + R
    h = 1.0 / n_steps
    x, kept, k = x0.clone(), None, 0
    for _ in range(H):
        d = vel.predict(x, k / n_steps)
        x, kept = heun_step(vel, x, d, (k + 1) / n_steps, h)
        k += 1
    for _ in range(P):
        d = kept if kept is not None else vel.predict(x, k / n_steps)
        x, kept = heun_step(vel, x, d, (k + 1) / n_steps, h)
        k += 1
    for _ in range(R):
        u = kept if kept is not None else vel.predict(x, k / n_steps)
        d = torch.add(vel.refine(x, k / n_steps, u), u, alpha=1.0)
        d_next = torch.add(vel.refine(torch.add(x, d, alpha=h), (k + 1) / n_steps, u), d, alpha=1.0)
        x = torch.add(x, d, alpha=h / 2).add_(d_next, alpha=h / 2)
        kept = d
        k += 1
    return x


def train_refiner(predictor, refiner, steps=300, batch=32):
    """FlowTurbo's refiner objective (transport.py): from x_t and v_t, step dt ~ U(0, 0.12) and learn
    v(x_{t+dt}, t+dt) as R(x_{t+dt}, t+dt, v_t) + v_t."""
    generator = torch.Generator().manual_seed(7)
    optimizer = torch.optim.Adam(refiner.parameters(), lr=3e-3)
    for step in range(steps):
        x0 = torch.randn(batch, CHANNELS, SIZE, SIZE, generator=generator)
        labels = torch.randint(0, CLASSES + 1, (batch,), generator=generator)
        t = torch.rand(batch, generator=generator) * 0.88
        dt = torch.rand(batch, generator=generator) * 0.12
        with torch.no_grad():
            # A point on the predictor's trajectory at time t: 8 Euler steps of length t/8.
            x = x0
            for i in range(8):
                x = x + (t / 8)[:, None, None, None] * predictor(x, t * i / 8, labels)
            v_t = predictor(x, t, labels)
            x_next = x + dt[:, None, None, None] * v_t
            target = predictor(x_next, t + dt, labels)
        loss = ((refiner(x_next, t + dt, v_t, labels) + v_t - target) ** 2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if step % 100 == 0 or step == steps - 1:
            print(f"refiner step {step}: loss {loss.item():.6f}")


def main():
    torch.set_num_threads(1)
    torch.manual_seed(20241122)
    os.makedirs(PACKAGE, exist_ok=True)
    os.makedirs(GOLDEN, exist_ok=True)

    predictor = TinySiT().eval()
    refiner = TinyRefiner()
    train_refiner(predictor, refiner)
    refiner.eval()
    decoder = TinyDecoder().eval()
    inception = StandInInception().eval()

    scripted = {name: torch.jit.script(m) for name, m in
                [("predictor", predictor), ("refiner", refiner), ("decoder", decoder)]}
    for name, module in scripted.items():
        module.save(os.path.join(PACKAGE, f"{name}.pt"))
    torch.jit.script(inception).save(os.path.join(GOLDEN, "standin_inception.pt"))

    manifest = {
        "format": "orleansflow-model/1",
        "name": "tiny-sit",
        "kind": "velocity",
        "input_shape": [CHANNELS, SIZE, SIZE],
        "classes": CLASSES,
        "null_class": CLASSES,
        "time_convention": "sit",
        "latent_scale": 1.0,
        "output_shape": [3, 2 * SIZE, 2 * SIZE],
        "files": {"predictor": "predictor.pt", "refiner": "refiner.pt", "decoder": "decoder.pt"},
        "description": "Random-weight SiT-like test model made by tools/make_tiny_models.py; not a generative model of anything.",
    }
    with open(os.path.join(PACKAGE, "model.json"), "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")

    # Golden values from the files just written, loaded back as a user would load them.
    p = torch.jit.load(os.path.join(PACKAGE, "predictor.pt")).eval()
    r = torch.jit.load(os.path.join(PACKAGE, "refiner.pt")).eval()
    dec = torch.jit.load(os.path.join(PACKAGE, "decoder.pt")).eval()
    inc = torch.jit.load(os.path.join(GOLDEN, "standin_inception.pt")).eval()
    g = torch.Generator().manual_seed(11)
    n = 5
    x = torch.randn(n, CHANNELS, SIZE, SIZE, generator=g)
    t = torch.tensor([0.0, 0.25, 0.5, 0.75, 1.0], dtype=torch.float32)
    labels = torch.tensor([0, 3, 9, 10, 7], dtype=torch.int64)
    u = torch.randn(n, CHANNELS, SIZE, SIZE, generator=g)
    x0 = torch.randn(6, CHANNELS, SIZE, SIZE, generator=g)
    x0_labels = torch.tensor([1, 2, 3, 4, 5, 6], dtype=torch.int64)
    images_u8 = torch.randint(0, 256, (3, 16, 16, 3), dtype=torch.uint8, generator=g)

    with torch.no_grad():
        golden = {
            "x": x, "t": t, "labels": labels, "u": u,
            "v": p(x, t, labels),
            "r": r(x, t, u, labels),
            "decoded": dec(x),
            "x0": x0, "x0_labels": x0_labels,
            "heun4": heun(Velocity(p, r, x0_labels, 1.0), x0, 4),
            "euler6": euler(Velocity(p, r, x0_labels, 1.0), x0, 6),
            "flowturbo_h2p2r2": flowturbo(Velocity(p, r, x0_labels, 1.0), x0, 2, 2, 2),
            "flowturbo_h0p1r2": flowturbo(Velocity(p, r, x0_labels, 1.0), x0, 0, 1, 2),
            "flowturbo_h1p1r1_cfg2": flowturbo(Velocity(p, r, x0_labels, 2.0), x0, 1, 1, 1),
            "images_u8": images_u8,
        }
        # FID preprocessing (pytorch-fid InceptionV3.forward with resize_input and normalize_input):
        # uint8 HWC -> float /255 -> NCHW -> bilinear 299×299 (align_corners=False) -> 2x - 1.
        pixels = images_u8.permute(0, 3, 1, 2).float() / 255.0
        resized = nn.functional.interpolate(pixels, size=(299, 299), mode="bilinear", align_corners=False)
        golden["features"] = inc(2 * resized - 1)

    np.savez(os.path.join(GOLDEN, "golden.npz"), **{k: v.numpy() for k, v in golden.items()})
    sizes = {f: os.path.getsize(os.path.join(PACKAGE, f)) for f in sorted(os.listdir(PACKAGE))}
    print("wrote", PACKAGE, sizes)
    print("wrote", GOLDEN)


if __name__ == "__main__":
    main()
