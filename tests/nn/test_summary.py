"""mlcanon.nn.summary gives torchinfo 1.8's rows and totals on the vision models (and on a model with
a ModuleList called in a loop, torchinfo's odd case); the table prints them."""

from __future__ import annotations

import pytest
import torch
from torch import nn

torchinfo = pytest.importorskip("torchinfo")

from mlcanon.models import resnet, vgg, vit
from mlcanon.nn.summary import summary


class LoopedList(nn.Module):
    """A ModuleList (never called itself) used in a loop, one layer twice, and a bare parameter."""

    def __init__(self) -> None:
        super().__init__()
        self.layers = nn.ModuleList([nn.Linear(4, 4) for _ in range(3)])
        self.act = nn.ReLU()
        self.offset = nn.Parameter(torch.zeros(4))
        self.frozen = nn.Linear(4, 2).requires_grad_(False)

    def forward(self, x):
        for layer in self.layers:
            x = self.act(layer(x)) + self.offset
        return self.frozen(self.layers[0](x))


CASES = {
    "resnet18_224": (lambda: resnet.resnet18(), (1, 3, 224, 224)),
    "resnet50": (lambda: resnet.resnet50(), (2, 3, 64, 64)),
    "resnext50_32x4d": (lambda: resnet.resnext50_32x4d(), (1, 3, 64, 64)),
    "resnet20_mnist": (lambda: resnet.resnet20(in_channels=1), (2, 1, 28, 28)),
    "resnet56": (lambda: resnet.resnet56(), (2, 3, 32, 32)),
    "vgg11_bn_small": (lambda: vgg.vgg11_bn(num_classes=10, in_channels=1, small_input=True), (2, 1, 28, 28)),
    "vgg16": (lambda: vgg.vgg16(), (1, 3, 32, 32)),
    "vit_mnist": (lambda: vit.vit_mnist(), (2, 1, 28, 28)),
    "vit_tiny": (lambda: vit.vit_tiny_patch16_224(), (1, 3, 224, 224)),
    "vit_avg_pool": (lambda: vit.ViT(vit.ViTConfig(img_size=32, patch_size=8, embed_dim=32, depth=2, num_heads=4,
                                                   global_pool="avg")), (2, 3, 32, 32)),
    "looped_list": (LoopedList, (2, 4)),
}
SLOW = {"vgg16"}  # over ~5 s on a shared 2-core machine: building its 102 M-parameter classifier


def _rows(rows, depth_index: bool = True):
    return [(r.class_name, r.depth, r.depth_index if depth_index else None, list(r.output_shape), r.num_params,
             r.is_recursive) for r in rows]


@pytest.mark.parametrize("name", [pytest.param(n, marks=[pytest.mark.slow] if n in SLOW else []) for n in CASES])
def test_rows_and_totals_equal_torchinfo(name):
    torch.manual_seed(0)
    build, size = CASES[name]
    model = build()
    ours = summary(model, size, verbose=False)
    theirs = torchinfo.summary(model, size, verbose=0, device="cpu")
    # torchinfo lists a re-used container as one object, so every listing shows the last depth index
    assert _rows(ours.rows, name != "looped_list") == [
        (r.class_name, r.depth, r.depth_index if name != "looped_list" else None, list(r.output_size), r.num_params,
         r.is_recursive) for r in theirs.summary_list]
    assert ours.total_params == theirs.total_params
    assert ours.trainable_params == theirs.trainable_params
    assert ours.total_mult_adds == theirs.total_mult_adds
    assert ours.forward_backward_bytes == theirs.total_output_bytes
    assert ours.params_bytes == theirs.total_param_bytes
    # torchinfo counts sys.getsizeof of each input's storage: the data plus a 64-byte object header
    assert theirs.total_input - ours.input_bytes == 64
    assert f"{ours.input_mb:.2f}" == f"{theirs.total_input / 1e6:.2f}"


def test_resnet18_numbers_by_hand():
    s = summary(resnet.resnet18(), (1, 3, 224, 224), verbose=False)
    assert s.total_params == 11_689_512 and s.trainable_params == s.total_params
    assert s.rows[1].class_name == "Conv2d" and s.rows[1].output_shape == [1, 64, 112, 112]
    # conv1: 64·3·7·7 weights, each used once per output pixel: 9408 · 112²
    assert s.rows[1].mult_adds == 9408 * 112 * 112
    assert s.total_mult_adds == 1_814_083_944
    assert s.params_bytes == 4 * 11_689_512
    assert s.input_bytes == 4 * 3 * 224 * 224


def test_frozen_parameters_are_not_trainable():
    s = summary(LoopedList(), (2, 4), verbose=False)
    assert s.total_params == 3 * 20 + 4 + 10 and s.trainable_params == 64 and s.non_trainable_params == 10


def test_table_prints_the_rows_and_totals(capsys):
    s = summary(resnet.resnet20(), (1, 3, 32, 32))
    printed = capsys.readouterr().out
    assert printed.strip() == str(s).strip()
    assert "Total params: 269,722" in printed and "Trainable params: 269,722" in printed
    assert "Non-trainable params: 0" in printed
    assert "├─Conv2d: 1-1" in printed and "[1, 16, 32, 32]" in printed
    assert "│    ├─CifarBasicBlock: 2-1" in printed
    assert "Total mult-adds (M): 40.55" in printed
    assert f"Input size (MB): {3 * 32 * 32 * 4 / 1e6:.2f}" in printed
    assert "CifarBasicBlock: 2-1" in str(s) and "Conv2d: 3-1" in str(s)  # depth 3 shown by default
    assert "Conv2d: 3-1" not in str(summary(resnet.resnet20(), (1, 3, 32, 32), depth=2, verbose=False))


def test_mode_is_restored_and_train_mode_runs_in_train():
    model = resnet.resnet20().train()
    seen = []
    model.bn1.register_forward_hook(lambda m, i, o: seen.append(m.training))
    summary(model, (2, 3, 32, 32), verbose=False)
    summary(model, (2, 3, 32, 32), mode="train", verbose=False)
    assert seen == [False, True] and model.training


def test_several_inputs_and_dtypes():
    class Two(nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = nn.Embedding(10, 3)
            self.lin = nn.Linear(3, 2)

        def forward(self, tokens, x):
            return self.lin(self.emb(tokens) + x)

    ours = summary(Two(), [(2, 5), (2, 5, 3)], dtypes=[torch.long, torch.float], verbose=False)
    theirs = torchinfo.summary(Two(), [(2, 5), (2, 5, 3)], dtypes=[torch.long, torch.float], verbose=0, device="cpu")
    assert _rows(ours.rows) == [(r.class_name, r.depth, r.depth_index, r.output_size, r.num_params, r.is_recursive)
                                for r in theirs.summary_list]
    assert ours.total_mult_adds == theirs.total_mult_adds and ours.input_bytes == 2 * 5 * 8 + 2 * 5 * 3 * 4


def test_summary_checks():
    model = resnet.resnet20()
    with pytest.raises(TypeError, match="model: expected a torch.nn.Module, got str"):
        summary("resnet", (1, 3, 32, 32))
    with pytest.raises(TypeError, match="input_size: expected a shape tuple or a list of them, got int 3"):
        summary(model, 3)
    with pytest.raises(ValueError, match=r"input_size: expected shapes of positive ints, got \(1, 0, 32\)"):
        summary(model, (1, 0, 32))
    with pytest.raises(ValueError, match=r"dtypes: expected one dtype per input \(1\), got 2"):
        summary(model, (1, 3, 32, 32), dtypes=[torch.float, torch.float])
    with pytest.raises(ValueError, match="mode: expected 'eval' or 'train', got 'test'"):
        summary(model, (1, 3, 32, 32), mode="test")
