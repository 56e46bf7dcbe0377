"""From claims to answers: the networkx projection of the claims
(:mod:`~graph.analysis.projection`), the measures computed on it
(:mod:`~graph.analysis.metrics`), the graph-level figures of one network
(:mod:`~graph.analysis.network`), reports, timelines and period comparisons
(:mod:`~graph.analysis.figures`), the claims and intervals behind each figure
(:mod:`~graph.analysis.evidence`), and lookups, neighbourhoods, paths, flows and network
exports (:mod:`~graph.analysis.queries`).

The questions analysts ask most are importable from this package::

    from graph import analysis
    analysis.report(store)
"""

from graph.analysis.figures import (
    COMPARE_ROUNDS,
    Duration,
    compare,
    data_span,
    node_table,
    parse_period,
    report,
    sliding_windows,
    timeline,
)
from graph.analysis.network import network_figures
from graph.analysis.projection import ProjectionFilter, project

__all__ = [
    "COMPARE_ROUNDS",
    "Duration",
    "ProjectionFilter",
    "compare",
    "data_span",
    "network_figures",
    "node_table",
    "parse_period",
    "project",
    "report",
    "sliding_windows",
    "timeline",
]
