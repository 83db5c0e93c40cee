"""Linear-chain conditional random field (Lafferty, McCallum & Pereira 2001), equal to CRFsuite's crf1d.

A sentence x = (x_1..x_T) of tokens, each a set of weighted attributes x_t[a], gets a label path
y = (y_1..y_T) with probability

    p(y | x) = exp(score(x, y)) / Z(x)
    score(x, y) = sum_t sum_a x_t[a] W[a, y_t] + sum_{t>1} A[y_{t-1}, y_t]
    Z(x) = sum_y' exp(score(x, y'))           (forward algorithm; no start or end transitions)

Training minimises, as CRFsuite (train_lbfgs.c) does,

    loss(w) = -sum_s log p(y_s | x_s) + c1 ||w||_1 + c2 ||w||_2^2
    d loss / d w_k = E_p[f_k] - f_k(observed) + 2 c2 w_k

by L-BFGS (c1 = 0) or OWL-QN (c1 > 0, Andrew & Gao 2007) with liblbfgs's stopping rules
(:mod:`mlcanon.classic._owlqn`). Expected counts come from forward-backward
(:mod:`mlcanon.classic._crf_kernels`); prediction is Viterbi.

Features as CRFsuite generates them (crf1d_feature.c): a state feature (attribute a, label y) exists
only if a occurs on a token labelled y in the training data (all pairs of a seen attribute and any
label with ``all_possible_states``); a transition feature (i, j) only if label j follows label i
somewhere (all L x L with ``all_possible_transitions``); features whose frequency (sum of attribute
values) is below ``min_freq`` are dropped. Other pairs keep the weight 0.

Input is python-crfsuite's: a token is a dict ``{"name": float|bool}`` (the attribute "name" with
that value), ``{"name": "v"}`` (the attribute "name:v" with value 1), a nested dict / list / set
``{"name": {...}}`` (prefix "name:"), or a list of attribute names (value 1 each). Attributes never
seen in training are ignored at prediction time.

Memory: the attribute ids and values of all tokens (CSR), plus the state weights as a dense
(n_attributes x L) matrix and one gradient buffer of the same shape per thread (``n_jobs``);
CoNLL-2003 train (204k tokens, 68k attributes, 8 labels) fits in about 250 MB on top of the
feature dicts.

Reference: sklearn-crfsuite 0.5 / python-crfsuite 0.9 (CRFsuite 0.12): same parameters, same
``fit``/``predict``/``predict_marginals``, ``state_features_``, ``transition_features_``;
tests/classic/test_crf.py compares losses, F1, predictions and marginals.
"""

from __future__ import annotations

import json
import numbers
import os
import time
from collections.abc import Mapping

import numpy as np

from mlcanon.classic import _owlqn
from mlcanon.classic._base import BaseEstimator, check_is_fitted
from mlcanon.validation import check_int, check_option, check_scalar

__all__ = ["LinearChainCRF"]

_ALGORITHMS = ("lbfgs", "l2sgd", "ap", "pa", "arow")
_LINESEARCHES = ("MoreThuente", "Backtracking", "StrongBacktracking")


class LinearChainCRF(BaseEstimator):
    """Linear-chain CRF trained by L-BFGS / OWL-QN, with sklearn-crfsuite's interface.

    Parameters
    ----------
    algorithm : {"lbfgs"}, default="lbfgs"
        Only CRFsuite's default trainer (batch L-BFGS, OWL-QN when ``c1 > 0``) is implemented.
    c1 : float, default=0.0
        Coefficient of the L1 penalty c1 * ||w||_1 (OWL-QN when > 0).
    c2 : float, default=1.0
        Coefficient of the L2 penalty c2 * ||w||^2 (CRFsuite's convention: no 1/2).
    max_iterations : int or None, default=None
        Maximum number of L-BFGS iterations (None: until a stopping rule fires).
    all_possible_transitions, all_possible_states : bool, default=False
        Generate every label-pair transition feature / every (seen attribute, label) state feature.
    epsilon : float, default=1e-5
        Stop when ||gradient|| / max(1, ||w||) <= epsilon.
    period : int, default=10
        Iterations over which ``delta`` is tested.
    delta : float, default=1e-5
        Stop when the relative decrease of the loss over ``period`` iterations is below delta.
    num_memories : int, default=6
        Number of (s, y) pairs that approximate the inverse Hessian.
    min_freq : float, default=0
        Drop features whose frequency in the training data is below this.
    linesearch : {"MoreThuente", "Backtracking", "StrongBacktracking"}, default="MoreThuente"
        Line search for c1 = 0 (OWL-QN always backtracks, as in CRFsuite).
    max_linesearch : int, default=20
        Maximum number of function evaluations per line search.
    n_jobs : int or None, default=None
        Threads that share the forward-backward passes of each evaluation (None: 1, -1: all
        CPUs). The kernels release the GIL; each thread sums its own sentences, so the result does
        not depend on n_jobs beyond floating-point rounding. CRFsuite has one thread.
    verbose : bool, default=False
        Print the loss at each iteration.

    Attributes
    ----------
    classes_ : list of str
        Labels in order of first appearance in the training data (CRFsuite's label ids).
    attributes_ : list of str
        Attribute names seen in training (index = attribute id).
    state_features_ : dict
        ``{(attribute, label): weight}`` for every non-zero state weight.
    transition_features_ : dict
        ``{(label_from, label_to): weight}`` for every non-zero transition weight.
    training_log_ : list of dict
        One entry per iteration: ``loss`` (the objective above), ``feature_norm``, ``error_norm``,
        ``active_features``, ``linesearch_trials``, ``linesearch_step``, ``time`` and, with a
        dev set, ``dev_accuracy``.
    n_iter_ : int
        Number of iterations run.
    n_features_ : int
        Number of generated features (state + transition), CRFsuite's "Number of features".
    stop_reason_ : str
        Why training stopped (maximum iterations, epsilon, delta, a failed line search).

    Examples
    --------
    >>> X = [[{"w": "the"}, {"w": "cat"}], [{"w": "a"}, {"w": "dog"}]]
    >>> y = [["DET", "N"], ["DET", "N"]]
    >>> crf = LinearChainCRF(c2=0.01, max_iterations=50).fit(X, y)
    >>> crf.predict([[{"w": "the"}, {"w": "dog"}]])
    [['DET', 'N']]
    """

    def __init__(self, algorithm="lbfgs", c1=0.0, c2=1.0, max_iterations=None, all_possible_transitions=False,
                 all_possible_states=False, epsilon=1e-5, period=10, delta=1e-5, num_memories=6, min_freq=0,
                 linesearch="MoreThuente", max_linesearch=20, n_jobs=None, verbose=False):
        self.algorithm = algorithm
        self.c1 = c1
        self.c2 = c2
        self.max_iterations = max_iterations
        self.all_possible_transitions = all_possible_transitions
        self.all_possible_states = all_possible_states
        self.epsilon = epsilon
        self.period = period
        self.delta = delta
        self.num_memories = num_memories
        self.min_freq = min_freq
        self.linesearch = linesearch
        self.max_linesearch = max_linesearch
        self.n_jobs = n_jobs
        self.verbose = verbose

    # ------------------------------------------------------------------ training
    def fit(self, X, y, X_dev=None, y_dev=None):
        """Train on sentences ``X`` (lists of feature dicts) with label sequences ``y``.

        Parameters
        ----------
        X : list of lists of dicts
            One feature dict per token (python-crfsuite's format, see the module docstring).
        y : list of lists of str
            One label per token.
        X_dev, y_dev : optional
            A held-out set; its token accuracy is logged at each iteration.

        Returns
        -------
        self
        """
        self._check_params()
        if (X_dev is None) != (y_dev is None):
            raise ValueError("X_dev, y_dev: pass both to use a held-out set, or neither")
        vocab: dict[str, int] = {}
        data = _encode(X, vocab, grow=True, name="X")
        if len(data.seq_ptr) == 1:
            raise ValueError("X: expected at least one sentence, got an empty list")
        empty = np.flatnonzero(np.diff(data.seq_ptr) == 0)
        if len(empty):
            raise ValueError(f"X[{empty[0]}]: expected a non-empty sentence, got 0 tokens")
        classes, labels = _encode_labels(y, data, name="y", classes=None)
        problem = _TrainingProblem(data, labels, len(classes), len(vocab), bool(self.all_possible_states),
                                   bool(self.all_possible_transitions), float(self.min_freq),
                                   n_threads=self._n_threads())
        dev = None
        if X_dev is not None:
            dev_data = _encode(X_dev, vocab, grow=False, name="X_dev")
            _, dev_labels = _encode_labels(y_dev, dev_data, name="y_dev", classes=classes)
            dev = (dev_data, dev_labels)
        self.training_log_ = []
        try:
            result = self._optimise(problem, dev)
        finally:
            problem.close()
        # set the learned state only now, so that a failed fit leaves no half-fitted model
        self.classes_ = classes
        self.attributes_ = list(vocab)
        self._attr_index = vocab
        self.n_features_ = problem.n_features
        self._set_weights(problem.state_index, result.x[: problem.n_state], result.x[problem.n_state:],
                          problem.trans_index)
        self.n_iter_ = result.n_iter
        self.stop_reason_ = result.status
        return self

    def _n_threads(self):
        if self.n_jobs is None:
            return 1
        if self.n_jobs == -1:
            return os.cpu_count() or 1
        return self.n_jobs

    def _check_params(self):
        check_option(self.algorithm, "algorithm", _ALGORITHMS)
        if self.algorithm != "lbfgs":
            raise ValueError(f"algorithm: only 'lbfgs' (L-BFGS / OWL-QN) is implemented, got {self.algorithm!r}")
        check_scalar(self.c1, "c1", minimum=0.0)
        check_scalar(self.c2, "c2", minimum=0.0)
        if self.max_iterations is not None:
            check_int(self.max_iterations, "max_iterations", minimum=0)
        check_scalar(self.epsilon, "epsilon", minimum=0.0)
        check_int(self.period, "period", minimum=0)
        check_scalar(self.delta, "delta", minimum=0.0)
        check_int(self.num_memories, "num_memories", minimum=1)
        check_scalar(self.min_freq, "min_freq", minimum=0.0)
        check_option(self.linesearch, "linesearch", _LINESEARCHES)
        check_int(self.max_linesearch, "max_linesearch", minimum=1)
        if self.n_jobs is not None and check_int(self.n_jobs, "n_jobs", minimum=-1) == 0:
            raise ValueError("n_jobs: expected None, -1 or an int >= 1, got 0")

    def _optimise(self, problem, dev):
        c2 = float(self.c2)
        start = [time.perf_counter()]

        def callback(info, w):
            now = time.perf_counter()
            info["time"] = now - start[0]
            start[0] = now
            if dev is not None:
                W, T = problem.dense(w)
                pred = _viterbi(W, T, problem.L, dev[0])
                info["dev_accuracy"] = float(np.mean(pred == dev[1]))
            self.training_log_.append(info)
            if self.verbose:
                extra = f" dev accuracy {info['dev_accuracy']:.4f}" if dev is not None else ""
                print(f"iteration {info['num']}: loss {info['loss']:.6f}, feature norm {info['feature_norm']:.4f}, "
                      f"error norm {info['error_norm']:.4f}, {info['linesearch_trials']} line-search trial(s){extra}")
            return False

        def fun(w):
            return problem.loss_and_grad(w, c2)

        result = _owlqn.minimize(fun, np.zeros(problem.n_features), c1=float(self.c1), m=self.num_memories,
                                 epsilon=float(self.epsilon), past=self.period, delta=float(self.delta),
                                 max_iterations=self.max_iterations or None, linesearch=self.linesearch,
                                 max_linesearch=self.max_linesearch, callback=callback)
        return result

    def _set_weights(self, state_index, state_w, trans_w, trans_index):
        L = len(self.classes_)
        keep = state_w != 0
        self._state_index = np.asarray(state_index, dtype=np.int64)[keep]
        self._state_w = np.asarray(state_w, dtype=np.float64)[keep]
        T = np.zeros(L * L)
        T[np.asarray(trans_index, dtype=np.int64)] = trans_w
        self._trans = T.reshape(L, L)
        self._W = self._pairs = None

    def _encode(self, X):
        pairs = getattr(self, "_pairs", None)
        if pairs is None:
            pairs = self._pairs = _pair_index(self._attr_index)
        return _encode(X, self._attr_index, grow=False, name="X", pairs=pairs)

    def _dense_W(self):
        if getattr(self, "_W", None) is None:
            W = np.zeros(len(self.attributes_) * len(self.classes_))
            W[self._state_index] = self._state_w
            self._W = W
        return self._W

    # ------------------------------------------------------------------ prediction
    def predict(self, X):
        """Best label sequence (Viterbi) of each sentence: a list of lists of labels."""
        check_is_fitted(self, "classes_")
        data = self._encode(X)
        ids = _viterbi(self._dense_W(), self._trans, len(self.classes_), data)
        classes = np.array(self.classes_, dtype=object)
        return [list(classes[ids[a:b]]) for a, b in zip(data.seq_ptr[:-1], data.seq_ptr[1:])]

    @property
    def attribute_index_(self):
        """``{attribute name: id}`` of the attributes seen in training (the ids :meth:`decode_encoded`
        reads; the dict itself, not a copy: do not modify it)."""
        check_is_fitted(self, "classes_")
        return self._attr_index

    def decode_encoded(self, seq_ptr, tok_ptr, attr, val=None):
        """Viterbi on sentences already encoded as attribute ids (the fast path of a caller that
        builds ids itself, e.g. from per-word caches): the attributes of token t are
        ``attr[tok_ptr[t]:tok_ptr[t+1]]`` with values ``val`` (default 1), the tokens of sentence s are
        ``seq_ptr[s]:seq_ptr[s+1]``. Same scores, hence same labels, as :meth:`predict` on the same
        attributes in the same order.

        Returns
        -------
        ndarray of int32 of shape (n_tokens,)
            Label ids (indices into ``classes_``).
        """
        check_is_fitted(self, "classes_")
        seq_ptr, tok_ptr, attr = (np.ascontiguousarray(a, dtype=np.int64) for a in (seq_ptr, tok_ptr, attr))
        val = np.ones(len(attr)) if val is None else np.ascontiguousarray(val, dtype=np.float64)
        if len(val) != len(attr):
            raise ValueError(f"val: expected one value per attribute entry ({len(attr)}), got {len(val)}")
        if len(seq_ptr) == 0 or seq_ptr[0] != 0 or seq_ptr[-1] != len(tok_ptr) - 1 or tok_ptr[-1] != len(attr) \
                or (np.diff(seq_ptr) < 0).any() or (np.diff(tok_ptr) < 0).any():
            raise ValueError(f"seq_ptr, tok_ptr: expected CSR pointers over {len(attr)} entries, got "
                             f"seq_ptr ending at {seq_ptr[-1] if len(seq_ptr) else None} of {len(tok_ptr) - 1} "
                             "tokens")
        if len(attr) and (attr.min() < 0 or attr.max() >= len(self.attributes_)):
            raise ValueError(f"attr: expected ids in [0, {len(self.attributes_)}), got {attr.min()}..{attr.max()}")
        data = _Encoded(seq_ptr, tok_ptr, attr, val)
        return _viterbi(self._dense_W(), self._trans, len(self.classes_), data)

    def predict_single(self, xseq):
        """Best label sequence of one sentence (a list of feature dicts)."""
        return self.predict([xseq])[0]

    def predict_marginals(self, X):
        """p(y_t = label | x) for every token: a list (sentences) of lists (tokens) of ``{label: prob}``."""
        check_is_fitted(self, "classes_")
        data = self._encode(X)
        P = self._marginals(data)
        out = []
        for a, b in zip(data.seq_ptr[:-1], data.seq_ptr[1:]):
            out.append([dict(zip(self.classes_, row)) for row in P[a:b].tolist()])
        return out

    def predict_marginals_single(self, xseq):
        """:meth:`predict_marginals` of one sentence."""
        return self.predict_marginals([xseq])[0]

    def _marginals(self, data):
        from mlcanon.classic import _crf_kernels as kern

        return kern.marginals_all(self._dense_W(), self._trans, len(self.classes_), data.seq_ptr, data.tok_ptr,
                                  data.attr, data.val, data.maxlen)

    def log_probability(self, X, y):
        """log p(y_s | x_s) of each sentence (as python-crfsuite's ``Tagger.probability``, in log space).

        Returns
        -------
        ndarray of shape (n_sentences,)
        """
        from mlcanon.classic import _crf_kernels as kern

        check_is_fitted(self, "classes_")
        data = self._encode(X)
        _, labels = _encode_labels(y, data, name="y", classes=self.classes_)
        W, T, L = self._dense_W(), self._trans, len(self.classes_)
        logz = kern.log_partition_all(W, T, L, data.seq_ptr, data.tok_ptr, data.attr, data.val, data.maxlen)
        return _path_scores(W, T, L, data, labels) - logz

    def score(self, X, y):
        """Token accuracy of :meth:`predict` (sklearn-crfsuite's ``flat_accuracy_score``)."""
        pred = self.predict(X)
        if len(pred) != len(y):
            raise ValueError(f"inconsistent numbers of sentences: expected equal lengths, got X={len(pred)}, "
                             f"y={len(y)}")
        flat_true = [label for seq in y for label in seq]
        flat_pred = [label for seq in pred for label in seq]
        if len(flat_true) != len(flat_pred):
            raise ValueError(f"y: expected {len(flat_pred)} labels in all (one per token of X), got {len(flat_true)}")
        if not flat_true:
            raise ValueError("y: expected at least one token, got none")
        return float(np.mean([a == b for a, b in zip(flat_true, flat_pred)]))

    # ------------------------------------------------------------------ inspection
    @property
    def state_features_(self):
        check_is_fitted(self, "classes_")
        L = len(self.classes_)
        attrs, classes = self.attributes_, self.classes_
        return {(attrs[k // L], classes[k % L]): float(w) for k, w in zip(self._state_index.tolist(), self._state_w)}

    @property
    def transition_features_(self):
        check_is_fitted(self, "classes_")
        out = {}
        for i, j in zip(*np.nonzero(self._trans)):
            out[(self.classes_[i], self.classes_[j])] = float(self._trans[i, j])
        return out

    @property
    def num_attributes_(self):
        """Number of attributes with at least one non-zero state weight (CRFsuite keeps only those)."""
        check_is_fitted(self, "classes_")
        return len(np.unique(self._state_index // len(self.classes_)))

    @property
    def size_(self):
        """Bytes of the learned model as :meth:`save` stores it, before compression."""
        check_is_fitted(self, "classes_")
        meta = len(json.dumps([self.classes_, self.attributes_]).encode())
        return int(meta + self._state_index.nbytes + self._state_w.nbytes + self._trans.nbytes)

    # ------------------------------------------------------------------ weights in and out
    @classmethod
    def from_weights(cls, state_features, transition_features, classes=None, **params):
        """A fitted model with the given weights, e.g. python-crfsuite's ``Tagger.info()``
        ``state_features`` / ``transitions`` (``classes`` = ``Tagger.labels()`` keeps its label order).

        Parameters
        ----------
        state_features : dict ``{(attribute, label): weight}``
        transition_features : dict ``{(label_from, label_to): weight}``
        classes : list of str, optional
            Label order; by default the order of first appearance in the two dicts.
        """
        if not isinstance(state_features, Mapping) or not isinstance(transition_features, Mapping):
            raise TypeError("state_features, transition_features: expected dicts {(name, label): weight}")
        labels: dict[str, int] = {}
        for c in classes or ():
            labels.setdefault(_check_label(c, "classes"), len(labels))
        attrs: dict[str, int] = {}
        for (a, lab) in state_features:
            attrs.setdefault(a, len(attrs))
            labels.setdefault(_check_label(lab, "state_features"), len(labels))
        for (i, j) in transition_features:
            labels.setdefault(_check_label(i, "transition_features"), len(labels))
            labels.setdefault(_check_label(j, "transition_features"), len(labels))
        L = len(labels)
        T = np.zeros((L, L))
        for (i, j), w in transition_features.items():
            T[labels[i], labels[j]] = w
        return cls.from_arrays(list(attrs), list(labels), [attrs[a] for a, _ in state_features],
                               [labels[lab] for _, lab in state_features], list(state_features.values()), T,
                               **params)

    @classmethod
    def from_arrays(cls, attributes, classes, state_attribute, state_label, state_weight, transitions, **params):
        """A fitted model from weight arrays (the fast form of :meth:`from_weights`): state weight k is
        ``state_weight[k]`` for (``attributes[state_attribute[k]]``, ``classes[state_label[k]]``);
        ``transitions`` is the (n_classes, n_classes) matrix (row: from, column: to)."""
        attributes, classes = list(attributes), [_check_label(c, "classes") for c in classes]
        L, A = len(classes), len(attributes)
        if L == 0:
            raise ValueError("classes: expected at least one label, got none")
        sa, sl = np.asarray(state_attribute, dtype=np.int64), np.asarray(state_label, dtype=np.int64)
        sw = np.asarray(state_weight, dtype=np.float64)
        if not (sa.shape == sl.shape == sw.shape) or sa.ndim != 1:
            raise ValueError(f"state_attribute, state_label, state_weight: expected three 1-d arrays of one "
                             f"length, got shapes {sa.shape}, {sl.shape}, {sw.shape}")
        if len(sa) and (sa.min() < 0 or sa.max() >= A or sl.min() < 0 or sl.max() >= L):
            raise ValueError(f"state_attribute, state_label: expected ids below {A} and {L}")
        T = np.asarray(transitions, dtype=np.float64)
        if T.shape != (L, L):
            raise ValueError(f"transitions: expected shape ({L}, {L}), got {T.shape}")
        index = {a: i for i, a in enumerate(attributes)}
        if len(index) != A:
            raise ValueError("attributes: expected distinct names, got a repeated one")
        model = cls(**params)
        model.classes_, model.attributes_, model._attr_index = classes, attributes, index
        model._set_weights(sa * L + sl, sw, T.ravel(), np.arange(L * L))
        model.training_log_ = []
        return model

    def save(self, path):
        """Write the model to ``path`` (a NumPy ``.npz``: weights, labels, attributes and parameters)."""
        check_is_fitted(self, "classes_")
        meta = {"format": "mlcanon.LinearChainCRF/1", "params": self.get_params(), "classes": self.classes_,
                "attributes": self.attributes_}
        with open(path, "wb") as fh:
            np.savez_compressed(fh, meta=np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8),
                                state_index=self._state_index, state_w=self._state_w, trans=self._trans)

    @classmethod
    def load(cls, path):
        """Read a model written by :meth:`save` and return it (a class method: ``LinearChainCRF.load(path)``)."""
        with np.load(path, allow_pickle=False) as z:
            if "meta" not in z:
                raise ValueError(f"path: {path} is not a model written by LinearChainCRF.save")
            meta = json.loads(z["meta"].tobytes().decode("utf-8"))
            model = cls(**meta["params"])
            model.classes_ = list(meta["classes"])
            model.attributes_ = list(meta["attributes"])
            model._attr_index = {a: i for i, a in enumerate(model.attributes_)}
            model._state_index = z["state_index"].astype(np.int64)
            model._state_w = z["state_w"].astype(np.float64)
            model._trans = z["trans"].astype(np.float64)
            model._W = model._pairs = None
            model.training_log_ = []
        return model

    def __getstate__(self):
        state = dict(self.__dict__)
        state["_W"] = state["_pairs"] = None  # rebuilt on demand
        return state


# ---------------------------------------------------------------------- encoding
class _Encoded:
    """Sentences as one CSR matrix of tokens x attributes."""

    __slots__ = ("seq_ptr", "tok_ptr", "attr", "val", "maxlen")

    def __init__(self, seq_ptr, tok_ptr, attr, val):
        self.seq_ptr = seq_ptr
        self.tok_ptr = tok_ptr
        self.attr = attr
        self.val = val
        self.maxlen = int(np.diff(seq_ptr).max()) if len(seq_ptr) > 1 else 0
        self.maxlen = max(self.maxlen, 1)


def _encode(X, vocab: dict, *, grow: bool, name: str, pairs: dict | None = None) -> _Encoded:
    """Feature dicts -> attribute ids and values, as python-crfsuite's ItemSequence converts them.

    With ``grow``, new attribute names get new ids; otherwise unknown names are dropped. ``pairs``
    (``pairs[k][v]`` = id of "k:v", see :func:`_pair_index`) finds string-valued features without
    building the "k:v" string; it must list every name of ``vocab`` unless ``grow``.
    """
    if isinstance(X, (str, bytes, Mapping)) or not hasattr(X, "__iter__"):
        raise TypeError(f"{name}: expected a list of sentences (lists of feature dicts), got {type(X).__name__}")
    if pairs is None:
        pairs = {} if grow else _pair_index(vocab)
    attr: list[int] = []
    val: list[float] = []
    tok_ends: list[int] = [0]
    seq_ends: list[int] = [0]
    get, pget, empty = vocab.get, pairs.get, {}
    push_a, push_v, push_tok = attr.append, val.append, tok_ends.append
    for s, seq in enumerate(X):
        if isinstance(seq, (str, bytes, Mapping)) or not hasattr(seq, "__iter__"):
            raise TypeError(f"{name}[{s}]: expected a sentence (a list of feature dicts, one per token), "
                            f"got {type(seq).__name__}")
        for t, item in enumerate(seq):
            if type(item) is not dict:
                for key, x in _item_pairs(item, f"{name}[{s}][{t}]"):
                    i = get(key)
                    if i is None:
                        if not grow:
                            continue
                        i = vocab[key] = len(vocab)
                    push_a(i)
                    push_v(x)
                push_tok(len(attr))
                continue
            for k, v in item.items():
                tv = type(v)
                if tv is str and type(k) is str:
                    i = pget(k, empty).get(v)  # the common case: no "k:v" string to build
                    if i is None:
                        if not grow:
                            continue
                        i = _add_pair(vocab, pairs, k, v)
                    push_a(i)
                    push_v(1.0)
                elif (tv is float or tv is bool or tv is int) and type(k) is str:
                    i = get(k)
                    if i is None:
                        if not grow:
                            continue
                        i = vocab[k] = len(vocab)
                    push_a(i)
                    push_v(v)  # bool and int become float64 in np.array below
                else:  # the rare cases: nested values, bytes, numpy scalars, bad types
                    for key, x in _flatten(k, v, f"{name}[{s}][{t}]"):
                        i = get(key)
                        if i is None:
                            if not grow:
                                continue
                            i = vocab[key] = len(vocab)
                        push_a(i)
                        push_v(x)
            push_tok(len(attr))
        seq_ends.append(len(tok_ends) - 1)
    values = np.array(val, dtype=np.float64)
    if not np.isfinite(values).all():
        _raise_not_finite(values, tok_ends, seq_ends, name)
    return _Encoded(np.array(seq_ends, dtype=np.int64), np.array(tok_ends, dtype=np.int64),
                    np.array(attr, dtype=np.int64), values)


def _add_pair(vocab, pairs, k, v):
    key = k + ":" + v
    i = vocab.get(key)
    if i is None:
        i = vocab[key] = len(vocab)
    pairs.setdefault(k, {})[v] = i
    return i


def _pair_index(vocab: dict) -> dict:
    """``index[k][v]`` = id of the attribute named "k:v", for every split of every name at a ":"
    (a name with several colons is listed under each split, so any (k, v) that spells it finds it)."""
    index: dict[str, dict[str, int]] = {}
    for name, i in vocab.items():
        p = name.find(":")
        while p >= 0:
            index.setdefault(name[:p], {})[name[p + 1:]] = i
            p = name.find(":", p + 1)
    return index


def _item_pairs(item, where):
    if isinstance(item, Mapping):
        for k, v in item.items():
            yield from _flatten(k, v, where)
    elif isinstance(item, (list, tuple, set, frozenset)):
        for k in item:  # a list of attribute names, each with value 1 (python-crfsuite)
            yield _key(k, where), 1.0
    else:
        raise TypeError(f"{where}: expected a token as a dict of features (or a list of attribute names), "
                        f"got {type(item).__name__} {item!r:.40}")


def _key(k, where):
    if isinstance(k, str):
        return k
    if isinstance(k, bytes):
        return k.decode("utf-8")
    raise TypeError(f"{where}: expected str feature names, got {type(k).__name__} {k!r:.40}")


def _flatten(k, v, where):
    """(name, value) pairs of one feature, python-crfsuite's rules (to_item in _pycrfsuite.pyx)."""
    k = _key(k, where)
    if isinstance(v, (str, bytes)):
        return [(k + ":" + _key(v, where), 1.0)]
    if isinstance(v, (Mapping, list, tuple, set, frozenset)):
        return [(k + ":" + sub, x) for sub, x in _item_pairs(v, where)]
    if isinstance(v, (numbers.Real, np.bool_)):
        return [(k, float(v))]
    raise TypeError(f"{where}: feature {k!r} has a value of type {type(v).__name__}; expected a number, bool, "
                    "str, or a nested dict/list")


def _raise_not_finite(values, tok_ends, seq_ends, name):
    e = int(np.flatnonzero(~np.isfinite(values))[0])
    tok = int(np.searchsorted(tok_ends, e, side="right")) - 1
    s = int(np.searchsorted(seq_ends, tok, side="right")) - 1
    raise ValueError(f"{name}[{s}][{tok - seq_ends[s]}]: expected finite feature values, got {values[e]}")


def _check_label(label, name):
    if not isinstance(label, str):
        raise TypeError(f"{name}: expected str labels, got {type(label).__name__} {label!r:.40}")
    return label


def _encode_labels(y, data: _Encoded, *, name: str, classes):
    """Label sequences -> ids (new labels get ids in order of first appearance, as CRFsuite's quark)."""
    n_seq = len(data.seq_ptr) - 1
    if isinstance(y, (str, bytes, Mapping)) or not hasattr(y, "__len__"):
        raise TypeError(f"{name}: expected a list of label sequences, got {type(y).__name__}")
    if len(y) != n_seq:
        raise ValueError(f"inconsistent numbers of sentences: expected equal lengths, got X={n_seq}, {name}={len(y)}")
    index = {c: i for i, c in enumerate(classes)} if classes is not None else {}
    out = np.empty(int(data.seq_ptr[-1]), dtype=np.int32)
    pos = 0
    for s, seq in enumerate(y):
        n = int(data.seq_ptr[s + 1] - data.seq_ptr[s])
        if isinstance(seq, (str, bytes)) or not hasattr(seq, "__len__") or len(seq) != n:
            got = len(seq) if hasattr(seq, "__len__") and not isinstance(seq, (str, bytes)) else type(seq).__name__
            raise ValueError(f"{name}[{s}]: expected {n} labels (one per token of the sentence), got {got}")
        for lab in seq:
            i = index.get(lab)
            if i is None:
                _check_label(lab, f"{name}[{s}]")
                if classes is not None:
                    raise ValueError(f"{name}[{s}]: unknown label {lab!r}; the model knows {list(index)}")
                i = index[lab] = len(index)
            out[pos] = i
            pos += 1
    return list(index), out


# ---------------------------------------------------------------------- training problem
class _TrainingProblem:
    """The encoded training set, its generated features and the objective."""

    def __init__(self, data: _Encoded, labels: np.ndarray, n_labels: int, n_attrs: int, all_states: bool,
                 all_transitions: bool, min_freq: float, n_threads: int = 1):
        L, A = n_labels, n_attrs
        self.data, self.L, self.A = data, L, A
        lab = labels.astype(np.int64)
        # state features: (attribute, label of its token), frequency = sum of attribute values
        key = data.attr * L + np.repeat(lab, np.diff(data.tok_ptr))
        freq = np.bincount(key, weights=data.val, minlength=A * L)
        present = np.zeros(A * L, dtype=bool)
        present[key] = True
        if all_states:
            seen = np.unique(data.attr)
            present.reshape(A, L)[seen] = True
        self.state_index = np.flatnonzero(present & (freq >= min_freq))
        # transition features: label bigrams inside sentences
        inner = np.ones(len(lab), dtype=bool)
        inner[data.seq_ptr[:-1]] = False  # the first token of a sentence has no predecessor
        t = np.flatnonzero(inner)
        tfreq = np.bincount(lab[t - 1] * L + lab[t], minlength=L * L).astype(np.float64)
        tpresent = np.ones(L * L, dtype=bool) if all_transitions else tfreq > 0
        self.trans_index = np.flatnonzero(tpresent & (tfreq >= min_freq))
        self.n_state = len(self.state_index)
        self.n_features = self.n_state + len(self.trans_index)
        self.observed = np.concatenate([freq[self.state_index], tfreq[self.trans_index]])
        n_chunks = max(1, min(n_threads, (len(data.seq_ptr) - 1) // 256 or 1))
        targets = np.linspace(0, data.seq_ptr[-1], n_chunks + 1)
        chunks = np.searchsorted(data.seq_ptr, targets)
        chunks[0], chunks[-1] = 0, len(data.seq_ptr) - 1
        self.chunks = np.unique(chunks).astype(np.int64)
        n_chunks = len(self.chunks) - 1
        self._G = np.zeros((n_chunks, A * L))
        self._GT = np.zeros((n_chunks, L, L))
        self._W = np.zeros(A * L)
        self._pool = None
        if n_chunks > 1:
            from concurrent.futures import ThreadPoolExecutor

            self._pool = ThreadPoolExecutor(n_chunks)

    def close(self):
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None

    def dense(self, w):
        W = self._W
        W[self.state_index] = w[: self.n_state]
        T = np.zeros(self.L * self.L)
        T[self.trans_index] = w[self.n_state:]
        return W, T.reshape(self.L, self.L)

    def neg_log_likelihood_and_grad(self, w):
        """-sum_s log p(y_s | x_s) and its gradient E[f] - f(observed)."""
        from mlcanon.classic import _crf_kernels as kern

        d = self.data
        W, T = self.dense(w)
        args = (W, T, self.L, d.seq_ptr, d.tok_ptr, d.attr, d.val)
        ranges = list(enumerate(zip(self.chunks[:-1], self.chunks[1:])))

        def run(job):
            c, (s0, s1) = job
            return kern.objective_terms(*args, s0, s1, self._G[c], self._GT[c], d.maxlen)

        parts = list(self._pool.map(run, ranges)) if self._pool is not None else [run(ranges[0])]
        logz = sum(parts)
        GT = self._GT.sum(axis=0).ravel()
        expected = np.concatenate([sum(G[self.state_index] for G in self._G), GT[self.trans_index]])
        return float(logz - _owlqn._dot(w, self.observed)), expected - self.observed

    def loss_and_grad(self, w, c2):
        """CRFsuite's objective without the L1 term: -log-likelihood + c2 ||w||^2."""
        f, g = self.neg_log_likelihood_and_grad(w)
        if c2 > 0:
            f += c2 * _owlqn._dot(w, w)
            g += 2.0 * c2 * w
        return f, g


def _viterbi(W, T, L, data: _Encoded):
    from mlcanon.classic import _crf_kernels as kern

    return kern.viterbi_all(W, T, L, data.seq_ptr, data.tok_ptr, data.attr, data.val, data.maxlen)


def _path_scores(W, T, L, data: _Encoded, labels):
    """score(x_s, y_s) of each sentence."""
    lab = labels.astype(np.int64)
    per_entry = data.val * W[data.attr * L + np.repeat(lab, np.diff(data.tok_ptr))]
    tok_of_entry = np.repeat(np.arange(len(lab)), np.diff(data.tok_ptr))
    seq_of_tok = np.repeat(np.arange(len(data.seq_ptr) - 1), np.diff(data.seq_ptr))
    out = np.bincount(seq_of_tok[tok_of_entry], weights=per_entry, minlength=len(data.seq_ptr) - 1)
    inner = np.ones(len(lab), dtype=bool)
    inner[data.seq_ptr[:-1][np.diff(data.seq_ptr) > 0]] = False
    t = np.flatnonzero(inner)
    out += np.bincount(seq_of_tok[t], weights=T[lab[t - 1], lab[t]], minlength=len(data.seq_ptr) - 1)
    return out

