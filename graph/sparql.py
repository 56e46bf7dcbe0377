"""Running SPARQL over the datasets, as the CLI, the HTTP API and notebooks all do.

Queries see the datasets as named graphs, and their union as the default graph, so that
``SELECT ?f WHERE { ?f a rg:FundingFlow }`` finds every claim. The internal graphs (the version
counter, staging graphs of loads in progress) are never visible.

Queries and updates are parsed (rdflib's SPARQL parser) before they run, and ``SERVICE`` and
``LOAD`` are refused: the engine would otherwise make outbound HTTP requests on a user's behalf.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import pyoxigraph as ox
from pyparsing import ParseException
from rdflib.plugins.sparql.parser import parseQuery, parseUpdate

from graph.namespaces import PREFIXES, dataset_name
from graph.store import QueryResult, Store


class QueryError(ValueError):
    """A query or update that is malformed or not allowed; the message says which and why."""


def _walk(node: Any) -> Iterable[Any]:
    yield node
    if isinstance(node, dict):
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list | tuple) or type(node).__name__ == "ParseResults":
        for item in node:
            yield from _walk(item)


def check_sparql(text: str, *, update: bool = False) -> None:
    """Parse a query (or update) and refuse what would reach outside the store.

    Raises QueryError with the parser's message for malformed text, and for ``SERVICE`` or
    ``LOAD``, which would make the server fetch from the network.
    """
    try:
        tree = parseUpdate(text) if update else parseQuery(text)
    except ParseException as error:
        kind = "update" if update else "query"
        raise QueryError(
            f"malformed SPARQL {kind} at line {error.lineno}, column {error.column}: {error.msg}"
        ) from None
    for node in _walk(tree):
        name = getattr(node, "name", None)
        if name == "ServiceGraphPattern":
            raise QueryError("SERVICE is not allowed: queries may not reach other endpoints")
        if name == "Load":
            raise QueryError("LOAD is not allowed: updates may not fetch documents")


def dataset_graphs(store: Store) -> list[str]:
    """IRIs of the named graphs that are datasets."""
    return sorted(g for g in store.graph_names() if dataset_name(g) is not None)


def run_query(
    store: Store,
    text: str,
    *,
    graphs: Sequence[str] | None = None,
    default_graph: Sequence[str] | None = None,
) -> QueryResult:
    """Run a SPARQL query over ``graphs`` (default: every dataset).

    ``default_graph`` is the graphs whose union is the query's default graph (the protocol's
    ``default-graph-uri``); it defaults to all of ``graphs``. Graphs outside ``graphs`` do not
    exist for the query, whatever its FROM, FROM NAMED or GRAPH clauses say. The prefixes of
    the vocabulary (rg:, prov:, schema:, dcterms:, skos:, …) need no declaration.
    """
    check_sparql(text)
    visible = list(dataset_graphs(store) if graphs is None else graphs)
    default = visible if default_graph is None else [g for g in default_graph if g in visible]
    try:
        return store.query(text, default_graph=default, named_graphs=visible, prefixes=PREFIXES)
    except SyntaxError as error:
        raise QueryError(f"malformed SPARQL query: {error}") from None


def result_rows(result: ox.QuerySolutions) -> tuple[list[str], list[list[str]]]:
    """Column names and the rows of a SELECT result, each cell as readable text."""
    columns = [v.value for v in result.variables]
    rows = []
    for solution in result:
        rows.append([_cell(solution[c]) for c in columns])
    return columns, rows


def _cell(term: Any) -> str:
    if term is None:
        return ""
    if isinstance(term, ox.NamedNode):
        for prefix, namespace in PREFIXES.items():
            if term.value.startswith(namespace):
                return f"{prefix}:{term.value[len(namespace) :]}"
        return term.value
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    return term.value


def format_table(columns: list[str], rows: list[list[str]], max_width: int = 60) -> str:
    """A plain-text table, cells cut to ``max_width`` characters."""

    def cut(text: str) -> str:
        text = text.replace("\n", " ")
        return text if len(text) <= max_width else text[: max_width - 1] + "…"

    cells = [[cut(c) for c in row] for row in rows]
    widths = [max([len(c), *(len(r[i]) for r in cells)]) for i, c in enumerate(columns)]
    line = "  ".join("-" * w for w in widths)
    out = ["  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)), line]
    out += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cells]
    out.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(out)


RESULT_FORMATS = {
    "json": ox.QueryResultsFormat.JSON,
    "xml": ox.QueryResultsFormat.XML,
    "csv": ox.QueryResultsFormat.CSV,
    "tsv": ox.QueryResultsFormat.TSV,
}
GRAPH_FORMATS = {
    "turtle": ox.RdfFormat.TURTLE,
    "ntriples": ox.RdfFormat.N_TRIPLES,
    "jsonld": ox.RdfFormat.JSON_LD,
    "rdfxml": ox.RdfFormat.RDF_XML,
}


def serialize_result(result: QueryResult, fmt: str) -> bytes:
    """``result`` in a standard format: json, xml, csv or tsv for SELECT and ASK results;
    turtle, ntriples, jsonld or rdfxml for CONSTRUCT and DESCRIBE results."""
    if isinstance(result, ox.QuerySolutions | ox.QueryBoolean):
        if fmt not in RESULT_FORMATS:
            raise QueryError(f"a SELECT or ASK result cannot be written as {fmt}")
        data = result.serialize(format=RESULT_FORMATS[fmt])
    else:
        graph_fmt = {"json": "jsonld", "csv": "ntriples", "tsv": "ntriples", "xml": "rdfxml"}.get(
            fmt, fmt
        )
        if graph_fmt not in GRAPH_FORMATS:
            raise QueryError(f"a CONSTRUCT or DESCRIBE result cannot be written as {fmt}")
        prefixes = PREFIXES if graph_fmt == "turtle" else None
        data = ox.serialize(result, format=GRAPH_FORMATS[graph_fmt], prefixes=prefixes)
    assert data is not None
    return data
