"""Text classification (TREC, SST-2, ChnSentiCorp or a TSV file): ``mlcanon textcls train|evaluate|predict``."""

from mlcanon.tasks.textcls.pipeline import MODELS, TextClassifier, evaluate, load, predict, train

__all__ = ["MODELS", "train", "evaluate", "predict", "load", "TextClassifier"]
