#!/usr/bin/python3
"""Stage 2 of InstaFlow's pipeline on Fashion-MNIST: the cluster's reflow pairs -> 2-rectified flow ->
one-step distillation, at full size and resumable (tools/train_digits_reflow.py is the small version).

    OUT=/work/ckpt/reflow-fashion bench/reflow-dataset.sh 200000   # the pairs, by a 2-silo cluster -> $OUT/job
    nohup tools/train_fashion_reflow.sh /work/ckpt/reflow-fashion/job > /work/ckpt/fashion/reflow.log 2>&1 &
    # or directly:
    nice -n 19 /usr/bin/python3 tools/train_fashion_reflow.py JOB [--reflow-minutes 80] [--distill-minutes 60]
        [--reflow-wall-minutes 600] [--distill-wall-minutes 480] [--reflow-steps 40000] [--distill-steps 40000]
        [--distill-job JOB2] [--out-root models] [--export-only] [--eval-samples 256]

Reads JOB (an `orleansflow reflow` output directory): manifest.json and shards/NNNNN.safetensors, each
with x0, x1 (float32 N x 1 x 28 x 28: noise and the 1-rectified flow's ODE solution from it), seed
(int64 sample index) and label (int64; absent for unconditional jobs, read as the null class). Without
manifest.json (a job still being written) the shard files present are used, with a warning. The pairs
are streamed (PairStream): at most BUFFER_SHARDS shards are in memory at a time, never the whole job
(200,000 pairs are 1.25 GB).

Stages, each resumable from its own checkpoint in $FASHION_CKPT (default /work/ckpt/fashion), saved
atomically every 5 minutes, and skipped when its final file exists (delete it to train further):
  1. reflow2.pt -> reflow2-final.pt   the 2-rectified flow: the 1-rectified flow's EMA weights
     ($FASHION_CKPT/flow-final.pt, else models/fashion-rf/predictor.pt: the same weights) fine-tuned
     with the same loss on the pairs (x_t = (1-t) x0 + t x1, target x1 - x0, t ~ U(0, 1), 10 % of the
     labels dropped to the null class 10)
  2. distill.pt -> distill-final.pt   the one-step model: the 2-rectified flow's EMA weights trained so
     that x0 + v(x0, 0, label) ~ x1, L2 on the pairs (InstaFlow uses LPIPS; L2 as the digits script)
     and no label dropout (the null class would regress to the mean image over classes). InstaFlow
     distils on pairs solved with the 2-rectified flow; --distill-job takes such a job (made with
     --model models/fashion-2rf); by default the same pairs are used, as tools/train_digits_reflow.py does.
Both: Adam, lr 2e-4 with a 100-step warm-up and a cosine to 5 % over the budget, gradient clipping at
1, batch 64, EMA of the weights with train_fashion.py's warm-up, fashion_common.Budget (CPU minutes per
thread summed over restarts, a wall-time cap, a step cap; whichever comes first).

Then writes OUT_ROOT/fashion-2rf/ and OUT_ROOT/fashion-onestep/ (model.json + predictor.pt, TorchScript
forward(x[N,1,28,28], t[N], label int64[N]) -> v as models/fashion-rf's predictor; no refiner; sample the
one-step model with --sampler onestep), and prints, on --eval-samples fixed noises (labels i mod 10):
Rectified Flow's straightness S = E ∫ ||(Z1 - Z0) - v(Z_t, t)||² dt along Euler trajectories
(tools/digits_straightness.py's definition) of the 1- and 2-rectified flows, and the RMS against the
1-rectified flow's Heun 64 solution of one-step samples x0 + v(x0, 0) (1-RF, 2-RF, distilled) and of a
few cheap baselines; saved to $FASHION_CKPT/reflow-eval.json. --export-only exports the final files and stops.

Determinism: the data order is a function of the seed and the stream position (epoch, chunk, offset),
which the checkpoint keeps with the torch generator, so a resumed run reads and draws exactly what an
uninterrupted one would. Runs are not bitwise reproducible all the same: the learning rate follows the
CPU budget spent (as in train_fashion.py), which depends on the machine's load.
"""

import argparse
import copy
import hashlib
import json
import os
import re
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fashion_common import (CKPT, CLASSES, MODELS, NULL, PACKAGE, SIZE, Budget, Checkpointer, Ema,  # noqa: E402
                            VelocityUNet, atomic_save, flowturbo_sample, heun_sample, optimiser_step, rms, threads,
                            warmup_cosine_lr)
from digits_common import euler_sample, rectified_flow_loss, write_manifest  # noqa: E402
from digits_straightness import straightness  # noqa: E402
from export_fashion_models import GOLDEN_DIR, ROOT, golden_inputs, save_script  # noqa: E402  (checks TorchScript against eager before writing)
from train_digits_reflow import read_safetensors  # noqa: E402
from train_fashion import CONFIG  # noqa: E402

BATCH, LR, WARMUP, EMA_DECAY, LABEL_DROPOUT = 64, 2e-4, 100, 0.999, 0.1
BUFFER_SHARDS = 4  # shards per shuffle buffer: 4,000 pairs, 25 MB with 1,000-pair shards
FEATURES = "../fashion-fid/features.pt"
PIXELS = SIZE * SIZE


class PairStream:
    """The job's pairs in minibatches without holding the job in memory.

    An epoch visits the shards in a permutation drawn from (seed, epoch); they are read BUFFER_SHARDS
    at a time (a chunk), checked against the manifest's sha256, and the chunk's pairs are served in a
    permutation drawn from (seed, epoch, chunk); a minibatch that reaches the end of a chunk is
    completed from the next. The shards are independent samples of the same coupling (noise drawn
    per sample index, labels at random), so a buffer of a few shards mixes enough. The position
    (epoch, chunk, offset) is all that state() needs: a chunk is re-read and re-shuffled identically."""

    def __init__(self, job: str, seed: int):
        self.job, self.seed = job, seed
        self.shards, self.manifest = list_shards(job)
        self.epoch, self.chunk, self.offset = 0, 0, 0
        self.data = None  # (x0, x1, labels) of the current chunk, in serving order

    def state(self) -> dict:
        return {"epoch": self.epoch, "chunk": self.chunk, "offset": self.offset, "shards": len(self.shards)}

    def load_state(self, state: dict):
        self.epoch, self.chunk, self.offset = state["epoch"], state["chunk"], state["offset"]
        if state.get("shards") != len(self.shards):
            # the job has more (or fewer) shards than when the checkpoint was taken: the permutation
            # changed, so start the saved epoch over rather than skip or repeat pairs at random
            print(f"pair stream: {state.get('shards')} shards at the checkpoint, {len(self.shards)} now; epoch {self.epoch} restarts")
            self.chunk, self.offset = 0, 0
        self.data = None

    def _load_chunk(self):
        order = np.random.default_rng([self.seed, self.epoch]).permutation(len(self.shards))
        picked = order[self.chunk * BUFFER_SHARDS:(self.chunk + 1) * BUFFER_SHARDS]
        if len(picked) == 0:
            self.epoch, self.chunk, self.offset = self.epoch + 1, 0, 0
            return self._load_chunk()
        parts = [read_shard(self.job, self.shards[i]) for i in picked]
        x0, x1, labels = (np.concatenate(p) for p in zip(*parts))
        perm = np.random.default_rng([self.seed, self.epoch, self.chunk]).permutation(len(x0))
        self.data = tuple(torch.from_numpy(a[perm]) for a in (x0, x1, labels))

    def next(self, n: int):
        pieces = []
        while n > 0:
            if self.data is None:
                self._load_chunk()
            take = min(n, len(self.data[0]) - self.offset)
            pieces.append(tuple(a[self.offset:self.offset + take] for a in self.data))
            self.offset += take
            n -= take
            if self.offset >= len(self.data[0]):
                self.chunk, self.offset, self.data = self.chunk + 1, 0, None
        return tuple(torch.cat(p) for p in zip(*pieces))


def list_shards(job: str):
    """[(relative path, count or None, sha256 or None)] from manifest.json, checking that each file is
    there with the manifest's size; without a manifest, the shard files present (sorted)."""
    path = os.path.join(job, "manifest.json")
    if not os.path.exists(path):
        names = sorted(n for n in os.listdir(os.path.join(job, "shards")) if n.endswith(".safetensors"))
        if not names:
            raise SystemExit(f"{job}: no manifest.json and no shards/*.safetensors")
        print(f"WARNING: {path} is missing (job not finished?); using the {len(names)} shard files present, unverified", flush=True)
        return [(os.path.join("shards", n), None, None) for n in names], {}
    with open(path) as f:
        manifest = json.load(f)
    if manifest.get("shape", "1x28x28") != f"1x{SIZE}x{SIZE}":
        raise SystemExit(f"{path}: shape {manifest.get('shape')}, this script trains on 1x{SIZE}x{SIZE}")
    shards = []
    for s in manifest["shards"]:
        file = os.path.join(job, s["file"])
        if not os.path.exists(file) or ("bytes" in s and os.path.getsize(file) != s["bytes"]):
            raise SystemExit(f"{file}: missing or not {s.get('bytes')} bytes as manifest.json says")
        shards.append((s["file"], s.get("count"), s.get("sha256")))
    total = sum(c or 0 for _, c, _ in shards)
    if manifest.get("samples") not in (None, total):
        raise SystemExit(f"{path}: {manifest['samples']} samples but its shards hold {total}")
    return shards, manifest


def read_shard(job: str, shard):
    """One shard's (x0, x1, labels) as numpy arrays, checked against the manifest's count and sha256."""
    name, count, sha256 = shard
    path = os.path.join(job, name)
    if sha256 is not None:
        with open(path, "rb") as f:
            if hashlib.sha256(f.read()).hexdigest() != sha256:
                raise SystemExit(f"{path}: sha256 differs from manifest.json")
    arrays = read_safetensors(path)
    x0, x1 = arrays["x0"], arrays["x1"]
    if x0.shape[1:] != (1, SIZE, SIZE) or x1.shape != x0.shape or (count is not None and len(x0) != count):
        raise SystemExit(f"{path}: x0 {x0.shape}, x1 {x1.shape}, expected {count} x 1 x {SIZE} x {SIZE}")
    labels = arrays["label"] if "label" in arrays else np.full(len(x0), NULL, dtype=np.int64)
    return x0, x1, labels


def job_source(job: str) -> dict:
    """What made the pairs, for the packages' descriptions and the final files."""
    _, manifest = list_shards(job)
    spec = manifest.get("spec", {})
    return {"job": os.path.abspath(job), **{k: spec.get(k) for k in ("model", "sampler", "samples", "seed", "guidance")}}


def load_1rf():
    """The 1-rectified flow's EMA weights, and where they came from."""
    final = os.path.join(CKPT, "flow-final.pt")
    if os.path.exists(final):
        state = torch.load(final)
        net = VelocityUNet(**state["config"])
        net.load_state_dict(state["ema"])
        return net.eval(), f"{final} (step {state['step']})"
    path = os.path.join(PACKAGE, "predictor.pt")
    net = VelocityUNet(**CONFIG)
    net.load_state_dict(torch.jit.load(path).state_dict())
    return net.eval(), path


def load_final(path: str) -> VelocityUNet:
    state = torch.load(path)
    net = VelocityUNet(**state["config"])
    net.load_state_dict(state["ema"])
    return net.eval()


def reflow_loss(net, g, x0, x1, labels):
    labels = labels.clone()
    labels[torch.rand(len(labels), generator=g) < LABEL_DROPOUT] = NULL
    return rectified_flow_loss(net, x0, x1, torch.rand(len(labels), generator=g), labels)


def distill_loss(net, g, x0, x1, labels):
    """One Euler step of the whole interval lands on x1: ||x0 + v(x0, 0, c) - x1||²; only t = 0 is trained."""
    return (x0 + net(x0, torch.zeros(len(x0)), labels) - x1).pow(2).mean()


def train_stage(name, init, job, loss_fn, seed, minutes, wall_minutes, steps, save_every, extra):
    """Fine-tunes a copy of init on the job's pairs; resumes from $FASHION_CKPT/NAME.pt and writes the EMA
    weights to NAME-final.pt. Returns the EMA network (eval mode)."""
    state_path, final = os.path.join(CKPT, f"{name}.pt"), os.path.join(CKPT, f"{name}-final.pt")
    net = VelocityUNet(**CONFIG)
    net.load_state_dict(init.state_dict())
    net.train()
    ema = Ema(net, EMA_DECAY)
    opt = torch.optim.Adam(net.parameters(), lr=LR)
    g = torch.Generator().manual_seed(seed)
    stream = PairStream(job, seed)
    checkpoints = Checkpointer(state_path, g, save_every, net=net, ema=ema.model, opt=opt)
    state = checkpoints.resume()
    step, losses = state.get("step", 0), state.get("losses", [])
    if "stream" in state:
        stream.load_state(state["stream"])
    budget = Budget(minutes, wall_minutes, state.get("spent"))
    print(f"{name}: {len(stream.shards)} shards of {job}; starting at step {step} (epoch {stream.epoch}, chunk {stream.chunk}, "
          f"offset {stream.offset}); budget {minutes} CPU-min, cap {wall_minutes} wall-min, {steps} steps", flush=True)

    def save():
        checkpoints.save(step, budget, stream=stream.state(), losses=losses, config=CONFIG)

    def log(window):
        losses.append((step, sum(window) / len(window)))
        print(f"{name} step {step}: loss {losses[-1][1]:.4f}, lr {lr:.2e}, epoch {stream.epoch} chunk {stream.chunk}, {budget}", flush=True)
        return []

    window, lr = [], LR
    while step < steps and not budget.over():
        lr = warmup_cosine_lr(LR, step, WARMUP, max(step / steps, budget.fraction()))
        for group in opt.param_groups:
            group["lr"] = lr
        loss = loss_fn(net, g, *stream.next(BATCH))
        optimiser_step(net, opt, ema, loss, step, EMA_DECAY)
        step += 1
        window.append(loss.item())
        if step % 100 == 0:
            window = log(window)
        if checkpoints.due():
            save()
    if window:
        log(window)
    save()
    atomic_save({"ema": ema.model.state_dict(), "config": CONFIG, "step": step, "spent": budget.state(),
                 "losses": losses, "stream": stream.state(), **extra}, final)
    print(f"{name}: wrote {final} (EMA weights) after {step} steps, {budget}", flush=True)
    return ema.model.eval()


def export_package(out_root: str, name: str, final: str, description: str):
    state = torch.load(final)
    net = load_final(final)
    out_dir = os.path.join(out_root, name)
    os.makedirs(out_dir, exist_ok=True)
    g = torch.Generator().manual_seed(0)
    x, t = torch.randn((8, 1, SIZE, SIZE), generator=g), torch.rand(8, generator=g)
    labels = torch.arange(8) % CLASSES
    labels[-1] = NULL
    save_script(net, os.path.join(out_dir, "predictor.pt"), None, (x, t, labels))
    spent = state["spent"]
    write_manifest(out_dir, name, {"predictor": "predictor.pt", "features": FEATURES},
                   description.format(step=state["step"], cpu=spent["cpu"] / 60, source=json.dumps(state.get("source", {}))),
                   input_shape=(1, SIZE, SIZE))


def export_all(out_root: str):
    finals = {"fashion-2rf": os.path.join(CKPT, "reflow2-final.pt"), "fashion-onestep": os.path.join(CKPT, "distill-final.pt")}
    descriptions = {
        "fashion-2rf": "2-rectified flow on Fashion-MNIST (1x28x28 in [-1,1]): fashion-rf's EMA weights fine-tuned on reflow pairs "
                       "generated by orleansflow reflow ({source}) with the rectified-flow loss, EMA weights after {step} steps "
                       "({cpu:.0f} CPU-min); made by tools/train_fashion_reflow.py",
        "fashion-onestep": "One-step model distilled from fashion-2rf on reflow pairs ({source}) with L2, EMA weights after {step} "
                           "steps ({cpu:.0f} CPU-min); sample with --sampler onestep; only v(x, 0, label) is trained; made by "
                           "tools/train_fashion_reflow.py",
    }
    done = [name for name, path in finals.items() if os.path.exists(path)]
    if not done:
        raise SystemExit(f"nothing to export: neither {' nor '.join(finals.values())} exists")
    for name in done:
        export_package(out_root, name, finals[name], descriptions[name])
    if out_root == MODELS and len(done) == len(finals):
        golden({name: load_final(path) for name, path in finals.items()}, os.path.join(GOLDEN_DIR, "fashion_instaflow_golden.npz"))


def golden(nets: dict, path: str, count: int = 6):
    """One Euler step of the whole interval (the C# `onestep` sampler) of each exported network in float64, on the
    noises and labels of fashion_golden.npz, for OrleansFlow.Torch.Tests."""
    x0_32, labels = golden_inputs(count)
    x0 = x0_32.double()
    out = {"x0": x0_32.numpy(), "labels": labels.numpy()}
    with torch.no_grad():
        for name, net in nets.items():
            out[name] = (x0 + copy.deepcopy(net).double().eval()(x0, torch.zeros(count, dtype=torch.float64), labels)).numpy()
    np.savez(path, **out)
    print(f"wrote {os.path.relpath(path, ROOT)} ({', '.join(nets)})")


def pairs_sampler(spec: str):
    """The sampler string the cluster solved the pairs with, as a function (model, x0, labels) -> x1, or None."""
    m = re.fullmatch(r"flowturbo:h=(\d+),p=(\d+),r=0", spec or "")
    if m:
        return lambda net, x0, c: flowturbo_sample(net, None, x0, c, int(m.group(1)), int(m.group(2)), 0)
    m = re.fullmatch(r"(heun|euler):steps=(\d+)", spec or "")
    if m:
        solve = heun_sample if m.group(1) == "heun" else euler_sample
        return lambda net, x0, c: solve(net, x0, c, int(m.group(2)))
    return None


@torch.no_grad()
def evaluate(rf1, rf2, onestep, source, samples, euler_steps, reference_steps):
    """Straightness (tools/digits_straightness.py) of the 1- and 2-rectified flows and trajectory RMS of
    one-step samples (and cheap baselines) against the 1-rectified flow's Heun solution, on fixed noises."""
    g = torch.Generator().manual_seed(11)
    x0 = torch.randn((samples, 1, SIZE, SIZE), generator=g)
    labels = torch.arange(samples) % CLASSES
    report = {"samples": samples, "straightness_euler_steps": euler_steps, "reference": f"1-RF heun:steps={reference_steps}"}
    for key, net in (("1rf", rf1), ("2rf", rf2)):
        s = straightness(net, x0, labels, euler_steps)
        report[f"S_{key}"], report[f"S_{key}_per_pixel"] = s, s / PIXELS
    reference = heun_sample(rf1, x0, labels, reference_steps)
    zero = torch.zeros(samples)
    for key, net in (("1rf", rf1), ("2rf", rf2), ("distilled", onestep)):
        report[f"rms_onestep_{key}"] = rms(x0 + net(x0, zero, labels), reference)
    for key, net in (("1rf", rf1), ("2rf", rf2)):
        for n in (2, 4):
            report[f"rms_euler{n}_{key}"] = rms(euler_sample(net, x0, labels, n), reference)
    solve = pairs_sampler(source.get("sampler"))
    if solve is not None:
        # the pairs' own solver: the distilled model learns its outputs, so this is about as close as it can get
        report["rms_pairs_sampler_1rf"] = rms(solve(rf1, x0, labels), reference)
    return report


def print_report(report: dict):
    print(f"straightness S (Rectified Flow eq. 5; Euler {report['straightness_euler_steps']} steps, {report['samples']} noises; "
          f"sum over {PIXELS} pixels / per pixel): 1-RF {report['S_1rf']:.3f} / {report['S_1rf_per_pixel']:.5f}, "
          f"2-RF {report['S_2rf']:.3f} / {report['S_2rf_per_pixel']:.5f} ({report['S_1rf'] / max(report['S_2rf'], 1e-12):.1f}x straighter)")
    print(f"trajectory RMS vs {report['reference']}: " + ", ".join(f"{k[4:]} {v:.4f}" for k, v in report.items() if k.startswith("rms_")), flush=True)


def parse_arguments():
    p = argparse.ArgumentParser(description="2-rectified flow and one-step distillation on a reflow job (see the module docstring)")
    p.add_argument("job", help="reflow job directory: manifest.json, shards/NNNNN.safetensors")
    p.add_argument("--distill-job", help="pairs for the distillation (default: JOB)")
    p.add_argument("--reflow-minutes", type=float, default=80.0, help="CPU minutes per thread (fashion_common.Budget)")
    p.add_argument("--reflow-wall-minutes", type=float, default=600.0)
    p.add_argument("--reflow-steps", type=int, default=40000)
    p.add_argument("--distill-minutes", type=float, default=60.0)
    p.add_argument("--distill-wall-minutes", type=float, default=480.0)
    p.add_argument("--distill-steps", type=int, default=40000)
    p.add_argument("--save-every", type=float, default=300.0, help="seconds of wall time between checkpoints")
    p.add_argument("--out-root", default=MODELS)
    p.add_argument("--export-only", action="store_true", help="export the final files' packages and stop")
    p.add_argument("--eval-samples", type=int, default=256, help="0: no evaluation")
    p.add_argument("--eval-euler-steps", type=int, default=32)
    p.add_argument("--eval-reference-steps", type=int, default=64)
    return p.parse_args()


def main():
    a = parse_arguments()
    threads()
    torch.manual_seed(0)
    if a.export_only:
        export_all(a.out_root)
        return
    distill_job = a.distill_job or a.job
    rf1, init = load_1rf()
    source = job_source(a.job)
    print(f"1-rectified flow: {init}; pairs: {json.dumps(source)}", flush=True)

    reflow_final = os.path.join(CKPT, "reflow2-final.pt")
    if os.path.exists(reflow_final):
        print(f"reflow2: {reflow_final} exists, stage done")
        rf2 = load_final(reflow_final)
    else:
        rf2 = train_stage("reflow2", rf1, a.job, reflow_loss, 12, a.reflow_minutes, a.reflow_wall_minutes, a.reflow_steps,
                          a.save_every, {"init": init, "source": source})
    distill_final = os.path.join(CKPT, "distill-final.pt")
    if os.path.exists(distill_final):
        print(f"distill: {distill_final} exists, stage done")
        onestep = load_final(distill_final)
    else:
        onestep = train_stage("distill", rf2, distill_job, distill_loss, 13, a.distill_minutes, a.distill_wall_minutes,
                              a.distill_steps, a.save_every, {"init": reflow_final, "source": job_source(distill_job)})
    export_all(a.out_root)

    if a.eval_samples > 0:
        # cached per setting and trained steps: rerunning the finished pipeline only prints it again
        key = {"samples": a.eval_samples, "euler": a.eval_euler_steps, "reference": a.eval_reference_steps,
               "steps": [torch.load(p)["step"] for p in (reflow_final, distill_final)], "init": init}
        path = os.path.join(CKPT, "reflow-eval.json")
        cached = json.load(open(path)) if os.path.exists(path) else {}
        if cached.get("key") == key:
            report = cached["report"]
        else:
            report = evaluate(rf1, rf2, onestep, source, a.eval_samples, a.eval_euler_steps, a.eval_reference_steps)
            with open(path + ".tmp", "w") as f:
                json.dump({"key": key, "report": report}, f, indent=2)
            os.replace(path + ".tmp", path)
        print_report(report)


if __name__ == "__main__":
    main()
