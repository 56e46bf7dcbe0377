"""Network measures of the recruitment graph: pure functions from a networkx graph to plain data.

One concept per module, in the manner of networkx's algorithm modules:

* :mod:`~graph.metrics.node` — node-level centrality (degree, strength, betweenness, closeness,
  eigenvector, PageRank) and ranked tables;
* :mod:`~graph.metrics.centralization` — Freeman centralization, normalized as igraph
  (the public contract ``centralization(G, measure)``);
* :mod:`~graph.metrics.hierarchy` — global reaching centrality and Krackhardt's dimensions;
* :mod:`~graph.metrics.brokers` — brokers between two groups of actors;
* :mod:`~graph.metrics.report` — every graph-level figure in one flat dictionary.

All functions accept Graph, DiGraph, MultiGraph and MultiDiGraph; multigraphs are collapsed to
simple graphs and self-loops ignored (see each docstring). They call networkx's standard
algorithms, so a networkx backend (nx-parallel, nx-cugraph) speeds them up when installed.
"""

from graph.metrics.brokers import brokers
from graph.metrics.centralization import (
    MEASURES,
    centralization,
    centralization_scores,
    theoretical_max,
)
from graph.metrics.hierarchy import global_reaching_centrality, krackhardt
from graph.metrics.node import node_measures, ranked
from graph.metrics.report import REPORT_KEYS, graph_level_report

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
