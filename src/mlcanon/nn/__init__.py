"""PyTorch layers, plus shape arithmetic that needs no torch.

``from mlcanon.nn import conv_output_size`` does not import torch; the layers do.
"""

from mlcanon._lazy import lazy_module

_NAMES = {
    "conv_output_size": "shapes",
    "explain_conv_output_size": "shapes",
    "GELU": "activations",
    "gelu": "activations",
    "RNN": "recurrent",
    "LSTM": "recurrent",
    "GRU": "recurrent",
    "RNNCell": "recurrent",
    "LSTMCell": "recurrent",
    "GRUCell": "recurrent",
    "AdditiveAttention": "attention",
    "DotProductAttention": "attention",
    "GeneralAttention": "attention",
    "scaled_dot_product_attention": "attention",
    "MultiHeadAttention": "attention",
    "CRF": "crf",
    "interpolate": "sampling",
    "avg_pool2d": "sampling",
    "max_pool2d": "sampling",
    "max_unpool2d": "sampling",
    "conv_transpose2d": "sampling",
    "pixel_shuffle": "sampling",
    "pixel_unshuffle": "sampling",
    "adaptive_avg_pool2d": "sampling",
    "summary": "summary",
    "ModelSummary": "summary",
    "four_combinations": "modes",
    "GCNConv": "graph",
    "GATConv": "graph",
}
__all__ = sorted(_NAMES)
__getattr__, __dir__ = lazy_module(__name__, _NAMES)
