"""Graph convolutions: GCN (Kipf & Welling) and graph attention (Veličković et al.), by gather and scatter.

Papers
------
- Kipf & Welling (2017), "Semi-Supervised Classification with Graph Convolutional Networks":

      H' = Â H W + b,    Â = D̃^{-1/2} (A + I) D̃^{-1/2},    D̃_ii = Σ_j (A + I)_ij

  the first-order approximation of a spectral filter; the self-loop keeps a node's own features
  and the symmetric normalisation keeps the scale of H from growing with the degree
  ("improved" uses A + 2I, giving the node itself more weight).
- Veličković et al. (2018), "Graph Attention Networks": for each edge j -> i and head k,

      e_ij = LeakyReLU_0.2( a_srcᵀ W h_j + a_dstᵀ W h_i )
      α_ij = softmax over the neighbourhood N(i) ∪ {i} of e_ij
      h'_i = ∥_k Σ_j α^k_ij W^k h_j      (concatenated heads; the mean over heads for an output layer)

  The attention vector a = [a_dst; a_src] of the paper is split in two so each node's two scores
  are computed once (N·H work) rather than once per edge.

A graph is a ``(2, E)`` LongTensor ``edge_index`` of source → target pairs (an undirected graph holds
both directions). A layer gathers the source rows ``x[src]`` (E, C), weights them, and adds them into
their targets with ``index_add_``: ``out[i] = Σ_{e: dst_e = i} w_e x[src_e]``, Â H without building Â.

Reference whose numbers these match: PyTorch Geometric's ``GCNConv`` and ``GATConv`` (same parameter
names ``lin.weight``, ``bias``, ``att_src``, ``att_dst``; the tests load PyG's state dict with
``strict=True`` and compare outputs, gradients and attention weights on Cora). One deliberate
difference: PyG's ``GCNConv(improved=True)`` gives the self-loops weight 1 when no ``edge_weight`` is
passed (``improved`` only acts on weighted graphs, PyG 2.8.1); here the self-loops weigh 2 as the
paper says, in both cases.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from mlcanon.validation import check_int, check_scalar

__all__ = [
    "GATConv",
    "GCNConv",
    "add_remaining_self_loops",
    "check_graph",
    "gcn_norm",
    "segment_softmax",
]


# ----------------------------------------------------------------------------------------------
# input checks and graph utilities
# ----------------------------------------------------------------------------------------------


def check_graph(x, edge_index, edge_weight=None) -> None:
    """Check node features ``x`` (N, F), ``edge_index`` (2, E) in [0, N) and ``edge_weight`` (E,)."""
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"x: expected a torch.Tensor of shape (num_nodes, in_channels), got {type(x).__name__}")
    if x.dim() != 2:
        raise ValueError(f"x: expected a 2-D tensor of shape (num_nodes, in_channels), got shape {tuple(x.shape)}")
    if x.shape[0] == 0:
        raise ValueError("x: expected at least one node, got an empty graph (0 rows)")
    if not isinstance(edge_index, torch.Tensor):
        raise TypeError(f"edge_index: expected a torch.Tensor of shape (2, num_edges), got {type(edge_index).__name__}")
    if edge_index.dim() != 2 or edge_index.shape[0] != 2:
        raise ValueError(f"edge_index: expected shape (2, num_edges), got shape {tuple(edge_index.shape)}")
    if edge_index.dtype != torch.long:
        raise ValueError(f"edge_index: expected dtype torch.int64, got {edge_index.dtype}")
    N = x.shape[0]
    if edge_index.numel():
        lo, hi = int(edge_index.min()), int(edge_index.max())
        if lo < 0 or hi >= N:
            raise ValueError(f"edge_index: expected node indices in [0, {N}) (x has {N} rows), "
                             f"got values in [{lo}, {hi}]")
    if edge_weight is not None:
        if not isinstance(edge_weight, torch.Tensor):
            raise TypeError(f"edge_weight: expected a torch.Tensor of shape (num_edges,), got {type(edge_weight).__name__}")
        if tuple(edge_weight.shape) != (edge_index.shape[1],):
            raise ValueError(f"edge_weight: expected shape ({edge_index.shape[1]},) (one weight per edge), "
                             f"got shape {tuple(edge_weight.shape)}")


def add_remaining_self_loops(edge_index, edge_weight, fill_value: float, num_nodes: int):
    """Add the loop i -> i to every node; a loop already present keeps its weight (others get ``fill_value``).

    The edges come out as [the non-loop edges in their order, then the loops 0..N-1], PyG's order.
    """
    src, dst = edge_index
    is_loop = src == dst  # (E,)
    loops = torch.arange(num_nodes, device=edge_index.device)
    if edge_weight is not None:
        loop_weight = edge_weight.new_full((num_nodes,), fill_value)
        loop_weight[src[is_loop]] = edge_weight[is_loop]
        edge_weight = torch.cat([edge_weight[~is_loop], loop_weight])
    edge_index = torch.cat([edge_index[:, ~is_loop], torch.stack([loops, loops])], dim=1)
    return edge_index, edge_weight


def gcn_norm(edge_index, edge_weight=None, num_nodes: int | None = None, improved: bool = False,
             add_self_loops: bool = True, dtype=torch.float32):
    """The edges and weights of Â = D̃^{-1/2} (A + I) D̃^{-1/2} (A + 2I with ``improved``).

    D̃ sums the weights coming *into* each node (the row sums of Â's target rows); a node with
    degree 0 gets 0 instead of 1/√0.

    Returns
    -------
    edge_index : (2, E') LongTensor
    edge_weight : (E',) tensor, the entries of Â
    """
    N = int(edge_index.max()) + 1 if num_nodes is None else num_nodes
    if edge_weight is None:
        edge_weight = torch.ones(edge_index.shape[1], dtype=dtype, device=edge_index.device)
    if add_self_loops:
        edge_index, edge_weight = add_remaining_self_loops(edge_index, edge_weight, 2.0 if improved else 1.0, N)
    src, dst = edge_index
    deg = edge_weight.new_zeros(N).index_add_(0, dst, edge_weight)  # (N,)
    deg_inv_sqrt = deg.pow(-0.5).masked_fill(deg == 0, 0.0)
    return edge_index, deg_inv_sqrt[src] * edge_weight * deg_inv_sqrt[dst]


def segment_softmax(scores: torch.Tensor, index: torch.Tensor, num_segments: int) -> torch.Tensor:
    """Softmax of ``scores`` (E, ...) over the entries that share ``index`` (E,): each node's in-edges.

    Subtracting each segment's maximum first keeps exp() from overflowing; it cancels in the ratio.
    """
    shape = (num_segments,) + scores.shape[1:]
    idx = index.view(-1, *([1] * (scores.dim() - 1))).expand_as(scores)
    seg_max = scores.new_full(shape, float("-inf")).scatter_reduce(0, idx, scores.detach(), "amax")
    exp = (scores - seg_max.index_select(0, index)).exp()  # (E, ...)
    seg_sum = scores.new_zeros(shape).index_add_(0, index, exp)  # (N, ...)
    return exp / (seg_sum.index_select(0, index) + 1e-16)


def _glorot_(t: torch.Tensor) -> None:
    # Glorot & Bengio (2010) uniform over the last two dims, PyG's init for lin.weight and att_*.
    bound = math.sqrt(6.0 / (t.shape[-2] + t.shape[-1]))
    with torch.no_grad():
        t.uniform_(-bound, bound)


# ----------------------------------------------------------------------------------------------
# GCN
# ----------------------------------------------------------------------------------------------


class GCNConv(nn.Module):
    """Graph convolution of Kipf & Welling (2017): ``H' = Â (H W) + b``.

    Parameters
    ----------
    in_channels, out_channels : int
    improved : bool, default=False
        Use A + 2I instead of A + I.
    cached : bool, default=False
        Compute Â on the first call and reuse it (for a fixed graph, transductive training).
    add_self_loops : bool, default=True
    normalize : bool, default=True
        Without it, H' = A_w H W + b with the edge weights as given (no self-loops added).
    bias : bool, default=True

    Attributes
    ----------
    lin : nn.Linear without bias, weight of shape (out_channels, in_channels)
    bias : nn.Parameter of shape (out_channels,) or None

    Examples
    --------
    >>> conv = GCNConv(3, 2)
    >>> x = torch.randn(4, 3)
    >>> edge_index = torch.tensor([[0, 1, 1, 2], [1, 0, 2, 1]])
    >>> conv(x, edge_index).shape
    torch.Size([4, 2])
    """

    def __init__(self, in_channels: int, out_channels: int, improved: bool = False, cached: bool = False,
                 add_self_loops: bool = True, normalize: bool = True, bias: bool = True):
        super().__init__()
        self.in_channels = check_int(in_channels, "in_channels", minimum=1)
        self.out_channels = check_int(out_channels, "out_channels", minimum=1)
        if add_self_loops and not normalize:
            raise ValueError("add_self_loops: expected False when normalize=False (self-loops are added while "
                             "normalising; without normalising, pass them in edge_index), got True")
        self.improved, self.cached = bool(improved), bool(cached)
        self.add_self_loops, self.normalize = bool(add_self_loops), bool(normalize)
        self.lin = nn.Linear(in_channels, out_channels, bias=False)
        self.bias = nn.Parameter(torch.empty(out_channels)) if bias else None
        self._cache = None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        _glorot_(self.lin.weight)
        if self.bias is not None:
            nn.init.zeros_(self.bias)
        self._cache = None

    def forward(self, x: torch.Tensor, edge_index: torch.Tensor, edge_weight: torch.Tensor | None = None):
        """x (N, in_channels), edge_index (2, E), edge_weight (E,) or None -> (N, out_channels)."""
        check_graph(x, edge_index, edge_weight)
        N = x.shape[0]
        if self.normalize:
            if self._cache is None:
                edge_index, edge_weight = gcn_norm(edge_index, edge_weight, N, self.improved,
                                                   self.add_self_loops, x.dtype)
                if self.cached:
                    self._cache = (edge_index, edge_weight)
            else:
                edge_index, edge_weight = self._cache
        h = self.lin(x)  # (N, C): transform first, then aggregate the narrower rows
        src, dst = edge_index
        messages = h.index_select(0, src)  # (E, C)
        if edge_weight is not None:
            messages = messages * edge_weight.unsqueeze(-1)
        out = h.new_zeros(N, h.shape[1]).index_add_(0, dst, messages)  # (N, C)
        return out if self.bias is None else out + self.bias

    def extra_repr(self) -> str:
        return f"{self.in_channels}, {self.out_channels}"


# ----------------------------------------------------------------------------------------------
# GAT
# ----------------------------------------------------------------------------------------------


class GATConv(nn.Module):
    """Graph attention layer of Veličković et al. (2018), ``heads`` attention heads.

    Parameters
    ----------
    in_channels, out_channels : int
        ``out_channels`` per head.
    heads : int, default=1
    concat : bool, default=True
        Concatenate the heads (output ``heads * out_channels``) or average them (``out_channels``,
        the paper's output layer).
    negative_slope : float, default=0.2
        Of the LeakyReLU on the attention scores.
    dropout : float, default=0.0
        Dropout on the normalised attention coefficients (training mode only): each node sees a
        random subset of its neighbourhood, the paper's regulariser on Cora.
    add_self_loops : bool, default=True
        Remove existing loops and add one per node, so each node attends to itself.
    bias : bool, default=True

    Attributes
    ----------
    lin : nn.Linear without bias, weight of shape (heads * out_channels, in_channels)
    att_src, att_dst : nn.Parameter of shape (1, heads, out_channels)
    bias : nn.Parameter of shape (heads * out_channels,) if concat else (out_channels,), or None

    Examples
    --------
    >>> conv = GATConv(3, 4, heads=2)
    >>> edge_index = torch.tensor([[0, 1, 1, 2], [1, 0, 2, 1]])
    >>> out, (ei, alpha) = conv(torch.randn(3, 3), edge_index, return_attention_weights=True)
    >>> out.shape, alpha.shape
    (torch.Size([3, 8]), torch.Size([7, 2]))
    """

    def __init__(self, in_channels: int, out_channels: int, heads: int = 1, concat: bool = True,
                 negative_slope: float = 0.2, dropout: float = 0.0, add_self_loops: bool = True, bias: bool = True):
        super().__init__()
        self.in_channels = check_int(in_channels, "in_channels", minimum=1)
        self.out_channels = check_int(out_channels, "out_channels", minimum=1)
        self.heads = check_int(heads, "heads", minimum=1)
        self.concat = bool(concat)
        self.negative_slope = check_scalar(negative_slope, "negative_slope", minimum=0.0)
        self.dropout = check_scalar(dropout, "dropout", minimum=0.0, maximum=1.0)
        self.add_self_loops = bool(add_self_loops)
        self.lin = nn.Linear(in_channels, heads * out_channels, bias=False)
        self.att_src = nn.Parameter(torch.empty(1, heads, out_channels))
        self.att_dst = nn.Parameter(torch.empty(1, heads, out_channels))
        width = heads * out_channels if concat else out_channels
        self.bias = nn.Parameter(torch.empty(width)) if bias else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        _glorot_(self.lin.weight)
        _glorot_(self.att_src)
        _glorot_(self.att_dst)
        if self.bias is not None:
            nn.init.zeros_(self.bias)

    def forward(self, x: torch.Tensor, edge_index: torch.Tensor, return_attention_weights: bool | None = None):
        """x (N, in_channels), edge_index (2, E) -> (N, heads*out_channels) or (N, out_channels).

        With ``return_attention_weights=True`` also returns ``(edge_index, alpha)``: the edges used
        (self-loops appended) and the coefficients α of shape (E', heads).
        """
        check_graph(x, edge_index)
        N, H, C = x.shape[0], self.heads, self.out_channels
        h = self.lin(x).view(N, H, C)  # (N, H, C)
        score_src = (h * self.att_src).sum(-1)  # (N, H): a_srcᵀ W h_j
        score_dst = (h * self.att_dst).sum(-1)  # (N, H): a_dstᵀ W h_i
        if self.add_self_loops:
            edge_index = _replace_self_loops(edge_index, N)
        src, dst = edge_index
        e = F.leaky_relu(score_src.index_select(0, src) + score_dst.index_select(0, dst), self.negative_slope)  # (E, H)
        alpha = segment_softmax(e, dst, N)  # (E, H), sums to 1 over each node's in-edges
        alpha = F.dropout(alpha, p=self.dropout, training=self.training)
        messages = h.index_select(0, src) * alpha.unsqueeze(-1)  # (E, H, C)
        out = h.new_zeros(N, H, C).index_add_(0, dst, messages)  # (N, H, C)
        out = out.reshape(N, H * C) if self.concat else out.mean(dim=1)
        if self.bias is not None:
            out = out + self.bias
        if return_attention_weights:
            return out, (edge_index, alpha)
        return out

    def extra_repr(self) -> str:
        return f"{self.in_channels}, {self.out_channels}, heads={self.heads}, concat={self.concat}"


def _replace_self_loops(edge_index: torch.Tensor, num_nodes: int) -> torch.Tensor:
    """Drop the loops edge_index has and append one loop per node (PyG's order)."""
    keep = edge_index[0] != edge_index[1]
    loops = torch.arange(num_nodes, device=edge_index.device)
    return torch.cat([edge_index[:, keep], torch.stack([loops, loops])], dim=1)
