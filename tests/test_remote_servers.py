"""The remote store against real SPARQL servers started on loopback: ``oxigraph serve`` and
Debian's Virtuoso 7 (issue 15, item 4). What the start-up probes find, and the user's path
(load, query, metrics, export, delete, a restricted dataset kept from anonymous callers)
through the command line and the server."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from string import Template

import httpx
import pyoxigraph as ox
import pytest

from graph.model.namespaces import ID, dataset_iri
from graph.store import RemoteStore, StoreError
from graph.store.credentials import Credentials
from graph.store.stores import TruncatedResult
from tests.helpers import (
    ACCESS_QUERIES,
    BASE_ROW,
    SECOND_ROW,
    SECRET_GRAPH,
    SECRET_ROWS,
    VIRTUOSO_MAX_ROWS,
    VIRTUOSO_USER,
    assert_no_secret,
    claims_csv,
    run_cli,
    serving,
)

EX = "http://example.org/"


def virtuoso_store(base: str) -> RemoteStore:
    """The test Virtuoso, as a store: /sparql-auth, Digest as its administrator."""
    return RemoteStore(
        f"{base}/sparql-auth", credentials=Credentials(*VIRTUOSO_USER, scheme="digest")
    )


@pytest.fixture(params=["oxigraph", "virtuoso"])
def remote(request: pytest.FixtureRequest) -> Iterator[RemoteStore]:
    """Each server, emptied of recruitgraph's graphs, as a probed store."""
    if request.param == "oxigraph":
        opened = RemoteStore(f"{request.getfixturevalue('oxigraph_server')}/query")
    else:
        opened = virtuoso_store(request.getfixturevalue("virtuoso_server"))
    for graph in opened.graph_names():
        if graph.startswith(("https://w3id.org/recruitgraph/", EX)):
            opened._execute_update(f"DROP SILENT GRAPH <{graph}>")
    opened.probe()
    yield opened
    opened.close()


def test_the_probes_find_what_each_server_does(remote: RemoteStore) -> None:
    found = remote.conformance
    assert found.version_moves and found.parameters_confine
    if "sparql-auth" in remote.query_url:  # Virtuoso 7
        assert not found.dataset_parameters_win and not remote.honours_dataset_parameters
        assert not found.canonical_booleans
        assert found.row_limit == VIRTUOSO_MAX_ROWS
    else:
        assert found.dataset_parameters_win and remote.honours_dataset_parameters
        assert found.canonical_booleans and found.row_limit is None
    assert not [g for g in remote.graph_names() if "probe" in g]  # the probe graphs are gone


def test_a_remote_store_reads_values_not_lexical_forms(remote: RemoteStore) -> None:
    graph = f"{EX}typed"
    triples = [
        ox.Triple(ox.NamedNode(f"{EX}a"), ox.NamedNode(f"{EX}flag"), ox.Literal(True)),
        ox.Triple(ox.NamedNode(f"{EX}a"), ox.NamedNode(f"{EX}n"), ox.Literal(3)),
        ox.Triple(ox.BlankNode(), ox.NamedNode(f"{EX}label"), ox.Literal("blank")),
    ]
    before = remote.version
    remote.replace_graph(graph, triples)
    assert remote.version > before
    rows = remote.query(f"SELECT ?f WHERE {{ GRAPH <{graph}> {{ ?s <{EX}flag> ?f }} }}")
    assert isinstance(rows, ox.QuerySolutions)
    assert [r["f"] for r in rows] == [ox.Literal(True)]
    assert remote.query(f"ASK {{ GRAPH <{graph}> {{ ?s <{EX}n> 3 }} }}")
    assert not remote.query(f"ASK {{ GRAPH <{graph}> {{ ?s <{EX}n> 4 }} }}")
    described = remote.query(
        f"CONSTRUCT {{ ?s <{EX}flag> ?o }} WHERE {{ GRAPH <{graph}> {{ ?s <{EX}flag> ?o }} }}"
    )
    assert [t.object for t in described] == [ox.Literal(True)]  # type: ignore[union-attr]
    assert len(list(remote.quads(graph))) == 3
    assert remote.drop_graph(graph) and graph not in remote.graph_names()


def test_a_result_cut_at_the_row_limit_is_refused(remote: RemoteStore) -> None:
    graph = f"{EX}many"
    count = VIRTUOSO_MAX_ROWS + 10
    remote.replace_graph(
        graph,
        (
            ox.Triple(ox.NamedNode(f"{EX}s{i}"), ox.NamedNode(f"{EX}p"), ox.Literal(i))
            for i in range(count)
        ),
    )
    select = f"SELECT ?s WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"
    construct = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"
    if remote.conformance.row_limit is None:
        assert len(list(remote.query(select))) == count  # type: ignore[arg-type]
        assert len(list(remote.query(construct))) == count  # type: ignore[arg-type]
    else:
        for text in (select, construct):
            with pytest.raises(TruncatedResult, match="row limit of 5000 rows"):
                remote.query(text)
    remote.drop_graph(graph)


def test_virtuoso_refuses_a_wrong_password_without_echoing_it(virtuoso_server: str) -> None:
    with pytest.raises(StoreError) as raised:
        RemoteStore(
            f"{virtuoso_server}/sparql-auth",
            credentials=Credentials("dba", "not-the-password", scheme="digest"),
        )
    assert "401" in str(raised.value) and "not-the-password" not in str(raised.value)
    anonymous = httpx.post(f"{virtuoso_server}/sparql", data={"update": "CLEAR ALL"})
    assert anonymous.status_code >= 400  # anonymous callers may not write


# -- the user's path, through the command line and the server ---------------------------------


@pytest.fixture(params=["oxigraph", "virtuoso"])
def server_url(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, dict[str, str]]:
    """A server's query endpoint emptied of recruitgraph's graphs, and the CLI's environment
    for it (Virtuoso's credentials in a file named by the environment, none on a command
    line)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RECRUITGRAPH_STORE")}
    env["RECRUITGRAPH_DATA_DIR"] = str(tmp_path / "data")
    if request.param == "oxigraph":
        url = f"{request.getfixturevalue('oxigraph_server')}/query"
        opened = RemoteStore(url)
    else:
        url = f"{request.getfixturevalue('virtuoso_server')}/sparql-auth"
        opened = virtuoso_store(url.rpartition("/")[0])
        secrets = tmp_path / "store-credentials"
        user, password = VIRTUOSO_USER
        secrets.write_text(f"user = {user}\npassword = {password}\nauth = digest\n", "utf-8")
        env["RECRUITGRAPH_STORE_CREDENTIALS"] = str(secrets)
    with opened:
        for graph in opened.graph_names():
            if graph.startswith("https://w3id.org/recruitgraph/"):
                opened._execute_update(f"DROP SILENT GRAPH <{graph}>")
    env["RECRUITGRAPH_STORE_URL"] = url
    return url, env


def test_the_users_path_on_a_remote_server(
    server_url: tuple[str, dict[str, str]], tmp_path: Path
) -> None:
    url, env = server_url
    public = claims_csv(tmp_path / "pub.csv", BASE_ROW, SECOND_ROW)
    secret = claims_csv(tmp_path / "secret.csv", *SECRET_ROWS)
    run_cli("load", str(public), "--dataset", "pub", "--synthetic", "--quiet", env=env, check=True)
    run_cli("load", str(secret), "--dataset", "secret", "--access", "restricted", "--quiet",
            env=env, check=True)  # fmt: skip
    listed = json.loads(run_cli("datasets", "--format", "json", env=env, check=True).stdout)
    flags = {d["name"]: (d["synthetic"], d["access"]) for d in listed}
    assert flags["pub"] == (True, "public") and flags["secret"] == (False, "restricted")
    ids = run_cli("query", f"SELECT ?id FROM <{dataset_iri('pub')}> WHERE {{ ?c rg:claimId ?id }} "
                  "ORDER BY ?id", "--format", "csv", env=env, check=True)  # fmt: skip
    assert ids.stdout.splitlines() == ["id", "t1", "t2"]
    metrics = run_cli("metrics", "--format", "json", env=env, check=True)
    assert json.loads(metrics.stdout)
    out = tmp_path / "pub.nq"
    run_cli("export", "--format", "nquads", "--dataset", "pub", "--out", str(out), env=env,
            check=True)  # fmt: skip
    assert '"true"^^<http://www.w3.org/2001/XMLSchema#boolean>' in out.read_text() or (
        "claimId" in out.read_text()
    )
    # The server, anonymous callers: the restricted dataset is nowhere, FROM included.
    with serving(tmp_path / "tokens", tmp_path / "server.log", env=env) as server:
        log = (tmp_path / "server.log").read_text()
        if "sparql-auth" in url:
            assert "FROM / FROM NAMED win" in log
        names = {
            "graph": SECRET_GRAPH,
            "actor_iri": ID + "recruiter/zzsecret-recruiting-bureau",
            "label": "Zzsecret recruiting bureau",
            "marker": "zzsecret",
        }
        # Every SPARQL form of the access matrix but its property-path closures (a matter of
        # time limits, not of access: they walk the whole remote store).
        for template in [q for q in ACCESS_QUERIES if "rdf:nil" not in q]:
            query = Template(template).substitute(names)
            answer = httpx.post(f"{server.base}/sparql", data={"query": query}, timeout=60)
            assert answer.status_code in (200, 400), answer.text
            if answer.status_code == 200:
                assert_no_secret(answer.text, query)
            else:  # a FROM outside the caller's graphs, refused where the server lets it win
                assert "FROM" in query and "sparql-auth" in url, (query, answer.text)
            assert "987654321" not in answer.text and "recruiting bureau" not in answer.text
        construct = httpx.post(
            f"{server.base}/sparql",
            data={"query": "CONSTRUCT WHERE { ?s ?p ?o }"},
            headers={"Accept": "application/n-triples"},
        )
        assert construct.status_code == 200 and "claimId" in construct.text
        names = {d["name"] for d in httpx.get(f"{server.base}/api/datasets").json()}
        assert "secret" not in names and "pub" in names
        for page in ("/api/metrics", "/viz", "/api/export?format=nquads"):
            answer = httpx.get(f"{server.base}{page}", timeout=60)
            assert answer.status_code == 200, (page, answer.text[:300])
            assert "zzsecret" not in answer.text and "987654321" not in answer.text
        with server.client("admin") as admin:
            assert "secret" in {d["name"] for d in admin.get("/api/datasets").json()}
        # Another process re-loads the public dataset as restricted: the server sees the
        # write (the version moved) and no longer shows it to anonymous callers.
        run_cli("load", str(public), "--dataset", "pub", "--access", "restricted", "--quiet",
                env=env, check=True)  # fmt: skip
        names = {d["name"] for d in httpx.get(f"{server.base}/api/datasets").json()}
        assert "pub" not in names, names
        ask = httpx.get(f"{server.base}/sparql", params={"query": "ASK { ?c rg:claimId 't1' }"})
        assert ask.json()["boolean"] is False
        engine = server.engine_pid()
        assert engine is not None
        arguments = Path(f"/proc/{engine}/cmdline").read_bytes().decode()
        assert VIRTUOSO_USER[1] + "\n" not in arguments and "password" not in arguments
    if "sparql-auth" in url:  # a result past Virtuoso's row limit: exit 1, not wrong figures
        rows = " ".join(str(i) for i in range(100))
        many = f"SELECT * WHERE {{ VALUES ?a {{ {rows} }} VALUES ?b {{ {rows} }} }}"
        cut = run_cli("query", many, env=env)
        assert cut.returncode == 1 and "row limit of 5000 rows" in cut.stderr, cut.stderr
        assert "Traceback" not in cut.stderr
    run_cli("delete", "pub", env=env, check=True)
    run_cli("delete", "secret", env=env, check=True)
    listed = json.loads(run_cli("datasets", "--format", "json", env=env, check=True).stdout)
    assert {d["name"] for d in listed} == {"reference"}


def test_a_store_whose_version_does_not_move_is_not_served(
    oxigraph_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A write probe that fails stops the server from starting, with the reason."""
    with RemoteStore(f"{oxigraph_server}/query") as store:
        monkeypatch.setattr(RemoteStore, "update", lambda self, sparql, graphs=None: None)
        with pytest.raises(StoreError, match="version did not move after a write"):
            store.probe()


def test_credentials_come_from_a_file_or_the_environment_and_stay_hidden(tmp_path: Path) -> None:
    secrets = tmp_path / "credentials"
    secrets.write_text("# the team's store\nuser = rg\npassword = p=ss:word\n", "utf-8")
    read = Credentials.from_file(secrets)
    assert (read.user, read.password, read.scheme) == ("rg", "p=ss:word", "basic")
    assert "p=ss" not in repr(read)
    env = {"RECRUITGRAPH_STORE_USER": "rg", "RECRUITGRAPH_STORE_PASSWORD": "pw",
           "RECRUITGRAPH_STORE_AUTH": "digest"}  # fmt: skip
    assert Credentials.from_environment(env) == Credentials("rg", "pw", "digest")
    secrets.write_text("user = rg\npasswd = oops-secret\n", "utf-8")
    with pytest.raises(ValueError) as bad:
        Credentials.from_file(secrets)
    assert "oops-secret" not in str(bad.value) and "line 2" in str(bad.value)


def test_basic_credentials_reach_the_server(tmp_path: Path) -> None:
    """Sent by Basic to a server that asks (a loopback listener that records the header)."""
    import base64
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    seen: list[str | None] = []

    class Endpoint(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            seen.append(self.headers.get("Authorization"))
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="store"')
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Endpoint)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/sparql"
        with pytest.raises(StoreError) as raised:
            RemoteStore(url, credentials=Credentials("rg", "hunter2"), timeout=5)
    finally:
        server.shutdown()
    assert seen and seen[0] == "Basic " + base64.b64encode(b"rg:hunter2").decode()
    assert "401" in str(raised.value) and "hunter2" not in str(raised.value)


def test_virtuoso_stops_a_query_at_its_time_limit_and_the_part_is_refused(
    virtuoso_server: str,
) -> None:
    """Virtuoso stops the work itself (its timeout parameter) and answers 200 with what it
    had, a COUNT of 0 here: that is refused, never read as the figure."""
    values = " ".join(str(i) for i in range(300))
    runaway = (
        f"SELECT (COUNT(*) AS ?n) WHERE {{ VALUES ?a {{ {values} }} VALUES ?b {{ {values} }} "
        f"VALUES ?c {{ {values} }} FILTER(?a + ?b + ?c > 5) }}"
    )
    with virtuoso_store(virtuoso_server) as store:
        store.server_timeout = 0.5
        with pytest.raises(TruncatedResult, match="time limit"):
            store.query(runaway)


def test_a_killed_loads_staging_graph_is_dropped_at_the_next_opening(
    oxigraph_server: str,
) -> None:
    """A staging graph of a process of this machine that is gone: dropped at once; one of a
    live process: kept (its load goes on)."""
    import subprocess
    import sys

    from graph.store.stores import _staging_iri

    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
    live = _staging_iri()
    dead = live.replace(f"-{os.getpid()}-", f"-{gone}-")
    with RemoteStore(f"{oxigraph_server}/query") as store:
        for graph in (live, dead):
            store._execute_update(f"INSERT DATA {{ GRAPH <{graph}> {{ <{EX}a> <{EX}b> 1 }} }}")
    with RemoteStore(f"{oxigraph_server}/query") as store:
        names = store.graph_names()
        assert live in names and dead not in names
        store.drop_graph(live)


def test_without_a_graph_store_a_load_goes_in_requests_the_server_takes(
    virtuoso_server: str,
) -> None:
    """Virtuoso's SPARQL compiler refuses an INSERT DATA of about 5,000 triples: without a
    Graph Store endpoint (here one that does not exist, 404), a load goes in requests of
    RemoteStore.CHUNK triples, and is whole."""
    graph = f"{EX}chunked"
    with RemoteStore(
        f"{virtuoso_server}/sparql-auth",
        credentials=Credentials(*VIRTUOSO_USER, scheme="digest"),
        graph_store_url=f"{virtuoso_server}/no-graph-store-here",
    ) as store:
        store.replace_graph(
            graph,
            (
                ox.Triple(ox.NamedNode(f"{EX}s{i}"), ox.NamedNode(f"{EX}p"), ox.Literal(f"v{i}"))
                for i in range(5100)
            ),
        )
        assert store.graph_store_url is None  # found missing, not asked again
        count = store.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")
        assert [int(row["n"].value) for row in count] == [5100]  # type: ignore[union-attr]
        store.drop_graph(graph)
