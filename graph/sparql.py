"""Running SPARQL over the datasets, as the CLI, the HTTP API and notebooks all do.

Queries see the datasets as named graphs, and their union as the default graph, so that
``SELECT ?f WHERE { ?f a rg:FundingFlow }`` finds every claim. The internal graphs (the version
counter, staging graphs of loads in progress) are never visible.

Safety
------
``SERVICE`` and ``LOAD`` are refused (unless an allow-list names the target): the engine would
otherwise make outbound HTTP requests on a user's behalf. The decision is made on the parse tree
of rdflib's SPARQL parser, never on a pattern over the text. That parser costs milliseconds, so
a query is parsed only when it *could* hold one of those keywords or a dataset clause: a text in
which neither ``service`` nor ``load`` occurs in any letter case, and that has no ``\\u``
escape (SPARQL expands those before parsing), cannot contain ``SERVICE`` or ``LOAD``.

Access
------
What a caller may see is decided by the graphs given to the engine (``default_graph`` and
``named_graphs``, which override ``FROM``, ``FROM NAMED`` and ``GRAPH <iri>``); query text is
never rewritten. Updates have no such arguments in the engine, so :func:`plan_update` reads
from the parsed update which graphs it reads and writes, and :func:`authorize_update` refuses
those the caller may not touch (see its docstring for the rules).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any, ClassVar

import pyoxigraph as ox

from graph.namespaces import PREFIXES, SPARQL_PREFIXES, XSD, dataset_name
from graph.store import QueryResult, Store

if TYPE_CHECKING:
    from graph.auth import Catalog, Principal


class QueryError(ValueError):
    """A query or update that is malformed or not allowed; the message says which and why."""


class AccessError(PermissionError):
    """An update that would touch graphs the caller may not write (HTTP 403)."""


# --------------------------------------------------------------------------------------------
# Parsing and the outbound-request check


def _walk(node: Any) -> Iterable[Any]:
    yield node
    if isinstance(node, dict):
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list | tuple) or type(node).__name__ == "ParseResults":
        for item in node:
            yield from _walk(item)


def _field(node: Any, key: str) -> Any:
    """A field of an rdflib parse-tree or algebra node, None if absent (their ``get`` returns
    the key itself for a missing field)."""
    return dict.get(node, key)


def _allowed(iri: str, allow: Sequence[str]) -> bool:
    """An allow-list entry names an IRI exactly, or every IRI under it if it ends with '/'."""
    return any(iri == entry or (entry.endswith("/") and iri.startswith(entry)) for entry in allow)


def _may_reach_out(text: str) -> bool:
    """False only if ``text`` cannot hold the keywords SERVICE or LOAD (see module docstring)."""
    lowered = text.lower()
    return "service" in lowered or "load" in lowered or "\\u" in lowered


# A small lexer that finds the bare keyword FROM outside strings, IRIs and comments (``rg:from``
# is a prefixed name, not the keyword). It only decides whether the query needs the full parse
# to read its dataset clause; it decides nothing about access.
_TOKENS = re.compile(
    r'#[^\n\r]*|"""(?:[^"\\]|\\.|"(?!""))*"""|\'\'\'(?:[^\'\\]|\\.|\'(?!\'\'))*\'\'\''
    r'|"(?:[^"\\\n\r]|\\.)*"|\'(?:[^\'\\\n\r]|\\.)*\'|<[^<>"{}|^`\\\x00-\x20]*>'
    r"|[?$][\w\u00b7-\uffff]+|[\w\u00b7-\uffff.-]*:[\w\u00b7-\uffff.:%-]*|[A-Za-z_]\w*",
    re.DOTALL,
)


_BARE_FROM = re.compile(r"(?<![\w:?$])from(?![\w:])", re.IGNORECASE)


def _has_from(text: str) -> bool:
    # Most queries only have rg:from: a quick look for the bare word decides them.
    if not _BARE_FROM.search(text):
        return False
    return any(m.group().lower() == "from" for m in _TOKENS.finditer(text))


def _resolve(term: Any, prefixes: dict[str, str]) -> str | None:
    """The IRI of a parse-tree term (IRI or prefixed name); None for a variable."""
    if getattr(term, "name", None) == "pname":
        prefix = _field(term, "prefix") or ""
        if prefix not in prefixes:
            raise QueryError(f"unknown prefix {prefix}: in the query")
        return prefixes[prefix] + (_field(term, "localname") or "")
    from rdflib import URIRef

    return str(term) if isinstance(term, URIRef) else None


def _prologue_prefixes(prologue: Any) -> dict[str, str]:
    prefixes = dict(PREFIXES)
    for decl in prologue or ():
        if getattr(decl, "name", None) == "PrefixDecl":
            prefixes[_field(decl, "prefix") or ""] = str(decl["iri"])
    return prefixes


@dataclass(frozen=True)
class QueryInfo:
    """What the parse of a query says about its dataset (None: no such clause)."""

    from_default: tuple[str, ...] | None = None
    from_named: tuple[str, ...] | None = None


_NO_INFO = QueryInfo()


def _parse_error(kind: str, error: Any) -> QueryError:
    return QueryError(
        f"malformed SPARQL {kind} at line {error.lineno}, column {error.column}: {error.msg}"
    )


@lru_cache(maxsize=1024)
def _inspect_query(text: str, allow: tuple[str, ...]) -> QueryInfo:
    from pyparsing import ParseException
    from rdflib.plugins.sparql.parser import parseQuery

    try:
        tree = parseQuery(text)
    except ParseException as error:
        raise _parse_error("query", error) from None
    prefixes = _prologue_prefixes(tree[0])
    for node in _walk(tree):
        if getattr(node, "name", None) == "ServiceGraphPattern":
            iri = _resolve(_field(node, "term"), prefixes)
            if iri is None or not _allowed(iri, allow):
                raise QueryError(
                    "SERVICE is not allowed: queries may not reach other endpoints"
                    + ("" if iri is None else f" ({iri} is not on the allow-list)")
                )
    default: list[str] = []
    named: list[str] = []
    for clause in _field(tree[1], "datasetClause") or ():
        if "default" in clause:
            default.append(_resolve(clause["default"], prefixes) or "")
        else:
            named.append(_resolve(clause["named"], prefixes) or "")
    if not default and not named:
        return _NO_INFO
    return QueryInfo(tuple(default), tuple(named))


def inspect_query(text: str, *, allow: Sequence[str] = ()) -> QueryInfo:
    """Check a query before it runs and read its dataset clause.

    Raises QueryError for ``SERVICE`` (unless ``allow`` names its IRI) and, when the text must
    be parsed, for malformed text; otherwise the engine reports syntax errors itself.
    """
    if not (_may_reach_out(text) or _has_from(text)):
        return _NO_INFO
    return _inspect_query(text, tuple(allow))


def check_sparql(text: str, *, update: bool = False, allow: Sequence[str] = ()) -> None:
    """Parse a query (or update) and refuse what would reach outside the store.

    Raises QueryError with the parser's message for malformed text, and for ``SERVICE`` or
    ``LOAD``, which would make the server fetch from the network (unless ``allow`` names the
    target).
    """
    if update:
        plan_update(text, allow=allow)
        return
    from pyparsing import ParseException
    from rdflib.plugins.sparql.parser import parseQuery

    try:
        parseQuery(text)
    except ParseException as error:
        raise _parse_error("query", error) from None
    inspect_query(text, allow=allow)


# --------------------------------------------------------------------------------------------
# Queries


def dataset_graphs(store: Store) -> list[str]:
    """IRIs of the named graphs that are datasets."""
    return sorted(g for g in store.graph_names() if dataset_name(g) is not None)


def query_dataset(
    visible: Sequence[str],
    info: QueryInfo = _NO_INFO,
    default_graph_uri: Sequence[str] | None = None,
    named_graph_uri: Sequence[str] | None = None,
) -> tuple[list[str], list[str]]:
    """The (default graphs, named graphs) a query runs over, each within ``visible``.

    The protocol's ``default-graph-uri`` / ``named-graph-uri`` win over the query's ``FROM`` /
    ``FROM NAMED``, which win over the default: the union of the visible graphs as the default
    graph and each visible graph as a named graph. As in SPARQL, giving only one of the two
    leaves the other empty. A graph that is not visible is simply absent.
    """
    allowed = set(visible)
    if default_graph_uri or named_graph_uri:
        default, named = list(default_graph_uri or ()), list(named_graph_uri or ())
    elif info.from_default is not None or info.from_named is not None:
        default, named = list(info.from_default or ()), list(info.from_named or ())
    else:
        return list(visible), list(visible)
    return [g for g in default if g in allowed], [g for g in named if g in allowed]


def execute_query(
    store: Store,
    text: str,
    visible: Sequence[str],
    *,
    default_graph_uri: Sequence[str] | None = None,
    named_graph_uri: Sequence[str] | None = None,
    allow: Sequence[str] = (),
) -> QueryResult:
    """Run a query over the graphs in ``visible`` only (see :func:`query_dataset`)."""
    info = inspect_query(text, allow=allow)
    default, named = query_dataset(visible, info, default_graph_uri, named_graph_uri)
    try:
        return store.query(text, default_graph=default, named_graphs=named, prefixes=PREFIXES)
    except SyntaxError as error:
        raise QueryError(f"malformed SPARQL query: {error}") from None


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


# --------------------------------------------------------------------------------------------
# Formats: names, media types, content negotiation, serialization with a row cap

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
#: Media type of each format.
MEDIA_TYPES = {
    "json": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
    "turtle": "text/turtle",
    "ntriples": "application/n-triples",
    "jsonld": "application/ld+json",
    "rdfxml": "application/rdf+xml",
}
#: Media types a client may ask for, per kind of result, in the server's order of preference.
_ACCEPTED = {
    "results": [
        ("application/sparql-results+json", "json"),
        ("application/json", "json"),
        ("application/sparql-results+xml", "xml"),
        ("application/xml", "xml"),
        ("text/xml", "xml"),
        ("text/csv", "csv"),
        ("text/tab-separated-values", "tsv"),
    ],
    "graph": [
        ("text/turtle", "turtle"),
        ("application/x-turtle", "turtle"),
        ("application/n-triples", "ntriples"),
        ("text/plain", "ntriples"),
        ("application/ld+json", "jsonld"),
        ("application/json", "jsonld"),
        ("application/rdf+xml", "rdfxml"),
        ("application/xml", "rdfxml"),
        ("text/xml", "rdfxml"),
    ],
}
#: Names the ``format`` parameter accepts (those of Fuseki, SPARQLWrapper and media types).
FORMAT_NAMES = {
    "json": "json",
    "srj": "json",
    "xml": "xml",
    "srx": "xml",
    "csv": "csv",
    "tsv": "tsv",
    "turtle": "turtle",
    "ttl": "turtle",
    "n3": "turtle",
    "ntriples": "ntriples",
    "n-triples": "ntriples",
    "nt": "ntriples",
    "jsonld": "jsonld",
    "json-ld": "jsonld",
    "rdfxml": "rdfxml",
    "rdf+xml": "rdfxml",
    "rdf": "rdfxml",
    **{media: name for media, name in _ACCEPTED["results"] + _ACCEPTED["graph"]},
}
_GRAPH_EQUIVALENT = {"json": "jsonld", "xml": "rdfxml", "csv": "ntriples", "tsv": "ntriples"}
_RESULT_EQUIVALENT = {"jsonld": "json", "rdfxml": "xml", "turtle": "json", "ntriples": "json"}


def format_name(name: str) -> str:
    """The canonical format for a ``format`` parameter value (a name, a media type, or a
    comma-separated list of them, as SPARQLWrapper sends); QueryError if none is known."""
    key = name.strip().lower()
    if key not in FORMAT_NAMES and "," in key:
        key = next(
            (k for k in (p.split(";")[0].strip() for p in key.split(",")) if k in FORMAT_NAMES), key
        )
    if key not in FORMAT_NAMES:
        known = ", ".join(sorted({k for k in FORMAT_NAMES if "/" not in k}))
        raise QueryError(f"unknown format {name!r}; use one of {known} or a media type")
    return FORMAT_NAMES[key]


def _parse_accept(accept: str) -> list[tuple[float, int, str]]:
    ranges = []
    for position, part in enumerate(accept.split(",")):
        media, *params = (p.strip() for p in part.split(";"))
        if not media:
            continue
        q = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = max(0.0, min(1.0, float(value)))
                except ValueError:
                    q = 0.0
        ranges.append((q, position, media.lower()))
    return ranges


def negotiate(accept: str | None, kind: str) -> str | None:
    """The best format of ``kind`` (``results`` or ``graph``) for an Accept header, with its
    q-values and wildcards; None when the header accepts none of them (the caller then uses
    its default, as HTTP allows)."""
    if not accept:
        return None
    ranges = _parse_accept(accept)
    best: tuple[float, int, int, int] | None = None
    chosen = None
    for order, (media, fmt) in enumerate(_ACCEPTED[kind]):
        kind_major = media.split("/")[0]
        quality, specificity, position = -1.0, -1, 0
        for q, pos, pattern in ranges:
            if pattern == media:
                spec = 2
            elif pattern == f"{kind_major}/*":
                spec = 1
            elif pattern == "*/*":
                spec = 0
            else:
                continue
            if spec > specificity:
                quality, specificity, position = q, spec, pos
        if quality <= 0:
            continue
        # Prefer higher q, then an exact match over a wildcard, then the server's order.
        key = (quality, specificity, -position, -order)
        if best is None or key > best:
            best, chosen = key, fmt
    return chosen


def accepts_html(accept: str | None) -> bool:
    """Whether a browser asks for a page: text/html ranked above any SPARQL format."""
    if not accept:
        return False
    ranges = _parse_accept(accept)
    html = max((q for q, _, m in ranges if m in ("text/html", "application/xhtml+xml")), default=0)
    if html <= 0:
        return False
    others = [q for q, _, m in ranges if m in FORMAT_NAMES]
    return html >= max(others, default=0)


class _Capped(Exception):
    pass


class _TooLarge(Exception):
    pass


class _CountingWriter:
    """Collects what pyoxigraph serializes and counts rows as it goes (in C, with
    ``bytes.count``), stopping the serialization once there are more than ``max_rows``."""

    #: Row-start marks by format: none of them can occur inside a serialized value.
    _MARKS: ClassVar[dict[str, tuple[bytes, ...]]] = {
        "json": (b',{"', b'[{"'),
        "xml": (b"<result>", b"<result/>"),
    }

    def __init__(self, fmt: str, max_rows: int, max_bytes: int) -> None:
        self.fmt = fmt
        self.max_rows = max_rows
        self.max_bytes = max_bytes
        self.chunks: list[bytes] = []
        self.size = 0
        self.rows = 0
        self.tail = b""
        self.in_quote = False  # CSV

    def write(self, data: bytes) -> int:
        data = bytes(data)
        self.chunks.append(data)
        self.size += len(data)
        if self.fmt == "tsv":
            self.rows += data.count(b"\n")
        elif self.fmt == "csv":
            self.rows += self._csv_lines(data)
        else:
            # Marks that straddle two writes: count them in the joined window, minus those
            # wholly inside the tail that were counted before.
            window = self.tail + data
            marks = self._MARKS[self.fmt]
            self.rows += sum(window.count(m) - self.tail.count(m) for m in marks)
            self.tail = window[-8:]
        header = 1 if self.fmt in ("csv", "tsv") else 0
        if self.rows - header > self.max_rows:
            raise _Capped
        if self.size > self.max_bytes:
            raise _TooLarge
        return len(data)

    def flush(self) -> None:
        pass

    def _csv_lines(self, data: bytes) -> int:
        if not self.in_quote and b'"' not in data:
            return data.count(b"\n")
        parts = data.split(b'"')
        count = 0
        for i, part in enumerate(parts):
            outside = (i % 2 == 0) != self.in_quote
            if outside:
                count += part.count(b"\n")
        if (len(parts) - 1) % 2:
            self.in_quote = not self.in_quote
        return count

    def truncated(self) -> bytes:
        """The output cut after ``max_rows`` rows, closed so that it stays well-formed."""
        data = b"".join(self.chunks)
        if self.fmt == "tsv":
            return data[: _nth(data, (b"\n",), self.max_rows + 1) + 1]
        if self.fmt == "csv":
            return data[: _nth_csv_line(data, self.max_rows + 1) + 1]
        cut = _nth(data, self._MARKS[self.fmt], self.max_rows + 1)
        if self.fmt == "json":
            if data[cut : cut + 1] == b"[":
                cut += 1  # only the first row is over the cap (max_rows 0)
            return data[:cut] + b"]}}"
        return data[:cut] + b"</results></sparql>"


def _nth(data: bytes, marks: tuple[bytes, ...], n: int) -> int:
    """Offset of the ``n``-th occurrence (1-based) of any of ``marks``."""
    positions: list[int] = []
    for mark in marks:
        start = data.find(mark)
        while start >= 0:
            positions.append(start)
            start = data.find(mark, start + 1)
    positions.sort()
    return positions[n - 1]


def _nth_csv_line(data: bytes, n: int) -> int:
    """Offset of the ``n``-th line end of CSV ``data`` outside quoted values."""
    offset = 0
    seen = 0
    for i, part in enumerate(data.split(b'"')):
        if i % 2 == 0:  # outside quotes ("" inside a value splits into an empty inside part)
            count = part.count(b"\n")
            if seen + count >= n:
                at = -1
                for _ in range(n - seen):
                    at = part.find(b"\n", at + 1)
                return offset + at
            seen += count
        offset += len(part) + 1
    return len(data) - 1


@dataclass
class Serialized:
    """A serialized query result."""

    body: bytes
    format: str
    truncated: bool = False
    rows: int | None = None

    @property
    def media_type(self) -> str:
        return MEDIA_TYPES[self.format]


def is_graph_result(result: QueryResult) -> bool:
    return not isinstance(result, ox.QuerySolutions | ox.QueryBoolean)


def _capped_triples(triples: Iterable[ox.Triple], max_rows: int, state: dict[str, Any]) -> Iterator:
    for count, triple in enumerate(triples):
        if count >= max_rows:
            state["truncated"] = True
            return
        yield triple


def serialize_capped(
    result: QueryResult, fmt: str, max_rows: int | None = None, max_bytes: int = 256 * 1024**2
) -> Serialized:
    """Serialize ``result`` as :func:`serialize_result` does, keeping at most ``max_rows``
    solutions (or triples). A longer result is cut there, stays well-formed, and is marked
    ``truncated``; the rest of it is never computed. A result over ``max_bytes`` raises
    QueryError."""
    graph = is_graph_result(result)
    fmt = _GRAPH_EQUIVALENT.get(fmt, fmt) if graph else _RESULT_EQUIVALENT.get(fmt, fmt)
    if graph:
        if fmt not in GRAPH_FORMATS:
            raise QueryError(f"a CONSTRUCT or DESCRIBE result cannot be written as {fmt}")
        state: dict[str, Any] = {"truncated": False}
        triples = result if max_rows is None else _capped_triples(result, max_rows, state)
        prefixes = PREFIXES if fmt == "turtle" else None
        body = ox.serialize(triples, format=GRAPH_FORMATS[fmt], prefixes=prefixes)
        assert body is not None
        return Serialized(body, fmt, state["truncated"])
    if fmt not in RESULT_FORMATS:
        raise QueryError(f"a SELECT or ASK result cannot be written as {fmt}")
    if isinstance(result, ox.QueryBoolean) or max_rows is None:
        data = result.serialize(format=RESULT_FORMATS[fmt])
        assert data is not None
        return Serialized(data, fmt)
    writer = _CountingWriter(fmt, max_rows, max_bytes)
    try:
        result.serialize(writer, format=RESULT_FORMATS[fmt])
    except _Capped:
        return Serialized(writer.truncated(), fmt, True, max_rows)
    except _TooLarge:
        raise QueryError(
            f"the result is larger than {max_bytes // 1024**2} MiB; narrow the query or page "
            "through it with LIMIT and OFFSET"
        ) from None
    return Serialized(b"".join(writer.chunks), fmt)


def serialize_result(result: QueryResult, fmt: str) -> bytes:
    """``result`` in a standard format: json, xml, csv or tsv for SELECT and ASK results;
    turtle, ntriples, jsonld or rdfxml for CONSTRUCT and DESCRIBE results."""
    if isinstance(result, ox.QuerySolutions | ox.QueryBoolean):
        if fmt not in RESULT_FORMATS:
            raise QueryError(f"a SELECT or ASK result cannot be written as {fmt}")
        data = result.serialize(format=RESULT_FORMATS[fmt])
    else:
        graph_fmt = _GRAPH_EQUIVALENT.get(fmt, fmt)
        if graph_fmt not in GRAPH_FORMATS:
            raise QueryError(f"a CONSTRUCT or DESCRIBE result cannot be written as {fmt}")
        prefixes = PREFIXES if graph_fmt == "turtle" else None
        data = ox.serialize(result, format=GRAPH_FORMATS[graph_fmt], prefixes=prefixes)
    assert data is not None
    return data


# --------------------------------------------------------------------------------------------
# Updates: which graphs they read and write, and who may run them

DEFAULT_GRAPH = "DEFAULT"


@dataclass(frozen=True)
class UpdatePlan:
    """The graphs an update reads and writes, and why it must be refused whoever sends it."""

    text: str  #: the update with the vocabulary prefixes declared, as it will run
    reads: frozenset[str] = frozenset()
    writes: frozenset[str] = frozenset()
    refusals: tuple[str, ...] = ()
    operations: tuple[str, ...] = field(default=())


_DEFAULT_REFUSAL = (
    "updates may not write the default graph (it is the read-only union of the datasets): "
    "name the dataset's graph with GRAPH <…> or WITH <…>"
)


def _graph_refs(node: Any) -> Iterator[Any]:
    """Terms of every GRAPH pattern inside an algebra expression (subqueries and EXISTS
    included)."""
    from rdflib.plugins.sparql.parserutils import CompValue

    stack = [node]
    seen = 0
    while stack and seen < 1_000_000:
        seen += 1
        item = stack.pop()
        if isinstance(item, CompValue):
            # Translated patterns are "Graph"; those inside EXISTS stay parse-tree nodes.
            if item.name in ("Graph", "GraphGraphPattern"):
                yield _field(item, "term")
            stack.extend(dict.values(item))
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list | tuple | set) or type(item).__name__ == "ParseResults":
            stack.extend(item)


def plan_update(text: str, *, allow: Sequence[str] = ()) -> UpdatePlan:
    """Parse an update and list the graphs it reads and writes.

    Refused whoever sends it (listed in ``refusals``): writing the default graph (``INSERT DATA``
    triples outside ``GRAPH``, templates without ``WITH`` or ``GRAPH``, ``CLEAR``/``DROP``
    ``DEFAULT``, ``ADD``/``COPY``/``MOVE`` to or from ``DEFAULT``); ``CLEAR``/``DROP`` ``NAMED``
    or ``ALL``; a ``GRAPH ?var`` in a template or in ``DELETE WHERE`` (its graph is known only
    when it runs); a ``GRAPH ?var`` in a ``WHERE`` without ``USING NAMED`` (it would range over
    every graph of the store); ``LOAD`` (unless ``allow`` names its IRI). ``SERVICE`` raises
    QueryError like a query's.
    """
    return _plan_update(text, tuple(allow))


@lru_cache(maxsize=256)
def _plan_update(text: str, allow: tuple[str, ...]) -> UpdatePlan:
    from pyparsing import ParseException
    from rdflib import URIRef, Variable
    from rdflib.plugins.sparql.algebra import translateUpdate
    from rdflib.plugins.sparql.parser import parseUpdate

    full = SPARQL_PREFIXES + text
    try:
        tree = parseUpdate(full)
        # The parse tree first (SERVICE with its prefixes), then the algebra.
        prefixes = dict(PREFIXES)
        for node in _walk(tree):
            if getattr(node, "name", None) == "PrefixDecl":
                prefixes[_field(node, "prefix") or ""] = str(node["iri"])
        for node in _walk(tree):
            if getattr(node, "name", None) == "ServiceGraphPattern":
                iri = _resolve(_field(node, "term"), prefixes)
                if iri is None or not _allowed(iri, allow):
                    raise QueryError(
                        "SERVICE is not allowed: updates may not reach other endpoints"
                    )
        algebra = translateUpdate(tree).algebra
    except ParseException as error:
        # Line numbers as the user wrote them: without the declared prefixes.
        error.loc = max(0, error.loc - len(SPARQL_PREFIXES))
        error.pstr = text
        raise _parse_error("update", error) from None
    except QueryError:
        raise
    except Exception as error:  # rdflib's translation raises plain exceptions for bad input
        raise QueryError(f"malformed SPARQL update: {error}") from None

    reads: set[str] = set()
    writes: set[str] = set()
    refusals: list[str] = []
    names: list[str] = []

    def graph(term: Any) -> str | None:
        if term == "DEFAULT":
            return DEFAULT_GRAPH
        if isinstance(term, URIRef):
            return str(term)
        return None

    def refuse(reason: str) -> None:
        if reason not in refusals:
            refusals.append(reason)

    for op in algebra:
        name = op.name
        names.append(name)
        if name in ("InsertData", "DeleteData"):
            if _field(op, "triples"):
                refuse(_DEFAULT_REFUSAL)
            writes.update(str(g) for g in (_field(op, "quads") or {}))
        elif name == "DeleteWhere":
            if _field(op, "triples"):
                refuse(_DEFAULT_REFUSAL)
            for g in _field(op, "quads") or {}:
                if isinstance(g, Variable):
                    refuse("GRAPH ?var in DELETE WHERE could reach any graph: name the graph")
                else:
                    reads.add(str(g))
                    writes.add(str(g))
        elif name == "Modify":
            with_graph = _field(op, "withClause")
            using = _field(op, "using") or []
            using_default = [str(u["default"]) for u in using if _field(u, "default") is not None]
            using_named = [str(u["named"]) for u in using if _field(u, "named") is not None]
            for clause in (_field(op, "delete"), _field(op, "insert")):
                if clause is None:
                    continue
                if _field(clause, "triples"):
                    if with_graph is None:
                        refuse(_DEFAULT_REFUSAL)
                    else:
                        writes.add(str(with_graph))
                for g in _field(clause, "quads") or {}:
                    if isinstance(g, Variable):
                        refuse(
                            "GRAPH ?var in an update template could write any graph: "
                            "name the graph it writes"
                        )
                    else:
                        writes.add(str(g))
            if using_default:
                reads.update(using_default)
            elif with_graph is not None:
                reads.add(str(with_graph))
            reads.update(using_named)
            for term in _graph_refs(_field(op, "where")):
                if isinstance(term, Variable):
                    if not using_named:
                        refuse(
                            "GRAPH ?var in an update's WHERE would range over every graph: "
                            "list the graphs it may match with USING NAMED <…>"
                        )
                elif term is not None:
                    reads.add(str(term))
        elif name in ("Clear", "Drop", "Create"):
            target = _field(op, "graphiri")
            if target in ("NAMED", "ALL"):
                refuse(f"{name.upper()} {target} would touch graphs of other datasets: name one")
            elif target == "DEFAULT" or graph(target) is None:
                refuse(_DEFAULT_REFUSAL)
            else:
                writes.add(str(target))
        elif name in ("Add", "Copy", "Move"):
            source, target = (graph(g) for g in op["graph"])
            if DEFAULT_GRAPH in (source, target) or None in (source, target):
                refuse(_DEFAULT_REFUSAL)
                continue
            assert source is not None and target is not None
            reads.add(source)
            writes.add(target)
            if name == "Move":
                writes.add(source)
        elif name == "Load":
            iri = str(_field(op, "iri"))
            target = graph(_field(op, "graphiri"))
            if not _allowed(iri, allow):
                refuse("LOAD is not allowed: updates may not fetch documents")
            if target is None:
                refuse(_DEFAULT_REFUSAL)
            else:
                writes.add(target)
        else:
            refuse(f"unsupported update operation {name}")
    return UpdatePlan(full, frozenset(reads), frozenset(writes), tuple(refusals), tuple(names))


def authorize_update(plan: UpdatePlan, catalog: Catalog, principal: Principal) -> None:
    """Refuse ``plan`` unless ``principal`` may run it.

    Rules: the caller needs an editor or admin token; every graph the update writes must be an
    existing dataset the caller may write, and every graph it reads one the caller may read.
    (New datasets are made by upload or the Graph Store Protocol, which validate them and
    write their description.) The message is the same for a graph that does not exist and for
    one the caller cannot see, so a refusal reveals nothing about restricted datasets.
    Raises QueryError (400) for the refusals of :func:`plan_update`, AccessError (403)
    otherwise.
    """
    if not principal.can_edit:
        raise AccessError("updates need an editor or admin token")
    if plan.refusals:
        raise QueryError("; ".join(plan.refusals))
    writable = set(catalog.writable(principal))
    readable = set(catalog.readable(principal))
    for graph in sorted(plan.writes):
        if graph not in writable:
            raise AccessError(
                f"you may not write <{graph}>: updates write only existing datasets you may "
                "write (create a dataset by upload or PUT /rdf-graphs)"
            )
    for graph in sorted(plan.reads):
        if graph not in readable:
            raise AccessError(f"you may not read <{graph}>: it is not a dataset you can see")
