"""mlcanon.nn.sampling equals torch.nn.functional on random shapes and settings (hypothesis), including
non-integer scale factors, output sizes that do not divide the input, ceil mode, dilation and padding.

Tolerance 1e-5 (float32): interpolation applies the 1-D rule axis by axis where torch sums 2^d (4^d)
corner products in one pass, so the two round differently by a few ulps of O(1) values (≤ 16 taps
of |weight| ≤ 1.25, at most ~5e-6 observed); pooling, unpooling and shuffles are exact selections
or the same sums and are compared bit for bit where the arithmetic is identical.
"""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from mlcanon.nn import sampling as S

ATOL = 1e-5
sizes = st.integers(1, 9)
examples = settings(max_examples=60)  # each example builds index tensors in Python: keep each test ~seconds


def _close(a: torch.Tensor, b: torch.Tensor, atol: float = ATOL) -> None:
    assert a.shape == b.shape
    assert torch.allclose(a, b, atol=atol, rtol=0), float((a - b).abs().max())


def _x(data, n_spatial: int) -> torch.Tensor:
    shape = [data.draw(st.integers(1, 2)), data.draw(st.integers(1, 3))] + [data.draw(sizes) for _ in range(n_spatial)]
    torch.manual_seed(data.draw(st.integers(0, 2**16)))
    return torch.randn(*shape)


def _size_or_scale(data, x: torch.Tensor):
    k = x.ndim - 2
    if data.draw(st.booleans()):
        return {"size": tuple(data.draw(st.integers(1, 13)) for _ in range(k))}
    factors = tuple(data.draw(st.sampled_from([0.5, 2.0, 3.0, 1.3333, 1.7, 0.3, 2.5]) | st.floats(0.25, 3.5))
                    for _ in range(k))
    assume(all(math.floor(n * f) >= 1 for n, f in zip(x.shape[2:], factors)))
    return {"scale_factor": factors, "recompute_scale_factor": data.draw(st.sampled_from([None, False, True]))}


# ----------------------------------------------------------------------------- interpolate


@examples
@given(st.data())
def test_nearest_modes_equal_torch_in_1d_2d_3d(data):
    x = _x(data, data.draw(st.integers(1, 3)))
    mode = data.draw(st.sampled_from(["nearest", "nearest-exact"]))
    kw = _size_or_scale(data, x)
    assert torch.equal(S.interpolate(x, mode=mode, **kw), F.interpolate(x, mode=mode, **kw))  # a pure selection


@examples
@given(st.data())
def test_linear_bilinear_trilinear_bicubic_equal_torch(data):
    mode = data.draw(st.sampled_from(["linear", "bilinear", "trilinear", "bicubic"]))
    x = _x(data, {"linear": 1, "bilinear": 2, "trilinear": 3, "bicubic": 2}[mode])
    kw = _size_or_scale(data, x)
    align_corners = data.draw(st.sampled_from([None, False, True]))
    _close(S.interpolate(x, mode=mode, align_corners=align_corners, **kw),
           F.interpolate(x, mode=mode, align_corners=align_corners, **kw))


@examples
@given(st.data())
def test_area_equals_torch(data):
    x = _x(data, data.draw(st.integers(1, 3)))
    kw = _size_or_scale(data, x)
    kw.pop("recompute_scale_factor", None)  # torch's area mode ignores the scale in its map
    _close(S.interpolate(x, mode="area", **kw), F.interpolate(x, mode="area", **kw))


@examples
@given(st.data())
def test_antialiased_bilinear_and_bicubic_equal_torch(data):
    x = _x(data, 2)
    mode = data.draw(st.sampled_from(["bilinear", "bicubic"]))
    kw = _size_or_scale(data, x)
    out_sizes, _ = S._output_sizes(tuple(x.shape[2:]), kw.get("size"), kw.get("scale_factor"),
                                   kw.get("recompute_scale_factor"))
    assume(out_sizes[1] > 1)  # see test_antialias_to_width_one_differs_from_torchs_own_two_passes
    _close(S.interpolate(x, mode=mode, antialias=True, **kw), F.interpolate(x, mode=mode, antialias=True, **kw))


def test_antialias_to_width_one_differs_from_torchs_own_two_passes():
    """torch 2.x: antialiased resizing to width 1 that also changes the height gives numbers that
    disagree with torch's own result of resizing the width, then the height (its single call repeats
    one row). Ours equals the two-pass composition, which is what the separable filter means."""
    torch.manual_seed(0)
    x = torch.randn(1, 2, 6, 3)
    narrow = F.interpolate(x, size=(6, 1), mode="bilinear", antialias=True)  # the width pass: (6, 3) → (6, 1)
    # the height pass as a width pass on the transpose: (1, 6) → (1, 2), a case torch gets right
    two_pass = F.interpolate(narrow.transpose(-1, -2), size=(1, 2), mode="bilinear", antialias=True).transpose(-1, -2)
    ours = S.interpolate(x, size=(2, 1), mode="bilinear", antialias=True)
    _close(ours, two_pass)
    one_call = F.interpolate(x, size=(2, 1), mode="bilinear", antialias=True)
    if torch.allclose(one_call, two_pass, atol=ATOL):  # fixed in this torch: then we equal it as well
        _close(ours, one_call)


def test_hand_checked_linear_and_nearest():
    x = torch.arange(4.0).reshape(1, 1, 4)
    # half-pixel centres: source = (i + 0.5)/2 - 0.5, clamped at 0
    assert S.interpolate(x, size=8, mode="linear").flatten().tolist() == [0, 0.25, 0.75, 1.25, 1.75, 2.25, 2.75, 3]
    assert S.interpolate(x, size=7, mode="linear", align_corners=True).flatten().tolist() == [0, .5, 1, 1.5, 2, 2.5, 3]
    assert S.interpolate(x, size=3, mode="nearest").flatten().tolist() == [0, 1, 2]  # floor(i · 4/3)
    assert S.interpolate(x, size=3, mode="nearest-exact").flatten().tolist() == [0, 2, 3]  # floor((i + ½) · 4/3)


def test_kept_axis_rules_of_torchs_kernels():
    """With scale_factor 1.05 on 6 rows the output keeps 6 rows: the (bi)linear kernels copy them,
    bicubic and nearest-exact interpolate with scale 1/1.05 all the same; 2-D nearest copies, 1-D does not."""
    torch.manual_seed(0)
    x = torch.randn(1, 1, 6, 5)
    for mode in ("bilinear", "bicubic", "nearest", "nearest-exact"):
        ours = S.interpolate(x, scale_factor=(1.05, 2), mode=mode)
        assert torch.allclose(ours, F.interpolate(x, scale_factor=(1.05, 2), mode=mode), atol=ATOL)
    assert torch.equal(S.interpolate(x, scale_factor=(1.05, 1.0), mode="bilinear"), x)
    line = torch.arange(5.0).reshape(1, 1, 5)
    assert S.interpolate(line, scale_factor=1.1, mode="nearest").flatten().tolist() == [0, 0, 1, 2, 3]


def test_interpolate_checks():
    x = torch.zeros(1, 1, 4, 4)
    with pytest.raises(ValueError, match="size, scale_factor: expected exactly one of them, got both"):
        S.interpolate(x, size=2, scale_factor=2)
    with pytest.raises(ValueError, match="size, scale_factor: expected exactly one of them, got neither"):
        S.interpolate(x)
    with pytest.raises(ValueError, match="mode: 'linear' needs a 3-D input, got shape"):
        S.interpolate(x, size=2, mode="linear")
    with pytest.raises(ValueError, match="mode: expected one of 'nearest'"):
        S.interpolate(x, size=2, mode="lanczos")
    with pytest.raises(ValueError, match="align_corners: only for linear, bilinear, bicubic and trilinear"):
        S.interpolate(x, size=2, align_corners=True)
    with pytest.raises(ValueError, match="antialias: only for 'bilinear' and 'bicubic' modes"):
        S.interpolate(x, size=2, antialias=True)
    with pytest.raises(ValueError, match="recompute_scale_factor: not meaningful with an explicit size"):
        S.interpolate(x, size=2, recompute_scale_factor=True)
    with pytest.raises(ValueError, match=r"size: expected an int >= 1 or a tuple of 2 of them, got \(2, 0\)"):
        S.interpolate(x, size=(2, 0))
    with pytest.raises(ValueError, match="scale_factor: expected a number > 0"):
        S.interpolate(x, scale_factor=-1.0)
    with pytest.raises(ValueError, match=r"scale_factor: the output size \(0, 0\) from input \(4, 4\) would be empty"):
        S.interpolate(x, scale_factor=0.2)
    with pytest.raises(ValueError, match=r"x: expected a 3-D or 4-D or 5-D tensor, got shape \(4, 4\)"):
        S.interpolate(torch.zeros(4, 4), size=2)
    with pytest.raises(TypeError, match="x: expected a floating-point tensor, got dtype torch.int64"):
        S.interpolate(torch.zeros(1, 1, 4, dtype=torch.long), size=2)
    with pytest.raises(TypeError, match="x: expected a torch.Tensor, got list"):
        S.interpolate([[1.0]], size=2)


# ----------------------------------------------------------------------------- pooling


def _pool_settings(data, with_dilation: bool):
    k = (data.draw(st.integers(1, 4)), data.draw(st.integers(1, 4)))
    s = data.draw(st.none() | st.tuples(st.integers(1, 3), st.integers(1, 3)))
    p = (data.draw(st.integers(0, k[0] // 2)), data.draw(st.integers(0, k[1] // 2)))
    d = (data.draw(st.integers(1, 2)), data.draw(st.integers(1, 2))) if with_dilation else (1, 1)
    return k, s, p, d, data.draw(st.booleans())


def _torch_or_none(fn):
    try:
        out = fn()
    except RuntimeError:  # torch rejects the setting (output size < 1): so does conv_output_size
        return None
    return out


@examples
@given(st.data())
def test_max_pool2d_values_and_indices_equal_torch(data):
    x = _x(data, 2)
    if data.draw(st.booleans()):
        x = x[0]  # unbatched (C, H, W)
    k, s, p, d, ceil = _pool_settings(data, with_dilation=True)
    ref = _torch_or_none(lambda: F.max_pool2d(x, k, s, p, d, ceil_mode=ceil, return_indices=True))
    assume(ref is not None)
    values, index = S.max_pool2d(x, k, s, p, d, ceil_mode=ceil, return_indices=True)
    assert torch.equal(values, ref[0]) and torch.equal(index, ref[1])
    assert torch.equal(S.max_pool2d(x, k, s, p, d, ceil_mode=ceil), ref[0])


@examples
@given(st.data())
def test_avg_pool2d_equals_torch(data):
    x = _x(data, 2)
    k, s, p, _, ceil = _pool_settings(data, with_dilation=False)
    include_pad = data.draw(st.booleans())
    divisor = data.draw(st.none() | st.integers(1, 7))
    ref = _torch_or_none(lambda: F.avg_pool2d(x, k, s, p, ceil, include_pad, divisor))
    assume(ref is not None)
    _close(S.avg_pool2d(x, k, s, p, ceil, include_pad, divisor), ref)


@settings(max_examples=30)
@given(st.data())
def test_max_unpool2d_equals_torch(data):
    x = _x(data, 2)
    k, s, p, _, _ = _pool_settings(data, with_dilation=False)
    pooled = _torch_or_none(lambda: F.max_pool2d(x, k, s, p, return_indices=True))
    assume(pooled is not None)
    ref = _torch_or_none(lambda: F.max_unpool2d(*pooled, k, s, p))
    assume(ref is not None and ref.numel() > 0)
    assert torch.equal(S.max_unpool2d(*pooled, k, s, p), ref)
    # an explicit output size: the input's own (the windows may have skipped its last rows)
    ref = F.max_unpool2d(*pooled, k, s, p, output_size=x.shape[-2:])
    assert torch.equal(S.max_unpool2d(*pooled, k, s, p, output_size=x.shape[-2:]), ref)


@examples
@given(st.data())
def test_adaptive_avg_pool2d_equals_torch(data):
    x = _x(data, 2)
    size = (data.draw(st.integers(1, 12)), data.draw(st.none() | st.integers(1, 12)))
    _close(S.adaptive_avg_pool2d(x, size), F.adaptive_avg_pool2d(x, size))


def test_pooling_checks():
    x = torch.zeros(1, 1, 4, 4)
    with pytest.raises(ValueError, match=r"padding: pooling expects padding <= kernel_size // 2 = 1, got 2"):
        S.max_pool2d(x, 3, padding=2)
    with pytest.raises(ValueError, match="input_size: the output size would be 0"):
        S.avg_pool2d(x, 5)
    with pytest.raises(ValueError, match="divisor_override: expected None or an int >= 1, got 0"):
        S.avg_pool2d(x, 2, divisor_override=0)
    with pytest.raises(TypeError, match=r"kernel_size: expected an int or a tuple of 2 ints, got \(2, 2, 2\)"):
        S.max_pool2d(x, (2, 2, 2))
    v, i = S.max_pool2d(x, 2, return_indices=True)
    with pytest.raises(ValueError, match="indices: expected an int64 tensor of the shape of x"):
        S.max_unpool2d(v, i.int(), 2)
    with pytest.raises(ValueError, match=r"indices: expected values in \[0, 4\) for an output of size \(2, 2\)"):
        S.max_unpool2d(v, i, 2, output_size=(2, 2))
    with pytest.raises(ValueError, match="output_size: expected an int >= 1 or a pair of them"):
        S.adaptive_avg_pool2d(x, (2, 0))


def test_max_pool_then_unpool_keeps_only_the_maxima():
    x = torch.tensor([[[[1.0, 5, 2, 0], [3, 4, 8, 1], [0, 0, 1, 1], [9, 2, 1, 7]]]])
    v, i = S.max_pool2d(x, 2, return_indices=True)
    assert v.flatten().tolist() == [5, 8, 9, 7] and i.flatten().tolist() == [1, 6, 12, 15]
    assert S.max_unpool2d(v, i, 2).flatten().tolist() == [0, 5, 0, 0, 0, 0, 8, 0, 0, 0, 0, 0, 9, 0, 0, 7]


# ----------------------------------------------------------------------------- transposed convolution, shuffles


@examples
@given(st.data())
def test_conv_transpose2d_equals_torch(data):
    groups = data.draw(st.sampled_from([1, 1, 2, 3]))
    c_in, c_out_g = groups * data.draw(st.integers(1, 2)), data.draw(st.integers(1, 3))
    x = torch.randn(data.draw(st.integers(1, 2)), c_in, data.draw(sizes), data.draw(sizes))
    k = (data.draw(st.integers(1, 4)), data.draw(st.integers(1, 4)))
    w = torch.randn(c_in, c_out_g, *k)
    bias = torch.randn(groups * c_out_g) if data.draw(st.booleans()) else None
    s = (data.draw(st.integers(1, 3)), data.draw(st.integers(1, 3)))
    d = (data.draw(st.integers(1, 2)), data.draw(st.integers(1, 2)))
    p = (data.draw(st.integers(0, 3)), data.draw(st.integers(0, 3)))
    op = tuple(data.draw(st.integers(0, max(si, di) - 1)) for si, di in zip(s, d))
    ref = _torch_or_none(lambda: F.conv_transpose2d(x, w, bias, s, p, op, groups, d))
    assume(ref is not None and ref.numel() > 0)
    # sums of up to c_in·kH·kW = 96 products of N(0, 1) values, in another order than torch's GEMM
    _close(S.conv_transpose2d(x, w, bias, s, p, op, groups, d), ref, atol=1e-4)


def test_conv_transpose2d_unbatched_and_checks():
    torch.manual_seed(0)
    x, w = torch.randn(2, 3, 3), torch.randn(2, 4, 2, 2)
    _close(S.conv_transpose2d(x, w, stride=2), F.conv_transpose2d(x, w, stride=2), atol=1e-5)
    with pytest.raises(ValueError, match="groups: expected an int >= 1 that divides the 2 input channels, got 3"):
        S.conv_transpose2d(x, w, groups=3)
    with pytest.raises(ValueError, match=r"weight: expected shape \(C_in=2, C_out/groups, kH, kW\), got \(3, 4, 2, 2\)"):
        S.conv_transpose2d(x, torch.randn(3, 4, 2, 2))
    with pytest.raises(ValueError, match=r"bias: expected a tensor of shape \(4,\)"):
        S.conv_transpose2d(x, w, bias=torch.zeros(3))
    with pytest.raises(ValueError, match="output_padding: expected output_padding smaller than stride"):
        S.conv_transpose2d(x, w, stride=2, output_padding=2)


@given(st.integers(1, 3), st.integers(1, 4), st.integers(1, 4), st.integers(1, 3), st.booleans())
def test_pixel_shuffle_and_unshuffle_equal_torch_and_invert_each_other(r, h, w, c, extra_batch_dim):
    torch.manual_seed(0)
    lead = (2, 3) if extra_batch_dim else (2,)
    x = torch.randn(*lead, c * r * r, h, w)
    y = S.pixel_shuffle(x, r)
    assert torch.equal(y, F.pixel_shuffle(x, r))
    assert torch.equal(S.pixel_unshuffle(y, r), F.pixel_unshuffle(y, r))
    assert torch.equal(S.pixel_unshuffle(y, r), x)


def test_pixel_shuffle_by_hand_and_checks():
    x = torch.arange(8.0).reshape(1, 8, 1, 1)
    assert S.pixel_shuffle(x, 2)[0].tolist() == [[[0, 1], [2, 3]], [[4, 5], [6, 7]]]
    with pytest.raises(ValueError, match="x: expected channels divisible by upscale_factor² = 4, got 6"):
        S.pixel_shuffle(torch.zeros(1, 6, 2, 2), 2)
    with pytest.raises(ValueError, match="x: expected height and width divisible by downscale_factor = 2, got 3×4"):
        S.pixel_unshuffle(torch.zeros(1, 1, 3, 4), 2)
    with pytest.raises(ValueError, match="upscale_factor: expected an int >= 1, got 0"):
        S.pixel_shuffle(x, 0)


def test_gradients_flow_through_every_op():
    """Built from differentiable gathers, so autograd gives the gradients; a finite-difference check in double."""
    torch.manual_seed(0)
    x = torch.randn(1, 1, 5, 4, dtype=torch.float64, requires_grad=True)
    w = torch.randn(1, 2, 2, 2, dtype=torch.float64, requires_grad=True)
    for fn in (lambda t: S.interpolate(t, scale_factor=1.7, mode="bicubic"),
               lambda t: S.interpolate(t, size=(3, 2), mode="bilinear", antialias=True),
               lambda t: S.avg_pool2d(t, 3, 2, 1, ceil_mode=True, count_include_pad=False),
               lambda t: S.max_pool2d(t, 2, 1),
               lambda t: S.adaptive_avg_pool2d(t, (3, 3)),
               lambda t: S.pixel_unshuffle(t[..., :4, :], 2)):
        assert torch.autograd.gradcheck(fn, (x,))
    assert torch.autograd.gradcheck(lambda a, b: S.conv_transpose2d(a, b, stride=2, padding=1), (x, w))
