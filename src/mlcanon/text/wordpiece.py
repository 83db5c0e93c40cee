"""BERT's tokenizer: a basic tokenizer (cleaning, CJK and punctuation splitting, lower-casing,
accent stripping) followed by greedy longest-match-first WordPiece.

WordPiece (Schuster & Nakajima 2012; Wu et al. 2016, "Google's Neural Machine Translation System";
used by Devlin et al. 2019, BERT): a word is split into the longest prefix found in the vocabulary,
then the longest continuation piece (written with the prefix ``##``), and so on; a word with no
such split, or longer than ``max_input_chars_per_word`` characters, becomes ``[UNK]``::

    "unaffable" -> ["un", "##aff", "##able"]

Reference: Hugging Face ``BertTokenizer`` (transformers 5, backed by the ``tokenizers`` library's
``BertNormalizer``, ``BertPreTokenizer`` and ``WordPiece``). Normalisation follows that order,
character by character: drop NUL, U+FFFD and other control characters; turn white space into a
space; put spaces around CJK ideographs; strip accents (NFD, then drop non-spacing marks); lower-case.
Every token keeps the (start, end) character span of the original text it came from.
"""

from __future__ import annotations

import functools
import unicodedata
from dataclasses import dataclass
from pathlib import Path

__all__ = ["BasicTokenizer", "WordPieceTokenizer", "Encoding", "load_vocab"]

SPECIAL_TOKENS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")


def load_vocab(vocab_file: str | Path) -> dict[str, int]:
    """Read a ``vocab.txt``: one token a line, the id is the line number (from 0)."""
    path = Path(vocab_file)
    if not path.is_file():
        raise FileNotFoundError(f"vocab_file: no such file {path}")
    vocab: dict[str, int] = {}
    with open(path, encoding="utf-8") as fh:
        for i, line in enumerate(fh):
            token = line.rstrip("\n")
            if token in vocab:
                raise ValueError(f"{path}, line {i + 1}: token {token!r} already seen on line {vocab[token] + 1}")
            vocab[token] = i
    if not vocab:
        raise ValueError(f"vocab_file: {path} is empty; expected one token a line")
    return vocab


def _is_control(ch: str) -> bool:
    # Tab, newline and carriage return are white space. Unassigned code points (Cn) are kept as
    # ordinary characters, as the reference does.
    return ch not in "\t\n\r" and unicodedata.category(ch) in ("Cc", "Cf", "Co", "Cs")


def _is_whitespace(ch: str) -> bool:
    return ch in " \t\n\r" or ch.isspace() or unicodedata.category(ch) == "Zs"


def _is_punctuation(ch: str) -> bool:
    cp = ord(ch)
    # ASCII symbols such as "$" and "^" are not in Unicode's P* categories but BERT splits them too.
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(ch).startswith("P")


def _is_cjk(cp: int) -> bool:
    # The CJK Unified Ideographs blocks (not Hangul or Kana, which are written with spaces).
    # 0x2B920 (not 0x2B820) is where the reference's range starts.
    return (
        0x4E00 <= cp <= 0x9FFF
        or 0x3400 <= cp <= 0x4DBF
        or 0x20000 <= cp <= 0x2A6DF
        or 0x2A700 <= cp <= 0x2B73F
        or 0x2B740 <= cp <= 0x2B81F
        or 0x2B920 <= cp <= 0x2CEAF
        or 0xF900 <= cp <= 0xFAFF
        or 0x2F800 <= cp <= 0x2FA1F
    )


def _char_action(basic: "BasicTokenizer", ch: str) -> tuple[str, str]:
    """What the basic tokenizer does with one character inside a word, by the rules:
    ("drop", ""), ("space", ""), ("split", text) or ("keep", text)."""
    cp = ord(ch)
    if cp == 0 or cp == 0xFFFD or _is_control(ch):
        return ("drop", "")
    if _is_whitespace(ch):
        return ("space", "")
    if basic.tokenize_chinese_chars and _is_cjk(cp):
        return ("split", basic._normalise(ch))
    if _is_punctuation(ch):
        return ("split", basic._normalise(ch))
    text = basic._normalise(ch)
    return ("keep", text) if text else ("drop", "")


@functools.cache
def _reference_table(lowercase: bool, strip_accents: bool) -> dict[int, tuple[str, str]]:
    from mlcanon.text._bert_unicode import OVERRIDES

    return OVERRIDES.get((lowercase, strip_accents), {})


class BasicTokenizer:
    """Cleaning, CJK and punctuation splitting, lower-casing and accent stripping.

    ``tokenize_with_offsets(text)`` returns ``[(token, start, end), ...]`` with spans into ``text``.
    Python's Unicode tables (14.0) are newer than the reference's; the few hundred code points
    where the two disagree are looked up in a table generated from the reference
    (``tools/gen_bert_unicode.py``), so that the ids match on any text.

    Examples
    --------
    >>> BasicTokenizer().tokenize("Héllo, World!")
    ['hello', ',', 'world', '!']
    """

    def __init__(self, do_lower_case: bool = True, strip_accents: bool | None = None,
                 tokenize_chinese_chars: bool = True, use_reference_table: bool = True) -> None:
        self.do_lower_case = do_lower_case
        # As in BERT: accents are stripped when lower-casing unless said otherwise.
        self.strip_accents = do_lower_case if strip_accents is None else strip_accents
        self.tokenize_chinese_chars = tokenize_chinese_chars
        table = _reference_table(bool(do_lower_case), bool(self.strip_accents)) if use_reference_table else {}
        self._overrides = table if tokenize_chinese_chars else {}
        self._actions: dict[str, tuple[str, str]] = {}

    def tokenize(self, text: str) -> list[str]:
        return [tok for tok, _, _ in self.tokenize_with_offsets(text)]

    def action(self, ch: str) -> tuple[str, str]:
        """The action for one character (memoised: a corpus has few distinct characters)."""
        act = self._actions.get(ch)
        if act is None:
            act = self._overrides.get(ord(ch)) or _char_action(self, ch)
            self._actions[ch] = act
        return act

    def tokenize_with_offsets(self, text: str) -> list[tuple[str, int, int]]:
        return [(word, origin[0], origin[-1] + 1) for word, origin in self.words_with_origins(text)]

    def words_with_origins(self, text: str) -> list[tuple[str, list[int]]]:
        """Words with, for each of their (normalised) characters, its index in ``text``."""
        if not isinstance(text, str):
            raise TypeError(f"text: expected a str, got {type(text).__name__}")
        words: list[tuple[str, list[int]]] = []
        chars: list[str] = []  # normalised characters of the current word
        origin: list[int] = []  # index in `text` of each of them

        def flush() -> None:
            if chars:
                words.append(("".join(chars), list(origin)))
                chars.clear()
                origin.clear()

        for i, ch in enumerate(text):
            kind, out = self.action(ch)
            if kind == "keep":
                chars.extend(out)  # normalising may yield several characters, all from text[i]
                origin.extend([i] * len(out))
            elif kind == "split":
                flush()
                words.append((out, [i] * len(out)))
            elif kind == "space":
                flush()
        flush()
        return words

    def _normalise(self, ch: str) -> str:
        if self.strip_accents:
            ch = "".join(c for c in unicodedata.normalize("NFD", ch) if unicodedata.category(c) != "Mn")
        if self.do_lower_case:
            ch = ch.lower()  # one character at a time: no context-dependent final sigma
        return ch


@dataclass
class Encoding:
    """What :meth:`WordPieceTokenizer.encode_plus` returns."""

    input_ids: list[int]
    token_type_ids: list[int]
    attention_mask: list[int]
    offsets: list[tuple[int, int]]
    tokens: list[str]


class WordPieceTokenizer:
    """BERT's tokenizer over a ``vocab.txt``: the same ids as Hugging Face's ``BertTokenizer``.

    Parameters
    ----------
    vocab_file : str or Path
        One token a line.
    do_lower_case : bool, default=True
    strip_accents : bool or None, default=None
        ``None`` follows ``do_lower_case``.
    tokenize_chinese_chars : bool, default=True
    max_input_chars_per_word : int, default=100
    unk_token, cls_token, sep_token, pad_token, mask_token : str

    Examples
    --------
    >>> tok = WordPieceTokenizer(vocab_file)                         # doctest: +SKIP
    >>> tok.tokenize("unaffable")                                    # doctest: +SKIP
    ['una', '##ffa', '##ble']
    >>> tok.encode("Hello world")                                    # doctest: +SKIP
    [101, 7592, 2088, 102]
    """

    def __init__(self, vocab_file: str | Path, do_lower_case: bool = True, strip_accents: bool | None = None,
                 tokenize_chinese_chars: bool = True, max_input_chars_per_word: int = 100,
                 unk_token: str = "[UNK]", cls_token: str = "[CLS]", sep_token: str = "[SEP]",
                 pad_token: str = "[PAD]", mask_token: str = "[MASK]") -> None:
        self.vocab_file = Path(vocab_file)
        if self.vocab_file.is_dir():  # a model folder: its vocab.txt, as Hugging Face's from_pretrained looks
            self.vocab_file = self.vocab_file / "vocab.txt"
        self.vocab = load_vocab(self.vocab_file)
        self.ids_to_tokens = {i: t for t, i in self.vocab.items()}
        self.basic = BasicTokenizer(do_lower_case, strip_accents, tokenize_chinese_chars)
        self.max_input_chars_per_word = max_input_chars_per_word
        self.unk_token, self.cls_token, self.sep_token = unk_token, cls_token, sep_token
        self.pad_token, self.mask_token = pad_token, mask_token
        self.special_tokens = [t for t in (pad_token, unk_token, cls_token, sep_token, mask_token) if t in self.vocab]
        missing = [t for t in (unk_token, cls_token, sep_token) if t not in self.vocab]
        if missing:
            raise ValueError(f"vocab_file: {self.vocab_file} lacks the special token(s) {missing}")
        self._cache: dict[str, list[tuple[str, int, int]]] = {}

    # ids of special tokens, for models and masking
    @property
    def unk_token_id(self) -> int:
        return self.vocab[self.unk_token]

    @property
    def cls_token_id(self) -> int:
        return self.vocab[self.cls_token]

    @property
    def sep_token_id(self) -> int:
        return self.vocab[self.sep_token]

    @property
    def pad_token_id(self) -> int:
        return self.vocab.get(self.pad_token, 0)

    @property
    def mask_token_id(self) -> int:
        if self.mask_token not in self.vocab:
            raise ValueError(f"the vocabulary has no mask token {self.mask_token!r}")
        return self.vocab[self.mask_token]

    @property
    def all_special_ids(self) -> list[int]:
        return [self.vocab[t] for t in self.special_tokens]

    def __len__(self) -> int:
        return len(self.vocab)

    def tokenize(self, text: str) -> list[str]:
        """WordPiece tokens of ``text`` (no [CLS]/[SEP])."""
        return [tok for tok, _, _ in self.tokenize_with_offsets(text)]

    def tokenize_with_offsets(self, text: str) -> list[tuple[str, int, int]]:
        """``[(piece, start, end), ...]``: each piece with its character span in ``text``."""
        if not isinstance(text, str):
            raise TypeError(f"text: expected a str, got {type(text).__name__}")
        out: list[tuple[str, int, int]] = []
        for chunk, base, is_special in self._split_special(text):
            if is_special:
                out.append((chunk, base, base + len(chunk)))
                continue
            for word, origin in self.basic.words_with_origins(chunk):
                out.extend(self._wordpiece(word, origin, base))
        return out

    def _split_special(self, text: str):
        """Cut ``text`` at exact occurrences of special tokens such as ``[MASK]`` (never normalised)."""
        pos = 0
        while pos < len(text):
            hits = [(text.find(t, pos), t) for t in self.special_tokens]
            hits = [(i, t) for i, t in hits if i >= 0]
            if not hits:
                break
            i, tok = min(hits, key=lambda h: (h[0], -len(h[1])))
            if i > pos:
                yield text[pos:i], pos, False
            yield tok, i, True
            pos = i + len(tok)
        if pos < len(text):
            yield text[pos:], pos, False

    def _wordpiece(self, word: str, origin: list[int], base: int) -> list[tuple[str, int, int]]:
        pieces = self._cache.get(word)
        if pieces is None:
            pieces = self._cache[word] = self._split_word(word)
        # A piece covers normalised characters [a, b); its span in the text runs from the first
        # one's origin to just after the last one's.
        return [(p, base + origin[a], base + origin[b - 1] + 1) for p, a, b in pieces]

    def _split_word(self, word: str) -> list[tuple[str, int, int]]:
        if len(word) > self.max_input_chars_per_word:
            return [(self.unk_token, 0, len(word))]
        pieces = []
        begin = 0
        while begin < len(word):
            stop = len(word)
            found = None
            while begin < stop:
                piece = word[begin:stop] if begin == 0 else "##" + word[begin:stop]
                if piece in self.vocab:
                    found = piece
                    break
                stop -= 1
            if found is None:
                return [(self.unk_token, 0, len(word))]
            pieces.append((found, begin, stop))
            begin = stop
        return pieces

    def convert_tokens_to_ids(self, tokens: list[str]) -> list[int]:
        return [self.vocab.get(t, self.unk_token_id) for t in tokens]

    def convert_ids_to_tokens(self, ids: list[int]) -> list[str]:
        bad = [i for i in ids if i not in self.ids_to_tokens]
        if bad:
            raise ValueError(f"ids: expected ids in [0, {len(self.vocab) - 1}], got {bad[:5]}")
        return [self.ids_to_tokens[i] for i in ids]

    def encode(self, text: str, text_pair: str | None = None, add_special_tokens: bool = True,
               max_length: int | None = None, truncation: bool = False) -> list[int]:
        """Token ids with ``[CLS] text [SEP] (text_pair [SEP])``, as ``BertTokenizer.encode``."""
        return self.encode_plus(text, text_pair, add_special_tokens, max_length, truncation).input_ids

    def encode_plus(self, text: str, text_pair: str | None = None, add_special_tokens: bool = True,
                    max_length: int | None = None, truncation: bool = False) -> Encoding:
        """Ids, token types, attention mask, offsets and tokens of one text (or pair)."""
        a = self.tokenize_with_offsets(text)
        b = self.tokenize_with_offsets(text_pair) if text_pair is not None else None
        if truncation:
            if max_length is None:
                raise ValueError("max_length: expected an int when truncation=True, got None")
            a, b = self._truncate(a, b, max_length - (3 if b is not None else 2) * add_special_tokens)
        tokens, types, offsets = [], [], []
        if add_special_tokens:
            tokens.append(self.cls_token), types.append(0), offsets.append((0, 0))
        for t, s, e in a:
            tokens.append(t), types.append(0), offsets.append((s, e))
        if add_special_tokens:
            tokens.append(self.sep_token), types.append(0), offsets.append((0, 0))
        if b is not None:
            for t, s, e in b:
                tokens.append(t), types.append(1), offsets.append((s, e))
            if add_special_tokens:
                tokens.append(self.sep_token), types.append(1), offsets.append((0, 0))
        ids = self.convert_tokens_to_ids(tokens)
        return Encoding(ids, types, [1] * len(ids), offsets, tokens)

    @staticmethod
    def _truncate(a, b, budget: int):
        if budget < 0:
            raise ValueError(f"max_length: too small to hold the special tokens (budget {budget})")
        if b is None:
            return a[:budget], None
        a, b = list(a), list(b)
        while len(a) + len(b) > budget:  # "longest_first", as Hugging Face's default
            (a if len(a) > len(b) else b).pop()
        return a, b

    def __call__(self, texts: list[str] | str, text_pairs: list[str] | None = None, padding: bool = True,
                 truncation: bool = False, max_length: int | None = None, return_tensors: str | None = None):
        """Batch encoding, padded to the longest (or ``max_length``): a dict of ``input_ids``,
        ``token_type_ids``, ``attention_mask`` (lists, or torch tensors with ``return_tensors="pt"``)."""
        if isinstance(texts, str):
            texts = [texts]
        if not isinstance(texts, (list, tuple)) or not all(isinstance(t, str) for t in texts):
            raise TypeError("texts: expected a str or a list of str")
        if text_pairs is not None and len(text_pairs) != len(texts):
            raise ValueError(f"text_pairs: expected {len(texts)} texts to pair with, got {len(text_pairs)}")
        encs = [self.encode_plus(t, None if text_pairs is None else text_pairs[i], True, max_length, truncation)
                for i, t in enumerate(texts)]
        width = max(len(e.input_ids) for e in encs)
        if padding == "max_length" and max_length is not None:
            width = max_length
        batch = {"input_ids": [], "token_type_ids": [], "attention_mask": []}
        for e in encs:
            pad = width - len(e.input_ids) if padding else 0
            batch["input_ids"].append(e.input_ids + [self.pad_token_id] * pad)
            batch["token_type_ids"].append(e.token_type_ids + [0] * pad)
            batch["attention_mask"].append(e.attention_mask + [0] * pad)
        if return_tensors == "pt":
            import torch

            return {k: torch.tensor(v, dtype=torch.long) for k, v in batch.items()}
        if return_tensors is not None:
            raise ValueError(f"return_tensors: expected None or 'pt', got {return_tensors!r}")
        return batch

    def decode(self, ids: list[int], skip_special_tokens: bool = True) -> str:
        """Join pieces back into text (``##`` pieces glued to the previous one)."""
        tokens = self.convert_ids_to_tokens(list(ids))
        if skip_special_tokens:
            tokens = [t for t in tokens if t not in self.special_tokens]
        text = " ".join(tokens).replace(" ##", "")
        return text

    def save_vocabulary(self, directory: str | Path) -> Path:
        path = Path(directory) / "vocab.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(self.ids_to_tokens[i] + "\n" for i in range(len(self.ids_to_tokens))), encoding="utf-8")
        return path
