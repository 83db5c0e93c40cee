"""Atomic checkpoints: a kill at any instant leaves the previous checkpoint whole.

Layout of ``DIR/checkpoint/``::

    latest                      one line: the name of the current checkpoint folder
    e0003-b000120/              epoch 3 (0-based, in progress), 120 batches of it consumed
        model.safetensors       the weights (safetensors: no code runs when they are read)
        state.pt                optimiser, scheduler, counters, best score, history, RNG states

A checkpoint is written into a temporary folder; each file is flushed and ``fsync``-ed, the folder is
renamed to its final name (``rename`` is atomic on POSIX) and ``fsync``-ed, and only then is ``latest``
replaced, itself through a temporary file, ``fsync`` and ``os.replace``. Until that last ``os.replace``
``latest`` names the previous, complete checkpoint; after it, the new one. Older folders are removed
last. ``state.pt`` holds only tensors, numbers, strings, lists, tuples and dicts, so it loads with
``torch.load(path, weights_only=True)``: reading a checkpoint never runs pickled code.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import torch
from torch import nn

__all__ = ["atomic_write_bytes", "atomic_write_text", "save_weights", "load_weights", "save_checkpoint",
           "load_checkpoint", "latest_checkpoint"]

_LATEST = "latest"


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_file(path: Path) -> None:
    with open(path, "rb+") as f:
        os.fsync(f.fileno())


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that a reader sees the old file or the new one, never a part."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def atomic_write_text(path: str | Path, text: str) -> None:
    """:func:`atomic_write_bytes` for UTF-8 text."""
    atomic_write_bytes(path, text.encode("utf-8"))


def _state_dict_for_saving(model: nn.Module) -> dict[str, torch.Tensor]:
    # safetensors refuses tensors that share storage (tied embeddings): keep the first name of each.
    tensors: dict[str, torch.Tensor] = {}
    seen: set[tuple[int, int, tuple[int, ...]]] = set()
    for name, t in model.state_dict().items():
        key = (t.untyped_storage().data_ptr(), t.storage_offset(), tuple(t.shape))
        if t.numel() and key in seen:
            continue
        seen.add(key)
        tensors[name] = t.detach().contiguous().clone() if not t.is_contiguous() else t.detach()
    return tensors


def save_weights(model: nn.Module, path: str | Path, metadata: dict[str, str] | None = None) -> None:
    """Write the model's ``state_dict`` as safetensors, atomically (temporary file, fsync, rename)."""
    from safetensors.torch import save

    data = save(_state_dict_for_saving(model), metadata={"format": "pt", **(metadata or {})})
    atomic_write_bytes(path, data)


def load_weights(model: nn.Module, path: str | Path, strict: bool = True) -> nn.Module:
    """Load weights written by :func:`save_weights` into ``model`` (tied weights are restored by sharing)."""
    from safetensors.torch import load_file

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no weights file")
    tensors = load_file(str(path))
    expected = model.state_dict()
    missing = [k for k in expected if k not in tensors]
    # A missing key is fine when it shares storage with a key that is present (tied weights).
    tied = {k for k in missing if any(expected[k].data_ptr() == expected[j].data_ptr() for j in tensors if j in expected)}
    result = model.load_state_dict(tensors, strict=False)
    unexpected = list(result.unexpected_keys)
    really_missing = [k for k in result.missing_keys if k not in tied]
    if strict and (unexpected or really_missing):
        raise ValueError(f"{path}: weights do not fit the model: missing {really_missing[:5]}, unexpected {unexpected[:5]}")
    return model


def latest_checkpoint(folder: str | Path) -> Path | None:
    """The current checkpoint folder inside ``folder`` (``DIR/checkpoint``), or ``None`` when there is none."""
    folder = Path(folder)
    pointer = folder / _LATEST
    if not pointer.is_file():
        return None
    name = pointer.read_text(encoding="utf-8").strip()
    current = folder / name
    if not name or not (current / "state.pt").is_file() or not (current / "model.safetensors").is_file():
        raise ValueError(f"{pointer}: names checkpoint {name!r}, which is incomplete or missing")
    return current


def save_checkpoint(folder: str | Path, name: str, model: nn.Module, state: dict) -> Path:
    """Write checkpoint ``name`` (weights + resumable ``state``) into ``folder`` and make it the latest."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".tmp-{name}-{os.getpid()}"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir()
    save_weights(model, tmp / "model.safetensors")
    torch.save(state, tmp / "state.pt")
    _fsync_file(tmp / "state.pt")
    _fsync_dir(tmp)
    final = folder / name
    previous = latest_checkpoint(folder)
    if final.exists():  # left by a run that was killed before it pointed `latest` at it
        if previous is not None and previous.resolve() == final.resolve():
            raise ValueError(f"{final}: the latest checkpoint cannot be overwritten in place")
        shutil.rmtree(final)
    os.rename(tmp, final)
    _fsync_dir(folder)
    atomic_write_text(folder / _LATEST, name + "\n")
    for old in folder.iterdir():  # the previous checkpoint and any debris of killed writes
        if old.is_dir() and old.name != name:
            shutil.rmtree(old, ignore_errors=True)
    return final


def load_checkpoint(folder: str | Path, model: nn.Module) -> dict:
    """Load the latest checkpoint of ``folder`` into ``model`` and return its resumable state."""
    current = latest_checkpoint(folder)
    if current is None:
        raise FileNotFoundError(f"{Path(folder)}: no checkpoint to resume from")
    load_weights(model, current / "model.safetensors")
    return torch.load(current / "state.pt", weights_only=True)
