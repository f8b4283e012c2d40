#!/usr/bin/python3
"""Feature networks for OrleansFlow's whole evaluation suite: one TorchScript module whose forward
returns (pool, spatial, logits) - pooled features (FID, precision/recall, KID), spatial features
(sFID) and class logits (Inception Score) - with the extra file orleansflow_features.json saying
{"input": ..., "outputs": ["pool", "spatial", "logits"]} (read by Grains/Torch/TorchFeatureExtractor.cs).

  digits     models/digits-fid/eval.pt from the FID-digits classifier models/digits-fid/classifier.pt
             (made by tools/train_digits.py), and models/digits-fid/reference-batch.npz, an ADM-style
             reference batch of the 1,797 scikit-learn digits: arr_0 (N x 8 x 8 x 3 uint8, the
             uint8 rule of the samples, gray replicated), mu/sigma (pool) and mu_s/sigma_s (spatial).
             Re-run it whenever classifier.pt changes:  /usr/bin/python3 tools/export_eval_networks.py digits
  inception  an Inception v3 with the ADM evaluator's preprocessing and outputs, from pytorch-fid's
             FID weights (pt_inception-2015-12-05-6726825d.pth, the TF 2015-12-05 graph ported):
             /usr/bin/python3 tools/export_eval_networks.py inception --weights PTH --out inception-eval.pt
             It needs pytorch-fid importable (pip install pytorch-fid) and the weights file; neither is
             on this machine, so this path has not been run here.

The digits network mirrors ADM's choices at digits scale: pool = the classifier's last convolution
averaged over its 4 x 4 positions (64, the FID-digits features, as Inception's pool_3 averages its
last block), spatial = the first 7 channels of its last convolution
(4 x 4 x 7 = 112, flattened in H, W, C order as ADM flattens TF's NHWC mixed_6/conv), logits = its
10-class head.

The Inception network follows guided-diffusion evaluations/evaluator.py, which feeds float images in
[0, 255] at their own size into the TF graph at ExpandDims:0, so the graph's own steps apply:
  1. resize to 299 x 299 with TF1 ResizeBilinear (align_corners=False, half_pixel_centers=False:
     source coordinate = destination * in/out, no half-pixel offset), in float32;
  2. (u - 128) / 128;
  3. pool = pool_3 (2048), spatial = mixed_6/conv[..., :7] (17 x 17 x 7 = 2023, H, W, C order),
     logits = pool_3 @ W of softmax/logits/MatMul (1008 classes, no bias: ADM's softmax graph
     multiplies by the weight alone).
OrleansFlow feeds "native" input as u/255*2-1 (u the uint8 image, gray replicated to RGB by this
module), so the module recovers u = (x + 1) * 127.5 exactly up to float rounding before step 1.
In pytorch-fid's port, mixed_6/conv is Mixed_6d.branch1x1 (conv + batch norm + ReLU).
"""
import argparse
import json
import os
import sys

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

EXTRA = "orleansflow_features.json"
OUTPUTS = ["pool", "spatial", "logits"]


def first_channels_hwc(h: torch.Tensor) -> torch.Tensor:
    """[N, C, H, W] -> the first 7 channels (ADM: spatial[..., :7]) flattened in H, W, C order (TF's NHWC reshape)."""
    return h[:, :7].permute(0, 2, 3, 1).reshape(h.shape[0], -1)


class DigitsEval(nn.Module):
    def __init__(self, classifier: nn.Module):
        super().__init__()
        self.classifier = classifier

    def forward(self, x: torch.Tensor):
        c = self.classifier
        # One pass through digits_common.Classifier exposing its last convolution; export_digits()
        # checks pool equals classifier.pooled(x) (features.pt) and logits classifier.pt exactly.
        h = c.spatial(x)
        logits = c.head(torch.tanh(c.fc(h.flatten(1))))
        return h.mean(dim=(2, 3)), first_channels_hwc(h), logits


def save(module: nn.Module, path: str, input_kind: str):
    scripted = torch.jit.script(module.eval())
    torch.jit.save(scripted, path, _extra_files={EXTRA: json.dumps({"input": input_kind, "outputs": OUTPUTS})})


def export_digits(out_dir: str):
    from digits_common import FID_DIR, Classifier, fid_preprocess, load_digits, threads

    threads()
    out_dir = out_dir or FID_DIR
    scripted = torch.jit.load(os.path.join(FID_DIR, "classifier.pt"))
    state = {k[len("classifier."):]: v for k, v in scripted.state_dict().items() if k.startswith("classifier.")}
    classifier = Classifier()
    classifier.load_state_dict(state)
    classifier.eval()
    module = DigitsEval(classifier).eval()

    x, _ = load_digits()
    with torch.no_grad():
        inputs = fid_preprocess(x)
        pool, spatial, logits = module(inputs)
        if not torch.equal(pool, classifier.pooled(inputs)) or not torch.equal(logits, scripted(inputs)):
            raise SystemExit("DigitsEval no longer matches digits_common.Classifier: update its forward")
    path = os.path.join(out_dir, "eval.pt")
    save(module, path, "native")

    # ADM-style reference batch: the real digits as uint8 by the samples' rule, and their statistics.
    u = torch.clamp(torch.floor(x.float() * 127.5 + 128.0), 0, 255).to(torch.uint8)[:, 0]
    arr_0 = np.repeat(u.numpy()[..., None], 3, axis=3)
    f, s = pool.double().numpy(), spatial.double().numpy()
    batch = os.path.join(out_dir, "reference-batch.npz")
    np.savez(batch, arr_0=arr_0, mu=f.mean(0), sigma=np.cov(f, rowvar=False), mu_s=s.mean(0), sigma_s=np.cov(s, rowvar=False))
    print(f"{path}: pool {pool.shape[1]}, spatial {spatial.shape[1]}, logits {logits.shape[1]}; "
          f"{batch}: arr_0 {arr_0.shape}, mu/sigma, mu_s/sigma_s")


class TfResizeBilinear(nn.Module):
    """TF1 ResizeBilinear(align_corners=False, half_pixel_centers=False): src = dst * in/out."""

    def __init__(self, size: int):
        super().__init__()
        self.size = size

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, w = x.shape[2], x.shape[3]
        ys = torch.arange(self.size, dtype=torch.float32) * (h / self.size)
        xs = torch.arange(self.size, dtype=torch.float32) * (w / self.size)
        y0 = ys.floor().long().clamp(max=h - 1)
        x0 = xs.floor().long().clamp(max=w - 1)
        y1 = (y0 + 1).clamp(max=h - 1)
        x1 = (x0 + 1).clamp(max=w - 1)
        wy = (ys - y0.float())[None, None, :, None]
        wx = (xs - x0.float())[None, None, None, :]
        top = x[:, :, y0][:, :, :, x0] * (1 - wx) + x[:, :, y0][:, :, :, x1] * wx
        bottom = x[:, :, y1][:, :, :, x0] * (1 - wx) + x[:, :, y1][:, :, :, x1] * wx
        return top * (1 - wy) + bottom * wy


class InceptionEval(nn.Module):
    def __init__(self, inception: nn.Module):
        super().__init__()
        self.net = inception
        self.resize = TfResizeBilinear(299)

    def forward(self, x: torch.Tensor):
        if x.shape[1] == 1:
            x = x.repeat(1, 3, 1, 1)
        u = (x + 1.0) * 127.5
        h = (self.resize(u) - 128.0) / 128.0
        n = self.net
        h = n.Conv2d_1a_3x3(h)
        h = n.Conv2d_2a_3x3(h)
        h = n.Conv2d_2b_3x3(h)
        h = F.max_pool2d(h, kernel_size=3, stride=2)
        h = n.Conv2d_3b_1x1(h)
        h = n.Conv2d_4a_3x3(h)
        h = F.max_pool2d(h, kernel_size=3, stride=2)
        h = n.Mixed_5b(h)
        h = n.Mixed_5c(h)
        h = n.Mixed_5d(h)
        h = n.Mixed_6a(h)
        h = n.Mixed_6b(h)
        h = n.Mixed_6c(h)
        spatial = first_channels_hwc(n.Mixed_6d.branch1x1(h))
        h = n.Mixed_6d(h)
        h = n.Mixed_6e(h)
        h = n.Mixed_7a(h)
        h = n.Mixed_7b(h)
        h = n.Mixed_7c(h)
        pool = F.adaptive_avg_pool2d(h, (1, 1)).flatten(1)
        logits = pool @ n.fc.weight.t()
        return pool, spatial, logits


def export_inception(weights: str, out: str):
    from pytorch_fid.inception import fid_inception_v3  # the FID port of TF's 2015-12-05 graph

    net = fid_inception_v3()  # builds torchvision's inception_v3(num_classes=1008) with FID blocks
    net.load_state_dict(torch.load(weights, map_location="cpu"))
    module = InceptionEval(net.eval()).eval()
    with torch.no_grad():
        pool, spatial, logits = module(torch.zeros(2, 3, 64, 64))
    if (pool.shape[1], spatial.shape[1], logits.shape[1]) != (2048, 2023, 1008):
        raise SystemExit(f"unexpected output widths {pool.shape[1]}, {spatial.shape[1]}, {logits.shape[1]}")
    save(module, out, "native")
    print(f"{out}: pool 2048, spatial 2023, logits 1008 (input native: the samples at their own size)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="network", required=True)
    digits = sub.add_parser("digits")
    digits.add_argument("--out-dir", default=None)
    inception = sub.add_parser("inception")
    inception.add_argument("--weights", required=True)
    inception.add_argument("--out", required=True)
    args = parser.parse_args()
    if args.network == "digits":
        export_digits(args.out_dir)
    else:
        export_inception(args.weights, args.out)


if __name__ == "__main__":
    main()
