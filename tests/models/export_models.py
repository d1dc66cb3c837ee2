#!/usr/bin/python3
"""Exports small fixed-seed PyTorch models to ONNX with PyTorch's outputs.

usage: export_models.py OUT_DIR

Writes, per model, OUT_DIR/<name>/model.onnx, test_data_set_0/input_*.pb and
output_*.pb (ONNX TensorProto, the layout `normrt test-data` reads) and
expect.txt: "key value" lines counting the norm modules the model holds, so
the tests can check that the graph passes folded / fused every one of them.
Every BatchNorm gets random running statistics and affine parameters: with
PyTorch's defaults (mean 0, var 1, weight 1, bias 0) folding would be a no-op.
"""
import math
import os
import sys
import warnings

import onnx
import onnx.numpy_helper
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision

SEED = 20240531


def randomize_norm_params(model, gen):
    """Non-trivial running stats and affine parameters for every norm module."""
    for m in model.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            c = m.num_features
            m.running_mean.copy_(torch.randn(c, generator=gen) * 0.5)
            m.running_var.copy_(torch.rand(c, generator=gen) * 1.5 + 0.25)
        if isinstance(m, (nn.modules.batchnorm._BatchNorm, nn.GroupNorm, nn.LayerNorm, RMSNorm)):
            m.weight.copy_(1.0 + 0.3 * torch.randn(m.weight.shape, generator=gen))
            if getattr(m, "bias", None) is not None:
                m.bias.copy_(0.2 * torch.randn(m.bias.shape, generator=gen))


def count(model, kind):
    return sum(1 for m in model.modules() if isinstance(m, kind))


# --- models ----------------------------------------------------------------

class SmallResNet(nn.Module):
    """ResNet-18's structure (stem, 4 stages of BasicBlocks with 1x1
    downsample shortcuts, global pool, fc) at widths 8..64."""

    def __init__(self, widths=(8, 16, 32, 64), num_classes=10):
        super().__init__()
        block = torchvision.models.resnet.BasicBlock
        self.stem = nn.Sequential(
            nn.Conv2d(3, widths[0], 7, 2, 3, bias=False), nn.BatchNorm2d(widths[0]),
            nn.ReLU(inplace=True), nn.MaxPool2d(3, 2, 1))
        stages, inplanes = [], widths[0]
        for i, w in enumerate(widths):
            stride = 1 if i == 0 else 2
            down = None
            if stride != 1 or inplanes != w:
                down = nn.Sequential(nn.Conv2d(inplanes, w, 1, stride, bias=False), nn.BatchNorm2d(w))
            stages += [block(inplanes, w, stride, down), block(w, w)]
            inplanes = w
        self.stages = nn.Sequential(*stages)
        self.fc = nn.Linear(inplanes, num_classes)

    def forward(self, x):
        x = self.stages(self.stem(x))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


class ResBlockGN(nn.Module):
    """Stable Diffusion's ResnetBlock2D without the time embedding."""

    def __init__(self, cin, cout):
        super().__init__()
        self.norm1 = nn.GroupNorm(8, cin)
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.norm2 = nn.GroupNorm(8, cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else nn.Identity()

    def forward(self, x):
        h = self.conv1(F.silu(self.norm1(x)))
        h = self.conv2(F.silu(self.norm2(h)))
        return self.skip(x) + h


class UNetBlock(nn.Module):
    """Down path, middle, up path through nearest Resize and ConvTranspose."""

    def __init__(self):
        super().__init__()
        self.conv_in = nn.Conv2d(4, 32, 3, padding=1)
        self.down1 = ResBlockGN(32, 32)
        self.downsample = nn.Conv2d(32, 32, 3, stride=2, padding=1)
        self.down2 = ResBlockGN(32, 64)
        self.mid = ResBlockGN(64, 64)
        self.upsample = nn.Upsample(scale_factor=2, mode="nearest")
        self.up_conv = nn.Conv2d(64, 32, 3, padding=1)
        self.up1 = ResBlockGN(64, 32)  # after concatenating the skip
        self.up_transposed = nn.ConvTranspose2d(32, 16, 4, stride=2, padding=1)
        self.norm_out = nn.GroupNorm(8, 16)
        self.conv_out = nn.Conv2d(16, 4, 3, padding=1)

    def forward(self, x):
        h0 = self.down1(self.conv_in(x))
        h = self.mid(self.down2(self.downsample(h0)))
        h = self.up_conv(self.upsample(h))
        h = self.up1(torch.cat([h, h0], dim=1))
        h = self.up_transposed(h)
        return self.conv_out(F.silu(self.norm_out(h)))


class RMSNorm(nn.Module):
    def __init__(self, dim, eps=1e-6):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


class LlamaLayer(nn.Module):
    def __init__(self, dim, heads, hidden):
        super().__init__()
        self.heads = heads
        self.scale = 1.0 / math.sqrt(dim // heads)
        self.attn_norm = RMSNorm(dim)
        self.wq = nn.Linear(dim, dim, bias=False)
        self.wk = nn.Linear(dim, dim, bias=False)
        self.wv = nn.Linear(dim, dim, bias=False)
        self.wo = nn.Linear(dim, dim, bias=False)
        self.mlp_norm = RMSNorm(dim)
        self.w1 = nn.Linear(dim, hidden, bias=False)
        self.w3 = nn.Linear(dim, hidden, bias=False)
        self.w2 = nn.Linear(hidden, dim, bias=False)

    def attention(self, x, mask):
        b, s, d = x.shape
        hd = d // self.heads
        split = lambda t: t.reshape(b, s, self.heads, hd).transpose(1, 2)
        q, k, v = split(self.wq(x)), split(self.wk(x)), split(self.wv(x))
        scores = q @ k.transpose(2, 3) * self.scale + mask
        o = torch.softmax(scores, dim=-1) @ v
        return self.wo(o.transpose(1, 2).reshape(b, s, d))

    def forward(self, x, mask):
        x = x + self.attention(self.attn_norm(x), mask)
        h = self.mlp_norm(x)
        return x + self.w2(F.silu(self.w1(h)) * self.w3(h))


class LlamaBlock(nn.Module):
    def __init__(self, dim=64, heads=4, hidden=172, layers=2, seq=16):
        super().__init__()
        self.layers = nn.ModuleList(LlamaLayer(dim, heads, hidden) for _ in range(layers))
        self.norm = RMSNorm(dim)
        causal = torch.full((seq, seq), float("-inf")).triu(1)
        self.register_buffer("mask", causal)

    def forward(self, x):
        for layer in self.layers:
            x = layer(x, self.mask)
        return self.norm(x)


def transformer_encoder():
    layer = nn.TransformerEncoderLayer(d_model=64, nhead=4, dim_feedforward=128, dropout=0.0,
                                       batch_first=True)
    return nn.TransformerEncoder(layer, num_layers=2, enable_nested_tensor=False)


# --- export ----------------------------------------------------------------

def save_tensor(path, array, name):
    with open(path, "wb") as f:
        f.write(onnx.numpy_helper.from_array(array, name).SerializeToString())


def export(out_dir, name, model, x, opset, expect, dynamic_batch=False):
    model.eval()
    folder = os.path.join(out_dir, name)
    data_dir = os.path.join(folder, "test_data_set_0")
    os.makedirs(data_dir, exist_ok=True)
    path = os.path.join(folder, "model.onnx")
    dynamic_axes = {"input": {0: "batch"}, "output": {0: "batch"}} if dynamic_batch else None
    # PRESERVE (the model is in eval mode) keeps BatchNormalization nodes: EVAL
    # would let the exporter fold them into the convs, leaving normrt nothing to fold.
    # Grad stays enabled while tracing: in no_grad eval mode PyTorch 1.13 routes
    # nn.TransformerEncoderLayer through a fused fast path that has no ONNX export.
    torch.onnx.export(model, (x,), path, opset_version=opset, input_names=["input"],
                      output_names=["output"], dynamic_axes=dynamic_axes,
                      do_constant_folding=True, training=torch.onnx.TrainingMode.PRESERVE)
    onnx.checker.check_model(onnx.load(path))
    with torch.no_grad():
        y = model(x)
    save_tensor(os.path.join(data_dir, "input_0.pb"), x.numpy(), "input")
    save_tensor(os.path.join(data_dir, "output_0.pb"), y.numpy(), "output")
    with open(os.path.join(folder, "expect.txt"), "w") as f:
        f.write("opset %d\n" % opset)
        for key, value in expect.items():
            f.write("%s %d\n" % (key, value))
    size = os.path.getsize(path)
    if size > 2 << 20:
        raise SystemExit("%s is %d bytes; keep exported models under 2 MB" % (path, size))
    print("exported %s (opset %d, %d KiB)" % (name, opset, size >> 10))


def main():
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    out_dir = sys.argv[1]
    # The exporter's tracer and shape-inference notes are not actionable here.
    warnings.filterwarnings("ignore", category=UserWarning)
    warnings.filterwarnings("ignore", category=torch.jit.TracerWarning)
    torch.manual_seed(SEED)
    torch.set_num_threads(1)  # reference outputs independent of the build machine's cores
    gen = torch.Generator().manual_seed(SEED)

    with torch.no_grad():
        resnet = SmallResNet()
        mobilenet = torchvision.models.mobilenet_v2(width_mult=0.25, num_classes=10)
        encoder = transformer_encoder()
        unet = UNetBlock()
        llama = LlamaBlock()
        for m in (resnet, mobilenet, encoder, unet, llama):
            randomize_norm_params(m, gen)
            m.eval()
    image = lambda c: torch.randn(2, c, 64, 64, generator=gen)
    tokens = torch.randn(2, 16, 64, generator=gen)

    bn = nn.modules.batchnorm._BatchNorm
    export(out_dir, "resnet", resnet, image(3), 13, {"batch_norms": count(resnet, bn)},
           dynamic_batch=True)
    export(out_dir, "mobilenet_v2", mobilenet, image(3), 13,
           {"batch_norms": count(mobilenet, bn)})
    layer_norms = {"layer_norms": count(encoder, nn.LayerNorm)}
    export(out_dir, "transformer_opset17", encoder, tokens, 17, layer_norms, dynamic_batch=True)
    export(out_dir, "transformer_opset14", encoder, tokens, 14, layer_norms)
    export(out_dir, "unet_block", unet, torch.randn(1, 4, 32, 32, generator=gen), 13,
           {"group_norms": count(unet, nn.GroupNorm), "group_norms_silu": count(unet, nn.GroupNorm)})
    export(out_dir, "rmsnorm_block", llama, tokens, 14, {"rms_norms": count(llama, RMSNorm)})


if __name__ == "__main__":
    main()
