"""Real data sets, bundled under ``datasets/`` and loaded by name.

>>> from mlcanon import data
>>> train = data.load("trec", "train")          # TextClassificationData
>>> len(train.texts), train.labels[0]
(5452, 'DESC:manner')

``data.available()`` lists the names; ``data.path(name)`` gives the folder (with its README:
source, licence, counts). The folder is ``$MLCANON_DATA`` if set, else ``datasets/`` at the
root of the source tree.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from mlcanon.data.readers import (
    FormatError,
    RelationData,
    SequenceLabellingData,
    TextClassificationData,
    read_conll,
    read_idx,
    read_label_first,
    read_semeval2010_task8,
    read_tsv_label_text,
)

__all__ = [
    "load",
    "available",
    "path",
    "splits",
    "FormatError",
    "TextClassificationData",
    "SequenceLabellingData",
    "RelationData",
    "read_conll",
    "read_label_first",
    "read_tsv_label_text",
    "read_semeval2010_task8",
    "read_idx",
]


def root() -> Path:
    """The folder that holds the data sets."""
    env = os.environ.get("MLCANON_DATA")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[3] / "datasets"


def _trec(folder: Path, split: str):
    # TREC.train has one stray 0xF0 byte (line 66, see its README), so it is read as latin-1.
    return read_label_first(folder / {"train": "TREC.train", "test": "TREC.test"}[split], encoding="latin-1")


def _sst2(folder: Path, split: str):
    return read_label_first(folder / f"stsa.binary.{split}")


def _chnsenticorp(folder: Path, split: str):
    return read_tsv_label_text(folder / f"{split}.tsv")


def _conll2003(folder: Path, split: str):
    name = {"train": "eng.train", "dev": "eng.testa", "test": "eng.testb"}[split]
    return read_conll(folder / name, n_columns=4, sep=" ")


def _resume_ner(folder: Path, split: str):
    return read_conll(folder / f"{split}.char.bmes", n_columns=2, sep=" ")


def _weibo_ner(folder: Path, split: str):
    return read_conll(folder / f"weiboNER_2nd_conll.{split}", n_columns=2, sep="\t")


def _semeval(folder: Path, split: str):
    if split == "train":
        return read_semeval2010_task8(folder / "TRAIN_FILE.TXT")
    return read_semeval2010_task8(folder / "TEST_FILE_FULL.TXT")


def _mnist(folder: Path, split: str):
    images = read_idx(folder / "t10k-images-idx3-ubyte.gz")
    labels = read_idx(folder / "t10k-labels-idx1-ubyte.gz")
    return images, labels


@dataclass(frozen=True)
class _Entry:
    folder: str
    splits: tuple[str, ...]
    loader: Callable
    task: str


_REGISTRY: dict[str, _Entry] = {
    "trec": _Entry("trec", ("train", "test"), _trec, "question classification (6 coarse / 50 fine labels)"),
    "sst2": _Entry("sst2", ("train", "dev", "test"), _sst2, "binary sentiment (English)"),
    "chnsenticorp": _Entry("chnsenticorp", ("train", "dev", "test"), _chnsenticorp, "binary sentiment (Chinese)"),
    "conll2003": _Entry("conll2003", ("train", "dev", "test"), _conll2003, "English NER, IOB1"),
    "resume_ner": _Entry("resume_ner", ("train", "dev", "test"), _resume_ner, "Chinese NER, BMES"),
    "weibo_ner": _Entry("weibo_ner", ("train", "dev", "test"), _weibo_ner, "Chinese NER, BIO"),
    "semeval2010_task8": _Entry("semeval2010_task8", ("train", "test"), _semeval, "relation classification"),
    "mnist": _Entry("mnist", ("test",), _mnist, "digit images (10,000 test images)"),
}


def available() -> list[str]:
    """Names accepted by :func:`load`."""
    return sorted(_REGISTRY)


def splits(name: str) -> tuple[str, ...]:
    """The splits of data set ``name``."""
    return _entry(name).splits


def path(name: str) -> Path:
    """The folder of data set ``name`` (it holds the README with source, licence and counts)."""
    folder = root() / _entry(name).folder
    if not folder.is_dir():
        raise FileNotFoundError(
            f"data set {name!r}: folder {folder} not found; set MLCANON_DATA to the folder holding the data sets"
        )
    return folder


def load(name: str, split: str = "train"):
    """Load one split of a bundled data set.

    Parameters
    ----------
    name : str
        One of :func:`available`.
    split : str
        One of :func:`splits(name) <splits>`.
    """
    entry = _entry(name)
    if split not in entry.splits:
        raise ValueError(f"split: expected one of {', '.join(map(repr, entry.splits))} for {name!r}, got {split!r}")
    return entry.loader(path(name), split)


def _entry(name: str) -> _Entry:
    if not isinstance(name, str):
        raise TypeError(f"name: expected a data set name (str), got {type(name).__name__}")
    if name not in _REGISTRY:
        raise ValueError(f"name: expected one of {', '.join(map(repr, available()))}, got {name!r}")
    return _REGISTRY[name]
