"""SPARQL results on the wire: format names, media types, content negotiation, and
serialization with a row and byte cap."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, ClassVar, TypeGuard

import pyoxigraph as ox

from graph.model.namespaces import PREFIXES
from graph.sparql.guard import QueryError
from graph.store import QueryResult

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


def is_graph_result(result: QueryResult) -> TypeGuard[Iterable[ox.Triple]]:
    return not isinstance(result, ox.QuerySolutions | ox.QueryBoolean)


def _capped_triples(
    triples: Iterable[ox.Triple], max_rows: int, state: dict[str, Any]
) -> Iterator[ox.Triple]:
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
    # is_graph_result spelt out: mypy narrows the solutions below by isinstance only
    if not isinstance(result, ox.QuerySolutions | ox.QueryBoolean):
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
        # the stub asks for IO[bytes]; pyoxigraph only calls write(), which the writer has
        result.serialize(writer, format=RESULT_FORMATS[fmt])  # type: ignore[arg-type]
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
