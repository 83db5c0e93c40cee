"""A vocabulary: tokens to integer ids and back, built from counts, saved as one token a line.

Ids ``0..len(specials)-1`` are the special tokens (``<pad>`` = 0, ``<unk>`` = 1 by default); the rest are
the tokens seen at least ``min_freq`` times, most frequent first, ties broken by first appearance, so
the same corpus always gives the same ids. Unknown tokens map to ``<unk>``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

from mlcanon.validation import check_int

__all__ = ["Vocab"]


class Vocab:
    """Token ↔ id mapping.

    Examples
    --------
    >>> v = Vocab.build([["a", "b", "a"], ["c"]])
    >>> v.encode(["a", "c", "zzz"]), len(v), v.decode([2, 3])
    ([2, 4, 1], 5, ['a', 'b'])
    """

    def __init__(self, tokens: Sequence[str], *, pad: str | None = "<pad>", unk: str | None = "<unk>") -> None:
        tokens = list(tokens)
        if len(set(tokens)) != len(tokens):
            dup = next(t for t in tokens if tokens.count(t) > 1)
            raise ValueError(f"tokens: expected distinct tokens, got {dup!r} twice")
        self.itos = tokens
        self.stoi = {t: i for i, t in enumerate(tokens)}
        self.pad, self.unk = pad, unk
        for name, special in (("pad", pad), ("unk", unk)):
            if special is not None and special not in self.stoi:
                raise ValueError(f"{name}: special token {special!r} is not among the tokens")
        self.pad_id = self.stoi[pad] if pad is not None else None
        self.unk_id = self.stoi[unk] if unk is not None else None

    @classmethod
    def build(cls, sequences: Iterable[Sequence[str]], *, min_freq: int = 1, max_size: int | None = None,
              specials: Sequence[str] = ("<pad>", "<unk>")) -> Vocab:
        """Count the tokens of ``sequences`` and keep those seen ``min_freq`` times (at most ``max_size``)."""
        check_int(min_freq, "min_freq", minimum=1)
        if max_size is not None:
            check_int(max_size, "max_size", minimum=0)
        counts: Counter[str] = Counter()
        for seq in sequences:
            if isinstance(seq, str):
                raise TypeError("sequences: expected sequences of tokens, got a str (split it into tokens first)")
            counts.update(seq)
        kept = [t for t, c in counts.most_common() if c >= min_freq and t not in specials]  # stable for ties
        if max_size is not None:
            kept = kept[:max_size]
        specials = list(specials)
        return cls(specials + kept, pad=specials[0] if specials else None,
                   unk=specials[1] if len(specials) > 1 else None)

    def __len__(self) -> int:
        return len(self.itos)

    def __contains__(self, token: str) -> bool:
        return token in self.stoi

    def encode(self, tokens: Sequence[str]) -> list[int]:
        if self.unk_id is None:
            missing = [t for t in tokens if t not in self.stoi]
            if missing:
                raise ValueError(f"tokens: {missing[0]!r} is not in the vocabulary (which has no <unk>)")
            return [self.stoi[t] for t in tokens]
        return [self.stoi.get(t, self.unk_id) for t in tokens]

    def decode(self, ids: Sequence[int]) -> list[str]:
        return [self.itos[i] for i in ids]

    def save(self, path: str | Path) -> None:
        """One token a line, in id order (UTF-8)."""
        bad = [t for t in self.itos if "\n" in t or "\r" in t]
        if bad:
            raise ValueError(f"tokens: {bad[0]!r} holds a line break and cannot be saved one a line")
        Path(path).write_text("".join(t + "\n" for t in self.itos), encoding="utf-8")

    @classmethod
    def load(cls, path: str | Path, *, pad: str | None = "<pad>", unk: str | None = "<unk>") -> Vocab:
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"{path}: vocabulary file not found")
        tokens = path.read_text(encoding="utf-8").split("\n")
        if tokens and tokens[-1] == "":
            tokens.pop()
        return cls(tokens, pad=pad if pad in tokens else None, unk=unk if unk in tokens else None)
