"""The attributes of the NER CRF, built once per word type: names to train on, integer ids to tag fast.

A linear-chain CRF (Lafferty et al. 2001) scores a label path by a sum of weights of the attributes that
fire on each token, S[t, y] = sum_{a in x_t} W[a, y] (every attribute here has the value 1). Most
attributes of a token depend on one word only (its identity, shape, affixes, flags), so they are built
once per word type and cached; the attributes of a token are then assembled from the cached parts of the
words in its window, the word bigrams and the extra columns. The same assembly yields either attribute
names (``sentence``: what ``LinearChainCRF.fit`` and python-crfsuite read, in python-crfsuite's
"name:value" spelling) or attribute ids of a trained model (``encode``: the fast path of
``CRFTagger.tag``, fed straight to the Viterbi kernel); both list a token's attributes in the same order,
so the state scores, and hence the tags, of the two paths are identical.

Word level (English), per token t of sentence w, window k in -2, -1, +1, +2:

    bias; w_t; lower(w_t); shape(w_t)[:12] (Xxxxx, dd-dd) and short shape (Xx, d-d); is-title, is-upper,
    is-lower, is-digit, has-digit, has-hyphen, is-punct; prefixes and suffixes of length 1-4;
    lower(w_{t+k}), short shape(w_{t+k}), is-title(w_{t+k}); the word bigrams lower(w_{t-1})|lower(w_t)
    and lower(w_t)|lower(w_{t+1}); BOS / EOS; each extra column c (CoNLL-2003: POS and chunk) at t, its
    first two letters at t, and its value at t-1 and t+1; with ``clusters`` (the default of the ``crf``
    tagger), the distributional classes of w_t (64-, 256- and 1024-cluster ids of its first MiniLM word
    piece, the 256-id of its last piece, its number of pieces; :mod:`mlcanon.tasks.ner.clusters`) and the
    256-id of w_{t-1} and of w_{t+1}.

A flag that is false is left out: python-crfsuite reads ``{"title": False}`` as the attribute "title"
with the value 0, which adds 0 to every score, so leaving it out changes neither training nor tagging.

Character level (Chinese): bias; is-digit, is-Latin-letter, is-punct of c_t; the characters c_{t+k} for
k in -2..2 (padded with <s> and </s>); the bigrams c_{t-2}c_{t-1}, c_{t-1}c_t, c_t c_{t+1},
c_{t+1}c_{t+2} and the trigram c_{t-1}c_t c_{t+1}.
"""

from __future__ import annotations

import string
from functools import partial
from itertools import groupby

import numpy as np

__all__ = ["CRFFeatures", "char_features", "crf_features"]

_PUNCT = frozenset(string.punctuation) | frozenset("，。、；：？！“”‘’（）《》【】—…·")
_WINDOW = (-2, -1, 1, 2)
_PAD = ("<s>", "<s>")
_END = ("</s>", "</s>")


def _shape_char(c: str) -> str:
    if c.isupper():
        return "X"
    if c.islower():
        return "x"
    if c.isdigit():
        return "d"
    return c


# ASCII words (nearly all of CoNLL) take a translate table instead of a loop in Python
_ASCII_SHAPE = str.maketrans({c: _shape_char(c) for c in map(chr, range(128))})


def word_shape(word: str) -> str:
    """``"McDonald's"`` -> ``"XxXxxxxx'x"``; ``"1996-08"`` -> ``"dddd-dd"``."""
    if word.isascii():
        return word.translate(_ASCII_SHAPE)
    return "".join(_shape_char(c) for c in word)


def short_shape(word: str) -> str:
    """The shape with runs collapsed: ``"McDonald's"`` -> ``"XxXx'x"``, ``"1996-08"`` -> ``"d-d"``."""
    return "".join(c for c, _ in groupby(word_shape(word)))


def _word_record(w: str, clusters=None) -> tuple[list[str], ...]:
    """What word w contributes: (its own attributes, those it gives token t as w_{t-2}, w_{t-1}, w_{t+1},
    w_{t+2}), in the documented order."""
    low, shape = w.lower(), word_shape(w)
    sshape = "".join(c for c, _ in groupby(shape))
    own = ["bias", "w:" + w, "lower:" + low, "shape:" + shape[:12], "sshape:" + sshape]
    flags = (("title", w.istitle()), ("upper", w.isupper()), ("islower", w.islower()), ("digit", w.isdigit()),
             ("hasdigit", any(c.isdigit() for c in w)), ("hyphen", "-" in w),
             ("punct", all(c in _PUNCT for c in w)))
    own += [name for name, on in flags if on]
    for k in range(1, min(len(w), 4) + 1):
        own += [f"p{k}:" + w[:k], f"s{k}:" + w[-k:]]
    title = w.istitle()
    near = [[f"{k}:lower:" + low, f"{k}:sshape:" + sshape] + ([f"{k}:title"] if title else []) for k in _WINDOW]
    if clusters is not None:
        classes, seen = clusters.names(w)
        own += classes
        near[1].append("-1:" + seen)
        near[2].append("+1:" + seen)
    return (own, *near)


def _char_record(c: str, clusters=None) -> tuple[list[str], ...]:
    """What character c contributes: (its own attributes, those it gives token t as c_{t+k}, k = -2..2)."""
    flags = (("digit", c.isdigit()), ("latin", c.isascii() and c.isalpha()), ("punct", c in _PUNCT))
    own = ["bias"] + [name for name, on in flags if on]
    near = [[f"c{k}:" + c] for k in (-2, -1, 0, 1, 2)]
    if clusters is not None and c not in _PAD + _END:
        classes, seen = clusters.names(c)
        own += classes
        near[1].append("-1:" + seen)
        near[3].append("+1:" + seen)
    return (own, *near)


def _column_names(key: str) -> list[str]:
    """The column attributes of token t from the rows t-1, t, t+1 (``key``: the three rows, columns
    tab-separated, rows newline-separated, "\\v" for a missing row): for each column c, its value and
    first two letters at t, then its value at t-1 and at t+1."""
    prev, here, nxt = (None if r == "\v" else r.split("\t") for r in key.split("\n"))
    names = []
    for c, value in enumerate(here):
        names += [f"c{c}:" + value, f"c{c}[:2]:" + value[:2]]
        if prev is not None and c < len(prev):
            names.append(f"-1:c{c}:" + prev[c])
        if nxt is not None and c < len(nxt):
            names.append(f"+1:c{c}:" + nxt[c])
    return names


class CRFFeatures:
    """The attribute builder of one tagger; what a word contributes is cached per word type.

    Parameters
    ----------
    char_level : bool, default=False
        Chinese characters as tokens (character n-grams) instead of English words.
    n_columns : int, default=0
        How many extra columns (between the token and the tag of a CoNLL file) become attributes.
    clusters : WordClusters, optional
        Distributional word classes (:mod:`mlcanon.tasks.ner.clusters`) added to each word's (or
        character's) attributes.
    cache_size : int, default=500_000
        Word types kept per cache; a cache that grows past it is emptied (a long-running tagger
        does not grow without bound).

    Examples
    --------
    >>> f = CRFFeatures()
    >>> f.sentence(["EU", "rejects"])[0][:4]
    ['bias', 'w:EU', 'lower:eu', 'shape:XX']
    """

    def __init__(self, char_level: bool = False, n_columns: int = 0, clusters=None,
                 cache_size: int = 500_000) -> None:
        if not isinstance(n_columns, int) or isinstance(n_columns, bool) or n_columns < 0:
            raise ValueError(f"n_columns: expected an int >= 0, got {n_columns!r}")
        if not isinstance(cache_size, int) or cache_size < 1:
            raise ValueError(f"cache_size: expected an int >= 1, got {cache_size!r}")
        self.char_level, self.n_columns, self.cache_size = bool(char_level), n_columns, cache_size
        self.clusters = clusters
        record = partial(_char_record if self.char_level else _word_record, clusters=clusters)
        self._names = _Cache(record, None, cache_size)
        self._ids: _Cache | None = None

    def sentence(self, tokens: list[str], columns: list[list[str]] | None = None) -> list[list[str]]:
        """Attribute names of each token of one sentence (python-crfsuite's list-of-names form)."""
        _check_sentence(tokens, columns)
        return self._assemble(tokens, columns, self._names)

    def encode(self, sentences: list[list[str]], columns: list | None, index: dict[str, int]):
        """Attribute ids (in ``index``, a trained model's name -> id map; unknown names dropped) of every
        token of every sentence, as the CSR arrays of the CRF kernels: ``seq_ptr`` (n_sentences + 1,),
        ``tok_ptr`` (n_tokens + 1,) and ``attr`` (n_entries,)."""
        if not isinstance(index, dict):
            raise TypeError(f"index: expected a dict of attribute names to ids, got {type(index).__name__}")
        if self._ids is None or self._ids.index is not index:  # another model: its own id caches
            self._ids = _Cache(self._names.make_record, index, self.cache_size)
        cols = columns if columns is not None else [None] * len(sentences)
        if len(cols) != len(sentences):
            raise ValueError(f"columns: expected one entry per sentence ({len(sentences)}), got {len(cols)}")
        attr: list[int] = []
        tok_ptr, seq_ptr = [0], [0]
        push = tok_ptr.append
        for s, c in zip(sentences, cols):
            _check_sentence(s, c)
            for ids in self._assemble(s, c, self._ids):
                attr += ids
                push(len(attr))
            seq_ptr.append(len(tok_ptr) - 1)
        return (np.array(seq_ptr, dtype=np.int64), np.array(tok_ptr, dtype=np.int64),
                np.array(attr, dtype=np.int64))

    # -- the one assembly both paths share (same attributes, same order)
    def _assemble(self, tokens, columns, cache: _Cache) -> list[list]:
        if self.char_level:
            return self._assemble_chars(tokens, cache)
        one, n = cache.one, len(tokens)
        rec = [cache.record(w) for w in tokens]
        low = [w.lower() for w in tokens]
        bigrams = [one(f"-1:bigram:{low[t - 1]}|{low[t]}") for t in range(1, n)]
        before = [one("BOS"), *bigrams]
        after = [one(f"+1:bigram:{low[t]}|{low[t + 1]}") for t in range(n - 1)] + [one("EOS")]
        # the column attributes of t depend on the rows t-1, t, t+1 only: one cache key per token
        rows = None
        if columns and self.n_columns:
            rows = ["\v", *("\t".join(r[: self.n_columns]) for r in columns), "\v"]  # \v: no row
        out = []
        for t in range(n):
            f = list(rec[t][0])
            if t > 1:
                f += rec[t - 2][1]
            if t > 0:
                f += rec[t - 1][2]
            if t < n - 1:
                f += rec[t + 1][3]
            if t < n - 2:
                f += rec[t + 2][4]
            f += before[t]
            f += after[t]
            if rows is not None:
                f += cache.column(rows[t] + "\n" + rows[t + 1] + "\n" + rows[t + 2])
            out.append(f)
        return out

    def _assemble_chars(self, chars, cache: _Cache) -> list[list]:
        one = cache.one
        pad = [*_PAD, *chars, *_END]
        rec = [cache.record(c) for c in pad]
        out = []
        for t in range(len(chars)):
            i = t + 2
            f = list(rec[i][0])
            for k in (-2, -1, 0, 1, 2):
                f += rec[i + k][k + 3]
            f += one("c-2c-1:" + pad[i - 2] + pad[i - 1]) + one("c-1c0:" + pad[i - 1] + pad[i])
            f += one("c0c1:" + pad[i] + pad[i + 1]) + one("c1c2:" + pad[i + 1] + pad[i + 2])
            f += one("c-1c0c1:" + pad[i - 1] + pad[i] + pad[i + 1])
            out.append(f)
        return out


class _Cache:
    """Per-word records and per-row-triple column parts, as names (``index`` None) or as the ids of
    ``index`` (names it does not know dropped), and the lookup of one-off attributes (bigrams)."""

    def __init__(self, make_record, index: dict | None, size: int) -> None:
        self.make_record, self.index, self._size = make_record, index, size
        self._records: dict[str, tuple] = {}
        self._columns: dict[str, list] = {}

    def _ids(self, names: list[str]) -> list:
        if self.index is None:
            return names
        get = self.index.get
        return [i for i in map(get, names) if i is not None]

    def record(self, w: str) -> tuple:
        rec = self._records.get(w)
        if rec is None:
            if len(self._records) >= self._size:
                self._records.clear()
            rec = self._records[w] = tuple(self._ids(part) for part in self.make_record(w))
        return rec

    def column(self, key: str) -> list:
        part = self._columns.get(key)
        if part is None:
            if len(self._columns) >= self._size:
                self._columns.clear()
            part = self._columns[key] = self._ids(_column_names(key))
        return part

    def one(self, name: str) -> list:
        if self.index is None:
            return [name]
        i = self.index.get(name)
        return [] if i is None else [i]


def _check_sentence(tokens, columns) -> None:
    if not isinstance(tokens, list) or not all(isinstance(w, str) for w in tokens):
        raise TypeError(f"tokens: expected a list of str, got {type(tokens).__name__}")
    if columns is not None and len(columns) != len(tokens):
        raise ValueError(f"columns: expected one row per token ({len(tokens)}), got {len(columns)}")


def crf_features(tokens: list[str], columns: list[list[str]] | None = None) -> list[list[str]]:
    """Word-level CRF attribute names of one sentence (see the module docstring); all columns used."""
    n = min((len(c) for c in columns), default=0) if columns else 0
    return CRFFeatures(n_columns=n).sentence(tokens, columns)


def char_features(chars: list[str]) -> list[list[str]]:
    """Character-level CRF attribute names of one Chinese sentence (see the module docstring)."""
    return CRFFeatures(char_level=True).sentence(chars)
