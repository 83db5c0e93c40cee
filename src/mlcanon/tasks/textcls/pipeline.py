"""``mlcanon textcls``: train, evaluate, predict and load text classifiers on the one trainer.

Models (``--model``):

* ``textcnn`` — Kim (2014) CNN-rand: random 300-d embeddings, widths 3/4/5 × 100 filters, max-over-time
  pooling, dropout 0.5, max-norm 3; Adam (Kim used Adadelta), batch 50, early stopping on dev accuracy.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from torch import nn

from mlcanon.data.readers import TextClassificationData
from mlcanon.tasks.contract import TrainArgs, check_choice, check_file, check_out_dir, read_config, \
    warn_unseen_labels, write_config
from mlcanon.tasks.textcls.features import load_split, mode_for, read_tsv, tokenize
from mlcanon.text.vocab import Vocab
from mlcanon.training import TrainConfig, Trainer, load_weights, set_seed

__all__ = ["MODELS", "train", "evaluate", "predict", "load", "TextClassifier"]

TASK = "textcls"
MODELS = ("textcnn",)
_DEFAULTS = {"textcnn": {"epochs": 10, "lr": 1e-3, "batch_size": 50, "patience": 3}}


@dataclass
class _Encoded(torch.utils.data.Dataset):
    ids: list[list[int]]
    labels: list[int]

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, i: int) -> tuple[list[int], int]:
        return self.ids[i], self.labels[i]


def _collate(batch: list[tuple[list[int], int]]) -> tuple[torch.Tensor, torch.Tensor]:
    T = max(1, max(len(ids) for ids, _ in batch))
    x = torch.zeros(len(batch), T, dtype=torch.long)  # 0 = <pad>
    for i, (ids, _) in enumerate(batch):
        x[i, :len(ids)] = torch.tensor(ids, dtype=torch.long)
    return x, torch.tensor([y for _, y in batch], dtype=torch.long)


def _build(name: str, hp: dict) -> nn.Module:
    from mlcanon.models.textcnn import TextCNN, TextCNNConfig

    return TextCNN(TextCNNConfig(**hp))


class TextClassifier:
    """A trained text classifier: ``predict(texts)``, ``predict_proba(texts)``, ``labels``."""

    def __init__(self, model: nn.Module, vocab: Vocab, labels: list[str], mode: str, config: dict) -> None:
        self.model, self.vocab, self.labels, self.mode, self.config = model, vocab, labels, mode, config

    def _encode(self, texts: list[str]) -> list[list[int]]:
        return [self.vocab.encode(tokenize(t, self.mode)) for t in texts]

    @torch.no_grad()
    def predict_proba(self, texts: Iterable[str], batch_size: int = 256) -> torch.Tensor:
        texts = list(texts)
        self.model.eval()
        out = []
        for i in range(0, len(texts), batch_size):
            x, _ = _collate([(ids, 0) for ids in self._encode(texts[i:i + batch_size])])
            out.append(torch.softmax(self.model(x), dim=1))
        return torch.cat(out) if out else torch.zeros(0, len(self.labels))

    def predict(self, texts: Iterable[str]) -> list[str]:
        return [self.labels[i] for i in self.predict_proba(texts).argmax(dim=1).tolist()]


def _data(args: TrainArgs) -> tuple[TextClassificationData, TextClassificationData | None, str]:
    if args.data is not None:
        train, dev = load_split(args.data, "train"), load_split(args.data, "dev")
    else:
        train = read_tsv(args.train)
        dev = read_tsv(args.dev) if args.dev is not None else None
    if args.limit is not None:
        train = TextClassificationData(train.texts[:args.limit], train.labels[:args.limit], train.source)
    return train, dev, mode_for(args.data, train.texts)


def train(args: TrainArgs, *, progress: bool = True) -> dict:
    """Train ``args.model`` and write the model folder ``args.out``; return the training summary."""
    check_choice(args.model, "--model", MODELS)
    check_out_dir(args.out, args.resume)
    train_set, dev_set, mode = _data(args)
    defaults = _DEFAULTS[args.model]
    if args.resume:
        saved = read_config_any(args.out)
        vocab, labels = Vocab.load(args.out / "vocab.txt"), saved["labels"]
        hp = saved["hyper_parameters"]
    else:
        vocab = Vocab.build(tokenize(t, mode) for t in train_set.texts)
        labels = sorted(set(train_set.labels))
        hp = {"vocab_size": len(vocab), "num_classes": max(2, len(labels))}
    set_seed(args.seed)
    model = _build(args.model, hp)
    if not args.resume:
        hp = asdict(model.config)
        vocab.save(args.out / "vocab.txt")
    index = {lab: i for i, lab in enumerate(labels)}

    def encode(d: TextClassificationData) -> _Encoded:  # a dev label unseen in training is -1: always a miss
        return _Encoded([vocab.encode(tokenize(t, mode)) for t in d.texts], [index.get(y, -1) for y in d.labels])

    config = TrainConfig(
        epochs=args.epochs or defaults["epochs"], lr=args.lr or defaults["lr"],
        batch_size=args.batch_size or defaults["batch_size"], patience=defaults["patience"],
        metric="accuracy", seed=args.seed, checkpoint_every=args.checkpoint_every,
    )
    write_config(args.out, TASK, args.model, hp, labels=labels, mode=mode, data=args.data,
                 train_config=asdict(config), files={"vocab": "vocab.txt"})
    trainer = Trainer(
        model, config, encode(train_set), dev_data=encode(dev_set) if dev_set is not None else None,
        loss_fn=lambda m, b: nn.functional.cross_entropy(m(b[0]), b[1]),
        eval_step=lambda m, b: list(zip(m(b[0]).argmax(1).tolist(), b[1].tolist())),
        score=lambda outs: {"accuracy": sum(p == g for p, g in outs) / len(outs)},
        collate_fn=_collate, out_dir=args.out, after_step=lambda m: m.max_norm_(), progress=progress,
    )
    result = trainer.fit(resume=args.resume)
    return {"best_dev_accuracy": result.best_score, "best_epoch": result.best_epoch, "epochs": result.epochs_run,
            "steps": result.steps, "stopped_early": result.stopped_early, "seconds": round(result.seconds, 2)}


def read_config_any(folder: Path) -> dict:
    path = folder / "config.json"
    if not path.is_file():
        raise FileNotFoundError(f"--resume: {folder} has no config.json")
    return json.loads(path.read_text(encoding="utf-8"))


def load(folder: str | Path) -> TextClassifier:
    """Rebuild a trained classifier from its folder alone."""
    folder = Path(folder)
    config = read_config(folder, TASK)
    model = _build(config["model"], config["hyper_parameters"])
    load_weights(model, folder / "model.safetensors")
    model.eval()
    return TextClassifier(model, Vocab.load(folder / config["files"]["vocab"]), config["labels"], config["mode"], config)


def evaluate(folder: str | Path, *, data: str | None = None, test: str | Path | None = None,
             split: str = "test") -> dict:
    """Accuracy, macro-F1 and per-class precision/recall/F1 on a bundled split or a TSV file."""
    from mlcanon.metrics import precision_recall_fscore_support

    if (data is None) == (test is None):
        raise ValueError("--data / --test: give a bundled data set or a test file, exactly one of them")
    clf = load(folder)
    gold = load_split(data, split) if data is not None else read_tsv(check_file(test, "--test"))
    warn_unseen_labels(gold.labels, clf.labels)
    pred = clf.predict(gold.texts)
    names = sorted(set(gold.labels) | set(clf.labels))
    p, r, f, s = precision_recall_fscore_support(gold.labels, pred, labels=names, zero_division=0)
    accuracy = sum(a == b for a, b in zip(gold.labels, pred)) / len(pred)
    per_class = {n: {"precision": float(p[i]), "recall": float(r[i]), "f1": float(f[i]), "support": int(s[i])}
                 for i, n in enumerate(names)}
    present = [n for n in names if per_class[n]["support"] > 0]
    macro = sum(per_class[n]["f1"] for n in present) / len(present)
    return {"accuracy": accuracy, "macro_f1": macro, "n": len(pred), "per_class": per_class}


def predict(folder: str | Path, lines: Iterable[str], *, top_k: int = 1) -> Iterator[str]:
    """One output line per input line: ``label<TAB>probability`` (the ``top_k`` best, tab-separated)."""
    clf = load(folder)
    if not 1 <= top_k <= len(clf.labels):
        raise ValueError(f"--top-k: expected 1..{len(clf.labels)}, got {top_k}")
    texts = [line.rstrip("\r\n") for line in lines]
    for no, t in enumerate(texts, start=1):
        if not t.strip():
            raise ValueError(f"--input, line {no}: empty line; expected one text a line")
    probs = clf.predict_proba(texts)
    values, idx = probs.topk(top_k, dim=1)
    for v, i in zip(values.tolist(), idx.tolist()):
        yield "\t".join(f"{clf.labels[j]}\t{x:.4f}" for j, x in zip(i, v))
