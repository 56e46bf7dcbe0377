"""SPARQL results on the wire: the ``format`` parameter, and serialization with a row and byte
cap. The formats themselves, their media types and content negotiation are those of
:mod:`graph.store.formats`."""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, ClassVar, TypeGuard

import pyoxigraph as ox

from graph.model.namespaces import PREFIXES
from graph.sparql.guard import QueryError
from graph.store import QueryResult, lexical_reader
from graph.store.formats import (
    Format,
    Kind,
    UnknownFormat,
    accepts_html,
    by_media_type,
    by_name,
    formats,
    negotiate,
)
from graph.store.spreadsheet import formula_safe

__all__ = [
    "MAX_RESULT_BYTES",
    "Serialized",
    "accepts_html",
    "format_name",
    "is_graph_result",
    "negotiate",
    "serialize_capped",
    "serialize_result",
]


def _names(*kinds: Kind) -> list[str]:
    return [f.name for f in formats(*kinds)]


#: What a ``format`` parameter asks for when the result is of the other kind: the nearest
#: RDF format for a results format, and the nearest results format for an RDF one.
_GRAPH_EQUIVALENT = {"json": "jsonld", "xml": "rdfxml", "csv": "ntriples", "tsv": "ntriples"}
_RESULT_EQUIVALENT = {name: "xml" if name == "rdfxml" else "json" for name in _names(Kind.GRAPH)}


def format_name(name: str) -> str:
    """The canonical name of the SPARQL results or RDF format that a ``format`` parameter
    names: a name or alias of :mod:`graph.store.formats`, a media type, or a comma-separated
    list of them, as SPARQLWrapper sends. QueryError if none is known.

    >>> format_name("application/sparql-results+json,application/json")
    'json'
    >>> format_name("TTL")
    'turtle'
    """
    for part in name.split(",") if "," in name else [name]:
        found = _format_of(part)
        if found is not None:
            return found.name
    known = ", ".join(_names(Kind.RESULTS, Kind.GRAPH))
    raise QueryError(f"unknown format {name!r}; use one of {known} or a media type")


def _format_of(value: str) -> Format | None:
    if "/" in value:
        return by_media_type(value, Kind.RESULTS, Kind.GRAPH)
    try:
        return by_name(value, Kind.RESULTS, Kind.GRAPH)
    except UnknownFormat:
        return None


class _Capped(Exception):
    pass


class _TooLarge(Exception):
    pass


#: The largest serialized result a query may give (bytes); past it the serialization stops.
MAX_RESULT_BYTES = 256 * 1024**2


class _CappedWriter:
    """Collects what pyoxigraph serializes, stopping the serialization (and with it the query's
    evaluation, which is lazy) once there are more than ``max_bytes``."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.buffer = io.BytesIO()  # its getvalue() hands over the buffer without a copy
        self.size = 0

    def write(self, data: bytes) -> int:
        self.size += self.buffer.write(data)
        if self.size > self.max_bytes:
            raise _TooLarge
        return len(data)

    def flush(self) -> None:
        pass

    def value(self) -> bytes:
        return self.buffer.getvalue()


class _CountingWriter(_CappedWriter):
    """A :class:`_CappedWriter` that also counts rows as it goes (in C, with
    ``bytes.count``), stopping the serialization once there are more than ``max_rows``."""

    #: Row-start marks by format: none of them can occur inside a serialized value.
    _MARKS: ClassVar[dict[str, tuple[bytes, ...]]] = {
        "json": (b',{"', b'[{"'),
        "xml": (b"<result>", b"<result/>"),
    }

    def __init__(self, fmt: str, max_rows: int, max_bytes: int) -> None:
        super().__init__(max_bytes)
        self.fmt = fmt
        self.max_rows = max_rows
        self.rows = 0
        self.tail = b""
        self.in_quote = False  # CSV

    def write(self, data: bytes) -> int:
        data = bytes(data)
        if self.fmt == "tsv":
            self.rows += data.count(b"\n")
        else:
            # Marks that straddle two writes: count them in the joined window, minus those
            # wholly inside the tail that were counted before.
            window = self.tail + data
            marks = self._MARKS[self.fmt]
            self.rows += sum(window.count(m) - self.tail.count(m) for m in marks)
            self.tail = window[-8:]
        written = super().write(data)
        header = 1 if self.fmt == "tsv" else 0
        if self.rows - header > self.max_rows:
            raise _Capped
        return written

    def truncated(self) -> bytes:
        """The output cut after ``max_rows`` rows, closed so that it stays well-formed."""
        data = self.value()
        if self.fmt == "tsv":
            return data[: _nth(data, (b"\n",), self.max_rows + 1) + 1]
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


@dataclass
class Serialized:
    """A serialized query result."""

    body: bytes
    format: str
    truncated: bool = False
    rows: int | None = None

    @property
    def media_type(self) -> str:
        return by_name(self.format, Kind.RESULTS, Kind.GRAPH).media_type


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
    result: QueryResult,
    fmt: str,
    max_rows: int | None = None,
    max_bytes: int = MAX_RESULT_BYTES,
) -> Serialized:
    """Serialize ``result`` as :func:`serialize_result` does, keeping at most ``max_rows``
    solutions (or triples). A longer result is cut there, stays well-formed, and is marked
    ``truncated``; the rest of it is never computed. A result of any kind that grows past
    ``max_bytes`` raises QueryError as soon as it does: the rest is never computed either, so
    that memory stays bounded by the cap (a CONSTRUCT over a cartesian product included)."""
    try:
        # is_graph_result spelt out: mypy narrows the result by isinstance only
        if not isinstance(result, ox.QuerySolutions | ox.QueryBoolean):
            fmt = _GRAPH_EQUIVALENT.get(fmt, fmt)
            state: dict[str, Any] = {"truncated": False}
            triples = result if max_rows is None else _capped_triples(result, max_rows, state)
            writer = _CappedWriter(max_bytes)
            _serialize_graph(triples, fmt, writer)
            return Serialized(writer.value(), fmt, state["truncated"])
        fmt = _RESULT_EQUIVALENT.get(fmt, fmt)
        if isinstance(result, ox.QueryBoolean):
            data = result.serialize(format=_results_format(fmt))
            assert data is not None
            return Serialized(data, fmt)  # true or false: nothing a spreadsheet reads as a formula
        written = _WRITTEN_AS.get(fmt, fmt)
        counter = (
            _CappedWriter(max_bytes)
            if max_rows is None
            else _CountingWriter(written, max_rows, max_bytes)
        )
        try:
            # the stub asks for IO[bytes]; pyoxigraph only calls write(), which it has
            result.serialize(counter, format=_results_format(written))  # type: ignore[arg-type]
        except _Capped:
            assert isinstance(counter, _CountingWriter)
            data, truncated, rows = counter.truncated(), True, max_rows
        else:
            data, truncated, rows = counter.value(), False, None
        return Serialized(_spreadsheet_safe(data, fmt), fmt, truncated, rows)
    except _TooLarge:
        raise QueryError(
            f"the result is larger than the limit of {max_bytes / 1024**2:g} MiB; narrow the "
            "query or page through it with LIMIT and OFFSET"
        ) from None


def serialize_result(result: QueryResult, fmt: str) -> bytes:
    """``result`` in a standard format: json, xml, csv or tsv for SELECT and ASK results;
    an RDF format (turtle, ntriples, jsonld, rdfxml, nquads, trig) for CONSTRUCT and DESCRIBE
    results."""
    if isinstance(result, ox.QueryBoolean):
        data = result.serialize(format=_results_format(fmt))
        assert data is not None
        return data  # true or false: nothing a spreadsheet reads as a formula
    if isinstance(result, ox.QuerySolutions):
        written = _WRITTEN_AS.get(fmt, fmt)
        data = result.serialize(format=_results_format(written))
        assert data is not None
        return _spreadsheet_safe(data, fmt)
    return _serialize_graph(result, _GRAPH_EQUIVALENT.get(fmt, fmt))


#: The results formats that the engine is asked for in another and converted from it: its
#: CSV leaves an IRI that holds a comma unquoted, which splits the row, so CSV is made from
#: its TSV (every term there in N-Triples form, a tab or line break only escaped).
_WRITTEN_AS = {"csv": "tsv"}
#: A cell of SPARQL TSV that is a literal: its quoted lexical form (with N-Triples escapes),
#: then an optional language tag or datatype.
_TSV_LITERAL = re.compile(r'"((?:[^"\\]|\\.)*)"(.*)', re.DOTALL)
#: What makes a CSV field quoted (RFC 4180).
_CSV_QUOTED = re.compile(r'[",\r\n]')


def _spreadsheet_safe(data: bytes, fmt: str) -> bytes:
    """SELECT results ``data``, written by the engine as :data:`_WRITTEN_AS` says, in ``fmt``,
    with every value cell passed through :func:`~graph.store.spreadsheet.formula_safe`; other
    formats unchanged.

    CSV is written here from the engine's TSV: each cell the value's text (an IRI, a
    literal's lexical form, a blank node's ``_:`` id), quoted where RFC 4180 says, an apostrophe
    in front where a spreadsheet would read a formula. TSV cells are terms in Turtle syntax; a
    literal is quoted there, but a spreadsheet shows its text, so the text inside the quotes is
    what is made safe.

    >>> _spreadsheet_safe(b'?x\\t?n\\n"=A1,B1"\\t-5\\n<http://e/a,b>\\t"@SUM(A1)"@en\\n',
    ...                   "csv").splitlines()
    [b'x,n', b'"\\'=A1,B1",-5', b'"http://e/a,b",\\'@SUM(A1)']
    >>> _spreadsheet_safe(b'?x\\t?n\\n"=A1"@en\\t-5\\n', "tsv").decode().splitlines()
    ['?x\\t?n', '"\\'=A1"@en\\t-5']
    """
    if fmt == "csv":
        return _csv_of_tsv(data.decode("utf-8")).encode("utf-8")
    if fmt == "tsv":
        header, newline, rows = data.decode("utf-8").partition("\n")
        cells = [
            "\t".join(_tsv_cell(cell) for cell in line.split("\t")) for line in rows.split("\n")
        ]
        return (header + newline + "\n".join(cells)).encode("utf-8")
    return data


def _csv_of_tsv(text: str) -> str:
    """SPARQL CSV results of the SPARQL TSV results ``text``, every value spreadsheet-safe."""
    header = text.partition("\n")[0]
    names = [name[1:] for name in header.split("\t")] if header else []
    lines = [",".join(names)]
    if names:
        lines += [",".join(map(_csv_field, row)) for row in lexical_reader(text)]
    else:  # no variables: one empty line per solution
        lines += [""] * (text.count("\n") - 1)
    return "\r\n".join(lines) + "\r\n"


def _csv_field(value: str) -> str:
    value = formula_safe(value)
    return '"' + value.replace('"', '""') + '"' if _CSV_QUOTED.search(value) else value


def _tsv_cell(cell: str) -> str:
    literal = _TSV_LITERAL.fullmatch(cell)
    if literal is None:
        return formula_safe(cell)  # a number, boolean, IRI or blank node
    return f'"{formula_safe(literal.group(1))}"{literal.group(2)}'


def _results_format(fmt: str) -> ox.QueryResultsFormat:
    try:
        found = by_name(fmt, Kind.RESULTS).rdf
    except UnknownFormat:
        raise QueryError(f"a SELECT or ASK result cannot be written as {fmt}") from None
    assert isinstance(found, ox.QueryResultsFormat)
    return found


def _serialize_graph(
    triples: Iterable[ox.Triple], fmt: str, output: _CappedWriter | None = None
) -> bytes:
    """``triples`` in the RDF format ``fmt``; written to ``output`` instead if given (then the
    bytes returned are empty)."""
    try:
        found = by_name(fmt, Kind.GRAPH)
    except UnknownFormat:
        raise QueryError(f"a CONSTRUCT or DESCRIBE result cannot be written as {fmt}") from None
    assert isinstance(found.rdf, ox.RdfFormat)
    prefixes = PREFIXES if found.takes_prefixes else None
    if output is not None:
        # the stub asks for IO[bytes]; pyoxigraph only calls write(), which it has
        ox.serialize(triples, output, format=found.rdf, prefixes=prefixes)  # type: ignore[arg-type]
        return b""
    body = ox.serialize(triples, format=found.rdf, prefixes=prefixes)
    assert body is not None
    return body
