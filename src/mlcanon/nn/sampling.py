"""Up- and down-sampling: interpolation, pooling, unpooling, transposed convolution, pixel shuffle.

Each operation is written from its formula with index arithmetic and gathers (``index_select``,
advanced indexing, ``scatter``), so a reader sees which input pixels make each output pixel.
Reference: PyTorch's functional ops (``F.interpolate``, ``F.avg_pool2d``, ``F.max_pool2d``,
``F.max_unpool2d``, ``F.conv_transpose2d``, ``F.pixel_shuffle``, ``F.pixel_unshuffle``,
``F.adaptive_avg_pool2d``); the tests compare with them on random shapes and settings. Shape rules
come from :func:`mlcanon.nn.conv_output_size`.

Interpolation (per spatial axis, separable; input size ``n``, output size ``m``)::

    scale  = (n - 1)/(m - 1)                   align_corners=True
           = 1/scale_factor if given, else n/m  align_corners=False
    source = scale·i                           align_corners=True
           = scale·(i + ½) - ½                  align_corners=False ("half pixel")
    nearest:        x[min(floor(scale·i), n-1)]           (PyTorch's legacy rule)
    nearest-exact:  x[min(floor(scale·(i + ½)), n-1)]     (the pixel whose centre is nearest)
    linear:         (1 - λ)·x[j] + λ·x[j+1],  j = floor(source), λ = source - j  (source clamped at 0)
    cubic:          Σₖ W(t - k)·x[clamp(j + k)], k = -1..2, with Keys' (1981) kernel, a = -0.75:
                    W(s) = (a+2)|s|³ - (a+3)|s|² + 1      for |s| ≤ 1
                         = a|s|³ - 5a|s|² + 8a|s| - 4a    for 1 < |s| < 2
    antialias:      the filter is stretched by the shrink factor (PIL's rule, a = -0.5 for cubic):
                    out[i] = Σⱼ f((j - c + ½)/s) x[j] / Σⱼ f((j - c + ½)/s), c = scale·(i + ½),
                    s = max(scale, 1), j over the filter's support inside the input.

The 2-D and 3-D modes apply the 1-D rule axis after axis (bilinear = linear along H, then along W),
which equals PyTorch's weighted sum of 4 (8, 16) corners up to float rounding.

Pooling (window of output o along one axis: starts at o·stride - padding)::

    avg_pool2d:  out = Σ window / divisor;  divisor = divisor_override, or the window size clipped
                 to the padded input (count_include_pad=True), or to the input (False)
    max_pool2d:  out = max window (dilated taps o·stride - padding + k·dilation), index = h·W + w
    max_unpool2d: y = 0 everywhere, y[index] = x  (the inverse of max_pool2d on the maxima)
    adaptive_avg_pool2d: window i = [floor(i·n/m), ceil((i+1)·n/m))

Transposed convolution: y[g·C'ₒ + c', i·s - p + k·d] += x[g·C'ᵢ + c, i] · w[g·C'ᵢ + c, c', k] — each input
pixel paints a (dilated) copy of the kernel, ``stride`` apart; the gradient of a convolution.

Pixel shuffle (Shi et al. 2016, "Real-Time Single Image and Video Super-Resolution Using an
Efficient Sub-Pixel Convolutional Neural Network"): (C·r², H, W) → (C, H·r, W·r) with
y[c, h·r + i, w·r + j] = x[c·r² + i·r + j, h, w]; unshuffle is its inverse.

Only floating-point inputs are supported.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Literal

import torch

from mlcanon.nn.shapes import conv_output_size
from mlcanon.validation import describe

__all__ = [
    "adaptive_avg_pool2d",
    "avg_pool2d",
    "conv_transpose2d",
    "interpolate",
    "max_pool2d",
    "max_unpool2d",
    "pixel_shuffle",
    "pixel_unshuffle",
]

Mode = Literal["nearest", "nearest-exact", "linear", "bilinear", "bicubic", "trilinear", "area"]
_MODE_NDIM = {"linear": 3, "bilinear": 4, "bicubic": 4, "trilinear": 5}
_CUBIC_A = -0.75  # Keys' a, as PyTorch and OpenCV; PIL (and antialias=True) use -0.5


# ----------------------------------------------------------------------------- checks and the gather core


def _check_tensor(x: object, name: str, ndims: Sequence[int]) -> torch.Tensor:
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name}: expected a torch.Tensor, got {describe(x)}")
    if x.ndim not in ndims:
        listed = " or ".join(f"{d}-D" for d in ndims)
        raise ValueError(f"{name}: expected a {listed} tensor, got shape {tuple(x.shape)}")
    if not x.is_floating_point():
        raise TypeError(f"{name}: expected a floating-point tensor, got dtype {x.dtype}")
    return x


def _pair(value: object, name: str, n: int = 2) -> tuple[int, ...]:
    """An int, or a tuple of ``n`` ints, as a tuple of ``n`` ints."""
    values = tuple(value) if isinstance(value, (tuple, list)) else (value,) * n
    if len(values) != n or any(isinstance(v, bool) or not isinstance(v, numbers.Integral) for v in values):
        raise TypeError(f"{name}: expected an int or a tuple of {n} ints, got {value!r}")
    return tuple(int(v) for v in values)


def _gather_sum(x: torch.Tensor, axis: int, index: torch.Tensor, weight: torch.Tensor | None) -> torch.Tensor:
    """y[..., i, ...] = Σₖ weight[i, k] · x[..., index[i, k], ...] along ``axis``.

    ``index`` and ``weight`` have shape (m, K): K input taps for each of the m outputs."""
    shape = [1] * x.ndim
    shape[axis] = index.shape[0]
    out = None
    for k in range(index.shape[1]):
        taps = x.index_select(axis, index[:, k])  # (..., m, ...)
        if weight is not None:
            taps = taps * weight[:, k].to(x.dtype).reshape(shape)
        out = taps if out is None else out + taps
    return out


# ----------------------------------------------------------------------------- interpolate


def interpolate(
    x: torch.Tensor,
    size: int | Sequence[int] | None = None,
    scale_factor: float | Sequence[float] | None = None,
    mode: Mode = "nearest",
    align_corners: bool | None = None,
    recompute_scale_factor: bool | None = None,
    antialias: bool = False,
) -> torch.Tensor:
    """Resize the spatial dimensions of ``x`` (same arguments and numbers as ``F.interpolate``).

    Parameters
    ----------
    x : Tensor of shape (N, C, W), (N, C, H, W) or (N, C, D, H, W)
    size : int or tuple of int, optional
        Output spatial size; exactly one of ``size`` and ``scale_factor`` is given.
    scale_factor : float or tuple of float, optional
        Output size = floor(input size · scale_factor). Unless ``recompute_scale_factor``, the
        coordinate map uses 1/scale_factor itself (not input/output), as PyTorch.
    mode : {"nearest", "nearest-exact", "linear", "bilinear", "bicubic", "trilinear", "area"}
        linear is for 3-D input, bilinear and bicubic for 4-D, trilinear for 5-D.
    align_corners : bool, optional
        Interpolating modes only: map the corner pixels' centres onto each other (True) or
        their outer edges (False, the default).
    recompute_scale_factor : bool, optional
        Use input/output size instead of 1/scale_factor in the coordinate map.
    antialias : bool, default=False
        bilinear/bicubic only: widen the filter when shrinking (PIL's resize).

    Examples
    --------
    >>> x = torch.arange(4.0).reshape(1, 1, 4)
    >>> interpolate(x, size=8, mode="linear")
    tensor([[[0.0000, 0.2500, 0.7500, 1.2500, 1.7500, 2.2500, 2.7500, 3.0000]]])
    """
    x = _check_tensor(x, "x", (3, 4, 5))
    modes = ("nearest", "nearest-exact", "linear", "bilinear", "bicubic", "trilinear", "area")
    if mode not in modes:
        raise ValueError(f"mode: expected one of {', '.join(map(repr, modes))}, got {mode!r}")
    if mode in _MODE_NDIM and x.ndim != _MODE_NDIM[mode]:
        raise ValueError(f"mode: {mode!r} needs a {_MODE_NDIM[mode]}-D input, got shape {tuple(x.shape)}")
    if align_corners is not None and mode not in _MODE_NDIM:
        raise ValueError(f"align_corners: only for linear, bilinear, bicubic and trilinear modes, got mode={mode!r}")
    if antialias and mode not in ("bilinear", "bicubic"):
        raise ValueError(f"antialias: only for 'bilinear' and 'bicubic' modes, got mode={mode!r}")
    align_corners = bool(align_corners)
    in_sizes = tuple(x.shape[2:])
    out_sizes, scales = _output_sizes(in_sizes, size, scale_factor, recompute_scale_factor)
    for axis, (n, m, s) in enumerate(zip(in_sizes, out_sizes, scales)):
        if n == m and (mode in ("linear", "bilinear", "trilinear") or antialias):
            continue  # PyTorch's (bi/tri)linear and antialias kernels copy a kept axis, whatever scale_factor says
        index, weight = _axis_taps(mode, n, m, s, align_corners, antialias, x.ndim)
        x = _gather_sum(x, 2 + axis, index.to(x.device), None if weight is None else weight.to(x.device))
    return x


def _output_sizes(in_sizes, size, scale_factor, recompute_scale_factor):
    """Output sizes and the scale factors the coordinate map uses (None: use input/output)."""
    k = len(in_sizes)
    if (size is None) == (scale_factor is None):
        raise ValueError("size, scale_factor: expected exactly one of them, got "
                         + ("both" if size is not None else "neither"))
    if size is not None:
        if recompute_scale_factor:
            raise ValueError("recompute_scale_factor: not meaningful with an explicit size; pass scale_factor")
        sizes = tuple(size) if isinstance(size, (tuple, list)) else (size,) * k
        if len(sizes) != k or any(isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < 1 for v in sizes):
            raise ValueError(f"size: expected an int >= 1 or a tuple of {k} of them, got {size!r}")
        return tuple(int(v) for v in sizes), (None,) * k
    factors = tuple(scale_factor) if isinstance(scale_factor, (tuple, list)) else (scale_factor,) * k
    if len(factors) != k or any(isinstance(v, bool) or not isinstance(v, numbers.Real) or not v > 0 for v in factors):
        raise ValueError(f"scale_factor: expected a number > 0 or a tuple of {k} of them, got {scale_factor!r}")
    sizes = tuple(math.floor(float(n) * float(f)) for n, f in zip(in_sizes, factors))
    if min(sizes) < 1:
        raise ValueError(f"scale_factor: the output size {sizes} from input {in_sizes} would be empty")
    scales = (None,) * k if recompute_scale_factor else tuple(float(f) for f in factors)
    return sizes, scales


def _axis_taps(mode: str, n: int, m: int, scale_factor: float | None, align_corners: bool, antialias: bool,
               ndim: int):
    """Input indices (m, K) and weights (m, K) (None for nearest) of one axis of an ``ndim``-D input."""
    if mode == "nearest":
        return _nearest_index(n, m, scale_factor, exact=False, shortcuts=ndim == 4)[:, None], None
    if mode == "nearest-exact":
        return _nearest_index(n, m, scale_factor, exact=True, shortcuts=False)[:, None], None
    if mode == "area":
        return _adaptive_windows(n, m)
    scale = _coordinate_scale(n, m, scale_factor, align_corners)
    if antialias:
        return _antialias_taps(n, m, scale, cubic=mode == "bicubic")
    if mode == "bicubic":
        return _cubic_taps(n, m, scale, align_corners)
    return _linear_taps(n, m, scale, align_corners)


def _nearest_index(n: int, m: int, scale_factor: float | None, exact: bool, shortcuts: bool) -> torch.Tensor:
    """floor(i · scale) (or floor((i + ½) · scale)), with scale rounded to float32 as PyTorch's kernel.

    ``shortcuts``: PyTorch's 2-D legacy nearest kernel copies a kept axis and maps i → i // 2 when the
    size doubles, whatever ``scale_factor`` says; its 1-D and 3-D kernels use the formula throughout."""
    i = torch.arange(m)
    if shortcuts and m == n:
        return i
    if shortcuts and m == 2 * n:
        return i // 2
    scale = torch.tensor(1.0 / scale_factor if scale_factor else n / m, dtype=torch.float32)
    if exact:  # (i + 0.5) · scale in double, then rounded to float, as ATen's floorf((i + 0.5) * scale)
        source = ((i.double() + 0.5) * scale.double()).float()
    else:  # i · scale in float32, as ATen's floorf(i * scale)
        source = i.float() * scale
    return source.floor().long().clamp(max=n - 1)


def _coordinate_scale(n: int, m: int, scale_factor: float | None, align_corners: bool) -> torch.Tensor:
    """Input pixels per output pixel, in float32 as PyTorch's CPU kernel (ATen's area_pixel_compute_scale)."""
    if align_corners:
        return torch.tensor((n - 1) / (m - 1) if m > 1 else 0.0, dtype=torch.float32)
    if scale_factor:
        return torch.tensor(1.0 / scale_factor, dtype=torch.float32)
    return torch.tensor(n, dtype=torch.float32) / m


def _source(m: int, scale: torch.Tensor, align_corners: bool) -> torch.Tensor:
    """The real-valued input coordinate of each output pixel (float32)."""
    i = torch.arange(m, dtype=torch.float32)
    return scale * i if align_corners else scale * (i + 0.5) - 0.5


def _linear_taps(n: int, m: int, scale: torch.Tensor, align_corners: bool):
    source = _source(m, scale, align_corners).clamp(min=0)  # half-pixel sources left of pixel 0 clamp to it
    j = source.floor().long().clamp(max=n - 1)
    lam = (source - j).clamp(0, 1)
    index = torch.stack([j, (j + 1).clamp(max=n - 1)], dim=1)  # (m, 2)
    return index, torch.stack([1 - lam, lam], dim=1)


def _cubic_taps(n: int, m: int, scale: torch.Tensor, align_corners: bool):
    source = _source(m, scale, align_corners)  # not clamped: the taps clamp instead
    j = source.floor().long().clamp(max=n - 1)
    t = (source - j).clamp(0, 1)
    index = torch.stack([(j + k).clamp(0, n - 1) for k in (-1, 0, 1, 2)], dim=1)  # (m, 4)
    weight = torch.stack([_keys_cubic(t + 1), _keys_cubic(t), _keys_cubic(1 - t), _keys_cubic(2 - t)], dim=1)
    return index, weight


def _keys_cubic(s: torch.Tensor, a: float = _CUBIC_A) -> torch.Tensor:
    """Keys' cubic convolution kernel W(s) (Keys 1981), for 0 ≤ |s| < 2."""
    s = s.abs()
    near = ((a + 2) * s - (a + 3)) * s * s + 1
    far = ((a * s - 5 * a) * s + 8 * a) * s - 4 * a
    return torch.where(s <= 1, near, torch.where(s < 2, far, torch.zeros_like(s)))


def _antialias_taps(n: int, m: int, scale: torch.Tensor, cubic: bool):
    """PIL-style resampling weights: the filter stretched by max(scale, 1), normalised to sum 1."""
    scale = float(scale)
    half_width = 2.0 if cubic else 1.0  # the filter's support on each side, in its own units
    stretch = max(scale, 1.0)
    support = half_width * stretch
    K = math.ceil(support) * 2 + 1
    centre = scale * (torch.arange(m, dtype=torch.float64) + 0.5)
    start = (centre - support + 0.5).trunc().long().clamp(min=0)  # C's (int64) cast truncates
    stop = (centre + support + 0.5).trunc().long().clamp(max=n)
    taps = start[:, None] + torch.arange(K)  # (m, K)
    inside = taps < stop[:, None]
    distance = (taps - centre[:, None] + 0.5) / stretch
    w = _keys_cubic(distance, a=-0.5) if cubic else (1 - distance.abs()).clamp(min=0)
    w = torch.where(inside, w, torch.zeros_like(w))
    total = w.sum(dim=1, keepdim=True)
    w = torch.where(total != 0, w / total, w)
    return taps.clamp(max=n - 1), w


def _adaptive_windows(n: int, m: int):
    """Window i = [floor(i·n/m), ceil((i+1)·n/m)) with weights 1/length (0 on padding taps)."""
    i = torch.arange(m)
    start = (i * n) // m
    stop = -((-(i + 1) * n) // m)  # ceil by floor division, exact in integers
    K = int((stop - start).max())
    taps = start[:, None] + torch.arange(K)  # (m, K)
    inside = taps < stop[:, None]
    weight = inside.double() / (stop - start)[:, None].double()
    return taps.clamp(max=n - 1), weight


# ----------------------------------------------------------------------------- pooling


def adaptive_avg_pool2d(x: torch.Tensor, output_size: int | Sequence[int | None]) -> torch.Tensor:
    """Average over m windows that tile each axis: window i = [floor(i·n/m), ceil((i+1)·n/m)).

    ``output_size`` is an int or (H, W); None in a place keeps that input size.

    Examples
    --------
    >>> adaptive_avg_pool2d(torch.arange(16.0).reshape(1, 1, 4, 4), 2)
    tensor([[[[ 2.5000,  4.5000],
              [10.5000, 12.5000]]]])
    """
    x = _check_tensor(x, "x", (3, 4))
    sizes = tuple(output_size) if isinstance(output_size, (tuple, list)) else (output_size, output_size)
    if len(sizes) != 2 or any(s is not None and (isinstance(s, bool) or not isinstance(s, numbers.Integral) or s < 1)
                              for s in sizes):
        raise ValueError(f"output_size: expected an int >= 1 or a pair of them (None keeps a size), got {output_size!r}")
    for axis, m in zip((-2, -1), sizes):
        n = x.shape[axis]
        m = n if m is None else int(m)
        index, weight = _adaptive_windows(n, m)
        x = _gather_sum(x, x.ndim + axis, index.to(x.device), weight.to(x.device))  # mean of means: exact split
    return x


def avg_pool2d(
    x: torch.Tensor,
    kernel_size: int | tuple[int, int],
    stride: int | tuple[int, int] | None = None,
    padding: int | tuple[int, int] = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
) -> torch.Tensor:
    """Mean over each ``kernel_size`` window, as ``F.avg_pool2d``.

    Examples
    --------
    >>> avg_pool2d(torch.arange(16.0).reshape(1, 1, 4, 4), 2)
    tensor([[[[ 2.5000,  4.5000],
              [10.5000, 12.5000]]]])
    """
    x = _check_tensor(x, "x", (3, 4))
    k, s, p = _pool_args(kernel_size, stride, padding)
    if divisor_override is not None and (isinstance(divisor_override, bool) or
                                         not isinstance(divisor_override, numbers.Integral) or divisor_override < 1):
        raise ValueError(f"divisor_override: expected None or an int >= 1, got {divisor_override!r}")
    H, W = x.shape[-2:]
    out = conv_output_size((H, W), k, s, p, ceil_mode=ceil_mode, pooling=True)
    total = None
    for ih, vh in _window_taps(H, out[0], k[0], s[0], p[0], 1):
        for iw, vw in _window_taps(W, out[1], k[1], s[1], p[1], 1):
            tap = x[..., ih[:, None], iw[None, :]] * (vh[:, None] & vw[None, :])  # (..., OH, OW), 0 on padding
            total = tap if total is None else total + tap
    if divisor_override is not None:
        return total / divisor_override
    # window sizes: clipped to the padded input (count_include_pad) or to the input itself
    lo = 0 if not count_include_pad else None
    rows = _window_length(H, out[0], k[0], s[0], p[0], lo)
    cols = _window_length(W, out[1], k[1], s[1], p[1], lo)
    return total / (rows[:, None] * cols[None, :]).to(x.dtype)


def max_pool2d(
    x: torch.Tensor,
    kernel_size: int | tuple[int, int],
    stride: int | tuple[int, int] | None = None,
    padding: int | tuple[int, int] = 0,
    dilation: int | tuple[int, int] = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
    """Maximum over each (dilated) window, as ``F.max_pool2d``; indices are flat positions h·W + w.

    Examples
    --------
    >>> values, index = max_pool2d(torch.arange(16.0).reshape(1, 1, 4, 4), 2, return_indices=True)
    >>> values.flatten().tolist(), index.flatten().tolist()
    ([5.0, 7.0, 13.0, 15.0], [5, 7, 13, 15])
    """
    x = _check_tensor(x, "x", (3, 4))
    k, s, p = _pool_args(kernel_size, stride, padding)
    d = _pair(dilation, "dilation")
    H, W = x.shape[-2:]
    out = conv_output_size((H, W), k, s, p, d, ceil_mode=ceil_mode, pooling=True)
    hs = list(_window_taps(H, out[0], k[0], s[0], p[0], d[0]))
    ws = list(_window_taps(W, out[1], k[1], s[1], p[1], d[1]))
    # taps in PyTorch's scan order (kernel row, then column): the first maximum wins a tie
    values, flat = [], []
    for ih, vh in hs:
        for iw, vw in ws:
            v = x[..., ih[:, None], iw[None, :]]  # (..., OH, OW)
            values.append(v.masked_fill(~(vh[:, None] & vw[None, :]), -math.inf))
            flat.append(ih[:, None] * W + iw[None, :])
    values = torch.stack(values, dim=-1)  # (..., OH, OW, kh·kw)
    best, which = values.max(dim=-1)
    if not return_indices:
        return best
    flat = torch.stack(flat, dim=-1).to(x.device).expand(values.shape)  # (..., OH, OW, kh·kw)
    index = flat.gather(-1, which[..., None])[..., 0]
    # PyTorch starts each window at its first tap at or past 0 with maximum -inf and moves only on a
    # larger value: a window of -inf (or one wholly in the padding) reports that first tap
    first = _first_tap(H, out[0], s[0], p[0], d[0])[:, None] * W + _first_tap(W, out[1], s[1], p[1], d[1])[None, :]
    return best, torch.where(best == -math.inf, first.to(x.device), index)


def _first_tap(n: int, m: int, s: int, p: int, d: int) -> torch.Tensor:
    start = torch.arange(m) * s - p
    return torch.where(start < 0, start + d * ((-start + d - 1) // d), start)  # start moved past 0 in steps of d


def max_unpool2d(
    x: torch.Tensor,
    indices: torch.Tensor,
    kernel_size: int | tuple[int, int],
    stride: int | tuple[int, int] | None = None,
    padding: int | tuple[int, int] = 0,
    output_size: Sequence[int] | None = None,
) -> torch.Tensor:
    """Put each value back at the flat position ``indices`` recorded by :func:`max_pool2d`; zeros elsewhere.

    The default output size inverts the pooling shape: (H - 1)·stride - 2·padding + kernel_size.

    Examples
    --------
    >>> v, i = max_pool2d(torch.arange(16.0).reshape(1, 1, 4, 4), 2, return_indices=True)
    >>> max_unpool2d(v, i, 2)[0, 0]
    tensor([[ 0.,  0.,  0.,  0.],
            [ 0.,  5.,  0.,  7.],
            [ 0.,  0.,  0.,  0.],
            [ 0., 13.,  0., 15.]])
    """
    x = _check_tensor(x, "x", (3, 4))
    if not isinstance(indices, torch.Tensor) or indices.dtype != torch.int64 or indices.shape != x.shape:
        raise ValueError(f"indices: expected an int64 tensor of the shape of x {tuple(x.shape)}, got {describe(indices)}")
    k, s, p = _pool_args(kernel_size, stride, padding, pooling=False)
    H, W = x.shape[-2:]
    if output_size is None:
        size = tuple(conv_output_size((H, W), k, s, p, transposed=True))
    else:
        size = tuple(int(v) for v in output_size)[-2:]
        if len(tuple(output_size)) not in (2, x.ndim):
            raise ValueError(f"output_size: expected (H, W) or the full shape, got {tuple(output_size)!r}")
    n_out = size[0] * size[1]
    if indices.numel() and (int(indices.min()) < 0 or int(indices.max()) >= n_out):
        raise ValueError(f"indices: expected values in [0, {n_out}) for an output of size {size}, got "
                         f"[{int(indices.min())}, {int(indices.max())}]")
    lead = x.shape[:-2]
    y = x.new_zeros(*lead, n_out)  # (..., OH·OW)
    y = y.scatter(-1, indices.flatten(-2), x.flatten(-2))
    return y.reshape(*lead, *size)


def _pool_args(kernel_size, stride, padding, pooling: bool = True):
    k = _pair(kernel_size, "kernel_size")
    s = k if stride is None or (isinstance(stride, (tuple, list)) and len(stride) == 0) else _pair(stride, "stride")
    p = _pair(padding, "padding")
    if pooling:
        for name, v, low in (("kernel_size", k, 1), ("stride", s, 1), ("padding", p, 0)):
            if min(v) < low:
                raise ValueError(f"{name}: expected values >= {low}, got {v}")
    return k, s, p


def _window_taps(n: int, m: int, k: int, s: int, p: int, d: int):
    """For each of the k kernel taps: the (clamped) input index of every output and whether it is inside."""
    o = torch.arange(m)
    for tap in range(k):
        pos = o * s - p + tap * d  # (m,)
        yield pos.clamp(0, n - 1), (pos >= 0) & (pos < n)


def _window_length(n: int, m: int, k: int, s: int, p: int, lo: int | None) -> torch.Tensor:
    """Number of window positions inside [lo, n + p) (lo = -p when None) — PyTorch's pool_size."""
    start = torch.arange(m) * s - p
    stop = torch.clamp(start + k, max=n + p)
    if lo is not None:  # count_include_pad=False: only real pixels
        start, stop = start.clamp(min=0), stop.clamp(max=n)
    return stop - start


# ----------------------------------------------------------------------------- transposed convolution, pixel shuffle


def conv_transpose2d(
    x: torch.Tensor,
    weight: torch.Tensor,
    bias: torch.Tensor | None = None,
    stride: int | tuple[int, int] = 1,
    padding: int | tuple[int, int] = 0,
    output_padding: int | tuple[int, int] = 0,
    groups: int = 1,
    dilation: int | tuple[int, int] = 1,
) -> torch.Tensor:
    """Transposed 2-D convolution, as ``F.conv_transpose2d``: each input pixel adds weight·value at stride.

    Parameters
    ----------
    x : Tensor of shape (N, C_in, H, W) or (C_in, H, W)
    weight : Tensor of shape (C_in, C_out / groups, kH, kW)
    bias : Tensor of shape (C_out,), optional

    Examples
    --------
    >>> conv_transpose2d(torch.ones(1, 1, 2, 2), torch.ones(1, 1, 2, 2), stride=2).shape
    torch.Size([1, 1, 4, 4])
    """
    x = _check_tensor(x, "x", (3, 4))
    unbatched = x.ndim == 3
    if unbatched:
        x = x[None]
    weight = _check_tensor(weight, "weight", (4,))
    N, C_in, H, W = x.shape
    if isinstance(groups, bool) or not isinstance(groups, numbers.Integral) or groups < 1 or C_in % groups:
        raise ValueError(f"groups: expected an int >= 1 that divides the {C_in} input channels, got {groups!r}")
    if weight.shape[0] != C_in:
        raise ValueError(f"weight: expected shape (C_in={C_in}, C_out/groups, kH, kW), got {tuple(weight.shape)}")
    _, C_out_g, kH, kW = weight.shape
    s, p, op, d = (_pair(v, name) for v, name in
                   ((stride, "stride"), (padding, "padding"), (output_padding, "output_padding"), (dilation, "dilation")))
    OH, OW = conv_output_size((H, W), (kH, kW), s, p, d, op, transposed=True)
    G, C_in_g = groups, C_in // groups
    if bias is not None and (not isinstance(bias, torch.Tensor) or tuple(bias.shape) != (G * C_out_g,)):
        raise ValueError(f"bias: expected a tensor of shape ({G * C_out_g},), got {describe(bias)}")
    xg = x.reshape(N, G, C_in_g, H, W)
    wg = weight.reshape(G, C_in_g, C_out_g, kH, kW)
    # the uncropped canvas: every tap of every input pixel lands inside it
    full = x.new_zeros(N, G, C_out_g, (H - 1) * s[0] + d[0] * (kH - 1) + 1 + op[0],
                       (W - 1) * s[1] + d[1] * (kW - 1) + 1 + op[1])
    for a in range(kH):
        for b in range(kW):
            paint = torch.einsum("ngchw,gco->ngohw", xg, wg[..., a, b])  # (N, G, C_out_g, H, W)
            rows = slice(a * d[0], a * d[0] + (H - 1) * s[0] + 1, s[0])
            cols = slice(b * d[1], b * d[1] + (W - 1) * s[1] + 1, s[1])
            full[..., rows, cols] += paint
    y = full[..., p[0]: p[0] + OH, p[1]: p[1] + OW].reshape(N, G * C_out_g, OH, OW)  # crop the padding
    if bias is not None:
        y = y + bias.reshape(1, -1, 1, 1)
    return y[0] if unbatched else y


def pixel_shuffle(x: torch.Tensor, upscale_factor: int) -> torch.Tensor:
    """(*, C·r², H, W) → (*, C, H·r, W·r): y[c, h·r + i, w·r + j] = x[c·r² + i·r + j, h, w].

    Examples
    --------
    >>> pixel_shuffle(torch.arange(4.0).reshape(1, 4, 1, 1), 2)[0, 0]
    tensor([[0., 1.],
            [2., 3.]])
    """
    x = _check_tensor(x, "x", range(3, 9))
    r = _factor(upscale_factor, "upscale_factor")
    *lead, C, H, W = x.shape
    if C % (r * r):
        raise ValueError(f"x: expected channels divisible by upscale_factor² = {r * r}, got {C}")
    n = len(lead)
    x = x.reshape(*lead, C // (r * r), r, r, H, W)  # (*, C, i, j, H, W)
    x = x.permute(*range(n), n, n + 3, n + 1, n + 4, n + 2)  # (*, C, H, i, W, j)
    return x.reshape(*lead, C // (r * r), H * r, W * r)


def pixel_unshuffle(x: torch.Tensor, downscale_factor: int) -> torch.Tensor:
    """(*, C, H·r, W·r) → (*, C·r², H, W), the inverse of :func:`pixel_shuffle`.

    Examples
    --------
    >>> pixel_unshuffle(torch.arange(4.0).reshape(1, 1, 2, 2), 2).flatten().tolist()
    [0.0, 1.0, 2.0, 3.0]
    """
    x = _check_tensor(x, "x", range(3, 9))
    r = _factor(downscale_factor, "downscale_factor")
    *lead, C, H, W = x.shape
    if H % r or W % r:
        raise ValueError(f"x: expected height and width divisible by downscale_factor = {r}, got {H}×{W}")
    n = len(lead)
    x = x.reshape(*lead, C, H // r, r, W // r, r)  # (*, C, H, i, W, j)
    x = x.permute(*range(n), n, n + 2, n + 4, n + 1, n + 3)  # (*, C, i, j, H, W)
    return x.reshape(*lead, C * r * r, H // r, W // r)


def _factor(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{name}: expected an int >= 1, got {value!r}")
    return int(value)
