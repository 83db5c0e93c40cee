"""神经网络层 · layers: GELU, RNN/LSTM/GRU, multi-head attention and the CRF layer of mlcanon.nn beside
torch's and pytorch-crf's, after a strict state-dict transfer (max |difference|, same Viterbi paths,
CRF throughput), and a heat map of multi-head attention weights."""

from __future__ import annotations

from mlcanon.report.core import Row, check, figure_from_matplotlib


def _max_diff(a, b) -> float:
    return max(float((x - y).detach().abs().max()) for x, y in zip(a, b, strict=True))


@check("GELU 激活函数 — GELU")
def gelu_vs_torch(ctx):
    """GELU (Hendrycks & Gimpel 2016) weights its input by the Gaussian CDF, x·Φ(x); ours beside torch's, exact and
    tanh forms."""
    import torch
    import torch.nn.functional as F

    from mlcanon.nn.activations import gelu

    torch.manual_seed(ctx.seed)
    rows = []
    for dtype, tol in ((torch.float32, 2e-6), (torch.float64, 1e-12)):
        x = (torch.randn(20_000, dtype=dtype) * 3).requires_grad_(True)
        for approx in ("none", "tanh"):
            ours, ref = gelu(x, approx), F.gelu(x, approximate=approx)
            (ga,), (gb,) = torch.autograd.grad(ours.sum(), x), torch.autograd.grad(ref.sum(), x)
            name = str(dtype).replace("torch.", "")
            note = "5 ulps at |x|≈3; torch's own float32-vs-float64 error is 1.2e-6" if dtype == torch.float32 else ""
            rows.append(Row(f"GELU ({approx}) {name}, forward max |diff| (2e4 points)", _max_diff([ours], [ref]), 0.0,
                            "torch.nn.functional.gelu", tolerance=tol, note=note))
            rows.append(Row(f"GELU ({approx}) {name}, gradient max |diff|", _max_diff([ga], [gb]), 0.0,
                            "torch.nn.functional.gelu", tolerance=tol))
    return rows


@check("循环神经网络 — RNN, LSTM, GRU")
def recurrent_vs_torch(ctx):
    """Recurrent networks (Elman RNN, LSTM, GRU) carry a hidden state along a sequence; ours (the readable time loop)
    beside torch's after a strict state-dict transfer, and our fused path (torch's kernel, the default) beside the
    readable one."""
    import torch
    from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

    from mlcanon.nn import recurrent

    torch.manual_seed(ctx.seed)
    rows = []
    T, B, F, H = 20, 8, 16, 32
    lengths = torch.randint(1, T + 1, (B,))
    lengths[0] = T
    for name in ("RNN", "LSTM", "GRU"):
        ref = getattr(torch.nn, name)(F, H, num_layers=2, bidirectional=True, batch_first=True)
        ours = getattr(recurrent, name)(F, H, num_layers=2, bidirectional=True, batch_first=True, fused=False)
        ours.load_state_dict(ref.state_dict(), strict=True)
        x = torch.randn(B, T, F, requires_grad=True)
        a_out, a_h = ours(x, lengths=lengths)
        b_out, b_h = ref(pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False))
        b_out = pad_packed_sequence(b_out, batch_first=True, total_length=T)[0]
        a_h, b_h = (list(h) if isinstance(h, tuple) else [h] for h in (a_h, b_h))
        fwd = _max_diff([a_out, *a_h], [b_out, *b_h])
        ga = torch.autograd.grad(a_out.pow(2).sum() + sum(h.sum() for h in a_h), [x, *ours.parameters()])
        gb = torch.autograd.grad(b_out.pow(2).sum() + sum(h.sum() for h in b_h), [x, *ref.parameters()])
        what = f"{name} 2 layers, bidirectional, variable lengths ({B}×{T}×{H})"
        rows.append(Row(f"{what}: outputs and final states, max |diff|", fwd, 0.0, f"torch.nn.{name} (packed)", tolerance=1e-5))
        # gradients here reach ~50 (a summed loss): compared relative to the largest, as float32 allows
        # (torch's own float32 gradients differ from float64 ones by ~1e-5 absolute at this size)
        scale = max(float(g.abs().max()) for g in gb)
        rows.append(Row(f"{what}: gradients (input, all weights), max |diff| / max |gradient|", _max_diff(ga, gb) / scale,
                        0.0, f"torch.nn.{name} (packed)", tolerance=1e-6,
                        note=f"absolute {_max_diff(ga, gb):.1e} on gradients up to {scale:.0f}"))
        ours.fused = True
        f_out, f_h = ours(x, lengths=lengths)
        f_h = list(f_h) if isinstance(f_h, tuple) else [f_h]
        gf = torch.autograd.grad(f_out.pow(2).sum() + sum(h.sum() for h in f_h), [x, *ours.parameters()])
        rows.append(Row(f"{what}: fused path (default) vs readable path: outputs and states max |diff|, gradients relative",
                        max(_max_diff([f_out, *f_h], [a_out, *a_h]), _max_diff(gf, ga) / scale), 0.0,
                        f"mlcanon.nn.{name}(fused=False)", tolerance=1e-5,
                        note="gradients relative to the largest, as above"))
    return rows


@check("多头注意力 — multi-head attention")
def attention_vs_torch(ctx):
    """Multi-head attention, softmax(QKᵀ/√d)V in several subspaces at once; ours beside
    torch.nn.MultiheadAttention."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import torch

    from mlcanon.nn.attention import MultiHeadAttention

    torch.manual_seed(ctx.seed)
    B, L, E, h = 4, 12, 32, 4
    ref = torch.nn.MultiheadAttention(E, h, batch_first=True)
    ours = MultiHeadAttention(E, h, batch_first=True)
    ours.load_state_dict(ref.state_dict(), strict=True)
    x = torch.randn(B, L, E, requires_grad=True)
    pad = torch.zeros(B, L, dtype=torch.bool)
    pad[1:, 8:] = True
    causal = torch.ones(L, L, dtype=torch.bool).triu(1)
    a_out, a_w = ours(x, x, x, key_padding_mask=pad, attn_mask=causal, average_attn_weights=False)
    b_out, b_w = ref(x, x, x, key_padding_mask=pad, attn_mask=causal, average_attn_weights=False)
    ga = torch.autograd.grad(a_out.sum(), [x, *ours.parameters()])
    gb = torch.autograd.grad(b_out.sum(), [x, *ref.parameters()])
    ref_name = "torch.nn.MultiheadAttention"
    rows = [
        Row("MHA outputs, key padding + causal mask, max |diff|", _max_diff([a_out], [b_out]), 0.0, ref_name, tolerance=1e-5),
        Row("MHA attention weights (per head), max |diff|", _max_diff([a_w], [b_w]), 0.0, ref_name, tolerance=1e-5),
        Row("MHA gradients (input, all weights), max |diff|", _max_diff(ga, gb), 0.0, ref_name, tolerance=1e-5),
    ]
    fig, axes = plt.subplots(1, h, figsize=(3 * h, 3))
    for i, ax in enumerate(axes):
        ax.imshow(a_w[1, i].detach().numpy(), cmap="viridis", vmin=0, vmax=1)
        ax.set_title(f"head {i + 1}")
        ax.set_xlabel("key position")
        if i == 0:
            ax.set_ylabel("query position")
    caption = ("mlcanon's MultiHeadAttention weights for one sequence of a batch: a causal mask (nothing above the "
               "diagonal) and key padding from position 8 on (empty right-hand columns); random weights, so the "
               f"pattern inside the allowed triangle is arbitrary. Same as torch's to {rows[1].ours:.1e}.")
    return rows + [figure_from_matplotlib(fig, "Multi-head attention weights (4 heads)", caption)]


@check("CRF 层 — CRF layer")
def crf_vs_pytorch_crf(ctx):
    """A CRF layer scores whole tag sequences (emissions plus transitions) on top of a neural tagger; ours beside
    pytorch-crf."""
    import time

    import torch
    import torchcrf

    from mlcanon import data
    from mlcanon.nn.crf import CRF

    dev = data.load("conll2003", "dev")
    names = sorted({t for s in dev.tags for t in s})
    index = {t: i for i, t in enumerate(names)}
    sents = [s for s in dev.tags if len(s) > 1][:64]
    T, B, K = max(map(len, sents)), len(sents), len(names)
    tags = torch.zeros(T, B, dtype=torch.long)
    for b, s in enumerate(sents):
        tags[: len(s), b] = torch.tensor([index[t] for t in s])
    mask = torch.arange(T).unsqueeze(1) < torch.tensor([len(s) for s in sents]).unsqueeze(0)
    torch.manual_seed(ctx.seed)
    ref = torchcrf.CRF(K).double()
    ours = CRF(K).double()
    ours.load_state_dict(ref.state_dict(), strict=True)
    emissions = torch.randn(T, B, K, dtype=torch.float64) * 3
    llh_a, llh_b = ours(emissions, tags, mask, "none"), ref(emissions, tags, mask, "none")
    same = ours.decode(emissions, mask) == ref.decode(emissions, mask)
    rows = [
        Row(f"CRF log-likelihood per sentence, max |diff| (CoNLL-2003 dev tags, {B} sentences, float64)",
            _max_diff([llh_a], [llh_b]), 0.0, "pytorch-crf", tolerance=1e-9),
        Row("CRF Viterbi paths identical", same, True, "pytorch-crf", passed=same),
    ]
    # throughput: the batch 64 × 50 × 9, float32, forward + backward
    torch.manual_seed(ctx.seed)
    ref32, ours32 = torchcrf.CRF(9), CRF(9)
    ours32.load_state_dict(ref32.state_dict(), strict=True)
    e = torch.randn(50, 64, 9, requires_grad=True)
    t9 = torch.randint(0, 9, (50, 64))
    m9 = torch.arange(50).unsqueeze(1) < torch.randint(20, 51, (64,)).unsqueeze(0)
    m9[:, 0] = True

    def timed(crf):
        start = time.perf_counter()
        (-crf(e, t9, m9)).backward()
        return time.perf_counter() - start

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny per-step ops: threads only add waiting on a shared machine
    try:
        pairs = [(timed(ours32), timed(ref32)) for _ in range(6 if ctx.full else 4)][1:]
    finally:
        torch.set_num_threads(threads)
    ours_s = sorted(p[0] for p in pairs)[len(pairs) // 2]
    ref_s = sorted(p[1] for p in pairs)[len(pairs) // 2]
    rows.append(Row("CRF training step (log-likelihood forward + backward), 64×50×9, seconds", ours_s, ref_s,
                    "pytorch-crf", tolerance=0.5, kind="speed", note="goal: ≥ 2× pytorch-crf's throughput"))
    return rows
