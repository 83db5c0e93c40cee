"""CoNLL reader and writer: the bundled NER sets load with their READMEs' counts, every malformed
line is a FormatError naming the file and the line, and write_conll round-trips."""

from collections import Counter
from pathlib import Path

import pytest

from mlcanon import data
from mlcanon.data import FormatError, read_conll, write_conll
from mlcanon.metrics.sequence import get_entities

# From datasets/*/README.md (computed there from the files, independently of this code).
CONLL = {  # sentences, tokens, documents, entities PER / LOC / ORG / MISC
    "train": (14041, 203621, 946, (6600, 7140, 6321, 3438)),
    "dev": (3250, 51362, 216, (1842, 1837, 1341, 922)),
    "test": (3453, 46435, 231, (1617, 1668, 1661, 702)),
}
RESUME = {"train": (3821, 124099, 13438), "dev": (463, 13890, 1497), "test": (477, 15100, 1630)}
WEIBO = {"train": (1350, 73778, 1885), "dev": (270, 14509, 389), "test": (270, 14842, 414)}


@pytest.mark.parametrize("split", sorted(CONLL))
def test_conll2003_counts(split):
    d = data.load("conll2003", split)
    n_sent, n_tok, n_docs, per_type = CONLL[split]
    assert (len(d), sum(map(len, d.tokens)), len(d.documents)) == (n_sent, n_tok, n_docs)
    counts = Counter(t for t, _, _ in get_entities(d.tags))  # conlleval's reading = IOB1's
    assert tuple(counts[t] for t in ("PER", "LOC", "ORG", "MISC")) == per_type
    assert d.documents[0] == 0 and all(len(cols) == 4 for s in d.extra[:50] for cols in s)


@pytest.mark.parametrize("split", sorted(RESUME))
def test_resume_ner_counts(split):
    d = data.load("resume_ner", split)
    n_sent, n_chars, n_entities = RESUME[split]
    assert (len(d), sum(map(len, d.tokens))) == (n_sent, n_chars)
    assert sum(t[0] in "BS" for s in d.tags for t in s) == n_entities  # README: B- + S- tags
    assert d.documents == [] and d.positions == []


@pytest.mark.parametrize("split", sorted(WEIBO))
def test_weibo_ner_counts_and_positions(split):
    d = data.load("weibo_ner", split)
    n_sent, n_chars, n_entities = WEIBO[split]
    assert (len(d), sum(map(len, d.tokens))) == (n_sent, n_chars)
    assert sum(t.startswith("B-") for s in d.tags for t in s) == n_entities
    # the token is the character, the position in its word is kept (and the raw column in extra)
    assert all(str(p) == cols[0][len(tok):] and cols[0].startswith(tok)
               for ts, ps, cs in zip(d.tokens, d.positions, d.extra) for tok, p, cols in zip(ts, ps, cs))  # fmt: skip
    lengths = Counter(len(tok) for s in d.tokens for tok in s)
    assert set(lengths) <= {1, 2}  # 2: the README's lost emoji, two U+FFFD characters


def test_weibo_first_sentence():
    d = data.load("weibo_ner", "test")
    assert d.extra[0][0][0] == d.tokens[0][0] + "0" and d.positions[0][0] == 0
    # a digit character: "20" is the character "2" at position 0, not "" at position 20
    digits = [(tok, p, cols[0]) for ts, ps, cs in zip(d.tokens, d.positions, d.extra)
              for tok, p, cols in zip(ts, ps, cs) if cols[0] == "20"]  # fmt: skip
    assert digits and all(tok == "2" and p == 0 for tok, p, _ in digits)


def test_reader_boundaries_crlf_and_missing_final_newline(tmp_path: Path):
    f = tmp_path / "a.conll"
    f.write_bytes(b"-DOCSTART- -X- -X- O\r\n\r\nEU NNP I-NP B-ORG\r\nrejects VBZ I-VP O\r\n\r\n"
                  b"-DOCSTART- -X- -X- O\r\nPeter NNP I-NP B-PER\r\n\r\n\r\nBlackburn NNP I-NP B-PER")  # fmt: skip
    d = read_conll(f, scheme="IOB2")
    assert d.tokens == [["EU", "rejects"], ["Peter"], ["Blackburn"]]
    assert d.tags == [["B-ORG", "O"], ["B-PER"], ["B-PER"]]
    assert d.documents == [0, 1]  # a -DOCSTART- line also ends a sentence
    assert d.extra[0][0] == ["EU", "NNP", "I-NP", "B-ORG"]
    assert read_conll(f, tag_column=2, token_column=1).tags[0] == ["I-NP", "I-VP"]


def test_reader_any_number_of_columns(tmp_path: Path):
    f = tmp_path / "b.tsv"
    f.write_text("a\tx\ty\tz\tB-PER\nb\tx\ty\tz\tI-PER\n")
    d = read_conll(f, sep="\t")
    assert d.tags == [["B-PER", "I-PER"]] and d.extra[0][1] == ["b", "x", "y", "z", "I-PER"]


def test_reader_errors_name_file_and_line(tmp_path: Path):
    f = tmp_path / "bad.conll"
    f.write_text("EU NNP I-NP B-ORG\nrejects VBZ O\n")
    with pytest.raises(FormatError, match=r"bad.conll, line 2: expected 4 columns, got 3"):
        read_conll(f)
    with pytest.raises(FormatError, match=r"bad.conll, line 1: expected 3 columns, got 4"):
        read_conll(f, n_columns=3)
    f.write_text("EU B-ORG\n\nx O\ny E-ORG\n")
    with pytest.raises(FormatError, match=r"bad.conll, line 4: tag 'E-ORG' is not O or one of I-TYPE, B-TYPE "
                                          r"\(scheme IOB2\)"):  # fmt: skip
        read_conll(f, scheme="IOB2")
    f.write_text("EU B-\n")
    with pytest.raises(FormatError, match=r"bad.conll, line 1: tag 'B-' is not O"):
        read_conll(f, scheme="IOBES")
    f.write_bytes(b"EU B-ORG\n\nM\xfcller B-PER\n")
    with pytest.raises(FormatError, match=r"bad.conll, line 3: not valid utf-8: byte 0xfc at byte 1 of the line"):
        read_conll(f)
    assert read_conll(f, encoding="latin-1").tokens[1] == ["Müller"]
    f.write_text("EU\n")
    with pytest.raises(FormatError, match=r"bad.conll, line 1: expected at least 2 columns"):
        read_conll(f)
    f.write_text("中 O\n")
    with pytest.raises(FormatError, match=r"bad.conll, line 1: expected a token followed by its position"):
        read_conll(f, token_position_suffix=True)
    with pytest.raises(ValueError, match="scheme: expected one of 'IOB1'"):
        read_conll(f, scheme="BIO2")


def test_writer_round_trips_conll2003(tmp_path: Path):
    d = data.load("conll2003", "test")
    out = write_conll(tmp_path / "t.conll", d.tokens, d.tags, [[cols[1:-1] for cols in s] for s in d.extra],
                      documents=d.documents)  # fmt: skip
    back = read_conll(out, n_columns=4, sep=" ", scheme="IOB1")
    assert (back.tokens, back.tags, back.extra, back.documents) == (d.tokens, d.tags, d.extra, d.documents)


def test_writer_bytes_and_errors(tmp_path: Path):
    f = write_conll(tmp_path / "w.tsv", [["EU", "rejects"], ["Peter"]], [["B-ORG", "O"], ["B-PER"]], sep="\t",
                    documents=[0, 1])  # fmt: skip
    assert f.read_text() == "-DOCSTART-\tO\n\nEU\tB-ORG\nrejects\tO\n\n-DOCSTART-\tO\n\nPeter\tB-PER\n\n"
    assert read_conll(f, sep="\t").tokens == [["EU", "rejects"], ["Peter"]]
    with pytest.raises(ValueError, match="sentences_tokens, tags: expected the same number of sentences, got 1 and 2"):
        write_conll(f, [["a"]], [["O"], ["O"]])
    with pytest.raises(ValueError, match="tags: expected 2 tags for sentence 0 .* got 1"):
        write_conll(f, [["a", "b"]], [["O"]])
    with pytest.raises(ValueError, match="sentence 0, token 1: expected non-empty str fields without ' '"):
        write_conll(f, [["a", "b c"]], [["O", "O"]])
    with pytest.raises(ValueError, match="sentence 0, token 1: expected 3 columns, got 2"):
        write_conll(f, [["a", "b"]], [["O", "O"]], extra_columns=[[["NN"], []]])
    with pytest.raises(ValueError, match="sentences_tokens: sentence 0 is empty"):
        write_conll(f, [[]], [[]])
    with pytest.raises(ValueError, match="the token '-DOCSTART-' would be read as a document marker"):
        write_conll(f, [["-DOCSTART-"]], [["O"]])
    with pytest.raises(ValueError, match="sep: expected a non-empty separator"):
        write_conll(f, [["a"]], [["O"]], sep="")
    with pytest.raises(ValueError, match=r"extra_columns: expected one entry per sentence \(1\), got 0"):
        write_conll(f, [["a"]], [["O"]], extra_columns=[])
