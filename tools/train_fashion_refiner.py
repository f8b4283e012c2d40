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

import os
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fashion_common import (CKPT, CLASSES, NULL, Budget, Checkpointer, Refiner, VelocityUNet, atomic_save,  # noqa: E402
                            flowturbo_sample, heun_sample, rms, stage_arguments)
# the calls of a schedule along the predictor's path, and the schedule with exact Heun steps for its refiner steps
from train_digits_refiner import heun_tail, refiner_calls  # noqa: E402

# (H, P, R): the schedules models/fashion-rf ships for the refiner (docs/fashion.md). For experiments,
# FASHION_REFINER_SCHEDULES="2,0,8;3,0,7" trains on others (with FASHION_CKPT pointing at a copy of the
# checkpoints: the call cache and the final file are per directory).
SCHEDULES = [tuple(int(v) for v in s.split(",")) for s in os.environ["FASHION_REFINER_SCHEDULES"].split(";")] \
    if os.environ.get("FASHION_REFINER_SCHEDULES") else [(1, 3, 3), (1, 4, 3), (2, 3, 3)]
REFINER_CH = 24
TRAJECTORIES, CHUNK, BATCH, STEPS, LR, HELDOUT = 1500, 250, 256, 6000, 3e-3, 200


def load_predictor():
    state = torch.load(os.path.join(CKPT, "flow-final.pt"))
    net = VelocityUNet(**state["config"])
    net.load_state_dict(state["ema"])
    # eager, not TorchScript: the profiling executor re-optimises per input shape, which cost more than the calls here
    return net.eval()


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
    final, state_path = os.path.join(CKPT, "refiner-final.pt"), os.path.join(CKPT, "refiner.pt")
    a = stage_arguments(final, 20.0, 180.0)
    if a is None:
        return
    predictor = load_predictor()
    start = time.time()
    inputs, targets = make_data(predictor, os.path.join(CKPT, "refiner-data.pt"))
    print(f"refiner data: {len(targets):,} calls ({time.time() - start:.0f} s this run); target RMS "
          f"{targets.pow(2).mean().sqrt():.4f} (the error of 'no refiner')", flush=True)

    refiner = Refiner(REFINER_CH)
    opt = torch.optim.Adam(refiner.parameters(), lr=LR)
    g = torch.Generator().manual_seed(9)
    checkpoints = Checkpointer(state_path, g, net=refiner, opt=opt)
    state = checkpoints.resume()
    step = state.get("step", 0)
    budget = Budget(a.minutes, a.wall_minutes, state.get("spent"))
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
        if checkpoints.due():
            checkpoints.save(step, budget)
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
