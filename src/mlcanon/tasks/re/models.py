"""Relation classifiers for ``mlcanon re``: the CNN of Zeng et al. (2014), the attention BiLSTM of Zhou et al.
(2016) and MiniLM with entity markers (Baldini Soares et al. 2019).

Each model takes the batch of :func:`mlcanon.tasks.re.features.collate` (a dict of tensors) and returns
(B, 19) logits over :data:`mlcanon.data.SEMEVAL2010_TASK8_LABELS`.

CNN — Zeng, Liu, Lai, Zhou & Zhao (2014), "Relation Classification via Convolutional Deep Neural Network"
(COLING). Word embeddings with two position embeddings (the distance of each token to e1 and to e2,
clipped to ±max_distance), one convolution of width 3, max pooling over time, and Zeng's lexical features
(the embeddings of the two nominals, averaged over their tokens, and of the tokens on their either side)::

    x_t = [E_w[w_t] ; E_p1[d1_t] ; E_p2[d2_t]]                     (B, T, D + 2P)
    s   = max_t tanh(W * x_{t-1:t+1} + b)                           (B, F)
    l   = [ē1 ; ē2 ; E_w[w_{e1-1}] ; E_w[w_{e1+1}] ; E_w[w_{e2-1}] ; E_w[w_{e2+1}]]   (B, 6D)
    logits = W_o dropout([s ; l]) + b_o                             (B, 19)

Att-BiLSTM — Zhou, Shi, Tian, Qi, Li, Hao & Xu (2016), "Attention-Based Bidirectional Long Short-Term Memory
Networks for Relation Classification" (ACL): the entity markers ``<e1> </e1> <e2> </e2>`` are tokens of the
sentence (Zhou's position indicators), then BiLSTM and attention pooling
(:class:`mlcanon.tasks.textcls.models.BiLSTMAttention`).

BERT-EM — Baldini Soares, FitzGerald, Ling & Kwiatkowski (2019), "Matching the Blanks" (ACL), the
"entity markers — entity start" variant; R-BERT (Wu & He 2019) marks the entities the same way. The markers
are MiniLM's unused word pieces ``[unused0..3]``; the relation is read from the two start markers::

    h = BERT([CLS] ... [E1] e1 [/E1] ... [E2] e2 [/E2] ... [SEP])   (B, T, H)
    logits = W_o dropout([h_{[E1]} ; h_{[E2]}]) + b_o              (B, 19)
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from mlcanon.validation import check_int, check_scalar

__all__ = ["RelationCNN", "RelationCNNConfig", "AttBiLSTM", "AttBiLSTMConfig", "BertEntityStart"]


@dataclass
class RelationCNNConfig:
    vocab_size: int
    num_classes: int = 19
    embedding_dim: int = 100
    position_dim: int = 5
    max_distance: int = 60
    filters: int = 230
    width: int = 3
    dropout: float = 0.5
    padding_idx: int = 0

    def __post_init__(self) -> None:
        check_int(self.vocab_size, "vocab_size", minimum=2)
        check_int(self.num_classes, "num_classes", minimum=2)
        for name in ("embedding_dim", "position_dim", "max_distance", "filters", "width"):
            check_int(getattr(self, name), name, minimum=1)
        check_scalar(self.dropout, "dropout", minimum=0, maximum=1, include_maximum=False)


class RelationCNN(nn.Module):
    """Zeng et al. (2014)'s convolutional relation classifier.

    Examples
    --------
    >>> m = RelationCNN(RelationCNNConfig(vocab_size=30, embedding_dim=8, filters=6))
    >>> b = {"ids": torch.randint(1, 30, (2, 7)), "e1": torch.tensor([[1, 2], [0, 1]]),
    ...      "e2": torch.tensor([[4, 5], [5, 7]])}
    >>> m(b).shape
    torch.Size([2, 19])
    """

    def __init__(self, config: RelationCNNConfig) -> None:
        super().__init__()
        self.config = config
        c = config
        self.embedding = nn.Embedding(c.vocab_size, c.embedding_dim, padding_idx=c.padding_idx)
        self.pos1 = nn.Embedding(2 * c.max_distance + 1, c.position_dim)
        self.pos2 = nn.Embedding(2 * c.max_distance + 1, c.position_dim)
        self.conv = nn.Conv1d(c.embedding_dim + 2 * c.position_dim, c.filters, c.width, padding=c.width // 2)
        self.dropout = nn.Dropout(c.dropout)
        self.fc = nn.Linear(c.filters + 6 * c.embedding_dim, c.num_classes)

    def _positions(self, T: int, span: torch.Tensor) -> torch.Tensor:
        t = torch.arange(T, device=span.device)[None, :]  # (1, T)
        # 0 inside the nominal, negative before it, positive after it (Zeng's relative distance)
        d = torch.where(t < span[:, :1], t - span[:, :1], torch.where(t >= span[:, 1:], t - span[:, 1:] + 1, 0))
        return d.clamp(-self.config.max_distance, self.config.max_distance) + self.config.max_distance  # (B, T)

    def _lexical(self, ids: torch.Tensor, e: torch.Tensor, emb: torch.Tensor) -> list[torch.Tensor]:
        B, T = ids.shape
        t = torch.arange(T, device=ids.device)[None, :]
        inside = ((t >= e[:, :1]) & (t < e[:, 1:])).to(emb.dtype)  # (B, T)
        mean = (emb * inside[..., None]).sum(1) / inside.sum(1, keepdim=True).clamp(min=1)  # (B, D)
        rows = torch.arange(B, device=ids.device)
        left = ids[rows, (e[:, 0] - 1).clamp(min=0)].masked_fill(e[:, 0] == 0, self.config.padding_idx)
        right_at = e[:, 1].clamp(max=T - 1)
        right = ids[rows, right_at].masked_fill(e[:, 1] >= T, self.config.padding_idx)
        return [mean, self.embedding(left), self.embedding(right)]  # 3 × (B, D)

    def forward(self, batch: dict) -> torch.Tensor:
        ids, e1, e2 = batch["ids"], batch["e1"], batch["e2"]  # (B, T), (B, 2), (B, 2)
        B, T = ids.shape
        emb = self.embedding(ids)  # (B, T, D)
        x = torch.cat([emb, self.pos1(self._positions(T, e1)), self.pos2(self._positions(T, e2))], dim=2)
        c = torch.tanh(self.conv(x.transpose(1, 2)))  # (B, F, T)
        mask = (ids != self.config.padding_idx)[:, None, :]  # (B, 1, T)
        s = c.masked_fill(~mask, float("-inf")).amax(dim=2)  # (B, F)
        lexical = self._lexical(ids, e1, emb) + self._lexical(ids, e2, emb)
        l1m, l1l, l1r, l2m, l2l, l2r = lexical
        z = torch.cat([s, l1m, l2m, l1l, l1r, l2l, l2r], dim=1)  # (B, F + 6D)
        return self.fc(self.dropout(z))


@dataclass
class AttBiLSTMConfig:
    vocab_size: int
    num_classes: int = 19
    embedding_dim: int = 100
    hidden_size: int = 100
    dropout: float = 0.5
    embedding_dropout: float = 0.3
    padding_idx: int = 0


class AttBiLSTM(nn.Module):
    """Zhou et al. (2016): BiLSTM with attention pooling over a sentence that keeps its entity markers.

    Examples
    --------
    >>> m = AttBiLSTM(AttBiLSTMConfig(vocab_size=30, embedding_dim=8, hidden_size=4))
    >>> m({"ids": torch.randint(1, 30, (2, 7))}).shape
    torch.Size([2, 19])
    """

    def __init__(self, config: AttBiLSTMConfig) -> None:
        from mlcanon.tasks.textcls.models import BiLSTMAttention, BiLSTMAttentionConfig

        super().__init__()
        self.config = config
        self.net = BiLSTMAttention(BiLSTMAttentionConfig(
            vocab_size=config.vocab_size, num_classes=config.num_classes, embedding_dim=config.embedding_dim,
            hidden_size=config.hidden_size, dropout=config.dropout, embedding_dropout=config.embedding_dropout,
            padding_idx=config.padding_idx))

    def forward(self, batch: dict) -> torch.Tensor:
        return self.net(batch["ids"])  # (B, 19)


class BertEntityStart(nn.Module):
    """MiniLM (BERT) with entity markers, classified from the two entity-start markers.

    Examples
    --------
    >>> from mlcanon.models import BertConfig
    >>> m = BertEntityStart(BertConfig(vocab_size=30, hidden_size=8, num_hidden_layers=1,
    ...                                num_attention_heads=2, intermediate_size=16))
    >>> b = {"ids": torch.tensor([[2, 5, 7, 9, 3]]), "starts": torch.tensor([[1, 3]])}
    >>> m(b).shape
    torch.Size([1, 19])
    """

    def __init__(self, bert_config, num_classes: int = 19) -> None:
        from mlcanon.models.bert import BertModel

        super().__init__()
        self.bert = BertModel(bert_config, add_pooling_layer=False)
        self.dropout = nn.Dropout(bert_config.hidden_dropout_prob)
        self.fc = nn.Linear(2 * bert_config.hidden_size, num_classes)

    def forward(self, batch: dict) -> torch.Tensor:
        ids, starts = batch["ids"], batch["starts"]  # (B, T), (B, 2)
        mask = (ids != self.bert.config.pad_token_id).long()
        h = self.bert(ids, attention_mask=mask).last_hidden_state  # (B, T, H)
        rows = torch.arange(ids.shape[0], device=ids.device)
        z = torch.cat([h[rows, starts[:, 0]], h[rows, starts[:, 1]]], dim=1)  # (B, 2H)
        return self.fc(self.dropout(z))  # (B, 19)
