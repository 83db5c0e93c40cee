"""CountVectorizer / TfidfTransformer / TfidfVectorizer against scikit-learn on real corpora."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlcanon import data
from mlcanon.text import CountVectorizer, TfidfTransformer, TfidfVectorizer

skt = pytest.importorskip("sklearn.feature_extraction.text")


@pytest.fixture(scope="module")
def trec():
    return data.load("trec", "train").texts[:3000]


@pytest.fixture(scope="module")
def trec_test():
    return data.load("trec", "test").texts


@pytest.fixture(scope="module")
def sst2():
    return data.load("sst2", "dev").texts


@pytest.fixture(scope="module")
def zh():
    return data.load("chnsenticorp", "dev").texts[:250]


def canonical(X):
    """(row, col, value) triples in row-major order, whatever order the rows store them in."""
    M = sp.coo_matrix(X)
    order = np.lexsort((M.col, M.row))
    return M.row[order], M.col[order], M.data[order]


def assert_same_matrix(ours, ref, tol=1e-12):
    assert isinstance(ours, sp.csr_matrix)
    assert ours.shape == ref.shape and ours.dtype == ref.dtype
    ro, co, do = canonical(ours)
    rr, cr, dr = canonical(ref)
    np.testing.assert_array_equal(ro, rr)
    np.testing.assert_array_equal(co, cr)
    np.testing.assert_allclose(do, dr, rtol=0, atol=tol)
    # ours is canonical: indices sorted within each row, no duplicates
    assert all(np.all(np.diff(ours.indices[a:b]) > 0) for a, b in zip(ours.indptr[:-1], ours.indptr[1:]))


def fit_both(options, docs, kind="tfidf"):
    ours_cls, ref_cls = {
        "tfidf": (TfidfVectorizer, skt.TfidfVectorizer),
        "count": (CountVectorizer, skt.CountVectorizer),
    }[kind]
    ours, ref = ours_cls(**options), ref_cls(**options)
    Xo, Xr = ours.fit_transform(docs), ref.fit_transform(docs)
    return ours, ref, Xo, Xr


def assert_same_fit(ours, ref, Xo, Xr):
    assert ours.vocabulary_ == ref.vocabulary_
    np.testing.assert_array_equal(ours.get_feature_names_out(), ref.get_feature_names_out())
    assert_same_matrix(Xo, Xr)
    if hasattr(ref, "_tfidf") and ref.use_idf:
        np.testing.assert_allclose(ours.idf_, ref.idf_, rtol=0, atol=1e-12)


# ---------------------------------------------------------------------------------------------
# A hand-checkable case
# ---------------------------------------------------------------------------------------------
def test_tiny_counts_and_tfidf_by_hand():
    docs = ["the cat sat", "the cat ate the fish"]
    cv = CountVectorizer()
    X = cv.fit_transform(docs)
    assert cv.vocabulary_ == {"ate": 0, "cat": 1, "fish": 2, "sat": 3, "the": 4}
    assert X.toarray().tolist() == [[0, 1, 0, 1, 1], [1, 1, 1, 0, 2]]
    tv = TfidfVectorizer(smooth_idf=False, norm=None)
    T = tv.fit_transform(docs).toarray()
    # idf = log(n / df) + 1 with n = 2: terms in both documents get 1, the others 1 + log 2
    np.testing.assert_allclose(tv.idf_, [1 + np.log(2), 1, 1 + np.log(2), 1 + np.log(2), 1])
    np.testing.assert_allclose(T[1], [1 + np.log(2), 1, 1 + np.log(2), 0, 2])


# ---------------------------------------------------------------------------------------------
# Parity on real corpora over a grid of options
# ---------------------------------------------------------------------------------------------
GRID = [
    {},
    {"lowercase": False},
    {"ngram_range": (1, 2)},
    {"ngram_range": (2, 3), "min_df": 2},
    {"ngram_range": (1, 3), "max_df": 0.3, "min_df": 0.001},
    {"min_df": 3, "max_df": 500},
    {"max_features": 500},
    {"max_features": 1234, "ngram_range": (1, 2)},
    {"norm": "l1", "sublinear_tf": True},
    {"norm": None, "use_idf": False},
    {"smooth_idf": False, "binary": True},
    {"sublinear_tf": True, "ngram_range": (1, 2), "binary": True, "norm": "l1"},
    {"stop_words": ["what", "is", "the", "of", "a"], "ngram_range": (1, 2)},
    {"token_pattern": r"(?u)\b\w+\b"},
    {"token_pattern": r"(\w+)'s"},
    {"dtype": np.float32},
]


@pytest.mark.parametrize("options", GRID, ids=[str(g) for g in GRID])
def test_tfidf_matches_sklearn_on_trec(options, trec):
    assert_same_fit(*fit_both(options, trec))


@pytest.mark.parametrize("options", [{}, {"ngram_range": (1, 2), "sublinear_tf": True}, {"max_features": 3000}])
def test_tfidf_matches_sklearn_on_sst2(options, sst2):
    assert_same_fit(*fit_both(options, sst2))


@pytest.mark.parametrize(
    "options",
    [
        {"analyzer": "char"},
        {"analyzer": "char", "ngram_range": (1, 2), "sublinear_tf": True},
        {"analyzer": "char", "ngram_range": (2, 3), "min_df": 2},
        {"analyzer": "char", "ngram_range": (1, 4)},
        {"analyzer": "char", "ngram_range": (5, 6)},  # 5000+ distinct characters: too many for the keys, general path
        {"analyzer": "char_wb", "ngram_range": (1, 3)},
        {"token_pattern": r"(?u)\w", "ngram_range": (1, 2)},
    ],
)
def test_tfidf_matches_sklearn_on_chinese(options, zh):
    assert_same_fit(*fit_both(options, zh))


@pytest.mark.parametrize(
    "options",
    [{}, {"binary": True}, {"max_features": 300}, {"ngram_range": (1, 2), "max_df": 0.5}, {"dtype": np.int32}],
)
def test_count_matches_sklearn(options, trec):
    assert_same_fit(*fit_both(options, trec, kind="count"))


def test_max_features_ties_cut_as_sklearn(trec):
    # Most counts near the cut are tied (many terms occur exactly k times); scikit-learn keeps
    # whichever its argsort puts first, and so must we.
    ref = skt.CountVectorizer().fit(trec)
    counts = np.asarray(ref.transform(trec).sum(axis=0)).ravel()
    for limit in (100, 1000, 2500):
        cut = np.sort(counts)[::-1][limit - 1]
        assert (counts == cut).sum() > 1  # the cut really falls inside a tie
        assert_same_fit(*fit_both({"max_features": limit}, trec, kind="count"))


def test_transform_unseen_documents(trec, trec_test):
    for options in ({}, {"ngram_range": (1, 2), "min_df": 2}, {"analyzer": "char_wb", "ngram_range": (2, 3)}):
        ours, ref, _, _ = fit_both(options, trec)
        assert_same_matrix(ours.transform(trec_test), ref.transform(trec_test))


def test_fixed_vocabulary(trec):
    vocab = ["what", "who", "city", "river", "how many", "zzz-not-there"]
    for vocabulary in (vocab, {t: i for i, t in enumerate(vocab)}, set(vocab)):
        options = {"vocabulary": vocabulary, "ngram_range": (1, 2)}
        ours, ref, Xo, Xr = fit_both(options, trec)
        assert ours.fixed_vocabulary_ and ours.vocabulary_ == ref.vocabulary_
        assert_same_matrix(Xo, Xr)
    # transform without fit works with a fixed vocabulary, as in scikit-learn
    assert_same_matrix(CountVectorizer(vocabulary=vocab).transform(trec),
                       skt.CountVectorizer(vocabulary=vocab).transform(trec))


def test_tfidf_transformer_matches_sklearn(trec):
    counts = skt.CountVectorizer(ngram_range=(1, 2)).fit_transform(trec)
    for options in ({}, {"norm": "l1", "sublinear_tf": True}, {"use_idf": False}, {"smooth_idf": False, "norm": None}):
        ours, ref = TfidfTransformer(**options), skt.TfidfTransformer(**options)
        assert_same_matrix(ours.fit_transform(counts), ref.fit_transform(counts))
        if ref.use_idf:
            np.testing.assert_allclose(ours.idf_, ref.idf_, rtol=0, atol=1e-12)
    dense = counts[:200].toarray()
    assert_same_matrix(TfidfTransformer().fit_transform(dense), skt.TfidfTransformer().fit_transform(dense))


def test_inverse_transform(trec):
    cv = CountVectorizer().fit(trec[:100])
    ref = skt.CountVectorizer().fit(trec[:100])
    X = cv.transform(trec[:100])
    for a, b in zip(cv.inverse_transform(X), ref.inverse_transform(X)):
        assert sorted(a) == sorted(b)


# ---------------------------------------------------------------------------------------------
# Properties (hypothesis)
# ---------------------------------------------------------------------------------------------
WORDS = ["a", "é", "the", "The", "cat", "naïve", "日本", "語", "x_y", "42", "it's", "ab", "b"]
SEPS = [" ", "  ", ", ", "\n", "\t", "-", "!? ", "\u3000"]


@st.composite
def corpora(draw):
    n_docs = draw(st.integers(1, 8))
    docs = []
    for _ in range(n_docs):
        n = draw(st.integers(0, 12))
        parts = [draw(st.sampled_from(WORDS)) + draw(st.sampled_from(SEPS)) for _ in range(n)]
        docs.append("".join(parts))
    return docs


OPTIONS = st.fixed_dictionaries({
    "lowercase": st.booleans(),
    "ngram_range": st.sampled_from([(1, 1), (1, 2), (2, 3), (1, 3), (3, 3)]),
    "analyzer": st.sampled_from(["word", "char", "char_wb"]),
    "min_df": st.sampled_from([1, 2, 0.0, 0.3]),
    "max_df": st.sampled_from([1.0, 0.8, 3]),
    "max_features": st.sampled_from([None, 1, 3, 10]),
    "binary": st.booleans(),
    "norm": st.sampled_from(["l2", "l1", None]),
    "use_idf": st.booleans(),
    "smooth_idf": st.booleans(),
    "sublinear_tf": st.booleans(),
})


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(docs=corpora(), options=OPTIONS)
def test_random_corpora_and_options_match_sklearn(docs, options):
    ours, ref = TfidfVectorizer(**options), skt.TfidfVectorizer(**options)
    try:
        Xr = ref.fit_transform(docs)
    except ValueError as exc:
        with pytest.raises(ValueError, match=re.escape(str(exc)[:30])):
            ours.fit_transform(docs)
        return
    assert_same_fit(ours, ref, ours.fit_transform(docs), Xr)


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40))
def test_default_pattern_equals_plain_word_runs(text):
    # the fast tokenizer relies on \b\w\w+\b and \w\w+ finding the same tokens
    assert re.findall(r"(?u)\b\w\w+\b", text) == re.findall(r"\w\w+", text)


# ---------------------------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------------------------
def test_errors():
    with pytest.raises(ValueError, match="empty vocabulary; perhaps the documents only contain stop words"):
        TfidfVectorizer().fit_transform(["a b", "! ?"])
    with pytest.raises(ValueError, match="empty vocabulary; perhaps"):
        CountVectorizer(stop_words=["cat", "dog"]).fit(["cat dog", "dog"])
    with pytest.raises(ValueError, match="max_df corresponds to < documents than min_df"):
        CountVectorizer(min_df=3, max_df=0.1).fit(["aa bb", "bb cc", "cc dd"])
    with pytest.raises(ValueError, match="After pruning, no terms remain"):
        CountVectorizer(min_df=3).fit(["aa bb", "bb cc", "cc dd"])
    with pytest.raises(ValueError, match="Iterable over raw text documents expected, string object received"):
        TfidfVectorizer().fit_transform("one single string")
    with pytest.raises(ValueError, match="Iterable over raw text documents expected"):
        CountVectorizer().fit(["aa"]).transform("aa bb")
    with pytest.raises(ValueError, match="lower boundary larger than the upper boundary"):
        CountVectorizer(ngram_range=(2, 1)).fit(["aa bb"])
    with pytest.raises(ValueError, match="max_df: .*float in the range"):
        CountVectorizer(max_df=1.5).fit(["aa bb"])
    with pytest.raises(ValueError, match="min_df: .*int in the range"):
        CountVectorizer(min_df=0).fit(["aa bb"])
    with pytest.raises(ValueError, match="max_features: expected None or an int >= 1"):
        CountVectorizer(max_features=0).fit(["aa bb"])
    with pytest.raises(ValueError, match="norm: expected one of"):
        TfidfVectorizer(norm="l3").fit(["aa bb"])
    with pytest.raises(ValueError, match="analyzer: expected one of"):
        CountVectorizer(analyzer="letters").fit(["aa bb"])
    with pytest.raises(ValueError, match="stop_words: not a built-in stop list: french"):
        CountVectorizer(stop_words="french").fit(["aa bb"])
    with pytest.raises(ValueError, match="More than 1 capturing group"):
        CountVectorizer(token_pattern=r"(a)(b)").fit(["ab"])
    with pytest.raises(ValueError, match="Duplicate term in vocabulary: 'aa'"):
        CountVectorizer(vocabulary=["aa", "aa"]).fit(["aa"])
    with pytest.raises(ValueError, match="np.nan is an invalid document"):
        CountVectorizer().fit(["aa", np.nan])
    with pytest.raises(AttributeError, match="not fitted"):
        CountVectorizer().transform(["aa"])
    with pytest.raises(AttributeError, match="not fitted"):
        TfidfVectorizer().transform(["aa"])
    with pytest.raises(ValueError, match="X has 3 features, but TfidfTransformer is expecting 2"):
        TfidfTransformer().fit(np.ones((2, 2))).transform(np.ones((2, 3)))
    with pytest.raises(ValueError, match="X: expected finite values"):
        TfidfTransformer().fit(np.array([[1.0, np.nan]]))


def test_upper_case_vocabulary_warns():
    with pytest.warns(UserWarning, match="Upper case characters found in vocabulary"):
        CountVectorizer(vocabulary=["Cat"]).fit(["cat"])


def test_get_params_and_clone_roundtrip():
    from sklearn.base import clone

    tv = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)
    params = tv.get_params()
    assert params["ngram_range"] == (1, 2) and params["sublinear_tf"] is True
    assert set(params) == set(skt.TfidfVectorizer().get_params())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert clone(tv).get_params() == params


def test_tfidf_transformer_passes_sklearn_estimator_checks():
    from sklearn.utils.estimator_checks import check_estimator

    check_estimator(TfidfTransformer())


@pytest.mark.parametrize(
    "options, docs",
    [
        # a NUL character and a lone surrogate cannot become integer keys: the general path runs
        ({"analyzer": "char", "ngram_range": (1, 2)}, ["a\x00b", "ab\x00", "b a"]),
        ({"analyzer": "char_wb", "ngram_range": (1, 3)}, ["x\ud800y z", "zz y"]),
        # tokens holding a character that sorts before ' ' would break the n-gram key order
        ({"token_pattern": r"\S+", "ngram_range": (1, 2)}, ["a\x01b c", "a c", "a\x01b a"]),
        # more distinct characters than 64-bit keys hold for 6-grams
        ({"analyzer": "char", "ngram_range": (6, 6)}, ["".join(map(chr, range(0x4E00 + i, 0x4E00 + 3000 + i, 7))) for i in range(3)]),
    ],
)
def test_inputs_that_take_the_general_path(options, docs):
    assert_same_fit(*fit_both(options, docs))
