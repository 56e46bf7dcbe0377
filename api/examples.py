"""Example request bodies for the interactive docs (/docs): the first claim of the shipped
dataset, as a claims CSV and in every RDF format a route accepts, so that what Swagger UI
pre-fills is data the server loads."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from typing import Any

import pyoxigraph as ox

from graph.ingest import INPUT_KINDS, shipped_claims
from graph.ingest.claims_csv import convert_claims
from graph.store.formats import by_media_type

__all__ = ["example_claims_csv", "rdf_bodies"]

#: The dataset the example claim is converted for (its IRIs name it).
_DATASET = "mine"


@cache
def example_claims_csv() -> str:
    """The header and the first claim of the shipped claims CSV."""
    with open(shipped_claims(), encoding="utf-8", newline="") as text:
        return text.readline() + text.readline()


@cache
def _example_in(format: ox.RdfFormat) -> str:
    triples = convert_claims(example_claims_csv(), _DATASET).triples
    written = ox.serialize(triples, format=format)
    return written.decode("utf-8") if written is not None else ""


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
