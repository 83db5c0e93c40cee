"""``mlcanon graph train|evaluate|predict``: node classification (calls :mod:`mlcanon.tasks.graph`).

    mlcanon graph train --model gcn|gat|deepwalk|node2vec (--data cora_planetoid|cora |
                        --edges FILE --features FILE --labels FILE) --out DIR [--seed S] ...
    mlcanon graph evaluate --model DIR [--split test|val|train|all] [--json]
    mlcanon graph predict --model DIR [--input FILE]      # node ids in, one a line; id, label, probability out

``--data cora`` and a user's graph are split 60/20/20 % per class by ``--seed``; ``cora_planetoid`` has
its fixed 140/500/1000 split.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from mlcanon.cli._contract import (
    AsJson,
    CheckpointEvery,
    Epochs,
    InputFile,
    Limit,
    Lr,
    ModelName,
    OutDir,
    Resume,
    Seed,
    print_metrics,
    print_summary,
    read_lines,
    user_errors,
)

app = typer.Typer(help="Node classification: GCN, GAT, DeepWalk, node2vec on Cora or your own graph.",
                  no_args_is_help=True)

GraphData = Annotated[str | None, typer.Option(
    "--data", help="Bundled graph: cora_planetoid (fixed split) or cora (split 60/20/20 % per class by --seed).")]
Edges = Annotated[Path | None, typer.Option("--edges", help="Edge list: 'source target' a line.")]
Features = Annotated[Path | None, typer.Option("--features", help="Node features: 'node_id f1 ... fF' a line.")]
Labels = Annotated[Path | None, typer.Option("--labels", help="Node labels: 'node_id label' a line.")]
GraphSplit = Annotated[str, typer.Option("--split", help="Nodes to score: test, val, train or all.")]


def _source(data, edges, features, labels):
    from mlcanon.tasks.graph import GraphSource

    return GraphSource(data, edges, features, labels)


@app.command("train")
def graph_train(model: ModelName, out: OutDir, data: GraphData = None, edges: Edges = None,
                features: Features = None, labels: Labels = None, epochs: Epochs = None, seed: Seed = 0,
                lr: Lr = None, limit: Limit = None, resume: Resume = False,
                checkpoint_every: CheckpointEvery = None,
                layers: Annotated[int, typer.Option("--layers", min=1, help="GCN layers (gcn only).")] = 2,
                dim: Annotated[int | None, typer.Option("--dim", help="Embedding size (deepwalk, node2vec).")] = None,
                walk_length: Annotated[int | None, typer.Option("--walk-length", help="Nodes a walk.")] = None,
                walks_per_node: Annotated[int | None, typer.Option("--walks-per-node", help="Walks from each node.")] = None,
                p: Annotated[float | None, typer.Option("--p", help="node2vec return parameter.")] = None,
                q: Annotated[float | None, typer.Option("--q", help="node2vec in-out parameter.")] = None) -> None:
    """Train a node classifier (models: gcn, gat, deepwalk, node2vec)."""
    with user_errors():
        from mlcanon.tasks import graph

        args = graph.GraphTrainArgs(model=model, out=out, source=_source(data, edges, features, labels),
                                    epochs=epochs, seed=seed, lr=lr, limit=limit, resume=resume,
                                    checkpoint_every=checkpoint_every, layers=layers, dim=dim,
                                    walk_length=walk_length, walks_per_node=walks_per_node, p=p, q=q)
        summary = graph.train(args)
    print_summary(out, summary)


@app.command("evaluate")
def graph_evaluate(model: ModelName, data: GraphData = None, edges: Edges = None, features: Features = None,
                   labels: Labels = None, split: GraphSplit = "test", as_json: AsJson = False) -> None:
    """Score a trained model on its graph's test (or val/train/all) nodes: accuracy, macro-F1, per class.

    The graph is the one it was trained on (give --data or the files only if they moved).
    """
    with user_errors():
        from mlcanon.tasks import graph

        source = _source(data, edges, features, labels) if data or edges or features or labels else None
        metrics = graph.evaluate(model, source, split=split)
    print_metrics(metrics, as_json, f"graph {model}")


@app.command("predict")
def graph_predict(model: ModelName, input: InputFile = None, data: GraphData = None, edges: Edges = None,
                  features: Features = None, labels: Labels = None) -> None:
    """Label nodes: one node id a line in, 'node_id<TAB>label<TAB>probability' out."""
    with user_errors():
        from mlcanon.tasks import graph

        source = _source(data, edges, features, labels) if data or edges or features or labels else None
        for line in graph.predict(model, read_lines(input), source):
            sys.stdout.write(line + "\n")
