"""Evaluation metrics.

- :mod:`mlcanon.metrics.classification`: accuracy, precision/recall/F1, confusion matrix,
  classification report (same arguments and numbers as scikit-learn's);
- :mod:`mlcanon.metrics.sequence` (NER issue): entity-level scores identical to seqeval's.
"""

from mlcanon._lazy import lazy_module

_NAMES = {
    "accuracy_score": "classification",
    "precision_score": "classification",
    "recall_score": "classification",
    "f1_score": "classification",
    "fbeta_score": "classification",
    "precision_recall_fscore_support": "classification",
    "confusion_matrix": "classification",
    "classification_report": "classification",
    "UndefinedMetricWarning": "classification",
    "get_entities": "sequence",
    "entity_scores": "sequence",
    "entity_classification_report": "sequence",
}
__all__ = sorted(_NAMES)
__getattr__, __dir__ = lazy_module(__name__, _NAMES)
