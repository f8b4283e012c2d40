#!/usr/bin/python3
"""The Fashion-MNIST FID network: a small CNN classifier (fashion_common.Classifier) trained on the
60,000 training images, with random flips and 2-pixel shifts, Adam with a cosine learning rate.

    nice -n 19 /usr/bin/python3 tools/train_fashion_classifier.py [--minutes 8] [--steps 3000]

Inputs are what OrleansFlow's extractor feeds ("native"): the uint8 rule, then u/255*2-1 (for the
real images that is exactly their [-1,1] values). Stops at the budget or the step count, checkpoints
every 5 minutes to $FASHION_CKPT/classifier.pt (atomic rename) and resumes from it. Writes
classifier-final.pt with the weights and the accuracy on the 10,000 test images; does nothing when
that exists. tools/export_fashion_models.py turns it into models/fashion-fid.
"""

import math
import os
import sys

import torch
from torch.nn import functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fashion_common import CKPT, Budget, Checkpointer, Classifier, atomic_save, augment, fid_preprocess, stage_arguments  # noqa: E402
import fashion_data  # noqa: E402

BATCH, LR = 128, 2e-3


@torch.no_grad()
def accuracy(net, x, y):
    net.eval()
    hits = sum((net(fid_preprocess(x[i:i + 1000])).argmax(1) == y[i:i + 1000]).sum().item() for i in range(0, len(x), 1000))
    net.train()
    return hits / len(x)


def main():
    final, state_path = os.path.join(CKPT, "classifier-final.pt"), os.path.join(CKPT, "classifier.pt")
    a = stage_arguments(final, 8.0, 60.0, steps=3000)
    if a is None:
        return
    x, y = fashion_data.load("train")
    xt, yt = fashion_data.load("test")
    net = Classifier()
    opt = torch.optim.Adam(net.parameters(), lr=LR)
    g = torch.Generator().manual_seed(1)
    torch.manual_seed(1)  # dropout
    checkpoints = Checkpointer(state_path, g, net=net, opt=opt)
    state = checkpoints.resume()
    step = state.get("step", 0)
    budget = Budget(a.minutes, a.wall_minutes, state.get("spent"))
    net.train()
    while step < a.steps and not budget.over():
        frac = max(step / a.steps, budget.fraction())
        for group in opt.param_groups:
            group["lr"] = LR * 0.5 * (1 + math.cos(math.pi * frac))
        idx = torch.randint(0, len(x), (BATCH,), generator=g)
        loss = F.cross_entropy(net(fid_preprocess(augment(x[idx], g, shift=2))), y[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
        step += 1
        if step % 50 == 0:
            print(f"step {step}: loss {loss.item():.4f}, {budget}", flush=True)
        if checkpoints.due():
            checkpoints.save(step, budget)
    test_accuracy = accuracy(net, xt, yt)
    net.eval()
    atomic_save({"net": net.state_dict(), "step": step, "spent": budget.state(), "test_accuracy": test_accuracy}, final)
    print(f"train_fashion_classifier: test accuracy {test_accuracy:.4f} on 10,000 images after {step} steps, "
          f"{budget}; wrote {final}", flush=True)


if __name__ == "__main__":
    main()
