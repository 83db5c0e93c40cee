"""Tag schemes for sequence labelling, and conversion between them.

Ramshaw & Marcus, "Text Chunking using Transformation-Based Learning" (1995) (IOB1);
Tjong Kim Sang & Veenstra, "Representing Text Chunks" (1999) (IOB2, IOE1, IOE2);
Ratinov & Roth, "Design Challenges and Misconceptions in Named Entity Recognition" (2009)
(BILOU, and IOBES under the name BIOES). The entities the conversion keeps are those seqeval
1.2.2's strict mode reads (``seqeval.scheme``), which the tests check.

A tag is ``O`` or ``P-TYPE``; the prefix P marks the token's place in its entity::

    scheme  begin   inside  end   single   B or E only where needed
    IOB1    (I)     I       I     I        B- on the first token of an entity that directly
                                           follows another of the same type
    IOB2    B       I       I     B
    IOE1    I       I       (I)   I        E- on the last token of an entity that is directly
                                           followed by another of the same type
    IOE2    I       I       E     E
    IOBES   B       I       E     S        (also called BIOES)
    BMES    B       M       E     S        (IOBES with M for I, as in Chinese NER corpora)
    BILOU   B       I       L     U

Conversion reads the entities off the source tags and writes them in the target scheme. The
reading is the same for every scheme: a new entity starts at a token unless it continues the
previous one, and a token continues the previous one when both are entity tags of the same type,
the token does not open an entity (B, S, U) and the previous one does not close one (E, L, S,
U). So ``I-PER`` after ``O`` in IOB2 (ill-formed, but common in predictions) starts an entity,
as conlleval reads it.
"""

from __future__ import annotations

from typing import Any

from mlcanon.validation import describe

__all__ = ["SCHEMES", "convert_scheme", "validate_tags"]

# prefix letters of each scheme: (begin, inside, end, single)
_ROLES: dict[str, tuple[str, str, str, str]] = {
    "IOB1": ("I", "I", "I", "I"),
    "IOB2": ("B", "I", "I", "B"),
    "IOE1": ("I", "I", "I", "I"),
    "IOE2": ("I", "I", "E", "E"),
    "IOBES": ("B", "I", "E", "S"),
    "BMES": ("B", "M", "E", "S"),
    "BILOU": ("B", "I", "L", "U"),
}
_ALLOWED = {
    "IOB1": "IB", "IOB2": "IB", "IOE1": "IE", "IOE2": "IE", "IOBES": "BIES", "BMES": "BMES", "BILOU": "BILU",
}  # fmt: skip
SCHEMES = tuple(_ROLES)
_OPENS = frozenset("BSU")  # a token with this prefix starts a new entity
_CLOSES = frozenset("ELSU")  # a token with this prefix is the last of its entity


def _scheme(scheme: Any, name: str) -> str:
    if not isinstance(scheme, str):
        raise TypeError(f"{name}: expected one of {', '.join(map(repr, SCHEMES))}, got {describe(scheme)}")
    key = scheme.upper()
    key = "IOBES" if key == "BIOES" else key
    if key not in _ROLES:
        raise ValueError(f"{name}: expected one of {', '.join(map(repr, SCHEMES))}, got {scheme!r}")
    return key


def _as_sequences(tags: Any) -> tuple[list, bool]:
    """``tags`` as a list of sequences, and whether it was a single sequence."""
    if not isinstance(tags, (list, tuple)):
        raise TypeError(f"tags: expected a list of str or a list of lists of str, got {describe(tags)}")
    if not any(isinstance(t, (list, tuple)) for t in tags):
        return [tags], True  # one sequence (a non-str tag in it is reported by position)
    for i, seq in enumerate(tags):
        if not isinstance(seq, (list, tuple)):
            raise TypeError(f"tags: expected a list of str or a list of lists of str, got {describe(seq)} at index {i}")
    return tags, False


def _where(i: int, j: int, single: bool) -> str:
    return f"position {j}" if single else f"sequence {i}, position {j}"


def _parse(tags: list, scheme: str, single: bool, name: str = "tags") -> list[list[tuple[str, str]]]:
    """(prefix, type) of every tag, ``("O", "")`` for O; a tag the scheme does not allow raises."""
    allowed = _ALLOWED[scheme]
    cache: dict[str, tuple[str, str]] = {"O": ("O", "")}
    out = []
    for i, seq in enumerate(tags):
        parsed = []
        for j, tag in enumerate(seq):
            hit = cache.get(tag) if isinstance(tag, str) else None
            if hit is None:
                ok = isinstance(tag, str) and len(tag) > 2 and tag[1] == "-" and tag[0] in allowed
                if not ok:
                    expected = ", ".join(f"{p}-TYPE" for p in allowed)
                    raise ValueError(
                        f"{name}: {_where(i, j, single)}: expected O or one of {expected} (scheme {scheme}), "
                        f"got {tag!r}"
                    )
                hit = cache[tag] = (tag[0], tag[2:])
            parsed.append(hit)
        out.append(parsed)
    return out


def _spans(parsed: list[tuple[str, str]]) -> list[tuple[str, int, int]]:
    """Entities as (type, start, end inclusive), read as the module docstring says."""
    spans: list[list] = []
    prev_prefix, prev_type = "O", ""
    for j, (prefix, typ) in enumerate(parsed):
        if prefix != "O":
            continues = (
                prev_prefix != "O" and typ == prev_type and prefix not in _OPENS and prev_prefix not in _CLOSES
            )  # fmt: skip
            if continues:
                spans[-1][2] = j
            else:
                spans.append([typ, j, j])
        prev_prefix, prev_type = prefix, typ
    return [tuple(s) for s in spans]


def _write(spans: list[tuple[str, int, int]], n: int, scheme: str) -> list[str]:
    begin, inside, end, single = _ROLES[scheme]
    out = ["O"] * n
    for k, (typ, s, e) in enumerate(spans):
        for j in range(s, e + 1):
            out[j] = f"{inside}-{typ}"
        if s == e:
            out[s] = f"{single}-{typ}"
        else:
            out[s], out[e] = f"{begin}-{typ}", f"{end}-{typ}"
        # IOB1 and IOE1 mark only the boundary between two adjacent entities of one type.
        if scheme == "IOB1" and k > 0 and spans[k - 1][2] == s - 1 and spans[k - 1][0] == typ:
            out[s] = f"B-{typ}"
        if scheme == "IOE1" and k + 1 < len(spans) and spans[k + 1][1] == e + 1 and spans[k + 1][0] == typ:
            out[e] = f"E-{typ}"
    return out


def validate_tags(tags: Any, scheme: str) -> None:
    """Check that every tag is ``O`` or ``P-TYPE`` with a prefix P of ``scheme``.

    Parameters
    ----------
    tags : list of str, or list of lists of str
    scheme : str
        One of :data:`SCHEMES` (``"BIOES"`` is accepted for ``"IOBES"``).

    Raises
    ------
    ValueError
        Naming the position (and sequence) and the tag.

    Examples
    --------
    >>> validate_tags(["B-PER", "I-PER", "O"], "IOB2")
    >>> validate_tags(["B-PER", "E-PER"], "IOB2")
    Traceback (most recent call last):
    ...
    ValueError: tags: position 1: expected O or one of I-TYPE, B-TYPE (scheme IOB2), got 'E-PER'
    """
    scheme = _scheme(scheme, "scheme")
    seqs, single = _as_sequences(tags)
    _parse(seqs, scheme, single)


def convert_scheme(tags: Any, source: str, target: str) -> list:
    """Rewrite tags from scheme ``source`` to scheme ``target``, keeping the entities.

    Parameters
    ----------
    tags : list of str, or list of lists of str
        One tag sequence or several; the result has the same shape.
    source, target : str
        One of :data:`SCHEMES`: ``"IOB1"``, ``"IOB2"``, ``"IOE1"``, ``"IOE2"``, ``"IOBES"``
        (or ``"BIOES"``), ``"BMES"``, ``"BILOU"``.

    Returns
    -------
    list of str, or list of lists of str

    Raises
    ------
    ValueError
        A tag that is not ``O`` or ``P-TYPE`` with a prefix of ``source`` (the message names
        the position and the tag).

    Examples
    --------
    >>> convert_scheme(["I-PER", "I-PER", "B-PER", "O", "I-LOC"], "IOB1", "IOBES")
    ['B-PER', 'E-PER', 'S-PER', 'O', 'S-LOC']
    >>> convert_scheme([["B-ORG", "M-ORG", "E-ORG"]], "BMES", "BILOU")
    [['B-ORG', 'I-ORG', 'L-ORG']]
    """
    source = _scheme(source, "source")
    target = _scheme(target, "target")
    seqs, single = _as_sequences(tags)
    parsed = _parse(seqs, source, single)
    out = [_write(_spans(p), len(p), target) for p in parsed]
    return out[0] if single else out
