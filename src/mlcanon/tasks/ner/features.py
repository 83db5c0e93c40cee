"""Named-entity recognition data: bundled sets and CoNLL files, tag schemes, tokenisation and word features.

Data. Bundled names (``--data``): ``conll2003`` (English, IOB1, columns token POS chunk tag),
``resume_ner`` (Chinese characters, BMES) and ``weibo_ner`` (Chinese characters, IOB2). A user file
(``--train/--dev/--test``) is CoNLL: one token a line, the token first and the tag last, any number of
columns in between (POS, chunk, ... used as CRF features), a blank line between sentences,
``-DOCSTART-`` lines skipped. Its tag scheme is detected from the prefixes it uses (``E-``/``S-``:
IOBES, ``M-``: BMES, ``L-``/``U-``: BILOU, ``B-``/``I-``: IOB2, or IOB1 when an ``I-`` opens an
entity) and every tag is then checked against it (:func:`mlcanon.data.read_conll`): a bad tag, a line
with another number of columns or a byte that is not UTF-8 is an error naming the file and the line.
The taggers train on IOBES (Ratinov & Roth 2009 found it better than IOB1/IOB2) and write their tags
back in the input's scheme (:func:`mlcanon.data.convert_scheme`).

The CRF's features (``crf_features``, ``char_features``, the cached builder ``CRFFeatures``) live in
:mod:`mlcanon.tasks.ner.crf_features`, documented there; they are re-exported here.

``word2features`` / ``sent2features`` / ``conll_features`` are the smaller sklearn-crfsuite tutorial
set that the classic CRF report (LinearChainCRF vs CRFsuite) uses; they moved here from
``mlcanon.report.classic._crf_features``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from mlcanon.data.readers import FormatError, read_conll
from mlcanon.data.schemes import convert_scheme
from mlcanon.tasks.ner.crf_features import CRFFeatures, char_features, crf_features, short_shape, word_shape

__all__ = [
    "BUNDLED",
    "CRFFeatures",
    "NerData",
    "char_features",
    "conll_features",
    "crf_features",
    "detect_scheme",
    "from_internal",
    "is_char_level",
    "load_split",
    "read_file",
    "read_token_lines",
    "sent2features",
    "sentence_features",
    "short_shape",
    "to_internal",
    "tokenize_with_offsets",
    "word2features",
    "word_shape",
]

BUNDLED = ("conll2003", "resume_ner", "weibo_ner")
_SCHEME = {"conll2003": "IOB1", "resume_ner": "BMES", "weibo_ner": "IOB2"}
_CHAR_LEVEL = {"resume_ner", "weibo_ner"}
INTERNAL = "IOBES"
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


@dataclass
class NerData:
    """Sentences (token lists), their tags in ``scheme``, and the extra columns of each token."""

    tokens: list[list[str]]
    tags: list[list[str]]
    scheme: str
    columns: list[list[list[str]]] = field(default_factory=list)  # per token, the columns between token and tag
    source: str = ""

    def __len__(self) -> int:
        return len(self.tokens)

    def head(self, n: int | None) -> NerData:
        if n is None:
            return self
        return NerData(self.tokens[:n], self.tags[:n], self.scheme, self.columns[:n], self.source)


# -- reading ---------------------------------------------------------------------------------------
def _with_columns(d, scheme: str, source: str) -> NerData:
    columns = [[row[1:-1] for row in sent] for sent in d.extra]
    return NerData(d.tokens, d.tags, scheme, columns, source)


def load_split(name: str, split: str) -> NerData:
    """One split (``train``, ``dev``, ``test``) of a bundled NER data set."""
    from mlcanon import data as datasets

    if name not in BUNDLED:
        raise ValueError(f"--data: expected one of {', '.join(BUNDLED)}, got {name!r}")
    if split not in ("train", "dev", "test"):
        raise ValueError(f"--split: expected train, dev or test, got {split!r}")
    d = datasets.load(name, split)
    if name == "weibo_ner":  # the columns as read are "char+position", tag: no feature columns
        return NerData(d.tokens, d.tags, _SCHEME[name], [[[] for _ in s] for s in d.tokens], f"{name}/{split}")
    return _with_columns(d, _SCHEME[name], f"{name}/{split}")


def detect_scheme(tags: list[list[str]]) -> str:
    """The tag scheme a file uses, from its prefixes (see the module docstring)."""
    prefixes = {t[0] for s in tags for t in s if len(t) > 2 and t[1] == "-"}
    if "M" in prefixes:
        return "BMES"
    if prefixes & {"L", "U"}:
        return "BILOU"
    if prefixes & {"E", "S"}:
        return "IOBES" if "B" in prefixes or not prefixes <= {"I", "E"} else "IOE2"
    for s in tags:
        prev = "O"
        for t in s:
            # an I- that does not continue an entity of its type opens one: IOB1
            if t.startswith("I-") and (prev == "O" or prev[2:] != t[2:]):
                return "IOB1"
            prev = t
    return "IOB2"


def read_file(path: str | Path, argument: str = "--train") -> NerData:
    """A CoNLL file (token first, tag last), its scheme detected and every tag checked against it."""
    from mlcanon.tasks.contract import check_file

    path = check_file(path, argument)
    first = read_conll(path)
    if not first.tokens:
        raise FormatError(path, 1, "no sentences")
    scheme = detect_scheme(first.tags)
    d = read_conll(path, scheme=scheme)  # a tag that is not O / P-TYPE of the scheme: file and line
    return _with_columns(d, scheme, str(path))


def read_token_lines(path: Path, lines: list[str]) -> tuple[list[list[str]], list[list[list[str]]]]:
    """``predict --conll``: sentences of a CoNLL file whose first column is the token (any columns
    after it, a tag column or none); ``-DOCSTART-`` lines skipped. Returns tokens and the other columns."""
    tokens, columns, cur, cur_cols = [], [], [], []
    width = None
    for no, line in enumerate(lines, start=1):
        line = line.rstrip("\r\n")
        parts = line.split()
        if not parts or parts[0] == "-DOCSTART-":
            if cur:
                tokens.append(cur), columns.append(cur_cols)
            cur, cur_cols = [], []
            continue
        width = len(parts) if width is None else width
        if len(parts) != width:
            raise FormatError(path, no, f"expected {width} columns, got {len(parts)}", line)
        cur.append(parts[0])
        cur_cols.append(parts[1:])
    if cur:
        tokens.append(cur), columns.append(cur_cols)
    return tokens, columns


def to_internal(tags: list[list[str]], scheme: str) -> list[list[str]]:
    return tags if scheme == INTERNAL else convert_scheme(tags, scheme, INTERNAL)


def from_internal(tags: list[list[str]], scheme: str) -> list[list[str]]:
    """Predicted IOBES tags in ``scheme`` (an ill-formed prediction is read as conlleval reads it)."""
    return convert_scheme(tags, INTERNAL, scheme)


def is_char_level(tokens: list[list[str]]) -> bool:
    """True when most tokens are single CJK characters (Chinese character-level NER)."""
    sample = [t for s in tokens[:300] for t in s]
    return bool(sample) and sum(1 for t in sample if len(t) == 1 and _CJK.match(t)) > len(sample) / 2


# -- tokenisation of raw text (predict) -----------------------------------------------------------------
_TOKENIZER = None


def tokenize_with_offsets(text: str) -> list[tuple[str, int, int]]:
    """The project's BERT basic tokenizer, case and accents kept: punctuation and each CJK character
    split off; ``(token, start, end)`` with ``token == text[start:end]``."""
    global _TOKENIZER
    if _TOKENIZER is None:
        from mlcanon.text.wordpiece import BasicTokenizer

        _TOKENIZER = BasicTokenizer(do_lower_case=False, strip_accents=False)
    return [(text[s:e], s, e) for _, s, e in _TOKENIZER.tokenize_with_offsets(text)]


def sentence_features(tokens: list[str], columns: list[list[str]] | None, char_level: bool) -> list[list[str]]:
    return char_features(tokens) if char_level else crf_features(tokens, columns)


# -- the tutorial features of the classic CRF report --------------------------------------------------------
def word2features(sent: list[tuple[str, str]], i: int) -> dict:
    """Feature dict of token ``i`` of ``sent`` (a list of (word, POS) pairs): the sklearn-crfsuite
    tutorial set (lower-cased word, 3- and 2-letter suffixes, isupper / istitle / isdigit, the POS tag
    and its first two letters, the same for the neighbours, BOS / EOS)."""
    word, postag = sent[i]
    f = {"bias": 1.0, "word.lower()": word.lower(), "word[-3:]": word[-3:], "word[-2:]": word[-2:],
         "word.isupper()": word.isupper(), "word.istitle()": word.istitle(), "word.isdigit()": word.isdigit(),
         "postag": postag, "postag[:2]": postag[:2]}
    if i > 0:
        w1, p1 = sent[i - 1]
        f.update({"-1:word.lower()": w1.lower(), "-1:word.istitle()": w1.istitle(),
                  "-1:word.isupper()": w1.isupper(), "-1:postag": p1, "-1:postag[:2]": p1[:2]})
    else:
        f["BOS"] = True
    if i < len(sent) - 1:
        w1, p1 = sent[i + 1]
        f.update({"+1:word.lower()": w1.lower(), "+1:word.istitle()": w1.istitle(),
                  "+1:word.isupper()": w1.isupper(), "+1:postag": p1, "+1:postag[:2]": p1[:2]})
    else:
        f["EOS"] = True
    return f


def sent2features(sent: list[tuple[str, str]]) -> list[dict]:
    return [word2features(sent, i) for i in range(len(sent))]


def conll_features(split: str, limit: int | None = None):
    """(X, y) of a CoNLL-2003 split ("train", "dev", "test"): tutorial feature dicts and IOB1 tags,
    the first ``limit`` sentences if given."""
    from mlcanon import data

    d = data.load("conll2003", split)
    rows = d.extra[:limit] if limit else d.extra
    X = [sent2features([(r[0], r[1]) for r in sent]) for sent in rows]
    return X, list(d.tags[:limit] if limit else d.tags)
