"""Readers of the real file formats mlcanon's data sets come in.

Every reader names the file and the line when a line does not fit the format; nothing is
silently skipped (the only lines dropped are the ones a format defines as markup, such as
CoNLL's ``-DOCSTART-`` lines, and each reader says which).
"""

from __future__ import annotations

import gzip
import struct
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

__all__ = [
    "FormatError",
    "TextClassificationData",
    "SequenceLabellingData",
    "RelationData",
    "read_label_first",
    "read_tsv_label_text",
    "read_conll",
    "read_semeval2010_task8",
    "read_idx",
]


class FormatError(ValueError):
    """A line of a data file does not fit its format. The message names the file and the line."""

    def __init__(self, path: str | Path, line_no: int, message: str, line: str | None = None):
        shown = "" if line is None else f": {line[:80]!r}"
        super().__init__(f"{path}, line {line_no}: {message}{shown}")
        self.path = str(path)
        self.line_no = line_no


@dataclass
class TextClassificationData:
    """Texts with one label each."""

    texts: list[str]
    labels: list[str]
    source: str = ""

    def __len__(self) -> int:
        return len(self.texts)


@dataclass
class SequenceLabellingData:
    """Sentences as token lists with one tag per token; ``extra`` holds other columns (POS, chunk)."""

    tokens: list[list[str]]
    tags: list[list[str]]
    extra: list[list[list[str]]] = field(default_factory=list)
    source: str = ""

    def __len__(self) -> int:
        return len(self.tokens)


@dataclass
class RelationData:
    """Sentences with two marked entities and the relation between them (SemEval-2010 Task 8)."""

    ids: list[int]
    sentences: list[str]
    labels: list[str]
    source: str = ""

    def __len__(self) -> int:
        return len(self.sentences)


def _lines(path: Path, encoding: str):
    with open(path, encoding=encoding, newline="") as fh:
        for i, line in enumerate(fh, start=1):
            yield i, line.rstrip("\r\n")


def read_label_first(path: str | Path, *, encoding: str = "utf-8", label_sep: str = " ") -> TextClassificationData:
    """Read ``LABEL text ...`` lines (TREC, SST-2): the label is everything before the first ``label_sep``."""
    path = Path(path)
    texts, labels = [], []
    for no, line in _lines(path, encoding):
        if not line.strip():
            raise FormatError(path, no, "empty line; expected 'LABEL text'")
        label, sep, text = line.partition(label_sep)
        if not sep or not text.strip():
            raise FormatError(path, no, "expected 'LABEL text' separated by a space", line)
        labels.append(label)
        texts.append(text.strip())
    return TextClassificationData(texts, labels, str(path))


def read_tsv_label_text(path: str | Path, *, encoding: str = "utf-8") -> TextClassificationData:
    """Read a TSV with a ``label<TAB>text_a`` header (ChnSentiCorp)."""
    path = Path(path)
    texts, labels = [], []
    rows = _lines(path, encoding)
    no, header = next(rows, (1, ""))
    if header.split("\t") != ["label", "text_a"]:
        raise FormatError(path, no, "expected the header 'label<TAB>text_a'", header)
    for no, line in rows:
        parts = line.split("\t")
        if len(parts) != 2:
            raise FormatError(path, no, f"expected 2 tab-separated fields, got {len(parts)}", line)
        labels.append(parts[0])
        texts.append(parts[1])
    return TextClassificationData(texts, labels, str(path))


def read_conll(
    path: str | Path,
    *,
    tag_column: int = -1,
    token_column: int = 0,
    sep: str | None = None,
    n_columns: int | None = None,
    encoding: str = "utf-8",
) -> SequenceLabellingData:
    """Read a CoNLL-style file: one token a line, columns separated by ``sep`` (whitespace by
    default), a blank line between sentences. ``-DOCSTART-`` lines (document markers, not
    sentences) are dropped.

    Parameters
    ----------
    path : str or Path
    tag_column, token_column : int
        Which columns hold the tag and the token.
    sep : str, optional
        Column separator; ``None`` splits on any whitespace.
    n_columns : int, optional
        If given, every token line must have exactly this many columns.
    """
    path = Path(path)
    tokens, tags, extra = [], [], []
    cur_tok, cur_tag, cur_extra = [], [], []
    width = n_columns

    def flush():
        if cur_tok:
            tokens.append(list(cur_tok))
            tags.append(list(cur_tag))
            extra.append(list(cur_extra))
            cur_tok.clear(), cur_tag.clear(), cur_extra.clear()

    for no, line in _lines(path, encoding):
        if not line.strip():
            flush()
            continue
        parts = line.split(sep) if sep is not None else line.split()
        if parts[0] == "-DOCSTART-":
            continue
        if width is None:
            width = len(parts)
            if width < 2:
                raise FormatError(path, no, "expected at least 2 columns (token and tag)", line)
        if len(parts) != width:
            raise FormatError(path, no, f"expected {width} columns, got {len(parts)}", line)
        cur_tok.append(parts[token_column])
        cur_tag.append(parts[tag_column])
        cur_extra.append(parts)
    flush()
    return SequenceLabellingData(tokens, tags, extra, str(path))


def read_semeval2010_task8(path: str | Path, *, encoding: str = "utf-8") -> RelationData:
    """Read SemEval-2010 Task 8: blocks of ``id<TAB>"sentence"``, a relation line, a
    ``Comment:`` line and a blank line."""
    path = Path(path)
    lines = list(_lines(path, encoding))
    ids, sentences, labels = [], [], []
    i = 0
    while i < len(lines):
        no, line = lines[i]
        if not line.strip():
            i += 1
            continue
        head, sep, sentence = line.partition("\t")
        if not sep or not head.isdigit():
            raise FormatError(path, no, 'expected \'id<TAB>"sentence"\'', line)
        if i + 1 >= len(lines) or not lines[i + 1][1].strip():
            raise FormatError(path, no, "expected a relation label on the next line", line)
        ids.append(int(head))
        sentences.append(sentence.strip().strip('"'))
        labels.append(lines[i + 1][1].strip())
        i += 2
        if i < len(lines) and lines[i][1].startswith("Comment"):
            i += 1
    return RelationData(ids, sentences, labels, str(path))


def read_idx(path: str | Path) -> np.ndarray:
    """Read a (gzipped) IDX file, the format of MNIST."""
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as fh:
        data = fh.read()
    if len(data) < 4 or data[0] != 0 or data[1] != 0:
        raise FormatError(path, 1, "not an IDX file (bad magic number)")
    dtype_code, ndim = data[2], data[3]
    dtypes = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
    if dtype_code not in dtypes:
        raise FormatError(path, 1, f"unknown IDX element type 0x{dtype_code:02x}")
    shape = struct.unpack(">" + "I" * ndim, data[4 : 4 + 4 * ndim])
    arr = np.frombuffer(data, dtype=dtypes[dtype_code], offset=4 + 4 * ndim)
    if arr.size != int(np.prod(shape)):
        raise FormatError(path, 1, f"header says shape {shape} but the file holds {arr.size} values")
    return arr.reshape(shape)
