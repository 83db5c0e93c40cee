"""Models built from :mod:`mlcanon.nn`, one model a module; names are loaded on first use."""

from mlcanon._lazy import lazy_module

_NAMES = {
    "Seq2Seq": "seq2seq",
    "Seq2SeqConfig": "seq2seq",
    "Seq2SeqDecoding": "seq2seq",
    "Transformer": "transformer",
    "TransformerConfig": "transformer",
    "NoamSchedule": "transformer",
    "TransformerSeq2Seq": "transformer",
    "PositionalEncoding": "transformer",
    "TransformerEncoderLayer": "transformer",
    "TransformerDecoderLayer": "transformer",
    "TransformerEncoder": "transformer",
    "TransformerDecoder": "transformer",
    "label_smoothed_cross_entropy": "transformer",
    "noam_rate": "transformer",
    "greedy_search": "transformer",
    "beam_search": "transformer",
    "BertConfig": "bert",
    "BertModel": "bert",
    "BertForMaskedLM": "bert",
    "BertForSequenceClassification": "bert",
    "BertForTokenClassification": "bert",
    "count_parameters": "bert",
    "mask_tokens": "bert_training",
    "pretrain_mlm": "bert_training",
    "GCN": "gcn",
    "GAT": "gat",
    "SkipGram": "skipgram",
    "DeepWalk": "skipgram",
    "Node2Vec": "skipgram",
    "TextCNN": "textcnn",
    "TextCNNConfig": "textcnn",
}
__all__ = sorted(_NAMES)
__getattr__, __dir__ = lazy_module(__name__, _NAMES)
