"""Limited-memory BFGS (Nocedal 1980; Liu & Nocedal 1989) and its orthant-wise variant OWL-QN for an
L1 term (Andrew & Gao 2007), following the structure of liblbfgs (Okazaki), the solver inside CRFsuite.

Minimises F(x) = f(x) + c1 * ||x||_1 for a smooth f whose value and gradient ``fun(x)`` returns.

- Direction: d = -H g by the two-loop recursion over the last m pairs s = x_{k+1} - x_k,
  y = g_{k+1} - g_k, with H_0 = (s'y / y'y) I; the first step is 1 / ||d||, later ones start at 1.
- c1 = 0: a line search with the strong Wolfe conditions, More & Thuente (1994) by default
  (f(x + a d) <= f(x) + ftol a g'd and |g(x + a d)'d| <= gtol |g'd|), or backtracking.
- c1 > 0 (OWL-QN): the pseudo-gradient pg_i = g_i + c1 sign(x_i) (at x_i = 0: g_i + c1 if that is
  < 0, g_i - c1 if that is > 0, else 0) replaces g; d keeps only components with d_i pg_i < 0; the
  backtracking line search projects each trial point onto the orthant of x (or of -pg where x_i = 0)
  and accepts F(x_new) <= F(x) + ftol (x_new - x)' pg.
- Stopping (liblbfgs): ||g|| / max(1, ||x||) <= epsilon (pg for OWL-QN); or
  |F_{k-past} - F_k| / F_k < delta; or k = max_iterations. A failed line search keeps the last
  accepted point (CRFsuite keeps the weights of the last completed iteration).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from numba import njit

__all__ = ["minimize", "LBFGSResult", "LineSearchError"]


class LineSearchError(RuntimeError):
    """The line search failed (the last accepted point is kept)."""


@dataclass
class LBFGSResult:
    x: np.ndarray
    fun: float
    n_iter: int
    status: str
    log: list = field(default_factory=list)


@dataclass
class _Params:
    ftol: float = 1e-4
    gtol: float = 0.9
    wolfe: float = 0.9
    xtol: float = 1e-16
    min_step: float = 1e-20
    max_step: float = 1e20
    max_linesearch: int = 20


def minimize(
    fun: Callable[[np.ndarray], tuple[float, np.ndarray]],
    x0: np.ndarray,
    *,
    c1: float = 0.0,
    m: int = 6,
    epsilon: float = 1e-5,
    past: int = 10,
    delta: float = 1e-5,
    max_iterations: int | None = None,
    linesearch: str = "MoreThuente",
    max_linesearch: int = 20,
    callback: Callable[[dict, np.ndarray], bool | None] | None = None,
) -> LBFGSResult:
    """Minimise ``fun(x)[0] + c1 * ||x||_1``; ``callback(info, x)`` after each iteration may return True to stop."""
    p = _Params(max_linesearch=max_linesearch)
    x = np.array(x0, dtype=np.float64)
    owl = c1 > 0
    f, g = fun(x)
    if owl:
        f += c1 * np.abs(x).sum()
    pg = _pseudo_gradient(x, g, c1) if owl else g
    fhist = [f]
    d = -pg
    if _norm(pg) / max(1.0, _norm(x)) <= epsilon:
        return LBFGSResult(x, f, 0, "already minimized")
    step = 1.0 / _norm(d)
    mem_s: list[np.ndarray] = []
    mem_y: list[np.ndarray] = []
    mem_ys: list[float] = []
    k = 1
    log: list[dict] = []
    while True:
        xp, gp, fp = x, g, f
        try:
            if owl:
                x, f, g, step, ls = _linesearch_owlqn(fun, xp, fp, pg, d, step, c1, p)
            elif linesearch == "MoreThuente":
                x, f, g, step, ls = _linesearch_more_thuente(fun, xp, fp, gp, d, step, p)
            else:
                x, f, g, step, ls = _linesearch_backtracking(fun, xp, fp, gp, d, step, p,
                                                              strong=linesearch == "StrongBacktracking")
        except LineSearchError as exc:
            return LBFGSResult(xp, fp, k - 1, f"line search failed: {exc}", log)
        pg = _pseudo_gradient(x, g, c1) if owl else g
        xnorm = _norm(x)
        gnorm = _norm(pg)
        info = dict(num=k, loss=f, feature_norm=xnorm, error_norm=gnorm, active_features=int(np.count_nonzero(x)),
                    linesearch_trials=ls, linesearch_step=step)
        log.append(info)
        if callback is not None and callback(info, x):
            return LBFGSResult(x, f, k, "stopped by callback", log)
        if gnorm / max(1.0, xnorm) <= epsilon:
            return LBFGSResult(x, f, k, "converged (epsilon)", log)
        if past > 0:
            if k >= past and abs(fhist[k % past] - f) / f < delta:
                return LBFGSResult(x, f, k, "stopped (delta)", log)
            if len(fhist) < past:
                fhist.append(f)
            else:
                fhist[k % past] = f
        if max_iterations and k + 1 > max_iterations:
            return LBFGSResult(x, f, k, "maximum iterations", log)
        s, y = x - xp, g - gp
        ys, yy = _dot(y, s), _dot(y, y)
        mem_s.append(s), mem_y.append(y), mem_ys.append(ys)
        if len(mem_s) > m:
            del mem_s[0], mem_y[0], mem_ys[0]
        k += 1
        d = _two_loop(pg, mem_s, mem_y, mem_ys, ys / yy)
        if owl:
            d[d * pg >= 0] = 0.0  # keep only components that descend along the pseudo-gradient
        step = 1.0


@njit(cache=True, nogil=True)
def _dot(a, b):
    # a plain loop: BLAS ddot spawns threads for long vectors, which stalls on a busy machine
    s = 0.0
    for i in range(a.shape[0]):
        s += a[i] * b[i]
    return s


@njit(cache=True, nogil=True)
def _axpy(y, a, x):
    for i in range(y.shape[0]):
        y[i] += a * x[i]


def _norm(x):
    return math.sqrt(_dot(x, x))


def _two_loop(g, S, Y, YS, gamma):
    """d = -H g (Nocedal 1980's recursion over the stored pairs, newest first, then back)."""
    d = -g
    alphas = []
    for s, y, ys in zip(reversed(S), reversed(Y), reversed(YS)):
        a = _dot(s, d) / ys
        _axpy(d, -a, y)
        alphas.append(a)
    d *= gamma
    for s, y, ys, a in zip(S, Y, YS, reversed(alphas)):
        b = _dot(y, d) / ys
        _axpy(d, a - b, s)
    return d


def _pseudo_gradient(x, g, c):
    pg = np.where(x < 0, g - c, np.where(x > 0, g + c, 0.0))
    zero = x == 0
    pg[zero & (g < -c)] = g[zero & (g < -c)] + c
    pg[zero & (g > c)] = g[zero & (g > c)] - c
    return pg


def _linesearch_owlqn(fun, xp, fp, pgp, d, stp, c1, p):
    orthant = np.where(xp == 0, -pgp, xp)
    count = 0
    while True:
        x = xp + stp * d
        x[x * orthant <= 0] = 0.0  # project onto the orthant
        f, g = fun(x)
        f += c1 * np.abs(x).sum()
        count += 1
        if f <= fp + p.ftol * _dot(x - xp, pgp):
            return x, f, g, stp, count
        _check_step(stp, count, p)
        stp *= 0.5


def _check_step(stp, count, p):
    if stp < p.min_step:
        raise LineSearchError("the step became smaller than min_step")
    if stp > p.max_step:
        raise LineSearchError("the step became larger than max_step")
    if count >= p.max_linesearch:
        raise LineSearchError(f"no acceptable step in {count} trials")


def _linesearch_backtracking(fun, xp, fp, gp, d, stp, p, strong):
    dginit = _dot(gp, d)
    if dginit > 0:
        raise LineSearchError("the direction increases the objective")
    count = 0
    while True:
        x = xp + stp * d
        f, g = fun(x)
        count += 1
        if f > fp + stp * p.ftol * dginit:
            width = 0.5
        else:
            dg = _dot(g, d)
            if dg < p.wolfe * dginit:
                width = 2.1
            elif strong and dg > -p.wolfe * dginit:
                width = 0.5
            else:
                return x, f, g, stp, count
        _check_step(stp, count, p)
        stp *= width


def _linesearch_more_thuente(fun, xp, fp, gp, d, stp, p):
    """More & Thuente (1994): a safeguarded cubic/quadratic search for a strong-Wolfe step."""
    dginit = _dot(gp, d)
    if dginit > 0:
        raise LineSearchError("the direction increases the objective")
    brackt, stage1, uinfo, count = False, True, 0, 0
    dgtest = p.ftol * dginit
    width = p.max_step - p.min_step
    prev_width = 2.0 * width
    stx = sty = 0.0
    fx = fy = fp
    dgx = dgy = dginit
    while True:
        if brackt:
            stmin, stmax = min(stx, sty), max(stx, sty)
        else:
            stmin, stmax = stx, stp + 4.0 * (stp - stx)
        stp = min(max(stp, p.min_step), p.max_step)
        if brackt and (stp <= stmin or stmax <= stp or p.max_linesearch <= count + 1 or uinfo != 0
                       or stmax - stmin <= p.xtol * stmax):
            stp = stx  # an unusual end is coming: evaluate the best point so far
        x = xp + stp * d
        f, g = fun(x)
        dg = _dot(g, d)
        ftest1 = fp + stp * dgtest
        count += 1
        if brackt and (stp <= stmin or stmax <= stp or uinfo != 0):
            raise LineSearchError("rounding errors prevent progress")
        if stp == p.max_step and f <= ftest1 and dg <= dgtest:
            raise LineSearchError("the step reached max_step")
        if stp == p.min_step and (ftest1 < f or dgtest <= dg):
            raise LineSearchError("the step reached min_step")
        if brackt and stmax - stmin <= p.xtol * stmax:
            raise LineSearchError("the interval of uncertainty became too small")
        if p.max_linesearch <= count:
            raise LineSearchError(f"no acceptable step in {count} trials")
        if f <= ftest1 and abs(dg) <= p.gtol * (-dginit):
            return x, f, g, stp, count
        if stage1 and f <= ftest1 and min(p.ftol, p.gtol) * dginit <= dg:
            stage1 = False
        if stage1 and ftest1 < f <= fx:
            # the modified function psi(a) = f(a) - f(0) - ftol a f'(0) predicts the step (paper, sec. 2)
            stx, fxm, dgxm, sty, fym, dgym, stp, brackt, uinfo = _update_trial_interval(
                stx, fx - stx * dgtest, dgx - dgtest, sty, fy - sty * dgtest, dgy - dgtest,
                stp, f - stp * dgtest, dg - dgtest, stmin, stmax, brackt)
            fx, fy = fxm + stx * dgtest, fym + sty * dgtest
            dgx, dgy = dgxm + dgtest, dgym + dgtest
        else:
            stx, fx, dgx, sty, fy, dgy, stp, brackt, uinfo = _update_trial_interval(
                stx, fx, dgx, sty, fy, dgy, stp, f, dg, stmin, stmax, brackt)
        if brackt:
            if 0.66 * prev_width <= abs(sty - stx):
                stp = stx + 0.5 * (sty - stx)  # force the interval to shrink
            prev_width, width = width, abs(sty - stx)


def _cubic_min(u, fu, du, v, fv, dv):
    d = v - u
    theta = (fu - fv) * 3 / d + du + dv
    s = max(abs(theta), abs(du), abs(dv))
    a = theta / s
    gamma = s * math.sqrt(max(0.0, a * a - (du / s) * (dv / s)))
    if v < u:
        gamma = -gamma
    r = (gamma - du + theta) / (gamma - du + gamma + dv)
    return u + r * d


def _cubic_min_clipped(u, fu, du, v, fv, dv, lo, hi):
    d = v - u
    theta = (fu - fv) * 3 / d + du + dv
    s = max(abs(theta), abs(du), abs(dv))
    a = theta / s
    gamma = s * math.sqrt(max(0.0, a * a - (du / s) * (dv / s)))
    if u < v:
        gamma = -gamma
    r = (gamma - dv + theta) / (gamma - dv + gamma + du)
    if r < 0.0 and gamma != 0.0:
        return v - r * d
    return hi if a < 0 else lo


def _quad_min(u, fu, du, v, fv):
    a = v - u
    return u + du / ((fu - fv) / a + du) / 2 * a


def _quad_min_secant(u, du, v, dv):
    a = u - v
    return v + dv / (dv - du) * a


def _update_trial_interval(x, fx, dx, y, fy, dy, t, ft, dt, tmin, tmax, brackt):
    """One step of More & Thuente's interval update: returns the new (x, fx, dx), (y, fy, dy), trial t."""
    if brackt:
        if t <= min(x, y) or max(x, y) <= t:
            return x, fx, dx, y, fy, dy, t, brackt, -1
        if 0.0 <= dx * (t - x) or tmax < tmin:
            return x, fx, dx, y, fy, dy, t, brackt, -1
    dsign = (dt * (dx / abs(dx))) < 0.0
    if fx < ft:  # case 1: higher function value, the minimum is bracketed
        brackt, bound = True, True
        mc = _cubic_min(x, fx, dx, t, ft, dt)
        mq = _quad_min(x, fx, dx, t, ft)
        newt = mc if abs(mc - x) < abs(mq - x) else mc + 0.5 * (mq - mc)
    elif dsign:  # case 2: lower value, derivatives of opposite sign
        brackt, bound = True, False
        mc = _cubic_min(x, fx, dx, t, ft, dt)
        mq = _quad_min_secant(x, dx, t, dt)
        newt = mc if abs(mc - t) > abs(mq - t) else mq
    elif abs(dt) < abs(dx):  # case 3: lower value, same sign, the derivative shrinks
        bound = True
        mc = _cubic_min_clipped(x, fx, dx, t, ft, dt, tmin, tmax)
        mq = _quad_min_secant(x, dx, t, dt)
        if brackt:
            newt = mc if abs(t - mc) < abs(t - mq) else mq
        else:
            newt = mc if abs(t - mc) > abs(t - mq) else mq
    else:  # case 4: lower value, same sign, the derivative does not shrink
        bound = False
        if brackt:
            newt = _cubic_min(t, ft, dt, y, fy, dy)
        elif x < t:
            newt = tmax
        else:
            newt = tmin
    if fx < ft:
        y, fy, dy = t, ft, dt
    else:
        if dsign:
            y, fy, dy = x, fx, dx
        x, fx, dx = t, ft, dt
    newt = min(max(newt, tmin), tmax)
    if brackt and bound:
        mq = x + 0.66 * (y - x)
        newt = min(newt, mq) if x < y else max(newt, mq)
    return x, fx, dx, y, fy, dy, newt, brackt, 0
