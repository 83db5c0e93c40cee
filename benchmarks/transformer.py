"""Transformer training step on the CPU: mlcanon's Transformer vs torch.nn.Transformer, same weights.

Forward + backward of the encoder-decoder core (batch 32, source and target length 32, d_model 256,
8 heads, 4+4 layers, FFN 1024, causal target mask and key padding masks), post-norm and pre-norm.
The issue states no speed goal for this model; the goal here is a ratio ≤ 1.5 (at most 1.5× torch's time).
"""

from __future__ import annotations

import warnings

import torch

from benchmarks.harness import compare


def _pair(norm_first: bool, d_model: int, layers: int):
    from mlcanon.models.transformer import Transformer

    kw = dict(d_model=d_model, nhead=8, num_encoder_layers=layers, num_decoder_layers=layers,
              dim_feedforward=4 * d_model, dropout=0.0, batch_first=True, norm_first=norm_first)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = torch.nn.Transformer(**kw)
    ours = Transformer(**kw)
    ours.load_state_dict(theirs.state_dict(), strict=True)
    return ours.train(), theirs.train()


def run(repeats: int = 5, quick: bool = False):
    torch.manual_seed(0)
    B, S, T, d, layers = (8, 16, 16, 128, 2) if quick else (32, 32, 32, 256, 4)
    out = []
    for norm_first in (False, True):
        ours, theirs = _pair(norm_first, d, layers)
        src, tgt = torch.randn(B, S, d), torch.randn(B, T, d)
        pad = torch.zeros(B, S, dtype=torch.bool)
        pad[B // 2 :, S * 3 // 4 :] = True  # half the batch padded
        masks = dict(tgt_mask=torch.nn.Transformer.generate_square_subsequent_mask(T),
                     src_key_padding_mask=pad, memory_key_padding_mask=pad)
        w = torch.randn(B, T, d)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            diff = float((ours(src, tgt, **masks) - theirs(src, tgt, **masks)).abs().max())

        def step(model):
            def go():
                model.zero_grad(set_to_none=True)
                (model(src, tgt, **masks) * w).sum().backward()
            return go

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            name = "pre-norm" if norm_first else "post-norm"
            out.append(compare(f"forward+backward {name} {B}x{S}->{T}, d={d}, {layers}+{layers} layers",
                               step(ours), step(theirs), reference_name="torch.nn.Transformer",
                               repeats=repeats, warmup=2, goal=1.5,
                               params={"batch": B, "src_len": S, "tgt_len": T, "d_model": d, "layers": layers,
                                       "threads": torch.get_num_threads(), "max_abs_diff": diff}))
    return out
