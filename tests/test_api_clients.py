"""Real SPARQL clients against the live server (SPARQLWrapper, rdflib's SPARQLStore), the token
commands, a server over a remote store with anonymous access off, and the engine process's
life cycle."""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import rdflib
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID
from rdflib.plugins.stores.sparqlstore import SPARQLStore, SPARQLUpdateStore
from SPARQLWrapper import CSV, JSON, JSONLD, N3, POST, TSV, TURTLE, XML, SPARQLWrapper

from graph.ingest import load_files
from graph.model.namespaces import dataset_iri
from graph.store import EmbeddedStore, RemoteStore
from tests.helpers import (
    BASE_ROW,
    PUBLIC_GRAPH,
    SECOND_ROW,
    SECRET_GRAPH,
    SECRET_ROWS,
    LiveServer,
    assert_no_secret,
    claims_csv,
    run_cli,
    serving,
    start_server,
    stop,
    wait_until,
    with_default_dataset,
)

SELECT = "SELECT ?id WHERE { ?c rg:claimId ?id } ORDER BY DESC(?id) LIMIT 5"
PREFIXED = "PREFIX rg: <https://w3id.org/recruitgraph/ontology#>\n"
RDFS_COMMENT = rdflib.URIRef("http://www.w3.org/2000/01/rdf-schema#comment")
T1 = rdflib.URIRef("https://w3id.org/recruitgraph/id/claim/pub/t1")


def wrapper(live: LiveServer, role: str | None = None) -> SPARQLWrapper:
    client = SPARQLWrapper(f"{live.base}/sparql", updateEndpoint=f"{live.base}/sparql")
    if role:
        client.addCustomHttpHeader("Authorization", f"Bearer {live.tokens[role]}")
    return client


@pytest.mark.parametrize("fmt", [JSON, XML, CSV, TSV])
def test_sparqlwrapper_select_in_every_format(live: LiveServer, fmt: str) -> None:
    client = wrapper(live)
    client.setQuery(PREFIXED + SELECT)
    client.setReturnFormat(fmt)
    result = client.query()
    converted = result.convert()
    if fmt == JSON:
        values = [b["id"]["value"] for b in converted["results"]["bindings"]]
    elif fmt == XML:
        values = [n.firstChild.data for n in converted.getElementsByTagName("literal")]
    else:
        text = converted.decode() if isinstance(converted, bytes) else converted
        values = [line.strip().strip('"') for line in text.splitlines()[1:] if line.strip()]
    assert len(values) == 5 and "t1" in values


@pytest.mark.parametrize("fmt", [TURTLE, XML, JSONLD, N3])
def test_sparqlwrapper_construct_into_rdflib(live: LiveServer, fmt: str) -> None:
    client = wrapper(live)
    client.setQuery(PREFIXED + "CONSTRUCT WHERE { ?c rg:claimId ?id }")
    client.setReturnFormat(fmt)
    converted = client.query().convert()
    graph = (
        converted
        if isinstance(converted, rdflib.Graph)
        else rdflib.Graph().parse(
            data=converted, format="turtle" if fmt in (TURTLE, N3) else "json-ld"
        )
    )
    assert (T1, rdflib.URIRef("https://w3id.org/recruitgraph/ontology#claimId"), None) in graph


def test_sparqlwrapper_update_with_a_token(live: LiveServer) -> None:
    comment = f"<{T1}> <{RDFS_COMMENT}> 'via SPARQLWrapper'"
    update = f"INSERT DATA {{ GRAPH <{PUBLIC_GRAPH}> {{ {comment} }} }}"
    client = wrapper(live, "editor")
    client.setMethod(POST)
    client.setQuery(update)
    assert client.query().response.status == 200
    check = wrapper(live)
    check.setQuery(f"ASK {{ <{T1}> <{RDFS_COMMENT}> 'via SPARQLWrapper' }}")
    check.setReturnFormat(JSON)
    assert check.query().convert()["boolean"] is True
    anonymous = wrapper(live)
    anonymous.setMethod(POST)
    anonymous.setQuery(update)
    with pytest.raises(Exception, match=r"401|Unauthorized"):
        anonymous.query()


def test_rdflib_sparqlstore_query(live: LiveServer) -> None:
    store = SPARQLStore(f"{live.base}/sparql")
    graph = rdflib.Graph(store)
    rows = list(graph.query(SELECT, initNs={"rg": "https://w3id.org/recruitgraph/ontology#"}))
    assert len(rows) == 5 and "t1" in {str(r[0]) for r in rows}
    triples = list(graph.triples((T1, None, None)))
    assert triples and all(s == T1 for s, _, _ in triples)
    ask = graph.query("ASK { ?s ?p ?o }")
    assert ask.askAnswer is True
    assert (
        len(
            graph.query(
                "CONSTRUCT WHERE { ?c <https://w3id.org/recruitgraph/ontology#claimId> ?id }"
            )
        )
        > 2
    )
    assert_no_secret(" ".join(str(t) for t in graph.triples((None, None, None))), "SPARQLStore")


def test_rdflib_sparqlupdatestore_adds_and_removes(live: LiveServer) -> None:
    store = SPARQLUpdateStore(
        f"{live.base}/sparql",
        f"{live.base}/sparql",
        headers={"Authorization": f"Bearer {live.tokens['editor']}"},
    )
    graph = rdflib.Graph(store, identifier=rdflib.URIRef(PUBLIC_GRAPH))
    triple = (T1, RDFS_COMMENT, rdflib.Literal("via rdflib"))
    graph.add(triple)
    assert triple in graph
    graph.remove(triple)
    assert triple not in graph
    secret = rdflib.Graph(store, identifier=rdflib.URIRef(SECRET_GRAPH))
    with pytest.raises(Exception, match="403"):
        secret.add(triple)


# -- writes as scripts send them: the default graph, graphs of any IRI, the dataset parameters --

EX = "http://example.org/"
EDITS_GRAPH = dataset_iri("edits")


def _select(live: LiveServer, query: str, role: str | None = None, **params: str) -> list[dict]:
    with live.client(role) as client:
        response = client.get("/sparql", params={"query": query, **params})
    assert response.status_code == 200, response.text
    return [{k: v["value"] for k, v in b.items()} for b in response.json()["results"]["bindings"]]


def _data(turtle: str, graph: str) -> set[tuple]:
    """The triples of ``turtle`` less the dataset's description (its subject is the graph)."""
    parsed = rdflib.Graph().parse(data=turtle, format="turtle")
    return {t for t in parsed if t[0] != rdflib.URIRef(graph)}


def test_sparqlwrapper_writes_the_default_graph_and_a_new_named_graph(live: LiveServer) -> None:
    """As a script written against Oxigraph or Fuseki sends them: into the default graph (the
    edits dataset, with who, when and how), into a graph of any IRI, read back every way."""
    client = wrapper(live, "editor")
    client.setMethod(POST)
    client.setQuery(f"INSERT DATA {{ <{EX}s> <{EX}p> 'default' }}")
    assert client.query().response.status == 200
    client.setQuery(f"INSERT DATA {{ GRAPH <{EX}g> {{ <{EX}s> <{EX}p> 'named' }} }}")
    assert client.query().response.status == 200
    check = wrapper(live)
    check.setReturnFormat(JSON)
    for query, found in [
        (f"SELECT ?o WHERE {{ <{EX}s> <{EX}p> ?o }} ORDER BY ?o", ["default", "named"]),
        (f"SELECT ?o WHERE {{ GRAPH <{EX}g> {{ <{EX}s> <{EX}p> ?o }} }}", ["named"]),
        (f"SELECT ?o FROM <{EX}g> WHERE {{ <{EX}s> <{EX}p> ?o }}", ["named"]),
        (f"SELECT ?o WHERE {{ GRAPH <{EDITS_GRAPH}> {{ <{EX}s> <{EX}p> ?o }} }}", ["default"]),
    ]:
        check.setQuery(query)
        rows = check.query().convert()["results"]["bindings"]
        assert [r["o"]["value"] for r in rows] == found, query
    with live.client() as anonymous:
        described = {d["name"]: d for d in anonymous.get("/api/datasets").json()}
    for name in ("edits", f"{EX}g"):
        assert described[name]["loaded_by"] == "editor"  # the token's name, never the token
        assert described[name]["files"] == ["SPARQL update (POST /sparql)"]
        assert described[name]["access"] == "public" and described[name]["created"]
    assert described[f"{EX}g"]["triples"] == 1  # counted by the update that created it
    client.setQuery(f"CLEAR DEFAULT ; DROP GRAPH <{EX}g>")
    assert client.query().response.status == 200
    assert _select(live, f"SELECT ?o WHERE {{ <{EX}s> <{EX}p> ?o }}") == []


def test_rdflib_sparqlupdatestore_default_and_new_named_graph(live: LiveServer) -> None:
    store = SPARQLUpdateStore(
        f"{live.base}/sparql",
        f"{live.base}/sparql",
        headers={"Authorization": f"Bearer {live.tokens['editor']}"},
    )
    default = rdflib.Graph(store, identifier=DATASET_DEFAULT_GRAPH_ID)
    named = rdflib.Graph(store, identifier=rdflib.URIRef(f"{EX}rdflib"))
    triple = (rdflib.URIRef(f"{EX}r"), RDFS_COMMENT, rdflib.Literal("via rdflib"))
    for graph in (default, named):
        graph.add(triple)
        assert triple in graph
    assert _select(live, f"SELECT ?g WHERE {{ GRAPH ?g {{ <{EX}r> ?p ?o }} }} ORDER BY ?g") == [
        {"g": f"{EX}rdflib"},
        {"g": EDITS_GRAPH},
    ]
    named.remove(triple)
    default.remove(triple)
    # The default graph is the union: the triple is in neither. (rdflib asks about a named
    # graph with default-graph-uri, and the graph, emptied, is gone: that would be a 400.)
    assert triple not in default


def test_graph_store_put_default_and_any_iri_then_get(live: LiveServer) -> None:
    turtle = f"<{EX}a> <{EX}b> 'one' , 'two' .\n<{EX}c> <{EX}d> <{EX}a> .\n"
    written = _data(turtle, "")
    with live.client("editor") as editor:
        for params, graph in (({"default": ""}, EDITS_GRAPH), ({"graph": f"{EX}gsp"}, f"{EX}gsp")):
            put = editor.put(
                "/rdf-graphs", params=params, content=turtle,
                headers={"Content-Type": "text/turtle"},
            )  # fmt: skip
            assert put.status_code == 201, put.text
            back = editor.get("/rdf-graphs", params={"graph": graph})
            assert _data(back.text, graph) == written
            union = editor.get("/rdf-graphs", params={"default": ""})
            assert written <= _data(union.text, graph)
        sources = {d["name"]: d["files"] for d in editor.get("/api/datasets").json()}
        assert sources["edits"] == sources[f"{EX}gsp"] == ["graph-store-put.ttl"]
        assert editor.delete("/rdf-graphs", params={"default": ""}).status_code == 204
        assert editor.delete("/rdf-graphs", params={"graph": f"{EX}gsp"}).status_code == 204
        assert editor.get("/rdf-graphs", params={"graph": EDITS_GRAPH}).status_code == 404
        assert editor.delete("/rdf-graphs", params={"default": ""}).status_code == 404


def test_using_graph_uri_and_unknown_graphs_in_the_dataset_parameters(live: LiveServer) -> None:
    copy = f"INSERT {{ GRAPH <{EX}copy> {{ ?s <{EX}copied> ?id }} }} WHERE {{ ?s rg:claimId ?id }}"
    with live.client("editor") as editor:
        done = editor.post(
            "/sparql", params={"using-graph-uri": PUBLIC_GRAPH}, content=copy,
            headers={"Content-Type": "application/sparql-update"},
        )  # fmt: skip
        assert done.status_code == 200, done.text
        copied = _select(live, f"SELECT (COUNT(*) AS ?n) WHERE {{ ?s <{EX}copied> ?id }}")
        assert copied == [{"n": "2"}]  # the public dataset's two claims, not the others'
        assert editor.post("/sparql", data={"update": f"DROP GRAPH <{EX}copy>"}).status_code == 200
        refused = editor.post(
            "/sparql", data={"update": copy, "using-graph-uri": f"{EX}nowhere"}
        ).json()["error"]
        assert f"<{EX}nowhere>" in refused and "using-graph-uri" in refused
    answers = []
    with live.client() as anonymous:  # the restricted graph: the answer of one that is not there
        for graph in (SECRET_GRAPH, f"{EX}nowhere"):
            response = anonymous.get(
                "/sparql", params={"query": "ASK { ?s ?p ?o }", "default-graph-uri": graph}
            )
            assert response.status_code == 400
            answers.append(response.json()["error"].replace(graph, "GRAPH"))
    assert answers[0] == answers[1] and "default-graph-uri" in answers[0]


def test_relative_iris_resolve_against_the_endpoint_and_errors_are_placed(
    live: LiveServer,
) -> None:
    with live.client("editor") as editor:
        done = editor.post("/sparql", data={"update": "INSERT DATA { <rel-s> <rel-p> 'r' }"})
        assert done.status_code == 200, done.text
        assert _select(live, "SELECT ?o WHERE { <rel-s> <rel-p> ?o }") == [{"o": "r"}]
        absolute = f"SELECT ?o WHERE {{ <{live.base}/rel-s> ?p ?o }}"
        assert _select(live, absolute) == [{"o": "r"}]
        assert editor.post("/sparql", data={"update": "CLEAR DEFAULT"}).status_code == 200
        bad = "INSERT DATA {\n  <http://a> <http://b> 'c' .\n  oops }"
        error = editor.post("/sparql", data={"update": bad})
        assert error.status_code == 400 and "error at 3:" in error.json()["error"], error.text
        unknown = editor.get("/sparql", params={"query": f"SELECT (<{EX}f>(1) AS ?x) {{}}"})
        assert unknown.status_code == 400 and f"{EX}f" in unknown.json()["error"]


# -- tokens from the command line ------------------------------------------------------------


def test_token_commands_against_the_live_server(live: LiveServer, cli_env: dict[str, str]) -> None:
    options = ["--data-dir", str(live.data_dir)]
    created = run_cli("token", "create", "--role", "reader", "--name", "cli-reader",
                      "--grant", "secret", *options, env=cli_env, check=True)  # fmt: skip
    token = created.stdout.strip()
    assert token.startswith("rgt_") and "shown only this once" in created.stderr
    assert token not in (live.data_dir / "tokens.json").read_text()
    headers = {"Authorization": f"Bearer {token}"}
    names = {d["name"] for d in httpx.get(f"{live.base}/api/datasets", headers=headers).json()}
    assert "secret" in names
    listed = json.loads(run_cli("token", "list", "--format", "json", *options, env=cli_env,
                                check=True).stdout)  # fmt: skip
    mine = next(t for t in listed if t["name"] == "cli-reader")
    assert mine["role"] == "reader" and mine["grants"] == ["secret"] and "hash" not in mine
    assert "cli-reader" in run_cli("token", "list", *options, env=cli_env, check=True).stdout
    run_cli("token", "revoke", "cli-reader", *options, env=cli_env, check=True)
    assert httpx.get(f"{live.base}/api/datasets", headers=headers).status_code == 401
    missing = run_cli("token", "revoke", "cli-reader", *options, env=cli_env)
    assert missing.returncode == 1 and "no active token" in missing.stderr
    bad = run_cli("token", "create", "--role", "king", *options, env=cli_env)
    assert bad.returncode == 1 and "Traceback" not in bad.stderr


# -- a remote store, anonymous access off ----------------------------------------------------


@pytest.fixture(scope="module")
def remote_server(
    tmp_path_factory: pytest.TempPathFactory, oxigraph_server: str
) -> Iterator[LiveServer]:
    work = tmp_path_factory.mktemp("remote-api")
    httpx.post(f"{oxigraph_server}/update", data={"update": "DROP ALL"}).raise_for_status()
    with RemoteStore(f"{oxigraph_server}/query") as store:
        load_files(store, [claims_csv(work / "pub.csv", BASE_ROW, SECOND_ROW)], "pub")
        load_files(store, [claims_csv(work / "secret.csv", *SECRET_ROWS)], "secret",
                   access="restricted")  # fmt: skip
    roles = {r: (r, ()) for r in ("reader", "editor", "admin")}
    with serving(
        work / "tokens", work / "server.log",
        "--store-url", f"{oxigraph_server}/query", "--no-anonymous",
        roles=roles,
    ) as server:  # fmt: skip
        yield server


def test_remote_store_with_anonymous_access_off(remote_server: LiveServer) -> None:
    base = remote_server.base
    assert httpx.get(f"{base}/sparql", params={"query": "ASK {}"}).status_code == 401
    assert httpx.get(f"{base}/api/datasets").status_code == 401
    health = httpx.get(f"{base}/healthz").json()
    # Liveness and the engine's state only: nothing about what the store holds.
    assert health == {
        "status": "ok",
        "store": "remote",
        "store_state": "open",
        "engine_restarts": 0,
        "engine_crashes_recent": 0,
        "engine_last_restart": None,
    }
    with remote_server.client("reader") as reader:
        names = {d["name"] for d in reader.get("/api/datasets").json()}
        assert names == {"pub", "reference"}
        everything = reader.post(
            "/sparql", data={"query": "CONSTRUCT WHERE { ?s ?p ?o }", "format": "ntriples"}
        )
        assert everything.status_code == 200
        assert_no_secret(everything.text, "remote CONSTRUCT")
        graphs = reader.get(
            "/sparql", params={"query": "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"}
        ).json()
        assert {b["g"]["value"] for b in graphs["results"]["bindings"]} == {
            PUBLIC_GRAPH,
            dataset_iri("reference"),
        }
    # The version each caller is told (stamps in the remote store's system graph): an update
    # of the restricted dataset leaves the reader's as it was, one of a public dataset not.
    with remote_server.client("reader") as reader, remote_server.client("admin") as admin:
        assert "secret" in {d["name"] for d in admin.get("/api/datasets").json()}

        def versions() -> tuple[str, str]:
            return tuple(c.get("/healthz").headers["X-Store-Version"] for c in (reader, admin))

        first = versions()
        secret = dataset_iri("secret")
        update = f"INSERT DATA {{ GRAPH <{secret}> {{ <{T1}> <{RDFS_COMMENT}> 'remote' }} }}"
        assert admin.post("/sparql", data={"update": update}).status_code == 200
        second = versions()
        assert second[0] == first[0] and second[1] != first[1]
    with remote_server.client("editor") as editor:
        update = f"INSERT DATA {{ GRAPH <{PUBLIC_GRAPH}> {{ <{T1}> <{RDFS_COMMENT}> 'remote' }} }}"
        done = editor.post("/sparql", data={"update": update})
        assert done.status_code == 200
        assert done.headers["X-Store-Version"] not in second
        ask = editor.get("/sparql", params={"query": f"ASK {{ <{T1}> <{RDFS_COMMENT}> 'remote' }}"})
        assert ask.json()["boolean"] is True


# -- the engine process ----------------------------------------------------------------------


def _exited(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split()[2] == "Z"
    except FileNotFoundError:
        return True


def test_engine_process_ends_with_the_server(tmp_path: Path) -> None:
    for how in ("terminate", "kill"):
        data = tmp_path / how
        server = start_server(data, tmp_path / f"{how}.log", "--data-dir", str(data))
        pid = server.engine_pid()
        assert pid is not None
        if how == "terminate":
            stop(server.process)
        else:  # the server dies without a word: the engine sees its socket close
            os.kill(server.process.pid, signal.SIGKILL)
            server.process.wait(timeout=10)
        assert wait_until(lambda pid=pid: _exited(pid), seconds=15), how
        # the store's lock is free again
        EmbeddedStore(data).close()


def test_create_app_over_an_in_memory_store() -> None:
    from fastapi.testclient import TestClient

    from api.app import create_app

    store = EmbeddedStore(None)
    with_default_dataset(store)
    app = create_app(store)
    copy = app.state.settings.cleanup
    with TestClient(app) as client:
        response = client.get(
            "/sparql", params={"query": "SELECT (COUNT(?c) AS ?n) WHERE { ?c rg:claimId ?id }"}
        )
        assert response.json()["results"]["bindings"][0]["n"]["value"] == "144"
    assert copy is not None and not copy.exists()
