"""The TextCNN's most activating n-grams: the shares are the logit (bias aside), each filter's window is the
one where a direct convolution peaks, and on TREC the question words carry their classes."""

import pytest
import torch

from mlcanon.tasks import textcls
from mlcanon.tasks.contract import TrainArgs
from mlcanon.tasks.textcls.features import load_split, tokenize
from mlcanon.tasks.textcls.ngrams import most_activating_ngrams
from mlcanon.tasks.textcls.pipeline import _collate


@pytest.fixture(scope="module")
def trec_cnn(tmp_path_factory):
    out = tmp_path_factory.mktemp("ngrams") / "cnn"
    textcls.train(TrainArgs(model="textcnn", data="trec", out=out, epochs=3, limit=2000), progress=False)
    return textcls.load(out)


def test_shares_add_up_to_the_logits_and_windows_are_the_convolution_peaks(trec_cnn):
    model = trec_cnn.model
    texts = load_split("trec", "test").texts[:40]
    x, _ = _collate([(ids, 0) for ids in trec_cnn._encode(texts)])  # (B, T)
    share, starts, widths = model.window_contributions(x)
    with torch.no_grad():
        logits = model(x)  # eval mode: no dropout
        torch.testing.assert_close(share.sum(dim=1) + model.fc.bias, logits, atol=1e-4, rtol=1e-5)
        emb = model.embedding(x)  # (B, T, D)
        for b in (0, 7, 23):
            n = int((x[b] != 0).sum())
            for f in (0, 150, 299):  # a filter of each width (3, 4, 5)
                conv, j = model.convs[f // 100], f % 100
                h = int(widths[f])
                windows = [emb[b, t:t + h] for t in range(max(1, n - h + 1))]
                direct = [torch.relu((conv.weight[j].T * torch.nn.functional.pad(w, (0, 0, 0, h - len(w)))).sum()
                                     + conv.bias[j]) for w in windows]
                assert int(starts[b, f]) == int(torch.stack(direct).argmax())


def test_trec_question_words_rank_first_for_their_classes(trec_cnn):
    test = load_split("trec", "test")
    top = most_activating_ngrams(trec_cnn, test.texts, k=5)
    assert set(top) == set(trec_cnn.labels)
    words = {label: " ".join(g for g, _, _ in grams) for label, grams in top.items()}
    assert "how many" in words["NUM"] or "when" in words["NUM"], top["NUM"]
    assert "who" in words["HUM"], top["HUM"]
    for label, grams in top.items():
        assert [s for _, s, _ in grams] == sorted((s for _, s, _ in grams), reverse=True)
        for gram, _, count in grams:
            assert count >= 1 and 1 <= len(gram.split()) <= 5


def test_bad_input_names_the_argument(trec_cnn, tmp_path):
    with pytest.raises(ValueError, match="texts"):
        most_activating_ngrams(trec_cnn, [])
    with pytest.raises(TypeError, match="k"):
        most_activating_ngrams(trec_cnn, ["who ?"], k=1.5)
    lr = tmp_path / "lr"
    textcls.train(TrainArgs(model="tfidf-nb", data="trec", out=lr, limit=300), progress=False)
    with pytest.raises(TypeError, match="classifier: expected a trained textcnn"):
        most_activating_ngrams(textcls.load(lr), ["who ?"])
    assert tokenize("Who ?") == ["who", "?"]
