"""Network measures of the recruitment graph: pure functions from a networkx graph to plain data.

One concept per module, in the manner of networkx's algorithm modules:

* :mod:`~graph.analysis.metrics.node` — node-level centrality (degree, strength, betweenness,
  closeness, eigenvector, PageRank) and ranked tables;
* :mod:`~graph.analysis.metrics.centralization` — Freeman centralization, normalized as igraph
  (the public contract ``centralization(G, measure)``);
* :mod:`~graph.analysis.metrics.hierarchy` — global reaching centrality and Krackhardt's dimensions;
* :mod:`~graph.analysis.metrics.brokers` — brokers between two groups of actors;
* :mod:`~graph.analysis.metrics.report` — every graph-level figure in one flat dictionary.

All functions accept Graph, DiGraph, MultiGraph and MultiDiGraph; multigraphs are collapsed to
simple graphs and self-loops ignored (see each docstring). The path-based and spectral work goes
through networkx's public, dispatchable algorithms (``betweenness_centrality``,
``betweenness_centrality_subset``, ``closeness_centrality``, ``eigenvector_centrality``,
``pagerank``, ``condensation``, ...), so a networkx backend that implements one of them runs it
when enabled (``nx.config.backend_priority``), without a change here. nx-parallel 0.4
implements ``betweenness_centrality`` (the exact one, used up to ``analysis.EXACT_LIMIT``
actors) but not the subset variant behind the sampled estimate; bench/RESULTS.md has figures.
"""

from graph.analysis.metrics.brokers import brokers
from graph.analysis.metrics.centralization import (
    MEASURES,
    centralization,
    centralization_scores,
    theoretical_max,
)
from graph.analysis.metrics.hierarchy import global_reaching_centrality, krackhardt
from graph.analysis.metrics.node import node_measures, ranked
from graph.analysis.metrics.report import REPORT_KEYS, graph_level_report

__all__ = [
    "MEASURES",
    "REPORT_KEYS",
    "brokers",
    "centralization",
    "centralization_scores",
    "global_reaching_centrality",
    "graph_level_report",
    "krackhardt",
    "node_measures",
    "ranked",
    "theoretical_max",
]
