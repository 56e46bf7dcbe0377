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

from importlib import import_module
from typing import Any

#: Where each name importable from this package is defined. The modules are imported on first
#: use (PEP 562): ``import graph.analysis.projection`` does not pull in the metrics, the
#: evidence and the reports behind ``analysis.report``.
_HOME = {
    "COMPARE_ROUNDS": "figures",
    "Duration": "figures",
    "ProjectionFilter": "projection",
    "compare": "figures",
    "data_span": "figures",
    "network_figures": "network",
    "node_table": "figures",
    "parse_period": "figures",
    "project": "projection",
    "report": "figures",
    "sliding_windows": "figures",
    "timeline": "figures",
}

__all__ = sorted(_HOME)


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{_HOME[name]}"), name)


def __dir__() -> list[str]:
    return sorted([*globals(), *_HOME])
