"""TF-IDF text classifiers: ``tfidf-lr``, ``tfidf-nb``, ``tfidf-svm`` (NumPy estimators, no trainer).

Features (:class:`mlcanon.text.TfidfVectorizer`, sublinear tf, l2-normalised rows, smooth idf):

* ``words`` mode (English): word uni+bigrams (``\\w+`` tokens, lower-cased) stacked beside character
  2-5-grams inside word boundaries (``char_wb``, seen in at least 2 training texts);
* ``chars`` mode (Chinese): character 1-3-grams (``char``, min_df 2).

    x = [tfidf_word(d) ; tfidf_char(d)]                     (n_features,), two l2-normalised blocks

Estimators (``mlcanon.classic``): multinomial ``LogisticRegression`` (L2, C = 10, L-BFGS; the same
predictions as scikit-learn's on the same features, tests/tasks/test_textcls_models.py), ``MultinomialNB``
(alpha = 0.1, on the TF-IDF values, as Rennie et al. 2003 advise over raw counts) and ``SVC`` with the
linear kernel given as the precomputed Gram matrix ``K = X Xᵀ`` (the SMO solver is dense: with K it needs
n² floats instead of n × n_features; one-vs-one votes, C = 1). The SVM has no probabilities: the score
``predict`` prints for it is the share of the one-vs-one votes its label won.

Saved without pickle in the task's ``DIR``: ``tfidf.json`` (vectoriser parameters, vocabularies in
column order, estimator parameters and scalar fitted attributes) and ``model.safetensors`` (idf vectors,
fitted arrays; for the SVM the CSR rows of its support vectors).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from mlcanon.training.checkpoint import atomic_write_text

__all__ = ["TFIDF_MODELS", "TfidfModel"]

TFIDF_MODELS = ("tfidf-lr", "tfidf-nb", "tfidf-svm")
_VECTORIZERS = {
    "words": {
        "word": {"analyzer": "word", "token_pattern": r"(?u)\b\w+\b", "ngram_range": (1, 2), "sublinear_tf": True},
        "char": {"analyzer": "char_wb", "ngram_range": (2, 5), "min_df": 2, "sublinear_tf": True},
    },
    "chars": {"char": {"analyzer": "char", "ngram_range": (1, 3), "min_df": 2, "sublinear_tf": True}},
}
_ESTIMATORS = {
    "tfidf-lr": ("LogisticRegression", {"C": 10.0, "max_iter": 1000}),
    "tfidf-nb": ("MultinomialNB", {"alpha": 0.1}),
    "tfidf-svm": ("SVC", {"C": 1.0, "kernel": "precomputed"}),
}
STATE = "tfidf.json"
ARRAYS = "model.safetensors"


def _vectorizer(params: dict, vocabulary: list[str] | None = None):
    from mlcanon.text import TfidfVectorizer

    return TfidfVectorizer(**{k: tuple(v) if k == "ngram_range" else v for k, v in params.items()},
                           vocabulary=vocabulary)


def _estimator(name: str, params: dict):
    from mlcanon import classic

    return getattr(classic, name)(**params)


def _plain(value):
    """A JSON-safe scalar fitted attribute, or None when it is not one."""
    if isinstance(value, (bool, int, float, str)) or value is None:
        return value
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, tuple) and all(isinstance(v, (int, float)) for v in value):
        return list(value)
    return None


class TfidfModel:
    """TF-IDF features and one classic estimator; labels are class indices 0..C-1.

    Examples
    --------
    >>> m = TfidfModel("tfidf-lr", "words").fit(["good film", "bad film", "good", "bad"], [1, 0, 1, 0])
    >>> m.predict_proba(["good"]).argmax(1).tolist()
    [1]
    """

    def __init__(self, model: str, mode: str) -> None:
        if model not in TFIDF_MODELS:
            raise ValueError(f"--model: expected one of {', '.join(TFIDF_MODELS)}, got {model!r}")
        self.model, self.mode = model, mode
        self.vectorizers: dict = {}
        self.estimator = None
        self.support_rows: sp.csr_matrix | None = None  # the SVM's support vectors (rows of X)

    def features(self, texts: list[str]) -> sp.csr_matrix:
        """The stacked TF-IDF blocks of ``texts`` (CSR, float64)."""
        return sp.hstack([v.transform(texts) for v in self.vectorizers.values()], format="csr")

    def fit(self, texts: list[str], y) -> TfidfModel:
        y = np.asarray(y, dtype=np.int64)
        blocks = []
        for name, params in _VECTORIZERS[self.mode].items():
            vec = _vectorizer(params)
            blocks.append(vec.fit_transform(texts))
            self.vectorizers[name] = vec
        X = sp.hstack(blocks, format="csr")
        cls, params = _ESTIMATORS[self.model]
        self.estimator = _estimator(cls, params)
        if self.model == "tfidf-svm":
            K = (X @ X.T).toarray()  # (n, n) linear kernel
            self.estimator.fit(K, y)
            support = np.asarray(self.estimator.support_)
            self.support_rows = X[support]
            # predict() then takes K(test, support vectors) (n_test, n_SV): the support indices become 0..n_SV-1
            self.estimator.support_ = np.arange(len(support), dtype=np.int32)
            self.estimator.n_features_in_ = len(support)
            self.estimator.shape_fit_ = (len(support), len(support))
        else:
            self.estimator.fit(X, y)
        return self

    def _decision_input(self, texts: list[str]):
        X = self.features(texts)
        if self.model == "tfidf-svm":
            return (X @ self.support_rows.T).toarray()  # (n, n_SV)
        return X

    def predict_proba(self, texts: list[str]) -> np.ndarray:
        """(n, C) class probabilities (for the SVM: the share of one-vs-one votes of each class)."""
        if not texts:
            return np.zeros((0, len(self.estimator.classes_)))
        X = self._decision_input(texts)
        if self.model != "tfidf-svm":
            return self.estimator.predict_proba(X)
        C = len(self.estimator.classes_)
        if C == 2:
            dec = self.estimator.decision_function(X)  # > 0: classes_[1]
            return np.stack([dec <= 0, dec > 0], axis=1).astype(np.float64)
        raw = self.estimator._raw_decision(X)  # (n, C(C-1)/2), > 0 votes for the first class of the pair
        votes = np.zeros((len(texts), C))
        p = 0
        for a in range(C):
            for b in range(a + 1, C):
                votes[:, a] += raw[:, p] > 0
                votes[:, b] += raw[:, p] <= 0
                p += 1
        return votes / votes.sum(axis=1, keepdims=True)

    def predict(self, texts: list[str]) -> np.ndarray:
        if self.model == "tfidf-svm":
            return np.asarray(self.estimator.predict(self._decision_input(texts)))
        return self.predict_proba(texts).argmax(axis=1)

    # ---- the DIR contract without pickle ----------------------------------------------------------

    def save(self, folder: Path) -> None:
        from safetensors.numpy import save_file

        arrays: dict[str, np.ndarray] = {}
        state = {"model": self.model, "mode": self.mode, "vectorizers": {}, "estimator": {}}
        for name, vec in self.vectorizers.items():
            terms = vec.get_feature_names_out().tolist()
            state["vectorizers"][name] = {"params": _VECTORIZERS[self.mode][name], "vocabulary": terms}
            arrays[f"idf.{name}"] = np.ascontiguousarray(vec.idf_)
        est = self.estimator
        scalars, params = {}, est.get_params()
        for key, value in vars(est).items():
            if key in params:
                continue
            if isinstance(value, np.ndarray) and value.dtype.kind in "biuf":
                arrays[f"est.{key}"] = np.ascontiguousarray(value)
            elif value is None or _plain(value) is not None:
                scalars[key] = _plain(value)
        state["estimator"] = {"class": _ESTIMATORS[self.model][0], "params": _ESTIMATORS[self.model][1],
                              "fitted": scalars}
        if self.support_rows is not None:
            csr = self.support_rows.tocsr()
            arrays.update({"sv.data": csr.data, "sv.indices": csr.indices.astype(np.int64),
                           "sv.indptr": csr.indptr.astype(np.int64), "sv.shape": np.asarray(csr.shape, np.int64)})
        save_file(arrays, str(folder / ARRAYS))
        atomic_write_text(folder / STATE, json.dumps(state, ensure_ascii=False) + "\n")

    @classmethod
    def load(cls, folder: Path) -> TfidfModel:
        from safetensors.numpy import load_file

        from mlcanon.text.vectorizers import TfidfTransformer

        state = json.loads((folder / STATE).read_text(encoding="utf-8"))
        arrays = load_file(str(folder / ARRAYS))
        self = cls(state["model"], state["mode"])
        for name, saved in state["vectorizers"].items():
            vec = _vectorizer(saved["params"], saved["vocabulary"])
            vec._validate_vocabulary()
            tfidf = TfidfTransformer(norm=vec.norm, use_idf=vec.use_idf, smooth_idf=vec.smooth_idf,
                                     sublinear_tf=vec.sublinear_tf)
            tfidf.idf_ = arrays[f"idf.{name}"]
            tfidf.n_features_in_ = len(tfidf.idf_)
            vec._tfidf = tfidf
            self.vectorizers[name] = vec
        info = state["estimator"]
        est = _estimator(info["class"], info["params"])
        for key, value in info["fitted"].items():
            setattr(est, key, tuple(value) if isinstance(value, list) else value)
        for key, value in arrays.items():
            if key.startswith("est."):
                setattr(est, key[4:], value)
        self.estimator = est
        if "sv.data" in arrays:
            shape = tuple(int(s) for s in arrays["sv.shape"])
            self.support_rows = sp.csr_matrix((arrays["sv.data"], arrays["sv.indices"], arrays["sv.indptr"]), shape=shape)
        return self
