#!/usr/bin/python3
"""The FlowTurbo velocity refiner of models/fashion-rf, trained on the grids it runs on.

    nice -n 19 /usr/bin/python3 tools/train_fashion_refiner.py [--minutes 20]

FlowTurbo's transport.py trains R(x_t + dt·v_t, t + dt, v_t) + v_t to regress the teacher's velocity
at the moved point, dt ~ U(0, 0.12). The shipped schedules call the refiner twice per step of
h = 1/(H+P+R) (h = 1/7 .. 1/8 here, outside that range), so, as tools/train_digits_refiner.py does, this
keeps the objective (the refiner predicts the teacher's velocity change at the point it is called)
and draws (x, t, u) from the very calls of the schedules in SCHEDULES: trajectories of the predictor
(the EMA weights of $FASHION_CKPT/flow-final.pt) under H Heun and P pseudo-corrector steps, then R
exact Heun steps on the same grid (the path a perfect refiner follows). For refiner step k:
  call 1: R(x_k, t_k, u_k)         -> v(x_k, t_k) - u_k
  call 2: R(x̃_k, t_k+1, u_k)       -> v(x̃_k, t_k+1) - v(x_k, t_k),   x̃_k = x_k + h·v(x_k, t_k)
with u at the first refiner step the pseudo-corrector's kept velocity, then the previous step's d.
10 % of the trajectories use the null class.

The calls are generated first and cached in $FASHION_CKPT/refiner-data.pt; training checkpoints every
5 minutes to refiner.pt (atomic rename) and resumes. The result goes to refiner-final.pt, with the
trajectory RMS against Heun 64 of each schedule with this refiner, with a perfect refiner, with the
pseudo-corrector alone, and of Heun 8, on 200 held-out noises. Does nothing when refiner-final.pt exists.
"""

import argparse
import os
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fashion_common import (CKPT, CLASSES, NULL, Budget, Refiner, VelocityUNet, atomic_save, flowturbo_sample,  # noqa: E402
                            grid_times, heun_sample, predictor_steps, rms, threads)

# (H, P, R): the schedules models/fashion-rf ships for the refiner (docs/fashion.md).
SCHEDULES = [(1, 3, 3), (1, 4, 3), (2, 3, 3)]
REFINER_CH = 24
TRAJECTORIES, CHUNK, BATCH, STEPS, LR, HELDOUT = 1500, 250, 256, 6000, 3e-3, 200


def load_predictor():
    state = torch.load(os.path.join(CKPT, "flow-final.pt"))
    net = VelocityUNet(**state["config"])
    net.load_state_dict(state["ema"])
    return torch.jit.freeze(torch.jit.script(net.eval()))


@torch.no_grad()
def refiner_calls(model, x0, labels, heun, pseudo, refine):
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


def make_data(predictor, path):
    """All refiner calls of every schedule on TRAJECTORIES noises each; resumable per chunk."""
    data = torch.load(path) if os.path.exists(path) else {"chunks": [], "done": 0}
    g = torch.Generator().manual_seed(8)
    x0 = torch.randn((TRAJECTORIES, 1, 28, 28), generator=g)
    labels = torch.randint(0, CLASSES, (TRAJECTORIES,), generator=g)
    labels[torch.rand(TRAJECTORIES, generator=g) < 0.1] = NULL
    jobs = [(s, i) for s in SCHEDULES for i in range(0, TRAJECTORIES, CHUNK)]
    start = time.time()
    for j, (schedule, i) in enumerate(jobs):
        if j < data["done"]:
            continue
        data["chunks"].append(refiner_calls(predictor, x0[i:i + CHUNK], labels[i:i + CHUNK], *schedule))
        data["done"] = j + 1
        atomic_save(data, path)
        print(f"refiner data: chunk {j + 1}/{len(jobs)} (schedule {schedule}), {time.time() - start:.0f} s", flush=True)
    inputs = [torch.cat(part) for part in zip(*(c[0] for c in data["chunks"]))]
    return inputs, torch.cat([c[1] for c in data["chunks"]])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=20.0, help="CPU minutes per thread (fashion_common.Budget)")
    parser.add_argument("--wall-minutes", type=float, default=30.0)
    a = parser.parse_args()
    threads()
    final, state_path = os.path.join(CKPT, "refiner-final.pt"), os.path.join(CKPT, "refiner.pt")
    if os.path.exists(final):
        print(f"train_fashion_refiner: {final} exists, nothing to do")
        return
    predictor = load_predictor()
    start = time.time()
    inputs, targets = make_data(predictor, os.path.join(CKPT, "refiner-data.pt"))
    print(f"refiner data: {len(targets):,} calls ({time.time() - start:.0f} s this run); target RMS "
          f"{targets.pow(2).mean().sqrt():.4f} (the error of 'no refiner')", flush=True)

    refiner = Refiner(REFINER_CH)
    opt = torch.optim.Adam(refiner.parameters(), lr=LR)
    g = torch.Generator().manual_seed(9)
    step, spent = 0, {}
    if os.path.exists(state_path):
        state = torch.load(state_path)
        refiner.load_state_dict(state["net"])
        opt.load_state_dict(state["opt"])
        g.set_state(state["rng"])
        step, spent = state["step"], state["spent"]
        print(f"resumed from {state_path}: step {step}", flush=True)
    budget = Budget(a.minutes, a.wall_minutes, spent)
    last_save = time.monotonic()
    while step < STEPS and not budget.over():
        frac = max(step / STEPS, budget.fraction())
        for group in opt.param_groups:
            group["lr"] = LR * (0.02 + 0.98 * 0.5 * (1 + torch.cos(torch.tensor(frac * 3.141592653589793)).item()))
        idx = torch.randint(0, len(targets), (BATCH,), generator=g)
        x, t, u, c = (part[idx] for part in inputs)
        loss = (refiner(x, t, u, c) - targets[idx]).pow(2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        step += 1
        if step % 250 == 0:
            print(f"refiner step {step}: RMS {loss.item() ** 0.5:.4f}, {budget}", flush=True)
        if time.monotonic() - last_save >= 300:
            atomic_save({"net": refiner.state_dict(), "opt": opt.state_dict(), "rng": g.get_state(), "step": step,
                         "spent": budget.state()}, state_path)
            last_save = time.monotonic()
    refiner.eval()

    # Held-out check on noises the refiner never saw (the C# fid-table is the real measurement).
    g = torch.Generator().manual_seed(10)
    x0 = torch.randn((HELDOUT, 1, 28, 28), generator=g)
    labels = torch.randint(0, CLASSES, (HELDOUT,), generator=g)
    reference = heun_sample(predictor, x0, labels, 64)
    report = {"heun8": rms(heun_sample(predictor, x0, labels, 8), reference)}
    for h, p, r in SCHEDULES:
        key = f"h{h}p{p}r{r}"
        report[key] = rms(flowturbo_sample(predictor, refiner, x0, labels, h, p, r), reference)
        report[key + "_perfect_refiner"] = rms(heun_tail(predictor, x0, labels, h, p, r), reference)
        report[f"h{h}p{p + r}r0"] = rms(flowturbo_sample(predictor, None, x0, labels, h, p + r, 0), reference)
    print(f"trajectory RMS vs heun 64 ({HELDOUT} held-out samples): " + ", ".join(f"{k} {v:.4f}" for k, v in report.items()), flush=True)
    atomic_save({"net": refiner.state_dict(), "ch": REFINER_CH, "schedules": SCHEDULES, "step": step,
                 "spent": budget.state(), "trajectory_rms": report}, final)
    print(f"train_fashion_refiner: wrote {final} after {step} steps, {budget}", flush=True)


if __name__ == "__main__":
    main()
