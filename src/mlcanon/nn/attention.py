"""Attention: additive (Bahdanau), dot/general (Luong), scaled dot-product and multi-head (Vaswani).

Papers
------
- Bahdanau, Cho & Bengio (2015), "Neural Machine Translation by Jointly Learning to Align and
  Translate": additive scores ``e_j = vᵀ tanh(W_q q + W_k k_j)``.
- Luong, Pham & Manning (2015), "Effective Approaches to Attention-based Neural Machine
  Translation": ``dot`` scores ``qᵀ k_j`` and ``general`` scores ``qᵀ W k_j`` (their ``concat``
  score ``vᵀ tanh(W [q; k_j])`` is the additive score with ``W = [W_q W_k]``: use
  :class:`AdditiveAttention`).
- Vaswani et al. (2017), "Attention Is All You Need": scaled dot-product attention

      Attention(Q, K, V) = softmax(Q Kᵀ / √d_k + M) V

  where ``M`` is 0 where a query may look and -inf where it may not. Dividing by √d_k keeps
  the variance of the scores at about 1 when q and k have unit-variance entries, so the softmax
  does not saturate as d_k grows. Multi-head attention runs h of these on learned projections
  and concatenates: ``MHA(Q, K, V) = [head_1; ...; head_h] W_O`` with
  ``head_i = Attention(Q W_Q^i, K W_K^i, V W_V^i)``.

References whose numbers these match: ``torch.nn.functional.scaled_dot_product_attention`` and
``torch.nn.MultiheadAttention`` (same parameter names, masks and return values; the tests
load its state dict with ``strict=True`` and compare outputs, weights and gradients).

Mask conventions (two, because the two references differ, and each function follows its own):

- :func:`scaled_dot_product_attention` and the Bahdanau/Luong modules follow
  ``F.scaled_dot_product_attention``: a **bool mask is True where a position TAKES PART**;
  a float mask is added to the scores.
- :class:`MultiHeadAttention` follows ``torch.nn.MultiheadAttention``: a **bool
  ``key_padding_mask``/``attn_mask`` is True where a position is MASKED OUT** (ignored); a
  float mask is added to the scores.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from mlcanon.validation import check_int, check_scalar

__all__ = [
    "scaled_dot_product_attention",
    "AdditiveAttention",
    "DotProductAttention",
    "GeneralAttention",
    "MultiHeadAttention",
]


def _check_tensor(x, name: str, ndims: tuple[int, ...]) -> torch.Tensor:
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name}: expected a torch.Tensor, got {type(x).__name__}")
    if x.dim() not in ndims:
        want = " or ".join(f"{d}-D" for d in ndims)
        raise ValueError(f"{name}: expected a {want} tensor, got shape {tuple(x.shape)}")
    return x


def _causal_keep(L: int, S: int, device) -> torch.Tensor:
    """(L, S) bool, True on and below the diagonal: query i sees keys 0..i (top-left aligned, as torch)."""
    return torch.ones(L, S, dtype=torch.bool, device=device).tril()


# ----------------------------------------------------------------------------------------------
# scaled dot-product attention
# ----------------------------------------------------------------------------------------------


def scaled_dot_product_attention(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    attn_mask: torch.Tensor | None = None,
    dropout_p: float = 0.0,
    is_causal: bool = False,
    need_weights: bool = False,
    scale: float | None = None,
):
    """softmax(q kᵀ · scale + mask) v, as ``torch.nn.functional.scaled_dot_product_attention``.

    Parameters
    ----------
    q : Tensor of shape (..., L, E)
    k : Tensor of shape (..., S, E)
    v : Tensor of shape (..., S, Ev)
    attn_mask : Tensor broadcastable to (..., L, S), optional
        Bool: **True where a key takes part** (torch's sdpa convention); float: added to the scores.
    dropout_p : float
        Dropout on the attention weights (applied whenever ``dropout_p > 0``, like torch's function).
    is_causal : bool
        Query i attends to keys 0..i only; not allowed together with ``attn_mask``.
    need_weights : bool
        Also return the (dropped-out) attention weights of shape (..., L, S).
    scale : float, optional
        Defaults to 1 / √E.

    Returns
    -------
    Tensor of shape (..., L, Ev), or ``(output, weights)`` when ``need_weights``.

    Examples
    --------
    >>> import torch
    >>> q = k = v = torch.eye(2).unsqueeze(0)
    >>> out, w = scaled_dot_product_attention(q, k, v, need_weights=True)
    >>> tuple(w.shape)
    (1, 2, 2)
    """
    for name, x in (("q", q), ("k", k), ("v", v)):
        _check_tensor(x, name, (2, 3, 4, 5))
    if q.shape[-1] != k.shape[-1]:
        raise ValueError(f"k: expected last dimension {q.shape[-1]} (q's), got shape {tuple(k.shape)}")
    if k.shape[-2] != v.shape[-2]:
        raise ValueError(f"v: expected {k.shape[-2]} positions (k's), got shape {tuple(v.shape)}")
    dropout_p = check_scalar(dropout_p, "dropout_p", minimum=0.0, maximum=1.0)
    if is_causal and attn_mask is not None:
        raise ValueError("is_causal: expected attn_mask=None when is_causal=True (the mask is built for you)")
    if attn_mask is not None and not (attn_mask.dtype == torch.bool or attn_mask.is_floating_point()):
        raise TypeError(f"attn_mask: expected a bool or float tensor, got dtype {attn_mask.dtype}")
    if not need_weights:
        # Same maths, torch's fused kernel (flash / memory-efficient / math backend).
        return F.scaled_dot_product_attention(q, k, v, attn_mask, dropout_p, is_causal, scale=scale)
    L, S = q.shape[-2], k.shape[-2]
    scale = 1.0 / math.sqrt(q.shape[-1]) if scale is None else scale
    scores = (q * scale) @ k.transpose(-2, -1)  # (..., L, S)
    if is_causal:
        attn_mask = _causal_keep(L, S, q.device)
    if attn_mask is not None:
        if attn_mask.dtype == torch.bool:
            scores = scores.masked_fill(~attn_mask, float("-inf"))
        else:
            scores = scores + attn_mask
    weights = scores.softmax(dim=-1)  # (..., L, S)
    if dropout_p > 0.0:
        weights = F.dropout(weights, p=dropout_p)
    return weights @ v, weights  # (..., L, Ev), (..., L, S)


# ----------------------------------------------------------------------------------------------
# Bahdanau and Luong attention (one query attends over a source sequence)
# ----------------------------------------------------------------------------------------------


class _ScoredAttention(nn.Module):
    """Shared forward: scores -> masked softmax over the source -> weighted sum of the values."""

    def score(self, query: torch.Tensor, keys: torch.Tensor) -> torch.Tensor:  # pragma: no cover
        raise NotImplementedError

    def forward(self, query, keys, values=None, mask=None):
        """Attend from ``query`` over ``keys``.

        Parameters
        ----------
        query : Tensor of shape (B, Dq) (one step, e.g. a decoder state) or (B, L, Dq)
        keys : Tensor of shape (B, S, Dk)
        values : Tensor of shape (B, S, Dv), optional
            Defaults to ``keys`` (the encoder states, as in both papers).
        mask : bool Tensor of shape (B, S), optional
            **True where a source position is real** (False = padding, never attended to).

        Returns
        -------
        context : Tensor of shape (B, Dv) or (B, L, Dv)
        weights : Tensor of shape (B, S) or (B, L, S), rows summing to 1
        """
        _check_tensor(query, "query", (2, 3))
        _check_tensor(keys, "keys", (3,))
        values = keys if values is None else _check_tensor(values, "values", (3,))
        if query.shape[0] != keys.shape[0] or values.shape[:2] != keys.shape[:2]:
            raise ValueError(
                "keys/values: expected shapes (B, S, ·) matching query's batch size "
                f"{query.shape[0]}, got keys {tuple(keys.shape)} and values {tuple(values.shape)}"
            )
        single = query.dim() == 2
        q = query.unsqueeze(1) if single else query  # (B, L, Dq)
        scores = self.score(q, keys)  # (B, L, S)
        if mask is not None:
            if mask.dtype != torch.bool or mask.shape != keys.shape[:2]:
                raise ValueError(
                    f"mask: expected a bool tensor of shape {tuple(keys.shape[:2])} (True = real position), "
                    f"got {mask.dtype} of shape {tuple(mask.shape)}"
                )
            scores = scores.masked_fill(~mask.unsqueeze(1), float("-inf"))
        weights = scores.softmax(dim=-1)  # (B, L, S)
        context = weights @ values  # (B, L, Dv)
        if single:
            return context.squeeze(1), weights.squeeze(1)
        return context, weights


class AdditiveAttention(_ScoredAttention):
    """Bahdanau (additive, "concat") attention: ``e_j = vᵀ tanh(W_q q + W_k k_j)``.

    Parameters
    ----------
    query_dim, key_dim : int
        Sizes of the query (decoder state) and of the keys (encoder states).
    hidden_dim : int
        Size of the alignment layer (``W_q``, ``W_k`` map to it; ``v`` maps it to one score).
    bias : bool
        A bias on ``W_k`` (the paper has none; many implementations add one).

    Examples
    --------
    >>> import torch
    >>> att = AdditiveAttention(4, 6, 8)
    >>> ctx, w = att(torch.randn(2, 4), torch.randn(2, 5, 6))
    >>> tuple(ctx.shape), tuple(w.shape)
    ((2, 6), (2, 5))
    """

    def __init__(self, query_dim: int, key_dim: int, hidden_dim: int, bias: bool = False) -> None:
        super().__init__()
        query_dim = check_int(query_dim, "query_dim", minimum=1)
        key_dim = check_int(key_dim, "key_dim", minimum=1)
        hidden_dim = check_int(hidden_dim, "hidden_dim", minimum=1)
        self.W_q = nn.Linear(query_dim, hidden_dim, bias=False)
        self.W_k = nn.Linear(key_dim, hidden_dim, bias=bias)
        self.v = nn.Linear(hidden_dim, 1, bias=False)

    def score(self, query, keys):
        hidden = torch.tanh(self.W_q(query).unsqueeze(2) + self.W_k(keys).unsqueeze(1))  # (B, L, S, A)
        return self.v(hidden).squeeze(-1)  # (B, L, S)


class DotProductAttention(_ScoredAttention):
    """Luong "dot" attention: ``e_j = qᵀ k_j`` (``scaled=True`` divides by √d, as Vaswani).

    Examples
    --------
    >>> import torch
    >>> ctx, w = DotProductAttention()(torch.randn(2, 3, 4), torch.randn(2, 5, 4))
    >>> tuple(w.shape)
    (2, 3, 5)
    """

    def __init__(self, scaled: bool = False) -> None:
        super().__init__()
        self.scaled = bool(scaled)

    def score(self, query, keys):
        if query.shape[-1] != keys.shape[-1]:
            raise ValueError(
                f"keys: expected last dimension {query.shape[-1]} (the query's), got shape {tuple(keys.shape)}"
            )
        scores = query @ keys.transpose(1, 2)  # (B, L, S)
        return scores / math.sqrt(query.shape[-1]) if self.scaled else scores


class GeneralAttention(_ScoredAttention):
    """Luong "general" attention: ``e_j = qᵀ W k_j`` (a bilinear score).

    Examples
    --------
    >>> import torch
    >>> ctx, w = GeneralAttention(4, 6)(torch.randn(2, 4), torch.randn(2, 5, 6))
    >>> tuple(ctx.shape)
    (2, 6)
    """

    def __init__(self, query_dim: int, key_dim: int) -> None:
        super().__init__()
        query_dim = check_int(query_dim, "query_dim", minimum=1)
        key_dim = check_int(key_dim, "key_dim", minimum=1)
        self.W = nn.Linear(key_dim, query_dim, bias=False)

    def score(self, query, keys):
        return query @ self.W(keys).transpose(1, 2)  # (B, L, Dq) @ (B, Dq, S) -> (B, L, S)


# ----------------------------------------------------------------------------------------------
# multi-head attention
# ----------------------------------------------------------------------------------------------


class MultiHeadAttention(nn.Module):
    """Multi-head attention with ``torch.nn.MultiheadAttention``'s parameters, call and results.

    Parameters
    ----------
    embed_dim : int
        Model size E (query size and output size).
    num_heads : int
        Number of heads h; must divide ``embed_dim`` (each head has E / h dimensions).
    dropout : float
        Dropout on the attention weights (training mode only).
    bias : bool
        Biases on the input and output projections.
    batch_first : bool
        Inputs and outputs are (B, L, E) instead of (L, B, E).
    kdim, vdim : int, optional
        Key and value sizes (default E). When either differs from E the projections are kept
        separately as ``q_proj_weight``, ``k_proj_weight``, ``v_proj_weight`` (as torch does);
        otherwise packed in ``in_proj_weight`` of shape (3E, E).

    Examples
    --------
    >>> import torch
    >>> mha = MultiHeadAttention(8, 2, batch_first=True)
    >>> x = torch.randn(3, 5, 8)
    >>> out, w = mha(x, x, x)
    >>> tuple(out.shape), tuple(w.shape)
    ((3, 5, 8), (3, 5, 5))
    """

    def __init__(
        self,
        embed_dim: int,
        num_heads: int,
        dropout: float = 0.0,
        bias: bool = True,
        batch_first: bool = False,
        kdim: int | None = None,
        vdim: int | None = None,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__()
        embed_dim = check_int(embed_dim, "embed_dim", minimum=1)
        num_heads = check_int(num_heads, "num_heads", minimum=1)
        if embed_dim % num_heads:
            raise ValueError(f"num_heads: expected a divisor of embed_dim={embed_dim}, got {num_heads}")
        self.embed_dim, self.num_heads, self.head_dim = embed_dim, num_heads, embed_dim // num_heads
        self.kdim = embed_dim if kdim is None else check_int(kdim, "kdim", minimum=1)
        self.vdim = embed_dim if vdim is None else check_int(vdim, "vdim", minimum=1)
        self.dropout = check_scalar(dropout, "dropout", minimum=0.0, maximum=1.0)
        self.batch_first = bool(batch_first)
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        kw = {"device": device, "dtype": dtype}
        if self._qkv_same_embed_dim:
            self.in_proj_weight = nn.Parameter(torch.empty(3 * embed_dim, embed_dim, **kw))
            self.register_parameter("q_proj_weight", None)
            self.register_parameter("k_proj_weight", None)
            self.register_parameter("v_proj_weight", None)
        else:
            self.register_parameter("in_proj_weight", None)
            self.q_proj_weight = nn.Parameter(torch.empty(embed_dim, embed_dim, **kw))
            self.k_proj_weight = nn.Parameter(torch.empty(embed_dim, self.kdim, **kw))
            self.v_proj_weight = nn.Parameter(torch.empty(embed_dim, self.vdim, **kw))
        if bias:
            self.in_proj_bias = nn.Parameter(torch.empty(3 * embed_dim, **kw))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = nn.Linear(embed_dim, embed_dim, bias=bias, **kw)
        self._reset_parameters()

    def _reset_parameters(self) -> None:
        # torch's initialisation: Xavier-uniform projections, zero biases.
        if self._qkv_same_embed_dim:
            nn.init.xavier_uniform_(self.in_proj_weight)
        else:
            for w in (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight):
                nn.init.xavier_uniform_(w)
        if self.in_proj_bias is not None:
            nn.init.zeros_(self.in_proj_bias)
            nn.init.zeros_(self.out_proj.bias)

    # -- forward ---------------------------------------------------------------------------------

    def forward(
        self,
        query: torch.Tensor,
        key: torch.Tensor,
        value: torch.Tensor,
        key_padding_mask: torch.Tensor | None = None,
        need_weights: bool = True,
        attn_mask: torch.Tensor | None = None,
        average_attn_weights: bool = True,
        is_causal: bool = False,
    ):
        """Attend from ``query`` over ``key``/``value``, exactly as ``torch.nn.MultiheadAttention``.

        Parameters
        ----------
        query : Tensor of shape (L, B, E), (B, L, E) if ``batch_first``, or (L, E) unbatched
        key : Tensor of shape (S, B, kdim), (B, S, kdim) or (S, kdim)
        value : Tensor of shape (S, B, vdim), (B, S, vdim) or (S, vdim)
        key_padding_mask : Tensor of shape (B, S) or (S,), optional
            Bool: **True = ignore this key** (padding); float: added to the scores.
        need_weights : bool
            Return the attention weights (slower: the fused kernel does not give them).
        attn_mask : Tensor of shape (L, S) or (B·h, L, S), optional
            Bool: **True = may not attend**; float: added to the scores.
        average_attn_weights : bool
            Average the weights over the heads: (B, L, S) instead of (B, h, L, S).
        is_causal : bool
            Hint that ``attn_mask`` is the causal mask (torch needs the mask too; here a missing
            mask is built).

        Returns
        -------
        attn_output : Tensor shaped like ``query``
        attn_weights : Tensor of shape (B, L, S) / (B, h, L, S) (no B when unbatched), or None
        """
        batched = self._check_inputs(query, key, value)
        if not batched:
            query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)  # (L, 1, E)
            if key_padding_mask is not None:
                key_padding_mask = key_padding_mask.unsqueeze(0)  # (1, S)
        elif self.batch_first:
            query, key, value = (x.transpose(0, 1) for x in (query, key, value))  # (L, B, E)
        L, B, E = query.shape
        S = key.shape[0]
        if is_causal and attn_mask is None:
            attn_mask = ~_causal_keep(L, S, query.device)  # torch's MHA convention: True = masked out
        mask = self._merge_masks(attn_mask, key_padding_mask, B, L, S, query.dtype)  # (B|1, h|1, L, S)
        q, k, v = self._project(query, key, value)  # (B·h, L, d), (B·h, S, d), (B·h, S, d)
        dropout_p = self.dropout if self.training else 0.0
        h, d = self.num_heads, self.head_dim
        weights = None
        if need_weights:
            # torch's layout: heads folded into the batch, the mask added inside the matmul (baddbmm)
            q = q * (1.0 / math.sqrt(d))
            if mask is None:
                scores = torch.bmm(q, k.transpose(1, 2))  # (B·h, L, S)
            else:
                mask3 = mask.expand(B, h, -1, -1).reshape(B * h, mask.shape[2], S)  # (B·h, L|1, S)
                scores = torch.baddbmm(mask3, q, k.transpose(1, 2))  # (B·h, L, S)
            weights = scores.softmax(dim=-1)
            if dropout_p > 0.0:
                weights = F.dropout(weights, p=dropout_p)
            out = torch.bmm(weights, v).transpose(0, 1)  # (L, B·h, d)
            weights = weights.view(B, h, L, S)
            if average_attn_weights:
                weights = weights.mean(dim=1)  # (B, L, S)
        else:
            causal_only = is_causal and key_padding_mask is None
            q, k, v = (x.reshape(B, h, -1, d) for x in (q, k, v))  # (B, h, T, d)
            out = F.scaled_dot_product_attention(
                q, k, v, None if causal_only else mask, dropout_p, causal_only
            )  # (B, h, L, d)
            out = out.permute(2, 0, 1, 3)  # (L, B, h, d)
        out = out.reshape(L, B, E)  # (L, B, E)
        out = self.out_proj(out)  # (L, B, E)
        if not batched:
            return out.squeeze(1), None if weights is None else weights.squeeze(0)
        if self.batch_first:
            out = out.transpose(0, 1)  # (B, L, E)
        return out, weights

    def _check_inputs(self, query, key, value) -> bool:
        for name, x in (("query", query), ("key", key), ("value", value)):
            _check_tensor(x, name, (2, 3))
        if not query.dim() == key.dim() == value.dim():
            raise ValueError(
                "query, key, value: expected the same number of dimensions (all 3-D batched or all 2-D "
                f"unbatched), got shapes {tuple(query.shape)}, {tuple(key.shape)}, {tuple(value.shape)}"
            )
        for name, x, size in (("query", query, self.embed_dim), ("key", key, self.kdim), ("value", value, self.vdim)):
            if x.shape[-1] != size:
                raise ValueError(f"{name}: expected last dimension {size}, got shape {tuple(x.shape)}")
        if key.shape[:-1] != value.shape[:-1]:
            raise ValueError(
                f"key, value: expected the same sequence and batch sizes, got {tuple(key.shape)} and {tuple(value.shape)}"
            )
        b = 1 if self.batch_first else 0  # the batch axis: 1 for (L, B, E), 0 for (B, L, E)
        if query.dim() == 3 and query.shape[1 - b] != key.shape[1 - b]:
            raise ValueError(
                f"query, key: expected the same batch size, got shapes {tuple(query.shape)} and {tuple(key.shape)}"
            )
        return query.dim() == 3

    def _project(self, query, key, value):
        """Input projections, split into heads: (L, B, E) -> (B·h, L, d)."""
        E = self.embed_dim
        b = self.in_proj_bias
        b_q, b_k, b_v = (None, None, None) if b is None else b.chunk(3)
        if self._qkv_same_embed_dim and query is key and key is value:
            q, k, v = F.linear(query, self.in_proj_weight, b).chunk(3, dim=-1)  # self-attention: one matmul
        elif self._qkv_same_embed_dim:
            w_q, w_k, w_v = self.in_proj_weight.chunk(3)
            q = F.linear(query, w_q, b_q)
            if key is value:
                k, v = F.linear(key, torch.cat([w_k, w_v]), None if b is None else b[E:]).chunk(2, dim=-1)
            else:
                k, v = F.linear(key, w_k, b_k), F.linear(value, w_v, b_v)
        else:
            q = F.linear(query, self.q_proj_weight, b_q)
            k = F.linear(key, self.k_proj_weight, b_k)
            v = F.linear(value, self.v_proj_weight, b_v)
        return tuple(self._split_heads(x) for x in (q, k, v))

    def _split_heads(self, x: torch.Tensor) -> torch.Tensor:
        T, B, _ = x.shape
        return x.reshape(T, B * self.num_heads, self.head_dim).transpose(0, 1)  # (B·h, T, d)

    def _merge_masks(self, attn_mask, key_padding_mask, B, L, S, dtype):
        """One additive float mask of shape (B|1, h|1, L, S), or None."""
        merged = None
        if attn_mask is not None:
            m = _additive(attn_mask, "attn_mask", dtype)
            if m.dim() == 2:
                if m.shape != (L, S):
                    raise ValueError(f"attn_mask: expected a 2-D mask of shape {(L, S)}, got {tuple(m.shape)}")
                merged = m.view(1, 1, L, S)
            elif m.dim() == 3:
                want = (B * self.num_heads, L, S)
                if m.shape != want:
                    raise ValueError(f"attn_mask: expected a 3-D mask of shape {want}, got {tuple(m.shape)}")
                merged = m.view(B, self.num_heads, L, S)
            else:
                raise ValueError(f"attn_mask: expected a 2-D or 3-D mask, got shape {tuple(m.shape)}")
        if key_padding_mask is not None:
            m = _additive(key_padding_mask, "key_padding_mask", dtype)
            if m.shape != (B, S):
                raise ValueError(f"key_padding_mask: expected shape {(B, S)}, got {tuple(m.shape)}")
            m = m.view(B, 1, 1, S)
            merged = m if merged is None else merged + m
        return merged


def _additive(mask: torch.Tensor, name: str, dtype) -> torch.Tensor:
    """torch's MHA convention: bool True -> -inf (masked out), False -> 0; float masks are added as is."""
    if not isinstance(mask, torch.Tensor):
        raise TypeError(f"{name}: expected a torch.Tensor, got {type(mask).__name__}")
    if mask.dtype == torch.bool:
        return torch.zeros(mask.shape, dtype=dtype, device=mask.device).masked_fill_(mask, float("-inf"))
    if not mask.is_floating_point():
        raise TypeError(f"{name}: expected a bool or float tensor, got dtype {mask.dtype}")
    return mask.to(dtype)
