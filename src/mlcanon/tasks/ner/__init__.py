"""Named-entity recognition (CoNLL-2003, Resume, Weibo or a CoNLL file): ``mlcanon ner train|evaluate|predict``
with the hmm, crf, bilstm-crf, bert-crf and bert-softmax taggers."""

from mlcanon.tasks.ner.pipeline import (
    MODELS,
    NerTagger,
    evaluate,
    load,
    predict,
    score_tags,
    train,
)

__all__ = ["MODELS", "NerTagger", "evaluate", "load", "predict", "score_tags", "train"]
