"""Vectorizers beside scikit-learn 1.9 where issue 16 found them apart: stop_words="english", a
picklable build_analyzer(), a settable idf_, and the warning when tokenizer is ignored. Real text
(TREC questions, SST-2 sentences); the expectations are scikit-learn's own results."""

import pickle
import warnings

import numpy as np
import pytest

from mlcanon import data
from mlcanon.text import ENGLISH_STOP_WORDS, CountVectorizer, TfidfTransformer, TfidfVectorizer

skt = pytest.importorskip("sklearn.feature_extraction.text")


@pytest.fixture(scope="module")
def trec():
    return data.load("trec", "train").texts[:2000]


@pytest.fixture(scope="module")
def sst2():
    return data.load("sst2", "dev").texts


def test_english_stop_words_are_sklearns(trec):
    assert ENGLISH_STOP_WORDS == skt.ENGLISH_STOP_WORDS and len(ENGLISH_STOP_WORDS) == 318
    assert CountVectorizer(stop_words="english").get_stop_words() == skt.ENGLISH_STOP_WORDS
    for cls, ref in ((CountVectorizer, skt.CountVectorizer), (TfidfVectorizer, skt.TfidfVectorizer)):
        ours, theirs = cls(stop_words="english"), ref(stop_words="english")
        A, B = ours.fit_transform(trec), theirs.fit_transform(trec)
        assert ours.vocabulary_ == theirs.vocabulary_
        assert not set(ours.vocabulary_) & ENGLISH_STOP_WORDS
        np.testing.assert_allclose(A.toarray(), B.toarray(), rtol=1e-12, atol=0)
    with pytest.raises(ValueError, match="stop_words: not a built-in stop list: _bad_"):
        CountVectorizer(stop_words="_bad_").get_stop_words()
    with pytest.raises(ValueError, match="empty vocabulary"):  # only stop words: scikit-learn's error
        CountVectorizer(stop_words="english").fit(["to be or not to be", "and me too"])


@pytest.mark.parametrize("params", [{}, {"stop_words": "english", "ngram_range": (1, 2)},
                                    {"analyzer": "char_wb", "ngram_range": (2, 4)}, {"strip_accents": "unicode"}])
def test_build_analyzer_pickles_and_equals_sklearns(params, sst2):
    ours = CountVectorizer(**params).build_analyzer()
    theirs = skt.CountVectorizer(**params).build_analyzer()
    back = pickle.loads(pickle.dumps(ours))
    for doc in sst2[:200] + ["J'ai mangé du kangourou  ce midi, c'était pas très bon."]:
        assert back(doc) == ours(doc) == theirs(doc)


def test_idf_can_be_set_by_hand_as_in_sklearn(trec):
    counts = CountVectorizer().fit_transform(trec)
    fitted = TfidfTransformer().fit(counts)
    copy = TfidfTransformer()
    copy.idf_ = fitted.idf_
    reference = skt.TfidfTransformer()
    reference.idf_ = fitted.idf_
    np.testing.assert_allclose(copy.transform(counts).toarray(), reference.transform(counts).toarray(), rtol=1e-12)
    np.testing.assert_allclose(copy.transform(counts).toarray(), fitted.transform(counts).toarray(), rtol=0)

    orig = TfidfVectorizer().fit(trec)
    copy = TfidfVectorizer(vocabulary=orig.vocabulary_)
    copy.idf_ = orig.idf_
    ref = skt.TfidfVectorizer(vocabulary=orig.vocabulary_)
    ref.idf_ = orig.idf_
    np.testing.assert_allclose(copy.transform(trec[:300]).toarray(), ref.transform(trec[:300]).toarray(), rtol=1e-12)
    with pytest.raises(ValueError, match="`idf_` cannot be set when `user_idf=False`"):
        TfidfVectorizer(vocabulary=orig.vocabulary_, use_idf=False).idf_ = orig.idf_
    with pytest.raises(ValueError, match=rf"idf_: expected {len(orig.vocabulary_)} weights"):
        TfidfVectorizer(vocabulary=orig.vocabulary_).idf_ = np.ones(len(orig.vocabulary_) + 1)
    with pytest.raises(ValueError):  # scikit-learn refuses the same
        ref.idf_ = np.ones(len(orig.vocabulary_) + 1)


@pytest.mark.parametrize("cls, ref", [(CountVectorizer, skt.CountVectorizer), (TfidfVectorizer, skt.TfidfVectorizer)])
def test_ignored_tokenizer_warns_as_sklearn(cls, ref, trec):
    messages = []
    for make in (cls, ref):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            make(tokenizer=str.split, token_pattern=None, analyzer="char").fit(trec[:50])
        # the set: scikit-learn's TfidfVectorizer says it twice (its fit runs the check twice)
        messages.append(sorted({str(w.message) for w in caught if issubclass(w.category, UserWarning)}))
    assert messages[0] == messages[1] == ["The parameter 'tokenizer' will not be used since 'analyzer' != 'word'"]
