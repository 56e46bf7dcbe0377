"""The domain model, read from the ontology and the SHACL shapes.

``ontologies/recruitment.ttl`` and ``ontologies/shapes.ttl`` are the single source of truth for
the kinds of actor, their tiers and the order tiers are listed in, which ISO code each kind
carries, the relation types, the controlled vocabularies and which parties each relation allows.
Python code asks this module instead of keeping its own lists (``tests/test_model_as_data.py``
fails on a list of the model written out in code).

Examples
--------
>>> tiers()
('federal', 'regional', 'recruiter', 'foreign', 'other')
>>> confidence_levels()
('low', 'medium', 'high')
>>> kinds()["RegionalGovernment"].code.hint
'ISO 3166-2:RU code like RU-TA'
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path

import rdflib
from rdflib.collection import Collection
from rdflib.namespace import RDF, RDFS, SH, SKOS

from graph.model.namespaces import ORG, RG, entity_iri

__all__ = [
    "Code",
    "Kind",
    "allowed_parties",
    "concept_rank",
    "concept_texts",
    "concepts",
    "confidence_levels",
    "control_relations",
    "id_segment",
    "kinds",
    "local_name",
    "ontology_graph",
    "ontology_text",
    "relation_labels",
    "relation_types",
    "shapes_graph",
    "tiers",
]

_RG = rdflib.Namespace(RG)


def _read(name: str) -> rdflib.Graph:
    graph = rdflib.Graph()
    graph.parse(data=ontology_text(name), format="turtle")
    return graph


@lru_cache(maxsize=4)
def ontology_graph(path: str | Path | None = None) -> rdflib.Graph:
    """The OWL ontology: the shipped ``recruitment.ttl``, or the Turtle file at ``path``.

    Every accessor of this module reads the shipped ontology; those that take an ``ontology``
    argument read another one (a changed copy, say) through this same loader.
    """
    if path is None:
        return _read("recruitment.ttl")
    graph = rdflib.Graph()
    graph.parse(Path(path), format="turtle")
    return graph


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


def _text(onto: rdflib.Graph, subject: rdflib.term.Node, prop: rdflib.URIRef) -> str | None:
    """The English (or untagged, else any) literal of ``prop`` on ``subject``, if any."""
    values = [v for v in onto.objects(subject, prop) if isinstance(v, rdflib.Literal)]
    english = [v for v in values if v.language in (None, "en")]
    return str((english or values)[0]) if values else None


@dataclass(frozen=True)
class Code:
    """The ISO code that members of a kind of party carry (``rg:codeProperty`` of the kind).

    Examples
    --------
    >>> code = kinds()["RecruitCohort"].code
    >>> local_name(code.predicate), code.place, code.iri("NP")
    ('nationality', 'Country', 'https://w3id.org/recruitgraph/id/country/np')
    """

    predicate: str  #: IRI of the property that links a member to its code's node
    place: str  #: local name of the reference class of that node (``Province``, ``Country``)
    place_segment: str  #: path segment of the IRIs of that class (``province``)
    standard: str  #: the standard of the codes (``ISO 3166-2:RU``)
    example: str  #: one code (``RU-TA``)

    @property
    def hint(self) -> str:
        """What a code looks like, for error messages: ``ISO 3166-1 alpha-2 code like NP``."""
        return f"{self.standard} code like {self.example}"

    def iri(self, code: str) -> str:
        """The IRI of the reference node of ``code`` (any case)."""
        return entity_iri(self.place_segment, code.lower())


@cache
def id_segment(cls: str) -> str:
    """The path segment of the entity IRIs of class ``rg:<cls>`` (its ``rg:idSegment``).

    >>> id_segment("Province"), id_segment("RecruitCohort")
    ('province', 'cohort')
    """
    segment = ontology_graph().value(_RG[cls], _RG.idSegment)
    if segment is None:
        raise KeyError(f"the ontology gives rg:{cls} no rg:idSegment")
    return str(segment)


def _code(onto: rdflib.Graph, cls: rdflib.term.Node) -> Code | None:
    prop = onto.value(cls, _RG.codeProperty)
    if prop is None:
        return None
    place = onto.value(prop, RDFS.range)
    return Code(
        predicate=str(prop),
        place=local_name(str(place)),
        place_segment=str(onto.value(place, _RG.idSegment)),
        standard=str(onto.value(place, _RG.codeStandard)),
        example=str(onto.value(place, SKOS.example)),
    )


@dataclass(frozen=True)
class Kind:
    """A kind of party: an actor class or the scheme class, with its funding tier.

    Examples
    --------
    >>> kind = kinds()["ForeignGovernment"]
    >>> kind.tier, kind.id_segment, kind.actor, kind.government
    ('foreign', 'foreign-government', True, True)
    >>> kinds()["RecruitmentScheme"].code is None
    True
    """

    name: str  #: local name, as in the claims CSV (``RegionalGovernment``)
    iri: str
    tier: str  #: notation of its tier concept (``regional``)
    id_segment: str  #: path segment of its entity IRIs (``regional-government``)
    label: str
    #: the ISO code its members carry, None for a kind without one
    code: Code | None = None
    #: whether it is an actor (a subclass of ``rg:Actor``): a scheme is not
    actor: bool = False
    #: whether it is the government of a place: an organization with an ISO code, identified
    #: by its code (a regional or foreign government; a cohort has a code but is no organization)
    government: bool = False


@lru_cache(maxsize=1)
def kinds() -> dict[str, Kind]:
    """The kinds of party, by name: every class that the ontology gives a ``rg:tier``.

    >>> list(kinds())[:2]
    ['FederalBody', 'ForeignGovernment']
    """
    onto = ontology_graph()
    found = {}
    for cls, tier in onto.subject_objects(_RG.tier):
        name = local_name(str(cls))
        code = _code(onto, cls)
        parents = set(onto.objects(cls, RDFS.subClassOf))
        found[name] = Kind(
            name=name,
            iri=str(cls),
            tier=str(onto.value(tier, SKOS.notation)),
            id_segment=str(onto.value(cls, _RG.idSegment)),
            label=str(onto.value(cls, RDFS.label)),
            code=code,
            actor=_RG.Actor in parents,
            government=code is not None and rdflib.URIRef(ORG + "Organization") in parents,
        )
    return dict(sorted(found.items()))


def _ordered(onto: rdflib.Graph, scheme: str, key: str) -> tuple[str, ...]:
    """The notations of ``rg:<scheme>`` sorted by the integer ``rg:<key>`` of each concept."""
    ranked = []
    for concept in onto.subjects(SKOS.inScheme, _RG[scheme]):
        position = onto.value(concept, _RG[key])
        if position is None:
            raise ValueError(f"{local_name(str(concept))} of rg:{scheme} has no rg:{key}")
        ranked.append((int(str(position)), str(onto.value(concept, SKOS.notation))))
    return tuple(name for _, name in sorted(ranked))


def _tiers(onto: rdflib.Graph) -> tuple[str, ...]:
    return _ordered(onto, "TierScheme", "order")


@lru_cache(maxsize=1)
def _shipped_tiers() -> tuple[str, ...]:
    return _tiers(ontology_graph())


def tiers(ontology: rdflib.Graph | None = None) -> tuple[str, ...]:
    """The tiers (notations of ``rg:TierScheme``) in the order the ontology gives them
    (``rg:order``): the order of every table, legend and report by tier.

    Parameters
    ----------
    ontology : rdflib.Graph, optional
        Another ontology to read (see :func:`ontology_graph`); the shipped one by default.

    Raises
    ------
    ValueError
        If a tier has no ``rg:order``.

    Examples
    --------
    >>> tiers()
    ('federal', 'regional', 'recruiter', 'foreign', 'other')
    """
    return _shipped_tiers() if ontology is None else _tiers(ontology)


def _by_rank(onto: rdflib.Graph) -> tuple[str, ...]:
    return _ordered(onto, "ConfidenceScheme", "rank")


@lru_cache(maxsize=1)
def _shipped_confidence_levels() -> tuple[str, ...]:
    return _by_rank(ontology_graph())


def confidence_levels(ontology: rdflib.Graph | None = None) -> tuple[str, ...]:
    """The confidence levels (notations of ``rg:ConfidenceScheme``), weakest first, by
    ``rg:rank``: the choices of every "at least this firm" filter.

    Examples
    --------
    >>> confidence_levels()
    ('low', 'medium', 'high')
    """
    return _shipped_confidence_levels() if ontology is None else _by_rank(ontology)


@lru_cache(maxsize=1)
def relation_types() -> tuple[str, ...]:
    """Local names of the relation classes (the direct subclasses of ``rg:Relation``)."""
    onto = ontology_graph()
    return tuple(sorted(local_name(str(c)) for c in onto.subjects(RDFS.subClassOf, _RG.Relation)))


@lru_cache(maxsize=1)
def relation_labels() -> dict[str, str]:
    """The words a reader sees for each relation type: its class's ``rdfs:label`` (English),
    else its local name.

    >>> relation_labels()["FundingFlow"]
    'Funding flow'
    """
    onto = ontology_graph()
    return {name: _text(onto, _RG[name], RDFS.label) or name for name in relation_types()}


@lru_cache(maxsize=1)
def control_relations() -> tuple[str, ...]:
    """The relation types through which control or money passes from ``rg:from`` to ``rg:to``
    (``rg:conveysControl true``): those that federal reach follows.

    >>> control_relations()
    ('Coordination', 'FundingFlow', 'Operation')
    """
    onto = ontology_graph()
    true = rdflib.Literal(True)
    return tuple(r for r in relation_types() if (_RG[r], _RG.conveysControl, true) in onto)


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
    """The ``rg:rank`` of a concept (confidence levels: low 1, medium 2, high 3).

    >>> concept_rank(concepts("ConfidenceScheme")["medium"])
    2
    """
    value = ontology_graph().value(rdflib.URIRef(concept_iri), _RG.rank)
    return int(value) if isinstance(value, rdflib.Literal) else None


@cache
def concept_texts(scheme: str) -> dict[str, dict[str, str]]:
    """The words of each concept of a SKOS scheme, as ``{notation: {"label", "definition",
    "note"}}`` (English): ``skos:prefLabel`` (else the notation with spaces), ``skos:definition``
    and ``skos:scopeNote`` (a few words for a legend; else the definition).

    >>> concept_texts("ClaimBasisScheme")["assessment"]["note"]
    'expert judgment'
    """
    onto = ontology_graph()
    found = {}
    for name, iri in concepts(scheme).items():
        node = rdflib.URIRef(iri)
        definition = _text(onto, node, SKOS.definition) or ""
        found[name] = {
            "label": _text(onto, node, SKOS.prefLabel) or name.replace("_", " "),
            "definition": definition,
            "note": _text(onto, node, SKOS.scopeNote) or definition,
        }
    return found
