"""Evaluation metrics.

- :mod:`mlcanon.metrics.classification`: accuracy, precision/recall/F1, confusion matrix,
  classification report (same arguments and numbers as scikit-learn's);
- :mod:`mlcanon.metrics.sequence` (NER issue): entity-level scores identical to seqeval's;
- :mod:`mlcanon.metrics.semeval`: the official SemEval-2010 Task 8 scorer (v1.2), re-implemented;
- :mod:`mlcanon.metrics.retrieval`: ranking metrics (AP, mAP, R@k, P@k, median rank, NDCG@k),
  AP and NDCG equal to scikit-learn's.
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
    "average_precision": "retrieval",
    "mean_average_precision": "retrieval",
    "precision_at_k": "retrieval",
    "recall_at_k": "retrieval",
    "first_relevant_rank": "retrieval",
    "median_rank": "retrieval",
    "ndcg_at_k": "retrieval",
    "semeval2010_task8_score": "semeval",
    "format_semeval_report": "semeval",
    "write_answer_file": "semeval",
    "read_answer_file": "semeval",
    "SEMEVAL2010_TASK8_LABELS": "semeval",
}
__all__ = sorted(_NAMES)
__getattr__, __dir__ = lazy_module(__name__, _NAMES)
