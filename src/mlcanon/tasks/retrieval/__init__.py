"""Cross-modal retrieval between spoken digits and digit images: ``mlcanon retrieval train|evaluate|search``."""

from mlcanon.tasks.retrieval.pipeline import (
    MODELS,
    Retriever,
    evaluate,
    gallery,
    load,
    relative_db,
    search,
    train,
)

__all__ = ["MODELS", "Retriever", "evaluate", "gallery", "load", "relative_db", "search", "train"]
