"""Who may do what, against a live server with a restricted dataset loaded: no route shows a
reader one restricted triple; updates and Graph Store writes touch only what the token may
write; a token's grant opens exactly its datasets."""

from __future__ import annotations

import json
from collections.abc import Iterator
from urllib.parse import quote

import httpx
import pyoxigraph as ox
import pytest

from graph.model.namespaces import RG, dataset_iri, description_iri
from tests.helpers import (
    BASE_ROW,
    PUBLIC_GRAPH,
    SECRET_GRAPH,
    SECRET_MARKS,
    TATARSTAN,
    LiveServer,
    assert_no_secret,
    claims_csv,
)

SECRET_RECRUITER = "recruiter/zzsecret-recruiting-bureau"
SECRET_FEDERAL = "federal-body/zzsecret-federal-office"

# Every way to ask a question: (method, path, params or form data).
READS = [
    ("GET", "/healthz", {}),
    ("GET", "/sparql", {"query": "SELECT * WHERE { ?s ?p ?o }"}),
    ("GET", "/sparql", {"query": "SELECT * WHERE { GRAPH ?g { ?s ?p ?o } }"}),
    ("GET", "/sparql", {"query": f"SELECT * WHERE {{ GRAPH <{SECRET_GRAPH}> {{ ?s ?p ?o }} }}"}),
    ("GET", "/sparql", {"query": f"SELECT * FROM <{SECRET_GRAPH}> WHERE {{ ?s ?p ?o }}"}),
    (
        "GET",
        "/sparql",
        {"query": f"SELECT * FROM NAMED <{SECRET_GRAPH}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}"},
    ),
    ("GET", "/sparql", {"query": "SELECT * WHERE { ?s ?p ?o }", "default-graph-uri": SECRET_GRAPH}),
    (
        "GET",
        "/sparql",
        {"query": "SELECT * WHERE { GRAPH ?g { ?s ?p ?o } }", "named-graph-uri": SECRET_GRAPH},
    ),
    ("POST", "/sparql", {"query": "CONSTRUCT WHERE { ?s ?p ?o }", "format": "ntriples"}),
    ("POST", "/sparql", {"query": f"DESCRIBE <{TATARSTAN}>", "format": "ntriples"}),
    (
        "POST",
        "/sparql",
        {
            "query": "DESCRIBE <https://w3id.org/recruitgraph/id/claim/secret/s1>",
            "format": "ntriples",
        },
    ),
    (
        "POST",
        "/sparql",
        {"query": "SELECT (SUM(?a) AS ?t) WHERE { ?f <https://schema.org/amount> ?a }"},
    ),
    ("GET", "/sparql", {"format": "turtle"}),  # the service description
    ("GET", "/rdf-graphs", {"default": ""}),
    ("GET", "/rdf-graphs", {"graph": SECRET_GRAPH}),
    ("GET", "/api/datasets", {}),
    ("GET", "/api/datasets/secret", {}),
    ("GET", "/api/entities", {"q": "zzsecret"}),
    ("GET", "/api/entities", {"limit": 1000}),
    ("GET", "/api/entities/" + SECRET_RECRUITER, {}),
    ("GET", "/api/entities/regional-government/ru-ta", {}),
    ("GET", "/api/neighborhood", {"id": "regional-government/ru-ta", "depth": 3}),
    ("GET", "/api/neighborhood", {"id": SECRET_FEDERAL}),
    ("GET", "/api/paths", {"source": "regional-government/ru-ta", "target": SECRET_RECRUITER}),
    (
        "GET",
        "/api/paths",
        {
            "source": "regional-government/ru-ta",
            "target": "scheme/tatarstan-contract-bonus-scheme",
            "mode": "all",
        },
    ),
    ("GET", "/api/flows", {"group_by": "payee"}),
    ("GET", "/api/flows", {"group_by": "purpose", "dataset": "secret"}),
    *[
        ("GET", "/api/export", {"format": f})
        for f in ("nquads", "trig", "turtle", "ntriples", "jsonld", "graphml", "gexf", "csv")
    ],
    ("GET", "/api/export", {"format": "nquads", "dataset": "secret"}),
]


def ask(client: httpx.Client, method: str, path: str, params: dict) -> httpx.Response:
    if method == "POST":
        return client.post(path, data=params)
    return client.get(path, params=params)


@pytest.mark.parametrize("role", [None, "reader", "editor"])
def test_no_route_shows_restricted_data_to_a_caller_without_the_right(
    live: LiveServer, role: str | None
) -> None:
    with live.client(role) as client:
        for method, path, params in READS:
            response = ask(client, method, path, params)
            where = f"{method} {path} {params} as {role or 'anonymous'}"
            assert response.status_code in (200, 400, 404), f"{where}: {response.text}"
            text = response.text
            if response.status_code != 200:  # an error may name what the caller asked for
                for value in [*params.values(), path.removeprefix("/api/entities/")]:
                    text = text.replace(str(value), "")
            assert_no_secret(text, where)
            for name, value in response.headers.items():
                assert_no_secret(f"{name}: {value}", where)


def test_the_same_routes_show_it_to_a_granted_token(live: LiveServer) -> None:
    """The marks of the test above are really there for a caller with the right: every
    route shows one, except those that ask about public things only or cut the result."""
    without_marks = []
    with live.client("reader_secret") as client:
        for method, path, params in READS:
            response = ask(client, method, path, params)
            assert response.status_code == 200, f"{path} {params}: {response.text}"
            if not any(mark.lower() in response.text.lower() for mark in SECRET_MARKS):
                without_marks.append((path, params.get("query", params.get("target"))))
    assert without_marks == [
        ("/healthz", None),
        # The scans of every triple are cut at the row cap before they reach the restricted
        # dataset: the engine scans the caller's graphs one by one (its graphs are never all
        # the store's, which hold the datasets' description graphs too; and the secret dataset
        # restates triples of the public ones, so the default graph is their RDF merge: the
        # largest dataset, then what the others add, graph.store.merge).
        ("/sparql", "SELECT * WHERE { ?s ?p ?o }"),
        ("/sparql", "SELECT * WHERE { GRAPH ?g { ?s ?p ?o } }"),
        ("/sparql", "CONSTRUCT WHERE { ?s ?p ?o }"),
        ("/sparql", f"DESCRIBE <{TATARSTAN}>"),  # the secret claims are about it, not of it
        ("/sparql", "SELECT (SUM(?a) AS ?t) WHERE { ?f <https://schema.org/amount> ?a }"),
        ("/api/paths", "scheme/tatarstan-contract-bonus-scheme"),
    ]


def _number(client: httpx.Client, query: str, **parameters: object) -> float:
    response = client.post("/sparql", data={"query": query, **parameters})
    assert response.status_code == 200, response.text
    return float(response.json()["results"]["bindings"][0]["n"]["value"])


def test_counts_and_sums_leave_restricted_data_out(live: LiveServer) -> None:
    queries = [
        "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
        "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }",
        "SELECT (COUNT(DISTINCT ?g) AS ?n) WHERE { GRAPH ?g { } }",
        "SELECT (SUM(?a) AS ?n) WHERE { ?f <https://schema.org/amount> ?a }",
    ]
    with live.client("admin") as admin:
        secret_triples = _number(
            admin, f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{SECRET_GRAPH}> {{ ?s ?p ?o }} }}"
        )
        # the default graph is the RDF merge: a triple the secret dataset shares with another
        # stays in it for those who cannot read the secret one
        secret_only = _number(
            admin,
            f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{SECRET_GRAPH}> {{ ?s ?p ?o }} "
            f"FILTER NOT EXISTS {{ GRAPH ?g {{ ?s ?p ?o }} FILTER(?g != <{SECRET_GRAPH}>) }} }}",
        )
        everything = [_number(admin, q) for q in queries]
        graphs = admin.post(
            "/sparql", data={"query": "SELECT DISTINCT ?g WHERE { GRAPH ?g { } }"}
        ).json()["results"]["bindings"]
        others = [g["g"]["value"] for g in graphs if g["g"]["value"] != SECRET_GRAPH]
        merged_others = _number(admin, queries[0], **{"default-graph-uri": others})
    assert merged_others == everything[0] - secret_only > everything[0] - secret_triples
    expected = [
        merged_others,
        everything[1] - secret_triples,
        everything[2] - 1,
        everything[3] - 987654321,
    ]
    for role in (None, "reader", "editor"):
        with live.client(role) as client:
            assert [_number(client, q) for q in queries] == expected, role


def test_a_shared_entity_shows_only_visible_claims(live: LiveServer) -> None:
    with live.client() as anonymous, live.client("reader_secret") as granted:
        public = anonymous.get("/api/entities/regional-government/ru-ta").json()
        full = granted.get("/api/entities/regional-government/ru-ta").json()
    assert {c["id"].rsplit("/", 1)[1] for c in public["outgoing"]} == {"t1"}
    assert {c["id"].rsplit("/", 1)[1] for c in full["outgoing"]} == {"t1", "s1"}
    assert public["datasets"] == ["pub"] and full["datasets"] == ["pub", "secret"]
    assert any(c["id"].endswith("/s2") for c in full["incoming"])
    assert not public["incoming"]


def test_restricted_looks_exactly_like_missing(live: LiveServer) -> None:
    with live.client("reader") as reader:
        secret = reader.get("/api/datasets/secret")
        missing = reader.get("/api/datasets/nosuch")
        assert secret.status_code == missing.status_code == 404
        assert secret.json()["error"].replace("secret", "X") == missing.json()["error"].replace(
            "nosuch", "X"
        )
        graph = reader.get("/rdf-graphs", params={"graph": SECRET_GRAPH})
        nograph = reader.get("/rdf-graphs", params={"graph": dataset_iri("nosuch")})
        assert graph.status_code == nograph.status_code == 404
        entity = reader.get("/api/entities/" + SECRET_RECRUITER)
        assert entity.status_code == 404


# -- tokens ----------------------------------------------------------------------------------


def test_bad_tokens_are_refused_with_401(live: LiveServer) -> None:
    for header in ("Bearer nonsense", "Basic dXNlcjpwYXNz", "Bearer", "rgt_without_scheme"):
        response = httpx.get(
            f"{live.base}/api/datasets", headers={"Authorization": header}, timeout=30
        )
        assert response.status_code == 401, header
        assert response.headers["www-authenticate"] == "Bearer"
        assert "error" in response.json()


# -- SPARQL Update ---------------------------------------------------------------------------


def _insert(graph: str, value: str) -> str:
    return (
        f"INSERT DATA {{ GRAPH <{graph}> {{ <https://w3id.org/recruitgraph/id/claim/pub/t1> "
        f"<http://www.w3.org/2000/01/rdf-schema#comment> {json.dumps(value)} }} }}"
    )


def _has_comment(live: LiveServer, value: str, role: str = "admin") -> bool:
    with live.client(role) as client:
        response = client.get(
            "/sparql", params={"query": f"ASK {{ ?s rdfs:comment {json.dumps(value)} }}"}
        )
    return response.json()["boolean"]


@pytest.mark.parametrize(
    ("role", "graph", "status"),
    [
        (None, PUBLIC_GRAPH, 401),
        ("reader", PUBLIC_GRAPH, 403),
        ("reader_secret", SECRET_GRAPH, 403),
        ("editor", SECRET_GRAPH, 403),
        ("editor", dataset_iri("reference"), 403),
        ("editor", dataset_iri("brand-new"), 200),  # created by the write
        ("editor", "https://w3id.org/recruitgraph/system", 403),
        ("editor", PUBLIC_GRAPH, 200),
        ("editor_secret", SECRET_GRAPH, 200),
        ("admin", dataset_iri("reference"), 200),
    ],
)
def test_update_rights(live: LiveServer, role: str | None, graph: str, status: int) -> None:
    value = f"update by {role} into {graph}"
    with live.client(role) as client:
        response = client.post("/sparql", data={"update": _insert(graph, value)})
    assert response.status_code == status, response.text
    assert _has_comment(live, value) is (status == 200)
    if status == 200:
        assert response.json()["graphs"] == [graph]


@pytest.mark.parametrize(
    ("update", "words"),
    [
        (
            f"INSERT {{ GRAPH <{PUBLIC_GRAPH}> {{ ?s ?p ?o }} }} "
            "WHERE { GRAPH ?g { ?s ?p ?o } }",
            "USING NAMED",
        ),
        (
            "INSERT { GRAPH ?g { ?s rdfs:comment 'x' } } WHERE { GRAPH ?g { ?s ?p ?o } }",
            "GRAPH ?var",
        ),
        ("INSERT DATA { GRAPH <http://x> { <http://e/s> <http://e/p> 'o' } ", "malformed"),
    ],
)
def test_updates_refused_for_everyone(live: LiveServer, update: str, words: str) -> None:
    with live.client("admin") as admin:
        response = admin.post(
            "/sparql", content=update, headers={"Content-Type": "application/sparql-update"}
        )
    assert response.status_code == 400, response.text
    assert words.lower() in response.json()["error"].lower()


def test_an_update_cannot_read_restricted_data_into_a_public_graph(live: LiveServer) -> None:
    copy_secret = [
        f"INSERT {{ GRAPH <{PUBLIC_GRAPH}> {{ ?s ?p ?o }} }} "
        f"WHERE {{ GRAPH <{SECRET_GRAPH}> {{ ?s ?p ?o }} }}",
        f"INSERT {{ GRAPH <{PUBLIC_GRAPH}> {{ ?s ?p ?o }} }} "
        f"USING <{SECRET_GRAPH}> WHERE {{ ?s ?p ?o }}",
        f"INSERT {{ GRAPH <{PUBLIC_GRAPH}> {{ ?s ?p ?o }} }} USING NAMED <{SECRET_GRAPH}> "
        "WHERE { GRAPH ?g { ?s ?p ?o } }",
        f"INSERT {{ GRAPH <{PUBLIC_GRAPH}> {{ ?s rdfs:comment 'leak' }} }} WHERE {{ ?s ?p ?o "
        f"FILTER EXISTS {{ GRAPH <{SECRET_GRAPH}> {{ ?s ?p ?o }} }} }}",
        f"ADD <{SECRET_GRAPH}> TO <{PUBLIC_GRAPH}>",
        f"WITH <{SECRET_GRAPH}> DELETE {{ ?s ?p ?o }} WHERE {{ ?s ?p ?o }}",
    ]
    with live.client("editor") as editor:
        for update in copy_secret:
            response = editor.post("/sparql", data={"update": update})
            assert response.status_code == 403, update
            assert_no_secret(response.text.replace(SECRET_GRAPH, ""), update)
    with live.client() as anonymous:
        assert_no_secret(
            anonymous.get("/rdf-graphs", params={"graph": PUBLIC_GRAPH}).text, "public graph"
        )


def test_an_update_cannot_change_who_may_see_a_dataset(live: LiveServer) -> None:
    publish = (
        f"DELETE {{ GRAPH <{SECRET_GRAPH}> {{ ?g rg:accessLevel ?level }} }} "
        f"INSERT {{ GRAPH <{SECRET_GRAPH}> {{ ?g rg:accessLevel rg:PublicAccess }} }} "
        f"WHERE {{ GRAPH <{SECRET_GRAPH}> {{ ?g rg:accessLevel ?level }} }}"
    )
    described = description_iri(SECRET_GRAPH)
    with live.client("editor_secret") as editor:
        response = editor.post("/sparql", data={"update": publish})
        assert response.status_code == 200, response.text  # the dataset holds no description
        # the description graph is out of reach of every update
        response = editor.post("/sparql", data={"update": publish.replace(SECRET_GRAPH, described)})
        assert response.status_code == 403, response.text
        assert editor.get("/api/datasets/secret").json()["access"] == "restricted"
    with live.client() as anonymous:
        assert anonymous.get("/api/datasets/secret").status_code == 404


def test_update_by_sparql_update_body_and_delete_where(live: LiveServer) -> None:
    value = "temporary comment"
    with live.client("editor") as editor:
        added = editor.post(
            "/sparql",
            content=_insert(PUBLIC_GRAPH, value),
            headers={"Content-Type": "application/sparql-update"},
        )
        assert added.status_code == 200 and _has_comment(live, value)
        removed = editor.post(
            "/sparql",
            data={
                "update": f"WITH <{PUBLIC_GRAPH}> DELETE {{ ?s rdfs:comment ?c }} "
                f"WHERE {{ ?s rdfs:comment ?c FILTER(?c = {json.dumps(value)}) }}"
            },
        )
        assert removed.status_code == 200 and not _has_comment(live, value)


# -- the Graph Store Protocol ----------------------------------------------------------------


TURTLE = """@prefix rg: <https://w3id.org/recruitgraph/ontology#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
<https://w3id.org/recruitgraph/id/recruiter/gsp-test-agency> a rg:Recruiter ;
    rdfs:label "GSP test agency"@en .
"""
MORE = TURTLE.replace("gsp-test-agency", "gsp-second-agency").replace("GSP test", "GSP second")
INVALID = TURTLE.replace('rdfs:label "GSP test agency"@en', 'rg:aggregate "yes"')


@pytest.fixture
def gsp_graph(live: LiveServer) -> Iterator[str]:
    graph = dataset_iri("gsp-test")
    yield graph
    with live.client("admin") as admin:
        admin.delete("/rdf-graphs", params={"graph": graph})


def test_graph_store_protocol_round_trip(live: LiveServer, gsp_graph: str) -> None:
    headers = {"Content-Type": "text/turtle"}
    with live.client("editor") as editor:
        created = editor.put(
            "/rdf-graphs", params={"graph": gsp_graph}, content=TURTLE, headers=headers
        )
        assert created.status_code == 201, created.text
        assert created.json()["dataset"] == "gsp-test"
        got = editor.get(
            "/rdf-graphs", params={"graph": gsp_graph}, headers={"Accept": "application/n-triples"}
        )
        assert got.status_code == 200 and "GSP test agency" in got.text
        head = editor.head("/rdf-graphs", params={"graph": gsp_graph})
        assert head.status_code == 200 and int(head.headers["content-length"]) > 0
        merged = editor.post(
            "/rdf-graphs", params={"graph": gsp_graph}, content=MORE, headers=headers
        )
        assert merged.status_code == 200, merged.text
        both = editor.get(
            "/rdf-graphs", params={"graph": gsp_graph}, headers={"Accept": "text/turtle"}
        ).text
        assert "GSP test agency" in both and "GSP second agency" in both
        replaced = editor.put(
            "/rdf-graphs", params={"graph": gsp_graph}, content=MORE, headers=headers
        )
        assert replaced.status_code == 200
        only = editor.get("/rdf-graphs", params={"graph": gsp_graph}).text
        assert "GSP test agency" not in only and "GSP second agency" in only
        invalid = editor.put(
            "/rdf-graphs", params={"graph": gsp_graph}, content=INVALID, headers=headers
        )
        assert invalid.status_code == 422
        assert (
            invalid.json()["problems"]
            and "GSP second agency" in editor.get("/rdf-graphs", params={"graph": gsp_graph}).text
        )  # nothing was written
        assert editor.delete("/rdf-graphs", params={"graph": gsp_graph}).status_code == 204
        assert editor.get("/rdf-graphs", params={"graph": gsp_graph}).status_code == 404
        assert editor.delete("/rdf-graphs", params={"graph": gsp_graph}).status_code == 404


def test_what_a_graph_store_put_writes_is_what_reads_back(live: LiveServer) -> None:
    graph = "http://example.org/four"
    four = "".join(f'<http://example.org/s{i}> <http://example.org/p> "{i}" .\n' for i in range(4))
    with live.client("editor") as editor:
        put = editor.put(
            "/rdf-graphs",
            params={"graph": graph},
            content=four,
            headers={"Content-Type": "application/n-triples"},
        )
        assert put.status_code == 201, put.text
        try:
            got = editor.get(
                "/rdf-graphs", params={"graph": graph}, headers={"Accept": "application/n-triples"}
            )
            assert len([line for line in got.text.splitlines() if line.strip()]) == 4, got.text
            counted = editor.get(
                "/sparql",
                params={"query": f"SELECT (COUNT(*) AS ?n) {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"},
                headers={"Accept": "text/csv"},
            )
            assert counted.text.split() == ["n", "4"]
            # its description, in a graph of its own, is read through the dataset list
            (info,) = [d for d in editor.get("/api/datasets").json() if d["graph"] == graph]
            assert (info["triples"], info["access"], info["uses_model"]) == (4, "public", False)
            described = description_iri(graph)
            assert editor.get("/rdf-graphs", params={"graph": described}).status_code == 404
            written = editor.post(
                "/sparql",
                data={"update": f"INSERT DATA {{ GRAPH <{described}> {{ <{graph}> a <x:y> }} }}"},
            )
            assert written.status_code == 403, written.text
            # a triple of the model marks it as using the model; removed, it is unmarked
            typed = f"<http://example.org/s0> a <{RG}Actor>"
            for update, uses in (("INSERT", True), ("DELETE", False)):
                written = editor.post(
                    "/sparql", data={"update": f"{update} DATA {{ GRAPH <{graph}> {{ {typed} }} }}"}
                )
                assert written.status_code == 200, written.text
                (info,) = [d for d in editor.get("/api/datasets").json() if d["graph"] == graph]
                assert (info["triples"], info["uses_model"]) == (4 + uses, uses)
        finally:
            editor.delete("/rdf-graphs", params={"graph": graph})


@pytest.mark.parametrize(
    ("role", "method", "params", "headers", "status"),
    [
        (None, "PUT", {"graph": dataset_iri("gsp-test")}, {"Content-Type": "text/turtle"}, 401),
        ("reader", "PUT", {"graph": dataset_iri("gsp-test")}, {"Content-Type": "text/turtle"}, 403),
        ("editor", "PUT", {"graph": SECRET_GRAPH}, {"Content-Type": "text/turtle"}, 403),
        ("editor", "DELETE", {"graph": SECRET_GRAPH}, {}, 404),
        ("reader", "DELETE", {"graph": PUBLIC_GRAPH}, {}, 403),
        ("editor", "PUT", {}, {"Content-Type": "text/turtle"}, 400),
        (
            "editor",
            "PUT",
            {"graph": "https://w3id.org/recruitgraph/system"},  # recruitgraph's own, no dataset
            {"Content-Type": "text/turtle"},
            400,
        ),
        ("editor", "PUT", {"graph": "not-an-iri"}, {"Content-Type": "text/turtle"}, 400),
        ("editor", "PUT", {"graph": dataset_iri("gsp-test")}, {"Content-Type": "image/png"}, 415),
        ("editor", "GET", {"graph": PUBLIC_GRAPH, "default": ""}, {}, 400),
        ("editor", "GET", {"graph": "https://w3id.org/recruitgraph/system"}, {}, 404),
        (
            "admin",
            "PUT",
            {"graph": description_iri(PUBLIC_GRAPH)},
            {"Content-Type": "text/turtle"},
            400,
        ),
        ("admin", "GET", {"graph": description_iri(PUBLIC_GRAPH)}, {}, 404),
    ],
)
def test_graph_store_protocol_errors(
    live: LiveServer, role: str | None, method: str, params: dict, headers: dict, status: int
) -> None:
    with live.client(role) as client:
        response = client.request(
            method,
            "/rdf-graphs",
            params=params,
            headers=headers,
            content=TURTLE if method == "PUT" else None,
        )
    assert response.status_code == status, response.text
    assert response.json()["status"] == status


# -- uploads and deletes ---------------------------------------------------------------------


def test_upload_rights(live: LiveServer, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = claims_csv(tmp_path / "claims.csv", BASE_ROW)
    data = path.read_bytes()

    def upload(role: str | None, name: str, access: str = "public") -> httpx.Response:
        with live.client(role) as client:
            return client.post(
                "/api/datasets",
                data={"name": name, "access": access},
                files={"file": ("claims.csv", data, "text/csv")},
            )

    assert upload(None, "up-anon").status_code == 401
    assert upload("reader", "up-reader").status_code == 403
    assert upload("editor", "secret").status_code == 403  # the restricted one, not covered
    assert upload("editor", "up-restricted", "restricted").status_code == 403
    assert upload("editor", "reference").status_code == 403
    created = upload("editor", "up-editor")
    assert created.status_code == 201 and created.json()["created"] is True
    assert upload("editor", "up-editor").status_code == 200  # replaced
    assert upload("editor", "up-editor", "restricted").status_code == 403  # access level: admins
    assert upload("admin", "up-admin", "restricted").status_code == 201
    with live.client() as anonymous:
        assert anonymous.get("/api/datasets/up-admin").status_code == 404
        assert anonymous.get("/api/datasets/up-editor").json()["loaded_by"] == "editor"
    with live.client("reader") as reader:
        assert reader.delete("/api/datasets/up-editor").status_code == 403
    with live.client("editor") as editor:
        assert editor.delete("/api/datasets/up-admin").status_code == 404
        assert editor.delete("/api/datasets/up-editor").status_code == 204
        assert editor.delete("/api/datasets/up-editor").status_code == 404
    with live.client("admin") as admin:
        assert admin.delete("/api/datasets/up-admin").status_code == 204


def test_export_of_a_named_restricted_dataset_is_404(live: LiveServer) -> None:
    with live.client("reader") as reader:
        response = reader.get("/api/export", params={"format": "nquads", "dataset": "secret"})
        assert response.status_code == 404
    with live.client("reader_secret") as granted:
        response = granted.get("/api/export", params={"format": "nquads", "dataset": "secret"})
        assert response.status_code == 200
        quads = list(ox.parse(response.content, format=ox.RdfFormat.N_QUADS))
        assert {q.graph_name.value for q in quads} == {SECRET_GRAPH}


def test_entity_ids_may_be_full_iris(live: LiveServer) -> None:
    with live.client() as client:
        response = client.get("/api/entities/" + quote(TATARSTAN, safe=":/"))
        assert response.status_code == 200 and response.json()["id"] == TATARSTAN
