"""The NER CRF's fast tagging path against its reference path, its attributes on a hand-checked sentence,
and the second-order HMM's Viterbi against brute force over every state path, on real CoNLL / Resume data."""

import itertools
import math

import numpy as np
import pytest

from mlcanon.tasks.ner.crf_features import CRFFeatures, crf_features, short_shape, word_shape
from mlcanon.tasks.ner.features import load_split, to_internal
from mlcanon.tasks.ner.pipeline import _labels
from mlcanon.tasks.ner.taggers import CRFTagger, HMMTagger
from mlcanon.tasks.ner.tnt import TrigramHMM


# ------------------------------------------------------------------------------------------ CRF attributes
def test_attributes_of_a_hand_checked_sentence():
    tokens = ["EU", "rejects", "German"]
    cols = [["NNP", "I-NP"], ["VBZ", "I-VP"], ["JJ", "I-NP"]]
    first = crf_features(tokens, cols)[0]
    assert first == [
        "bias", "w:EU", "lower:eu", "shape:XX", "sshape:X", "upper",
        "p1:E", "s1:U", "p2:EU", "s2:EU",
        "1:lower:rejects", "1:sshape:x", "2:lower:german", "2:sshape:Xx", "2:title",
        "BOS", "+1:bigram:eu|rejects",
        "c0:NNP", "c0[:2]:NN", "+1:c0:VBZ", "c1:I-NP", "c1[:2]:I-", "+1:c1:I-VP",
    ]
    last = crf_features(tokens, cols)[2]
    assert "-1:bigram:rejects|german" in last and "EOS" in last and "-1:c0:VBZ" in last
    assert word_shape("McDonald's") == "XxXxxxxx'x" and short_shape("1996-08") == "d-d"
    assert short_shape("Ärger") == "Xx"  # not ASCII: the slow path, same rule


def test_bad_arguments_name_themselves():
    with pytest.raises(ValueError, match="n_columns"):
        CRFFeatures(n_columns=-1)
    with pytest.raises(TypeError, match="tokens"):
        CRFFeatures().sentence("EU rejects")
    with pytest.raises(ValueError, match="columns"):
        CRFFeatures(n_columns=1).sentence(["EU"], [["NNP"], ["VBZ"]])
    with pytest.raises(TypeError, match="index"):
        CRFFeatures().encode([["EU"]], None, index=["bias"])


def test_word_pieces_of_the_cluster_table_equal_the_tokenizer_on_conll_words(conll):
    from mlcanon.tasks.ner.clusters import WordClusters, bundled

    clusters = WordClusters(*bundled())
    tok = clusters._tokenizer
    words = sorted({w for s in conll[1].tokens for w in s}) + ["x" * 150, "Ünïcode", "qqqzzzxx", "U.S."]
    for w in words:  # the greedy split of plain words == WordPieceTokenizer's
        assert clusters.piece_ids(w) == (tok.convert_tokens_to_ids(tok.tokenize(w)) or [tok.unk_token_id]), w
    own, seen = clusters.names("Germany")
    assert own[:3] == [f"k{k}:{c}" for k, c in zip((64, 256, 1024), clusters.table[tok.vocab["germany"]])]
    assert seen == f"k256:{clusters.table[tok.vocab['germany'], 1]}" and own[-1] == "npieces:1"


# ------------------------------------------------------------------------------------------ CRF fast path
@pytest.fixture(scope="module")
def conll():
    train, test = load_split("conll2003", "train"), load_split("conll2003", "test")
    return train, test


def test_crf_fast_path_gives_the_reference_tags_on_conll(conll):
    train, test = conll
    y = to_internal(train.tags[:300], train.scheme)
    tagger = CRFTagger(max_iterations=40, n_columns=2, clusters=True).fit(train.tokens[:300], y, train.columns[:300])
    tokens, columns = test.tokens[:400], test.columns[:400]
    fast = tagger.tag(tokens, columns)
    assert fast == tagger.tag_slow(tokens, columns)  # ids from the caches == names through predict()
    assert fast == tagger.tag(tokens, columns)  # the second call, from warm caches
    assert [tagger.tag([s], [c])[0] for s, c in zip(tokens[:50], columns[:50])] == fast[:50]
    assert sum(t != "O" for s in fast for t in s) > 100  # it does tag entities


def test_crf_fast_path_gives_the_reference_tags_on_chinese_characters():
    d = load_split("resume_ner", "train")
    y = to_internal(d.tags[:200], d.scheme)
    tagger = CRFTagger(max_iterations=30, char_level=True).fit(d.tokens[:200], y)
    tokens = d.tokens[200:400]
    assert tagger.tag(tokens) == tagger.tag_slow(tokens)


# ------------------------------------------------------------------------------------------ HMM
def _log_trans(m, a, b, c):
    K1 = len(m.states) + 1
    key = (a * K1 + b) * K1 + c
    at = int(np.searchsorted(m.tri_keys_, key))
    p3 = m.p3_[at] if at < len(m.tri_keys_) and m.tri_keys_[at] == key else 0.0
    l1, l2, l3 = m.lambdas_
    return math.log(l1 * m.p1_[c] + l2 * m.p2_[b, c] + l3 * p3)


def _brute_force(m, words):
    """The best state path by scoring every path over the states each word allows."""
    options = [m._emission(w) for w in words]
    bos = len(m.states)
    best, arg = -math.inf, None
    for path in itertools.product(*[range(len(s)) for s, _ in options]):
        states = [bos, bos] + [int(options[i][0][k]) for i, k in enumerate(path)] + [bos]
        score = sum(float(options[i][1][k]) for i, k in enumerate(path))
        score += sum(_log_trans(m, *states[i:i + 3]) for i in range(len(states) - 2))
        if score > best:
            best, arg = score, states[2:-1]
    return [m.labels[k] if k < len(m.labels) else "O" for k in arg]


def test_hmm_viterbi_equals_brute_force_on_real_sentences(conll):
    train, test = conll
    y = to_internal(train.tags[:3000], train.scheme)
    m = TrigramHMM(n_special=50).fit(train.tokens[:3000], y, _labels(y))
    short = [s for s in test.tokens if 2 <= len(s) <= 4][:40]
    checked = 0
    for s in short:
        if math.prod(len(m._emission(w)[0]) for w in s) > 20_000:
            continue
        assert m.tag([s])[0] == _brute_force(m, s), s
        checked += 1
    assert checked >= 25
    assert m.tag(short) == [m.tag([s])[0] for s in short]  # a batch == one at a time


def test_hmm_probabilities_are_distributions_and_lambdas_sum_to_one(conll):
    train, _ = conll
    y = to_internal(train.tags[:1000], train.scheme)
    m = TrigramHMM(n_special=20).fit(train.tokens[:1000], y, _labels(y))
    assert m.lambdas_.sum() == pytest.approx(1.0) and (m.lambdas_ > 0).all()
    K = len(m.states)
    # P(. | a, b) sums to 1 over the K states and </s> for a context seen in training
    a, b = K, m.states.index("O")
    total = sum(math.exp(_log_trans(m, a, b, c)) for c in range(K + 1))
    assert total == pytest.approx(1.0, abs=1e-9)
    # a known word's emissions: P(w | s) = f(w, s) / f(s) for a word seen more than `mix` times
    w = "Germany"
    s, logp = m._emission(w)
    f = sum(1 for sent, tags in zip(train.tokens[:1000], y) for x, t in zip(sent, tags) if x == w and t == "S-LOC")
    k = m.states.index("S-LOC")
    assert math.exp(logp[list(s).index(k)]) == pytest.approx(f / m.state_counts_[k])


def test_hmm_save_and_load_give_the_same_tags(conll, tmp_path):
    train, test = conll
    y = to_internal(train.tags[:500], train.scheme)
    tagger = HMMTagger(n_special=30).fit(train.tokens[:500], y, _labels(y))
    files = tagger.save(tmp_path)
    config = {"hyper_parameters": tagger.hyper, "files": files, "internal_labels": _labels(y)}
    again = HMMTagger.load(tmp_path, config)
    assert again.tag(test.tokens[:200]) == tagger.tag(test.tokens[:200])


def test_hmm_bad_arguments_name_themselves():
    with pytest.raises(ValueError, match="theta"):
        TrigramHMM(theta=0).fit([["a"]], [["O"]], ["O"])
    with pytest.raises(ValueError, match="n_special"):
        TrigramHMM(n_special=-1).fit([["a"]], [["O"]], ["O"])
    with pytest.raises(ValueError, match="'B-X' is not one of labels"):
        TrigramHMM().fit([["a"]], [["B-X"]], ["O"])
    with pytest.raises(TypeError, match="tokens"):
        TrigramHMM().fit([["a"]], [["O"]], ["O"]).tag(["a b"])
