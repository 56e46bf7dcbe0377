"""Migration of a store written before datasets' descriptions had graphs of their own.

Up to version 0.x of the store layout, each dataset's graph held its data and the ~9 triples
describing the dataset itself (``<graph> a rg:Dataset ; rg:accessLevel …``). Now the
description lives in the dataset's description graph
(:func:`graph.model.namespaces.description_iri`) and the dataset graph holds exactly its data.
:func:`migrate_descriptions` moves every old description to its graph, with the flag
``rg:usesModel`` that descriptions now carry, for all datasets in one transaction; a store
opens through it (:class:`graph.store.EmbeddedStore`, :class:`graph.store.RemoteStore`), so
that nothing above the store ever sees the old layout. It writes nothing to a store already
migrated.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pyoxigraph as ox

from graph.model.namespaces import (
    RDF,
    RG,
    XSD,
    dataset_name,
    description_iri,
    uses_model,
)

if TYPE_CHECKING:
    from graph.store.stores import Store

_OLD_DESCRIPTIONS = f"SELECT ?g WHERE {{ GRAPH ?g {{ ?g <{RDF}type> <{RG}Dataset> }} }}"


def migrate_descriptions(store: Store) -> list[str]:
    """Move the description that each dataset graph of ``store`` holds of itself (the old
    layout) to the dataset's description graph, all in one transaction; the dataset graphs
    migrated (none: the store was already in the new layout)."""
    result = store.query(_OLD_DESCRIPTIONS)
    assert isinstance(result, ox.QuerySolutions)
    old = sorted({row["g"].value for row in result if dataset_name(row["g"].value) is not None})
    if not old:
        return []
    operations, written = [], []
    for graph in old:
        node, description = ox.NamedNode(graph), ox.NamedNode(description_iri(graph))
        data = (
            ox.Triple(q.subject, q.predicate, q.object)
            for q in store.quads(graph)
            if q.subject != node
        )
        flag = ox.Literal(str(uses_model(data)).lower(), datatype=ox.NamedNode(XSD + "boolean"))
        operations += [
            f"DROP SILENT GRAPH {description}",
            f"INSERT {{ GRAPH {description} {{ {node} ?p ?o }} }} "
            f"WHERE {{ GRAPH {node} {{ {node} ?p ?o FILTER(?p != <{RG}usesModel>) }} }}",
            f"DELETE WHERE {{ GRAPH {node} {{ {node} ?p ?o }} }}",
            f"INSERT DATA {{ GRAPH {description} {{ {node} <{RG}usesModel> {flag} }} }}",
        ]
        written += [graph, description.value]
    store.update(" ;\n".join(operations), graphs=written)
    return old
