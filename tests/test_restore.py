"""Export → restore brings back an identical store (issue 17): every graph isomorphic, every
dataset with its access level, licence, flags and provenance, restricted data still hidden from
anonymous callers; by the command line and by ``POST /api/restore``. A bad export, or a caller
without the right, writes nothing; ``load`` of an export is refused rather than flattened.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest

from graph.analysis.queries import export as export_to
from graph.analysis.queries import export_quads
from graph.ingest import list_datasets, load_files
from graph.ingest.restore import read_export, restore
from graph.ingest.validation import ValidationError
from graph.model.namespaces import DATASET, RG, dataset_iri, description_iri
from graph.sparql import dataset_graphs
from graph.store import EmbeddedStore, Store
from tests.helpers import (
    BASE_ROW,
    SECRET_GRAPH,
    LiveServer,
    build_data,
    claims_csv,
    run_cli,
    serving,
)

LICENSED = "licensed"


def canonical(quads: Iterator[ox.Quad] | list[ox.Quad]) -> dict[str, ox.Dataset]:
    """Each named graph of ``quads`` as a dataset with its blank nodes canonicalized: two
    graphs are isomorphic when these are equal."""
    graphs: dict[str, list[ox.Quad]] = {}
    for quad in quads:
        graphs.setdefault(quad.graph_name.value, []).append(quad)
    found = {}
    for graph, content in graphs.items():
        dataset = ox.Dataset(content)
        dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
        found[graph] = dataset
    return found


def contents(store: Store) -> tuple[dict[str, ox.Dataset], list[dict[str, object]]]:
    """Every dataset graph of ``store`` with its description in it (as an export writes it),
    canonical, and the dataset list."""
    quads = export_quads(store, dataset_graphs(store))
    return canonical(quads), [i.as_dict() for i in list_datasets(store)]


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """A store of four datasets (public, restricted, synthetic, restricted with a licence) plus
    the reference data; its export as N-Quads and TriG, written by the command line."""
    work = tmp_path_factory.mktemp("restore-source")
    data = work / "data"
    build_data(data)
    with EmbeddedStore(data) as store:
        row = {**BASE_ROW, "claim_id": "l1", "note": "A licensed claim."}
        load_files(store, [claims_csv(work / "lic.csv", row)], LICENSED,
                   access="restricted", licence="CC-BY-4.0", synthetic=True)  # fmt: skip
        expected = contents(store)
        exports = {}
        for suffix, fmt in ((".nq", "nquads"), (".trig", "trig")):
            exports[suffix] = work / f"all{suffix}"
            export_to(store, dataset_graphs(store), exports[suffix], fmt)  # as the CLI exports
    return {"work": work, "expected": expected, "exports": exports}


def _env(data: Path) -> dict[str, str]:
    """The environment of a command line run on the store in ``data``."""
    env = {k: v for k, v in os.environ.items() if k != "RECRUITGRAPH_STORE_URL"}
    return {**env, "RECRUITGRAPH_DATA_DIR": str(data)}


def test_the_source_has_what_a_restore_can_lose(source: dict[str, object]) -> None:
    _, infos = source["expected"]  # type: ignore[misc]
    by_name = {i["name"]: i for i in infos}
    assert {n: by_name[n]["access"] for n in ("pub", "secret", LICENSED)} == {
        "pub": "public",
        "secret": "restricted",
        LICENSED: "restricted",
    }
    assert by_name[LICENSED]["licence"] == "CC-BY-4.0" and by_name[LICENSED]["synthetic"]
    assert by_name["synth"]["synthetic"] and by_name["reference"]["licence"]


def test_cli_restore_gives_an_identical_store(source: dict[str, object], tmp_path: Path) -> None:
    export = source["exports"][".nq"]  # type: ignore[index]
    target = tmp_path / "fresh"
    result = run_cli("restore", str(export), "--format", "json", env=_env(target), check=True)
    report = json.loads(result.stdout)
    assert {d["name"]: d["replaced"] for d in report["datasets"]} == {
        "pub": False,
        "reference": False,
        "secret": False,
        "synth": False,
        LICENSED: False,
    }
    with EmbeddedStore(target) as store:
        graphs, infos = contents(store)
        described = [description_iri(g) for g in graphs]
        assert sorted(store.graph_names()) == sorted([*graphs, *described])  # no staging left
    expected_graphs, expected_infos = source["expected"]  # type: ignore[misc]
    assert sorted(graphs) == sorted(expected_graphs)
    for graph, dataset in expected_graphs.items():
        assert graphs[graph] == dataset, f"{graph} is not isomorphic to its export's source"
    assert infos == expected_infos  # access, licence, flags, created, checksum, files, by

    # Over an existing store: refused without --replace, nothing written; with it, replaced.
    again = run_cli("restore", str(export), env=_env(target))
    assert again.returncode == 1
    assert "already has datasets licensed, pub, reference, secret, synth" in again.stderr
    assert "--replace" in again.stderr and "Traceback" not in again.stderr
    replaced = run_cli(
        "restore", str(export), "--replace", "--format", "json", env=_env(target), check=True
    )
    assert all(d["replaced"] for d in json.loads(replaced.stdout)["datasets"])
    with EmbeddedStore(target) as store:
        assert contents(store) == (graphs, infos)


def _write_nquads(path: Path, quads: list[ox.Quad]) -> Path:
    ox.serialize(quads, str(path), format=ox.RdfFormat.N_QUADS)
    return path


def _bad_exports(source: dict[str, object], tmp: Path) -> dict[str, tuple[Path, str]]:
    """Files that are no valid export, and what the refusal of each says."""
    quads = list(ox.parse(path=str(source["exports"][".nq"]), format=ox.RdfFormat.N_QUADS))  # type: ignore[index]
    secret = ox.NamedNode(SECRET_GRAPH)
    no_level = [
        q for q in quads if not (q.subject == secret and q.predicate.value == RG + "accessLevel")
    ]
    in_default = [*quads, ox.Quad(secret, secret, secret, ox.DefaultGraph())]
    foreign = [*quads, ox.Quad(secret, secret, secret, ox.NamedNode("http://example.org/g"))]
    bad_name = [*quads, ox.Quad(secret, secret, secret, ox.NamedNode(DATASET + "Bad_Name"))]
    malformed = tmp / "malformed.nq"
    malformed.write_text(source["exports"][".nq"].read_text()[:5000] + "\n<broken")  # type: ignore[index]
    turtle = tmp / "flat.ttl"
    turtle.write_text("<http://example.org/s> <http://example.org/p> 1 .\n")
    empty = tmp / "empty.nq"
    empty.write_text("")
    return {
        "a dataset without an access level": (
            _write_nquads(tmp / "no-level.nq", no_level),
            "dataset secret: ",
        ),
        "quads in the default graph": (
            _write_nquads(tmp / "default.nq", in_default),
            "quads in the default graph",
        ),
        "a graph that is no dataset": (
            _write_nquads(tmp / "foreign.nq", foreign),
            "quads in <http://example.org/g>",
        ),
        "a malformed graph name": (_write_nquads(tmp / "badname.nq", bad_name), "Bad_Name"),
        "malformed N-Quads": (malformed, "malformed nq"),
        "a format without graphs": (turtle, "keeps no named graphs"),
        "an empty file": (empty, "no dataset graphs"),
    }


def test_a_bad_export_writes_nothing(source: dict[str, object], tmp_path: Path) -> None:
    bad = _bad_exports(source, tmp_path)
    with EmbeddedStore(None) as store:
        for what, (path, message) in bad.items():
            with pytest.raises(ValidationError) as raised:
                restore(store, path)
            assert message in str(raised.value.problems), what
        # All or nothing: one dataset is invalid, and the other four are not written either.
        assert store.graph_names() == [] and store.version == 0  # not even the reference data
    no_level = bad["a dataset without an access level"][0]
    assert len(read_export(no_level).datasets) == 5  # an export: the shapes refuse one dataset
    with EmbeddedStore(None) as store, pytest.raises(ValidationError) as raised:
        restore(store, no_level)
    [problem] = raised.value.problems
    assert problem.message.startswith("dataset secret: ") and "access level" in problem.message
    # The command line says why, exits 1 and writes nothing.
    target = tmp_path / "fresh"
    for what in ("malformed N-Quads", "a dataset without an access level"):
        path, message = bad[what]
        result = run_cli("restore", str(path), env=_env(target))
        assert result.returncode == 1, what
        assert message in result.stderr and "Traceback" not in result.stderr, (what, result.stderr)
    with EmbeddedStore(target) as store:
        assert store.graph_names() == [] and store.version == 0


def test_load_of_an_export_is_refused_not_flattened(
    source: dict[str, object], tmp_path: Path
) -> None:
    for path in source["exports"].values():  # type: ignore[attr-defined]
        result = run_cli("load", str(path), "--dataset", "flat", env=_env(tmp_path / "d"))
        assert result.returncode == 1
        assert "an export of 5 datasets" in result.stderr
        assert "recruitgraph restore" in result.stderr
    validated = run_cli("validate", str(source["exports"][".nq"]), env=_env(tmp_path / "d"))  # type: ignore[index]
    assert validated.returncode == 1 and "recruitgraph restore" in validated.stderr
    assert not (tmp_path / "d").exists() or EmbeddedStore(tmp_path / "d").graph_names() == []


# -- over HTTP ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def empty_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """`recruitgraph serve` over an empty store, with a token per role."""
    work = tmp_path_factory.mktemp("restore-server")
    data = work / "data"
    roles = {"reader": ("reader", ()), "editor": ("editor", ("*",)), "admin": ("admin", ())}
    with serving(data, work / "server.log", roles=roles) as server:
        yield server


def _post(server: LiveServer, role: str | None, path: Path, **params: str) -> httpx.Response:
    media = {".nq": "application/n-quads", ".trig": "application/trig", ".ttl": "text/turtle"}
    headers = {"Content-Type": media[path.suffix], **(server.auth(role) if role else {})}
    return httpx.post(
        f"{server.base}/api/restore",
        content=path.read_bytes(),
        headers=headers,
        params=params,
        timeout=60,
    )


def _visible(server: LiveServer, role: str | None) -> set[str]:
    with server.client(role) as client:
        listed = {d["name"] for d in client.get("/api/datasets").json()}
        answer = client.get(
            "/sparql",
            params={"query": "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"},
            headers={"Accept": "application/sparql-results+json"},
        ).json()
    graphs = {b["g"]["value"] for b in answer["results"]["bindings"]}
    assert graphs == {dataset_iri(n) for n in listed}
    return listed


def test_http_restore(source: dict[str, object], empty_server: LiveServer, tmp_path: Path) -> None:
    export: Path = source["exports"][".nq"]  # type: ignore[index]
    # Nothing is written for a caller without write rights on every dataset, or a bad file.
    assert _post(empty_server, None, export).status_code == 401
    assert _post(empty_server, "reader", export).status_code == 403
    # An editor granted every restricted dataset still may not write the reference data.
    refused = _post(empty_server, "editor", export)
    assert refused.status_code == 403 and "write rights on every dataset" in refused.json()["error"]
    for what, (path, message) in _bad_exports(source, tmp_path).items():
        if path.suffix not in (".nq", ".ttl"):
            continue
        answer = _post(empty_server, "admin", path)
        assert answer.status_code == 422, (what, answer.text)
        body = json.dumps(answer.json())
        assert message in body and str(tmp_path) not in body and "/tmp" not in body, body
    assert _visible(empty_server, "admin") == set()

    restored = _post(empty_server, "admin", export)
    assert restored.status_code == 200, restored.text
    assert restored.json()["file"] == "body"
    expected_graphs, expected_infos = source["expected"]  # type: ignore[misc]
    with empty_server.client("admin") as client:
        assert client.get("/api/datasets").json() == json.loads(json.dumps(expected_infos))
        exported = client.get("/api/export", params={"format": "nquads"})
    assert canonical(ox.parse(exported.content, format=ox.RdfFormat.N_QUADS)) == expected_graphs
    # Restricted datasets stay invisible to anonymous callers and to readers without a grant.
    assert _visible(empty_server, None) == {"pub", "reference", "synth"}
    assert _visible(empty_server, "reader") == {"pub", "reference", "synth"}

    again = _post(empty_server, "admin", export)
    assert again.status_code == 409 and "replace" in again.json()["error"]
    replaced = _post(empty_server, "admin", source["exports"][".trig"], replace="true")  # type: ignore[arg-type]
    assert replaced.status_code == 200 and all(d["replaced"] for d in replaced.json()["datasets"])
    assert _visible(empty_server, None) == {"pub", "reference", "synth"}

    # An upload of an export is refused, not flattened into one public dataset.
    with empty_server.client("admin") as client:
        upload = client.post(
            "/api/datasets",
            data={"name": "flat"},
            files={"file": ("all.nq", export.read_bytes(), "application/n-quads")},
        )
    assert upload.status_code == 422 and "recruitgraph restore" in upload.text
    assert "flat" not in _visible(empty_server, "admin")
