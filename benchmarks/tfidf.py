"""TF-IDF ``fit_transform`` on whole real corpora: mlcanon vs scikit-learn (issue goal: ratio <= 1.0).

Corpora: SST-2 train+dev+test (9,613 English sentences, word analyzer) and ChnSentiCorp train
(9,600 Chinese reviews, character analyzer: Chinese has no spaces between words), each with the
default options and with ``ngram_range=(1, 2), sublinear_tf=True``; a last case times ``char_wb``
n-grams (2 to 4 characters inside word boundaries) on SST-2.
"""

from __future__ import annotations

from benchmarks.harness import Comparison, compare


def _corpora(quick: bool) -> dict[str, list[str]]:
    from mlcanon import data

    sst2 = [t for split in ("train", "dev", "test") for t in data.load("sst2", split).texts]
    zh = data.load("chnsenticorp", "train").texts
    if quick:
        sst2, zh = sst2[:2000], zh[:2000]
    return {"sst2": sst2, "chnsenticorp": zh}


def run(repeats: int = 5, quick: bool = False) -> list[Comparison]:
    from sklearn.feature_extraction.text import TfidfVectorizer as SkTfidf

    from mlcanon.text import TfidfVectorizer

    corpora = _corpora(quick)
    cases = [
        ("sst2", "word, defaults", {}),
        ("sst2", "word, ngram_range=(1,2), sublinear_tf", {"ngram_range": (1, 2), "sublinear_tf": True}),
        ("chnsenticorp", "char, defaults", {"analyzer": "char"}),
        ("chnsenticorp", "char, ngram_range=(1,2), sublinear_tf",
         {"analyzer": "char", "ngram_range": (1, 2), "sublinear_tf": True}),
        ("sst2", "char_wb, ngram_range=(2,4)", {"analyzer": "char_wb", "ngram_range": (2, 4)}),
    ]
    out = []
    for corpus, label, options in cases:
        docs = corpora[corpus]
        out.append(compare(
            f"TfidfVectorizer.fit_transform {corpus}: {label}",
            lambda docs=docs, options=options: TfidfVectorizer(**options).fit_transform(docs),
            lambda docs=docs, options=options: SkTfidf(**options).fit_transform(docs),
            reference_name="scikit-learn",
            repeats=repeats,
            goal=1.0,
            params={"corpus": corpus, "n_docs": len(docs), **{k: str(v) for k, v in options.items()}},
        ))
    return out
