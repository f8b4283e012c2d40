#!/usr/bin/python3
"""Exports the trained Fashion-MNIST networks ($FASHION_CKPT, default /work/ckpt/fashion) as OrleansFlow files.

    /usr/bin/python3 tools/export_fashion_models.py [--out-root models] [--flow-checkpoint]

models/fashion-fid/ (from classifier-final.pt, tools/train_fashion_classifier.py)
  eval.pt              TorchScript forward(x[N,1,28,28] in [-1,1]) -> (pool 128, spatial 343, logits 10),
                       extra file orleansflow_features.json {"input": "native", "outputs": [...]}: the
                       evaluation suite's network (FID/KID/precision-recall on pool, sFID on spatial,
                       Inception Score on logits), as models/digits-fid/eval.pt
  features.pt          the pool output alone, {"input": "native"}: the packages' default FID features
  reference-batch.npz  the ADM reference batch: arr_0 = the 10,000 test images, N x 28 x 28 x 3 uint8
                       (the file's bytes, which the project's uint8 rule reproduces exactly from
                       their [-1,1] values u/127.5-1; gray replicated to RGB), mu/sigma (pool) and
                       mu_s/sigma_s (spatial), float64, ddof = 1; zip-deflated (numpy savez_compressed)
  reference.npz        mu, sigma of the pool features of the same 10,000 images
  README.json          what each file is, the classifier's test accuracy, the preprocessing
models/fashion-rf/ (from flow-final.pt and refiner-final.pt)
  predictor.pt         TorchScript forward(x[N,1,28,28], t[N], label int64[N]; 10 = null) -> v (EMA weights)
  refiner.pt           TorchScript forward(x, t, v_prev, label) -> delta v (FlowTurbo), when trained
  model.json           orleansflow-model/1, features ../fashion-fid/features.pt
tests/OrleansFlow.Torch.Tests/Golden/fashion_golden.npz
                       the samplers' results on the exported networks computed in float64 (the eager
                       networks cast to double, DESIGN.md's formulas): noises x0, labels, and one array
                       per sampler in GOLDEN_SAMPLERS (FashionModelTests compares the C# samplers on libtorch)

--flow-checkpoint exports the EMA weights of the latest training checkpoint (flow.pt) instead of
flow-final.pt, to look at a model while it trains (use another --out-root).
Each exported module is checked against the eager network on a batch before it is written.
"""

import argparse
import copy
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fashion_common import (CKPT, CLASSES, MODELS, NULL, ROOT, SIZE, Classifier, FashionEval, FashionFeatures,  # noqa: E402
                            Refiner, VelocityUNet, fid_preprocess, flowturbo_sample, heun_sample, threads, to_uint8)
import fashion_data  # noqa: E402
from digits_common import write_manifest  # noqa: E402

EXTRA = "orleansflow_features.json"
GOLDEN_DIR = os.path.join(ROOT, "tests", "OrleansFlow.Torch.Tests", "Golden")
OUTPUTS = ["pool", "spatial", "logits"]


def save_script(module, path, extra=None, check_args=None):
    scripted = torch.jit.script(module.eval())
    if check_args is not None:
        with torch.no_grad():
            want, got = module(*check_args), scripted(*check_args)
        for w, g in zip(want if isinstance(want, tuple) else (want,), got if isinstance(got, tuple) else (got,)):
            if not torch.allclose(w, g, atol=1e-5, rtol=1e-5):
                raise SystemExit(f"{path}: the TorchScript module differs from the eager one by {(w - g).abs().max().item():g}")
    files = {name: json.dumps(value) for name, value in (extra or {}).items()}
    torch.jit.save(scripted, path, _extra_files=files)
    print(f"wrote {os.path.relpath(path, ROOT)} ({os.path.getsize(path):,} bytes)")


def export_fid(out_dir):
    state = torch.load(os.path.join(CKPT, "classifier-final.pt"))
    classifier = Classifier()
    classifier.load_state_dict(state["net"])
    classifier.eval()
    os.makedirs(out_dir, exist_ok=True)
    images, labels = fashion_data.load_uint8("test")
    x = torch.from_numpy(images.astype(np.float32) / 127.5 - 1.0)[:, None]
    inputs = fid_preprocess(x)
    if not np.array_equal(to_uint8(x)[:, 0].numpy(), images):
        raise SystemExit("the uint8 rule does not give back the test images' bytes")
    module = FashionEval(classifier).eval()
    save_script(module, os.path.join(out_dir, "eval.pt"), {EXTRA: {"input": "native", "outputs": OUTPUTS}}, (inputs[:64],))
    save_script(FashionFeatures(classifier), os.path.join(out_dir, "features.pt"), {EXTRA: {"input": "native"}}, (inputs[:64],))
    pools, spatials = [], []
    with torch.no_grad():
        for i in range(0, len(inputs), 500):
            pool, spatial, _ = module(inputs[i:i + 500])
            pools.append(pool.double())
            spatials.append(spatial.double())
    f, s = torch.cat(pools).numpy(), torch.cat(spatials).numpy()
    arr_0 = np.repeat(images[..., None], 3, axis=3)
    np.savez_compressed(os.path.join(out_dir, "reference-batch.npz"), arr_0=arr_0, mu=f.mean(0), sigma=np.cov(f, rowvar=False),
                        mu_s=s.mean(0), sigma_s=np.cov(s, rowvar=False))
    np.savez(os.path.join(out_dir, "reference.npz"), mu=f.mean(0), sigma=np.cov(f, rowvar=False))
    with open(os.path.join(out_dir, "README.json"), "w") as fh:
        json.dump({
            "eval": "eval.pt: (pool, spatial, logits) of a CNN Fashion-MNIST classifier: pool = its last convolution (128 channels, "
                    "BatchNorm + ReLU) averaged over the 7x7 positions, spatial = that map's first 7 channels in H, W, C order (343), "
                    "logits = its 10-class head",
            "features": "features.pt: pool alone (128)",
            "classifier_test_accuracy": round(state["test_accuracy"], 4),
            "classifier_training": f"{state['step']} Adam steps of 128 on the 60,000 training images (flips, 2-pixel shifts); "
                                   f"{state['spent']['cpu'] / 60:.1f} CPU-min per thread, {state['spent']['wall'] / 60:.1f} wall-min",
            "reference": "reference.npz: mu, sigma (ddof=1) of pool over the 10,000 Fashion-MNIST test images",
            "reference_batch": "reference-batch.npz: arr_0 = the 10,000 test images (10000x28x28x3 uint8, gray replicated), mu/sigma (pool), "
                               "mu_s/sigma_s (spatial)",
            "preprocessing": "x in [-1,1] -> uint8 clamp(floor(127.5x+128),0,255) -> u/255*2-1, 1x28x28, no resize (the test images: "
                             "x = u/127.5-1 gives back u exactly)",
            "made_by": "tools/train_fashion_classifier.py, tools/export_fashion_models.py",
        }, fh, indent=2)
        fh.write("\n")
    print(f"wrote {os.path.relpath(out_dir, ROOT)}/reference-batch.npz, reference.npz, README.json "
          f"(test accuracy {state['test_accuracy']:.4f})")


def export_rf(out_dir, flow_checkpoint):
    flow = torch.load(os.path.join(CKPT, "flow.pt" if flow_checkpoint else "flow-final.pt"))
    net = VelocityUNet(**flow["config"])
    net.load_state_dict(flow["ema"])
    os.makedirs(out_dir, exist_ok=True)
    g = torch.Generator().manual_seed(0)
    x, t = torch.randn((8, 1, SIZE, SIZE), generator=g), torch.rand(8, generator=g)
    labels = torch.tensor([0, 1, 2, 3, 4, 5, 6, 7]) % CLASSES
    labels[-1] = NULL
    save_script(net, os.path.join(out_dir, "predictor.pt"), None, (x, t, labels))
    refiner = None
    files = {"predictor": "predictor.pt"}
    refiner_path = os.path.join(CKPT, "refiner-final.pt")
    description = (f"Class-conditional 1-rectified flow on Fashion-MNIST (1x28x28 in [-1,1]), EMA weights after {flow['step']} steps"
                   f"{' (a checkpoint taken while training: not the finished model)' if flow_checkpoint else ''}; made by tools/train_fashion.py")
    if os.path.exists(refiner_path) and not flow_checkpoint:
        state = torch.load(refiner_path)
        refiner = Refiner(state["ch"])
        refiner.load_state_dict(state["net"])
        save_script(refiner, os.path.join(out_dir, "refiner.pt"), None, (x, t, x.flip(3), labels))
        files["refiner"] = "refiner.pt"
        description += ", with a FlowTurbo refiner made by tools/train_fashion_refiner.py"
    files["features"] = "../fashion-fid/features.pt"
    write_manifest(out_dir, "fashion-rf", files, description, input_shape=(1, SIZE, SIZE))
    return net, refiner


# (key, sampler string, H, P, R or Heun/Euler steps, guidance): what FashionModelTests runs
GOLDEN_SAMPLERS = [
    ("heun8", "heun", 8, 1.0),
    ("euler8", "euler", 8, 1.0),
    ("heun4_cfg2", "heun", 4, 2.0),
    ("flowturbo_h1p3r3", "flowturbo", (1, 3, 3), 1.0),
    ("flowturbo_h1p6r0", "flowturbo", (1, 6, 0), 1.0),
]


def golden_inputs(count=6):
    """The golden files' float32 noises (generator seed 17) and labels (i mod 10); the C# tests upload these."""
    g = torch.Generator().manual_seed(17)
    return torch.randn((count, 1, SIZE, SIZE), generator=g), torch.arange(count) % CLASSES


def golden(predictor, refiner, path, count=6):
    """Sampler trajectories in float64 on the exported weights, for the C# tests."""
    p64 = copy.deepcopy(predictor).double().eval()
    r64 = copy.deepcopy(refiner).double().eval() if refiner is not None else None
    x0_32, labels = golden_inputs(count)
    x0 = x0_32.double()  # the float32 noise C# uploads, exactly

    def velocity(guidance):
        def v(x, t, c):
            if guidance == 1.0:
                return p64(x, t, c)
            both = p64(torch.cat([x, x]), torch.cat([t, t]), torch.cat([c, torch.full_like(c, NULL)]))
            cond, uncond = both.chunk(2)
            return uncond + guidance * (cond - uncond)
        return v

    out = {"x0": x0_32.numpy(), "labels": labels.numpy()}
    with torch.no_grad():
        for key, kind, steps, guidance in GOLDEN_SAMPLERS:
            v = velocity(guidance)
            if kind == "heun":
                x = heun_sample(v, x0, labels, steps)
            elif kind == "euler":
                x = x0.clone()
                for k in range(steps):
                    x = x + v(x, torch.full((count,), k / steps, dtype=torch.float64), labels) / steps
            else:
                if steps[2] > 0 and r64 is None:
                    continue
                x = flowturbo_sample(v, r64, x0, labels, *steps)
            out[key] = x.numpy()
    np.savez(path, **out)
    print(f"wrote {os.path.relpath(path, ROOT)} ({', '.join(k for k in out if k not in ('x0', 'labels'))})")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out-root", default=MODELS)
    parser.add_argument("--flow-checkpoint", action="store_true")
    a = parser.parse_args()
    threads()
    export_fid(os.path.join(a.out_root, "fashion-fid"))
    predictor, refiner = export_rf(os.path.join(a.out_root, "fashion-rf"), a.flow_checkpoint)
    if a.out_root == MODELS:
        golden(predictor, refiner, os.path.join(GOLDEN_DIR, "fashion_golden.npz"))


if __name__ == "__main__":
    main()
