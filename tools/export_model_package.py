#!/usr/bin/env python3
"""Export real models into OrleansFlow model packages (model.json + TorchScript files).

    python export_model_package.py sit        --sit-repo ~/SiT --ckpt SiT-XL-2-256.pt \
        [--flowturbo-repo ~/FlowTurbo --refiner-ckpt refiner.pt] --vae stabilityai/sd-vae-ft-ema --out pkg/sit-xl-2
    python export_model_package.py diffusers  --unet XCLiu/instaflow_0_9B_from_sd_1_5 --subfolder unet \
        --vae XCLiu/instaflow_0_9B_from_sd_1_5 --prompts prompts.txt --convention instaflow --out pkg/instaflow
    python export_model_package.py inception  --out pkg/sit-xl-2/inception.pt

Status: written against the public code of SiT (models.py: SiT_models, forward(x, t, y)), FlowTurbo
(models_assemble.py: VelocityPredictor(..., in_channels_scale=2).forward(x, t, v, y) for the refiner),
diffusers (UNet2DConditionModel, AutoencoderKL) and pytorch-fid (inception.InceptionV3). It cannot
be run on the OrleansFlow build machine: there are no weights there and nothing may be downloaded,
and Debian's python3-torch has no diffusers/timm. Run it where the checkpoints are; it checks each
traced module against the eager one on two batch sizes before writing anything.

The package contract (Grains/Torch/ModelPackage.cs):
  predictor.pt  forward(x[N,C,H,W] f32, t[N] f32, label[N] i64) -> v[N,C,H,W]
  refiner.pt    forward(x, t, v_prev, label) -> delta_v        (FlowTurbo: v ~= v_prev + delta_v)
  decoder.pt    forward(z[N,C,H,W]) -> image[N,3,H',W'] in [-1, 1]; OrleansFlow divides by
                latent_scale before calling it
  features      forward(image[N,3,299,299] in [-1,1]) -> f[N,2048]
  t is the model's own time; "time_convention" says how OrleansFlow's t in [0,1] (0 = noise) maps
  to it: sit -> t, instaflow -> 1000(1-t), rectifiedflow -> 999 t.
"""

import argparse
import json
import os
import sys

import torch
from torch import nn


# ---- wrappers giving every network the package's calling convention ----

class SiTPredictor(nn.Module):
    """SiT forward(x, t, y); with learn_sigma the first C channels are the velocity."""

    def __init__(self, sit: nn.Module, channels: int):
        super().__init__()
        self.sit, self.channels = sit, channels

    def forward(self, x, t, label):
        return self.sit(x, t, label)[:, : self.channels]


class FlowTurboRefiner(nn.Module):
    """FlowTurbo's refiner network: VelocityPredictor(in_channels_scale=2).forward(x, t, v, y) -> delta_v."""

    def __init__(self, refiner: nn.Module, channels: int):
        super().__init__()
        self.refiner, self.channels = refiner, channels

    def forward(self, x, t, v, label):
        return self.refiner(x, t, v, label)[:, : self.channels]


class VaeDecoder(nn.Module):
    """AutoencoderKL.decode(z).sample, clamped to [-1, 1]; z arrives already divided by latent_scale."""

    def __init__(self, vae):
        super().__init__()
        self.vae = vae

    def forward(self, z):
        return self.vae.decode(z).sample.clamp(-1, 1)


class PromptUNet(nn.Module):
    """A text-conditioned diffusers UNet with a fixed prompt table: label k = prompt k, label K = "" (null)."""

    def __init__(self, unet, prompt_embeds: torch.Tensor):
        super().__init__()
        self.unet = unet
        self.register_buffer("prompt_embeds", prompt_embeds)

    def forward(self, x, t, label):
        return self.unet(x, t, encoder_hidden_states=self.prompt_embeds[label]).sample


class FidInception(nn.Module):
    """pytorch-fid InceptionV3 pool3 without its own resize/normalisation (OrleansFlow does both)."""

    def __init__(self, inception):
        super().__init__()
        self.inception = inception

    def forward(self, x):
        return self.inception(x)[0].flatten(1)


# ---- tracing with a check ----

def trace(module: nn.Module, make_inputs, path: str, tolerance: float = 1e-4):
    """torch.jit.trace on batch 2, then compare traced and eager on batch 3 (a batch size the trace did not see)."""
    module = module.eval()
    with torch.no_grad():
        traced = torch.jit.trace(module, make_inputs(2), check_trace=False)
        probe = make_inputs(3)
        expected, actual = module(*probe), traced(*probe)
        error = (expected - actual).abs().max().item()
    if error > tolerance:
        sys.exit(f"{path}: traced module differs from eager by {error} on batch 3; the trace baked in a shape")
    traced.save(path)
    print(f"wrote {path} (traced vs eager on batch 3: max |diff| {error:.2e})")


def write_manifest(out, **fields):
    manifest = {"format": "orleansflow-model/1", "kind": "velocity", **fields}
    with open(os.path.join(out, "model.json"), "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")
    print(f"wrote {os.path.join(out, 'model.json')}")


def vae_decoder(name, subfolder, out, latent_shape):
    from diffusers.models import AutoencoderKL

    vae = AutoencoderKL.from_pretrained(name, subfolder=subfolder).eval()
    c, h, w = latent_shape
    trace(VaeDecoder(vae), lambda n: (torch.randn(n, c, h, w),), os.path.join(out, "decoder.pt"))
    return vae.config.scaling_factor, [3, h * 8, w * 8]


# ---- subcommands ----

def export_sit(args):
    sys.path.insert(0, args.sit_repo)
    from models import SiT_models  # SiT repository

    size = args.image_size // 8
    sit = SiT_models[args.arch](input_size=size, num_classes=1000)
    state = torch.load(args.ckpt, map_location="cpu")
    sit.load_state_dict(state.get("ema", state))
    os.makedirs(args.out, exist_ok=True)

    def inputs(n):
        return torch.randn(n, 4, size, size), torch.rand(n), torch.randint(0, 1001, (n,))

    trace(SiTPredictor(sit, 4), inputs, os.path.join(args.out, "predictor.pt"))
    files = {"predictor": "predictor.pt"}
    if args.refiner_ckpt:
        sys.path.insert(0, args.flowturbo_repo)
        from models_assemble import VelocityPredictor  # FlowTurbo repository

        refiner = VelocityPredictor(input_size=size, in_channels_scale=2, depth=args.refiner_depth,
                                    hidden_size=args.refiner_hidden, num_heads=args.refiner_heads)
        state = torch.load(args.refiner_ckpt, map_location="cpu")
        refiner.load_state_dict(state.get("ema", state))
        trace(FlowTurboRefiner(refiner, 4),
              lambda n: (*inputs(n)[:2], torch.randn(n, 4, size, size), inputs(n)[2]),
              os.path.join(args.out, "refiner.pt"))
        files["refiner"] = "refiner.pt"
    scale, output_shape = vae_decoder(args.vae, None, args.out, (4, size, size))
    files["decoder"] = "decoder.pt"
    write_manifest(args.out, name=args.name or f"{args.arch}-{args.image_size}", input_shape=[4, size, size],
                   classes=1000, null_class=1000, time_convention="sit", latent_scale=scale,
                   output_shape=output_shape, files=files)


def export_diffusers(args):
    from diffusers import UNet2DConditionModel
    from transformers import CLIPTextModel, CLIPTokenizer

    unet = UNet2DConditionModel.from_pretrained(args.unet, subfolder=args.subfolder).eval()
    tokenizer = CLIPTokenizer.from_pretrained(args.unet, subfolder="tokenizer")
    text_encoder = CLIPTextModel.from_pretrained(args.unet, subfolder="text_encoder").eval()
    with open(args.prompts) as f:
        prompts = [line.strip() for line in f if line.strip()]
    with torch.no_grad():
        tokens = tokenizer(prompts + [""], padding="max_length", max_length=tokenizer.model_max_length,
                           truncation=True, return_tensors="pt").input_ids
        embeds = text_encoder(tokens)[0]
    size = args.image_size // 8
    c = unet.config.in_channels
    os.makedirs(args.out, exist_ok=True)
    k = len(prompts)
    trace(PromptUNet(unet, embeds),
          lambda n: (torch.randn(n, c, size, size), torch.rand(n) * 1000, torch.randint(0, k + 1, (n,))),
          os.path.join(args.out, "predictor.pt"), tolerance=1e-3)
    scale, output_shape = vae_decoder(args.vae, "vae", args.out, (c, size, size))
    with open(os.path.join(args.out, "prompts.json"), "w") as f:
        json.dump(prompts, f, indent=2)
    write_manifest(args.out, name=args.name or os.path.basename(args.unet), input_shape=[c, size, size],
                   classes=k, null_class=k, time_convention=args.convention, latent_scale=scale,
                   output_shape=output_shape, files={"predictor": "predictor.pt", "decoder": "decoder.pt"},
                   description="class k = line k of prompts.json; the null class is the empty prompt")


def export_inception(args):
    # pytorch-fid loads pt_inception-2015-12-05-6726825d.pth from its cache (it downloads it on first
    # use elsewhere); FID numbers are only comparable with this exact network.
    from pytorch_fid.inception import InceptionV3

    inception = InceptionV3([InceptionV3.BLOCK_INDEX_BY_DIM[2048]], resize_input=False, normalize_input=False)
    trace(FidInception(inception), lambda n: (torch.rand(n, 3, 299, 299) * 2 - 1,), args.out)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    sit = sub.add_parser("sit", help="SiT-XL/2 (+ FlowTurbo refiner) + SD VAE")
    sit.add_argument("--sit-repo", required=True)
    sit.add_argument("--ckpt", required=True)
    sit.add_argument("--arch", default="SiT-XL/2")
    sit.add_argument("--image-size", type=int, default=256)
    sit.add_argument("--flowturbo-repo")
    sit.add_argument("--refiner-ckpt")
    sit.add_argument("--refiner-depth", type=int, default=1)
    sit.add_argument("--refiner-hidden", type=int, default=1152)
    sit.add_argument("--refiner-heads", type=int, default=16)
    sit.add_argument("--vae", default="stabilityai/sd-vae-ft-ema")
    sit.add_argument("--name")
    sit.add_argument("--out", required=True)
    sit.set_defaults(run=export_sit)
    diff = sub.add_parser("diffusers", help="a text-conditioned UNet (InstaFlow, 2-rectified flow) + its VAE")
    diff.add_argument("--unet", required=True)
    diff.add_argument("--subfolder", default="unet")
    diff.add_argument("--vae", required=True)
    diff.add_argument("--prompts", required=True, help="one prompt per line; prompt k becomes class k")
    diff.add_argument("--convention", default="instaflow", choices=["instaflow", "rectifiedflow", "sit"])
    diff.add_argument("--image-size", type=int, default=512)
    diff.add_argument("--name")
    diff.add_argument("--out", required=True)
    diff.set_defaults(run=export_diffusers)
    inc = sub.add_parser("inception", help="pytorch-fid's FID Inception v3 (pool3, 2048-d)")
    inc.add_argument("--out", required=True)
    inc.set_defaults(run=export_inception)
    args = parser.parse_args()
    args.run(args)


if __name__ == "__main__":
    main()
