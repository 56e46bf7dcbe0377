"""Datasets' descriptions in graphs of their own; the reference data only with the model.

A dataset graph holds exactly its data; its description (access level, licence…) is in its
description graph, written in the same transaction, never part of a query's default graph nor
of GRAPH ?g; a store of the old layout (descriptions inside the dataset graphs) is migrated
when opened. The reference data joins the default graph only of callers who read a dataset
that uses the recruitment model.
"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from graph.ingest import dataset_description, delete_dataset, list_datasets, load_files
from graph.ingest.load import ensure_reference
from graph.model.namespaces import RG, dataset_iri, description_iri
from graph.server.auth import ANONYMOUS, Principal
from graph.server.service import Context, datasets, sparql_query, sparql_update
from graph.sparql import dataset_graphs
from graph.store import EmbeddedStore, RemoteStore, Store
from tests.helpers import BASE_ROW, claims_csv

EX = "http://example.org/"
FIVE = "".join(f"<{EX}s{i}> <{EX}p> <{EX}o{i}> .\n" for i in range(5))


def _count(ctx: Context, principal: Principal, text: str) -> int:
    body, _, _ = sparql_query(ctx, principal, text, formats=("csv", "turtle"))
    return int(body.decode().split()[1])


def _five(store: Store, tmp_path: Path, name: str = "w3c1") -> str:
    path = tmp_path / f"{name}.nt"
    path.write_text(FIVE)
    load_files(store, [path], name, shapes=False)
    return dataset_iri(name)


def test_a_dataset_graph_holds_exactly_its_data(memory_store: Store, tmp_path: Path) -> None:
    graph = _five(memory_store, tmp_path)
    assert len(list(memory_store.quads(graph))) == 5
    described = list(memory_store.quads(description_iri(graph)))
    assert ox.NamedNode(RG + "Dataset") in {q.object for q in described}
    (info,) = [i for i in list_datasets(memory_store) if i.graph == graph]
    assert (info.triples, info.access, info.uses_model) == (5, "public", False)
    assert dataset_graphs(memory_store) == sorted([graph, dataset_iri("reference")])
    assert delete_dataset(memory_store, graph)
    assert graph not in dataset_graphs(memory_store)
    assert description_iri(graph) not in memory_store.graph_names()


def test_arbitrary_rdf_alone_is_just_its_triples(memory_store: Store, tmp_path: Path) -> None:
    _five(memory_store, tmp_path)
    ctx = Context(memory_store)
    assert _count(ctx, ANONYMOUS, "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }") == 5
    assert _count(ctx, ANONYMOUS, "SELECT (COUNT(*) AS ?n) { GRAPH ?g { ?s ?p ?o } }") == 5
    # a dataset of the model brings the reference data (ontology labels, codes) with it
    load_files(memory_store, [claims_csv(tmp_path / "c.csv", BASE_ROW)], "claims")
    ctx.changed()
    assert dataset_iri("reference") in ctx.readable(ANONYMOUS)
    assert _count(ctx, ANONYMOUS, "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }") > 2000
    # descriptions are in no default graph and no GRAPH ?g: read through /api/datasets
    assert not _count(ctx, ANONYMOUS, f"SELECT (COUNT(*) AS ?n) {{ ?s a <{RG}Dataset> }}")
    assert not _count(
        ctx, ANONYMOUS, f"SELECT (COUNT(*) AS ?n) {{ GRAPH ?g {{ ?s a <{RG}Dataset> }} }}"
    )
    assert {d["name"] for d in datasets(ctx, ANONYMOUS)} == {"w3c1", "claims", "reference"}


def test_updates_cannot_reach_descriptions(memory_store: Store, tmp_path: Path) -> None:
    graph = _five(memory_store, tmp_path)
    ctx = Context(memory_store)
    admin = Principal("admin", "root")
    for update in (
        f"INSERT DATA {{ GRAPH <{description_iri(graph)}> {{ <{graph}> <{EX}p> 1 }} }}",
        f"DROP GRAPH <{description_iri(graph)}>",
        f"INSERT {{ GRAPH <{graph}> {{ ?s ?p ?o }} }} "
        f"WHERE {{ GRAPH <{description_iri(graph)}> {{ ?s ?p ?o }} }}",
    ):
        with pytest.raises(Exception, match="may not"):
            sparql_update(ctx, admin, update)
    # an update that brings the model in marks the dataset, in its own transaction
    sparql_update(ctx, admin, f"INSERT DATA {{ GRAPH <{graph}> {{ <{EX}s0> a <{RG}Recruiter> }} }}")
    ctx.changed()
    assert next(i for i in list_datasets(memory_store) if i.graph == graph).uses_model
    # an update that empties a dataset deletes it, description included
    sparql_update(ctx, admin, f"CLEAR GRAPH <{graph}>")
    assert graph not in dataset_graphs(memory_store)
    assert description_iri(graph) not in memory_store.graph_names()
    # a graph created by an update gets its description, in the same transaction
    new = f"{EX}created"
    sparql_update(ctx, admin, f"INSERT DATA {{ GRAPH <{new}> {{ <{EX}a> <{EX}b> 1 }} }}")
    (info,) = [i for i in list_datasets(memory_store) if i.graph == new]
    assert (info.access, info.uses_model, len(list(memory_store.quads(new)))) == (
        "public",
        False,
        1,
    )


def test_a_store_of_the_old_layout_is_migrated_when_opened(tmp_path: Path) -> None:
    location = tmp_path / "old"
    pub, secret = dataset_iri("pub"), dataset_iri("secret")
    data = [ox.Triple(ox.NamedNode(f"{EX}s"), ox.NamedNode(f"{EX}p"), ox.Literal("x"))]
    model = [ox.Triple(ox.NamedNode(f"{EX}r"), ox.NamedNode(RG + "aggregate"), ox.Literal("1"))]
    with EmbeddedStore(location) as store:
        ensure_reference(store)
        # the old layout: each description inside its dataset's graph, written as quads
        for graph, triples, access in ((pub, data, "public"), (secret, model, "restricted")):
            name = graph.rsplit("/", 1)[1]
            description = dataset_description(name, checksum="none", files=(), access=access)
            store.drop_graphs([description_iri(graph)])
            store._store.extend(  # type: ignore[attr-defined]
                ox.Quad(t.subject, t.predicate, t.object, ox.NamedNode(graph))
                for t in [*triples, *description]
            )
        reference = dataset_iri("reference")
        old = list(store.quads(description_iri(reference)))
        store.drop_graphs([description_iri(reference)])
        store._store.extend(  # type: ignore[attr-defined]
            ox.Quad(q.subject, q.predicate, q.object, ox.NamedNode(reference))
            for q in old
            if q.predicate.value != RG + "usesModel"
        )
        version = store.version
    with EmbeddedStore(location) as store:
        assert store.version == version + 1  # one transaction
        infos = {i.name: i for i in list_datasets(store)}
        assert {n: (i.access, i.uses_model) for n, i in infos.items()} == {
            "pub": ("public", False),
            "secret": ("restricted", True),
            "reference": ("public", True),
        }
        assert {str(q.object) for q in store.quads(pub)} == {'"x"'}
        ctx = Context(store)
        assert ctx.readable(ANONYMOUS) == [pub]  # no model among them: no reference data
        assert set(ctx.readable(Principal("admin", "root"))) == {pub, secret, reference}
    with EmbeddedStore(location) as store:
        assert store.version == version + 1  # nothing left to migrate


def test_a_remote_store_of_the_old_layout_is_migrated_when_opened(oxigraph_server: str) -> None:
    url = f"{oxigraph_server}/query"
    graph = dataset_iri("old")
    description = dataset_description("old", checksum="none", files=(), access="restricted")
    data = ox.Triple(ox.NamedNode(f"{EX}s"), ox.NamedNode(f"{EX}p"), ox.Literal("x"))
    body = ox.serialize([data, *description], format=ox.RdfFormat.N_TRIPLES)
    assert body is not None
    with RemoteStore(url) as store:
        store._execute_update(f"DROP ALL ; INSERT DATA {{ GRAPH <{graph}> {{ {body.decode()} }} }}")
    try:
        with RemoteStore(url) as store:
            assert [str(q.object) for q in store.quads(graph)] == ['"x"']
            (info,) = list_datasets(store)
            assert (info.name, info.access, info.uses_model) == ("old", "restricted", False)
    finally:
        with RemoteStore(url) as store:
            store._execute_update("DROP ALL")
