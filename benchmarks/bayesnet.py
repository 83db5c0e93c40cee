"""BayesianNetwork vs pgmpy: exact inference (variable elimination), parameter fitting, sampling.

Work: every single-variable posterior with at most one evidence variable on the student and alarm
networks; MLE and BDeu fits of the student network from 20,000 sampled rows; a random 30-node
network with 3 parents per node at most, 20 queries. Same networks, same data, same queries for
both (the answers agree to 1e-10, see tests/classic/test_bayesnet.py). No goal in the issue: the
ratio is reported, with goal 1.0.
"""

from __future__ import annotations

import itertools
import logging

import numpy as np

from benchmarks.harness import Comparison, compare


def _to_pgmpy(bn):
    from pgmpy.factors.discrete import TabularCPD as PgCPD
    from pgmpy.models import DiscreteBayesianNetwork

    model = DiscreteBayesianNetwork(bn.edges)
    model.add_nodes_from(bn.nodes)
    for c in bn.cpds:
        model.add_cpds(PgCPD(c.variable, c.cardinality, c.values, evidence=list(c.parents) or None,
                             evidence_card=c.parent_cards or None, state_names=c.state_names))
    return model


def _queries(bn, max_evidence=1):
    out = []
    for var in bn.nodes:
        others = [v for v in bn.nodes if v != var]
        for names in itertools.chain.from_iterable(itertools.combinations(others, k) for k in range(max_evidence + 1)):
            for states in itertools.product(*[bn.state_names(v) for v in names]):
                out.append((var, dict(zip(names, states))))
    return out


def _random_network(n_nodes, seed=0):
    from mlcanon.classic.bayesnet import BayesianNetwork, TabularCPD

    rng = np.random.RandomState(seed)
    names = [f"X{i}" for i in range(n_nodes)]
    edges = []
    for j in range(1, n_nodes):
        k = rng.randint(0, min(3, j) + 1)
        edges += [(names[i], names[j]) for i in rng.choice(j, k, replace=False)]
    bn = BayesianNetwork(edges, nodes=names)
    for n in names:
        parents = bn.parents(n)
        values = rng.dirichlet(np.ones(2), size=2 ** len(parents)).T
        bn.add_cpd(TabularCPD(n, values, parents, {v: ["a", "b"] for v in [n, *parents]}))
    return bn


def run(repeats: int, quick: bool) -> list[Comparison]:
    import pandas as pd
    from pgmpy.inference import VariableElimination
    from pgmpy.models import DiscreteBayesianNetwork
    from pgmpy.parameter_estimator import DiscreteBayesianEstimator, DiscreteMLE

    from mlcanon.classic import BayesianNetwork

    logging.getLogger("pgmpy").setLevel(logging.ERROR)
    out = []
    for name in ("student", "alarm"):
        bn = getattr(BayesianNetwork, name)()
        ve = VariableElimination(_to_pgmpy(bn))
        qs = _queries(bn)
        out.append(compare(
            f"{name}: {len(qs)} posteriors by variable elimination",
            lambda bn=bn, qs=qs: [bn.query(v, e) for v, e in qs],
            lambda ve=ve, qs=qs: [ve.query([v], evidence=e, show_progress=False) for v, e in qs],
            reference_name="pgmpy", repeats=repeats, goal=1.0, params={"n_queries": len(qs)}))
    big = _random_network(30)
    ve = VariableElimination(_to_pgmpy(big))
    rng = np.random.RandomState(1)
    qs = [(f"X{i}", {f"X{j}": "a" for j in rng.choice(30, 3, replace=False) if j != i}) for i in rng.choice(30, 20)]
    out.append(compare("random 30-node network: 20 posteriors, 3 evidence variables",
                       lambda: [big.query(v, e) for v, e in qs],
                       lambda: [ve.query([v], evidence=e, show_progress=False) for v, e in qs],
                       reference_name="pgmpy", repeats=repeats, goal=1.0, params={"n_nodes": 30}))
    truth = BayesianNetwork.student()
    n = 5_000 if quick else 20_000
    data = truth.sample(n, random_state=0)
    frame = pd.DataFrame(data)
    out.append(compare(f"student: MLE fit from {n} rows",
                       lambda: BayesianNetwork(truth.edges).fit(data),
                       lambda: DiscreteBayesianNetwork(truth.edges).fit(frame, estimator=DiscreteMLE()),
                       reference_name="pgmpy", repeats=repeats, goal=1.0, params={"n_rows": n}))
    out.append(compare(f"student: BDeu fit from {n} rows",
                       lambda: BayesianNetwork(truth.edges).fit(data, estimator="bayes", prior="BDeu"),
                       lambda: DiscreteBayesianNetwork(truth.edges).fit(
                           frame, estimator=DiscreteBayesianEstimator(prior_type="BDeu")),
                       reference_name="pgmpy", repeats=repeats, goal=1.0, params={"n_rows": n}))
    return out
