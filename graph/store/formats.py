"""The formats data goes in and out in: one typed record per format, looked up by name, media
type or file suffix, and content negotiation of an HTTP Accept header.

The registry is pyoxigraph's own format objects (:class:`pyoxigraph.RdfFormat`,
:class:`pyoxigraph.QueryResultsFormat`): where one exists, a :class:`Format` takes its media
type and file extension from it and adds only what this project accepts besides (the short name
of the ``format`` parameter and the CLI, older media types such as ``text/plain``, suffixes such
as ``.owl``). The network formats (GraphML, GEXF, a CSV edge list) and the claims CSV, which
pyoxigraph does not know, state theirs here.

Names are unique within a :class:`Kind`, not across kinds: ``csv`` is a SPARQL results format,
a network export and (as ``claims``) an input, so every lookup names the kinds it looks among.

Examples
--------
>>> turtle = by_name("ttl", Kind.GRAPH)
>>> turtle.name, turtle.media_type, turtle.suffix
('turtle', 'text/turtle', '.ttl')
>>> turtle.rdf is pyoxigraph.RdfFormat.TURTLE
True
>>> by_suffix(".owl", Kind.GRAPH).name
'rdfxml'
>>> by_media_type("application/json; charset=utf-8", Kind.RESULTS).name
'json'
>>> negotiate("text/csv;q=0.5, application/sparql-results+xml;q=0.9", Kind.RESULTS)
'xml'
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum

import pyoxigraph

from graph.errors import InvalidArgument

__all__ = [
    "FORMATS",
    "Format",
    "Kind",
    "UnknownFormat",
    "accepts_html",
    "by_media_type",
    "by_name",
    "by_suffix",
    "essence",
    "formats",
    "negotiate",
]


class Kind(StrEnum):
    """What a format carries."""

    #: SPARQL SELECT and ASK results (pyoxigraph's ``QueryResultsFormat``).
    RESULTS = "results"
    #: RDF (pyoxigraph's ``RdfFormat``): a graph, or a dataset of named graphs where the
    #: format supports them (``Format.rdf.supports_datasets``).
    GRAPH = "graph"
    #: The claims network for network tools (Gephi, yEd, spreadsheets); pyoxigraph has none.
    NETWORK = "network"
    #: The claims CSV that :mod:`graph.ingest.claims_csv` reads.
    CLAIMS = "claims"


class UnknownFormat(InvalidArgument):
    """No format of the kinds asked for has that name."""


@dataclass(frozen=True)
class Format:
    """One format: its names, media types and file suffixes, and pyoxigraph's object for it.

    The first media type and the first suffix are the ones written; all of them are read
    (in an Accept or Content-Type header, in a file name).
    """

    #: The short name of the ``format`` parameter, the CLI and the engine calls.
    name: str
    kind: Kind
    #: Bare media types (no parameters), lower case.
    media_types: tuple[str, ...]
    #: File suffixes with their dot, lower case.
    suffixes: tuple[str, ...]
    #: pyoxigraph's format object, where pyoxigraph reads and writes the format.
    rdf: pyoxigraph.RdfFormat | pyoxigraph.QueryResultsFormat | None = None
    #: Other names the ``format`` parameter accepts (those of Fuseki and SPARQLWrapper).
    aliases: tuple[str, ...] = field(default=())
    #: A name for people, where pyoxigraph has none.
    label: str = ""

    @property
    def media_type(self) -> str:
        """The media type a response in this format is sent with."""
        return self.media_types[0]

    @property
    def suffix(self) -> str:
        """The suffix of a file written in this format."""
        return self.suffixes[0]

    @property
    def title(self) -> str:
        """The format's name for people (pyoxigraph's where it has one), e.g. ``"Turtle"``."""
        return self.rdf.name if self.rdf is not None else self.label

    @property
    def keeps_graphs(self) -> bool:
        """Whether the format writes quads with their named graph (N-Quads, TriG, JSON-LD)."""
        return isinstance(self.rdf, pyoxigraph.RdfFormat) and self.rdf.supports_datasets

    @property
    def takes_prefixes(self) -> bool:
        """Whether a file in this format reads better with prefix declarations."""
        return self.rdf in (pyoxigraph.RdfFormat.TURTLE, pyoxigraph.RdfFormat.TRIG)


def essence(media_type: str) -> str:
    """A media type without its parameters, in lower case.

    >>> essence("Text/CSV; charset=utf-8")
    'text/csv'
    """
    return media_type.split(";", 1)[0].strip().lower()


def _ox(
    name: str,
    kind: Kind,
    fmt: pyoxigraph.RdfFormat | pyoxigraph.QueryResultsFormat,
    media: tuple[str, ...] = (),
    suffixes: tuple[str, ...] = (),
    aliases: tuple[str, ...] = (),
) -> Format:
    """A format pyoxigraph knows: its media type and extension come first, from ``fmt``."""
    return Format(
        name,
        kind,
        (essence(fmt.media_type), *media),
        (f".{fmt.file_extension}", *suffixes),
        fmt,
        aliases,
    )


_RF = pyoxigraph.RdfFormat
_QF = pyoxigraph.QueryResultsFormat

#: Every format, each kind in the server's order of preference (its first is the default).
FORMATS: tuple[Format, ...] = (
    _ox("json", Kind.RESULTS, _QF.JSON, ("application/json",), (".json",), ("srj",)),
    _ox("xml", Kind.RESULTS, _QF.XML, ("application/xml", "text/xml"), (".xml",), ("srx",)),
    _ox("csv", Kind.RESULTS, _QF.CSV),
    _ox("tsv", Kind.RESULTS, _QF.TSV),
    _ox("turtle", Kind.GRAPH, _RF.TURTLE, ("application/x-turtle",), (".turtle",), ("ttl", "n3")),
    _ox("ntriples", Kind.GRAPH, _RF.N_TRIPLES, ("text/plain",), (), ("n-triples", "nt")),
    _ox("jsonld", Kind.GRAPH, _RF.JSON_LD, ("application/json",), (".json",), ("json-ld",)),
    _ox(
        "rdfxml",
        Kind.GRAPH,
        _RF.RDF_XML,
        ("application/xml", "text/xml"),
        (".owl",),
        ("rdf+xml", "rdf"),
    ),
    _ox("nquads", Kind.GRAPH, _RF.N_QUADS, (), (), ("n-quads", "nq")),
    _ox("trig", Kind.GRAPH, _RF.TRIG),
    Format("graphml", Kind.NETWORK, ("application/graphml+xml",), (".graphml",), label="GraphML"),
    Format("gexf", Kind.NETWORK, ("application/gexf+xml",), (".gexf",), label="GEXF"),
    Format("csv", Kind.NETWORK, ("text/csv",), (".csv",), label="CSV edge list"),
    Format("claims", Kind.CLAIMS, ("text/csv",), (".csv",), label="claims CSV"),
)


def formats(*kinds: Kind) -> Iterator[Format]:
    """The formats of ``kinds`` (all formats when none is given), in the registry's order.

    >>> [f.name for f in formats(Kind.NETWORK)]
    ['graphml', 'gexf', 'csv']
    """
    return (f for f in FORMATS if not kinds or f.kind in kinds)


def by_name(name: str, *kinds: Kind) -> Format:
    """The format of ``kinds`` called ``name`` (or one of its aliases), in any case.

    Raises
    ------
    UnknownFormat
        If none is, with the names there are.

    Examples
    --------
    >>> by_name("N-Triples", Kind.GRAPH).media_type
    'application/n-triples'
    >>> by_name("csv", Kind.NETWORK).label
    'CSV edge list'
    >>> by_name("pdf", Kind.GRAPH, Kind.NETWORK)
    Traceback (most recent call last):
    ...
    graph.store.formats.UnknownFormat: unknown format 'pdf'; use one of turtle, ntriples, \
jsonld, rdfxml, nquads, trig, graphml, gexf, csv
    """
    key = name.strip().lower()
    for fmt in formats(*kinds):
        if key == fmt.name or key in fmt.aliases:
            return fmt
    known = ", ".join(dict.fromkeys(f.name for f in formats(*kinds)))
    raise UnknownFormat(f"unknown format {name!r}; use one of {known}")


def by_media_type(media_type: str, *kinds: Kind) -> Format | None:
    """The format of ``kinds`` that ``media_type`` (parameters ignored) names; the first of
    ``kinds`` wins where two share it. None if none does.

    >>> by_media_type("application/json", Kind.GRAPH).name
    'jsonld'
    >>> by_media_type("text/csv", Kind.CLAIMS, Kind.RESULTS).name
    'claims'
    >>> by_media_type("image/png", Kind.GRAPH) is None
    True
    """
    key = essence(media_type)
    for kind in kinds or tuple(Kind):
        for fmt in formats(kind):
            if key in fmt.media_types:
                return fmt
    return None


def by_suffix(suffix: str, *kinds: Kind) -> Format | None:
    """The format of ``kinds`` that a file name ending in ``suffix`` (``.ttl``, in any case)
    is in; the first of ``kinds`` wins where two share it. None if none is.

    >>> by_suffix(".TTL", Kind.GRAPH).rdf
    <RdfFormat Turtle>
    >>> by_suffix(".csv", Kind.NETWORK).name
    'csv'
    >>> by_suffix(".xyz", Kind.GRAPH) is None
    True
    """
    key = suffix.lower()
    for kind in kinds or tuple(Kind):
        for fmt in formats(kind):
            if key in fmt.suffixes:
                return fmt
    return None


# --------------------------------------------------------------------------------------------
# Content negotiation

#: (media type, format name) a client may ask for, per kind, in the server's order.
_ACCEPTED: dict[Kind, list[tuple[str, str]]] = {
    kind: [(media, f.name) for f in formats(kind) for media in f.media_types] for kind in Kind
}
_HTML = ("text/html", "application/xhtml+xml")
_SPARQL_MEDIA = {m for kind in (Kind.RESULTS, Kind.GRAPH) for m, _ in _ACCEPTED[kind]}


def _parse_accept(accept: str) -> list[tuple[float, int, str]]:
    """(q, position, media range) of each range of an Accept header."""
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


def negotiate(accept: str | None, kind: Kind | str) -> str | None:
    """The name of the best format of ``kind`` for an Accept header.

    Higher q wins, then an exact media type over ``type/*`` over ``*/*``, then the client's
    order, then the server's (the registry's) order.

    Parameters
    ----------
    accept : str or None
        The Accept header.
    kind : Kind or str
        ``results`` or ``graph``.

    Returns
    -------
    str or None
        None when the header accepts none of the formats: the caller then uses its default,
        as HTTP allows.

    Examples
    --------
    >>> negotiate("*/*", Kind.GRAPH)
    'turtle'
    >>> negotiate("application/json", "graph")
    'jsonld'
    >>> negotiate("text/*;q=0.3, application/rdf+xml;q=0.2", Kind.GRAPH)
    'turtle'
    >>> negotiate("text/csv;q=0", Kind.RESULTS) is None
    True
    """
    if not accept:
        return None
    return _negotiated(accept, kind)


@functools.lru_cache(maxsize=256)
def _negotiated(accept: str, kind: Kind | str) -> str | None:
    # Remembered: every query asks it twice, and clients send few distinct headers.
    ranges = _parse_accept(accept)
    best: tuple[float, int, int, int] | None = None
    chosen = None
    for order, (media, name) in enumerate(_ACCEPTED[Kind(kind)]):
        major = media.split("/")[0]
        quality, specificity, position = -1.0, -1, 0
        for q, pos, pattern in ranges:
            if pattern == media:
                spec = 2
            elif pattern == f"{major}/*":
                spec = 1
            elif pattern == "*/*":
                spec = 0
            else:
                continue
            if spec > specificity:
                quality, specificity, position = q, spec, pos
        if quality <= 0:
            continue
        key = (quality, specificity, -position, -order)
        if best is None or key > best:
            best, chosen = key, name
    return chosen


def accepts_html(accept: str | None) -> bool:
    """Whether a browser asks for a page: text/html ranked at least as high as any SPARQL
    results or RDF format it names.

    >>> accepts_html("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")
    True
    >>> accepts_html("text/html;q=0.5, text/turtle")
    False
    >>> accepts_html("*/*")
    False
    """
    if not accept:
        return False
    ranges = _parse_accept(accept)
    html = max((q for q, _, m in ranges if m in _HTML), default=0)
    if html <= 0:
        return False
    return html >= max((q for q, _, m in ranges if m in _SPARQL_MEDIA), default=0)
