"""Discrete Bayesian networks: CPD tables, parameters from data, exact inference by variable
elimination, Markov blankets, d-separation and ancestral sampling.

Reference: D. Koller & N. Friedman, "Probabilistic Graphical Models", MIT Press 2009 — ch. 3
(d-separation; the "reachable" algorithm, Alg. 3.1), ch. 9 (variable elimination, Alg. 9.1, and
the min-fill / min-degree elimination orders, §9.4.3), ch. 17 (maximum likelihood and Bayesian
(Dirichlet, BDeu) parameter estimation); J. Pearl, "Probabilistic Reasoning in Intelligent
Systems", 1988 (the burglary-alarm network). Reference implementation whose numbers this
matches: pgmpy 1.1 (``DiscreteBayesianNetwork``, ``VariableElimination``,
``MaximumLikelihoodEstimator``, ``BayesianEstimator``).

    P(X_1..X_n) = prod_i P(X_i | Pa(X_i))                          (the chain rule of the DAG)
    P(Q | E = e) ∝ sum_{other vars} prod_i P(X_i | Pa(X_i)) [E = e]
    variable elimination: for Z in the order, replace the factors that mention Z by
        tau(.) = sum_z prod_{phi mentions Z} phi(., z)
    MLE:   P(x | u) = N(x, u) / N(u)           (an unseen parent configuration u gets a uniform column, as pgmpy)
    Bayes: P(x | u) = (N(x, u) + a(x, u)) / (N(u) + sum_x a(x, u)),
           BDeu: a = ess / (card(X) * prod card(Pa(X)));  K2: a = 1;  dirichlet: a given.

    missing values (NaN / None) in ``fit``: each table counts the rows where its variable and its
           parents are all observed (pgmpy's per-table rule; a row is not dropped from every table).

Factors are rescaled by their maximum after each elimination step, so that a long chain of small
probabilities never underflows; the answer is normalised at the end.

Where this differs from pgmpy on purpose: a CPD must be normalised when it is made — every column
sums to 1 within 1e-8 — while pgmpy accepts any table in ``TabularCPD`` and ``add_cpds`` and only
``check_model`` refuses one whose columns miss 1 by more than 0.01 (``is_valid_cpd``, atol=0.01).
An unknown variable anywhere is a ``ValueError`` naming it.
"""

from __future__ import annotations

import heapq
import itertools
import numbers
from collections.abc import Hashable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from mlcanon.classic._base import check_random_state
from mlcanon.validation import check_array, check_int, check_option, check_scalar

__all__ = ["TabularCPD", "Factor", "BayesianNetwork", "UnknownStateError"]


class UnknownStateError(ValueError, KeyError):
    """A state that its variable does not have: a ValueError (mlcanon's rule for bad input) and a
    KeyError, which pgmpy raises for it (``VariableElimination.query(evidence={"A": -1})``)."""

    __str__ = ValueError.__str__  # KeyError's would quote the message


# ---------------------------------------------------------------------------------------------
# tables
# ---------------------------------------------------------------------------------------------


class TabularCPD:
    """A conditional probability table P(variable | parents).

    Parameters
    ----------
    variable : hashable
        The child variable's name.
    values : array-like of shape (card, prod(parent cards))
        Column j holds P(variable | parents in configuration j); configurations enumerate the
        parents' states in C order (the last parent changes fastest), as pgmpy's ``TabularCPD``.
        A 1-D array is a root's distribution.
    parents : sequence of hashable, default=()
        The parents, in the order that the columns enumerate them.
    state_names : dict of variable -> list of states, optional
        States of the variable and of each parent; missing ones are ``0 .. card - 1``.
    parent_cards : sequence of int, optional
        Parents' cardinalities where ``state_names`` does not give them.

    Notes
    -----
    Stricter than pgmpy's ``TabularCPD``: ``values`` is checked here, when the table is made (each
    column a distribution, within 1e-8), and a ``ValueError`` names the column; pgmpy accepts any
    values until ``check_model``, which allows columns that sum to 1 within 0.01.

    Examples
    --------
    >>> cpd = TabularCPD("S", [[0.95, 0.2], [0.05, 0.8]], parents=["I"],
    ...                  state_names={"S": ["s0", "s1"], "I": ["i0", "i1"]})
    >>> cpd.prob("s1", {"I": "i1"})
    0.8
    """

    def __init__(self, variable: Hashable, values: Any, parents: Sequence[Hashable] = (),
                 state_names: Mapping[Hashable, Sequence[Any]] | None = None,
                 parent_cards: Sequence[int] | None = None):
        self.variable = variable
        self.parents = tuple(parents)
        if len(set(self.parents)) != len(self.parents) or variable in self.parents:
            raise ValueError(f"parents: expected distinct parents other than {variable!r}, got {list(self.parents)}")
        values = check_array(values, "values", ndim=(1, 2), dtype=np.float64)
        if values.ndim == 1:
            values = values[:, None]
        state_names = dict(state_names or {})
        card = values.shape[0]
        cards = self._parent_cards(state_names, parent_cards, values.shape[1])
        if int(np.prod(cards, dtype=np.int64)) != values.shape[1]:
            raise ValueError(
                f"values: expected shape ({card}, {int(np.prod(cards))}) for parents {list(self.parents)} with "
                f"cardinalities {cards}, got {values.shape}"
            )
        self.values = values
        self.state_names = {variable: _states(state_names, variable, card)}
        for p, c in zip(self.parents, cards):
            self.state_names[p] = _states(state_names, p, c)
        self.check()

    def _parent_cards(self, state_names, parent_cards, n_cols) -> list[int]:
        if parent_cards is not None:
            cards = [check_int(c, "parent_cards", minimum=1) for c in parent_cards]
            if len(cards) != len(self.parents):
                raise ValueError(f"parent_cards: expected {len(self.parents)} cardinalities, got {len(cards)}")
            return cards
        missing = [p for p in self.parents if p not in state_names]
        if len(missing) > 1:
            raise ValueError(f"state_names/parent_cards: the cardinalities of parents {missing} are unknown")
        known = int(np.prod([len(state_names[p]) for p in self.parents if p in state_names], dtype=np.int64))
        return [len(state_names[p]) if p in state_names else max(n_cols // known, 1) for p in self.parents]

    @property
    def cardinality(self) -> int:
        return self.values.shape[0]

    @property
    def parent_cards(self) -> list[int]:
        return [len(self.state_names[p]) for p in self.parents]

    def check(self, atol: float = 1e-8) -> None:
        """Raise ``ValueError`` unless every column is a probability distribution."""
        if (self.values < 0).any():
            raise ValueError(f"CPD of {self.variable!r}: expected probabilities >= 0, got {self.values.min():.6g}")
        sums = self.values.sum(axis=0)
        bad = np.flatnonzero(np.abs(sums - 1.0) > atol)
        if bad.size:
            j = int(bad[0])
            config = dict(zip(self.parents, self._configuration(j)))
            where = f" given {config}" if config else ""
            raise ValueError(
                f"CPD of {self.variable!r}: expected each column to sum to 1, got {sums[j]:.10g} in column {j}{where}"
            )

    def _configuration(self, column: int) -> list[Any]:
        idx = np.unravel_index(column, self.parent_cards) if self.parents else ()
        return [self.state_names[p][i] for p, i in zip(self.parents, idx)]

    def prob(self, state: Any, parent_states: Mapping[Hashable, Any] | None = None) -> float:
        """P(variable = state | parents = parent_states)."""
        parent_states = dict(parent_states or {})
        if set(parent_states) != set(self.parents):
            got = sorted(parent_states, key=str)
            raise ValueError(f"parent_states: expected states of {list(self.parents)}, got {got}")
        row = _state_index(self.state_names, self.variable, state, "state")
        idx = [_state_index(self.state_names, p, parent_states[p], "parent_states") for p in self.parents]
        col = int(np.ravel_multi_index(idx, self.parent_cards)) if self.parents else 0
        return float(self.values[row, col])

    def to_factor(self) -> Factor:
        """The table as a factor over (parents..., variable)."""
        table = self.values.T.reshape(*self.parent_cards, self.cardinality)
        return Factor(list(self.parents) + [self.variable], table, self.state_names)

    def __repr__(self) -> str:
        given = f" | {', '.join(map(str, self.parents))}" if self.parents else ""
        return f"TabularCPD(P({self.variable}{given}), shape={self.values.shape})"


def _states(state_names: Mapping, var: Hashable, card: int) -> list[Any]:
    if var not in state_names:
        return list(range(card))
    states = list(state_names[var])
    if len(states) != card:
        raise ValueError(f"state_names[{var!r}]: expected {card} states, got {len(states)}: {states}")
    if len(set(states)) != len(states):
        raise ValueError(f"state_names[{var!r}]: expected distinct states, got {states}")
    return states


def _state_index(state_names: Mapping, var: Hashable, state: Any, name: str) -> int:
    states = state_names[var]
    try:
        return states.index(state)
    except ValueError:
        raise UnknownStateError(f"{name}: unknown state {state!r} of variable {var!r}; expected one of {states}") from None


class Factor:
    """A non-negative table over discrete variables (one array axis per variable).

    ``query`` returns one: ``values[i, j]`` is the probability of the i-th state of
    ``variables[0]`` and the j-th state of ``variables[1]``; ``get_value`` reads it by names.
    """

    def __init__(self, variables: Sequence[Hashable], values: np.ndarray, state_names: Mapping[Hashable, Sequence]):
        self.variables = list(variables)
        self.values = np.asarray(values, dtype=np.float64)
        self.state_names = {v: list(state_names[v]) for v in self.variables}

    def get_value(self, assignment: Mapping[Hashable, Any] | None = None, **states: Any) -> float:
        """The entry for ``{variable: state}`` (a dict, or keyword arguments for string names)."""
        assignment = {**dict(assignment or {}), **states}
        if set(assignment) != set(self.variables):
            raise ValueError(f"assignment: expected states of {self.variables}, got {list(assignment)}")
        idx = tuple(_state_index(self.state_names, v, assignment[v], "assignment") for v in self.variables)
        return float(self.values[idx])

    def to_dict(self) -> dict[tuple, float]:
        """{(state of variables[0], state of variables[1], ...): value}."""
        grids = [self.state_names[v] for v in self.variables]
        return {combo: float(self.values[idx]) for idx, combo in
                zip(itertools.product(*[range(len(g)) for g in grids]), itertools.product(*grids))}

    def __repr__(self) -> str:
        return f"Factor({self.variables}, shape={self.values.shape})"


# ---------------------------------------------------------------------------------------------
# the network
# ---------------------------------------------------------------------------------------------


class BayesianNetwork:
    """A Bayesian network over discrete variables.

    Parameters
    ----------
    edges : iterable of (parent, child) pairs, default=()
        The directed edges; the graph must be acyclic.
    nodes : iterable of hashable, optional
        Extra isolated nodes.

    Examples
    --------
    >>> bn = BayesianNetwork.student()
    >>> round(bn.query(["Intelligence"], evidence={"Grade": "g3"}).get_value(Intelligence="i1"), 4)
    0.0789
    >>> bn.markov_blanket("Grade")
    ['Difficulty', 'Intelligence', 'Letter']
    >>> bn.is_d_separated("Difficulty", "SAT")
    True
    """

    def __init__(self, edges: Iterable[tuple[Hashable, Hashable]] = (), nodes: Iterable[Hashable] = ()):
        self._parents: dict[Hashable, list[Hashable]] = {}
        self._children: dict[Hashable, list[Hashable]] = {}
        self._cpds: dict[Hashable, TabularCPD] = {}
        for node in nodes:
            self.add_node(node)
        for edge in edges:
            if not (isinstance(edge, (tuple, list)) and len(edge) == 2):
                raise TypeError(f"edges: expected (parent, child) pairs, got {edge!r}")
            self.add_edge(*edge)

    # ---- structure ----------------------------------------------------------------------------

    def add_node(self, node: Hashable) -> None:
        if node is None:
            raise TypeError("node: expected a hashable name, got None")
        self._parents.setdefault(node, [])
        self._children.setdefault(node, [])

    def add_edge(self, parent: Hashable, child: Hashable) -> None:
        """Add ``parent -> child``; raise ``ValueError`` naming the cycle if it would close one."""
        if parent == child:
            raise ValueError(f"edges: a self-loop {parent!r} -> {child!r} is a cycle; a Bayesian network must be a DAG")
        path = self._path(child, parent)
        if path is not None:
            cycle = " -> ".join(map(str, [parent] + path))
            raise ValueError(f"edges: adding {parent!r} -> {child!r} makes the cycle {cycle}; "
                             "a Bayesian network must be a DAG")
        self.add_node(parent)
        self.add_node(child)
        if parent not in self._parents[child]:
            self._parents[child].append(parent)
            self._children[parent].append(child)

    def _path(self, start: Hashable, goal: Hashable) -> list[Hashable] | None:
        """A directed path start -> ... -> goal, or None."""
        if start not in self._children:
            return None
        stack, came_from = [start], {start: None}
        while stack:
            node = stack.pop()
            if node == goal:
                path = [node]
                while came_from[path[-1]] is not None:
                    path.append(came_from[path[-1]])
                return path[::-1]
            for c in self._children[node]:
                if c not in came_from:
                    came_from[c] = node
                    stack.append(c)
        return None

    @property
    def nodes(self) -> list[Hashable]:
        return list(self._parents)

    @property
    def edges(self) -> list[tuple[Hashable, Hashable]]:
        return [(p, c) for c in self._parents for p in self._parents[c]]

    def parents(self, node: Hashable) -> list[Hashable]:
        return list(self._parents[self._check_node(node, "node")])

    def children(self, node: Hashable) -> list[Hashable]:
        return list(self._children[self._check_node(node, "node")])

    def _check_node(self, node: Hashable, name: str) -> Hashable:
        try:
            known = node in self._parents
        except TypeError:
            known = False
        if not known:
            raise ValueError(f"{name}: unknown variable {node!r}; expected one of {self.nodes}")
        return node

    def topological_order(self) -> list[Hashable]:
        """Nodes with every parent before its children (Kahn's algorithm, ties by insertion order)."""
        indegree = {n: len(p) for n, p in self._parents.items()}
        ready = [n for n in self._parents if indegree[n] == 0]
        order = []
        while ready:
            n = ready.pop(0)
            order.append(n)
            for c in self._children[n]:
                indegree[c] -= 1
                if indegree[c] == 0:
                    ready.append(c)
        return order

    def ancestors(self, nodes: Hashable | Iterable[Hashable]) -> set[Hashable]:
        """The given nodes (one node, or an iterable of nodes) and all their ancestors."""
        out, stack = set(), list(self._node_set(nodes, "nodes"))
        while stack:
            n = stack.pop()
            if n not in out:
                out.add(n)
                stack.extend(self._parents[n])
        return out

    def markov_blanket(self, node: Hashable) -> list[Hashable]:
        """Parents, children and the children's other parents of ``node`` (in network order):
        given its blanket, a node is independent of every other node."""
        self._check_node(node, "node")
        blanket = set(self._parents[node]) | set(self._children[node])
        for c in self._children[node]:
            blanket.update(self._parents[c])
        blanket.discard(node)
        return [n for n in self.nodes if n in blanket]

    def active_trail_nodes(self, x: Hashable, observed: Iterable[Hashable] = ()) -> set[Hashable]:
        """Nodes reachable from ``x`` by an active trail given ``observed`` (Koller & Friedman, Alg. 3.1)."""
        self._check_node(x, "x")
        z = {self._check_node(o, "observed") for o in observed}
        z_and_ancestors = self.ancestors(z)  # a v-structure is active iff its middle is here
        todo, visited, reachable = [(x, "up")], set(), set()
        while todo:
            y, direction = todo.pop()
            if (y, direction) in visited:
                continue
            visited.add((y, direction))
            if y not in z:
                reachable.add(y)
            if direction == "up" and y not in z:  # trail arrives from a child
                todo.extend((p, "up") for p in self._parents[y])
                todo.extend((c, "down") for c in self._children[y])
            elif direction == "down":  # trail arrives from a parent
                if y not in z:
                    todo.extend((c, "down") for c in self._children[y])
                if y in z_and_ancestors:
                    todo.extend((p, "up") for p in self._parents[y])
        return reachable

    def is_d_separated(self, x: Hashable | Iterable[Hashable], y: Hashable | Iterable[Hashable],
                       z: Iterable[Hashable] = ()) -> bool:
        """True iff every trail between ``x`` and ``y`` is blocked by ``z`` (then X ⊥ Y | Z in
        every distribution that factorises over the graph). ``x``, ``y`` are nodes or sets of nodes."""
        xs, ys, zs = self._node_set(x, "x"), self._node_set(y, "y"), self._node_set(z, "z")
        for a, b, na, nb in ((xs, ys, "x", "y"), (xs, zs, "x", "z"), (ys, zs, "y", "z")):
            if a & b:
                both = sorted(a & b, key=str)
                raise ValueError(f"{na}, {nb}: expected disjoint sets of variables, both contain {both}")
        return not any(self.active_trail_nodes(a, zs) & ys for a in xs)

    d_separated = is_d_separated

    def _node_set(self, x: Any, name: str) -> set[Hashable]:
        if isinstance(x, (str, bytes)) or not isinstance(x, Iterable):
            x = [x]
        return {self._check_node(n, name) for n in x}

    # ---- parameters ---------------------------------------------------------------------------

    def add_cpd(self, *cpds: TabularCPD) -> None:
        """Attach CPDs; each must be over a node of the network with exactly its parents."""
        for cpd in cpds:
            if not isinstance(cpd, TabularCPD):
                raise TypeError(f"cpd: expected a TabularCPD, got {type(cpd).__name__}")
            self._check_node(cpd.variable, "cpd.variable")
            if set(cpd.parents) != set(self._parents[cpd.variable]):
                raise ValueError(
                    f"CPD of {cpd.variable!r}: expected parents {self._parents[cpd.variable]} (the network's), "
                    f"got {list(cpd.parents)}"
                )
            cpd.check()
            self._cpds[cpd.variable] = cpd

    def get_cpd(self, node: Hashable) -> TabularCPD:
        self._check_node(node, "node")
        if node not in self._cpds:
            raise ValueError(f"node: no CPD for {node!r} yet; call add_cpd or fit")
        return self._cpds[node]

    @property
    def cpds(self) -> list[TabularCPD]:
        return [self._cpds[n] for n in self.nodes if n in self._cpds]

    def state_names(self, node: Hashable) -> list[Any]:
        return list(self.get_cpd(node).state_names[node])

    def check_model(self) -> None:
        """Every node has a CPD, columns sum to 1, and parents' states agree across CPDs."""
        for n in self.nodes:
            cpd = self.get_cpd(n)
            cpd.check()
            for p in cpd.parents:
                own = self.get_cpd(p).state_names[p]
                if cpd.state_names[p] != own:
                    raise ValueError(
                        f"CPD of {n!r}: states of parent {p!r} are {cpd.state_names[p]}, but the CPD of {p!r} "
                        f"has {own}"
                    )

    def fit(self, data: Any, columns: Sequence[Hashable] | None = None, estimator: str = "mle",
            prior: str = "BDeu", pseudo_counts: Any = None, equivalent_sample_size: Any = 5,
            state_names: Mapping[Hashable, Sequence] | None = None) -> BayesianNetwork:
        """Estimate every CPD from data, complete or with missing values.

        A missing value (NaN, None, pandas' NA) leaves its row out of the tables that need it: the
        CPD of X counts the rows where X and its parents are all observed, as pgmpy's estimators do
        (so P(A) can use a row whose C is missing). Nothing is imputed; for data missing not at
        random these counts are biased, as pgmpy's are.

        Parameters
        ----------
        data : dict of column -> array-like, a DataFrame, or array-like of shape (n_samples, n_columns)
            One column per node (extra columns are ignored); a 2-D array needs ``columns``.
        columns : sequence of hashable, optional
            Column names of a 2-D array.
        estimator : {"mle", "bayes"}, default="mle"
            Maximum likelihood, or the posterior mean under a Dirichlet prior.
        prior : {"BDeu", "dirichlet", "K2"}, default="BDeu"
            The Dirichlet prior of ``estimator="bayes"``.
        pseudo_counts : float, or dict of node -> float or array of shape (card, n_parent_configs)
            The Dirichlet counts of ``prior="dirichlet"`` (columns enumerate the CPD's parents in
            the network's order).
        equivalent_sample_size : float or dict of node -> float, default=5
            The BDeu equivalent sample size.
        state_names : dict of node -> list of states, optional
            States per node; the default is the sorted distinct values of its column.

        Returns
        -------
        self
        """
        check_option(estimator, "estimator", ("mle", "bayes"))
        if estimator == "bayes":
            check_option(prior, "prior", ("BDeu", "dirichlet", "K2"))
            if prior == "dirichlet" and pseudo_counts is None:
                raise ValueError(
                    "pseudo_counts: expected a number or a dict of arrays with prior='dirichlet', got None"
                )
        cols = _read_columns(data, columns, self.nodes)
        codes, states = {}, {}
        for n in self.nodes:
            codes[n], states[n] = _encode_observed(cols[n], n, (state_names or {}).get(n))
        for n in self.nodes:
            parents = self._parents[n]
            counts = _count(codes, states, n, parents)  # (card, n_parent_configs)
            if estimator == "mle":
                counts[:, counts.sum(axis=0) == 0] = 1.0  # unseen parent configuration: uniform, as pgmpy
            else:
                counts = counts + self._pseudo(n, counts.shape, prior, pseudo_counts, equivalent_sample_size)
            values = counts / counts.sum(axis=0, keepdims=True)
            self._cpds[n] = TabularCPD(n, values, parents, {v: states[v] for v in [n, *parents]})
        return self

    @staticmethod
    def _pseudo(node, shape, prior, pseudo_counts, ess) -> np.ndarray:
        if prior == "K2":
            return np.ones(shape)
        if prior == "BDeu":
            size = ess.get(node, 0) if isinstance(ess, Mapping) else ess
            size = check_scalar(size, f"equivalent_sample_size[{node!r}]", minimum=0.0)
            return np.full(shape, size / (shape[0] * shape[1]))
        a = pseudo_counts.get(node, 0.0) if isinstance(pseudo_counts, Mapping) else pseudo_counts
        a = np.asarray(a, dtype=np.float64)
        if a.ndim == 0:
            a = np.full(shape, float(a))
        if a.shape != shape:
            raise ValueError(f"pseudo_counts[{node!r}]: expected shape {shape}, got {a.shape}")
        if (a < 0).any() or not np.isfinite(a).all():
            raise ValueError(f"pseudo_counts[{node!r}]: expected finite counts >= 0")
        return a

    # ---- inference ----------------------------------------------------------------------------

    def query(self, variables: Hashable | Sequence[Hashable], evidence: Mapping[Hashable, Any] | None = None,
              joint: bool = True, elimination_order: str | Sequence[Hashable] = "MinFill") -> Factor | dict:
        """Exact posterior P(variables | evidence) by variable elimination.

        Parameters
        ----------
        variables : node or list of nodes
        evidence : dict of node -> state, optional
        joint : bool, default=True
            One joint factor over ``variables``; False gives a dict of single-variable factors.
        elimination_order : {"MinFill", "WeightedMinFill", "MinDegree", "MinWeight"} or list of nodes, default="MinFill"
            The greedy heuristic (Koller & Friedman §9.4.3; pgmpy's names "MinNeighbors" and
            "greedy" are accepted for MinDegree and MinFill), or an explicit order. An explicit
            order must hold every variable that is summed out; it may also hold variables that the
            query prunes (those neither queried, observed nor ancestors of either), which are
            skipped, as pgmpy skips them; a queried or observed variable or an unknown name in it
            is a ValueError. Every order gives the same posterior; the heuristic only sets the cost.

        Returns
        -------
        Factor, or dict of node -> Factor
        """
        self.check_model()
        variables = [variables] if isinstance(variables, (str, bytes)) or not isinstance(variables, Sequence) \
            else list(variables)
        if not variables:
            raise ValueError("variables: expected at least one variable to query, got none")
        for v in variables:
            self._check_node(v, "variables")
        evidence = self._check_evidence(evidence)
        overlap = [v for v in variables if v in evidence]
        if overlap:
            raise ValueError(f"variables: {overlap} are also in evidence; query the others")
        if not joint:
            return {v: self._eliminate([v], evidence, elimination_order) for v in variables}
        return self._eliminate(variables, evidence, elimination_order)

    def _check_evidence(self, evidence: Mapping | None) -> dict[Hashable, int]:
        if evidence is None:
            return {}
        if not isinstance(evidence, Mapping):
            raise TypeError(f"evidence: expected a dict of variable -> state, got {type(evidence).__name__}")
        out = {}
        for var, state in evidence.items():
            self._check_node(var, "evidence")
            out[var] = _state_index(self.get_cpd(var).state_names, var, state, "evidence")
        return out

    def _eliminate(self, variables: list, evidence: dict[Hashable, int], order_spec) -> Factor:
        relevant = self.ancestors(set(variables) | set(evidence))  # barren nodes sum to 1
        factors = [_reduce(self._cpds[n], evidence) for n in self.nodes if n in relevant]
        hidden = [n for n in self.nodes if n in relevant and n not in evidence and n not in variables]
        order = _elimination_order(hidden, factors, order_spec, self, [*variables, *evidence])
        for var in order:
            used = [f for f in factors if var in f[0]]
            factors = [f for f in factors if var not in f[0]]
            factors.append(_product(used, keep=lambda v, var=var: v != var))
        axes, table = _product(factors, keep=lambda v: True, out=variables)
        total = table.sum()
        if not total > 0:
            raise ValueError(f"evidence: {self._evidence_names(evidence)} has probability 0 under the model")
        states = {v: self._cpds[v].state_names[v] for v in variables}
        return Factor(variables, table / total, states)

    def _evidence_names(self, evidence: dict[Hashable, int]) -> str:
        items = [f"{v!r}: {self._cpds[v].state_names[v][i]!r}" for v, i in evidence.items()]
        more = f", ... ({len(items)} in all)" if len(items) > 8 else ""
        return "{" + ", ".join(items[:8]) + more + "}"


    # ---- sampling and likelihood ----------------------------------------------------------------

    def sample(self, n: int, random_state: Any = None, evidence: Mapping[Hashable, Any] | None = None,
               max_rounds: int = 1000) -> dict[Hashable, np.ndarray]:
        """Draw ``n`` joint samples by ancestral (forward) sampling; with ``evidence``, by rejection.

        Returns
        -------
        dict of node -> ndarray of shape (n,) of state names
        """
        n = check_int(n, "n", minimum=0)
        self.check_model()
        rng = check_random_state(random_state)
        evidence = self._check_evidence(evidence)
        if not evidence or n == 0:
            return self._decode(self._forward(n, rng))
        kept: list[dict[Hashable, np.ndarray]] = []
        have = 0
        for _ in range(max_rounds):
            if have >= n:
                break
            batch = self._forward(max(2 * (n - have), 64), rng)
            ok = np.ones(len(next(iter(batch.values()))), dtype=bool)
            for v, i in evidence.items():
                ok &= batch[v] == i
            kept.append({v: a[ok] for v, a in batch.items()})
            have += int(ok.sum())
        if have < n:
            raise ValueError(f"evidence: only {have} of {n} samples matched {self._evidence_names(evidence)} "
                             f"in {max_rounds} rounds of rejection sampling; it is too improbable")
        return self._decode({v: np.concatenate([k[v] for k in kept])[:n] for v in self.nodes})

    def _forward(self, n: int, rng: np.random.RandomState) -> dict[Hashable, np.ndarray]:
        codes: dict[Hashable, np.ndarray] = {}
        for node in self.topological_order():
            cpd = self._cpds[node]
            if cpd.parents:
                col = np.ravel_multi_index([codes[p] for p in cpd.parents], cpd.parent_cards)
            else:
                col = np.zeros(n, dtype=np.int64)
            cdf = np.cumsum(cpd.values.T, axis=1)[col]  # (n, card)
            u = rng.random_sample(n)
            codes[node] = np.minimum((u[:, None] >= cdf).sum(axis=1), cpd.cardinality - 1)
        return codes

    def _decode(self, codes: dict[Hashable, np.ndarray]) -> dict[Hashable, np.ndarray]:
        out = {}
        for v in self.nodes:
            names = self._cpds[v].state_names[v]
            table = np.empty(len(names), dtype=object)
            table[:] = names
            arr = table[codes[v]]
            out[v] = arr.astype(type(names[0])) if all(isinstance(s, (int, str)) for s in names) and \
                len({type(s) for s in names}) == 1 else arr
        return out

    def log_probability(self, data: Any, columns: Sequence[Hashable] | None = None) -> np.ndarray:
        """log P(x) of each complete row: sum over nodes of log P(x_i | x_Pa(i)).

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        self.check_model()
        cols = _read_columns(data, columns, self.nodes)
        codes = {n: _encode(cols[n], n, self._cpds[n].state_names[n], strict=True)[0] for n in self.nodes}
        total = np.zeros(len(codes[self.nodes[0]]))
        with np.errstate(divide="ignore"):
            for n in self.nodes:
                cpd = self._cpds[n]
                col = np.ravel_multi_index([codes[p] for p in cpd.parents], cpd.parent_cards) if cpd.parents else 0
                total += np.log(cpd.values[codes[n], col])
        return total

    def __repr__(self) -> str:
        return f"BayesianNetwork(nodes={self.nodes}, edges={self.edges})"

    # ---- textbook networks ----------------------------------------------------------------------

    @classmethod
    def student(cls) -> BayesianNetwork:
        """Koller & Friedman's student network (Fig. 3.4): Difficulty -> Grade <- Intelligence -> SAT,
        Grade -> Letter, with the textbook's CPDs and state names (d0/d1, i0/i1, g1/g2/g3, s0/s1, l0/l1)."""
        bn = cls([("Difficulty", "Grade"), ("Intelligence", "Grade"), ("Intelligence", "SAT"), ("Grade", "Letter")])
        s = {"Difficulty": ["d0", "d1"], "Intelligence": ["i0", "i1"], "Grade": ["g1", "g2", "g3"],
             "SAT": ["s0", "s1"], "Letter": ["l0", "l1"]}
        bn.add_cpd(
            TabularCPD("Difficulty", [0.6, 0.4], state_names=s),
            TabularCPD("Intelligence", [0.7, 0.3], state_names=s),
            # columns (i0,d0), (i0,d1), (i1,d0), (i1,d1), as the book's table rows
            TabularCPD("Grade", [[0.3, 0.05, 0.9, 0.5], [0.4, 0.25, 0.08, 0.3], [0.3, 0.7, 0.02, 0.2]],
                       parents=["Intelligence", "Difficulty"], state_names=s),
            TabularCPD("SAT", [[0.95, 0.2], [0.05, 0.8]], parents=["Intelligence"], state_names=s),
            TabularCPD("Letter", [[0.1, 0.4, 0.99], [0.9, 0.6, 0.01]], parents=["Grade"], state_names=s),
        )
        return bn

    @classmethod
    def alarm(cls) -> BayesianNetwork:
        """Pearl's burglary network (1988; Russell & Norvig Fig. 14.2): Burglary -> Alarm <- Earthquake,
        Alarm -> JohnCalls, Alarm -> MaryCalls; states "no"/"yes"."""
        bn = cls([("Burglary", "Alarm"), ("Earthquake", "Alarm"), ("Alarm", "JohnCalls"), ("Alarm", "MaryCalls")])
        s = {v: ["no", "yes"] for v in bn.nodes}
        p_alarm = np.array([0.001, 0.29, 0.94, 0.95])  # (B,E) = (no,no), (no,yes), (yes,no), (yes,yes)
        bn.add_cpd(
            TabularCPD("Burglary", [0.999, 0.001], state_names=s),
            TabularCPD("Earthquake", [0.998, 0.002], state_names=s),
            TabularCPD("Alarm", [1 - p_alarm, p_alarm], parents=["Burglary", "Earthquake"], state_names=s),
            TabularCPD("JohnCalls", [[0.95, 0.10], [0.05, 0.90]], parents=["Alarm"], state_names=s),
            TabularCPD("MaryCalls", [[0.99, 0.30], [0.01, 0.70]], parents=["Alarm"], state_names=s),
        )
        return bn


# ---------------------------------------------------------------------------------------------
# variable elimination helpers: a factor is (list of variables, ndarray with one axis each)
# ---------------------------------------------------------------------------------------------


def _reduce(cpd: TabularCPD, evidence: dict[Hashable, int]) -> tuple[list, np.ndarray]:
    f = cpd.to_factor()
    index = tuple(evidence.get(v, slice(None)) for v in f.variables)
    return [v for v in f.variables if v not in evidence], f.values[index]


def _product(factors: list, keep, out: list | None = None) -> tuple[list, np.ndarray]:
    """prod of the factors, summed over the variables that ``keep`` rejects, rescaled so that its
    largest entry is 1 (the scale cancels in the final normalisation, and nothing underflows)."""
    scalar = 1.0
    tables = []
    for axes, table in factors:
        if axes:
            tables.append((axes, table))
        elif float(table) == 0.0:  # a constant factor only matters when it is 0 (impossible evidence)
            scalar = 0.0
    kept = list(out) if out is not None else [v for f in tables for v in f[0] if keep(v)]
    kept = list(dict.fromkeys(kept))
    # einsum takes at most 32 operands: fold long products in chunks, keeping every axis but
    # the summed ones to the last chunk
    while len(tables) > 16:
        head, tables = tables[:16], tables[16:]
        axes = list(dict.fromkeys(v for f in head for v in f[0]))
        tables.insert(0, (axes, _einsum(head, axes)))
    table = _einsum(tables, kept) * scalar if tables else np.full((), scalar)
    top = table.max() if table.size else 0.0
    return kept, table / top if top > 0 else table


def _einsum(factors: list, out_axes: list) -> np.ndarray:
    labels: dict[Hashable, int] = {}
    operands = []
    for axes, table in factors:
        operands += [table, [labels.setdefault(v, len(labels)) for v in axes]]
    table = np.einsum(*operands, [labels[v] for v in out_axes], optimize=len(factors) > 2)
    top = table.max() if table.size else 0.0
    return table / top if top > 0 else table


_ORDERS = ("MinFill", "MinDegree", "MinNeighbors", "MinWeight", "greedy", "WeightedMinFill")


def _given_order(hidden: list, spec, bn: BayesianNetwork, fixed: list) -> list:
    """An explicit order, checked: the variables to sum out, each once, plus pruned ones (skipped)."""
    order = list(spec)
    for v in order:
        bn._check_node(v, "elimination_order")
    kept = [v for v in order if v in set(fixed)]
    if kept:
        raise ValueError(f"elimination_order: {kept} are queried or observed, not summed out; "
                         f"expected the variables to sum out {hidden}")
    if len(set(order)) != len(order):
        raise ValueError(f"elimination_order: expected an order of the variables to sum out {hidden}, each "
                         f"once, got {order}")
    missing = [v for v in hidden if v not in set(order)]
    if missing:
        raise ValueError(f"elimination_order: expected an order of the variables to sum out {hidden}, "
                         f"got {order} (missing {missing})")
    return [v for v in order if v in set(hidden)]


def _elimination_order(hidden: list, factors: list, spec, bn: BayesianNetwork, fixed: list) -> list:
    """An order in which to sum out ``hidden``: the given list, or a greedy heuristic on the
    interaction graph (Koller & Friedman §9.4.3), ties broken by network order. The cost of
    eliminating v, with N(v) its neighbours and |X| a variable's number of states:

        MinDegree        |N(v)|
        MinWeight        prod_{a in N(v)} |a|               (the size of the factor it creates)
        MinFill          #{a, b in N(v) not yet adjacent}   (the fill-in edges)
        WeightedMinFill  sum over those fill-in edges of |a| |b|

    (pgmpy's WeightedMinFill code sums |a| |b| over all pairs of neighbours, fill-in or not; its
    docstring and Koller & Friedman count the fill-in edges only, as here.)"""
    if not isinstance(spec, str):
        return _given_order(hidden, spec, bn, fixed)
    check_option(spec, "elimination_order", _ORDERS)
    spec = {"greedy": "MinFill", "MinNeighbors": "MinDegree"}.get(spec, spec)  # pgmpy's names
    graph: dict[Hashable, set] = {}
    cards: dict[Hashable, int] = {}
    for axes, table in factors:
        for v, c in zip(axes, table.shape):
            graph.setdefault(v, set()).update(a for a in axes if a != v)
            cards[v] = c
    rank = {v: i for i, v in enumerate(hidden)}

    def cost(v):
        nb = graph[v]
        if spec == "MinDegree":
            return len(nb)
        if spec == "MinWeight":  # size of the factor that eliminating v creates
            return int(np.prod([cards[a] for a in nb], dtype=np.float64))
        fill = [(a, b) for a, b in itertools.combinations(nb, 2) if b not in graph[a]]
        if spec == "WeightedMinFill":
            return sum(cards[a] * cards[b] for a, b in fill)
        return len(fill)

    current = {v: cost(v) for v in hidden}
    heap = [(c, rank[v], v) for v, c in current.items()]
    heapq.heapify(heap)
    order = []
    while heap:
        c, _, v = heapq.heappop(heap)
        if v not in current or current[v] != c:
            continue  # stale entry
        del current[v]
        order.append(v)
        nb = graph.pop(v)
        for a in nb:
            graph[a].discard(v)
            graph[a].update(nb - {a})
        touched = set(nb)
        if spec in ("MinFill", "WeightedMinFill"):  # fill-in counts change up to two steps away
            for a in nb:
                touched |= graph[a]
        for a in touched:
            if a in current:
                current[a] = cost(a)
                heapq.heappush(heap, (current[a], rank[a], a))
    return order


# ---------------------------------------------------------------------------------------------
# data helpers
# ---------------------------------------------------------------------------------------------


def _read_columns(data: Any, columns: Sequence | None, nodes: list) -> dict[Hashable, np.ndarray]:
    """dict / DataFrame (duck-typed by ``.columns``) / 2-D array with ``columns`` -> dict of 1-D arrays."""
    if isinstance(data, Mapping):
        cols = {k: np.asarray(v) for k, v in data.items()}
    elif hasattr(data, "columns") and not isinstance(data, np.ndarray):
        cols = {c: np.asarray(data[c]) for c in data.columns}
    else:
        arr = np.asarray(data)
        if arr.ndim != 2:
            raise ValueError(f"data: expected a dict of columns, a DataFrame or a 2-D array, got shape {arr.shape}")
        if columns is None or len(columns) != arr.shape[1]:
            got = None if columns is None else len(columns)
            raise ValueError(f"columns: expected {arr.shape[1]} column names for a 2-D data array, got {got}")
        cols = {c: arr[:, j] for j, c in enumerate(columns)}
    missing = [n for n in nodes if n not in cols]
    if missing:
        raise ValueError(f"data: no column for variable(s) {missing}; got columns {list(cols)}")
    lengths = {n: len(cols[n]) for n in nodes}
    if len(set(lengths.values())) > 1:
        raise ValueError(f"data: expected columns of equal length, got {lengths}")
    for n in nodes:
        if cols[n].ndim != 1:
            raise ValueError(f"data: column {n!r} must be 1-D, got shape {cols[n].shape}")
    return {n: cols[n] for n in nodes}


def _missing(col: np.ndarray) -> np.ndarray:
    """Boolean mask of missing entries: NaN, None or pandas' NA (duck-typed, pandas is not imported)."""
    if col.dtype.kind == "f":
        return np.isnan(col)
    if col.dtype.kind == "O":
        return np.array([v is None or (isinstance(v, float) and v != v) or type(v).__name__ == "NAType"
                         for v in col], dtype=bool)
    return np.zeros(len(col), dtype=bool)


def _encode_observed(col: np.ndarray, name: Hashable, states: Sequence | None) -> tuple[np.ndarray, list]:
    """As _encode, with missing entries coded -1; the states come from the observed values."""
    missing = _missing(col)
    if not missing.any():
        return _encode(col, name, states)
    if missing.all() and states is None:
        raise ValueError(f"data: column {name!r} has no observed value; give its states in state_names")
    observed = col[~missing]
    if observed.dtype.kind == "O" and all(isinstance(v, numbers.Real) for v in observed):
        observed = observed.astype(np.float64)  # an object column of numbers and NaN
    codes = np.full(len(col), -1, dtype=np.int64)
    codes[~missing], states = _encode(observed, name, states)
    return codes, states


def _encode(col: np.ndarray, name: Hashable, states: Sequence | None, strict: bool = False) -> tuple[np.ndarray, list]:
    """Column values -> state indices; states default to the sorted distinct values."""
    if _missing(col).any():
        what = "NaN" if col.dtype.kind == "f" else "None or NaN"
        raise ValueError(f"data: column {name!r} has missing values ({what}); expected complete data")
    try:
        uniques, inverse = np.unique(col, return_inverse=True)
    except TypeError as exc:
        raise TypeError(f"data: column {name!r} mixes values that cannot be sorted ({exc})") from None
    uniques = uniques.tolist()
    if states is None:
        return inverse.reshape(-1), uniques
    states = list(states)
    lookup = {s: i for i, s in enumerate(states)}
    unknown = [u for u in uniques if u not in lookup]
    if unknown:
        what = "data" if strict else "state_names"
        raise ValueError(f"{what}: column {name!r} has value(s) {unknown[:5]} that are not states of {name!r} {states}")
    return np.array([lookup[u] for u in uniques], dtype=np.int64)[inverse.reshape(-1)], states


def _count(codes: dict, states: dict, node: Hashable, parents: list) -> np.ndarray:
    """N(x, u) as an array of shape (card(node), prod(card(parents))), over the rows where the node
    and its parents are all observed (code >= 0)."""
    cards = [len(states[p]) for p in parents] + [len(states[node])]
    columns = [codes[p] for p in parents] + [codes[node]]
    complete = np.logical_and.reduce([c >= 0 for c in columns])
    flat = np.ravel_multi_index([c[complete] for c in columns], cards)
    counts = np.bincount(flat, minlength=int(np.prod(cards))).astype(np.float64)
    return counts.reshape(-1, cards[-1]).T.copy()
