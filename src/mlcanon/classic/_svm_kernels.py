"""Compiled core of :class:`mlcanon.classic.svm.SVC`: libsvm's SMO solver for one binary C-SVC problem.

Solves the dual of the soft-margin SVM (Cortes & Vapnik 1995) for labels y_i in {+1, -1}::

    min_a  f(a) = 1/2 a^T Q a - e^T a     s.t.  y^T a = 0,  0 <= a_i <= C_i,   Q_ij = y_i y_j K(x_i, x_j)

by sequential minimal optimisation (Platt 1998): two variables a_i, a_j at a time, solved in closed form
and clipped to the box. The pair is chosen as libsvm 3.x does (Fan, Chen & Lin 2005, "WSS3"):

    i = argmax { -y_t G_t : t in I_up(a) }                          (the maximal violator)
    j = argmin { -b_it^2 / a_it : t in I_low(a), -y_t G_t < -y_i G_i }  (the largest second-order decrease)
    b_it = -y_i G_i + y_t G_t > 0,   a_it = K_ii + K_tt - 2 K_it  (replaced by tau = 1e-12 when <= 0)

and the solver stops when m(a) - M(a) = max_{I_up} -y G - min_{I_low} -y G < eps (libsvm's ``-e``, scikit-learn's
``tol``). Shrinking (Joachims 1999, as libsvm's ``do_shrinking``) every min(l, 1000) iterations drops bounded
variables that cannot move, keeps ``G_bar`` = sum over upper-bounded a_j of C_j Q_j so that the gradient of the
dropped variables can be rebuilt, and unshrinks once when m - M <= 10 eps. The bias is libsvm's ``calculate_rho``:
the mean of y_i G_i over free variables, else the midpoint of the feasible interval.

Kernel rows Q_i. are computed in one vectorised pass (a SIMD loop of X against x_i, then the kernel's map),
stored as float32 like libsvm's ``Qfloat``, and kept in an LRU cache of at most ``cache_size`` MB. Unlike libsvm,
rows are cached whole and in the caller's order (libsvm swaps cache columns as it shrinks); indices into the
active set go through ``active_set``, so the sequence of pairs, and the result, is libsvm's.
"""

from __future__ import annotations

import numpy as np
from numba import njit

LINEAR, POLY, RBF, SIGMOID, PRECOMPUTED = 0, 1, 2, 3, 4
LOWER, UPPER, FREE = 0, 1, 2
TAU = 1e-12  # libsvm's TAU: the curvature used when K_ii + K_jj - 2 K_ij <= 0 (non-PSD kernels)
INF = np.inf


@njit(cache=True)
def _powi(base, times):
    # libsvm's powi: exponentiation by squaring (the same rounding as the reference's poly kernel)
    tmp = base
    ret = 1.0
    t = times
    while t > 0:
        if t % 2 == 1:
            ret *= tmp
        tmp = tmp * tmp
        t //= 2
    return ret


@njit(cache=True, fastmath=True)
def _dots(X, i):
    """X @ x_i, single-threaded and SIMD-vectorised. A multi-threaded BLAS gemv of this size is ten times
    slower than one core when the machine is busy; libsvm's per-entry ddot never threads either."""
    n, m = X.shape
    out = np.empty(n)
    xi = X[i]
    for t in range(n):
        acc = 0.0
        xt = X[t]
        for k in range(m):
            acc += xt[k] * xi[k]
        out[t] = acc
    return out


@njit(cache=True)
def _kernel_row(X, sq, i, y, kernel, gamma, coef0, degree, out):
    """out[t] = float32(y_i y_t K(x_i, x_t)) for all t (original order)."""
    n = X.shape[0]
    if kernel == PRECOMPUTED:
        for t in range(n):
            out[t] = np.float32(y[i] * y[t] * X[i, t])
        return
    d = _dots(X, i)  # (n,)
    for t in range(n):
        if kernel == LINEAR:
            k = d[t]
        elif kernel == POLY:
            k = _powi(gamma * d[t] + coef0, degree)
        elif kernel == RBF:
            k = np.exp(-gamma * (sq[i] + sq[t] - 2.0 * d[t]))
        else:
            k = np.tanh(gamma * d[t] + coef0)
        out[t] = np.float32(y[i] * y[t] * k)


@njit(cache=True)
def _get_row(i, kc):
    """Row i of Q from the LRU cache (computed on a miss, evicting the least recently used row).

    ``kc`` = (X, sq, y, kernel, gamma, coef0, degree, rows, slot_of, owner, stamp, clock)."""
    X, sq, y, kernel, gamma, coef0, degree, rows, slot_of, owner, stamp, clock = kc
    clock[0] += 1
    s = slot_of[i]
    if s < 0:
        s = clock[1]
        if s < rows.shape[0]:
            clock[1] += 1  # a free slot is left
        else:
            s = np.argmin(stamp)
            slot_of[owner[s]] = -1
        owner[s] = i
        slot_of[i] = s
        _kernel_row(X, sq, i, y, kernel, gamma, coef0, degree, rows[s])
    stamp[s] = clock[0]
    return rows[s]


@njit(cache=True)
def _status(a, c):
    if a >= c:
        return UPPER
    if a <= 0:
        return LOWER
    return FREE


@njit(cache=True)
def smo(X, sq, QD0, y0, C0, kernel, gamma, coef0, degree, eps, shrinking, max_iter, n_slots):
    """Solve one binary C-SVC dual. Returns (y * alpha in the input order, rho, n_iter, timed_out).

    X: (l, d) data (or the (l, l) kernel matrix if ``kernel == PRECOMPUTED``); sq: squared row norms
    (rbf); QD0: K(x_i, x_i); y0: +1/-1 labels (float64); C0: per-sample upper bounds; n_slots: cache rows.
    """
    l = X.shape[0]
    rows = np.empty((n_slots, l), dtype=np.float32)
    kc = (X, sq, y0, kernel, gamma, coef0, degree, rows, np.full(l, -1, dtype=np.int64),
          np.zeros(n_slots, dtype=np.int64), np.zeros(n_slots, dtype=np.int64), np.zeros(2, dtype=np.int64))

    # the solver's arrays live in "active" order: position k holds sample active_set[k]
    y = y0.copy()
    G = np.full(l, -1.0)  # gradient at alpha = 0 is p = -e
    G_bar = np.zeros(l)
    alpha = np.zeros(l)
    C = C0.copy()
    QD = QD0.copy()
    status = np.zeros(l, dtype=np.int64)
    for k in range(l):
        status[k] = _status(alpha[k], C[k])
    aset = np.arange(l)
    s = (y, G, G_bar, alpha, C, QD, status, aset)
    active_size = l
    unshrink = False

    it = 0
    counter = min(l, 1000) + 1
    timed_out = False
    while True:
        if max_iter != -1 and it >= max_iter:
            timed_out = True
            break
        counter -= 1
        if counter == 0:
            counter = min(l, 1000)
            if shrinking:
                active_size, unshrink = _do_shrinking(kc, s, active_size, unshrink, eps)
        i, j, done = _select(kc, s, active_size, eps)
        if done:
            _reconstruct(kc, s, active_size)
            active_size = l
            i, j, done = _select(kc, s, active_size, eps)
            if done:
                break
            counter = 1  # shrink at the next iteration
        it += 1
        _update_pair(kc, s, active_size, i, j)

    rho = _calculate_rho(s, active_size)
    out = np.zeros(l)
    for k in range(l):
        out[aset[k]] = alpha[k] * y[k]
    return out, rho, it, timed_out


@njit(cache=True)
def _select(kc, s, active_size, eps):
    """WSS3 of Fan, Chen & Lin (2005), libsvm's ``select_working_set``; done=True when m - M < eps."""
    y, G, G_bar, alpha, C, QD, status, aset = s
    Gmax = -INF
    i = -1
    for t in range(active_size):
        if y[t] > 0:
            if status[t] != UPPER and -G[t] >= Gmax:
                Gmax = -G[t]
                i = t
        elif status[t] != LOWER and G[t] >= Gmax:
            Gmax = G[t]
            i = t
    if i == -1:  # nothing in I_up: libsvm's loop below then finds no j either
        return -1, -1, True
    Q_i = _get_row(aset[i], kc)
    Gmax2 = -INF
    j = -1
    obj_diff_min = INF
    yi = y[i]
    for t in range(active_size):
        if y[t] > 0:
            if status[t] == LOWER:
                continue
            grad_diff = Gmax + G[t]
            if G[t] >= Gmax2:
                Gmax2 = G[t]
            if grad_diff <= 0:
                continue
            quad = QD[i] + QD[t] - 2.0 * yi * Q_i[aset[t]]
        else:
            if status[t] == UPPER:
                continue
            grad_diff = Gmax - G[t]
            if -G[t] >= Gmax2:
                Gmax2 = -G[t]
            if grad_diff <= 0:
                continue
            quad = QD[i] + QD[t] + 2.0 * yi * Q_i[aset[t]]
        obj_diff = -(grad_diff * grad_diff) / (quad if quad > 0 else TAU)
        if obj_diff <= obj_diff_min:
            j = t
            obj_diff_min = obj_diff
    return i, j, (Gmax + Gmax2 < eps or j == -1)


@njit(cache=True)
def _update_pair(kc, s, active_size, i, j):
    """Solve the two-variable sub-problem in closed form, clip to the box, update G and G_bar (libsvm)."""
    y, G, G_bar, alpha, C, QD, status, aset = s
    l = y.shape[0]
    Q_i = _get_row(aset[i], kc)
    Q_j = _get_row(aset[j], kc)
    C_i = C[i]
    C_j = C[j]
    old_i = alpha[i]
    old_j = alpha[j]
    Qij = Q_i[aset[j]]
    if y[i] != y[j]:
        quad = QD[i] + QD[j] + 2.0 * Qij
        if quad <= 0:
            quad = TAU
        delta = (-G[i] - G[j]) / quad
        diff = alpha[i] - alpha[j]
        alpha[i] += delta
        alpha[j] += delta
        if diff > 0:
            if alpha[j] < 0:
                alpha[j] = 0.0
                alpha[i] = diff
        elif alpha[i] < 0:
            alpha[i] = 0.0
            alpha[j] = -diff
        if diff > C_i - C_j:
            if alpha[i] > C_i:
                alpha[i] = C_i
                alpha[j] = C_i - diff
        elif alpha[j] > C_j:
            alpha[j] = C_j
            alpha[i] = C_j + diff
    else:
        quad = QD[i] + QD[j] - 2.0 * Qij
        if quad <= 0:
            quad = TAU
        delta = (G[i] - G[j]) / quad
        total = alpha[i] + alpha[j]
        alpha[i] -= delta
        alpha[j] += delta
        if total > C_i:
            if alpha[i] > C_i:
                alpha[i] = C_i
                alpha[j] = total - C_i
        elif alpha[j] < 0:
            alpha[j] = 0.0
            alpha[i] = total
        if total > C_j:
            if alpha[j] > C_j:
                alpha[j] = C_j
                alpha[i] = total - C_j
        elif alpha[i] < 0:
            alpha[i] = 0.0
            alpha[j] = total
    d_i = alpha[i] - old_i
    d_j = alpha[j] - old_j
    for k in range(active_size):
        a = aset[k]
        G[k] += Q_i[a] * d_i + Q_j[a] * d_j
    ui = status[i] == UPPER
    uj = status[j] == UPPER
    status[i] = _status(alpha[i], C_i)
    status[j] = _status(alpha[j], C_j)
    # G_bar = sum over upper-bounded a_k of C_k Q_k: changes when i or j enters or leaves the upper bound
    if ui != (status[i] == UPPER):
        Q_i = _get_row(aset[i], kc)
        sign = -C_i if ui else C_i
        for k in range(l):
            G_bar[k] += sign * Q_i[aset[k]]
    if uj != (status[j] == UPPER):
        Q_j = _get_row(aset[j], kc)
        sign = -C_j if uj else C_j
        for k in range(l):
            G_bar[k] += sign * Q_j[aset[k]]


@njit(cache=True)
def _reconstruct(kc, s, active_size):
    """Rebuild G of the shrunk variables from G_bar and the free variables (libsvm's ``reconstruct_gradient``)."""
    y, G, G_bar, alpha, C, QD, status, aset = s
    l = y.shape[0]
    if active_size == l:
        return
    for k in range(active_size, l):
        G[k] = G_bar[k] - 1.0
    nr_free = 0
    for k in range(active_size):
        if status[k] == FREE:
            nr_free += 1
    # libsvm picks the loop order that needs fewer kernel entries (it computes partial rows)
    if nr_free * l > 2 * active_size * (l - active_size):
        for i in range(active_size, l):
            Q_i = _get_row(aset[i], kc)
            for k in range(active_size):
                if status[k] == FREE:
                    G[i] += alpha[k] * Q_i[aset[k]]
    else:
        for i in range(active_size):
            if status[i] == FREE:
                Q_i = _get_row(aset[i], kc)
                a_i = alpha[i]
                for k in range(active_size, l):
                    G[k] += a_i * Q_i[aset[k]]


@njit(cache=True)
def _be_shrunk(s, i, Gmax1, Gmax2):
    y, G, G_bar, alpha, C, QD, status, aset = s
    if status[i] == UPPER:
        return -G[i] > (Gmax1 if y[i] > 0 else Gmax2)
    if status[i] == LOWER:
        return G[i] > (Gmax2 if y[i] > 0 else Gmax1)
    return False


@njit(cache=True)
def _swap_index(s, i, j):
    y, G, G_bar, alpha, C, QD, status, aset = s
    y[i], y[j] = y[j], y[i]
    G[i], G[j] = G[j], G[i]
    G_bar[i], G_bar[j] = G_bar[j], G_bar[i]
    alpha[i], alpha[j] = alpha[j], alpha[i]
    C[i], C[j] = C[j], C[i]
    QD[i], QD[j] = QD[j], QD[i]
    status[i], status[j] = status[j], status[i]
    aset[i], aset[j] = aset[j], aset[i]


@njit(cache=True)
def _do_shrinking(kc, s, active_size, unshrink, eps):
    """libsvm's ``do_shrinking``: returns the new (active_size, unshrink)."""
    y, G, G_bar, alpha, C, QD, status, aset = s
    l = y.shape[0]
    Gmax1 = -INF  # max { -y_i G_i : i in I_up }
    Gmax2 = -INF  # max {  y_i G_i : i in I_low }
    for i in range(active_size):
        if y[i] > 0:
            if status[i] != UPPER and -G[i] >= Gmax1:
                Gmax1 = -G[i]
            if status[i] != LOWER and G[i] >= Gmax2:
                Gmax2 = G[i]
        else:
            if status[i] != UPPER and -G[i] >= Gmax2:
                Gmax2 = -G[i]
            if status[i] != LOWER and G[i] >= Gmax1:
                Gmax1 = G[i]
    if not unshrink and Gmax1 + Gmax2 <= eps * 10:
        unshrink = True
        _reconstruct(kc, s, active_size)
        active_size = l
    i = 0
    while i < active_size:
        if _be_shrunk(s, i, Gmax1, Gmax2):
            active_size -= 1
            while active_size > i:
                if not _be_shrunk(s, active_size, Gmax1, Gmax2):
                    _swap_index(s, i, active_size)
                    break
                active_size -= 1
        i += 1
    return active_size, unshrink


@njit(cache=True)
def _calculate_rho(s, active_size):
    """libsvm's ``calculate_rho``: mean of y G over free variables, else the midpoint of [lb, ub]."""
    y, G, G_bar, alpha, C, QD, status, aset = s
    nr_free = 0
    ub = INF
    lb = -INF
    sum_free = 0.0
    for i in range(active_size):
        yG = y[i] * G[i]
        if status[i] == UPPER:
            if y[i] < 0:
                ub = min(ub, yG)
            else:
                lb = max(lb, yG)
        elif status[i] == LOWER:
            if y[i] > 0:
                ub = min(ub, yG)
            else:
                lb = max(lb, yG)
        else:
            nr_free += 1
            sum_free += yG
    if nr_free > 0:
        return sum_free / nr_free
    return (ub + lb) / 2
