"""Output size of a convolution, transposed convolution or pooling layer — no torch needed.

The arithmetic of Dumoulin & Visin, "A guide to convolution arithmetic for deep learning"
(2016), with the exact rules of PyTorch (``torch.nn.Conv{1,2,3}d``, ``ConvTranspose{1,2,3}d``,
``MaxPool{1,2,3}d``; ATen's ``conv_output_size``, ``conv_input_size`` and
``pooling_output_shape``), whose shapes the tests reproduce over thousands of random settings.

Per spatial dimension, with input ``i``, kernel ``k``, stride ``s``, padding ``p`` (each side),
dilation ``d`` and effective kernel ``d(k-1)+1``::

    convolution:            o = floor((i + 2p - d(k-1) - 1) / s) + 1
    transposed convolution: o = (i - 1)s - 2p + d(k-1) + output_padding + 1
    pooling, ceil_mode:     o = ceil((i + 2p - d(k-1) - 1) / s) + 1,
                            then o -= 1 if (o - 1)s >= i + p  (the last window must start
                            inside the input or the left padding, as PyTorch requires)

``ceil_mode=True`` means pooling; ``pooling=True`` asks for pooling's rules with the floor
formula (``MaxPool2d(ceil_mode=False)``). Pooling adds PyTorch's rule ``padding <= kernel // 2``.
A convolution also takes ``padding='valid'`` (0) and ``padding='same'`` (output = input, stride 1).
Every setting PyTorch rejects (an output size below 1, negative padding, kernel, stride or
dilation below 1, ``output_padding`` not smaller than stride or dilation) is a ``ValueError``
that names the argument.

This module imports no torch: ``from mlcanon.nn import conv_output_size`` is cheap.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

__all__ = ["conv_output_size", "explain_conv_output_size"]

IntOrTuple = int | tuple[int, ...]


@dataclass(frozen=True)
class _Dim:
    """The settings of one spatial dimension."""

    input: int
    kernel: int
    stride: int
    padding: int
    dilation: int
    output_padding: int


def conv_output_size(
    input_size: IntOrTuple,
    kernel_size: IntOrTuple,
    stride: IntOrTuple = 1,
    padding: IntOrTuple | str = 0,
    dilation: IntOrTuple = 1,
    output_padding: IntOrTuple = 0,
    transposed: bool = False,
    ceil_mode: bool = False,
    *,
    pooling: bool = False,
) -> IntOrTuple:
    """Spatial output size of a convolution, transposed convolution or pooling layer.

    Parameters
    ----------
    input_size : int or tuple of int
        Spatial size of the input (e.g. ``224`` or ``(224, 224)``).
    kernel_size, stride, padding, dilation, output_padding : int or tuple of int
        As in ``torch.nn.Conv2d`` / ``ConvTranspose2d`` / ``MaxPool2d``. An int applies to every
        dimension; tuples must all have the same length. ``padding`` may also be ``'valid'``
        (no padding) or ``'same'`` (output = input; stride 1 only), as in ``torch.nn.Conv2d``.
    transposed : bool, default=False
        Transposed convolution (``ConvTranspose*d``); ``output_padding`` applies only here.
    ceil_mode : bool, default=False
        Pooling with ceil instead of floor (``MaxPool*d(ceil_mode=True)``); implies ``pooling``.
    pooling : bool, default=False
        Apply pooling's rules (``padding <= kernel_size // 2``) with the floor formula.

    Returns
    -------
    int or tuple of int
        An int when every argument is an int, else a tuple with one size per dimension.

    Raises
    ------
    ValueError
        For any setting PyTorch rejects; the message names the argument.

    Examples
    --------
    >>> conv_output_size(224, 7, stride=2, padding=3)          # ResNet stem
    112
    >>> conv_output_size((112, 112), 3, stride=2, padding=1, ceil_mode=True)
    (57, 57)
    >>> conv_output_size(7, 4, stride=2, padding=1, transposed=True)
    14
    """
    _check_flags(transposed, ceil_mode, pooling)
    pooling = pooling or ceil_mode
    same = isinstance(padding, str) and padding == "same"
    padding = _string_padding(padding, input_size, kernel_size, stride, dilation, transposed, pooling)
    dims, as_tuple = _broadcast(input_size, kernel_size, stride, padding, dilation, output_padding)
    sizes = tuple(_one(dim, axis, len(dims), transposed, ceil_mode, pooling) for axis, dim in enumerate(dims))
    if same:  # torch pads dilation*(kernel - 1) in all, the odd zero on the right: output = input
        sizes = tuple(dim.input for dim in dims)
    return sizes if as_tuple else sizes[0]


def explain_conv_output_size(
    input_size: IntOrTuple,
    kernel_size: IntOrTuple,
    stride: IntOrTuple = 1,
    padding: IntOrTuple | str = 0,
    dilation: IntOrTuple = 1,
    output_padding: IntOrTuple = 0,
    transposed: bool = False,
    ceil_mode: bool = False,
    *,
    pooling: bool = False,
) -> str:
    """The formula of :func:`conv_output_size` with the numbers filled in, one line per dimension.

    Examples
    --------
    >>> print(explain_conv_output_size(224, 7, stride=2, padding=3))
    convolution: output = floor((input + 2*padding - dilation*(kernel - 1) - 1) / stride) + 1
      floor((224 + 2*3 - 1*(7 - 1) - 1) / 2) + 1 = floor(223 / 2) + 1 = 112
    output size: 112
    """
    result = conv_output_size(
        input_size, kernel_size, stride, padding, dilation, output_padding, transposed, ceil_mode, pooling=pooling
    )
    pooling = pooling or ceil_mode
    if isinstance(padding, str):
        return (
            f"convolution with padding={padding!r}: "
            + ("output = input (stride 1; dilation*(kernel - 1) zeros in all, the odd one on the right)"
               if padding == "same" else "no padding")
            + f"\noutput size: {result}"
        )
    dims, as_tuple = _broadcast(input_size, kernel_size, stride, padding, dilation, output_padding)
    sizes = result if as_tuple else (result,)
    lines = [_formula(transposed, ceil_mode, pooling)]
    for axis, (dim, size) in enumerate(zip(dims, sizes)):
        label = f"dim {axis}: " if len(dims) > 1 else ""
        lines.append(f"  {label}{_filled_in(dim, transposed, ceil_mode, size)}")
    lines.append(f"output size: {result}")
    return "\n".join(lines)


# ----------------------------------------------------------------------------- validation


def _string_padding(padding, input_size, kernel_size, stride, dilation, transposed: bool, pooling: bool):
    """torch's ``padding='valid'`` (no padding) and ``padding='same'`` (output = input, stride 1 only).

    Returns the int padding to check the other arguments with (0 for 'valid'; for 'same', half
    of dilation*(kernel - 1) rounded up, which never makes the output smaller than the input),
    or ``padding`` unchanged if it is not a str."""
    if not isinstance(padding, str):
        return padding
    if padding not in ("valid", "same"):
        raise ValueError(f"padding: expected an int, a tuple of ints, 'valid' or 'same', got {padding!r}")
    if transposed or pooling:
        raise ValueError(f"padding: padding={padding!r} exists only for (non-transposed) convolutions")
    if padding == "valid":
        return 0
    strides = stride if isinstance(stride, (tuple, list)) else (stride,)
    if any(isinstance(s, numbers.Integral) and not isinstance(s, bool) and s != 1 for s in strides):
        raise ValueError(f"padding: padding='same' is not supported for strided convolutions, got stride={stride!r}")
    dims, _ = _broadcast(input_size, kernel_size, stride, 0, dilation, 0)
    same = tuple(-(-d.dilation * (d.kernel - 1) // 2) if d.dilation >= 1 and d.kernel >= 1 else 0 for d in dims)
    return same if isinstance(input_size, (tuple, list)) or len(set(same)) > 1 else same[0]


_NAMES = ("input_size", "kernel_size", "stride", "padding", "dilation", "output_padding")


def _broadcast(*values: IntOrTuple) -> tuple[list[_Dim], bool]:
    """Check the six size arguments and spread ints over the common number of dimensions."""
    lengths = {}
    for name, value in zip(_NAMES, values):
        if isinstance(value, (tuple, list)):
            if len(value) == 0:
                raise ValueError(f"{name}: expected an int or a non-empty tuple of ints, got {value!r}")
            for v in value:
                _check_int(v, name, value)
            lengths[name] = len(value)
        else:
            _check_int(value, name, value)
    if len(set(lengths.values())) > 1:
        listed = ", ".join(f"{n} has {k}" for n, k in lengths.items())
        raise ValueError(f"per-dimension tuples must have the same length, got: {listed}")
    n_dims = next(iter(lengths.values()), 1)
    columns = [tuple(int(x) for x in v) if isinstance(v, (tuple, list)) else (int(v),) * n_dims for v in values]
    return [_Dim(*row) for row in zip(*columns)], bool(lengths)


def _check_int(v: object, name: str, whole: object) -> None:
    if isinstance(v, bool) or not isinstance(v, numbers.Integral):
        raise TypeError(f"{name}: expected an int or a tuple of ints, got {whole!r}")


def _check_flags(transposed: bool, ceil_mode: bool, pooling: bool) -> None:
    for name, flag in (("transposed", transposed), ("ceil_mode", ceil_mode), ("pooling", pooling)):
        if not isinstance(flag, bool):
            raise TypeError(f"{name}: expected a bool, got {flag!r}")
    if transposed and (ceil_mode or pooling):
        raise ValueError("transposed: a transposed convolution has no ceil_mode/pooling; got transposed=True with pooling")


def _check_dim(dim: _Dim, where: str, transposed: bool, pooling: bool) -> None:
    if dim.input < 1:
        raise ValueError(f"input_size: expected sizes >= 1, got {dim.input}{where}")
    if dim.kernel < 1:
        raise ValueError(f"kernel_size: expected sizes >= 1, got {dim.kernel}{where}")
    if dim.stride < 1:
        raise ValueError(f"stride: expected a stride >= 1, got {dim.stride}{where}")
    if dim.dilation < 1:
        raise ValueError(f"dilation: expected a dilation >= 1, got {dim.dilation}{where}")
    if dim.padding < 0:
        raise ValueError(f"padding: expected padding >= 0, got {dim.padding}{where}")
    if dim.output_padding < 0:
        raise ValueError(f"output_padding: expected output_padding >= 0, got {dim.output_padding}{where}")
    if not transposed and dim.output_padding != 0:
        raise ValueError(
            f"output_padding: only a transposed convolution has output_padding, got {dim.output_padding}{where}"
        )
    if transposed and dim.output_padding >= max(dim.stride, dim.dilation):
        # torch: "output padding must be smaller than either stride or dilation"
        raise ValueError(
            f"output_padding: expected output_padding smaller than stride ({dim.stride}) or dilation "
            f"({dim.dilation}), got {dim.output_padding}{where}"
        )
    if pooling and dim.padding > dim.kernel // 2:
        # torch's pooling shape check: "pad should be at most half of kernel size"
        raise ValueError(
            f"padding: pooling expects padding <= kernel_size // 2 = {dim.kernel // 2}, got {dim.padding}{where}"
        )


# ----------------------------------------------------------------------------- arithmetic


def _one(dim: _Dim, axis: int, n_dims: int, transposed: bool, ceil_mode: bool, pooling: bool) -> int:
    where = f" (dimension {axis})" if n_dims > 1 else ""
    _check_dim(dim, where, transposed, pooling)
    size = _raw_size(dim, transposed, ceil_mode)
    if size < 1 and transposed:
        raise ValueError(
            f"input_size: the output size would be {size} (< 1){where}: padding {dim.padding} removes more "
            f"than a transposed convolution of input {dim.input} produces"
        )
    if size < 1:
        effective = dim.dilation * (dim.kernel - 1) + 1
        raise ValueError(
            f"input_size: the output size would be {size} (< 1){where}: input {dim.input} with padding "
            f"{dim.padding} on each side is too small for a kernel of effective size {effective} "
            f"(kernel_size={dim.kernel}, dilation={dim.dilation}, stride={dim.stride})"
        )
    return size


def _raw_size(dim: _Dim, transposed: bool, ceil_mode: bool) -> int:
    span = dim.dilation * (dim.kernel - 1)
    if transposed:
        return (dim.input - 1) * dim.stride - 2 * dim.padding + span + dim.output_padding + 1
    room = dim.input + 2 * dim.padding - span - 1
    if not ceil_mode:
        return room // dim.stride + 1
    # ceil by floor division, as ATen's div_rtn(room + stride - 1, stride); exact for room < 0 too,
    # where the one window overhangs the input (torch accepts that in ceil mode)
    size = (room + dim.stride - 1) // dim.stride + 1
    if (size - 1) * dim.stride >= dim.input + dim.padding:
        size -= 1
    return size


def _formula(transposed: bool, ceil_mode: bool, pooling: bool) -> str:
    if transposed:
        return (
            "transposed convolution:\n"
            "  output = (input - 1)*stride - 2*padding + dilation*(kernel - 1) + output_padding + 1"
        )
    if ceil_mode:
        return (
            "pooling (ceil_mode): output = ceil((input + 2*padding - dilation*(kernel - 1) - 1) / stride) + 1\n"
            "  minus 1 if (output - 1)*stride >= input + padding (the last window must start inside)"
        )
    kind = "pooling" if pooling else "convolution"
    return f"{kind}: output = floor((input + 2*padding - dilation*(kernel - 1) - 1) / stride) + 1"


def _filled_in(dim: _Dim, transposed: bool, ceil_mode: bool, size: int) -> str:
    i, k, s, p, d, op = dim.input, dim.kernel, dim.stride, dim.padding, dim.dilation, dim.output_padding
    if transposed:
        return f"({i} - 1)*{s} - 2*{p} + {d}*({k} - 1) + {op} + 1 = {size}"
    room = i + 2 * p - d * (k - 1) - 1
    if not ceil_mode:
        return f"floor(({i} + 2*{p} - {d}*({k} - 1) - 1) / {s}) + 1 = floor({room} / {s}) + 1 = {size}"
    raw = -(-room // s) + 1
    text = f"ceil(({i} + 2*{p} - {d}*({k} - 1) - 1) / {s}) + 1 = ceil({room} / {s}) + 1 = {raw}"
    if raw != size:
        text += f"; ({raw} - 1)*{s} = {(raw - 1) * s} >= {i} + {p}, so the last window is dropped: {size}"
    return text
