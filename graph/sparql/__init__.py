"""SPARQL over the datasets: the checks a text passes, running queries, results on the wire,
and what an update reads and writes.

:mod:`~graph.sparql.guard` refuses malformed text and outbound requests (``SERVICE``,
``LOAD``); :mod:`~graph.sparql.query` runs a query over the datasets a caller may see;
:mod:`~graph.sparql.results` serializes results with a size cap (in the formats of
:mod:`graph.store.formats`);
:mod:`~graph.sparql.update` reads from a parsed update the graphs it reads and writes,
:mod:`~graph.sparql.update_dataset` gives an update its dataset (the edits dataset as its
default graph, ``ALL`` as the caller's writable graphs, the protocol's ``USING`` parameters), and
:mod:`~graph.sparql.update_size` counts what it would write before it runs. The names most
callers need are importable from this package.
"""

from graph.sparql.guard import (
    MAX_NESTING,
    MAX_TERMS,
    AccessError,
    QueryError,
    QueryInfo,
    check_nesting,
    inspect_query,
)
from graph.sparql.query import (
    dataset_graphs,
    execute_query,
    format_table,
    known_graphs,
    python_value,
    query_dataset,
    result_records,
    result_rows,
    run_query,
    select_records,
)
from graph.sparql.results import (
    Serialized,
    accepts_html,
    format_name,
    is_graph_result,
    negotiate,
    serialize_capped,
    serialize_result,
)
from graph.sparql.update import DEFAULT_GRAPH, UpdatePlan, plan_update
from graph.sparql.update_dataset import resolve_update

__all__ = [
    "DEFAULT_GRAPH",
    "MAX_NESTING",
    "MAX_TERMS",
    "AccessError",
    "QueryError",
    "QueryInfo",
    "Serialized",
    "UpdatePlan",
    "accepts_html",
    "check_nesting",
    "dataset_graphs",
    "execute_query",
    "format_name",
    "format_table",
    "inspect_query",
    "is_graph_result",
    "known_graphs",
    "negotiate",
    "plan_update",
    "python_value",
    "query_dataset",
    "resolve_update",
    "result_records",
    "result_rows",
    "run_query",
    "select_records",
    "serialize_capped",
    "serialize_result",
]
