"""The domain model, read from the ontology and the SHACL shapes.

``ontologies/recruitment.ttl`` and ``ontologies/shapes.ttl`` are the single source of truth for
the kinds of actor, the relation types, the controlled vocabularies and which parties each
relation allows. Python code asks this module instead of keeping its own lists.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources

import rdflib
from rdflib.collection import Collection
from rdflib.namespace import RDF, RDFS, SH, SKOS

from graph.model.namespaces import RG

_RG = rdflib.Namespace(RG)


def _read(name: str) -> rdflib.Graph:
    graph = rdflib.Graph()
    graph.parse(
        data=resources.files("graph.ontologies").joinpath(name).read_text("utf-8"), format="turtle"
    )
    return graph


@lru_cache(maxsize=1)
def ontology_graph() -> rdflib.Graph:
    """The OWL ontology (``recruitment.ttl``)."""
    return _read("recruitment.ttl")


@lru_cache(maxsize=1)
def shapes_graph() -> rdflib.Graph:
    """The SHACL shapes (``shapes.ttl``)."""
    return _read("shapes.ttl")


def ontology_text(name: str = "recruitment.ttl") -> str:
    """The Turtle text of ``recruitment.ttl`` or ``shapes.ttl``."""
    return resources.files("graph.ontologies").joinpath(name).read_text("utf-8")


def local_name(iri: str) -> str:
    """``FundingFlow`` for ``rg:FundingFlow``."""
    return iri.rsplit("#", 1)[-1].rsplit("/", 1)[-1]


@dataclass(frozen=True)
class Kind:
    """A kind of party: an actor class or the scheme class, with its funding tier."""

    name: str  #: local name, as in the claims CSV (``RegionalGovernment``)
    iri: str
    tier: str  #: notation of its tier concept (``regional``)
    id_segment: str  #: path segment of its entity IRIs (``regional-government``)
    label: str


@lru_cache(maxsize=1)
def kinds() -> dict[str, Kind]:
    """The kinds of party, by name: every class that the ontology gives a ``rg:tier``."""
    onto = ontology_graph()
    found = {}
    for cls, tier in onto.subject_objects(_RG.tier):
        name = local_name(str(cls))
        found[name] = Kind(
            name=name,
            iri=str(cls),
            tier=str(onto.value(tier, SKOS.notation)),
            id_segment=str(onto.value(cls, _RG.idSegment)),
            label=str(onto.value(cls, RDFS.label)),
        )
    return dict(sorted(found.items()))


@lru_cache(maxsize=1)
def relation_types() -> tuple[str, ...]:
    """Local names of the relation classes (the direct subclasses of ``rg:Relation``)."""
    onto = ontology_graph()
    return tuple(sorted(local_name(str(c)) for c in onto.subjects(RDFS.subClassOf, _RG.Relation)))


@cache
def allowed_parties(relation: str) -> tuple[frozenset[str], frozenset[str]]:
    """The kinds allowed as ``rg:from`` and as ``rg:to`` of ``relation``, read from its shape.

    >>> sorted(allowed_parties("Operation")[1])
    ['RecruitmentScheme']
    """
    shapes = shapes_graph()
    # Each relation type has its own shape, rg:<Relation>Shape, besides the shared one.
    shape = _RG[f"{relation}Shape"]
    if relation not in relation_types() or (shape, SH.targetClass, _RG[relation]) not in shapes:
        raise KeyError(f"unknown relation type {relation!r}")
    result = []
    for role in (_RG["from"], _RG.to):
        allowed: set[str] = set()
        for prop in shapes.objects(shape, SH.property):
            if shapes.value(prop, SH.path) != role:
                continue
            # a property of the role without sh:or allows no class: the empty list
            for alternative in Collection(shapes, shapes.value(prop, SH["or"]) or RDF.nil):
                allowed.add(local_name(str(shapes.value(alternative, SH["class"]))))
        result.append(frozenset(allowed))
    return result[0], result[1]


@cache
def concepts(scheme: str) -> dict[str, str]:
    """The concepts of a SKOS scheme of the ontology, as ``{notation: IRI}``.

    >>> concepts("ConfidenceScheme")["high"]
    'https://w3id.org/recruitgraph/ontology#HighConfidence'
    """
    onto = ontology_graph()
    found = {
        str(onto.value(c, SKOS.notation)): str(c) for c in onto.subjects(SKOS.inScheme, _RG[scheme])
    }
    if not found:
        raise KeyError(f"no concept scheme rg:{scheme} in the ontology")
    return found


def concept_rank(concept_iri: str) -> int | None:
    """The ``rg:rank`` of a concept (confidence levels: low 1, medium 2, high 3)."""
    value = ontology_graph().value(rdflib.URIRef(concept_iri), _RG.rank)
    return int(value) if isinstance(value, rdflib.Literal) else None
