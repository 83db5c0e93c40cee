"""VGG: very deep convolutional networks of stacked 3×3 convolutions.

Simonyan & Zisserman (2015), "Very Deep Convolutional Networks for Large-Scale Image Recognition"
(ICLR). Reference: ``torchvision.models.vgg`` — the module names here are its state-dict keys
(``features.N``, ``classifier.0/3/6``), so ``load_state_dict(torchvision_vgg.state_dict(), strict=True)``
works and the logits agree to float32 round-off.

The paper's Table 1 (configurations A, B, D, E = VGG-11, 13, 16, 19); "conv3-64" is a 3×3
convolution with 64 output channels, stride 1, padding 1 (size kept); "maxpool" is 2×2, stride 2
(size halved). Every convolution is followed by ReLU (and, in the ``_bn`` variants, which the
paper does not have, by batch norm before the ReLU: Ioffe & Szegedy 2015)::

    A (11)          B (13)          D (16)          E (19)          output at 224×224
    conv3-64        conv3-64 ×2     conv3-64 ×2     conv3-64 ×2     (64, 224, 224)
    maxpool                                                         (64, 112, 112)
    conv3-128       conv3-128 ×2    conv3-128 ×2    conv3-128 ×2    (128, 112, 112)
    maxpool                                                         (128, 56, 56)
    conv3-256 ×2    conv3-256 ×2    conv3-256 ×3    conv3-256 ×4    (256, 56, 56)
    maxpool                                                         (256, 28, 28)
    conv3-512 ×2    conv3-512 ×2    conv3-512 ×3    conv3-512 ×4    (512, 28, 28)
    maxpool                                                         (512, 14, 14)
    conv3-512 ×2    conv3-512 ×2    conv3-512 ×3    conv3-512 ×4    (512, 14, 14)
    maxpool                                                         (512, 7, 7)
    FC-4096, FC-4096, FC-1000 (ReLU + dropout 0.5 after the first two)
    parameters:     133 M           133 M           138 M           144 M

As torchvision, an adaptive average pool to 7×7 sits between the features and the classifier, so
any input of at least 32×32 works (at 224×224 it is the identity). VGG-16 has 138,357,544 parameters.

``small_input=True`` is this module's variant for 28×28 images such as MNIST (not in the paper):
the fifth max-pool is dropped (28 → 14 → 7 → 3 → 1 after four pools), the adaptive pool goes to
1×1 and the classifier's hidden layers have 512 units instead of 4096 (so FC-512, FC-512, FC-k).
"""

from __future__ import annotations

from typing import Literal

import torch
from torch import nn

from mlcanon.validation import check_int, check_option, check_scalar

__all__ = [
    "CONFIGS",
    "VGG",
    "make_features",
    "vgg11",
    "vgg11_bn",
    "vgg13",
    "vgg13_bn",
    "vgg16",
    "vgg16_bn",
    "vgg19",
    "vgg19_bn",
]

# Table 1 of the paper: an int is a conv3 with that many output channels, "M" a 2×2 max-pool.
CONFIGS: dict[str, list[int | str]] = {
    "A": [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "B": [64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "D": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"],
    "E": [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512, 512, 512, 512, "M"],
}


def make_features(config: list[int | str], batch_norm: bool = False, in_channels: int = 3) -> nn.Sequential:
    """The convolutional part: conv3 (+ BN) + ReLU per int of ``config``, a 2×2 max-pool per "M"."""
    layers: list[nn.Module] = []
    for v in config:
        if v == "M":
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
            continue
        layers.append(nn.Conv2d(in_channels, v, kernel_size=3, padding=1))
        if batch_norm:
            layers.append(nn.BatchNorm2d(v))
        layers.append(nn.ReLU(inplace=True))
        in_channels = v
    return nn.Sequential(*layers)


class VGG(nn.Module):
    """VGG network: ``features`` → adaptive average pool → ``classifier`` (three linear layers).

    Parameters
    ----------
    features : nn.Sequential
        The convolutional part, from :func:`make_features`; its last layer has 512 channels.
    num_classes : int, default=1000
    dropout : float, default=0.5
        Dropout probability after each of the two hidden linear layers.
    small_input : bool, default=False
        28×28 variant: pool to 1×1 and 512 hidden units (see the module docstring).
    init_weights : bool, default=True
        torchvision's initialisation: He-normal (fan-out) convolutions, N(0, 0.01) linear layers,
        zero biases (He et al. 2015 for the convolutions; the paper itself used N(0, 0.01) + pre-training).

    Examples
    --------
    >>> model = vgg11_bn(num_classes=10, in_channels=1, small_input=True).eval()
    >>> model(torch.zeros(2, 1, 28, 28)).shape
    torch.Size([2, 10])
    """

    def __init__(self, features: nn.Sequential, num_classes: int = 1000, dropout: float = 0.5,
                 small_input: bool = False, init_weights: bool = True) -> None:
        super().__init__()
        check_int(num_classes, "num_classes", minimum=1)
        check_scalar(dropout, "dropout", minimum=0.0, maximum=1.0)
        side, hidden = (1, 512) if small_input else (7, 4096)
        self.features = features
        self.avgpool = nn.AdaptiveAvgPool2d((side, side))
        self.classifier = nn.Sequential(
            nn.Linear(512 * side * side, hidden),
            nn.ReLU(True),
            nn.Dropout(p=dropout),
            nn.Linear(hidden, hidden),
            nn.ReLU(True),
            nn.Dropout(p=dropout),
            nn.Linear(hidden, num_classes),
        )
        if init_weights:
            self._init_weights()

    def _init_weights(self) -> None:
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, 0, 0.01)
                nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim != 4:
            raise ValueError(f"x: expected a 4-D tensor of shape (B, C, H, W), got shape {tuple(x.shape)}")
        x = self.features(x)  # (B, 512, H/32, W/32); H/16 with small_input
        x = self.avgpool(x)  # (B, 512, 7, 7); (B, 512, 1, 1) with small_input
        x = torch.flatten(x, 1)  # (B, 512·7·7)
        return self.classifier(x)  # (B, num_classes)


def _vgg(config: Literal["A", "B", "D", "E"], batch_norm: bool, *, num_classes: int = 1000, in_channels: int = 3,
         small_input: bool = False, dropout: float = 0.5, init_weights: bool = True) -> VGG:
    check_option(config, "config", CONFIGS)
    check_int(in_channels, "in_channels", minimum=1)
    layers = CONFIGS[config]
    if small_input:
        layers = layers[:-1]  # drop the fifth max-pool: 28×28 is 1×1 after four
    return VGG(make_features(layers, batch_norm, in_channels), num_classes=num_classes, dropout=dropout,
               small_input=small_input, init_weights=init_weights)


def vgg11(**kwargs) -> VGG:
    """VGG-11 (configuration A of Simonyan & Zisserman 2015); keyword arguments as :class:`VGG`
    plus ``in_channels`` and ``small_input``."""
    return _vgg("A", False, **kwargs)


def vgg11_bn(**kwargs) -> VGG:
    """VGG-11 with batch norm after each convolution."""
    return _vgg("A", True, **kwargs)


def vgg13(**kwargs) -> VGG:
    """VGG-13 (configuration B)."""
    return _vgg("B", False, **kwargs)


def vgg13_bn(**kwargs) -> VGG:
    """VGG-13 with batch norm."""
    return _vgg("B", True, **kwargs)


def vgg16(**kwargs) -> VGG:
    """VGG-16 (configuration D): 138,357,544 parameters with 1000 classes."""
    return _vgg("D", False, **kwargs)


def vgg16_bn(**kwargs) -> VGG:
    """VGG-16 with batch norm."""
    return _vgg("D", True, **kwargs)


def vgg19(**kwargs) -> VGG:
    """VGG-19 (configuration E)."""
    return _vgg("E", False, **kwargs)


def vgg19_bn(**kwargs) -> VGG:
    """VGG-19 with batch norm."""
    return _vgg("E", True, **kwargs)
