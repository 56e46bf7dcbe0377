"""The OpenAPI document agrees with the server: a real server over the default dataset, its
/openapi.json, and real responses of every JSON GET route (and errors) validated against the
schemas the document gives them. Every parameter and request body has an example where
Swagger UI reads it (tests/test_docs_browser.py runs them in /docs), and the example bodies
load."""

from __future__ import annotations

import re
import subprocess
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pyoxigraph as ox
import pytest
from jsonschema import Draft202012Validator

from api.app import create_app
from api.deps import Settings
from api.examples import example_body, example_export
from api.routes.sparql import RDF_BODY_SUFFIX
from graph.ingest import load_files, restore
from graph.store import EmbeddedStore
from graph.store.formats import Format, Kind, formats
from tests.helpers import BIN, free_port, stop, wait_for_http, with_default_dataset

ENTITY = "regional-government/ru-ta-government"
FEDERAL = "federal-body/ru-federal-center"

#: A real request for every JSON GET route of the document (path parameters filled in).
REQUESTS: dict[str, tuple[str, dict[str, Any]]] = {
    "/healthz": ("/healthz", {}),
    "/api/datasets": ("/api/datasets", {}),
    "/api/datasets/{name}": ("/api/datasets/claims", {}),
    "/api/entities": ("/api/entities", {"q": "tatarstan"}),
    "/api/entities/{id}": (f"/api/entities/{ENTITY}", {}),
    "/api/actors": ("/api/actors", {}),
    "/api/actors/{actor_id}": ("/api/actors/ru-mod", {}),
    "/api/neighborhood": ("/api/neighborhood", {"id": ENTITY, "depth": 2}),
    "/api/paths": ("/api/paths", {"source": ENTITY, "target": FEDERAL, "max_length": 6}),
    "/api/flows": ("/api/flows", {"group_by": "payer_tier,period"}),
    "/api/metrics": ("/api/metrics", {"top": 3}),
    "/api/metrics/timeline": ("/api/metrics/timeline", {"window": "P12M", "step": "P6M"}),
    "/api/metrics/compare": (
        "/api/metrics/compare",
        {"first": "2024", "second": "2025", "rounds": 19, "leave_out": "false"},
    ),
    "/api/metrics/nodes": ("/api/metrics/nodes", {"top": 5}),
    "/api/viz": ("/api/viz", {"window": "P12M"}),
    "/api/viz/groups": ("/api/viz/groups", {}),
    "/api/viz/groups/links": ("/api/viz/groups/links", {}),
    "/api/viz/groups/members": ("/api/viz/groups/members", {"cell": "FederalBody|"}),
    "/api/viz/groups/claims": (
        "/api/viz/groups/claims",
        {
            "source": "FederalBody|",
            "target": "RegionalGovernment|RU-TA",
            "relation": "Coordination",
        },
    ),
    "/api/question": ("/api/question", {}),
    "/api/question/{chart}": ("/api/question/burden", {}),
}

#: Errors, each with its status: the body must match the documented error schema.
ERRORS: list[tuple[str, dict[str, Any], dict[str, str], int]] = [
    ("/api/entities/nobody/none", {}, {}, 404),
    ("/api/datasets/nosuch", {}, {}, 404),
    ("/api/jobs/nosuch", {}, {}, 404),
    ("/api/question/nosuch", {}, {}, 404),
    ("/api/neighborhood", {"id": ENTITY, "min_confidence": "certain"}, {}, 400),
    ("/api/neighborhood", {"id": ENTITY, "depth": 9}, {}, 422),
    ("/api/metrics/compare", {"first": "2024"}, {}, 422),
    ("/api/actors", {}, {"Authorization": "Bearer not-a-token"}, 401),
    ("/sparql", {"query": "SELECT nonsense"}, {}, 400),
]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``recruitgraph serve`` over the default dataset, on a free loopback port."""
    work = tmp_path_factory.mktemp("openapi")
    data = work / "data"
    with EmbeddedStore(data) as store:
        with_default_dataset(store)
    port = free_port()
    log = work / "server.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [str(BIN / "recruitgraph"), "serve", "--data-dir", str(data), "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(f"{base}/healthz", process, seconds=120)
        yield base
    finally:
        stop(process)


@pytest.fixture(scope="module")
def document(server: str) -> dict[str, Any]:
    response = httpx.get(f"{server}/openapi.json", timeout=30)
    assert response.status_code == 200
    return response.json()  # type: ignore[no-any-return]


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def validator(document: dict[str, Any], schema: dict[str, Any]) -> Draft202012Validator:
    """A validator of ``schema`` whose ``#/components/...`` references resolve in the
    document."""
    return Draft202012Validator({**schema, "components": document["components"]})


def test_operation_ids_are_unique_and_readable(document: dict[str, Any]) -> None:
    ids = [operation["operationId"] for _, _, operation in operations(document)]
    assert [i for i, n in Counter(ids).items() if n > 1] == []
    assert all(re.fullmatch(r"[a-z][a-z_]*", i) for i in ids), ids
    assert {"gsp_get", "gsp_head", "gsp_put", "gsp_post", "gsp_delete"} <= set(ids)


def test_every_json_response_has_a_schema_and_errors_have_the_real_body(
    document: dict[str, Any],
) -> None:
    assert "HTTPValidationError" not in document["components"]["schemas"]
    error_ref = {"$ref": "#/components/schemas/ErrorBody"}
    without_schema = []
    wrong_errors = []
    for path, method, operation in operations(document):
        responses = operation["responses"]
        assert any(s.startswith("4") for s in responses), f"{method} {path}: no error documented"
        for status, response in responses.items():
            json_body = response.get("content", {}).get("application/json")
            if status[0] in "45":
                if json_body is None or json_body.get("schema") != error_ref:
                    wrong_errors.append(f"{method} {path} {status}")
            elif json_body is not None and not json_body.get("schema"):
                without_schema.append(f"{method} {path} {status}")
    assert without_schema == []
    assert wrong_errors == []


def test_real_responses_match_their_schemas(server: str, document: dict[str, Any]) -> None:
    json_gets = {
        path
        for path, method, operation in operations(document)
        if method == "get"
        and "application/json" in operation["responses"].get("200", {}).get("content", {})
    }
    # (a job is an editor's upload: its schema is checked in tests/test_api_graph.py)
    json_gets.discard("/api/jobs/{job_id}")
    assert json_gets == set(REQUESTS), "every JSON GET route has a request in REQUESTS"
    with httpx.Client(base_url=server, timeout=300) as client:
        for path, (url, params) in REQUESTS.items():
            response = client.get(url, params=params)
            assert response.status_code == 200, (url, response.text)
            schema = document["paths"][path]["get"]["responses"]["200"]["content"][
                "application/json"
            ]["schema"]
            errors = [
                f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
                for e in validator(document, schema).iter_errors(response.json())
            ]
            assert errors == [], (url, errors[:5])


def test_error_responses_match_the_error_schema(server: str, document: dict[str, Any]) -> None:
    error_schema = document["components"]["schemas"]["ErrorBody"]
    with httpx.Client(base_url=server, timeout=60) as client:
        for url, params, headers, status in ERRORS:
            response = client.get(url, params=params, headers=headers)
            assert response.status_code == status, (url, response.text)
            body = response.json()
            assert body["status"] == status
            assert list(validator(document, error_schema).iter_errors(body)) == [], body
    # The validator sees a wrong body (the test can fail).
    assert list(validator(document, error_schema).iter_errors({"detail": "x"}))


def test_the_docs_render_offline(server: str) -> None:
    page = httpx.get(f"{server}/docs", timeout=30)
    assert page.status_code == 200
    sources = re.findall(r"""(?:src|href)=["']([^"']+)["']""", page.text)
    assert sources and all(s.startswith("/") for s in sources), sources
    for source in sources:
        assert httpx.get(f"{server}{source}", timeout=30).status_code == 200, source


def test_every_parameter_and_body_has_an_example_swagger_ui_reads(tmp_path: Path) -> None:
    """Swagger UI 5 pre-fills a parameter from its own ``example``/``examples`` (not from the
    JSON Schema ``examples`` of its schema) and a body from its media type's."""
    document = create_app(settings=Settings(data_dir=tmp_path)).openapi()
    without = []
    for path, method, operation in operations(document):
        for parameter in operation.get("parameters", ()):
            if "example" not in parameter and "examples" not in parameter:
                without.append(f"{method} {path} {parameter['in']} {parameter['name']}")
        for media_type, media in operation.get("requestBody", {}).get("content", {}).items():
            if "example" not in media and "examples" not in media:
                without.append(f"{method} {path} body {media_type}")
    assert without == []
    # A token can be given ("Authorize"), and none is needed to read.
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    assert {} in document["security"]
    # The lifted examples are the declared ones: the first of the schema's.
    compare = {p["name"]: p for p in document["paths"]["/api/metrics/compare"]["get"]["parameters"]}
    assert compare["first"]["example"] == compare["first"]["schema"]["examples"][0] == "2024"


@pytest.mark.parametrize("media_type", sorted(RDF_BODY_SUFFIX))
def test_example_bodies_load(media_type: str, tmp_path: Path) -> None:
    """The body Swagger UI pre-fills for each media type is data the server accepts."""
    body = tmp_path / f"example{RDF_BODY_SUFFIX[media_type]}"
    body.write_text(example_body(media_type), encoding="utf-8")
    with EmbeddedStore(None) as store:
        report = load_files(store, [body], "mine")
    assert report.triples > 0


@pytest.mark.parametrize(
    "fmt", [f for f in formats(Kind.GRAPH) if f.keeps_graphs], ids=lambda f: f.name
)
def test_example_exports_restore(fmt: Format, tmp_path: Path) -> None:
    """The body Swagger UI pre-fills for a restore is an export the server restores."""
    assert isinstance(fmt.rdf, ox.RdfFormat)
    body = tmp_path / f"export{fmt.suffix}"
    body.write_text(example_export(fmt.rdf), encoding="utf-8")
    with EmbeddedStore(None) as store:
        report = restore(store, body)
    assert [d["name"] for d in report.as_dict()["datasets"]] == ["mine"]
