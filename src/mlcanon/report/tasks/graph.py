"""图神经网络 / 图嵌入 · Graphs: GCN and GAT equal to PyTorch Geometric, DeepWalk and node2vec on Cora.

Live (seconds): our GCNConv and GATConv with PyG's weights loaded strict give PyG's outputs on Cora;
a DeepWalk embedding with small walks, projected to 2-D by our PCA and coloured by class; a GAT trained
for a few epochs through ``mlcanon.tasks.graph`` and one node's attention over its neighbours. From the
benchmark JSON (``python -m benchmarks.graph_quality``, full recipes, with its date): each model's test
accuracy on the Planetoid split beside its paper's, and GCN's accuracy against the number of layers
(over-smoothing, ``--methods gcn_depth``).
"""

from __future__ import annotations

import json
import tempfile
import warnings
from pathlib import Path

import numpy as np

from mlcanon._paths import results_dir
from mlcanon.report.core import Note, Row, check, figure_from_matplotlib

_RESULTS = results_dir() / "graph_quality.json"
# Test accuracy on Cora's Planetoid split in the papers (DeepWalk's figure is Kipf & Welling's Table 2;
# node2vec's paper has no Cora figure, so its row is the goal).
_PAPERS = {"gcn": (81.5, "Kipf & Welling 2017"), "gcn_plain_loop": (81.5, "Kipf & Welling 2017"), "gat": (83.0, "Veličković et al. 2018"),
           "deepwalk": (67.2, "Kipf & Welling 2017, Table 2"), "node2vec": (70.0, "the goal (no Cora figure in its paper)")}
_NAMES = {"gcn": "GCN", "gcn_plain_loop": "GCN (the benchmark's earlier plain loop, same recipe)", "gat": "GAT (8 heads × 8)", "deepwalk": "DeepWalk + logistic regression",
          "node2vec": "node2vec (p 1, q 0.5) + logistic regression"}
# float32 sums over at most 169 neighbours of terms <= ~1, in an order that may differ between builds
_ATOL = 1e-5


def _benchmark() -> dict | None:
    return json.loads(_RESULTS.read_text()) if _RESULTS.is_file() else None


def _accuracy_row(name: str, entry: dict, date: str) -> Row:
    paper, who = _PAPERS[name]
    done, planned = entry.get("seeds_done", len(entry["per_seed"])), entry.get("seeds_planned", len(entry["per_seed"]))
    complete = done == planned
    via = f", {entry['path']}" if "path" in entry else ""
    return Row(f"{_NAMES[name]}: Cora (Planetoid split) test accuracy, mean ± std over {done} seeds: "
               f"{entry['test_accuracy_mean']:.2f} ± {entry['test_accuracy_std']:.2f} "
               f"(benchmark of {entry.get('date', date)}{via})",
               entry["test_accuracy_mean"], paper, who, kind="quality",
               tolerance=paper - entry["goal"] if complete else None,
               note="" if complete else f"info: {done} of {planned} seeds finished; the goal is judged on all")


def _pyg_parity() -> list:
    import torch

    from mlcanon import data
    from mlcanon.nn import GATConv, GCNConv

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import torch_geometric.nn as pyg
    except ImportError:
        return [Note("PyTorch Geometric is not installed (`pip install torch-geometric`): the parity rows are skipped.")]
    g = data.load("cora_planetoid")
    x = torch.from_numpy(g.x / g.x.sum(1, keepdims=True).clip(1))
    edge_index = torch.from_numpy(g.edge_index)
    rows = []
    for label, ours, ref in (
        ("GCNConv(1433, 16)", GCNConv(1433, 16), pyg.GCNConv(1433, 16)),
        ("GATConv(1433, 8, heads=8), eval mode, outputs and attention", GATConv(1433, 8, heads=8, dropout=0.6),
         pyg.GATConv(1433, 8, heads=8, dropout=0.6)),
    ):
        torch.manual_seed(0)
        ref.reset_parameters()
        ours.load_state_dict(ref.state_dict(), strict=True)
        ours.eval(), ref.eval()
        with torch.no_grad():
            if isinstance(ours, GATConv):
                a, (_, alpha_a) = ours(x, edge_index, return_attention_weights=True)
                b, (_, alpha_b) = ref(x, edge_index, return_attention_weights=True)
                diff = max(float((a - b).abs().max()), float((alpha_a - alpha_b).abs().max()))
            else:
                diff = float((ours(x, edge_index) - ref(x, edge_index)).abs().max())
        rows.append(Row(f"{label} on Cora with PyG's weights loaded strict: max |ours - PyG|", diff, 0.0,
                        "torch_geometric", tolerance=_ATOL))
    return rows


def _depth_figure(entry: dict):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    layers = sorted(entry["layers"], key=int)
    mean = [entry["layers"][k]["test_accuracy_mean"] for k in layers]
    std = [entry["layers"][k]["test_accuracy_std"] for k in layers]
    fig, ax = plt.subplots(figsize=(6.0, 3.2))
    ax.errorbar([int(k) for k in layers], mean, yerr=std, fmt="o-", capsize=3)
    ax.set_xlabel("GCN layers")
    ax.set_ylabel("test accuracy (%)")
    ax.set_xticks([int(k) for k in layers])
    ax.grid(alpha=0.3)
    return figure_from_matplotlib(
        fig, "Over-smoothing: GCN test accuracy against depth (Cora, Planetoid split)",
        f"16 hidden units a layer, the two-layer recipe otherwise; seeds {entry['seeds']}; "
        f"benchmark of {entry['date']} (python -m benchmarks.graph_quality --methods gcn_depth)")


def _attention(tmp: Path, epochs: int = 10):
    """A GAT trained ``epochs`` epochs through the task; one test node's first-layer attention (mean of heads)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import torch

    from mlcanon.tasks import graph
    from mlcanon.tasks.graph.pipeline import graph_tensors

    out = tmp / "gat"
    graph.train(graph.GraphTrainArgs("gat", out, graph.GraphSource("cora_planetoid"), epochs=epochs), progress=False)
    clf = graph.load(out)
    g = clf.graph
    t = graph_tensors(g, clf.config["row_normalize"])
    with torch.no_grad():
        _, (ei, alpha) = clf.model.convs[0](t["x"], t["edge_index"], return_attention_weights=True)  # alpha (E', heads)
    degree = np.bincount(g.edge_index[1], minlength=g.num_nodes)
    test = np.flatnonzero(g.test_mask)
    node = int(test[np.argmin(np.abs(degree[test] - 8))])  # a test node with about 8 neighbours
    into = (ei[1] == node).numpy()
    sources, heads = ei[0].numpy()[into], alpha.numpy()[into]  # (deg + 1,), (deg + 1, 8)
    order = np.argsort(-heads.mean(1))
    sources, heads = sources[order], heads[order]
    same = g.y[sources] == g.y[node]
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    image = ax.imshow(heads.T, cmap="viridis", aspect="auto")
    fig.colorbar(image, ax=ax, label="attention α")
    ax.set_xticks(range(len(sources)), [("self" if s == node else str(s)) + ("" if k else " ✗")
                                        for s, k in zip(sources, same)], rotation=45, fontsize=8)
    ax.set_yticks(range(heads.shape[1]), [f"head {h + 1}" for h in range(heads.shape[1])], fontsize=8)
    ax.set_xlabel(f"neighbours of node {node} ({g.class_names[g.y[node]]}; ✗: another class)")
    return figure_from_matplotlib(
        fig, f"GAT: node {node}'s first-layer attention over its {len(sources) - 1} neighbours and itself, per head",
        f"a GAT trained {epochs} epochs live through mlcanon.tasks.graph (the full recipe runs ~600 epochs); "
        f"each head's weights over the neighbourhood sum to 1 (uniform would be {1 / len(sources):.3f}; here "
        f"{heads.min():.3f}-{heads.max():.3f}); predicted {clf.predict([str(node)])[0]}")


def _embedding_figure():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from mlcanon import data
    from mlcanon.decompose import PCA
    from mlcanon.models import DeepWalk

    g = data.load("cora_planetoid")
    emb = DeepWalk(dim=32, walk_length=20, walks_per_node=4, window=5, random_state=0).fit_transform(
        g.edge_index, g.num_nodes)
    emb = emb / np.linalg.norm(emb, axis=1, keepdims=True)
    xy = PCA(n_components=2).fit_transform(emb)
    fig, ax = plt.subplots(figsize=(6.0, 4.6))
    for k, name in enumerate(g.class_names):
        ax.scatter(*xy[g.y == k].T, s=4, alpha=0.6, label=name)
    ax.legend(fontsize=7, markerscale=3, frameon=False, loc="best")
    ax.set_xticks([]), ax.set_yticks([])
    return figure_from_matplotlib(
        fig, "DeepWalk embeddings of Cora's 2,708 papers, projected to 2-D by our PCA, coloured by class",
        "32-d skip-gram on 4 walks of 20 nodes from every node, live (seconds); the benchmark's 128-d "
        "embeddings are the ones scored")


@check("图神经网络 — GCN and GAT: equal to PyG, accuracy beside the papers', over-smoothing, attention")
def gnn_rows(ctx):
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        items = _pyg_parity()
        with tempfile.TemporaryDirectory() as tmp:
            items.append(_attention(Path(tmp)))
    finally:
        torch.set_num_threads(threads)
    bench = _benchmark()
    if bench is None:
        return items + [Note("The accuracy rows appear after `python -m benchmarks.graph_quality`.")]
    results = bench.get("results", {})
    items += [_accuracy_row(m, results[m], bench["date"]) for m in ("gcn", "gcn_plain_loop", "gat") if m in results]
    if "gcn_depth" in results:
        items.append(_depth_figure(results["gcn_depth"]))
    else:
        items.append(Note("GCN depth 1-8 (over-smoothing) appears after "
                          "`python -m benchmarks.graph_quality --methods gcn_depth`."))
    return items


@check("图嵌入 — DeepWalk and node2vec: accuracy beside the papers', the embedding in 2-D")
def embedding_rows(ctx):
    items = [_embedding_figure()]
    bench = _benchmark()
    if bench is None:
        return items + [Note("The accuracy rows appear after `python -m benchmarks.graph_quality`.")]
    results = bench.get("results", {})
    return items + [_accuracy_row(m, results[m], bench["date"]) for m in ("deepwalk", "node2vec") if m in results]
