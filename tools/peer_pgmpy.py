"""pgmpy's names over mlcanon's BayesianNetwork, so that pgmpy's own tests can run against ours
(tools/peer_tests.py switches ``DiscreteBayesianNetwork``, ``DAG`` and ``VariableElimination`` to these).

This layer renames and converts; it computes nothing. Each method calls the one mlcanon method that
does the work and converts the arguments and the answer between the two libraries' types: pgmpy's
``TabularCPD`` <-> mlcanon's (same table, same column order), mlcanon's ``Factor`` -> pgmpy's
``DiscreteFactor``, pgmpy's estimator objects -> the arguments of ``BayesianNetwork.fit``.

    pgmpy                                         mlcanon
    DiscreteBayesianNetwork(edges) / DAG(edges)   BayesianNetwork(edges)
    nodes(), edges()                              .nodes, .edges
    predecessors / get_parents, get_children      parents, children
    get_ancestors(nodes)                          ancestors(nodes)
    get_markov_blanket(node)                      markov_blanket(node)
    is_dconnected(x, y, observed)                 not is_d_separated(x, y, observed)
    active_trail_nodes(vars, observed)            {v: active_trail_nodes(v, observed)}
    add_cpds / get_cpds / check_model             add_cpd / get_cpd, cpds / check_model
    get_cardinality, states                       state_names(node)
    fit(data, estimator=DiscreteMLE(...))         fit(data, estimator="mle" | "bayes", ...)
    VariableElimination(model).query(...)         query(variables, evidence, joint, elimination_order)

What pgmpy has and this layer does not map (latent variables, adjacency-matrix constructors,
networkx's graph API, MAP queries, sampling, ...) raises AttributeError or TypeError, and the tests
that need it are not selected (see peer_tests.py).
"""

from __future__ import annotations

import numpy as np
from pgmpy.factors.discrete import DiscreteFactor
from pgmpy.factors.discrete import TabularCPD as PgmpyCPD

from mlcanon.classic.bayesnet import BayesianNetwork, TabularCPD


def to_ours(cpd: PgmpyCPD) -> TabularCPD:
    values = np.asarray(cpd.get_values(), dtype=np.float64)  # (card, prod(parent cards))
    parents = list(cpd.variables[1:])
    return TabularCPD(cpd.variable, values, parents, state_names=dict(cpd.state_names),
                      parent_cards=[int(c) for c in cpd.cardinality[1:]])


def to_pgmpy(cpd: TabularCPD) -> PgmpyCPD:
    parents = list(cpd.parents)
    return PgmpyCPD(cpd.variable, cpd.cardinality, cpd.values, evidence=parents or None,
                    evidence_card=cpd.parent_cards or None,
                    state_names={v: list(s) for v, s in cpd.state_names.items()})


def factor_to_pgmpy(factor) -> DiscreteFactor:
    return DiscreteFactor(factor.variables, list(factor.values.shape), factor.values,
                          state_names={v: list(factor.state_names[v]) for v in factor.variables})


class DiscreteBayesianNetwork:
    """pgmpy's ``DiscreteBayesianNetwork`` interface over ``mlcanon.classic.BayesianNetwork``."""

    def __init__(self, ebunch=None, latents=None):
        self._latents = set()
        self.bn = BayesianNetwork()
        if ebunch is not None:
            self.add_edges_from(ebunch)
        # mlcanon has no latent variables: a network built with some refuses every later call
        # (see __getattribute__), so that only the tests which use it fail
        self._latents = set(latents or ())

    def __getattribute__(self, name):
        if not name.startswith("_") and object.__getattribute__(self, "_latents"):
            raise NotImplementedError("latents: mlcanon's BayesianNetwork has no latent variables")
        return object.__getattribute__(self, name)

    # ---- graph ----
    def nodes(self):
        return self.bn.nodes

    def edges(self):
        return self.bn.edges

    def add_node(self, node):
        self.bn.add_node(node)

    def add_nodes_from(self, nodes):
        for n in nodes:
            self.bn.add_node(n)

    def add_edge(self, u, v):
        self.bn.add_edge(u, v)

    def add_edges_from(self, ebunch):
        for u, v in ebunch:
            self.bn.add_edge(u, v)

    def predecessors(self, node):
        return iter(self.bn.parents(node))

    def successors(self, node):
        return iter(self.bn.children(node))

    def get_parents(self, node):
        return self.bn.parents(node)

    def get_children(self, node):
        return self.bn.children(node)

    def get_ancestors(self, nodes):
        nodes = [nodes] if isinstance(nodes, str) else list(nodes)
        return self.bn.ancestors(nodes)

    def get_markov_blanket(self, node):
        return self.bn.markov_blanket(node)

    def is_dconnected(self, start, end, observed=None):
        return not self.bn.is_d_separated(start, end, _as_list(observed))

    def active_trail_nodes(self, variables, observed=None):
        variables = [variables] if isinstance(variables, str) else list(variables)
        observed = _as_list(observed)
        return {v: self.bn.active_trail_nodes(v, observed) for v in variables}

    # ---- parameters ----
    def add_cpds(self, *cpds):
        self.bn.add_cpd(*[to_ours(c) for c in cpds])

    def get_cpds(self, node=None):
        if node is None:
            return [to_pgmpy(c) for c in self.bn.cpds]
        return to_pgmpy(self.bn.get_cpd(node))

    def check_model(self):
        self.bn.check_model()
        return True

    def get_cardinality(self, node=None):
        if node is not None:
            return len(self.bn.state_names(node))
        return {n: len(self.bn.state_names(n)) for n in self.bn.nodes}

    @property
    def states(self):
        return {n: self.bn.state_names(n) for n in self.bn.nodes}

    def fit(self, data, estimator=None):
        kwargs = _fit_arguments(self, estimator)
        self.bn.fit(data, **kwargs)
        return self


DAG = DiscreteBayesianNetwork


def _as_list(observed):
    if observed is None:
        return []
    return [observed] if isinstance(observed, str) else list(observed)


def _fit_arguments(model: DiscreteBayesianNetwork, estimator) -> dict:
    """pgmpy's estimator object -> keyword arguments of BayesianNetwork.fit."""
    from pgmpy.parameter_estimator import DiscreteBayesianEstimator, DiscreteMLE

    if estimator is None:
        return {"estimator": "mle"}
    if type(estimator) is DiscreteMLE:
        return {"estimator": "mle", "state_names": estimator.state_names}
    if type(estimator) is DiscreteBayesianEstimator:
        pseudo = estimator.pseudo_counts
        if isinstance(pseudo, dict):  # pgmpy's columns enumerate sorted parents; ours the network's
            pseudo = {n: _reorder_columns(model.bn, n, np.asarray(a, dtype=np.float64)) for n, a in pseudo.items()}
        return {"estimator": "bayes", "prior": {"bdeu": "BDeu", "k2": "K2"}.get(estimator.prior_type.lower(),
                                                                              estimator.prior_type),
                "pseudo_counts": pseudo, "equivalent_sample_size": estimator.equivalent_sample_size,
                "state_names": estimator.state_names}
    raise TypeError(f"estimator: mlcanon's BayesianNetwork.fit maps DiscreteMLE and DiscreteBayesianEstimator, "
                    f"got {type(estimator).__name__}")


def _reorder_columns(bn: BayesianNetwork, node, counts: np.ndarray) -> np.ndarray:
    parents = bn.parents(node)
    if len(parents) < 2 or counts.ndim != 2:
        return counts
    ordered = sorted(parents)
    try:
        cards = [len(bn.state_names(p)) for p in ordered]
    except ValueError:
        return counts  # parents' states not known before fitting; keep pgmpy's order
    table = counts.reshape(counts.shape[0], *cards)
    perm = [0] + [1 + ordered.index(p) for p in parents]
    return table.transpose(perm).reshape(counts.shape[0], -1)


class VariableElimination:
    """pgmpy's ``VariableElimination(model).query`` over ``BayesianNetwork.query``."""

    def __init__(self, model: DiscreteBayesianNetwork):
        if not isinstance(model, DiscreteBayesianNetwork):
            raise TypeError(f"model: expected mlcanon's network (through this layer), got {type(model).__name__}")
        self.model = model

    def query(self, variables, evidence=None, virtual_evidence=None, elimination_order="greedy", joint=True,
              show_progress=True):
        if virtual_evidence is not None:
            raise TypeError("virtual_evidence: mlcanon's query has no virtual evidence")
        result = self.model.bn.query(list(variables), evidence, joint=joint, elimination_order=elimination_order)
        if joint:
            return factor_to_pgmpy(result)
        return {v: factor_to_pgmpy(f) for v, f in result.items()}
