#!/usr/bin/python3
"""Which layer of the FID-digits classifier sees solver error: FID of Heun 4/6/8/16/32 samples of
digits-rf, over 3 seeds of 1,000 samples, on the classifier's tanh penultimate layer (FID-digits until
issue 10), its pre-tanh values, its last convolution averaged over positions (FID-digits now), that
convolution pooled to 2x2 (256-d) and the raw pixels.

    /usr/bin/python3 tools/digits_fid_layers.py       # about 4 minutes on 2 idle cores

A usable FID-digits falls with the Heun steps, by more than its seed-to-seed spread, until the
solver error is below the finite-sample floor.
"""

import numpy as np
import torch
from torch.nn import functional as F

from digits_common import FID_DIR, MODELS, Classifier, fid_from_features, fid_preprocess, heun_sample, load_digits

STEPS = (4, 6, 8, 16, 32)


def layers(classifier, samples):
    with torch.no_grad():
        s = fid_preprocess(samples)
        spatial = classifier.spatial(s)
        pre = classifier.fc(spatial.flatten(1))
        return {"tanh penultimate (old)": torch.tanh(pre), "pre-tanh penultimate": pre, "last conv, mean over 4x4 (new)": spatial.mean((2, 3)),
                "last conv, 2x2 pooled": F.avg_pool2d(spatial, 2).flatten(1), "pixels": s.flatten(1)}


def main():
    torch.set_num_threads(1)
    predictor = torch.jit.load(f"{MODELS}/digits-rf/predictor.pt").eval()
    classifier = Classifier()
    state = torch.jit.load(f"{FID_DIR}/classifier.pt").state_dict()
    classifier.load_state_dict({k.removeprefix("classifier."): v for k, v in state.items()})
    classifier.eval()
    x, _ = load_digits()
    reference = {k: (v.double().numpy().mean(0), np.cov(v.double().numpy(), rowvar=False)) for k, v in layers(classifier, x).items()}
    fids = {}
    for seed in range(3):
        g = torch.Generator().manual_seed(100 + seed)
        x0 = torch.randn((1000, 1, 8, 8), generator=g)
        labels = torch.randint(0, 10, (1000,), generator=g)
        for steps in STEPS:
            for name, f in layers(classifier, heun_sample(predictor, x0, labels, steps)).items():
                fids.setdefault(name, {}).setdefault(steps, []).append(fid_from_features(f.double().numpy(), *reference[name]))
    for name, by_steps in fids.items():
        print(f"{name:32s} " + "  ".join(f"heun {n}: {np.mean(v):.4f} ± {np.std(v, ddof=1):.4f}" for n, v in by_steps.items()))


if __name__ == "__main__":
    main()
