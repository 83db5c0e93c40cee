"""Vision inference: mlcanon's VGG-16, ResNet-50 and ViT-B/16 vs torchvision's and timm's, same weights.

Eval mode under ``torch.inference_mode``, 224×224 float32 images on CPU, ours and the reference
alternating in one process (median of the repeats), the same thread count on both sides (one
thread: the machine is 2 cores shared by several people). Batch 4 by default, because the shared
machine is too loaded for the issue's batch 16 in the time we have (``MLCANON_VISION_BATCH=16``
runs that; ``--quick``: batch 1); the JSON says which. Goal: at least their throughput (time ratio <= 1.0). Both sides call the same ATen
convolution / GEMM / fused-attention kernels in the same order, so the honest expectation for the
plain cases is ≈ 1.0×. For the two CNNs a second case runs ours in channels_last memory format
(oneDNN's preferred layout on CPU) against the reference as it ships; that one pays, and the same
call would speed up torchvision's model just as well, which the table's note says.
"""

from __future__ import annotations

import os

import torch

from benchmarks.harness import compare
from mlcanon._threads import single_thread


def run(repeats: int = 5, quick: bool = False):
    with single_thread():
        return _run(repeats, quick)


def _run(repeats: int, quick: bool):
    import timm
    import torchvision

    from mlcanon.models import resnet, vgg, vit

    batch = 1 if quick else int(os.environ.get("MLCANON_VISION_BATCH", "4"))
    load = os.getloadavg()[0]
    cases = [
        ("VGG-16", vgg.vgg16, lambda: torchvision.models.vgg16(weights=None), "torchvision"),
        ("ResNet-50", resnet.resnet50, lambda: torchvision.models.resnet50(weights=None), "torchvision"),
        ("ViT-B/16", vit.vit_base_patch16_224, lambda: timm.create_model("vit_base_patch16_224", pretrained=False),
         "timm"),
    ]
    torch.manual_seed(0)
    x = torch.randn(batch, 3, 224, 224)
    out = []
    for name, ours_builder, theirs_builder, ref_name in cases:
        theirs = theirs_builder().eval()
        ours = ours_builder().eval()
        ours.load_state_dict(theirs.state_dict(), strict=True)
        layouts = [False] if name == "ViT-B/16" else [False, True]
        for channels_last in layouts:
            model, xi = ours, x
            if channels_last:
                model = ours_builder().eval()
                model.load_state_dict(theirs.state_dict(), strict=True)
                model, xi = model.to(memory_format=torch.channels_last), x.to(memory_format=torch.channels_last)
            with torch.inference_mode():
                diff = float((model(xi) - theirs(x)).abs().max())
            params = {"batch": batch, "image": "224x224", "dtype": "float32", "threads": torch.get_num_threads(),
                      "ours_channels_last": channels_last, "max_abs_logit_diff": diff,
                      "load_average_1min_at_start": round(load, 2)}
            notes = "measured under load on a shared 2-core machine"
            if batch != 16:
                notes += f"; batch {batch} instead of 16 (too loaded for batch 16 in the time available)"
            if channels_last:
                notes += "; ours in channels_last vs the reference as shipped (the same .to() speeds theirs up too)"
            label = f"{name} inference, batch {batch}" + (", ours channels_last" if channels_last else "")
            out.append(compare(label, _infer(model, xi), _infer(theirs, x), reference_name=ref_name,
                               repeats=repeats, goal=1.0, params=params, notes=notes))
        del ours, theirs
    return out


def _infer(model, inp):
    def go():
        with torch.inference_mode():
            model(inp)
    return go
