"""Bayesian networks beside pgmpy: posteriors on the student (Koller & Friedman) and burglary-alarm
(Pearl) networks, parameters fitted from sampled data, and a drawing of the student network with
the Markov blanket of Grade."""

from __future__ import annotations

import itertools
import logging
import warnings

from mlcanon.report.core import Note, Row, check, figure_from_matplotlib

# pgmpy 1.x warns at import that its own `estimators.StructureScore` is deprecated: a note for pgmpy's
# users of that class, not for a reader of this report (we never use it). Only that warning is silenced.
warnings.filterwarnings("ignore", message=r"`pgmpy\.estimators\.StructureScore` is deprecated", category=FutureWarning)

_QUERIES = {
    "student": [
        ("Intelligence", "i1", {}),
        ("Intelligence", "i1", {"Grade": "g3"}),
        ("Intelligence", "i1", {"Grade": "g3", "SAT": "s1"}),
        ("Difficulty", "d1", {"Grade": "g3"}),
        ("Difficulty", "d1", {"Grade": "g3", "SAT": "s1"}),
        ("Letter", "l1", {}),
        ("Letter", "l1", {"Intelligence": "i0", "Difficulty": "d0"}),
    ],
    "alarm": [
        ("Burglary", "yes", {"JohnCalls": "yes", "MaryCalls": "yes"}),
        ("Burglary", "yes", {"JohnCalls": "yes", "MaryCalls": "no"}),
        ("Earthquake", "yes", {"Alarm": "yes"}),
        ("Burglary", "yes", {"Alarm": "yes", "Earthquake": "yes"}),  # explaining away
        ("JohnCalls", "yes", {"Burglary": "yes"}),
    ],
}


def _pgmpy_imports() -> None:
    """Every pgmpy module the checks use (a test imports them and asserts no warning reaches stderr)."""
    import pgmpy.factors.discrete  # noqa: F401
    import pgmpy.inference  # noqa: F401
    import pgmpy.models  # noqa: F401
    import pgmpy.parameter_estimator  # noqa: F401


def _to_pgmpy(bn):
    from pgmpy.factors.discrete import TabularCPD as PgCPD
    from pgmpy.models import DiscreteBayesianNetwork

    model = DiscreteBayesianNetwork(bn.edges)
    for c in bn.cpds:
        model.add_cpds(PgCPD(c.variable, c.cardinality, c.values, evidence=list(c.parents) or None,
                             evidence_card=c.parent_cards or None, state_names=c.state_names))
    return model


def _label(var, state, evidence):
    given = ", ".join(f"{k}={v}" for k, v in evidence.items())
    return f"P({var}={state}" + (f" | {given})" if given else ")")


@check("贝叶斯网络 Bayesian network inference")
def bayesnet_vs_pgmpy(ctx):
    from pgmpy.inference import VariableElimination

    from mlcanon.classic import BayesianNetwork

    logging.getLogger("pgmpy").setLevel(logging.ERROR)
    items = []
    for name, queries in _QUERIES.items():
        bn = getattr(BayesianNetwork, name)()
        ve = VariableElimination(_to_pgmpy(bn))
        for var, state, evidence in queries:
            ours = bn.query(var, evidence).get_value({var: state})
            theirs = ve.query([var], evidence=evidence, show_progress=False).get_value(**{var: state})
            items.append(Row(f"{name}: {_label(var, state, evidence)}", ours, theirs, "pgmpy", tolerance=1e-10))
        worst, n = 0.0, 0
        max_evidence = 2 if ctx.full else 1
        for var in bn.nodes:
            others = [v for v in bn.nodes if v != var]
            for names in itertools.chain.from_iterable(itertools.combinations(others, k)
                                                       for k in range(max_evidence + 1)):
                for states in itertools.product(*[bn.state_names(v) for v in names]):
                    ev = dict(zip(names, states))
                    mine = bn.query(var, ev).values
                    ref = ve.query([var], evidence=ev, show_progress=False)
                    worst = max(worst, max(abs(mine[i] - ref.get_value(**{var: s}))
                                           for i, s in enumerate(bn.state_names(var))))
                    n += 1
        topic = f"{name}: max |Δ| over all {n} single-variable queries with ≤ {max_evidence} evidence variables"
        items.append(Row(topic, worst, 0.0, "pgmpy", tolerance=1e-10))
    items.extend(_fitted_rows(ctx))
    items.append(_drawing())
    student = BayesianNetwork.student()
    items.append(Note(f"Markov blanket of Grade = {student.markov_blanket('Grade')}: its parents, its child "
                      "and the child's other parents (none); given them, Grade is independent of SAT. "
                      f"d-separated(Difficulty, SAT) = {student.is_d_separated('Difficulty', 'SAT')}; "
                      "given Grade, Difficulty and Intelligence become dependent (a v-structure): "
                      "d-separated(Difficulty, Intelligence | Grade) = "
                      f"{student.is_d_separated('Difficulty', 'Intelligence', ['Grade'])}."))
    return items


def _fitted_rows(ctx):
    """CPDs estimated from 5,000 rows sampled from the student network, ours vs pgmpy's estimators."""
    import pandas as pd
    from pgmpy.models import DiscreteBayesianNetwork
    from pgmpy.parameter_estimator import DiscreteBayesianEstimator, DiscreteMLE

    from mlcanon.classic import BayesianNetwork

    truth = BayesianNetwork.student()
    data = truth.sample(5000, random_state=0)
    rows = []
    bdeu = ("BDeu (ess=5)", {"estimator": "bayes", "prior": "BDeu", "equivalent_sample_size": 5},
            DiscreteBayesianEstimator(prior_type="BDeu", equivalent_sample_size=5))
    for label, ours_kw, theirs in (
        ("MLE", {"estimator": "mle"}, DiscreteMLE()),
        bdeu,
    ):
        ours = BayesianNetwork(truth.edges).fit(data, **ours_kw)
        model = DiscreteBayesianNetwork(truth.edges).fit(pd.DataFrame(data), estimator=theirs)
        worst = 0.0
        for node in truth.nodes:
            cpd, ref = ours.get_cpd(node), model.get_cpds(node)
            for combo in itertools.product(*[cpd.state_names[v] for v in [node, *cpd.parents]]):
                a = dict(zip([node, *cpd.parents], combo))
                worst = max(worst, abs(cpd.prob(a[node], {p: a[p] for p in cpd.parents}) - ref.get_value(**a)))
        rows.append(Row(f"student CPDs fitted from 5,000 samples, {label}: max |Δ| of all CPD entries",
                        worst, 0.0, "pgmpy", tolerance=1e-12))
    return rows


# positions of the student network as Koller & Friedman draw it
_POS = {"Difficulty": (0.0, 2.0), "Intelligence": (2.0, 2.0), "Grade": (1.0, 1.0), "SAT": (3.0, 1.0),
        "Letter": (1.0, 0.0)}


def _drawing():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from mlcanon.classic import BayesianNetwork

    bn = BayesianNetwork.student()
    target = "Grade"
    blanket = set(bn.markov_blanket(target))
    fig, ax = plt.subplots(figsize=(6, 4.2))
    for parent, child in bn.edges:
        ax.annotate("", xy=_POS[child], xytext=_POS[parent],
                    arrowprops=dict(arrowstyle="-|>", color="0.3", lw=1.5, shrinkA=28, shrinkB=28))
    for node, (x, y) in _POS.items():
        color = "#d62728" if node == target else "#ff9f40" if node in blanket else "#cfe2f3"
        ax.scatter([x], [y], s=3600, color=color, edgecolor="0.2", zorder=3)
        ax.text(x, y, node, ha="center", va="center", fontsize=9, zorder=4)
    ax.scatter([], [], s=80, color="#d62728", label=target)
    ax.scatter([], [], s=80, color="#ff9f40", label=f"Markov blanket of {target}")
    ax.legend(loc="lower right", frameon=False, fontsize=8)
    ax.set_xlim(-0.6, 3.6)
    ax.set_ylim(-0.5, 2.5)
    ax.axis("off")
    return figure_from_matplotlib(fig, "Student network (Koller & Friedman, Fig. 3.4)",
                                  caption="Arrows are the CPDs' parent links; orange: the Markov blanket of Grade.")
