"""What a newcomer meets first: one-line data reprs, helpful messages, the bundled BERT folder."""

import numpy as np
import pytest

from mlcanon import data


def test_a_data_set_prints_as_one_line():
    assert repr(data.load("trec", "train")) == "trec/train: 5,452 texts, 50 labels"
    assert repr(data.load("conll2003", "test")) == "conll2003/test: 3,453 sentences, 46,435 tokens, 8 tags"
    assert repr(data.load("semeval2010_task8", "test")) == "semeval2010_task8/test: 2,717 sentences, 19 relation labels"
    assert "cora" in data.available() and "cora_planetoid" in data.available()


def test_messages_name_what_is_wrong():
    from mlcanon.classic import GaussianNB, Perceptron

    with pytest.raises(ValueError, match="got 0 samples"):
        GaussianNB().fit(np.zeros((0, 3)), np.zeros(0))
    with pytest.raises(TypeError, match=r"^X: expected numeric values"):
        Perceptron().fit([{"a": 1}, {"b": 2}], [0, 1])


def test_bundled_minilm_folder_tokenizer_and_parameter_count():
    from mlcanon.models import BertConfig, BertModel, count_parameters, minilm_folder
    from mlcanon.text import WordPieceTokenizer

    folder = minilm_folder()
    assert (folder / "vocab.txt").is_file()
    assert WordPieceTokenizer(folder).vocab_file == folder / "vocab.txt"  # a folder means its vocab.txt
    model = BertModel.from_pretrained(folder)
    assert count_parameters(model) == sum(p.numel() for p in model.parameters()) == count_parameters(model.config)
    assert count_parameters(BertConfig.base()) == 109_482_240
