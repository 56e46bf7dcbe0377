"""Hierarchy of a directed network: global reaching centrality and Krackhardt's dimensions.

Both read the *reachability* structure of the graph: who can pass an order (or money) down to
whom along directed relations. They are computed on the condensation (strongly connected
components, each a set of mutually reachable actors) and its ancestor sets, so the cost is
that of the transitive closure, O(n·depth) on a chain of command rather than O(n³).
"""

from __future__ import annotations

import random
from array import array
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass

import networkx as nx
import numpy as np

from graph.analysis.metrics.sparse import SparseGraph, components, condensation, dispatched
from graph.analysis.metrics.views import _directed_simple, _simple, _weighted_simple

__all__ = ["global_reaching_centrality", "krackhardt"]


class _Ancestors:
    """The ancestors of every SCC of a DAG, all sets in one flat array.

    An ancestor is named by its *position* in the topological order (ancestors first). SCC
    ``c`` has set number ``set_of[c]`` (0: none), whose positions (in no particular order)
    are ``flat[indptr[s]:indptr[s + 1]]``. SCCs with the same parents share one set (the
    cohorts of one scheme and recruiter, the recruiters of one region). At 4 bytes an entry,
    the 35,176 sets of 100,000 synthetic actors (3.8 million entries) take 15 MiB; as Python
    frozensets they took 144 MiB (bench/RESULTS.md).
    """

    def __init__(self, set_of: np.ndarray, indptr: np.ndarray, flat: np.ndarray) -> None:
        self.set_of = set_of
        self.indptr = indptr
        self.flat = flat

    def __len__(self) -> int:
        return len(self.set_of)

    def count(self, c: int) -> int:
        """How many ancestors SCC ``c`` has."""
        s = self.set_of[c]
        return int(self.indptr[s + 1] - self.indptr[s])

    def of(self, c: int) -> frozenset[int]:
        """The positions of the ancestors of SCC ``c``."""
        s = self.set_of[c]
        return frozenset(self.flat[self.indptr[s] : self.indptr[s + 1]].tolist())


@dataclass(frozen=True)
class _Reach:
    """Reachability of a simple digraph, by strongly connected component (SCC)."""

    scc_of: dict[Hashable, int]  # actor -> its SCC
    order: list[int]  # the SCCs in topological order (ancestors first)
    position: dict[int, int]  # SCC -> its index in order
    size: dict[int, int]  # SCC -> number of actors
    ancestors: _Ancestors  # SCC -> positions of the SCCs with a path to it (itself excluded)
    below: dict[int, int]  # SCC -> actors in other SCCs that it reaches


def _reach(D: nx.DiGraph, csr: SparseGraph | None = None) -> _Reach:
    """The condensation of ``D`` and the ancestors of each SCC.

    The condensation comes from networkx (``condensation``, ``topological_sort``) where a
    backend is set to run those, otherwise from :func:`_compiled_reach` (``csr``: ``D`` in
    CSR form, if the caller has it). The SCCs are numbered and ordered differently, which
    changes nothing below: every figure read from here is a count, or (the least upper bound)
    does not depend on which topological order is taken.
    """
    if not dispatched(nx.condensation, nx.topological_sort):
        return _compiled_reach(SparseGraph.of(D, csr))
    C = nx.condensation(D)
    order = list(nx.topological_sort(C))
    size = {c: len(C.nodes[c]["members"]) for c in C}
    parents = [list(C.pred[c]) for c in range(len(C))]
    return _reach_of(C.graph["mapping"], order, size, parents)


def _compiled_reach(g: SparseGraph) -> _Reach:
    """:func:`_reach` of a digraph in CSR form, from
    :func:`graph.analysis.metrics.sparse.condensation`."""
    labels, order, parents = condensation(g)
    size = dict(enumerate(np.bincount(labels, minlength=len(order)).tolist()))
    return _reach_of(g.by_node(labels), order, size, parents)


def _reach_of(
    scc_of: dict[Hashable, int],
    order: list[int],
    size: dict[int, int],
    parents: Sequence[Iterable[int]],
) -> _Reach:
    """The reachability of a condensation: its SCCs in topological order, the size and the
    parents of each."""
    position = {c: i for i, c in enumerate(order)}
    ancestors = _ancestors(order, position, parents)
    return _Reach(scc_of, order, position, size, ancestors, _below(ancestors, order, size))


def _ancestors(
    order: list[int], position: dict[int, int], parents: Sequence[Iterable[int]]
) -> _Ancestors:
    """The ancestors of each node of a DAG, from its nodes in topological order (``position``:
    each one's index in it) and the parents of each.

    A node's set is its parents' sets and the parents themselves, merged in a Python set
    (faster than numpy's sorting merges on sets of a hundred) and kept as 4-byte integers.
    """
    sets = [array("i")]
    set_of = [0] * len(order)
    shared: dict[tuple[int, ...], int] = {(): 0}
    for c in order:
        key = tuple(parents[c])
        number = shared.get(key)
        if number is None:
            above = {position[p] for p in key}
            for p in key:
                above.update(sets[set_of[p]])
            number = shared[key] = len(sets)
            sets.append(array("i", above))
        set_of[c] = number
    indptr = np.zeros(len(sets) + 1, dtype=np.int64)
    np.cumsum([len(s) for s in sets], out=indptr[1:])
    flat = array("i")
    for s in sets:
        flat.extend(s)
    return _Ancestors(np.array(set_of, dtype=np.int64), indptr, np.frombuffer(flat, dtype=np.int32))


#: Ancestor sets whose entries :func:`_below` adds up at once (bounds its temporary arrays).
_BELOW_CHUNK = 1 << 20


def _below(ancestors: _Ancestors, order: list[int], size: dict[int, int]) -> dict[int, int]:
    """For each SCC, the actors of the other SCCs it reaches: the sizes of the SCCs of which
    it is an ancestor, added up (in numpy: the ancestor sets hold millions of entries)."""
    sizes = np.fromiter((size[c] for c in range(len(order))), dtype=np.float64, count=len(order))
    # The actors of the SCCs of each set, then each set's entries credited with them, a few
    # sets at a time. Whole numbers below 2**53: the float sums are exact.
    weight = np.bincount(ancestors.set_of, weights=sizes, minlength=len(ancestors.indptr) - 1)
    lengths = np.diff(ancestors.indptr)
    totals = np.zeros(len(order))
    first = 0
    while first < len(lengths):
        last = int(np.searchsorted(ancestors.indptr, ancestors.indptr[first] + _BELOW_CHUNK))
        last = min(max(last, first + 1), len(lengths))
        entries = ancestors.flat[ancestors.indptr[first] : ancestors.indptr[last]]
        credit = np.repeat(weight[first:last], lengths[first:last])
        totals += np.bincount(entries, weights=credit, minlength=len(order))
        first = last
    by_position = totals.astype(np.int64).tolist()
    return {c: by_position[i] for i, c in enumerate(order)}


# --------------------------------------------------------------------------------------------
# Global reaching centrality
# --------------------------------------------------------------------------------------------


def global_reaching_centrality(G: nx.Graph, weight: str | None = None) -> float:
    r"""Global reaching centrality (GRC) of Mones, Vicsek & Vicsek (2012), in [0, 1].

    .. math::

        \mathrm{GRC} = \frac{1}{n-1} \sum_{v} \left(C_R^{\max} - C_R(v)\right)

    where the local reaching centrality :math:`C_R(v)` of an unweighted digraph is the share
    of the other :math:`n-1` nodes that :math:`v` reaches by directed paths, and
    :math:`C_R^{\max}` its maximum. 1: one actor reaches everybody and nobody else reaches
    anyone (the out-star); 0: every actor reaches the same number of others (a cycle, a
    complete graph). For undirected or weighted graphs :math:`C_R(v)` averages, over the
    nodes reachable from :math:`v`, the mean edge weight of the shortest path (1/length when
    unweighted), as in networkx (weights as tie strengths, normalized by their mean).

    Multigraphs are collapsed (``weight`` summed over parallel edges; an edge without it
    counts 1, networkx's convention, as weights here are divided into path lengths);
    self-loops are ignored.

    Edge cases, where ``nx.global_reaching_centrality`` raises: fewer than 2 nodes → 0.0
    (the :math:`1/(n-1)` factor is undefined); no edges, or weights summing to 0 → 0.0
    (nobody reaches anybody, all :math:`C_R = 0`). Negative weights raise
    ``networkx.NetworkXError``.

    The unweighted directed case (the one :func:`graph.analysis.metrics.report.graph_level_report`
    uses) is computed from reach counts on the condensation; networkx's function, used for
    the other cases, stores all-pairs shortest paths (O(n²) memory) to count the same thing.
    Both give the same value (tested).

    Parameters
    ----------
    G : networkx graph, directed or not, multi or simple
    weight : str or None
        Edge attribute used as tie strength; ``None`` for unweighted.

    Returns
    -------
    float

    Examples
    --------
    >>> import networkx as nx
    >>> global_reaching_centrality(nx.DiGraph([(0, 1), (0, 2), (0, 3)]))  # out-star
    1.0
    >>> global_reaching_centrality(nx.DiGraph([(0, 1), (1, 2)]))  # (0 + 1/2 + 1) / 2
    0.75
    >>> global_reaching_centrality(nx.cycle_graph(5, create_using=nx.DiGraph))
    0.0

    References
    ----------
    Mones, E., Vicsek, L. & Vicsek, T. (2012). Hierarchy measure for complex networks.
    *PLoS ONE* 7(3), e33799. https://doi.org/10.1371/journal.pone.0033799
    """
    n = G.number_of_nodes()
    if n < 2:
        return 0.0
    if weight is None:
        S = _simple(G)
    else:
        S = _weighted_simple(G, weight, missing=1.0)
        nx.set_edge_attributes(S, {(u, v): d["w"] for u, v, d in S.edges(data=True)}, weight)
    if S.number_of_edges() == 0 or (weight is not None and S.size(weight=weight) == 0):
        return 0.0
    if weight is not None or not isinstance(S, nx.DiGraph):
        # networkx computes it on a Graph too; the stubs follow its docstring's DiGraph
        return float(nx.global_reaching_centrality(S, weight=weight))  # type: ignore[call-overload]
    return _grc_from_reach(_reach(S), n)


def _grc_from_reach(reach: _Reach, n: int) -> float:
    r"""Unweighted directed GRC from the reachability of a simple digraph with edges.

    Every actor of SCC :math:`c` reaches the :math:`r_c = |c| - 1 + \mathrm{below}(c)` other
    members of :math:`c` and actors below it, so :math:`C_R = r_c / (n - 1)` and

    .. math:: \mathrm{GRC} = \frac{\sum_c |c| \, (\max_{c'} r_{c'} - r_c)}{(n - 1)^2},

    summed in whole numbers and divided once: correctly rounded, whatever the order of the
    SCCs (which differs between the ways of finding them, see :func:`_reach`).
    """
    reached = {c: reach.size[c] - 1 + below for c, below in reach.below.items()}
    top = max(reached.values())
    return sum(reach.size[c] * (top - r) for c, r in reached.items()) / (n - 1) ** 2


# --------------------------------------------------------------------------------------------
# Krackhardt's graph theoretical dimensions of hierarchy
# --------------------------------------------------------------------------------------------


def _lub_violations(reach: _Reach, component: list[int]) -> int:
    """Pairs of actors of one weak component that have no least upper bound.

    Actors are grouped by their set of proper ancestors: two incomparable actors with
    ancestor sets K and L have the common upper bounds U = K ∩ L, and whether U has a least
    element depends on (K, L) only. A least element, if any, is the last of U in topological
    order, so the test is one subset check. Comparable pairs (one reaches the other, which is
    then a least upper bound) never violate and are subtracted. SCCs are named by their
    positions in topological order here, as in their ancestor sets.
    """
    ancestors = {reach.position[c]: reach.ancestors.of(c) for c in component}
    size = {reach.position[c]: reach.size[c] for c in component}
    groups: dict[frozenset[int], list[int]] = {}
    for c, above in ancestors.items():
        groups.setdefault(above, []).append(c)
    keys = list(groups)
    weight = [sum(size[c] for c in groups[key]) for key in keys]
    group_of = {c: g for g, key in enumerate(keys) for c in groups[key]}
    # comparable[g][h]: ordered actor pairs (a in g, b in h) with a an ancestor of b.
    comparable: list[dict[int, int]] = [{} for _ in keys]
    for h, key in enumerate(keys):
        for a in key:
            g = group_of[a]
            comparable[g][h] = comparable[g].get(h, 0) + size[a] * weight[h]

    def has_lub(upper: frozenset[int]) -> bool:
        return bool(upper) and _has_least(upper, ancestors[max(upper)])

    violations = 0
    for g, key in enumerate(keys):
        # Within a group, distinct SCCs are incomparable (same proper ancestors, no cycle);
        # actors of one SCC reach each other.
        same = weight[g] * weight[g] - sum(size[c] ** 2 for c in groups[key])
        if same and not has_lub(key):
            violations += same // 2
        for h in range(g + 1, len(keys)):
            pairs = weight[g] * weight[h] - comparable[g].get(h, 0) - comparable[h].get(g, 0)
            if pairs and not has_lub(key & keys[h]):
                violations += pairs
    return violations


def _has_least(upper: frozenset[int], above_last: frozenset[int]) -> bool:
    """Whether the common upper bounds ``upper`` (positions, not empty) have a least element:
    whether every other one is an ancestor of the last of them (whose ancestors are
    ``above_last``), which is not its own ancestor."""
    return len(upper - above_last) == 1


#: The ancestor sets of least-upper-bound candidates that :func:`_sampled_lub_violations`
#: keeps (a few heads of a hierarchy recur); past this many it starts afresh.
_KEPT_SETS = 4096


def _sampled_lub_violations(
    reach: _Reach, scc_of: dict[Hashable, int], nodes: list[Hashable], pairs: int, seed: int | None
) -> float:
    """Estimated pairs of actors of one weak component without a least upper bound, from
    ``pairs`` actor pairs drawn uniformly at random (with replacement)."""
    rng = random.Random(seed)
    ancestors, position, order = reach.ancestors, reach.position, reach.order
    kept: dict[int, frozenset[int]] = {}
    misses = 0
    for _ in range(pairs):
        a, b = rng.sample(nodes, 2)
        x, y = scc_of[a], scc_of[b]
        if x == y:
            continue  # actors of one SCC reach each other
        above_x, above_y = ancestors.of(x), ancestors.of(y)
        if position[x] in above_y or position[y] in above_x:
            continue  # comparable: one reaches the other, which is their LUB
        upper = above_x & above_y
        if not upper:
            misses += 1
            continue
        last = max(upper)
        above_last = kept.get(last)
        if above_last is None:
            if len(kept) >= _KEPT_SETS:
                kept.clear()
            above_last = kept[last] = ancestors.of(order[last])
        if not _has_least(upper, above_last):
            misses += 1
    total = len(nodes) * (len(nodes) - 1) // 2
    return misses / pairs * total


def krackhardt(
    G: nx.Graph, *, lub_pairs: int | None = None, seed: int | None = 0
) -> dict[str, float]:
    r"""Krackhardt's four dimensions of hierarchy: all 1 for an out-tree (a chain of command).

    Computed on the simple directed graph of ``G`` (multigraphs collapsed, self-loops dropped;
    an undirected edge becomes two opposite arcs, as sna reads a symmetric matrix). With
    :math:`n` nodes, weak components of sizes :math:`N_1, \dots, N_k`, reachability
    :math:`i \to j` along directed paths (every node reaches itself):

    * **connectedness** :math:`= 1 - V / \binom{n}{2}`, where :math:`V` is the number of
      unordered pairs in different weak components (not joined by any semipath). 1.0 when
      :math:`n \le 1` (sna's convention).
    * **hierarchy** :math:`= A / (A + M)`, where :math:`M` is the number of unordered pairs
      that reach each other both ways and :math:`A` the number of unordered pairs in which
      exactly one reaches the other: the share of asymmetric pairs among the reachable
      *unordered* pairs (sna ≥ 2: ``1 - grecip(reachability(g), "dyadic.nonnull")``).
      0.0 when no pair is reachable (0/0; sna gives NaN). sna 0.4x counted *ordered* pairs
      (``"edgewise"``: :math:`1 - 2M/(2M + A)`); both are 1 on an out-tree and 0 on a cycle.
    * **efficiency** :math:`= 1 - \frac{E - \sum_i (N_i - 1)}{\sum_i (N_i - 1)^2}`, where
      :math:`E` is the number of arcs (a mutual tie counts 2): the share of the arcs that a
      weak component could hold beyond the :math:`N_i - 1` it needs to be connected which it
      does not hold, per component as in Krackhardt and sna's ``efficiency``. 1.0 when the
      denominator is 0 (no component has two nodes: no arc can be redundant; sna gives NaN).
    * **least_upper_boundedness** :math:`= 1 - \frac{\sum_i \#\{\text{pairs of } G_i
      \text{ without a LUB}\}}{\sum_{i: N_i \ge 3} (N_i - 1)(N_i - 2)/2}`. An upper bound of
      :math:`i, j` is a node reaching both; it is *least* when every upper bound of
      :math:`i, j` reaches it (the lowest common boss). A pair of which one reaches the
      other always has one. 1.0 when no weak component has 3 or more nodes (sna gives NaN).

    Differences from sna 2.x: the 0/0 conventions above; and the least upper bound test.
    sna's documentation and its pure-R implementation (0.4x) ask that every upper bound reach
    the LUB, as here, but its compiled ``lubness_con_R`` asks that the LUB reach every upper
    bound (the *greatest* upper bound). They agree whenever the upper bounds of each pair form
    a chain (out-trees, in-trees, anything with a unique boss per actor), and differ when an
    actor has two incomparable bosses under a common head: here that is a violation of
    unity of command, in compiled sna it is not.

    Cost: linear in the transitive closure for the first three; LUB groups the actors of a
    component by their set of ancestors and tests each pair of groups once, so a chain of
    command of 100,000 actors with a few hundred distinct ancestor sets takes seconds (the
    naive pairwise test of sna is O(n³) and more).

    On large networks with many distinct ancestor sets (a synthetic hierarchy of 10,000 actors
    took 90 s) ``lub_pairs`` estimates the violations of each weak component from that many
    random actor pairs instead: the share of pairs without a LUB, :math:`\hat f`, times the
    component's pairs, with standard error :math:`\sqrt{\hat f (1 - \hat f) / m}` of the share
    for :math:`m` pairs (0.0035 at most for 20,000 pairs).

    Parameters
    ----------
    G : networkx graph (directed expected; undirected accepted as mutual ties)
    lub_pairs : int or None
        Estimate least upper boundedness from this many sampled pairs per weak component
        that has more pairs than that; ``None`` is exact.
    seed : int or None
        Seed of that sample.

    Returns
    -------
    dict
        ``{"connectedness", "hierarchy", "efficiency", "least_upper_boundedness"}``, each a
        float in [0, 1].

    Examples
    --------
    >>> import networkx as nx
    >>> tree = nx.DiGraph([(0, 1), (0, 2), (1, 3), (1, 4)])  # an out-tree
    >>> krackhardt(tree)  # doctest: +NORMALIZE_WHITESPACE
    {'connectedness': 1.0, 'hierarchy': 1.0, 'efficiency': 1.0,
     'least_upper_boundedness': 1.0}
    >>> krackhardt(nx.cycle_graph(4, create_using=nx.DiGraph))["hierarchy"]
    0.0
    >>> krackhardt(nx.DiGraph([(1, 0), (2, 0), (3, 0)]))["least_upper_boundedness"]  # in-star
    0.0

    References
    ----------
    Krackhardt, D. (1994). Graph theoretical dimensions of informal organizations. In
    K. Carley & M. Prietula (eds.), *Computational Organization Theory*, 89–111. Hillsdale,
    NJ: Lawrence Erlbaum. Everett, M. G. & Krackhardt, D. (2012). A second look at
    Krackhardt's graph theoretical dimensions of informal organizations. *Social Networks*
    34, 159–163. Butts, C. T. sna: Tools for Social Network Analysis (R package),
    ``connectedness``, ``hierarchy``, ``efficiency``, ``lubness``.
    """
    D = _directed_simple(G)
    if dispatched(nx.weakly_connected_components):
        csr = None
        weak = _weak_components(D)
    else:
        csr = SparseGraph.from_networkx(D)
        weak = _compiled_weak_components(csr)
    reach = _reach(D, csr)
    return _krackhardt(
        reach, weak, D.number_of_nodes(), D.number_of_edges(), lub_pairs=lub_pairs, seed=seed
    )


def _weak_components(D: nx.DiGraph) -> list[list[Hashable]]:
    """networkx's weakly connected components of ``D`` (in the order it finds them: by first
    node), each in ``D``'s node order."""
    position = {v: i for i, v in enumerate(D)}
    return [sorted(c, key=position.__getitem__) for c in nx.weakly_connected_components(D)]


def _compiled_weak_components(g: SparseGraph) -> list[list[Hashable]]:
    """:func:`_weak_components` of a digraph in CSR form, from scipy."""
    return [[g.nodes[i] for i in part.tolist()] for part in components(g)]


def _krackhardt(
    reach: _Reach,
    weak: list[list[Hashable]],
    n: int,
    arcs: int,
    *,
    lub_pairs: int | None,
    seed: int | None,
) -> dict[str, float]:
    """:func:`krackhardt` of a simple digraph of ``n`` nodes and ``arcs`` arcs whose
    reachability and weak components (as :func:`_weak_components` gives them: in the same
    order, so that sampled estimates add up in the same order) are already known."""
    if n <= 1:
        connectedness = 1.0
    else:
        joined = sum(len(c) * (len(c) - 1) // 2 for c in weak)
        connectedness = joined / (n * (n - 1) / 2)

    mutual = sum(s * (s - 1) // 2 for s in reach.size.values())
    # Ordered pairs (a, b) with a reaching b but not back: sum over SCCs c of |c| times the
    # actors below c (the same count as summing |c| * |ancestors| over the SCCs c).
    one_way = sum(reach.size[c] * below for c, below in reach.below.items())
    hierarchy = one_way / (one_way + mutual) if one_way + mutual else 0.0

    required = sum(len(c) - 1 for c in weak)
    room = sum((len(c) - 1) ** 2 for c in weak)
    efficiency = 1.0 - (arcs - required) / room if room else 1.0

    scc_of = reach.scc_of
    violations: float = 0  # a sampled count is an estimate
    max_violations = 0
    for nodes in weak:
        if len(nodes) < 3:
            continue  # two weakly joined actors are always comparable
        max_violations += (len(nodes) - 1) * (len(nodes) - 2) // 2
        if lub_pairs is not None and len(nodes) * (len(nodes) - 1) // 2 > lub_pairs:
            # Drawn from the component in the graph's node order (not networkx's set, whose
            # order varies with string hashing): the seed gives the same sample every time.
            violations += _sampled_lub_violations(reach, scc_of, nodes, lub_pairs, seed)
        else:
            violations += _lub_violations(reach, sorted({scc_of[v] for v in nodes}))
    lub = max(0.0, 1.0 - violations / max_violations) if max_violations else 1.0

    return {
        "connectedness": float(connectedness),
        "hierarchy": float(hierarchy),
        "efficiency": float(efficiency),
        "least_upper_boundedness": float(lub),
    }
