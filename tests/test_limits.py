"""Hostile sizes and names (issue 17, items 3 and 5): an update that would write more triples
than the limit is refused before it runs; a body past the upload limit is refused with 413
while it streams, without the server holding it; dataset names, asset paths, export filters
and uploaded file names that could reach outside their folder are refused with a 4xx.

The full-size figures (1 GiB bodies, the engine's memory under a cartesian update) come from
bench/upload_limits.py and bench/RESULTS.md, "Hostile input (issue 17)".
"""

from __future__ import annotations

import socket
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from graph.model.namespaces import dataset_iri
from graph.sparql import QueryError, plan_update
from graph.sparql.update_size import check_update_size, where_groups
from graph.store import EmbeddedStore, Store
from tests.helpers import LiveServer, run_cli

PUB = dataset_iri("pub")
UPDATE = {"Content-Type": "application/sparql-update"}
ODD = (
    b"<https://w3id.org/recruitgraph/id/recruiter/odd> "
    b'<http://www.w3.org/2000/01/rdf-schema#label> "odd"@en .\n'
)


# -- Updates ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def ten() -> EmbeddedStore:
    """A store with ten triples in graph <g>."""
    store = EmbeddedStore()
    triples = " ".join(f"<http://e/{i}> <http://e/p> {i} ." for i in range(10))
    store.update(f"INSERT DATA {{ GRAPH <http://g/> {{ {triples} }} }}")
    return store


PAIRS = "GRAPH <http://g/> { ?a ?p ?x . ?b ?q ?y }"  # 10 × 10 = 100 solutions


@pytest.mark.parametrize(
    ("update", "triples"),
    [
        # 100 solutions × 2 template triples
        (f"INSERT {{ GRAPH <http://g/> {{ ?a <http://e/q> ?b . ?b <http://e/r> 1 }} }} "
         f"WHERE {{ {PAIRS} }}", 200),
        # WITH: the same pattern over the default graph it names
        ("WITH <http://g/> DELETE { ?a <http://e/q> ?b } WHERE { ?a ?p ?x . ?b ?q ?y }", 100),
        # USING: the dataset is the USING graphs alone
        ("WITH <http://g/> DELETE { ?a <http://e/q> ?b } USING <http://g/> "
         "WHERE { ?a ?p ?x . ?b ?q ?y }", 100),
        (f"DELETE WHERE {{ {PAIRS} }}", 200),
        # two operations share the limit
        (f"DELETE {{ GRAPH <http://g/> {{ ?a <http://e/q> ?b }} }} WHERE {{ {PAIRS} }} ;\n"
         f"DELETE {{ GRAPH <http://g/> {{ ?b <http://e/q> ?a }} }} WHERE {{ {PAIRS} }}", 200),
    ],
)  # fmt: skip
def test_update_size_is_solutions_times_template(
    ten: EmbeddedStore, update: str, triples: int
) -> None:
    plan = plan_update(update)
    check_update_size(ten, plan, triples)
    with pytest.raises(QueryError, match=f"limit of {triples - 1} triples"):
        check_update_size(ten, plan, triples - 1)


def test_update_size_on_each_kind_of_store(store: Store) -> None:
    """The count runs over the graphs the update names, on a remote endpoint too."""
    triples = " ".join(f"<http://e/{i}> <http://e/p> {i} ." for i in range(10))
    store.update(f"INSERT DATA {{ GRAPH <http://g/> {{ {triples} }} }}")
    for update in (
        "WITH <http://g/> DELETE { ?a <http://e/q> ?b } WHERE { ?a ?p ?x . ?b ?q ?y }",
        "DELETE { GRAPH <http://g/> { ?a <http://e/q> ?b } } USING NAMED <http://g/> "
        "WHERE { GRAPH ?g { ?a ?p ?x . ?b ?q ?y } }",
    ):
        plan = plan_update(update)
        check_update_size(store, plan, 100)
        with pytest.raises(QueryError, match="limit of 99 triples"):
            check_update_size(store, plan, 99)
    # USING <h>: the pattern matches nothing in an empty default graph.
    empty = "DELETE { GRAPH <http://g/> { ?a ?p ?x } } USING <http://h/> WHERE { ?a ?p ?x }"
    check_update_size(store, plan_update(empty), 1)


def test_update_reading_what_it_inserts_is_refused(ten: EmbeddedStore) -> None:
    plan = plan_update(
        "INSERT DATA { GRAPH <http://g/> { <http://e/n> <http://e/p> 1 } } ;\n"
        f"INSERT {{ GRAPH <http://h/> {{ ?a <http://e/q> ?b }} }} WHERE {{ {PAIRS} }}"
    )
    with pytest.raises(QueryError, match=r"operation 2 .* separate updates"):
        check_update_size(ten, plan, 10**6)
    # Another graph: counted as usual.
    other = plan.text.replace("DATA { GRAPH <http://g/>", "DATA { GRAPH <http://k/>")
    check_update_size(ten, plan_update(other), 100)


def test_where_groups_skip_strings_iris_and_comments() -> None:
    text = (
        'PREFIX ex: <http://e/#x>\nINSERT { GRAPH <http://g/> { ?s ex:where "} WHERE {" } }\n'
        "where # a comment }\n{ ?s ?where ?o FILTER(?o != '''}''') { <http://x#y> ?p ?o } } ;\n"
        "BASE <http://b/> DELETE WHERE { GRAPH <g> { ?s ex:p ?o } }"
    )
    assert len(plan_update(text).wheres) == 2  # well-formed
    prefix = "PREFIX ex: <http://e/#x> "
    assert where_groups(text) == [
        (prefix, "{ ?s ?where ?o FILTER(?o != '''}''') { <http://x#y> ?p ?o } }"),
        (prefix + "BASE <http://b/> ", "{ GRAPH <g> { ?s ex:p ?o } }"),
    ]


def _peak_kib(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(next(line for line in status.splitlines() if line.startswith("VmHWM:")).split()[1])


def _reset_peak(pid: int) -> None:
    Path(f"/proc/{pid}/clear_refs").write_text("5")  # the peak becomes the present size


def test_cartesian_update_refused_before_it_runs(live: LiveServer) -> None:
    count = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{PUB}> {{ ?s ?p ?o }} }}"
    engine = live.engine_pid()
    assert engine is not None
    with live.client("editor") as editor, live.client("admin") as admin:

        def state() -> tuple[str, str]:
            version = admin.get("/healthz").json()["version"]
            return version, admin.get("/sparql", params={"query": count}).text

        before = state()
        _reset_peak(engine)
        held = _peak_kib(engine)
        # 41 triples to the power 5: 116 million solutions; counting stops past 100,000.
        cartesian = (
            f"INSERT {{ GRAPH <{PUB}> {{ ?a <http://e/q> ?d }} }} WHERE {{ GRAPH <{PUB}> "
            "{ ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n ?o } }"
        )
        refused = editor.post("/sparql", content=cartesian, headers=UPDATE)
        assert refused.status_code == 400, refused.text
        message = refused.json()["error"]
        assert "too large" in message and "100,000 triples" in message, message
        assert "--max-update-triples" in message
        assert state() == before
        assert _peak_kib(engine) - held < 100 * 1024  # KiB; the update ran would take GBs
        # An update of its size runs.
        tag = (
            f"INSERT {{ GRAPH <{PUB}> {{ ?a <http://e/tag> 1 }} }} "
            f"WHERE {{ GRAPH <{PUB}> {{ ?a a ?t }} }}"
        )
        done = editor.post("/sparql", content=tag, headers=UPDATE)
        assert done.status_code == 200, done.text
        assert done.json()["version"] != before[0]
        undo = editor.post(
            "/sparql",
            content=f"DELETE WHERE {{ GRAPH <{PUB}> {{ ?a <http://e/tag> 1 }} }}",
            headers=UPDATE,
        )
        assert undo.status_code == 200, undo.text
        assert state()[1] == before[1]


def test_the_update_limit_is_a_positive_number(cli_env: dict[str, str], tmp_path: Path) -> None:
    for bad in ("0", "many"):
        result = run_cli(
            "serve", "--data-dir", str(tmp_path / "d"), "--max-update-triples", bad, env=cli_env
        )
        assert result.returncode == 1, bad
        assert "argument --max-update-triples" in result.stderr, result.stderr
        assert "Traceback" not in result.stderr


# -- Bodies past the limit -------------------------------------------------------------------
BOUNDARY = "rg-test-boundary"
PRELUDE = (
    f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="name"\r\n\r\nbig\r\n'
    f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="big.nt"\r\n'
    "Content-Type: application/n-triples\r\n\r\n"
).encode()


def _stream(
    live: LiveServer, method: str, path: str, media: str, size: int, *, length: int | None = None
) -> str:
    """Send ``size`` bytes of body in chunks without a length (or after a Content-Length of
    ``length``, then 100 bytes); the status line of the answer."""
    url = urlsplit(live.base)
    assert url.hostname is not None and url.port is not None
    head = [f"{method} {path} HTTP/1.1", f"Host: {url.netloc}", f"Content-Type: {media}"]
    head += [f"{k}: {v}" for k, v in live.auth("editor").items()]
    head.append("Transfer-Encoding: chunked" if length is None else f"Content-Length: {length}")
    prelude = PRELUDE if media.startswith("multipart") else b""
    block = b"#" * (1 << 20)
    with socket.create_connection((url.hostname, url.port), timeout=30) as sock:
        sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
        try:
            if length is not None:
                sock.sendall((prelude + block)[:100])
            else:
                sock.sendall(b"%x\r\n%s\r\n" % (len(prelude), prelude) if prelude else b"")
                for _ in range(size // len(block)):
                    sock.sendall(b"%x\r\n%s\r\n" % (len(block), block))
                sock.sendall(b"0\r\n\r\n")
        except OSError:  # answered and closed while we sent: the answer is still there
            pass
        answer = b""
        while b"\r\n" not in answer:
            part = sock.recv(4096)
            if not part:
                break
            answer += part
    return answer.split(b"\r\n", 1)[0].decode()


WRITES = [
    ("POST", "/api/datasets", f"multipart/form-data; boundary={BOUNDARY}"),
    ("PUT", "/api/datasets/big", "application/n-triples"),
    ("POST", "/sparql", "application/sparql-update"),
    ("PUT", f"/rdf-graphs?graph={dataset_iri('big')}", "text/turtle"),
]


def test_bodies_past_the_limit_are_refused_while_they_stream(live: LiveServer) -> None:
    """50 MiB streamed to each write route of a server whose limit is 1 MiB: 413 each time,
    and the server's peak memory grows by far less than the body."""
    server = live.process.pid
    for method, path, media in WRITES:
        _reset_peak(server)
        held = _peak_kib(server)
        assert " 413 " in _stream(live, method, path, media, 50 * 1024**2), path
        assert _peak_kib(server) - held < 16 * 1024, path  # KiB
        announced = _stream(live, method, path, media, 0, length=10**12)
        assert " 413 " in announced, path
    with live.client("reader") as reader:
        assert reader.get("/api/datasets/big").status_code == 404


# -- Names -----------------------------------------------------------------------------------
ODD_NAMES = [
    "..", "%2e%2e", "..%2f..%2fetc%2fpasswd", "%2e%2e%2f", "a%2fb", "a%5cb", ".hidden",
    "a%00b", "x" * 300, "p%D1%83b", "%EF%BC%8E%EF%BC%8E", "x%0d%0aSet-Cookie:%20a", "Pub",
]  # fmt: skip


def test_odd_dataset_names_refused(live: LiveServer) -> None:
    with live.client("editor", follow_redirects=True) as editor:
        names = {d["name"] for d in editor.get("/api/datasets").json()}
        for name in ODD_NAMES:
            for method in ("GET", "PUT", "DELETE"):
                response = editor.request(
                    method,
                    f"/api/datasets/{name}",
                    content=ODD if method == "PUT" else None,
                    headers={"Content-Type": "application/n-triples"},
                )
                assert 400 <= response.status_code < 500, (method, name, response.text)
            assert editor.get("/api/export", params={"dataset": name}).status_code == 400, name
        assert {d["name"] for d in editor.get("/api/datasets").json()} == names


def _raw_get(live: LiveServer, path: str) -> tuple[str, bytes]:
    """GET ``path`` as written (an HTTP client would resolve its dot segments)."""
    url = urlsplit(live.base)
    assert url.hostname is not None and url.port is not None
    with socket.create_connection((url.hostname, url.port), timeout=30) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        answer = b""
        while part := sock.recv(65536):
            answer += part
    head, _, body = answer.partition(b"\r\n\r\n")
    return head.split(b"\r\n", 1)[0].decode(), body


@pytest.mark.parametrize(
    "path",
    [
        "/viz/assets/../page.py", "/viz/assets/..%2f..%2fapp.py", "/viz/assets/%2e%2e%2fpage.py",
        "/viz/assets/../../../../etc/passwd", "/viz/assets//etc/passwd", "/viz/assets/%00",
        "/static/../deps.py", "/static/..%2fdeps.py", "/static/%2e%2e/%2e%2e/graph/cli.py",
        "/static//etc/passwd", "/static/%2fetc%2fpasswd", "/static/.%00", "/static/" + "a" * 5000,
    ],
)  # fmt: skip
def test_asset_paths_stay_in_their_folder(live: LiveServer, path: str) -> None:
    status, body = _raw_get(live, path)
    assert " 404 " in status, (path, status)
    assert b"root:" not in body and b"import" not in body


@pytest.mark.parametrize(
    ("filename", "status"),
    [("x" * 300 + ".nt", 400), ("a\x00.nt", 400), ("a\r\nb.nt", 400), ("{escape}", 201)],
)
def test_uploaded_file_names_stay_in_their_folder(
    live: LiveServer, tmp_path: Path, filename: str, status: int
) -> None:
    outside = Path("/tmp") / f"rg-escape-{uuid.uuid4().hex}.nt"
    filename = filename.replace("{escape}", "../" * 12 + str(outside).lstrip("/"))
    form = (
        (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="name"\r\n\r\nodd-file\r\n'
            f"--{BOUNDARY}\r\nContent-Disposition: form-data; "
            f'name="file"; filename="{filename}"\r\n'
            "Content-Type: application/n-triples\r\n\r\n"
        ).encode()
        + ODD
        + f"\r\n--{BOUNDARY}--\r\n".encode()
    )
    with live.client("editor") as editor:
        response = editor.post(
            "/api/datasets",
            content=form,
            headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
        )
        assert response.status_code == status, response.text
        if status == 201:
            assert response.json()["files"] == [outside.name]
            assert editor.delete("/api/datasets/odd-file").status_code == 204
    assert not outside.exists()
