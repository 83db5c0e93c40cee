"""mlcanon.nn.activations (GELU) against torch.nn.functional.gelu."""

import math

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from mlcanon.nn.activations import GELU, gelu, get_activation


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_equals_torch_forward_and_gradient(approximate, dtype):
    torch.manual_seed(0)
    x = (torch.randn(10_000, dtype=dtype) * 4).requires_grad_(True)  # covers the tails (|x| up to ~16)
    ours, ref = gelu(x, approximate), F.gelu(x, approximate=approximate)
    (g_ours,) = torch.autograd.grad(ours.sum(), x)
    (g_ref,) = torch.autograd.grad(ref.sum(), x)
    if dtype == torch.float64:
        assert float((ours - ref).detach().abs().max()) <= 1e-12
        assert float((g_ours - g_ref).abs().max()) <= 1e-12
    else:
        # 1e-6 in allclose's sense (atol + rtol·|ref|): in float32 the absolute error reaches ~1.2e-6
        # (5 ulps) at |x| ≈ 3, as large as torch's own float32-vs-float64 error there.
        assert torch.allclose(ours, ref, atol=1e-6, rtol=1e-6)
        # The gradient Φ(x) + x·φ(x) sums terms of size ~|x|: 1e-6 relative to max(1, |x|)
        # (measured: 1.1e-6 absolute at x ≈ -5.2 for the tanh form, where the gradient is ~0).
        assert bool(((g_ours - g_ref).abs() <= 1e-6 * x.detach().abs().clamp(min=1)).all())
        small = x.detach().abs() <= 2  # where the values are O(1), absolute 1e-6 holds
        assert float((ours - ref).detach()[small].abs().max()) <= 1e-6
    assert torch.equal(GELU(approximate)(x), ours)


@settings(max_examples=50)
@given(v=st.floats(-30, 30, allow_nan=False))
def test_gelu_matches_the_normal_cdf_definition(v):
    """GELU(x) = x Φ(x) with Φ(x) = ½(1 + erf(x/√2)), computed in Python's math module."""
    expected = v * 0.5 * (1.0 + math.erf(v / math.sqrt(2.0)))
    got = float(gelu(torch.tensor(v, dtype=torch.float64)))
    assert got == pytest.approx(expected, rel=1e-12, abs=1e-12)


def test_gelu_hand_values_and_gradcheck():
    assert float(gelu(torch.tensor(0.0))) == 0.0
    assert float(gelu(torch.tensor(1.0, dtype=torch.float64))) == pytest.approx(0.8413447460685429, abs=1e-15)
    x = torch.randn(6, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda t: gelu(t, "tanh"), (x,))
    assert torch.autograd.gradcheck(gelu, (x,))


def test_get_activation_names():
    assert get_activation("gelu").approximate == "none"
    assert get_activation("gelu_new").approximate == "tanh"
    assert isinstance(get_activation("relu"), torch.nn.ReLU)


def test_errors():
    with pytest.raises(ValueError, match="approximate: expected 'none' or 'tanh', got 'erf'"):
        GELU("erf")
    with pytest.raises(ValueError, match="approximate: expected 'none' or 'tanh', got 'fast'"):
        gelu(torch.zeros(1), "fast")
    with pytest.raises(TypeError, match="x: expected a torch.Tensor, got list"):
        gelu([1.0])
    with pytest.raises(ValueError, match="hidden_act: expected one of"):
        get_activation("swiglu")


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_fused_gelu_is_the_same_function_as_the_formula(approximate):
    # Models run GELU through torch's fused kernel; it must be the function the formula defines.
    x = torch.linspace(-8, 8, 20001, dtype=torch.float64)
    composed = GELU(approximate)(x)
    fused = GELU(approximate, fused=True)(x)
    assert torch.allclose(composed, fused, atol=1e-14, rtol=0)
    assert get_activation("gelu").fused and not get_activation("gelu", fused=False).fused
