"""Training BERT: masked-LM pre-training and fine-tuning helpers.

Masked language modelling (Devlin et al. 2019, §3.1): choose 15% of the (non-special) tokens as
prediction targets; of those, replace 80% with [MASK], 10% with a random token and keep 10%
unchanged, so the model cannot learn that only [MASK] positions matter. The loss is
cross-entropy on the chosen positions only (labels are -100 elsewhere).

Fine-tuning uses AdamW (Loshchilov & Hutter 2019) with linear warm-up then linear decay, BERT's
schedule.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import torch
from torch import nn

__all__ = ["mask_tokens", "linear_warmup_schedule", "MLMResult", "pretrain_mlm", "batches"]


def mask_tokens(input_ids: torch.Tensor, *, mask_token_id: int, vocab_size: int, special_ids: Sequence[int],
                mlm_probability: float = 0.15, generator: torch.Generator | None = None,
                attention_mask: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Apply BERT's 80/10/10 masking. Returns ``(masked_input_ids, labels)`` where ``labels`` is
    the original id at chosen positions and -100 elsewhere. Special tokens and padding are never chosen."""
    if not 0.0 < mlm_probability < 1.0:
        raise ValueError(f"mlm_probability: expected a number in (0, 1), got {mlm_probability}")
    if input_ids.dtype != torch.long:
        raise TypeError(f"input_ids: expected a torch.long tensor, got {input_ids.dtype}")
    labels = input_ids.clone()
    chance = torch.full(input_ids.shape, mlm_probability)
    protected = torch.isin(input_ids, torch.tensor(list(special_ids), dtype=torch.long))
    if attention_mask is not None:
        protected |= attention_mask == 0
    chance.masked_fill_(protected, 0.0)
    chosen = torch.bernoulli(chance, generator=generator).bool()  # (B, T)
    labels[~chosen] = -100
    masked = input_ids.clone()
    # 80% of the chosen -> [MASK]
    to_mask = torch.bernoulli(torch.full(input_ids.shape, 0.8), generator=generator).bool() & chosen
    masked[to_mask] = mask_token_id
    # half of the remaining 20% -> a random token; the other half stays as it was
    to_random = torch.bernoulli(torch.full(input_ids.shape, 0.5), generator=generator).bool() & chosen & ~to_mask
    masked[to_random] = torch.randint(vocab_size, input_ids.shape, generator=generator)[to_random]
    return masked, labels


def linear_warmup_schedule(optimizer: torch.optim.Optimizer, warmup_steps: int, total_steps: int):
    """LambdaLR: the learning rate rises linearly for ``warmup_steps`` then falls linearly to 0."""
    if total_steps < 1 or not 0 <= warmup_steps <= total_steps:
        raise ValueError(f"warmup_steps/total_steps: expected 0 <= warmup <= total >= 1, got {warmup_steps}/{total_steps}")

    def factor(step: int) -> float:
        if step < warmup_steps:
            return (step + 1) / max(1, warmup_steps)
        return max(0.0, (total_steps - step) / max(1, total_steps - warmup_steps))

    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)


def batches(n: int, batch_size: int, generator: torch.Generator | None = None) -> Iterator[torch.Tensor]:
    """Shuffled index batches covering range(n) once."""
    order = torch.randperm(n, generator=generator)
    for i in range(0, n, batch_size):
        yield order[i : i + batch_size]


@dataclass
class MLMResult:
    losses: list[float]  # one per step

    @property
    def first(self) -> float:
        k = max(1, len(self.losses) // 10)
        return sum(self.losses[:k]) / k

    @property
    def last(self) -> float:
        k = max(1, len(self.losses) // 10)
        return sum(self.losses[-k:]) / k


def pretrain_mlm(model: nn.Module, tokenizer, texts: Sequence[str], *, steps: int = 100, batch_size: int = 16,
                 max_length: int = 64, lr: float = 5e-4, warmup_steps: int = 10, seed: int = 0,
                 progress: Callable[[int, float], None] | None = None) -> MLMResult:
    """Masked-LM pre-training of a :class:`~mlcanon.models.bert.BertForMaskedLM` on ``texts``.

    Returns the loss of every step; a working loop lowers it.
    """
    if len(texts) == 0:
        raise ValueError("texts: expected at least one text, got none")
    gen = torch.Generator().manual_seed(seed)
    enc = tokenizer(list(texts), truncation=True, max_length=max_length, return_tensors="pt")
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    schedule = linear_warmup_schedule(optimizer, min(warmup_steps, steps), steps)
    model.train()
    losses: list[float] = []
    n = enc["input_ids"].shape[0]
    while len(losses) < steps:
        for idx in batches(n, batch_size, gen):
            ids, att = enc["input_ids"][idx], enc["attention_mask"][idx]
            width = int(att.sum(1).max())  # trim padding common to the batch
            ids, att = ids[:, :width], att[:, :width]
            masked, labels = mask_tokens(ids, mask_token_id=tokenizer.mask_token_id, vocab_size=len(tokenizer),
                                         special_ids=tokenizer.all_special_ids, generator=gen, attention_mask=att)
            if bool((labels == -100).all()):
                continue
            loss, _ = model(masked, attention_mask=att, labels=labels)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            schedule.step()
            losses.append(loss.item())
            if progress is not None:
                progress(len(losses), losses[-1])
            if len(losses) >= steps:
                break
    model.eval()
    if not all(math.isfinite(x) for x in losses):
        raise FloatingPointError("pretrain_mlm: the loss became non-finite; lower lr")
    return MLMResult(losses)
