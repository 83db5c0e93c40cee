"""Report: the linear-chain CRF (mlcanon.classic.LinearChainCRF) beside CRFsuite on CoNLL-2003 NER.

Both train on the same feature dicts (the sklearn-crfsuite tutorial's word-shape features) with the
same c1, c2 and iterations; the rows compare the training loss, the number of generated features,
entity F1 on testb, the training time, and -- with CRFsuite's own learned weights loaded into
LinearChainCRF -- Viterbi paths and forward-backward marginals. The figure shows the transition
weights as a heat map.
"""

from __future__ import annotations

import os
import tempfile
import time

from mlcanon.report.core import Row, check, figure_from_matplotlib

_PARAMS = {"c1": 0.1, "c2": 0.1, "max_iterations": 50}


def _train_both(X, y):
    import pycrfsuite

    from mlcanon.classic import LinearChainCRF

    path = os.path.join(tempfile.mkdtemp(prefix="mlcanon_crf_"), "model.crfsuite")
    t0 = time.perf_counter()
    trainer = pycrfsuite.Trainer(verbose=False)
    for xseq, yseq in zip(X, y):
        trainer.append(xseq, yseq)
    trainer.set_params(_PARAMS)
    trainer.train(path)
    t_ref = time.perf_counter() - t0
    t0 = time.perf_counter()
    ours = LinearChainCRF(**_PARAMS).fit(X, y)
    t_ours = time.perf_counter() - t0
    tagger = pycrfsuite.Tagger()
    tagger.open(path)
    return ours, trainer, tagger, t_ours, t_ref


@check("条件随机场 linear-chain CRF vs CRFsuite (CoNLL-2003)")
def crf_vs_crfsuite(ctx):
    from seqeval.metrics import f1_score

    from mlcanon.classic import LinearChainCRF
    from mlcanon.tasks.ner.features import conll_features

    n_train = None if ctx.full else 1000
    X, y = conll_features("train", n_train)
    Xt, yt = conll_features("test", None if ctx.full else 1000)
    LinearChainCRF(max_iterations=1).fit(X[:5], y[:5])  # load the compiled kernels before timing
    ours, trainer, tagger, t_ours, t_ref = _train_both(X, y)
    where = f"{len(X)} sentences of CoNLL-2003 train, c1={_PARAMS['c1']}, c2={_PARAMS['c2']}, " \
            f"{_PARAMS['max_iterations']} iterations"
    loss_ref = trainer.logparser.iterations[-1]["loss"]
    loss_ours = ours.training_log_[-1]["loss"]
    f1_ours = f1_score(yt, ours.predict(Xt))
    f1_ref = f1_score(yt, [tagger.tag(x) for x in Xt])
    items = [
        Row(f"final training loss (-log-likelihood + c1|w|_1 + c2|w|^2), {where}", loss_ours, loss_ref,
            "python-crfsuite", tolerance=0.01 * abs(loss_ref), note="goal: within 1%"),
        Row("number of generated features (state + transition)", ours.n_features_,
            trainer.logparser.featgen_num_features, "python-crfsuite", tolerance=0),
        Row(f"entity F1 on testb ({len(Xt)} sentences, seqeval)", f1_ours, f1_ref, "python-crfsuite",
            tolerance=0.005, kind="quality", note="goal: at least CRFsuite's - 0.5 point"),
        Row(f"training time incl. feature-dict conversion, {where} (s)", t_ours, t_ref, "python-crfsuite",
            tolerance=2.0, kind="speed", note="goal ratio 2.0; benchmarks/crf.py times all of CoNLL-2003"),
    ]
    items += _with_crfsuite_weights(tagger, Xt[:250])
    items.append(_heatmap(ours))
    return items


def _with_crfsuite_weights(tagger, Xt):
    from mlcanon.classic import LinearChainCRF

    info = tagger.info()
    model = LinearChainCRF.from_weights(info.state_features, info.transitions, classes=tagger.labels())
    same = sum(p == tagger.tag(x) for p, x in zip(model.predict(Xt), Xt))
    worst = 0.0
    for x, marg in zip(Xt, model.predict_marginals(Xt)):
        tagger.set(x)
        for t, row in enumerate(marg):
            for label, p in row.items():
                worst = max(worst, abs(p - tagger.marginal(label, t)))
    return [
        Row(f"Viterbi paths equal to CRFsuite's Tagger.tag with its weights ({len(Xt)} sentences)",
            f"{same}/{len(Xt)}", f"{len(Xt)}/{len(Xt)}", "python-crfsuite", passed=same == len(Xt)),
        Row("max |marginal - Tagger.marginal| with CRFsuite's weights", worst, 0.0, "python-crfsuite",
            tolerance=1e-5, note="Tagger.info() gives the weights to 6 decimals"),
    ]


def _heatmap(model):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    labels = model.classes_
    T = np.zeros((len(labels), len(labels)))
    for (a, b), w in model.transition_features_.items():
        T[labels.index(a), labels.index(b)] = w
    order = sorted(range(len(labels)), key=lambda i: (labels[i] != "O", labels[i].split("-")[-1], labels[i]))
    T = T[np.ix_(order, order)]
    names = [labels[i] for i in order]
    fig, ax = plt.subplots(figsize=(5.5, 4.5))
    lim = np.abs(T).max() or 1.0
    im = ax.imshow(T, cmap="RdBu_r", vmin=-lim, vmax=lim)
    ax.set_xticks(range(len(names)), names, rotation=45, ha="right")
    ax.set_yticks(range(len(names)), names)
    ax.set_xlabel("label to")
    ax.set_ylabel("label from")
    for i in range(len(names)):
        for j in range(len(names)):
            if T[i, j]:
                ax.text(j, i, f"{T[i, j]:.1f}", ha="center", va="center", fontsize=7)
    fig.colorbar(im, ax=ax, shrink=0.8)
    ax.set_title("CRF transition weights A[from, to]")
    return figure_from_matplotlib(
        fig, "CRF transition weights (CoNLL-2003)",
        "Learned by LinearChainCRF (c1=c2=0.1) on CoNLL-2003 train (IOB1 tags). Blank cells have weight 0: "
        "transitions never seen in training (CRFsuite generates no feature for them) or weights the L1 "
        "penalty set to zero. Staying inside an entity (I-X -> I-X) scores highest; in IOB1 a B-X only "
        "starts an entity right after another X entity, so only I-X -> B-X is present.")

