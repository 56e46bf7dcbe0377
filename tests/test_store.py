"""The store interface, the same tests on every kind: memory, disk, live Oxigraph server."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pyoxigraph as ox
import pytest

from graph.model.namespaces import STAGING, SYSTEM_GRAPH
from graph.store import EmbeddedStore, RemoteStore, Store, StoreError

G1 = "https://example.org/graph/one"
G2 = "https://example.org/graph/two"
P = ox.NamedNode("https://example.org/p")


def triples(n: int, prefix: str = "s") -> list[ox.Triple]:
    return [
        ox.Triple(ox.NamedNode(f"https://example.org/{prefix}{i}"), P, ox.Literal(str(i)))
        for i in range(n)
    ]


def count(store: Store, graph: str) -> int:
    result = store.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")
    return int(next(iter(result))["n"].value)


def test_replace_graph_writes_and_bumps_version(store: Store) -> None:
    assert store.version == 0
    store.replace_graph(G1, triples(5))
    assert count(store, G1) == 5
    assert store.version == 1
    assert G1 in store.graph_names()


def test_replace_graph_replaces_whole_content(store: Store) -> None:
    store.replace_graph(G1, triples(5, "old"))
    store.replace_graph(G1, triples(3, "new"))
    assert count(store, G1) == 3
    rows = store.query(f"ASK {{ GRAPH <{G1}> {{ <https://example.org/old0> ?p ?o }} }}")
    assert not bool(rows)
    assert not [g for g in store.graph_names() if g.startswith(STAGING)]


def test_failed_write_leaves_graph_as_before(store: Store) -> None:
    store.replace_graph(G1, triples(4))
    before = store.version

    def broken():
        yield from triples(3, "partial")
        raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError):
        store.replace_graph(G1, broken())
    assert count(store, G1) == 4
    assert store.version == before
    assert not [g for g in store.graph_names() if g.startswith(STAGING)]


def test_drop_graph(store: Store) -> None:
    store.replace_graph(G1, triples(2))
    assert store.drop_graph(G1) is True
    assert store.drop_graph(G1) is False
    assert G1 not in store.graph_names()


def test_query_sees_only_listed_graphs(store: Store) -> None:
    store.replace_graph(G1, triples(2, "a"))
    store.replace_graph(G2, triples(3, "b"))
    union = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    assert int(next(iter(store.query(union, default_graph=[G1, G2])))["n"].value) == 5
    assert int(next(iter(store.query(union, default_graph=[G2])))["n"].value) == 3
    named = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
    seen = [r["g"].value for r in store.query(named, named_graphs=[G1])]
    assert seen == [G1]
    # An explicit GRAPH <iri> of a graph that is not listed finds nothing.
    hidden = f"ASK {{ GRAPH <{G2}> {{ ?s ?p ?o }} }}"
    assert not bool(store.query(hidden, default_graph=[], named_graphs=[G1]))
    assert not bool(store.query(hidden, default_graph=[], named_graphs=[]))


def test_update_bumps_version(store: Store) -> None:
    store.update(f"INSERT DATA {{ GRAPH <{G1}> {{ <https://example.org/x> <{P.value}> 1 }} }}")
    store.update(f"DELETE DATA {{ GRAPH <{G1}> {{ <https://example.org/x> <{P.value}> 1 }} }}")
    assert store.version == 2


def test_a_write_renews_the_stamps_of_the_graphs_it_names(store: Store) -> None:
    """The ground of view versions: each write gives the graphs it writes new stamps, in its
    transaction, and leaves every other graph's stamp as it was; a write that names no graph
    renews the store's own stamp; a failed write renews nothing."""
    store.replace_graph(G1, triples(2))
    store.replace_graph(G2, triples(2))
    first = store.stamps()
    assert first[G1] != first[G2]
    insert = f"INSERT DATA {{ GRAPH <{G2}> {{ <https://example.org/x> {P} 1 }} }}"
    store.update(insert, graphs=[G2])
    second = store.stamps()
    assert second[G1] == first[G1] and second[G2] != first[G2]
    assert second.get(SYSTEM_GRAPH) == first.get(SYSTEM_GRAPH)
    store.drop_graph(G2)
    third = store.stamps()
    assert third[G1] == first[G1] and third[G2] != second[G2]
    store.update(insert.replace(G2, G1))  # graphs not named
    fourth = store.stamps()
    assert fourth[G1] == first[G1] and fourth[SYSTEM_GRAPH] != third.get(SYSTEM_GRAPH)
    with pytest.raises((SyntaxError, StoreError)):
        store.update("INSERT DATA { this is not SPARQL }", graphs=[G1])
    assert store.stamps() == fourth


def test_blank_nodes_keep_identity_across_chunks(store: Store, monkeypatch) -> None:
    if isinstance(store, RemoteStore):
        # Several staging requests: Graph Store POSTs of a few triples (halved until each
        # fits), and INSERT DATA requests of two.
        monkeypatch.setattr(RemoteStore, "GSP_CHUNK", 4)
        monkeypatch.setattr(RemoteStore, "GSP_CHUNK_BYTES", 150)
        monkeypatch.setattr(RemoteStore, "CHUNK", 2)
    b = ox.BlankNode("shared")
    data = [ox.Triple(ox.NamedNode(f"https://example.org/s{i}"), P, b) for i in range(5)]
    data.append(ox.Triple(b, P, ox.Literal("the one node")))
    store.replace_graph(G1, data)
    query = f"""SELECT (COUNT(DISTINCT ?b) AS ?n) WHERE {{ GRAPH <{G1}> {{
        ?s <{P.value}> ?b . ?b <{P.value}> "the one node" }} }}"""
    assert int(next(iter(store.query(query)))["n"].value) == 1
    if isinstance(store, RemoteStore):  # the same without a Graph Store endpoint
        store.graph_store_url = None
        store.replace_graph(G1, data)
        assert int(next(iter(store.query(query)))["n"].value) == 1


def test_construct_returns_triples(store: Store) -> None:
    store.replace_graph(G1, triples(3))
    result = store.query(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{G1}> {{ ?s ?p ?o }} }}")
    assert sorted(t.object.value for t in result) == ["0", "1", "2"]


def test_quads_of_a_graph(store: Store) -> None:
    store.replace_graph(G1, triples(3))
    quads = list(store.quads(G1))
    assert len(quads) == 3 and all(q.graph_name == ox.NamedNode(G1) for q in quads)


def test_statements_of_one_predicate_in_one_graph(store: Store) -> None:
    blank = ox.BlankNode("b1")
    Q = ox.NamedNode("https://example.org/q")
    store.replace_graph(
        G1,
        [
            *triples(3),
            ox.Triple(blank, P, ox.Literal('a, "quoted"\nline', language="en")),
            ox.Triple(ox.NamedNode("https://example.org/x"), P, blank),
            ox.Triple(ox.NamedNode("https://example.org/x"), Q, ox.Literal("other")),
        ],
    )
    store.replace_graph(G2, triples(2, prefix="t"))
    found = dict(store.statements(G1, P.value))
    assert [found[f"https://example.org/s{i}"] for i in range(3)] == ["0", "1", "2"]
    # A blank node reads as "_:" and its id (a remote store may have given it an IRI when
    # writing, to keep its identity across requests); a literal as its lexical form.
    node = found["https://example.org/x"]
    assert node.startswith(("_:", "https://w3id.org/recruitgraph/staging/genid/"))
    assert found[node] == 'a, "quoted"\nline'
    assert len(found) == 5
    assert sorted(store.statements(G2, P.value)) == [
        (f"https://example.org/t{i}", str(i)) for i in range(2)
    ]
    assert list(store.statements(G2, Q.value)) == []


def test_disk_store_keeps_data_across_processes(tmp_path: Path) -> None:
    location = tmp_path / "store"
    writer = textwrap.dedent(f"""
        import pyoxigraph as ox
        from graph.store import EmbeddedStore
        with EmbeddedStore({str(location)!r}) as s:
            s.replace_graph({G1!r}, [ox.Triple(ox.NamedNode("https://example.org/a"),
                            ox.NamedNode("https://example.org/p"), ox.Literal("kept"))])
    """)
    subprocess.run([sys.executable, "-c", writer], check=True, timeout=60)
    with EmbeddedStore(location) as reopened:
        assert count(reopened, G1) == 1
        assert reopened.version == 1


def test_second_opener_gets_a_clear_error(tmp_path: Path) -> None:
    with EmbeddedStore(tmp_path / "store"), pytest.raises(StoreError, match="in use by another"):
        EmbeddedStore(tmp_path / "store")


def test_remote_store_refuses_a_dead_endpoint() -> None:
    from tests.helpers import free_port

    with pytest.raises(StoreError, match="no SPARQL endpoint answers"):
        RemoteStore(f"http://127.0.0.1:{free_port()}/query")


def test_killed_bulk_load_leaves_old_graph_intact(tmp_path: Path) -> None:
    """Kill a loading process after its bulk (non-transactional) write of the staging graph and
    before the switch: the dataset it was replacing must come back whole, and the orphaned
    staging graph must be found and removed when the store is next opened."""
    location = tmp_path / "store"
    with EmbeddedStore(location) as s:
        s.replace_graph(G1, triples(10, "old"))
    marker = tmp_path / "about-to-switch"
    loader = textwrap.dedent(f"""
        import pathlib, time
        import pyoxigraph as ox
        from graph.store import EmbeddedStore
        real_update = EmbeddedStore._execute_update
        def update(self, sparql):
            if "MOVE" in sparql:  # staging is written: stop here and wait to be killed
                pathlib.Path({str(marker)!r}).touch()
                time.sleep(600)
            real_update(self, sparql)
        EmbeddedStore._execute_update = update
        P = ox.NamedNode("https://example.org/p")
        n = EmbeddedStore.BULK_THRESHOLD + 1000
        new = (ox.Triple(ox.NamedNode(f"https://example.org/new{{i}}"), P, ox.Literal(str(i)))
               for i in range(n))
        with EmbeddedStore({str(location)!r}) as s:
            s.replace_graph({G1!r}, new)
    """)
    process = subprocess.Popen([sys.executable, "-c", loader])
    try:
        deadline = time.monotonic() + 120
        while not marker.exists():
            assert process.poll() is None, "loader exited early"
            assert time.monotonic() < deadline, "loader never finished staging"
            time.sleep(0.05)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    raw = ox.Store(str(location))  # what the killed process left, before any cleanup
    staged = [g.value for g in raw.named_graphs() if g.value.startswith(STAGING)]
    assert len(staged) == 1
    assert len(list(raw.quads_for_pattern(None, None, None, ox.NamedNode(staged[0])))) > 200_000
    del raw
    with EmbeddedStore(location) as reopened:
        assert count(reopened, G1) == 10
        assert not [g for g in reopened.graph_names() if g.startswith(STAGING)]
        # The killed write had saved its bump: the counter may run ahead, never behind.
        assert reopened.version >= 1


def total(store: Store, default_graph: list[str]) -> int:
    text = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    return int(next(iter(store.query(text, default_graph=default_graph)))["n"].value)


def test_query_sees_exactly_the_graphs_listed(store: Store) -> None:
    store.replace_graph(G1, triples(4, "a"))
    store.replace_graph(G2, triples(3, "b"))
    assert total(store, [G1, G2]) == 7  # every graph: the embedded store asks for its union
    assert total(store, [G2, G1]) == 7
    assert total(store, [G1]) == 4
    assert total(store, []) == 0
    text = "SELECT ?g WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
    for named in ([G1, G2], [G2]):
        rows = store.query(text, default_graph=[], named_graphs=named)
        assert sorted(row["g"].value for row in rows) == sorted(named)


def test_embedded_store_holds_only_the_datasets(tmp_path: Path) -> None:
    """The version counter is kept outside the graphs, so a query over all of them can use the
    engine's union of every graph."""
    with EmbeddedStore(tmp_path / "store") as store:
        store.replace_graph(G1, triples(2))
        store.update(f"INSERT DATA {{ GRAPH <{G2}> {{ <https://example.org/x> {P} 1 }} }}")
        assert sorted(store.graph_names()) == [G1, G2]
        assert store._all_graphs() == {G1, G2}
        assert store.version == 2
        stamps = store.stamps()
    assert json.loads((tmp_path / "store" / EmbeddedStore.VERSION_FILE).read_text()) == [2, stamps]
    with EmbeddedStore(tmp_path / "store") as reopened:
        assert reopened.version == 2
        assert reopened.stamps() == stamps


def test_failed_update_keeps_the_version(tmp_path: Path) -> None:
    with EmbeddedStore(tmp_path / "store") as store:
        store.update(f"INSERT DATA {{ GRAPH <{G1}> {{ <https://example.org/x> {P} 1 }} }}")
        with pytest.raises(SyntaxError):
            store.update("INSERT DATA { this is not SPARQL }")
        assert store.version == 1
    with EmbeddedStore(tmp_path / "store") as reopened:
        assert reopened.version == 1


def test_version_of_an_older_store_moves_out_of_the_graphs(tmp_path: Path) -> None:
    """Stores written before the counter moved kept it in the system graph."""
    from graph.model.namespaces import RG, SYSTEM_GRAPH

    raw = ox.Store(str(tmp_path / "store"))
    raw.add(ox.Quad(ox.NamedNode("https://example.org/x"), P, ox.Literal("1"), ox.NamedNode(G1)))
    version = ox.Literal("7", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer"))
    system = ox.NamedNode(SYSTEM_GRAPH)
    raw.add(ox.Quad(system, ox.NamedNode(f"{RG}storeVersion"), version, system))
    raw.flush()
    del raw
    with EmbeddedStore(tmp_path / "store") as store:
        assert store.version == 7
        assert store.graph_names() == [G1]
        store.replace_graph(G2, triples(1))
        assert store.version == 8


def test_queries_during_a_write_never_see_its_staging_graph(tmp_path: Path) -> None:
    """A staging graph fills while queries run (the bulk loader makes its quads visible as it
    goes); a query over every dataset must not take the engine's union of every graph then,
    or it would count the staging graph's quads."""
    with EmbeddedStore(tmp_path / "store") as store:
        store.replace_graph(G1, triples(5, "a"))
        assert total(store, [G1]) == 5  # the union of every graph: G1 is all there is
        staging = ox.NamedNode(f"{STAGING}under-way")
        with store._writing():  # a load under way, half of its quads visible
            store._store.extend(
                ox.Quad(t.subject, t.predicate, t.object, staging) for t in triples(3, "b")
            )
            assert total(store, [G1]) == 5
            assert total(store, [G1, staging.value]) == 8
        store._store.remove_graph(staging)
        assert total(store, [G1]) == 5


def test_loads_compact_the_on_disk_store(tmp_path: Path) -> None:
    """A load leaves deleted entries behind (its staging copy, the graph it replaced) that every
    scan steps over until the engine compacts them: the on-disk store compacts after replacing
    or dropping a graph, not after writing a graph new to it (nothing deleted) nor after each
    small update."""
    calls = []
    with EmbeddedStore(tmp_path / "store") as store:
        engine = store._store

        class Spy:
            def __getattr__(self, name: str) -> object:
                return getattr(engine, name)

            def optimize(self) -> None:
                calls.append("optimize")
                engine.optimize()

        store._store = Spy()  # type: ignore[assignment]
        store.replace_graph(G1, triples(2))
        assert calls == []  # a graph new to the store: nothing deleted
        store.replace_graph(G1, triples(3))
        assert calls == ["optimize"]
        store.update(f"INSERT DATA {{ GRAPH <{G2}> {{ <https://example.org/x> {P} 1 }} }}")
        assert calls == ["optimize"]
        assert store.drop_graph(G1)
        assert calls == ["optimize", "optimize"]
        assert total(store, [G2]) == 1
        store._store = engine
