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
    SEMEVAL2010_TASK8_LABELS,
    EntityMarkers,
    FormatError,
    RelationData,
    SequenceLabellingData,
    TextClassificationData,
    read_conll,
    read_idx,
    write_conll,
    parse_entity_markers,
    read_label_first,
    read_semeval2010_task8,
    read_tsv_label_text,
)
from mlcanon.data.schemes import convert_scheme, validate_tags
from mlcanon.data.graphs import (
    GraphData,
    read_cora_linqs,
    read_edge_list,
    read_node_features,
    read_node_labels,
    read_planetoid,
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
    "write_conll",
    "convert_scheme",
    "validate_tags",
    "read_label_first",
    "read_tsv_label_text",
    "read_semeval2010_task8",
    "parse_entity_markers",
    "EntityMarkers",
    "SEMEVAL2010_TASK8_LABELS",
    "read_idx",
    "AudioData",
    "GraphData",
    "read_planetoid",
    "read_cora_linqs",
    "read_edge_list",
    "read_node_features",
    "read_node_labels",
]


def root() -> Path:
    """The folder that holds the data sets."""
    env = os.environ.get("MLCANON_DATA")
    if env:
        return Path(env)
    from mlcanon._paths import data_root

    return data_root()


def _trec(folder: Path, split: str):
    # TREC.train has one stray 0xF0 byte (line 66, see its README), so it is read as latin-1.
    return read_label_first(folder / {"train": "TREC.train", "test": "TREC.test"}[split], encoding="latin-1")


def _sst2(folder: Path, split: str):
    return read_label_first(folder / f"stsa.binary.{split}")


def _chnsenticorp(folder: Path, split: str):
    return read_tsv_label_text(folder / f"{split}.tsv")


def _conll2003(folder: Path, split: str):
    name = {"train": "eng.train", "dev": "eng.testa", "test": "eng.testb"}[split]
    return read_conll(folder / name, n_columns=4, sep=" ", scheme="IOB1")


def _resume_ner(folder: Path, split: str):
    return read_conll(folder / f"{split}.char.bmes", n_columns=2, sep=" ", scheme="BMES")


def _weibo_ner(folder: Path, split: str):
    # The token column is character + position in its word ("中0"): tokens come without the
    # position, which is kept in ``positions`` (and, as read, in ``extra``).
    return read_conll(folder / f"weiboNER_2nd_conll.{split}", n_columns=2, sep="\t", scheme="IOB2",
                      token_position_suffix=True)  # fmt: skip


def _semeval(folder: Path, split: str):
    if split == "train":
        return read_semeval2010_task8(folder / "TRAIN_FILE.TXT")
    return read_semeval2010_task8(folder / "TEST_FILE_FULL.TXT")


def _mnist(folder: Path, split: str):
    images = read_idx(folder / "t10k-images-idx3-ubyte.gz")
    labels = read_idx(folder / "t10k-labels-idx1-ubyte.gz")
    return images, labels


@dataclass
class AudioData:
    """Recordings and their labels: ``signals[i]`` (float32, 1-D, in [-1, 1), read by
    :func:`mlcanon.audio.read_wav`) at ``sample_rate`` Hz is ``labels[i]`` (the digit for FSDD)
    said by ``speakers[i]``, from the file ``files[i]``."""

    signals: list
    sample_rate: int
    labels: list
    speakers: list
    files: list

    def __len__(self) -> int:
        return len(self.signals)


def _fsdd(folder: Path, split: str) -> AudioData:
    # {digit}_{speaker}_{index}.wav; the source README's split: indices 0-4 test, 5-49 train.
    from mlcanon.audio import read_wav

    def key(p: Path):
        digit, speaker, index = p.stem.split("_")
        return int(digit), speaker, int(index)

    files = sorted((folder / "recordings").glob("*.wav"), key=key)
    files = [f for f in files if (key(f)[2] < 5) == (split == "test")]
    signals, rates = zip(*(read_wav(f) for f in files))
    if len(set(rates)) != 1:
        raise ValueError(f"fsdd: expected one sample rate, got {sorted(set(rates))}")
    return AudioData(list(signals), rates[0], [key(f)[0] for f in files], [key(f)[1] for f in files],
                     [f.name for f in files])


def _cora_planetoid(folder: Path, split: str):
    # One transductive graph: every split is the whole graph, with its train/val/test masks.
    return read_planetoid(folder, "cora")


def _cora(folder: Path, split: str):
    return read_cora_linqs(folder)


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
    "fsdd": _Entry("fsdd", ("train", "test"), _fsdd, "spoken digits (3,000 WAV recordings, 8 kHz)"),
    "cora_planetoid": _Entry("cora_planetoid", ("train",), _cora_planetoid,
                             "citation graph, node classification (Planetoid split 140/500/1000, as masks)"),
    "cora": _Entry("cora", ("train",), _cora, "citation graph, node classification (LINQS release, no split)"),
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
    result = entry.loader(path(name), split)
    if hasattr(result, "source") and isinstance(result.source, str):
        result.source = f"{name}/{split}"  # what the one-line repr shows: "trec/train: 5,452 texts, 50 labels"
    return result


def _entry(name: str) -> _Entry:
    if not isinstance(name, str):
        raise TypeError(f"name: expected a data set name (str), got {type(name).__name__}")
    if name not in _REGISTRY:
        raise ValueError(f"name: expected one of {', '.join(map(repr, available()))}, got {name!r}")
    return _REGISTRY[name]
