"""conv_output_size against the shapes PyTorch actually produces, over thousands of settings."""

import subprocess
import sys

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from mlcanon.cli import app
from mlcanon.nn import conv_output_size, explain_conv_output_size

# Small ranges that still reach every rule: invalid padding/stride/dilation, kernels longer
# than the input, output_padding at and above the stride/dilation limit.
sizes = st.integers(1, 14)
kernels = st.integers(1, 6)
strides = st.integers(0, 4)
paddings = st.integers(-1, 4)
dilations = st.integers(0, 3)
out_paddings = st.integers(0, 3)


def torch_shape(fn):
    """The spatial output shape torch produces, or None when torch refuses the setting."""
    try:
        with torch.no_grad():
            return tuple(fn().shape[2:])
    except (RuntimeError, ValueError):
        return None


def ours_shape(*args, **kwargs):
    try:
        out = conv_output_size(*args, **kwargs)
    except ValueError:
        return None
    return out if isinstance(out, tuple) else (out,)


def per_dim(draw, n, strategy):
    return tuple(draw(strategy) for _ in range(n))


@st.composite
def conv_settings(draw, n_dims):
    return {
        "input_size": per_dim(draw, n_dims, sizes if n_dims < 3 else st.integers(1, 9)),
        "kernel_size": per_dim(draw, n_dims, kernels),
        "stride": per_dim(draw, n_dims, strides),
        "padding": per_dim(draw, n_dims, paddings),
        "dilation": per_dim(draw, n_dims, dilations),
    }


CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}
CONV_T = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}
POOL = {1: F.max_pool1d, 2: F.max_pool2d, 3: F.max_pool3d}


@pytest.mark.parametrize("n_dims", [1, 2, 3])
@settings(max_examples=400)
@given(data=st.data())
def test_conv_matches_torch(n_dims, data):
    s = data.draw(conv_settings(n_dims))
    x = torch.zeros((1, 1) + s["input_size"])
    w = torch.zeros((1, 1) + s["kernel_size"])
    expected = torch_shape(lambda: CONV[n_dims](x, w, stride=s["stride"], padding=s["padding"], dilation=s["dilation"]))
    assert ours_shape(**s) == expected


@pytest.mark.parametrize("n_dims", [1, 2])
@pytest.mark.parametrize("padding", ["same", "valid"])
@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel lengths:UserWarning")  # torch's perf note
@settings(max_examples=200)
@given(data=st.data())
def test_string_padding_matches_torch(n_dims, padding, data):
    s = data.draw(conv_settings(n_dims))
    s["stride"] = data.draw(st.sampled_from([1, 1, 2, s["stride"]]))
    s["padding"] = padding
    x = torch.zeros((1, 1) + s["input_size"])
    w = torch.zeros((1, 1) + s["kernel_size"])
    expected = torch_shape(lambda: CONV[n_dims](x, w, stride=s["stride"], padding=padding, dilation=s["dilation"]))
    assert ours_shape(**s) == expected


@pytest.mark.parametrize("n_dims", [1, 2])
@settings(max_examples=400)
@given(data=st.data())
def test_conv_transpose_matches_torch(n_dims, data):
    s = data.draw(conv_settings(n_dims))
    s["output_padding"] = per_dim(data.draw, n_dims, out_paddings)
    x = torch.zeros((1, 1) + s["input_size"])
    w = torch.zeros((1, 1) + s["kernel_size"])
    expected = torch_shape(
        lambda: CONV_T[n_dims](
            x, w, stride=s["stride"], padding=s["padding"], output_padding=s["output_padding"], dilation=s["dilation"]
        )
    )
    assert ours_shape(**s, transposed=True) == expected


@pytest.mark.parametrize("n_dims", [1, 2])
@pytest.mark.parametrize("ceil_mode", [False, True])
@settings(max_examples=400)
@given(data=st.data())
def test_max_pool_matches_torch(n_dims, ceil_mode, data):
    s = data.draw(conv_settings(n_dims))
    x = torch.zeros((1, 1) + s["input_size"])
    expected = torch_shape(
        lambda: POOL[n_dims](
            x, s["kernel_size"], stride=s["stride"], padding=s["padding"], dilation=s["dilation"], ceil_mode=ceil_mode
        )
    )
    assert ours_shape(**s, ceil_mode=ceil_mode, pooling=True) == expected


@settings(max_examples=300)
@given(i=sizes, k=kernels, s=st.integers(1, 4), p=st.integers(0, 3), d=st.integers(1, 3))
def test_int_arguments_equal_one_dimensional_tuples(i, k, s, p, d):
    a = ours_shape(i, k, stride=s, padding=p, dilation=d)
    b = ours_shape((i,), (k,), stride=(s,), padding=(p,), dilation=(d,))
    assert a == b
    if a is not None:
        assert isinstance(conv_output_size(i, k, s, p, d), int)
        assert conv_output_size((i, i), k, s, p, d) == (a[0], a[0])  # ints broadcast over a tuple


@settings(max_examples=300)
@given(i=sizes, k=kernels, s=st.integers(1, 4), p=st.integers(0, 3), d=st.integers(1, 3), op=st.integers(0, 3))
def test_transposed_undoes_convolution(i, k, s, p, d, op):
    # A transposed conv maps the conv's output size back to its input size for exactly one
    # output_padding in [0, stride): the remainder the floor threw away.
    out = ours_shape(i, k, stride=s, padding=p, dilation=d)
    if out is None or op >= s:
        return
    back = ours_shape(out[0], k, stride=s, padding=p, dilation=d, output_padding=op, transposed=True)
    assert (back == (i,)) == (op == (i + 2 * p - d * (k - 1) - 1) % s)


def test_real_networks():
    assert conv_output_size(224, 7, stride=2, padding=3) == 112  # ResNet-50 conv1
    assert conv_output_size(112, 3, stride=2, padding=1, pooling=True) == 56  # ResNet-50 maxpool
    assert conv_output_size(224, 11, stride=4, padding=2) == 55  # AlexNet conv1
    assert conv_output_size(55, 3, stride=2, ceil_mode=True) == 27
    assert conv_output_size((7, 7), 4, stride=2, padding=1, transposed=True) == (14, 14)  # DCGAN up-block
    assert conv_output_size(13, 2, stride=2, ceil_mode=True) == 7  # VGG/SegNet pooling of an odd size


def test_ceil_mode_last_window_rule():
    # in=5, k=2, s=2, p=1: ceil(4 / 2) + 1 = 3; (3 - 1)*2 = 4 >= 5 + 1? no -> 3
    assert conv_output_size(5, 2, stride=2, padding=1, ceil_mode=True) == 3
    # in=2, k=2, s=2, p=1: ceil(2 / 2) + 1 = 2, and window 2 starts at 2 >= 2 + 1? no -> 2
    assert conv_output_size(2, 2, stride=2, padding=1, ceil_mode=True) == 2
    # in=1, k=1, s=2, p=0: ceil(0 / 2) + 1 = 1 -> fine; in=3, k=1, s=2: ceil(2/2)+1 = 2
    assert conv_output_size(3, 1, stride=2, ceil_mode=True) == 2
    # in=4, k=2, s=3, p=1: ceil(3 / 3) + 1 = 2; (2 - 1)*3 = 3 >= 4 + 1? no -> 2
    assert conv_output_size(4, 2, stride=3, padding=1, ceil_mode=True) == 2
    # in=3, k=2, s=3, p=1: ceil(2 / 3) + 1 = 2; (2 - 1)*3 = 3 >= 3 + 1? no -> 2
    assert conv_output_size(3, 2, stride=3, padding=1, ceil_mode=True) == 2
    # in=2, k=2, s=3, p=1: ceil(1 / 3) + 1 = 2; (2 - 1)*3 = 3 >= 2 + 1 -> dropped: 1
    assert conv_output_size(2, 2, stride=3, padding=1, ceil_mode=True) == 1
    assert torch_shape(lambda: F.max_pool1d(torch.zeros(1, 1, 2), 2, stride=3, padding=1, ceil_mode=True)) == (1,)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"input_size": 3, "kernel_size": 4}, ValueError, r"input_size: the output size would be 0 \(< 1\): input 3"),
        ({"input_size": 3, "kernel_size": 3, "padding": -1}, ValueError, r"padding: expected padding >= 0, got -1"),
        ({"input_size": 3, "kernel_size": 0}, ValueError, r"kernel_size: expected sizes >= 1, got 0"),
        ({"input_size": 0, "kernel_size": 1}, ValueError, r"input_size: expected sizes >= 1, got 0"),
        ({"input_size": 3, "kernel_size": 1, "stride": 0}, ValueError, r"stride: expected a stride >= 1, got 0"),
        ({"input_size": 3, "kernel_size": 1, "dilation": 0}, ValueError, r"dilation: expected a dilation >= 1, got 0"),
        (
            {"input_size": 3, "kernel_size": 1, "output_padding": 1},
            ValueError,
            r"output_padding: only a transposed convolution has output_padding, got 1",
        ),
        (
            {"input_size": 3, "kernel_size": 1, "output_padding": -1, "transposed": True},
            ValueError,
            r"output_padding: expected output_padding >= 0, got -1",
        ),
        (
            {"input_size": 3, "kernel_size": 3, "stride": 2, "output_padding": 2, "transposed": True},
            ValueError,
            r"output_padding: expected output_padding smaller than stride \(2\) or dilation \(1\), got 2",
        ),
        (
            {"input_size": 2, "kernel_size": 1, "padding": 1, "transposed": True},
            ValueError,
            r"input_size: the output size would be 0 \(< 1\): padding 1 removes more",
        ),
        (
            {"input_size": 8, "kernel_size": 3, "padding": 2, "ceil_mode": True},
            ValueError,
            r"padding: pooling expects padding <= kernel_size // 2 = 1, got 2",
        ),
        (
            {"input_size": (8, 8), "kernel_size": (3, 3, 3)},
            ValueError,
            r"per-dimension tuples must have the same length, got: input_size has 2, kernel_size has 3",
        ),
        ({"input_size": (8, 2), "kernel_size": 3}, ValueError, r"\(dimension 1\)"),
        ({"input_size": (), "kernel_size": 3}, ValueError, r"input_size: expected an int or a non-empty tuple"),
        ({"input_size": 8.0, "kernel_size": 3}, TypeError, r"input_size: expected an int or a tuple of ints, got 8.0"),
        ({"input_size": 8, "kernel_size": True}, TypeError, r"kernel_size: expected an int or a tuple of ints"),
        ({"input_size": (8, "2"), "kernel_size": 3}, TypeError, r"input_size: expected an int or a tuple of ints"),
        ({"input_size": 8, "kernel_size": 3, "transposed": 1}, TypeError, r"transposed: expected a bool, got 1"),
        ({"input_size": 8, "kernel_size": 3, "padding": "full"}, ValueError, r"padding: expected an int, a tuple of ints, 'valid' or 'same', got 'full'"),
        ({"input_size": 8, "kernel_size": 3, "padding": "same", "stride": 2}, ValueError, r"padding: padding='same' is not supported for strided convolutions, got stride=2"),
        ({"input_size": 8, "kernel_size": 3, "padding": "same", "transposed": True}, ValueError, r"padding: padding='same' exists only for \(non-transposed\) convolutions"),
        ({"input_size": 8, "kernel_size": 3, "padding": "valid", "ceil_mode": True}, ValueError, r"padding: padding='valid' exists only"),
        ({"input_size": 8, "kernel_size": 0, "padding": "same"}, ValueError, r"kernel_size: expected sizes >= 1, got 0"),
        (
            {"input_size": 8, "kernel_size": 3, "transposed": True, "ceil_mode": True},
            ValueError,
            r"transposed: a transposed convolution has no ceil_mode/pooling",
        ),
    ],
)
def test_errors(kwargs, error, match):
    with pytest.raises(error, match=match):
        conv_output_size(**kwargs)
    with pytest.raises(error, match=match):
        explain_conv_output_size(**kwargs)


def test_explain_fills_in_the_formula():
    text = explain_conv_output_size(224, 7, stride=2, padding=3)
    assert "floor((224 + 2*3 - 1*(7 - 1) - 1) / 2) + 1 = floor(223 / 2) + 1 = 112" in text
    assert text.splitlines()[-1] == "output size: 112"
    text = explain_conv_output_size((2, 9), 2, stride=3, padding=1, ceil_mode=True)
    assert "dim 0: ceil((2 + 2*1 - 1*(2 - 1) - 1) / 3) + 1 = ceil(2 / 3) + 1 = 2;" in text
    assert "the last window is dropped: 1" in text
    assert text.splitlines()[-1] == "output size: (1, 4)"
    text = explain_conv_output_size(5, 4, padding="same")
    assert text.splitlines()[-1] == "output size: 5"
    text = explain_conv_output_size(7, 4, stride=2, padding=1, transposed=True)
    assert "(7 - 1)*2 - 2*1 + 1*(4 - 1) + 0 + 1 = 14" in text


def test_cli_conv_size():
    runner = CliRunner()
    result = runner.invoke(app, ["conv-size", "--input", "224", "--kernel", "7", "--stride", "2", "--padding", "3"])
    assert result.exit_code == 0, result.output
    assert "floor(223 / 2) + 1 = 112" in result.output
    assert "output size: 112" in result.output
    result = runner.invoke(app, ["conv-size", "--input", "224,112", "--kernel", "3", "--ceil-mode", "--stride", "2"])
    assert result.exit_code == 0, result.output
    assert "output size: (112, 56)" in result.output
    result = runner.invoke(app, ["conv-size", "--input", "3", "--kernel", "4"])
    assert result.exit_code == 2 and result.stdout == ""  # errors go to stderr, naming the flags
    assert result.stderr.startswith("error: --input: the output size would be 0") and "--kernel=4" in result.stderr
    result = runner.invoke(app, ["conv-size", "--input", "3,x", "--kernel", "4"])
    assert result.exit_code == 2 and result.stderr.startswith("error: --input: expected an int")


def test_import_does_not_pay_for_torch():
    code = (
        "import sys\n"
        "import mlcanon.nn.shapes\n"
        "from mlcanon.nn import conv_output_size\n"
        "assert conv_output_size(224, 7, 2, 3) == 112\n"
        "print('torch' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
