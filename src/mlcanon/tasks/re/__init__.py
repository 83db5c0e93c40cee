"""Relation extraction (SemEval-2010 Task 8): ``mlcanon re train|evaluate|predict``."""

from mlcanon.tasks.re.pipeline import MODELS, RelationClassifier, evaluate, load, predict, train

__all__ = ["MODELS", "train", "evaluate", "predict", "load", "RelationClassifier"]
