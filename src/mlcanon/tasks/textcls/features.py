"""Text classification data: the bundled sets by name, user files, and tokenisation.

Bundled names: ``trec`` (6 coarse labels, the part before ``:``), ``trec-fine`` (50 labels), ``sst2``,
``chnsenticorp`` (tokenised by character). TREC has no dev split: its dev set is a fixed 10% of the
training questions (545 of 5,452, drawn once with seed 0, the same for every training seed) and the model
trains on the other 90%; SST-2 and ChnSentiCorp have their own dev splits.

User files (``--train/--dev/--test``): ``label<TAB>text`` one example a line (TSV); a first line
``label<TAB>text`` or ``label<TAB>text_a`` is a header and skipped.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from mlcanon import data as datasets
from mlcanon.data.readers import FormatError, TextClassificationData

__all__ = ["BUNDLED", "tokenize", "load_split", "read_tsv"]

BUNDLED = ("trec", "trec-fine", "sst2", "chnsenticorp")
_CHAR_LEVEL = {"chnsenticorp"}
_WORD = re.compile(r"[\w]+(?:'[\w]+)?|[^\w\s]", re.UNICODE)
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_TREC_DEV = 0.1


def tokenize(text: str, mode: str = "words") -> list[str]:
    """Lower-cased word and punctuation tokens (``words``) or characters without spaces (``chars``)."""
    if mode == "chars":
        return [c for c in text.lower() if not c.isspace()]
    return _WORD.findall(text.lower())


def guess_mode(texts: list[str]) -> str:
    """``chars`` when most texts are CJK without spaces, ``words`` otherwise."""
    sample = texts[:200]
    cjk = sum(1 for t in sample if _CJK.search(t) and t.count(" ") < len(t) / 20)
    return "chars" if cjk > len(sample) / 2 else "words"


def read_tsv(path: str | Path) -> TextClassificationData:
    """``label<TAB>text`` lines; errors name the file and the line."""
    path = Path(path)
    texts, labels = [], []
    try:
        with open(path, encoding="utf-8", newline="") as fh:
            for no, line in enumerate(fh, start=1):
                line = line.rstrip("\r\n")
                if no == 1 and line.split("\t") in (["label", "text"], ["label", "text_a"]):
                    continue
                parts = line.split("\t")
                if len(parts) != 2 or not parts[0] or not parts[1].strip():
                    raise FormatError(path, no, f"expected 'label<TAB>text', got {len(parts)} field(s)", line)
                labels.append(parts[0])
                texts.append(parts[1])
    except UnicodeDecodeError as exc:
        raise FormatError(path, _line_of_byte(path, exc.start), "not UTF-8 text") from None
    if not texts:
        raise FormatError(path, 1, "no examples")
    return TextClassificationData(texts, labels, str(path))


def _line_of_byte(path: Path, offset: int) -> int:
    return path.read_bytes()[:offset].count(b"\n") + 1


def _trec_split(n: int) -> tuple[np.ndarray, np.ndarray]:
    order = np.random.default_rng(0).permutation(n)
    n_dev = int(round(_TREC_DEV * n))
    return np.sort(order[n_dev:]), np.sort(order[:n_dev])


def _subset(d: TextClassificationData, idx: np.ndarray, name: str) -> TextClassificationData:
    return TextClassificationData([d.texts[i] for i in idx], [d.labels[i] for i in idx], name)


def load_split(name: str, split: str) -> TextClassificationData:
    """One split (``train``, ``dev``, ``test``) of a bundled data set, labels as the task uses them."""
    if name not in BUNDLED:
        raise ValueError(f"--data: expected one of {', '.join(BUNDLED)}, got {name!r}")
    if split not in ("train", "dev", "test"):
        raise ValueError(f"--split: expected train, dev or test, got {split!r}")
    if name.startswith("trec"):
        full = datasets.load("trec", "test" if split == "test" else "train")
        if name == "trec":
            full = TextClassificationData(full.texts, [lab.split(":")[0] for lab in full.labels], full.source)
        if split == "test":
            return full
        train_idx, dev_idx = _trec_split(len(full))
        return _subset(full, train_idx if split == "train" else dev_idx, f"{name}/{split}")
    return datasets.load(name, split)


def mode_for(name: str | None, texts: list[str]) -> str:
    if name is not None:
        return "chars" if name in _CHAR_LEVEL else "words"
    return guess_mode(texts)
