"""Graph layers: one full-batch training epoch on Cora, mlcanon's GCN / GAT vs the same models from PyG's layers.

An epoch is forward + cross-entropy on the 140 training nodes + backward + Adam step, in training mode
(dropout on). Both sides are built the same way: the paper's two-layer GCN (16 hidden, cached Â) and
GAT (8 heads × 8, 1 output head), with the reference's layers ``torch_geometric.nn.GCNConv`` /
``GATConv`` in the same wrapper, and the same weights. Goal: ratio <= 1.0.
"""

from __future__ import annotations

import warnings

import torch
import torch.nn.functional as F

from benchmarks.harness import compare
from mlcanon._threads import single_thread


def run(repeats: int = 5, quick: bool = False):
    # One thread for both sides: on a shared 2-core machine, waiting threads make timings random.
    with single_thread():
        return _run(repeats, quick)


class _PygGCN(torch.nn.Module):
    def __init__(self, pyg, f, c):
        super().__init__()
        self.convs = torch.nn.ModuleList([pyg.GCNConv(f, 16, cached=True), pyg.GCNConv(16, c, cached=True)])

    def forward(self, x, edge_index):
        x = F.relu(self.convs[0](F.dropout(x, 0.5, self.training), edge_index))
        return self.convs[1](F.dropout(x, 0.5, self.training), edge_index)


class _PygGAT(torch.nn.Module):
    def __init__(self, pyg, f, c):
        super().__init__()
        self.convs = torch.nn.ModuleList([pyg.GATConv(f, 8, heads=8, dropout=0.6),
                                          pyg.GATConv(64, c, heads=1, concat=False, dropout=0.6)])

    def forward(self, x, edge_index):
        x = F.elu(self.convs[0](F.dropout(x, 0.6, self.training), edge_index))
        return self.convs[1](F.dropout(x, 0.6, self.training), edge_index)


def _run(repeats: int, quick: bool):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import torch_geometric.nn as pyg

    from mlcanon import data
    from mlcanon.models import GAT, GCN

    g = data.load("cora_planetoid")
    x = torch.from_numpy(g.x / g.x.sum(1, keepdims=True).clip(1))
    edge_index, y, train = torch.from_numpy(g.edge_index), torch.from_numpy(g.y), torch.from_numpy(g.train_mask)
    epochs = 2 if quick else 10  # epochs per timed call: a call is ~10-100 ms, too short alone on a loaded machine

    def epoch_fn(model):
        opt = torch.optim.Adam(model.parameters(), lr=0.01, weight_decay=5e-4)
        model.train()

        def step():
            for _ in range(epochs):
                opt.zero_grad()
                F.cross_entropy(model(x, edge_index)[train], y[train]).backward()
                opt.step()
        return step

    cases = []
    for name, ours, theirs in [("GCN", GCN(x.shape[1], 16, 7, cached=True), _PygGCN(pyg, x.shape[1], 7)),
                               ("GAT", GAT(x.shape[1], 8, 8, 7), _PygGAT(pyg, x.shape[1], 7))]:
        ours.load_state_dict(theirs.state_dict(), strict=True)
        ours.eval(), theirs.eval()
        with torch.no_grad():
            diff = float((ours(x, edge_index) - theirs(x, edge_index)).abs().max())
        cases.append(compare(
            f"{name} training epoch on Cora (x{epochs})", epoch_fn(ours), epoch_fn(theirs),
            reference_name="torch_geometric", repeats=repeats, warmup=1, goal=1.0,
            params={"nodes": g.num_nodes, "edges": g.num_edges, "features": g.num_features,
                    "epochs_per_call": epochs, "threads": torch.get_num_threads(), "eval_logits_max_abs_diff": diff},
            notes="measured on a shared 2-core machine under load (load average 6-8); ours and PyG alternate"))
    return cases
