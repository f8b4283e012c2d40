#!/usr/bin/python3
"""Stage 1 of the digits pipeline: FID-digits features and the 1-rectified flow.

    /usr/bin/python3 tools/train_digits.py                   # about 5 minutes on 2 CPU cores
    /usr/bin/python3 tools/train_digits.py --features-only   # seconds: re-export FID-digits from the committed classifier.pt

The FlowTurbo refiner of models/digits-rf is trained on the predictor's own grid afterwards, by
tools/train_digits_refiner.py.

Data: scikit-learn's 8x8 digits (1,797 images, shipped inside the package), scaled to [-1, 1].
Deterministic: fixed seeds, one intra-op thread.

Writes
  models/digits-fid/features.pt     TorchScript, forward(x[N,1,8,8] in [-1,1]) -> f[N,64]: the
                                    last convolution of a small CNN classifier, averaged over its
                                    4x4 positions ("FID-digits"; the tanh penultimate layer is
                                    saturated, see digits_common.FeatureModule); its
                                    extra file orleansflow_features.json says {"input": "native"}:
                                    OrleansFlow feeds it the samples at 8x8 after the uint8 rule
                                    (u/255*2-1), no resize (Grains/Torch/TorchFeatureExtractor.cs)
  models/digits-fid/classifier.pt   the same network's logits, forward(x) -> [N,10], same input (tests
                                    load it as a feature extractor whose "features" are the logits)
  models/digits-fid/reference.npz   mu, sigma (float64, ddof=1) of the features of all 1,797
                                    real digits after the same uint8 rule
  models/digits-rf/                 package: predictor.pt (class-conditional U-Net, velocity,
                                    label 10 = null, trained with 10% label dropout for CFG),
                                    model.json (refiner.pt, written by train_digits_refiner.py;
                                    features: ../digits-fid/features.pt)
"""

import json
import os
import sys
import time

import numpy as np
import torch
from torch.nn import functional as F

from digits_common import (FEATURES_EXTRA, FID_DIR, MODELS, NULL, Classifier, Ema, FeatureModule, LogitsModule,
                           FEATURES_FILE, VelocityUNet, fid_from_features, fid_preprocess, load_digits,
                           rectified_flow_loss, save_script, write_manifest, euler_sample)

RF_STEPS, RF_BATCH = 2000, 128
LABEL_DROPOUT = 0.1
PACKAGE = os.path.join(MODELS, "digits-rf")


def augment(x: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    """Random shifts of up to one pixel (zero = background -1 padding) and a little noise."""
    padded = F.pad(x, (1, 1, 1, 1), value=-1.0)
    dx, dy = torch.randint(0, 3, (2,), generator=g).tolist()
    x = padded[:, :, dy:dy + 8, dx:dx + 8]
    return (x + 0.05 * torch.randn(x.shape, generator=g)).clamp(-1, 1)


def train_classifier(x, y):
    g = torch.Generator().manual_seed(1)
    perm = torch.randperm(len(x), generator=g)
    test, train = perm[:300], perm[300:]
    net = Classifier()
    opt = torch.optim.Adam(net.parameters(), lr=2e-3)
    for step in range(1500):
        idx = train[torch.randint(0, len(train), (128,), generator=g)]
        loss = F.cross_entropy(net(fid_preprocess(augment(x[idx], g))), y[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
    net.eval()
    with torch.no_grad():
        accuracy = (net(fid_preprocess(x[test])).argmax(1) == y[test]).float().mean().item()
    print(f"classifier: held-out accuracy {accuracy:.4f} on 300 images (trained on the other 1,497)")
    return net, accuracy


def train_rf(x, y):
    """Rectified flow (flow matching on x_t = (1-t) x0 + t x1, target x1 - x0), label dropout for CFG."""
    g = torch.Generator().manual_seed(2)
    net = VelocityUNet(24, 96)
    ema = Ema(net, 0.995)
    opt = torch.optim.AdamW(net.parameters(), lr=2e-3, weight_decay=0.0)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=2e-3, total_steps=RF_STEPS, pct_start=0.05)
    start = time.time()
    for step in range(RF_STEPS):
        idx = torch.randint(0, len(x), (RF_BATCH,), generator=g)
        x1, labels = x[idx], y[idx].clone()
        labels[torch.rand(RF_BATCH, generator=g) < LABEL_DROPOUT] = NULL
        x0 = torch.randn(x1.shape, generator=g)
        t = torch.rand(RF_BATCH, generator=g)
        loss = rectified_flow_loss(net, x0, x1, t, labels)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        ema.update(net)
        if step % 250 == 0 or step == RF_STEPS - 1:
            print(f"rf step {step}: loss {loss.item():.4f} ({time.time() - start:.0f} s)")
    return ema.model


def write_fid_files(classifier, accuracy, x):
    """features.pt (pooled last convolution), classifier.pt (logits) and reference.npz over all real digits."""
    save_script(FeatureModule(classifier), os.path.join(FID_DIR, "features.pt"), {FEATURES_EXTRA: {"input": "native"}})
    save_script(LogitsModule(classifier), os.path.join(FID_DIR, "classifier.pt"), {FEATURES_EXTRA: {"input": "native"}})
    with torch.no_grad():
        real = classifier.pooled(fid_preprocess(x)).double().numpy()
    mu, sigma = real.mean(0), np.cov(real, rowvar=False)
    np.savez(os.path.join(FID_DIR, "reference.npz"), mu=mu, sigma=sigma)
    with open(os.path.join(FID_DIR, "README.json"), "w") as f:
        json.dump({
            "features": "features.pt: last convolution (64 channels, ReLU) of a CNN digits classifier, averaged over its 4x4 positions",
            "classifier": "classifier.pt: the same network's logits (10)",
            "classifier_heldout_accuracy": round(accuracy, 4),
            "reference": "reference.npz: mu, sigma (ddof=1) over all 1797 sklearn digits",
            "preprocessing": "x in [-1,1] (digits: pixel/8-1) -> uint8 clamp(floor(127.5x+128),0,255) -> u/255*2-1, 1x8x8, no resize",
            "made_by": "tools/train_digits.py",
        }, f, indent=2)
        f.write("\n")
    print("wrote models/digits-fid/reference.npz")
    return mu, sigma


def main():
    torch.set_num_threads(1)  # faster than 2 on a shared 2-core machine, and deterministic
    torch.manual_seed(0)
    os.makedirs(FID_DIR, exist_ok=True)
    os.makedirs(PACKAGE, exist_ok=True)
    x, y = load_digits()

    if "--features-only" in sys.argv:
        classifier = Classifier()
        classifier.load_state_dict({k.removeprefix("classifier."): v for k, v in torch.jit.load(os.path.join(FID_DIR, "classifier.pt")).state_dict().items()})
        with open(os.path.join(FID_DIR, "README.json")) as f:
            accuracy = json.load(f)["classifier_heldout_accuracy"]
        write_fid_files(classifier.eval(), accuracy, x)
        return

    classifier, accuracy = train_classifier(x, y)
    mu, sigma = write_fid_files(classifier, accuracy, x)

    rf = train_rf(x, y)
    save_script(rf, os.path.join(PACKAGE, "predictor.pt"))
    write_manifest(PACKAGE, "digits-rf", {"predictor": "predictor.pt", "refiner": "refiner.pt", "features": FEATURES_FILE},
                   "Class-conditional 1-rectified flow on sklearn digits (1x8x8 in [-1,1]); made by tools/train_digits.py, with a FlowTurbo "
                   "refiner made by tools/train_digits_refiner.py")

    # A quick check in Python (the C# table is the real measurement): Euler 32 steps, 1,797 samples.
    g = torch.Generator().manual_seed(4)
    labels = torch.arange(len(x)) % 10
    x0 = torch.randn((len(x), 1, 8, 8), generator=g)
    samples = euler_sample(rf, x0, labels, 32)
    with torch.no_grad():
        f = classifier.pooled(fid_preprocess(samples)).double().numpy()
        hit = (classifier(fid_preprocess(samples)).argmax(1) == labels).float().mean().item()
    print(f"check: euler 32 steps, FID-digits {fid_from_features(f, mu, sigma):.3f}, classifier agrees with the label on {hit:.3f}")


if __name__ == "__main__":
    main()
