"""``mlcanon graph``: node classification on Cora or a user's graph — train, evaluate, predict, load.

Models (``--model``), each with its paper's recipe on Cora:

* ``gcn`` — Kipf & Welling (2017): two GCN layers (16 hidden, ``--layers`` for more), dropout 0.5,
  Adam lr 0.01, L2 5e-4 on the first layer only, at most 200 epochs, early stopping on the validation
  loss with patience 10, the best validation loss's weights kept.
* ``gat`` — Veličković et al. (2018): 8 heads × 8 hidden, ELU, dropout 0.6 on inputs and attention,
  Adam lr 0.005, L2 5e-4 on all weights, at most 1,000 epochs, patience 100 on the validation loss.
* ``deepwalk`` (Perozzi et al. 2014) / ``node2vec`` (Grover & Leskovec 2016, p = 1, q = 0.5) — 128-d
  skip-gram on 10 walks of 40 nodes from every node, window 5; then our
  :class:`mlcanon.classic.LogisticRegression` on the L2-normalised embeddings of the training nodes,
  its C chosen on the validation nodes from {0.1, 1, 10}. Fitted in one go: no trainer, no checkpoint.

GCN and GAT train on the one trainer (:mod:`mlcanon.training`), full batch: the training set is a
data set of one item, the whole graph; the loss is the cross-entropy on the training nodes, and
``score`` returns the validation loss (the selection metric, as in both papers) and accuracy.

The setting is transductive: a model is evaluated and queried on the graph it was trained on (its
node ids are kept in ``nodes.txt``, its split in ``split.json``). The folder::

    config.json, model.safetensors (weights, or embeddings + the classifier's coefficients),
    log.jsonl, checkpoint/ (gcn, gat), nodes.txt, split.json
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from mlcanon.data.graphs import GraphData
from mlcanon.tasks.contract import (
    check_choice,
    check_out_dir,
    read_config,
    warn_unseen_labels,
    write_config,
)
from mlcanon.tasks.graph.features import (
    GraphSource,
    Split,
    load_graph,
    node_features,
    node_ids,
    split_for,
)
from mlcanon.training import TrainConfig, Trainer, load_weights, set_seed

__all__ = ["MODELS", "GraphTrainArgs", "NodeClassifier", "evaluate", "graph_tensors", "load", "predict", "train"]

TASK = "graph"
GNN_MODELS = ("gcn", "gat")
EMBEDDING_MODELS = ("deepwalk", "node2vec")
MODELS = GNN_MODELS + EMBEDDING_MODELS
RECIPES = {  # the papers' settings (module docstring); --epochs and --lr override
    "gcn": {"epochs": 200, "lr": 0.01, "patience": 10, "first_layer_weight_decay": 5e-4, "weight_decay": 0.0},
    "gat": {"epochs": 1000, "lr": 0.005, "patience": 100, "first_layer_weight_decay": None, "weight_decay": 5e-4},
}
WALKS = {"dim": 128, "walk_length": 40, "walks_per_node": 10, "window": 5}
NODE2VEC_PQ = (1.0, 0.5)  # q < 1: walks move outwards (DFS-like), which favours communities (homophily)
C_GRID = (0.1, 1.0, 10.0)
NODES, SPLIT = "nodes.txt", "split.json"


@dataclass
class GraphTrainArgs:
    """The arguments of ``mlcanon graph train``."""

    model: str
    out: Path
    source: GraphSource
    epochs: int | None = None
    seed: int = 0
    lr: float | None = None
    limit: int | None = None  # keep the first N training nodes
    resume: bool = False
    checkpoint_every: int | None = None
    layers: int = 2  # gcn only
    dim: int | None = None  # deepwalk / node2vec
    walk_length: int | None = None
    walks_per_node: int | None = None
    p: float | None = None  # node2vec only
    q: float | None = None

    def __post_init__(self) -> None:
        check_choice(self.model, "--model", MODELS)
        self.out = Path(self.out)
        if not isinstance(self.source, GraphSource):
            raise TypeError(f"source: expected a GraphSource, got {type(self.source).__name__}")
        if self.limit is not None and self.limit < 1:
            raise ValueError(f"--limit: expected a number of training nodes >= 1, got {self.limit}")
        if self.layers < 1:
            raise ValueError(f"--layers: expected a number of GCN layers >= 1, got {self.layers}")
        if self.layers != 2 and self.model != "gcn":
            raise ValueError(f"--layers: only for gcn (the {self.model} recipe is fixed), got {self.layers}")
        walk_flags = {"--dim": self.dim, "--walk-length": self.walk_length, "--walks-per-node": self.walks_per_node}
        pq_flags = {"--p": self.p, "--q": self.q}
        for flag, value in {**walk_flags, **pq_flags}.items():
            if value is not None and value <= 0:
                raise ValueError(f"{flag}: expected a positive number, got {value}")
        given = [f for f, v in walk_flags.items() if v is not None]
        if self.model in GNN_MODELS and given:
            raise ValueError(f"{given[0]}: only for deepwalk and node2vec, not {self.model}")
        if self.model != "node2vec" and any(v is not None for v in pq_flags.values()):
            raise ValueError(f"--p / --q: only for node2vec, not {self.model}")


# ---------------------------------------------------------------------------------------------
# data
# ---------------------------------------------------------------------------------------------


def _prepare(source: GraphSource, seed: int, limit: int | None) -> tuple[GraphData, Split, bool]:
    graph = load_graph(source)
    if graph.num_edges == 0:
        raise ValueError(f"--edges: the graph of {graph.source} has no edges; a graph model needs at least one")
    split = split_for(graph, source, seed)
    if limit is not None:
        split = Split(split.name + f", first {limit} training nodes", split.train[:limit], split.val, split.test,
                      split.seed)
    if len(np.unique(graph.y[split.train])) < 2:
        raise ValueError(f"--labels: expected at least 2 classes among the training nodes, got "
                         f"{[graph.class_names[k] for k in np.unique(graph.y[split.train])]}")
    return graph, split, bool(graph.x.min() >= 0)


class _WholeGraph(torch.utils.data.Dataset):
    """A data set of one item, the whole graph: full-batch training on the one trainer."""

    def __init__(self, item: dict) -> None:
        self.item = item

    def __len__(self) -> int:
        return 1

    def __getitem__(self, i: int) -> dict:
        return self.item


def _only_item(items: list[dict]) -> dict:
    return items[0]


def graph_tensors(graph: GraphData, row_normalize: bool) -> dict:
    """x (N, F) float32 (row-normalised or not), edge_index (2, E) int64 and y (N,) as tensors."""
    return {"x": torch.from_numpy(node_features(graph, row_normalize)), "edge_index": torch.from_numpy(graph.edge_index),
            "y": torch.from_numpy(graph.y)}


# ---------------------------------------------------------------------------------------------
# GCN / GAT on the trainer
# ---------------------------------------------------------------------------------------------


def _build(name: str, hp: dict, cached: bool = False) -> nn.Module:
    if name == "gcn":
        from mlcanon.models import GCN

        return GCN(hp["in_channels"], hp["hidden_channels"], hp["out_channels"], hp["num_layers"], hp["dropout"],
                   cached=cached)
    from mlcanon.models import GAT

    return GAT(hp["in_channels"], hp["hidden_channels"], hp["heads"], hp["out_channels"], hp["out_heads"],
               hp["dropout"])


def _gnn_hyper_parameters(name: str, in_channels: int, num_classes: int, layers: int) -> dict:
    if name == "gcn":
        return {"in_channels": in_channels, "hidden_channels": 16, "out_channels": num_classes, "num_layers": layers,
                "dropout": 0.5}
    return {"in_channels": in_channels, "hidden_channels": 8, "heads": 8, "out_channels": num_classes, "out_heads": 1,
            "dropout": 0.6}


def node_loss(model: nn.Module, batch: dict) -> torch.Tensor:
    """Cross-entropy on the training nodes (the whole graph goes through the model)."""
    logits = model(batch["x"], batch["edge_index"])  # (N, C)
    return F.cross_entropy(logits[batch["train"]], batch["y"][batch["train"]])


def val_step(model: nn.Module, batch: dict) -> list[tuple[float, int, int]]:
    """One output for the one item: (validation loss, correct, validation nodes)."""
    logits = model(batch["x"], batch["edge_index"])[batch["val"]]  # (V, C)
    gold = batch["y"][batch["val"]]
    return [(float(F.cross_entropy(logits, gold)), int((logits.argmax(1) == gold).sum()), len(gold))]


def val_score(outputs: list[tuple[float, int, int]]) -> dict[str, float]:
    (loss, correct, n), = outputs
    return {"loss": loss, "accuracy": correct / n}


def _param_groups(first_layer_decay: float):
    """L2 on the first layer only (Kipf & Welling 2017, section 5.2)."""

    def groups(model: nn.Module) -> list[dict]:
        first = list(model.convs[0].parameters())
        ids = {id(p) for p in first}
        return [{"params": first, "weight_decay": first_layer_decay},
                {"params": [p for p in model.parameters() if id(p) not in ids], "weight_decay": 0.0}]

    return groups


def _train_gnn(args: GraphTrainArgs, graph: GraphData, split: Split, row_normalize: bool, *, progress: bool) -> dict:
    recipe = RECIPES[args.model]
    if args.resume:
        hp = json.loads((args.out / "config.json").read_text(encoding="utf-8"))["hyper_parameters"]
    else:
        hp = _gnn_hyper_parameters(args.model, graph.num_features, graph.num_classes, args.layers)
    set_seed(args.seed)
    model = _build(args.model, hp, cached=True)  # one fixed graph in training: Â is computed once
    config = TrainConfig(epochs=args.epochs or recipe["epochs"], batch_size=1, lr=args.lr or recipe["lr"],
                         optimizer="adam", weight_decay=recipe["weight_decay"], metric="loss",
                         patience=recipe["patience"], seed=args.seed, shuffle=False,
                         checkpoint_every=args.checkpoint_every)
    item = {**graph_tensors(graph, row_normalize), "train": torch.from_numpy(split.train),
            "val": torch.from_numpy(split.val)}
    _write(args, graph, split, hp, row_normalize, train_config=asdict(config),
           recipe={k: v for k, v in recipe.items() if k not in ("epochs", "lr")})
    decay = recipe["first_layer_weight_decay"]
    trainer = Trainer(model, config, _WholeGraph(item), loss_fn=node_loss,
                      dev_data=_WholeGraph(item) if len(split.val) else None,
                      eval_step=val_step if len(split.val) else None, score=val_score if len(split.val) else None,
                      collate_fn=_only_item, out_dir=args.out, progress=progress,
                      param_groups=_param_groups(decay) if decay is not None else None)
    result = trainer.fit(resume=args.resume)
    best = next((r for r in result.history if r["epoch"] == result.best_epoch), {})
    return {"best_val_loss": result.best_score, "best_val_accuracy": best.get("dev_accuracy"),
            "best_epoch": result.best_epoch, "epochs": result.epochs_run, "stopped_early": result.stopped_early,
            "seconds": round(result.seconds, 2)}


# ---------------------------------------------------------------------------------------------
# DeepWalk / node2vec + logistic regression, in one go
# ---------------------------------------------------------------------------------------------


def _train_embedding(args: GraphTrainArgs, graph: GraphData, split: Split) -> dict:
    from safetensors.numpy import save_file

    from mlcanon.classic import LogisticRegression
    from mlcanon.models import DeepWalk, Node2Vec

    if args.resume:
        raise ValueError(f"--resume: {args.model} is fitted in one go and has no checkpoint to resume")
    for flag, value in (("--epochs", args.epochs), ("--lr", args.lr), ("--checkpoint-every", args.checkpoint_every)):
        if value is not None:
            raise ValueError(f"{flag}: {args.model} is fitted in one go (walks, skip-gram, logistic regression); "
                             f"it takes no {flag}")
    start = time.perf_counter()
    walks = {"dim": args.dim or WALKS["dim"], "walk_length": args.walk_length or WALKS["walk_length"],
             "walks_per_node": args.walks_per_node or WALKS["walks_per_node"], "window": WALKS["window"]}
    if args.model == "node2vec":
        walks.update(p=args.p or NODE2VEC_PQ[0], q=args.q or NODE2VEC_PQ[1])
        est = Node2Vec(**walks, random_state=args.seed)
    else:
        est = DeepWalk(**walks, random_state=args.seed)
    emb = est.fit_transform(graph.edge_index, graph.num_nodes)  # (N, dim)
    X = (emb / np.maximum(np.linalg.norm(emb, axis=1, keepdims=True), 1e-12)).astype(np.float32)
    y = graph.y
    log, best = [], None
    for C in C_GRID if len(split.val) else (1.0,):
        clf = LogisticRegression(C=C, max_iter=1000).fit(X[split.train], y[split.train])
        record = {"epoch": 1, "C": C, "seconds": round(time.perf_counter() - start, 3)}
        if len(split.val):
            record["dev_accuracy"] = float((clf.predict(X[split.val]) == y[split.val]).mean())
        log.append(record)
        if best is None or record.get("dev_accuracy", 0) > best[0].get("dev_accuracy", 0):
            best = (record, clf)
    record, clf = best
    seconds = time.perf_counter() - start
    save_file({"embeddings": X, "coef": np.ascontiguousarray(clf.coef_, dtype=np.float64),
               "intercept": np.ascontiguousarray(clf.intercept_, dtype=np.float64),
               "classes": clf.classes_.astype(np.int64)}, str(args.out / "model.safetensors"))
    hp = {**walks, "negative": est.negative, "sample": est.sample, "skipgram_epochs": est.epochs,
          "learning_rate": est.learning_rate, "classifier": "LogisticRegression", "C_grid": list(C_GRID),
          "C": record["C"], "max_iter": 1000}
    _write(args, graph, split, hp, row_normalize=False)
    (args.out / "log.jsonl").write_text("".join(json.dumps(r) + "\n" for r in log), encoding="utf-8")
    return {"best_val_accuracy": record.get("dev_accuracy"), "C": record["C"], "seconds": round(seconds, 2)}


def _write(args: GraphTrainArgs, graph: GraphData, split: Split, hp: dict, row_normalize: bool, **extra) -> None:
    (args.out / NODES).write_text("".join(i + "\n" for i in node_ids(graph)), encoding="utf-8")
    (args.out / SPLIT).write_text(json.dumps(split.to_dict()) + "\n", encoding="utf-8")
    write_config(args.out, TASK, args.model, hp, labels=list(graph.class_names), source=args.source.to_dict(),
                 seed=args.seed, row_normalize=row_normalize, num_nodes=graph.num_nodes,
                 split={"name": split.name, "train": len(split.train), "val": len(split.val), "test": len(split.test)},
                 files={"nodes": NODES, "split": SPLIT}, **extra)


def train(args: GraphTrainArgs, *, progress: bool = True) -> dict:
    """Train ``args.model`` and write the model folder ``args.out``; return the training summary."""
    check_out_dir(args.out, args.resume)
    if args.resume and (args.out / "config.json").is_file():  # the seed (and split) of the interrupted run
        args.seed = json.loads((args.out / "config.json").read_text(encoding="utf-8")).get("seed", args.seed)
    graph, split, row_normalize = _prepare(args.source, args.seed, args.limit)
    if args.model in EMBEDDING_MODELS:
        return _train_embedding(args, graph, split)
    return _train_gnn(args, graph, split, row_normalize, progress=progress)


# ---------------------------------------------------------------------------------------------
# load / evaluate / predict
# ---------------------------------------------------------------------------------------------


class NodeClassifier:
    """A trained node classifier on its graph: ``proba`` (N, C) for every node, ``predict(ids)``.

    ``labels[k]`` is the name of column ``k``; ``node_ids[i]`` the name of node (row) ``i``; ``model`` the
    torch module in eval mode (gcn, gat) or None (deepwalk, node2vec).
    """

    def __init__(self, config: dict, node_ids: list[str], split: Split, proba: np.ndarray,
                 graph: GraphData | None = None, model: nn.Module | None = None) -> None:
        self.config, self.node_ids, self.split, self.proba, self.graph = config, node_ids, split, proba, graph
        self.model = model
        self.labels: list[str] = config["labels"]
        self.index = {n: i for i, n in enumerate(node_ids)}

    def predict_index(self, rows) -> list[str]:
        return [self.labels[k] for k in self.proba[np.asarray(rows, dtype=np.int64)].argmax(axis=1).tolist()]

    def predict(self, ids: Iterable[str]) -> list[str]:
        rows = []
        for node in ids:
            if node not in self.index:
                raise ValueError(f"node {node!r} is not in the graph the model was trained on "
                                 f"({len(self.node_ids)} nodes, e.g. {self.node_ids[0]!r})")
            rows.append(self.index[node])
        return self.predict_index(rows)


def _graph_for(folder: Path, config: dict, source: GraphSource | None, node_names: list[str]) -> GraphData:
    source = source if source is not None and source.is_given else GraphSource.from_dict(config["source"])
    graph = load_graph(source)
    if node_ids(graph) != node_names:
        raise ValueError(f"{source.data or source.edges}: not the graph the model in {folder} was trained on "
                         f"({graph.num_nodes} nodes, expected {len(node_names)} with the ids of {NODES}); "
                         "the setting is transductive")
    return graph


def load(folder: str | Path, source: GraphSource | None = None, *, need_graph: bool = False) -> NodeClassifier:
    """Rebuild a trained node classifier from its folder (and its graph, for gcn / gat).

    The graph is the one named in ``config.json`` unless ``source`` gives it (a folder moved to
    another machine); it must be the same graph (the same node ids in the same order).
    """
    folder = Path(folder)
    config = read_config(folder, TASK)
    check_choice(config["model"], f"--model: {folder} config.json model", MODELS)
    names = (folder / config["files"]["nodes"]).read_text(encoding="utf-8").splitlines()
    split = Split.from_dict(json.loads((folder / config["files"]["split"]).read_text(encoding="utf-8")))
    graph, model = None, None
    if config["model"] in EMBEDDING_MODELS:
        from safetensors.numpy import load_file

        arrays = load_file(str(folder / "model.safetensors"))
        scores = arrays["embeddings"].astype(np.float64) @ arrays["coef"].T + arrays["intercept"]  # (N, C')
        if scores.shape[1] == 1:  # two classes: one column, the score of classes[1]
            scores = np.column_stack([-scores[:, 0] / 2, scores[:, 0] / 2])
        full = np.full((len(names), len(config["labels"])), -np.inf)
        full[:, arrays["classes"]] = scores  # classes never seen in training get probability 0
        proba = np.exp(full - full.max(axis=1, keepdims=True))
        proba /= proba.sum(axis=1, keepdims=True)
        if need_graph:
            graph = _graph_for(folder, config, source, names)
    else:
        graph = _graph_for(folder, config, source, names)
        model = _build(config["model"], config["hyper_parameters"])
        load_weights(model, folder / "model.safetensors")
        model.eval()
        t = graph_tensors(graph, config["row_normalize"])
        with torch.no_grad():
            proba = torch.softmax(model(t["x"], t["edge_index"]), dim=1).double().numpy()  # (N, C)
    return NodeClassifier(config, names, split, proba, graph, model)


def evaluate(folder: str | Path, source: GraphSource | None = None, *, split: str = "test") -> dict:
    """Accuracy, macro-F1 and per-class precision/recall/F1 on the ``split`` nodes of the model's graph."""
    from mlcanon.metrics import precision_recall_fscore_support

    check_choice(split, "--split", ("test", "val", "train", "all"))
    clf = load(folder, source, need_graph=True)
    rows = clf.split.part(split)
    gold = [clf.graph.class_names[k] for k in clf.graph.y[rows].tolist()]
    warn_unseen_labels(gold, clf.labels)
    pred = clf.predict_index(rows)
    names = sorted(set(gold) | set(clf.labels))
    p, r, f, s = precision_recall_fscore_support(gold, pred, labels=names, zero_division=0)
    per_class = {n: {"precision": float(p[i]), "recall": float(r[i]), "f1": float(f[i]), "support": int(s[i])}
                 for i, n in enumerate(names)}
    present = [n for n in names if per_class[n]["support"] > 0]
    return {"accuracy": sum(a == b for a, b in zip(gold, pred)) / len(pred),
            "macro_f1": sum(per_class[n]["f1"] for n in present) / len(present), "n": len(pred), "split": split,
            "per_class": per_class}


def predict(folder: str | Path, lines: Iterable[str], source: GraphSource | None = None) -> Iterator[str]:
    """One output line per input line (a node id): ``node_id<TAB>label<TAB>probability``."""
    clf = load(folder, source)
    ids = []
    for no, line in enumerate(lines, start=1):
        node = line.strip()
        if not node:
            raise ValueError(f"--input, line {no}: empty line; expected one node id a line")
        if node not in clf.index:
            raise ValueError(f"--input, line {no}: node {node!r} is not in the graph the model was trained on "
                             f"({len(clf.node_ids)} nodes, ids like {clf.node_ids[0]!r})")
        ids.append(clf.index[node])
    if not ids:
        return
    labels = clf.predict_index(ids)
    for row, label in zip(ids, labels):
        yield f"{clf.node_ids[row]}\t{label}\t{clf.proba[row].max():.4f}"
