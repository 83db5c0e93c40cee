"""Entity-level metrics: ours against seqeval 1.2.2 on the CoNLL-2003 test set.

Gold: ``eng.testb`` (3,453 sentences, 46,435 tags, IOB1); prediction: the gold tags with 8% of
them replaced at random (entities lost, split, retyped and made ill-formed). ``--quick`` uses the
first 800 sentences. The goal is ten times seqeval's throughput (ratio <= 0.1) in both modes.
"""

from __future__ import annotations

import warnings

import numpy as np

from benchmarks.harness import Comparison, compare


def _pair(quick: bool):
    from mlcanon import data

    gold = data.load("conll2003", "test").tags
    if quick:
        gold = gold[:800]
    tagset = sorted({t for s in gold for t in s})
    rng = np.random.default_rng(0)
    pred = [[tagset[rng.integers(len(tagset))] if rng.random() < 0.08 else t for t in s] for s in gold]
    return gold, pred


def run(repeats: int, quick: bool) -> list[Comparison]:
    import seqeval.metrics as sm
    import seqeval.scheme as ss

    from mlcanon.metrics import sequence as ours

    gold, pred = _pair(quick)
    params = {"n_sentences": len(gold), "n_tags": sum(map(len, gold)), "data": "conll2003 test, 8% tags perturbed"}
    notes = "measured on a shared machine under load by other users; ours and seqeval alternate in each repeat"
    warnings.simplefilter("ignore")
    out = []
    for label, kwargs, ref_kwargs in (
        ("default (conlleval)", {}, {}),
        ("strict IOB2", {"mode": "strict", "scheme": "IOB2"}, {"mode": "strict", "scheme": ss.IOB2}),
        ("strict IOB1", {"mode": "strict", "scheme": "IOB1"}, {"mode": "strict", "scheme": ss.IOB1}),
    ):
        assert ours.classification_report(gold, pred, **kwargs) == sm.classification_report(gold, pred, **ref_kwargs)
        out.append(compare(
            f"classification_report {label}",
            lambda: ours.classification_report(gold, pred, **kwargs),
            lambda: sm.classification_report(gold, pred, **ref_kwargs),
            reference_name="seqeval", repeats=repeats, goal=0.1, params=params, notes=notes,
        ))  # fmt: skip
        out.append(compare(
            f"f1_score micro {label}",
            lambda: ours.f1_score(gold, pred, **kwargs),
            lambda: sm.f1_score(gold, pred, **ref_kwargs),
            reference_name="seqeval", repeats=repeats, goal=None, params=params,
            notes=notes + "; informational (the goal is for the report, which seqeval computes in ten passes)",
        ))  # fmt: skip
    out.append(compare(
        "accuracy_score",
        lambda: ours.accuracy_score(gold, pred),
        lambda: sm.accuracy_score(gold, pred),
        reference_name="seqeval", repeats=repeats, goal=1.0, params=params, notes=notes,
    ))  # fmt: skip
    return out
