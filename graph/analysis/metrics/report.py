"""All graph-level figures of one network in one flat dictionary (one row of a timeline)."""

from __future__ import annotations

import networkx as nx

from graph.analysis.metrics.centralization import _centralizations
from graph.analysis.metrics.hierarchy import _grc_from_reach, _krackhardt
from graph.analysis.metrics.node import _NodeScores
from graph.analysis.metrics.views import _directed_simple

__all__ = ["REPORT_KEYS", "graph_level_report"]

#: Actor pairs drawn to estimate least upper boundedness when ``k`` asks for sampling.
LUB_PAIRS = 20_000

#: The keys of :func:`graph_level_report`, in order. Stable: timelines and exports rely on them.
REPORT_KEYS: tuple[str, ...] = (
    "centralization_degree",
    "centralization_in_degree",
    "centralization_out_degree",
    "centralization_betweenness",
    "centralization_closeness",
    "centralization_eigenvector",
    "global_reaching_centrality",
    "krackhardt_connectedness",
    "krackhardt_hierarchy",
    "krackhardt_efficiency",
    "krackhardt_lub",
)


def graph_level_report(
    G: nx.MultiDiGraph, *, k: int | None = None, seed: int | None = 0
) -> dict[str, float]:
    """Every graph-level measure of ``G``, computed on its simple directed view.

    The view keeps every node, collapses parallel relations into one arc and drops
    self-loops (an undirected edge becomes two opposite arcs). On it:

    * ``centralization_<m>`` for ``m`` in degree, in_degree, out_degree, betweenness,
      closeness, eigenvector: Freeman centralization as
      :func:`graph.analysis.metrics.centralization.centralization` defines it (igraph's
      normalization; degree is all-degree, closeness and eigenvector ignore direction),
      closeness with Wasserman–Faust scaling (``wf_improved=True``) so that the
      disconnected networks of a time window stay comparable;
    * ``global_reaching_centrality``: Mones et al. (2012), unweighted
      (:func:`graph.analysis.metrics.hierarchy.global_reaching_centrality`);
    * ``krackhardt_connectedness``, ``krackhardt_hierarchy``, ``krackhardt_efficiency``,
      ``krackhardt_lub``: Krackhardt (1994) (:func:`graph.analysis.metrics.hierarchy.krackhardt`).

    Every value is a float, never NaN: graphs with fewer than 3 nodes, without edges or
    without any reachable pair get the documented conventions of those functions. Each is
    in [0, 1] (for Wasserman–Faust closeness centralization this held on every graph
    tested; no bound is proven).

    Parameters
    ----------
    G : networkx.MultiDiGraph (any networkx graph is accepted)
    k : int or None
        For large graphs: estimate betweenness and closeness centralization from samples of
        about ``k`` nodes (stratified; see
        :func:`graph.analysis.metrics.centralization.centralization`)
        and least upper boundedness from 20,000 sampled pairs (see
        :func:`graph.analysis.metrics.hierarchy.krackhardt`); ``None`` is exact.
    seed : int or None
        Seed of those samples; the default makes a report reproducible.

    Returns
    -------
    dict
        ``{key: value}`` with exactly the keys of :data:`REPORT_KEYS`, in that order.

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.MultiDiGraph([("center", r) for r in ("a", "b", "c", "d")])
    >>> G.add_edge("center", "a")  # a second relation to the same actor
    1
    >>> report = graph_level_report(G)
    >>> report["centralization_out_degree"], report["global_reaching_centrality"]
    (1.0, 1.0)
    >>> report["krackhardt_hierarchy"], report["krackhardt_lub"]
    (1.0, 1.0)

    References
    ----------
    Freeman, L. C. (1978/79). Centrality in social networks: conceptual clarification.
    *Social Networks* 1, 215–239. Mones, E., Vicsek, L. & Vicsek, T. (2012). Hierarchy measure
    for complex networks. *PLoS ONE* 7(3), e33799. Krackhardt, D. (1994). Graph theoretical
    dimensions of informal organizations. In *Computational Organization Theory*, 89–111.
    """
    D = _directed_simple(G)
    return _graph_level_report(
        _NodeScores(D, k=k, seed=seed), lub_pairs=None if k is None else LUB_PAIRS, seed=seed
    )


def _graph_level_report(
    scores: _NodeScores, *, lub_pairs: int | None, seed: int | None
) -> dict[str, float]:
    """:func:`graph_level_report` of the simple digraph of ``scores``, reading its node scores
    from ``scores`` (which a node table of the same graph may share)."""
    n = scores.n
    arcs = scores.arcs()
    # Wasserman–Faust closeness keeps the index within [0, 1] on the disconnected networks
    # of a time window (reachable-only closeness lets a separate pair outrank the hub).
    report = {
        f"centralization_{m}": value
        for m, value in _centralizations(scores, wf_improved=True).items()
    }
    # One transitive closure for both GRC and Krackhardt's dimensions.
    reach = scores.reach()
    # As global_reaching_centrality: 0.0 below 2 nodes or without edges.
    grc = _grc_from_reach(reach, n) if n >= 2 and arcs else 0.0
    report["global_reaching_centrality"] = grc
    # Sampled graphs also get a sampled least upper boundedness (see krackhardt).
    k4 = _krackhardt(reach, scores.weak_components(), n, arcs, lub_pairs=lub_pairs, seed=seed)
    report["krackhardt_connectedness"] = k4["connectedness"]
    report["krackhardt_hierarchy"] = k4["hierarchy"]
    report["krackhardt_efficiency"] = k4["efficiency"]
    report["krackhardt_lub"] = k4["least_upper_boundedness"]
    return {key: report[key] for key in REPORT_KEYS}
