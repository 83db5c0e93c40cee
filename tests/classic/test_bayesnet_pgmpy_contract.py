"""BayesianNetwork beside pgmpy 1.1.2 where issue 16 found them apart: the WeightedMinFill order,
explicit elimination orders that name pruned variables, fit on data with missing values (pgmpy's
per-table rule), and a ValueError naming an unknown node. Expectations are pgmpy's own answers."""

import itertools
import logging

import numpy as np
import pytest

from mlcanon.classic.bayesnet import BayesianNetwork, TabularCPD, _elimination_order

pgmpy_models = pytest.importorskip("pgmpy.models")
pd = pytest.importorskip("pandas")
logging.getLogger("pgmpy").setLevel(logging.ERROR)


def _pgmpy_ve_network():
    """pgmpy's own test network (tests/test_inference/test_ExactInference.py), in both libraries."""
    from pgmpy.factors.discrete import TabularCPD as PgCPD

    edges = [("A", "J"), ("R", "J"), ("J", "Q"), ("J", "L"), ("G", "L")]
    tables = {"A": ([[0.2], [0.8]], []), "R": ([[0.4], [0.6]], []), "G": ([[0.6], [0.4]], []),
              "J": ([[0.9, 0.6, 0.7, 0.1], [0.1, 0.4, 0.3, 0.9]], ["A", "R"]),
              "Q": ([[0.9, 0.2], [0.1, 0.8]], ["J"]),
              "L": ([[0.9, 0.45, 0.8, 0.1], [0.1, 0.55, 0.2, 0.9]], ["J", "G"])}
    ours, theirs = BayesianNetwork(edges), pgmpy_models.DiscreteBayesianNetwork(edges)
    for v, (values, parents) in tables.items():
        ours.add_cpd(TabularCPD(v, values, parents, parent_cards=[2] * len(parents)))
        theirs.add_cpds(PgCPD(v, 2, values, evidence=parents or None, evidence_card=[2] * len(parents) or None))
    return ours, theirs


def _same_factor(ours, theirs, variables):
    for combo in itertools.product(*[ours.state_names[v] for v in variables]):
        a = dict(zip(variables, combo))
        assert ours.get_value(a) == pytest.approx(theirs.get_value(**a), abs=1e-12)


# ---- elimination orders --------------------------------------------------------------------------


@pytest.mark.parametrize("order", ["WeightedMinFill", "MinFill", "MinNeighbors", "MinWeight", "greedy"])
@pytest.mark.parametrize("variables, evidence", [(["J"], {}), (["J", "Q"], {}), (["J"], {"A": 0, "R": 1}),
                                                 (["J", "Q"], {"A": 0, "R": 0, "G": 0, "L": 1})])
def test_heuristic_orders_give_pgmpys_posteriors(order, variables, evidence):
    from pgmpy.inference import VariableElimination

    ours, theirs = _pgmpy_ve_network()
    mine = ours.query(variables, evidence, elimination_order=order)
    ref = VariableElimination(theirs).query(variables, evidence, elimination_order=order, show_progress=False)
    _same_factor(mine, ref, variables)


def test_weighted_min_fill_on_the_student_network_equals_pgmpy():
    from pgmpy.factors.discrete import TabularCPD as PgCPD
    from pgmpy.inference import VariableElimination

    bn = BayesianNetwork.student()
    model = pgmpy_models.DiscreteBayesianNetwork(bn.edges)
    for c in bn.cpds:
        model.add_cpds(PgCPD(c.variable, c.cardinality, c.values, evidence=list(c.parents) or None,
                             evidence_card=c.parent_cards or None, state_names=c.state_names))
    ve = VariableElimination(model)
    for v in bn.nodes:
        mine = bn.query([v], {"Letter": "l1"} if v != "Letter" else {}, elimination_order="WeightedMinFill")
        ref = ve.query([v], {"Letter": "l1"} if v != "Letter" else {}, elimination_order="WeightedMinFill",
                       show_progress=False)
        _same_factor(mine, ref, [v])


def test_weighted_min_fill_weighs_fill_edges_by_cardinality():
    # Eliminating X joins {A, B} (1 fill edge, 10 * 10 = 100); eliminating Y joins {C, D} (2 * 2 = 4).
    # MinFill sees a tie (1 edge each; network order picks X), WeightedMinFill eliminates Y first.
    cards = {"X": 2, "Y": 2, "A": 10, "B": 10, "C": 2, "D": 2}
    factors = [(["X", "A"], np.ones((2, 10))), (["X", "B"], np.ones((2, 10))),
               (["Y", "C"], np.ones((2, 2))), (["Y", "D"], np.ones((2, 2)))]
    bn = BayesianNetwork(nodes=cards)
    assert _elimination_order(["X", "Y"], factors, "MinFill", bn, [])[0] == "X"
    assert _elimination_order(["X", "Y"], factors, "WeightedMinFill", bn, [])[0] == "Y"


def test_explicit_order_may_name_pruned_variables_as_pgmpy():
    from pgmpy.inference import VariableElimination

    ours, theirs = _pgmpy_ve_network()
    ve = VariableElimination(theirs)
    # Q, L and G are barren for a query on J: pruned, and skipped in the order (pgmpy's own test)
    order = ["A", "R", "L", "Q", "G"]
    _same_factor(ours.query(["J"], elimination_order=order), ve.query(["J"], elimination_order=order,
                                                                      show_progress=False), ["J"])
    # an order that misses a variable to sum out, or names a queried one: ValueError in both
    for bad in (["A"], ["A", "R", "J"]):
        with pytest.raises(ValueError):
            ve.query(["J"], elimination_order=bad, show_progress=False)
        with pytest.raises(ValueError, match="elimination_order: "):
            ours.query(["J"], elimination_order=bad)
    with pytest.raises(ValueError, match=r"elimination_order: unknown variable 'Z'"):
        ours.query(["J"], elimination_order=["A", "R", "Z"])


# ---- fit with missing values ---------------------------------------------------------------------


def _same_cpds(ours, theirs_model):
    for node in ours.nodes:
        cpd, ref = ours.get_cpd(node), theirs_model.get_cpds(node)
        ours_states = {v: list(s) for v, s in cpd.state_names.items()}
        assert ours_states == {v: list(ref.state_names[v]) for v in cpd.state_names}
        for combo in itertools.product(*[cpd.state_names[v] for v in [node, *cpd.parents]]):
            a = dict(zip([node, *cpd.parents], combo))
            assert cpd.prob(a[node], {p: a[p] for p in cpd.parents}) == pytest.approx(ref.get_value(**a), abs=1e-12)


def test_fit_with_missing_values_is_pgmpys_per_table_rule():
    from pgmpy.parameter_estimator import DiscreteMLE

    # pgmpy's test_fit_missing_data: A's table uses rows 0 and 2, C's only row 0
    data = pd.DataFrame({"A": [0, np.nan, 1], "B": [0, 1, 0], "C": [1, 1, np.nan], "D": [np.nan, "Y", np.nan]})
    ours = BayesianNetwork([("A", "C"), ("B", "C")]).fit(data, state_names={"C": [0, 1]})
    theirs = pgmpy_models.DiscreteBayesianNetwork([("A", "C"), ("B", "C")])
    theirs.fit(data, estimator=DiscreteMLE(state_names={"C": [0, 1]}))
    _same_cpds(ours, theirs)
    np.testing.assert_allclose(ours.get_cpd("A").values, [[0.5], [0.5]])
    np.testing.assert_allclose(ours.get_cpd("C").values, [[0, 0.5, 0.5, 0.5], [1, 0.5, 0.5, 0.5]])


@pytest.mark.parametrize("estimator, kwargs, pg", [
    ("mle", {}, ("DiscreteMLE", {})),
    ("bayes", {"prior": "BDeu", "equivalent_sample_size": 10},
     ("DiscreteBayesianEstimator", {"prior_type": "BDeu", "equivalent_sample_size": 10})),
    ("bayes", {"prior": "K2"}, ("DiscreteBayesianEstimator", {"prior_type": "K2"})),
])
def test_fit_on_student_samples_with_holes_equals_pgmpy(estimator, kwargs, pg):
    from pgmpy import parameter_estimator

    truth = BayesianNetwork.student()
    data = pd.DataFrame(truth.sample(2000, random_state=3)).astype(object)
    holes = np.random.RandomState(4).random_sample(data.shape) < 0.15  # 15% of cells missing at random
    data = data.mask(holes, np.nan)
    assert data.isna().any(axis=1).mean() > 0.4  # most rows lose something: the rule matters
    ours = BayesianNetwork(truth.edges).fit(data, estimator=estimator, **kwargs)
    theirs = pgmpy_models.DiscreteBayesianNetwork(truth.edges)
    theirs.fit(data, estimator=getattr(parameter_estimator, pg[0])(**pg[1]))
    _same_cpds(ours, theirs)


# ---- unknown nodes -----------------------------------------------------------------------------------


def test_unknown_node_in_ancestors_is_a_value_error_naming_it():
    bn = BayesianNetwork([("d", "g"), ("g", "l"), ("i", "g"), ("i", "l")])
    theirs = pgmpy_models.DiscreteBayesianNetwork(bn.edges)
    with pytest.raises(ValueError):
        theirs.get_ancestors("h")
    with pytest.raises(ValueError, match=r"nodes: unknown variable 'h'; expected one of"):
        bn.ancestors("h")
    with pytest.raises(ValueError, match=r"nodes: unknown variable 'h'"):
        bn.ancestors(["g", "h"])
    assert bn.ancestors("g") == theirs.get_ancestors("g") == {"d", "i", "g"}
    assert bn.ancestors(["i", "l"]) == theirs.get_ancestors(["i", "l"]) == {"g", "i", "l", "d"}


def test_unknown_state_is_pgmpys_key_error_and_a_value_error():
    from pgmpy.inference import VariableElimination

    from mlcanon.classic.bayesnet import UnknownStateError

    ours, theirs = _pgmpy_ve_network()
    with pytest.raises(KeyError):
        VariableElimination(theirs).query(["J"], evidence={"A": -1}, show_progress=False)
    with pytest.raises(KeyError, match=r"evidence: unknown state -1 of variable 'A'; expected one of \[0, 1\]"):
        ours.query(["J"], evidence={"A": -1})
    assert issubclass(UnknownStateError, ValueError)
    assert str(UnknownStateError("plain")) == "plain"  # not KeyError's quoted form
