"""HMM speed vs hmmlearn 0.3.3: Viterbi, forward-backward, Baum-Welch on 100 sequences x 1,000 steps x 20 states.

Both libraries get the same parameters and the same data (sampled from a random model), for
CategoricalHMM (50 symbols) and GaussianHMM (diag, 5 features), with ``implementation="log"``
and ``"scaling"``. Goal (issue 4): ours <= 1.0x hmmlearn's time.
"""

from __future__ import annotations

import logging

import numpy as np

from benchmarks.harness import Comparison, compare


def _models(kind: str, impl: str, K: int, n_iter: int, rng: np.random.RandomState):
    from hmmlearn import hmm as ref

    from mlcanon.classic import hmm as ours

    pi = rng.dirichlet(np.ones(K))
    A = rng.dirichlet(np.ones(K), K) * 0.5 + np.eye(K) * 0.5  # sticky chains, as in real use
    if kind == "categorical":
        B = rng.dirichlet(np.full(50, 0.3), K)
        params = {"startprob_": pi, "transmat_": A, "emissionprob_": B}
        make = [lambda m: m.CategoricalHMM(K, init_params="", n_iter=n_iter, tol=-np.inf, implementation=impl)]
    else:
        params = {"startprob_": pi, "transmat_": A, "means_": rng.randn(K, 5) * 2, "covars_": rng.uniform(0.5, 2, (K, 5))}
        make = [lambda m: m.GaussianHMM(K, covariance_type="diag", init_params="", n_iter=n_iter, tol=-np.inf,
                                        implementation=impl)]
    built = []
    for module in (ours, ref):
        model = make[0](module)
        for name, value in params.items():
            setattr(model, name, value.copy())
        built.append(model)
    return built


def run(repeats: int, quick: bool) -> list[Comparison]:
    logging.getLogger("hmmlearn").setLevel(logging.ERROR)
    n_seq, T, K = (20, 500, 20) if quick else (100, 1000, 20)
    lengths = np.full(n_seq, T)
    out = []
    for kind in ("categorical", "gaussian"):
        for impl in ("log", "scaling"):
            rng = np.random.RandomState(0)
            ours, ref = _models(kind, impl, K, 10, rng)
            X, _ = ref.sample(n_seq * T, random_state=1)
            params = {"n_sequences": n_seq, "steps": T, "states": K, "model": kind, "implementation": impl}
            tag = f"{kind} {impl}"
            out.append(compare(f"{tag}: Viterbi (predict)", lambda: ours.predict(X, lengths),
                               lambda: ref.predict(X, lengths), reference_name="hmmlearn", repeats=repeats,
                               goal=1.0, params=params))
            out.append(compare(f"{tag}: forward-backward (predict_proba)", lambda: ours.predict_proba(X, lengths),
                               lambda: ref.predict_proba(X, lengths), reference_name="hmmlearn", repeats=repeats,
                               goal=1.0, params=params))
            fits = _models(kind, impl, K, 10, np.random.RandomState(0))
            saved = [{k: v.copy() for k, v in vars(m).items() if k.endswith("_") and isinstance(v, np.ndarray)}
                     for m in fits]

            def fit(i):
                m = fits[i]
                for k, v in saved[i].items():
                    setattr(m, k, v.copy())
                m.fit(X, lengths)

            out.append(compare(f"{tag}: Baum-Welch, 10 iterations (fit)", lambda: fit(0), lambda: fit(1),
                               reference_name="hmmlearn", repeats=max(1, repeats // 2), goal=1.0, params=params))
    return out
