"""Relation extraction data: SemEval-2010 Task 8 by name or in files, and the encodings of the three models.

``--data semeval2010_task8``: the 8,000 training sentences and the 2,717 test sentences. The task has no dev
split: its dev set is a fixed 10% of the training sentences (800, drawn once with seed 0, the same for every
training seed) and the model trains on the other 7,200. ``--train/--dev/--test`` files are in the task's
own format (``id<TAB>"sentence"``, the label line, the comment line, the blank line; see
:func:`mlcanon.data.read_semeval2010_task8`).

Encodings (one example = a dict; :func:`collate` pads a batch):

* ``cnn``: lower-cased tokens (markers removed) -> vocabulary ids, and the (start, end) token spans of e1, e2;
* ``att-bilstm``: the same tokens with the four markers kept as tokens ``<e1> </e1> <e2> </e2>``;
* ``bert-em``: MiniLM word pieces with the markers as ``[unused0]..[unused3]``, and the positions of the two
  start markers (sentences cut at 128 pieces; a start marker past the cut points at the last piece).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from mlcanon import data as datasets
from mlcanon.data.readers import SEMEVAL2010_TASK8_LABELS, RelationData, parse_entity_markers, \
    read_semeval2010_task8

__all__ = ["BUNDLED", "LABELS", "load_split", "read_file", "marked", "parse_line", "collate"]

BUNDLED = ("semeval2010_task8",)
LABELS: tuple[str, ...] = SEMEVAL2010_TASK8_LABELS
_DEV = 0.1
MARKER_PIECES = ("[unused0]", "[unused1]", "[unused2]", "[unused3]")  # <e1> </e1> <e2> </e2>
MAX_PIECES = 128


def read_file(path: str | Path) -> RelationData:
    return read_semeval2010_task8(path)


def load_split(name: str, split: str) -> RelationData:
    """``train`` (7,200), ``dev`` (800) or ``test`` (2,717) of a bundled data set."""
    if name not in BUNDLED:
        raise ValueError(f"--data: expected one of {', '.join(BUNDLED)}, got {name!r}")
    if split not in ("train", "dev", "test"):
        raise ValueError(f"--split: expected train, dev or test, got {split!r}")
    if split == "test":
        return datasets.load(name, "test")
    full = datasets.load(name, "train")
    order = np.random.default_rng(0).permutation(len(full))
    n_dev = int(round(_DEV * len(full)))
    idx = np.sort(order[n_dev:] if split == "train" else order[:n_dev])
    return RelationData([full.ids[i] for i in idx], [full.sentences[i] for i in idx],
                        [full.labels[i] for i in idx], f"{name}/{split}")


def parse_line(sentence: str, where: str):
    """:func:`parse_entity_markers`, with an error that says where the sentence came from."""
    try:
        return parse_entity_markers(sentence)
    except ValueError as exc:
        raise ValueError(f"{where}: {str(exc).removeprefix('text: ')}") from None


def marked(tokens: list[str], e1: tuple[int, int], e2: tuple[int, int]) -> list[str]:
    """The tokens with ``<e1> </e1> <e2> </e2>`` put back around the nominals."""
    out = []
    for i, tok in enumerate(tokens):
        for pos, marker in ((e1[0], "<e1>"), (e2[0], "<e2>")):
            if i == pos:
                out.append(marker)
        out.append(tok)
        for pos, marker in ((e1[1], "</e1>"), (e2[1], "</e2>")):
            if i + 1 == pos:
                out.append(marker)
    return out


class Encoder:
    """Sentence (with markers) -> one example dict, for one model kind."""

    def __init__(self, model: str, vocab=None, tokenizer=None) -> None:
        self.model, self.vocab, self.tok = model, vocab, tokenizer

    def __call__(self, sentence: str, where: str) -> dict:
        m = parse_line(sentence, where)
        tokens = [t.lower() for t in m.tokens]
        if self.model == "cnn":
            return {"ids": self.vocab.encode(tokens), "e1": list(m.e1), "e2": list(m.e2)}
        if self.model == "att-bilstm":
            return {"ids": self.vocab.encode(marked(tokens, m.e1, m.e2))}
        return self._pieces(m)

    def _pieces(self, m) -> dict:
        tok = self.tok
        marker_ids = tok.convert_tokens_to_ids(list(MARKER_PIECES))
        opens = {m.e1[0]: [marker_ids[0]], m.e2[0]: [marker_ids[2]]}
        closes = {m.e1[1]: [marker_ids[1]], m.e2[1]: [marker_ids[3]]}
        ids, starts = [tok.cls_token_id], [0, 0]
        for i, word in enumerate(m.tokens):
            if i in opens:
                starts[0 if i == m.e1[0] else 1] = len(ids)
                ids += opens[i]
            ids += tok.convert_tokens_to_ids(tok.tokenize(word)) or [tok.unk_token_id]
            if i + 1 in closes:
                ids += closes[i + 1]
        ids = ids[:MAX_PIECES - 1] + [tok.sep_token_id]
        return {"ids": ids, "starts": [min(s, len(ids) - 2) for s in starts]}


class Examples(torch.utils.data.Dataset):
    def __init__(self, examples: list[dict], labels: list[int]) -> None:
        self.examples, self.labels = examples, labels

    def __len__(self) -> int:
        return len(self.examples)

    def __getitem__(self, i: int) -> tuple[dict, int]:
        return self.examples[i], self.labels[i]


def collate(batch: list[tuple[dict, int]]) -> tuple[dict, torch.Tensor]:
    """Pad ``ids`` with 0; stack spans and start positions; labels as a (B,) tensor."""
    T = max(1, max(len(ex["ids"]) for ex, _ in batch))
    ids = torch.zeros(len(batch), T, dtype=torch.long)
    for i, (ex, _) in enumerate(batch):
        ids[i, :len(ex["ids"])] = torch.tensor(ex["ids"], dtype=torch.long)
    out = {"ids": ids}
    for key in ("e1", "e2", "starts"):
        if key in batch[0][0]:
            out[key] = torch.tensor([ex[key] for ex, _ in batch], dtype=torch.long)
    return out, torch.tensor([y for _, y in batch], dtype=torch.long)
