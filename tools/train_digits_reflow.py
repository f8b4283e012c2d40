#!/usr/bin/python3
"""Stage 2 of the digits pipeline, InstaFlow's at small scale: reflow pairs made by the cluster ->
2-rectified flow -> one-step distillation.

    ./orleansflow reflow --model models/digits-rf --sampler heun:steps=16 --samples 12000 \\
        --seed 1 --out out/digits-reflow --force --quiet                       # the cluster, embedded mode
    /usr/bin/python3 tools/train_digits_reflow.py out/digits-reflow             # about 4 minutes on 2 cores

Reads the cluster's reflow output (manifest.json + shards/*.safetensors with x0, x1, label, seed; the
pairs are (noise, ODE solution of the 1-rectified flow) under each sample's class label) and writes
  models/digits-2rf/       the 2-rectified flow: the 1-rectified U-Net fine-tuned on the pairs with the
                           same loss (x_t = (1-t) x0 + t x1, target x1 - x0), 10% labels dropped to null
  models/digits-onestep/   the 2-rectified flow distilled for one step: x1 ~ x0 + v(x0, 0, label),
                           trained with L2 on the pairs (InstaFlow uses LPIPS on SD latents; L2 on
                           8x8 pixels here), sampled with `--sampler onestep`
Deterministic: fixed seeds, one intra-op thread.
"""

import json
import os
import struct
import sys
import time

import numpy as np
import torch

from digits_common import (FEATURES_FILE, MODELS, NULL, Ema, VelocityUNet, rectified_flow_loss, save_script, write_manifest)

REFLOW_STEPS, DISTILL_STEPS, BATCH = 1500, 1000, 128
LABEL_DROPOUT = 0.1


def read_safetensors(path):
    """safetensors: u64 little-endian header size, JSON header {name: {dtype, shape, data_offsets}}, data."""
    with open(path, "rb") as f:
        (size,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(size))
        data = f.read()
    dtypes = {"F32": np.float32, "I64": np.int64}
    arrays = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        arrays[name] = np.frombuffer(data[begin:end], dtype=dtypes[info["dtype"]]).reshape(info["shape"])
    return arrays


def read_reflow(directory):
    with open(os.path.join(directory, "manifest.json")) as f:
        manifest = json.load(f)
    shards = sorted(os.listdir(os.path.join(directory, "shards")))
    parts = [read_safetensors(os.path.join(directory, "shards", s)) for s in shards if s.endswith(".safetensors")]
    x0 = torch.from_numpy(np.concatenate([p["x0"] for p in parts]).copy())
    x1 = torch.from_numpy(np.concatenate([p["x1"] for p in parts]).copy())
    labels = torch.from_numpy(np.concatenate([p["label"] for p in parts]).copy())
    print(f"reflow data: {len(x0):,} pairs from {len(parts)} shards of {directory} (spec: {json.dumps(manifest.get('spec', {}))})")
    return x0, x1, labels, manifest


def load_unet(package):
    net = VelocityUNet(24, 96)
    net.load_state_dict(torch.jit.load(os.path.join(MODELS, package, "predictor.pt")).state_dict())
    return net


def train_2rf(x0, x1, labels):
    g = torch.Generator().manual_seed(5)
    net = load_unet("digits-rf").train()
    ema = Ema(net, 0.995)
    opt = torch.optim.AdamW(net.parameters(), lr=5e-4, weight_decay=0.0)
    start = time.time()
    for step in range(REFLOW_STEPS):
        idx = torch.randint(0, len(x0), (BATCH,), generator=g)
        a, b, c = x0[idx], x1[idx], labels[idx].clone()
        c[torch.rand(BATCH, generator=g) < LABEL_DROPOUT] = NULL
        t = torch.rand(BATCH, generator=g)
        loss = rectified_flow_loss(net, a, b, t, c)
        opt.zero_grad()
        loss.backward()
        opt.step()
        ema.update(net)
        if step % 250 == 0 or step == REFLOW_STEPS - 1:
            print(f"2-rf step {step}: loss {loss.item():.4f} ({time.time() - start:.0f} s)")
    return ema.model


def distill(teacher, x0, x1, labels):
    """One-step student from the 2-rectified flow: minimise ||x0 + v(x0, 0, c) - x1||² (t = 0 only)."""
    g = torch.Generator().manual_seed(6)
    import copy

    net = copy.deepcopy(teacher).train()
    for p in net.parameters():
        p.requires_grad_(True)
    ema = Ema(net, 0.99)
    opt = torch.optim.AdamW(net.parameters(), lr=3e-4, weight_decay=0.0)
    start = time.time()
    zero = torch.zeros(BATCH)
    for step in range(DISTILL_STEPS):
        idx = torch.randint(0, len(x0), (BATCH,), generator=g)
        a, b, c = x0[idx], x1[idx], labels[idx]
        loss = (a + net(a, zero, c) - b).pow(2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        ema.update(net)
        if step % 250 == 0 or step == DISTILL_STEPS - 1:
            print(f"distill step {step}: loss {loss.item():.4f} ({time.time() - start:.0f} s)")
    return ema.model


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    torch.set_num_threads(1)
    torch.manual_seed(0)
    x0, x1, labels, manifest = read_reflow(sys.argv[1])
    source = {k: manifest.get("spec", {}).get(k) for k in ("model", "sampler", "samples", "seed", "guidance")}

    two = train_2rf(x0, x1, labels)
    package = os.path.join(MODELS, "digits-2rf")
    os.makedirs(package, exist_ok=True)
    save_script(two, os.path.join(package, "predictor.pt"))
    write_manifest(package, "digits-2rf", {"predictor": "predictor.pt", "features": FEATURES_FILE},
                   f"2-rectified flow on sklearn digits: digits-rf fine-tuned on reflow pairs generated by orleansflow reflow "
                   f"({json.dumps(source)}); made by tools/train_digits_reflow.py")

    one = distill(two, x0, x1, labels)
    package = os.path.join(MODELS, "digits-onestep")
    os.makedirs(package, exist_ok=True)
    save_script(one, os.path.join(package, "predictor.pt"))
    write_manifest(package, "digits-onestep", {"predictor": "predictor.pt", "features": FEATURES_FILE},
                   "One-step model distilled from digits-2rf on the same reflow pairs (L2); sample with --sampler onestep; "
                   "only v(x, 0, label) is trained; made by tools/train_digits_reflow.py")


if __name__ == "__main__":
    main()
