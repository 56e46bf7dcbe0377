"""The JSON graph API under /api against a live server: entities, neighbourhoods, paths,
flows, datasets (upload with validation, list, delete) and exports, with their errors."""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import networkx as nx
import pyoxigraph as ox
import pytest
from jsonschema import Draft202012Validator

from tests.helpers import BASE_ROW, SECOND_ROW, TATARSTAN, LiveServer, claims_csv, gexf_problems

SCHEME = "scheme/tatarstan-contract-bonus-scheme"
COHORT = "cohort/nepali-recruits"


@pytest.fixture(scope="module")
def client(live: LiveServer) -> Iterator[httpx.Client]:
    with live.client() as c:
        yield c


def test_entities_search_kind_and_pages(client: httpx.Client) -> None:
    found = client.get("/api/entities", params={"q": "TATARSTAN"}).json()
    assert {i["short_id"] for i in found["items"]} >= {"regional-government/ru-ta", SCHEME}
    regional = client.get("/api/entities", params={"kind": "RegionalGovernment"}).json()
    assert regional["items"] and {i["kind"] for i in regional["items"]} == {"RegionalGovernment"}
    assert all(i["tier"] == "regional" for i in regional["items"])
    first = client.get("/api/entities", params={"limit": 5}).json()
    second = client.get("/api/entities", params={"limit": 5, "offset": 5}).json()
    assert first["total"] == second["total"] > 10
    assert len(first["items"]) == len(second["items"]) == 5
    assert not {i["id"] for i in first["items"]} & {i["id"] for i in second["items"]}
    # Past the last page (even past the store's 64-bit OFFSET): an empty page, not a 500.
    for offset in (first["total"], 2**64 + 1):
        beyond = client.get("/api/entities", params={"offset": offset})
        assert beyond.status_code == 200 and beyond.json()["items"] == [], beyond.text
    synthetic = client.get("/api/entities", params={"q": "synthetic"}).json()
    assert synthetic["items"] and all(i["synthetic"] for i in synthetic["items"])


def test_entity_detail_with_relations_periods_amounts_and_sources(client: httpx.Client) -> None:
    detail = client.get("/api/entities/regional-government/ru-ta").json()
    assert detail["id"] == TATARSTAN and detail["kind"] == "RegionalGovernment"
    assert detail["label"] == "Government of Tatarstan"
    assert "rg:province" in detail["attributes"]
    (claim,) = detail["outgoing"]
    assert claim["type"] == "FundingFlow" and claim["amount"] == "400000"
    assert claim["currency"] == "RUB" and claim["purpose"] == "enlistment_bonus"
    assert (claim["start"], claim["end"]) == ("2024-01-01", "2024-12-31")
    assert claim["confidence"] == "high" and claim["dataset"] == "pub"
    assert claim["counterpart"]["id"].endswith(SCHEME)
    assert claim["sources"][0]["url"] == BASE_ROW["source_url"]
    scheme = client.get(f"/api/entities/{SCHEME}").json()
    assert [c["type"] for c in scheme["incoming"]] == ["FundingFlow"]
    assert [c["type"] for c in scheme["outgoing"]] == ["Recruitment"]


@pytest.mark.parametrize(
    ("path", "params", "status"),
    [
        ("/api/entities/recruiter/nobody", {}, 404),
        ("/api/entities/bad iri with spaces", {}, 400),
        ("/api/entities", {"kind": "Wizard"}, 400),
        ("/api/entities", {"limit": 0}, 422),
        ("/api/entities", {"limit": "many"}, 422),
        ("/api/neighborhood", {}, 422),
        ("/api/neighborhood", {"id": "recruiter/nobody"}, 404),
        ("/api/neighborhood", {"id": SCHEME, "depth": 4}, 422),
        ("/api/neighborhood", {"id": SCHEME, "start": "yesterday"}, 400),
        ("/api/neighborhood", {"id": SCHEME, "start": "2025-01-01", "end": "2024-01-01"}, 400),
        ("/api/neighborhood", {"id": SCHEME, "kinds": "Wizard"}, 400),
        ("/api/neighborhood", {"id": SCHEME, "min_confidence": "certain"}, 400),
        ("/api/neighborhood", {"id": SCHEME, "dataset": "nosuch"}, 404),
        ("/api/paths", {"source": SCHEME, "target": COHORT, "mode": "some"}, 400),
        ("/api/paths", {"source": SCHEME, "target": COHORT, "max_length": 9}, 422),
        ("/api/flows", {"group_by": "colour"}, 400),
        ("/api/flows", {"group_by": "payer_tier,colour"}, 400),
        ("/api/flows", {"group_by": "period,period"}, 400),
        ("/api/flows", {"purpose": "bribes"}, 400),
        ("/api/flows", {"group_by": "period", "granularity": "week"}, 400),
        ("/api/export", {"format": "pdf"}, 400),
        ("/api/export", {"dataset": "nosuch"}, 404),
        ("/api/datasets/Not A Name", {}, 400),
    ],
)
def test_bad_parameters_get_clear_errors(
    client: httpx.Client, path: str, params: dict, status: int
) -> None:
    response = client.get(path, params=params)
    assert response.status_code == status, response.text
    assert response.json()["status"] == status and response.json()["error"]


def test_neighborhood_depth_and_filters(client: httpx.Client) -> None:
    one = client.get("/api/neighborhood", params={"id": SCHEME}).json()
    names = {n["short_id"]: n["distance"] for n in one["nodes"]}
    assert names == {SCHEME: 0, "regional-government/ru-ta": 1, COHORT: 1}
    assert {e["type"] for e in one["edges"]} == {"FundingFlow", "Recruitment"}
    only_money = client.get(
        "/api/neighborhood", params={"id": SCHEME, "relations": "FundingFlow"}
    ).json()
    assert {n["short_id"] for n in only_money["nodes"]} == {SCHEME, "regional-government/ru-ta"}
    before = client.get("/api/neighborhood", params={"id": SCHEME, "end": "2023-12-31"}).json()
    assert [n["short_id"] for n in before["nodes"]] == [SCHEME] and before["edges"] == []
    synth = client.get("/api/entities", params={"q": "synthetic federal body 1"}).json()
    center = synth["items"][0]["short_id"]
    near = client.get("/api/neighborhood", params={"id": center}).json()
    far = client.get("/api/neighborhood", params={"id": center, "depth": 2}).json()
    assert len(far["nodes"]) > len(near["nodes"]) > 1
    assert max(n["distance"] for n in far["nodes"]) == 2
    high = client.get(
        "/api/neighborhood", params={"id": center, "depth": 2, "min_confidence": "high"}
    ).json()
    assert all(e["confidence"] == "high" for e in high["edges"])
    in_synth = client.get("/api/neighborhood", params={"id": center, "dataset": "pub"}).json()
    assert in_synth["edges"] == []


def test_paths_shortest_all_and_directed(client: httpx.Client) -> None:
    params = {"source": "regional-government/ru-ta", "target": COHORT}
    shortest = client.get("/api/paths", params=params).json()
    (path,) = shortest["paths"]
    assert path["length"] == 2
    assert [n["short_id"] for n in path["nodes"]] == ["regional-government/ru-ta", SCHEME, COHORT]
    assert [[c["type"] for c in step] for step in path["claims"]] == [
        ["FundingFlow"],
        ["Recruitment"],
    ]
    directed = client.get("/api/paths", params={**params, "directed": "true"}).json()
    assert len(directed["paths"]) == 1
    backwards = client.get(
        "/api/paths",
        params={"source": COHORT, "target": "regional-government/ru-ta", "directed": "true"},
    ).json()
    assert backwards["paths"] == []
    synth = client.get("/api/entities", params={"q": "synthetic", "limit": 200}).json()["items"]
    a, b = synth[0]["short_id"], synth[-1]["short_id"]
    every = client.get(
        "/api/paths", params={"source": a, "target": b, "mode": "all", "max_length": 3, "limit": 7}
    ).json()
    assert len(every["paths"]) <= 7 and all(p["length"] <= 3 for p in every["paths"])
    lengths = [p["length"] for p in every["paths"]]
    assert lengths == sorted(lengths)


def test_flows_grouped_and_per_currency(client: httpx.Client) -> None:
    pub = client.get("/api/flows", params={"dataset": "pub"}).json()
    # A version-1 file: the amount's basis is unknown, so it is a level, never summed.
    assert pub["rows"] == [
        {
            "group": "regional",
            "payer_tier": "regional",
            "currency": "RUB",
            "amount_basis": "unknown",
            "total": None,
            "flows": 1,
            "median": "400000",
            # one claim: its median's interval is the claim itself, and covers nothing
            "median_low": "400000",
            "median_high": "400000",
            "median_coverage": 0.0,
            "min": "400000",
            "max": "400000",
        }
    ]
    by_payer = client.get("/api/flows", params={"group_by": "payer", "dataset": "pub"}).json()
    assert by_payer["rows"][0]["group"] == TATARSTAN
    assert by_payer["rows"][0]["label"] == "Government of Tatarstan"
    by_purpose = client.get("/api/flows", params={"group_by": "purpose"}).json()
    assert {r["group"] for r in by_purpose["rows"]} >= {"enlistment_bonus"}
    by_year = client.get("/api/flows", params={"group_by": "period"}).json()
    groups = [r["group"] for r in by_year["rows"]]
    assert groups == sorted(groups) and all(len(g) == 4 for g in groups)
    by_quarter = client.get(
        "/api/flows", params={"group_by": "period", "granularity": "quarter"}
    ).json()
    assert all("-Q" in r["group"] for r in by_quarter["rows"])
    tiers = client.get("/api/flows", params={"group_by": "payer_tier"}).json()
    money = {(r["group"], r["currency"], r["amount_basis"]) for r in tiers["rows"]}
    assert len(money) == len(tiers["rows"])  # one row per group, currency and amount basis
    # Sums only of money paid out; a per-recruit level (or one of unknown basis) is not added.
    assert all((r["total"] is None) == (r["amount_basis"] != "total") for r in tiers["rows"])
    bonus = client.get("/api/flows", params={"purpose": "enlistment_bonus"}).json()
    flows = sum(r["flows"] for r in bonus["rows"])
    assert 0 < flows <= sum(r["flows"] for r in tiers["rows"])
    # Two groupings at once: by tier and by year, each row carrying both.
    both = client.get("/api/flows", params={"group_by": "payer_tier,period"}).json()
    assert both["group_by"] == ["payer_tier", "period"]
    assert all(r["group"] == f"{r['payer_tier']} / {r['period']}" for r in both["rows"])
    assert {r["period"] for r in both["rows"]} == set(groups)
    assert sum(r["flows"] for r in both["rows"]) == sum(r["flows"] for r in tiers["rows"])


@pytest.mark.parametrize(
    ("fmt", "check"),
    [
        ("nquads", "quads"),
        ("trig", "quads"),
        ("jsonld", "quads"),
        ("turtle", "triples"),
        ("ntriples", "triples"),
        ("graphml", "graphml"),
        ("gexf", "gexf"),
        ("csv", "csv"),
    ],
)
def test_export_formats(client: httpx.Client, tmp_path: Path, fmt: str, check: str) -> None:
    response = client.get("/api/export", params={"format": fmt})
    assert response.status_code == 200, response.text
    assert "attachment" in response.headers["content-disposition"]
    path = tmp_path / f"export.{fmt}"
    path.write_bytes(response.content)
    if check == "quads":
        rdf = {
            "nquads": ox.RdfFormat.N_QUADS,
            "trig": ox.RdfFormat.TRIG,
            "jsonld": ox.RdfFormat.JSON_LD,
        }
        quads = list(ox.parse(response.content, format=rdf[fmt]))
        graphs = {q.graph_name.value for q in quads}
        assert graphs == {
            f"https://w3id.org/recruitgraph/dataset/{n}" for n in ("pub", "reference", "synth")
        }
    elif check == "triples":
        rdf = ox.RdfFormat.TURTLE if fmt == "turtle" else ox.RdfFormat.N_TRIPLES
        assert len(list(ox.parse(response.content, format=rdf))) > 1000
    elif check in ("graphml", "gexf"):
        graph = nx.read_graphml(path) if check == "graphml" else nx.read_gexf(path)
        assert check == "graphml" or gexf_problems(path) == []
        assert graph.number_of_edges() > 10
        assert TATARSTAN in graph
    else:
        table = list(csv.DictReader(io.StringIO(response.text)))
        assert len(table) > 10 and {"source", "target", "type", "amount"} <= set(table[0])
    one = client.get("/api/export", params={"format": fmt, "dataset": "pub"})
    assert one.status_code == 200 and len(one.content) < len(response.content)


def test_export_network_with_filters(client: httpx.Client) -> None:
    everything = client.get("/api/export", params={"format": "csv"}).text
    money = client.get("/api/export", params={"format": "csv", "relations": "FundingFlow"}).text
    rows = list(csv.DictReader(io.StringIO(money)))
    assert rows and {r["type"] for r in rows} == {"FundingFlow"}
    assert len(money) < len(everything)


# -- datasets --------------------------------------------------------------------------------


def test_datasets_listed_with_metadata(client: httpx.Client) -> None:
    listed = {d["name"]: d for d in client.get("/api/datasets").json()}
    assert set(listed) >= {"pub", "reference", "synth"} and "secret" not in listed
    assert listed["synth"]["synthetic"] is True and listed["pub"]["synthetic"] is False
    assert listed["pub"]["access"] == "public" and listed["pub"]["checksum"].startswith("sha256:")
    one = client.get("/api/datasets/pub").json()
    # One dataset's answer also says the version of the caller's view it was read at.
    assert one.pop("version") and one == listed["pub"]


def test_upload_validates_and_writes_atomically(live: LiveServer, tmp_path: Path) -> None:
    good = claims_csv(tmp_path / "claims.csv", BASE_ROW, SECOND_ROW).read_bytes()
    bad_row = {**BASE_ROW, "source_url": "", "claim_id": "t9"}
    bad = claims_csv(tmp_path / "bad.csv", BASE_ROW, bad_row).read_bytes()
    with live.client("editor") as editor:
        created = editor.post(
            "/api/datasets",
            data={"name": "uploaded", "licence": "CC-BY-4.0"},
            files=[("file", ("claims.csv", good, "text/csv"))],
        )
        assert created.status_code == 201, created.text
        report = created.json()
        assert report["dataset"] == "uploaded" and report["triples"] > 20
        assert editor.get("/api/datasets/uploaded").json()["licence"] == "CC-BY-4.0"
        invalid = editor.post(
            "/api/datasets",
            data={"name": "uploaded"},
            files=[("file", ("bad.csv", bad, "text/csv"))],
        )
        assert invalid.status_code == 422
        problems = invalid.json()["problems"]
        assert problems and problems[0]["line"] == 3 and problems[0]["column"] == "source_url"
        # nothing was written: the dataset is the good upload still
        assert editor.get("/api/datasets/uploaded").json()["checksum"] == report["checksum"]
        turtle = editor.put(
            "/api/datasets/uploaded-ttl",
            content=(
                "<https://w3id.org/recruitgraph/id/recruiter/put-agency> a "
                "<https://w3id.org/recruitgraph/ontology#Recruiter> ; "
                "<http://www.w3.org/2000/01/rdf-schema#label> 'PUT agency' ."
            ),
            headers={"Content-Type": "text/turtle"},
        )
        assert turtle.status_code == 201, turtle.text
        for name in ("uploaded", "uploaded-ttl"):
            assert editor.delete(f"/api/datasets/{name}").status_code == 204


def _ended(client: httpx.Client, accepted: httpx.Response) -> dict:
    """The job that ``accepted`` (a 202) started, once it has ended."""
    assert accepted.status_code == 202, accepted.text
    assert accepted.headers["Preference-Applied"] == "respond-async"
    location = accepted.headers["Location"]
    assert location == f"/api/jobs/{accepted.json()['id']}"
    deadline = time.monotonic() + 30
    while (job := client.get(location).json())["state"] == "running":
        assert time.monotonic() < deadline, job
        time.sleep(0.02)
    return job


#: Run as a job (RFC 7240: among other preferences).
LATER = {"Prefer": "wait=5, respond-async"}


def test_upload_as_a_job_ends_with_the_answer_of_the_call(live: LiveServer, tmp_path: Path) -> None:
    good = claims_csv(tmp_path / "claims.csv", BASE_ROW, SECOND_ROW).read_bytes()
    with live.client("editor") as editor:
        form = {"data": {"name": "by-job"}, "files": [("file", ("claims.csv", good, "text/csv"))]}
        at_once = editor.post("/api/datasets", **form)
        assert at_once.status_code == 201 and "Location" not in at_once.headers  # as before
        assert editor.delete("/api/datasets/by-job").status_code == 204
        job = _ended(editor, editor.post("/api/datasets", headers=LATER, **form))
        assert job["state"] == "done" and job["status"] == 201, job
        # the same body as the call without the header (the view version aside)
        assert {**job["result"], "version": None} == {**at_once.json(), "version": None}
        assert job["phase"] == "commit" and job["eta"] == 0 and job["elapsed"] > 0
        document = editor.get("/openapi.json").json()
        schema = {
            **document["components"]["schemas"]["JobState"],
            "components": document["components"],
        }
        assert list(Draft202012Validator(schema).iter_errors(job)) == []
        assert editor.delete("/api/datasets/by-job").status_code == 204


def test_a_failed_job_has_the_problems_and_is_its_callers_only(
    live: LiveServer, tmp_path: Path
) -> None:
    bad = claims_csv(tmp_path / "bad.csv", {**BASE_ROW, "source_url": ""}).read_bytes()
    with live.client("editor") as editor:
        failed = _ended(
            editor,
            editor.post(
                "/api/datasets",
                headers=LATER,
                data={"name": "by-job"},
                files=[("file", ("bad.csv", bad, "text/csv"))],
            ),
        )
        assert failed["state"] == "failed" and failed["status"] == 422, failed
        problem = failed["result"]["problems"][0]
        assert (problem["file"], problem["line"], problem["column"]) == ("bad.csv", 2, "source_url")
        broken = _ended(
            editor,
            editor.put(
                "/api/datasets/by-job",
                content=b"<a> <b> .",
                headers={"Content-Type": "text/turtle", **LATER},
            ),
        )
        assert broken["status"] == 422 and "malformed" in broken["result"]["problems"][0]["message"]
        location = f"/api/jobs/{failed['id']}"
    with live.client("admin") as admin:  # a restore's conflict: its 409, as a job
        export = admin.get("/api/export", params={"format": "nquads"})
        nquads = {"Content-Type": "application/n-quads", **LATER}
        clash = _ended(admin, admin.post("/api/restore", content=export.content, headers=nquads))
        assert (clash["operation"], clash["state"], clash["status"]) == ("restore", "failed", 409)
        assert "the store already has" in clash["result"]["error"]
    # a job is its caller's: to anyone else, and for an id never given, there is none
    for role in ("editor_secret", "admin", None):
        with live.client(role) as other:
            assert other.get(location).status_code == 404
    with live.client("editor") as editor:
        for unknown in ("nope", failed["id"][:-1], "x" * 300):
            missing = editor.get(f"/api/jobs/{unknown}")
            assert missing.status_code == 404 and "no job" in missing.json()["error"]


@pytest.mark.parametrize(
    ("kwargs", "status", "words"),
    [
        (
            {"data": {"name": "x"}, "files": [("file", ("a.pdf", b"%PDF", "application/pdf"))]},
            415,
            "file type",
        ),
        ({"data": {"name": "x"}}, 415, "multipart"),
        ({"data": {"name": "x"}, "files": [("other", ("a.csv", b"a", "text/csv"))]}, 400, "file"),
        ({"data": {}, "files": [("file", ("a.csv", b"a", "text/csv"))]}, 400, "name"),
        (
            {"data": {"name": "Bad Name!"}, "files": [("file", ("a.csv", b"a", "text/csv"))]},
            400,
            "invalid dataset name",
        ),
        (
            {"data": {"name": "x"}, "files": [("file", ("a.ttl", b"<a> <b>", "text/turtle"))]},
            422,
            "invalid",
        ),
        (
            {
                "data": {"name": "x"},
                "files": [("file", ("big.nt", b"#" * (1024**2 + 10), "application/n-triples"))],
            },
            413,
            "limit",
        ),
    ],
)
def test_upload_errors(live: LiveServer, kwargs: dict, status: int, words: str) -> None:
    with live.client("editor") as editor:
        response = editor.post("/api/datasets", **kwargs)
    assert response.status_code == status, response.text
    assert words.lower() in response.json()["error"].lower()


def test_streamed_body_over_the_limit_is_413(live: LiveServer) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(40):
            yield b"#" * 65536

    with live.client("editor") as editor:
        response = editor.put(
            "/api/datasets/streamed",
            content=chunks(),
            headers={"Content-Type": "application/n-triples"},
        )
    assert response.status_code == 413


def test_openapi_documents_every_route_with_examples(client: httpx.Client) -> None:
    spec = client.get("/openapi.json").json()
    paths = spec["paths"]
    for route in (
        "/sparql",
        "/rdf-graphs",
        "/healthz",
        "/api/datasets",
        "/api/datasets/{name}",
        "/api/entities",
        "/api/entities/{id}",
        "/api/neighborhood",
        "/api/paths",
        "/api/flows",
        "/api/export",
    ):
        assert route in paths, route
    text = str(paths)
    for route in ("/api/entities", "/api/neighborhood", "/api/paths", "/api/flows"):
        assert "example" in str(paths[route]["get"]), route
    assert "example" in str(paths["/api/datasets"]["post"]) and "422" in text
    docs = client.get("/docs")
    assert docs.status_code == 200 and "openapi.json" in docs.text
    assert "cdn" not in docs.text.lower() and "https://" not in docs.text.replace(
        "https://fastapi.tiangolo.com", ""
    )  # the assets come from the app itself
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css"):
        assert client.get(f"/static-offline-docs/{asset}").status_code == 200
