"""Convolution arithmetic beside PyTorch: the output size of every layer of a ResNet-50 stem, a
VGG-16 feature stack, an Inception-style ceil-mode pool and a DCGAN-style transposed decoder,
from ``mlcanon.nn.conv_output_size`` and from the tensor torch actually produces."""

from __future__ import annotations

from mlcanon.report.core import Note, Row, Table, check


def _layers():
    """(network, layer name, torch module factory, our keyword arguments, input spatial size)."""
    import torch.nn as nn

    vgg16 = [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"]
    out = [
        ("ResNet-50 stem", "conv1 7×7/2 pad 3", lambda: nn.Conv2d(1, 1, 7, stride=2, padding=3),
         dict(kernel_size=7, stride=2, padding=3)),
        ("ResNet-50 stem", "maxpool 3×3/2 pad 1", lambda: nn.MaxPool2d(3, stride=2, padding=1),
         dict(kernel_size=3, stride=2, padding=1, pooling=True)),
        ("ResNet-50 stage 2", "conv 1×1/2 (downsample)", lambda: nn.Conv2d(1, 1, 1, stride=2),
         dict(kernel_size=1, stride=2)),
        ("ResNet-50 stage 2", "conv 3×3/2 pad 1", lambda: nn.Conv2d(1, 1, 3, stride=2, padding=1),
         dict(kernel_size=3, stride=2, padding=1)),
    ]
    vgg = []
    for i, v in enumerate(vgg16):
        if v == "M":
            vgg.append(("VGG-16 features", f"[{i}] maxpool 2×2/2", lambda: nn.MaxPool2d(2, stride=2),
                        dict(kernel_size=2, stride=2, pooling=True)))
        else:
            vgg.append(("VGG-16 features", f"[{i}] conv 3×3 pad 1 → {v}", lambda: nn.Conv2d(1, 1, 3, padding=1),
                        dict(kernel_size=3, padding=1)))
    inception = [
        ("GoogLeNet", "maxpool 3×3/2 ceil_mode", lambda: nn.MaxPool2d(3, stride=2, ceil_mode=True),
         dict(kernel_size=3, stride=2, ceil_mode=True)),
        ("DeepLab", "conv 3×3 dilation 2 pad 2", lambda: nn.Conv2d(1, 1, 3, padding=2, dilation=2),
         dict(kernel_size=3, padding=2, dilation=2)),
    ]
    dcgan = [
        ("DCGAN generator", f"convT 4×4/2 pad 1 [{i}]", lambda: nn.ConvTranspose2d(1, 1, 4, stride=2, padding=1),
         dict(kernel_size=4, stride=2, padding=1, transposed=True))
        for i in range(4)
    ] + [
        ("U-Net-like decoder", "convT 3×3/2 pad 1 out_pad 1",
         lambda: nn.ConvTranspose2d(1, 1, 3, stride=2, padding=1, output_padding=1),
         dict(kernel_size=3, stride=2, padding=1, output_padding=1, transposed=True)),
    ]
    return [(out, 224), (vgg, 224), (inception, 112), (dcgan, 4)]


@check("卷积输出尺寸 convolution output size")
def conv_sizes_vs_torch(ctx):
    import torch

    from mlcanon.nn import conv_output_size, explain_conv_output_size

    rows, table = [], []
    for chain, size in _layers():
        h, w = size, size + 1  # a non-square input checks that the dimensions stay apart
        equal, start = [], f"{h}×{w}"
        for network, name, make, kw in chain:
            with torch.no_grad():
                shape = tuple(make()(torch.zeros(1, 1, h, w)).shape[2:])
            ours = conv_output_size((h, w), **kw)
            equal.append(ours == shape)
            table.append([network, name, f"{h}×{w}", f"{ours[0]}×{ours[1]}", f"{shape[0]}×{shape[1]}"])
            h, w = shape
        networks = " + ".join(dict.fromkeys(layer[0] for layer in chain))
        rows.append(Row(f"{networks}: {len(chain)} layers from {start}, every output size equal; final size",
                        f"{ours[0]}×{ours[1]}", f"{h}×{w}", "torch", passed=all(equal)))
    example = explain_conv_output_size(224, 7, stride=2, padding=3)
    return rows + [
        Table("Output size layer by layer (ours vs the tensor torch produces)",
              ["network", "layer", "input", "ours", "torch"], table),
        Note(f"`mlcanon conv-size --input 224 --kernel 7 --stride 2 --padding 3` prints:\n\n```\n{example}\n```"),
    ]
