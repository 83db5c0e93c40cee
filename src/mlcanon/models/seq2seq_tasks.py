"""A real small task for :class:`~mlcanon.models.seq2seq.Seq2Seq`: date-format normalisation.

Human-written dates in 16 formats ("March 5, 1997", "05/03/97", "5 mar 1997", "Wed 5th March
1997", ...) are mapped, character by character, to ISO 8601 ("1997-03-05"). Day-first order is
used throughout (05/03/97 is the 5th of March) and two-digit years are read with a pivot at 50
(97 -> 1997, 05 -> 2005), so every input has exactly one answer. The task needs what attention
is for: the output's characters come from different, variably-placed parts of the input, and
some must be computed (month names -> numbers, padding of single-digit days).

The data are generated from a fixed seed; the train and held-out sets share **no calendar
date** (not merely no string), so held-out accuracy measures generalisation to unseen dates.

Also here: the character vocabularies, batching, the training loop and exact-match scoring that
the slow test, the report and the benchmark share.
"""

from __future__ import annotations

import datetime as _dt
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch

from mlcanon.validation import check_int, check_scalar

__all__ = ["CharVocab", "DateDataset", "DATE_FORMATS", "format_date", "make_date_dataset", "make_batch",
           "iterate_batches", "train_seq2seq", "exact_match"]

_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"]
_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
_FIRST_YEAR, _LAST_YEAR = 1950, 2049  # the two-digit-year pivot at 50 makes "yy" unambiguous here


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


# Each format takes a date and returns its written form.
DATE_FORMATS: dict[str, Callable[[_dt.date], str]] = {
    "March 5, 1997": lambda d: f"{_MONTHS[d.month - 1]} {d.day}, {d.year}",
    "Mar 5, 1997": lambda d: f"{_MONTHS[d.month - 1][:3]} {d.day}, {d.year}",
    "5 March 1997": lambda d: f"{d.day} {_MONTHS[d.month - 1]} {d.year}",
    "5 mar 1997": lambda d: f"{d.day} {_MONTHS[d.month - 1][:3].lower()} {d.year}",
    "05/03/97": lambda d: f"{d.day:02d}/{d.month:02d}/{d.year % 100:02d}",
    "05/03/1997": lambda d: f"{d.day:02d}/{d.month:02d}/{d.year}",
    "5.3.1997": lambda d: f"{d.day}.{d.month}.{d.year}",
    "5-3-97": lambda d: f"{d.day}-{d.month}-{d.year % 100:02d}",
    "05-Mar-1997": lambda d: f"{d.day:02d}-{_MONTHS[d.month - 1][:3]}-{d.year}",
    "1997/03/05": lambda d: f"{d.year}/{d.month:02d}/{d.day:02d}",
    "19970305": lambda d: f"{d.year}{d.month:02d}{d.day:02d}",
    "MARCH 5 1997": lambda d: f"{_MONTHS[d.month - 1].upper()} {d.day} {d.year}",
    "march 5th, 1997": lambda d: f"{_MONTHS[d.month - 1].lower()} {_ordinal(d.day)}, {d.year}",
    "the 5th of March 1997": lambda d: f"the {_ordinal(d.day)} of {_MONTHS[d.month - 1]} {d.year}",
    "Wednesday, March 5, 1997": lambda d: f"{_DAYS[d.weekday()]}, {_MONTHS[d.month - 1]} {d.day}, {d.year}",
    "Wed 5 Mar 97": lambda d: f"{_DAYS[d.weekday()][:3]} {d.day} {_MONTHS[d.month - 1][:3]} {d.year % 100:02d}",
}


def format_date(date: _dt.date, fmt: str) -> str:
    """Write ``date`` in the format named ``fmt`` (a key of :data:`DATE_FORMATS`)."""
    if fmt not in DATE_FORMATS:
        raise ValueError(f"fmt: expected one of {', '.join(repr(k) for k in DATE_FORMATS)}, got {fmt!r}")
    return DATE_FORMATS[fmt](date)


class CharVocab:
    """A character vocabulary with the special ids 0 = <pad>, 1 = <bos>, 2 = <eos>, 3 = <unk>.

    Examples
    --------
    >>> v = CharVocab("0123456789-")
    >>> v.encode("19-7"), v.decode(v.encode("19-7"))
    ([6, 14, 4, 12], '19-7')
    """

    specials = ("<pad>", "<bos>", "<eos>", "<unk>")
    pad_id, bos_id, eos_id, unk_id = 0, 1, 2, 3

    def __init__(self, chars: str) -> None:
        self.itos = list(self.specials) + sorted(set(chars))
        self.stoi = {c: i for i, c in enumerate(self.itos)}

    def __len__(self) -> int:
        return len(self.itos)

    def encode(self, text: str) -> list[int]:
        return [self.stoi.get(c, self.unk_id) for c in text]

    def decode(self, ids: Sequence[int]) -> str:
        """Ids -> text, stopping at EOS and skipping the other special ids."""
        out = []
        for i in ids:
            if i == self.eos_id:
                break
            if i >= len(self.specials):
                out.append(self.itos[i])
        return "".join(out)


@dataclass
class DateDataset:
    """(source, target) string pairs and the two vocabularies."""

    train: list[tuple[str, str]]
    test: list[tuple[str, str]]
    src_vocab: CharVocab
    tgt_vocab: CharVocab


def make_date_dataset(n_train: int = 20000, n_test: int = 1000, seed: int = 0) -> DateDataset:
    """Date normalisation pairs, train and held-out drawn from disjoint sets of calendar dates.

    Parameters
    ----------
    n_train, n_test : int
        Numbers of pairs. Each date is written in one randomly chosen format.
    seed : int
        The random seed; the same seed gives the same data.

    Examples
    --------
    >>> data = make_date_dataset(n_train=5, n_test=2, seed=0)
    >>> len(data.train), len(data.test), len(data.test[0][1])
    (5, 2, 10)
    """
    n_train = check_int(n_train, "n_train", minimum=1)
    n_test = check_int(n_test, "n_test", minimum=1)
    seed = check_int(seed, "seed", minimum=0)
    first = _dt.date(_FIRST_YEAR, 1, 1)
    n_days = (_dt.date(_LAST_YEAR, 12, 31) - first).days + 1
    rng = random.Random(seed)
    days = list(range(n_days))
    rng.shuffle(days)
    n_test_days = min(max(n_test, n_days // 10), n_days // 2)  # a tenth of the calendar is held out
    test_days, train_days = days[:n_test_days], days[n_test_days:]
    formats = list(DATE_FORMATS)

    def pairs(pool: list[int], n: int) -> list[tuple[str, str]]:
        out = []
        for _ in range(n):
            d = first + _dt.timedelta(days=rng.choice(pool))
            out.append((format_date(d, rng.choice(formats)), d.isoformat()))
        return out

    train, test = pairs(train_days, n_train), pairs(test_days, n_test)
    src_chars = "".join(_MONTHS) + "".join(_DAYS) + "".join(_MONTHS).lower() + "".join(_MONTHS).upper() + \
        "0123456789 ,./-thndrsof"
    return DateDataset(train, test, CharVocab(src_chars), CharVocab("0123456789-"))


# ----------------------------------------------------------------------------------------------
# batching, training, scoring
# ----------------------------------------------------------------------------------------------


def make_batch(pairs: Sequence[tuple[str, str]], src_vocab: CharVocab, tgt_vocab: CharVocab, device=None):
    """Padded tensors: src (B, S), src_lengths (B,), tgt_in (B, T) = BOS + y, tgt_out (B, T) = y + EOS."""
    src = [src_vocab.encode(s) for s, _ in pairs]
    tgt = [tgt_vocab.encode(t) for _, t in pairs]
    B, S, T = len(pairs), max(map(len, src)), max(map(len, tgt)) + 1
    src_t = torch.full((B, S), src_vocab.pad_id, dtype=torch.long)
    tgt_in = torch.full((B, T), tgt_vocab.pad_id, dtype=torch.long)
    tgt_out = torch.full((B, T), tgt_vocab.pad_id, dtype=torch.long)
    for b, (s, t) in enumerate(zip(src, tgt)):
        src_t[b, : len(s)] = torch.tensor(s)
        tgt_in[b, : len(t) + 1] = torch.tensor([tgt_vocab.bos_id, *t])
        tgt_out[b, : len(t) + 1] = torch.tensor([*t, tgt_vocab.eos_id])
    lengths = torch.tensor([len(s) for s in src])
    return tuple(x.to(device) for x in (src_t, lengths, tgt_in, tgt_out))


def iterate_batches(pairs, src_vocab, tgt_vocab, batch_size: int, generator: torch.Generator | None = None):
    """Shuffled (when a generator is given) mini-batches of :func:`make_batch` tensors."""
    order = torch.randperm(len(pairs), generator=generator).tolist() if generator is not None else range(len(pairs))
    order = list(order)
    for i in range(0, len(order), batch_size):
        yield make_batch([pairs[j] for j in order[i : i + batch_size]], src_vocab, tgt_vocab)


def exact_match(model, pairs, src_vocab: CharVocab, tgt_vocab: CharVocab, batch_size: int = 500,
                max_len: int = 12, beam_size: int = 1) -> float:
    """The fraction of sources whose decoded output equals the target string exactly."""
    was_training = model.training
    model.eval()
    right = 0
    for i in range(0, len(pairs), batch_size):
        chunk = pairs[i : i + batch_size]
        src, lengths, _, _ = make_batch(chunk, src_vocab, tgt_vocab)
        out = (model.greedy_decode(src, lengths, max_len=max_len) if beam_size == 1
               else model.beam_search(src, lengths, beam_size=beam_size, max_len=max_len))
        right += sum(tgt_vocab.decode(toks) == t for toks, (_, t) in zip(out.tokens, chunk))
    model.train(was_training)
    return right / len(pairs)


def train_seq2seq(model, data: DateDataset, *, epochs: float = 1, batch_size: int = 32, lr: float = 1e-2,
                  seed: int = 0, time_budget_s: float | None = None, clip: float = 1.0,
                  teacher_forcing_ratio: float = 1.0, max_steps: int | None = None,
                  log: Callable[[str], None] | None = None) -> dict:
    """Adam with a one-cycle learning rate (Smith & Topin 2019) on the token cross-entropy, gradient-norm
    clipping; stops after ``epochs`` (or ``max_steps`` updates, which then set the schedule's length)
    or when ``time_budget_s`` wall seconds have passed (the schedule is then cut short).

    Returns a dict with ``steps``, ``epochs``, ``seconds`` (wall), ``cpu_seconds`` (process CPU
    time) and ``losses`` (one mean loss per epoch).
    """
    check_scalar(epochs, "epochs", minimum=0.0, include_minimum=False)
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    check_scalar(lr, "lr", minimum=0.0, include_minimum=False)
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    total_steps = max(1, int(epochs * -(-len(data.train) // batch_size)))
    if max_steps is not None:
        total_steps = check_int(max_steps, "max_steps", minimum=1)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=total_steps, pct_start=0.1)
    model.train()
    start, cpu_start = time.perf_counter(), time.process_time()
    steps, losses, epoch = 0, [], 0
    while steps < total_steps:
        epoch_loss, n = 0.0, 0
        for src, lengths, tgt_in, tgt_out in iterate_batches(data.train, data.src_vocab, data.tgt_vocab, batch_size, gen):
            logits = model(src, lengths, tgt_in, teacher_forcing_ratio=teacher_forcing_ratio, generator=gen)
            loss = model.loss(logits, tgt_out)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
            opt.step()
            sched.step()
            steps += 1
            epoch_loss, n = epoch_loss + float(loss.detach()), n + 1
            out_of_time = time_budget_s is not None and time.perf_counter() - start > time_budget_s
            if steps >= total_steps or out_of_time:
                break
        epoch += 1
        losses.append(epoch_loss / max(n, 1))
        if log is not None:
            log(f"epoch {epoch}: loss {losses[-1]:.4f}, {steps} steps, {time.perf_counter() - start:.1f} s")
        if time_budget_s is not None and time.perf_counter() - start > time_budget_s:
            break
    model.eval()
    return {"steps": steps, "epochs": epoch, "seconds": time.perf_counter() - start,
            "cpu_seconds": time.process_time() - cpu_start, "losses": losses}
