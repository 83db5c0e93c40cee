"""Moved to :mod:`mlcanon.tasks.ner.features` (the NER task owns its features); this name stays so that
older imports (tests/classic/test_crf.py, benchmarks/crf.py) keep working."""

from mlcanon.tasks.ner.features import conll_features, sent2features, word2features

__all__ = ["word2features", "sent2features", "conll_features"]
