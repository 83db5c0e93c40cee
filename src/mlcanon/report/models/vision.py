"""经典模型 · vision: VGG, ResNet and ViT against torchvision/timm with the same weights, ``summary()`` of
ResNet-50 beside torchinfo, the MNIST accuracies of ``mlcanon vision``, and what the trained networks see
(ResNet-20's first-layer filters, one digit's feature maps, the ViT's class-token attention, and linear CKA
between the layers of ResNet-20 and the ViT).

Parity rows run live on small inputs (seconds): our model gets the reference's ``state_dict()`` with
``strict=True`` and both run the same random images. The MNIST figures are those of
``python -m benchmarks.vision_quality`` (with the date of its JSON): the report does not train them. The
pictures need the trained model folders: run the benchmark with ``--keep DIR`` and set
``MLCANON_VISION_MODELS=DIR``.

Linear CKA (Kornblith et al. 2019, "Similarity of Neural Network Representations Revisited", ICML), used by
Raghu et al. (2021, "Do Vision Transformers See Like Convolutional Neural Networks?") to compare ViTs and
CNNs; for activations X (n × p) and Y (n × q) of the same n images, with every column centred::

    CKA(X, Y) = ‖Yᵀ X‖²_F / (‖Xᵀ X‖_F · ‖Yᵀ Y‖_F)
              = ⟨K, L⟩ / (‖K‖_F ‖L‖_F)          with the centred Gram matrices K = X Xᵀ, L = Y Yᵀ (n × n)

It is 1 for representations equal up to an orthogonal transform and an isotropic scaling, and does not
depend on p and q, so a 12,544-wide ResNet layer can be compared with a 2,176-wide ViT layer.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from mlcanon._paths import results_dir
from mlcanon.report.core import Note, Row, Table, check, figure_from_matplotlib

_RESULTS = results_dir() / "vision_quality.json"
_PARITY_TOL = 1e-4  # the asked tolerance; float32 sums over ~10⁴ terms in a different order differ by ~1e-6


def linear_cka(x, y) -> float:
    """Linear CKA between activations ``x`` (n, p) and ``y`` (n, q) of the same n inputs (float64)."""
    import torch

    x = torch.as_tensor(x, dtype=torch.float64).flatten(1)
    y = torch.as_tensor(y, dtype=torch.float64).flatten(1)
    if x.shape[0] != y.shape[0]:
        raise ValueError(f"y: expected the same number of rows as x ({x.shape[0]}), got {y.shape[0]}")
    x = x - x.mean(dim=0)  # (n, p): centred columns
    y = y - y.mean(dim=0)  # (n, q)
    k, l = x @ x.T, y @ y.T  # (n, n): centred Gram matrices
    return float((k * l).sum() / (k.norm() * l.norm()))


def _max_diff(ours, ref, x, train: bool = False) -> float:
    import torch

    ours.train(train)
    ref.train(train)
    with torch.no_grad():
        return float((ours(x) - ref(x)).abs().max())


@check("经典模型 — VGG, ResNet, ViT: same logits as torchvision/timm after weight transfer")
def parity_rows(ctx):
    """Our VGG, ResNet and ViT load torchvision's and timm's state dicts strictly and give the same logits."""
    import timm
    import torch
    import torchvision

    from mlcanon import models

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    items = []
    try:
        g = torch.Generator().manual_seed(ctx.seed)
        cases = [
            ("ResNet-18, 64×64, eval", models.resnet18, torchvision.models.resnet18, (2, 3, 64, 64), False),
            ("ResNet-18, 64×64, train mode (batch-norm batch statistics)", models.resnet18,
             torchvision.models.resnet18, (2, 3, 64, 64), True),
            ("ResNet-50 (bottleneck), 64×80, eval", models.resnet50, torchvision.models.resnet50, (2, 3, 64, 80), False),
            ("VGG-11-bn, 32×32, eval", models.vgg11_bn, torchvision.models.vgg11_bn, (2, 3, 32, 32), False),
        ]
        for name, ours_fn, ref_fn, shape, train in cases:
            torch.manual_seed(ctx.seed)
            ref = ref_fn()
            ours = ours_fn()
            ours.load_state_dict(ref.state_dict(), strict=True)
            x = torch.randn(*shape, generator=g)
            items.append(Row(f"{name}: max |logit diff| (fp32)", _max_diff(ours, ref, x, train), 0.0,
                             "torchvision", tolerance=_PARITY_TOL))
        ref = timm.create_model("vit_tiny_patch16_224", pretrained=False, img_size=32)
        ours = models.vit_tiny_patch16_224(img_size=32)
        ours.load_state_dict(ref.state_dict(), strict=True)
        x = torch.randn(2, 3, 32, 32, generator=g)
        items.append(Row("ViT-Ti/16 at 32×32 (a 2×2 grid), eval: max |logit diff| (fp32)", _max_diff(ours, ref, x),
                         0.0, "timm", tolerance=_PARITY_TOL))
        with torch.device("meta"):  # parameter counts without allocating 138 M floats
            counts = [("VGG-16", models.vgg16(), torchvision.models.vgg16(weights=None), "torchvision"),
                      ("ResNet-50", models.resnet50(), torchvision.models.resnet50(weights=None), "torchvision"),
                      ("ViT-B/16", models.vit_base_patch16_224(),
                       timm.create_model("vit_base_patch16_224", pretrained=False), "timm")]
        for name, ours, ref, lib in counts:
            n = lambda m: sum(p.numel() for p in m.parameters())
            items.append(Row(f"{name}: parameters", n(ours), n(ref), lib, tolerance=0))
    finally:
        torch.set_num_threads(threads)
    return items


@check("经典模型 — summary() of ResNet-50 beside torchinfo")
def summary_rows(ctx):
    """``mlcanon.nn.summary`` and torchinfo 1.8 on ResNet-50 at 1×3×224×224: the same totals."""
    import torch
    import torchinfo

    from mlcanon import models
    from mlcanon.nn.summary import summary

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        model = models.resnet50()
        ours = summary(model, (1, 3, 224, 224), verbose=False)
        ref = torchinfo.summary(model, input_size=(1, 3, 224, 224), verbose=0)
    finally:
        torch.set_num_threads(threads)
    return [
        Row("ResNet-50 total parameters", ours.total_params, ref.total_params, "torchinfo", tolerance=0),
        Row("ResNet-50 trainable parameters", ours.trainable_params, ref.trainable_params, "torchinfo", tolerance=0),
        Row("ResNet-50 multiply-adds (torchinfo's estimate)", ours.total_mult_adds, ref.total_mult_adds, "torchinfo",
            tolerance=0),
        Row("ResNet-50 forward/backward pass size (bytes)", ours.forward_backward_bytes,
            ref.total_output_bytes, "torchinfo", tolerance=0),
        Row("ResNet-50 parameter size (bytes)", ours.params_bytes, ref.total_param_bytes, "torchinfo", tolerance=0),
    ]


def _accuracy_rows() -> list:
    if not _RESULTS.is_file():
        return [Note("The MNIST accuracies appear after `python -m benchmarks.vision_quality`.")]
    payload = json.loads(_RESULTS.read_text())
    items = []
    names = {"resnet20": "ResNet-20", "vit": "ViT (7×7 patches, width 128, 6 blocks)", "vgg11_bn": "VGG-11-bn (28×28)",
             "resnet20/ddp": "ResNet-20 under torchrun --nproc_per_node=2 (gloo)"}
    for key, entry in payload.get("results", {}).items():
        minutes = entry["train_wall_seconds"] / 60
        items.append(Row(f"MNIST test images 8,000..9,999 (trained on 0..7,499): {names.get(key, key)} accuracy %, "
                         f"{entry['epochs']} epochs, {minutes:.1f} min wall / {entry['train_cpu_seconds'] / 60:.1f} "
                         f"min CPU on {entry['threads']} thread(s) of a loaded 2-core machine (benchmark of "
                         f"{entry['date']})", entry["test_accuracy"], entry["goal"], "goal",
                         kind="quality", tolerance=None,
                         note=f"info: goal {entry['goal']} {'met' if entry['test_accuracy'] >= entry['goal'] else 'missed'}"
                              " (and under 15 minutes); from benchmarks/results/vision_quality.json"))
    return items


def _trained(name: str):
    root = os.environ.get("MLCANON_VISION_MODELS")
    if not root or not (Path(root) / name / "model.safetensors").is_file():
        return None
    from mlcanon.tasks import vision

    return vision.load(Path(root) / name)


def _resnet_activations(net, x):
    """The stem's and every block's output of a CIFAR ResNet: list of (n, C, H, W)."""
    import torch.nn.functional as F

    outs = [F.relu(net.bn1(net.conv1(x)))]
    for layer in (net.layer1, net.layer2, net.layer3):
        for block in layer:
            outs.append(block(outs[-1]))
    return outs


def _vit_activations(net, x):
    """The embedded tokens and every block's output of a ViT, and the class token's attention per block."""
    import torch

    tokens = net.patch_embed(x)
    z = torch.cat([net.cls_token.expand(x.shape[0], -1, -1), tokens], dim=1) + net.pos_embed  # (n, 1 + N, D)
    outs, attn = [z], []
    for block in net.blocks:
        a = block.attn
        h = block.norm1(z)
        B, T, _ = h.shape
        q, k, _ = a.qkv(h).reshape(B, T, 3, a.num_heads, a.head_dim).permute(2, 0, 3, 1, 4).unbind(0)
        w = torch.softmax(q @ k.transpose(-2, -1) / a.head_dim ** 0.5, dim=-1)  # (n, nh, T, T)
        attn.append(w[:, :, 0, 1:])  # (n, nh, N): from the class token to each patch
        z = block(z)
        outs.append(z)
    return outs, attn


@check("经典模型 — what the trained ResNet-20 and ViT see on MNIST (filters, feature maps, attention, CKA)")
def vision_rows(ctx):
    """MNIST accuracies of `mlcanon vision` and the inside of the trained networks: first-layer filters, one
    digit's feature maps, the ViT's class-token attention and linear CKA between the two networks' layers."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import torch

    from mlcanon.tasks.vision.data import load_split

    items = _accuracy_rows()
    # CKA's defining invariances on random activations (no trained model needed)
    g = torch.Generator().manual_seed(ctx.seed)
    x = torch.randn(200, 30, generator=g, dtype=torch.float64)
    q, _ = torch.linalg.qr(torch.randn(30, 30, generator=g, dtype=torch.float64))
    items.append(Row("linear CKA(X, 3·X·Q) for an orthogonal Q (invariance to rotation and scale)",
                     linear_cka(x, 3 * x @ q), 1.0, "exact", tolerance=1e-12))
    resnet, vit = _trained("resnet20"), _trained("vit")
    if resnet is None or vit is None:
        return items + [Note("The filters, feature maps, attention and CKA pictures need the trained models: "
                             "`python -m benchmarks.vision_quality --keep DIR`, then `MLCANON_VISION_MODELS=DIR`.")]
    images, labels = load_split("mnist", "test")
    n = 500
    with torch.no_grad():
        xr = resnet.model.normalize(torch.from_numpy(images[:n].copy()).unsqueeze(1))
        xv = vit.model.normalize(torch.from_numpy(images[:n].copy()).unsqueeze(1))
        r_acts = _resnet_activations(resnet.model.net, xr)
        v_acts, attn = _vit_activations(vit.model.net, xv)

    w = resnet.model.net.conv1.weight.detach()[:, 0]  # (16, 3, 3)
    fig, axes = plt.subplots(2, 8, figsize=(8, 2.2))
    for ax, f in zip(axes.flat, w):
        ax.imshow(f, cmap="coolwarm", vmin=-w.abs().max(), vmax=w.abs().max())
        ax.axis("off")
    items.append(figure_from_matplotlib(fig, "ResNet-20: the 16 learned 3×3 filters of the first layer",
                                        "blue negative, red positive weights; edge and stroke detectors"))

    fig, axes = plt.subplots(4, 9, figsize=(9, 4.4))
    axes[0, 0].imshow(images[0], cmap="gray")
    axes[0, 0].set_title(f"digit {labels[0]}", fontsize=8)
    for i, (act, title) in enumerate(((r_acts[0], "stem 28×28"), (r_acts[3], "layer1 28×28"),
                                      (r_acts[9], "layer3 7×7")), start=1):
        for j in range(8):
            axes[i, j + 1].imshow(act[0, j], cmap="viridis")
        axes[i, 0].text(0.5, 0.5, title, ha="center", va="center", fontsize=8)
    for ax in axes.flat:
        ax.axis("off")
    items.append(figure_from_matplotlib(fig, "ResNet-20: one test digit's feature maps (the first 8 channels)",
                                        "from strokes at full resolution to coarse 7×7 part detectors"))

    last = attn[-1][:8]  # (8 images, nh, N)
    side = vit.model.net.patch_embed.grid_size[0]
    heads = last.shape[1]
    fig, axes = plt.subplots(heads + 1, 8, figsize=(8, 1.1 * (heads + 1)))
    for j in range(8):
        axes[0, j].imshow(images[j], cmap="gray")
        for h in range(heads):
            axes[h + 1, j].imshow(last[j, h].reshape(side, side), cmap="magma")
    for ax in axes.flat:
        ax.axis("off")
    items.append(figure_from_matplotlib(fig, "ViT: attention from the class token to the 4×4 patches, last block",
                                        "one row per head; each 7×7 patch a square"))

    cka = torch.tensor([[linear_cka(r, v) for v in v_acts] for r in r_acts])  # (10, 7)
    v_names = ["embed"] + [f"block {i}" for i in range(1, len(v_acts))]
    r_names = ["stem"] + [f"block {i}" for i in range(1, len(r_acts))]
    fig, ax = plt.subplots(figsize=(5, 5))
    im = ax.imshow(cka, cmap="magma", vmin=0, vmax=1, origin="lower")
    ax.set_xticks(range(len(v_acts)), v_names, rotation=45)
    ax.set_yticks(range(len(r_acts)), r_names)
    ax.set_xlabel("ViT layer")
    ax.set_ylabel("ResNet-20 layer")
    fig.colorbar(im, ax=ax, fraction=0.046)
    items.append(figure_from_matplotlib(
        fig, "Do ViTs and CNNs see the same features? Linear CKA between ResNet-20 and ViT layers",
        f"{n} MNIST test images; Kornblith et al. 2019, as Raghu et al. 2021"))
    best = cka.argmax(dim=0).tolist()
    items.append(Table("for each ViT layer, the most similar ResNet-20 layer (linear CKA)",
                       ["ViT layer", "ResNet-20 layer", "CKA"],
                       [[v_names[c], r_names[r], round(float(cka[r, c]), 3)] for c, r in enumerate(best)]))
    return items
