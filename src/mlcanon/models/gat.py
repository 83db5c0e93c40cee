"""GAT, the two-layer graph attention network of Veličković et al. (2018) for node classification.

Paper: Petar Veličković, Guillem Cucurull, Arantxa Casanova, Adriana Romero, Pietro Liò and Yoshua
Bengio (2018), "Graph Attention Networks" (ICLR). The transductive (Cora) model of its section 3.3:

    H = ELU( ∥_{k=1..8} Σ_j α^k_ij W^k x_j )              8 heads × 8 features, concatenated
    Z = mean_{k=1..K} Σ_j α^k_ij W'^k h_j                   the output layer, K = 1 head on Cora

with α the attention of :class:`mlcanon.nn.GATConv` (LeakyReLU slope 0.2, softmax over each node's
neighbourhood and itself), dropout p = 0.6 on both layers' inputs and on the attention coefficients,
trained with Adam (lr 0.005, L2 5e-4) and early stopping (patience 100). ``forward`` returns logits.

Built from :class:`mlcanon.nn.GATConv`; the layers are ``convs.0`` and ``convs.1``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from mlcanon.nn.graph import GATConv
from mlcanon.validation import check_int, check_scalar

__all__ = ["GAT"]


class GAT(nn.Module):
    """Two GATConv layers: ``heads`` concatenated heads and ELU, then ``out_heads`` averaged heads.

    Parameters
    ----------
    in_channels : int
    hidden_channels : int, default=8
        Features per head of the first layer.
    heads : int, default=8
    out_channels : int, default=7
    out_heads : int, default=1
        Heads of the output layer, averaged (1 on Cora; the paper uses 8 on PubMed).
    dropout : float, default=0.6
        On each layer's input and on the attention coefficients (training mode only).

    Examples
    --------
    >>> model = GAT(5, hidden_channels=2, heads=3, out_channels=4)
    >>> x, edge_index = torch.randn(6, 5), torch.tensor([[0, 1, 2, 3], [1, 0, 3, 2]])
    >>> model(x, edge_index).shape
    torch.Size([6, 4])
    """

    def __init__(self, in_channels: int, hidden_channels: int = 8, heads: int = 8, out_channels: int = 7,
                 out_heads: int = 1, dropout: float = 0.6):
        super().__init__()
        check_int(heads, "heads", minimum=1)
        self.dropout = check_scalar(dropout, "dropout", minimum=0.0, maximum=1.0)
        self.convs = nn.ModuleList([
            GATConv(in_channels, hidden_channels, heads=heads, dropout=dropout),
            GATConv(hidden_channels * heads, out_channels, heads=out_heads, concat=False, dropout=dropout),
        ])

    def reset_parameters(self) -> None:
        for conv in self.convs:
            conv.reset_parameters()

    def forward(self, x: torch.Tensor, edge_index: torch.Tensor):
        """x (N, in_channels), edge_index (2, E) -> logits (N, out_channels)."""
        x = F.dropout(x, p=self.dropout, training=self.training)
        x = F.elu(self.convs[0](x, edge_index))  # (N, heads * hidden)
        x = F.dropout(x, p=self.dropout, training=self.training)
        return self.convs[1](x, edge_index)  # (N, out)
