"""The standard word-shape features for CRF named-entity recognition on CoNLL-2003.

``word2features`` is the feature set of the sklearn-crfsuite tutorial (after python-crfsuite's
CoNLL-2002 example): lower-cased word, 3- and 2-letter suffixes, isupper / istitle / isdigit,
the POS tag and its first two letters, the same for the previous and the next word, and BOS / EOS
on the first / last token. The CRF report, its tests and benchmarks/crf.py all use it, so
LinearChainCRF and CRFsuite always see the same input.
"""

from __future__ import annotations

__all__ = ["word2features", "sent2features", "conll_features"]


def word2features(sent: list[tuple[str, str]], i: int) -> dict:
    """Feature dict of token ``i`` of ``sent`` (a list of (word, POS) pairs)."""
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
    """(X, y) of a CoNLL-2003 split ("train", "dev", "test"): feature dicts and IOB1 tags,
    the first ``limit`` sentences if given."""
    from mlcanon import data

    d = data.load("conll2003", split)
    rows = d.extra[:limit] if limit else d.extra
    X = [sent2features([(r[0], r[1]) for r in sent]) for sent in rows]
    return X, list(d.tags[:limit] if limit else d.tags)
