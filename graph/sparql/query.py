"""Running SPARQL queries over the datasets, as the CLI, the HTTP API and notebooks all do.

Queries see the datasets as named graphs, and their union as the default graph, so that
``SELECT ?f WHERE { ?f a rg:FundingFlow }`` finds every claim. The internal graphs (the version
counter, staging graphs of loads in progress) are never visible. What a caller may see is
decided by the graphs given to the engine (``default_graph`` and ``named_graphs``, which
override ``FROM``, ``FROM NAMED`` and ``GRAPH <iri>``); query text is never rewritten.
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Sequence
from datetime import date, datetime
from typing import Any
from urllib.parse import urljoin

import pyoxigraph as ox

from graph.model.namespaces import PREFIXES, XSD
from graph.sparql.guard import _NO_INFO, QueryError, QueryInfo, inspect_query
from graph.sparql.union import union_serves
from graph.store import QueryResult, Store
from graph.store.stores import dataset_graphs


def query_dataset(
    visible: Sequence[str],
    info: QueryInfo = _NO_INFO,
    default_graph_uri: Sequence[str] | None = None,
    named_graph_uri: Sequence[str] | None = None,
    base_iri: str | None = None,
) -> tuple[list[str], list[str]]:
    """The (default graphs, named graphs) a query runs over, each within ``visible``.

    The protocol's ``default-graph-uri`` / ``named-graph-uri`` win over the query's ``FROM`` /
    ``FROM NAMED``, which win over the default: the union of the visible graphs as the default
    graph and each visible graph as a named graph. As in SPARQL, giving only one of the two
    leaves the other empty. A graph named by the protocol's parameters that is not visible is
    a QueryError naming it (the same whether it does not exist or is hidden); one named by
    ``FROM`` is simply absent, as in Oxigraph. Relative IRIs in ``FROM`` resolve against
    ``base_iri``.
    """
    allowed = set(visible)
    if default_graph_uri or named_graph_uri:
        return (
            known_graphs(default_graph_uri or (), allowed, "default-graph-uri"),
            known_graphs(named_graph_uri or (), allowed, "named-graph-uri"),
        )
    if info.from_default is None and info.from_named is None:
        return list(visible), list(visible)
    default, named = dataset_clause(info, base_iri)
    return [g for g in default if g in allowed], [g for g in named if g in allowed]


def dataset_clause(info: QueryInfo, base_iri: str | None = None) -> tuple[list[str], list[str]]:
    """The graphs of a query's ``FROM`` and ``FROM NAMED``, relative IRIs resolved against
    ``base_iri``."""
    return (
        [urljoin(base_iri or "", g) for g in info.from_default or ()],
        [urljoin(base_iri or "", g) for g in info.from_named or ()],
    )


def check_dataset_clause(
    info: QueryInfo, default: Sequence[str], named: Sequence[str], base_iri: str | None = None
) -> None:
    """QueryError unless every graph of the query's ``FROM`` is among ``default`` and every one
    of its ``FROM NAMED`` among ``named``: the check for a store whose server lets the query's
    own dataset clause win over the protocol's parameters (Virtuoso 7), which would otherwise
    read any graph the query names. The same words whether a graph is hidden or absent."""
    from_default, from_named = dataset_clause(info, base_iri)
    outside = [g for g in from_default if g not in default]
    outside += [g for g in from_named if g not in named]
    if outside:
        raise QueryError(
            f"unknown graph <{outside[0]}> in FROM or FROM NAMED: no such dataset, or not one "
            "you may read, or not one of the graphs that default-graph-uri / named-graph-uri "
            "name (this store cannot run the query without it)"
        )


def known_graphs(graphs: Sequence[str], visible: Collection[str], parameter: str) -> list[str]:
    """``graphs``, named by the protocol's ``parameter`` (``default-graph-uri``…), if each is in
    ``visible``; else QueryError naming the first that is not, in the same words whether it
    does not exist or is hidden from the caller.

    >>> known_graphs(["http://g"], ["http://h"], "default-graph-uri")
    Traceback (most recent call last):
    ...
    graph.sparql.guard.QueryError: unknown graph <http://g> in default-graph-uri: ...
    """
    for graph in graphs:
        if graph not in visible:
            raise QueryError(
                f"unknown graph <{graph}> in {parameter}: no such dataset, or not one you may read"
            )
    return list(graphs)


def execute_query(
    store: Store,
    text: str,
    visible: Sequence[str],
    *,
    default_graph_uri: Sequence[str] | None = None,
    named_graph_uri: Sequence[str] | None = None,
    allow: Sequence[str] = (),
    base_iri: str | None = None,
) -> QueryResult:
    """Run a query over the graphs in ``visible`` only (see :func:`query_dataset`); relative
    IRIs resolve against ``base_iri`` (an endpoint's URL)."""
    info = inspect_query(text, allow=allow)
    default, named = query_dataset(visible, info, default_graph_uri, named_graph_uri, base_iri)
    if not store.honours_dataset_parameters:
        check_dataset_clause(info, default, named, base_iri)
    try:
        return store.query(
            text,
            default_graph=default,
            named_graphs=named,
            prefixes=PREFIXES,
            base_iri=base_iri,
            ignores_hidden=functools.partial(union_serves, text, PREFIXES),
        )
    except SyntaxError as error:
        raise QueryError(f"malformed SPARQL query: {error}") from None
    except RuntimeError as error:
        # pyoxigraph's error for a well-formed query it will not evaluate (an unknown
        # function, say); its subclasses (RecursionError…) are Python's own, not the query's.
        if type(error) is not RuntimeError:
            raise
        raise QueryError(f"the query cannot be evaluated: {error}") from None


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
    visible = list(dataset_graphs(store) if graphs is None else graphs)
    if default_graph is not None:
        return execute_query(
            store, text, visible, default_graph_uri=default_graph, named_graph_uri=visible
        )
    return execute_query(store, text, visible)


def result_rows(result: ox.QuerySolutions) -> tuple[list[str], list[list[str]]]:
    """Column names and the rows of a SELECT result, each cell as readable text."""
    columns = [v.value for v in result.variables]
    rows = []
    for solution in result:
        rows.append([_cell(solution[c]) for c in columns])
    return columns, rows


_INTEGER_TYPES = frozenset(
    XSD + name
    for name in (
        "integer",
        "int",
        "long",
        "short",
        "byte",
        "nonNegativeInteger",
        "nonPositiveInteger",
        "positiveInteger",
        "negativeInteger",
        "unsignedLong",
        "unsignedInt",
        "unsignedShort",
        "unsignedByte",
    )
)
_FLOAT_TYPES = frozenset(XSD + name for name in ("decimal", "double", "float"))


def python_value(term: Any) -> Any:
    """A term of a query result as the Python value an analyst expects in a table.

    IRIs become their string; blank nodes ``_:label``; literals of the XSD integer types
    ``int``, of ``xsd:decimal``, ``xsd:double`` and ``xsd:float`` ``float`` (amounts are
    decimals: a float keeps them exact up to 2**53), ``xsd:boolean`` ``bool``, ``xsd:date``
    :class:`datetime.date` and ``xsd:dateTime`` :class:`datetime.datetime`; any other literal
    (a language tag is dropped), or one whose text does not parse as its type, its text; an
    unbound variable None.

    Examples
    --------
    >>> python_value(ox.Literal("42", datatype=ox.NamedNode(XSD + "integer")))
    42
    >>> python_value(ox.Literal("2024-08-01", datatype=ox.NamedNode(XSD + "date")))
    datetime.date(2024, 8, 1)
    >>> python_value(ox.NamedNode("https://w3id.org/recruitgraph/id/x"))
    'https://w3id.org/recruitgraph/id/x'
    """
    if term is None:
        return None
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    if not isinstance(term, ox.Literal):
        return term.value
    datatype, text = term.datatype.value, term.value
    try:
        if datatype in _INTEGER_TYPES:
            return int(text)
        if datatype in _FLOAT_TYPES:
            return float(text)
        if datatype == XSD + "boolean":
            return text.strip() in ("true", "1")
        if datatype == XSD + "date":
            return date.fromisoformat(text)
        if datatype == XSD + "dateTime":
            return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return text
    return text


def result_records(result: ox.QuerySolutions) -> list[dict[str, Any]]:
    """The rows of a SELECT result as ``{variable: value}`` dictionaries, values as
    :func:`python_value` gives them: ``pandas.DataFrame(result_records(result))`` is a table
    with numbers as numbers and dates as dates. Every variable is a key of every row (None
    where unbound), in the order of the query's projection."""
    columns = [v.value for v in result.variables]
    return [{c: python_value(solution[c]) for c in columns} for solution in result]


def select_records(
    store: Store, text: str, *, graphs: Sequence[str] | None = None
) -> list[dict[str, Any]]:
    """Run a SELECT query as :func:`run_query` does (over ``graphs``, default every dataset;
    the vocabulary's prefixes need no declaration) and return its rows as
    :func:`result_records` does. QueryError for a query that is not a SELECT."""
    result = run_query(store, text, graphs=graphs)
    if not isinstance(result, ox.QuerySolutions):
        raise QueryError("select_records needs a SELECT query; use run_query for ASK or CONSTRUCT")
    return result_records(result)


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
