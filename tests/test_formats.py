"""The format registry: every name, media type and suffix leads back to its format, and agrees
with pyoxigraph's own format objects; content negotiation with q-values and wildcards."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from graph.store.formats import (
    FORMATS,
    Format,
    Kind,
    UnknownFormat,
    accepts_html,
    by_media_type,
    by_name,
    by_suffix,
    essence,
    formats,
    negotiate,
)

WITH_OX = [f for f in FORMATS if f.rdf is not None]


def _ox_class(fmt: Format) -> type[ox.RdfFormat] | type[ox.QueryResultsFormat]:
    return ox.RdfFormat if fmt.kind is Kind.GRAPH else ox.QueryResultsFormat


def test_names_are_unique_within_a_kind() -> None:
    for kind in Kind:
        names = [n for f in formats(kind) for n in (f.name, *f.aliases)]
        assert len(names) == len(set(names)), kind
        media = [m for f in formats(kind) for m in f.media_types]
        suffixes = [s for f in formats(kind) for s in f.suffixes]
        assert len(media) == len(set(media)) and len(suffixes) == len(set(suffixes)), kind


@pytest.mark.parametrize("fmt", WITH_OX, ids=lambda f: f"{f.kind}-{f.name}")
def test_media_type_and_suffix_are_pyoxigraphs(fmt: Format) -> None:
    assert fmt.media_type == essence(fmt.rdf.media_type)
    assert fmt.suffix == "." + fmt.rdf.file_extension
    assert fmt.title == fmt.rdf.name
    cls = _ox_class(fmt)
    assert isinstance(fmt.rdf, cls)
    # pyoxigraph reads back the same format from every media type we accept for it, and from
    # the suffix we write.
    for media in fmt.media_types:
        assert cls.from_media_type(media) == fmt.rdf, media
    assert cls.from_extension(fmt.suffix[1:]) == fmt.rdf


def test_every_pyoxigraph_format_we_serve_is_registered() -> None:
    served = {f.rdf for f in WITH_OX}
    for fmt in (
        ox.QueryResultsFormat.JSON,
        ox.QueryResultsFormat.XML,
        ox.QueryResultsFormat.CSV,
        ox.QueryResultsFormat.TSV,
        ox.RdfFormat.TURTLE,
        ox.RdfFormat.N_TRIPLES,
        ox.RdfFormat.N_QUADS,
        ox.RdfFormat.TRIG,
        ox.RdfFormat.JSON_LD,
        ox.RdfFormat.RDF_XML,
    ):
        assert fmt in served


@pytest.mark.parametrize("fmt", FORMATS, ids=lambda f: f"{f.kind}-{f.name}")
def test_round_trips(fmt: Format) -> None:
    assert by_name(fmt.name, fmt.kind) is fmt
    assert by_name(fmt.name.upper(), fmt.kind) is fmt
    for alias in fmt.aliases:
        assert by_name(alias, fmt.kind) is fmt
    for media in fmt.media_types:
        assert by_media_type(media, fmt.kind) is fmt
        assert by_media_type(f"{media.upper()}; charset=utf-8", fmt.kind) is fmt
    for suffix in fmt.suffixes:
        assert by_suffix(suffix, fmt.kind) is fmt
        assert by_suffix(suffix.upper(), fmt.kind) is fmt
    assert fmt.title


def test_shared_names_resolve_by_kind() -> None:
    assert by_name("csv", Kind.RESULTS).rdf == ox.QueryResultsFormat.CSV
    assert by_name("csv", Kind.NETWORK).rdf is None
    assert by_suffix(".csv", Kind.CLAIMS, Kind.NETWORK).name == "claims"
    assert by_media_type("application/xml", Kind.RESULTS).name == "xml"
    assert by_media_type("application/xml", Kind.GRAPH).name == "rdfxml"
    assert by_media_type("application/xml", Kind.GRAPH, Kind.RESULTS).name == "rdfxml"
    assert by_suffix(".json", Kind.NETWORK) is None


def test_the_formats_of_today_keep_their_names_media_types_and_suffixes() -> None:
    """What the API, the CLI and the loader answered before the registry."""
    sent = {
        "nquads": ("application/n-quads", ".nq"),
        "trig": ("application/trig", ".trig"),
        "turtle": ("text/turtle", ".ttl"),
        "ntriples": ("application/n-triples", ".nt"),
        "jsonld": ("application/ld+json", ".jsonld"),
        "rdfxml": ("application/rdf+xml", ".rdf"),
    }
    for name, (media, suffix) in sent.items():
        fmt = by_name(name, Kind.GRAPH)
        assert (fmt.media_type, fmt.suffix) == (media, suffix)
    for name, media, suffix in (
        ("graphml", "application/graphml+xml", ".graphml"),
        ("gexf", "application/gexf+xml", ".gexf"),
        ("csv", "text/csv", ".csv"),
    ):
        assert (by_name(name, Kind.NETWORK).media_type, by_name(name, Kind.NETWORK).suffix) == (
            media,
            suffix,
        )
    for name, media in (
        ("json", "application/sparql-results+json"),
        ("xml", "application/sparql-results+xml"),
        ("csv", "text/csv"),
        ("tsv", "text/tab-separated-values"),
    ):
        assert by_name(name, Kind.RESULTS).media_type == media
    read = {
        ".ttl": "turtle",
        ".turtle": "turtle",
        ".nt": "ntriples",
        ".nq": "nquads",
        ".trig": "trig",
        ".jsonld": "jsonld",
        ".json": "jsonld",
        ".rdf": "rdfxml",
        ".owl": "rdfxml",
    }
    assert {s: by_suffix(s, Kind.GRAPH).name for s in read} == read
    bodies = {
        "text/turtle": "turtle",
        "application/x-turtle": "turtle",
        "application/n-triples": "ntriples",
        "text/plain": "ntriples",
        "application/n-quads": "nquads",
        "application/trig": "trig",
        "application/ld+json": "jsonld",
        "application/rdf+xml": "rdfxml",
        "text/csv": "claims",
    }
    assert {m: by_media_type(m, Kind.GRAPH, Kind.CLAIMS).name for m in bodies} == bodies
    for alias, name in (("srj", "json"), ("srx", "xml"), ("n3", "turtle"), ("rdf", "rdfxml")):
        assert by_name(alias, Kind.RESULTS, Kind.GRAPH).name == name


def test_unknown_names_list_the_known_ones() -> None:
    with pytest.raises(UnknownFormat, match=r"use one of graphml, gexf, csv$"):
        by_name("pdf", Kind.NETWORK)
    with pytest.raises(ValueError, match="'json'"):
        by_name("json", Kind.NETWORK)
    assert by_media_type("image/png") is None and by_suffix(".pdf") is None


def test_dataset_formats_keep_graphs() -> None:
    keeps = {f.name for f in formats(Kind.GRAPH) if f.keeps_graphs}
    assert keeps == {"nquads", "trig", "jsonld"}
    assert {f.name for f in FORMATS if f.takes_prefixes} == {"turtle", "trig"}


@pytest.mark.parametrize(
    ("accept", "kind", "expected"),
    [
        ("application/sparql-results+xml, */*;q=0.1", Kind.RESULTS, "xml"),
        ("*/*", Kind.RESULTS, "json"),
        ("*/*", Kind.GRAPH, "turtle"),
        ("text/csv;q=0.5, application/sparql-results+json;q=0.9", Kind.RESULTS, "json"),
        ("text/csv;q=0.9, application/sparql-results+json;q=0.5", Kind.RESULTS, "csv"),
        # equal q: the client's order, then an exact type over a wildcard
        ("text/tab-separated-values, text/csv", Kind.RESULTS, "tsv"),
        ("text/*, text/csv", Kind.RESULTS, "csv"),
        # a wildcard's q applies to what it covers; an exact range overrides it
        ("text/*;q=0.2, application/*;q=0.1", Kind.GRAPH, "turtle"),
        ("text/*;q=0.2, application/n-triples;q=0.3", Kind.GRAPH, "ntriples"),
        ("*/*;q=0.5, application/*;q=0", Kind.RESULTS, "xml"),  # as text/xml
        ("application/trig;q=0.4, application/n-quads;q=0.3", Kind.GRAPH, "trig"),
        ("application/sparql-results+xml, application/rdf+xml", Kind.GRAPH, "rdfxml"),
        ("application/json", "graph", "jsonld"),
        ("application/json", "results", "json"),
        ("text/plain", Kind.GRAPH, "ntriples"),
        ("TEXT/TURTLE ; Q=0.7", Kind.GRAPH, "turtle"),
        ("text/turtle;q=bad", Kind.GRAPH, None),
        ("image/png", Kind.RESULTS, None),
        ("text/csv;q=0", Kind.RESULTS, None),
        ("", Kind.RESULTS, None),
        (None, Kind.RESULTS, None),
    ],
)
def test_negotiate(accept: str | None, kind: Kind | str, expected: str | None) -> None:
    assert negotiate(accept, kind) == expected


def test_negotiate_never_picks_another_kind() -> None:
    assert negotiate("application/graphml+xml", Kind.GRAPH) is None
    assert negotiate("text/turtle", Kind.RESULTS) is None
    assert negotiate("application/graphml+xml", Kind.NETWORK) == "graphml"


def test_browsers_get_the_page_and_clients_do_not() -> None:
    assert accepts_html("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")
    assert accepts_html("text/html;q=0.9, application/n-quads;q=0.8")
    assert not accepts_html("text/html;q=0.8, application/n-quads;q=0.9")
    assert not accepts_html("*/*")
    assert not accepts_html("text/html;q=0")
    assert not accepts_html(None)
