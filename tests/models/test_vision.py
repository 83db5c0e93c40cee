"""VGG, ResNet and ViT equal torchvision's and timm's after a strict state-dict transfer; the CIFAR
ResNets match the paper's parameter counts; the eval()/no_grad() demonstration says what it claims.

Tolerance: the logits are compared to 1e-4 (float32). Both sides run the same ATen kernels in the
same order, so on one machine they agree bit for bit; 1e-4 leaves room for a BLAS/oneDNN that
picks a different blocking (float32 sums of ~25k products of O(1) terms carry ~1e-5 absolute error).
"""

from __future__ import annotations

import dataclasses

import pytest
import torch
from torch import nn

torchvision = pytest.importorskip("torchvision")
timm = pytest.importorskip("timm")

from mlcanon import data
from mlcanon.models import resnet, vgg, vit
from mlcanon.nn import modes

ATOL = 1e-4
slow = pytest.mark.slow


@dataclasses.dataclass(frozen=True)
class Entry:
    name: str
    ours: object  # builder(**kwargs) -> nn.Module
    reference: object | None  # builder(**kwargs) -> nn.Module, same keys; None: no reference
    shape: tuple[int, ...]  # input for the fast tests
    kwargs: dict = dataclasses.field(default_factory=dict)
    classes: int = 1000


def _tv(name):
    return lambda **kw: getattr(torchvision.models, name)(weights=None, **kw)


def _timm(name):
    return lambda **kw: timm.create_model(name, pretrained=False, **kw)


def _timm_mnist(**kw):
    cfg = vit.PRESETS["vit_mnist"]
    return timm.models.vision_transformer.VisionTransformer(
        img_size=cfg.img_size, patch_size=cfg.patch_size, in_chans=cfg.in_chans, num_classes=cfg.num_classes,
        embed_dim=cfg.embed_dim, depth=cfg.depth, num_heads=cfg.num_heads, mlp_ratio=cfg.mlp_ratio,
        drop_rate=cfg.drop_rate, **kw)


REGISTRY = [
    *[Entry(n, getattr(vgg, n), _tv(n), (2, 3, 32, 32)) for n in
      ("vgg11", "vgg11_bn", "vgg13", "vgg13_bn", "vgg16", "vgg16_bn", "vgg19", "vgg19_bn")],
    *[Entry(n, getattr(resnet, n), _tv(n), (2, 3, 64, 64)) for n in
      ("resnet18", "resnet34", "resnet50", "resnet101", "resnet152", "wide_resnet50_2", "resnext50_32x4d")],
    *[Entry(f"resnet{d}", getattr(resnet, f"resnet{d}"), None, (2, 3, 32, 32), classes=10)
      for d in (20, 32, 44, 56, 110)],
    Entry("resnet20_mnist", resnet.resnet20, None, (2, 1, 28, 28), {"in_channels": 1}, classes=10),
    Entry("vgg11_bn_mnist", vgg.vgg11_bn, None, (2, 1, 28, 28), {"num_classes": 10, "in_channels": 1,
                                                              "small_input": True}, classes=10),
    *[Entry(n, getattr(vit, n), _timm(n), (1, 3, 224, 224)) for n in
      ("vit_tiny_patch16_224", "vit_small_patch16_224", "vit_base_patch16_224", "vit_large_patch16_224")],
    Entry("vit_base_patch16_384", vit.vit_base_patch16_384, _timm("vit_base_patch16_384"), (1, 3, 384, 384)),
    Entry("vit_mnist", vit.vit_mnist, _timm_mnist, (2, 1, 28, 28), classes=10),
]
# Over ~5 s per test on a shared 2-core machine: every full VGG (building its 102 M-parameter first
# classifier layer alone takes seconds; test_vgg_features_equal_torchvisions_make_layers covers the
# convolutions of all eight fast) and the big ResNets and ViTs.
SLOW = {"vgg11", "vgg11_bn", "vgg13", "vgg13_bn", "vgg16", "vgg16_bn", "vgg19", "vgg19_bn", "resnet101", "resnet152", "wide_resnet50_2",
        "resnet110", "vit_small_patch16_224", "vit_base_patch16_224", "vit_large_patch16_224",
        "vit_base_patch16_384"}


def _params(entries):
    return [pytest.param(e, id=e.name, marks=[slow] if e.name in SLOW else []) for e in entries]


def _logits_equal(a: torch.Tensor, b: torch.Tensor) -> None:
    assert a.shape == b.shape
    assert torch.allclose(a, b, atol=ATOL, rtol=0), float((a - b).abs().max())


# ----------------------------------------------------------------------------- the registry


@pytest.mark.parametrize("entry", _params(REGISTRY))
def test_forward_shape_finite_and_every_parameter_gets_a_gradient(entry):
    torch.manual_seed(0)
    model = entry.ours(**entry.kwargs).train()
    x = torch.randn(*entry.shape)
    y = model(x)
    assert y.shape == (entry.shape[0], entry.classes)
    assert torch.isfinite(y).all()
    y.logsumexp(dim=1).sum().backward()
    missing = [n for n, p in model.named_parameters() if p.grad is None or not torch.isfinite(p.grad).all()]
    assert not missing


@pytest.mark.parametrize("entry", _params([e for e in REGISTRY if e.reference is not None]))
def test_strict_state_dict_load_from_the_reference_and_equal_logits(entry):
    torch.manual_seed(0)
    theirs = entry.reference(**entry.kwargs).eval()
    ours = entry.ours(**entry.kwargs).eval()
    assert list(ours.state_dict()) == list(theirs.state_dict())  # same names, same order
    ours.load_state_dict(theirs.state_dict(), strict=True)
    x = torch.randn(*entry.shape)
    with torch.no_grad():
        _logits_equal(ours(x), theirs(x))


@pytest.mark.parametrize("entry", _params([e for e in REGISTRY if e.reference is not None]))
def test_parameter_counts_equal_the_reference(entry):
    with torch.device("meta"):  # no memory, no initialisation cost
        ours, theirs = entry.ours(**entry.kwargs), entry.reference(**entry.kwargs)
    assert _count(ours) == _count(theirs)
    assert [tuple(p.shape) for p in ours.state_dict().values()] == [tuple(p.shape) for p in theirs.state_dict().values()]


def _count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize("builder, expected", [
    (vgg.vgg16, 138_357_544), (resnet.resnet50, 25_557_032), (vit.vit_base_patch16_224, 86_567_656),
])
def test_parameter_counts_quoted_by_the_papers_and_references(builder, expected):
    with torch.device("meta"):
        assert _count(builder()) == expected


# ----------------------------------------------------------------------------- ResNet in train mode


def _train_step_parity(ours_builder, theirs_builder, shape):
    torch.manual_seed(0)
    theirs = theirs_builder().train()
    ours = ours_builder().train()
    ours.load_state_dict(theirs.state_dict(), strict=True)
    x = torch.randn(*shape)
    target = torch.randint(0, 1000, (shape[0],))
    for model in (ours, theirs):
        opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        nn.functional.cross_entropy(model(x), target).backward()
        opt.step()
    for (k, a), b in zip(ours.state_dict().items(), theirs.state_dict().values()):
        if a.is_floating_point():  # weights after the step and the BN running statistics
            assert torch.allclose(a, b, atol=ATOL, rtol=0), k
        else:
            assert torch.equal(a, b), k  # num_batches_tracked
    _logits_equal(ours(x), theirs(x))  # a second pass in train mode: batch statistics


@pytest.mark.parametrize("name", ["resnet18", "resnet50", pytest.param("resnext50_32x4d", marks=slow)])
def test_resnet_train_mode_logits_step_and_running_stats_equal_torchvision(name):
    _train_step_parity(getattr(resnet, name), _tv(name), (2, 3, 32, 48))  # layer4: 1×2, BN over 4 values


@slow
def test_resnet50_train_and_eval_at_224_and_at_160x192():
    for shape in [(2, 3, 224, 224), (2, 3, 160, 192)]:
        _train_step_parity(resnet.resnet50, _tv("resnet50"), shape)
        torch.manual_seed(1)
        theirs = _tv("resnet50")().eval()
        ours = resnet.resnet50().eval()
        ours.load_state_dict(theirs.state_dict())
        x = torch.randn(*shape)
        with torch.no_grad():
            _logits_equal(ours(x), theirs(x))


def test_resnet18_eval_at_an_odd_size():
    torch.manual_seed(0)
    theirs = _tv("resnet18")().eval()
    ours = resnet.resnet18().eval()
    ours.load_state_dict(theirs.state_dict())
    x = torch.randn(2, 3, 75, 97)  # does not divide by 32
    with torch.no_grad():
        _logits_equal(ours(x), theirs(x))


@pytest.mark.parametrize("name", ["resnet18", "resnet50"])
def test_zero_init_residual_zeroes_the_same_norms_as_torchvision(name):
    ours = getattr(resnet, name)(zero_init_residual=True)
    theirs = _tv(name)(zero_init_residual=True)
    zero = lambda m: sorted(k for k, v in m.state_dict().items() if k.endswith("weight") and v.abs().max() == 0)
    assert zero(ours) == zero(theirs)
    assert len(zero(ours)) == (8 if name == "resnet18" else 16)  # one per block


def test_resnet_fc_and_groups_checks():
    with pytest.raises(ValueError, match="layers: expected 4 block counts"):
        resnet.ResNet(resnet.BasicBlock, [2, 2, 2])
    with pytest.raises(ValueError, match="groups, width_per_group: BasicBlock supports only 1 and 64"):
        resnet.resnet18(groups=2)
    with pytest.raises(ValueError, match="num_classes: expected an int >= 1"):
        resnet.resnet18(num_classes=0)
    with pytest.raises(ValueError, match=r"x: expected a 4-D tensor of shape \(B, C, H, W\), got shape \(3, 32, 32\)"):
        resnet.resnet18()(torch.zeros(3, 32, 32))


# ----------------------------------------------------------------------------- CIFAR ResNets (§4.2)


@pytest.mark.parametrize("depth, paper_millions", [(20, 0.27), (32, 0.46), (44, 0.66), (56, 0.85), (110, 1.7)])
def test_cifar_resnet_parameter_counts_round_to_the_papers_table_6(depth, paper_millions):
    n = _count(resnet.CifarResNet(depth))
    digits = 1 if depth == 110 else 2
    assert round(n / 1e6, digits) == paper_millions
    # 3 stages of n blocks; option-A shortcuts have no parameters
    blocks = (depth - 2) // 6
    convs = 16 * 27 + sum(9 * c_in * c + 9 * c * c for c_in, c in
                          [(16, 16)] * blocks + [(16, 32)] + [(32, 32)] * (blocks - 1) + [(32, 64)]
                          + [(64, 64)] * (blocks - 1))
    norms = 2 * 16 + sum(2 * 2 * c for c in [16] * blocks + [32] * blocks + [64] * blocks)
    assert n == convs + norms + 64 * 10 + 10


def test_resnet20_has_269722_parameters():
    assert _count(resnet.resnet20()) == 269_722


def test_option_a_shortcut_subsamples_and_zero_pads_the_channels():
    block = resnet.CifarBasicBlock(16, 32, stride=2)
    x = torch.randn(2, 16, 9, 9)
    s = block.shortcut(x)
    assert s.shape == (2, 32, 5, 5)
    assert torch.equal(s[:, 8:24], x[:, :, ::2, ::2])
    assert s[:, :8].abs().max() == 0 and s[:, 24:].abs().max() == 0
    assert all(n.startswith(("conv", "bn")) for n, _ in block.named_parameters())  # nothing in the shortcut


def test_cifar_resnet_checks_depth():
    with pytest.raises(ValueError, match=r"depth: expected 6n \+ 2 \(20, 32, 44, 56, 110, ...\), got 21"):
        resnet.CifarResNet(21)
    with pytest.raises(ValueError, match="in_channels: expected an int >= 1, got 0"):
        resnet.CifarResNet(20, in_channels=0)


@pytest.fixture(scope="module")
def mnist_batch():
    images, labels = data.load("mnist", "test")
    x = torch.tensor(images[:8], dtype=torch.float32)[:, None] / 255.0  # (8, 1, 28, 28)
    return x, torch.tensor(labels[:8], dtype=torch.long)


@pytest.mark.parametrize("builder", [lambda: resnet.resnet20(in_channels=1),
                                     lambda: vgg.vgg11_bn(num_classes=10, in_channels=1, small_input=True),
                                     vit.vit_mnist], ids=["resnet20", "vgg11_bn_small", "vit_mnist"])
def test_mnist_variants_run_on_real_digits_and_a_step_lowers_the_loss(builder, mnist_batch):
    torch.manual_seed(0)
    x, y = mnist_batch
    assert x.shape == (8, 1, 28, 28) and 0.9 < float(x.max()) <= 1.0
    model = builder().train()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    losses = []
    for _ in range(3):  # the same batch three times: memorising it must lower the loss
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
    assert losses[-1] < losses[0]
    assert model.eval()(x).shape == (8, 10)


# ----------------------------------------------------------------------------- VGG


@pytest.mark.parametrize("config, batch_norm", [(c, bn) for c in "ABDE" for bn in (False, True)])
def test_vgg_features_equal_torchvisions_make_layers(config, batch_norm):
    from torchvision.models.vgg import cfgs, make_layers

    torch.manual_seed(0)
    theirs = make_layers(cfgs[config], batch_norm=batch_norm).eval()
    ours = vgg.make_features(vgg.CONFIGS[config], batch_norm=batch_norm).eval()
    ours.load_state_dict(theirs.state_dict(), strict=True)
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        _logits_equal(ours(x), theirs(x))


def test_vgg_small_input_keeps_the_paper_convolutions():
    with torch.device("meta"):
        small, full = vgg.vgg16(small_input=True, num_classes=10), vgg.vgg16(num_classes=10)
    convs = lambda m: [tuple(c.weight.shape) for c in m.features if isinstance(c, nn.Conv2d)]
    assert convs(small) == convs(full)
    assert sum(isinstance(c, nn.MaxPool2d) for c in small.features) == 4
    assert small.classifier[0].in_features == 512 and small.classifier[3].out_features == 512


def test_vgg_checks():
    with pytest.raises(ValueError, match="dropout: expected a number <= 1.0, got 1.5"):
        vgg.vgg11(dropout=1.5)
    with pytest.raises(ValueError, match="config: expected one of 'A', 'B', 'D', 'E', got 'C'"):
        vgg._vgg("C", False)
    with pytest.raises(ValueError, match=r"x: expected a 4-D tensor"):
        vgg.vgg11(small_input=True)(torch.zeros(1, 28, 28))


# ----------------------------------------------------------------------------- ViT


def _small_vit_pair(img_size: int, **extra):
    cfg = vit.ViTConfig(img_size=img_size, patch_size=8, embed_dim=32, depth=2, num_heads=4, num_classes=5, **extra)
    theirs = timm.models.vision_transformer.VisionTransformer(
        img_size=img_size, patch_size=8, embed_dim=32, depth=2, num_heads=4, num_classes=5, **extra).eval()
    return vit.ViT(cfg).eval(), theirs


def test_vit_forward_features_and_head_equal_timms():
    torch.manual_seed(0)
    ours, theirs = _small_vit_pair(32)
    ours.load_state_dict(theirs.state_dict(), strict=True)
    x = torch.randn(3, 3, 32, 32)
    with torch.no_grad():
        f_ours, f_theirs = ours.forward_features(x), theirs.forward_features(x)
        assert f_ours.shape == (3, 1 + 16, 32)
        _logits_equal(f_ours, f_theirs)
        _logits_equal(ours.forward_head(f_ours, pre_logits=True), theirs.forward_head(f_theirs, pre_logits=True))
        _logits_equal(ours(x), theirs(x))


def test_vit_average_pooling_equals_timms():
    torch.manual_seed(0)
    ours, theirs = _small_vit_pair(32, global_pool="avg")
    ours.load_state_dict(theirs.state_dict(), strict=True)  # fc_norm in place of norm, as timm
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        _logits_equal(ours(x), theirs(x))


@pytest.mark.parametrize("new_size", [(24, 24), (7, 7), (14, 20), (3, 5)])
def test_resample_abs_pos_embed_equals_timms(new_size):
    torch.manual_seed(0)
    posemb = torch.randn(1, 1 + 14 * 14, 48)
    ours = vit.resample_abs_pos_embed(posemb, new_size)
    theirs = timm.layers.resample_abs_pos_embed(posemb, list(new_size), num_prefix_tokens=1)
    assert ours.shape == (1, 1 + new_size[0] * new_size[1], 48)
    # antialiased bicubic weights are computed in float32 on both sides; 16 taps of O(1) values
    assert torch.allclose(ours, theirs, atol=1e-5, rtol=0)
    assert torch.equal(ours[:, 0], posemb[:, 0])  # the class token's embedding is kept


def test_loading_a_smaller_grid_checkpoint_interpolates_as_timms_checkpoint_filter():
    from timm.models.vision_transformer import checkpoint_filter_fn

    torch.manual_seed(0)
    _, small_timm = _small_vit_pair(32)  # 4×4 grid
    ours, big_timm = _small_vit_pair(56)  # 7×7 grid
    big_timm.load_state_dict(checkpoint_filter_fn(small_timm.state_dict(), big_timm), strict=True)
    ours.load_checkpoint(small_timm.state_dict())
    assert torch.allclose(ours.pos_embed, big_timm.pos_embed, atol=1e-5, rtol=0)
    x = torch.randn(2, 3, 56, 56)
    with torch.no_grad():
        _logits_equal(ours(x), big_timm(x))


@slow
def test_vit_b16_224_checkpoint_into_the_384_model_equals_timm():
    from timm.models.vision_transformer import checkpoint_filter_fn

    torch.manual_seed(0)
    t224 = timm.create_model("vit_base_patch16_224", pretrained=False)
    t384 = timm.create_model("vit_base_patch16_384", pretrained=False).eval()
    t384.load_state_dict(checkpoint_filter_fn(t224.state_dict(), t384))
    ours = vit.vit_base_patch16_384().eval()
    ours.load_checkpoint(t224.state_dict())
    assert ours.pos_embed.shape == (1, 577, 768)
    x = torch.randn(1, 3, 384, 384)
    with torch.no_grad():
        _logits_equal(ours(x), t384(x))


def test_vit_config_checks():
    with pytest.raises(ValueError, match="img_size: expected a multiple of patch_size=16, got 100"):
        vit.ViTConfig(img_size=100)
    with pytest.raises(ValueError, match="embed_dim: expected a multiple of num_heads=12, got 100"):
        vit.ViTConfig(embed_dim=100)
    with pytest.raises(ValueError, match="global_pool: expected one of 'token', 'avg', got 'max'"):
        vit.ViTConfig(global_pool="max")
    with pytest.raises(TypeError, match="config: expected a ViTConfig, got dict"):
        vit.ViT({"img_size": 32})
    with pytest.raises(ValueError, match=r"x: expected images of size \(28, 28\), got \(32, 32\)"):
        vit.vit_mnist()(torch.zeros(1, 1, 32, 32))
    with pytest.raises(ValueError, match="posemb: 5 grid tokens is not a square; pass old_size"):
        vit.resample_abs_pos_embed(torch.zeros(1, 6, 4), (3, 3))


def test_vit_presets_are_the_papers_table_1():
    table = {"vit_tiny_patch16_224": (12, 192, 3), "vit_small_patch16_224": (12, 384, 6),
             "vit_base_patch16_224": (12, 768, 12), "vit_large_patch16_224": (24, 1024, 16),
             "vit_base_patch16_384": (12, 768, 12)}
    for name, (depth, width, heads) in table.items():
        cfg = vit.PRESETS[name]
        assert (cfg.depth, cfg.embed_dim, cfg.num_heads, int(cfg.embed_dim * cfg.mlp_ratio)) == (depth, width, heads,
                                                                                                 4 * width)


# ----------------------------------------------------------------------------- eval() vs no_grad() (nn/modes.py)


def test_dropout_and_batchnorm_behave_by_mode():
    d = modes.dropout_demo(p=0.25, n=200_000)
    assert abs(d["train"]["fraction_zero"] - 0.25) < 0.01  # binomial sd ~ 0.001
    assert d["train"]["max"] == pytest.approx(1 / 0.75)
    assert d["eval"] == {"fraction_zero": 0.0, "mean": 1.0, "max": 1.0}
    b = modes.batchnorm_demo()
    assert abs(b["train"]["output_mean"]) < 1e-5 and b["train"]["output_std"] == pytest.approx(1, abs=1e-4)
    assert b["train"]["running_mean_change"] > 0.2  # 0.1 · (batch mean ≈ 3): moved under no_grad too
    assert b["train"]["first_sample_depends_on_batch"] > 0.1
    assert b["eval"]["running_mean_change"] == 0.0 and b["eval"]["first_sample_depends_on_batch"] == 0.0
    assert b["eval"]["output_mean"] == pytest.approx(3, abs=0.5)  # running mean 0, var 1: data passes through


def test_no_grad_and_inference_mode_change_autograd_not_the_numbers():
    d = modes.autograd_demo()
    assert d["grad"]["has_graph"] and d["grad"]["saved_bytes"] > 0
    for name in ("no_grad", "inference_mode"):
        assert not d[name]["requires_grad"] and not d[name]["has_graph"] and d[name]["saved_bytes"] == 0
        assert d[name]["max_diff_to_grad"] == 0.0
    assert d["inference_mode"]["is_inference"] and not d["no_grad"]["is_inference"]


def test_four_combinations_on_resnet20():
    rows = {(r["mode"], r["autograd"]): r for r in modes.four_combinations()}
    assert rows["train", "no_grad"]["bn_stats_changed"]  # no_grad does not stop batch norm's update
    assert not rows["eval", "grad"]["bn_stats_changed"]
    assert rows["eval", "grad"]["max_diff_to_eval_no_grad"] == 0.0  # autograd does not change the numbers
    assert rows["train", "grad"]["max_diff_to_eval_no_grad"] > 1e-2  # the mode does
    assert rows["train", "grad"]["saved_bytes"] > 1e6 and rows["train", "no_grad"]["saved_bytes"] == 0
    table = modes.format_table(list(rows.values()))
    assert table.splitlines()[0].split()[:3] == ["mode", "autograd", "requires_grad"] and len(table.splitlines()) == 5
