#!/usr/bin/python3
"""The Fashion-MNIST 1-rectified flow: a class-conditional velocity U-Net (fashion_common.VelocityUNet,
32 channels, no normalisation layers: tools/fashion_arch_bench.py) trained by flow matching on the
straight path x_t = (1-t) x0 + t x1, target x1 - x0 (Rectified Flow; SiT/FlowTurbo's convention:
t = 0 noise, t = 1 data), t ~ U(0, 1), label dropout 10 % to the null class 10 for classifier-free
guidance, random horizontal flips, Adam, EMA of the weights (what is shipped).

    nice -n 19 /usr/bin/python3 tools/train_fashion.py [--minutes 85] [--wall-minutes 120] [--steps 40000]

Stops at whichever comes first: the budget (CPU minutes per thread, summed over interrupted runs),
the wall-time cap, or the step count; the learning rate follows a cosine over that same fraction. Checkpoints every 5 minutes to
$FASHION_CKPT (default /work/ckpt/fashion)/flow.pt with an atomic rename, and resumes from it
automatically. The result, the EMA weights, goes to flow-final.pt; when that exists the script does
nothing (delete it to train further).
"""

import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fashion_common import CKPT, NULL, Budget, Checkpointer, Ema, VelocityUNet, atomic_save, augment, optimiser_step, stage_arguments, warmup_cosine_lr  # noqa: E402
import fashion_data  # noqa: E402

CONFIG = {"ch": 32, "emb": 128, "norm": "none"}
BATCH, LR, WARMUP, EMA_DECAY, LABEL_DROPOUT = 64, 1e-3, 200, 0.999, 0.1
SAVE_EVERY = 300.0  # seconds


def main():
    final, state_path = os.path.join(CKPT, "flow-final.pt"), os.path.join(CKPT, "flow.pt")
    a = stage_arguments(final, 85.0, 600.0, steps=40000)
    if a is None:
        return
    x, y = fashion_data.load("train")

    net = VelocityUNet(**CONFIG)
    ema = Ema(net, EMA_DECAY)
    opt = torch.optim.Adam(net.parameters(), lr=LR)
    g = torch.Generator().manual_seed(2)
    checkpoints = Checkpointer(state_path, g, SAVE_EVERY, net=net, ema=ema.model, opt=opt)
    state = checkpoints.resume()
    step, losses = state.get("step", 0), state.get("losses", [])
    budget = Budget(a.minutes, a.wall_minutes, state.get("spent"))

    def save():
        checkpoints.save(step, budget, losses=losses, config=CONFIG)

    window = []
    while step < a.steps and not budget.over():
        frac = max(step / a.steps, budget.fraction())
        lr = warmup_cosine_lr(LR, step, WARMUP, frac)
        for group in opt.param_groups:
            group["lr"] = lr
        idx = torch.randint(0, len(x), (BATCH,), generator=g)
        x1, labels = augment(x[idx], g), y[idx].clone()
        labels[torch.rand(BATCH, generator=g) < LABEL_DROPOUT] = NULL
        x0 = torch.randn(x1.shape, generator=g)
        t = torch.rand(BATCH, generator=g)
        xt = (1 - t)[:, None, None, None] * x0 + t[:, None, None, None] * x1
        loss = (net(xt, t, labels) - (x1 - x0)).pow(2).mean()
        optimiser_step(net, opt, ema, loss, step, EMA_DECAY)
        step += 1
        window.append(loss.item())
        if step % 100 == 0:
            losses.append((step, sum(window) / len(window)))
            print(f"step {step}: loss {losses[-1][1]:.4f}, lr {lr:.2e}, {budget}", flush=True)
            window = []
        if checkpoints.due():
            save()
    save()
    atomic_save({"ema": ema.model.state_dict(), "config": CONFIG, "step": step, "spent": budget.state(),
                 "losses": losses}, final)
    print(f"train_fashion: wrote {final} (EMA weights) after {step} steps, {budget}", flush=True)


if __name__ == "__main__":
    main()
