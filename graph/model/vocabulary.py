"""The terms a SPARQL query over this store is written with: the classes and properties of the
ontology and those the shapes constrain (PROV-O, W3C ORG, schema.org, Dublin Core, SKOS terms
used by the model), each with its prefixed name, label and definition; what the query page
completes and explains.

>>> terms = vocabulary()
>>> funding = next(t for t in terms["classes"] if t["name"] == "rg:FundingFlow")
>>> funding["iri"]
'https://w3id.org/recruitgraph/ontology#FundingFlow'
>>> "schema:amount" in {t["name"] for t in terms["properties"]}
True
"""

from __future__ import annotations

from functools import cache

import rdflib
from rdflib.namespace import OWL, RDF, RDFS, SH, SKOS

from graph.model.namespaces import PREFIXES
from graph.model.ontology import ontology_graph, shapes_graph

__all__ = ["prefixed", "vocabulary"]

_CLASSES = (OWL.Class, RDFS.Class)
_PROPERTIES = (OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty, RDF.Property)


def prefixed(iri: str) -> str:
    """``iri`` as a prefixed name with the store's prefixes (the longest namespace that
    matches), or as ``<iri>`` when none does.

    >>> prefixed("https://schema.org/amount"), prefixed("urn:x")
    ('schema:amount', '<urn:x>')
    """
    matches = [(p, ns) for p, ns in PREFIXES.items() if iri.startswith(ns)]
    if not matches:
        return f"<{iri}>"
    prefix, namespace = max(matches, key=lambda match: len(match[1]))
    return f"{prefix}:{iri[len(namespace) :]}"


def _first_text(graph: rdflib.Graph, subject: rdflib.term.Node, *props: rdflib.URIRef) -> str:
    for prop in props:
        for value in graph.objects(subject, prop):
            if isinstance(value, rdflib.Literal) and value.language in (None, "en"):
                return str(value)
    return ""


@cache
def vocabulary() -> dict[str, list[dict[str, str]]]:
    """``{"classes": [...], "properties": [...]}``, each term a dict of ``iri``, ``name``
    (prefixed), ``label`` and ``definition`` (empty where the ontology has none), sorted by
    name: the ontology's own classes and properties, then the classes the shapes target and
    the properties they constrain."""
    onto, shapes = ontology_graph(), shapes_graph()
    found: dict[str, dict[str, rdflib.URIRef]] = {"classes": {}, "properties": {}}
    for kind, types in (("classes", _CLASSES), ("properties", _PROPERTIES)):
        for rdf_type in types:
            for term in onto.subjects(RDF.type, rdf_type):
                if isinstance(term, rdflib.URIRef):
                    found[kind][str(term)] = term
    for term in shapes.objects(None, SH.targetClass):
        if isinstance(term, rdflib.URIRef):
            found["classes"].setdefault(str(term), term)
    for term in shapes.objects(None, SH.path):
        if isinstance(term, rdflib.URIRef):  # (a path expression is a blank node: skipped)
            found["properties"].setdefault(str(term), term)
    return {
        kind: sorted(
            (
                {
                    "iri": iri,
                    "name": prefixed(iri),
                    "label": _first_text(onto, term, RDFS.label, SKOS.prefLabel),
                    "definition": _first_text(onto, term, SKOS.definition, RDFS.comment),
                }
                for iri, term in terms.items()
            ),
            key=lambda entry: entry["name"],
        )
        for kind, terms in found.items()
    }
