"""Node classification on graphs (Cora or your own): ``mlcanon graph train|evaluate|predict``."""

from mlcanon.tasks.graph.features import DATASETS, GraphSource, stratified_split
from mlcanon.tasks.graph.pipeline import (
           MODELS,
           GraphTrainArgs,
           NodeClassifier,
           evaluate,
           load,
           predict,
           train,
)

__all__ = [
           "DATASETS",
           "MODELS",
           "GraphSource",
           "GraphTrainArgs",
           "NodeClassifier",
           "evaluate",
           "load",
           "predict",
           "stratified_split",
           "train",
]
