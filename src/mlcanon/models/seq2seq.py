"""Sequence to sequence: an RNN encoder-decoder, with or without attention, trained with teacher
forcing and decoded greedily or with beam search.

Papers
------
- Sutskever, Vinyals & Le (2014), "Sequence to Sequence Learning with Neural Networks": a
  multi-layer LSTM reads the source, its final state starts a second LSTM that writes the target,
  p(y | x) = Π_t p(y_t | y_<t, x), decoded with a left-to-right beam search.
- Cho et al. (2014), "Learning Phrase Representations using RNN Encoder-Decoder for Statistical
  Machine Translation": the same with GRUs.
- Bahdanau, Cho & Bengio (2015), "Neural Machine Translation by Jointly Learning to Align and
  Translate": a bidirectional encoder, and at every step an additive attention over all encoder
  states, queried with the *previous* decoder state s_{t-1}:

      e_tj = vᵀ tanh(W_q s_{t-1} + W_k h_j),   α_t = softmax_j(e_t),   c_t = Σ_j α_tj h_j
      s_t  = RNN([E y_{t-1}; c_t], s_{t-1})

- Luong, Pham & Manning (2015), "Effective Approaches to Attention-based Neural Machine
  Translation": attention queried with the *current* state s_t, ``dot`` (s_tᵀ h_j) or
  ``general`` (s_tᵀ W h_j) scores, the attentional vector h̃_t = tanh(W_c [c_t; s_t]) that feeds
  the softmax, and *input feeding* (h̃_{t-1} is concatenated to the next input).

Output layer (all variants): p(y_t | ·) = softmax(W_s h̃_t) with h̃_t = tanh(W_c [c_t; s_t]) when
there is attention (for the additive variant too, instead of Bahdanau's maxout readout) and
h̃_t = s_t without.

Bridge: a bidirectional encoder's final states [→h; ←h] (2H) become the decoder's initial state
through s_0 = tanh(W_h [→h; ←h]) (and c_0 = W_c0 [→c; ←c] for the LSTM), one layer at a time —
Bahdanau's s_0 = tanh(W_s ←h_1), given both directions.

Built on :class:`mlcanon.nn.LSTM`/:class:`~mlcanon.nn.GRU` (encoder, with ``lengths`` for padded
batches), :class:`~mlcanon.nn.LSTMCell`/:class:`~mlcanon.nn.GRUCell` (decoder steps) and the
attention modules of :mod:`mlcanon.nn.attention`. Reference: no library ships this model, so the
tests build the same architecture from ``torch.nn.LSTM``/``LSTMCell`` (same parameter names: the
state dict loads with ``strict=True``) and compare logits; and beam search is compared with an
exhaustive search on small vocabularies.

Beam search keeps, at each step, the ``beam_size`` best of (finished hypotheses, one-token
extensions of the running ones) ranked by log p(y | x) / lp(|y|), with GNMT's length penalty
lp(n) = ((5 + n) / 6)^α (Wu et al. 2016); α = 0 ranks by log-probability.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal, NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

from mlcanon.nn.attention import AdditiveAttention, DotProductAttention, GeneralAttention
from mlcanon.nn.recurrent import GRU, LSTM, GRUCell, LSTMCell
from mlcanon.validation import check_int, check_option, check_scalar, describe

__all__ = ["Seq2SeqConfig", "Seq2Seq", "Seq2SeqDecoding"]

_ATTENTIONS = (None, "additive", "dot", "general")


# ----------------------------------------------------------------------------------------------
# configuration
# ----------------------------------------------------------------------------------------------


@dataclass
class Seq2SeqConfig:
    """Hyper-parameters of :class:`Seq2Seq`; the class methods are the papers' settings."""

    src_vocab_size: int
    tgt_vocab_size: int
    cell: Literal["lstm", "gru"] = "lstm"
    embedding_dim: int = 64
    hidden_size: int = 128
    num_layers: int = 1
    bidirectional: bool = True  # encoder only; the decoder always runs left to right
    dropout: float = 0.0  # on embeddings, between layers and before the output layer
    attention: Literal["additive", "dot", "general"] | None = "additive"
    attention_dim: int | None = None  # size of the additive alignment layer; None -> hidden_size
    input_feeding: bool = False  # Luong's h̃_{t-1} in the next input ('dot'/'general' only)
    pad_id: int = 0
    bos_id: int = 1
    eos_id: int = 2

    def __post_init__(self) -> None:
        for name in ("src_vocab_size", "tgt_vocab_size", "embedding_dim", "hidden_size", "num_layers"):
            check_int(getattr(self, name), name, minimum=1)
        check_option(self.cell, "cell", ("lstm", "gru"))
        check_option(self.attention, "attention", _ATTENTIONS)
        check_scalar(self.dropout, "dropout", minimum=0.0, maximum=1.0, include_maximum=False)
        if self.attention_dim is not None:
            check_int(self.attention_dim, "attention_dim", minimum=1)
        for name in ("pad_id", "bos_id", "eos_id"):
            check_int(getattr(self, name), name, minimum=0, maximum=self.tgt_vocab_size - 1)
        check_int(self.pad_id, "pad_id", minimum=0, maximum=self.src_vocab_size - 1)
        if len({self.pad_id, self.bos_id, self.eos_id}) < 3:
            raise ValueError(
                f"pad_id, bos_id, eos_id: expected three different ids, got {self.pad_id}, {self.bos_id}, {self.eos_id}"
            )
        if self.input_feeding and self.attention not in ("dot", "general"):
            raise ValueError(
                f"input_feeding: expected attention='dot' or 'general' (Luong's input feeding), got attention={self.attention!r}"
            )
        if self.attention == "dot" and self.encoder_output_size != self.hidden_size:
            raise ValueError(
                f"attention: 'dot' needs the encoder output size ({self.encoder_output_size}, bidirectional="
                f"{self.bidirectional}) to equal hidden_size={self.hidden_size}; use 'general' or bidirectional=False"
            )

    @property
    def encoder_output_size(self) -> int:
        return self.hidden_size * (2 if self.bidirectional else 1)

    def to_dict(self) -> dict:
        return asdict(self)

    # -- presets (the papers' sizes; the vocabularies are the caller's) -------------------------

    @classmethod
    def sutskever2014(cls, src_vocab_size: int, tgt_vocab_size: int, **kw) -> Seq2SeqConfig:
        """4-layer LSTM, 1000 units, 1000-d embeddings, no attention (WMT'14 En→Fr)."""
        return cls(src_vocab_size, tgt_vocab_size, **{"cell": "lstm", "embedding_dim": 1000, "hidden_size": 1000,
                   "num_layers": 4, "bidirectional": False, "attention": None, **kw})

    @classmethod
    def cho2014(cls, src_vocab_size: int, tgt_vocab_size: int, **kw) -> Seq2SeqConfig:
        """The RNN Encoder-Decoder: one GRU layer of 1000 units, 620-d embeddings, no attention."""
        return cls(src_vocab_size, tgt_vocab_size, **{"cell": "gru", "embedding_dim": 620, "hidden_size": 1000,
                   "num_layers": 1, "bidirectional": False, "attention": None, **kw})

    @classmethod
    def bahdanau2015(cls, src_vocab_size: int, tgt_vocab_size: int, **kw) -> Seq2SeqConfig:
        """RNNsearch: bidirectional GRU encoder of 1000 units, 620-d embeddings, additive attention."""
        return cls(src_vocab_size, tgt_vocab_size, **{"cell": "gru", "embedding_dim": 620, "hidden_size": 1000,
                   "num_layers": 1, "bidirectional": True, "attention": "additive", "attention_dim": 1000, **kw})

    @classmethod
    def luong2015(cls, src_vocab_size: int, tgt_vocab_size: int, **kw) -> Seq2SeqConfig:
        """4-layer LSTM, 1000 units, 'general' attention with input feeding, dropout 0.2."""
        return cls(src_vocab_size, tgt_vocab_size, **{"cell": "lstm", "embedding_dim": 1000, "hidden_size": 1000,
                   "num_layers": 4, "bidirectional": False, "attention": "general", "input_feeding": True,
                   "dropout": 0.2, **kw})

    @classmethod
    def small(cls, src_vocab_size: int, tgt_vocab_size: int, **kw) -> Seq2SeqConfig:
        """A CPU-sized Bahdanau model for character tasks such as date normalisation."""
        return cls(src_vocab_size, tgt_vocab_size, **{"cell": "gru", "embedding_dim": 32, "hidden_size": 64,
                   "num_layers": 1, "bidirectional": True, "attention": "additive", **kw})


# ----------------------------------------------------------------------------------------------
# results and helpers
# ----------------------------------------------------------------------------------------------


@dataclass
class Seq2SeqDecoding:
    """What :meth:`Seq2Seq.greedy_decode` and :meth:`Seq2Seq.beam_search` return.

    tokens : list of B lists of ints — the output without BOS and EOS
    scores : Tensor of shape (B,) — the ranking score: log p(y | x) / lp(|y|) (= log p for greedy
        search and for α = 0)
    log_probs : Tensor of shape (B,) — log p(y | x), EOS included when it was produced
    finished : list of B bools — whether the output ended with EOS (else it hit ``max_len``)
    attention : list of B tensors of shape (len_i, S_i), optional — the attention weights of each
        output step (EOS included) over the real source positions
    """

    tokens: list[list[int]]
    scores: torch.Tensor
    log_probs: torch.Tensor
    finished: list[bool]
    attention: list[torch.Tensor] | None = None


class _Memory(NamedTuple):
    """The encoder's output, all a decoder step needs."""

    outputs: torch.Tensor  # (B, S, D·H) encoder states h_j (zero at padding): the values
    mask: torch.Tensor  # (B, S) bool, True at real source positions
    keys: torch.Tensor | None = None  # (B, S, ·) the query-independent part of the scores, once per source


def _map_state(state, fn):
    """Apply ``fn`` to every tensor of a decoder state (a list of per-layer h or (h, c))."""
    return [tuple(fn(t) for t in s) if isinstance(s, tuple) else fn(s) for s in state]


def _top(state) -> torch.Tensor:
    """The top layer's hidden state s_t, (B, H)."""
    s = state[-1]
    return s[0] if isinstance(s, tuple) else s


def _length_penalty(length: torch.Tensor, alpha: float) -> torch.Tensor:
    """GNMT's lp(n) = ((5 + n) / 6)^α (Wu et al. 2016, eq. 14)."""
    if alpha == 0.0:
        return torch.ones_like(length, dtype=torch.float32)
    return ((5.0 + length.float()) / 6.0) ** alpha


# ----------------------------------------------------------------------------------------------
# encoder and decoder
# ----------------------------------------------------------------------------------------------


class Encoder(nn.Module):
    """Embedding -> (bi)RNN over the padded source; final states bridged to the decoder's size."""

    def __init__(self, config: Seq2SeqConfig) -> None:
        super().__init__()
        c = config
        self.config = c
        self.embedding = nn.Embedding(c.src_vocab_size, c.embedding_dim, padding_idx=c.pad_id)
        rnn = LSTM if c.cell == "lstm" else GRU
        self.rnn = rnn(c.embedding_dim, c.hidden_size, num_layers=c.num_layers, batch_first=True,
                       dropout=c.dropout, bidirectional=c.bidirectional)
        if c.bidirectional:
            self.bridge_h = nn.Linear(2 * c.hidden_size, c.hidden_size)
            if c.cell == "lstm":
                self.bridge_c = nn.Linear(2 * c.hidden_size, c.hidden_size)

    def run_rnn(self, x: torch.Tensor, lengths: torch.Tensor):
        """x (B, S, E) -> outputs (B, S, D·H), h_n (L·D, B, H) or (h_n, c_n). A seam for the tests'
        torch.nn.LSTM reference, which needs packing instead of ``lengths``."""
        return self.rnn(x, lengths=lengths)

    def forward(self, src: torch.Tensor, src_lengths: torch.Tensor):
        """src (B, S) ids, src_lengths (B,) -> (memory, the decoder's initial state)."""
        B, S = src.shape
        x = F.dropout(self.embedding(src), self.config.dropout, self.training)  # (B, S, E)
        outputs, final = self.run_rnn(x, src_lengths)  # (B, S, D·H)
        mask = torch.arange(S, device=src.device) < src_lengths.unsqueeze(1)  # (B, S)
        if isinstance(final, tuple):
            state = list(zip(self._bridge(final[0], "bridge_h"), self._bridge(final[1], "bridge_c")))
        else:
            state = self._bridge(final, "bridge_h")
        return _Memory(outputs, mask), state

    def _bridge(self, h: torch.Tensor, name: str) -> list[torch.Tensor]:
        """(L·D, B, H) final states -> a list of L decoder states (B, H)."""
        L, H = self.config.num_layers, self.config.hidden_size
        if not self.config.bidirectional:
            return list(h.unbind(0))
        h = h.view(L, 2, h.shape[1], H).permute(0, 2, 1, 3).reshape(L, -1, 2 * H)  # (L, B, [→h; ←h])
        h = getattr(self, name)(h)  # (L, B, H)
        return list((torch.tanh(h) if name == "bridge_h" else h).unbind(0))


class Decoder(nn.Module):
    """A stack of cells, one step at a time, with attention over the encoder's states."""

    def __init__(self, config: Seq2SeqConfig) -> None:
        super().__init__()
        c = config
        self.config = c
        H, K = c.hidden_size, c.encoder_output_size
        self.embedding = nn.Embedding(c.tgt_vocab_size, c.embedding_dim, padding_idx=c.pad_id)
        extra = K if c.attention == "additive" else (H if c.input_feeding else 0)  # c_t or h̃_{t-1}
        cell = LSTMCell if c.cell == "lstm" else GRUCell
        self.cells = nn.ModuleList(cell(c.embedding_dim + extra if i == 0 else H, H) for i in range(c.num_layers))
        if c.attention == "additive":
            self.attention = AdditiveAttention(H, K, c.attention_dim or H)
        elif c.attention == "dot":
            self.attention = DotProductAttention()
        elif c.attention == "general":
            self.attention = GeneralAttention(H, K)
        if c.attention is not None:
            self.combine = nn.Linear(K + H, H, bias=False)  # W_c of h̃ = tanh(W_c [c; s])
        self.generator = nn.Linear(H, c.tgt_vocab_size)  # W_s

    def precompute_keys(self, outputs: torch.Tensor) -> torch.Tensor | None:
        """The part of the scores that does not depend on the step: W_k h_j (additive), W h_j
        (general). Bahdanau et al. (2015, appendix A.1.2) pre-compute U_a h_j for this reason."""
        a = self.config.attention
        if a == "additive":
            return self.attention.W_k(outputs)  # (B, S, A)
        if a == "general":
            return self.attention.W(outputs)  # (B, S, H)
        return outputs if a == "dot" else None

    def attend(self, query: torch.Tensor, memory: _Memory):
        """The attention module's maths on pre-computed keys: query (B, H) -> context (B, K), weights (B, S).

        Equal to ``self.attention(query, memory.outputs, mask=memory.mask)`` (tested), without
        re-projecting every encoder state at every output step.
        """
        if self.config.attention == "additive":
            a = self.attention
            scores = a.v(torch.tanh(a.W_q(query).unsqueeze(1) + memory.keys)).squeeze(-1)  # vᵀ tanh(W_q q + W_k h_j): (B, S)
        else:
            scores = (memory.keys @ query.unsqueeze(-1)).squeeze(-1)  # qᵀ (W) h_j: (B, S)
        weights = scores.masked_fill(~memory.mask, float("-inf")).softmax(dim=-1)  # padding gets exactly 0
        context = (weights.unsqueeze(1) @ memory.outputs).squeeze(1)  # Σ_j α_j h_j: (B, K)
        return context, weights

    def rnn_step(self, x: torch.Tensor, state: list) -> list:
        """One step of the stack: x (B, F) -> the new per-layer states."""
        new = []
        for i, cell in enumerate(self.cells):
            s = cell(x, state[i])
            new.append(s)
            x = s[0] if isinstance(s, tuple) else s  # (B, H)
            if i < len(self.cells) - 1:
                x = F.dropout(x, self.config.dropout, self.training)
        return new

    def forward(self, y_prev: torch.Tensor, state: list, feed: torch.Tensor | None, memory: _Memory):
        """One output step.

        y_prev (B,) previous tokens; ``feed`` is h̃_{t-1} (input feeding) or None.
        Returns logits (B, V), the new state, the next step's feed (h̃_t (B, H) with input feeding,
        else None) and the attention weights (B, S) or None.
        """
        c = self.config
        x = F.dropout(self.embedding(y_prev), c.dropout, self.training)  # (B, E)
        weights = None
        if c.attention == "additive":
            # Bahdanau: attend with s_{t-1}, feed the context into the RNN
            context, weights = self.attend(_top(state), memory)  # (B, K), (B, S)
            state = self.rnn_step(torch.cat([x, context], dim=-1), state)
            s = _top(state)  # (B, H)
        else:
            state = self.rnn_step(torch.cat([x, feed], dim=-1) if c.input_feeding else x, state)
            s = _top(state)
            if c.attention is not None:
                # Luong: attend with s_t
                context, weights = self.attend(s, memory)
        out = s if c.attention is None else torch.tanh(self.combine(torch.cat([context, s], dim=-1)))  # h̃_t (B, H)
        logits = self.generator(F.dropout(out, c.dropout, self.training))  # (B, V)
        return logits, state, (out if c.input_feeding else None), weights


# ----------------------------------------------------------------------------------------------
# the model
# ----------------------------------------------------------------------------------------------


class Seq2Seq(nn.Module):
    """RNN encoder-decoder with optional attention (Sutskever 2014; Cho 2014; Bahdanau 2015; Luong 2015).

    Parameters
    ----------
    config : Seq2SeqConfig

    Examples
    --------
    >>> import torch
    >>> model = Seq2Seq(Seq2SeqConfig.small(src_vocab_size=20, tgt_vocab_size=15)).eval()
    >>> src = torch.tensor([[5, 6, 7, 8], [9, 10, 0, 0]])
    >>> logits = model(src, torch.tensor([4, 2]), torch.tensor([[1, 4, 5], [1, 6, 7]]))
    >>> tuple(logits.shape)
    (2, 3, 15)
    >>> out = model.beam_search(src, torch.tensor([4, 2]), beam_size=3, max_len=5)
    >>> len(out.tokens)
    2

    Notes
    -----
    The pieces, for a custom decoding loop: ``memory, state = model.encode(src, lengths)``, then per
    step ``logits, state, feed, weights = model.decoder(y_prev, state, feed, memory)`` starting from
    ``y_prev = BOS`` and ``feed = None`` (zeros of (B, hidden_size) with ``input_feeding``).
    Decoding runs the model in whatever mode it is in: call ``.eval()`` to switch dropout off.
    """

    def __init__(self, config: Seq2SeqConfig) -> None:
        super().__init__()
        if not isinstance(config, Seq2SeqConfig):
            raise TypeError(f"config: expected a Seq2SeqConfig, got {describe(config)}")
        self.config = config
        self.encoder = Encoder(config)
        self.decoder = Decoder(config)

    # -- input checks ----------------------------------------------------------------------------

    def _check_tokens(self, x, name: str, vocab_size: int) -> torch.Tensor:
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"{name}: expected a torch.Tensor of token ids, got {describe(x)}")
        if x.is_floating_point() or x.is_complex() or x.dtype == torch.bool:
            raise TypeError(f"{name}: expected an integer tensor of token ids, got dtype {x.dtype}")
        if x.dim() != 2 or x.shape[0] == 0 or x.shape[1] == 0:
            raise ValueError(f"{name}: expected a non-empty 2-D tensor of shape (batch, length), got shape {tuple(x.shape)}")
        lo, hi = int(x.min()), int(x.max())
        if lo < 0 or hi >= vocab_size:
            raise ValueError(f"{name}: expected token ids in [0, {vocab_size - 1}], got min {lo} and max {hi}")
        return x.long()

    def _check_source(self, src, src_lengths):
        src = self._check_tokens(src, "src", self.config.src_vocab_size)
        B, S = src.shape
        if src_lengths is None:
            return src, torch.full((B,), S, dtype=torch.long, device=src.device)
        lengths = torch.as_tensor(src_lengths)
        if lengths.is_floating_point() or lengths.dtype == torch.bool:
            raise TypeError(f"src_lengths: expected integer lengths, got dtype {lengths.dtype}")
        if lengths.shape != (B,):
            raise ValueError(f"src_lengths: expected shape ({B},) (one length per source), got {tuple(lengths.shape)}")
        lo, hi = int(lengths.min()), int(lengths.max())
        if lo < 1 or hi > S:
            raise ValueError(f"src_lengths: expected lengths in [1, {S}] (src's length), got min {lo} and max {hi}")
        return src, lengths.to(device=src.device, dtype=torch.long)

    # -- encoder / teacher-forced decoder ---------------------------------------------------------

    def encode(self, src: torch.Tensor, src_lengths: torch.Tensor | None = None):
        """src (B, S) and lengths (B,) -> (memory, initial decoder state)."""
        src, src_lengths = self._check_source(src, src_lengths)
        return self._encode(src, src_lengths)

    def _encode(self, src, src_lengths):
        memory, state = self.encoder(src, src_lengths)
        return memory._replace(keys=self.decoder.precompute_keys(memory.outputs)), state

    def _initial_feed(self, B: int, like: torch.Tensor) -> torch.Tensor | None:
        if not self.config.input_feeding:
            return None
        return like.new_zeros(B, self.config.hidden_size)  # h̃_0 = 0

    def forward(
        self,
        src: torch.Tensor,
        src_lengths: torch.Tensor | None,
        tgt_in: torch.Tensor,
        teacher_forcing_ratio: float = 1.0,
        generator: torch.Generator | None = None,
        return_attention: bool = False,
    ):
        """Logits of every target step.

        Parameters
        ----------
        src : LongTensor of shape (B, S)
            Source ids, padded with ``pad_id`` after each sequence's end.
        src_lengths : LongTensor of shape (B,), or None (all of length S)
        tgt_in : LongTensor of shape (B, T)
            The decoder's input: BOS followed by the target without its last token (EOS).
        teacher_forcing_ratio : float in [0, 1]
            At each step and for each sequence, the next input is the gold token ``tgt_in[:, t+1]``
            with this probability, else the model's own argmax (Williams & Zipser 1989; 1.0 is
            plain teacher forcing, 0.0 feeds the model's predictions).
        generator : torch.Generator, optional
            The random source of those coin flips (seed it for a reproducible run).
        return_attention : bool
            Also return the attention weights (B, T, S) (zero on padding), or None without attention.

        Returns
        -------
        logits : Tensor of shape (B, T, V), or ``(logits, attention)``
        """
        src, src_lengths = self._check_source(src, src_lengths)
        tgt_in = self._check_tokens(tgt_in, "tgt_in", self.config.tgt_vocab_size)
        if tgt_in.shape[0] != src.shape[0]:
            raise ValueError(f"tgt_in: expected batch size {src.shape[0]} (src's), got shape {tuple(tgt_in.shape)}")
        ratio = check_scalar(teacher_forcing_ratio, "teacher_forcing_ratio", minimum=0.0, maximum=1.0)
        memory, state = self._encode(src, src_lengths)
        B, T = tgt_in.shape
        feed = self._initial_feed(B, memory.outputs)
        y = tgt_in[:, 0]
        logits, weights = [], []
        for t in range(T):
            step_logits, state, feed, w = self.decoder(y, state, feed, memory)  # (B, V)
            logits.append(step_logits)
            weights.append(w)
            if t + 1 < T:
                y = self._next_input(tgt_in[:, t + 1], step_logits, ratio, generator)
        logits = torch.stack(logits, dim=1)  # (B, T, V)
        if not return_attention:
            return logits
        return logits, (None if weights[0] is None else torch.stack(weights, dim=1))  # (B, T, S)

    @staticmethod
    def _next_input(gold, step_logits, ratio: float, generator) -> torch.Tensor:
        if ratio == 1.0:
            return gold
        predicted = step_logits.detach().argmax(dim=-1)  # (B,)
        if ratio == 0.0:
            return predicted
        coin = torch.rand(gold.shape[0], generator=generator, device=gold.device) < ratio
        return torch.where(coin, gold, predicted)

    def loss(self, logits: torch.Tensor, tgt_out: torch.Tensor, label_smoothing: float = 0.0) -> torch.Tensor:
        """Mean token cross-entropy of logits (B, T, V) against ``tgt_out`` (B, T); padding ignored."""
        tgt_out = self._check_tokens(tgt_out, "tgt_out", self.config.tgt_vocab_size)
        if tgt_out.shape != logits.shape[:2]:
            raise ValueError(f"tgt_out: expected shape {tuple(logits.shape[:2])} (logits' B, T), got {tuple(tgt_out.shape)}")
        return F.cross_entropy(logits.flatten(0, 1), tgt_out.flatten(), ignore_index=self.config.pad_id,
                               label_smoothing=label_smoothing)

    # -- decoding ---------------------------------------------------------------------------------

    @torch.no_grad()
    def greedy_decode(self, src, src_lengths=None, max_len: int = 50, return_attention: bool = False) -> Seq2SeqDecoding:
        """Feed back the argmax at every step until EOS or ``max_len`` output tokens.

        Returns
        -------
        Seq2SeqDecoding
        """
        src, src_lengths = self._check_source(src, src_lengths)
        max_len = check_int(max_len, "max_len", minimum=1)
        eos = self.config.eos_id
        memory, state = self._encode(src, src_lengths)
        B = src.shape[0]
        feed = self._initial_feed(B, memory.outputs)
        y = torch.full((B,), self.config.bos_id, dtype=torch.long, device=src.device)
        done = torch.zeros(B, dtype=torch.bool, device=src.device)
        log_probs = memory.outputs.new_zeros(B)
        tokens, weights = [], []
        for _ in range(max_len):
            logits, state, feed, w = self.decoder(y, state, feed, memory)
            logp = logits.log_softmax(dim=-1)  # (B, V)
            y = logp.argmax(dim=-1)  # (B,)
            log_probs += torch.where(done, 0.0, logp.gather(1, y.unsqueeze(1)).squeeze(1))
            tokens.append(torch.where(done, self.config.pad_id, y))
            weights.append(w)
            done = done | (y == eos)
            if bool(done.all()):
                break
        tokens = torch.stack(tokens, dim=1)  # (B, T)
        attention = torch.stack(weights, dim=1) if return_attention and weights[0] is not None else None
        return self._result(tokens, log_probs, log_probs.clone(), attention, src_lengths)

    @torch.no_grad()
    def beam_search(self, src, src_lengths=None, beam_size: int = 5, max_len: int = 50,
                    length_penalty: float = 0.0, return_attention: bool = False) -> Seq2SeqDecoding:
        """Left-to-right beam search (Sutskever et al. 2014, §3.1) with GNMT's length penalty.

        Parameters
        ----------
        beam_size : int
            Hypotheses kept per source; 1 is greedy search.
        max_len : int
            Most output tokens (EOS included); a hypothesis still running then is returned unfinished.
        length_penalty : float
            α of lp(n) = ((5 + n) / 6)^α; hypotheses are ranked by log p / lp. 0 ranks by log p;
            larger values favour longer outputs.

        Returns
        -------
        Seq2SeqDecoding — the best hypothesis of each source.
        """
        src, src_lengths = self._check_source(src, src_lengths)
        K = check_int(beam_size, "beam_size", minimum=1)
        max_len = check_int(max_len, "max_len", minimum=1)
        alpha = check_scalar(length_penalty, "length_penalty", minimum=0.0)
        memory, state = self._encode(src, src_lengths)
        B = src.shape[0]
        flat = lambda t: t.repeat_interleave(K, dim=0)  # noqa: E731  (B, ...) -> (B·K, ...)
        memory = _Memory(*(None if t is None else flat(t) for t in memory))
        state = _map_state(state, flat)
        feed = self._initial_feed(B * K, memory.outputs)
        beams = _Beams(B, K, self.config, memory.outputs.device, alpha)
        y = torch.full((B * K,), self.config.bos_id, dtype=torch.long, device=src.device)
        for _ in range(max_len):
            logits, state, feed, w = self.decoder(y, state, feed, memory)
            origin = beams.advance(logits.log_softmax(dim=-1).view(B, K, -1).float(), w)  # (B·K,) rows kept
            state = _map_state(state, lambda t: t.index_select(0, origin))
            feed = None if feed is None else feed.index_select(0, origin)
            y = beams.tokens[:, :, -1].reshape(-1)
            if bool(beams.finished.all()):
                break
        best = beams.best()  # (B,)
        pick = lambda t: t[torch.arange(B), best]  # noqa: E731
        attention = pick(beams.attention) if return_attention and beams.attention is not None else None
        return self._result(pick(beams.tokens), pick(beams.normalized()), pick(beams.scores), attention, src_lengths)

    def _result(self, tokens, scores, log_probs, attention, src_lengths) -> Seq2SeqDecoding:
        """Tokens (B, T) -> lists cut at EOS; attention (B, T, S) cut to each output and source."""
        eos = self.config.eos_id
        out, finished, att = [], [], []
        for b, row in enumerate(tokens.tolist()):
            n = row.index(eos) if eos in row else len(row)
            out.append(row[:n])
            finished.append(n < len(row))
            if attention is not None:
                att.append(attention[b, : min(n + 1, len(row)), : int(src_lengths[b])])
        return Seq2SeqDecoding(out, scores, log_probs, finished, att if attention is not None else None)


class _Beams:
    """The running hypotheses of a batched beam search: (B, K) scores, tokens, lengths, flags."""

    def __init__(self, B: int, K: int, config: Seq2SeqConfig, device, alpha: float) -> None:
        self.B, self.K, self.alpha = B, K, alpha
        self.eos, self.pad = config.eos_id, config.pad_id
        self.scores = torch.full((B, K), float("-inf"), device=device)
        self.scores[:, 0] = 0.0  # one live hypothesis (BOS) per source at the start
        self.tokens = torch.empty(B, K, 0, dtype=torch.long, device=device)
        self.lengths = torch.zeros(B, K, dtype=torch.long, device=device)
        self.finished = torch.zeros(B, K, dtype=torch.bool, device=device)
        self.attention = None  # (B, K, t, S)
        self.device = device

    def normalized(self) -> torch.Tensor:
        return self.scores / _length_penalty(self.lengths, self.alpha)

    def advance(self, logp: torch.Tensor, weights: torch.Tensor | None) -> torch.Tensor:
        """logp (B, K, V) of the next token -> the flat indices of the rows the new beams come from."""
        B, K, V = logp.shape
        # A finished hypothesis has one continuation, padding, at no cost: it competes unchanged.
        frozen = torch.full((V,), float("-inf"), device=logp.device)
        frozen[self.pad] = 0.0
        logp = torch.where(self.finished.unsqueeze(-1), frozen, logp)
        candidates = self.scores.unsqueeze(-1) + logp  # (B, K, V)
        lengths = (self.lengths + (~self.finished).long()).unsqueeze(-1).expand(B, K, V)  # (B, K, V)
        ranked = candidates / _length_penalty(lengths, self.alpha)
        _, index = ranked.view(B, K * V).topk(K, dim=-1)  # (B, K)
        beam, token = index // V, index % V
        self.scores = candidates.view(B, K * V).gather(1, index)
        self.lengths = lengths.reshape(B, K * V).gather(1, index)
        was_finished = self.finished.gather(1, beam)
        # a hypothesis with no probability (the empty slots of the first steps) counts as finished
        self.finished = was_finished | (token == self.eos) | torch.isinf(self.scores)
        self.tokens = torch.cat([self._take(self.tokens, beam), token.unsqueeze(-1)], dim=-1)  # (B, K, t+1)
        if weights is not None:
            w = weights.view(B, K, 1, -1)  # (B, K, 1, S)
            past = w.new_empty(B, K, 0, w.shape[-1]) if self.attention is None else self.attention
            self.attention = torch.cat([self._take(past, beam), self._take(w, beam)], dim=2)
        return (beam + torch.arange(B, device=beam.device).unsqueeze(1) * K).view(-1)

    @staticmethod
    def _take(x: torch.Tensor, beam: torch.Tensor) -> torch.Tensor:
        """x (B, K, ...) reordered along K by ``beam`` (B, K)."""
        index = beam.view(*beam.shape, *([1] * (x.dim() - 2))).expand(*beam.shape, *x.shape[2:])
        return x.gather(1, index)

    def best(self) -> torch.Tensor:
        return self.normalized().argmax(dim=1)  # (B,)
