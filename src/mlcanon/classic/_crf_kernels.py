"""The linear-chain CRF recursions, compiled with numba: state scores, forward-backward, Viterbi.

Data layout (built once by :mod:`mlcanon.classic.crf`): all sentences are concatenated into one
CSR matrix of tokens x attributes (``tok_ptr``, ``attr``, ``val``), ``seq_ptr[s]:seq_ptr[s+1]``
are the tokens of sentence ``s``. The state weights are a dense ``(n_attributes, L)`` matrix
stored flat (``W[a * L + y]``; a pair that is not a generated feature keeps the weight 0) and the
transition weights an ``(L, L)`` matrix (``trans[i, j]``: label i followed by label j).

- state score:      S[t, y] = sum_a x_t[a] * W[a, y]
- forward (scaled): alpha_0 = e_0 / c_0; alpha_t(j) = sum_i alpha_{t-1}(i) M(i, j) e_t(j) / c_t,
  with e_t = exp(S[t] - max S[t]), M = exp(trans - max trans) and c_t the normaliser,
  so log Z = sum_t (log c_t + max S[t]) + (T - 1) max trans (Rabiner 1989's scaling; CRFsuite's
  crf1d_context.c does the same). Nothing underflows: every alpha_t sums to 1. If a product
  still underflows (weights hundreds of nats apart), the sentence is redone in log space.
- backward:         beta_{T-1} = 1; beta_t(i) = sum_j M(i, j) e_{t+1}(j) beta_{t+1}(j) / c_{t+1}
- marginals:        p(y_t = i) = alpha_t(i) beta_t(i);
                    p(y_{t-1} = i, y_t = j) = alpha_{t-1}(i) M(i, j) e_t(j) beta_t(j) / c_t
- gradient of log Z: d/dW[a, y] = sum_t x_t[a] p(y_t = y); d/dtrans[i, j] = sum_t p(y_{t-1}=i, y_t=j)
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["objective_terms", "viterbi_all", "marginals_all", "log_partition_all"]


@njit(cache=True, nogil=True)
def _state_scores(W, L, tok_ptr, attr, val, t0, t1, S):
    for t in range(t0, t1):
        row = S[t - t0]
        row[:] = 0.0
        for e in range(tok_ptr[t], tok_ptr[t + 1]):
            base = attr[e] * L
            v = val[e]
            for y in range(L):
                row[y] += v * W[base + y]


@njit(cache=True, nogil=True)
def _marginals_scaled(S, n, L, expT, tshift, alpha, beta, scale, P, GT, accumulate):
    """Scaled forward-backward on S[:n]; P[:n] gets the token marginals, GT += pair marginals.
    Returns log Z, or NaN when a scaling factor underflowed (the caller then uses log space)."""
    logz = 0.0
    for t in range(n):
        m = S[t, 0]
        for y in range(1, L):
            if S[t, y] > m:
                m = S[t, y]
        for y in range(L):
            S[t, y] = np.exp(S[t, y] - m)  # S now holds e_t
        logz += m
    # forward
    c = 0.0
    for y in range(L):
        alpha[0, y] = S[0, y]
        c += S[0, y]
    if not (c > 0.0) or not np.isfinite(c):
        return np.nan
    scale[0] = c
    for y in range(L):
        alpha[0, y] /= c
    logz += np.log(c)
    for t in range(1, n):
        c = 0.0
        for j in range(L):
            alpha[t, j] = 0.0
        for i in range(L):
            a = alpha[t - 1, i]
            for j in range(L):
                alpha[t, j] += a * expT[i, j]
        for j in range(L):
            alpha[t, j] *= S[t, j]
            c += alpha[t, j]
        if not (c > 0.0) or not np.isfinite(c):
            return np.nan
        scale[t] = c
        for j in range(L):
            alpha[t, j] /= c
        logz += np.log(c) + tshift
    # backward
    for y in range(L):
        beta[n - 1, y] = 1.0
    tmp = np.empty(L)
    for t in range(n - 2, -1, -1):
        inv = 1.0 / scale[t + 1]
        for j in range(L):
            tmp[j] = S[t + 1, j] * beta[t + 1, j] * inv
        for i in range(L):
            b = 0.0
            for j in range(L):
                b += expT[i, j] * tmp[j]
            beta[t, i] = b
    if accumulate:
        for t in range(1, n):
            inv = 1.0 / scale[t]
            for j in range(L):
                tmp[j] = S[t, j] * beta[t, j] * inv
            for i in range(L):
                a = alpha[t - 1, i]
                for j in range(L):
                    GT[i, j] += a * expT[i, j] * tmp[j]
    for t in range(n):
        for y in range(L):
            P[t, y] = alpha[t, y] * beta[t, y]
    return logz


@njit(cache=True, nogil=True)
def _logsumexp(x):
    m = x.max()
    if not np.isfinite(m):
        return m
    s = 0.0
    for v in x:
        s += np.exp(v - m)
    return m + np.log(s)


@njit(cache=True, nogil=True)
def _marginals_log(S, n, L, trans, la, lb, P, GT, accumulate):
    """The same as :func:`_marginals_scaled` in log space (slower; used only after an underflow)."""
    buf = np.empty(L)
    for y in range(L):
        la[0, y] = S[0, y]
    for t in range(1, n):
        for j in range(L):
            for i in range(L):
                buf[i] = la[t - 1, i] + trans[i, j]
            la[t, j] = _logsumexp(buf) + S[t, j]
    logz = _logsumexp(la[n - 1, :L])
    for y in range(L):
        lb[n - 1, y] = 0.0
    for t in range(n - 2, -1, -1):
        for i in range(L):
            for j in range(L):
                buf[j] = trans[i, j] + S[t + 1, j] + lb[t + 1, j]
            lb[t, i] = _logsumexp(buf)
    if accumulate:
        for t in range(1, n):
            for i in range(L):
                for j in range(L):
                    GT[i, j] += np.exp(la[t - 1, i] + trans[i, j] + S[t, j] + lb[t, j] - logz)
    for t in range(n):
        for y in range(L):
            P[t, y] = np.exp(la[t, y] + lb[t, y] - logz)
    return logz


@njit(cache=True, nogil=True)
def _sequence_marginals(W, trans, expT, tshift, L, tok_ptr, attr, val, t0, t1, S, alpha, beta, scale, P, GT,
                        accumulate):
    n = t1 - t0
    _state_scores(W, L, tok_ptr, attr, val, t0, t1, S)
    logz = _marginals_scaled(S, n, L, expT, tshift, alpha, beta, scale, P, GT, accumulate)
    if np.isnan(logz):  # underflow: recompute the scores (S was overwritten) and go to log space
        _state_scores(W, L, tok_ptr, attr, val, t0, t1, S)
        logz = _marginals_log(S, n, L, trans, alpha, beta, P, GT, accumulate)
    return logz


@njit(cache=True, nogil=True)
def _objective_range(W, trans, L, seq_ptr, tok_ptr, attr, val, s0, s1, G, GT, maxlen):
    """Sum of log Z over sentences s0..s1-1; G += expected state counts, GT += expected transitions."""
    S = np.empty((maxlen, L))
    alpha = np.empty((maxlen, L))
    beta = np.empty((maxlen, L))
    P = np.empty((maxlen, L))
    scale = np.empty(maxlen)
    tshift = trans.max()
    expT = np.exp(trans - tshift)
    total = 0.0
    for s in range(s0, s1):
        t0 = seq_ptr[s]
        t1 = seq_ptr[s + 1]
        if t1 == t0:
            continue
        total += _sequence_marginals(W, trans, expT, tshift, L, tok_ptr, attr, val, t0, t1, S, alpha, beta,
                                     scale, P, GT, True)
        for t in range(t0, t1):
            p = P[t - t0]
            for e in range(tok_ptr[t], tok_ptr[t + 1]):
                base = attr[e] * L
                v = val[e]
                for y in range(L):
                    G[base + y] += v * p[y]
    return total


@njit(cache=True, nogil=True)
def objective_terms(W, trans, L, seq_ptr, tok_ptr, attr, val, s0, s1, G, GT, maxlen):
    """Sum of log Z over sentences s0..s1-1, with their expected counts written to G (flat,
    n_attributes * L) and GT (L, L). It releases the GIL, so threads may run disjoint ranges
    into separate G, GT buffers."""
    G[:] = 0.0
    GT[:, :] = 0.0
    return _objective_range(W, trans, L, seq_ptr, tok_ptr, attr, val, s0, s1, G, GT, maxlen)


@njit(cache=True, nogil=True)
def log_partition_all(W, trans, L, seq_ptr, tok_ptr, attr, val, maxlen):
    """log Z of every sentence (0 for an empty one)."""
    n_seq = len(seq_ptr) - 1
    out = np.zeros(n_seq)
    S = np.empty((maxlen, L))
    alpha = np.empty((maxlen, L))
    beta = np.empty((maxlen, L))
    P = np.empty((maxlen, L))
    scale = np.empty(maxlen)
    GT = np.zeros((L, L))
    tshift = trans.max()
    expT = np.exp(trans - tshift)
    for s in range(n_seq):
        if seq_ptr[s + 1] > seq_ptr[s]:
            out[s] = _sequence_marginals(W, trans, expT, tshift, L, tok_ptr, attr, val, seq_ptr[s], seq_ptr[s + 1],
                                         S, alpha, beta, scale, P, GT, False)
    return out


@njit(cache=True, nogil=True)
def marginals_all(W, trans, L, seq_ptr, tok_ptr, attr, val, maxlen):
    """Token marginals p(y_t = y | x) of every token, shape (n_tokens, L)."""
    n_seq = len(seq_ptr) - 1
    out = np.zeros((seq_ptr[n_seq], L))
    S = np.empty((maxlen, L))
    alpha = np.empty((maxlen, L))
    beta = np.empty((maxlen, L))
    scale = np.empty(maxlen)
    GT = np.zeros((L, L))
    tshift = trans.max()
    expT = np.exp(trans - tshift)
    for s in range(n_seq):
        t0 = seq_ptr[s]
        t1 = seq_ptr[s + 1]
        if t1 > t0:
            _sequence_marginals(W, trans, expT, tshift, L, tok_ptr, attr, val, t0, t1, S, alpha, beta, scale,
                                out[t0:t1], GT, False)
    return out


@njit(cache=True, nogil=True)
def viterbi_all(W, trans, L, seq_ptr, tok_ptr, attr, val, maxlen):
    """The best label path of every sentence (Viterbi 1967), as label ids of shape (n_tokens,).

    Ties go to the lowest label id, as in CRFsuite's crf1dc_viterbi (strict ``>`` scanning up).
    """
    n_seq = len(seq_ptr) - 1
    out = np.zeros(seq_ptr[n_seq], dtype=np.int32)
    S = np.empty((maxlen, L))
    delta = np.empty((maxlen, L))
    back = np.zeros((maxlen, L), dtype=np.int32)
    for s in range(n_seq):
        t0 = seq_ptr[s]
        t1 = seq_ptr[s + 1]
        n = t1 - t0
        if n == 0:
            continue
        _state_scores(W, L, tok_ptr, attr, val, t0, t1, S)
        for y in range(L):
            delta[0, y] = S[0, y]
        for t in range(1, n):
            for j in range(L):
                best = delta[t - 1, 0] + trans[0, j]
                arg = 0
                for i in range(1, L):
                    v = delta[t - 1, i] + trans[i, j]
                    if v > best:
                        best = v
                        arg = i
                delta[t, j] = best + S[t, j]
                back[t, j] = arg
        arg = 0
        for y in range(1, L):
            if delta[n - 1, y] > delta[n - 1, arg]:
                arg = y
        out[t1 - 1] = arg
        for t in range(n - 1, 0, -1):
            arg = back[t, arg]
            out[t0 + t - 1] = arg
    return out
