"""BayesianNetwork: variable elimination = enumeration of the joint, textbook posteriors, pgmpy
parity (inference, parameter estimation, Markov blankets, d-separation), sampling, errors."""

import itertools
import logging

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mlcanon.classic.bayesnet import BayesianNetwork, Factor, TabularCPD

pgmpy_models = pytest.importorskip("pgmpy.models")
logging.getLogger("pgmpy").setLevel(logging.ERROR)


# ---- helpers -----------------------------------------------------------------------------------


def to_pgmpy(bn):
    from pgmpy.factors.discrete import TabularCPD as PgCPD

    model = pgmpy_models.DiscreteBayesianNetwork(bn.edges)
    model.add_nodes_from(bn.nodes)
    for c in bn.cpds:
        model.add_cpds(PgCPD(c.variable, c.cardinality, c.values, evidence=list(c.parents) or None,
                             evidence_card=c.parent_cards or None, state_names=c.state_names))
    model.check_model()
    return model


def random_network(rng, n_nodes, p_edge=0.5, max_card=3):
    names = [f"X{i}" for i in range(n_nodes)]
    pairs = [(names[i], names[j]) for i in range(n_nodes) for j in range(i + 1, n_nodes)]
    edges = [pair for pair in pairs if rng.random_sample() < p_edge]
    bn = BayesianNetwork(edges, nodes=names)
    cards = {n: int(rng.randint(2, max_card + 1)) for n in names}
    for n in names:
        parents = bn.parents(n)
        cols = int(np.prod([cards[p] for p in parents]))
        values = rng.dirichlet(np.ones(cards[n]), size=cols).T
        bn.add_cpd(TabularCPD(n, values, parents, {v: [f"{v}s{k}" for k in range(cards[v])] for v in [n, *parents]}))
    return bn


def enumerate_joint(bn):
    """{full assignment tuple (network order): probability} by the chain rule, one product per row."""
    states = [bn.state_names(n) for n in bn.nodes]
    joint = {}
    for combo in itertools.product(*states):
        a = dict(zip(bn.nodes, combo))
        p = 1.0
        for n in bn.nodes:
            cpd = bn.get_cpd(n)
            p *= cpd.prob(a[n], {q: a[q] for q in cpd.parents})
        joint[combo] = p
    return joint


def enumerate_posterior(bn, joint, variables, evidence):
    idx = {n: i for i, n in enumerate(bn.nodes)}
    out = {}
    for combo, p in joint.items():
        if all(combo[idx[v]] == s for v, s in evidence.items()):
            key = tuple(combo[idx[v]] for v in variables)
            out[key] = out.get(key, 0.0) + p
    total = sum(out.values())
    return {k: v / total for k, v in out.items()}


def all_evidence(bn, variables, max_size=2):
    others = [n for n in bn.nodes if n not in variables]
    for size in range(max_size + 1):
        for names in itertools.combinations(others, size):
            for states in itertools.product(*[bn.state_names(n) for n in names]):
                yield dict(zip(names, states))


# ---- textbook figures (Koller & Friedman §3.2; Russell & Norvig §14.4) ------------------------


def test_student_textbook_posteriors():
    bn = BayesianNetwork.student()
    # K&F p. 55: P(i1) = 0.3, P(i1 | g3) ≈ 0.079, P(i1 | g3, s1) ≈ 0.578, P(l1) ≈ 0.502
    assert bn.query("Intelligence").get_value(Intelligence="i1") == pytest.approx(0.3, abs=1e-15)
    assert bn.query("Intelligence", {"Grade": "g3"}).get_value(Intelligence="i1") == pytest.approx(0.0789, abs=1e-4)
    assert bn.query("Intelligence", {"Grade": "g3", "SAT": "s1"}).get_value(Intelligence="i1") == pytest.approx(
        0.578, abs=1e-3)
    assert bn.query("Letter").get_value(Letter="l1") == pytest.approx(0.502, abs=1e-3)
    # hand computation: P(d1 | g3) = 0.4 (0.7*0.7 + 0.3*0.2) / sum_d P(d)(0.7*P(g3|i0,d) + 0.3*P(g3|i1,d))
    num = 0.4 * (0.7 * 0.7 + 0.3 * 0.2)
    den = num + 0.6 * (0.7 * 0.3 + 0.3 * 0.02)
    assert bn.query("Difficulty", {"Grade": "g3"}).get_value(Difficulty="d1") == pytest.approx(num / den, rel=1e-14)


def test_alarm_textbook_posterior():
    bn = BayesianNetwork.alarm()
    # Russell & Norvig: P(Burglary | JohnCalls, MaryCalls) = <0.284, 0.716>
    post = bn.query("Burglary", {"JohnCalls": "yes", "MaryCalls": "yes"})
    assert post.get_value(Burglary="yes") == pytest.approx(0.284, abs=1e-3)
    np.testing.assert_allclose(post.values.sum(), 1.0, rtol=1e-15)


# ---- variable elimination = enumeration --------------------------------------------------------


@given(st.integers(0, 2**31 - 1), st.integers(2, 6), st.sampled_from(["MinFill", "MinDegree", "MinWeight", "given"]))
def test_variable_elimination_equals_enumeration(seed, n_nodes, order):
    rng = np.random.RandomState(seed)
    bn = random_network(rng, n_nodes)
    joint = enumerate_joint(bn)
    n_query = int(rng.randint(1, min(3, n_nodes) + 1))
    variables = list(rng.choice(bn.nodes, n_query, replace=False))
    others = [n for n in bn.nodes if n not in variables]
    ev_names = [n for n in others if rng.random_sample() < 0.5]
    evidence = {n: bn.state_names(n)[rng.randint(len(bn.state_names(n)))] for n in ev_names}
    if order == "given":
        relevant = bn.ancestors(set(variables) | set(evidence))
        hidden = [n for n in bn.nodes if n in relevant and n not in evidence and n not in variables]
        order = list(rng.permutation(hidden)) if hidden else []
    ours = bn.query(variables, evidence, elimination_order=order)
    expected = enumerate_posterior(bn, joint, variables, evidence)
    for key, p in expected.items():
        assert ours.get_value(dict(zip(variables, key))) == pytest.approx(p, rel=1e-10, abs=1e-14)
    marginals = bn.query(variables, evidence, joint=False)
    for i, v in enumerate(variables):
        for s in bn.state_names(v):
            want = sum(p for k, p in expected.items() if k[i] == s)
            assert marginals[v].get_value({v: s}) == pytest.approx(want, rel=1e-10, abs=1e-14)


@given(st.integers(0, 2**31 - 1))
def test_log_probability_is_the_chain_rule_and_sums_to_one(seed):
    bn = random_network(np.random.RandomState(seed), 4)
    joint = enumerate_joint(bn)
    rows = np.array(list(joint), dtype=object)
    logp = bn.log_probability(rows, columns=bn.nodes)
    np.testing.assert_allclose(np.exp(logp), list(joint.values()), rtol=1e-12)
    assert np.exp(logp).sum() == pytest.approx(1.0, rel=1e-12)


def test_long_chain_does_not_underflow():
    # X0 -> X1 -> ... -> X1999, each copies its parent with probability 0.99:
    # P(X_n = X_0) = (1 + 0.98**n) / 2, and evidence on every other node has probability ~1e-300s.
    n = 2000
    names = [f"X{i}" for i in range(n)]
    bn = BayesianNetwork(list(zip(names, names[1:])))
    bn.add_cpd(TabularCPD(names[0], [0.5, 0.5]))
    for a, b in zip(names, names[1:]):
        bn.add_cpd(TabularCPD(b, [[0.99, 0.01], [0.01, 0.99]], [a]))
    p = bn.query(names[-1], {names[0]: 0}).get_value({names[-1]: 0})
    assert p == pytest.approx((1 + 0.98 ** (n - 1)) / 2, rel=1e-12)
    evidence = {v: i % 2 for i, v in enumerate(names[: n - 1])}  # flips all the way: P(e) = 0.5 * 0.01**1998
    post = bn.query(names[-1], evidence)  # X1998 = 0, so X1999 = 0 with probability 0.99
    assert np.isfinite(post.values).all() and post.get_value({names[-1]: 0}) == pytest.approx(0.99, rel=1e-12)
    assert np.isfinite(bn.log_probability({v: [i % 2] for i, v in enumerate(names)})).all()


# ---- pgmpy parity ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["student", "alarm"])
def test_posteriors_equal_pgmpy(name):
    from pgmpy.inference import VariableElimination

    bn = getattr(BayesianNetwork, name)()
    ve = VariableElimination(to_pgmpy(bn))
    worst = 0.0
    for v in bn.nodes:
        for evidence in all_evidence(bn, [v]):
            theirs = ve.query([v], evidence=evidence, show_progress=False)
            ours = bn.query([v], evidence)
            for s in bn.state_names(v):
                worst = max(worst, abs(ours.get_value({v: s}) - theirs.get_value(**{v: s})))
    pairs = list(itertools.combinations(bn.nodes, 2))
    for a, b in pairs:
        theirs = ve.query([a, b], show_progress=False)
        ours = bn.query([a, b])
        for sa, sb in itertools.product(bn.state_names(a), bn.state_names(b)):
            worst = max(worst, abs(ours.get_value({a: sa, b: sb}) - theirs.get_value(**{a: sa, b: sb})))
    assert worst <= 1e-10


@pytest.mark.parametrize("estimator,kwargs,pg", [
    ("mle", {}, ("DiscreteMLE", {})),
    ("bayes", {"prior": "BDeu", "equivalent_sample_size": 10},
     ("DiscreteBayesianEstimator", {"prior_type": "BDeu", "equivalent_sample_size": 10})),
    ("bayes", {"prior": "K2"}, ("DiscreteBayesianEstimator", {"prior_type": "K2"})),
    ("bayes", {"prior": "dirichlet", "pseudo_counts": 3.0},
     ("DiscreteBayesianEstimator", {"prior_type": "dirichlet", "pseudo_counts": 3.0})),
])
@pytest.mark.parametrize("name,n", [("student", 3000), ("alarm", 400)])
def test_fitted_cpds_and_posteriors_equal_pgmpy(estimator, kwargs, pg, name, n):
    import pandas as pd
    from pgmpy import parameter_estimator
    from pgmpy.inference import VariableElimination

    truth = getattr(BayesianNetwork, name)()
    data = truth.sample(n, random_state=7)
    # 400 alarm rows with both states declared: (Burglary, Earthquake) = (yes, yes) is never seen,
    # so Alarm has unseen parent configurations (uniform column under MLE, the prior under Bayes)
    states = {v: truth.state_names(v) for v in truth.nodes} if name == "alarm" else None
    if states:
        assert len(set(zip(data["Burglary"], data["Earthquake"]))) < 4
    ours = BayesianNetwork(truth.edges).fit(pd.DataFrame(data), estimator=estimator, state_names=states, **kwargs)
    model = pgmpy_models.DiscreteBayesianNetwork(truth.edges)
    model = model.fit(pd.DataFrame(data), estimator=getattr(parameter_estimator, pg[0])(state_names=states, **pg[1]))
    for node in truth.nodes:
        cpd, ref = ours.get_cpd(node), model.get_cpds(node)
        for combo in itertools.product(*[cpd.state_names[v] for v in [node, *cpd.parents]]):
            a = dict(zip([node, *cpd.parents], combo))
            assert cpd.prob(a[node], {p: a[p] for p in cpd.parents}) == pytest.approx(ref.get_value(**a), abs=1e-12)
    ve = VariableElimination(model)
    for v in truth.nodes:
        for evidence in itertools.islice(all_evidence(ours, [v], max_size=1), 6):
            theirs = ve.query([v], evidence=evidence, show_progress=False)
            mine = ours.query([v], evidence)
            for s in ours.state_names(v):
                assert mine.get_value({v: s}) == pytest.approx(theirs.get_value(**{v: s}), abs=1e-10)


def test_fit_accepts_dict_dataframe_and_array():
    import pandas as pd

    truth = BayesianNetwork.student()
    data = truth.sample(500, random_state=1)
    a = BayesianNetwork(truth.edges).fit(data)
    b = BayesianNetwork(truth.edges).fit(pd.DataFrame(data))
    arr = np.column_stack([data[n] for n in truth.nodes])
    c = BayesianNetwork(truth.edges).fit(arr, columns=truth.nodes)
    for n in truth.nodes:
        np.testing.assert_array_equal(a.get_cpd(n).values, b.get_cpd(n).values)
        np.testing.assert_array_equal(a.get_cpd(n).values, c.get_cpd(n).values)
    # explicit states: an unseen state gets its own (empty) row
    d = BayesianNetwork([("A", "B")]).fit({"A": [0, 0, 1], "B": [0, 1, 1]}, state_names={"B": [0, 1, 2]})
    np.testing.assert_allclose(d.get_cpd("B").values, [[0.5, 0.0], [0.5, 1.0], [0.0, 0.0]])


@pytest.mark.parametrize("name", ["student", "alarm"])
def test_markov_blanket_and_d_separation_equal_pgmpy(name):
    bn = getattr(BayesianNetwork, name)()
    model = to_pgmpy(bn)
    for n in bn.nodes:
        assert set(bn.markov_blanket(n)) == set(model.get_markov_blanket(n))
    for x, y in itertools.permutations(bn.nodes, 2):
        rest = [n for n in bn.nodes if n not in (x, y)]
        for k in range(len(rest) + 1):
            for z in itertools.combinations(rest, k):
                assert bn.is_d_separated(x, y, z) == (not model.is_dconnected(x, y, observed=list(z)))
        assert bn.active_trail_nodes(x) == set(model.active_trail_nodes(x)[x])


def test_d_separation_matches_independence_in_the_joint():
    # d-separated => independent in every parametrisation; d-connected => dependent for generic
    # (random Dirichlet) CPDs: checked on the enumerated joint of 12 random 5-node networks.
    for seed in range(12):
        rng = np.random.RandomState(seed)
        bn = random_network(rng, 5, p_edge=0.4, max_card=2)
        model = to_pgmpy(bn)
        joint = enumerate_joint(bn)
        for n in bn.nodes:
            assert set(bn.markov_blanket(n)) == set(model.get_markov_blanket(n))
        for x, y in itertools.combinations(bn.nodes, 2):
            rest = [n for n in bn.nodes if n not in (x, y)]
            for z in [(), *[(r,) for r in rest], tuple(rest[:2])]:
                sep = bn.is_d_separated(x, y, z)
                assert sep == (not model.is_dconnected(x, y, observed=list(z)))
                assert sep == _independent(bn, joint, x, y, z), (seed, x, y, z)


def _independent(bn, joint, x, y, z):
    gap = 0.0
    for zs in itertools.product(*[bn.state_names(v) for v in z]):
        ev = dict(zip(z, zs))
        pxy = enumerate_posterior(bn, joint, [x, y], ev)
        px = enumerate_posterior(bn, joint, [x], ev)
        py = enumerate_posterior(bn, joint, [y], ev)
        gap = max(gap, max(abs(p - px[(a,)] * py[(b,)]) for (a, b), p in pxy.items()))
    return gap < 1e-12


def test_markov_blanket_shields_the_node():
    bn = BayesianNetwork.student()
    assert bn.markov_blanket("Intelligence") == ["Difficulty", "Grade", "SAT"]
    assert bn.markov_blanket("Difficulty") == ["Grade", "Intelligence"]  # network order
    # given its blanket, Grade is independent of SAT: P(G | MB) = P(G | MB, SAT)
    mb = {"Difficulty": "d1", "Intelligence": "i0", "Letter": "l1"}
    a = bn.query("Grade", mb).values
    b = bn.query("Grade", {**mb, "SAT": "s1"}).values
    np.testing.assert_allclose(a, b, rtol=1e-14)


# ---- sampling ----------------------------------------------------------------------------------


def test_sample_frequencies_converge_to_the_marginals():
    bn = BayesianNetwork.student()
    n = 40_000
    data = bn.sample(n, random_state=0)
    for v in bn.nodes:
        p = bn.query(v).values
        freq = np.array([(data[v] == s).mean() for s in bn.state_names(v)])
        assert np.all(np.abs(freq - p) <= 4 * np.sqrt(p * (1 - p) / n) + 1e-12), (v, freq, p)
    cond = bn.sample(5000, random_state=1, evidence={"Grade": "g3"})
    assert set(cond["Grade"]) == {"g3"} and len(cond["Intelligence"]) == 5000
    p = bn.query("Intelligence", {"Grade": "g3"}).get_value(Intelligence="i1")
    assert abs((cond["Intelligence"] == "i1").mean() - p) <= 4 * np.sqrt(p * (1 - p) / 5000)
    np.testing.assert_array_equal(bn.sample(100, random_state=3)["Letter"], bn.sample(100, random_state=3)["Letter"])
    assert bn.sample(0, evidence={"Grade": "g1"})["Letter"].shape == (0,)


# ---- errors ------------------------------------------------------------------------------------


def test_errors():
    with pytest.raises(ValueError, match=r"makes the cycle C -> A -> B -> C; a Bayesian network must be a DAG"):
        BayesianNetwork([("A", "B"), ("B", "C"), ("C", "A")])
    with pytest.raises(ValueError, match="self-loop"):
        BayesianNetwork([("A", "A")])
    with pytest.raises(TypeError, match="edges: expected"):
        BayesianNetwork(["AB"])
    msg = r"CPD of 'S': expected each column to sum to 1, got 1.05 in column 1 given \{'I': 1\}"
    with pytest.raises(ValueError, match=msg):
        TabularCPD("S", [[0.95, 0.25], [0.05, 0.8]], parents=["I"])
    with pytest.raises(ValueError, match="expected probabilities >= 0"):
        TabularCPD("S", [1.5, -0.5])
    with pytest.raises(ValueError, match=r"values: expected shape \(2, 4\)"):
        TabularCPD("G", [[0.5, 0.5], [0.5, 0.5]], parents=["A", "B"], parent_cards=[2, 2])
    with pytest.raises(ValueError, match="state_names\\['S'\\]: expected 2 states, got 3"):
        TabularCPD("S", [0.5, 0.5], state_names={"S": ["a", "b", "c"]})
    bn = BayesianNetwork.student()
    with pytest.raises(ValueError, match="CPD of 'Grade': expected parents"):
        bn.add_cpd(TabularCPD("Grade", [1.0 / 3] * 3))
    with pytest.raises(ValueError, match=r"evidence: unknown variable 'Mood'; expected one of"):
        bn.query("Grade", {"Mood": "good"})
    msg = r"evidence: unknown state 'g4' of variable 'Grade'; expected one of \['g1', 'g2', 'g3'\]"
    with pytest.raises(ValueError, match=msg):
        bn.query("Intelligence", {"Grade": "g4"})
    with pytest.raises(ValueError, match="variables: unknown variable 'Mood'"):
        bn.query("Mood")
    with pytest.raises(ValueError, match=r"variables: \['Grade'\] are also in evidence"):
        bn.query("Grade", {"Grade": "g1"})
    with pytest.raises(ValueError, match="elimination_order: expected one of 'MinFill', 'MinDegree', 'MinNeighbors'"):
        bn.query("Grade", elimination_order="Random")
    with pytest.raises(ValueError, match="elimination_order: expected an order of the variables to sum out"):
        bn.query("Letter", elimination_order=["Grade"])
    with pytest.raises(ValueError, match="x, z: expected disjoint sets"):
        bn.is_d_separated("Grade", "SAT", ["Grade"])
    with pytest.raises(ValueError, match="node: unknown variable 'Mood'"):
        bn.markov_blanket("Mood")
    with pytest.raises(ValueError, match="node: no CPD for 'A' yet"):
        BayesianNetwork([("A", "B")]).query("A")
    bad_states = BayesianNetwork.student()
    bad_states.add_cpd(TabularCPD("SAT", [[0.95, 0.2], [0.05, 0.8]], ["Intelligence"],
                                  {"Intelligence": ["low", "high"]}))
    with pytest.raises(ValueError, match=r"CPD of 'SAT': states of parent 'Intelligence' are \['low', 'high'\]"):
        bad_states.query("SAT")
    det = BayesianNetwork([("A", "B")])
    det.add_cpd(TabularCPD("A", [1.0, 0.0]), TabularCPD("B", [[1.0, 0.5], [0.0, 0.5]], ["A"]))
    with pytest.raises(ValueError, match=r"evidence: \{'B': 1\} has probability 0 under the model"):
        det.query("A", {"B": 1})
    with pytest.raises(ValueError, match="too improbable"):
        det.sample(5, evidence={"B": 1}, max_rounds=3)


def test_fit_errors():
    bn = BayesianNetwork([("A", "B")])
    with pytest.raises(ValueError, match=r"data: no column for variable\(s\) \['B'\]"):
        bn.fit({"A": [0, 1]})
    # fit accepts missing values since issue 16 (pgmpy's per-table rule; tests in test_bayesnet_pgmpy_contract.py);
    # a column with no observed value at all has no states to learn
    with pytest.raises(ValueError, match="data: column 'A' has no observed value"):
        bn.fit({"A": [np.nan, np.nan], "B": [0, 1]})
    with pytest.raises(ValueError, match="columns: expected 2 column names"):
        bn.fit(np.zeros((3, 2)))
    with pytest.raises(ValueError, match="data: expected columns of equal length"):
        bn.fit({"A": [0, 1], "B": [0]})
    with pytest.raises(ValueError, match="estimator: expected one of 'mle', 'bayes', got 'em'"):
        bn.fit({"A": [0, 1], "B": [0, 1]}, estimator="em")
    with pytest.raises(ValueError, match="prior: expected one of 'BDeu', 'dirichlet', 'K2'"):
        bn.fit({"A": [0, 1], "B": [0, 1]}, estimator="bayes", prior="uniform")
    with pytest.raises(ValueError, match="pseudo_counts: expected a number or a dict"):
        bn.fit({"A": [0, 1], "B": [0, 1]}, estimator="bayes", prior="dirichlet")
    with pytest.raises(ValueError, match=r"pseudo_counts\['B'\]: expected shape \(2, 2\), got \(3,\)"):
        bn.fit({"A": [0, 1], "B": [0, 1]}, estimator="bayes", prior="dirichlet", pseudo_counts={"B": [1, 1, 1]})
    with pytest.raises(ValueError, match="state_names: column 'A' has value"):
        bn.fit({"A": [0, 5], "B": [0, 1]}, state_names={"A": [0, 1]})
    fitted = bn.fit({"A": [0, 1], "B": [0, 1]})
    with pytest.raises(ValueError, match="data: column 'B' has value"):
        fitted.log_probability({"A": [0], "B": [7]})
    with pytest.raises(ValueError, match="data: column 'A' has missing values"):
        fitted.log_probability({"A": [0.0, np.nan], "B": [0, 1]})


def test_factor_and_cpd_accessors():
    bn = BayesianNetwork.student()
    f = bn.query(["Grade", "Letter"])
    assert isinstance(f, Factor) and f.values.shape == (3, 2)
    d = f.to_dict()
    assert d[("g1", "l1")] == f.get_value(Grade="g1", Letter="l1") and sum(d.values()) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="assignment: expected states of"):
        f.get_value(Grade="g1")
    assert bn.get_cpd("Grade").prob("g3", {"Intelligence": "i0", "Difficulty": "d1"}) == 0.7
    assert bn.topological_order()[:2] == ["Difficulty", "Intelligence"]
    assert "Grade" in repr(bn) and "TabularCPD(P(Grade | Intelligence, Difficulty)" in repr(bn.get_cpd("Grade"))
