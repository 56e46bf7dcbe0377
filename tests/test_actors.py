"""Actors: listing and showing them, merges and unmerges recorded as statements, the projection
that follows them, and the level and basis filters on the command line and the HTTP API.

Expected figures are derived by hand from the shipped files (``graph/data/actors.csv`` and
``claims.csv``), read here with the csv module, not from the code under test.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import networkx as nx
import pyoxigraph as ox
import pytest

from graph.analysis.projection import ProjectionFilter, party_label, project
from graph.cli import main
from graph.ingest import actors as lib
from graph.ingest import list_datasets, load_files
from graph.model.namespaces import DCTERMS, PROV, RDFS, RG, dataset_iri, entity_iri
from graph.store import EmbeddedStore, Store
from tests.helpers import BASE_ROW, SECOND_ROW, claims_csv, with_default_dataset

DATA = Path(__file__).resolve().parent.parent / "graph" / "data"
MOD = entity_iri("federal-body", "ru-mod")
ARMED = entity_iri("federal-body", "ru-armed-forces")
TATARSTAN = entity_iri("regional-government", "ru-ta-government")


def _rows(name: str) -> list[dict[str, str]]:
    with open(DATA / name, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _registry() -> dict[str, dict[str, str]]:
    return {row["actor_id"]: row for row in _rows("actors.csv")}


def _names(actor_id: str) -> set[str]:
    row = _registry()[actor_id]
    return {row["label"], *(a for a in row["aliases"].split("|") if a)}


def _claims_naming(actor_id: str) -> set[str]:
    """The claim ids of claims.csv whose subject or object is one of the actor's names."""
    names = _names(actor_id)
    return {
        r["claim_id"] for r in _rows("claims.csv") if r["subject"] in names or r["object"] in names
    }


def _matching(text: str) -> set[str]:
    """The registered actors whose id, label or an alias holds ``text``, in any case."""
    return {
        actor_id
        for actor_id, row in _registry().items()
        if any(text.casefold() in name.casefold() for name in (actor_id, *_names(actor_id)))
    }


def _assessments() -> set[str]:
    return {r["claim_id"] for r in _rows("claims.csv") if r["basis"] == "assessment"}


@pytest.fixture
def store() -> Iterator[Store]:
    with EmbeddedStore(None) as opened:
        with_default_dataset(opened)
        yield opened


def _federal(G: nx.MultiDiGraph) -> set[str]:
    return {n for n, data in G.nodes(data=True) if data["kind"] == "FederalBody"}


def _claim_ids_at(G: nx.MultiDiGraph, node: str) -> set[str]:
    edges = [*G.out_edges(node, data=True), *G.in_edges(node, data=True)]
    return {data["claim_id"] for _, _, data in edges}


def _snapshot(G: nx.MultiDiGraph) -> tuple[Any, Any]:
    return (
        sorted((n, repr(sorted(d.items()))) for n, d in G.nodes(data=True)),
        sorted((u, v, k, repr(sorted(d.items()))) for u, v, k, d in G.edges(keys=True, data=True)),
    )


# -- the library ------------------------------------------------------------------------------


def test_the_shipped_hand_derivations_hold() -> None:
    # The figures the tests below rest on, read off the shipped files.
    assert _claims_naming("ru-mod") == {"c015", "c016", "c036", "c037", "c040", "c075", "c136"}
    assert _claims_naming("ru-armed-forces") == {"c047", "c051", "c139", "c140", "c141"}
    assert _assessments() == {"c001", "c002", "c003", "c004", "c005", "c006", "c007", "c040"}
    assert sum(row["kind"] == "FederalBody" for row in _registry().values()) == 9


def test_actors_lists_the_registry_with_claim_counts(store: Store) -> None:
    federal = lib.actors(store, kind="FederalBody")
    registry = _registry()
    assert {a["id"] for a in federal} == {
        i for i, r in registry.items() if r["kind"] == "FederalBody"
    }
    by_id = {a["id"]: a for a in federal}
    for actor_id, found in by_id.items():
        assert found["claims"] == len(_claims_naming(actor_id)), actor_id
        assert found["part_of"] == (registry[actor_id]["part_of"] or None)
        assert found["registered"] and found["merged_into"] is None
    assert by_id["ru-mvd"]["claims"] == 0  # a parent the claims never name
    assert set(by_id["ru-mod"]["aliases"]) == _names("ru-mod") - {"Russian Ministry of Defence"}
    # search: id, label or alias, any case
    searched = {a["id"] for a in lib.actors(store, kind="FederalBody", search="RUSSIAN MILITARY")}
    assert searched == {"ru-military-recruiters", "ru-armed-forces"}  # the latter by its alias
    with pytest.raises(ValueError, match="unknown kind 'Bogus'"):
        lib.actors(store, kind="Bogus")


def test_parties_no_registry_knows_are_listed(store: Store, tmp_path: Path) -> None:
    # "Government of Tatarstan" and the two made-up parties are in no registry.
    load_files(store, [claims_csv(tmp_path / "extra.csv", BASE_ROW, SECOND_ROW)], "extra")
    unregistered = {a["id"]: a for a in lib.actors(store) if not a["registered"]}
    assert set(unregistered) == {
        "regional-government/ru-ta",
        "scheme/tatarstan-contract-bonus-scheme",
        "cohort/nepali-recruits",
    }
    assert unregistered["scheme/tatarstan-contract-bonus-scheme"]["claims"] == 2  # t1 and t2
    assert unregistered["regional-government/ru-ta"]["code"] == "RU-TA"
    shown = lib.actor(store, "Government of Tatarstan")
    assert shown["id"] == "regional-government/ru-ta" and shown["claim_ids"] == ["t1"]


def test_actor_shows_names_chain_members_and_claims(store: Store) -> None:
    for ref in ("ru-armed-forces", ARMED, "federal-body/ru-armed-forces", "Russian military"):
        assert lib.actor(store, ref)["id"] == "ru-armed-forces", ref
    found = lib.actor(store, "ru-mod")
    assert [p["id"] for p in found["parents"]] == ["ru-federal-center"]
    assert [m["id"] for m in found["members"]] == ["ru-armed-forces"]
    assert set(found["claim_ids"]) == _claims_naming("ru-mod")
    assert found["merges"] == [] and found["merged_from"] == []
    recruiters = lib.actor(store, "ru-military-recruiters")
    assert [p["id"] for p in recruiters["parents"]] == [
        "ru-armed-forces",
        "ru-mod",
        "ru-federal-center",
    ]
    with pytest.raises(lib.UnknownActorError, match="unknown actor 'nobody'"):
        lib.actor(store, "nobody")


def test_merge_rolls_two_federal_bodies_into_one_node_and_unmerge_restores(store: Store) -> None:
    before = project(store)
    claims_before = {str(q) for q in store.quads(dataset_iri("claims"))}
    assert len(_federal(before)) == 8  # the 9 federal bodies but ru-mvd, which no claim names
    start = datetime.now(UTC)
    record = lib.merge(
        store, "ru-armed-forces", "Russian Ministry of Defence", "one command", "ana"
    )
    after = project(store)
    assert _federal(after) == _federal(before) - {ARMED}
    both = _claims_naming("ru-mod") | _claims_naming("ru-armed-forces")
    assert _claim_ids_at(after, MOD) == both and len(both) == 12
    assert after.nodes[MOD]["members"] == [ARMED]
    # every claim keeps its own parties for the evidence tables
    moved = {d["claim_id"]: d for _, _, d in after.edges(data=True) if d["claim_id"] in both}
    assert {d["claim_id"] for d in moved.values() if ARMED in (d["subject"], d["object"])} == (
        _claims_naming("ru-armed-forces")
    )
    for claim_id in _claims_naming("ru-armed-forces"):
        data = moved[claim_id]
        own = "subject" if data["subject"] == ARMED else "object"
        assert party_label(after, data[own]) == "Russian armed forces", claim_id
    # the claims were not rewritten
    assert {str(q) for q in store.quads(dataset_iri("claims"))} == claims_before

    # the record: who, when, why, in a dataset of its own
    graph = dataset_iri("merges")
    merge_iri = ox.NamedNode(record["merge"])
    triples = {(q.predicate.value, q.object) for q in store.quads(graph) if q.subject == merge_iri}
    values = {p: o for p, o in triples}
    assert values[RG + "mergedActor"] == ox.NamedNode(ARMED)
    assert values[RG + "survivor"] == ox.NamedNode(MOD)
    assert values[RDFS + "comment"].value == "one command"
    created = datetime.fromisoformat(values[DCTERMS + "created"].value.replace("Z", "+00:00"))
    assert start <= created <= datetime.now(UTC)
    agent = values[PROV + "wasAttributedTo"]
    assert any(q.subject == agent and q.object.value == "ana" for q in store.quads(graph))
    assert record["by"] == "ana" and record["in_force"] and record["dataset"] == "merges"
    assert "merges" in {info.name for info in list_datasets(store)}
    shown = lib.actor(store, "ru-armed-forces")
    assert shown["merged_into"]["survivor"]["id"] == "ru-mod"
    assert [m["id"] for m in lib.actor(store, "ru-mod")["merged_from"]] == ["ru-armed-forces"]

    undone = lib.unmerge(store, "ru-armed-forces", "rev", reason="a separate command")
    assert undone["undone_by"] == "rev" and not undone["in_force"]
    assert _snapshot(project(store)) == _snapshot(before)
    # the record stays, marked undone
    history = lib.actor(store, "ru-mod")["merges"]
    assert [(h["merge"], h["in_force"], h["undo_reason"]) for h in history] == [
        (record["merge"], False, "a separate command")
    ]
    assert any(q.predicate.value == PROV + "invalidatedAtTime" for q in store.quads(graph))
    assert lib.actor(store, "ru-armed-forces")["merged_into"] is None


def test_merge_of_an_unregistered_party_into_the_registered_one(
    store: Store, tmp_path: Path
) -> None:
    load_files(store, [claims_csv(tmp_path / "extra.csv", BASE_ROW)], "extra")
    unregistered = entity_iri("regional-government", "ru-ta")
    assert unregistered in project(store)
    lib.merge(store, "regional-government/ru-ta", "ru-ta-government", "same body", "ana")
    G = project(store)
    assert unregistered not in G
    assert "t1" in _claim_ids_at(G, TATARSTAN)


def test_government_level_after_a_merge_still_has_one_federal_node(store: Store) -> None:
    lib.merge(store, "ru-embassy-india", "ru-mfa", "one ministry", "ana")
    G = project(store, ProjectionFilter(level="government"))
    assert _federal(G) == {entity_iri("federal-body", "ru-federal-center")}
    assert G.number_of_edges() == project(store).number_of_edges()


def test_refusals_write_nothing(store: Store) -> None:
    version = store.version
    cases = [
        (("nobody", "ru-mod", "r"), "unknown actor 'nobody'"),
        (("ru-mod", "nobody", "r"), "unknown actor 'nobody'"),
        (("ru-mod", "ru-mod", "r"), "into itself"),
        (("ru-mod", "Russian Ministry of Defence", "r"), "into itself"),
        (("ru-mod", "np-government", "r"), r"\(FederalBody\) into 'np-government' \(Foreign"),
        (("ru-mod", "ru-mfa", "  "), "give a reason"),
        # ru-armed-forces is part of ru-mod: merging the parent into it would loop the roll-up
        (("ru-mod", "ru-armed-forces", "r"), "part of ru-mod .*'ru-armed-forces' into 'ru-mod'"),
        (("ru-federal-center", "ru-military-recruiters", "r"), "roll-up would loop"),
    ]  # fmt: skip
    for (a, b, reason), message in cases:
        with pytest.raises(ValueError, match=message):
            lib.merge(store, a, b, reason, "ana")
    with pytest.raises(ValueError, match="give who makes the merge"):
        lib.merge(store, "ru-mfa", "ru-mod", "r", "")
    with pytest.raises(ValueError, match="no merge in force"):
        lib.unmerge(store, "ru-mod", "ana")
    assert store.version == version and dataset_iri("merges") not in store.graph_names()

    lib.merge(store, "ru-embassy-india", "ru-mfa", "one ministry", "ana")
    with pytest.raises(ValueError, match="already merged into 'ru-mfa'; unmerge it first"):
        lib.merge(store, "ru-embassy-india", "ru-mod", "r", "ana")
    with pytest.raises(ValueError, match="a cycle: ru-embassy-india -> ru-mfa"):
        lib.merge(store, "ru-mfa", "ru-embassy-india", "r", "ana")


# -- the command line -------------------------------------------------------------------------


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "data"
    with EmbeddedStore(directory) as opened:
        with_default_dataset(opened)
    return directory


def _cli(capsys: pytest.CaptureFixture[str], data_dir: Path, *args: str) -> tuple[int, str, str]:
    code = main([*args, "--data-dir", str(data_dir)])
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_actors(capsys: pytest.CaptureFixture[str], data_dir: Path) -> None:
    code, out, _ = _cli(capsys, data_dir, "actors", "--kind", "FederalBody", "--format", "json")
    assert code == 0 and len(json.loads(out)) == 9
    code, out, _ = _cli(capsys, data_dir, "actors", "--search", "defence")
    expected = _matching("defence")
    assert expected >= {"ru-mod", "lk-mod"}  # Sri Lanka's ministry too
    assert code == 0 and f"({len(expected)} rows)" in out
    assert {line.split()[0] for line in out.splitlines()[2:-1]} == expected
    code, out, _ = _cli(capsys, data_dir, "actors", "show", "ru-mod")
    assert code == 0 and "part of: ru-federal-center" in out and "c136" in out
    code, out, _ = _cli(capsys, data_dir, "actors", "show", "ru-mod", "--format", "json")
    assert code == 0 and set(json.loads(out)["claim_ids"]) == _claims_naming("ru-mod")

    merge = ("actors", "merge", "ru-armed-forces", "ru-mod", "--reason", "one", "--by", "ana")
    code, out, _ = _cli(capsys, data_dir, *merge)
    assert code == 0 and "merged ru-armed-forces" in out and "by ana" in out
    code, out, _ = _cli(capsys, data_dir, "actors", "show", "ru-armed-forces", "--format", "json")
    assert json.loads(out)["merged_into"]["by"] == "ana"
    code, out, _ = _cli(
        capsys, data_dir, "metrics", "--top", "1000", "--rounds", "9", "--format", "json"
    )
    kinds = [a["kind"] for a in json.loads(out)["top_actors"]]
    assert kinds.count("FederalBody") == 7  # 8 before the merge
    code, out, _ = _cli(capsys, data_dir, "actors", "unmerge", "ru-armed-forces", "--by", "rev")
    assert code == 0 and "undid the merge" in out and "by rev" in out

    for args, message in (
        (("actors", "show", "nobody"), "unknown actor 'nobody'"),
        (("actors", "merge", "ru-mod", "ru-mod", "--reason", "r"), "into itself"),
        (("actors", "merge", "ru-mod", "ru-mfa"), "--reason"),
        (("actors", "unmerge", "ru-armed-forces"), "no merge in force"),
        (("actors", "--kind", "Bogus"), "unknown kind"),
    ):
        code, _, err = _cli(capsys, data_dir, *args)
        assert code == 1 and message in err and "Traceback" not in err, args


def test_cli_level_and_basis(capsys: pytest.CaptureFixture[str], data_dir: Path) -> None:
    def report(*options: str) -> dict[str, Any]:
        # Few resampling rounds: the figures and tables checked here do not depend on them.
        code, out, _ = _cli(
            capsys, data_dir, "metrics", "--top", "1000", "--rounds", "9", "--format", "json",
            *options,
        )  # fmt: skip
        assert code == 0
        return json.loads(out)

    organization, government = report(), report("--level", "government")
    assert [a["kind"] for a in organization["top_actors"]].count("FederalBody") == 8
    assert [a["kind"] for a in government["top_actors"]].count("FederalBody") == 1
    assert government["filter"]["level"] == "government"
    reports = report("--basis", "report")
    assert organization["figures"]["claims"] - reports["figures"]["claims"] == len(_assessments())
    assert report("--basis", "all")["figures"] == organization["figures"]
    code, _, err = _cli(capsys, data_dir, "metrics", "--level", "province")
    assert code == 1 and "unknown level 'province'" in err
    code, _, err = _cli(capsys, data_dir, "metrics", "--basis", "rumour")
    assert code == 1 and "invalid choice" in err


# -- the HTTP API -----------------------------------------------------------------------------


#: A restricted dataset's federal body, which a public merge record must not name.
SECRET_ROW = {
    **BASE_ROW,
    "claim_id": "s1",
    "relation": "Coordination",
    "subject_kind": "FederalBody",
    "subject": "Zzsecret federal office",
    "subject_code": "",
    "object_kind": "RegionalGovernment",
    "object": "Government of the Republic of Tatarstan",
    "object_code": "RU-TA",
    "amount": "",
    "currency": "",
    "purpose": "",
}


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, dict[str, Any]]]:
    """The application over the default dataset and a restricted one, with a token per role."""
    from fastapi.testclient import TestClient

    from api.app import create_app
    from graph.server.auth import TokenStore

    opened = EmbeddedStore(None)
    with_default_dataset(opened)
    secret = claims_csv(tmp_path_factory.mktemp("secret") / "secret.csv", SECRET_ROW)
    load_files(opened, [secret], "secret", access="restricted")
    app = create_app(opened)
    tokens = TokenStore(app.state.settings.token_dir())
    auth = {
        name: {"Authorization": f"Bearer {tokens.create(role, f'the {name}', grants)}"}
        for name, role, grants in (
            ("reader", "reader", ()),
            ("editor", "editor", ()),
            ("secret editor", "editor", ("secret",)),
        )
    }
    with TestClient(app) as client:
        yield client, auth


def test_api_level_and_basis_on_metrics(api: tuple[Any, dict[str, Any]]) -> None:
    client, _ = api

    def figures(**params: str) -> dict[str, Any]:
        response = client.get("/api/metrics", params={"top": "1000", **params})
        assert response.status_code == 200, response.text
        return response.json()

    every, government = figures(), figures(level="government")
    assert [a["kind"] for a in government["top_actors"]].count("FederalBody") == 1
    assert [a["kind"] for a in every["top_actors"]].count("FederalBody") == 8
    reports = figures(basis="report")
    assert every["figures"]["claims"] - reports["figures"]["claims"] == 8 == len(_assessments())
    assert figures(basis="all")["figures"]["claims"] == every["figures"]["claims"]
    timeline = client.get("/api/metrics/timeline", params={"basis": "report", "window": "P12M"})
    assert timeline.status_code == 200
    for path in ("/api/metrics", "/api/flows", "/api/metrics/nodes"):
        for params, words in (({"level": "province"}, "unknown level"), ({"basis": "x"}, "basis")):
            response = client.get(path, params=params)
            assert response.status_code == 400 and words in response.json()["error"], path
    flows = client.get("/api/flows", params={"level": "government", "basis": "report"})
    assert flows.status_code == 200
    export = client.get("/api/export", params={"format": "csv", "level": "government"})
    assert export.status_code == 200
    paths = client.get("/openapi.json").json()["paths"]
    for route in ("/api/metrics", "/api/metrics/compare", "/api/flows", "/api/export", "/viz"):
        documented = {p["name"]: p for p in paths[route]["get"]["parameters"]}
        for name in ("level", "basis"):
            assert documented[name]["description"] and documented[name]["schema"]["examples"], route
    assert {"/api/actors", "/api/actors/merge", "/api/actors/unmerge"} <= set(paths)


def test_api_actors_and_merges(api: tuple[Any, dict[str, Any]]) -> None:
    client, auth = api
    listed = client.get("/api/actors", params={"kind": "FederalBody"}).json()
    assert len(listed) == 9  # the restricted dataset's office is not among them
    granted = auth["secret editor"]
    seen = client.get("/api/actors", params={"kind": "FederalBody"}, headers=granted).json()
    assert {a["id"] for a in seen} - {a["id"] for a in listed} == {
        "federal-body/zzsecret-federal-office"
    }
    # a merge record is public: it may not name an actor only a restricted dataset holds
    hidden = {"actor": "federal-body/zzsecret-federal-office", "into": "ru-mod", "reason": "r"}
    refused = client.post("/api/actors/merge", json=hidden, headers=granted)
    assert refused.status_code == 400 and "unknown actor" in refused.json()["error"]
    searched = client.get("/api/actors", params={"search": "Defence"}).json()
    assert {a["id"] for a in searched} == _matching("defence")
    assert client.get("/api/actors", params={"kind": "Bogus"}).status_code == 400
    shown = client.get("/api/actors/ru-mod").json()
    assert set(shown["claim_ids"]) == _claims_naming("ru-mod")
    assert client.get("/api/actors/federal-body/ru-mod").json()["id"] == "ru-mod"
    missing = client.get("/api/actors/nobody")
    assert missing.status_code == 404 and "unknown actor" in missing.json()["error"]

    body = {"actor": "ru-armed-forces", "into": "ru-mod", "reason": "one command"}
    assert client.post("/api/actors/merge", json=body).status_code == 401
    assert client.post("/api/actors/merge", json=body, headers=auth["reader"]).status_code == 403
    editor = auth["editor"]
    for bad, status, words in (
        ({"actor": "ru-mod", "into": "ru-mfa"}, 422, "reason"),
        ({**body, "actor": "nobody"}, 400, "unknown actor"),
        ({**body, "reason": " "}, 400, "give a reason"),
        ({**body, "into": "np-government"}, 400, "of one kind"),
        ({**body, "actor": "ru-mod", "into": "ru-armed-forces"}, 400, "roll-up would loop"),
    ):
        response = client.post("/api/actors/merge", json=bad, headers=editor)
        assert response.status_code == status and words in response.json()["error"], bad

    def federal_nodes() -> int:
        report = client.get("/api/metrics", params={"top": "1000"}).json()
        return [a["kind"] for a in report["top_actors"]].count("FederalBody")

    merged = client.post("/api/actors/merge", json=body, headers=editor)
    assert merged.status_code == 201, merged.text
    record = merged.json()
    assert record["by"] == "the editor" and record["reason"] == "one command" and record["at"]
    assert federal_nodes() == 7
    assert (
        client.get("/api/actors/ru-armed-forces").json()["merged_into"]["merge"] == record["merge"]
    )
    again = client.post("/api/actors/merge", json=body, headers=editor)
    assert again.status_code == 400 and "already merged" in again.json()["error"]

    unmerge = {"actor": "ru-armed-forces"}
    assert client.post("/api/actors/unmerge", json=unmerge).status_code == 401
    undone = client.post("/api/actors/unmerge", json=unmerge, headers=editor)
    assert undone.status_code == 200 and undone.json()["undone_by"] == "the editor"
    assert federal_nodes() == 8
    twice = client.post("/api/actors/unmerge", json=unmerge, headers=editor)
    assert twice.status_code == 400 and "no merge in force" in twice.json()["error"]
    history = client.get("/api/actors/ru-mod").json()["merges"]
    assert [(h["merge"], h["in_force"]) for h in history] == [(record["merge"], False)]


@pytest.mark.parametrize(
    "args", [["actors"], ["actors", "show"], ["actors", "merge"], ["actors", "unmerge"]]
)
def test_cli_actors_help(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main([*args, "--help"])
    assert exited.value.code == 0 and "usage: recruitgraph actors" in capsys.readouterr().out
