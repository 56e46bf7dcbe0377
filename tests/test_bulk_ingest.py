"""The bulk path of a load (graph/ingest/bulk.py): N-Triples and Turtle on an embedded store are
parsed by the engine's bulk loader into the dataset's graph out of sight, checked there, and made
visible in one step; the same verdicts as the path of Python objects (and so as pyshacl's), the
store unchanged by a load that fails or dies, and no Python object per triple."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import tracemalloc
from collections import Counter
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest

import graph.ingest.load as loader
from graph.ingest import load_files
from graph.ingest.load import dataset_description, ensure_reference
from graph.ingest.synth import write_synthetic
from graph.ingest.validation import Problem, ValidationError, validate_triples
from graph.model.namespaces import RDF, RG, XSD, dataset_iri, description_iri
from graph.store import EmbeddedStore, RemoteStore
from tests.helpers import all_quads
from tests.shacl_variants import base, broken_variant

_BLANK = re.compile(r"^(pooled|[0-9a-f]{16,32})$")  # a blank node's id, as written or as loaded


def _reported(problems: list[Problem]) -> Counter[tuple[str | None, ...]]:
    def term(value: str | None) -> str | None:
        return "_:b" if value is not None and _BLANK.match(value) else value

    return Counter((term(p.focus), p.path, term(p.value), p.rule, p.message) for p in problems)


def _without_descriptions(triples: list[ox.Triple]) -> list[ox.Triple]:
    described = {t.subject for t in triples if t.object == ox.NamedNode(RG + "Dataset")}
    return [t for t in triples if t.subject not in described]


def _write(path: Path, triples: list[ox.Triple]) -> Path:
    fmt = ox.RdfFormat.TURTLE if path.suffix == ".ttl" else ox.RdfFormat.N_TRIPLES
    ox.serialize(triples, path, format=fmt)
    return path


def _expected(triples: list[ox.Triple], name: str, path: Path) -> Counter[tuple[str | None, ...]]:
    """The report of the path of Python objects (checked against pyshacl in
    tests/test_shacl_sparql.py) for ``triples`` loaded as dataset ``name``."""
    description = dataset_description(
        name, checksum="sha256:" + "0" * 64, files=[path.name], triples=len(triples)
    )
    return _reported(validate_triples([*triples, *description]))


def test_a_broken_dataset_gets_the_report_of_the_compiled_checks(tmp_path: Path) -> None:
    variant = _without_descriptions(broken_variant(1)[0])
    path = _write(tmp_path / "broken.nt", variant)
    store = EmbeddedStore(tmp_path / "store")
    with pytest.raises(ValidationError) as refused:
        load_files(store, [path], "broken")
    found = _reported(refused.value.problems)
    assert found == _expected(variant, "broken", path)
    assert len(found) > 50  # every check broken once


@pytest.mark.parametrize("suffix", [".nt", ".ttl"])
def test_integers_given_as_derived_types_are_told_apart(tmp_path: Path, suffix: str) -> None:
    """The store keeps "5"^^xsd:nonNegativeInteger as xsd:integer: the file tells which was
    given (the lines that name such a type in N-Triples, the whole file in Turtle), and
    sh:datatype tells them apart as pyshacl does."""
    triples = _without_descriptions(list(base()))
    counts = [t for t in triples if t.predicate == ox.NamedNode(RG + "count")]
    assert counts, "the default dataset has counts"
    given = {
        counts[0]: ox.Literal("-1", datatype=ox.NamedNode(XSD + "nonNegativeInteger")),
        counts[-1]: ox.Literal("3", datatype=ox.NamedNode(XSD + "int")),
    }
    changed = [ox.Triple(t.subject, t.predicate, given.get(t, t.object)) for t in triples]
    path = _write(tmp_path / f"counts{suffix}", changed)
    store = EmbeddedStore(None)
    with pytest.raises(ValidationError) as refused:
        load_files(store, [path], "counts")
    found = _reported(refused.value.problems)
    assert found == _expected(changed, "counts", path)
    assert {p.focus for p in refused.value.problems} == {str(t.subject)[1:-1] for t in given}


def test_a_blank_node_given_a_derived_integer_takes_the_path_of_python_objects(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bulk loader names blank nodes anew, so what the file gave them cannot be found in
    the store: such a file is loaded as Python objects (the same verdicts, one more parse)."""
    path = tmp_path / "blank.nt"
    write_synthetic(path, actors=40, centralization=0.5, seed=1)
    with open(path, "a", encoding="utf-8") as file:
        file.write(f'_:x <{RG}count> "2"^^<{XSD}nonNegativeInteger> .\n')
    original, parsed = loader.read_inputs, []

    def spied(*args: Any, **kwargs: Any) -> Any:
        parsed.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(loader, "read_inputs", spied)
    store = EmbeddedStore(None)
    report = load_files(store, [path], "blank")
    assert parsed == [1] and report.triples == len(list(ox.parse(path=path)))
    assert set(store.graph_names()) == {g.value for g in store._store.named_graphs()}


def _state(store: EmbeddedStore) -> tuple[set[str], list[object]]:
    return all_quads(store), json.loads((Path(store.location) / "store-version").read_text())[2:]


def test_a_refused_load_leaves_the_store_as_it_was(tmp_path: Path) -> None:
    good = tmp_path / "good.nt"
    write_synthetic(good, actors=60, centralization=0.5, seed=1)
    broken = _write(tmp_path / "broken.nt", [
        *ox.parse(path=good),
        ox.Triple(ox.NamedNode("https://example.org/s"), ox.NamedNode(RDF + "type"),
                  ox.NamedNode(RG + "FundingFlow")),
    ])  # fmt: skip
    store = EmbeddedStore(tmp_path / "store")
    load_files(store, [good], "base")
    before = _state(store)
    for dataset in ("new", "base"):  # a new dataset (pending graphs), a replacement (staging)
        with pytest.raises(ValidationError, match=r"FundingFlow|rg:"):
            load_files(store, [broken], dataset)
        assert _state(store) == before == (before[0], [])
        assert {g.value for g in store._store.named_graphs()} == set(store.graph_names())


def test_a_chunked_load_is_all_or_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The bulk loader is given the file a chunk at a time: a breach, or a syntax error, found
    after the first chunks were written leaves nothing behind (new dataset and replacement)."""
    monkeypatch.setattr(EmbeddedStore, "BULK_CHUNK", 500)
    good = tmp_path / "good.nt"
    written = write_synthetic(good, actors=60, centralization=0.5, seed=1)
    assert written > 4 * EmbeddedStore.BULK_CHUNK
    lines = good.read_bytes()
    breach = b"<https://example.org/s> <%s> <%s> .\n" % (
        (RDF + "type").encode(),
        (RG + "FundingFlow").encode(),
    )  # the last line: found after every chunk was written
    (tmp_path / "breach.nt").write_bytes(lines + breach)
    (tmp_path / "syntax.nt").write_bytes(lines + b"<https://example.org/s> oops .\n")
    store = EmbeddedStore(tmp_path / "store")
    load_files(store, [good], "base")
    before = _state(store)
    for name, match in (("breach.nt", r"FundingFlow|rg:"), ("syntax.nt", r"line \d+")):
        for dataset in ("new", "base"):
            with pytest.raises(ValidationError, match=match):
                load_files(store, [tmp_path / name], dataset)
            assert _state(store) == before == (before[0], [])
            assert {g.value for g in store._store.named_graphs()} == set(store.graph_names())


def test_blank_nodes_keep_their_identity_across_chunks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One parser reads the whole file, so a blank node named in one chunk and again in a
    later one is one node: a chain of blank nodes stays one chain, its labels renamed."""
    monkeypatch.setattr(EmbeddedStore, "BULK_CHUNK", 3)
    links = 20
    data = b"".join(b"_:n%d <https://e.org/next> _:n%d .\n" % (i, i + 1) for i in range(links))
    store = EmbeddedStore(tmp_path / "store")
    graph = dataset_iri("chain")
    with store.staged([graph]) as staged:
        staged.load(graph, io.BytesIO(data + b"_:n0 <https://e.org/first> \"start\" .\n"),
                    ox.RdfFormat.N_TRIPLES)  # fmt: skip
        staged.commit()
    quads = [q for q in store.quads(graph) if q.predicate.value == "https://e.org/next"]
    following = {q.subject: q.object for q in quads}
    assert len(quads) == links and len(following) == links
    (start,) = [q.subject for q in store.quads(graph) if q.predicate.value.endswith("first")]
    node, seen = start, 0
    for _ in range(links):  # bounded walk along the chain
        node, seen = following.get(node), seen + 1
        if node not in following:
            break
    assert seen == links and node is not None and node not in following
    assert {n.value for n in following}.isdisjoint({f"n{i}" for i in range(links)})


_DIES = """
import os, sys
from graph.store import EmbeddedStore
from graph.ingest import load_files
import graph.ingest.load as loader

def die(*args, **kwargs):
    print("staged", flush=True)
    os._exit(9)  # as a kill: no cleanup, no commit

loader.validate_staged = die
load_files(EmbeddedStore(sys.argv[1]), [sys.argv[2]], sys.argv[3])
"""


@pytest.mark.parametrize("dataset", ["new", "base"])
def test_a_load_that_dies_before_its_commit_leaves_nothing(tmp_path: Path, dataset: str) -> None:
    """A process that dies with the whole file staged (in the dataset's own graph for a new
    dataset, in a staging graph for a replacement): the store opens as it was."""
    first, second = tmp_path / "first.nt", tmp_path / "second.nt"
    write_synthetic(first, actors=60, centralization=0.5, seed=1)
    write_synthetic(second, actors=80, centralization=0.5, seed=2)
    with EmbeddedStore(tmp_path / "store") as store:
        load_files(store, [first], "base")
        before = all_quads(store)
    died = subprocess.run(
        [sys.executable, "-c", _DIES, str(tmp_path / "store"), str(second), dataset],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert died.returncode == 9 and "staged" in died.stdout, died.stderr
    state = json.loads((tmp_path / "store" / "store-version").read_text())
    if dataset == "new":  # it died with its graphs pending
        graph = dataset_iri("new")
        assert state[2:] == [sorted([graph, description_iri(graph)])]
    with EmbeddedStore(tmp_path / "store") as store:
        assert isinstance(store, EmbeddedStore) and all_quads(store) == before
        assert {g.value for g in store._store.named_graphs()} == set(store.graph_names())
        assert json.loads((tmp_path / "store" / "store-version").read_text())[2:] == []


def test_pending_graphs_are_out_of_sight(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "store")
    graph = dataset_iri("seen")
    with store.staged([graph]) as staged:
        staged.load(
            graph, io.BytesIO(b"<https://e.org/s> <https://e.org/p> 1 ."), ox.RdfFormat.TURTLE
        )
        assert graph not in store.graph_names()
        assert not list(store.query("SELECT * WHERE { GRAPH ?g { ?s ?p ?o } }"))  # type: ignore[arg-type]
        staged.commit()
    assert graph in store.graph_names()
    assert len(list(store.query("SELECT * WHERE { GRAPH ?g { ?s ?p ?o } }"))) == 1  # type: ignore[arg-type]


def test_the_file_is_never_held_as_python_objects(tmp_path: Path) -> None:
    """The memory of the Python objects a load makes does not grow with the file, nor with a
    chunk: the parser's triples are streamed to the engine's bulk loader. (The path of Python
    objects makes about 350 bytes a triple.)"""
    path = tmp_path / "synth.nt"
    triples = write_synthetic(path, actors=1000, centralization=0.5, seed=1)
    store = EmbeddedStore(None)
    ensure_reference(store)
    tracemalloc.start()
    try:
        report = load_files(store, [path], "synth")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert report.triples == triples > 30_000
    assert peak < 3 * 1024**2 and peak < 100 * triples, f"{peak:,} bytes at peak"


def test_a_remote_store_takes_the_path_of_python_objects(
    oxigraph_server: str, tmp_path: Path
) -> None:
    path = tmp_path / "synth.nt"
    write_synthetic(path, actors=40, centralization=0.5, seed=1)
    store = RemoteStore(f"{oxigraph_server}/query")
    assert store.staged([dataset_iri("remote")]) is None
    report = load_files(store, [path], "remote")
    assert report.triples == len(list(ox.parse(path=path)))
    assert loader.BULK_FORMATS  # the formats the bulk path takes on an embedded store
