"""The dataset an update runs over (graph.sparql.update_dataset) and what it may touch: the
default graph is the edits dataset, ALL is what the caller may write, nothing more."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from graph.ingest.load import dataset_contents, dataset_description
from graph.model.namespaces import dataset_iri
from graph.server.auth import LOCAL_ADMIN, Principal
from graph.server.service import Context, datasets, sparql_update
from graph.sparql import QueryError, dataset_graphs
from graph.sparql.update_dataset import resolve_update
from graph.store import EmbeddedStore

E = "http://e"


@pytest.mark.parametrize(
    ("update", "resolved"),
    [
        # the default graph's triples go to the edits graph, GRAPH blocks stay as they are
        (
            "PREFIX x: <http://x/>\n"
            "DELETE DATA { x:a x:b 1 . GRAPH <http://g> { x:a x:b 2 } x:c x:d 3 }",
            "PREFIX x: <http://x/>\n"
            "DELETE DATA { GRAPH <http://e> { x:a x:b 1 . } "
            "GRAPH <http://g> { x:a x:b 2 } GRAPH <http://e> { x:c x:d 3 } }",
        ),
        (  # a brace in a string
            'INSERT DATA { <http://a> <http://b> "}" }',
            'INSERT DATA { GRAPH <http://e> { <http://a> <http://b> "}" } }',
        ),
        ("DELETE WHERE { ?s ?p ?o }", "DELETE WHERE { GRAPH <http://e> { ?s ?p ?o } }"),
        (
            "DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }",
            "WITH <http://e> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }",
        ),
        ("COPY DEFAULT TO <http://g>", "COPY GRAPH <http://e> TO <http://g>"),
        ("CLEAR SILENT NAMED", "DROP SILENT GRAPH <http://e> ; DROP SILENT GRAPH <http://g>"),
        # nothing of the default graph: unchanged
        ("WITH <http://g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }", None),
        ("INSERT { GRAPH <http://g> { ?s ?p 1 } } WHERE { GRAPH <http://h> { ?s ?p ?o } }", None),
    ],
)
def test_resolve_update(update: str, resolved: str | None) -> None:
    got = resolve_update(update, edits=E, writable=["http://g"])
    assert got == (update if resolved is None else resolved)
    assert got.count("\n") == update.count("\n")  # positions stay the caller's


def test_using_parameters_become_using_clauses_and_clash_with_its_own() -> None:
    update = "INSERT { GRAPH <http://g> { ?s ?p ?o } } WHERE { ?s ?p ?o }"
    assert resolve_update(
        update, edits=E, writable=[], using=["http://u"], using_named=["http://n"]
    ) == (
        "INSERT { GRAPH <http://g> { ?s ?p ?o } } USING <http://u> USING NAMED <http://n> "
        "WHERE { ?s ?p ?o }"
    )
    with pytest.raises(QueryError, match="USING or WITH"):
        resolve_update(f"WITH <http://g> {update[7:]}", edits=E, writable=[], using=["http://u"])


def _dataset(store: EmbeddedStore, name: str, access: str) -> None:
    """A dataset of one triple, described as a load describes it (no load: no shapes to run)."""
    graph = ox.NamedNode(dataset_iri(name))
    triple = ox.Triple(ox.NamedNode("http://x/s"), ox.NamedNode("http://x/p"), ox.Literal(name))
    description = dataset_description(name, checksum="none", files=(), access=access, model=True)
    store.replace_graphs(dataset_contents(graph.value, [triple], description))


def test_drop_all_drops_only_what_the_caller_may_write() -> None:
    store = EmbeddedStore(None)
    for name, access in (("pub", "public"), ("reference", "public"), ("secret", "restricted")):
        _dataset(store, name, access)
    ctx = Context(store)
    editor = Principal("editor", "ed")
    sparql_update(ctx, editor, "INSERT DATA { <http://a> <http://b> 1 }")

    def names() -> list[str]:
        return sorted(d["name"] for d in datasets(ctx, LOCAL_ADMIN))

    assert names() == ["edits", "pub", "reference", "secret"]
    done = sparql_update(ctx, editor, "DROP ALL")
    assert done["graphs"] == [dataset_iri("edits"), dataset_iri("pub")]
    assert names() == ["reference", "secret"]  # neither the reference nor a restricted one
    sparql_update(ctx, Principal("editor", "granted", frozenset({"secret"})), "CLEAR ALL")
    # the reference data is left, in no one's view without a dataset of the model beside it
    assert names() == [] and dataset_graphs(store) == [dataset_iri("reference")]
