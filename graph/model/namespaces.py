"""IRIs of the recruitgraph vocabulary, entities, datasets and internal graphs.

The ontology (``ontologies/recruitment.ttl``) defines the terms; this module only knows how
IRIs are *built*, so that every part of the code mints the same IRI for the same thing.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable
from urllib.parse import quote, unquote

import pyoxigraph as ox

from graph.errors import InvalidArgument

RG = "https://w3id.org/recruitgraph/ontology#"
ONTOLOGY_IRI = "https://w3id.org/recruitgraph/ontology"
#: The project's own namespace: IRIs under it are minted here, never by a client.
PROJECT = "https://w3id.org/recruitgraph/"
ID = "https://w3id.org/recruitgraph/id/"
DATASET = "https://w3id.org/recruitgraph/dataset/"
#: The dataset that writes to the default graph go to (SPARQL updates, ``PUT /rdf-graphs?default``).
EDITS = "edits"
#: Holds the store's version counter; never a dataset, never visible to queries of users.
SYSTEM_GRAPH = "https://w3id.org/recruitgraph/system"
#: Prefix of graphs that a load writes before switching them in; invisible, cleaned up.
STAGING = "https://w3id.org/recruitgraph/staging/"
#: Prefix of the graphs that hold the datasets' descriptions, one per dataset (see
#: :func:`description_iri`): internal, never in a query's default graph or GRAPH ?g, written
#: in the transaction of the dataset's own graph, never by a SPARQL update or Graph Store write.
DESCRIPTION = "https://w3id.org/recruitgraph/description/"
#: Prefix of the graphs that make a query's default graph an RDF merge (graph.store.merge):
#: internal, derived from the datasets, rebuilt after a write.
REMAINDER = "https://w3id.org/recruitgraph/remainder/"

PROV = "http://www.w3.org/ns/prov#"
ORG = "http://www.w3.org/ns/org#"
SCHEMA = "https://schema.org/"
DCTERMS = "http://purl.org/dc/terms/"
DCAT = "http://www.w3.org/ns/dcat#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
FOAF = "http://xmlns.com/foaf/0.1/"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
OWL = "http://www.w3.org/2002/07/owl#"
XSD = "http://www.w3.org/2001/XMLSchema#"
SH = "http://www.w3.org/ns/shacl#"
#: SPARQL 1.1 Service Description, and the W3C's IRIs of result formats (both for the endpoint's
#: description of itself).
SD = "http://www.w3.org/ns/sparql-service-description#"
FORMATS_NS = "http://www.w3.org/ns/formats/"

PREFIXES: dict[str, str] = {
    "rg": RG,
    "prov": PROV,
    "org": ORG,
    "schema": SCHEMA,
    "dcterms": DCTERMS,
    "dcat": DCAT,
    "skos": SKOS,
    "foaf": FOAF,
    "rdf": RDF,
    "rdfs": RDFS,
    "owl": OWL,
    "xsd": XSD,
}

#: The SPARQL prologue for the prefixes above, for queries written in this package.
SPARQL_PREFIXES = "".join(f"PREFIX {p}: <{iri}>\n" for p, iri in PREFIXES.items())

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")
DATASET_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")


def slugify(text: str, max_length: int = 80) -> str:
    """Lower-case ASCII slug of ``text``: the last path segment of an entity IRI."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:max_length].rstrip("-") or "unnamed"


def entity_iri(kind: str, key: str) -> str:
    """IRI of an entity: ``kind`` is the path segment (``recruiter``), ``key`` its slug or code."""
    return f"{ID}{kind}/{key}"


def source_iri(url: str) -> str:
    """IRI of a source, stable for its URL (the URL itself is kept verbatim as schema:url)."""
    return entity_iri("source", hashlib.sha1(url.encode()).hexdigest()[:16])


def dataset_iri(name: str) -> str:
    """IRI of the named graph that holds dataset ``name``: ``DATASET + name`` for a name of
    the project's (a slug; InvalidArgument if malformed), or ``name`` itself for a dataset a
    client named by writing a graph of its own IRI (see :func:`dataset_name`).

    >>> dataset_iri("claims")
    'https://w3id.org/recruitgraph/dataset/claims'
    >>> dataset_iri("http://example.org/g")
    'http://example.org/g'
    """
    if _SCHEME.match(name):
        if dataset_name(name) != name:
            raise InvalidArgument(f"<{name}> is an IRI of recruitgraph's own, not a dataset's")
        return name
    return DATASET + check_dataset_name(name)


def dataset_name(graph_iri: str) -> str | None:
    """Name of the dataset held in ``graph_iri``: the slug of a project dataset graph
    (``DATASET + slug``); the IRI itself for a graph named outside the project's namespace
    (a client may create a named graph of any IRI by writing it: it is a dataset of that
    name); None for the project's internal graphs (the version counter, staging graphs) and
    for anything that is not an absolute IRI.

    >>> dataset_name(DATASET + "claims"), dataset_name("http://example.org/g")
    ('claims', 'http://example.org/g')
    >>> dataset_name(SYSTEM_GRAPH) is None, dataset_name("g") is None
    (True, True)
    """
    if graph_iri.startswith(DATASET):
        return graph_iri[len(DATASET) :]
    if graph_iri.startswith(PROJECT) or not _SCHEME.match(graph_iri):
        return None
    return graph_iri


def description_iri(graph_iri: str) -> str:
    """IRI of the graph that holds the description of the dataset in graph ``graph_iri``:
    :data:`DESCRIPTION` and the dataset's name, percent-encoded (a slug stays as it is; the
    IRI of a graph a client named is encoded whole). InvalidArgument for a graph that is no
    dataset's.

    >>> description_iri(DATASET + "claims")
    'https://w3id.org/recruitgraph/description/claims'
    >>> description_iri("http://example.org/g")
    'https://w3id.org/recruitgraph/description/http%3A%2F%2Fexample.org%2Fg'
    """
    name = dataset_name(graph_iri)
    if name is None:
        raise InvalidArgument(f"<{graph_iri}> is no dataset's graph")
    return DESCRIPTION + quote(name, safe="")


def described_graph(graph_iri: str) -> str | None:
    """The dataset graph whose description graph is ``graph_iri`` (the inverse of
    :func:`description_iri`); None for any other graph.

    >>> described_graph(description_iri("http://example.org/g"))
    'http://example.org/g'
    >>> described_graph(DATASET + "claims") is None
    True
    """
    if not graph_iri.startswith(DESCRIPTION):
        return None
    try:
        graph = dataset_iri(unquote(graph_iri[len(DESCRIPTION) :]))
    except InvalidArgument:
        return None
    return graph if description_iri(graph) == graph_iri else None


def is_project_dataset(graph_iri: str) -> bool:
    """Whether ``graph_iri`` is a dataset graph of the project's namespace (named by a slug),
    as an export's quads name them."""
    return graph_iri.startswith(DATASET)


def check_dataset_name(name: str) -> str:
    """Return ``name`` if it is a valid dataset name, else raise ValueError saying why."""
    if not DATASET_NAME.match(name):
        raise InvalidArgument(
            f"invalid dataset name {name!r}: use 1-64 characters a-z, 0-9, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    return name


def uses_model(triples: Iterable[ox.Triple]) -> bool:
    """Whether any triple uses the recruitment vocabulary (a property or class of ``rg:``):
    such data is always checked against the shapes, even when loaded with ``shapes=False``,
    and brings the reference data into its readers' default graph.

    >>> uses_model([ox.Triple(ox.NamedNode("http://ex/s"), ox.NamedNode(RDF + "type"),
    ...                       ox.NamedNode(RG + "FundingFlow"))])
    True
    >>> uses_model([ox.Triple(ox.NamedNode("http://ex/s"), ox.NamedNode("http://ex/p"),
    ...                       ox.Literal("1"))])
    False
    """
    return any(
        t.predicate.value.startswith(RG)
        or (isinstance(t.object, ox.NamedNode) and t.object.value.startswith(RG))
        for t in triples
    )


#: :func:`uses_model` as a SPARQL filter of the triple ``?s ?p ?o``.
USES_MODEL_FILTER = (
    f'FILTER(STRSTARTS(STR(?p), "{RG}") || (isIRI(?o) && STRSTARTS(STR(?o), "{RG}")))'
)
