#!/usr/bin/python3
"""Exports the whole-model benchmark models of shared/workloads.md to ONNX.

Big models with random weights from fixed seeds, for timing only (the small
models the tests check outputs on are tests/models/). Run with Debian's
PyTorch:

  /usr/bin/python3 perf/models/export_bench_models.py OUT_DIR [NAME ...]

Writes OUT_DIR/NAME.onnx and OUT_DIR/NAME_inputs/input_0.pb (a fixed-seed
input as a TensorProto, so normrt and ONNX Runtime time the same input).
NAME is any of the keys of MODELS (default: all). Files that exist are kept
(delete them to export again).
"""
import math
import os
import sys

import torch
import torch.nn as nn
import torchvision
from onnx import numpy_helper

OPSET = 17  # LayerNormalization is an ONNX op from 17 on: no expanded pattern


# --- BERT-base encoder: 12 layers, d 768, 12 heads, ff 3072, seq 128 -------
# Written with plain modules (not nn.TransformerEncoder, whose eval fast path
# does not export on torch 1.13): post-LN as in BERT, GELU as Erf.
class BertLayer(nn.Module):
    def __init__(self, d=768, heads=12, ff=3072):
        super().__init__()
        self.heads, self.dh = heads, d // heads
        self.qkv = nn.Linear(d, 3 * d)
        self.proj = nn.Linear(d, d)
        self.ln1 = nn.LayerNorm(d, eps=1e-12)
        self.ff1 = nn.Linear(d, ff)
        self.ff2 = nn.Linear(ff, d)
        self.ln2 = nn.LayerNorm(d, eps=1e-12)

    def forward(self, x):
        b, s, d = x.shape
        q, k, v = self.qkv(x).view(b, s, 3, self.heads, self.dh).permute(2, 0, 3, 1, 4)
        att = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(self.dh), dim=-1)
        ctx = (att @ v).transpose(1, 2).reshape(b, s, d)
        x = self.ln1(x + self.proj(ctx))
        return self.ln2(x + self.ff2(nn.functional.gelu(self.ff1(x))))


class Bert(nn.Module):
    def __init__(self, layers=12):
        super().__init__()
        self.layers = nn.ModuleList(BertLayer() for _ in range(layers))

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return x


# --- Stable-Diffusion-style UNet resblocks: GroupNorm(32) + SiLU + Conv3x3 ---
class ResBlock(nn.Module):
    def __init__(self, c=320):
        super().__init__()
        self.n1 = nn.GroupNorm(32, c, eps=1e-5)
        self.c1 = nn.Conv2d(c, c, 3, padding=1)
        self.n2 = nn.GroupNorm(32, c, eps=1e-5)
        self.c2 = nn.Conv2d(c, c, 3, padding=1)

    def forward(self, x):
        h = self.c1(nn.functional.silu(self.n1(x)))
        return x + self.c2(nn.functional.silu(self.n2(h)))


class UNetBlocks(nn.Module):
    def __init__(self, blocks=4):
        super().__init__()
        self.blocks = nn.Sequential(*(ResBlock() for _ in range(blocks)))

    def forward(self, x):
        return self.blocks(x)


# --- LLaMA-style decoder: RMSNorm, causal attention, SwiGLU MLP -------------
class RMSNorm(nn.Module):
    def __init__(self, d, eps=1e-5):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(1.0 + 0.1 * torch.randn(d))

    def forward(self, x):
        return x / torch.sqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


class LlamaBlock(nn.Module):
    def __init__(self, d=1024, heads=16, hidden=2816):
        super().__init__()
        self.heads, self.dh = heads, d // heads
        self.attn_norm = RMSNorm(d)
        self.qkv = nn.Linear(d, 3 * d, bias=False)
        self.o = nn.Linear(d, d, bias=False)
        self.mlp_norm = RMSNorm(d)
        self.gate = nn.Linear(d, hidden, bias=False)
        self.up = nn.Linear(d, hidden, bias=False)
        self.down = nn.Linear(hidden, d, bias=False)

    def forward(self, x, mask):
        b, s, d = x.shape
        h = self.attn_norm(x)
        q, k, v = self.qkv(h).view(b, s, 3, self.heads, self.dh).permute(2, 0, 3, 1, 4)
        att = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(self.dh) + mask, dim=-1)
        x = x + self.o((att @ v).transpose(1, 2).reshape(b, s, d))
        h = self.mlp_norm(x)
        return x + self.down(nn.functional.silu(self.gate(h)) * self.up(h))


class Llama(nn.Module):
    def __init__(self, blocks=4, seq=128):
        super().__init__()
        self.blocks = nn.ModuleList(LlamaBlock() for _ in range(blocks))
        self.norm = RMSNorm(1024)
        self.register_buffer("mask", torch.triu(torch.full((seq, seq), -1e4), diagonal=1))

    def forward(self, x):
        for blk in self.blocks:
            x = blk(x, self.mask)
        return self.norm(x)


def resnet50():
    return torchvision.models.resnet50(weights=None)


def mobilenet_v2():
    return torchvision.models.mobilenet_v2(weights=None)


# name -> (constructor, input shape)
MODELS = {
    "resnet50_b1": (resnet50, (1, 3, 224, 224)),
    "resnet50_b8": (resnet50, (8, 3, 224, 224)),
    "mobilenet_v2": (mobilenet_v2, (1, 3, 224, 224)),
    "bert_base_s128": (Bert, (1, 128, 768)),
    "unet_gn_blocks": (UNetBlocks, (1, 320, 64, 64)),
    "llama_rms_blocks": (Llama, (1, 128, 1024)),
}


def randomize_norms(model):
    """Fresh norms have mean 0 / var 1 / gamma 1 / beta 0: give them values
    like a trained net, so BN folding is not the identity and the exporter
    does not merge equal gammas into one initializer behind Identity nodes."""
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.uniform_(-0.1, 0.1)
            m.running_var.uniform_(0.5, 1.5)
        if isinstance(m, (nn.BatchNorm2d, nn.GroupNorm, nn.LayerNorm)):
            m.weight.uniform_(0.8, 1.2)
            m.bias.uniform_(-0.1, 0.1)


def save_input(x, out_dir, name):
    folder = os.path.join(out_dir, name + "_inputs")
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, "input_0.pb")
    if not os.path.exists(path):
        with open(path, "wb") as f:
            f.write(numpy_helper.from_array(x.numpy(), "input").SerializeToString())


def export(name, out_dir):
    path = os.path.join(out_dir, name + ".onnx")
    make, shape = MODELS[name]
    torch.manual_seed(1)
    save_input(torch.rand(*shape) * 2 - 1, out_dir, name)
    if os.path.exists(path):
        print(f"{path}: exists, kept")
        return
    torch.manual_seed(0)
    model = make().eval()
    with torch.no_grad():
        randomize_norms(model)
        x = torch.randn(*shape)
        torch.onnx.export(model, (x,), path, opset_version=OPSET, input_names=["input"],
                          output_names=["output"], do_constant_folding=True)
    print(f"{path}: exported ({os.path.getsize(path) / 1e6:.1f} MB)")


def main(argv):
    if len(argv) < 2:
        sys.exit(__doc__)
    out_dir, names = argv[1], argv[2:] or list(MODELS)
    unknown = [n for n in names if n not in MODELS]
    if unknown:
        sys.exit(f"unknown model(s) {unknown}; known: {list(MODELS)}")
    os.makedirs(out_dir, exist_ok=True)
    for name in names:
        export(name, out_dir)


if __name__ == "__main__":
    main(sys.argv)
