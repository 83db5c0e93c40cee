"""The n-grams a trained TextCNN relies on, class by class.

A TextCNN scores class c as ``b_c + Σ_f W[c, f] z_f``, where ``z_f`` is filter f's largest activation over
the windows of ``h_f`` tokens of the sentence. So every filter points at one n-gram of each sentence (the
window of its maximum) and adds ``W[c, f] z_f`` to class c (Jacovi, Sar Shalom & Goldberg 2018,
"Understanding Convolutional Neural Networks for Text Classification", BlackboxNLP; Kim 2014's model).
:func:`most_activating_ngrams` sums these shares over a corpus, for the class the model predicts for each
text, per (class, n-gram), and ranks the n-grams of each class by their total share::

    score(c, g) = Σ_texts with prediction c  Σ_f [window of f is g] · W[c, f] z_f

An n-gram that many filters pick in many texts of a class ranks first: "how many", "who", "what is" for
TREC's NUM, HUM and DESC. Windows of a sentence shorter than the filter are cut at its end.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

import torch

from mlcanon.tasks.textcls.features import tokenize
from mlcanon.validation import check_int

__all__ = ["most_activating_ngrams"]


def most_activating_ngrams(classifier, texts: Iterable[str], k: int = 5,
                           batch_size: int = 256) -> dict[str, list[tuple[str, float, int]]]:
    """For each label, the ``k`` n-grams with the largest total share of its score over ``texts``.

    ``classifier`` is a trained ``textcnn`` (``mlcanon.tasks.textcls.load(DIR)``). Returns
    ``{label: [(n-gram, total share, times picked), ...]}``, best first; labels never predicted get ``[]``.
    """
    from mlcanon.models.textcnn import TextCNN
    from mlcanon.tasks.textcls.pipeline import _collate

    if not isinstance(getattr(classifier, "model", None), TextCNN):
        raise TypeError(f"classifier: expected a trained textcnn (mlcanon.tasks.textcls.load of a --model textcnn "
                        f"folder), got {type(getattr(classifier, 'model', classifier)).__name__}")
    check_int(k, "k", minimum=1)
    check_int(batch_size, "batch_size", minimum=1)
    texts = list(texts)
    if not texts or not all(isinstance(t, str) for t in texts):
        raise ValueError("texts: expected a non-empty sequence of strings")
    model = classifier.model.eval()
    totals: dict[int, dict[str, list]] = defaultdict(lambda: defaultdict(lambda: [0.0, 0]))
    for i in range(0, len(texts), batch_size):
        chunk = texts[i:i + batch_size]
        tokens = [tokenize(t, classifier.mode) for t in chunk]
        x, _ = _collate([(ids, 0) for ids in classifier._encode(chunk)])  # (B, T)
        share, starts, widths = model.window_contributions(x)  # (B, K·F, C), (B, K·F), (K·F,)
        predicted = model(x).argmax(dim=1)  # (B,)
        for b, c in enumerate(predicted.tolist()):
            mine = share[b, :, c]  # (K·F,) each filter's share of the predicted class
            for f in torch.nonzero(mine).flatten().tolist():
                start = int(starts[b, f])
                gram = " ".join(tokens[b][start:start + int(widths[f])])
                entry = totals[c][gram]
                entry[0] += float(mine[f])
                entry[1] += 1
    out = {}
    for c, label in enumerate(classifier.labels):
        ranked = sorted(totals[c].items(), key=lambda kv: -kv[1][0])[:k]
        out[label] = [(gram, total, count) for gram, (total, count) in ranked if total > 0]
    return out
