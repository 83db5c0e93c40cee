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

Features of the CRF (``crf_features``), per token t of sentence w (word level; ±2 window):

    bias; w_t; lower(w_t); prefixes and suffixes of length 1-4; shape (Xxxxx, dd-dd) and short
    shape (Xx, d-d); is-title / is-upper / is-lower / is-digit / has-digit / has-hyphen / is-punct;
    lower(w_{t+k}), short shape and is-title of w_{t+k} for k in -2, -1, +1, +2; the word bigrams
    lower(w_{t-1})|lower(w_t) and lower(w_t)|lower(w_{t+1}); BOS / EOS; every extra column c
    (CoNLL-2003: POS and chunk) at t-1, t, t+1, and its first two letters at t.

Character level (Chinese, ``char_features``): the character c_{t+k} for k in -2..2, the bigrams
c_{t-2}c_{t-1}, c_{t-1}c_t, c_t c_{t+1}, c_{t+1}c_{t+2}, the trigram c_{t-1}c_t c_{t+1}, and
digit / Latin-letter / punctuation flags of c_t.

``word2features`` / ``sent2features`` / ``conll_features`` are the smaller sklearn-crfsuite tutorial
set that the classic CRF report (LinearChainCRF vs CRFsuite) uses; they moved here from
``mlcanon.report.classic._crf_features``.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass, field
from pathlib import Path

from mlcanon.data.readers import FormatError, read_conll
from mlcanon.data.schemes import convert_scheme

__all__ = [
    "BUNDLED",
    "NerData",
    "char_features",
    "conll_features",
    "crf_features",
    "detect_scheme",
    "from_internal",
    "hmm_symbol",
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
_PUNCT = frozenset(string.punctuation) | frozenset("，。、；：？！“”‘’（）《》【】—…·")


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


# -- word shapes ----------------------------------------------------------------------------------------
def _shape_char(c: str) -> str:
    if c.isupper():
        return "X"
    if c.islower():
        return "x"
    if c.isdigit():
        return "d"
    return c


def word_shape(word: str) -> str:
    """``"McDonald's"`` -> ``"XxXxxxxx'x"``; ``"1996-08"`` -> ``"dddd-dd"``."""
    return "".join(_shape_char(c) for c in word)


def short_shape(word: str) -> str:
    """The shape with runs collapsed: ``"McDonald's"`` -> ``"XxXx'x"``, ``"1996-08"`` -> ``"d-d"``."""
    out: list[str] = []
    for c in word:
        s = _shape_char(c)
        if not out or out[-1] != s:
            out.append(s)
    return "".join(out)


def hmm_symbol(word: str) -> str:
    """The unknown-word class of the HMM: short shape, and the last two letters of a long alphabetic word."""
    suffix = word[-2:].lower() if word.isalpha() and len(word) > 3 else ""
    return f"<unk:{short_shape(word)[:6]}:{suffix}>"


# -- CRF features ----------------------------------------------------------------------------------------
def _word_feats(w: str) -> dict:
    low = w.lower()
    f = {"bias": 1.0, "w": w, "lower": low, "shape": word_shape(w)[:12], "sshape": short_shape(w),
         "title": w.istitle(), "upper": w.isupper(), "islower": w.islower(), "digit": w.isdigit(),
         "hasdigit": any(c.isdigit() for c in w), "hyphen": "-" in w, "punct": all(c in _PUNCT for c in w)}
    for k in range(1, 5):
        if len(w) >= k:
            f[f"p{k}"] = w[:k]
            f[f"s{k}"] = w[-k:]
    return f


def crf_features(tokens: list[str], columns: list[list[str]] | None = None) -> list[dict]:
    """Word-level CRF features of one sentence (see the module docstring)."""
    n = len(tokens)
    low = [w.lower() for w in tokens]
    sshape = [short_shape(w) for w in tokens]
    feats = []
    for t, w in enumerate(tokens):
        f = _word_feats(w)
        for k in (-2, -1, 1, 2):
            j = t + k
            if 0 <= j < n:
                f[f"{k}:lower"] = low[j]
                f[f"{k}:sshape"] = sshape[j]
                f[f"{k}:title"] = tokens[j].istitle()
        if t > 0:
            f["-1:bigram"] = low[t - 1] + "|" + low[t]
        else:
            f["BOS"] = True
        if t < n - 1:
            f["+1:bigram"] = low[t] + "|" + low[t + 1]
        else:
            f["EOS"] = True
        if columns:
            for c, value in enumerate(columns[t]):
                f[f"c{c}"] = value
                f[f"c{c}[:2]"] = value[:2]
                if t > 0 and c < len(columns[t - 1]):
                    f[f"-1:c{c}"] = columns[t - 1][c]
                if t < n - 1 and c < len(columns[t + 1]):
                    f[f"+1:c{c}"] = columns[t + 1][c]
        feats.append(f)
    return feats


def char_features(chars: list[str]) -> list[dict]:
    """Character-level CRF features of one Chinese sentence (see the module docstring)."""
    n = len(chars)
    pad = ["<s>", "<s>"] + list(chars) + ["</s>", "</s>"]
    feats = []
    for t, c in enumerate(chars):
        i = t + 2
        f = {"bias": 1.0, "digit": c.isdigit(), "latin": c.isascii() and c.isalpha(), "punct": c in _PUNCT}
        for k in (-2, -1, 0, 1, 2):
            f[f"c{k}"] = pad[i + k]
        f["c-2c-1"] = pad[i - 2] + pad[i - 1]
        f["c-1c0"] = pad[i - 1] + c
        f["c0c1"] = c + pad[i + 1]
        f["c1c2"] = pad[i + 1] + pad[i + 2]
        f["c-1c0c1"] = pad[i - 1] + c + pad[i + 1]
        feats.append(f)
    assert len(feats) == n
    return feats


def sentence_features(tokens: list[str], columns: list[list[str]] | None, char_level: bool) -> list[dict]:
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
