#!/usr/bin/python3
"""The FlowTurbo velocity refiner of models/digits-rf, trained on the grid it runs on.

    /usr/bin/python3 tools/train_digits_refiner.py [cache.pt]   # 19 min at load average 30-80 on 2 cores

FlowTurbo's transport.py trains R(x_t + dt·v_t, t + dt, v_t) + v_t to regress the teacher's velocity
at the moved point, with x_t on the data path and dt ~ U(0, 0.12). In sampling (models_assemble.py,
Grains/Sampling/FlowTurboSampler.cs) the refiner is called twice per step of h = 1/(H+P+R): at the
step's start (offset 0 from where u, the kept velocity, was taken, or a whole step h after it once u is
a refined velocity) and at x + h·d, t + h, where its output is added to d instead of u. The digits
grids have h = 1/9, and at dt ~ U(0, 0.12) the refiner never sees those calls. So this script keeps
transport.py's objective — the refiner predicts the teacher's velocity change at the point it is
called — but draws (x, t, u) from the very calls the shipped schedule makes: trajectories of the
predictor under H Heun and P pseudo-corrector steps, then R exact Heun steps on the same grid (the path
a perfect refiner would follow). For each refiner step k:
  call 1: R(x_k, t_k, u_k)         -> v(x_k, t_k) - u_k
  call 2: R(x̃_k, t_k+1, u_k)       -> v(x̃_k, t_k+1) - v(x_k, t_k),   x̃_k = x_k + h·v(x_k, t_k)
with u at the first refiner step the pseudo-corrector's kept velocity, then the previous step's d.
Labels are the null class in 10 % of the trajectories (classifier-free guidance).

Reports the trajectory error (RMS against Heun 64 from the same noise and labels) of the schedule
with this refiner, with a perfect refiner (exact Heun steps), of the pseudo-corrector alone and of
Heun 8, and the refiner's cost per call relative to the predictor's, measured side by side.
Deterministic: fixed seeds, one intra-op thread. Writes models/digits-rf/refiner.pt.
"""

import os
import sys
import time

import torch

from digits_common import (MODELS, NULL, CLASSES, Refiner, flowturbo_sample, grid_times, heun_sample, predictor_steps, rms, save_script)

# H, P, R of the shipped sampler flowturbo:h=1,p=4,r=4: on its 9-step grid exact Heun steps in place of the refiner
# steps reach 0.037 against Heun 64 with 6 predictor calls, below Heun 8's 0.044 with 16 (the room a refiner has).
SCHEDULE = (1, 4, 4)
TRAJECTORIES, BATCH, STEPS = 6000, 256, 3000
LABEL_DROPOUT = 0.1
PACKAGE = os.path.join(MODELS, "digits-rf")


@torch.no_grad()
def refiner_calls(model, x0, labels, heun, pseudo, refine):
    """The inputs and targets of every refiner call of the schedule along the predictor's path."""
    n = heun + pseudo + refine
    x, u = predictor_steps(model, x0, labels, heun, pseudo, refine)
    h = 1.0 / n
    inputs, targets = [], []
    for k in range(heun + pseudo, n):
        t, t_next = grid_times(n, k, len(x)), grid_times(n, k + 1, len(x))
        d = model(x, t, labels)
        moved = x + h * d
        d_next = model(moved, t_next, labels)
        inputs += [(x, t, u, labels), (moved, t_next, u, labels)]
        targets += [d - u, d_next - d]
        x = x + h / 2 * (d + d_next)
        u = d
    return [torch.cat(part) for part in zip(*inputs)], torch.cat(targets)


def call_ms(module, args, repeats=20):
    for _ in range(3):
        module(*args)
    start = time.perf_counter()
    for _ in range(repeats):
        module(*args)
    return (time.perf_counter() - start) / repeats * 1000


def main():
    torch.set_num_threads(1)
    torch.manual_seed(7)
    predictor = torch.jit.load(os.path.join(PACKAGE, "predictor.pt")).eval()
    g = torch.Generator().manual_seed(8)

    start = time.time()
    x0 = torch.randn((TRAJECTORIES, 1, 8, 8), generator=g)
    labels = torch.randint(0, CLASSES, (TRAJECTORIES,), generator=g)
    labels[torch.rand(TRAJECTORIES, generator=g) < LABEL_DROPOUT] = NULL
    cache = sys.argv[1] if len(sys.argv) > 1 else None  # optional: the calls are deterministic, so a rerun may reuse them
    if cache and os.path.exists(cache):
        inputs, targets = torch.load(cache)
    else:
        chunks = [refiner_calls(predictor, x0[i:i + 500], labels[i:i + 500], *SCHEDULE) for i in range(0, TRAJECTORIES, 500)]
        inputs = [torch.cat(part) for part in zip(*(c[0] for c in chunks))]
        targets = torch.cat([c[1] for c in chunks])
        if cache:
            torch.save((inputs, targets), cache)
    print(f"refiner data: {len(targets):,} calls of flowturbo:h={SCHEDULE[0]},p={SCHEDULE[1]},r={SCHEDULE[2]} "
          f"({time.time() - start:.0f} s); target RMS {targets.pow(2).mean().sqrt():.4f} (the error of 'no refiner')")

    refiner = Refiner()
    opt = torch.optim.Adam(refiner.parameters(), lr=3e-3)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, STEPS)
    start = time.time()
    for step in range(STEPS):
        idx = torch.randint(0, len(targets), (BATCH,), generator=g)
        x, t, u, c = (part[idx] for part in inputs)
        loss = (refiner(x, t, u, c) - targets[idx]).pow(2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        if step % 500 == 0 or step == STEPS - 1:
            print(f"refiner step {step}: RMS {loss.item() ** 0.5:.4f} ({time.time() - start:.0f} s)")
    refiner.eval()
    with torch.no_grad():
        calls = 2 * SCHEDULE[2]
        residual = (refiner(*(part[:5000 * calls] for part in inputs)) - targets[:5000 * calls]).pow(2)
        per_call = residual.view(-1, calls, 500, 64).mean((0, 2, 3)).sqrt()
        per_target = targets[:5000 * calls].pow(2).view(-1, calls, 500, 64).mean((0, 2, 3)).sqrt()
    print("residual / target RMS per call (step k, call 1|2): " + ", ".join(
        f"k{SCHEDULE[0] + SCHEDULE[1] + i // 2}.{i % 2 + 1} {per_call[i]:.3f}/{per_target[i]:.3f}" for i in range(calls)))
    save_script(refiner, os.path.join(PACKAGE, "refiner.pt"))

    # Held-out check on noises the refiner never saw (the C# fid-table is the real measurement).
    g = torch.Generator().manual_seed(9)
    x0 = torch.randn((500, 1, 8, 8), generator=g)
    labels = torch.randint(0, CLASSES, (500,), generator=g)
    reference = heun_sample(predictor, x0, labels, 64)
    h, p, r = SCHEDULE
    print(f"trajectory RMS vs heun 64 (500 held-out samples): "
          f"flowturbo h={h},p={p},r={r} {rms(flowturbo_sample(predictor, refiner, x0, labels, h, p, r), reference):.4f}, "
          f"perfect refiner (exact Heun steps) {rms(heun_tail(predictor, x0, labels, h, p, r), reference):.4f}, "
          f"pseudo-corrector only h={h},p={p + r} {rms(flowturbo_sample(predictor, None, x0, labels, h, p + r, 0), reference):.4f}, "
          f"heun 8 {rms(heun_sample(predictor, x0, labels, 8), reference):.4f}")
    batch = (x0[:250], torch.full((250,), 0.5), x0[:250], labels[:250])
    frozen = torch.jit.script(refiner)
    ratio = [call_ms(frozen, batch) / call_ms(predictor, (batch[0], batch[1], batch[3])) for _ in range(3)]
    print(f"refiner/predictor time per call at batch 250: {min(ratio):.3f} (best of 3 side-by-side measurements)")


@torch.no_grad()
def heun_tail(model, x0, labels, heun, pseudo, refine):
    """The schedule with its refiner steps replaced by exact Heun steps: what a perfect refiner reaches."""
    n = heun + pseudo + refine
    x, h, kept = x0.clone(), 1.0 / n, None
    for k in range(n):
        d = kept if (heun <= k < heun + pseudo and kept is not None) else model(x, grid_times(n, k, len(x)), labels)
        kept = model(x + h * d, grid_times(n, k + 1, len(x)), labels)
        x = x + h / 2 * (d + kept)
    return x


if __name__ == "__main__":
    main()
