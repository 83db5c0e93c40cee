"""MNIST splits, normalisation, augmentation and the image files ``mlcanon vision predict`` reads.

The bundled MNIST is the official *test* set only (10,000 images, 28×28, uint8, white digit on black).
This task splits it by position, the same way every time::

    images 0 .. 7,499       train   (7,500)
    images 7,500 .. 7,999   dev     (500: model selection, the best epoch is kept)
    images 8,000 .. 9,999   test    (2,000: held out; the figures of the benchmark and the README)

So "train on the first 8,000, test on the last 2,000", with the last 500 of the 8,000 held out for
selection. The first 10,000 test images of MNIST are written by a different mix of writers than the last
(LeCun et al. 1998: the first 5,000 are the "easier" Census employees' digits), so a positional split is a
slightly pessimistic test.

Normalisation: ``x = (pixel / 255 - mean) / std`` with the mean and standard deviation of the training
images' pixels (computed once from the 7,500 at training time, stored in ``config.json``; 0.1325 / 0.3104
for the default split).

Augmentation (training only): a random shift of each image by up to ±2 pixels in each direction
(pad by 2 with the background 0, then a random 28×28 crop: the "random crop" of CIFAR training, with
MNIST's black border), drawn from torch's global generator so a resumed run repeats it.
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

__all__ = ["SPLITS", "ImageDataset", "collate", "load_split", "pixel_stats", "read_images"]

SPLITS = {"train": (0, 7500), "dev": (7500, 8000), "test": (8000, 10000)}
SIDE = 28


def load_split(data: str, split: str) -> tuple[np.ndarray, np.ndarray]:
    """``(images (N, 28, 28) uint8, labels (N,) int64)`` of a split of a bundled data set (only ``mnist``)."""
    from mlcanon import data as bundled

    if data != "mnist":
        raise ValueError(f"--data: expected mnist (the bundled MNIST), got {data!r}")
    if split not in SPLITS:
        raise ValueError(f"--split: expected one of {', '.join(SPLITS)}, got {split!r}")
    images, labels = bundled.load("mnist", "test")
    lo, hi = SPLITS[split]
    return np.ascontiguousarray(images[lo:hi]), labels[lo:hi].astype(np.int64)


def pixel_stats(images: np.ndarray) -> tuple[float, float]:
    """Mean and standard deviation of ``images / 255`` over all pixels (float64, rounded to 4 digits)."""
    x = images.astype(np.float64) / 255.0
    return round(float(x.mean()), 4), round(float(x.std()), 4)


@dataclass
class ImageDataset(torch.utils.data.Dataset):
    """uint8 images (N, H, W) and labels (N,); ``shift > 0`` shifts each image at random by up to ±shift px."""

    images: torch.Tensor  # (N, H, W) uint8
    labels: torch.Tensor  # (N,) int64
    shift: int = 0

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
        x = self.images[i]  # (H, W)
        if self.shift:
            s = self.shift
            H, W = x.shape
            padded = torch.nn.functional.pad(x, (s, s, s, s))  # (H + 2s, W + 2s), background 0
            dy, dx = torch.randint(0, 2 * s + 1, (2,)).tolist()
            x = padded[dy:dy + H, dx:dx + W]
        return x, int(self.labels[i])


def collate(batch: list[tuple[torch.Tensor, int]]) -> tuple[torch.Tensor, torch.Tensor]:
    """uint8 images → (B, 1, H, W) uint8 and labels (B,); the model wrapper normalises."""
    return torch.stack([x for x, _ in batch]).unsqueeze(1), torch.tensor([y for _, y in batch], dtype=torch.long)


def _to_uint8(array: np.ndarray, where: str) -> np.ndarray:
    """Pixel values as uint8 0..255: integers in 0..255 as they are, floats in [0, 1] scaled by 255."""
    if array.dtype == np.uint8:
        return array
    if np.issubdtype(array.dtype, np.integer):
        if array.size and (array.min() < 0 or array.max() > 255):
            raise ValueError(f"{where}: expected pixel values in 0..255, got {array.min()}..{array.max()}")
        return array.astype(np.uint8)
    if np.issubdtype(array.dtype, np.floating):
        if not np.isfinite(array).all() or (array.size and (array.min() < 0 or array.max() > 1)):
            raise ValueError(f"{where}: expected float pixel values in [0, 1] (or uint8 0..255), "
                             f"got {np.nanmin(array):.4g}..{np.nanmax(array):.4g}")
        return np.round(array * 255).astype(np.uint8)
    raise ValueError(f"{where}: expected a numeric image array, got dtype {array.dtype}")


def _check_side(array: np.ndarray, where: str) -> np.ndarray:
    """(28, 28) or (N, 28, 28) → (N, 28, 28)."""
    if array.ndim not in (2, 3) or array.shape[-2:] != (SIDE, SIDE):
        raise ValueError(f"{where}: expected {SIDE}×{SIDE} images (shape ({SIDE}, {SIDE}) or (N, {SIDE}, {SIDE})), "
                         f"got shape {array.shape}")
    return array[None] if array.ndim == 2 else array


def read_images(path: str | Path) -> tuple[np.ndarray, list[str]]:
    """Images of one file as ``(uint8 (N, 28, 28), names)``: a PNG (grey or colour, averaged to grey),
    an ``.npy`` array (28, 28) or (N, 28, 28), or an IDX file (``*-idx3-ubyte``, optionally ``.gz``).

    Images must be MNIST-like: 28×28, a light digit on a dark background. ``names`` are ``FILE`` for one
    image and ``FILE[i]`` for the i-th of many.
    """
    from mlcanon.data.readers import read_idx

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"--input: file {path} not found")
    suffix = path.name.lower()
    if suffix.endswith(".png"):
        from PIL import Image, UnidentifiedImageError

        try:
            with Image.open(path) as im:
                array = np.asarray(im.convert("L"))
        except (UnidentifiedImageError, OSError) as exc:
            raise ValueError(f"{path}: not a readable PNG image ({exc})") from None
    elif suffix.endswith(".npy"):
        try:
            array = np.load(path, allow_pickle=False)
        except (ValueError, pickle.UnpicklingError) as exc:  # not .npy, or an object array (pickled)
            raise ValueError(f"{path}: not a readable .npy array ({exc})") from None
        array = _to_uint8(array, str(path))
    elif "idx" in suffix or suffix.endswith(("-ubyte.gz", "-ubyte")):
        array = _to_uint8(read_idx(path), str(path))
    else:
        raise ValueError(f"--input: {path}: expected a .png, .npy or IDX (*-idx3-ubyte[.gz]) file")
    single = array.ndim == 2
    array = _check_side(array, str(path))
    names = [str(path)] if single else [f"{path}[{i}]" for i in range(len(array))]
    return np.ascontiguousarray(array), names
