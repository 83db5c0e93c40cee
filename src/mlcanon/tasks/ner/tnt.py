"""The NER HMM: a second-order (trigram) HMM in the manner of TnT (Brants 2000), with the O state of
frequent words specialised into one state per word (Molina & Pla 2002), trained by counting.

States s are the internal IOBES labels, plus "O|w" for each of the ``n_special`` words most often tagged O
(",", "the", "of", "in", "said", ...): the transitions then see *which* frequent word came before or after
("in X" -> LOC, "X said" -> PER). A sentence s_1..s_n is scored as

    P(w, s) = prod_i P(s_i | s_{i-2}, s_{i-1}) P(w_i | s_i) * P(</s> | s_{n-1}, s_n)     (s_{-1} = s_0 = <s>)

Transitions, by deleted interpolation (TnT section 2.2; the lambdas count, over every trigram, which of
the three leave-one-out estimates is largest):

    P(s3 | s1, s2) = l1 f(s3) / N + l2 f(s2 s3) / f(s2) + l3 f(s1 s2 s3) / f(s1 s2)

Emissions of a word w seen in training: f(w, s) / f(s) (maximum likelihood); a word seen at most ``mix``
times gets m P_ML(w | s) + (1 - m) P_suffix(w | s) with m = f(w) / (f(w) + 0.5), so a word seen once as
B-ORG is not forced to be an organisation. Unknown words (TnT section 2.3): P(w | s) is proportional to
P(s | suffixes of w) / P(s), the suffix distribution learnt from the words seen at most ``rare`` times,
one suffix trie per word class (the short shape, first 4 symbols: "Xx", "X", "d", "x-x", ...; "o" for a
Chinese character), smoothed
recursively from the shortest suffix to the longest (up to ``max_suffix`` letters):

    P(s | l_{n-i+1}..l_n) = (P_ML(s | l_{n-i+1}..l_n) + theta P(s | l_{n-i+2}..l_n)) / (1 + theta)

TnT sets theta to the standard deviation of the state probabilities (~0.06 here); on CoNLL-2003 dev a
much stronger backing-off is better. The defaults n_special = 400, theta = 2, mix = 4 were chosen on
CoNLL-2003 dev (the grid and its F1s: ``dev_grids`` in benchmarks/results/ner.json; 800 special states
scored 88.06 against 88.00 for 400, a tie, so the smaller model). An
unknown word whose lower-case / title-case / capitalised form was seen more than twice takes that form's
emissions (the ALL-CAPS headlines of CoNLL). Viterbi runs over pairs of states, each position limited to
the states its word can be emitted by, so the cost per token is |S_{i-2}| |S_{i-1}| |S_i| (compiled with numba).
"""

from __future__ import annotations

import string
from collections import Counter

import numpy as np
from numba import njit

from mlcanon.tasks.ner.crf_features import short_shape

__all__ = ["TrigramHMM"]

_KEEP = frozenset("Xxd" + string.punctuation)
_MIX_PRIOR = 0.5  # m = f / (f + 0.5): a word seen once keeps 2/3 of its ML emission


def word_class(word: str) -> str:
    """The unknown-word class: the first 4 symbols of the short shape ("Xx", "X", "d,d", "x-x" ...), any
    symbol that is not X, x, d or ASCII punctuation (a Chinese character, say) written "o"."""
    return "".join(c if c in _KEEP else "o" for c in short_shape(word)[:4])


class TrigramHMM:
    """Second-order HMM tagger trained by counting (see the module docstring).

    Parameters
    ----------
    n_special : int, default=400
        Words whose O state becomes a state of their own (the most frequent O words).
    theta : float, default=2.0
        Suffix back-off weight.
    rare : int, default=10
        Words seen at most this often train the suffix model.
    max_suffix : int, default=10
        Longest suffix used.
    mix : int, default=4
        Words seen at most this often mix their ML emission with the suffix model.

    Examples
    --------
    >>> hmm = TrigramHMM(n_special=0).fit([["John", "runs"]] * 3, [["S-PER", "O"]] * 3, ["O", "S-PER"])
    >>> hmm.tag([["John", "runs"]])
    [['S-PER', 'O']]
    """

    def __init__(self, n_special: int = 400, theta: float = 2.0, rare: int = 10, max_suffix: int = 10,
                 mix: int = 4) -> None:
        self.n_special, self.theta, self.rare, self.max_suffix, self.mix = n_special, theta, rare, max_suffix, mix

    def _check(self) -> None:
        for name in ("n_special", "rare", "max_suffix", "mix"):
            v = getattr(self, name)
            if not isinstance(v, int) or isinstance(v, bool) or v < 0:
                raise ValueError(f"{name}: expected an int >= 0, got {v!r}")
        if not isinstance(self.theta, (int, float)) or not self.theta > 0:
            raise ValueError(f"theta: expected a number > 0, got {self.theta!r}")

    # ------------------------------------------------------------------ training
    def fit(self, tokens: list[list[str]], tags: list[list[str]], labels: list[str]) -> TrigramHMM:
        """Count transitions, emissions and suffixes of the tagged sentences (tags among ``labels``)."""
        self._check()
        if len(tokens) != len(tags) or any(len(a) != len(b) for a, b in zip(tokens, tags)):
            raise ValueError("tags: expected one tag per token of every sentence")
        if not tokens or not any(tokens):
            raise ValueError("tokens: expected at least one non-empty sentence")
        self.labels = list(labels)
        unknown = sorted({t for s in tags for t in s} - set(self.labels))
        if unknown:
            raise ValueError(f"tags: {unknown[0]!r} is not one of labels {self.labels}")
        o_counts = Counter(w for s, ts in zip(tokens, tags) for w, t in zip(s, ts) if t == "O")
        special = sorted(o_counts.items(), key=lambda kv: (-kv[1], kv[0]))[: self.n_special]
        self.states = self.labels + ["O|" + w for w, _ in special]
        index = {s: i for i, s in enumerate(self.states)}
        seqs = [np.array([index.get("O|" + w, index[t]) if t == "O" else index[t] for w, t in zip(s, ts)],
                         dtype=np.int64) for s, ts in zip(tokens, tags)]
        self._fit_transitions(seqs)
        self._fit_emissions(tokens, seqs)
        self._cache: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        return self

    def _fit_transitions(self, seqs: list[np.ndarray]) -> None:
        K = len(self.states)
        B = K  # <s> before the sentence and </s> after it share the id K
        padded = [np.concatenate(([B, B], s, [B])) for s in seqs if len(s)]
        a = np.concatenate([p[:-2] for p in padded])
        b = np.concatenate([p[1:-1] for p in padded])
        c = np.concatenate([p[2:] for p in padded])
        uni = np.bincount(c, minlength=K + 1).astype(float)  # f(s3)
        bi = np.bincount(b * (K + 1) + c, minlength=(K + 1) ** 2).reshape(K + 1, K + 1).astype(float)
        keys, tri = np.unique((a * (K + 1) + b) * (K + 1) + c, return_counts=True)
        ctx = np.bincount(a * (K + 1) + b, minlength=(K + 1) ** 2).astype(float)  # f(s1 s2) as a context
        ka, kb, kc = keys // (K + 1) ** 2, keys // (K + 1) % (K + 1), keys % (K + 1)
        ctx1 = bi.sum(axis=1)  # f(s2) as a context
        n = uni.sum()
        # deleted interpolation: each trigram votes, with its count, for the largest leave-one-out estimate
        e3 = np.where(ctx[ka * (K + 1) + kb] > 1, (tri - 1) / np.maximum(ctx[ka * (K + 1) + kb] - 1, 1), 0.0)
        e2 = np.where(ctx1[kb] > 1, (bi[kb, kc] - 1) / np.maximum(ctx1[kb] - 1, 1), 0.0)
        e1 = (uni[kc] - 1) / max(n - 1, 1)
        votes = np.bincount(np.argmax(np.stack([e1, e2, e3]), axis=0), weights=tri, minlength=3)
        self.lambdas_ = votes / votes.sum()
        self.p1_ = uni / n  # (K+1,)
        self.p2_ = np.divide(bi, ctx1[:, None], out=np.zeros_like(bi), where=ctx1[:, None] > 0)  # (K+1, K+1)
        self.tri_keys_ = keys  # sorted
        self.p3_ = tri / ctx[ka * (K + 1) + kb]
        self.state_counts_ = uni[:K]

    def _fit_emissions(self, tokens, seqs) -> None:
        L = len(self.labels)
        pairs = Counter((w, int(s)) for sent, ids in zip(tokens, seqs) for w, s in zip(sent, ids.tolist()))
        words: dict[str, list[tuple[int, int]]] = {}
        for (w, s), f in pairs.items():
            words.setdefault(w, []).append((s, f))
        self.freq_ = {w: sum(f for _, f in v) for w, v in words.items()}
        # the suffix model: the words seen at most `rare` times, a special state counted as O
        o = self.labels.index("O") if "O" in self.labels else 0
        base = [s if s < L else o for s in range(len(self.states))]
        suffix: dict[str, np.ndarray] = {}
        for w, v in words.items():
            if self.freq_[w] > self.rare:
                continue
            cls = word_class(w)
            for i in range(min(len(w), self.max_suffix) + 1):
                row = suffix.setdefault(cls + "\t" + (w[len(w) - i:] if i else ""), np.zeros(L))
                for s, f in v:
                    row[base[s]] += f
        self.suffix_keys_ = list(suffix)
        self.suffix_counts_ = np.array([suffix[k] for k in self.suffix_keys_]).reshape(-1, L)  # (n_keys, L)
        self._suffix_index = {k: i for i, k in enumerate(self.suffix_keys_)}
        self.vocab_ = sorted(words)
        ptr, ids, logp = [0], [], []
        counts = self.state_counts_
        for w in self.vocab_:
            s = np.array([s for s, _ in words[w]], dtype=np.int64)
            p = np.array([f for _, f in words[w]], dtype=float) / counts[s]
            if self.freq_[w] <= self.mix:
                s, p = self._mixed(w, s, p)
            order = np.argsort(s)
            ids.append(s[order])
            logp.append(np.log(p[order]))
            ptr.append(ptr[-1] + len(s))
        self.emission_ptr_ = np.array(ptr, dtype=np.int64)
        self.emission_state_ = np.concatenate(ids)
        self.emission_logp_ = np.concatenate(logp)
        self._vocab_index = {w: i for i, w in enumerate(self.vocab_)}

    def _mixed(self, w, s, p):
        """m P_ML(w | s) + (1 - m) P_suffix(w | s), P_suffix(w | s) = P(s | suffix) f(w) / f(s)."""
        f = self.freq_[w]
        m = f / (f + _MIX_PRIOR)
        dense = np.zeros(len(self.states))
        dense[s] = m * p
        us, ulogp = self._suffix_emission(w)  # log P(s | suffix) - log P(s)
        dense[us] += (1 - m) * np.exp(ulogp) * f / self.state_counts_.sum()
        keep = np.flatnonzero(dense > 0)
        return keep, dense[keep]

    # ------------------------------------------------------------------ emissions at tagging time
    def _suffix_emission(self, w: str) -> tuple[np.ndarray, np.ndarray]:
        """(states, log P(s | suffixes of w) - log P(s)) over the labels (see the module docstring)."""
        cls = word_class(w)
        index, counts = self._suffix_index, self.suffix_counts_
        row = index.get(cls + "\t")
        base = counts[row] if row is not None else counts.sum(axis=0) if len(counts) else np.ones(len(self.labels))
        p = base / base.sum()
        for i in range(1, min(len(w), self.max_suffix) + 1):
            row = index.get(cls + "\t" + w[-i:])
            if row is None:
                break
            p = (counts[row] / counts[row].sum() + self.theta * p) / (1 + self.theta)
        prior = self.state_counts_[: len(self.labels)] / self.state_counts_.sum()
        s = np.flatnonzero((p > 0) & (prior > 0))
        return s, np.log(p[s]) - np.log(prior[s])

    def _emission(self, w: str) -> tuple[np.ndarray, np.ndarray]:
        hit = self._cache.get(w)
        if hit is not None:
            return hit
        i = self._vocab_index.get(w)
        if i is None:  # an unknown word: its other-case form if that is a word seen more than twice
            for alt in (w.lower(), w.title(), w.capitalize()):
                if alt != w and self.freq_.get(alt, 0) > 2:
                    i = self._vocab_index[alt]
                    break
        if i is None:
            hit = self._suffix_emission(w)
        else:
            a, b = self.emission_ptr_[i], self.emission_ptr_[i + 1]
            hit = (self.emission_state_[a:b], self.emission_logp_[a:b])
        if len(self._cache) > 500_000:
            self._cache.clear()
        self._cache[w] = hit
        return hit

    # ------------------------------------------------------------------ decoding
    def tag(self, tokens: list[list[str]]) -> list[list[str]]:
        """The Viterbi labels of each sentence (a special state "O|w" is written as O)."""
        seq_ptr, pos_ptr, states, logp = [0], [0], [], []
        for s in tokens:
            if not isinstance(s, list) or not all(isinstance(w, str) for w in s):
                raise TypeError(f"tokens: expected lists of str, got {type(s).__name__}")
            for w in s:
                st, lp = self._emission(w)
                states.append(st)
                logp.append(lp)
                pos_ptr.append(pos_ptr[-1] + len(st))
            seq_ptr.append(seq_ptr[-1] + len(s))
        if not states:
            return [[] for _ in tokens]
        l1, l2, l3 = (float(x) for x in self.lambdas_)
        path = _viterbi_all(np.array(seq_ptr, dtype=np.int64), np.array(pos_ptr, dtype=np.int64),
                            np.concatenate(states).astype(np.int64), np.concatenate(logp), self.p1_, self.p2_,
                            self.tri_keys_, self.p3_, l1, l2, l3, len(self.states))  # (n_tokens,)
        L = len(self.labels)
        flat = [self.labels[k] if k < L else "O" for k in path.tolist()]
        return [flat[a:b] for a, b in zip(seq_ptr[:-1], seq_ptr[1:])]

    # ------------------------------------------------------------------ weights in and out
    def arrays(self) -> dict[str, np.ndarray]:
        """The learned numbers, for safetensors (the strings go in :meth:`strings`)."""
        return {"lambdas": self.lambdas_, "p1": self.p1_, "p2": self.p2_, "tri_keys": self.tri_keys_, "p3": self.p3_,
                "state_counts": self.state_counts_, "suffix_counts": self.suffix_counts_,
                "emission_ptr": self.emission_ptr_, "emission_state": self.emission_state_,
                "emission_logp": self.emission_logp_,
                "vocab_freq": np.array([self.freq_[w] for w in self.vocab_], dtype=np.int64)}

    def strings(self) -> dict[str, list[str]]:
        return {"labels": self.labels, "states": self.states, "vocab": self.vocab_, "suffix_keys": self.suffix_keys_}

    @classmethod
    def from_arrays(cls, hyper: dict, arrays: dict[str, np.ndarray], strings: dict[str, list[str]]) -> TrigramHMM:
        self = cls(**hyper)
        self.labels, self.states = strings["labels"], strings["states"]
        self.vocab_, self.suffix_keys_ = strings["vocab"], strings["suffix_keys"]
        self.lambdas_, self.p1_, self.p2_ = arrays["lambdas"], arrays["p1"], arrays["p2"]
        self.tri_keys_, self.p3_, self.state_counts_ = arrays["tri_keys"], arrays["p3"], arrays["state_counts"]
        self.suffix_counts_ = arrays["suffix_counts"]
        self.emission_ptr_, self.emission_state_ = arrays["emission_ptr"], arrays["emission_state"]
        self.emission_logp_ = arrays["emission_logp"]
        self.freq_ = dict(zip(self.vocab_, arrays["vocab_freq"].tolist()))
        self._vocab_index = {w: i for i, w in enumerate(self.vocab_)}
        self._suffix_index = {k: i for i, k in enumerate(self.suffix_keys_)}
        self._cache = {}
        return self


@njit(cache=True, nogil=True)
def _log_trans(a, b, c, p1, p2, keys, p3, l1, l2, l3, K1):
    """log P(c | a, b), the interpolated trigram (p3 looked up among the sorted trigram keys)."""
    key = (a * K1 + b) * K1 + c
    at = np.searchsorted(keys, key)
    q3 = p3[at] if at < len(keys) and keys[at] == key else 0.0
    return np.log(l1 * p1[c] + l2 * p2[b, c] + l3 * q3)


@njit(cache=True, nogil=True)
def _viterbi_all(seq_ptr, pos_ptr, states, logp, p1, p2, keys, p3, l1, l2, l3, K):
    """Second-order Viterbi of every sentence; the states allowed at token t are
    states[pos_ptr[t]:pos_ptr[t+1]] with log emissions logp[...]. Returns the state of each token.

    delta_t(b, c) = max_a delta_{t-1}(a, b) + log P(c | a, b) + log P(w_t | c), a in S_{t-2}, b in S_{t-1},
    c in S_t (S_{-1} = S_{-2} = {<s>}); the end adds log P(</s> | b, c). Ties go to the first state."""
    K1 = K + 1
    out = np.zeros(seq_ptr[-1], dtype=np.int64)
    bos = np.full(1, K, dtype=np.int64)
    for s in range(len(seq_ptr) - 1):
        t0, t1 = seq_ptr[s], seq_ptr[s + 1]
        n = t1 - t0
        if n == 0:
            continue
        offs = np.zeros(n + 1, dtype=np.int64)  # back pointers of token i: offs[i]:offs[i+1], (|S_{i-1}|, |S_i|)
        prev = 1
        for i in range(n):
            size = pos_ptr[t0 + i + 1] - pos_ptr[t0 + i]
            offs[i + 1] = offs[i] + prev * size
            prev = size
        back = np.zeros(offs[n], dtype=np.int64)
        delta = np.zeros(1)
        P2 = bos
        P1 = bos
        for i in range(n):
            C = states[pos_ptr[t0 + i]:pos_ptr[t0 + i + 1]]
            e = logp[pos_ptr[t0 + i]:pos_ptr[t0 + i + 1]]
            nb, nc = len(P1), len(C)
            new = np.empty(nb * nc)
            for bi in range(nb):
                for ci in range(nc):
                    best = -np.inf
                    arg = 0
                    for ai in range(len(P2)):
                        v = delta[ai * nb + bi] + _log_trans(P2[ai], P1[bi], C[ci], p1, p2, keys, p3, l1, l2, l3, K1)
                        if v > best:
                            best = v
                            arg = ai
                    new[bi * nc + ci] = best + e[ci]
                    back[offs[i] + bi * nc + ci] = arg
            delta = new
            P2 = P1
            P1 = C
        nb, nc = len(P2), len(P1)
        best = -np.inf
        bb = 0
        cc = 0
        for bi in range(nb):
            for ci in range(nc):
                v = delta[bi * nc + ci] + _log_trans(P2[bi], P1[ci], K, p1, p2, keys, p3, l1, l2, l3, K1)
                if v > best:
                    best = v
                    bb = bi
                    cc = ci
        # backtrack: at token i the pair (b = index in S_{i-1}, c = index in S_i)
        for i in range(n - 1, -1, -1):
            out[t0 + i] = states[pos_ptr[t0 + i] + cc]
            if i == 0:
                break
            size = pos_ptr[t0 + i + 1] - pos_ptr[t0 + i]
            a = back[offs[i] + bb * size + cc]
            cc = bb
            bb = a
    return out
