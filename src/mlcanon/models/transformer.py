"""The Transformer encoder-decoder (Vaswani et al. 2017, "Attention Is All You Need").

Papers
------
- Vaswani et al. (2017), "Attention Is All You Need": the architecture, sinusoidal positions,
  embeddings scaled by √d_model, the Noam learning-rate schedule, label smoothing ε = 0.1, beam
  search with a length penalty.
- Xiong et al. (2020), "On Layer Normalization in the Transformer Architecture": pre-norm
  (``norm_first=True``), which trains without warm-up tricks.
- Szegedy et al. (2016), "Rethinking the Inception Architecture": label smoothing.
- Wu et al. (2016), "Google's Neural Machine Translation System": the length penalty
  lp(Y) = ((5 + |Y|) / 6)^α used to rank finished beams.

Reference whose numbers these match: ``torch.nn.Transformer`` (and its ``TransformerEncoder``,
``TransformerDecoder``, ``TransformerEncoderLayer``, ``TransformerDecoderLayer``). The modules here
have torch's parameter names, so ``ours.load_state_dict(torch_transformer.state_dict(), strict=True)``
works, and then the outputs agree to ~1e-6 in post-norm and pre-norm mode, with masks. The
attention is :class:`mlcanon.nn.attention.MultiHeadAttention` (never torch's finished module).

Equations (post-norm, the paper's; pre-norm moves LayerNorm inside the residual branch)::

    encoder layer:  x = LN(x + SelfAttn(x));  x = LN(x + FFN(x))
    decoder layer:  y = LN(y + MaskedSelfAttn(y));  y = LN(y + CrossAttn(y, memory));  y = LN(y + FFN(y))
    FFN(x)         = W_2 · act(W_1 x + b_1) + b_2
    PE(pos, 2i)    = sin(pos / 10000^(2i / d_model))
    PE(pos, 2i+1)  = cos(pos / 10000^(2i / d_model))
    input          = Embedding(token) · √d_model + PE(pos)
    Noam lr(step)  = factor · d_model^-0.5 · min(step^-0.5, step · warmup^-1.5)
    smoothed loss  = (1 - ε) · (-log p_y) + ε · mean_c(-log p_c)     (= F.cross_entropy(label_smoothing=ε))

One quirk of the reference, on purpose not copied: under ``torch.no_grad()`` in eval mode with
``batch_first=True`` and a ``src_key_padding_mask``, torch's encoder takes a nested-tensor fast path
that writes zeros at padded source positions before the final LayerNorm (with grad enabled it does
not). The decoder output is the same either way when ``memory_key_padding_mask`` masks those
positions, which is how an encoder-decoder is meant to be called.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Literal

import torch
from torch import nn

from mlcanon.nn.activations import get_activation
from mlcanon.nn.attention import MultiHeadAttention
from mlcanon.validation import check_int, check_option, check_scalar

__all__ = [
    "TransformerConfig",
    "TransformerEncoderLayer",
    "TransformerDecoderLayer",
    "TransformerEncoder",
    "TransformerDecoder",
    "Transformer",
    "PositionalEncoding",
    "TransformerSeq2Seq",
    "NoamSchedule",
    "noam_rate",
    "label_smoothed_cross_entropy",
    "greedy_search",
    "beam_search",
    "length_penalty",
]


# ----------------------------------------------------------------------------------------------
# configuration
# ----------------------------------------------------------------------------------------------


@dataclass
class TransformerConfig:
    """Sizes and options of a Transformer sequence-to-sequence model.

    Parameters
    ----------
    src_vocab_size, tgt_vocab_size : int
        Source and target vocabulary sizes (ids ``0 .. size-1``).
    d_model : int
        Model width; every sub-layer reads and writes vectors of this size.
    nhead : int
        Attention heads; must divide ``d_model``.
    num_encoder_layers, num_decoder_layers : int
        Depth N of the encoder and of the decoder (the paper: 6 each).
    dim_feedforward : int
        Inner size of the position-wise feed-forward network (the paper: 4 · d_model).
    dropout : float
        Dropout on sub-layer outputs, attention weights and on embeddings + positions (paper: 0.1).
    activation : {"relu", "gelu"}
        Feed-forward activation (the paper: ReLU).
    layer_norm_eps : float
    norm_first : bool
        Pre-norm (LayerNorm before each sub-layer, Xiong et al. 2020) instead of the paper's post-norm.
    max_len : int
        Longest sequence the positional table covers.
    pad_id, bos_id, eos_id : int
        Special token ids (shared by source and target vocabularies).
    share_embeddings : bool
        One embedding table for source and target (needs equal vocabulary sizes; the paper shares
        a joint BPE vocabulary).
    tie_output : bool
        The pre-softmax projection reuses the target embedding matrix (the paper does, §3.4).
    label_smoothing : float
        ε of the training loss (paper: 0.1).

    Examples
    --------
    >>> cfg = TransformerConfig.base()
    >>> cfg.d_model, cfg.nhead, cfg.num_encoder_layers, cfg.dim_feedforward
    (512, 8, 6, 2048)
    >>> TransformerConfig.tiny(src_vocab_size=13, tgt_vocab_size=13).d_model
    64
    """

    src_vocab_size: int = 37000
    tgt_vocab_size: int = 37000
    d_model: int = 512
    nhead: int = 8
    num_encoder_layers: int = 6
    num_decoder_layers: int = 6
    dim_feedforward: int = 2048
    dropout: float = 0.1
    activation: Literal["relu", "gelu"] = "relu"
    layer_norm_eps: float = 1e-5
    norm_first: bool = False
    max_len: int = 5000
    pad_id: int = 0
    bos_id: int = 1
    eos_id: int = 2
    share_embeddings: bool = False
    tie_output: bool = True
    label_smoothing: float = 0.1

    def __post_init__(self) -> None:
        for name in ("src_vocab_size", "tgt_vocab_size", "d_model", "nhead", "num_encoder_layers",
                     "num_decoder_layers", "dim_feedforward", "max_len"):
            check_int(getattr(self, name), name, minimum=1)
        if self.d_model % self.nhead:
            raise ValueError(f"nhead: expected a divisor of d_model={self.d_model}, got {self.nhead}")
        check_scalar(self.dropout, "dropout", minimum=0.0, maximum=1.0)
        check_scalar(self.label_smoothing, "label_smoothing", minimum=0.0, maximum=1.0)
        check_scalar(self.layer_norm_eps, "layer_norm_eps", minimum=0.0, include_minimum=False)
        check_option(self.activation, "activation", ("relu", "gelu"))
        smallest = min(self.src_vocab_size, self.tgt_vocab_size)
        for name in ("pad_id", "bos_id", "eos_id"):
            check_int(getattr(self, name), name, minimum=0, maximum=smallest - 1)
        if self.share_embeddings and self.src_vocab_size != self.tgt_vocab_size:
            raise ValueError(
                "share_embeddings: expected src_vocab_size == tgt_vocab_size to share one table, got "
                f"{self.src_vocab_size} and {self.tgt_vocab_size}"
            )

    @classmethod
    def base(cls, src_vocab_size: int = 37000, tgt_vocab_size: int = 37000, **overrides) -> TransformerConfig:
        """Transformer-base of the paper (Table 3): d_model 512, 8 heads, 6+6 layers, FFN 2048, dropout 0.1."""
        kw = dict(d_model=512, nhead=8, num_encoder_layers=6, num_decoder_layers=6, dim_feedforward=2048,
                  dropout=0.1, share_embeddings=src_vocab_size == tgt_vocab_size)
        return cls(src_vocab_size=src_vocab_size, tgt_vocab_size=tgt_vocab_size, **{**kw, **overrides})

    @classmethod
    def big(cls, src_vocab_size: int = 37000, tgt_vocab_size: int = 37000, **overrides) -> TransformerConfig:
        """Transformer-big of the paper (Table 3): d_model 1024, 16 heads, FFN 4096, dropout 0.3."""
        kw = dict(d_model=1024, nhead=16, num_encoder_layers=6, num_decoder_layers=6, dim_feedforward=4096,
                  dropout=0.3, share_embeddings=src_vocab_size == tgt_vocab_size)
        return cls(src_vocab_size=src_vocab_size, tgt_vocab_size=tgt_vocab_size, **{**kw, **overrides})

    @classmethod
    def tiny(cls, src_vocab_size: int = 16, tgt_vocab_size: int = 16, **overrides) -> TransformerConfig:
        """A small model for toy tasks and tests on a CPU: d_model 64, 4 heads, 2+2 layers, FFN 256."""
        kw = dict(d_model=64, nhead=4, num_encoder_layers=2, num_decoder_layers=2, dim_feedforward=256,
                  dropout=0.1, max_len=512)
        return cls(src_vocab_size=src_vocab_size, tgt_vocab_size=tgt_vocab_size, **{**kw, **overrides})

    def to_dict(self) -> dict:
        return asdict(self)


# ----------------------------------------------------------------------------------------------
# layers (torch's parameter names: self_attn, multihead_attn, linear1, linear2, norm1/2/3)
# ----------------------------------------------------------------------------------------------


def _activation(activation) -> Callable[[torch.Tensor], torch.Tensor]:
    if callable(activation):
        return activation
    check_option(activation, "activation", ("relu", "gelu"))
    return get_activation(activation)  # ReLU, or exact (erf) GELU as torch's "gelu"


class TransformerEncoderLayer(nn.Module):
    """Self-attention + feed-forward, each in a residual branch with LayerNorm (post- or pre-norm).

    Same constructor, parameter names and call as ``torch.nn.TransformerEncoderLayer``.

    Examples
    --------
    >>> import torch
    >>> layer = TransformerEncoderLayer(16, 4, dim_feedforward=32, batch_first=True)
    >>> tuple(layer(torch.randn(2, 5, 16)).shape)
    (2, 5, 16)
    """

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048, dropout: float = 0.1,
                 activation: str | Callable = "relu", layer_norm_eps: float = 1e-5, batch_first: bool = False,
                 norm_first: bool = False, bias: bool = True, device=None, dtype=None) -> None:
        super().__init__()
        d_model, nhead, dim_feedforward = _check_sizes(d_model, nhead, dim_feedforward)
        kw = {"device": device, "dtype": dtype}
        self.self_attn = MultiHeadAttention(d_model, nhead, dropout=dropout, bias=bias, batch_first=batch_first, **kw)
        self.linear1 = nn.Linear(d_model, dim_feedforward, bias=bias, **kw)
        self.dropout = nn.Dropout(dropout)
        self.linear2 = nn.Linear(dim_feedforward, d_model, bias=bias, **kw)
        self.norm_first = bool(norm_first)
        self.norm1 = nn.LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **kw)
        self.norm2 = nn.LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **kw)
        self.dropout1 = nn.Dropout(dropout)
        self.dropout2 = nn.Dropout(dropout)
        self.activation = _activation(activation)

    def forward(self, src, src_mask=None, src_key_padding_mask=None, is_causal: bool = False):
        x = src  # (T, B, E) or (B, T, E)
        if self.norm_first:  # Xiong et al. 2020, Fig. 1(b)
            x = x + self._sa_block(self.norm1(x), src_mask, src_key_padding_mask, is_causal)
            x = x + self._ff_block(self.norm2(x))
        else:  # the paper: LayerNorm(x + Sublayer(x))
            x = self.norm1(x + self._sa_block(x, src_mask, src_key_padding_mask, is_causal))
            x = self.norm2(x + self._ff_block(x))
        return x

    def _sa_block(self, x, attn_mask, key_padding_mask, is_causal):
        x = self.self_attn(x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask,
                           need_weights=False, is_causal=is_causal)[0]
        return self.dropout1(x)

    def _ff_block(self, x):
        return self.dropout2(self.linear2(self.dropout(self.activation(self.linear1(x)))))


class TransformerDecoderLayer(nn.Module):
    """Masked self-attention, cross-attention over the memory, feed-forward; three residual branches.

    Same constructor, parameter names and call as ``torch.nn.TransformerDecoderLayer``.

    Examples
    --------
    >>> import torch
    >>> layer = TransformerDecoderLayer(16, 4, dim_feedforward=32, batch_first=True)
    >>> tuple(layer(torch.randn(2, 3, 16), torch.randn(2, 5, 16)).shape)
    (2, 3, 16)
    """

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048, dropout: float = 0.1,
                 activation: str | Callable = "relu", layer_norm_eps: float = 1e-5, batch_first: bool = False,
                 norm_first: bool = False, bias: bool = True, device=None, dtype=None) -> None:
        super().__init__()
        d_model, nhead, dim_feedforward = _check_sizes(d_model, nhead, dim_feedforward)
        kw = {"device": device, "dtype": dtype}
        self.self_attn = MultiHeadAttention(d_model, nhead, dropout=dropout, bias=bias, batch_first=batch_first, **kw)
        self.multihead_attn = MultiHeadAttention(d_model, nhead, dropout=dropout, bias=bias,
                                                 batch_first=batch_first, **kw)
        self.linear1 = nn.Linear(d_model, dim_feedforward, bias=bias, **kw)
        self.dropout = nn.Dropout(dropout)
        self.linear2 = nn.Linear(dim_feedforward, d_model, bias=bias, **kw)
        self.norm_first = bool(norm_first)
        self.norm1 = nn.LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **kw)
        self.norm2 = nn.LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **kw)
        self.norm3 = nn.LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **kw)
        self.dropout1 = nn.Dropout(dropout)
        self.dropout2 = nn.Dropout(dropout)
        self.dropout3 = nn.Dropout(dropout)
        self.activation = _activation(activation)

    def forward(self, tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, tgt_is_causal: bool = False, memory_is_causal: bool = False):
        x = tgt  # (T, B, E) or (B, T, E); memory (S, B, E) or (B, S, E)
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), tgt_mask, tgt_key_padding_mask, tgt_is_causal)
            x = x + self._mha_block(self.norm2(x), memory, memory_mask, memory_key_padding_mask, memory_is_causal)
            x = x + self._ff_block(self.norm3(x))
        else:
            x = self.norm1(x + self._sa_block(x, tgt_mask, tgt_key_padding_mask, tgt_is_causal))
            x = self.norm2(x + self._mha_block(x, memory, memory_mask, memory_key_padding_mask, memory_is_causal))
            x = self.norm3(x + self._ff_block(x))
        return x

    def _sa_block(self, x, attn_mask, key_padding_mask, is_causal):
        x = self.self_attn(x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask,
                           need_weights=False, is_causal=is_causal)[0]
        return self.dropout1(x)

    def _mha_block(self, x, mem, attn_mask, key_padding_mask, is_causal):
        x = self.multihead_attn(x, mem, mem, attn_mask=attn_mask, key_padding_mask=key_padding_mask,
                                need_weights=False, is_causal=is_causal)[0]
        return self.dropout2(x)

    def _ff_block(self, x):
        return self.dropout3(self.linear2(self.dropout(self.activation(self.linear1(x)))))


def _check_sizes(d_model, nhead, dim_feedforward):
    d_model = check_int(d_model, "d_model", minimum=1)
    nhead = check_int(nhead, "nhead", minimum=1)
    dim_feedforward = check_int(dim_feedforward, "dim_feedforward", minimum=1)
    if d_model % nhead:
        raise ValueError(f"nhead: expected a divisor of d_model={d_model}, got {nhead}")
    return d_model, nhead, dim_feedforward


def _clones(layer: nn.Module, n: int) -> nn.ModuleList:
    return nn.ModuleList(copy.deepcopy(layer) for _ in range(check_int(n, "num_layers", minimum=0)))


class TransformerEncoder(nn.Module):
    """A stack of N copies of an encoder layer, then an optional final LayerNorm (``norm``).

    Same keys as ``torch.nn.TransformerEncoder``: ``layers.{i}.*`` and ``norm.*``.

    Examples
    --------
    >>> import torch
    >>> enc = TransformerEncoder(TransformerEncoderLayer(16, 4, 32, batch_first=True), num_layers=2)
    >>> tuple(enc(torch.randn(2, 5, 16)).shape)
    (2, 5, 16)
    """

    def __init__(self, encoder_layer: TransformerEncoderLayer, num_layers: int, norm: nn.Module | None = None) -> None:
        super().__init__()
        self.layers = _clones(encoder_layer, num_layers)
        self.num_layers = num_layers
        self.norm = norm

    def forward(self, src, mask=None, src_key_padding_mask=None, is_causal: bool | None = None):
        batch_first = self.layers[0].self_attn.batch_first if self.layers else False
        is_causal = _detect_is_causal_mask(mask, is_causal, _seq_len(src, batch_first))
        output = src
        for layer in self.layers:
            output = layer(output, src_mask=mask, src_key_padding_mask=src_key_padding_mask, is_causal=is_causal)
        return output if self.norm is None else self.norm(output)


class TransformerDecoder(nn.Module):
    """A stack of N copies of a decoder layer, then an optional final LayerNorm (``norm``).

    Same keys as ``torch.nn.TransformerDecoder``: ``layers.{i}.*`` and ``norm.*``.

    Examples
    --------
    >>> import torch
    >>> dec = TransformerDecoder(TransformerDecoderLayer(16, 4, 32, batch_first=True), num_layers=2)
    >>> tuple(dec(torch.randn(2, 3, 16), torch.randn(2, 5, 16)).shape)
    (2, 3, 16)
    """

    def __init__(self, decoder_layer: TransformerDecoderLayer, num_layers: int, norm: nn.Module | None = None) -> None:
        super().__init__()
        self.layers = _clones(decoder_layer, num_layers)
        self.num_layers = num_layers
        self.norm = norm

    def forward(self, tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, tgt_is_causal: bool | None = None, memory_is_causal: bool = False):
        batch_first = self.layers[0].self_attn.batch_first if self.layers else False
        tgt_is_causal = _detect_is_causal_mask(tgt_mask, tgt_is_causal, _seq_len(tgt, batch_first))
        output = tgt
        for layer in self.layers:
            output = layer(output, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                           tgt_key_padding_mask=tgt_key_padding_mask,
                           memory_key_padding_mask=memory_key_padding_mask,
                           tgt_is_causal=tgt_is_causal, memory_is_causal=memory_is_causal)
        return output if self.norm is None else self.norm(output)


def _seq_len(x: torch.Tensor, batch_first: bool) -> int:
    if x.dim() == 2:  # unbatched (T, E)
        return x.shape[0]
    return x.shape[1] if batch_first else x.shape[0]


def _detect_is_causal_mask(mask, is_causal, size) -> bool:
    """torch's rule: an explicit hint wins; otherwise a mask equal to the causal float/bool mask is causal."""
    if is_causal is not None:
        return bool(is_causal)
    if mask is None or mask.dim() != 2 or mask.shape != (size, size):
        return False
    causal = Transformer.generate_square_subsequent_mask(size, device=mask.device, dtype=mask.dtype) \
        if mask.is_floating_point() else torch.ones(size, size, dtype=torch.bool, device=mask.device).triu(1)
    return bool((mask == causal).all())


# ----------------------------------------------------------------------------------------------
# the encoder-decoder core, torch.nn.Transformer's interface
# ----------------------------------------------------------------------------------------------


class Transformer(nn.Module):
    """Encoder-decoder on continuous inputs, with ``torch.nn.Transformer``'s constructor, keys and call.

    Parameters
    ----------
    d_model, nhead, num_encoder_layers, num_decoder_layers, dim_feedforward, dropout : see
        :class:`TransformerConfig`.
    activation : "relu", "gelu" or a callable
    layer_norm_eps : float
    batch_first : bool
        Inputs and output are (B, T, E) instead of (T, B, E).
    norm_first : bool
        Pre-norm layers.
    bias : bool
        Biases in the linear layers and LayerNorms.

    Examples
    --------
    >>> import torch
    >>> model = Transformer(d_model=16, nhead=4, num_encoder_layers=1, num_decoder_layers=1,
    ...                     dim_feedforward=32, batch_first=True).eval()
    >>> src, tgt = torch.randn(2, 7, 16), torch.randn(2, 5, 16)
    >>> mask = Transformer.generate_square_subsequent_mask(5)
    >>> tuple(model(src, tgt, tgt_mask=mask).shape)
    (2, 5, 16)
    """

    def __init__(self, d_model: int = 512, nhead: int = 8, num_encoder_layers: int = 6,
                 num_decoder_layers: int = 6, dim_feedforward: int = 2048, dropout: float = 0.1,
                 activation: str | Callable = "relu", custom_encoder: nn.Module | None = None,
                 custom_decoder: nn.Module | None = None, layer_norm_eps: float = 1e-5, batch_first: bool = False,
                 norm_first: bool = False, bias: bool = True, device=None, dtype=None) -> None:
        super().__init__()
        d_model, nhead, dim_feedforward = _check_sizes(d_model, nhead, dim_feedforward)
        check_int(num_encoder_layers, "num_encoder_layers", minimum=1)
        check_int(num_decoder_layers, "num_decoder_layers", minimum=1)
        layer_kw = dict(dim_feedforward=dim_feedforward, dropout=dropout, activation=activation,
                        layer_norm_eps=layer_norm_eps, batch_first=batch_first, norm_first=norm_first, bias=bias,
                        device=device, dtype=dtype)
        norm_kw = dict(eps=layer_norm_eps, bias=bias, device=device, dtype=dtype)
        self.encoder = custom_encoder if custom_encoder is not None else TransformerEncoder(
            TransformerEncoderLayer(d_model, nhead, **layer_kw), num_encoder_layers, nn.LayerNorm(d_model, **norm_kw))
        self.decoder = custom_decoder if custom_decoder is not None else TransformerDecoder(
            TransformerDecoderLayer(d_model, nhead, **layer_kw), num_decoder_layers, nn.LayerNorm(d_model, **norm_kw))
        self._reset_parameters()
        self.d_model, self.nhead, self.batch_first = d_model, nhead, bool(batch_first)

    @classmethod
    def from_config(cls, config: TransformerConfig, batch_first: bool = True) -> Transformer:
        """The core of a :class:`TransformerConfig` (no embeddings)."""
        return cls(config.d_model, config.nhead, config.num_encoder_layers, config.num_decoder_layers,
                   config.dim_feedforward, config.dropout, config.activation, layer_norm_eps=config.layer_norm_eps,
                   batch_first=batch_first, norm_first=config.norm_first)

    def _reset_parameters(self) -> None:
        # torch.nn.Transformer's initialisation: Xavier-uniform on every matrix (Glorot & Bengio 2010).
        for p in self.parameters():
            if p.dim() > 1:
                nn.init.xavier_uniform_(p)

    def forward(self, src, tgt, src_mask=None, tgt_mask=None, memory_mask=None, src_key_padding_mask=None,
                tgt_key_padding_mask=None, memory_key_padding_mask=None, src_is_causal: bool | None = None,
                tgt_is_causal: bool | None = None, memory_is_causal: bool = False) -> torch.Tensor:
        """Encode ``src``, decode ``tgt`` against it; returns a tensor shaped like ``tgt``.

        Parameters
        ----------
        src : Tensor of shape (S, B, E), (B, S, E) if ``batch_first``, or (S, E) unbatched
        tgt : Tensor of shape (T, B, E), (B, T, E) or (T, E)
        src_mask, tgt_mask, memory_mask : Tensor of shape (S, S) / (T, T) / (T, S), or (B·nhead, ·, ·)
            Bool **True = may not attend**, or float added to the scores (torch's convention).
        src_key_padding_mask, tgt_key_padding_mask, memory_key_padding_mask : Tensor of shape (B, S) / (B, T) / (B, S)
            Bool **True = padding** (ignored as a key), or float added to the scores.
        src_is_causal, tgt_is_causal, memory_is_causal : bool, optional
            Hints that the corresponding mask is the causal one; ``None`` detects it from the mask.

        Returns
        -------
        Tensor shaped like ``tgt``.
        """
        self._check_inputs(src, tgt, src_mask, tgt_mask, memory_mask, src_key_padding_mask,
                           tgt_key_padding_mask, memory_key_padding_mask)
        memory = self.encoder(src, mask=src_mask, src_key_padding_mask=src_key_padding_mask,
                              is_causal=src_is_causal)  # shaped like src
        return self.decoder(tgt, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                            tgt_key_padding_mask=tgt_key_padding_mask,
                            memory_key_padding_mask=memory_key_padding_mask,
                            tgt_is_causal=tgt_is_causal, memory_is_causal=memory_is_causal)

    @staticmethod
    def generate_square_subsequent_mask(sz: int, device=None, dtype=None) -> torch.Tensor:
        """(sz, sz) float mask: 0 on and below the diagonal, -inf above (position i sees 0..i)."""
        sz = check_int(sz, "sz", minimum=0)
        return torch.full((sz, sz), float("-inf"), device=device, dtype=dtype).triu(1)

    def _check_inputs(self, src, tgt, src_mask, tgt_mask, memory_mask, src_kpm, tgt_kpm, mem_kpm) -> None:
        for name, x in (("src", src), ("tgt", tgt)):
            if not isinstance(x, torch.Tensor):
                raise TypeError(f"{name}: expected a torch.Tensor, got {type(x).__name__}")
            if x.dim() not in (2, 3):
                raise ValueError(f"{name}: expected a 3-D (batched) or 2-D (unbatched) tensor, "
                                 f"got shape {tuple(x.shape)}")
            if x.shape[-1] != self.d_model:
                raise ValueError(f"{name}: expected last dimension d_model={self.d_model}, got shape {tuple(x.shape)}")
        if src.dim() != tgt.dim():
            raise ValueError(f"src, tgt: expected both batched or both unbatched, got shapes "
                             f"{tuple(src.shape)} and {tuple(tgt.shape)}")
        batched = src.dim() == 3
        b_axis, t_axis = (0, 1) if self.batch_first else (1, 0)
        if batched and src.shape[b_axis] != tgt.shape[b_axis]:
            raise ValueError(f"src, tgt: expected the same batch size, got shapes {tuple(src.shape)} "
                             f"and {tuple(tgt.shape)}")
        S = src.shape[t_axis] if batched else src.shape[0]
        T = tgt.shape[t_axis] if batched else tgt.shape[0]
        B = src.shape[b_axis] if batched else None
        for name, m, (L, K) in (("src_mask", src_mask, (S, S)), ("tgt_mask", tgt_mask, (T, T)),
                                ("memory_mask", memory_mask, (T, S))):
            if m is None:
                continue
            ok = tuple(m.shape) == (L, K) or (B is not None and tuple(m.shape) == (B * self.nhead, L, K))
            if not ok:
                want = f"({L}, {K})" + ("" if B is None else f" or ({B * self.nhead}, {L}, {K})")
                raise ValueError(f"{name}: expected shape {want}, got {tuple(m.shape)}")
        for name, m, K in (("src_key_padding_mask", src_kpm, S), ("tgt_key_padding_mask", tgt_kpm, T),
                           ("memory_key_padding_mask", mem_kpm, S)):
            want = (K,) if B is None else (B, K)
            if m is not None and tuple(m.shape) != want:
                raise ValueError(f"{name}: expected shape {want}, got {tuple(m.shape)}")


# ----------------------------------------------------------------------------------------------
# sequence-to-sequence model: embeddings, positions, output projection, loss, decoding
# ----------------------------------------------------------------------------------------------


class PositionalEncoding(nn.Module):
    """Adds the sinusoidal table PE(pos, 2i) = sin(pos / 10000^(2i/d)), PE(pos, 2i+1) = cos(...).

    The wavelengths form a geometric progression from 2π to 10000·2π, so PE(pos + k) is a linear
    function of PE(pos) for every offset k (the paper's reason, §3.5). The table is a non-persistent
    buffer: it is not stored in checkpoints.

    Examples
    --------
    >>> import torch
    >>> pe = PositionalEncoding(4, max_len=10)
    >>> [round(v, 3) for v in pe.pe[1].tolist()]  # sin 1, cos 1, sin 0.01, cos 0.01
    [0.841, 0.54, 0.01, 1.0]
    """

    def __init__(self, d_model: int, max_len: int = 5000) -> None:
        super().__init__()
        d_model = check_int(d_model, "d_model", minimum=1)
        max_len = check_int(max_len, "max_len", minimum=1)
        self.register_buffer("pe", sinusoidal_table(max_len, d_model), persistent=False)  # (max_len, E)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (B, T, E) -> x + PE[:T]."""
        T = x.shape[1]
        if T > self.pe.shape[0]:
            raise ValueError(f"x: expected at most max_len={self.pe.shape[0]} positions, got {T}")
        return x + self.pe[:T].to(x.dtype)  # (B, T, E)


def sinusoidal_table(max_len: int, d_model: int) -> torch.Tensor:
    """The (max_len, d_model) table of sines (even columns) and cosines (odd columns), in float64 then float32."""
    pos = torch.arange(max_len, dtype=torch.float64).unsqueeze(1)  # (P, 1)
    two_i = torch.arange(0, d_model, 2, dtype=torch.float64)  # (ceil(E/2),)
    angle = pos / torch.pow(10000.0, two_i / d_model)  # (P, ceil(E/2))
    table = torch.zeros(max_len, d_model, dtype=torch.float64)
    table[:, 0::2] = torch.sin(angle)
    table[:, 1::2] = torch.cos(angle[:, : d_model // 2])
    return table.float()


class TransformerSeq2Seq(nn.Module):
    """Token-to-token Transformer: embeddings · √d_model + positions, the :class:`Transformer` core,
    a (tied) output projection, the label-smoothed loss, greedy and beam decoding.

    Inputs are (B, T) id tensors, batch first; ``config.pad_id`` marks padding.

    Parameters
    ----------
    config : TransformerConfig

    Examples
    --------
    >>> import torch
    >>> cfg = TransformerConfig.tiny(src_vocab_size=10, tgt_vocab_size=10)
    >>> model = TransformerSeq2Seq(cfg).eval()
    >>> src = torch.tensor([[5, 6, 7, 2]])
    >>> tgt_in = torch.tensor([[1, 7, 6]])
    >>> tuple(model(src, tgt_in).shape)
    (1, 3, 10)
    >>> model.greedy_decode(src, max_len=4).shape[0]
    1
    """

    def __init__(self, config: TransformerConfig) -> None:
        super().__init__()
        if not isinstance(config, TransformerConfig):
            raise TypeError(f"config: expected a TransformerConfig, got {type(config).__name__}")
        self.config = config
        E = config.d_model
        self.src_embed = nn.Embedding(config.src_vocab_size, E, padding_idx=config.pad_id)
        self.tgt_embed = self.src_embed if config.share_embeddings else \
            nn.Embedding(config.tgt_vocab_size, E, padding_idx=config.pad_id)
        self.positional = PositionalEncoding(E, config.max_len)
        self.dropout = nn.Dropout(config.dropout)
        self.transformer = Transformer.from_config(config, batch_first=True)
        self.generator = nn.Linear(E, config.tgt_vocab_size, bias=False)
        self._reset_embeddings()
        if config.tie_output:
            self.generator.weight = self.tgt_embed.weight  # the paper, §3.4

    def _reset_embeddings(self) -> None:
        # N(0, d^-1/2) (as fairseq): after the √d scaling the embeddings have unit scale, like PE.
        for emb in {self.src_embed, self.tgt_embed}:
            nn.init.normal_(emb.weight, mean=0.0, std=self.config.d_model ** -0.5)
            with torch.no_grad():
                emb.weight[self.config.pad_id].zero_()

    # -- the three stages ------------------------------------------------------------------------

    def _embed(self, ids: torch.Tensor, table: nn.Embedding) -> torch.Tensor:
        x = table(ids) * math.sqrt(self.config.d_model)  # (B, T, E), §3.4
        return self.dropout(self.positional(x))

    def encode(self, src: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """src (B, S) ids -> memory (B, S, E) and its padding mask (B, S), True at padding."""
        src = self._check_ids(src, "src", self.config.src_vocab_size)
        src_pad = src.eq(self.config.pad_id)  # (B, S)
        memory = self.transformer.encoder(self._embed(src, self.src_embed), src_key_padding_mask=src_pad)
        return memory, src_pad

    def decode(self, tgt_in: torch.Tensor, memory: torch.Tensor, memory_pad: torch.Tensor) -> torch.Tensor:
        """tgt_in (B, T) ids (starting with BOS) -> next-token logits (B, T, V)."""
        tgt_in = self._check_ids(tgt_in, "tgt_in", self.config.tgt_vocab_size)
        T = tgt_in.shape[1]
        causal = Transformer.generate_square_subsequent_mask(T, device=tgt_in.device)  # (T, T)
        h = self.transformer.decoder(self._embed(tgt_in, self.tgt_embed), memory, tgt_mask=causal,
                                     tgt_key_padding_mask=tgt_in.eq(self.config.pad_id),
                                     memory_key_padding_mask=memory_pad, tgt_is_causal=True)  # (B, T, E)
        return self.generator(h)  # (B, T, V)

    def forward(self, src: torch.Tensor, tgt_in: torch.Tensor) -> torch.Tensor:
        """Teacher-forced logits (B, T, V) of the next target token at each position of ``tgt_in``."""
        memory, src_pad = self.encode(src)
        if tgt_in.shape[0] != src.shape[0]:
            raise ValueError(f"tgt_in: expected batch size {src.shape[0]} (src's), got shape {tuple(tgt_in.shape)}")
        return self.decode(tgt_in, memory, src_pad)

    def loss(self, src: torch.Tensor, tgt: torch.Tensor, label_smoothing: float | None = None) -> torch.Tensor:
        """Label-smoothed cross-entropy of ``tgt`` = [BOS, y_1, ..., y_n, EOS, PAD...] given ``src``.

        The decoder reads ``tgt[:, :-1]`` and predicts ``tgt[:, 1:]``; padding is ignored.
        """
        eps = self.config.label_smoothing if label_smoothing is None else label_smoothing
        logits = self(src, tgt[:, :-1])  # (B, T-1, V)
        return label_smoothed_cross_entropy(logits.flatten(0, 1), tgt[:, 1:].flatten(), eps,
                                            ignore_index=self.config.pad_id)

    # -- decoding --------------------------------------------------------------------------------

    def _step_fn(self, src: torch.Tensor):
        memory, src_pad = self.encode(src)

        def step(prefix: torch.Tensor, rows: torch.Tensor) -> torch.Tensor:
            # prefix (N, t) ids of N hypotheses; rows (N,) the source each belongs to.
            logits = self.decode(prefix, memory.index_select(0, rows), src_pad.index_select(0, rows))
            return logits[:, -1].float().log_softmax(-1)  # (N, V)

        return step

    @torch.no_grad()
    def greedy_decode(self, src: torch.Tensor, max_len: int | None = None) -> torch.Tensor:
        """Most probable next token at every step; (B, L) ids after BOS, PAD after EOS."""
        max_len = self._max_len(src, max_len)
        c = self.config
        return greedy_search(self._step_fn(src), src.shape[0], c.bos_id, c.eos_id, c.pad_id, max_len,
                             device=src.device)[0]

    @torch.no_grad()
    def beam_decode(self, src: torch.Tensor, beam_size: int = 4, max_len: int | None = None,
                    alpha: float = 0.0) -> tuple[torch.Tensor, torch.Tensor]:
        """Beam search (``alpha`` > 0: GNMT length penalty); returns (B, L) ids and (B,) log-probabilities."""
        max_len = self._max_len(src, max_len)
        c = self.config
        return beam_search(self._step_fn(src), src.shape[0], c.bos_id, c.eos_id, c.pad_id, max_len,
                           beam_size=beam_size, alpha=alpha, device=src.device)

    @torch.no_grad()
    def cross_attention(self, src: torch.Tensor, tgt_in: torch.Tensor, layer: int = -1) -> torch.Tensor:
        """Cross-attention weights (B, T, S) of one decoder layer, averaged over the heads."""
        mha = self.transformer.decoder.layers[layer].multihead_attn
        seen = {}

        def grab(module, args, kwargs):
            q, k, v = args[:3]
            kw = {**kwargs, "need_weights": True, "average_attn_weights": True}
            seen["weights"] = module.forward(q, k, v, **kw)[1]  # the same call, asking for the weights

        handle = mha.register_forward_pre_hook(grab, with_kwargs=True)
        try:
            self(src, tgt_in)
        finally:
            handle.remove()
        return seen["weights"]  # (B, T, S)

    def _max_len(self, src, max_len):
        if max_len is None:
            return min(2 * src.shape[1] + 10, self.config.max_len - 1)
        return check_int(max_len, "max_len", minimum=1, maximum=self.config.max_len - 1)

    @staticmethod
    def _check_ids(ids, name: str, vocab: int) -> torch.Tensor:
        if not isinstance(ids, torch.Tensor):
            raise TypeError(f"{name}: expected a torch.Tensor of token ids, got {type(ids).__name__}")
        if ids.dim() != 2 or ids.dtype not in (torch.int64, torch.int32) or ids.numel() == 0:
            raise ValueError(f"{name}: expected a non-empty (B, T) tensor of int64 ids, got shape "
                             f"{tuple(ids.shape)} and dtype {ids.dtype}")
        lo, hi = int(ids.min()), int(ids.max())
        if lo < 0 or hi >= vocab:
            raise ValueError(f"{name}: expected ids in [0, {vocab - 1}], got values in [{lo}, {hi}]")
        return ids


# ----------------------------------------------------------------------------------------------
# loss and learning-rate schedule
# ----------------------------------------------------------------------------------------------


def label_smoothed_cross_entropy(logits: torch.Tensor, target: torch.Tensor, epsilon: float = 0.1,
                                 ignore_index: int = -100, reduction: str = "mean") -> torch.Tensor:
    """Cross-entropy against (1 - ε)·one_hot(y) + ε/C, written out (Szegedy et al. 2016).

    loss_n = (1 - ε) · (-log p_n[y_n]) + ε · mean_c(-log p_n[c]); targets equal to ``ignore_index``
    contribute nothing, and ``"mean"`` divides by the number of the others. This is the definition
    of ``F.cross_entropy(logits, target, label_smoothing=ε, ignore_index=...)`` (the uniform part
    covers every class, the padding class included).

    Parameters
    ----------
    logits : Tensor of shape (N, C)
    target : LongTensor of shape (N,)
    epsilon : float in [0, 1]
    ignore_index : int
    reduction : {"mean", "sum", "none"}

    Examples
    --------
    >>> import torch
    >>> logits, y = torch.zeros(2, 4), torch.tensor([1, 3])
    >>> round(float(label_smoothed_cross_entropy(logits, y, 0.1)), 6) == round(math.log(4), 6)
    True
    """
    epsilon = check_scalar(epsilon, "epsilon", minimum=0.0, maximum=1.0)
    check_option(reduction, "reduction", ("mean", "sum", "none"))
    if logits.dim() != 2 or target.shape != logits.shape[:1]:
        raise ValueError(f"logits, target: expected shapes (N, C) and (N,), got {tuple(logits.shape)} "
                         f"and {tuple(target.shape)}")
    keep = target.ne(ignore_index)  # (N,)
    logp = logits.log_softmax(dim=-1)  # (N, C)
    nll = -logp.gather(1, target.masked_fill(~keep, 0).unsqueeze(1)).squeeze(1)  # (N,)
    uniform = -logp.mean(dim=-1)  # (N,)
    loss = ((1.0 - epsilon) * nll + epsilon * uniform) * keep
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    return loss.sum() / keep.sum()


def noam_rate(step: int, d_model: int, warmup: int = 4000, factor: float = 1.0) -> float:
    """factor · d_model^-0.5 · min(step^-0.5, step · warmup^-1.5): linear warm-up, then 1/√step decay.

    The two branches meet at ``step = warmup``, where the rate peaks at factor · (d_model · warmup)^-0.5.
    """
    step = check_int(step, "step", minimum=1)
    d_model = check_int(d_model, "d_model", minimum=1)
    warmup = check_int(warmup, "warmup", minimum=1)
    return factor * d_model ** -0.5 * min(step ** -0.5, step * warmup ** -1.5)


class NoamSchedule(torch.optim.lr_scheduler.LambdaLR):
    """The paper's learning-rate schedule (§5.3) as a torch LR scheduler.

    The optimizer's learning rate of the n-th update (n = 1, 2, ...) is
    ``base_lr · noam_rate(n, d_model, warmup, factor)``: give the optimizer ``lr=1.0`` for the
    paper's rates. Call ``scheduler.step()`` after each ``optimizer.step()``, as for any scheduler.

    Parameters
    ----------
    optimizer : torch.optim.Optimizer
    d_model : int
    warmup : int
        Warm-up steps (paper: 4000).
    factor : float
        A multiplier (1.0 in the paper; the Annotated Transformer uses 1 or 2).

    Examples
    --------
    >>> import torch
    >>> opt = torch.optim.Adam([torch.zeros(1, requires_grad=True)], lr=1.0, betas=(0.9, 0.98), eps=1e-9)
    >>> sched = NoamSchedule(opt, d_model=512, warmup=4000)
    >>> round(opt.param_groups[0]["lr"] * 512 ** 0.5 * 4000 ** 1.5, 9)
    1.0
    """

    def __init__(self, optimizer: torch.optim.Optimizer, d_model: int, warmup: int = 4000, factor: float = 1.0,
                 last_epoch: int = -1) -> None:
        self.d_model = check_int(d_model, "d_model", minimum=1)
        self.warmup = check_int(warmup, "warmup", minimum=1)
        self.factor = check_scalar(factor, "factor", minimum=0.0, include_minimum=False)
        # LambdaLR counts from 0 at construction; the paper's step number n = count + 1.
        super().__init__(optimizer, self._multiplier, last_epoch=last_epoch)

    def _multiplier(self, count: int) -> float:
        return noam_rate(count + 1, self.d_model, self.warmup, self.factor)


# ----------------------------------------------------------------------------------------------
# search (any model: it only needs a step function prefix -> next-token log-probabilities)
# ----------------------------------------------------------------------------------------------

StepFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def _check_search_args(batch_size, bos, eos, pad, max_len):
    check_int(batch_size, "batch_size", minimum=1)
    for name, v in (("bos", bos), ("eos", eos), ("pad", pad)):
        check_int(v, name, minimum=0)
    return check_int(max_len, "max_len", minimum=1)


def greedy_search(step_fn: StepFn, batch_size: int, bos: int, eos: int, pad: int, max_len: int,
                  device=None) -> tuple[torch.Tensor, torch.Tensor]:
    """Pick the most probable token at each step until every sequence has produced EOS.

    Parameters
    ----------
    step_fn : callable (prefix (N, t) LongTensor, rows (N,) LongTensor) -> (N, V) log-probabilities
        ``rows[n]`` is the example (0..batch_size-1) hypothesis n belongs to.
    batch_size, bos, eos, pad, max_len : int
        ``max_len`` counts generated tokens (EOS included, BOS not).

    Returns
    -------
    tokens : LongTensor of shape (batch_size, L), L <= max_len, PAD after EOS
    scores : Tensor of shape (batch_size,), the sum of the chosen tokens' log-probabilities
    """
    max_len = _check_search_args(batch_size, bos, eos, pad, max_len)
    rows = torch.arange(batch_size, device=device)
    seqs = torch.full((batch_size, 1), bos, dtype=torch.long, device=device)
    scores = torch.zeros(batch_size, device=device)
    done = torch.zeros(batch_size, dtype=torch.bool, device=device)
    for _ in range(max_len):
        logp = step_fn(seqs, rows)  # (B, V)
        best, tok = logp.max(dim=-1)  # (B,), (B,)
        tok = tok.masked_fill(done, pad)
        scores = scores + best.masked_fill(done, 0.0)
        seqs = torch.cat([seqs, tok.unsqueeze(1)], dim=1)  # (B, t+1)
        done = done | tok.eq(eos)
        if bool(done.all()):
            break
    return seqs[:, 1:], scores


def length_penalty(length: torch.Tensor, alpha: float) -> torch.Tensor:
    """GNMT's lp(Y) = ((5 + |Y|) / 6)^α (Wu et al. 2016); α = 0 gives 1 (no normalisation)."""
    return ((5.0 + length.float()) / 6.0) ** alpha


def beam_search(step_fn: StepFn, batch_size: int, bos: int, eos: int, pad: int, max_len: int,
                beam_size: int = 4, alpha: float = 0.0, device=None) -> tuple[torch.Tensor, torch.Tensor]:
    """Batched beam search: keep the ``beam_size`` most probable prefixes of each example.

    Each step extends every live beam by every token and keeps the top ``beam_size`` of the
    ``beam_size · V`` candidates by total log-probability; a beam that has produced EOS is carried
    on unchanged (extended by PAD at no cost). At the end the beams are ranked by
    log P(Y) / lp(Y) with the length penalty ``lp`` (``alpha=0``: by log P(Y)). With
    ``beam_size=1`` this is exactly :func:`greedy_search`.

    Parameters
    ----------
    step_fn, batch_size, bos, eos, pad, max_len : see :func:`greedy_search`
    beam_size : int
    alpha : float
        Length-penalty exponent (the paper uses 0.6).

    Returns
    -------
    tokens : LongTensor of shape (batch_size, L), PAD after EOS
    scores : Tensor of shape (batch_size,), log P of the returned sequences (without the penalty)
    """
    max_len = _check_search_args(batch_size, bos, eos, pad, max_len)
    k = check_int(beam_size, "beam_size", minimum=1)
    alpha = check_scalar(alpha, "alpha", minimum=0.0)
    B = batch_size
    rows = torch.arange(B, device=device).repeat_interleave(k)  # (B·k,)
    seqs = torch.full((B * k, 1), bos, dtype=torch.long, device=device)
    scores = torch.full((B, k), float("-inf"), device=device)
    scores[:, 0] = 0.0  # one live beam at the start, so the first step does not pick k copies
    done = torch.zeros(B * k, dtype=torch.bool, device=device)
    for _ in range(max_len):
        logp = step_fn(seqs, rows)  # (B·k, V)
        V = logp.shape[-1]
        logp = torch.where(done.unsqueeze(1), _pad_only(V, pad, logp), logp)
        cand = (scores.reshape(B * k, 1) + logp).reshape(B, k * V)  # (B, k·V)
        scores, idx = cand.topk(k, dim=1)  # (B, k)
        parent = (idx // V + torch.arange(B, device=device).unsqueeze(1) * k).reshape(-1)  # (B·k,)
        tok = (idx % V).reshape(-1, 1)  # (B·k, 1)
        seqs = torch.cat([seqs.index_select(0, parent), tok], dim=1)  # (B·k, t+1)
        done = done.index_select(0, parent) | tok.squeeze(1).eq(eos)
        if bool(done.all()):
            break
    tokens = seqs[:, 1:].reshape(B, k, -1)  # (B, k, L)
    lengths = tokens.ne(pad).sum(-1)  # (B, k)
    ranked = scores / length_penalty(lengths, alpha)  # (B, k)
    best = ranked.argmax(dim=1)  # (B,)
    pick = torch.arange(B, device=device)
    out = tokens[pick, best]  # (B, L)
    return _trim(out, pad), scores[pick, best]


def _pad_only(V: int, pad: int, like: torch.Tensor) -> torch.Tensor:
    """A log-probability row that allows only PAD, at no cost: a finished beam stays as it is."""
    row = torch.full((V,), float("-inf"), dtype=like.dtype, device=like.device)
    row[pad] = 0.0
    return row


def _trim(tokens: torch.Tensor, pad: int) -> torch.Tensor:
    """Drop trailing columns that are PAD in every row."""
    keep = tokens.ne(pad).any(dim=0).nonzero()
    return tokens[:, : int(keep.max()) + 1] if keep.numel() else tokens[:, :1]
