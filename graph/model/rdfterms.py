"""Conversion of pyoxigraph terms to rdflib terms.

Files are parsed by pyoxigraph (fast, streaming, and its syntax errors name the line); pyshacl
validates rdflib graphs. This is the one bridge between the two term models.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

import pyoxigraph as ox
import rdflib
from rdflib.term import Node

from graph.model.namespaces import XSD

_STRING = XSD + "string"


def _not_a_literal_rdflib_cannot_read(record: logging.LogRecord) -> bool:
    # rdflib logs a warning with a traceback for each literal it cannot read as its datatype
    # ("2024-02-30"^^xsd:date); the shapes report it as a problem of the data (sh:datatype),
    # so on stderr it was a traceback beside the report
    return not record.getMessage().startswith("Failed to convert Literal lexical form")


logging.getLogger("rdflib.term").addFilter(_not_a_literal_rdflib_cannot_read)


def to_rdflib(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple) -> Node:
    """The rdflib term equal to a pyoxigraph term."""
    if isinstance(term, ox.NamedNode):
        return rdflib.URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return rdflib.BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return rdflib.Literal(term.value, lang=term.language)
        datatype = term.datatype.value
        return rdflib.Literal(term.value, datatype=None if datatype == _STRING else datatype)
    raise TypeError(f"RDF-star triple terms are not supported here: {term}")


def rdflib_graph(triples: Iterable[ox.Triple]) -> rdflib.Graph:
    """An rdflib graph of ``triples``."""
    graph = rdflib.Graph()
    for t in triples:
        graph.add((to_rdflib(t.subject), to_rdflib(t.predicate), to_rdflib(t.object)))
    return graph
