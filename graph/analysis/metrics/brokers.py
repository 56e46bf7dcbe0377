"""Brokers: the intermediaries between two groups of actors (e.g. federal bodies and recruiters)."""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from typing import Any

import networkx as nx

from graph.analysis.metrics.node import _NodeScores
from graph.analysis.metrics.sparse import betweenness_subset, dispatched
from graph.analysis.metrics.views import _simple
from graph.errors import InvalidArgument

__all__ = ["brokers"]


def brokers(
    G: nx.Graph,
    sources: Iterable[Hashable],
    targets: Iterable[Hashable],
    top: int | None = 10,
    *,
    directed: bool = True,
) -> list[tuple[Hashable, float]]:
    r"""Actors through whom the shortest paths from ``sources`` to ``targets`` run.

    Source–target betweenness (Brandes 2008, networkx's ``betweenness_centrality_subset``):

    .. math::

        b_{ST}(v) = \sum_{s \in S} \sum_{t \in T, t \ne s} \frac{\sigma_{st}(v)}{\sigma_{st}}

    where :math:`\sigma_{st}` is the number of shortest :math:`s`–:math:`t` paths and
    :math:`\sigma_{st}(v)` the number through :math:`v`. :math:`b_{ST}(v)` is the number of
    source–target pairs "carried" by :math:`v` (fractionally when paths split): with federal
    bodies as ``sources`` and recruiters as ``targets``, the regional offices, agencies and
    schemes through which the center reaches the recruiters.

    Computed on the simple graph (multigraph collapsed, self-loops dropped), with directed
    paths on a DiGraph unless ``directed=False``. The endpoints themselves (every node of
    ``sources`` and ``targets``) are left out of the ranking, as are actors carrying no pair.
    Nodes of ``sources`` or ``targets`` absent from ``G`` are ignored (a time window may not
    contain them). Exact: the cost is one breadth-first search per source, so there is no
    sampling parameter.

    Parameters
    ----------
    G : networkx graph
    sources, targets : iterables of nodes
    top : int or None
        Number of brokers to return; ``None`` returns all.
    directed : bool
        Follow edge directions on a DiGraph (default); ``False`` ignores them.

    Returns
    -------
    list of (node, score)
        Highest :math:`b_{ST}` first; ties in node string order.

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.DiGraph([("mod", "region"), ("region", "r1"), ("region", "r2"), ("mod", "r3")])
    >>> brokers(G, ["mod"], ["r1", "r2", "r3"])
    [('region', 2.0)]

    References
    ----------
    Brandes, U. (2008). On variants of shortest-path betweenness centrality and their generic
    computation. *Social Networks* 30, 136–145. Gould, R. V. & Fernandez, R. M. (1989).
    Structures of mediation. *Sociological Methodology* 19, 89–126.
    """
    if top is not None and top < 0:
        raise InvalidArgument(f"top must be >= 0, got {top}")
    S = _simple(G)
    if not isinstance(S, nx.DiGraph) or not directed:
        # Both arcs of each edge: the same shortest paths, and networkx's directed subset
        # betweenness counts each (s, t) pair once, whereas its undirected one halves it.
        S = _undirected_as_digraph(S)
    return _brokers(_NodeScores(S), sources, targets, top)


def _brokers(
    graph: _NodeScores,
    sources: Iterable[Hashable],
    targets: Iterable[Hashable],
    top: int | None,
) -> list[tuple[Hashable, float]]:
    """:func:`brokers` of the simple digraph of ``graph`` (which a report shares with its
    other measures: the CSR form is built once)."""
    src = {s for s in sources if s in graph}
    dst = {t for t in targets if t in graph}
    if not src or not dst:
        return []
    endpoints = src | dst
    if dispatched(nx.betweenness_centrality_subset):
        scores = _subset_scores(graph.digraph, src, dst)
    else:
        # The same sums from compiled searches of the whole graph (the part _between leaves
        # out would only add zeros). The sources are taken in the graph's order: networkx
        # takes them in the order of a set of nodes, which varies between processes with
        # string hashing, and so do the last bits of its sums.
        g = graph.csr
        found = betweenness_subset(g, sorted(g.index[s] for s in src), [g.index[t] for t in dst])
        scores = g.by_node(found)
    rows = [(v, float(b)) for v, b in scores.items() if v not in endpoints and b > 0]
    rows.sort(key=lambda item: (-item[1], str(item[0])))
    return rows if top is None else rows[:top]


def _subset_scores(D: nx.DiGraph, src: set[Hashable], dst: set[Hashable]) -> dict[Hashable, float]:
    """networkx's source–target betweenness of the simple digraph ``D``."""
    # Only actors that a source reaches and that reach a target lie on a source–target path;
    # searching that part of the graph gives the same scores, bit for bit (see _between).
    H = _between(D, src, dst)
    return nx.betweenness_centrality_subset(
        H, sources={s for s in src if s in H}, targets={t for t in dst if t in H}, normalized=False
    )


def _undirected_as_digraph(S: nx.Graph) -> nx.DiGraph:
    D: nx.DiGraph[Hashable] = nx.DiGraph()
    D.add_nodes_from(S)
    for u, v in S.edges():
        D.add_edge(u, v)
        D.add_edge(v, u)
    return D


def _closure(adjacency: Any, start: Iterable[Hashable]) -> set[Hashable]:
    """``start`` and every node reachable from it along ``adjacency`` (succ or pred)."""
    seen = set(start)
    stack = list(seen)
    while stack:
        for v in adjacency[stack.pop()]:
            if v not in seen:
                seen.add(v)
                stack.append(v)
    return seen


def _between(D: nx.DiGraph, sources: set[Hashable], targets: set[Hashable]) -> nx.DiGraph:
    """The subgraph of ``D`` on the nodes reachable from ``sources`` that reach ``targets``,
    in ``D``'s node and edge order.

    Every shortest source–target path lies in it, and the breadth-first searches of
    ``betweenness_centrality_subset`` meet its nodes in the same order as in ``D`` (a node
    outside cannot lead back in), while the nodes left out would only add 0.0; so the
    scores are identical. On a network whose recruiters are its leaves, this leaves out the
    schemes and cohorts below them.
    """
    keep = _closure(D.succ, sources) & _closure(D.pred, targets)
    if len(keep) == D.number_of_nodes():
        return D
    H: nx.DiGraph[Hashable] = nx.DiGraph()
    H.add_nodes_from(v for v in D if v in keep)
    H.add_edges_from((u, v) for u, v in D.edges() if u in keep and v in keep)
    return H
