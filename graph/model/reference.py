"""Reference data: Russia's federal subjects, the world's countries and currencies.

Generated from pycountry (ISO 3166-1, ISO 3166-2:RU, ISO 4217), so the codes that claims use
can be checked against the standard: a regional government points at a ``rg:Province`` node,
a foreign government or cohort at a ``rg:Country`` node, and a funding flow's currency code must
be the ``skos:notation`` of a ``rg:Currency`` node. SHACL validation mixes these nodes in; the
store keeps them as the ``reference`` dataset so that queries can use labels and codes.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator
from functools import lru_cache

import pycountry
import pyoxigraph as ox

from graph.model.namespaces import RDF, RDFS, RG, SKOS, dataset_iri, entity_iri
from graph.model.ontology import id_segment

#: Name of the dataset that holds the reference data in the store.
REFERENCE_DATASET = "reference"

_A = ox.NamedNode(RDF + "type")


def with_reference(graphs: Iterable[str], model: Collection[str]) -> list[str]:
    """The dataset graphs ``graphs`` a caller sees, sorted, with the reference dataset's only
    if another of them uses the recruitment model (is in ``model``, as each dataset's
    description records at load): arbitrary RDF read alone is exactly its own triples, while
    those who read claims get the labels and codes of the ontology and pycountry with them.

    >>> ref, claims, w3c = (dataset_iri(n) for n in ("reference", "claims", "http://ex/g"))
    >>> with_reference([ref, w3c], {ref, claims}) == [w3c]
    True
    >>> with_reference([ref, w3c, claims], {ref, claims}) == sorted([ref, w3c, claims])
    True
    """
    chosen = sorted(graphs)
    reference = dataset_iri(REFERENCE_DATASET)
    if any(g in model for g in chosen if g != reference):
        return chosen
    return [g for g in chosen if g != reference]


_LABEL = ox.NamedNode(RDFS + "label")
_NOTATION = ox.NamedNode(SKOS + "notation")
_IN_SCHEME = ox.NamedNode(SKOS + "inScheme")
_COUNTRY = ox.NamedNode(RG + "country")


def province_iri(code: str) -> str:
    """IRI of the Russian federal subject with ISO 3166-2 code ``code`` (``RU-TA``)."""
    return entity_iri(id_segment("Province"), code.lower())


def country_iri(alpha_2: str) -> str:
    """IRI of the country with ISO 3166-1 alpha-2 code ``alpha_2`` (``NP``)."""
    return entity_iri(id_segment("Country"), alpha_2.lower())


def currency_iri(code: str) -> str:
    """IRI of the ISO 4217 currency ``code`` (``RUB``)."""
    return entity_iri(id_segment("Currency"), code.lower())


def _node(iri: str, cls: str, notation: str, label: str) -> Iterator[ox.Triple]:
    subject = ox.NamedNode(iri)
    yield ox.Triple(subject, _A, ox.NamedNode(RG + cls))
    yield ox.Triple(subject, _NOTATION, ox.Literal(notation))
    yield ox.Triple(subject, _LABEL, ox.Literal(label, language="en"))


def reference_triples() -> Iterator[ox.Triple]:
    """All reference triples, in a stable order."""
    for country in sorted(pycountry.countries, key=lambda c: c.alpha_2):
        iri = country_iri(country.alpha_2)
        yield from _node(iri, "Country", country.alpha_2, country.name)
        yield ox.Triple(ox.NamedNode(iri), ox.NamedNode(RG + "alpha3"), ox.Literal(country.alpha_3))
    russia = ox.NamedNode(country_iri("RU"))
    for subject in sorted(pycountry.subdivisions.get(country_code="RU"), key=lambda s: s.code):
        iri = province_iri(subject.code)
        yield from _node(iri, "Province", subject.code, subject.name)
        yield ox.Triple(ox.NamedNode(iri), _COUNTRY, russia)
    for currency in sorted(pycountry.currencies, key=lambda c: c.alpha_3):
        iri = currency_iri(currency.alpha_3)
        yield from _node(iri, "Currency", currency.alpha_3, currency.name)
        yield ox.Triple(ox.NamedNode(iri), _IN_SCHEME, ox.NamedNode(RG + "ISO4217"))


@lru_cache(maxsize=1)
def reference_codes() -> dict[str, frozenset[str]]:
    """The valid codes by kind of place: ``province``, ``country`` and ``currency``."""
    return {
        "province": frozenset(s.code for s in pycountry.subdivisions.get(country_code="RU")),
        "country": frozenset(c.alpha_2 for c in pycountry.countries),
        "currency": frozenset(c.alpha_3 for c in pycountry.currencies),
    }
