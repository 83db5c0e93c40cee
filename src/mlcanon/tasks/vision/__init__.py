"""Image classification on MNIST (ResNet-20, VGG-11-bn, ViT): ``mlcanon vision train|evaluate|predict``."""

from mlcanon.tasks.vision.pipeline import (
    MODELS,
    ImageClassifier,
    evaluate,
    load,
    predict,
    train,
)

__all__ = ["MODELS", "ImageClassifier", "evaluate", "load", "predict", "train"]
