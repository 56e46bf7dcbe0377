"""The simple views the measures of this package are computed on.

A multigraph is *collapsed* to the simple graph of the same directedness (two actors are tied
when at least one relation joins them) and self-loops are dropped; :func:`_weighted_simple`
keeps the number or the sum of the parallel relations as a tie strength. Every measures module
imports these (they are private to the package: analysts call
:func:`graph.analysis.projection.simple_view`).
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import overload

import networkx as nx

__all__: list[str] = []


@overload
def _simple(G: nx.DiGraph) -> nx.DiGraph: ...
@overload
def _simple(G: nx.Graph) -> nx.Graph: ...
def _simple(G: nx.Graph) -> nx.Graph:
    """The simple graph (same node set and directedness) without parallel edges or self-loops.

    A graph that is already simple and loop-free is returned as is, without a copy.
    """
    if not G.is_multigraph() and nx.number_of_selfloops(G) == 0:
        return G
    H: nx.Graph[Hashable] = nx.DiGraph() if G.is_directed() else nx.Graph()
    H.add_nodes_from(G)
    H.add_edges_from((u, v) for u, v in G.edges() if u != v)
    return H


def _directed_simple(G: nx.Graph) -> nx.DiGraph:
    """The simple directed view: a DiGraph as :func:`_simple`, an undirected edge as two arcs."""
    if isinstance(G, nx.DiGraph):
        return _simple(G)
    D: nx.DiGraph[Hashable] = nx.DiGraph()
    D.add_nodes_from(G)
    for u, v in G.edges():
        if u != v:
            D.add_edge(u, v)
            D.add_edge(v, u)
    return D


def _weighted_simple(G: nx.Graph, weight: str | None, missing: float = 0.0) -> nx.Graph:
    """Collapse ``G`` to a simple graph whose edge attribute ``"w"`` sums the parallel edges.

    With ``weight=None`` every relation counts 1, so ``"w"`` is the number of relations.
    An edge without the attribute (or with ``None``) contributes ``missing``.
    """
    H: nx.Graph[Hashable] = nx.DiGraph() if G.is_directed() else nx.Graph()
    H.add_nodes_from(G)
    for u, v, data in G.edges(data=True):
        if u == v:
            continue
        if weight is None:
            w = 1.0
        else:
            value = data.get(weight)
            w = missing if value is None else float(value)
        if H.has_edge(u, v):
            H[u][v]["w"] += w
        else:
            H.add_edge(u, v, w=w)
    return H
