"""The data registry loads every bundled split with the counts its README gives, and readers
name the file and the line when a line does not fit the format."""

from pathlib import Path

import numpy as np
import pytest

from mlcanon import data
from mlcanon.data import FormatError, read_conll, read_label_first, read_semeval2010_task8, read_tsv_label_text

# Counts from each data set's README (computed there from the files, independently of this code).
EXPECTED = {
    ("trec", "train"): 5452, ("trec", "test"): 500,
    ("sst2", "train"): 6920, ("sst2", "dev"): 872, ("sst2", "test"): 1821,
    ("chnsenticorp", "train"): 9600, ("chnsenticorp", "dev"): 1200, ("chnsenticorp", "test"): 1200,
    ("conll2003", "train"): 14041, ("conll2003", "dev"): 3250, ("conll2003", "test"): 3453,
    ("resume_ner", "train"): 3821, ("resume_ner", "dev"): 463, ("resume_ner", "test"): 477,
    ("weibo_ner", "train"): 1350, ("weibo_ner", "dev"): 270, ("weibo_ner", "test"): 270,
    ("semeval2010_task8", "train"): 8000, ("semeval2010_task8", "test"): 2717,
    ("fsdd", "train"): 2700, ("fsdd", "test"): 300,
    ("cora", "train"): 2708, ("cora_planetoid", "train"): 2708,  # nodes (one transductive graph)
}


@pytest.mark.parametrize("name, split", sorted(EXPECTED))
def test_counts_match_the_readmes(name, split):
    loaded = data.load(name, split)
    count = loaded.x.shape[0] if hasattr(loaded, "edge_index") else len(loaded)  # a graph counts its nodes
    assert count == EXPECTED[(name, split)]


def test_every_registered_split_is_covered():
    listed = {(n, s) for n in data.available() for s in data.splits(n)}
    assert listed - {("mnist", "test")} == set(EXPECTED)


def test_content_of_first_records():
    trec = data.load("trec", "train")
    assert trec.labels[0] == "DESC:manner"
    assert trec.texts[0] == "How did serfdom develop in and then leave Russia ?"
    conll = data.load("conll2003", "train")
    assert conll.tokens[0] == ["EU", "rejects", "German", "call", "to", "boycott", "British", "lamb", "."]
    assert conll.tags[0] == ["I-ORG", "O", "I-MISC", "O", "O", "O", "I-MISC", "O", "O"]
    assert set(data.load("sst2", "test").labels) == {"0", "1"}
    sem = data.load("semeval2010_task8", "train")
    assert sem.labels[0] == "Component-Whole(e2,e1)" and "<e1>configuration</e1>" in sem.sentences[0]
    images, labels = data.load("mnist", "test")
    assert images.shape == (10000, 28, 28) and images.dtype == np.uint8
    assert np.bincount(labels).sum() == 10000 and labels.max() == 9


def test_registry_errors():
    with pytest.raises(ValueError, match="name: expected one of .*'trec'.*, got 'imdb'"):
        data.load("imdb")
    with pytest.raises(ValueError, match="split: expected one of 'train', 'test' for 'trec', got 'dev'"):
        data.load("trec", "dev")
    with pytest.raises(TypeError, match="name: expected a data set name"):
        data.load(3)


def test_missing_folder_is_explained(monkeypatch, tmp_path):
    monkeypatch.setenv("MLCANON_DATA", str(tmp_path))
    with pytest.raises(FileNotFoundError, match="set MLCANON_DATA"):
        data.load("trec")


def test_conll_reader_names_file_and_line(tmp_path: Path):
    f = tmp_path / "bad.conll"
    f.write_text("-DOCSTART- -X- O O\n\nEU NNP I-NP I-ORG\nrejects VBZ I-VP\n")
    with pytest.raises(FormatError, match=r"bad.conll, line 4: expected 4 columns, got 3"):
        read_conll(f)
    f.write_text("EU NNP I-NP I-ORG\n\nPeter NNP I-NP I-PER\nBlackburn NNP I-NP I-PER\n")
    out = read_conll(f)
    assert out.tokens == [["EU"], ["Peter", "Blackburn"]] and out.tags[1] == ["I-PER", "I-PER"]


def test_label_first_and_tsv_readers_name_file_and_line(tmp_path: Path):
    f = tmp_path / "q.txt"
    f.write_text("NUM:date When was it ?\nLOC:city\n")
    with pytest.raises(FormatError, match=r"q.txt, line 2: expected 'LABEL text'"):
        read_label_first(f)
    t = tmp_path / "s.tsv"
    t.write_text("label\ttext_a\n1\tgood\n0\tbad\textra\n")
    with pytest.raises(FormatError, match=r"s.tsv, line 3: expected 2 tab-separated fields, got 3"):
        read_tsv_label_text(t)
    t.write_text("lab\ttext\n")
    with pytest.raises(FormatError, match=r"s.tsv, line 1: expected the header"):
        read_tsv_label_text(t)


def test_semeval_reader_names_file_and_line(tmp_path: Path):
    f = tmp_path / "sem.txt"
    f.write_text('1\t"a <e1>b</e1> c <e2>d</e2>"\nOther\nComment:\n\nnot-an-id\t"x"\nOther\n')
    with pytest.raises(FormatError, match=r"sem.txt, line 5: expected 'id<TAB>\"sentence\"'"):
        read_semeval2010_task8(f)
