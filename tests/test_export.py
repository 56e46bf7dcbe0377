"""The one exporter: every export format written and read back, atomically (a failed export
leaves no file and no temporary file, and an existing file as it was), the GEXF it writes is
GEXF 1.2, and the CLI picks the format from the file name."""

from __future__ import annotations

import csv
import io
import os
import stat
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import networkx as nx
import pyoxigraph as ox
import pytest

from graph.analysis import queries
from graph.analysis.projection import ProjectionFilter
from graph.sparql import dataset_graphs
from graph.store import EmbeddedStore, Store
from graph.store.export import EXPORT_KINDS, atomic_output, export_format, write_export
from graph.store.formats import Format, Kind, UnknownFormat, formats
from tests.helpers import gexf_problems, run_cli, with_default_dataset

EX = "https://example.org/"
GRAPHS = [f"https://w3id.org/recruitgraph/dataset/{name}" for name in ("one", "two")]
QUADS = [
    ox.Quad(ox.NamedNode(f"{EX}s{i}"), ox.NamedNode(f"{EX}p"), ox.Literal(str(i)), ox.NamedNode(g))
    for g in GRAPHS
    for i in range(3)
]


def _listing(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


@pytest.mark.parametrize("fmt", list(formats(Kind.GRAPH)), ids=lambda f: f.name)
def test_every_rdf_format_round_trips(fmt: Format, tmp_path: Path) -> None:
    out = tmp_path / f"export{fmt.suffix}"
    assert write_export(out, fmt.name, iter(QUADS)) == len(QUADS)
    assert isinstance(fmt.rdf, ox.RdfFormat)
    back = list(ox.parse(path=out, format=fmt.rdf))
    if fmt.keeps_graphs:
        assert {str(q) for q in back} == {str(q) for q in QUADS}
    else:  # the union of the graphs, as triples
        assert {str(q.triple) for q in back} == {str(q.triple) for q in QUADS}
        assert all(q.graph_name == ox.DefaultGraph() for q in back)
    assert _listing(tmp_path) == [out.name]


def test_network_formats(tmp_path: Path) -> None:
    graph = nx.MultiDiGraph()
    graph.add_node("a", label="A")
    graph.add_node("b", label="B")
    graph.add_edge("a", "b", relation="FundingFlow", amount=5)
    graph.add_edge("b", "a", relation="Coordination")
    assert write_export(tmp_path / "n.graphml", "graphml", graph) == 2
    assert nx.read_graphml(tmp_path / "n.graphml").number_of_edges() == 2
    assert write_export(tmp_path / "n.gexf", "gexf", graph) == 2
    assert nx.read_gexf(tmp_path / "n.gexf").number_of_edges() == 2
    rows = [["source", "target", "note"], ["a", "b", 'comma, "quote"\nline'], ["b", "a", ""]]
    assert write_export(tmp_path / "n.csv", "csv", rows) == 2
    with open(tmp_path / "n.csv", newline="", encoding="utf-8") as text:
        assert list(csv.reader(text)) == rows
    assert _listing(tmp_path) == ["n.csv", "n.gexf", "n.graphml"]


def _failing(after: int) -> Iterator[ox.Quad]:
    for i in range(after):
        yield QUADS[i % len(QUADS)]
    raise RuntimeError("the store went away")


@pytest.mark.parametrize("fmt", ["nquads", "trig", "turtle", "jsonld", "rdfxml"])
def test_a_failed_export_leaves_nothing(fmt: str, tmp_path: Path) -> None:
    out = tmp_path / "export.out"
    with pytest.raises(RuntimeError, match="went away"):
        # enough quads that the serializer has written part of the file before the error
        write_export(out, fmt, _failing(50_000))
    assert _listing(tmp_path) == []


@pytest.mark.parametrize("fmt", ["nquads", "gexf", "graphml", "csv"])
def test_a_failed_export_keeps_the_existing_file(fmt: str, tmp_path: Path) -> None:
    out = tmp_path / "export.out"
    out.write_bytes(b"the previous export")
    out.chmod(0o600)
    if fmt == "nquads":
        data: object = _failing(50_000)
    elif fmt == "csv":
        data = ([str(i)] if i < 50_000 else 1 / 0 for i in range(50_001))
    else:
        data = nx.MultiDiGraph()
        data.add_edge("a", "b", bad=object())  # no GraphML or GEXF type for it
    with pytest.raises((RuntimeError, ZeroDivisionError, TypeError, nx.NetworkXError)):
        write_export(out, fmt, data)  # type: ignore[arg-type]
    assert out.read_bytes() == b"the previous export"
    assert _listing(tmp_path) == ["export.out"]
    assert stat.S_IMODE(out.stat().st_mode) == 0o600


def test_an_unknown_format_writes_nothing(tmp_path: Path) -> None:
    with pytest.raises(UnknownFormat, match="unknown export format 'pdf'; use one of turtle"):
        write_export(tmp_path / "x.pdf", "pdf", QUADS)
    with pytest.raises(UnknownFormat, match="'json'"):  # a results format is not an export
        write_export(tmp_path / "x.json", "json", QUADS)
    assert _listing(tmp_path) == []
    assert export_format(export_format("gexf")) is export_format("gexf")
    assert [f.kind for f in formats(*EXPORT_KINDS)].count(Kind.NETWORK) == 3


def test_replacing_keeps_the_mode_and_a_new_file_follows_the_umask(tmp_path: Path) -> None:
    private = tmp_path / "private.nq"
    private.write_bytes(b"")
    private.chmod(0o600)
    write_export(private, "nquads", QUADS)
    assert stat.S_IMODE(private.stat().st_mode) == 0o600 and private.stat().st_size > 0
    umask = os.umask(0o022)
    try:
        fresh = tmp_path / "fresh.nq"
        write_export(fresh, "nquads", QUADS)
    finally:
        os.umask(umask)
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o644


def test_atomic_output_never_writes_through_an_existing_temporary_name(tmp_path: Path) -> None:
    out = tmp_path / "out.txt"
    with atomic_output(out) as stream:
        partial = [p for p in tmp_path.iterdir() if p.name.endswith(".partial")]
        assert len(partial) == 1 and partial[0].name.startswith(".out.txt.")
        stream.write(b"x")
    assert out.read_bytes() == b"x" and _listing(tmp_path) == ["out.txt"]


@pytest.fixture(scope="module")
def claims_store() -> Iterator[Store]:
    with EmbeddedStore(None) as store:
        with_default_dataset(store)
        yield store


@pytest.mark.parametrize("level", ["organization", "government"])
def test_gexf_is_gexf_1_2(claims_store: Store, tmp_path: Path, level: str) -> None:
    """An edge's type in GEXF is its direction; the relation is an attribute. The file keeps
    the rules of GEXF 1.2 (:func:`gexf_problems`) and reads back."""
    out = tmp_path / "claims.gexf"
    flt = ProjectionFilter(level=level)
    edges = queries.export(claims_store, dataset_graphs(claims_store), out, "gexf", filters=flt)
    assert gexf_problems(out) == []
    root = ET.parse(out).getroot()
    ns = {"g": "http://www.gexf.net/1.2draft"}
    found = root.findall(".//g:edges/g:edge", ns)
    assert len(found) == edges > 10
    titles = {a.get("title"): a.get("id") for a in root.findall(".//g:attributes/g:attribute", ns)}
    assert "relation" in titles and "type" not in titles
    read = nx.read_gexf(out)
    relations = {data["relation"] for _, _, data in read.edges(data=True)}
    assert {"FundingFlow", "Coordination"} & relations
    # GraphML keeps the attribute name ``type``: there it means nothing else.
    graphml = queries.export(
        claims_store, dataset_graphs(claims_store), tmp_path / "c.graphml", "graphml"
    )
    types = {d["type"] for _, _, d in nx.read_graphml(tmp_path / "c.graphml").edges(data=True)}
    assert graphml == edges and types == relations


def test_the_gexf_rules_see_a_broken_file(tmp_path: Path) -> None:
    """:func:`gexf_problems` finds what networkx writes for an edge attribute named type."""
    graph: nx.MultiDiGraph[str] = nx.MultiDiGraph()
    graph.add_edge("a", "b", type="Coordination", start="2024")
    nx.write_gexf(graph, tmp_path / "broken.gexf")
    problems = gexf_problems(tmp_path / "broken.gexf")
    assert any("type Coordination" in p for p in problems), problems


def test_export_counts_and_rows(claims_store: Store, tmp_path: Path) -> None:
    graphs = dataset_graphs(claims_store)
    quads = queries.export(claims_store, graphs, tmp_path / "all.nq", "nquads")
    # each dataset's data and, in its graph, its description
    assert quads == sum(1 for _ in queries.export_quads(claims_store, graphs))
    assert quads > sum(1 for g in graphs for _ in claims_store.quads(g))
    edges = queries.export(claims_store, graphs, tmp_path / "edges.csv", "csv")
    table = list(csv.DictReader(io.StringIO((tmp_path / "edges.csv").read_text("utf-8"))))
    assert len(table) == edges and table[0]["source"] and table[0]["type"]
    with pytest.raises(queries.BadRequest, match="unknown export format 'pdf'"):
        queries.export(claims_store, graphs, tmp_path / "x.pdf", "pdf")
    with pytest.raises(queries.NotFound):
        queries.export(claims_store, graphs, tmp_path / "x.nq", "nquads", datasets=["nope"])
    assert _listing(tmp_path) == ["all.nq", "edges.csv"]


def test_cli_export_takes_the_format_from_the_file_name(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    with EmbeddedStore(cli_env["RECRUITGRAPH_DATA_DIR"]) as store:
        with_default_dataset(store)
    turtle = tmp_path / "all.ttl"
    result = run_cli("export", "--out", str(turtle), env=cli_env, check=True)
    assert "(turtle)" in result.stderr
    assert len(list(ox.parse(path=turtle, format=ox.RdfFormat.TURTLE))) > 100
    gexf = tmp_path / "net.xml"
    result = run_cli(
        "export", "--format", "gexf", "--relation", "FundingFlow", "--out", str(gexf), env=cli_env
    )
    assert result.returncode == 0, result.stderr
    assert "claims (gexf)" in result.stderr
    assert {d["relation"] for _, _, d in nx.read_gexf(gexf).edges(data=True)} == {"FundingFlow"}
    kept = tmp_path / "kept.nq"
    kept.write_text("before")
    failed = run_cli("export", "--dataset", "nope", "--out", str(kept), env=cli_env)
    assert failed.returncode == 1 and "no such dataset" in failed.stderr
    assert kept.read_text() == "before"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []
    # A suffix no format has is a mistake, not a request for N-Quads; no suffix means N-Quads.
    wrong = run_cli("export", "--out", str(tmp_path / "all.pdf"), env=cli_env)
    assert wrong.returncode == 1 and "no export format has the suffix .pdf" in wrong.stderr
    assert not (tmp_path / "all.pdf").exists()
    bare = run_cli("export", "--out", str(tmp_path / "dump"), env=cli_env, check=True)
    assert "(nquads)" in bare.stderr
