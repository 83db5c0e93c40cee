"""LinearChainCRF vs python-crfsuite (CRFsuite 0.12): training on CoNLL-2003 English train.

Features: the sklearn-crfsuite tutorial's ``word2features`` (lower-cased word, 3- and 2-letter
suffixes, isupper/istitle/isdigit, POS and its first 2 letters, the same for the previous and
next word, BOS/EOS), from mlcanon.report.classic._crf_features. Both sides start from the same
lists of feature dicts, so the time includes the conversion of the dicts (``Trainer.append`` for
CRFsuite, the encoding inside our ``fit``). Same c1, c2, max_iterations. Goal: time ratio <= 2.0
and entity F1 on testb (seqeval) >= CRFsuite's - 0.5 point. Two trainings (OWL-QN with c1 = c2 =
0.1, and L-BFGS with More-Thuente line search, c1 = 0, c2 = 1) and tagging testb with Viterbi.
"""

from __future__ import annotations

import os
import tempfile

from benchmarks.harness import compare
from mlcanon.report.classic._crf_features import conll_features


def train_crfsuite(X, y, params, path):
    import pycrfsuite

    trainer = pycrfsuite.Trainer(verbose=False)
    for xseq, yseq in zip(X, y):
        trainer.append(xseq, yseq)
    trainer.set_params(params)
    trainer.train(path)
    return trainer


def run(repeats: int, quick: bool):
    import pycrfsuite

    n_train = 3000 if quick else None
    X, y = conll_features("train", n_train)
    Xt, yt = conll_features("test")
    out = []
    for params in ({"c1": 0.1, "c2": 0.1, "max_iterations": 50}, {"c1": 0.0, "c2": 1.0, "max_iterations": 50}):
        out.append(_training(X, y, Xt, yt, params, repeats))
    model, path = out[0].params.pop("_model"), out[0].params.pop("_path")
    out[1].params.pop("_model"), out[1].params.pop("_path")
    tagger = pycrfsuite.Tagger()
    tagger.open(path)
    out.append(compare("Viterbi tagging of CoNLL-2003 testb", lambda: model.predict(Xt),
                       lambda: [tagger.tag(x) for x in Xt], reference_name="python-crfsuite Tagger.tag",
                       repeats=max(repeats, 3), goal=1.0, params={"n_sentences": len(Xt)}))
    return out


def _training(X, y, Xt, yt, params, repeats):
    import pycrfsuite
    from seqeval.metrics import f1_score

    from mlcanon.classic import LinearChainCRF

    path = os.path.join(tempfile.mkdtemp(prefix="crf_bench_"), "model.crfsuite")
    holder = {}

    def ours():
        holder["ours"] = LinearChainCRF(**params).fit(X, y)

    def theirs():
        holder["theirs"] = train_crfsuite(X, y, params, path)

    name = f"LinearChainCRF fit, CoNLL-2003 train, c1={params['c1']}, c2={params['c2']}"
    cmp = compare(name, ours, theirs, reference_name="python-crfsuite", repeats=repeats, warmup=1, goal=2.0)
    tagger = pycrfsuite.Tagger()
    tagger.open(path)
    f1_ref = f1_score(yt, [tagger.tag(x) for x in Xt])
    f1_ours = f1_score(yt, holder["ours"].predict(Xt))
    loss_ref = holder["theirs"].logparser.iterations[-1]["loss"]
    loss_ours = holder["ours"].training_log_[-1]["loss"]
    cmp.params.update(n_sentences=len(X), n_tokens=sum(map(len, X)), **params,
                      f1_testb_ours=round(f1_ours, 5), f1_testb_crfsuite=round(f1_ref, 5),
                      final_loss_ours=loss_ours, final_loss_crfsuite=loss_ref, _model=holder["ours"], _path=path)
    cmp.notes = (f"entity F1 on testb (seqeval): ours {100 * f1_ours:.2f}, CRFsuite {100 * f1_ref:.2f} "
                 f"(goal: ours >= CRFsuite - 0.5); final loss ours {loss_ours:.4f}, CRFsuite {loss_ref:.4f}")
    return cmp
