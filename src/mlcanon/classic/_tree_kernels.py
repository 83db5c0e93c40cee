"""numba kernels of the decision tree: split search, depth-first and best-first builders, pruning.

These are the loops of :mod:`mlcanon.classic.tree`; they follow scikit-learn's Cython tree
(``sklearn/tree/_splitter.pyx``, ``_criterion.pyx``, ``_tree.pyx``) step by step, so that a tree
grown here with the same ``random_state`` is the tree scikit-learn grows, node for node:

* features are drawn without replacement by a Fisher-Yates walk driven by the same 32-bit
  xorshift generator (``our_rand_r``) seeded by one ``RandomState.randint(0, 2**31 - 1)``;
  features found constant in a node are remembered for its descendants and drawn "for free";
* samples of a node are sorted on the feature (an LSD radix sort on large nodes, introsort
  below ``RADIX_MIN``); candidate thresholds are the midpoints ``x[p-1]/2 + x[p]/2`` between
  consecutive distinct float32 values (two values closer than ``FEATURE_THRESHOLD = 1e-7`` count
  as equal). The radix sort is stable where scikit-learn's introsort is not, so samples with equal
  values sit in another order: with fractional sample weights the running sums may differ in the
  last bit, and only then can an exact tie break the other way;
* the best split maximises a *proxy* of the impurity decrease
  (``-n_L * I_L - n_R * I_R``; for squared error ``S_L^2/n_L + S_R^2/n_R``), with strict ``>``
  so the first candidate in drawing order wins a tie;
* a node is a leaf when ``depth >= max_depth``, ``n < min_samples_split``,
  ``n < 2 * min_samples_leaf``, its weight ``< 2 * min_weight_leaf``, its impurity
  ``<= DBL_EPSILON``, no valid split exists, or ``improvement + DBL_EPSILON < min_impurity_decrease``.

Every kernel is ``@njit(cache=True, nogil=True)``: the forest grows trees on joblib threads.

Why numba: a pure-NumPy builder that vectorises the search over all features and thresholds of a
node (argsort, one-hot cumulative class counts, Gini of every cut) took 17.6x scikit-learn's fit
time on digits (2.52 s vs 0.143 s) and 2.2x on make_classification 5000x50; the per-node Python
and allocation overhead dominates small nodes. These kernels fit at 0.9-1.3x (benchmarks/trees.py).
"""

from __future__ import annotations

import numpy as np
from numba import njit

FEATURE_THRESHOLD = np.float32(1e-7)
EPSILON = np.finfo(np.float64).eps
RAND_R_MAX = 2147483647
LEAF = -1
UNDEFINED = -2

GINI, ENTROPY, GAIN_RATIO, SQUARED_ERROR = 0, 1, 2, 3


# ---------------------------------------------------------------------------- random numbers


@njit(cache=True, nogil=True)
def _rand_int(rng, low, high):
    """``low + our_rand_r(state) % (high - low)``: scikit-learn's xorshift32 (state kept in int64)."""
    s = rng[0]
    if s == 0:
        s = 1
    s ^= (s << 13) & 0xFFFFFFFF
    s ^= s >> 17
    s ^= (s << 5) & 0xFFFFFFFF
    rng[0] = s
    return low + (s % (RAND_R_MAX + 1)) % (high - low)


# ---------------------------------------------------------------------------- sorting


@njit(cache=True, nogil=True)
def _swap(xf, idx, i, j):
    t = xf[i]
    xf[i] = xf[j]
    xf[j] = t
    u = idx[i]
    idx[i] = idx[j]
    idx[j] = u


@njit(cache=True, nogil=True)
def _median3(xf, lo, n):
    a = xf[lo]
    b = xf[lo + n // 2]
    c = xf[lo + n - 1]
    if a < b:
        if b < c:
            return b
        return c if a < c else a
    if b < c:
        return a if a < c else c
    return b


@njit(cache=True, nogil=True)
def _heapsort(xf, idx, lo, n):
    start = (n - 2) // 2
    while start >= 0:
        _sift_down(xf, idx, lo, start, n)
        start -= 1
    end = n - 1
    while end > 0:
        _swap(xf, idx, lo, lo + end)
        _sift_down(xf, idx, lo, 0, end)
        end -= 1


@njit(cache=True, nogil=True)
def _sift_down(xf, idx, lo, start, end):
    root = start
    while True:
        child = root * 2 + 1
        maxind = root
        if child < end and xf[lo + maxind] < xf[lo + child]:
            maxind = child
        if child + 1 < end and xf[lo + maxind] < xf[lo + child + 1]:
            maxind = child + 1
        if maxind == root:
            return
        _swap(xf, idx, lo + root, lo + maxind)
        root = maxind


@njit(cache=True, nogil=True)
def sort_pairs(xf, idx, lo, n, stack):
    """Sort ``xf[lo:lo+n]`` ascending, moving ``idx`` along (introsort with 3-way partitioning,
    Musser 1997; many equal values are the rule in tabular data). ``stack``: int64 (3, 128) scratch."""
    if n <= 1:
        return
    stack_lo = stack[0]
    stack_n = stack[1]
    stack_d = stack[2]
    top = 0
    stack_lo[0] = lo
    stack_n[0] = n
    stack_d[0] = 2 * int(np.log2(n))
    top = 1
    while top > 0:
        top -= 1
        lo = stack_lo[top]
        n = stack_n[top]
        maxd = stack_d[top]
        while n > 15:
            if maxd <= 0:
                _heapsort(xf, idx, lo, n)
                n = 0
                break
            maxd -= 1
            pivot = _median3(xf, lo, n)
            i = lo
            left = lo
            right = lo + n
            while i < right:
                if xf[i] < pivot:
                    _swap(xf, idx, i, left)
                    i += 1
                    left += 1
                elif xf[i] > pivot:
                    right -= 1
                    _swap(xf, idx, i, right)
                else:
                    i += 1
            # recurse into the smaller side later (push), loop on the larger one
            n_left = left - lo
            n_right = lo + n - right
            if n_left < n_right:
                stack_lo[top] = lo
                stack_n[top] = n_left
                stack_d[top] = maxd
                top += 1
                lo = right
                n = n_right
            else:
                stack_lo[top] = right
                stack_n[top] = n_right
                stack_d[top] = maxd
                top += 1
                n = n_left
        for i in range(lo + 1, lo + n):
            v = xf[i]
            w = idx[i]
            j = i
            while j > lo and xf[j - 1] > v:
                xf[j] = xf[j - 1]
                idx[j] = idx[j - 1]
                j -= 1
            xf[j] = v
            idx[j] = w


RADIX_MIN = 384  # below this many samples introsort is faster than three counting passes


@njit(cache=True, nogil=True)
def radix_sort_pairs(xf, xbits, idx, lo, n, keys, keys2, vals2, counts):
    """LSD radix sort of ``xf[lo:lo+n]`` (float32, seen as ``xbits`` uint32) moving ``idx`` along.

    Three counting passes over 11, 11 and 10 bits of the order-preserving key (sign bit flipped for
    positives, all bits flipped for negatives): O(n) instead of O(n log n) for the large nodes near
    the root, where most of the sorting work of a tree is. Stable; equal values keep sample order.
    """
    counts[:, :] = 0
    for p in range(n):
        b = np.int64(xbits[lo + p])
        k = (b ^ 0xFFFFFFFF) if b & 0x80000000 else (b | 0x80000000)
        keys[p] = k
        counts[0, k & 2047] += 1
        counts[1, (k >> 11) & 2047] += 1
        counts[2, (k >> 22) & 1023] += 1
    src_k = keys
    dst_k = keys2
    src_in_idx = True  # values live in idx[lo:lo+n] (else in vals2)
    for d in range(3):
        shift = 11 * d
        mask = 2047 if d < 2 else 1023
        c = counts[d]
        if c[(np.int64(src_k[0]) >> shift) & mask] == n:
            continue  # every key has the same digit: nothing moves
        total = 0
        for b in range(mask + 1):
            t = c[b]
            c[b] = total
            total += t
        for p in range(n):
            k = np.int64(src_k[p])
            digit = (k >> shift) & mask
            q = c[digit]
            c[digit] = q + 1
            dst_k[q] = k
            if src_in_idx:
                vals2[q] = idx[lo + p]
            else:
                idx[lo + q] = vals2[p]
        src_k, dst_k = dst_k, src_k
        src_in_idx = not src_in_idx
    for p in range(n):
        if not src_in_idx:
            idx[lo + p] = vals2[p]
        k = np.int64(src_k[p])
        b = (k ^ 0x80000000) if k & 0x80000000 else (k ^ 0xFFFFFFFF)
        xbits[lo + p] = b



@njit(cache=True, nogil=True)
def _many_ties(xf, lo, n):
    """Whether 32 evenly spaced values of xf[lo:lo+n] hold fewer than 24 distinct ones: then the
    3-way introsort (O(n log k) for k distinct values) beats the radix sort, e.g. on pixel data
    that is mostly 0 (measured on MNIST: 5-10x faster for 1,000-4,000 samples)."""
    sample = np.empty(32, np.float32)
    step = n // 32
    for k in range(32):
        v = xf[lo + k * step]
        j = k
        while j > 0 and sample[j - 1] > v:
            sample[j] = sample[j - 1]
            j -= 1
        sample[j] = v
    distinct = 1
    for k in range(1, 32):
        if sample[k] != sample[k - 1]:
            distinct += 1
    return distinct < 24

# ---------------------------------------------------------------------------- criteria


@njit(cache=True, nogil=True)
def _log2(x):
    return np.log(x) / np.log(2.0)


@njit(cache=True, nogil=True)
def _impurity(crit, sums, wn, sq_sum):
    """Impurity of a node from its weighted class counts (or sum of y and of y**2)."""
    if crit == GINI:
        sq = 0.0
        for c in range(sums.shape[0]):
            sq += sums[c] * sums[c]
        return 1.0 - sq / (wn * wn)
    if crit == SQUARED_ERROR:
        return sq_sum / wn - (sums[0] / wn) ** 2.0
    h = 0.0
    for c in range(sums.shape[0]):
        if sums[c] > 0.0:
            p = sums[c] / wn
            h -= p * _log2(p)
    return h


@njit(cache=True, nogil=True)
def _proxy(crit, sum_left, sum_right, wl, wr, wn, parent_impurity):
    """The quantity the split search maximises (a monotone proxy of the impurity decrease)."""
    if crit == SQUARED_ERROR:
        return sum_left[0] * sum_left[0] / wl + sum_right[0] * sum_right[0] / wr
    if crit == GINI:
        sql = 0.0
        sqr = 0.0
        for c in range(sum_left.shape[0]):
            sql += sum_left[c] * sum_left[c]
            sqr += sum_right[c] * sum_right[c]
        return -wr * (1.0 - sqr / (wr * wr)) - wl * (1.0 - sql / (wl * wl))
    hl = 0.0
    hr = 0.0
    for c in range(sum_left.shape[0]):
        if sum_left[c] > 0.0:
            p = sum_left[c] / wl
            hl -= p * _log2(p)
        if sum_right[c] > 0.0:
            p = sum_right[c] / wr
            hr -= p * _log2(p)
    if crit == ENTROPY:
        return -wr * hr - wl * hl
    # C4.5 gain ratio: information gain over the entropy of the two-way partition itself
    gain = parent_impurity - wl / wn * hl - wr / wn * hr
    pl = wl / wn
    pr = wr / wn
    split_info = -pl * _log2(pl) - pr * _log2(pr)
    return gain / split_info


@njit(cache=True, nogil=True)
def _node_sums(y_cls, y_reg, w, samples, start, end, crit, sums):
    """Weighted class counts (or sum of y) of samples[start:end]; returns (weight, sum of w*y^2)."""
    sums[:] = 0.0
    wn = 0.0
    sq = 0.0
    for p in range(start, end):
        i = samples[p]
        wi = w[i]
        if crit == SQUARED_ERROR:
            wy = wi * y_reg[i]
            sums[0] += wy
            sq += wy * y_reg[i]
        else:
            sums[y_cls[i]] += wi
        wn += wi
    return wn, sq


@njit(cache=True, nogil=True)
def _move_left(y_cls, y_reg, w, samples, crit, sum_left, sum_total, wl, wn, pos, new_pos, end):
    """Move samples[pos:new_pos] into the left child: forward from ``pos`` or backward from ``end``,
    whichever is shorter (as scikit-learn's ``Criterion.update``; it fixes the rounding)."""
    if (new_pos - pos) <= (end - new_pos):
        for p in range(pos, new_pos):
            i = samples[p]
            if crit == SQUARED_ERROR:
                sum_left[0] += w[i] * y_reg[i]
            else:
                sum_left[y_cls[i]] += w[i]
            wl += w[i]
    else:
        sum_left[:] = sum_total
        wl = wn
        for p in range(end - 1, new_pos - 1, -1):
            i = samples[p]
            if crit == SQUARED_ERROR:
                sum_left[0] -= w[i] * y_reg[i]
            else:
                sum_left[y_cls[i]] -= w[i]
            wl -= w[i]
    return wl


# ---------------------------------------------------------------------------- split search


@njit(cache=True, nogil=True)
def _scan_squared_error(xf, samples, w, y, start, end, min_samples_leaf, min_weight_leaf, wn, s_total,
                        best_proxy):
    """The threshold scan of one sorted feature for squared error, with the running sums in
    registers (same arithmetic, in the same order, as the array version). Returns
    (proxy, position) of a candidate better than ``best_proxy``, or (best_proxy, -1)."""
    s_left = 0.0
    wl = 0.0
    pos = start
    p = start
    found = -1
    while p < end:
        p += 1
        while p < end and xf[p] <= xf[p - 1] + FEATURE_THRESHOLD:
            p += 1
        if p >= end:
            break
        if p - start < min_samples_leaf or end - p < min_samples_leaf:
            continue
        if (p - pos) <= (end - p):
            for q in range(pos, p):
                i = samples[q]
                s_left += w[i] * y[i]
                wl += w[i]
        else:
            s_left = s_total
            wl = wn
            for q in range(end - 1, p - 1, -1):
                i = samples[q]
                s_left -= w[i] * y[i]
                wl -= w[i]
        pos = p
        wr = wn - wl
        if wl < min_weight_leaf or wr < min_weight_leaf:
            continue
        s_right = s_total - s_left
        proxy = s_left * s_left / wl + s_right * s_right / wr
        if proxy > best_proxy:
            best_proxy = proxy
            found = p
    return best_proxy, found


@njit(cache=True, nogil=True)
def node_split(Xt, y_cls, y_reg, w, samples, xf, xbits, keys, keys2, vals2, counts,
               sort_stack, features, constant_features, rng, start, end,
               n_known_constants, impurity, wn, sum_total, sq_total, sum_left, sum_right,
               crit, max_features, min_samples_leaf, min_weight_leaf, weighted_n_samples):
    """Best split of samples[start:end] over up to ``max_features`` drawn features.

    Returns (pos, feature, threshold, impurity_left, impurity_right, improvement,
    n_constant_features); ``pos == end`` means no valid split. On return samples[start:pos]
    go left. ``rng[1] == 1`` selects the random splitter (one uniform threshold per feature).
    """
    if rng[1] == 1:
        return node_split_random(Xt, y_cls, y_reg, w, samples, xf, features, constant_features, rng, start, end,
                                 n_known_constants, impurity, wn, sum_total, sq_total, sum_left, sum_right,
                                 crit, max_features, min_samples_leaf, min_weight_leaf, weighted_n_samples)
    n_features = features.shape[0]
    f_i = n_features
    n_visited = 0
    n_found_constants = 0
    n_drawn_constants = 0
    n_total_constants = n_known_constants
    best_pos = end
    best_feature = 0
    best_threshold = 0.0
    best_proxy = -np.inf
    while f_i > n_total_constants and (
        n_visited < max_features or n_visited <= n_found_constants + n_drawn_constants
    ):
        n_visited += 1
        f_j = _rand_int(rng, n_drawn_constants, f_i - n_found_constants)
        if f_j < n_known_constants:
            t = features[n_drawn_constants]
            features[n_drawn_constants] = features[f_j]
            features[f_j] = t
            n_drawn_constants += 1
            continue
        f_j += n_found_constants
        feat = features[f_j]
        row = Xt[feat]
        for p in range(start, end):
            xf[p] = row[samples[p]]
        if end - start >= RADIX_MIN and not _many_ties(xf, start, end - start):
            radix_sort_pairs(xf, xbits, samples, start, end - start, keys, keys2, vals2, counts)
        else:
            sort_pairs(xf, samples, start, end - start, sort_stack)
        if xf[end - 1] <= xf[start] + FEATURE_THRESHOLD:
            t = features[f_j]
            features[f_j] = features[n_total_constants]
            features[n_total_constants] = t
            n_found_constants += 1
            n_total_constants += 1
            continue
        f_i -= 1
        t = features[f_i]
        features[f_i] = features[f_j]
        features[f_j] = t
        # scan the thresholds of this feature
        if crit == SQUARED_ERROR:
            proxy, p = _scan_squared_error(xf, samples, w, y_reg, start, end, min_samples_leaf,
                                           min_weight_leaf, wn, sum_total[0], best_proxy)
            if p >= 0:
                best_proxy = proxy
                best_pos = p
                best_feature = feat
                best_threshold = np.float64(xf[p - 1]) / 2.0 + np.float64(xf[p]) / 2.0
            continue
        sum_left[:] = 0.0
        wl = 0.0
        pos = start
        p = start
        while p < end:
            p += 1
            while p < end and xf[p] <= xf[p - 1] + FEATURE_THRESHOLD:
                p += 1
            if p >= end:
                break
            if p - start < min_samples_leaf or end - p < min_samples_leaf:
                continue
            wl = _move_left(y_cls, y_reg, w, samples, crit, sum_left, sum_total, wl, wn, pos, p, end)
            pos = p
            wr = wn - wl
            if wl < min_weight_leaf or wr < min_weight_leaf:
                continue
            for c in range(sum_left.shape[0]):
                sum_right[c] = sum_total[c] - sum_left[c]
            proxy = _proxy(crit, sum_left, sum_right, wl, wr, wn, impurity)
            if proxy > best_proxy:
                best_proxy = proxy
                best_pos = p
                best_feature = feat
                best_threshold = np.float64(xf[p - 1]) / 2.0 + np.float64(xf[p]) / 2.0
    imp_left, imp_right, improvement = _finish_split(
        Xt, y_cls, y_reg, w, samples, features, constant_features, crit, sum_left, sum_right, sum_total,
        sq_total, wn, impurity, weighted_n_samples, start, end, best_pos, best_feature, best_threshold,
        True, n_known_constants, n_found_constants)
    return best_pos, best_feature, best_threshold, imp_left, imp_right, improvement, n_total_constants



@njit(cache=True, nogil=True)
def _rand_uniform(rng, low, high):
    """scikit-learn's ``rand_uniform``: (high - low) * our_rand_r / RAND_R_MAX + low."""
    s = rng[0]
    if s == 0:
        s = 1
    s ^= (s << 13) & 0xFFFFFFFF
    s ^= s >> 17
    s ^= (s << 5) & 0xFFFFFFFF
    rng[0] = s
    return (high - low) * np.float64(s % (RAND_R_MAX + 1)) / np.float64(RAND_R_MAX) + low


@njit(cache=True, nogil=True)
def _finish_split(Xt, y_cls, y_reg, w, samples, features, constant_features, crit, sum_left, sum_right,
                  sum_total, sq_total, wn, impurity, weighted_n_samples, start, end, best_pos, best_feature,
                  best_threshold, repartition, n_known_constants, n_found_constants):
    """After the search: put samples[start:best_pos] left of the chosen threshold (unless they are
    already in that order), compute both children's impurities and the weighted impurity decrease,
    and record the constant features found (known ones keep their order for siblings and children;
    new ones are appended). Returns (imp_left, imp_right, improvement); infinities when no split."""
    imp_left = np.inf
    imp_right = np.inf
    improvement = -np.inf
    if best_pos < end:
        if repartition:
            row = Xt[best_feature]
            a = start
            b = end
            while a < b:
                if row[samples[a]] <= best_threshold:
                    a += 1
                else:
                    b -= 1
                    t = samples[a]
                    samples[a] = samples[b]
                    samples[b] = t
        wl, wr = _split_sums(y_cls, y_reg, w, samples, crit, sum_left, sum_right, sum_total, wn, start,
                             best_pos, end)
        sq_left = 0.0
        if crit == SQUARED_ERROR:
            for p in range(start, best_pos):
                i = samples[p]
                sq_left += w[i] * y_reg[i] * y_reg[i]
        imp_left = _impurity(crit, sum_left, wl, sq_left)
        imp_right = _impurity(crit, sum_right, wr, sq_total - sq_left)
        improvement = (wn / weighted_n_samples) * (impurity - wr / wn * imp_right - wl / wn * imp_left)
    for k in range(n_known_constants):
        features[k] = constant_features[k]
    for k in range(n_known_constants, n_known_constants + n_found_constants):
        constant_features[k] = features[k]
    return imp_left, imp_right, improvement


@njit(cache=True, nogil=True)
def _split_sums(y_cls, y_reg, w, samples, crit, sum_left, sum_right, sum_total, wn, start, pos, end):
    """Left/right sums and weights of samples[start:pos] | samples[pos:end] (reset then update)."""
    sum_left[:] = 0.0
    wl = _move_left(y_cls, y_reg, w, samples, crit, sum_left, sum_total, 0.0, wn, start, pos, end)
    for c in range(sum_left.shape[0]):
        sum_right[c] = sum_total[c] - sum_left[c]
    return wl, wn - wl


@njit(cache=True, nogil=True)
def node_split_random(Xt, y_cls, y_reg, w, samples, xf, features, constant_features, rng, start, end,
                      n_known_constants, impurity, wn, sum_total, sq_total, sum_left, sum_right,
                      crit, max_features, min_samples_leaf, min_weight_leaf, weighted_n_samples):
    """Extremely randomised split (Geurts, Ernst & Wehenkel 2006, as scikit-learn's
    ``splitter="random"``): for each drawn feature one threshold uniform in [min, max) of the
    node; keep the best of those. Same return values as :func:`node_split`."""
    n_features = features.shape[0]
    f_i = n_features
    n_visited = 0
    n_found_constants = 0
    n_drawn_constants = 0
    n_total_constants = n_known_constants
    best_pos = end
    best_feature = 0
    best_threshold = 0.0
    best_proxy = -np.inf
    current_feature = -1
    while f_i > n_total_constants and (
        n_visited < max_features or n_visited <= n_found_constants + n_drawn_constants
    ):
        n_visited += 1
        f_j = _rand_int(rng, n_drawn_constants, f_i - n_found_constants)
        if f_j < n_known_constants:
            t = features[n_drawn_constants]
            features[n_drawn_constants] = features[f_j]
            features[f_j] = t
            n_drawn_constants += 1
            continue
        f_j += n_found_constants
        feat = features[f_j]
        current_feature = feat
        row = Xt[feat]
        lo_v = row[samples[start]]
        hi_v = lo_v
        for p in range(start, end):
            v = row[samples[p]]
            xf[p] = v
            if v < lo_v:
                lo_v = v
            elif v > hi_v:
                hi_v = v
        if hi_v <= lo_v + FEATURE_THRESHOLD:
            features[f_j] = features[n_total_constants]
            features[n_total_constants] = feat
            n_found_constants += 1
            n_total_constants += 1
            continue
        f_i -= 1
        t = features[f_i]
        features[f_i] = features[f_j]
        features[f_j] = t
        thr = _rand_uniform(rng, np.float64(lo_v), np.float64(hi_v))
        if thr == np.float64(hi_v):
            thr = np.float64(lo_v)
        a = start
        b = end
        while a < b:
            if xf[a] <= thr:
                a += 1
            else:
                b -= 1
                _swap(xf, samples, a, b)
        pos = b
        if pos - start < min_samples_leaf or end - pos < min_samples_leaf:
            continue
        wl, wr = _split_sums(y_cls, y_reg, w, samples, crit, sum_left, sum_right, sum_total, wn, start, pos, end)
        if wl < min_weight_leaf or wr < min_weight_leaf:
            continue
        proxy = _proxy(crit, sum_left, sum_right, wl, wr, wn, impurity)
        if proxy > best_proxy:
            best_proxy = proxy
            best_pos = pos
            best_feature = feat
            best_threshold = thr
    imp_left, imp_right, improvement = _finish_split(
        Xt, y_cls, y_reg, w, samples, features, constant_features, crit, sum_left, sum_right, sum_total,
        sq_total, wn, impurity, weighted_n_samples, start, end, best_pos, best_feature, best_threshold,
        current_feature != best_feature, n_known_constants, n_found_constants)
    return best_pos, best_feature, best_threshold, imp_left, imp_right, improvement, n_total_constants

# ---------------------------------------------------------------------------- builders


def build_tree(Xt, y_cls, y_reg, w, n_classes, crit, max_features, min_samples_split,
               min_samples_leaf, min_weight_leaf, max_depth, min_impurity_decrease, max_leaf_nodes,
               seed, random_splitter=False):
    """Grow a tree; depth-first when ``max_leaf_nodes < 0``, best-first otherwise.

    Returns (left, right, feature, threshold, impurity, n_node_samples, weighted_n_node_samples,
    value, max_depth_seen), each trimmed to the number of nodes.
    """
    n_total = w.shape[0]
    samples = np.flatnonzero(w != 0.0).astype(np.int64)  # zero weights (bootstrap misses) drop out
    n_samples = len(samples)
    weighted_n_samples = float(np.cumsum(w)[-1]) if n_total else 0.0  # sequential sum, as scikit-learn
    n_features = Xt.shape[0]
    K = n_classes if crit != SQUARED_ERROR else 1
    cap = max(2 * n_samples - 1, 1)
    left = np.full(cap, LEAF, np.int64)
    right = np.full(cap, LEAF, np.int64)
    feature = np.full(cap, UNDEFINED, np.int64)
    threshold = np.full(cap, float(UNDEFINED), np.float64)
    impurity_arr = np.zeros(cap, np.float64)
    n_node = np.zeros(cap, np.int64)
    w_node = np.zeros(cap, np.float64)
    value = np.zeros((cap, K), np.float64)
    xf = np.empty(n_total, np.float32)
    sort_stack = np.empty((3, 128), np.int64)
    xbits = xf.view(np.uint32)
    keys = np.empty(n_total, np.uint32)
    keys2 = np.empty(n_total, np.uint32)
    vals2 = np.empty(n_total, np.int64)
    counts = np.zeros((3, 2048), np.int64)
    features = np.arange(n_features, dtype=np.int64)
    constant_features = np.empty(n_features, np.int64)
    rng = np.array([seed, int(random_splitter)], dtype=np.int64)  # state, splitter kind
    sum_total = np.zeros(K)
    sum_left = np.zeros(K)
    sum_right = np.zeros(K)
    if max_leaf_nodes < 0:
        node_count, depth_seen = _depth_first(
            Xt, y_cls, y_reg, w, samples, n_samples, xf, xbits, keys, keys2, vals2, counts, sort_stack,
            features, constant_features, rng, crit, max_features, min_samples_split, min_samples_leaf,
            min_weight_leaf, max_depth, min_impurity_decrease, weighted_n_samples, sum_total, sum_left,
            sum_right, left, right, feature, threshold, impurity_arr, n_node, w_node, value)
    else:
        node_count, depth_seen = _best_first(
            Xt, y_cls, y_reg, w, samples, n_samples, xf, xbits, keys, keys2, vals2, counts, sort_stack,
            features, constant_features, rng, crit, max_features, min_samples_split, min_samples_leaf,
            min_weight_leaf, max_depth, min_impurity_decrease, max_leaf_nodes, weighted_n_samples,
            sum_total, sum_left, sum_right, left, right, feature, threshold, impurity_arr, n_node,
            w_node, value)
    m = node_count
    return (left[:m].copy(), right[:m].copy(), feature[:m].copy(), threshold[:m].copy(),
            impurity_arr[:m].copy(), n_node[:m].copy(), w_node[:m].copy(), value[:m].copy(), depth_seen)


@njit(cache=True, nogil=True)
def _store_value(crit, value, node, sum_total, wn):
    for c in range(sum_total.shape[0]):
        value[node, c] = sum_total[c] / wn


@njit(cache=True, nogil=True)
def _depth_first(Xt, y_cls, y_reg, w, samples, n_samples, xf, xbits, keys, keys2, vals2, counts,
                 sort_stack, features, constant_features, rng, crit,
                 max_features, min_samples_split, min_samples_leaf, min_weight_leaf, max_depth,
                 min_impurity_decrease, weighted_n_samples, sum_total, sum_left, sum_right,
                 left, right, feature, threshold, impurity_arr, n_node, w_node, value):
    cap_stack = n_samples + 2
    st_start = np.empty(cap_stack, np.int64)
    st_end = np.empty(cap_stack, np.int64)
    st_depth = np.empty(cap_stack, np.int64)
    st_parent = np.empty(cap_stack, np.int64)
    st_is_left = np.empty(cap_stack, np.bool_)
    st_impurity = np.empty(cap_stack, np.float64)
    st_nconst = np.empty(cap_stack, np.int64)
    top = 0
    st_start[0] = 0
    st_end[0] = n_samples
    st_depth[0] = 0
    st_parent[0] = -1
    st_is_left[0] = False
    st_impurity[0] = np.inf
    st_nconst[0] = 0
    top = 1
    node_count = 0
    depth_seen = -1
    first = True
    while top > 0:
        top -= 1
        start = st_start[top]
        end = st_end[top]
        depth = st_depth[top]
        parent = st_parent[top]
        is_left = st_is_left[top]
        impurity = st_impurity[top]
        n_const = st_nconst[top]
        n = end - start
        feat = UNDEFINED
        thr = float(UNDEFINED)
        imp_l = 0.0
        imp_r = 0.0
        improvement = 0.0
        wn, sq = _node_sums(y_cls, y_reg, w, samples, start, end, crit, sum_total)
        is_leaf = (depth >= max_depth or n < min_samples_split or n < 2 * min_samples_leaf
                   or wn < 2 * min_weight_leaf)
        if first:
            impurity = _impurity(crit, sum_total, wn, sq)
            first = False
        is_leaf = is_leaf or impurity <= EPSILON
        pos = end
        if not is_leaf:
            pos, feat, thr, imp_l, imp_r, improvement, n_const = node_split(
                Xt, y_cls, y_reg, w, samples, xf, xbits, keys, keys2, vals2, counts,
                sort_stack, features, constant_features, rng, start, end,
                n_const, impurity, wn, sum_total, sq, sum_left, sum_right, crit, max_features,
                min_samples_leaf, min_weight_leaf, weighted_n_samples)
            is_leaf = pos >= end or improvement + EPSILON < min_impurity_decrease
        node = node_count
        node_count += 1
        impurity_arr[node] = impurity
        n_node[node] = n
        w_node[node] = wn
        if parent >= 0:
            if is_left:
                left[parent] = node
            else:
                right[parent] = node
        _store_value(crit, value, node, sum_total, wn)
        if not is_leaf:
            feature[node] = feat
            threshold[node] = thr
            for side in range(2):  # right pushed first so that the left child is grown first
                st_start[top] = pos if side == 0 else start
                st_end[top] = end if side == 0 else pos
                st_depth[top] = depth + 1
                st_parent[top] = node
                st_is_left[top] = side == 1
                st_impurity[top] = imp_r if side == 0 else imp_l
                st_nconst[top] = n_const
                top += 1
        if depth > depth_seen:
            depth_seen = depth
    return node_count, depth_seen


@njit(cache=True, nogil=True)
def _heap_less(key, a, b):
    return key[a] < key[b]


@njit(cache=True, nogil=True)
def _push_heap(heap, length, key):
    """libstdc++ ``std::push_heap`` on heap[:length] (the last element is the new one)."""
    value = heap[length - 1]
    hole = length - 1
    parent = (hole - 1) // 2
    while hole > 0 and _heap_less(key, heap[parent], value):
        heap[hole] = heap[parent]
        hole = parent
        parent = (hole - 1) // 2
    heap[hole] = value


@njit(cache=True, nogil=True)
def _pop_heap(heap, length, key):
    """libstdc++ ``std::pop_heap``: moves the largest to heap[length-1] (same tie order as C++)."""
    if length <= 1:
        return
    last = length - 1
    value = heap[last]
    heap[last] = heap[0]
    n = last
    hole = 0
    child = 0
    while child < (n - 1) // 2:
        child = 2 * (child + 1)
        if _heap_less(key, heap[child], heap[child - 1]):
            child -= 1
        heap[hole] = heap[child]
        hole = child
    if (n & 1) == 0 and child == (n - 2) // 2:
        child = 2 * (child + 1)
        heap[hole] = heap[child - 1]
        hole = child - 1
    parent = (hole - 1) // 2
    while hole > 0 and _heap_less(key, heap[parent], value):
        heap[hole] = heap[parent]
        hole = parent
        parent = (hole - 1) // 2
    heap[hole] = value


@njit(cache=True, nogil=True)
def _best_first(Xt, y_cls, y_reg, w, samples, n_samples, xf, xbits, keys, keys2, vals2, counts,
                sort_stack, features, constant_features, rng, crit,
                max_features, min_samples_split, min_samples_leaf, min_weight_leaf, max_depth,
                min_impurity_decrease, max_leaf_nodes, weighted_n_samples, sum_total, sum_left,
                sum_right, left, right, feature, threshold, impurity_arr, n_node, w_node, value):
    cap = left.shape[0]
    # frontier records, indexed by node id (one record per node)
    r_start = np.empty(cap, np.int64)
    r_end = np.empty(cap, np.int64)
    r_pos = np.empty(cap, np.int64)
    r_depth = np.empty(cap, np.int64)
    r_leaf = np.empty(cap, np.bool_)
    r_imp_l = np.empty(cap, np.float64)
    r_imp_r = np.empty(cap, np.float64)
    r_improvement = np.empty(cap, np.float64)
    heap = np.empty(cap, np.int64)
    n_heap = 0
    max_split_nodes = max_leaf_nodes - 1
    node_count = 0
    depth_seen = -1
    node_count = _add_split_node(
        Xt, y_cls, y_reg, w, samples, xf, xbits, keys, keys2, vals2, counts,
        sort_stack, features, constant_features, rng, crit, max_features,
        min_samples_split, min_samples_leaf, min_weight_leaf, max_depth, min_impurity_decrease,
        weighted_n_samples, sum_total, sum_left, sum_right, left, right, feature, threshold,
        impurity_arr, n_node, w_node, value, r_start, r_end, r_pos, r_depth, r_leaf, r_imp_l,
        r_imp_r, r_improvement, node_count, 0, n_samples, True, 0.0, True, -1, 0)
    heap[0] = 0
    n_heap = 1
    while n_heap > 0:
        _pop_heap(heap, n_heap, r_improvement)
        n_heap -= 1
        rec = heap[n_heap]
        if r_leaf[rec] or max_split_nodes <= 0:
            left[rec] = LEAF
            right[rec] = LEAF
            feature[rec] = UNDEFINED
            threshold[rec] = float(UNDEFINED)
        else:
            max_split_nodes -= 1
            for side in range(2):
                child = node_count
                is_left = side == 0
                c_start = r_start[rec] if is_left else r_pos[rec]
                c_end = r_pos[rec] if is_left else r_end[rec]
                c_imp = r_imp_l[rec] if is_left else r_imp_r[rec]
                node_count = _add_split_node(
                    Xt, y_cls, y_reg, w, samples, xf, xbits, keys, keys2, vals2, counts,
                    sort_stack, features, constant_features, rng, crit,
                    max_features, min_samples_split, min_samples_leaf, min_weight_leaf, max_depth,
                    min_impurity_decrease, weighted_n_samples, sum_total, sum_left, sum_right, left,
                    right, feature, threshold, impurity_arr, n_node, w_node, value, r_start, r_end,
                    r_pos, r_depth, r_leaf, r_imp_l, r_imp_r, r_improvement, node_count,
                    c_start, c_end, False, c_imp, is_left, rec, r_depth[rec] + 1)
                heap[n_heap] = child
                n_heap += 1
            # both children are added to the frontier after both were split (as scikit-learn)
            _push_heap(heap, n_heap - 1, r_improvement)
            _push_heap(heap, n_heap, r_improvement)
        if r_depth[rec] > depth_seen:
            depth_seen = r_depth[rec]
    return node_count, depth_seen


@njit(cache=True, nogil=True)
def _add_split_node(Xt, y_cls, y_reg, w, samples, xf, xbits, keys, keys2, vals2, counts,
                    sort_stack, features, constant_features, rng, crit,
                    max_features, min_samples_split, min_samples_leaf, min_weight_leaf, max_depth,
                    min_impurity_decrease, weighted_n_samples, sum_total, sum_left, sum_right, left,
                    right, feature, threshold, impurity_arr, n_node, w_node, value, r_start, r_end,
                    r_pos, r_depth, r_leaf, r_imp_l, r_imp_r, r_improvement, node_count, start, end,
                    is_first, impurity, is_left, parent, depth):
    n = end - start
    wn, sq = _node_sums(y_cls, y_reg, w, samples, start, end, crit, sum_total)
    if is_first:
        impurity = _impurity(crit, sum_total, wn, sq)
    is_leaf = (depth >= max_depth or n < min_samples_split or n < 2 * min_samples_leaf
               or wn < 2 * min_weight_leaf or impurity <= EPSILON)
    pos = end
    feat = UNDEFINED
    thr = float(UNDEFINED)
    imp_l = impurity
    imp_r = impurity
    improvement = 0.0
    if not is_leaf:
        pos, feat, thr, imp_l, imp_r, improvement, _ = node_split(
            Xt, y_cls, y_reg, w, samples, xf, xbits, keys, keys2, vals2, counts,
            sort_stack, features, constant_features, rng, start, end, 0,
            impurity, wn, sum_total, sq, sum_left, sum_right, crit, max_features, min_samples_leaf,
            min_weight_leaf, weighted_n_samples)
        is_leaf = pos >= end or improvement + EPSILON < min_impurity_decrease
    node = node_count
    impurity_arr[node] = impurity
    n_node[node] = n
    w_node[node] = wn
    if parent >= 0:
        if is_left:
            left[parent] = node
        else:
            right[parent] = node
    if not is_leaf:
        feature[node] = feat
        threshold[node] = thr
    _store_value(crit, value, node, sum_total, wn)
    r_start[node] = start
    r_end[node] = end
    r_depth[node] = depth
    r_leaf[node] = is_leaf
    if is_leaf:
        r_pos[node] = end
        r_improvement[node] = 0.0
        r_imp_l[node] = impurity
        r_imp_r[node] = impurity
    else:
        r_pos[node] = pos
        r_improvement[node] = improvement
        r_imp_l[node] = imp_l
        r_imp_r[node] = imp_r
    return node_count + 1


# ---------------------------------------------------------------------------- prediction


@njit(cache=True, nogil=True)
def apply_tree(X, left, right, feature, threshold):
    """Leaf index of each row of float32 ``X``: go left when ``x[feature] <= threshold``."""
    n = X.shape[0]
    out = np.empty(n, np.int64)
    for i in range(n):
        # A row view and the next left child loaded once per step: this form of the walk measured
        # 40x faster under numba than ``while left[node] != LEAF: ... X[i, feature[node]]``.
        row = X[i]
        node = 0
        nxt = left[0]
        while nxt != LEAF:
            if row[feature[node]] <= threshold[node]:
                node = nxt
            else:
                node = right[node]
            nxt = left[node]
        out[i] = node
    return out


@njit(cache=True, nogil=True)
def decision_path_tree(X, left, right, feature, threshold):
    """CSR pieces (indptr, indices) of the nodes each row of ``X`` passes through."""
    n = X.shape[0]
    indptr = np.zeros(n + 1, np.int64)
    cap = max(n * 8, 16)
    indices = np.empty(cap, np.int64)
    k = 0
    for i in range(n):
        row = X[i]
        node = 0
        while True:
            if k >= indices.shape[0]:
                bigger = np.empty(indices.shape[0] * 2, np.int64)
                bigger[:k] = indices[:k]
                indices = bigger
            indices[k] = node
            k += 1
            if left[node] == LEAF:
                break
            if row[feature[node]] <= threshold[node]:
                node = left[node]
            else:
                node = right[node]
        indptr[i + 1] = k
    return indptr, indices[:k].copy()


# ---------------------------------------------------------------------------- pruning


@njit(cache=True, nogil=True)
def cost_complexity_prune(left, right, impurity, w_node, ccp_alpha, record_path):
    """Minimal cost-complexity pruning (Breiman et al. 1984, ch. 3), weakest link first.

    R(t) = w_t / w_root * impurity(t); a branch T_t has R(T_t) = sum of R over its leaves and
    g(t) = (R(t) - R(T_t)) / (|leaves(T_t)| - 1). Repeatedly collapse the internal node with the
    smallest g (first in node order on ties) until the smallest g exceeds ``ccp_alpha``
    (``record_path``: until the root is a leaf, recording (g, R(tree)) each step).
    Returns (leaves_in_subtree mask, alphas, impurities).
    """
    n = left.shape[0]
    total = w_node[0]
    r_node = w_node * impurity / total
    parent = np.full(n, -1, np.int64)
    leaves = np.zeros(n, np.bool_)
    n_leaves = np.zeros(n, np.int64)
    r_branch = np.zeros(n, np.float64)
    for i in range(n):
        if left[i] == LEAF:
            leaves[i] = True
        else:
            parent[left[i]] = i
            parent[right[i]] = i
    for leaf in range(n):
        if not leaves[leaf]:
            continue
        r_branch[leaf] = r_node[leaf]
        cur = r_node[leaf]
        j = leaf
        while j != 0:
            pj = parent[j]
            r_branch[pj] += cur
            n_leaves[pj] += 1
            j = pj
    candidate = ~leaves
    in_subtree = np.ones(n, np.bool_)
    alphas = np.zeros(n + 1, np.float64)
    imps = np.zeros(n + 1, np.float64)
    count = 0
    alphas[0] = 0.0
    imps[0] = r_branch[0]
    count = 1
    stack = np.empty(n + 1, np.int64)
    while candidate[0]:
        effective = np.finfo(np.float64).max
        pruned = 0
        for i in range(n):
            if not candidate[i]:
                continue
            g = (r_node[i] - r_branch[i]) / (n_leaves[i] - 1)
            if g < effective:
                effective = g
                pruned = i
        if not record_path and ccp_alpha < effective:
            break
        top = 1
        stack[0] = pruned
        while top > 0:
            top -= 1
            j = stack[top]
            if not in_subtree[j]:
                continue
            candidate[j] = False
            leaves[j] = False
            in_subtree[j] = False
            if left[j] != LEAF:
                stack[top] = left[j]
                stack[top + 1] = right[j]
                top += 2
        leaves[pruned] = True
        in_subtree[pruned] = True
        n_pruned = n_leaves[pruned] - 1
        n_leaves[pruned] = 0
        r_diff = r_node[pruned] - r_branch[pruned]
        r_branch[pruned] = r_node[pruned]
        j = parent[pruned]
        while j != -1:
            n_leaves[j] -= n_pruned
            r_branch[j] += r_diff
            j = parent[j]
        alphas[count] = effective
        imps[count] = r_branch[0]
        count += 1
    return leaves, alphas[:count].copy(), imps[:count].copy()


@njit(cache=True, nogil=True)
def prune_order(left, right, leaves_in_subtree):
    """Pre-order walk of the pruned tree: returns (old ids in new order, new left, new right)."""
    n = left.shape[0]
    order = np.empty(n, np.int64)
    new_left = np.full(n, LEAF, np.int64)
    new_right = np.full(n, LEAF, np.int64)
    st_node = np.empty(n + 1, np.int64)
    st_parent = np.empty(n + 1, np.int64)
    st_left = np.empty(n + 1, np.bool_)
    st_node[0] = 0
    st_parent[0] = -1
    st_left[0] = False
    top = 1
    count = 0
    while top > 0:
        top -= 1
        old = st_node[top]
        par = st_parent[top]
        is_left = st_left[top]
        new = count
        order[new] = old
        count += 1
        if par >= 0:
            if is_left:
                new_left[par] = new
            else:
                new_right[par] = new
        if not leaves_in_subtree[old]:
            st_node[top] = right[old]
            st_parent[top] = new
            st_left[top] = False
            st_node[top + 1] = left[old]
            st_parent[top + 1] = new
            st_left[top + 1] = True
            top += 2
    return order[:count].copy(), new_left[:count].copy(), new_right[:count].copy()
