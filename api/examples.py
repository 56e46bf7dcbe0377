"""Example request bodies for the interactive docs (/docs): the first claim of the shipped
dataset, as a claims CSV and in every RDF format a route accepts, and as an export of one
dataset holding it (for a restore), so that what Swagger UI pre-fills is data the server
loads."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from functools import cache
from typing import Any

import pyoxigraph as ox

from graph.ingest import INPUT_KINDS, shipped_claims
from graph.ingest.claims_csv import convert_claims
from graph.ingest.load import dataset_description
from graph.model.namespaces import dataset_iri
from graph.store.formats import by_media_type

__all__ = ["example_body", "example_claims_csv", "example_export", "export_bodies", "rdf_bodies"]

#: The dataset the example claim is converted for (its IRIs name it).
_DATASET = "mine"


@cache
def example_claims_csv() -> str:
    """The header and the first claim of the shipped claims CSV."""
    with open(shipped_claims(), encoding="utf-8", newline="") as text:
        return text.readline() + text.readline()


def _claim_triples() -> list[ox.Triple]:
    return convert_claims(example_claims_csv(), _DATASET).triples


def _text(written: bytes | None) -> str:
    return written.decode("utf-8") if written is not None else ""


@cache
def _example_in(format: ox.RdfFormat) -> str:
    return _text(ox.serialize(_claim_triples(), format=format))


@cache
def example_export(format: ox.RdfFormat) -> str:
    """An export (in a format that keeps graphs) of one dataset holding the example claim:
    its named graph with the dataset's description in it, as ``recruitgraph export`` writes."""
    triples = _claim_triples()
    graph = ox.NamedNode(dataset_iri(_DATASET))
    description = dataset_description(
        _DATASET,
        checksum="sha256:" + hashlib.sha256(example_claims_csv().encode("utf-8")).hexdigest(),
        files=["claims.csv"],
        loaded_by="recruitgraph",
        triples=len(triples),
    )
    quads = [ox.Quad(t.subject, t.predicate, t.object, graph) for t in triples + description]
    return _text(ox.serialize(quads, format=format))


def example_body(media_type: str) -> str:
    """The example claim in the input format of ``media_type``."""
    fmt = _rdf_format(media_type)
    return example_claims_csv() if fmt is None else _example_in(fmt)


def _media(fmt: ox.RdfFormat | None, text: str) -> dict[str, Any]:
    """One media type of a request body: its schema and its example. A JSON-LD example is
    the JSON value itself: Swagger UI writes a JSON media type's example as JSON, and would
    send a text example as one quoted JSON string."""
    if fmt == ox.RdfFormat.JSON_LD:
        return {"schema": {"type": ["array", "object"]}, "example": json.loads(text)}
    return {"schema": {"type": "string"}, "example": text}


def _rdf_format(media_type: str) -> ox.RdfFormat | None:
    fmt = by_media_type(media_type, *INPUT_KINDS)
    return fmt.rdf if fmt is not None and isinstance(fmt.rdf, ox.RdfFormat) else None


def rdf_bodies(media_types: Iterable[str]) -> dict[str, dict[str, Any]]:
    """The ``content`` of an OpenAPI request body in ``media_types`` (the input formats), each
    with the example claim in its format."""
    return {media: _media(_rdf_format(media), example_body(media)) for media in media_types}


def export_bodies(media_types: Iterable[str]) -> dict[str, dict[str, Any]]:
    """The ``content`` of an OpenAPI request body of an export in ``media_types`` (formats
    that keep graphs), each with :func:`example_export` in its format."""
    content = {}
    for media in media_types:
        fmt = _rdf_format(media)
        assert fmt is not None, f"{media} is not an RDF format"
        content[media] = _media(fmt, example_export(fmt))
    return content
