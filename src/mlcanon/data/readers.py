"""Readers of the real file formats mlcanon's data sets come in.

Every reader names the file and the line when a line does not fit the format; nothing is
silently skipped (the only lines dropped are the ones a format defines as markup, such as
CoNLL's ``-DOCSTART-`` lines, and each reader says which).
"""

from __future__ import annotations

import gzip
import re
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import numpy as np

__all__ = [
    "FormatError",
    "TextClassificationData",
    "SequenceLabellingData",
    "RelationData",
    "EntityMarkers",
    "SEMEVAL2010_TASK8_LABELS",
    "read_label_first",
    "read_tsv_label_text",
    "read_conll",
    "write_conll",
    "read_semeval2010_task8",
    "parse_entity_markers",
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

    def __repr__(self) -> str:  # one line: a data set of 5,452 texts is not printed whole
        return f"{_shown_name(self.source)}: {len(self):,} texts, {len(set(self.labels)):,} labels"


@dataclass
class SequenceLabellingData:
    """Sentences as token lists with one tag per token; ``extra`` holds other columns (POS, chunk)."""

    tokens: list[list[str]]
    tags: list[list[str]]
    extra: list[list[list[str]]] = field(default_factory=list)
    source: str = ""
    documents: list[int] = field(default_factory=list)  # index of each document's first sentence
    positions: list[list[int]] = field(default_factory=list)  # Weibo NER's position of each character in its word

    def __len__(self) -> int:
        return len(self.tokens)

    def __repr__(self) -> str:
        n_tokens = sum(len(t) for t in self.tokens)
        n_tags = len({tag for seq in self.tags for tag in seq})
        return f"{_shown_name(self.source)}: {len(self):,} sentences, {n_tokens:,} tokens, {n_tags:,} tags"


@dataclass
class RelationData:
    """Sentences with two marked entities and the relation between them (SemEval-2010 Task 8)."""

    ids: list[int]
    sentences: list[str]
    labels: list[str]
    source: str = ""

    def __len__(self) -> int:
        return len(self.sentences)

    def __repr__(self) -> str:
        return f"{_shown_name(self.source)}: {len(self):,} sentences, {len(set(self.labels)):,} relation labels"


def _shown_name(source: str) -> str:
    """``trec/train`` for a bundled split (``load`` sets it), else the file's name."""
    return source if "/" in source and not Path(source).exists() else (Path(source).name or "data")


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
    scheme: str | None = None,
    token_position_suffix: bool = False,
) -> SequenceLabellingData:
    """Read a CoNLL-style file: one token a line, columns separated by ``sep`` (whitespace by
    default), a blank line between sentences.

    ``-DOCSTART-`` lines are document boundaries, not sentences: they end the current sentence
    and the index of the next sentence is recorded in ``documents``. Lines may end in LF or CRLF
    and the last one needs no newline. Everything else is a ``FormatError`` that names the file
    and the line: a line with another number of columns than the first token line (or than
    ``n_columns``), a byte sequence that is not valid ``encoding``, and, with ``scheme``, a tag
    that is not ``O`` or ``P-TYPE`` with a prefix P of that scheme.

    Parameters
    ----------
    path : str or Path
    tag_column, token_column : int
        Which columns hold the tag and the token (the tag is the last column by default).
    sep : str, optional
        Column separator; ``None`` splits on any run of whitespace.
    n_columns : int, optional
        If given, every token line must have exactly this many columns.
    encoding : str, default="utf-8"
    scheme : str, optional
        Check every tag against this tag scheme (see :mod:`mlcanon.data.schemes`).
    token_position_suffix : bool, default=False
        The token column is a character followed by its decimal position in its word segment
        (Weibo NER: ``中0``, ``国1``, ``p10``). The token is given without the position and the
        positions go to ``positions``. As positions count 0, 1, 2, ... within a word, a
        trailing ``prev + 1`` is read as the position first, then a trailing ``0``, then all the
        trailing digits (so ``20`` is the character ``2`` at position 0).

    Returns
    -------
    SequenceLabellingData
        ``tokens``, ``tags``, ``extra`` (all the columns of each line, as read), ``documents``
        and, with ``token_position_suffix``, ``positions``.

    Examples
    --------
    >>> import tempfile, os
    >>> f = os.path.join(tempfile.mkdtemp(), "x.conll")
    >>> _ = open(f, "w").write("-DOCSTART- -X- O\\n\\nEU NNP B-ORG\\nrejects VBZ O\\n\\nPeter NNP B-PER")
    >>> d = read_conll(f, scheme="IOB2")
    >>> d.tokens, d.tags, d.documents
    ([['EU', 'rejects'], ['Peter']], [['B-ORG', 'O'], ['B-PER']], [0])
    """
    path = Path(path)
    check_tag = _tag_checker(scheme)
    tokens, tags, extra, positions, documents = [], [], [], [], []
    cur_tok, cur_tag, cur_extra, cur_pos = [], [], [], []
    width = n_columns

    def flush():
        if cur_tok:
            tokens.append(list(cur_tok))
            tags.append(list(cur_tag))
            extra.append(list(cur_extra))
            if token_position_suffix:
                positions.append(list(cur_pos))
            cur_tok.clear(), cur_tag.clear(), cur_extra.clear(), cur_pos.clear()

    for no, line in _decoded_lines(path, encoding):
        if not line.strip():
            flush()
            continue
        parts = line.split(sep) if sep is not None else line.split()
        if parts[0] == "-DOCSTART-":
            flush()
            documents.append(len(tokens))
            continue
        if width is None:
            width = len(parts)
            if width < 2:
                raise FormatError(path, no, "expected at least 2 columns (token and tag)", line)
        if len(parts) != width:
            raise FormatError(path, no, f"expected {width} columns, got {len(parts)}", line)
        tag = parts[tag_column]
        problem = check_tag(tag)
        if problem:
            raise FormatError(path, no, problem, line)
        token = parts[token_column]
        if token_position_suffix:
            token, position = _split_position(token, cur_pos[-1] if cur_pos else -1)
            if token is None:
                raise FormatError(path, no, "expected a token followed by its position (e.g. '中0')", line)
            cur_pos.append(position)
        cur_tok.append(token)
        cur_tag.append(tag)
        cur_extra.append(parts)
    flush()
    return SequenceLabellingData(tokens, tags, extra, str(path), documents=documents, positions=positions)


def _decoded_lines(path: Path, encoding: str):
    """(line number, line without its LF/CRLF); a byte that is not ``encoding`` is a FormatError."""
    raw = path.read_bytes()
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as exc:
        no = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1)
        raise FormatError(
            path, no, f"not valid {encoding}: byte 0x{raw[exc.start]:02x} at byte {column} of the line"
        ) from None
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # the final newline ends the last line; it does not open another one
    for no, line in enumerate(lines, start=1):
        yield no, line[:-1] if line.endswith("\r") else line


def _tag_checker(scheme: str | None):
    """A function tag -> None if ``tag`` fits ``scheme`` (anything fits None), else a message."""
    if scheme is None:
        return lambda tag: None
    from mlcanon.data.schemes import _ALLOWED, _scheme

    name = _scheme(scheme, "scheme")
    allowed = _ALLOWED[name]
    seen: dict[str, str | None] = {"O": None}

    def check(tag: str) -> str | None:
        if tag not in seen:
            ok = len(tag) > 2 and tag[1] == "-" and tag[0] in allowed
            expected = ", ".join(f"{p}-TYPE" for p in allowed)
            seen[tag] = None if ok else f"tag {tag!r} is not O or one of {expected} (scheme {name})"
        return seen[tag]

    return check


def _split_position(token: str, prev: int) -> tuple[str | None, int]:
    """``中0`` -> (``中``, 0), reading the position as :func:`read_conll` documents."""
    for guess in (str(prev + 1), "0"):
        if len(token) > len(guess) and token.endswith(guess):
            return token[: -len(guess)], int(guess)
    head = token.rstrip("0123456789")
    if not head:
        head = token[0]
    digits = token[len(head) :]
    if not digits:
        return None, -1
    return head, int(digits)


def write_conll(
    path: str | Path,
    sentences_tokens: list[list[str]],
    tags: list[list[str]],
    extra_columns: list[list[list[str]]] | None = None,
    sep: str = " ",
    *,
    documents: list[int] | None = None,
    encoding: str = "utf-8",
) -> Path:
    """Write sentences in CoNLL format: ``token [extra columns] tag`` a line, a blank line after
    each sentence; :func:`read_conll` reads the file back to the same tokens, tags and columns.

    Parameters
    ----------
    path : str or Path
    sentences_tokens : list of lists of str
    tags : list of lists of str
        One tag per token.
    extra_columns : list of lists of lists of str, optional
        For each sentence and token, the columns written between the token and the tag
        (CoNLL-2003: POS and chunk); every token line must end up with the same number of columns.
    sep : str, default=" "
        Column separator; no field may contain it (nor a newline), and none may be empty.
    documents : list of int, optional
        Indices of the sentences that start a document: a ``-DOCSTART-`` line (padded with
        ``-X-`` to the number of columns, ``O`` as the tag) and a blank line are written before each.

    Examples
    --------
    >>> import tempfile, os
    >>> f = write_conll(os.path.join(tempfile.mkdtemp(), "y.conll"), [["EU", "rejects"]], [["B-ORG", "O"]])
    >>> open(f).read().split("\\n")
    ['EU B-ORG', 'rejects O', '', '']
    """
    path = Path(path)
    if not isinstance(sep, str) or not sep or "\n" in sep or "\r" in sep:
        raise ValueError(f"sep: expected a non-empty separator without a newline, got {sep!r}")
    if len(sentences_tokens) != len(tags):
        raise ValueError(
            f"sentences_tokens, tags: expected the same number of sentences, got {len(sentences_tokens)} and {len(tags)}"
        )
    if extra_columns is not None and len(extra_columns) != len(tags):
        raise ValueError(
            f"extra_columns: expected one entry per sentence ({len(tags)}), got {len(extra_columns)}"
        )
    starts = set(documents or ())
    lines: list[str] = []
    width = None
    for i, (toks, tgs) in enumerate(zip(sentences_tokens, tags)):
        if len(toks) != len(tgs):
            raise ValueError(f"tags: expected {len(toks)} tags for sentence {i} (one per token), got {len(tgs)}")
        if not toks:
            raise ValueError(f"sentences_tokens: sentence {i} is empty; CoNLL cannot represent an empty sentence")
        cols = extra_columns[i] if extra_columns is not None else [[]] * len(toks)
        if len(cols) != len(toks):
            raise ValueError(f"extra_columns: expected {len(toks)} entries for sentence {i}, got {len(cols)}")
        for j, (tok, tag, more) in enumerate(zip(toks, tgs, cols)):
            fields = [tok, *more, tag]
            for f in fields:
                if not isinstance(f, str) or not f or sep in f or "\n" in f or "\r" in f:
                    raise ValueError(
                        f"sentence {i}, token {j}: expected non-empty str fields without {sep!r} or a newline, got {f!r}"
                    )
            if tok == "-DOCSTART-":
                raise ValueError(f"sentence {i}, token {j}: the token '-DOCSTART-' would be read as a document marker")
            if width is None:
                width = len(fields)
            elif len(fields) != width:
                raise ValueError(f"sentence {i}, token {j}: expected {width} columns, got {len(fields)}")
            if j == 0 and i in starts:
                lines += [sep.join(["-DOCSTART-"] + ["-X-"] * (width - 2) + ["O"]), ""]
            lines.append(sep.join(fields))
        lines.append("")
    path.write_text("".join(line + "\n" for line in lines), encoding=encoding)
    return path


_SEMEVAL_RELATIONS = (
    "Cause-Effect", "Component-Whole", "Content-Container", "Entity-Destination", "Entity-Origin",
    "Instrument-Agency", "Member-Collection", "Message-Topic", "Product-Producer",
)  # fmt: skip
#: The 19 labels of SemEval-2010 Task 8: ``Other``, then each relation in both directions (the
#: order of ``datasets/semeval2010_task8/labels.txt``); the only labels the official scorer accepts.
SEMEVAL2010_TASK8_LABELS: tuple[str, ...] = ("Other",) + tuple(
    f"{r}({a},{b})" for r in _SEMEVAL_RELATIONS for a, b in (("e1", "e2"), ("e2", "e1"))
)
_SEMEVAL_LABEL_SET = frozenset(SEMEVAL2010_TASK8_LABELS)
_LABELS_SHOWN = "('Other', 'Cause-Effect(e1,e2)', ..., 'Product-Producer(e2,e1)')"
_MARKERS = ("<e1>", "</e1>", "<e2>", "</e2>")
_MARKER_RE = re.compile(r"</?e[12]>")
# Words (with inner hyphens or dots: "e-mail", "3.5", "U.S"), clitics split off as the Penn
# Treebank does ("artist's" -> "artist", "'s"), and every other non-space character alone.
_TOKEN_RE = re.compile(r"\w+(?:[-.]\w+)*|'\w+|\S")


class EntityMarkers(NamedTuple):
    """A sentence with its two marked nominals: clean tokens and token spans ``[start, end)``."""

    tokens: list[str]
    e1: tuple[int, int]
    e2: tuple[int, int]


def parse_entity_markers(text: str) -> EntityMarkers:
    """Split a SemEval-2010 Task 8 sentence into tokens and find its ``<e1>``/``<e2>`` nominals.

    The markers are removed and act as token boundaries; the rest is tokenised by one regular
    expression (words with inner ``-``/``.``, clitics such as ``'s``, any other character alone).

    Parameters
    ----------
    text : str
        A sentence with exactly one ``<e1>...</e1>`` and one ``<e2>...</e2>``, not nested or
        overlapping, each around at least one token.

    Returns
    -------
    EntityMarkers
        ``tokens`` (list of str), and ``e1``, ``e2``: ``(start, end)`` token indices, end excluded.

    Examples
    --------
    >>> m = parse_entity_markers("The <e1>power cord</e1> of the <e2>lamp</e2>'s base.")
    >>> m.tokens
    ['The', 'power', 'cord', 'of', 'the', 'lamp', "'s", 'base', '.']
    >>> m.e1, m.e2, m.tokens[m.e1[0]:m.e1[1]]
    ((1, 3), (5, 6), ['power', 'cord'])
    """
    if not isinstance(text, str):
        raise TypeError(f"text: expected a str, got {type(text).__name__}")
    parsed = _parse_markers(text)
    if isinstance(parsed, str):
        raise ValueError(f"text: {parsed}: {text[:80]!r}")
    return parsed


def _parse_markers(text: str) -> EntityMarkers | str:
    """The parse, or what is wrong with the markers (the readers name the file and line with it)."""
    found = _MARKER_RE.findall(text)
    counts = [found.count(m) for m in _MARKERS]
    if counts != [1, 1, 1, 1]:
        listed = ", ".join(f"{m} x{c}" for m, c in zip(_MARKERS, counts))
        return f"expected exactly one <e1>...</e1> and one <e2>...</e2>, got {listed}"
    if found not in (list(_MARKERS), ["<e2>", "</e2>", "<e1>", "</e1>"]):
        return f"expected <e1>...</e1> and <e2>...</e2> neither nested nor overlapping, got {' '.join(found)}"
    tokens: list[str] = []
    starts: dict[str, int] = {}
    spans: dict[str, tuple[int, int]] = {}
    pieces = _MARKER_RE.split(text)  # 5 pieces around the 4 markers
    for piece, marker in zip(pieces, found + [""]):
        tokens.extend(_TOKEN_RE.findall(piece))
        name = marker.strip("</>")
        if marker.startswith("</"):
            if len(tokens) == starts[name]:
                return f"expected a nominal inside <{name}>...</{name}>, got an empty one"
            spans[name] = (starts[name], len(tokens))
        elif marker:
            starts[name] = len(tokens)
    return EntityMarkers(tokens, spans["e1"], spans["e2"])


def read_semeval2010_task8(path: str | Path, *, encoding: str = "utf-8") -> RelationData:
    """Read SemEval-2010 Task 8 (``TRAIN_FILE.TXT``, ``TEST_FILE_FULL.TXT``).

    Blocks of four lines: ``id<TAB>"sentence"`` (the sentence in double quotes, with one
    ``<e1>...</e1>`` and one ``<e2>...</e2>``), the relation (one of the 19
    :data:`SEMEVAL2010_TASK8_LABELS`), a ``Comment:`` line, and a blank line (optional after the
    last block; further blank lines between blocks are skipped). Any other line, an unknown label,
    a sentence without both pairs of markers and an id seen before raise :class:`FormatError`
    naming the file and the line. ``sentences`` keep the markers (:func:`parse_entity_markers`
    splits them) and lose only the enclosing quotes.
    """
    path = Path(path)
    lines = list(_lines(path, encoding))
    ids, sentences, labels = [], [], []
    seen: dict[int, int] = {}
    i = 0
    while i < len(lines):
        no, line = lines[i]
        if not line.strip():
            i += 1
            continue
        head, sep, sentence = line.partition("\t")
        if not sep or not (head.isascii() and head.isdigit()):
            raise FormatError(path, no, 'expected \'id<TAB>"sentence"\'', line)
        if len(sentence) < 2 or sentence[0] != '"' or sentence[-1] != '"':
            raise FormatError(path, no, "expected the sentence in double quotes", line)
        sentence = sentence[1:-1]  # only the enclosing quotes: some sentences begin or end with a quotation
        problem = _parse_markers(sentence)
        if isinstance(problem, str):
            raise FormatError(path, no, problem, line)
        if int(head) in seen:
            raise FormatError(path, no, f"id {head} already appeared on line {seen[int(head)]}", line)
        if i + 1 >= len(lines) or not lines[i + 1][1].strip():
            raise FormatError(path, no, "expected a relation label on the next line", line)
        label_no, label = lines[i + 1]
        if label not in _SEMEVAL_LABEL_SET:
            raise FormatError(path, label_no, f"expected one of the 19 relation labels {_LABELS_SHOWN}", label)
        comment = lines[i + 2][1] if i + 2 < len(lines) else None
        if comment is None or not comment.startswith("Comment"):
            raise FormatError(path, label_no + 1, "expected the 'Comment:' line of the example", comment)
        if i + 3 < len(lines) and lines[i + 3][1].strip():
            raise FormatError(path, lines[i + 3][0], "expected a blank line after the 'Comment:' line", lines[i + 3][1])
        seen[int(head)] = no
        ids.append(int(head))
        sentences.append(sentence)
        labels.append(label)
        i += 4
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
