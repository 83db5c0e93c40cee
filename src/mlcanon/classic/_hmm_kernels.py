"""The HMM recursions over time, compiled with numba: forward, backward, posteriors, xi sums, Viterbi.

Every kernel works on many sequences at once: the frames of all sequences are concatenated
(hmmlearn's ``(X, lengths)`` layout) and ``offsets`` holds the start of each sequence plus the
total, so sequence ``n`` is rows ``offsets[n]:offsets[n + 1]``. One call does the whole batch,
so Python is entered once per pass, not once per sequence.

Log space, made fast without losing exactness (Rabiner 1989, eqs. 19-20 in logs)::

    log alpha_t(j) = log sum_i exp(log alpha_{t-1}(i) + log A_ij) + log b_j(x_t)
                   = m + log sum_i exp(log alpha_{t-1}(i) - m) A_ij + log b_j(x_t),   m = max_i log alpha_{t-1}(i)

The second line needs K exponentials and a K x K multiply-add a step instead of K^2
exponentials (hmmlearn's ``_hmmc.forward_log``). Terms lost to underflow are below 1e-308 of
the largest one; when the sum for a state is small enough (< 1e-200) that such a loss could
matter, that state falls back to the exact log-sum-exp with its own maximum. So the result is
the log-space recursion to rounding, on every input, including left-right models with zeros.

The ``*_scaling`` kernels are Rabiner's scaled recursion (hmmlearn's ``implementation="scaling"``):
alpha normalised to sum 1 at every step, log-likelihood = sum of the logs of the normalisers.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

_TINY = 1e-200  # below this, a fast-path sum may have lost terms to underflow: redo it exactly


@njit(cache=True, nogil=True)
def _lse(v):
    """log sum exp of a 1-D array (hmmlearn's: an infinite maximum is returned as is)."""
    m = -np.inf
    for x in v:
        if x > m:
            m = x
    if math.isinf(m):
        return m
    s = 0.0
    for x in v:
        s += math.exp(x - m)
    return math.log(s) + m


@njit(cache=True, nogil=True)
def forward_log(log_startprob, transmat, log_transmat, log_frameprob, offsets, fwd, logprob):
    """Fill ``fwd`` (N, K) with log alpha and ``logprob`` (n_seq,) with log P(x_1..T) per sequence."""
    K = log_startprob.shape[0]
    e = np.empty(K)
    s = np.empty(K)
    buf = np.empty(K)
    for n in range(offsets.shape[0] - 1):
        a, b = offsets[n], offsets[n + 1]
        for j in range(K):
            fwd[a, j] = log_startprob[j] + log_frameprob[a, j]
        for t in range(a + 1, b):
            m = -np.inf
            for i in range(K):
                if fwd[t - 1, i] > m:
                    m = fwd[t - 1, i]
            if m == -np.inf:  # impossible prefix: every continuation is impossible too
                for j in range(K):
                    fwd[t, j] = -np.inf
                continue
            for j in range(K):
                s[j] = 0.0
            for i in range(K):
                e[i] = math.exp(fwd[t - 1, i] - m)
                ei = e[i]
                if ei != 0.0:
                    for j in range(K):
                        s[j] += ei * transmat[i, j]
            for j in range(K):
                if s[j] > _TINY:
                    fwd[t, j] = m + math.log(s[j]) + log_frameprob[t, j]
                else:
                    for i in range(K):
                        buf[i] = fwd[t - 1, i] + log_transmat[i, j]
                    fwd[t, j] = _lse(buf) + log_frameprob[t, j]
        logprob[n] = _lse(fwd[b - 1])


@njit(cache=True, nogil=True)
def backward_log(transmat, log_transmat, log_frameprob, offsets, bwd):
    """Fill ``bwd`` (N, K) with log beta: log beta_t(i) = log sum_j A_ij b_j(x_{t+1}) beta_{t+1}(j)."""
    K = transmat.shape[0]
    trans_t = np.ascontiguousarray(transmat.T)  # column j of A is contiguous: the i-loop vectorises
    v = np.empty(K)
    acc = np.empty(K)
    buf = np.empty(K)
    for n in range(offsets.shape[0] - 1):
        a, b = offsets[n], offsets[n + 1]
        for i in range(K):
            bwd[b - 1, i] = 0.0
        for t in range(b - 2, a - 1, -1):
            m = -np.inf
            for j in range(K):
                v[j] = log_frameprob[t + 1, j] + bwd[t + 1, j]
                if v[j] > m:
                    m = v[j]
            if m == -np.inf:
                for i in range(K):
                    bwd[t, i] = -np.inf
                continue
            for i in range(K):
                acc[i] = 0.0
            for j in range(K):
                fj = math.exp(v[j] - m)
                if fj != 0.0:
                    for i in range(K):
                        acc[i] += trans_t[j, i] * fj
            for i in range(K):
                if acc[i] > _TINY:
                    bwd[t, i] = m + math.log(acc[i])
                else:
                    for j in range(K):
                        buf[j] = log_transmat[i, j] + v[j]
                    bwd[t, i] = _lse(buf)


@njit(cache=True, nogil=True)
def posteriors_log(fwd, bwd, out):
    """gamma_t(i) = exp(log alpha_t(i) + log beta_t(i)), normalised per frame (as hmmlearn)."""
    N, K = fwd.shape
    for t in range(N):
        m = -np.inf
        for i in range(K):
            x = fwd[t, i] + bwd[t, i]
            out[t, i] = x
            if x > m:
                m = x
        if K == 1:
            out[t, 0] = 1.0
            continue
        s = 0.0
        for i in range(K):
            out[t, i] = math.exp(out[t, i] - m)
            s += out[t, i]
        for i in range(K):
            out[t, i] /= s


@njit(cache=True, nogil=True)
def xi_sum_log(fwd, bwd, transmat, log_transmat, log_frameprob, offsets, logprob, out):
    """Add sum_t xi_t(i, j) = sum_t P(s_t = i, s_{t+1} = j | x) over all sequences into ``out`` (K, K).

    xi_t(i, j) = exp(log alpha_t(i) + log A_ij + log b_j(x_{t+1}) + log beta_{t+1}(j) - log P(x))
               = A_ij * [exp(log alpha_t(i) - cf) exp(log b_j + log beta_{t+1}(j) - cb) exp(cf + cb - log P)];
    the bracket is summed over t as an outer product and multiplied by A_ij once at the end.
    """
    K = transmat.shape[0]
    trans_t = np.ascontiguousarray(transmat.T)
    e = np.empty(K)
    g = np.empty(K)
    h = np.empty(K)
    outer = np.zeros((K, K))
    for n in range(offsets.shape[0] - 1):
        a, b = offsets[n], offsets[n + 1]
        lp = logprob[n]
        for t in range(a, b - 1):
            cf = -np.inf
            for i in range(K):
                if fwd[t, i] > cf:
                    cf = fwd[t, i]
            cb = -np.inf
            for j in range(K):
                g[j] = log_frameprob[t + 1, j] + bwd[t + 1, j]
                if g[j] > cb:
                    cb = g[j]
            if cf == -np.inf or cb == -np.inf:
                continue
            for i in range(K):
                e[i] = math.exp(fwd[t, i] - cf)
                h[i] = 0.0
            for j in range(K):
                g[j] = math.exp(g[j] - cb)
                gj = g[j]
                for i in range(K):
                    h[i] += trans_t[j, i] * gj  # h = A g
            total = 0.0
            for i in range(K):
                total += e[i] * h[i]
            if total > _TINY:
                scale = math.exp(cf + cb - lp)
                for i in range(K):
                    ei = e[i] * scale
                    if ei != 0.0:
                        for j in range(K):
                            outer[i, j] += ei * g[j]
            else:  # every pair is tiny relative to the maxima: do this step exactly in logs
                for i in range(K):
                    for j in range(K):
                        x = fwd[t, i] + log_transmat[i, j] + log_frameprob[t + 1, j] + bwd[t + 1, j] - lp
                        out[i, j] += math.exp(x)
    for i in range(K):
        for j in range(K):
            out[i, j] += transmat[i, j] * outer[i, j]


@njit(cache=True, nogil=True)
def forward_scaling(startprob, transmat, frameprob, offsets, fwd, scaling, logprob):
    """Scaled forward pass; returns the first frame index whose normaliser underflowed, or -1."""
    K = startprob.shape[0]
    for n in range(offsets.shape[0] - 1):
        a, b = offsets[n], offsets[n + 1]
        lp = 0.0
        for t in range(a, b):
            if t == a:
                for j in range(K):
                    fwd[t, j] = startprob[j] * frameprob[t, j]
            else:
                for j in range(K):
                    fwd[t, j] = 0.0
                for i in range(K):
                    fi = fwd[t - 1, i]
                    if fi != 0.0:
                        for j in range(K):
                            fwd[t, j] += fi * transmat[i, j]
                for j in range(K):
                    fwd[t, j] *= frameprob[t, j]
            s = 0.0
            for j in range(K):
                s += fwd[t, j]
            if s < 1e-300:
                return t
            scale = 1.0 / s
            scaling[t] = scale
            lp -= math.log(scale)
            for j in range(K):
                fwd[t, j] *= scale
        logprob[n] = lp
    return -1


@njit(cache=True, nogil=True)
def backward_scaling(transmat, frameprob, scaling, offsets, bwd):
    """Scaled backward pass with the forward pass's normalisers (hmmlearn's convention)."""
    K = transmat.shape[0]
    f = np.empty(K)
    for n in range(offsets.shape[0] - 1):
        a, b = offsets[n], offsets[n + 1]
        for i in range(K):
            bwd[b - 1, i] = scaling[b - 1]
        for t in range(b - 2, a - 1, -1):
            for j in range(K):
                f[j] = frameprob[t + 1, j] * bwd[t + 1, j]
            for i in range(K):
                acc = 0.0
                for j in range(K):
                    acc += transmat[i, j] * f[j]
                bwd[t, i] = acc * scaling[t]


@njit(cache=True, nogil=True)
def posteriors_scaling(fwd, bwd, out):
    """gamma = alpha * beta normalised per frame (a zero frame stays zero, as hmmlearn's normalize)."""
    N, K = fwd.shape
    for t in range(N):
        s = 0.0
        for i in range(K):
            out[t, i] = fwd[t, i] * bwd[t, i]
            s += out[t, i]
        if s == 0.0:
            s = 1.0
        for i in range(K):
            out[t, i] /= s


@njit(cache=True, nogil=True)
def xi_sum_scaling(fwd, bwd, transmat, frameprob, offsets, out):
    """Add sum_t alpha_t(i) A_ij b_j(x_{t+1}) beta_{t+1}(j) (scaled quantities) into ``out``."""
    K = transmat.shape[0]
    g = np.empty(K)
    for n in range(offsets.shape[0] - 1):
        a, b = offsets[n], offsets[n + 1]
        for t in range(a, b - 1):
            for j in range(K):
                g[j] = frameprob[t + 1, j] * bwd[t + 1, j]
            for i in range(K):
                fi = fwd[t, i]
                if fi != 0.0:
                    for j in range(K):
                        out[i, j] += fi * transmat[i, j] * g[j]


@njit(cache=True, nogil=True)
def viterbi(log_startprob, log_transmat, log_frameprob, offsets, delta, backptr, path, logprob, store_backptr):
    """Viterbi over all sequences: ``delta`` (N, K) best log score ending in each state,
    ``path`` (N,) the best path, and, when ``store_backptr``, ``backptr`` (N, K) the best
    predecessor of every state (-1 at each sequence's first frame).

    Ties are broken as hmmlearn's ``_hmmc.viterbi``: the last state among equal predecessors,
    the first state among equal final scores. Without ``store_backptr`` the sweep keeps only the
    maxima (a vectorised max) and the backtrack recomputes the K candidates of each step, as
    hmmlearn does.
    """
    K = log_startprob.shape[0]
    best = np.empty(K)
    arg = np.empty(K, dtype=np.int64)
    for n in range(offsets.shape[0] - 1):
        a, b = offsets[n], offsets[n + 1]
        for j in range(K):
            delta[a, j] = log_startprob[j] + log_frameprob[a, j]
            if store_backptr:
                backptr[a, j] = -1
        for t in range(a + 1, b):
            for j in range(K):
                best[j] = -np.inf
                arg[j] = 0
            for i in range(K):
                d = delta[t - 1, i]
                if store_backptr:
                    for j in range(K):
                        v = d + log_transmat[i, j]
                        if v >= best[j]:
                            best[j] = v
                            arg[j] = i
                else:
                    for j in range(K):
                        v = d + log_transmat[i, j]
                        best[j] = v if v > best[j] else best[j]
            for j in range(K):
                delta[t, j] = best[j] + log_frameprob[t, j]
                if store_backptr:
                    backptr[t, j] = arg[j]
        last = 0
        for j in range(1, K):
            if delta[b - 1, j] > delta[b - 1, last]:
                last = j
        logprob[n] = delta[b - 1, last]
        path[b - 1] = last
        for t in range(b - 1, a, -1):
            nxt = path[t]
            if store_backptr:
                path[t - 1] = backptr[t, nxt]
            else:
                bv = -np.inf
                bi = 0
                for i in range(K):
                    v = delta[t - 1, i] + log_transmat[i, nxt]
                    if v >= bv:
                        bv = v
                        bi = i
                path[t - 1] = bi


@njit(cache=True, nogil=True)
def categorical_counts(symbols, posteriors, out):
    """out[k, s] += sum of posteriors[t, k] over frames t with symbol s."""
    N, K = posteriors.shape
    for t in range(N):
        s = symbols[t]
        for k in range(K):
            out[k, s] += posteriors[t, k]


@njit(cache=True, nogil=True)
def gaussian_log_density_diag(X, means, covars):
    """log N(x | mu_k, diag(c_k)) for every frame and state: (N, K)."""
    N, D = X.shape
    K = means.shape[0]
    out = np.empty((N, K))
    const = np.empty(K)
    for k in range(K):
        acc = D * math.log(2 * math.pi)
        for d in range(D):
            acc += math.log(covars[k, d])
        const[k] = acc
    for n in range(N):
        for k in range(K):
            acc = 0.0
            for d in range(D):
                diff = X[n, d] - means[k, d]
                acc += diff * diff / covars[k, d]
            out[n, k] = -0.5 * (const[k] + acc)
    return out


@njit(cache=True, nogil=True)
def gaussian_log_density_chol(X, means, chols):
    """log N(x | mu_k, L_k L_k^T) for every frame and state: -0.5 (D log 2 pi + log|Sigma_k| + ||y||^2)
    with L_k y = x - mu_k solved by forward substitution (hmmlearn solves the same triangle with LAPACK)."""
    N, D = X.shape
    K = means.shape[0]
    out = np.empty((N, K))
    y = np.empty(D)
    for k in range(K):
        log_det = 0.0
        for d in range(D):
            log_det += 2.0 * math.log(chols[k, d, d])
        const = D * math.log(2 * math.pi) + log_det
        for n in range(N):
            sq = 0.0
            for d in range(D):
                acc = X[n, d] - means[k, d]
                for e in range(d):
                    acc -= chols[k, d, e] * y[e]
                y[d] = acc / chols[k, d, d]
                sq += y[d] * y[d]
            out[n, k] = -0.5 * (const + sq)
    return out
