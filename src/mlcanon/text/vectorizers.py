"""Bag of words and TF-IDF: documents -> sparse term matrices, equal to scikit-learn's.

TF-IDF weighting goes back to Sparck Jones (1972, "A statistical interpretation of term
specificity and its application in retrieval") and Salton & Buckley (1988, "Term-weighting
approaches in automatic text retrieval"). The numbers here are scikit-learn 1.9's
(``sklearn.feature_extraction.text``): same vocabulary (columns = terms in sorted order), same
document-frequency pruning, same ``max_features`` tie-breaking, same idf and normalisation.

For a term t and a document d of a corpus of n documents, with df(t) the number of documents
that contain t::

    tf(t, d)    = count of t in d            (1 if binary; 1 + log count if sublinear_tf)
    idf(t)      = log(n / df(t)) + 1                      (smooth_idf=False)
                = log((1 + n) / (1 + df(t))) + 1          (smooth_idf=True)
    tfidf(t, d) = tf(t, d) * idf(t), each row then divided by its l2 (or l1) norm

Why it is fast: scikit-learn counts each document in a Python loop over its tokens (a dict per
document, ``array.array`` appends). Here Python only tokenizes (``map`` of a compiled
``findall`` over the documents) and maps tokens to ids (``map`` of a dict lookup over the
flattened corpus); counting, sorting the vocabulary, document frequencies, pruning, idf and
row normalisation are whole-array NumPy/SciPy operations.

The built-in ``stop_words='english'`` list of scikit-learn is not bundled: pass a list.
"""

from __future__ import annotations

import numbers
import operator
import re
import unicodedata
import warnings
from collections import defaultdict
from collections.abc import Iterable, Mapping
from functools import partial
from itertools import chain, repeat

import numpy as np
import scipy.sparse as sp

from mlcanon.classic._base import BaseEstimator, TransformerMixin, check_is_fitted
from mlcanon.text._stop_words import ENGLISH_STOP_WORDS
from mlcanon.validation import check_array

__all__ = ["CountVectorizer", "TfidfTransformer", "TfidfVectorizer", "strip_accents_ascii",
           "strip_accents_unicode", "ENGLISH_STOP_WORDS"]

DEFAULT_TOKEN_PATTERN = r"(?u)\b\w\w+\b"
# For ``findall`` on str, ``\b\w\w+\b`` and ``\w\w+`` find the same tokens: the scan reaches a
# run of word characters at its first character, the greedy ``\w+`` takes the whole run, and a
# run of one character fails without the scan ever starting inside a longer run. The second is
# ~20% faster in ``re`` (tests/foundations/test_text_vectorizers.py checks the equivalence).
_FAST_DEFAULT_PATTERN = re.compile(r"\w\w+")
_WHITE_SPACES = re.compile(r"\s\s+")


# --------------------------------------------------------------------------------------------
# Text preprocessing (same functions as scikit-learn's, same names)
# --------------------------------------------------------------------------------------------
def strip_accents_unicode(s: str) -> str:
    """Drop combining marks after NFKD normalisation ('é' -> 'e'); ASCII input is returned as is."""
    if s.isascii():
        return s
    normalized = unicodedata.normalize("NFKD", s)
    return "".join([c for c in normalized if not unicodedata.combining(c)])


def strip_accents_ascii(s: str) -> str:
    """NFKD-normalise and drop every character without an ASCII form."""
    return unicodedata.normalize("NFKD", s).encode("ASCII", "ignore").decode("ASCII")


def _chain_preprocess(doc: str, accent_function=None, lower: bool = False) -> str:
    if lower:
        doc = doc.lower()
    if accent_function is not None:
        doc = accent_function(doc)
    return doc


def _check_documents(raw_documents, name: str = "raw_documents") -> list:
    """An iterable of documents (not a single string) -> a list."""
    if isinstance(raw_documents, (str, bytes)):
        raise ValueError(
            f"{name}: Iterable over raw text documents expected, string object received."
        )
    if not isinstance(raw_documents, Iterable):
        raise TypeError(f"{name}: expected an iterable of documents (str), got {type(raw_documents).__name__}")
    return raw_documents if isinstance(raw_documents, list) else list(raw_documents)


def _is_real_not_int(x) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, numbers.Integral)


def _is_int(x) -> bool:
    return isinstance(x, numbers.Integral) and not isinstance(x, bool)


class _VectorizerMixin:
    """Decoding, preprocessing, tokenization and n-grams: ``build_analyzer`` and friends."""

    # ------------------------------------------------------------------ parameter validation
    def _check_vectorizer_params(self) -> None:
        name = type(self).__name__
        _check_in(self.input, "input", ("filename", "file", "content"))
        _check_in(self.decode_error, "decode_error", ("strict", "ignore", "replace"))
        if not (self.strip_accents is None or callable(self.strip_accents)):
            _check_in(self.strip_accents, "strip_accents", ("ascii", "unicode", None))
        if not callable(self.analyzer):
            _check_in(self.analyzer, "analyzer", ("word", "char", "char_wb"))
        for key in ("preprocessor", "tokenizer"):
            value = getattr(self, key)
            if value is not None and not callable(value):
                raise TypeError(f"{key}: expected a callable or None, got {type(value).__name__}")
        if self.token_pattern is not None and not isinstance(self.token_pattern, str):
            raise TypeError(f"token_pattern: expected a str or None, got {type(self.token_pattern).__name__}")
        ngram = self.ngram_range
        if not (isinstance(ngram, tuple) and len(ngram) == 2 and all(_is_int(n) and n >= 1 for n in ngram)):
            raise ValueError(f"ngram_range: expected a tuple (min_n, max_n) of ints >= 1, got {ngram!r}")
        if ngram[0] > ngram[1]:
            raise ValueError(
                f"Invalid value for ngram_range={ngram} lower boundary larger than the upper boundary."
            )
        for key in ("max_df", "min_df"):
            value = getattr(self, key)
            ok = (_is_real_not_int(value) and 0.0 <= value <= 1.0) or (_is_int(value) and value >= 1)
            if not ok:
                raise ValueError(
                    f"{key}: the {key!r} parameter of {name} must be a float in the range [0.0, 1.0] "
                    f"or an int in the range [1, inf), got {value!r}"
                )
        mf = self.max_features
        if mf is not None and not (_is_int(mf) and mf >= 1):
            raise ValueError(f"max_features: expected None or an int >= 1, got {mf!r}")
        for key in ("lowercase", "binary"):
            if not isinstance(getattr(self, key), (bool, np.bool_)):
                raise TypeError(f"{key}: expected a bool, got {getattr(self, key)!r}")

    # ------------------------------------------------------------------ building blocks
    def decode(self, doc):
        """Decode one document to str (read it first when ``input`` is 'filename' or 'file')."""
        if self.input == "filename":
            with open(doc, "rb") as fh:
                doc = fh.read()
        elif self.input == "file":
            doc = doc.read()
        if isinstance(doc, bytes):
            doc = doc.decode(self.encoding, self.decode_error)
        if doc is np.nan:
            raise ValueError("np.nan is an invalid document, expected byte or unicode string.")
        if not isinstance(doc, str):
            raise TypeError(f"raw_documents: expected each document to be a str or bytes, got {type(doc).__name__}")
        return doc

    def build_preprocessor(self):
        """The function applied to a document before tokenization (lowercase, strip accents)."""
        if self.preprocessor is not None:
            return self.preprocessor
        if not self.strip_accents:
            accents = None
        elif callable(self.strip_accents):
            accents = self.strip_accents
        elif self.strip_accents == "ascii":
            accents = strip_accents_ascii
        elif self.strip_accents == "unicode":
            accents = strip_accents_unicode
        else:
            raise ValueError(f'Invalid value for "strip_accents": {self.strip_accents}')
        return partial(_chain_preprocess, accent_function=accents, lower=self.lowercase)

    def build_tokenizer(self):
        """The function that splits a preprocessed document into tokens."""
        if self.tokenizer is not None:
            return self.tokenizer
        if self.token_pattern == DEFAULT_TOKEN_PATTERN:
            return _FAST_DEFAULT_PATTERN.findall
        pattern = re.compile(self.token_pattern)
        if pattern.groups > 1:
            raise ValueError(
                "More than 1 capturing group in token pattern. Only a single group should be captured."
            )
        return pattern.findall

    def get_stop_words(self):
        """The effective stop-word set (None when there is none)."""
        stop = self.stop_words
        if stop is None:
            return None
        if isinstance(stop, str):
            if stop == "english":  # the Glasgow IR group's list, scikit-learn's (see _stop_words.py)
                return ENGLISH_STOP_WORDS
            raise ValueError(f"stop_words: not a built-in stop list: {stop} (the built-in one is 'english')")
        return frozenset(stop)

    def _word_ngrams(self, tokens, stop_words=None):
        """Tokens -> tokens and space-joined n-grams for n in ngram_range (after stop-word removal)."""
        if stop_words is not None:
            tokens = [w for w in tokens if w not in stop_words]
        min_n, max_n = self.ngram_range
        if max_n == 1:
            return tokens
        out = list(tokens) if min_n == 1 else []
        for n in range(max(min_n, 2), min(max_n, len(tokens)) + 1):
            # zip of shifted views builds every window in C; scikit-learn slices in a Python loop
            out += map(" ".join, zip(*[tokens[i:] for i in range(n)]))
        return out

    def _char_ngrams(self, text):
        """Character n-grams of the text with runs of white space collapsed to one space."""
        text = _WHITE_SPACES.sub(" ", text)
        min_n, max_n = self.ngram_range
        length = len(text)
        out = list(text) if min_n == 1 else []
        for n in range(max(min_n, 2), min(max_n, length) + 1):
            out += map(text.__getitem__, map(slice, range(length - n + 1), range(n, length + 1)))
        return out

    def _char_wb_ngrams(self, text):
        """Character n-grams inside words, each word padded with one space on both sides."""
        text = _WHITE_SPACES.sub(" ", text)
        min_n, max_n = self.ngram_range
        out = []
        for w in text.split():
            w = " " + w + " "
            w_len = len(w)
            for n in range(min_n, max_n + 1):
                if n >= w_len:
                    out.append(w)  # a word shorter than n is counted once, whole
                    break
                out += map(w.__getitem__, map(slice, range(w_len - n + 1), range(n, w_len + 1)))
        return out

    def build_analyzer(self):
        """The function from one raw document to its list of terms (tokens or n-grams); it can be
        pickled when the vectorizer can (scikit-learn returns a picklable ``partial`` too)."""
        return _Analyzer(self)

    def _build_batch_analyzer(self):
        """A function from a list of documents to the list of their term lists.

        It maps C-level callables over the whole list where it can (``str.lower``, the compiled
        ``findall``), which is where the time of the whole vectorizer goes.
        """
        if callable(self.analyzer):
            analyzer, decode = self.analyzer, self.decode
            return lambda docs: [analyzer(decode(d)) for d in docs]
        plain_lower = self.preprocessor is None and not self.strip_accents and self.lowercase
        preprocess = str.lower if plain_lower else self.build_preprocessor()
        if self.analyzer == "word":
            stop_words = self.get_stop_words()
            tokenize = self.build_tokenizer()
            self._check_stop_words_consistency(stop_words, preprocess, tokenize)
            if stop_words is None and tuple(self.ngram_range) == (1, 1):
                ngrams = None
            else:
                ngrams = partial(self._word_ngrams, stop_words=stop_words)
        else:
            tokenize = self._char_ngrams if self.analyzer == "char" else self._char_wb_ngrams
            ngrams = None

        def analyze_many(docs):
            docs = self._decode_all(docs)
            tokens = map(tokenize, map(preprocess, docs))
            return list(tokens if ngrams is None else map(ngrams, tokens))

        return analyze_many

    def _decode_all(self, docs: list) -> list:
        if self.input == "content" and set(map(type, docs)) <= {str}:
            return docs  # the common case: no per-document Python call
        return [self.decode(d) for d in docs]

    def _check_stop_words_consistency(self, stop_words, preprocess, tokenize):
        """Warn, as scikit-learn does, when preprocessing a stop word yields tokens not in the list."""
        if not stop_words or id(self.stop_words) == getattr(self, "_stop_words_id", None):
            return
        try:
            inconsistent = {t for w in stop_words for t in tokenize(preprocess(w)) if t not in stop_words}
        except Exception:  # a custom preprocessor/tokenizer that cannot take a stop word: no check
            inconsistent = set()
        self._stop_words_id = id(self.stop_words)
        if inconsistent:
            warnings.warn(
                "Your stop_words may be inconsistent with your preprocessing. Tokenizing the stop "
                f"words generated tokens {sorted(inconsistent)!r} not in stop_words.",
                stacklevel=3,
            )

    def _warn_for_unused_params(self) -> None:
        if self.tokenizer is not None and self.token_pattern is not None:
            warnings.warn("The parameter 'token_pattern' will not be used since 'tokenizer' is not None'")
        if self.preprocessor is not None and callable(self.analyzer):
            warnings.warn("The parameter 'preprocessor' will not be used since 'analyzer' is callable'")
        if self.ngram_range != (1, 1) and self.ngram_range is not None and callable(self.analyzer):
            warnings.warn("The parameter 'ngram_range' will not be used since 'analyzer' is callable'")
        if self.analyzer != "word" or callable(self.analyzer):
            if self.stop_words is not None:
                warnings.warn("The parameter 'stop_words' will not be used since 'analyzer' != 'word'")
            if self.token_pattern is not None and self.token_pattern != DEFAULT_TOKEN_PATTERN:
                warnings.warn("The parameter 'token_pattern' will not be used since 'analyzer' != 'word'")
            if self.tokenizer is not None:
                warnings.warn("The parameter 'tokenizer' will not be used since 'analyzer' != 'word'")

    # ------------------------------------------------------------------ vocabulary
    def _validate_vocabulary(self) -> None:
        vocabulary = self.vocabulary
        if vocabulary is None:
            self.fixed_vocabulary_ = False
            return
        if isinstance(vocabulary, set):
            vocabulary = sorted(vocabulary)
        if not isinstance(vocabulary, Mapping):
            if not isinstance(vocabulary, Iterable) or isinstance(vocabulary, str):
                raise TypeError(f"vocabulary: expected a mapping or an iterable of terms, got {type(vocabulary).__name__}")
            vocab = {}
            for i, t in enumerate(vocabulary):
                if vocab.setdefault(t, i) != i:
                    raise ValueError(f"Duplicate term in vocabulary: {t!r}")
            vocabulary = vocab
        else:
            indices = set(vocabulary.values())
            if len(indices) != len(vocabulary):
                raise ValueError("Vocabulary contains repeated indices.")
            for i in range(len(vocabulary)):
                if i not in indices:
                    raise ValueError(f"Vocabulary of size {len(vocabulary)} doesn't contain index {i}.")
        if not vocabulary:
            raise ValueError("empty vocabulary passed to fit")
        self.fixed_vocabulary_ = True
        self.vocabulary_ = dict(vocabulary)

    def _check_vocabulary(self) -> None:
        if not hasattr(self, "vocabulary_"):
            self._validate_vocabulary()
            if not self.fixed_vocabulary_:
                check_is_fitted(self, "vocabulary_")  # raises NotFittedError
        if len(self.vocabulary_) == 0:
            raise ValueError("Vocabulary is empty")


class _Analyzer:
    """What ``build_analyzer()`` returns: one document -> its terms. An object rather than a closure
    so that it pickles (it keeps the vectorizer and rebuilds the batch analyzer when unpickled)."""

    def __init__(self, vectorizer):
        self.vectorizer = vectorizer
        self._analyze_many = vectorizer._build_batch_analyzer()

    def __call__(self, doc):
        return self._analyze_many([doc])[0]

    def __getstate__(self):
        return {"vectorizer": self.vectorizer}

    def __setstate__(self, state):
        self.__init__(state["vectorizer"])


def _check_in(value, name: str, options: tuple) -> None:
    if value not in options:
        raise ValueError(f"{name}: expected one of {', '.join(map(repr, options))}, got {value!r}")


class CountVectorizer(_VectorizerMixin, BaseEstimator):
    """Documents -> a sparse matrix of term counts, equal to scikit-learn's ``CountVectorizer``.

    Parameters
    ----------
    input : {'content', 'filename', 'file'}, default='content'
        What each item of ``raw_documents`` is: the text, a path to read, or an open file.
    encoding, decode_error : str
        How bytes are decoded (``bytes.decode(encoding, decode_error)``).
    strip_accents : {'ascii', 'unicode'}, callable or None
        Accent removal after lowercasing.
    lowercase : bool, default=True
    preprocessor, tokenizer : callable or None
        Replace the preprocessing (lowercase/accents) or the regular-expression tokenizer.
    analyzer : {'word', 'char', 'char_wb'} or callable, default='word'
        Word n-grams, character n-grams, or character n-grams inside word boundaries.
    stop_words : list or None
        Tokens removed before building word n-grams (scikit-learn's 'english' list is not bundled).
    token_pattern : str, default=r"(?u)\\b\\w\\w+\\b"
        What a token is (``re.findall``); with one capturing group, the group is the token.
    ngram_range : tuple (min_n, max_n), default=(1, 1)
    max_df, min_df : float in [0, 1] or int >= 1
        Drop terms whose document frequency is above ``max_df`` / below ``min_df`` (a float is a
        fraction of the number of documents).
    max_features : int or None
        Keep the ``max_features`` terms with the highest corpus counts (ties broken as scikit-learn).
    vocabulary : mapping or iterable of terms, optional
        A fixed vocabulary; then nothing is learned from the documents.
    binary : bool, default=False
        Every non-zero count becomes 1.
    dtype : numpy dtype, default=np.int64

    Attributes
    ----------
    vocabulary_ : dict
        Term -> column index (columns are the terms in sorted order unless ``vocabulary`` is given).
    fixed_vocabulary_ : bool

    Examples
    --------
    >>> from mlcanon.text import CountVectorizer
    >>> cv = CountVectorizer()
    >>> X = cv.fit_transform(["the cat sat", "the cat ate the fish"])
    >>> cv.get_feature_names_out().tolist()
    ['ate', 'cat', 'fish', 'sat', 'the']
    >>> X.toarray().tolist()
    [[0, 1, 0, 1, 1], [1, 1, 1, 0, 2]]
    """

    def __init__(self, *, input="content", encoding="utf-8", decode_error="strict", strip_accents=None,
                 lowercase=True, preprocessor=None, tokenizer=None, stop_words=None,
                 token_pattern=DEFAULT_TOKEN_PATTERN, ngram_range=(1, 1), analyzer="word", max_df=1.0,
                 min_df=1, max_features=None, vocabulary=None, binary=False, dtype=np.int64):
        self.input = input
        self.encoding = encoding
        self.decode_error = decode_error
        self.strip_accents = strip_accents
        self.preprocessor = preprocessor
        self.tokenizer = tokenizer
        self.analyzer = analyzer
        self.lowercase = lowercase
        self.token_pattern = token_pattern
        self.stop_words = stop_words
        self.max_df = max_df
        self.min_df = min_df
        self.max_features = max_features
        self.ngram_range = ngram_range
        self.vocabulary = vocabulary
        self.binary = binary
        self.dtype = dtype

    # ------------------------------------------------------------------ counting
    def _count_vocab(self, docs: list, fixed_vocab: bool):
        """Documents -> (vocabulary, CSR counts with sorted indices).

        With ``fixed_vocab`` the vocabulary is ``vocabulary_``. A learned one comes back as the
        sorted terms (columns in that order, so the matrix is built once), held lazily: the
        strings of n-grams that pruning drops are never built.
        """
        if not fixed_vocab:
            fast = _fast_count(self, docs)
            if fast is not None:
                return fast
        term_lists = self._build_batch_analyzer()(docs)
        n_docs = len(term_lists)
        lengths = np.fromiter(map(len, term_lists), dtype=np.int64, count=n_docs)
        terms = list(chain.from_iterable(term_lists))
        if fixed_vocab:
            vocabulary = self.vocabulary_
            ids = np.fromiter(map(vocabulary.get, terms, repeat(-1)), dtype=np.int64, count=len(terms))
            known = ids >= 0
            if not known.all():  # out-of-vocabulary terms are dropped, as scikit-learn does
                lengths = np.bincount(np.repeat(np.arange(n_docs), lengths)[known], minlength=n_docs)
                ids = ids[known]
            n_features = len(vocabulary)
        else:
            # first-seen ids from a defaultdict whose default is its own length (one C call a token)
            seen = defaultdict()
            seen.default_factory = seen.__len__
            ids = np.fromiter(map(seen.__getitem__, terms), dtype=np.int64, count=len(terms))
            if not seen:
                raise ValueError("empty vocabulary; perhaps the documents only contain stop words")
            sorted_terms = sorted(seen)
            first_seen = np.fromiter(map(seen.__getitem__, sorted_terms), dtype=np.int64, count=len(seen))
            rank = np.empty(len(seen), dtype=np.int64)
            rank[first_seen] = np.arange(len(seen))
            ids = rank[ids]
            vocabulary = _TermList(sorted_terms)
            n_features = len(sorted_terms)
        index_dtype = np.int32 if max(len(ids), n_features) <= np.iinfo(np.int32).max else np.int64
        indptr = np.zeros(n_docs + 1, dtype=index_dtype)
        np.cumsum(lengths, out=indptr[1:])
        X = sp.csr_matrix(
            (np.ones(len(ids), dtype=self.dtype), ids.astype(index_dtype), indptr),
            shape=(n_docs, n_features),
        )
        X.sum_duplicates()  # sorts each row's indices and adds repeated terms: the counts
        return vocabulary, X

    def _limit_features(self, X, high, low, limit):
        """Keep terms with low <= df <= high and, of those, the ``limit`` most frequent.

        Returns the reduced matrix and the kept column indices (None when all are kept).
        """
        if high is None and low is None and limit is None:
            return X, None
        dfs = np.bincount(X.indices, minlength=X.shape[1])
        mask = np.ones(len(dfs), dtype=bool)
        if high is not None:
            mask &= dfs <= high
        if low is not None:
            mask &= dfs >= low
        if limit is not None and mask.sum() > limit:
            # The same sum (same dtype) and the same unstable argsort as scikit-learn, so that
            # terms tied on their count are cut at the same place.
            tfs = np.asarray(X.sum(axis=0)).ravel()
            mask_inds = (-tfs[mask]).argsort()[:limit]
            new_mask = np.zeros(len(dfs), dtype=bool)
            new_mask[np.where(mask)[0][mask_inds]] = True
            mask = new_mask
        kept = np.flatnonzero(mask)
        if len(kept) == 0:
            raise ValueError("After pruning, no terms remain. Try a lower min_df or a higher max_df.")
        if len(kept) == len(dfs):
            return X, None
        return _keep_columns(X, mask, np.cumsum(mask) - 1), kept

    # ------------------------------------------------------------------ public API
    def fit(self, raw_documents, y=None):
        """Learn the vocabulary of ``raw_documents`` (an iterable of str). Returns ``self``."""
        self.fit_transform(raw_documents)
        return self

    def fit_transform(self, raw_documents, y=None):
        """Learn the vocabulary and return the document-term count matrix (CSR, n_docs x n_terms)."""
        docs = _check_documents(raw_documents)
        self._check_vectorizer_params()
        self._warn_for_unused_params()
        self._validate_vocabulary()
        if self.fixed_vocabulary_ and self.lowercase:
            if any(any(map(str.isupper, t)) for t in self.vocabulary_ if isinstance(t, str)):
                warnings.warn(
                    "Upper case characters found in vocabulary while 'lowercase' is True. "
                    "These entries will not be matched with any documents"
                )
        vocabulary, X = self._count_vocab(docs, self.fixed_vocabulary_)
        if self.binary:
            X.data.fill(1)
        if not self.fixed_vocabulary_:
            n_doc = X.shape[0]
            max_doc_count = self.max_df if isinstance(self.max_df, numbers.Integral) else self.max_df * n_doc
            min_doc_count = self.min_df if isinstance(self.min_df, numbers.Integral) else self.min_df * n_doc
            if max_doc_count < min_doc_count:
                raise ValueError("max_df corresponds to < documents than min_df")
            X, kept = self._limit_features(X, max_doc_count, min_doc_count, self.max_features)
            terms = vocabulary.take(kept)
            self.vocabulary_ = dict(zip(terms, range(len(terms))))
        return X

    def transform(self, raw_documents):
        """Count the terms of the fitted vocabulary in ``raw_documents`` (unknown terms are ignored)."""
        docs = _check_documents(raw_documents)
        self._check_vocabulary()
        _, X = self._count_vocab(docs, fixed_vocab=True)
        if self.binary:
            X.data.fill(1)
        return X

    def inverse_transform(self, X):
        """For each row of ``X``, the array of terms with a non-zero entry."""
        self._check_vocabulary()
        X = sp.csr_matrix(X) if not sp.issparse(X) else X.tocsr()
        if X.ndim != 2 or X.shape[1] != len(self.vocabulary_):
            raise ValueError(
                f"X: expected a matrix with {len(self.vocabulary_)} columns (the vocabulary size), got shape {X.shape}"
            )
        names = self.get_feature_names_out()
        X = X.copy()
        X.eliminate_zeros()
        X.sort_indices()
        return [names[X.indices[X.indptr[i]:X.indptr[i + 1]]] for i in range(X.shape[0])]

    def get_feature_names_out(self, input_features=None):
        """The terms in column order (an object array of str)."""
        self._check_vocabulary()
        return np.asarray([t for t, _ in sorted(self.vocabulary_.items(), key=operator.itemgetter(1))], dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.two_d_array = False
        return tags


# --------------------------------------------------------------------------------------------
# Whole-corpus counting: n-grams as integer keys whose numeric order is the terms' string order
# --------------------------------------------------------------------------------------------
# A word n-gram (t1 .. tn) is the key sum_k (rank(t_k) + 1) * B**(max_n - 1 - k), B = V + 1, with
# rank the position of the token in the sorted unigram vocabulary and a 0 digit for "no token".
# Comparing keys compares the token tuples lexicographically, a shorter prefix first; that is the
# order of the space-joined strings as long as every token character sorts after ' ' (true for
# \w tokens, checked otherwise). A character n-gram is the same, its digits 1 + the rank of each
# character among the distinct code points of the corpus.
# So n-grams are counted, de-duplicated and sorted with np.unique, and only the distinct n-grams
# are ever joined into Python strings.
def _fast_count(vec, docs: list):
    """(vocabulary, counts) for a learned vocabulary, or None when the general path must be taken."""
    if callable(vec.analyzer):
        return None
    if vec.analyzer == "word" and vec.tokenizer is not None:
        return None
    docs = vec._decode_all(docs)
    plain_lower = vec.preprocessor is None and not vec.strip_accents and vec.lowercase
    preprocess = str.lower if plain_lower else vec.build_preprocessor()
    texts = list(map(preprocess, docs))
    if vec.analyzer == "char":
        return _fast_count_chars(vec, texts)
    if vec.analyzer == "char_wb":
        return _fast_count_char_wb(vec, texts)
    return _fast_count_words(vec, texts)


def _fast_count_words(vec, texts: list):
    stop_words = vec.get_stop_words()
    tokenize = vec.build_tokenizer()
    vec._check_stop_words_consistency(stop_words, vec.build_preprocessor(), tokenize)
    token_lists = list(map(tokenize, texts))
    lengths = np.fromiter(map(len, token_lists), dtype=np.int64, count=len(texts))
    tokens = list(chain.from_iterable(token_lists))
    seen = defaultdict()
    seen.default_factory = seen.__len__
    ids = np.fromiter(map(seen.__getitem__, tokens), dtype=np.int64, count=len(tokens))
    del tokens, token_lists
    if stop_words:
        stopped = np.fromiter((t in stop_words for t in seen), dtype=bool, count=len(seen))
        keep = ~stopped[ids]
        lengths = np.bincount(np.repeat(np.arange(len(texts)), lengths)[keep], minlength=len(texts))
        ids = ids[keep]
        used = np.zeros(len(seen), dtype=bool)
        used[ids] = True
        vocab_tokens = [t for t, u in zip(seen, used.tolist()) if u]
        relabel = np.cumsum(used) - 1
        ids = relabel[ids]
    else:
        vocab_tokens = list(seen)
    if not vocab_tokens:
        raise ValueError("empty vocabulary; perhaps the documents only contain stop words")
    if vec.token_pattern != DEFAULT_TOKEN_PATTERN and not all(t and min(t) > " " for t in vocab_tokens):
        return None  # a token with a space (or less) in it would break the key order
    order = sorted(range(len(vocab_tokens)), key=vocab_tokens.__getitem__)
    sorted_tokens = [vocab_tokens[i] for i in order]
    rank = np.empty(len(order), dtype=np.int64)
    rank[np.asarray(order, dtype=np.int64)] = np.arange(len(order))
    digits = rank[ids] + 1
    min_n, max_n = vec.ngram_range
    base = len(sorted_tokens) + 1
    if base ** max_n >= 2**63:
        return None
    keys, rows = _ngram_keys(digits, lengths, min_n, max_n, base)
    if len(keys) == 0:
        raise ValueError("empty vocabulary; perhaps the documents only contain stop words")
    uniq, X = _counts_from_keys(keys, rows, len(texts), vec.dtype, base**max_n)
    return _TermList(partial(_word_terms, uniq, max_n=max_n, base=base,
                             tokens=np.asarray(sorted_tokens, dtype=object)), len(uniq)), X


def _fast_count_chars(vec, texts: list):
    min_n, max_n = vec.ngram_range
    texts = [_WHITE_SPACES.sub(" ", t) for t in texts]
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    coded = _char_codes("".join(texts), max_n)
    if coded is None:
        return None
    digits, alphabet = coded
    base = len(alphabet) + 1
    keys, rows = _ngram_keys(digits, lengths, min_n, max_n, base)
    if len(keys) == 0:
        raise ValueError("empty vocabulary; perhaps the documents only contain stop words")
    uniq, X = _counts_from_keys(keys, rows, len(texts), vec.dtype, base**max_n)
    return _TermList(partial(_char_terms, uniq, max_n=max_n, alphabet=alphabet), len(uniq)), X


def _char_codes(text: str, max_n: int):
    """(digits, alphabet): each character as 1 + its rank among the distinct code points of the
    corpus (sorted, so key order stays string order); None when the keys cannot work."""
    try:
        codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    except UnicodeEncodeError:  # lone surrogates
        return None
    present = np.bincount(codes, minlength=1) > 0
    if present[0]:
        return None  # a NUL character would read as "no character" when the terms are decoded
    alphabet = np.flatnonzero(present).astype(np.uint32)
    if (len(alphabet) + 1) ** max_n >= 2**63:
        return None
    rank = np.cumsum(present, dtype=np.int64)  # 1-based rank of each present code point
    return rank[codes], alphabet


def _char_terms(uniq: np.ndarray, kept, *, max_n: int, alphabet: np.ndarray) -> list:
    """Distinct character n-gram keys (those at ``kept``, or all) -> their strings."""
    if kept is not None:
        uniq = uniq[kept]
    base = len(alphabet) + 1
    cols = np.empty((len(uniq), max_n), dtype=np.uint32)
    rest = uniq.copy()
    for k in range(max_n - 1, -1, -1):
        d = rest % base
        rest //= base
        cols[:, k] = np.where(d > 0, alphabet[np.maximum(d - 1, 0)], 0)
    # UTF-32 code units viewed as numpy str: trailing zeros (absent characters) are dropped
    return cols.view(f"<U{max_n}").ravel().tolist()


def _fast_count_char_wb(vec, texts: list):
    """``char_wb``: n-grams inside each word padded with one space; a word of length L <= n
    (with its padding) is one term, counted once (scikit-learn's rule)."""
    min_n, max_n = vec.ngram_range
    word_lists = [_WHITE_SPACES.sub(" ", t).split() for t in texts]
    n_words = np.fromiter(map(len, word_lists), dtype=np.int64, count=len(texts))
    words = list(chain.from_iterable(word_lists))
    if not words:
        raise ValueError("empty vocabulary; perhaps the documents only contain stop words")
    seg_len = np.fromiter(map(len, words), dtype=np.int64, count=len(words)) + 2  # padded
    coded = _char_codes(" " + "  ".join(words) + " ", max_n)
    if coded is None:
        return None
    digits, alphabet = coded
    base = len(alphabet) + 1
    seg_doc = np.repeat(np.arange(len(texts), dtype=np.int64), n_words)
    pos_seg = np.repeat(np.arange(len(words), dtype=np.int64), seg_len)
    starts = np.zeros(len(words), dtype=np.int64)
    np.cumsum(seg_len[:-1], out=starts[1:])
    left = seg_len[pos_seg] - (np.arange(len(digits), dtype=np.int64) - starts[pos_seg])
    keys, rows = [], []
    for n in range(min_n, max_n + 1):  # windows of words longer than n
        at = np.flatnonzero((left >= n) & (seg_len[pos_seg] > n))
        keys.append(_window_keys(digits, at, n, max_n, base))
        rows.append(seg_doc[pos_seg[at]])
    whole = np.flatnonzero(seg_len <= max_n)  # short words: the padded word itself, once
    for n in np.unique(seg_len[whole]):
        segs = whole[seg_len[whole] == n]
        keys.append(_window_keys(digits, starts[segs], int(n), max_n, base))
        rows.append(seg_doc[segs])
    keys, rows = np.concatenate(keys), np.concatenate(rows)
    uniq, X = _counts_from_keys(keys, rows, len(texts), vec.dtype, base**max_n)
    return _TermList(partial(_char_terms, uniq, max_n=max_n, alphabet=alphabet), len(uniq)), X


def _window_keys(digits: np.ndarray, at: np.ndarray, n: int, max_n: int, base: int) -> np.ndarray:
    """Keys of the length-n windows starting at positions ``at`` (zero digits pad up to max_n)."""
    key = np.zeros(len(at), dtype=np.int64)
    for k in range(max_n):
        key *= base
        if k < n:
            key += digits[at + k]
    return key


def _ngram_keys(digits: np.ndarray, lengths: np.ndarray, min_n: int, max_n: int, base: int):
    """Integer keys of every n-gram (min_n <= n <= max_n) that lies inside one document, and its row."""
    n_docs = len(lengths)
    rows_all = np.repeat(np.arange(n_docs, dtype=np.int64), lengths)
    starts = np.zeros(n_docs, dtype=np.int64)
    np.cumsum(lengths[:-1], out=starts[1:])
    left = lengths[rows_all] - (np.arange(len(digits), dtype=np.int64) - starts[rows_all])  # tokens from here on
    keys, rows = [], []
    for n in range(min_n, max_n + 1):
        at = np.flatnonzero(left >= n)
        keys.append(_window_keys(digits, at, n, max_n, base))
        rows.append(rows_all[at])
    return np.concatenate(keys), np.concatenate(rows)


def _counts_from_keys(keys: np.ndarray, rows: np.ndarray, n_docs: int, dtype, key_space: int):
    """Sorted distinct keys and the CSR matrix of their counts per document (``0 <= keys < key_space``)."""
    if key_space <= max(1 << 22, 8 * len(keys)):
        # small key space: distinct keys by a bincount, O(n), no sort
        present = np.bincount(keys, minlength=key_space) > 0
        uniq = np.flatnonzero(present)
        cols = (np.cumsum(present) - 1)[keys]
    else:
        # one argsort; equal neighbours share a column (np.unique(return_inverse) costs ~10x more)
        order = np.argsort(keys, kind="stable")  # mergesort: much faster than introsort on repeated keys
        sorted_keys = keys[order]
        first = np.empty(len(keys), dtype=bool)
        first[:1] = True
        np.not_equal(sorted_keys[1:], sorted_keys[:-1], out=first[1:])
        uniq = sorted_keys[first]
        cols = np.empty(len(keys), dtype=np.int64)
        cols[order] = np.cumsum(first) - 1
    index_dtype = np.int32 if max(len(keys), len(uniq)) <= np.iinfo(np.int32).max else np.int64
    X = sp.coo_matrix(
        (np.ones(len(keys), dtype=dtype), (rows.astype(index_dtype), cols.astype(index_dtype))),
        shape=(n_docs, len(uniq)),
    ).tocsr()  # counting sort by row, then duplicates summed
    X.sum_duplicates()
    return uniq, X


def _word_terms(uniq: np.ndarray, kept, *, max_n: int, base: int, tokens: np.ndarray) -> list:
    """Distinct word n-gram keys (those at ``kept``, or all) -> their space-joined strings."""
    if kept is not None:
        uniq = uniq[kept]
    digits = np.empty((len(uniq), max_n), dtype=np.int64)
    rest = uniq.copy()
    for k in range(max_n - 1, -1, -1):
        digits[:, k] = rest % base
        rest //= base
    n_of = (digits > 0).sum(axis=1)
    terms = np.empty(len(uniq), dtype=object)
    for n in np.unique(n_of):
        at = np.flatnonzero(n_of == n)
        parts = [tokens[digits[at, k] - 1].tolist() for k in range(n)]
        terms[at] = parts[0] if n == 1 else list(map(" ".join, zip(*parts)))
    return terms.tolist()


class _TermList:
    """The sorted terms of a learned vocabulary: a list, or a function that builds the strings of
    the terms at given column indices (so that pruned n-grams are never joined into strings)."""

    def __init__(self, terms, size: int | None = None):
        self._terms = terms
        self._size = len(terms) if size is None else size

    def __len__(self) -> int:
        return self._size

    def take(self, kept) -> list:
        """The terms at column indices ``kept`` (all of them when ``kept`` is None)."""
        if callable(self._terms):
            return self._terms(kept)
        if kept is None:
            return list(self._terms)
        return [self._terms[i] for i in kept.tolist()]


def _keep_columns(X, mask: np.ndarray, new_index: np.ndarray):
    """Columns ``mask`` of CSR ``X``, renumbered by ``new_index`` (order kept, so rows stay sorted)."""
    keep = mask[X.indices]
    rows = np.repeat(np.arange(X.shape[0]), np.diff(X.indptr))[keep]
    indptr = np.zeros(X.shape[0] + 1, dtype=X.indptr.dtype)
    np.cumsum(np.bincount(rows, minlength=X.shape[0]), out=indptr[1:])
    out = sp.csr_matrix(
        (X.data[keep], new_index[X.indices[keep]].astype(X.indices.dtype), indptr),
        shape=(X.shape[0], int(mask.sum())),
    )
    out.has_sorted_indices = True
    return out


# --------------------------------------------------------------------------------------------
# TF-IDF
# --------------------------------------------------------------------------------------------
def _as_float_csr(X, copy: bool, name: str = "X"):
    """Counts (sparse or dense) -> CSR of float64 (float32 kept), finite, 2-D."""
    if sp.issparse(X):
        X = X.tocsr()
        dtype = X.dtype if X.dtype in (np.float64, np.float32) else np.float64
        X = X.astype(dtype, copy=copy) if copy or X.dtype != dtype else X
        X = sp.csr_matrix(X) if not isinstance(X, sp.csr_matrix) else X
    else:
        arr = check_array(X, name, ndim=2)
        dtype = arr.dtype if arr.dtype in (np.float64, np.float32) else np.float64
        X = sp.csr_matrix(arr.astype(dtype))
    if X.shape[0] < 1 or X.shape[1] < 1:
        raise ValueError(f"{name}: expected at least 1 sample and 1 feature, got shape {X.shape}")
    if not np.isfinite(X.data).all():
        raise ValueError(f"{name}: expected finite values, got NaN or infinity")
    return X


def _row_ids(X) -> np.ndarray:
    return np.repeat(np.arange(X.shape[0], dtype=np.intp), np.diff(X.indptr))


def _normalize_rows(X, norm: str) -> None:
    """Divide each row of CSR ``X`` in place by its l1 or l2 norm (all-zero rows stay zero).

    ``np.bincount`` adds each row's terms in order, as scikit-learn's Cython loop does.
    """
    rows = _row_ids(X)
    data = X.data
    weights = np.abs(data) if norm == "l1" else data * data
    norms = np.bincount(rows, weights=weights, minlength=X.shape[0])
    if norm == "l2":
        np.sqrt(norms, out=norms)
    norms[norms == 0.0] = 1.0
    if data.dtype == np.float64:
        data /= norms[rows]
    else:  # float32: divide in double and round once, as scikit-learn's Cython loop does
        data[:] = data / norms[rows]


class TfidfTransformer(TransformerMixin, BaseEstimator):
    """Counts -> TF-IDF weights, equal to scikit-learn's ``TfidfTransformer``.

    Parameters
    ----------
    norm : {'l2', 'l1'} or None, default='l2'
    use_idf : bool, default=True
    smooth_idf : bool, default=True
        Add one to every document frequency and to n, as if one document held every term once.
    sublinear_tf : bool, default=False
        Replace tf by 1 + log(tf).

    Attributes
    ----------
    idf_ : ndarray of shape (n_features,)
        Only when ``use_idf``.
    n_features_in_ : int

    Examples
    --------
    >>> import numpy as np
    >>> from mlcanon.text import TfidfTransformer
    >>> X = TfidfTransformer().fit_transform(np.array([[1, 0], [1, 2]]))
    >>> np.round(X.toarray(), 3).tolist()
    [[1.0, 0.0], [0.335, 0.942]]
    """

    def __init__(self, *, norm="l2", use_idf=True, smooth_idf=True, sublinear_tf=False):
        self.norm = norm
        self.use_idf = use_idf
        self.smooth_idf = smooth_idf
        self.sublinear_tf = sublinear_tf

    def _check_params(self) -> None:
        _check_in(self.norm, "norm", ("l1", "l2", None))
        for key in ("use_idf", "smooth_idf", "sublinear_tf"):
            if not isinstance(getattr(self, key), (bool, np.bool_)):
                raise TypeError(f"{key}: expected a bool, got {getattr(self, key)!r}")

    def fit(self, X, y=None):
        """Learn idf from the count matrix ``X`` of shape (n_samples, n_features). Returns ``self``."""
        self._check_params()
        X = _as_float_csr(X, copy=False)
        self.n_features_in_ = X.shape[1]
        if self.use_idf:
            self.idf_ = _idf(X, self.smooth_idf)
        elif hasattr(self, "idf_"):
            del self.idf_
        return self

    def transform(self, X, copy=True):
        """TF-IDF of the count matrix ``X`` (CSR, float64 unless ``X`` is float32).

        A transformer is ready after ``fit``, or once ``idf_`` is set by hand (copied from another
        one, as scikit-learn allows); then ``X`` must have ``len(idf_)`` columns."""
        if not hasattr(self, "idf_"):
            check_is_fitted(self, "n_features_in_")
        X = _as_float_csr(X, copy=copy)
        expected = getattr(self, "n_features_in_", None)
        expected = len(self.idf_) if expected is None else expected
        if X.shape[1] != expected:
            raise ValueError(
                f"X has {X.shape[1]} features, but {type(self).__name__} is expecting "
                f"{expected} features as input."
            )
        return _tfidf_inplace(X, getattr(self, "idf_", None), self.sublinear_tf, self.norm)

    def get_feature_names_out(self, input_features=None):
        """``input_features`` or ``x0 .. x{n-1}`` (one output column per input column)."""
        check_is_fitted(self, "n_features_in_")
        if input_features is None:
            return np.asarray([f"x{i}" for i in range(self.n_features_in_)], dtype=object)
        return np.asarray(input_features, dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags


def _idf(X, smooth_idf: bool) -> np.ndarray:
    """idf = log((n + s) / (df + s)) + 1 with s = 1 if smooth_idf else 0 (df: stored entries a column)."""
    dtype = X.dtype
    df = np.bincount(X.indices, minlength=X.shape[1]).astype(dtype)
    df += float(smooth_idf)
    n_samples = X.shape[0] + int(smooth_idf)
    idf = np.full_like(df, fill_value=n_samples, dtype=dtype)
    idf /= df
    np.log(idf, out=idf)
    idf += 1.0
    return idf


def _tfidf_inplace(X, idf, sublinear_tf: bool, norm):
    if sublinear_tf:
        np.log(X.data, out=X.data)
        X.data += 1.0
    if idf is not None:
        X.data *= idf[X.indices]
    if norm is not None:
        _normalize_rows(X, norm)
    return X


class TfidfVectorizer(CountVectorizer):
    """Documents -> TF-IDF matrix: ``CountVectorizer`` then ``TfidfTransformer``, equal to scikit-learn's.

    Takes every parameter of :class:`CountVectorizer` (``dtype`` defaults to float64) and of
    :class:`TfidfTransformer` (``norm``, ``use_idf``, ``smooth_idf``, ``sublinear_tf``).

    Attributes
    ----------
    vocabulary_ : dict
    idf_ : ndarray of shape (n_features,)

    Examples
    --------
    >>> from mlcanon.text import TfidfVectorizer
    >>> tv = TfidfVectorizer()
    >>> X = tv.fit_transform(["the cat sat", "the cat ate the fish"])
    >>> X.shape, tv.vocabulary_["fish"]
    ((2, 5), 2)
    >>> round(float(tv.idf_[tv.vocabulary_["the"]]), 6)
    1.0
    """

    def __init__(self, *, input="content", encoding="utf-8", decode_error="strict", strip_accents=None,
                 lowercase=True, preprocessor=None, tokenizer=None, analyzer="word", stop_words=None,
                 token_pattern=DEFAULT_TOKEN_PATTERN, ngram_range=(1, 1), max_df=1.0, min_df=1,
                 max_features=None, vocabulary=None, binary=False, dtype=np.float64, norm="l2",
                 use_idf=True, smooth_idf=True, sublinear_tf=False):
        super().__init__(input=input, encoding=encoding, decode_error=decode_error,
                         strip_accents=strip_accents, lowercase=lowercase, preprocessor=preprocessor,
                         tokenizer=tokenizer, analyzer=analyzer, stop_words=stop_words,
                         token_pattern=token_pattern, ngram_range=ngram_range, max_df=max_df,
                         min_df=min_df, max_features=max_features, vocabulary=vocabulary,
                         binary=binary, dtype=dtype)
        self.norm = norm
        self.use_idf = use_idf
        self.smooth_idf = smooth_idf
        self.sublinear_tf = sublinear_tf

    @property
    def idf_(self):
        """Inverse document frequency of each column (only with ``use_idf=True``)."""
        check_is_fitted(self, "_tfidf")
        return self._tfidf.idf_

    @idf_.setter
    def idf_(self, value):
        """Set the idf weights by hand (scikit-learn's setter): with ``use_idf`` only, and one weight
        per term of the vocabulary when the vocabulary is known."""
        if not self.use_idf:
            raise ValueError("idf_: cannot be set with use_idf=False (scikit-learn: `idf_` cannot be set when "
                             "`user_idf=False`.)")
        value = np.asarray(value, dtype=np.float64)
        if value.ndim != 1:
            raise ValueError(f"idf_: expected a 1-D array of one weight per term, got shape {value.shape}")
        self._validate_vocabulary()
        if hasattr(self, "vocabulary_") and len(self.vocabulary_) != len(value):
            raise ValueError(f"idf_: expected {len(self.vocabulary_)} weights (the vocabulary size), got {len(value)}")
        if not hasattr(self, "_tfidf"):
            self._tfidf = self._new_tfidf()
        self._tfidf.idf_ = value

    def _new_tfidf(self) -> TfidfTransformer:
        if np.dtype(self.dtype) not in (np.float64, np.float32):
            warnings.warn(
                f"Only (np.float64, np.float32) 'dtype' should be used. {self.dtype} 'dtype' will be "
                "converted to np.float64.",
                UserWarning,
            )
        tfidf = TfidfTransformer(norm=self.norm, use_idf=self.use_idf, smooth_idf=self.smooth_idf,
                                 sublinear_tf=self.sublinear_tf)
        tfidf._check_params()
        return tfidf

    def fit(self, raw_documents, y=None):
        """Learn vocabulary and idf from ``raw_documents``. Returns ``self``."""
        tfidf = self._new_tfidf()
        tfidf.fit(super().fit_transform(raw_documents))
        self._tfidf = tfidf
        return self

    def fit_transform(self, raw_documents, y=None):
        """Learn vocabulary and idf; return the TF-IDF matrix (CSR, n_docs x n_terms)."""
        tfidf = self._new_tfidf()
        X = super().fit_transform(raw_documents)
        tfidf.fit(X)
        self._tfidf = tfidf
        return tfidf.transform(X, copy=False)

    def transform(self, raw_documents):
        """TF-IDF of ``raw_documents`` with the fitted vocabulary and idf."""
        check_is_fitted(self, "_tfidf")
        return self._tfidf.transform(super().transform(raw_documents), copy=False)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags._skip_test = True
        return tags
