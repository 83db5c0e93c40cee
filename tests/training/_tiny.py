"""A tiny real problem for the trainer tests: Kim's TextCNN (small) on the first TREC questions."""

from __future__ import annotations

import torch
from torch import nn

from mlcanon.models.textcnn import TextCNN, TextCNNConfig
from mlcanon.tasks.textcls.features import load_split, tokenize
from mlcanon.tasks.textcls.pipeline import _collate, _Encoded
from mlcanon.text.vocab import Vocab


def trec_slice(n_train: int = 400, n_dev: int = 200):
    train, dev = load_split("trec", "train"), load_split("trec", "dev")
    texts, labels = train.texts[:n_train], train.labels[:n_train]
    vocab = Vocab.build(tokenize(t) for t in texts)
    names = sorted(set(train.labels))
    index = {n: i for i, n in enumerate(names)}
    enc = lambda ts, ls: _Encoded([vocab.encode(tokenize(t)) for t in ts], [index[y] for y in ls])
    return enc(texts, labels), enc(dev.texts[:n_dev], dev.labels[:n_dev]), len(vocab), len(names)


def model(vocab_size: int, n_classes: int, dropout: float = 0.5, seed: int = 0) -> TextCNN:
    torch.manual_seed(seed)
    return TextCNN(TextCNNConfig(vocab_size=vocab_size, num_classes=n_classes, embedding_dim=16, filters=8,
                                 dropout=dropout))


def loss_fn(m: nn.Module, batch) -> torch.Tensor:
    return nn.functional.cross_entropy(m(batch[0]), batch[1])


def eval_step(m: nn.Module, batch) -> list:
    return list(zip(m(batch[0]).argmax(1).tolist(), batch[1].tolist()))


def score(outputs: list) -> dict:
    return {"accuracy": sum(p == g for p, g in outputs) / len(outputs)}


collate = _collate
