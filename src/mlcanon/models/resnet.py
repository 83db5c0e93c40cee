"""ResNet: deep residual networks, for ImageNet and for CIFAR.

He, Zhang, Ren & Sun (2016), "Deep Residual Learning for Image Recognition" (CVPR). A block learns
a residual F(x) and adds it to its input::

    y = ReLU(F(x) + shortcut(x))

    BasicBlock:  F = BN(conv3×3(ReLU(BN(conv3×3(x)))))                              (ResNet-18/34)
    Bottleneck:  F = BN(conv1×1_up(ReLU(BN(conv3×3(ReLU(BN(conv1×1_down(x))))))))     (ResNet-50+)

shortcut(x) is x, or — when the block changes size — a 1×1 strided convolution + BN (option B of
the paper). Reference: ``torchvision.models.resnet``; the module names are its state-dict keys, so
``load_state_dict(torchvision_resnet.state_dict(), strict=True)`` works and the logits agree.
As torchvision ("ResNet v1.5"), a bottleneck's stride sits on its 3×3 convolution, not on the first
1×1 as in the paper (Goyal et al. 2017), which is more accurate and what the world's checkpoints use.

The paper's Table 1 (output size at 224×224; [kernel, channels] × blocks)::

    stage    output     18            34            50                    101        152
    conv1    112×112    7×7, 64, stride 2
    maxpool  56×56      3×3 max-pool, stride 2
    layer1   56×56      [3×3,64]×2×2  [3×3,64]×2×3  [1×1,64 3×3,64 1×1,256]×3    ×3        ×3
    layer2   28×28      [3×3,128]×2×2 ...×4         [1×1,128 3×3,128 1×1,512]×4  ×4        ×8
    layer3   14×14      [3×3,256]×2×2 ...×6         [1×1,256 3×3,256 1×1,1024]×6 ×23       ×36
    layer4   7×7        [3×3,512]×2×2 ...×3         [1×1,512 3×3,512 1×1,2048]×3 ×3        ×3
             1×1        global average pool, 1000-way FC
    params              11.7 M        21.8 M        25.6 M (25,557,032)   44.5 M     60.2 M

Wide ResNet-50-2 (Zagoruyko & Komodakis 2016) doubles the bottleneck width; ResNeXt-50 32×4d
(Xie et al. 2017) splits the 3×3 into 32 groups of 4 channels per 64 — the same builder with
``groups`` and ``width_per_group``: width = planes · width_per_group / 64 · groups.

CIFAR ResNets (§4.2 of the paper): a 3×3, 16-channel stem, three stages of n BasicBlocks with 16,
32 and 64 channels at 32×32, 16×16 and 8×8, global pooling and a 10-way FC; depth = 6n + 2 (20, 32,
44, 56, 110). Their shortcuts are option A: parameter-free identity, subsampled by stride 2 and
zero-padded to the new channel count. Parameters against the paper's Table 6: ResNet-20 269,722
("0.27M"), 32: 464,154 ("0.46M"), 44: 658,586 ("0.66M"), 56: 853,018 ("0.85M"), 110: 1,727,962 ("1.7M").
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from mlcanon.validation import check_int

__all__ = [
    "BasicBlock",
    "Bottleneck",
    "CifarBasicBlock",
    "CifarResNet",
    "ResNet",
    "resnet18",
    "resnet20",
    "resnet32",
    "resnet34",
    "resnet44",
    "resnet50",
    "resnet56",
    "resnet101",
    "resnet110",
    "resnet152",
    "resnext50_32x4d",
    "wide_resnet50_2",
]


def conv3x3(in_planes: int, out_planes: int, stride: int = 1, groups: int = 1) -> nn.Conv2d:
    """3×3 convolution, padding 1, no bias (a batch norm follows)."""
    return nn.Conv2d(in_planes, out_planes, kernel_size=3, stride=stride, padding=1, groups=groups, bias=False)


def conv1x1(in_planes: int, out_planes: int, stride: int = 1) -> nn.Conv2d:
    """1×1 convolution, no bias."""
    return nn.Conv2d(in_planes, out_planes, kernel_size=1, stride=stride, bias=False)


class BasicBlock(nn.Module):
    """Two 3×3 convolutions with a residual connection (ResNet-18/34)."""

    expansion = 1

    def __init__(self, inplanes: int, planes: int, stride: int = 1, downsample: nn.Module | None = None,
                 groups: int = 1, base_width: int = 64) -> None:
        super().__init__()
        if groups != 1 or base_width != 64:
            raise ValueError(f"groups, width_per_group: BasicBlock supports only 1 and 64, got {groups} and {base_width}")
        self.conv1 = conv3x3(inplanes, planes, stride)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = conv3x3(planes, planes)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x if self.downsample is None else self.downsample(x)  # (B, planes, H/s, W/s)
        out = self.relu(self.bn1(self.conv1(x)))  # (B, planes, H/s, W/s)
        out = self.bn2(self.conv2(out))
        return self.relu(out + identity)


class Bottleneck(nn.Module):
    """1×1 (reduce) → 3×3 (stride, groups) → 1×1 (expand ×4) with a residual connection (ResNet-50+)."""

    expansion = 4

    def __init__(self, inplanes: int, planes: int, stride: int = 1, downsample: nn.Module | None = None,
                 groups: int = 1, base_width: int = 64) -> None:
        super().__init__()
        width = int(planes * (base_width / 64.0)) * groups
        self.conv1 = conv1x1(inplanes, width)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = conv3x3(width, width, stride, groups)  # v1.5: the stride is here
        self.bn2 = nn.BatchNorm2d(width)
        self.conv3 = conv1x1(width, planes * self.expansion)
        self.bn3 = nn.BatchNorm2d(planes * self.expansion)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x if self.downsample is None else self.downsample(x)  # (B, 4·planes, H/s, W/s)
        out = self.relu(self.bn1(self.conv1(x)))  # (B, width, H, W)
        out = self.relu(self.bn2(self.conv2(out)))  # (B, width, H/s, W/s)
        out = self.bn3(self.conv3(out))  # (B, 4·planes, H/s, W/s)
        return self.relu(out + identity)


class ResNet(nn.Module):
    """ImageNet ResNet: stem (7×7 conv, max-pool), four stages, global average pool, FC.

    Parameters
    ----------
    block : BasicBlock or Bottleneck
    layers : list of 4 int
        Blocks per stage (Table 1 of the paper).
    num_classes : int, default=1000
    zero_init_residual : bool, default=False
        Start the last BN of each block at γ = 0, so each block begins as the identity
        (Goyal et al. 2017, "Accurate, Large Minibatch SGD", §5.1).
    groups, width_per_group : int, default 1 and 64
        ResNeXt cardinality and bottleneck width per group (wide ResNet: width_per_group=128).
    in_channels : int, default=3

    Examples
    --------
    >>> resnet18(num_classes=10).eval()(torch.zeros(1, 3, 64, 64)).shape
    torch.Size([1, 10])
    """

    def __init__(self, block: type[BasicBlock | Bottleneck], layers: list[int], num_classes: int = 1000,
                 zero_init_residual: bool = False, groups: int = 1, width_per_group: int = 64,
                 in_channels: int = 3) -> None:
        super().__init__()
        check_int(num_classes, "num_classes", minimum=1)
        check_int(in_channels, "in_channels", minimum=1)
        check_int(groups, "groups", minimum=1)
        check_int(width_per_group, "width_per_group", minimum=1)
        if len(layers) != 4:
            raise ValueError(f"layers: expected 4 block counts, got {layers!r}")
        self.inplanes = 64
        self.groups = groups
        self.base_width = width_per_group
        self.conv1 = nn.Conv2d(in_channels, 64, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(block, 64, layers[0])
        self.layer2 = self._make_layer(block, 128, layers[1], stride=2)
        self.layer3 = self._make_layer(block, 256, layers[2], stride=2)
        self.layer4 = self._make_layer(block, 512, layers[3], stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(512 * block.expansion, num_classes)
        _init_convs_and_norms(self)
        if zero_init_residual:
            for m in self.modules():
                last_bn = m.bn3 if isinstance(m, Bottleneck) else m.bn2 if isinstance(m, BasicBlock) else None
                if last_bn is not None:
                    nn.init.zeros_(last_bn.weight)

    def _make_layer(self, block, planes: int, blocks: int, stride: int = 1) -> nn.Sequential:
        downsample = None
        if stride != 1 or self.inplanes != planes * block.expansion:  # option B: projection shortcut
            downsample = nn.Sequential(conv1x1(self.inplanes, planes * block.expansion, stride),
                                       nn.BatchNorm2d(planes * block.expansion))
        layers = [block(self.inplanes, planes, stride, downsample, self.groups, self.base_width)]
        self.inplanes = planes * block.expansion
        layers += [block(self.inplanes, planes, groups=self.groups, base_width=self.base_width)
                   for _ in range(1, blocks)]
        return nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim != 4:
            raise ValueError(f"x: expected a 4-D tensor of shape (B, C, H, W), got shape {tuple(x.shape)}")
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))  # (B, 64, H/4, W/4)
        x = self.layer1(x)  # (B, 64·e, H/4, W/4), e = block.expansion
        x = self.layer2(x)  # (B, 128·e, H/8, W/8)
        x = self.layer3(x)  # (B, 256·e, H/16, W/16)
        x = self.layer4(x)  # (B, 512·e, H/32, W/32)
        x = torch.flatten(self.avgpool(x), 1)  # (B, 512·e)
        return self.fc(x)  # (B, num_classes)


def _init_convs_and_norms(model: nn.Module) -> None:
    """He-normal (fan-out) convolutions (He et al. 2015), BN γ = 1, β = 0, as torchvision."""
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
        elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)


def resnet18(**kwargs) -> ResNet:
    """ResNet-18 (He et al. 2016); keyword arguments as :class:`ResNet`."""
    return ResNet(BasicBlock, [2, 2, 2, 2], **kwargs)


def resnet34(**kwargs) -> ResNet:
    """ResNet-34."""
    return ResNet(BasicBlock, [3, 4, 6, 3], **kwargs)


def resnet50(**kwargs) -> ResNet:
    """ResNet-50: 25,557,032 parameters with 1000 classes."""
    return ResNet(Bottleneck, [3, 4, 6, 3], **kwargs)


def resnet101(**kwargs) -> ResNet:
    """ResNet-101."""
    return ResNet(Bottleneck, [3, 4, 23, 3], **kwargs)


def resnet152(**kwargs) -> ResNet:
    """ResNet-152."""
    return ResNet(Bottleneck, [3, 8, 36, 3], **kwargs)


def wide_resnet50_2(**kwargs) -> ResNet:
    """Wide ResNet-50-2 (Zagoruyko & Komodakis 2016): bottlenecks twice as wide."""
    return ResNet(Bottleneck, [3, 4, 6, 3], width_per_group=128, **kwargs)


def resnext50_32x4d(**kwargs) -> ResNet:
    """ResNeXt-50 32×4d (Xie et al. 2017): 32 groups of 4 channels in each 3×3."""
    return ResNet(Bottleneck, [3, 4, 6, 3], groups=32, width_per_group=4, **kwargs)


# ----------------------------------------------------------------------------- CIFAR (§4.2)


class CifarBasicBlock(nn.Module):
    """BasicBlock with the option-A shortcut: x[:, :, ::2, ::2] zero-padded to the new channels."""

    def __init__(self, inplanes: int, planes: int, stride: int = 1) -> None:
        super().__init__()
        self.conv1 = conv3x3(inplanes, planes, stride)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = conv3x3(planes, planes)
        self.bn2 = nn.BatchNorm2d(planes)
        self.stride = stride
        self.extra_channels = planes - inplanes

    def shortcut(self, x: torch.Tensor) -> torch.Tensor:
        if self.stride != 1:
            x = x[:, :, :: self.stride, :: self.stride]  # (B, C, ⌈H/2⌉, ⌈W/2⌉): subsample, no parameters
        if self.extra_channels:
            half = self.extra_channels // 2  # zeros on both sides of the channel axis, as most CIFAR code
            x = F.pad(x, (0, 0, 0, 0, half, self.extra_channels - half))  # (B, planes, H', W')
        return x

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x))


class CifarResNet(nn.Module):
    """CIFAR ResNet of depth 6n + 2 (He et al. 2016, §4.2).

    Parameters
    ----------
    depth : int
        6n + 2: 20, 32, 44, 56, 110, ...
    num_classes : int, default=10
    in_channels : int, default=3
        1 for MNIST (28×28 works too: 28 → 14 → 7).
    zero_init_residual : bool, default=False

    Examples
    --------
    >>> model = resnet20(in_channels=1).eval()
    >>> model(torch.zeros(2, 1, 28, 28)).shape
    torch.Size([2, 10])
    >>> sum(p.numel() for p in resnet20().parameters())
    269722
    """

    def __init__(self, depth: int, num_classes: int = 10, in_channels: int = 3,
                 zero_init_residual: bool = False) -> None:
        super().__init__()
        check_int(depth, "depth", minimum=8)
        check_int(num_classes, "num_classes", minimum=1)
        check_int(in_channels, "in_channels", minimum=1)
        if (depth - 2) % 6:
            raise ValueError(f"depth: expected 6n + 2 (20, 32, 44, 56, 110, ...), got {depth}")
        n = (depth - 2) // 6
        self.conv1 = conv3x3(in_channels, 16)
        self.bn1 = nn.BatchNorm2d(16)
        self.layer1 = self._make_layer(16, 16, n, 1)
        self.layer2 = self._make_layer(16, 32, n, 2)
        self.layer3 = self._make_layer(32, 64, n, 2)
        self.fc = nn.Linear(64, num_classes)
        _init_convs_and_norms(self)
        if zero_init_residual:
            for m in self.modules():
                if isinstance(m, CifarBasicBlock):
                    nn.init.zeros_(m.bn2.weight)

    @staticmethod
    def _make_layer(inplanes: int, planes: int, blocks: int, stride: int) -> nn.Sequential:
        layers = [CifarBasicBlock(inplanes, planes, stride)]
        layers += [CifarBasicBlock(planes, planes) for _ in range(1, blocks)]
        return nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim != 4:
            raise ValueError(f"x: expected a 4-D tensor of shape (B, C, H, W), got shape {tuple(x.shape)}")
        x = F.relu(self.bn1(self.conv1(x)))  # (B, 16, H, W)
        x = self.layer1(x)  # (B, 16, H, W)
        x = self.layer2(x)  # (B, 32, H/2, W/2)
        x = self.layer3(x)  # (B, 64, H/4, W/4)
        x = x.mean(dim=(2, 3))  # (B, 64): global average pool
        return self.fc(x)  # (B, num_classes)


def resnet20(**kwargs) -> CifarResNet:
    """CIFAR ResNet-20 (n = 3): 269,722 parameters (the paper's 0.27M)."""
    return CifarResNet(20, **kwargs)


def resnet32(**kwargs) -> CifarResNet:
    """CIFAR ResNet-32 (n = 5), 0.46M parameters."""
    return CifarResNet(32, **kwargs)


def resnet44(**kwargs) -> CifarResNet:
    """CIFAR ResNet-44 (n = 7), 0.66M parameters."""
    return CifarResNet(44, **kwargs)


def resnet56(**kwargs) -> CifarResNet:
    """CIFAR ResNet-56 (n = 9), 0.85M parameters."""
    return CifarResNet(56, **kwargs)


def resnet110(**kwargs) -> CifarResNet:
    """CIFAR ResNet-110 (n = 18), 1.7M parameters."""
    return CifarResNet(110, **kwargs)
