"""The graph-level figures of one projection in one flat dictionary: the centralization and
hierarchy measures of :mod:`graph.analysis.metrics` beside the burden share, the regional share
of bonus claims, payer concentration and federal reach, with exact or sampled betweenness as
the network's size allows. A timeline row, and what :mod:`graph.analysis.evidence` recomputes
when it resamples claims.
"""

from __future__ import annotations

from typing import Any

import networkx as nx

from graph.analysis.metrics.burden import burden_share_median
from graph.analysis.metrics.funding import payer_concentration, regional_share_of_bonus_claims
from graph.analysis.metrics.node import _NodeScores
from graph.analysis.metrics.reach import federal_reach
from graph.analysis.metrics.report import LUB_PAIRS, _graph_level_report
from graph.analysis.metrics.sparse import SparseGraph
from graph.analysis.projection import simple_view

__all__ = ["EXACT_LIMIT", "SERIES_KEYS", "network_figures", "sample_size"]

#: Graphs up to this many actors get exact betweenness and closeness (the cited dataset has
#: about 160 actors). Larger ones get estimates from a sample whose size bounds the work of
#: the breadth-first searches behind them, each of which costs about actors + claims:
#: ``SAMPLE_WORK // (actors + claims)`` nodes, at least :data:`MIN_SAMPLE`, at most
#: :data:`SAMPLE` (10,000 synthetic actors: 125; 100,000: 12). The searches run in compiled
#: code (graph.analysis.metrics.sparse), about 40 ms each on 100,000 actors here.
#: bench/metrics_bench.py
#: measures the error of the estimates against exact values and their time (bench/RESULTS.md).
EXACT_LIMIT = 2000
SAMPLE = 256
MIN_SAMPLE = 8
SAMPLE_WORK = 5_000_000

#: The flat figures of a report that a timeline follows, besides the network measures.
SERIES_KEYS = (
    "burden_share_median",
    "regional_share_of_bonus_claims",
    "payer_concentration",
    "federal_reach",
    "federal_reach_schemes",
    "federal_reach_recruiters",
)


def sample_size(G: nx.Graph, sample: int | None = None) -> int | None:
    """How many nodes betweenness and closeness are estimated from: ``sample`` if given; else
    every node (exact, None) up to :data:`EXACT_LIMIT` actors, and beyond it
    ``SAMPLE_WORK // (actors + claims)`` bounded by :data:`MIN_SAMPLE` and :data:`SAMPLE`.

    How the sample is drawn (stratified, so that a few nodes at the top of a hierarchy are not
    missed) is told by :func:`graph.analysis.metrics.centralization.centralization`.
    """
    if sample is not None:
        return sample
    n = G.number_of_nodes()
    if n <= EXACT_LIMIT:
        return None
    return max(MIN_SAMPLE, min(SAMPLE, SAMPLE_WORK // (n + G.number_of_edges())))


def network_figures(G: nx.MultiDiGraph, *, sample: int | None = None) -> dict[str, Any]:
    """Every graph-level figure of a projection in one flat dictionary (a timeline row).

    ``sampled_from`` is None when betweenness and closeness are exact, else the number of
    nodes they were estimated from (see :func:`sample_size`).
    """
    return _network_figures(G, _scores(G, sample))


def _scores(G: nx.MultiDiGraph, sample: int | None) -> _NodeScores:
    """The node scores of a projection's simple view (``simple_view(G, weight="count")``),
    sampled as :func:`sample_size` says.

    The view is built only where a measure needs it as a networkx graph (see
    :meth:`graph.analysis.metrics.node._NodeScores.lazy`); a large projection's sampled
    scores come from its CSR form, read from the projection itself.
    """
    return _NodeScores.lazy(
        G.number_of_nodes(),
        lambda: simple_view(G, weight="count"),
        lambda: SparseGraph.simple_of(G),
        k=sample_size(G, sample),
        seed=0,
    )


def _network_figures(
    G: nx.MultiDiGraph,
    scores: _NodeScores,
    reach: dict[str, Any] | None = None,
) -> dict[str, Any]:
    figures: dict[str, Any] = {
        "actors": G.number_of_nodes(),
        "claims": G.number_of_edges(),
        "sampled_from": scores.k,
    }
    # A sampled report also estimates least upper boundedness from sampled pairs.
    lub_pairs = None if scores.k is None else LUB_PAIRS
    figures.update(_graph_level_report(scores, lub_pairs=lub_pairs, seed=0))
    reach = federal_reach(G) if reach is None else reach
    figures.update(
        burden_share_median=burden_share_median(G),
        regional_share_of_bonus_claims=regional_share_of_bonus_claims(G),
        payer_concentration=payer_concentration(G),
        federal_reach=reach["overall"],
        federal_reach_schemes=reach["schemes"],
        federal_reach_recruiters=reach["recruiters"],
    )
    return figures
