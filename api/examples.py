"""Example request bodies for the interactive docs (/docs): the first claim of the shipped
dataset, as a claims CSV and in every RDF format a route accepts, and as an export of one
dataset holding it (for a restore), so that what Swagger UI pre-fills is data the server
loads."""

from __future__ import annotations

import hashlib
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
    fmt = by_media_type(media_type, *INPUT_KINDS)
    if fmt is None or not isinstance(fmt.rdf, ox.RdfFormat):
        return example_claims_csv()
    return _example_in(fmt.rdf)


def rdf_bodies(media_types: Iterable[str]) -> dict[str, dict[str, Any]]:
    """The ``content`` of an OpenAPI request body of text in ``media_types``, each with the
    example claim in its format."""
    return {
        media: {"schema": {"type": "string"}, "example": example_body(media)}
        for media in media_types
    }


def export_bodies(media_types: Iterable[str]) -> dict[str, dict[str, Any]]:
    """The ``content`` of an OpenAPI request body of an export in ``media_types`` (formats
    that keep graphs), each with :func:`example_export` in its format."""
    content = {}
    for media in media_types:
        fmt = by_media_type(media, *INPUT_KINDS)
        assert fmt is not None and isinstance(fmt.rdf, ox.RdfFormat), media
        content[media] = {"schema": {"type": "string"}, "example": example_export(fmt.rdf)}
    return content
