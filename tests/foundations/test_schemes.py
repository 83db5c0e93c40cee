"""Tag-scheme conversion keeps the entities (as seqeval's strict mode reads them) and round-trips."""

import pytest
import seqeval.metrics.sequence_labeling as sl
import seqeval.scheme as ss
from hypothesis import given, settings
from hypothesis import strategies as st

from mlcanon import data
from mlcanon.data import convert_scheme, validate_tags
from mlcanon.metrics.sequence import get_entities

TARGETS = ["IOB1", "IOB2", "IOE1", "IOE2", "IOBES", "BMES", "BILOU"]


@st.composite
def iob2_sequences(draw):
    """Well-formed IOB2: O's and entities (B-X then I-X...), adjacent same-type entities included."""
    pieces = draw(st.lists(st.one_of(st.just(None), st.tuples(st.sampled_from(["PER", "LOC", "A.B"]),
                                                               st.integers(1, 4))), max_size=12))  # fmt: skip
    tags = []
    for piece in pieces:
        if piece is None:
            tags.append("O")
        else:
            typ, n = piece
            tags += [f"B-{typ}"] + [f"I-{typ}"] * (n - 1)
    return tags


def strict_entities(tags, scheme):
    """seqeval's strict reading of one sequence: (type, start, end exclusive)."""
    if scheme == "BMES":  # IOBES with M for I
        tags, scheme = [t.replace("M-", "I-", 1) if t.startswith("M-") else t for t in tags], "IOBES"
    return [(e.tag, e.start, e.end) for e in ss.Tokens(tags, getattr(ss, scheme)).entities]


def _seqeval_ioe1_gap(tags):
    """An E- tag after O or after another type: a one-token entity that seqeval 1.2.2's IOE1 does
    not read (its IOE1 start patterns lack O -> E and I -> E of another type; its source says
    "IOE1 hasn't yet been able to handle some cases")."""
    return any(t.startswith("E-") and (p == "O" or p[2:] != t[2:]) for p, t in zip(["O"] + tags, tags))


def test_seqeval_ioe1_gap():
    # Two adjacent one-token PER entities are "E-PER I-PER" in IOE1; seqeval reads only the second.
    tags = convert_scheme(["B-PER", "B-PER"], "IOB2", "IOE1")
    assert tags == ["E-PER", "I-PER"] and _seqeval_ioe1_gap(tags)
    assert strict_entities(tags, "IOE1") == [("PER", 1, 2)]
    assert convert_scheme(tags, "IOE1", "IOB2") == ["B-PER", "B-PER"]


def test_hand_checked_conversions():
    iob1 = ["I-PER", "I-PER", "B-PER", "O", "I-LOC", "I-ORG"]
    assert convert_scheme(iob1, "IOB1", "IOB2") == ["B-PER", "I-PER", "B-PER", "O", "B-LOC", "B-ORG"]
    assert convert_scheme(iob1, "IOB1", "IOE1") == ["I-PER", "E-PER", "I-PER", "O", "I-LOC", "I-ORG"]
    assert convert_scheme(iob1, "IOB1", "IOE2") == ["I-PER", "E-PER", "E-PER", "O", "E-LOC", "E-ORG"]
    assert convert_scheme(iob1, "IOB1", "IOBES") == ["B-PER", "E-PER", "S-PER", "O", "S-LOC", "S-ORG"]
    assert convert_scheme(iob1, "IOB1", "BILOU") == ["B-PER", "L-PER", "U-PER", "O", "U-LOC", "U-ORG"]
    assert convert_scheme([["B-X", "M-X", "E-X", "S-Y"]], "BMES", "IOB1") == [["I-X", "I-X", "I-X", "I-Y"]]
    assert convert_scheme(["O", "I-PER", "I-PER"], "IOB2", "IOBES") == ["O", "B-PER", "E-PER"]  # ill-formed input
    assert convert_scheme([], "IOB2", "IOBES") == [] and convert_scheme([[]], "IOB2", "IOBES") == [[]]
    assert convert_scheme(["B-PER"], "iob2", "BIOES") == ["S-PER"]  # case and the BIOES name


@settings(max_examples=300)
@given(iob2_sequences(), st.sampled_from(TARGETS))
def test_iob2_round_trip_is_identity_and_keeps_entities(tags, target):
    converted = convert_scheme(tags, "IOB2", target)
    assert convert_scheme(converted, target, "IOB2") == tags
    validate_tags(converted, target)
    if target == "IOE1" and _seqeval_ioe1_gap(converted):
        return  # seqeval's IOE1 misses this entity (see test_seqeval_ioe1_gap); the round trip holds
    assert strict_entities(converted, target) == strict_entities(tags, "IOB2")
    if target != "BMES":
        assert get_entities(converted, mode="strict", scheme=target) == get_entities(tags, mode="strict", scheme="IOB2")


@settings(max_examples=100)
@given(st.lists(iob2_sequences(), max_size=4), st.sampled_from(TARGETS), st.sampled_from(TARGETS))
def test_any_to_any_keeps_entities(seqs, middle, target):
    there = convert_scheme(convert_scheme(seqs, "IOB2", middle), middle, target)
    assert convert_scheme(there, target, "IOB2") == seqs


def test_invalid_tags_name_position_and_tag():
    with pytest.raises(ValueError, match=r"tags: position 2: expected O or one of I-TYPE, B-TYPE \(scheme IOB2\), "
                                         r"got 'E-PER'"):  # fmt: skip
        convert_scheme(["B-PER", "I-PER", "E-PER"], "IOB2", "IOBES")
    with pytest.raises(ValueError, match=r"tags: sequence 1, position 0: expected O or one of B-TYPE, M-TYPE, "
                                         r"E-TYPE, S-TYPE \(scheme BMES\), got 'I-PER'"):  # fmt: skip
        convert_scheme([["B-X", "E-X"], ["I-PER"]], "BMES", "IOB2")
    with pytest.raises(ValueError, match="position 0: .* got 'B-'"):
        validate_tags(["B-"], "IOB2")
    with pytest.raises(ValueError, match="position 0: .* got 'PER'"):
        validate_tags(["PER"], "IOB2")
    with pytest.raises(ValueError, match="position 1: .* got 3"):
        validate_tags(["O", 3], "IOB2")
    with pytest.raises(ValueError, match="source: expected one of 'IOB1', .*, got 'BIO2'"):
        convert_scheme(["O"], "BIO2", "IOB2")
    with pytest.raises(TypeError, match="target: expected one of .*, got NoneType"):
        convert_scheme(["O"], "IOB2", None)
    with pytest.raises(TypeError, match="tags: expected a list of str or a list of lists of str, got str"):
        convert_scheme("B-PER", "IOB2", "IOB1")
    with pytest.raises(TypeError, match="tags: expected a list of str .* got int 3 at index 1"):
        convert_scheme([["O"], 3], "IOB2", "IOB1")


def test_conll2003_iob1_to_iob2_keeps_the_readme_counts():
    gold = data.load("conll2003", "test").tags
    iob2 = convert_scheme(gold, "IOB1", "IOB2")
    assert sum(t.startswith("B-") for s in iob2 for t in s) == 5648  # README: 5,648 test entities
    # conlleval's reading of the IOB1 original equals seqeval's strict IOB2 reading of the conversion
    assert sl.get_entities(gold) == get_entities(iob2, mode="strict", scheme="IOB2")
    assert convert_scheme(convert_scheme(iob2, "IOB2", "IOBES"), "IOBES", "IOB1") == gold


def test_resume_bmes_and_weibo_bio_convert():
    resume = data.load("resume_ner", "test").tags
    iobes = convert_scheme(resume, "BMES", "IOBES")
    assert len(get_entities(iobes, mode="strict", scheme="IOBES")) == 1630  # README: 1,630 test entities
    weibo = data.load("weibo_ner", "test").tags
    bilou = convert_scheme(weibo, "IOB2", "BILOU")
    # README: 414 entities counted as B- tags; 4 I- tags there don't follow their B-, each read as an entity
    assert len(get_entities(bilou, mode="strict", scheme="BILOU")) == 414 + 4
