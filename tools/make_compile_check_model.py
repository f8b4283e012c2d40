#!/usr/bin/python3
"""models/compile-check: a small class-conditional conv net on which freezing + optimize_for_inference
makes TorchScript several times slower on CPU (MKLDNN convolutions on 8x8 maps, with layout
conversions around the GroupNorm and the label embedding), the slowdown issue 17 reported for such a
net. The sample-aware compilation tests and bench/compile-vs-pytorch.sh use it to show that a silo
keeps a faster form. Random weights (fixed seed); not a generative model of anything.

    /usr/bin/python3 tools/make_compile_check_model.py [--check]

--check also times the three forms here (as loaded, frozen, frozen + optimize_for_inference) on a
batch of 256 with 2 threads, as the silo does at warm-up.
"""

import json
import os
import sys
import time

import torch
from torch import nn
from torch.nn import functional as F

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
PACKAGE = os.path.join(ROOT, "models", "compile-check")
CLASSES, WIDTH, SIZE = 10, 64, 8


class CompileCheckNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.label = nn.Embedding(CLASSES + 1, WIDTH)
        self.conv_in = nn.Conv2d(1, WIDTH, 3, padding=1)
        self.norm1 = nn.GroupNorm(8, WIDTH)
        self.conv_mid = nn.Conv2d(WIDTH, WIDTH, 3, padding=1)
        self.norm2 = nn.GroupNorm(8, WIDTH)
        self.conv_out = nn.Conv2d(WIDTH, 1, 3, padding=1)

    def forward(self, x: torch.Tensor, t: torch.Tensor, label: torch.Tensor) -> torch.Tensor:
        h = self.conv_in(x) + self.label(label)[:, :, None, None] * t[:, None, None, None]
        h = self.conv_mid(F.silu(self.norm1(h)))
        return 0.1 * self.conv_out(F.silu(self.norm2(h)))


def timed(module, inputs, runs=10):
    with torch.inference_mode():
        for _ in range(3):
            module(*inputs)
        start = time.perf_counter()
        for _ in range(runs):
            module(*inputs)
    return (time.perf_counter() - start) / runs * 1000


def main():
    torch.manual_seed(0)
    os.makedirs(PACKAGE, exist_ok=True)
    net = torch.jit.script(CompileCheckNet().eval())
    net.save(os.path.join(PACKAGE, "predictor.pt"))
    manifest = {
        "format": "orleansflow-model/1",
        "name": "compile-check",
        "kind": "velocity",
        "input_shape": [1, SIZE, SIZE],
        "classes": CLASSES,
        "null_class": CLASSES,
        "time_convention": "sit",
        "files": {"predictor": "predictor.pt"},
        "description": "Random-weight conv net on which freeze + optimize_for_inference is slower on CPU; made by tools/make_compile_check_model.py for the sample-aware compilation tests.",
    }
    with open(os.path.join(PACKAGE, "model.json"), "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")
    if "--check" in sys.argv:
        torch.set_num_threads(2)
        loaded = torch.jit.load(os.path.join(PACKAGE, "predictor.pt")).eval()
        inputs = (torch.randn(256, 1, SIZE, SIZE), torch.rand(256), torch.randint(0, CLASSES + 1, (256,)))
        print(f"as loaded {timed(loaded, inputs):.1f} ms, frozen {timed(torch.jit.freeze(loaded), inputs):.1f} ms, "
              f"frozen + optimize_for_inference {timed(torch.jit.optimize_for_inference(torch.jit.freeze(loaded)), inputs):.1f} ms per batch of 256")


if __name__ == "__main__":
    main()
