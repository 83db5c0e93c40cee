"""Entity-level metrics for sequence labelling (named-entity recognition, chunking).

Tjong Kim Sang & Buchholz, "Introduction to the CoNLL-2000 Shared Task: Chunking" (2000) and
Tjong Kim Sang & De Meulder, "Introduction to the CoNLL-2003 Shared Task" (2003) define the
scores (and ``conlleval.pl`` computes them); Ramshaw & Marcus (1995), Tjong Kim Sang & Veenstra
(1999) and Ratinov & Roth (2009) define the tag schemes. Reference implementation whose numbers,
warnings and report text these match, argument for argument: seqeval 1.2.2
(``seqeval/metrics/sequence_labeling.py``, ``seqeval/metrics/v1.py``, ``seqeval/scheme.py``).

An entity is a (type, start, end) span read off the tags. Per entity type t, with the sets of
gold and predicted entities G_t and P_t::

    precision_t = |G_t & P_t| / |P_t|        recall_t = |G_t & P_t| / |G_t|
    F_beta,t    = (1 + beta^2) precision_t recall_t / (beta^2 precision_t + recall_t)

``average='micro'`` sums the three counts over types first; ``'macro'`` is the plain mean of the
per-type scores; ``'weighted'`` weights them by support |G_t|. A 0/0 becomes ``zero_division``
(``"warn"``: 0 and an :class:`~mlcanon.metrics.classification.UndefinedMetricWarning`).

Two ways to read entities off the tags, as in seqeval:

- ``mode=None`` (alias ``"conlleval"``): conlleval's rules, on the tag's first letter (its last
  with ``suffix=True``) and its type. A chunk ends before a token when the previous letter is
  E or S, when a B/I is followed by B, S or O, or when the type changes after anything but O or
  ``.``; a chunk starts at B or S, at E/I after E, S or O, and wherever the type changes (except
  on O or ``.``). Ill-formed sequences are read as seqeval reads them (``I-`` after ``O`` starts
  an entity, an unknown letter such as ``L-``/``U-`` only matters through its type, and so on),
  and a tag that is not ``O``/``B-``/``I-``/``E-``/``S-`` gives seqeval's "seems not to be NE
  tag" warning.
- ``mode="strict"`` with ``scheme=`` one of ``"IOB1"``, ``"IOB2"``, ``"IOE1"``, ``"IOE2"``,
  ``"IOBES"``, ``"BILOU"`` (or seqeval's scheme classes): each scheme is a table of
  (previous prefix, prefix, same/different type) patterns saying where an entity starts, which
  tokens continue it and which token may close it; an entity counts only if it is properly
  closed. A prefix the scheme does not allow is a ``ValueError``.

Speed. seqeval walks the tags in Python once per score (ten times for one report) and, in strict
mode, builds an object per token. Here every distinct tag string is parsed once, the tags become
integer codes, and the start/continue/end decisions are NumPy comparisons between each code and
the previous one. In strict mode the left-to-right scan of seqeval becomes: split the tags into
runs that continue an entity; in each run the first token that may start an entity starts one
and the run's end closes it. The counts are therefore exactly seqeval's, and the divisions and
averages are the same NumPy calls on the same integer counts, so every figure is equal to the
last bit and the text report is equal byte for byte.

Deliberate differences from seqeval 1.2.2, all on input it would mishandle: malformed input
(ragged lengths, non-string or empty tags, an unknown ``mode``, ``average``, ``scheme`` or
``zero_division``) is a ``ValueError``/``TypeError`` naming the argument where seqeval raises a
``KeyError``/``IndexError`` or silently goes on; tuples are accepted where seqeval wants lists;
and the "seems not to be NE tag" warning comes once per distinct tag and call instead of once per
token and internal pass. ``sample_weight`` is accepted and, exactly as in seqeval 1.2.2, has no
effect (seqeval only uses it for ``average='samples'``, which it does not allow).
"""

from __future__ import annotations

import numbers
import operator
import warnings
from itertools import chain, count
from typing import Any

import numpy as np

from mlcanon.metrics.classification import UndefinedMetricWarning
from mlcanon.validation import check_int, describe

__all__ = [
    "SCHEMES",
    "get_entities",
    "precision_recall_fscore_support",
    "precision_score",
    "recall_score",
    "f1_score",
    "accuracy_score",
    "performance_measure",
    "classification_report",
    "entity_confusion_matrix",
    "entity_scores",
    "entity_classification_report",
]

_AVERAGES = (None, "micro", "macro", "weighted")

# ----------------------------------------------------------------------------- the schemes
# Strict-mode prefixes are the seven letters of seqeval's ``Prefix`` flag; codes index the tables.
_STRICT_LETTERS = "IOBESUL"
_CODE = {c: i for i, c in enumerate(_STRICT_LETTERS)}

# Each scheme: allowed prefixes, then the start / inside / end patterns, one per entry, written
# "previous-prefixes current-prefixes tag-condition" ("*" = any prefix; same/diff/any = whether
# the previous token's type equals the current one's). Transcribed from seqeval.scheme (1.2.2).
_SCHEME_TABLES: dict[str, tuple[str, tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "IOB1": (
        "IOB",
        ("O I any", "I I diff", "B I any", "I B same", "B B same"),
        ("B I same", "I I same"),
        ("I I diff", "I O any", "I B any", "B O any", "B I diff", "B B same"),
    ),
    "IOE1": (
        "IOE",
        ("O I any", "I I diff", "E I any", "E E same"),
        ("I I same", "I E same"),
        ("I I diff", "I O any", "I E diff", "E I same", "E E same"),
    ),
    "IOB2": (
        "IOB",
        ("* B any",),
        ("B I same", "I I same"),
        ("I O any", "I I diff", "I B any", "B O any", "B I diff", "B B any"),
    ),
    "IOE2": (
        "IOE",
        ("O I any", "O E any", "E I any", "E E any", "I I diff", "I E diff"),
        ("I E same", "I I same"),
        ("E * any",),
    ),
    "IOBES": (
        "IOBES",
        ("* B any", "* S any"),
        ("B I same", "B E same", "I I same", "I E same"),
        ("S * any", "E * any"),
    ),
    "BILOU": (
        "BILOU",
        ("* B any", "* U any"),
        ("B I same", "B L same", "I I same", "I L same"),
        ("U * any", "L * any"),
    ),
}
SCHEMES = tuple(_SCHEME_TABLES)

# Default-mode letter classes: the conlleval rules only look at these letters; every other
# first letter behaves the same (it is neither O nor '.', and in no other rule).
_O, _B, _I, _E, _S, _DOT, _OTHER = range(7)
_DEFAULT_CODE = {"O": _O, "B": _B, "I": _I, "E": _E, "S": _S, ".": _DOT}


def _letter_mask(letters: str) -> np.ndarray:
    mask = np.zeros(len(_STRICT_LETTERS), dtype=bool)
    for c in _STRICT_LETTERS if letters == "*" else letters:
        mask[_CODE[c]] = True
    return mask


def _compile(patterns: tuple[str, ...]) -> list[tuple[np.ndarray, np.ndarray, str]]:
    out = []
    for pattern in patterns:
        prev, cur, cond = pattern.split()
        out.append((_letter_mask(prev), _letter_mask(cur), cond))
    return out


_COMPILED = {
    name: (_letter_mask(allowed), _compile(start), _compile(inside), _compile(end))
    for name, (allowed, start, inside, end) in _SCHEME_TABLES.items()
}


def _matches(patterns, prev_code: np.ndarray, code: np.ndarray, same: np.ndarray) -> np.ndarray:
    """Where any of ``patterns`` holds between each token and the one before it."""
    out = np.zeros(code.shape[0], dtype=bool)
    for prev_mask, cur_mask, cond in patterns:
        hit = prev_mask[prev_code] & cur_mask[code]
        if cond == "same":
            hit &= same
        elif cond == "diff":
            hit &= ~same
        out |= hit
    return out


# ----------------------------------------------------------------------------- input handling


class _Tags:
    """Tag sequences as integer codes: every distinct tag string is parsed once.

    ``ids`` holds the tags of all sentences one after the other with one ``"O"`` after each
    sentence (seqeval's flattening in default mode, and the outside token that ends every
    sentence in strict mode), so an entity never crosses a sentence and the positions of ``y_true``
    and ``y_pred`` line up.
    """

    def __init__(self, vocab: list[str], ids: np.ndarray, lengths: np.ndarray):
        self.vocab = vocab  # distinct tags; ids index it
        self.ids = ids  # (N,) with N = n_tags + n_sentences
        self.lengths = lengths  # (n_sentences,)

    def where(self, pos: int) -> tuple[int, int]:
        """(sentence, position in it) of position ``pos`` of ``ids``."""
        ends = np.cumsum(self.lengths) + np.arange(self.lengths.shape[0])  # the separators
        sentence = int(np.searchsorted(ends, pos, side="left"))
        return sentence, pos - (int(ends[sentence - 1]) + 1 if sentence else 0)


def _check_sequences(y: Any, name: str) -> tuple[list, np.ndarray]:
    if not isinstance(y, (list, tuple)):
        raise TypeError(f"{name}: expected a list of tag sequences (lists of str), got {describe(y)}")
    if not set(map(type, y)) <= {list, tuple}:
        for i, seq in enumerate(y):
            if not isinstance(seq, (list, tuple)):
                raise TypeError(
                    f"{name}: expected a list of tag sequences (lists of str), got {describe(seq)} at index {i}"
                )
    lengths = np.fromiter(map(len, y), dtype=np.intp, count=len(y))
    return y, lengths


def _check_pair(y_true: Any, y_pred: Any, allow_empty: bool = False) -> tuple[list, list, np.ndarray]:
    y_true, len_true = _check_sequences(y_true, "y_true")
    y_pred, len_pred = _check_sequences(y_pred, "y_pred")
    if len_true.shape[0] == 0 and not allow_empty:  # seqeval fails on this too (its type check sees no list)
        raise ValueError("y_true: expected at least one tag sequence, got none")
    if len_true.shape[0] != len_pred.shape[0]:
        raise ValueError(
            f"y_true, y_pred: expected the same number of sequences, got {len_true.shape[0]} and {len_pred.shape[0]}"
        )
    bad = np.flatnonzero(len_true != len_pred)
    if bad.size:
        i = int(bad[0])
        raise ValueError(
            f"y_true, y_pred: expected sequences of equal length, got {int(len_true[i])} and "
            f"{int(len_pred[i])} tags in sequence {i}"
        )
    return y_true, y_pred, len_true


def _encode(groups: list[tuple[list, np.ndarray, str]]) -> list[_Tags]:
    """Encode several groups of sentences over one shared vocabulary (so codes compare)."""
    # One C-level pass per group: ``setdefault`` stores each new tag with the running position
    # of its first occurrence (``count``) and returns that position for every later one; the
    # positions are then renumbered 0, 1, ... in order of first occurrence ("O" first).
    first: dict = {"O": 0}
    counter = count(1)
    raw = []
    for y, lengths, name in groups:
        n = int(lengths.sum())
        try:
            raw.append(np.fromiter(map(first.setdefault, chain.from_iterable(y), counter), dtype=np.intp, count=n))
        except TypeError:  # an unhashable tag
            _raise_bad_tag(y, name, next(t for t in chain.from_iterable(y) if not isinstance(t, str)))
    vocab = list(first)
    for tag in vocab:
        if not isinstance(tag, str) or not tag:
            for y, _, name in groups:
                if any(t is tag or (type(t) is type(tag) and t == tag) for t in chain.from_iterable(y)):
                    _raise_bad_tag(y, name, tag)
    renumber = np.zeros(next(counter), dtype=np.intp)
    renumber[np.fromiter(first.values(), dtype=np.intp, count=len(first))] = np.arange(len(first))
    out = []
    for (_, lengths, _), ids in zip(groups, raw):
        ids = np.insert(renumber[ids], np.cumsum(lengths), 0)  # an "O" after each sentence
        out.append(_Tags(vocab, ids, lengths))
    return out


def _raise_bad_tag(y, name: str, tag: Any) -> None:
    for i, seq in enumerate(y):
        for j, t in enumerate(seq):
            if type(t) is type(tag) and (t is tag or t == tag):
                if not isinstance(t, str):
                    raise TypeError(f"{name}: expected tags of type str, got {describe(t)} in sequence {i} at position {j}")
                raise ValueError(f"{name}: expected non-empty tags, got '' in sequence {i} at position {j}")


def _check_mode(mode: Any) -> str | None:
    if mode is None or (isinstance(mode, str) and mode == "conlleval"):
        return None
    if isinstance(mode, str) and mode == "strict":
        return "strict"
    raise ValueError(f"mode: expected None (or 'conlleval') or 'strict', got {mode!r}")


def _scheme_name(scheme: Any) -> str | None:
    """``scheme`` as one of :data:`SCHEMES`; seqeval's classes are recognised by their name."""
    if scheme is None:
        return None
    if isinstance(scheme, str):
        name = scheme.upper()
        if name == "BIOES":
            name = "IOBES"
    elif isinstance(scheme, type):
        name = scheme.__name__
    else:
        raise TypeError(f"scheme: expected one of {', '.join(map(repr, SCHEMES))} or a seqeval scheme class, got {describe(scheme)}")
    if name not in _SCHEME_TABLES:
        raise ValueError(f"scheme: expected one of {', '.join(map(repr, SCHEMES))}, got {scheme!r}")
    return name


def _check_average(average: Any) -> None:
    if not (average is None or (isinstance(average, str) and average in _AVERAGES)):
        raise ValueError(f"average: expected one of None, 'micro', 'macro', 'weighted', got {average!r}")


def _check_zero_division(zero_division: Any) -> None:
    if isinstance(zero_division, str) and zero_division == "warn":
        return
    if isinstance(zero_division, numbers.Real) and not isinstance(zero_division, str) and zero_division in (0, 1):
        return
    raise ValueError(f"zero_division: expected one of 'warn', 0, 1, got {zero_division!r}")


def _check_bool(value: Any, name: str) -> None:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name}: expected a bool, got {describe(value)}")


# ----------------------------------------------------------------------------- entities


def _default_parse(tag: str, suffix: bool) -> tuple[str, str]:
    """(letter, type) of ``tag`` as conlleval reads it (seqeval's ``get_entities``)."""
    if suffix:
        return tag[-1], tag[:-1].rsplit("-", maxsplit=1)[0] or "_"
    return tag[0], tag[1:].split("-", maxsplit=1)[-1] or "_"


def _strict_parse(tag: str, suffix: bool) -> tuple[str, str]:
    """(prefix, type) of ``tag`` as seqeval's scheme ``Token`` reads it."""
    if suffix:
        return tag[-1], tag[:-1].strip("-") or "_"
    return tag[0], tag[1:].strip("-") or "_"


def _warn_not_ne(tags: _Tags, suffix: bool) -> None:
    used = np.zeros(len(tags.vocab), dtype=bool)
    used[tags.ids] = True
    ends = ("-B", "-I", "-E", "-S") if suffix else ()
    starts = () if suffix else ("B-", "I-", "E-", "S-")
    for tag, is_used in zip(tags.vocab, used):
        if not is_used or tag in ("O", "B", "I", "E", "S"):
            continue
        if (suffix and not tag.endswith(ends)) or (not suffix and not tag.startswith(starts)):
            warnings.warn(f"{tag} seems not to be NE tag.", UserWarning, stacklevel=4)


class _Entities:
    """Entities of one tag array: parallel (n_entities,) arrays, ordered by end.

    ``end`` is exclusive. In both modes no two entities of one array share an end position
    (default mode emits at most one chunk per position; strict entities do not overlap), which
    is what makes ``end`` a key for matching gold and predicted entities.
    """

    def __init__(self, type_: np.ndarray, start: np.ndarray, end: np.ndarray, type_names: list[str]):
        self.type = type_
        self.start = start
        self.end = end
        self.type_names = type_names


def _type_codes(vocab: list[str], parse, suffix: bool) -> tuple[list[str], np.ndarray, list[str]]:
    letters, types = zip(*(parse(tag, suffix) for tag in vocab))
    type_index = {t: i for i, t in enumerate(dict.fromkeys(types))}
    return list(letters), np.array([type_index[t] for t in types], dtype=np.intp), list(type_index)


def _default_entities(tags: _Tags, suffix: bool, final_o: bool = True) -> _Entities:
    letters, vocab_type, type_names = _type_codes(tags.vocab, _default_parse, suffix)
    vocab_code = np.array([_DEFAULT_CODE.get(c, _OTHER) for c in letters], dtype=np.intp)
    ids = np.append(tags.ids, 0) if final_o else tags.ids  # seqeval reads ``seq + ['O']``
    code, typ = vocab_code[ids], vocab_type[ids]  # (N,)
    prev_code = np.concatenate(([_O], code[:-1]))
    prev_typ = np.concatenate(([-1], typ[:-1]))  # before the first tag: letter O, type ''
    type_change = prev_typ != typ
    is_bi = lambda c: (c == _B) | (c == _I)  # noqa: E731
    end = (
        (prev_code == _E) | (prev_code == _S)
        | (is_bi(prev_code) & ((code == _B) | (code == _S) | (code == _O)))
        | ((prev_code != _O) & (prev_code != _DOT) & type_change)
    )  # fmt: skip
    start = (
        (code == _B) | (code == _S)
        | (((prev_code == _E) | (prev_code == _S) | (prev_code == _O)) & ((code == _E) | (code == _I)))
        | ((code != _O) & (code != _DOT) & type_change)
    )  # fmt: skip
    # A chunk ending before position i began at the last start before i (0 if none yet): the
    # end is checked before the start at each position.
    ends = np.flatnonzero(end)
    starts = np.flatnonzero(start)
    last = np.searchsorted(starts, ends, side="left") - 1
    begin = np.where(last >= 0, starts[np.maximum(last, 0)], 0) if starts.size else np.zeros_like(ends)
    return _Entities(prev_typ[ends], begin, ends, type_names)


def _strict_entities(tags: _Tags, scheme: str, suffix: bool, name: str) -> _Entities:
    letters, vocab_type, type_names = _type_codes(tags.vocab, _strict_parse, suffix)
    allowed, start_p, inside_p, end_p = _COMPILED[scheme]
    used = np.zeros(len(tags.vocab), dtype=bool)
    used[tags.ids] = True
    for tag, letter, is_used in zip(tags.vocab, letters, used):
        if is_used and (letter not in _CODE or not allowed[_CODE[letter]]):
            _raise_bad_prefix(tags, tag, scheme, name)
    vocab_code = np.array([_CODE.get(c, 0) for c in letters], dtype=np.intp)  # unused tags: any code
    code, typ = vocab_code[tags.ids], vocab_type[tags.ids]  # (N,)
    prev_code = np.concatenate(([_CODE["O"]], code[:-1]))  # the outside token before sentence 0
    prev_typ = np.concatenate(([vocab_type[0]], typ[:-1]))
    same = prev_typ == typ
    may_start = _matches(start_p, prev_code, code, same)
    inside = _matches(inside_p, prev_code, code, same)
    closes = _matches(end_p, prev_code, code, same)
    # seqeval scans left to right: at a token that may start an entity it consumes the tokens that
    # continue it and jumps past them. So the tags split into runs (a token that does not continue
    # the previous one opens a run); in each run the first token that may start an entity starts
    # one, the next run's first token is its end, and it counts if that token closes it.
    run_start = np.flatnonzero(~inside)  # inside[0] is False: nothing continues the outside token
    run = np.cumsum(~inside) - 1  # (N,) run of each position
    cand = np.flatnonzero(may_start)
    first = cand[np.concatenate(([True], run[cand][1:] != run[cand][:-1]))] if cand.size else cand
    # The last token of the array is an "O", which opens a run and starts nothing, so every
    # entity's run has a successor.
    end = run_start[run[first] + 1]
    keep = closes[end]
    first, end = first[keep], end[keep]
    return _Entities(typ[first], first, end, type_names)


def _raise_bad_prefix(tags: _Tags, tag: str, scheme: str, name: str) -> None:
    sentence, position = tags.where(int(np.flatnonzero(tags.ids == tags.vocab.index(tag))[0]))
    allowed = [c for c in _STRICT_LETTERS if c != "O" and _COMPILED[scheme][0][_CODE[c]]]
    raise ValueError(
        f"{name}: expected O or a tag with prefix {', '.join(allowed)} (scheme {scheme}), got {tag!r} "
        f"in sequence {sentence} at position {position}"
    )


def _entities(tags: _Tags, mode: str | None, scheme: str | None, suffix: bool, name: str) -> _Entities:
    if mode == "strict":
        return _strict_entities(tags, scheme, suffix, name)
    _warn_not_ne(tags, suffix)
    return _default_entities(tags, suffix)


def _auto_detect(y_true: list, suffix: bool) -> str:
    """seqeval's ``auto_detect``: the scheme from the set of prefixes in ``y_true``."""
    prefixes = set()
    for seq in y_true:
        for tag in seq:
            if not isinstance(tag, str) or not tag:
                continue  # reported by the encoding that follows
            letter = tag[-1] if suffix else tag[0]
            if letter not in _CODE:
                raise ValueError(f"y_true: cannot detect the tag scheme: tag {tag!r} has no known prefix; pass scheme=")
            prefixes.add(letter)
    for scheme, core, extra in (("IOB2", "B", "IO"), ("IOE2", "E", "IO"), ("IOBES", "BE", "IOS"), ("BILOU", "BL", "IOU")):
        # seqeval's lists: IOB2 = {B} plus any of I, O; IOE2 alike with E; IOBES = {B, E} plus any
        # of I, O, S, or {S} alone; BILOU = {B, L} plus any of I, O, U, or {U} alone.
        if set(core) <= prefixes <= set(core + extra):
            return scheme
        if scheme in ("IOBES", "BILOU") and prefixes == set(extra[-1]):
            return scheme
    raise ValueError(
        f"y_true: cannot detect the tag scheme from the prefixes {''.join(sorted(prefixes))!r} "
        "(only IOB2, IOE2, IOBES and BILOU are detected); pass scheme="
    )


# ----------------------------------------------------------------------------- counts and scores


class _Counts:
    """Per-type true-positive, predicted and true counts over the sorted entity types."""

    def __init__(self, names: list[str], tp: np.ndarray, pred: np.ndarray, true: np.ndarray):
        self.names, self.tp, self.pred, self.true = names, tp, pred, true


def _counts(y_true, y_pred, lengths, mode, scheme, suffix) -> _Counts:
    t, p = _encode([(y_true, lengths, "y_true"), (y_pred, lengths, "y_pred")])
    et = _entities(t, mode, scheme, suffix, "y_true")
    ep = _entities(p, mode, scheme, suffix, "y_pred")
    present = np.zeros(len(et.type_names), dtype=bool)  # types are shared: same vocab, same parse
    present[et.type] = True
    present[ep.type] = True
    names = sorted(et.type_names[i] for i in np.flatnonzero(present))
    if not names:
        empty = np.array([], dtype=np.int32)  # seqeval's dtype when there is no entity
        return _Counts([], empty, empty, empty)
    rank = np.full(len(et.type_names), -1, dtype=np.intp)
    rank[[et.type_names.index(n) for n in names]] = np.arange(len(names))
    n_pos = t.ids.shape[0] + 2
    true_start = np.full(n_pos, -1, dtype=np.intp)  # gold entity ending at each position
    true_type = np.full(n_pos, -1, dtype=np.intp)
    true_start[et.end], true_type[et.end] = et.start, et.type
    hit = (true_start[ep.end] == ep.start) & (true_type[ep.end] == ep.type)
    k = len(names)
    tp = np.bincount(rank[ep.type[hit]], minlength=k)
    pred = np.bincount(rank[ep.type], minlength=k)
    true = np.bincount(rank[et.type], minlength=k)
    return _Counts(names, tp.astype(np.int64), pred.astype(np.int64), true.astype(np.int64))


def _warn_prf(modifier: str, msg_start: str, size: int) -> None:
    where = "due to" if size == 1 else "in labels with"
    warnings.warn(
        f"{msg_start} ill-defined and being set to 0.0 {where} no {modifier} samples. "
        "Use `zero_division` parameter to control this behavior.",
        UndefinedMetricWarning,
        stacklevel=5,
    )


def _divide(num, den, metric, modifier, warn_for, zero_division) -> np.ndarray:
    mask = den == 0.0
    den = den.copy()
    den[mask] = 1
    result = num / den
    if not mask.any():
        return result
    result[mask] = 0.0 if zero_division in ("warn", 0) else 1.0
    if zero_division != "warn" or metric not in warn_for:
        return result
    start = f"{metric.title()} and F-score are" if "f-score" in warn_for else f"{metric.title()} is"
    _warn_prf(modifier, start, len(result))
    return result


def _scores(c: _Counts, average, warn_for, beta, zero_division):
    """precision, recall, F-beta and support from the counts: seqeval's NumPy calls, in its order."""
    tp, pred, true = c.tp, c.pred, c.true
    if average == "micro":
        tp, pred, true = np.array([tp.sum()]), np.array([pred.sum()]), np.array([true.sum()])
    beta2 = beta**2
    precision = _divide(tp, pred, "precision", "predicted", warn_for, zero_division)
    recall = _divide(tp, true, "recall", "true", warn_for, zero_division)
    if zero_division == "warn" and ("f-score",) == warn_for:
        if (pred[true == 0] == 0).any():
            _warn_prf("true nor predicted", "F-score is", len(true))
    if np.isposinf(beta):
        f_score = recall
    else:
        denom = beta2 * precision + recall
        denom[denom == 0.0] = 1
        f_score = (1 + beta2) * precision * recall / denom
    weights = None
    if average == "weighted":
        weights = true
        if weights.sum() == 0:
            zero_value = 0.0 if zero_division in ("warn", 0) else 1.0
            both = zero_value if pred.sum() == 0 else 0.0
            return both, zero_value, both, sum(true)
    if average is not None:
        precision = np.average(precision, weights=weights)
        recall = np.average(recall, weights=weights)
        f_score = np.average(f_score, weights=weights)
        true = sum(true)
    return precision, recall, f_score, true


def _prepare(y_true, y_pred, average, zero_division, suffix, mode, scheme):
    _check_average(average)
    _check_zero_division(zero_division)
    _check_bool(suffix, "suffix")
    mode = _check_mode(mode)
    scheme = _scheme_name(scheme)
    y_true, y_pred, lengths = _check_pair(y_true, y_pred)
    if mode == "strict" and scheme is None:
        mode = None  # seqeval: strict mode needs a scheme, without one the default rules apply
    return _counts(y_true, y_pred, lengths, mode, scheme, suffix)


# ----------------------------------------------------------------------------- public API


def get_entities(seq: Any, suffix: bool = False, *, mode: str | None = None, scheme: Any = None) -> list[tuple[str, int, int]]:
    """The entities of a tag sequence, as ``(type, start, end)`` with ``end`` inclusive.

    Parameters
    ----------
    seq : list of str, or list of lists of str
        One tag sequence, or several: then they are read as one sequence with an ``"O"``
        after each (seqeval's convention), and positions count those separators.
    suffix : bool, default=False
        Tags are ``TYPE-B`` rather than ``B-TYPE``.
    mode : None, "conlleval" or "strict", default=None
        ``None``: conlleval's rules (seqeval's ``get_entities``, ill-formed tags included).
        ``"strict"``: the entities seqeval's strict mode counts under ``scheme``.
    scheme : str or seqeval scheme class, optional
        Required with ``mode="strict"``: one of :data:`SCHEMES`.

    Examples
    --------
    >>> get_entities(["B-PER", "I-PER", "O", "B-LOC"])
    [('PER', 0, 1), ('LOC', 3, 3)]
    >>> get_entities(["I-PER", "I-PER", "O"], mode="strict", scheme="IOB2")
    []
    """
    _check_bool(suffix, "suffix")
    mode = _check_mode(mode)
    scheme = _scheme_name(scheme)
    if mode == "strict" and scheme is None:
        raise ValueError("scheme: expected one of " + ", ".join(map(repr, SCHEMES)) + " with mode='strict', got None")
    if not isinstance(seq, (list, tuple)):
        raise TypeError(f"seq: expected a list of tags or a list of tag sequences, got {describe(seq)}")
    nested = any(isinstance(s, (list, tuple)) for s in seq)
    if nested:
        groups, lengths = _check_sequences(seq, "seq")
        (tags,) = _encode([(groups, lengths, "seq")])
    else:
        (tags,) = _encode([([seq], np.array([len(seq)]), "seq")])
        tags.ids = tags.ids[:-1]  # a flat sequence has no separator (the final "O" comes below)
    if mode == "strict":
        ids = tags.ids if nested else np.append(tags.ids, 0)
        ent = _strict_entities(_Tags(tags.vocab, ids, tags.lengths), scheme, suffix, "seq")
    else:
        _warn_not_ne(tags, suffix)
        ent = _default_entities(tags, suffix)
    names = ent.type_names
    return [(names[t], int(s), int(e) - 1) for t, s, e in zip(ent.type.tolist(), ent.start.tolist(), ent.end.tolist())]


def precision_recall_fscore_support(
    y_true: Any,
    y_pred: Any,
    *,
    average: str | None = None,
    warn_for=("precision", "recall", "f-score"),
    beta: float = 1.0,
    sample_weight: Any = None,
    zero_division: str | int = "warn",
    suffix: bool = False,
    mode: str | None = None,
    scheme: Any = None,
):
    """Entity-level precision, recall, F-beta and support, per type or averaged (seqeval's).

    Parameters
    ----------
    y_true, y_pred : list of lists of str
        Gold and predicted tag sequences, of equal lengths.
    average : None, "micro", "macro" or "weighted", default=None
        ``None``: one value per entity type (types sorted by name).
    warn_for : tuple of str
        Which 0/0 give a warning (seqeval's internal argument, kept for parity).
    beta : float, default=1.0
        Weight of recall in the F-score.
    sample_weight : ignored
        Accepted, and without effect, as in seqeval 1.2.2.
    zero_division : "warn", 0 or 1, default="warn"
        Value of a 0/0; ``"warn"`` gives 0 and an :class:`UndefinedMetricWarning`.
    suffix : bool, default=False
        Tags are ``TYPE-B`` rather than ``B-TYPE``.
    mode : None, "conlleval" or "strict"; scheme : str or seqeval scheme class
        ``mode="strict"`` with a ``scheme`` reads entities by that scheme's rules; without a
        scheme (as in seqeval) the default conlleval rules apply.

    Returns
    -------
    precision, recall, fscore : float or ndarray of shape (n_types,)
    support : int or ndarray of shape (n_types,)

    Examples
    --------
    >>> y_true = [["O", "O", "O", "B-MISC", "I-MISC", "I-MISC", "O"], ["B-PER", "I-PER", "O"]]
    >>> y_pred = [["O", "O", "B-MISC", "I-MISC", "I-MISC", "I-MISC", "O"], ["B-PER", "I-PER", "O"]]
    >>> tuple(float(v) for v in precision_recall_fscore_support(y_true, y_pred, average="macro"))
    (0.5, 0.5, 0.5, 2.0)
    """
    if isinstance(beta, bool) or not isinstance(beta, numbers.Real):
        raise TypeError(f"beta: expected a real number >= 0, got {describe(beta)}")
    if not beta >= 0:
        raise ValueError(f"beta: expected a real number >= 0, got {beta!r}")
    counts = _prepare(y_true, y_pred, average, zero_division, suffix, mode, scheme)
    return _scores(counts, average, warn_for, beta, zero_division)


def _one_score(index, metric, y_true, y_pred, average, suffix, mode, zero_division, scheme, beta=1.0):
    counts = _prepare(y_true, y_pred, average, zero_division, suffix, mode, scheme)
    return _scores(counts, average, (metric,), beta, zero_division)[index]


def precision_score(y_true, y_pred, *, average="micro", suffix=False, mode=None, sample_weight=None,
                    zero_division="warn", scheme=None):  # fmt: skip
    """Entity-level precision |G & P| / |P| (seqeval's ``precision_score``).

    Arguments as :func:`precision_recall_fscore_support`, with ``average="micro"`` by default.

    >>> y_true = [["O", "B-MISC", "I-MISC", "B-MISC", "O"], ["B-PER", "I-PER", "O"]]
    >>> y_pred = [["O", "B-MISC", "I-MISC", "B-MISC", "I-MISC"], ["B-PER", "I-PER", "O"]]
    >>> round(float(precision_score(y_true, y_pred)), 4)
    0.6667
    """
    return _one_score(0, "precision", y_true, y_pred, average, suffix, mode, zero_division, scheme)


def recall_score(y_true, y_pred, *, average="micro", suffix=False, mode=None, sample_weight=None,
                 zero_division="warn", scheme=None):  # fmt: skip
    """Entity-level recall |G & P| / |G| (seqeval's ``recall_score``).

    Arguments as :func:`precision_recall_fscore_support`, with ``average="micro"`` by default.

    >>> float(recall_score([["B-PER", "I-PER", "O", "B-LOC"]], [["B-PER", "I-PER", "O", "O"]]))
    0.5
    """
    return _one_score(1, "recall", y_true, y_pred, average, suffix, mode, zero_division, scheme)


def f1_score(y_true, y_pred, *, average="micro", suffix=False, mode=None, sample_weight=None,
             zero_division="warn", scheme=None):  # fmt: skip
    """Entity-level F1 = 2 P R / (P + R) (seqeval's ``f1_score``).

    Arguments as :func:`precision_recall_fscore_support`, with ``average="micro"`` by default.

    >>> float(f1_score([["B-PER", "I-PER", "O", "B-LOC"]], [["B-PER", "I-PER", "O", "O"]]))
    0.6666666666666666
    """
    return _one_score(2, "f-score", y_true, y_pred, average, suffix, mode, zero_division, scheme, beta=1)


def accuracy_score(y_true: Any, y_pred: Any) -> float:
    """Token-level accuracy: the fraction of tags predicted exactly (seqeval's ``accuracy_score``).

    >>> accuracy_score([["O", "B-PER", "I-PER"]], [["O", "B-PER", "O"]])
    0.6666666666666666
    """
    y_true, y_pred, lengths = _check_pair(y_true, y_pred)
    n = int(lengths.sum())
    if n == 0:
        raise ValueError("y_true: expected at least one tag, got none")
    correct = sum(map(operator.eq, chain.from_iterable(y_true), chain.from_iterable(y_pred)))
    return correct / n


def performance_measure(y_true: Any, y_pred: Any) -> dict[str, int]:
    """Token-level TP, FP, FN, TN with ``"O"`` as the negative tag (seqeval's ``performance_measure``).

    TP: equal tags, not both O; FP: different tags, predicted not O; FN: gold not O, predicted O;
    TN: both O.

    >>> performance_measure([["O", "B-PER", "I-PER", "B-LOC"]], [["O", "B-PER", "O", "B-PER"]])
    {'TP': 1, 'FP': 1, 'FN': 1, 'TN': 1}
    """
    y_true, y_pred, lengths = _check_pair(y_true, y_pred, allow_empty=True)
    t, p = _encode([(y_true, lengths, "y_true"), (y_pred, lengths, "y_pred")])
    keep = np.ones(t.ids.shape[0], dtype=bool)
    keep[np.cumsum(lengths) + np.arange(lengths.shape[0])] = False  # drop the sentence separators
    a, b = t.ids[keep], p.ids[keep]  # code 0 is "O"
    eq = a == b
    return {
        "TP": int(np.count_nonzero(eq & ((a != 0) | (b != 0)))),
        "FP": int(np.count_nonzero(~eq & (b != 0))),
        "FN": int(np.count_nonzero((a != 0) & (b == 0))),
        "TN": int(np.count_nonzero(eq & (a == 0))),
    }


def classification_report(
    y_true: Any,
    y_pred: Any,
    digits: int = 2,
    suffix: bool = False,
    output_dict: bool = False,
    mode: str | None = None,
    sample_weight: Any = None,
    zero_division: str | int = "warn",
    scheme: Any = None,
) -> str | dict:
    """Per-type precision, recall, F1 and support, and their micro/macro/weighted averages.

    The text is seqeval's byte for byte; ``output_dict=True`` gives the same numbers as a dict.
    With ``mode="strict"`` and no ``scheme``, the scheme is detected from ``y_true`` as seqeval
    does (IOB2, IOE2, IOBES or BILOU).

    Parameters
    ----------
    y_true, y_pred : list of lists of str
    digits : int, default=2
        Decimals shown.
    suffix, mode, sample_weight, zero_division, scheme
        As in :func:`precision_recall_fscore_support`.
    output_dict : bool, default=False

    Examples
    --------
    >>> y_true = [["O", "O", "O", "B-MISC", "I-MISC", "I-MISC", "O"], ["B-PER", "I-PER", "O"]]
    >>> y_pred = [["O", "O", "B-MISC", "I-MISC", "I-MISC", "I-MISC", "O"], ["B-PER", "I-PER", "O"]]
    >>> print(classification_report(y_true, y_pred))
                  precision    recall  f1-score   support
    <BLANKLINE>
            MISC       0.00      0.00      0.00         1
             PER       1.00      1.00      1.00         1
    <BLANKLINE>
       micro avg       0.50      0.50      0.50         2
       macro avg       0.50      0.50      0.50         2
    weighted avg       0.50      0.50      0.50         2
    <BLANKLINE>
    """
    digits = check_int(digits, "digits", minimum=0)
    _check_bool(output_dict, "output_dict")
    _check_zero_division(zero_division)
    _check_bool(suffix, "suffix")
    mode = _check_mode(mode)
    scheme = _scheme_name(scheme)
    y_true, y_pred, lengths = _check_pair(y_true, y_pred)
    if mode == "strict" and scheme is None:
        scheme = _auto_detect(y_true, suffix)
    counts = _counts(y_true, y_pred, lengths, mode, scheme, suffix)
    if not output_dict and not counts.names:
        raise ValueError("y_true, y_pred: expected at least one entity in either, got none (the report would be empty)")
    rows = [("", *_scores(counts, None, ("precision", "recall", "f-score"), 1.0, zero_division))]
    averages = [
        (f"{average} avg", *_scores(counts, average, ("precision", "recall", "f-score"), 1.0, zero_division))
        for average in ("micro", "macro", "weighted")
    ]
    per_type = list(zip(counts.names, *rows[0][1:]))
    if output_dict:
        keys = ("precision", "recall", "f1-score", "support")
        return {name: dict(zip(keys, values)) for name, *values in per_type + averages}
    width = max(max(map(len, counts.names)), len("weighted avg"), digits)
    head = "{:>{width}s} " + " {:>9}" * 4
    row = "{:>{width}s} " + " {:>9.{digits}f}" * 3 + " {:>9}"
    lines = [row.format(*r, width=width, digits=digits) for r in per_type] + [""]
    lines += [row.format(*r, width=width, digits=digits) for r in averages] + [""]
    header = head.format("", "precision", "recall", "f1-score", "support", width=width)
    return header + "\n\n" + "\n".join(lines)


def entity_confusion_matrix(
    y_true: Any, y_pred: Any, *, suffix: bool = False, mode: str | None = None, scheme: Any = None
) -> tuple[np.ndarray, list[str]]:
    """Confusion between entity types on exactly matching spans.

    Each gold entity is counted in row (its type) and column (the type of the predicted entity
    with exactly the same span, or ``"O"`` if there is none: a missed entity); each predicted
    entity whose span no gold entity has is counted in row ``"O"`` (spurious). The diagonal
    holds the true positives of :func:`precision_recall_fscore_support`.

    Returns
    -------
    matrix : ndarray of int64 of shape (n_types + 1, n_types + 1)
        Rows: gold type, columns: predicted type; the last row and column are ``"O"``.
    labels : list of str
        The entity types sorted by name, then ``"O"``.

    Examples
    --------
    >>> m, labels = entity_confusion_matrix([["B-PER", "I-PER", "O", "B-LOC"]], [["B-ORG", "I-ORG", "O", "O"]])
    >>> labels
    ['LOC', 'ORG', 'PER', 'O']
    >>> m.tolist()
    [[0, 0, 0, 1], [0, 0, 0, 0], [0, 1, 0, 0], [0, 0, 0, 0]]
    """
    _check_bool(suffix, "suffix")
    mode = _check_mode(mode)
    scheme = _scheme_name(scheme)
    if mode == "strict" and scheme is None:
        raise ValueError("scheme: expected one of " + ", ".join(map(repr, SCHEMES)) + " with mode='strict', got None")
    y_true, y_pred, lengths = _check_pair(y_true, y_pred, allow_empty=True)
    t, p = _encode([(y_true, lengths, "y_true"), (y_pred, lengths, "y_pred")])
    et = _entities(t, mode, scheme, suffix, "y_true")
    ep = _entities(p, mode, scheme, suffix, "y_pred")
    used = np.union1d(et.type, ep.type)
    names = sorted(et.type_names[i] for i in used)
    k = len(names)
    rank = np.full(len(et.type_names), k, dtype=np.intp)  # k = the "O" row/column
    rank[[et.type_names.index(n) for n in names]] = np.arange(k)
    n_pos = t.ids.shape[0] + 2
    pred_start = np.full(n_pos, -1, dtype=np.intp)
    pred_rank = np.full(n_pos, k, dtype=np.intp)
    pred_start[ep.end], pred_rank[ep.end] = ep.start, rank[ep.type]
    same_span = pred_start[et.end] == et.start  # (n_gold,)
    col = np.where(same_span, pred_rank[et.end], k)
    matrix = np.zeros((k + 1, k + 1), dtype=np.int64)
    np.add.at(matrix, (rank[et.type], col), 1)
    true_start = np.full(n_pos, -1, dtype=np.intp)
    true_start[et.end] = et.start
    spurious = true_start[ep.end] != ep.start
    np.add.at(matrix, (k, rank[ep.type[spurious]]), 1)
    return matrix, names + ["O"]


def entity_scores(y_true, y_pred, *, mode="conlleval", scheme=None, average="micro", suffix=False,
                  zero_division="warn", beta=1.0):  # fmt: skip
    """(precision, recall, F-beta, support) of the entities; with ``mode="strict"`` and no
    ``scheme`` the scheme is detected from ``y_true`` (as seqeval's strict report does).

    >>> p, r, f, s = entity_scores([["B-PER", "I-PER", "O", "B-LOC"]], [["B-PER", "I-PER", "O", "O"]])
    >>> float(p), float(r), int(s)
    (1.0, 0.5, 2)
    """
    if _check_mode(mode) == "strict" and scheme is None:
        _check_pair(y_true, y_pred)
        scheme = _auto_detect(y_true, suffix)
    return precision_recall_fscore_support(y_true, y_pred, average=average, beta=beta, zero_division=zero_division,
                                           suffix=suffix, mode=mode, scheme=scheme)  # fmt: skip


def entity_classification_report(y_true, y_pred, *, mode="conlleval", scheme=None, digits=2, output_dict=False,
                                 suffix=False, zero_division="warn"):  # fmt: skip
    """:func:`classification_report` with mode ``"conlleval"`` (default) or ``"strict"``."""
    return classification_report(y_true, y_pred, digits=digits, suffix=suffix, output_dict=output_dict, mode=mode,
                                 zero_division=zero_division, scheme=scheme)  # fmt: skip
