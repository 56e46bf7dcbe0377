"""The projection's flat reads (issue 15, item 3) build the projection the reads they replace
build: the parties by one query per column instead of the query with four OPTIONALs, and the
claims' properties whose values are concepts or sources one value at a time instead of
whole. Compared on the shipped data with a second dataset (two graphs state claims), an
analyst's merge and the registry's parts, at both levels and under several filters; and on
data no validated load writes (a claim with two confidences, one with a confidence outside
its scheme, a party of two kinds), where the flat reads fall back on the whole ones.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import networkx as nx
import pytest

from graph.analysis import projection
from graph.analysis.projection import ProjectionFilter, build_projection
from graph.ingest import actors, load_files
from graph.model.namespaces import DCTERMS, RDFS, RG, SKOS, dataset_iri
from graph.model.ontology import concepts, kinds
from graph.sparql import run_query
from graph.store import EmbeddedStore, Store, lexical_reader, lexical_rows, stores
from tests.helpers import BASE_ROW, claims_csv, with_default_dataset

FILTERS = [
    ProjectionFilter(),
    ProjectionFilter(level="government"),
    ProjectionFilter(min_confidence="medium"),
    ProjectionFilter(start=date(2024, 1, 1), level="government"),
    ProjectionFilter(basis="report", datasets=("extra",)),
]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with EmbeddedStore(None) as opened:
        with_default_dataset(opened)
        load_files(opened, [claims_csv(tmp_path / "extra.csv", BASE_ROW)], "extra")
        actors.merge(opened, "ru-embassy-india", "ru-mfa", "one ministry", "test")
        yield opened


def _snapshot(G: nx.MultiDiGraph) -> tuple[Any, ...]:
    """Everything a projection holds, in its order: nodes, edges, their attributes and the
    order of their keys, the graph's attributes."""
    return (
        list(G.nodes(data=True)),
        [list(attrs) for _, attrs in G.nodes(data=True)],
        list(G.edges(keys=True, data=True)),
        [list(attrs) for *_, attrs in G.edges(keys=True, data=True)],
        dict(G.graph),
    )


def _reference(store: Store, flt: ProjectionFilter, monkeypatch: pytest.MonkeyPatch) -> Any:
    with monkeypatch.context() as patch:
        patch.setattr(projection, "_FLAT_READS", False)
        return _snapshot(build_projection(store, flt))


@pytest.mark.parametrize("flt", FILTERS, ids=range(len(FILTERS)))
def test_flat_reads_build_the_projection_of_the_whole_reads(
    store: Store, flt: ProjectionFilter, monkeypatch: pytest.MonkeyPatch
) -> None:
    G = build_projection(store, flt)
    assert G.number_of_edges() > 0
    if flt.datasets is None:
        assert len(G.graph["datasets"]) == 2  # two graphs state the claims shown
        merged = [n for n, members in G.nodes(data="members") if members]
        assert merged  # the merge (and, at the government level, the parts) drawn
        if flt.level == "organization":
            assert any(part for _, part in G.nodes(data="part_of"))  # the registry's parts
    assert _snapshot(G) == _reference(store, flt, monkeypatch)


def test_the_concepts_of_the_claims_are_read_by_value(store: Store) -> None:
    """The flat reads are the ones taken on validated data (no fallback)."""
    graph = dataset_iri("extra")
    levels = list(concepts("ConfidenceScheme").values())
    read = projection._statements_by_value(store, graph, RG + "confidence", levels)
    by_value = projection._subjects_by_value(read, {})
    assert by_value is not None and sum(map(len, by_value.values())) == 1


def _claim_and_party(store: Store) -> tuple[str, str, str]:
    G = build_projection(store, ProjectionFilter(datasets=("extra",)))
    (_, _, claim, attrs), *_ = G.edges(keys=True, data=True)
    return dataset_iri(attrs["dataset"]), claim, attrs["subject"]


ODD = ["two confidences", "an unknown confidence", "two kinds", "two labels", "two places"]


@pytest.mark.parametrize("odd", ODD)
def test_data_a_validated_load_never_writes_falls_back_on_the_whole_reads(
    store: Store, odd: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    graph, claim, party = _claim_and_party(store)
    levels = concepts("ConfidenceScheme")
    places = lexical_rows(run_query(store, f"SELECT ?place WHERE {{ ?place <{SKOS}notation> ?c }}"))
    place = sorted(row[0] for row in places)[0]
    statement = {
        "two confidences": f"<{claim}> <{RG}confidence> <{levels['low']}>",
        "an unknown confidence": f"<{claim}> <{RG}confidence> <urn:x:unheard-of>",
        "two kinds": f"<{party}> a <{kinds()['Recruiter'].iri}>",
        # (the parties' label and code are the least of their values, whatever the order)
        "two labels": f'<{party}> <{RDFS}label> "A first label", "zz last label"',
        "two places": f"<{party}> <{RG}country> <{place}>",
    }[odd]
    store.update(f"INSERT DATA {{ GRAPH <{graph}> {{ {statement} }} }}", graphs=[graph])
    if odd in ("two confidences", "an unknown confidence"):
        read = projection._statements_by_value(
            store, graph, RG + "confidence", list(levels.values())
        )
        assert projection._subjects_by_value(read, {}) is None
    for flt in FILTERS:
        assert _snapshot(build_projection(store, flt)) == _reference(store, flt, monkeypatch)


def test_a_result_read_in_slices_gives_the_rows_of_the_whole(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The engine's TSV read a slice at a time (:func:`graph.store.lexical_reader`) gives the
    rows of the whole text, where values hold quotes, tabs, commas and line breaks (a slice
    may end only between rows), and the projection the same graph."""
    graph, claim, _ = _claim_and_party(store)
    note = 'a "quoted" note, with\r\nline breaks,\ta tab\n and "" two quotes\r\n'
    escaped = note.replace('"', '\\"').replace("\r", "\\r").replace("\n", "\\n")
    escaped = escaped.replace("\t", "\\t")
    store.update(
        f'INSERT DATA {{ GRAPH <{graph}> {{ <{claim}> <{DCTERMS}description> "{escaped}" }} }}',
        graphs=[graph],
    )
    spool = projection._statements_tsv(store, graph, DCTERMS + "description")
    query = f"SELECT ?s ?o WHERE {{ GRAPH <{graph}> {{ ?s <{DCTERMS}description> ?o }} }}"
    text = stores.lexical_tsv(store.query(query, default_graph=[], named_graphs=[graph]))
    assert spool.read() == text  # (the engine's file is its TSV, the same text)
    whole = list(lexical_reader(text))
    assert [claim, note] in whole
    for size in (0, 1, 7, 64, len(text) - 1, len(text)):
        monkeypatch.setattr(stores, "_SLICE", size)
        assert list(lexical_reader(text)) == whole
        assert list(lexical_reader(spool)) == whole  # (read again from its start)
        one = stores.lexical_spool(store.query(query.replace("?s ?o WHERE", "?o WHERE")))
        assert list(stores.lexical_values(one)) == [o for _, o in whole]
    name = spool.name
    spool.close()
    assert not os.path.exists(name)  # a spooled result's file goes with it
    monkeypatch.setattr(stores, "_SLICE", 1)
    sliced = [_snapshot(build_projection(store, flt)) for flt in FILTERS]
    monkeypatch.undo()
    assert sliced == [_snapshot(build_projection(store, flt)) for flt in FILTERS]
    notes = [a.get("note") for *_, a in build_projection(store).edges(keys=True, data=True)]
    assert note in notes


def test_spooled_files_of_a_process_that_is_gone_are_removed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file an engine left when it was killed mid-read (never closed) goes at the next
    process's first spool; a live process's stays."""
    import subprocess
    import sys

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
    left = tmp_path / f"{stores._SPOOL}{gone}-abc.tsv"
    live = tmp_path / f"{stores._SPOOL}{os.getpid()}-def.tsv"
    other = tmp_path / "someone-elses.tsv"
    for path in (left, live, other):
        path.write_text("?s\n", encoding="utf-8")
    stores._sweep_spools.cache_clear()
    store = EmbeddedStore()
    with stores.lexical_spool(store.query("SELECT ?s WHERE { ?s ?p ?o }")) as spool:
        assert Path(spool.name).parent == tmp_path
    assert not left.exists() and live.exists() and other.exists()


def test_the_claims_share_their_keys_and_strings_stay_out_of_the_interpreters_table(
    store: Store,
) -> None:
    """A claim's attributes are a key-sharing dict (the claims' keys held once, not by each:
    half a plain dict's size), and the build leaves nothing in the interpreter's table of
    interned strings, which never shrinks."""
    G = build_projection(store)
    (_, _, claim, attrs), *_ = G.edges(keys=True, data=True)
    assert type(attrs) is dict and list(attrs)[-2:] == ["subject", "object"]
    assert sys.getsizeof(attrs) < sys.getsizeof(dict(attrs)) / 1.5
    copy = "".join([claim[:1], claim[1:]])  # a string of its own, equal to the key
    assert copy is not claim and sys.intern(copy) is copy
