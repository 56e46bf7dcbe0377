"""Sparse arrays for the path-based measures of large graphs: breadth-first searches that
advance a whole level at a time in compiled code.

networkx walks a graph one Python step per arc: one breadth-first search of the simple view of
100,000 synthetic actors (250,000 arcs) takes about 0.3 s, and a report runs some 35 of them
(sampled betweenness and closeness, brokers) besides its components and eigenvector. Here a
simple graph is numbered in its node order and its arcs kept in compressed sparse row (CSR)
form in networkx's adjacency order (:class:`SparseGraph`). A search gathers every arc leaving
the current level with a few numpy operations, and these networks are a few levels deep;
components come from ``scipy.sparse.csgraph`` and eigenvectors from ARPACK, as networkx's
``eigenvector_centrality_numpy`` computes them.

The searches meet the nodes in networkx's order and add the same terms in the same order, so
betweenness (:func:`betweenness_subset`) and closeness (:func:`closeness`) are those of
networkx bit for bit (tested).

networkx backend dispatch: the measures of :mod:`graph.analysis.metrics` call networkx's public
algorithms, which a backend may run instead of networkx (``nx.config.backend_priority``).
Where a measure can use these arrays it first asks :func:`dispatched` whether networkx would
hand the algorithm to a backend; if so it calls networkx, so that the backend runs it, and
otherwise uses the arrays, which are faster than networkx's own Python code.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Hashable, Iterable
from dataclasses import dataclass
from functools import cached_property
from itertools import pairwise
from typing import TYPE_CHECKING, Any

import networkx as nx
import numpy as np

# scipy is imported where it is used: the server's HTTP process imports this module
# (for the operations' names) and never runs it, and scipy is a third of its memory
# (tests/test_memory.py).
if TYPE_CHECKING:
    import scipy.sparse as sp

__all__ = ["SparseGraph", "betweenness_subset", "closeness", "dispatched"]


def dispatched(*algorithms: Callable[..., Any]) -> bool:
    """Whether networkx would run any of ``algorithms`` (its dispatchable functions, such as
    ``nx.betweenness_centrality_subset``) on a backend rather than itself.

    networkx's rule: the function's own entry of ``nx.config.backend_priority`` if it has one,
    else the list for algorithms; the first backend listed that implements the function runs
    it. ``"networkx"`` itself in that list does not count as a backend.
    """
    priorities = nx.config.backend_priority
    for algorithm in algorithms:
        name = getattr(algorithm, "name", None)
        backends: Collection[str] = getattr(algorithm, "backends", set())
        # a BackendPriorities config at run time; the stubs call it a list of names
        algos = priorities.algos  # type: ignore[attr-defined]
        priority = priorities.get(name, algos) if name else algos  # type: ignore[attr-defined]
        if any(backend != "networkx" and backend in backends for backend in priority):
            return True
    return False


@dataclass(frozen=True, eq=False)
class SparseGraph:
    """The arcs of a simple graph in compressed sparse row (CSR) form.

    Node ``i`` is ``nodes[i]`` (the graph's node order); the arcs leaving ``i`` are
    ``indices[indptr[i]:indptr[i + 1]]``, in the graph's adjacency order, so that a search
    meets the nodes in the order networkx's would. An undirected graph has both arcs of each
    edge. ``data`` are the arcs' weights (None: 1 each).
    """

    nodes: list[Hashable]
    index: dict[Hashable, int]
    indptr: np.ndarray
    indices: np.ndarray
    directed: bool
    data: np.ndarray | None = None

    @classmethod
    def from_networkx(cls, G: nx.Graph) -> SparseGraph:
        """The CSR form of ``G``, a Graph or DiGraph (edge attributes are not read)."""
        nodes = list(G)
        index = {v: i for i, v in enumerate(nodes)}
        adjacency = G.adj
        degrees = np.fromiter((len(adjacency[v]) for v in nodes), dtype=np.int64, count=len(nodes))
        indptr = np.zeros(len(nodes) + 1, dtype=np.int64)
        np.cumsum(degrees, out=indptr[1:])
        indices = np.fromiter(
            (index[w] for v in nodes for w in adjacency[v]), dtype=np.int64, count=int(indptr[-1])
        )
        return cls(nodes, index, indptr, indices, G.is_directed())

    @classmethod
    def simple_of(cls, G: nx.DiGraph) -> SparseGraph:
        """The CSR form of the simple digraph of a digraph or multidigraph ``G`` (parallel
        arcs one arc, self-loops dropped), read from ``G`` itself: the arrays
        :meth:`from_networkx` gives for ``graph.analysis.projection.simple_view(G)``, whose
        node order and adjacency order are ``G``'s, without building that graph."""
        nodes = list(G)
        index = {v: i for i, v in enumerate(nodes)}
        adjacency = G.adj
        degrees = np.fromiter(
            (len(adjacency[v]) - (v in adjacency[v]) for v in nodes),
            dtype=np.int64,
            count=len(nodes),
        )
        indptr = np.zeros(len(nodes) + 1, dtype=np.int64)
        np.cumsum(degrees, out=indptr[1:])
        indices = np.fromiter(
            (index[w] for v in nodes for w in adjacency[v] if w != v),
            dtype=np.int64,
            count=int(indptr[-1]),
        )
        return cls(nodes, index, indptr, indices, True)

    @classmethod
    def of(cls, G: nx.Graph, known: SparseGraph | None = None) -> SparseGraph:
        """``known``, when the caller already has ``G`` in CSR form; else ``G``'s CSR form."""
        return known if known is not None else cls.from_networkx(G)

    @property
    def n(self) -> int:
        return len(self.nodes)

    @cached_property
    def matrix(self) -> sp.csr_array:
        """The weighted adjacency matrix: ``data`` (or 1.0) at (u, v) for each arc u -> v."""
        import scipy.sparse as sp

        data = np.ones(self.indices.size) if self.data is None else self.data
        return sp.csr_array((data, self.indices, self.indptr), shape=(self.n, self.n))

    @cached_property
    def undirected(self) -> SparseGraph:
        """The undirected view: an edge between two nodes joined by an arc either way, weighing
        the number of those arcs (1, or 2 for a mutual tie; igraph's ``directed=False``).

        Its arcs are in ascending node order, not networkx's: distances and eigenvectors do
        not depend on it.
        """
        if not self.directed:
            return self
        A = self.matrix
        W = (A + A.T).tocsr()
        W.sort_indices()
        return SparseGraph(self.nodes, self.index, W.indptr, W.indices, False, W.data)

    def by_node(self, values: np.ndarray) -> dict[Hashable, Any]:
        """``{node: value}`` of an array in node order (numpy numbers as Python ones)."""
        return dict(zip(self.nodes, values.tolist(), strict=True))

    def degrees(self) -> np.ndarray:
        """The number of arcs leaving each node (in an undirected graph: its degree)."""
        return np.diff(self.indptr)


def _arcs_leaving(
    indptr: np.ndarray, indices: np.ndarray, frontier: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The arcs of a CSR graph leaving ``frontier``, as (tails, heads), in the order a
    breadth-first search meets them: node after node, each one's arcs in adjacency order."""
    starts = indptr[frontier]
    counts = indptr[frontier + 1] - starts
    ends = np.cumsum(counts)
    total = int(ends[-1]) if ends.size else 0
    # Position of each arc in ``indices``: its tail's first arc plus its rank among them.
    positions = np.arange(total) + np.repeat(starts - ends + counts, counts)
    return np.repeat(frontier, counts), indices[positions]


@dataclass
class _Search:
    """A breadth-first search from one source (Brandes 2001, the forward phase)."""

    levels: list[np.ndarray]  # the nodes at distance 0, 1, 2, ... in the order visited
    arcs: list[tuple[np.ndarray, np.ndarray]]  # shortest-path arcs from level d to d + 1
    sigma: np.ndarray  # number of shortest paths from the source to each node


def _search(g: SparseGraph, source: int, *, count_paths: bool = True) -> _Search:
    """Breadth-first search from ``source``, visiting the nodes in networkx's order.

    networkx's search appends a node to its queue when it first meets it, taking the nodes of
    a level in queue order and each one's arcs in adjacency order; so the next level is the
    heads of the arcs leaving this one, unseen before, in the order of their first arc.
    ``sigma`` counts shortest paths as networkx does: each arc from level d to level d + 1 adds
    its tail's count to its head's, in the order the arcs are met (counts are whole numbers, so
    the order matters only beyond 2**53 paths).
    """
    dist = np.full(g.n, -1, dtype=np.int64)
    dist[source] = 0
    sigma = np.zeros(g.n)
    sigma[source] = 1.0
    frontier = np.array([source], dtype=np.int64)
    levels = [frontier]
    arcs: list[tuple[np.ndarray, np.ndarray]] = []
    depth = 0
    while True:
        tails, heads = _arcs_leaving(g.indptr, g.indices, frontier)
        unseen = heads[dist[heads] < 0]
        if unseen.size == 0:
            break
        _, first = np.unique(unseen, return_index=True)
        frontier = unseen[np.sort(first)]
        depth += 1
        dist[frontier] = depth
        levels.append(frontier)
        if count_paths:
            on_path = dist[heads] == depth
            tails, heads = tails[on_path], heads[on_path]
            np.add.at(sigma, heads, sigma[tails])
            arcs.append((tails, heads))
    return _Search(levels, arcs, sigma)


def betweenness_subset(
    g: SparseGraph, sources: Iterable[int], targets: Iterable[int]
) -> np.ndarray:
    r"""Source–target betweenness of every node: ``nx.betweenness_centrality_subset(G,
    sources, targets, normalized=False)``, bit for bit, as an array in node order.

    .. math:: b_{ST}(v) = \sum_{s \in S} \sum_{t \in T \setminus \{s\}}
              \frac{\sigma_{st}(v)}{\sigma_{st}}

    (halved on an undirected graph of three or more nodes, as networkx does). Brandes'
    accumulation of dependencies (Brandes 2001, 2008), one search per source in the order
    given: a node's dependency
    :math:`\delta_s(v) = \sum_{w:\, v \in P_s(w)} \frac{\sigma_{sv}}{\sigma_{sw}}
    (\mathbb{1}_{w \in T} + \delta_s(w))` is summed over its successors :math:`w` on shortest
    paths, deepest level first, and within a level in the reverse of the order visited —
    networkx's stack order, so every floating-point sum is the same.

    References
    ----------
    Brandes, U. (2001). A faster algorithm for betweenness centrality. *J. Math. Sociology*
    25, 163–177. Brandes, U. (2008). On variants of shortest-path betweenness centrality and
    their generic computation. *Social Networks* 30, 136–145.
    """
    betweenness = np.zeros(g.n)
    is_target = np.zeros(g.n)
    is_target[np.fromiter(targets, dtype=np.int64)] = 1.0
    rank = np.zeros(g.n, dtype=np.int64)
    for s in sources:
        search = _search(g, s)
        sigma = search.sigma
        delta = np.zeros(g.n)
        for level, (tails, heads) in zip(
            reversed(search.levels[1:]), reversed(search.arcs), strict=True
        ):
            rank[level] = np.arange(level.size)
            # networkx pops the nodes of a level last-visited first: sort the arcs by their
            # head in that order, so that each tail's terms add up in networkx's order. The
            # source is never a head, so "T minus s" needs no test (networkx's target_set).
            order = np.argsort(-rank[heads], kind="stable")
            tails, heads = tails[order], heads[order]
            coefficient = (delta[heads] + is_target[heads]) / sigma[heads]
            np.add.at(delta, tails, sigma[tails] * coefficient)
        delta[s] = 0.0  # networkx does not credit the source with its own dependencies
        betweenness += delta
    if not g.directed and g.n - 1 >= 2:
        # networkx counts each unordered pair of an undirected graph twice and halves it.
        betweenness *= 0.5
    return betweenness


def distances(g: SparseGraph, source: int) -> dict[int, int]:
    """``{node: hops}`` for the nodes ``source`` reaches (itself at 0), in the order visited."""
    found: dict[int, int] = {}
    for depth, level in enumerate(_search(g, source, count_paths=False).levels):
        found.update(dict.fromkeys(level.tolist(), depth))
    return found


def closeness(g: SparseGraph, source: int, *, wf_improved: bool) -> float:
    """``nx.closeness_centrality(G, u=nodes[source], wf_improved=...)`` of an undirected
    ``g``, bit for bit: :math:`(r - 1) / \\sum_u d(v, u)` over the :math:`r` nodes reached
    (``source`` included), times :math:`(r - 1)/(n - 1)` with ``wf_improved``; 0.0 if it
    reaches nobody."""
    levels = _search(g, source, count_paths=False).levels
    reached = sum(level.size for level in levels)
    total = sum(depth * level.size for depth, level in enumerate(levels))
    # The same operations as networkx's, on the same whole numbers.
    score = 0.0
    if total > 0.0 and g.n > 1:
        score = (reached - 1.0) / total
        if wf_improved:
            score *= (reached - 1.0) / (g.n - 1)
    return score


def _partition(count: int, labels: np.ndarray) -> list[np.ndarray]:
    """The node numbers with each label 0 .. count - 1, each in ascending order."""
    if count == 0:
        return []
    order = np.argsort(labels, kind="stable")
    return np.split(order, np.cumsum(np.bincount(labels, minlength=count))[:-1])


def components(g: SparseGraph) -> list[np.ndarray]:
    """The connected components of an undirected ``g`` (weakly connected components of a
    directed one), each an array of node numbers in ascending order (the graph's order), and
    in the order networkx finds them: by their first node."""
    from scipy.sparse import csgraph

    count, labels = csgraph.connected_components(g.matrix, directed=g.directed, connection="weak")
    parts = _partition(int(count), labels)
    parts.sort(key=lambda part: int(part[0]))
    return parts


def condensation(g: SparseGraph) -> tuple[np.ndarray, list[int], list[list[int]]]:
    """The condensation of a digraph: the strongly connected component (SCC) of each node,
    the SCCs in a topological order (every arc from an earlier one to a later one), and the
    parents of each SCC (those with an arc into it), each list in ascending order.

    The order is Kahn's: the SCCs without parents, then those whose parents are all listed,
    level by level.
    """
    from scipy.sparse import csgraph

    count, labels = csgraph.connected_components(g.matrix, directed=True, connection="strong")
    labels = labels.astype(np.int64)  # pairs of labels are numbered up to count**2 below
    tails = np.repeat(np.arange(g.n), np.diff(g.indptr))
    a, b = labels[tails], labels[g.indices]
    between = a != b
    # One arc per pair of SCCs, sorted by parent.
    pairs = np.unique(a[between] * count + b[between])
    parent, child = pairs // count, pairs % count
    per_parent = np.bincount(parent, minlength=count)
    indptr = np.zeros(count + 1, dtype=np.int64)
    np.cumsum(per_parent, out=indptr[1:])
    # The parents of each SCC: slices of one list (100,000 small arrays would cost more).
    flat = parent[np.argsort(child, kind="stable")].tolist()
    bounds = [0, *np.cumsum(np.bincount(child, minlength=count)).tolist()]
    parents = [flat[start:end] for start, end in pairwise(bounds)]
    # Kahn's algorithm, a level at a time.
    waiting = np.bincount(child, minlength=count)
    frontier = np.flatnonzero(waiting == 0)
    order: list[int] = []
    while frontier.size:
        order.extend(frontier.tolist())
        _, heads = _arcs_leaving(indptr, child, frontier)
        np.subtract.at(waiting, heads, 1)
        frontier = np.unique(heads[waiting[heads] == 0])
    return labels, order, parents
