"""Recurrent layers: the Elman RNN, the LSTM and the GRU — cells and multi-layer, bidirectional stacks.

Papers
------
- Elman (1990), "Finding Structure in Time":  h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)
- Hochreiter & Schmidhuber (1997), "Long Short-Term Memory"; the forget gate of Gers, Schmidhuber
  & Cummins (2000); the projection (``proj_size``) of Sak, Senior & Beaufays (2014):

      i = σ(W_ii x + b_ii + W_hi h + b_hi)        f = σ(W_if x + b_if + W_hf h + b_hf)
      g = tanh(W_ig x + b_ig + W_hg h + b_hg)     o = σ(W_io x + b_io + W_ho h + b_ho)
      c' = f ⊙ c + i ⊙ g                          h' = o ⊙ tanh(c')      (then h' = W_hr h' if proj_size)

- Cho et al. (2014), "Learning Phrase Representations using RNN Encoder-Decoder":

      r = σ(W_ir x + b_ir + W_hr h + b_hr)        z = σ(W_iz x + b_iz + W_hz h + b_hz)
      n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))
      h' = (1 - z) ⊙ n + z ⊙ h

Reference: ``torch.nn.RNN``/``LSTM``/``GRU`` and their cells. The parameters have torch's names
and layout (``weight_ih_l0`` of shape (gates·H, input_size) with gates stacked i,f,g,o for the
LSTM and r,z,n for the GRU, ``weight_hh_l0``, ``bias_ih_l0``, ``bias_hh_l0``, ``weight_hr_l0``,
``..._reverse``), so ``ours.load_state_dict(torch_lstm.state_dict(), strict=True)`` works and the
outputs, final states and gradients agree to float rounding (tested to 1e-5 in float32).

How it runs (why it is fast in Python): the input projection ``x W_ihᵀ + b`` of every time step
of both directions is one matmul before the time loop; the loop does only the hidden
projection and the gate arithmetic (a handful of fused ops a step), with the two directions
stacked into one batched matmul. Variable lengths (a ``lengths`` argument or a
``PackedSequence``) need no masking inside the loop: the reverse direction reads each sequence
reversed *within its length*, so padding always comes after the real steps; final states are
gathered at step ``length - 1`` and outputs past the end are set to zero, which is what
torch returns after ``pad_packed_sequence``.

Two paths, one set of parameters (``fused``, as :class:`mlcanon.nn.GELU` has): the layers
default to ``fused=True``, which hands the same parameters, in torch's order, to the kernel
``torch.nn.LSTM``/``GRU``/``RNN`` themselves call (``torch._VF.lstm`` / ``gru`` /
``rnn_tanh`` / ``rnn_relu``: the whole time loop in C++, oneDNN on CPU, cuDNN on GPU); a
padded batch with ``lengths`` is packed for it and unpacked after, so the results are the
readable path's. ``fused=False`` runs the readable loop above, the definition the tests hold
equal to torch's layers, and the fused path equal to it (outputs, final states and gradients,
with lengths and PackedSequence, bidirectional, multi-layer, projections). Why fused is the
default: a practitioner who trains a BiLSTM tagger expects torch's speed; on CPU the Python time
loop costs 1.7-2.2x torch's time for the LSTM and 1.0-1.2x for the GRU, the fused path 0.87-1.04x
(benchmarks/recurrent.py); the readable path is one flag away for a reader who wants to step
through the equations. Dropout between layers is the same
``dropout`` call on the same (T, B, D·H) tensor in both paths, so on CPU a padded batch without
``lengths`` draws the same masks from the same seed (tested); with ``lengths`` or a
PackedSequence the kernel drops on the packed steps, so the masks differ (same distribution).
On CUDA the parameters are separate tensors, not cuDNN's one flat buffer, so cuDNN copies them
into one at each call (it warns once). The cells (``LSTMCell`` ...) always run the readable step.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn
from torch import _VF
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence, pad_packed_sequence

from mlcanon.validation import check_int, check_option, check_scalar

__all__ = ["RNNCell", "LSTMCell", "GRUCell", "RNN", "LSTM", "GRU"]

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}
# the kernels torch.nn.RNN/LSTM/GRU call (torch/nn/modules/rnn.py)
_KERNELS = {"RNN_TANH": _VF.rnn_tanh, "RNN_RELU": _VF.rnn_relu, "LSTM": _VF.lstm, "GRU": _VF.gru}


# ----------------------------------------------------------------------------------------------
# one time step: shared by the cells and the layers (all tensors may carry leading batch dims)
# ----------------------------------------------------------------------------------------------


def _lstm_gates(gates: torch.Tensor, c: torch.Tensor):
    """gates = W_ih x + W_hh h + b, stacked i,f,g,o along the last axis -> (h' before projection, c')."""
    H = c.shape[-1]
    i, f, _, o = torch.sigmoid(gates).chunk(4, dim=-1)  # σ of all four (one op); the g quarter is unused
    g = torch.tanh(gates[..., 2 * H : 3 * H])
    c = torch.addcmul(f * c, i, g)  # f ⊙ c + i ⊙ g
    return o * torch.tanh(c), c


def _gru_gates(gi: torch.Tensor, gh: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
    """gi = W_ih x + b_ih, gh = W_hh h + b_hh, both stacked r,z,n -> h'."""
    H = h.shape[-1]
    r, z = torch.sigmoid(gi[..., : 2 * H] + gh[..., : 2 * H]).chunk(2, dim=-1)
    n = torch.tanh(torch.addcmul(gi[..., 2 * H :], r, gh[..., 2 * H :]))  # W_in x + b_in + r ⊙ (W_hn h + b_hn)
    return torch.lerp(n, h, z)  # (1 - z) ⊙ n + z ⊙ h


def _activation(mode: str):
    return torch.relu if mode == "RNN_RELU" else torch.tanh


def _check_input(x, name: str, size: int) -> torch.Tensor:
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name}: expected a torch.Tensor, got {type(x).__name__}")
    if not x.is_floating_point():
        raise TypeError(f"{name}: expected a floating-point tensor, got dtype {x.dtype}")
    if x.shape[-1] != size:
        raise ValueError(f"{name}: expected last dimension input_size={size}, got shape {tuple(x.shape)}")
    return x


def _check_state(h, name: str, shape: tuple[int, ...]) -> torch.Tensor:
    if not isinstance(h, torch.Tensor):
        raise TypeError(f"{name}: expected a torch.Tensor, got {type(h).__name__}")
    if tuple(h.shape) != shape:
        raise ValueError(f"{name}: expected shape {shape}, got {tuple(h.shape)}")
    return h


# ----------------------------------------------------------------------------------------------
# cells
# ----------------------------------------------------------------------------------------------


class _CellBase(nn.Module):
    def __init__(self, mode: str, input_size: int, hidden_size: int, bias: bool, device=None, dtype=None) -> None:
        super().__init__()
        self.mode = mode
        self.input_size = check_int(input_size, "input_size", minimum=1)
        self.hidden_size = check_int(hidden_size, "hidden_size", minimum=1)
        self.bias = bool(bias)
        G = _GATES[mode] * self.hidden_size
        kw = {"device": device, "dtype": dtype}
        self.weight_ih = nn.Parameter(torch.empty(G, self.input_size, **kw))
        self.weight_hh = nn.Parameter(torch.empty(G, self.hidden_size, **kw))
        if self.bias:
            self.bias_ih = nn.Parameter(torch.empty(G, **kw))
            self.bias_hh = nn.Parameter(torch.empty(G, **kw))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        # torch's initialisation: U(-1/√H, 1/√H) for every weight and bias.
        bound = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            nn.init.uniform_(p, -bound, bound)

    def extra_repr(self) -> str:
        return f"{self.input_size}, {self.hidden_size}, bias={self.bias}"

    def _prepare(self, x, hx, name="hx"):
        """Unbatched (F,) input becomes (1, F); a missing state becomes zeros."""
        _check_input(x, "input", self.input_size)
        if x.dim() not in (1, 2):
            raise ValueError(f"input: expected a 1-D (unbatched) or 2-D (batched) tensor, got shape {tuple(x.shape)}")
        batched = x.dim() == 2
        x = x if batched else x.unsqueeze(0)  # (B, F)
        shape = (x.shape[0], self.hidden_size)
        if hx is None:
            return x, torch.zeros(shape, dtype=x.dtype, device=x.device), batched
        _check_state(hx, name, shape if batched else (self.hidden_size,))
        return x, (hx if batched else hx.unsqueeze(0)), batched


class RNNCell(_CellBase):
    """One step of the Elman RNN: ``h' = tanh(W_ih x + b_ih + W_hh h + b_hh)`` (or ReLU).

    Same parameters and call as ``torch.nn.RNNCell``: ``cell(input, hx=None) -> h'``.

    Examples
    --------
    >>> import torch
    >>> cell = RNNCell(3, 4)
    >>> tuple(cell(torch.randn(2, 3)).shape)
    (2, 4)
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, nonlinearity: str = "tanh",
                 device=None, dtype=None) -> None:
        check_option(nonlinearity, "nonlinearity", ("tanh", "relu"))
        self.nonlinearity = nonlinearity
        super().__init__("RNN_" + nonlinearity.upper(), input_size, hidden_size, bias, device, dtype)

    def forward(self, input: torch.Tensor, hx: torch.Tensor | None = None) -> torch.Tensor:
        x, h, batched = self._prepare(input, hx)
        pre = F.linear(x, self.weight_ih, self.bias_ih) + F.linear(h, self.weight_hh, self.bias_hh)  # (B, H)
        h = _activation(self.mode)(pre)
        return h if batched else h.squeeze(0)


class LSTMCell(_CellBase):
    """One LSTM step; ``cell(input, (h, c)=None) -> (h', c')``, as ``torch.nn.LSTMCell``.

    Examples
    --------
    >>> import torch
    >>> h, c = LSTMCell(3, 4)(torch.randn(2, 3))
    >>> tuple(c.shape)
    (2, 4)
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None, dtype=None) -> None:
        super().__init__("LSTM", input_size, hidden_size, bias, device, dtype)

    def forward(self, input: torch.Tensor, hx: tuple[torch.Tensor, torch.Tensor] | None = None):
        if hx is not None and not (isinstance(hx, (tuple, list)) and len(hx) == 2):
            raise TypeError(f"hx: expected a pair (h, c) of tensors, got {type(hx).__name__}")
        x, h, batched = self._prepare(input, None if hx is None else hx[0], "hx[0]")
        _, c, _ = self._prepare(input, None if hx is None else hx[1], "hx[1]")
        gates = F.linear(x, self.weight_ih, self.bias_ih) + F.linear(h, self.weight_hh, self.bias_hh)  # (B, 4H)
        h, c = _lstm_gates(gates, c)
        return (h, c) if batched else (h.squeeze(0), c.squeeze(0))


class GRUCell(_CellBase):
    """One GRU step; ``cell(input, hx=None) -> h'``, as ``torch.nn.GRUCell``.

    Examples
    --------
    >>> import torch
    >>> tuple(GRUCell(3, 4)(torch.randn(3)).shape)
    (4,)
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None, dtype=None) -> None:
        super().__init__("GRU", input_size, hidden_size, bias, device, dtype)

    def forward(self, input: torch.Tensor, hx: torch.Tensor | None = None) -> torch.Tensor:
        x, h, batched = self._prepare(input, hx)
        h = _gru_gates(F.linear(x, self.weight_ih, self.bias_ih), F.linear(h, self.weight_hh, self.bias_hh), h)
        return h if batched else h.squeeze(0)


# ----------------------------------------------------------------------------------------------
# multi-layer, bidirectional layers
# ----------------------------------------------------------------------------------------------


class _RNNBase(nn.Module):
    def __init__(
        self,
        mode: str,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        proj_size: int = 0,
        device=None,
        dtype=None,
        fused: bool = True,
    ) -> None:
        super().__init__()
        if not isinstance(fused, bool):
            raise TypeError(f"fused: expected a bool, got {type(fused).__name__}")
        self.mode = mode
        self.fused = fused
        self.input_size = check_int(input_size, "input_size", minimum=1)
        self.hidden_size = check_int(hidden_size, "hidden_size", minimum=1)
        self.num_layers = check_int(num_layers, "num_layers", minimum=1)
        self.dropout = check_scalar(dropout, "dropout", minimum=0.0, maximum=1.0)
        self.proj_size = check_int(proj_size, "proj_size", minimum=0)
        if self.proj_size >= self.hidden_size:
            raise ValueError(f"proj_size: expected an int < hidden_size={self.hidden_size}, got {self.proj_size}")
        self.bias, self.batch_first, self.bidirectional = bool(bias), bool(batch_first), bool(bidirectional)
        D = 2 if self.bidirectional else 1
        H, G = self.hidden_size, _GATES[mode] * self.hidden_size
        H_out = self.proj_size or H
        kw = {"device": device, "dtype": dtype}
        self._weight_names = []  # torch's _flat_weights_names: the order its kernels take the parameters in
        for layer in range(self.num_layers):
            size_in = self.input_size if layer == 0 else H_out * D
            for suffix in ("", "_reverse")[:D]:
                n_before = len(self._parameters)
                self.register_parameter(f"weight_ih_l{layer}{suffix}", nn.Parameter(torch.empty(G, size_in, **kw)))
                self.register_parameter(f"weight_hh_l{layer}{suffix}", nn.Parameter(torch.empty(G, H_out, **kw)))
                if self.bias:
                    self.register_parameter(f"bias_ih_l{layer}{suffix}", nn.Parameter(torch.empty(G, **kw)))
                    self.register_parameter(f"bias_hh_l{layer}{suffix}", nn.Parameter(torch.empty(G, **kw)))
                if self.proj_size:
                    self.register_parameter(f"weight_hr_l{layer}{suffix}", nn.Parameter(torch.empty(self.proj_size, H, **kw)))
                self._weight_names += list(self._parameters)[n_before:]  # w_ih, w_hh[, b_ih, b_hh][, w_hr]
        self.reset_parameters()

    def reset_parameters(self) -> None:
        # torch's initialisation: U(-1/√H, 1/√H) for every weight and bias.
        bound = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            nn.init.uniform_(p, -bound, bound)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}, num_layers={self.num_layers}"
        if self.proj_size:
            s += f", proj_size={self.proj_size}"
        s += f", batch_first={self.batch_first}, dropout={self.dropout}, bidirectional={self.bidirectional}"
        return s + f", fused={self.fused}"

    @property
    def _D(self) -> int:
        return 2 if self.bidirectional else 1

    def _params(self, layer: int, name: str):
        """A parameter for both directions, or None (no bias)."""
        return [getattr(self, f"{name}_l{layer}{s}") for s in ("", "_reverse")[: self._D]]

    # -- forward ---------------------------------------------------------------------------------

    def forward(self, input, hx=None, lengths=None):
        """Run the stack over a sequence.

        Parameters
        ----------
        input : Tensor of shape (T, B, input_size) ((B, T, input_size) if ``batch_first``),
            (T, input_size) unbatched, or a ``PackedSequence``
        hx : Tensor of shape (num_layers·D, B, H_out) (no B when unbatched), optional
            The initial hidden state; for the LSTM a pair ``(h_0, c_0)``, ``c_0`` of size
            ``hidden_size``. Zeros when omitted.
        lengths : 1-D int tensor or sequence of shape (B,), optional
            The real length of each sequence of a padded batch; steps ``t >= lengths[b]`` are
            padding: they do not change the final state, and their outputs are zero.

        Returns
        -------
        output : Tensor of shape (T, B, D·H_out) (batch first if asked), or a ``PackedSequence``
            when the input was one
        h_n : Tensor of shape (num_layers·D, B, H_out) — for the LSTM ``(h_n, c_n)``
        """
        packed = isinstance(input, PackedSequence)
        if packed:
            if lengths is not None:
                raise ValueError("lengths: expected None when input is a PackedSequence (it carries its lengths)")
            if self.fused:
                return self._fused_packed(input, hx)
            x, lengths = pad_packed_sequence(input)  # (T, B, F), lengths in the caller's batch order
            batched = True
        else:
            if not isinstance(input, torch.Tensor):
                raise TypeError(f"input: expected a torch.Tensor or a PackedSequence, got {type(input).__name__}")
            if input.dim() not in (2, 3):
                raise ValueError(
                    f"input: expected a 2-D (unbatched) or 3-D (batched) tensor, got shape {tuple(input.shape)}"
                )
            batched = input.dim() == 3
            x = input.unsqueeze(1) if not batched else (input.transpose(0, 1) if self.batch_first else input)
        _check_input(x, "input", self.input_size)
        T, B, _ = x.shape
        lengths = self._check_lengths(lengths, T, B, x.device)
        h0, c0 = self._initial_states(hx, B, x, batched)
        run = self._run_fused if self.fused else self._run
        out, h_n, c_n = run(x, h0, c0, lengths)  # (T, B, D·H_out), (L·D, B, H_out), (L·D, B, H) | None
        if packed:
            out = _repack(out, input)
        elif not batched:
            out, h_n = out.squeeze(1), h_n.squeeze(1)
            c_n = None if c_n is None else c_n.squeeze(1)
        elif self.batch_first:
            out = out.transpose(0, 1)
        return out, (h_n if c_n is None else (h_n, c_n))

    def _check_lengths(self, lengths, T: int, B: int, device):
        """A (B,) int64 tensor on ``device``, or None when every sequence is full-length."""
        if lengths is None:
            return None
        lengths = torch.as_tensor(lengths)
        if lengths.dim() != 1 or lengths.shape[0] != B:
            raise ValueError(f"lengths: expected a 1-D tensor of {B} lengths (one per sequence), got shape {tuple(lengths.shape)}")
        if lengths.is_floating_point() or lengths.dtype == torch.bool:
            raise TypeError(f"lengths: expected integers, got dtype {lengths.dtype}")
        lo, hi = int(lengths.min()), int(lengths.max())
        if lo < 1 or hi > T:
            raise ValueError(f"lengths: expected values in [1, {T}] (the number of time steps), got min {lo} and max {hi}")
        if lo == T:
            return None
        return lengths.to(device=device, dtype=torch.int64)

    def _initial_states(self, hx, B: int, x, batched: bool):
        """(h_0, c_0 or None), each (L·D, B, ·), like ``x`` in dtype and device; zeros when ``hx`` is None."""
        LD, H_out = self.num_layers * self._D, self.proj_size or self.hidden_size
        zeros = lambda size: torch.zeros(LD, B, size, dtype=x.dtype, device=x.device)  # noqa: E731
        if self.mode == "LSTM":
            if hx is None:
                return zeros(H_out), zeros(self.hidden_size)
            if not (isinstance(hx, (tuple, list)) and len(hx) == 2):
                raise TypeError(f"hx: expected a pair (h_0, c_0) of tensors for an LSTM, got {type(hx).__name__}")
            h0, c0 = hx
            sizes = ((H_out, "hx[0]", h0), (self.hidden_size, "hx[1]", c0))
            states = [self._one_state(s, name, size, LD, B, batched) for size, name, s in sizes]
            return states[0], states[1]
        if hx is None:
            return zeros(H_out), None
        return self._one_state(hx, "hx", H_out, LD, B, batched), None

    @staticmethod
    def _one_state(h, name, size, LD, B, batched):
        _check_state(h, name, (LD, B, size) if batched else (LD, size))
        return h if batched else h.unsqueeze(1)

    # -- the fused path: torch's kernel, the same parameters ---------------------------------------

    def _kernel(self, data, batch_sizes, h0, c0):
        """torch's kernel on a padded (T, B, F) ``data``, or on packed (N, F) ``data`` with ``batch_sizes``."""
        hx = (h0, c0) if self.mode == "LSTM" else h0
        weights = [getattr(self, name) for name in self._weight_names]
        flags = (self.bias, self.num_layers, self.dropout, self.training, self.bidirectional)
        if batch_sizes is None:
            result = _KERNELS[self.mode](data, hx, weights, *flags, False)  # False: time first
        else:
            result = _KERNELS[self.mode](data, batch_sizes, hx, weights, *flags)
        return result[0], result[1], (result[2] if self.mode == "LSTM" else None)

    def _run_fused(self, x, h0, c0, lengths):
        """As :meth:`_run`; a padded batch with lengths is packed for the kernel and padded again after."""
        if lengths is None:
            return self._kernel(x, None, h0, c0)
        packed = pack_padded_sequence(x, lengths.cpu(), enforce_sorted=False)
        order, back = packed.sorted_indices, packed.unsorted_indices
        c0 = None if c0 is None else c0.index_select(1, order)
        data, h_n, c_n = self._kernel(packed.data, packed.batch_sizes, h0.index_select(1, order), c0)
        out, _ = pad_packed_sequence(PackedSequence(data, packed.batch_sizes, order, back), total_length=x.shape[0])
        return out, h_n.index_select(1, back), (None if c_n is None else c_n.index_select(1, back))

    def _fused_packed(self, input: PackedSequence, hx):
        """A PackedSequence straight to the kernel; states in the caller's batch order, as torch's layers."""
        data, batch_sizes, order, back = input
        _check_input(data, "input", self.input_size)
        h0, c0 = self._initial_states(hx, int(batch_sizes[0]), data, True)
        if order is not None:  # the kernel's batch is sorted by decreasing length
            h0, c0 = h0.index_select(1, order), (None if c0 is None else c0.index_select(1, order))
        out, h_n, c_n = self._kernel(data, batch_sizes, h0, c0)
        if back is not None:
            h_n, c_n = h_n.index_select(1, back), (None if c_n is None else c_n.index_select(1, back))
        out = PackedSequence(out, batch_sizes, order, back)
        return out, (h_n if c_n is None else (h_n, c_n))

    # -- the readable path -------------------------------------------------------------------------

    def _run(self, x, h0, c0, lengths):
        D = self._D
        rev = None if D == 1 else _reversal_index(x.shape[0], x.shape[1], lengths, x.device)
        h_n, c_n = [], []
        for layer in range(self.num_layers):
            sl = slice(layer * D, (layer + 1) * D)
            x, h, c = self._layer(layer, x, h0[sl], None if c0 is None else c0[sl], lengths, rev)
            h_n.append(h)
            if c is not None:
                c_n.append(c)
            if self.dropout > 0.0 and self.training and layer < self.num_layers - 1:
                x = F.dropout(x, self.dropout, training=True)  # between layers, never after the last (as torch)
        if lengths is not None:
            T, B = x.shape[:2]
            x = x * (torch.arange(T, device=x.device).unsqueeze(1) < lengths).unsqueeze(-1).to(x.dtype)  # zero padding
        return x, torch.cat(h_n), (torch.cat(c_n) if c_n else None)

    def _layer(self, layer, x, h, c, lengths, rev):
        """One layer, both directions at once: x (T, B, F) -> (T, B, D·H_out), h_n (D, B, H_out), c_n."""
        T, B, _ = x.shape
        D = self._D
        w_ih = torch.cat(self._params(layer, "weight_ih"))  # (D·G, F)
        b_ih = torch.cat(self._params(layer, "bias_ih")) if self.bias else None
        G = w_ih.shape[0] // D
        xp = F.linear(x, w_ih, b_ih).view(T, B, D, G)  # all steps, all directions: one matmul
        if D == 2:
            xp = torch.stack([xp[:, :, 0], _take_time(xp[:, :, 1], rev)], dim=1)  # (T, 2, B, G), reverse in run order
        else:
            xp = xp.permute(0, 2, 1, 3)  # (T, 1, B, G)
        w_hh = torch.stack(self._params(layer, "weight_hh")).transpose(1, 2)  # (D, H_out, G)
        b_hh = torch.stack(self._params(layer, "bias_hh")).unsqueeze(1) if self.bias else None  # (D, 1, G)
        w_hr = torch.stack(self._params(layer, "weight_hr")).transpose(1, 2) if self.proj_size else None  # (D, H, P)
        if D == 1:  # 2-D matmuls (addmm) are cheaper than batched ones of batch 1
            xp, h, w_hh = xp[:, 0], h[0], w_hh[0]
            c, b_hh, w_hr = (None if t is None else t[0] for t in (c, b_hh, w_hr))
        hs, cs = self._time_loop(xp, h, c, w_hh, b_hh, w_hr)  # (T, D, B, H_out), (T, D, B, H) | None
        if D == 1:
            hs, cs = hs.unsqueeze(1), (None if cs is None else cs.unsqueeze(1))
        h_n = hs[-1] if lengths is None else _at_last_step(hs, lengths)
        c_n = None if cs is None else (cs[-1] if lengths is None else _at_last_step(cs, lengths))
        if D == 2:
            out = torch.cat([hs[:, 0], _take_time(hs[:, 1], rev)], dim=-1)  # (T, B, 2·H_out), back to input order
        else:
            out = hs[:, 0]  # (T, B, H_out)
        return out, h_n, c_n

    def _time_loop(self, xp, h, c, w_hh, b_hh, w_hr):
        """The only sequential part: the hidden projection and the gates, step by step."""
        hs, cs = [], []
        # unbind: one autograd node for all steps (indexing xp[t] would add a full-size zero gradient a step)
        if self.mode == "LSTM":
            if b_hh is not None:
                xp = xp + b_hh  # fold b_hh into the precomputed input projection
            for xp_t in xp.unbind(0):
                h, c = _lstm_gates(_addmm(xp_t, h, w_hh), c)  # (D, B, 4H) -> (D, B, H)
                if w_hr is not None:
                    h = h @ w_hr  # (D, B, P)
                hs.append(h)
                cs.append(c)
            return torch.stack(hs), torch.stack(cs)
        if self.mode == "GRU":
            for xp_t in xp.unbind(0):
                gh = h @ w_hh if b_hh is None else _addmm(b_hh, h, w_hh)  # (D, B, 3H)
                h = _gru_gates(xp_t, gh, h)
                hs.append(h)
            return torch.stack(hs), None
        act = _activation(self.mode)
        if b_hh is not None:
            xp = xp + b_hh
        for xp_t in xp.unbind(0):
            h = act(_addmm(xp_t, h, w_hh))  # (D, B, H)
            hs.append(h)
        return torch.stack(hs), None


def _addmm(bias: torch.Tensor, h: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    """bias + h @ w, for one direction (2-D) or both stacked (3-D)."""
    return torch.addmm(bias, h, w) if h.dim() == 2 else torch.baddbmm(bias, h, w)


def _reversal_index(T: int, B: int, lengths, device) -> torch.Tensor | None:
    """(T, B) time index that reverses each sequence within its length (padding stays at the end)."""
    if lengths is None:
        return None  # plain flip
    t = torch.arange(T, device=device).unsqueeze(1)  # (T, 1)
    return torch.where(t < lengths, lengths - 1 - t, t)  # (T, B)


def _take_time(x: torch.Tensor, rev: torch.Tensor | None) -> torch.Tensor:
    """x (T, B, ...) reordered in time per sequence by ``rev`` (T, B); a flip when ``rev`` is None."""
    if rev is None:
        return x.flip(0)
    index = rev.view(*rev.shape, *([1] * (x.dim() - 2))).expand_as(x)
    return x.gather(0, index)


def _at_last_step(hs: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """hs (T, D, B, H) -> (D, B, H): each sequence's state at step lengths[b] - 1 (run order)."""
    _, D, B, H = hs.shape
    index = (lengths - 1).view(1, 1, B, 1).expand(1, D, B, H)
    return hs.gather(0, index).squeeze(0)


def _repack(out: torch.Tensor, like: PackedSequence) -> PackedSequence:
    """Padded (T, B, ·) output in the caller's batch order -> a PackedSequence laid out as ``like``."""
    if like.sorted_indices is not None:
        out = out.index_select(1, like.sorted_indices)  # (T, B, ·) in decreasing-length order
    T, B = out.shape[:2]
    batch_sizes = like.batch_sizes.to(out.device)
    valid = torch.arange(B, device=out.device).unsqueeze(0) < batch_sizes.unsqueeze(1)  # (T, B)
    return PackedSequence(out[valid], like.batch_sizes, like.sorted_indices, like.unsorted_indices)


class RNN(_RNNBase):
    """Multi-layer Elman RNN with tanh or ReLU, with ``torch.nn.RNN``'s parameters, call and results.

    ``fused=True`` (default) runs torch's kernel; ``fused=False`` the readable loop (see the module docstring).

    Examples
    --------
    >>> import torch
    >>> rnn = RNN(3, 5, num_layers=2, bidirectional=True, batch_first=True)
    >>> out, h_n = rnn(torch.randn(4, 7, 3), lengths=torch.tensor([7, 5, 2, 1]))
    >>> tuple(out.shape), tuple(h_n.shape)
    ((4, 7, 10), (4, 4, 5))
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, nonlinearity: str = "tanh",
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 device=None, dtype=None, fused: bool = True) -> None:
        check_option(nonlinearity, "nonlinearity", ("tanh", "relu"))
        self.nonlinearity = nonlinearity
        super().__init__("RNN_" + nonlinearity.upper(), input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, 0, device, dtype, fused)


class LSTM(_RNNBase):
    """Multi-layer LSTM with ``torch.nn.LSTM``'s parameters, call and results (``proj_size`` too).

    ``fused=True`` (default) runs torch's LSTM kernel on these parameters; ``fused=False`` the
    readable time loop of this module (same results; see the module docstring).

    Examples
    --------
    >>> import torch
    >>> lstm = LSTM(3, 5, num_layers=2)
    >>> out, (h_n, c_n) = lstm(torch.randn(7, 4, 3))
    >>> tuple(out.shape), tuple(c_n.shape)
    ((7, 4, 5), (2, 4, 5))
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False, proj_size: int = 0,
                 device=None, dtype=None, fused: bool = True) -> None:
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         proj_size, device, dtype, fused)


class GRU(_RNNBase):
    """Multi-layer GRU with ``torch.nn.GRU``'s parameters, call and results.

    ``fused=True`` (default) runs torch's GRU kernel on these parameters; ``fused=False`` the
    readable time loop of this module (same results; see the module docstring).

    Examples
    --------
    >>> import torch
    >>> out, h_n = GRU(3, 5)(torch.randn(6, 3))  # unbatched
    >>> tuple(out.shape), tuple(h_n.shape)
    ((6, 5), (1, 5))
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 device=None, dtype=None, fused: bool = True) -> None:
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         0, device, dtype, fused)
