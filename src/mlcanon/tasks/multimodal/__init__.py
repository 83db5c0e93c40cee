"""Multimodal fusion on AV-MNIST (MNIST images + FSDD recordings): ``mlcanon multimodal train|evaluate|predict``."""

from mlcanon.tasks.multimodal.pipeline import (
    MODELS,
    FusionClassifier,
    evaluate,
    load,
    predict,
    train,
)

__all__ = ["MODELS", "FusionClassifier", "evaluate", "load", "predict", "train"]
