"""GCN, the two-layer graph convolutional network of Kipf & Welling (2017) for node classification.

Paper: Thomas N. Kipf and Max Welling (2017), "Semi-Supervised Classification with Graph
Convolutional Networks" (ICLR). The model of its section 3.1:

    Z = Â · ReLU(Â X W⁽⁰⁾) · W⁽¹⁾,      Â = D̃^{-1/2} (A + I) D̃^{-1/2}

with dropout on the input of each layer (p = 0.5), 16 hidden units, trained with cross-entropy on
the labelled nodes only, Adam (lr 0.01) and L2 weight decay 5e-4 on the first layer's weights. The
softmax is left to the loss: ``forward`` returns the logits Z.

Built from :class:`mlcanon.nn.GCNConv`; the layers are ``convs.0 .. convs.{L-1}``, the names of
PyTorch Geometric's ``torch_geometric.nn.models.GCN``. The training loop is not here (a model
does not know its optimiser): see ``benchmarks/graph_quality.py`` for the paper's recipe.
"""

from __future__ import annotations

import itertools

import torch
import torch.nn.functional as F
from torch import nn

from mlcanon.nn.graph import GCNConv
from mlcanon.validation import check_int, check_scalar

__all__ = ["GCN"]


class GCN(nn.Module):
    """Graph convolutional network: ``num_layers`` GCNConv layers, ReLU and dropout between them.

    Parameters
    ----------
    in_channels : int
        Features per node (1,433 for Cora).
    hidden_channels : int, default=16
    out_channels : int, default=7
        Classes (7 for Cora).
    num_layers : int, default=2
    dropout : float, default=0.5
        Applied to the input of every layer (the paper's choice), training mode only.
    cached : bool, default=False
        Compute Â once and reuse it: for training on one fixed graph.

    Examples
    --------
    >>> model = GCN(5, hidden_channels=4, out_channels=3)
    >>> x, edge_index = torch.randn(6, 5), torch.tensor([[0, 1, 2, 3], [1, 0, 3, 2]])
    >>> model(x, edge_index).shape
    torch.Size([6, 3])
    """

    def __init__(self, in_channels: int, hidden_channels: int = 16, out_channels: int = 7, num_layers: int = 2,
                 dropout: float = 0.5, cached: bool = False):
        super().__init__()
        check_int(num_layers, "num_layers", minimum=1)
        self.dropout = check_scalar(dropout, "dropout", minimum=0.0, maximum=1.0)
        widths = [in_channels] + [hidden_channels] * (num_layers - 1) + [out_channels]
        self.convs = nn.ModuleList(GCNConv(a, b, cached=cached) for a, b in itertools.pairwise(widths))

    def reset_parameters(self) -> None:
        for conv in self.convs:
            conv.reset_parameters()

    def forward(self, x: torch.Tensor, edge_index: torch.Tensor, edge_weight: torch.Tensor | None = None):
        """x (N, in_channels), edge_index (2, E) -> logits (N, out_channels)."""
        for i, conv in enumerate(self.convs):
            x = F.dropout(x, p=self.dropout, training=self.training)
            x = conv(x, edge_index, edge_weight)  # (N, hidden) or, last, (N, out)
            if i < len(self.convs) - 1:
                x = F.relu(x)
        return x
