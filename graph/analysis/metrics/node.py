"""Node-level measures: who is central in the recruitment network.

Every function takes a networkx graph (simple or multi, directed or not) and returns plain
data. The scores behind the graph-level indices of :mod:`graph.analysis.metrics.centralization` are
computed here, so that a node table and a centralization index always agree on what
"betweenness" or "eigenvector" means.

Conventions shared by all measures in this package
--------------------------------------------------
* A multigraph is first *collapsed* to the simple graph of the same directedness: two actors
  are tied when at least one relation joins them, whatever the number of relations.
  Counting relations is the job of ``strength``, not of the structural measures.
* Self-loops are ignored (an actor funding itself is not a tie to anyone).
* Path-based measures (betweenness, closeness) count hops and never read edge weights:
  a funding amount is a tie *strength*, and reading it as a path *length* would make the
  largest flows the longest paths.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Hashable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

import networkx as nx
import numpy as np

from graph.analysis.metrics.hierarchy import (
    _compiled_reach,
    _compiled_weak_components,
    _reach,
    _weak_components,
)
from graph.analysis.metrics.sparse import (
    SparseGraph,
    betweenness_subset,
    closeness,
    components,
    dispatched,
    distances,
)
from graph.analysis.metrics.views import _simple, _weighted_simple
from graph.errors import InvalidArgument

# scipy is imported where it is used: the server's HTTP process imports this module
# (for the operations' names) and never runs it, and scipy is a third of its memory
# (tests/test_memory.py).
if TYPE_CHECKING:
    import scipy.sparse as sp

__all__ = ["node_measures", "ranked", "ranked_values"]

# Power iteration stops when the L1 change between iterates is below n * _EIG_TOL (networkx's
# criterion); 1e-13 keeps max-scaled scores within ~1e-10 of the exact eigenvector on the
# graphs of the test suite, which compares with igraph's ARPACK result to 1e-9.
_EIG_TOL = 1e-13
_EIG_MAX_ITER = 10_000
# Components this large use ARPACK (nx.eigenvector_centrality_numpy) when scipy is installed.
_ARPACK_MIN_NODES = 1000
# Components whose leading eigenvalues agree to this relative tolerance are treated as tied.
_EIG_TIE = 1e-9
#: From this many nodes the compiled searches beat networkx's on exact betweenness (measured
#: here: 2.5 against 6 ms at 30 nodes, 38 against 43 at 150, 420 against 300 at 500, 2.2 s
#: against 0.8 s at 1,000); the windows of a timeline are mostly smaller.
_COMPILED_MIN_NODES = 200


# --------------------------------------------------------------------------------------------
# Node scores (on a graph already made simple by _simple)
# --------------------------------------------------------------------------------------------


def _closeness_scores(
    S: nx.Graph,
    *,
    wf_improved: bool = False,
    k: int | None = None,
    seed: int | None = 0,
    undirected: nx.Graph | None = None,
) -> dict[Hashable, float]:
    """Closeness on the undirected view of ``S``; 0.0 for a node that reaches nobody.

    ``(r - 1) / sum(d(v, u))`` over the ``r - 1`` nodes ``u`` reachable from ``v``, igraph's
    ``closeness(mode="all", normalized=True)``; with ``wf_improved`` multiplied by
    ``(r - 1) / (n - 1)`` (Wasserman & Faust 1994, networkx's default).

    With ``k < n``, only a sample is scored: ``k`` nodes drawn at random (seeded) plus the
    ``k // 8`` nodes of highest degree, where the maximum almost surely lies. Each score is
    exact; the sample stands for all nodes (see ``centralization``).

    ``undirected``: the undirected graph of ``S`` if the caller has it (see
    :func:`_eigen_undirected`; edge weights are not read).
    """
    # Direction is ignored on purpose: see centralization's docstring (igraph mode="all").
    # A copy, not networkx's to_undirected view: each breadth-first search reads every
    # adjacency, and the view's merged in/out adjacency costs three times a plain dict.
    U = undirected
    if U is None:
        U = _eigen_undirected(S) if S.is_directed() else S
    n = U.number_of_nodes()
    if k is None or k >= n:
        return nx.closeness_centrality(U, wf_improved=wf_improved)
    return _sampled_closeness(U, k=k, seed=seed, wf_improved=wf_improved)[0]


def _sampled_closeness(
    U: nx.Graph | SparseGraph, *, k: int, seed: int | None, wf_improved: bool
) -> tuple[dict[Hashable, float], dict[Hashable, float]]:
    """Closeness of a stratified sample of the nodes of the undirected ``U``, and the number
    of nodes each sampled node stands for.

    The ``max(1, k // 8)`` nodes of highest degree (ties in string order) are scored and
    stand for themselves: the maximum almost surely lies among them. The other nodes are put
    in strata by their distance from the node of highest degree (those it does not reach in
    one more), ``k`` draws are shared among the strata in proportion to their sizes (at least
    one each), and a node drawn uniformly (seeded) from a stratum of :math:`N_h` with
    :math:`k_h` draws stands for :math:`N_h / k_h` nodes. ``sum(weight * c)`` then estimates
    the sum of all scores without bias, and more closely than uniform draws would: closeness
    varies mostly with the distance from the centre, little within a stratum.

    ``U`` is a networkx graph, searched by networkx, or the undirected
    :class:`~graph.analysis.metrics.sparse.SparseGraph` of the same graph, searched in compiled code
    with the same results.
    """
    import random

    if isinstance(U, SparseGraph):
        g = U
        nodes = g.nodes
        degree: Iterable[tuple[Hashable, int]] = zip(nodes, g.degrees().tolist(), strict=True)

        def lengths(v: Hashable) -> dict[Hashable, int]:
            return {nodes[i]: d for i, d in distances(g, g.index[v]).items()}

        def score(v: Hashable) -> float:
            return closeness(g, g.index[v], wf_improved=wf_improved)

    else:
        nodes = list(U)
        degree = U.degree

        def lengths(v: Hashable) -> dict[Hashable, int]:
            return nx.single_source_shortest_path_length(U, v)

        def score(v: Hashable) -> float:
            # one node's closeness (a float); the stubs type only the dict of every node's
            return nx.closeness_centrality(U, u=v, wf_improved=wf_improved)  # type: ignore[return-value]

    hubs = [v for v, _ in sorted(degree, key=lambda nd: (-nd[1], str(nd[0])))[: max(1, k // 8)]]
    chosen = set(hubs)
    # One more breadth-first search, from the centre, to tell the strata apart.
    layer = lengths(hubs[0])
    strata: dict[int, list[Hashable]] = {}
    for v in sorted(nodes, key=str):
        if v not in chosen:
            strata.setdefault(layer.get(v, -1), []).append(v)
    sizes = {h: len(members) for h, members in strata.items()}
    alloc = _allocate(k, sizes, {h: float(size) for h, size in sizes.items()})
    rng = random.Random(seed)
    weights = dict.fromkeys(hubs, 1.0)
    for h in sorted(strata):
        members, m = strata[h], alloc[h]
        drawn = members if m >= len(members) else rng.sample(members, m)
        weights.update(dict.fromkeys(drawn, len(members) / len(drawn)))
    scores = {v: score(v) for v in sorted(weights, key=str)}
    return scores, {v: weights[v] for v in scores}


def _betweenness_scores(
    S: nx.Graph,
    *,
    normalized: bool,
    k: int | None = None,
    seed: int | None = 0,
    reach: Mapping[Hashable, int] | None = None,
    csr: SparseGraph | None = None,
) -> dict[Hashable, float]:
    """Shortest-path betweenness (directed paths on a DiGraph); exact unless ``k < n``.

    Exact: networkx's ``betweenness_centrality``; unnormalized, on :data:`_COMPILED_MIN_NODES`
    nodes or more and where no backend is set to run it, the same numbers bit for bit from
    :func:`graph.analysis.metrics.sparse.betweenness_subset` with every node as source and target.
    With ``k < n``: the stratified estimate of :func:`_sampled_betweenness` from about ``k``
    sources (``reach``: the out-reach of every node, see :func:`_out_reach`, and ``csr``:
    ``S`` in CSR form, if the caller has them).
    """
    n = S.number_of_nodes()
    if k is not None and k < 1:
        raise InvalidArgument(f"k must be a positive number of sampled sources, got {k}")
    if k is None or k >= n:
        if normalized or n < _COMPILED_MIN_NODES or dispatched(nx.betweenness_centrality):
            return nx.betweenness_centrality(S, normalized=normalized)
        g = SparseGraph.of(S, csr)
        found = betweenness_subset(g, range(g.n), range(g.n))
        return g.by_node(found)
    raw = _sampled_betweenness(S, k, seed, _out_reach(S) if reach is None else reach, csr)
    if normalized:
        scale = _betweenness_normalizer(n, S.is_directed())
        return {v: b * scale for v, b in raw.items()}
    return raw


def _out_reach(S: nx.Graph) -> dict[Hashable, int]:
    """How many other nodes each node reaches (along directed paths on a DiGraph)."""
    if not isinstance(S, nx.DiGraph):
        size = {v: len(c) - 1 for c in nx.connected_components(S) for v in c}
        return {v: size[v] for v in S}

    return _reach_counts(S, _reach(S))


def _reach_counts(nodes: Iterable[Hashable], reach: Any) -> dict[Hashable, int]:
    """Out-reach of each of ``nodes`` (a digraph's, in its order) from the digraph's
    condensation (``hierarchy._Reach``)."""
    scc_of = reach.scc_of
    return {v: reach.size[scc_of[v]] - 1 + reach.below[scc_of[v]] for v in nodes}


def _allocate(k: int, sizes: Mapping[int, int], mass: Mapping[int, float]) -> dict[int, int]:
    """Split ``k`` draws among strata in proportion to ``mass``, at least one each, never more
    than a stratum's size (a stratum that would get all its members is taken whole and the
    rest shared again among the others)."""
    alloc: dict[int, int] = {}
    open_strata = set(sizes)
    budget = float(k)
    while open_strata:
        total = sum(mass[h] for h in open_strata)
        full = [h for h in open_strata if budget * mass[h] >= sizes[h] * total]
        if not full:
            break
        for h in full:
            alloc[h] = sizes[h]
            budget -= sizes[h]
            open_strata.remove(h)
    total = sum(mass[h] for h in open_strata)
    for h in open_strata:
        share = budget * mass[h] / total if total > 0 and budget > 0 else 0.0
        alloc[h] = min(sizes[h], max(1, round(share)))
    return alloc


def _betweenness_sources(
    reach: Mapping[Hashable, int], k: int, seed: int | None
) -> dict[float, list[Hashable]]:
    """The sampled sources of :func:`_sampled_betweenness`, grouped by the number of sources
    each stands for."""
    import random

    strata: dict[int, list[Hashable]] = {}
    for v, r in reach.items():
        if r >= 2:  # a node reaching one other node (or none) lies between no pair it starts
            strata.setdefault(r.bit_length(), []).append(v)
    sizes = {h: len(nodes) for h, nodes in strata.items()}
    mass = {h: float(sum(reach[v] for v in nodes)) for h, nodes in strata.items()}
    alloc = _allocate(k, sizes, mass)
    rng = random.Random(seed)
    groups: dict[float, list[Hashable]] = {}
    for h in sorted(strata):
        nodes, m = strata[h], alloc[h]
        if m >= len(nodes):
            groups.setdefault(1.0, []).extend(nodes)
        else:
            groups.setdefault(len(nodes) / m, []).extend(rng.sample(nodes, m))
    return groups


def _sampled_betweenness(
    S: nx.Graph,
    k: int,
    seed: int | None,
    reach: Mapping[Hashable, int],
    csr: SparseGraph | None = None,
) -> dict[Hashable, float]:
    r"""Raw betweenness estimated from about ``k`` sources, stratified by out-reach.

    Betweenness is a sum over sources :math:`s` of the dependencies
    :math:`\delta_s(v) = \sum_t \sigma_{st}(v)/\sigma_{st}` (Brandes 2001). A source that
    reaches :math:`r_s \le 1` other nodes has none; the others are put in strata by
    :math:`\lfloor \log_2 r_s \rfloor`, and the ``k`` draws shared among the strata in
    proportion to their total reach (at least one each; a stratum that would get all its
    members is taken whole), because a source's dependencies add up to
    :math:`\sum_t (d(s, t) - 1)`, which grows with its reach. In stratum :math:`h` of
    :math:`N_h` sources, :math:`k_h` are drawn uniformly (seeded) and each counts
    :math:`N_h / k_h` times: :math:`\hat b(v) = \sum_h \frac{N_h}{k_h}
    \sum_{s \in \text{sample}_h} \delta_s(v)`, unbiased for every :math:`v` (stratified
    sampling; cf. Brandes & Pich 2007, who draw sources uniformly, as networkx's ``k`` does).
    On a hierarchy a few sources at the top reach nearly everybody and carry nearly all the
    betweenness; uniform draws mostly miss them (see bench/RESULTS.md).

    The dependencies of each group of sources are networkx's
    ``betweenness_centrality_subset`` (all nodes as targets): computed by networkx where a
    backend is set to run it, otherwise by :func:`graph.analysis.metrics.sparse.betweenness_subset`
    (the same numbers, bit for bit; ``csr``: ``S`` in CSR form, if the caller has it).
    """
    groups = _betweenness_sources(reach, k, seed)
    if dispatched(nx.betweenness_centrality_subset):
        total = dict.fromkeys(S, 0.0)
        targets = list(S)
        for weight, sources in groups.items():
            part = nx.betweenness_centrality_subset(
                S, sources=sources, targets=targets, normalized=False
            )
            for v, b in part.items():
                if b:
                    total[v] += weight * b
        return total
    return _compiled_sampled_betweenness(SparseGraph.of(S, csr), groups)


def _compiled_sampled_betweenness(
    g: SparseGraph, groups: dict[float, list[Hashable]]
) -> dict[Hashable, float]:
    """:func:`_sampled_betweenness` from the sources of :func:`_betweenness_sources`, in
    compiled code on the CSR form ``g``."""
    sums = np.zeros(g.n)
    for weight, sources in groups.items():
        # Adding weight * 0.0 where networkx's loop skips a zero leaves every sum as it is.
        sums += weight * betweenness_subset(g, [g.index[s] for s in sources], range(g.n))
    return g.by_node(sums)


def _betweenness_normalizer(n: int, directed: bool) -> float:
    """The factor from raw to normalized betweenness: one over the number of (ordered, on a
    DiGraph) pairs of other nodes, as networkx's ``normalized=True`` (1.0 below 3 nodes)."""
    if n < 3:
        return 1.0
    pairs = (n - 1) * (n - 2)
    return 1.0 / pairs if directed else 2.0 / pairs


class _NodeScores:
    """The path-based and spectral scores of one simple graph, each computed at most once.

    The graph-level report (centralization, hierarchy) and the node table read the same
    betweenness, closeness and eigenvector scores and the same reachability; this holds them
    so that a report computes each once. ``k`` and ``seed`` are the betweenness and closeness
    sample, as in ``centralization``. The graph's CSR form (:attr:`csr`), its undirected view
    and its condensation are likewise built once for all the measures that read them.

    The graph itself may be given as a function that builds it (:meth:`lazy`): then the
    networkx graph :attr:`S` is built only where a measure needs it (a backend runs it, or
    exact scores of a small graph), and the sampled scores, degrees, reachability and
    components of a large graph come from the CSR form alone. The simple view of a 100,000
    actor projection takes 122 MiB as a networkx DiGraph, 10 as CSR arrays (bench/RESULTS.md).
    """

    def __init__(self, S: nx.Graph, *, k: int | None = None, seed: int | None = 0) -> None:
        self._init(S.number_of_nodes(), S.is_directed(), k, seed)
        self._S: nx.Graph | None = S

    @classmethod
    def lazy(
        cls,
        n: int,
        build: Callable[[], nx.DiGraph],
        csr: Callable[[], SparseGraph],
        *,
        k: int | None = None,
        seed: int | None = 0,
    ) -> _NodeScores:
        """The scores of the simple digraph of ``n`` nodes that ``build`` returns, whose CSR
        form ``csr`` returns (the same arrays as :meth:`SparseGraph.from_networkx` of it),
        each called only when first needed."""
        scores = cls.__new__(cls)
        scores._init(n, True, k, seed)
        scores._S = None
        scores._build = build
        scores._build_csr = csr
        return scores

    def _init(self, n: int, directed: bool, k: int | None, seed: int | None) -> None:
        if k is not None and k < 1:
            raise InvalidArgument(f"k must be a positive number of sampled sources, got {k}")
        self.n = n
        self.directed = directed
        self.k = None if k is None or k >= n else k
        self.seed = seed
        self._build: Callable[[], nx.Graph] | None = None
        self._build_csr: Callable[[], SparseGraph] | None = None
        self._undirected: nx.Graph | None = None
        self._csr: SparseGraph | None = None
        self._reach: Any = None
        self._betweenness: dict[Hashable, float] | None = None
        self._closeness: dict[tuple[bool, bool], dict[Hashable, float]] = {}
        self._closeness_weights: dict[Hashable, float] | None = None
        self._eigenvector: dict[Hashable, float] | None = None

    @property
    def S(self) -> nx.Graph:
        """The simple networkx graph (built now if it was given as a function)."""
        if self._S is None:
            assert self._build is not None
            self._S = self._build()
        return self._S

    @property
    def undirected(self) -> nx.Graph:
        """The undirected networkx graph of :func:`_eigen_undirected`."""
        if self._undirected is None:
            self._undirected = _eigen_undirected(self.S)
        return self._undirected

    @property
    def digraph(self) -> nx.DiGraph:
        """:attr:`S` as a DiGraph, for the measures defined on directed graphs only."""
        if not self.directed:
            raise ValueError("this measure needs a directed graph")
        S = self.S
        assert isinstance(S, nx.DiGraph)
        return S

    @property
    def csr(self) -> SparseGraph:
        """The graph in CSR form, for the measures computed in compiled code."""
        if self._csr is None:
            build = self._build_csr
            self._csr = build() if build is not None else SparseGraph.from_networkx(self.S)
        return self._csr

    @property
    def nodes(self) -> list[Hashable]:
        """The nodes in the graph's order."""
        return list(self._S) if self._S is not None else self.csr.nodes

    def __contains__(self, node: Hashable) -> bool:
        return node in self._S if self._S is not None else node in self.csr.index

    def arcs(self) -> int:
        """The number of edges of the graph (arcs of a digraph)."""
        if self._S is not None or not self.directed:
            return int(self.S.number_of_edges())
        return int(self.csr.indices.size)

    def degrees(self, measure: str = "degree") -> list[int]:
        """Each node's ``degree`` (in plus out on a digraph), ``in_degree`` or ``out_degree``,
        in the graph's order."""
        if measure != "degree" and not self.directed:
            raise ValueError("this measure needs a directed graph")
        if self._S is not None:
            if measure == "degree":
                return [d for _, d in self._S.degree()]
            D = self.digraph
            return [d for _, d in (D.in_degree() if measure == "in_degree" else D.out_degree())]
        g = self.csr
        out = g.degrees()
        into = np.bincount(g.indices, minlength=g.n)
        chosen = {"degree": out + into, "in_degree": into, "out_degree": out}[measure]
        return [int(d) for d in chosen.tolist()]

    def reach(self) -> Any:
        """``hierarchy._Reach`` of the (directed) graph: its condensation and ancestors."""
        if self._reach is None:
            if not self.directed:
                raise ValueError("this measure needs a directed graph")
            if dispatched(nx.condensation, nx.topological_sort):
                self._reach = _reach(self.digraph)
            else:
                self._reach = _compiled_reach(self.csr)
        return self._reach

    def weak_components(self) -> list[list[Hashable]]:
        """The weakly connected components of the (directed) graph, by first node, each in
        the graph's node order."""
        if dispatched(nx.weakly_connected_components):
            return _weak_components(self.digraph)
        return _compiled_weak_components(self.csr)

    def betweenness(self, *, normalized: bool = False) -> dict[Hashable, float]:
        """Raw (or normalized) betweenness, estimated from about ``k`` sources if ``k < n``."""
        if self._betweenness is None:
            if self.k is not None and self.directed:
                reach = _reach_counts(self.nodes, self.reach())
                if dispatched(nx.betweenness_centrality_subset):
                    self._betweenness = _sampled_betweenness(self.S, self.k, self.seed, reach)
                else:
                    groups = _betweenness_sources(reach, self.k, self.seed)
                    self._betweenness = _compiled_sampled_betweenness(self.csr, groups)
            else:
                self._betweenness = _betweenness_scores(
                    self.S, normalized=False, k=self.k, seed=self.seed, csr=self.csr
                )
        if not normalized:
            return self._betweenness
        scale = _betweenness_normalizer(self.n, self.directed)
        return {v: b * scale for v, b in self._betweenness.items()}

    def closeness(self, *, wf_improved: bool, sampled: bool) -> dict[Hashable, float]:
        """Closeness of every node, or (``sampled`` and ``k < n``) of the sample only; the
        nodes each sampled node stands for are in :meth:`closeness_weights`."""
        key = (wf_improved, sampled and self.k is not None)
        if key not in self._closeness:
            if key[1]:
                assert self.k is not None
                # networkx's searches where a backend is set to run them, else the same
                # searches in compiled code on the undirected CSR form.
                searched = nx.closeness_centrality, nx.single_source_shortest_path_length
                U = self.undirected if dispatched(*searched) else self.csr.undirected
                scores, weights = _sampled_closeness(
                    U, k=self.k, seed=self.seed, wf_improved=wf_improved
                )
                self._closeness_weights = weights
            else:
                scores = _closeness_scores(
                    self.S, wf_improved=wf_improved, undirected=self.undirected
                )
            self._closeness[key] = scores
        return self._closeness[key]

    def closeness_weights(self) -> dict[Hashable, float] | None:
        """For a sampled closeness, the number of nodes each sampled node stands for."""
        return self._closeness_weights

    def eigenvector(self) -> dict[Hashable, float]:
        if self._eigenvector is None:
            if dispatched(*_EIGEN_ALGORITHMS):
                self._eigenvector = _eigenvector_scores(self.S, undirected=self.undirected)
            else:
                self._eigenvector = _sparse_eigenvector_scores(self.csr.undirected)
        return self._eigenvector


def _eigen_undirected(S: nx.Graph) -> nx.Graph:
    """The undirected graph whose adjacency eigenvector defines ``eigenvector`` for ``S``.

    For a DiGraph each pair gets weight ``w`` = number of arcs between them (1 or 2), as igraph
    does when ``directed=False`` is asked of a directed graph (a mutual tie is two parallel
    undirected edges). For an undirected graph every edge has weight 1.
    """
    H: nx.Graph[Hashable] = nx.Graph()
    H.add_nodes_from(S)
    if S.is_directed():
        # Counted in a dict, then added at once (faster than has_edge per arc on large graphs).
        arcs: dict[tuple[Hashable, Hashable], int] = {}
        for u, v in S.edges():
            key = (v, u) if (v, u) in arcs else (u, v)
            arcs[key] = arcs.get(key, 0) + 1
        H.add_edges_from((u, v, {"w": w}) for (u, v), w in arcs.items())
    else:
        H.add_edges_from(S.edges(), w=1)
    return H


def _component_eigenvector(C: nx.Graph) -> dict[Hashable, float]:
    """Leading eigenvector of a connected undirected graph, 2-norm 1, nonnegative."""
    if C.number_of_nodes() == 2:
        # Two nodes and one (weighted) edge: the eigenvector is uniform; exact, no iteration.
        return dict.fromkeys(C, 1 / math.sqrt(2))
    if C.number_of_nodes() >= _ARPACK_MIN_NODES:
        try:
            # ARPACK when scipy is installed: fast on large components, but its random start
            # vector leaves ~1e-16 noise, so small components keep the deterministic path ...
            return nx.eigenvector_centrality_numpy(C, weight="w")
        except ImportError:
            pass
    # ... otherwise power iteration on A + I, which converges on every connected graph
    # (A + I is primitive), bipartite ones included; slowly only when the spectral gap is tiny.
    try:
        return nx.eigenvector_centrality(C, max_iter=_EIG_MAX_ITER, tol=_EIG_TOL, weight="w")
    except nx.PowerIterationFailedConvergence:
        pass
    # A tiny gap (a long chain): accept a looser tolerance, then, as a last resort, the
    # weighted degree (the first power-iteration step A·1), saying so.
    try:
        return nx.eigenvector_centrality(C, max_iter=_EIG_MAX_ITER, tol=1e-8, weight="w")
    except nx.PowerIterationFailedConvergence:
        warnings.warn(
            f"eigenvector centrality did not converge on a component of {len(C)} nodes; "
            "using weighted degree as its approximation",
            RuntimeWarning,
            stacklevel=4,
        )
        degree = dict(C.degree(weight="w"))
        norm = math.sqrt(sum(d * d for d in degree.values()))
        return {v: d / norm for v, d in degree.items()}


def _eigenvector_scores(S: nx.Graph, undirected: nx.Graph | None = None) -> dict[Hashable, float]:
    """Eigenvector centrality scaled to a maximum of 1 (igraph's ``scale=True``).

    Computed per connected component of the undirected view (see :func:`_eigen_undirected`):
    the leading eigenvector of a disconnected graph lives on the component(s) with the largest
    eigenvalue and is zero elsewhere. When several components tie for the largest eigenvalue
    the eigenvector is not unique; each tied component is then scaled to a maximum of 1.
    A graph without edges has every score 1 (igraph's convention: all nodes alike).
    ``undirected``: :func:`_eigen_undirected` of ``S`` if the caller has it.
    """
    H = undirected if undirected is not None else _eigen_undirected(S)
    scores = dict.fromkeys(H, 0.0)
    if H.number_of_edges() == 0:
        return dict.fromkeys(H, 1.0)
    leaders: list[tuple[float, dict[Hashable, float]]] = []
    for nodes in nx.connected_components(H):
        if len(nodes) < 2:
            continue  # an isolated node: eigenvalue 0, never the leading one
        # A copy, not a view: power iteration reads every adjacency many times, and a
        # filtered subgraph view costs several times a plain dict lookup.
        C = H if len(nodes) == len(H) else H.subgraph(nodes).copy()
        x = _component_eigenvector(C)
        # Rayleigh quotient x'Ax / x'x gives the component's leading eigenvalue.
        ax = sum(d["w"] * x[u] * x[v] for u, v, d in C.edges(data=True))
        lam = 2 * ax / sum(value * value for value in x.values())
        leaders.append((lam, x))
    top = max(lam for lam, _ in leaders)
    for lam, x in leaders:
        if lam >= top * (1 - _EIG_TIE):
            peak = max(x.values())
            for node, value in x.items():
                scores[node] = max(value, 0.0) / peak
    return scores


#: The networkx algorithms behind eigenvector scores: where a backend is set to run one of
#: them, the scores are computed by networkx (:func:`_eigenvector_scores`).
_EIGEN_ALGORITHMS = (
    nx.connected_components,
    nx.eigenvector_centrality,
    nx.eigenvector_centrality_numpy,
)


def _sparse_eigenvector_scores(W: SparseGraph) -> dict[Hashable, float]:
    """:func:`_eigenvector_scores` from the undirected CSR form ``W`` of the graph (weights:
    the number of arcs between two nodes, :attr:`SparseGraph.undirected`).

    The same definition, per connected component: components of :data:`_ARPACK_MIN_NODES`
    nodes or more by ARPACK on their adjacency matrix, exactly as networkx's
    ``eigenvector_centrality_numpy`` calls it (without first copying the component into a
    networkx graph and back into a matrix); smaller ones by :func:`_component_eigenvector`.
    The leading eigenvalue of each component is its Rayleigh quotient
    :math:`x^\top A x / x^\top x`.
    """
    if W.indices.size == 0:
        return dict.fromkeys(W.nodes, 1.0)
    A = W.matrix
    leaders: list[tuple[float, np.ndarray, np.ndarray]] = []
    for members in components(W):
        if members.size < 2:
            continue  # an isolated node: eigenvalue 0, never the leading one
        C = A if members.size == W.n else A[members][:, members]
        x = _matrix_eigenvector(C, [W.nodes[i] for i in members.tolist()])
        leaders.append((float(x @ (C @ x)) / float(x @ x), members, x))
    top = max(lam for lam, _, _ in leaders)
    scores = np.zeros(W.n)
    for lam, members, x in leaders:
        if lam >= top * (1 - _EIG_TIE):
            scores[members] = np.maximum(x, 0.0) / x.max()
    return W.by_node(scores)


def _matrix_eigenvector(C: sp.csr_array, nodes: list[Hashable]) -> np.ndarray:
    """Leading eigenvector (2-norm 1, nonnegative) of the symmetric adjacency matrix ``C`` of
    a connected graph on ``nodes``, as :func:`_component_eigenvector` computes it."""
    import scipy.sparse as sp
    from scipy.sparse.linalg import eigs

    if len(nodes) >= _ARPACK_MIN_NODES:
        # What nx.eigenvector_centrality_numpy(C, weight="w") does, on the matrix itself.
        _, vector = eigs(C.T, k=1, which="LR", maxiter=50, tol=0)
        largest = vector.flatten().real
        return largest / (np.sign(largest.sum()) * np.linalg.norm(largest))
    H: nx.Graph[Hashable] = nx.Graph()
    H.add_nodes_from(nodes)
    upper = sp.triu(C).tocoo()
    H.add_edges_from(
        (nodes[u], nodes[v], {"w": w})
        for u, v, w in zip(upper.row.tolist(), upper.col.tolist(), upper.data.tolist(), strict=True)
    )
    x = _component_eigenvector(H)
    return np.array([x[v] for v in nodes])


def _pagerank(W: nx.Graph, alpha: float = 0.85) -> dict[Hashable, float]:
    """PageRank on a graph from :func:`_weighted_simple` (edge attribute ``"w"``)."""
    if W.number_of_nodes() == 0:
        return {}
    try:
        return nx.pagerank(W, alpha=alpha, weight="w", max_iter=1000)
    except ImportError:
        # nx.pagerank needs scipy, which is not a dependency of this project; networkx keeps a
        # pure-Python power iteration with the same definition (dangling nodes spread evenly).
        # private, so absent from the stubs
        from networkx.algorithms.link_analysis.pagerank_alg import (  # type: ignore[attr-defined]
            _pagerank_python,
        )

        return _pagerank_python(W, alpha=alpha, weight="w", max_iter=1000)


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------


def node_measures(
    G: nx.Graph, weight: str | None = None, *, k: int | None = None, seed: int | None = 0
) -> dict[Hashable, dict[str, float]]:
    r"""Centrality of every node: degree, strength, betweenness, closeness, eigenvector, PageRank.

    With :math:`A` the adjacency matrix of the collapsed simple graph (no self-loops) on
    :math:`n` nodes and :math:`w_{uv}` the summed ``weight`` of the relations from ``u`` to
    ``v``:

    * ``degree`` :math:`= \sum_u (A_{vu} + A_{uv})` on a DiGraph (in + out: a mutual tie counts
      twice, igraph's ``mode="all"``), :math:`\sum_u A_{vu}` on a Graph — distinct partners;
    * ``in_degree``, ``out_degree`` (DiGraph only);
    * ``strength`` :math:`= \sum_u (w_{vu} + w_{uv})`, and ``in_strength``, ``out_strength``
      on a DiGraph: the number of relations (``weight=None``) or the summed amounts;
    * ``betweenness`` :math:`= \sum_{s \ne v \ne t} \sigma_{st}(v) / \sigma_{st}`, divided by
      the number of pairs :math:`(n-1)(n-2)` (ordered, DiGraph: directed paths) or
      :math:`(n-1)(n-2)/2` (Graph) — networkx's normalized betweenness (Freeman 1977, Brandes
      2001), in [0, 1];
    * ``closeness`` :math:`= \frac{r_v - 1}{n - 1} \cdot \frac{r_v - 1}{\sum_u d(v, u)}` over
      the :math:`r_v - 1` nodes reachable from ``v`` in the undirected view (Wasserman & Faust
      1994, networkx's default). On a connected graph this is the classic
      :math:`(n-1)/\sum_u d(v,u)`, the score behind ``centralization(G, "closeness")``; on a
      disconnected one it discounts small components, so that two actors tied only to each
      other do not outrank the hub of the main component (igraph's ``closeness`` would give
      them 1.0);
    * ``eigenvector``: leading eigenvector :math:`x` of :math:`A` on the undirected view
      (a mutual directed tie weighs 2), scaled so that :math:`\max_v x_v = 1` (Bonacich 1972);
      see :func:`graph.analysis.metrics.centralization.centralization` for disconnected graphs. It
      is computed per connected component by networkx's power iteration on :math:`A + I`, which
      converges on every connected graph (bipartite ones included; the directed
      eigenvector, zero on acyclic graphs, is never iterated), or by ARPACK for components of
      1,000 nodes or more when scipy is installed. Should the iteration still not converge in
      10,000 steps (a vanishing spectral gap), a looser tolerance (1e-8) and then the
      weighted degree :math:`A\mathbf{1}` are used, with a ``RuntimeWarning``;
    * ``pagerank``: PageRank with damping 0.85 on the weighted graph (Page et al. 1999),
      summing to 1; a node whose out-relations all weigh 0 is treated as dangling.

    Parameters
    ----------
    G : networkx Graph, DiGraph, MultiGraph or MultiDiGraph
    weight : str or None
        Edge attribute summed by ``strength`` and used as tie strength by ``pagerank``
        (e.g. a funding amount). Parallel relations add up; a relation without the attribute
        counts 0. ``None``: every relation counts 1. ``"amount"`` is refused (ValueError)
        when the amounts are of several currencies or amount bases, or per-recruit levels:
        money is never added across them. Not used by degree, betweenness,
        closeness or eigenvector (see the module docstring).
    k : int or None
        Estimate betweenness from about ``k`` sampled source nodes, stratified by their reach
        (the estimator of :func:`graph.analysis.metrics.centralization.centralization`, unbiased for
        every node); ``None`` or ``k >= n``: exact. Closeness and the others stay exact.
    seed : int or None
        Seed of the betweenness sample.

    Returns
    -------
    dict
        ``{node: {measure: value}}`` with the keys above; an empty dict for an empty graph.

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.MultiDiGraph([("ministry", "region"), ("region", "recruiter")])
    >>> G.add_edge("ministry", "region", amount=5.0)
    1
    >>> m = node_measures(G, weight="amount")
    >>> m["region"]["degree"], m["region"]["in_strength"], m["region"]["betweenness"]
    (2.0, 5.0, 0.5)

    References
    ----------
    Freeman, L. C. (1978/79). Centrality in social networks: conceptual clarification.
    *Social Networks* 1, 215–239. Bonacich, P. (1972). Factoring and weighting approaches to
    status scores and clique identification. *J. Math. Sociology* 2, 113–120. Brandes, U.
    (2001). A faster algorithm for betweenness centrality. *J. Math. Sociology* 25, 163–177.
    Wasserman, S. & Faust, K. (1994). *Social Network Analysis*. Cambridge UP.
    """
    if weight == "amount":
        _refuse_mixed_money(G)
    S = _simple(G)
    if S.number_of_nodes() == 0:
        return {}
    return _node_measures(G, weight, _NodeScores(S, k=k, seed=seed))


def _refuse_mixed_money(G: nx.Graph) -> None:
    """ValueError when the funding amounts of ``G`` are not one kind of money: strength would
    add amounts in several currencies or on several bases, or per-recruit levels (a price per
    person, not money paid). Amounts that carry no currency (plain numbers) pass."""
    money = {
        (data.get("currency"), data.get("amount_basis"))
        for *_, data in G.edges(data=True)
        if data.get("amount") is not None
    }
    if len(money) > 1 or any(c is not None and b != "total" for c, b in money):
        raise InvalidArgument(
            "strength by amount would add money of several currencies or amount bases, or "
            "per-recruit levels: weigh by claim count (weight=None), or pass the simple view "
            "graph.analysis.projection.simple_view(G, weight='amount', currency=..., "
            "amount_basis='total') with weight='weight'"
        )


def _node_measures(
    G: nx.Graph, weight: str | None, scores: _NodeScores
) -> dict[Hashable, dict[str, float]]:
    """:func:`node_measures` with the path-based and spectral scores of ``scores``, whose
    simple graph is that of ``G`` (so that a report shares them with its centralization)."""
    S = scores.S
    W = _weighted_simple(G, weight)
    betweenness = scores.betweenness(normalized=True)
    closeness = scores.closeness(wf_improved=True, sampled=False)
    eigenvector = scores.eigenvector()
    pagerank = _pagerank(W)
    out: dict[Hashable, dict[str, float]] = {}
    for v in S:
        row: dict[str, float] = {"degree": float(S.degree(v))}
        if isinstance(S, nx.DiGraph) and isinstance(W, nx.DiGraph):  # G is directed
            row["in_degree"] = float(S.in_degree(v))
            row["out_degree"] = float(S.out_degree(v))
            row["in_strength"] = float(W.in_degree(v, weight="w"))
            row["out_strength"] = float(W.out_degree(v, weight="w"))
            row["strength"] = row["in_strength"] + row["out_strength"]
        else:
            row["strength"] = float(W.degree(v, weight="w"))
        row["betweenness"] = float(betweenness[v])
        row["closeness"] = float(closeness[v])
        row["eigenvector"] = float(eigenvector[v])
        row["pagerank"] = float(pagerank[v])
        out[v] = row
    return out


def ranked(
    measures: Mapping[Hashable, Mapping[str, float]], key: str, top: int | None = None
) -> list[tuple[Hashable, float]]:
    """Nodes ordered by one measure, highest first: a ranked table.

    Ties are broken by the node's string form, so the order is deterministic.

    Parameters
    ----------
    measures : mapping
        ``{node: {measure: value}}`` as returned by :func:`node_measures`.
    key : str
        The measure to rank by, e.g. ``"betweenness"``.
    top : int or None
        Keep the first ``top`` rows; ``None`` keeps all.

    Returns
    -------
    list of (node, value)

    Raises
    ------
    KeyError
        If some node has no value for ``key`` (e.g. ``"in_degree"`` of an undirected graph).

    Examples
    --------
    >>> ranked({"a": {"degree": 1.0}, "b": {"degree": 3.0}, "c": {"degree": 1.0}}, "degree")
    [('b', 3.0), ('a', 1.0), ('c', 1.0)]
    >>> ranked({"a": {"degree": 1.0}, "b": {"degree": 3.0}}, "degree", top=1)
    [('b', 3.0)]
    """
    if top is not None and top < 0:
        raise InvalidArgument(f"top must be >= 0, got {top}")
    return ranked_values({node: row[key] for node, row in measures.items()}, top)


def ranked_values(
    values: Mapping[Hashable, float], top: int | None = None
) -> list[tuple[Hashable, float]]:
    """:func:`ranked` of one measure given as ``{node: value}``.

    >>> ranked_values({"a": 1, "b": 3, "c": 1}, top=2)
    [('b', 3.0), ('a', 1.0)]
    """
    if top is not None and top < 0:
        raise InvalidArgument(f"top must be >= 0, got {top}")
    rows: list[tuple[Any, float]] = [(node, float(value)) for node, value in values.items()]
    rows.sort(key=lambda item: (-item[1], str(item[0])))
    return rows if top is None else rows[:top]
