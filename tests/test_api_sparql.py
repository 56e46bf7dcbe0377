"""The SPARQL 1.1 Protocol at /sparql against a live server: queries by every method, content
negotiation for every format, the dataset parameters, errors, the service description, the
query page, the row cap, the time limit, and SERVICE/LOAD refused."""

from __future__ import annotations

import csv
import http.server
import io
import json
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pyoxigraph as ox
import pytest

from tests.helpers import (
    MAX_ROWS,
    PUBLIC_GRAPH,
    QUERY_TIMEOUT,
    SECRET_GRAPH,
    LiveServer,
    with_default_dataset,
)

COUNT_CLAIMS = "SELECT (COUNT(?c) AS ?n) WHERE { ?c rg:claimId ?id }"
RESULT_TYPES = {
    "json": ("application/sparql-results+json", ox.QueryResultsFormat.JSON),
    "xml": ("application/sparql-results+xml", ox.QueryResultsFormat.XML),
    "tsv": ("text/tab-separated-values", ox.QueryResultsFormat.TSV),
    "csv": ("text/csv", None),
}
GRAPH_TYPES = {
    "turtle": ("text/turtle", ox.RdfFormat.TURTLE),
    "ntriples": ("application/n-triples", ox.RdfFormat.N_TRIPLES),
    "rdfxml": ("application/rdf+xml", ox.RdfFormat.RDF_XML),
    "jsonld": ("application/ld+json", ox.RdfFormat.JSON_LD),
}


def media(response: httpx.Response) -> str:
    return response.headers["content-type"].split(";")[0]


def rows(response: httpx.Response) -> list[dict[str, str]]:
    """Solutions of a result in any of the four formats, as {variable: lexical value}."""
    kind = media(response)
    if kind == "text/csv":
        return list(csv.DictReader(io.StringIO(response.text)))
    fmt = next(f for m, f in RESULT_TYPES.values() if m == kind)
    parsed = ox.parse_query_results(response.content, format=fmt)
    names = [v.value for v in parsed.variables]
    return [{n: s[n].value for n in names if s[n] is not None} for s in parsed]


def count(response: httpx.Response) -> int:
    assert response.status_code == 200, response.text
    return int(rows(response)[0]["n"])


@pytest.fixture(scope="module")
def client(live: LiveServer) -> Iterator[httpx.Client]:
    with live.client() as c:
        yield c


# -- query by every method -------------------------------------------------------------------


def test_query_by_get_post_form_and_post_body(client: httpx.Client) -> None:
    by_get = client.get("/sparql", params={"query": COUNT_CLAIMS})
    by_form = client.post("/sparql", data={"query": COUNT_CLAIMS})
    by_body = client.post(
        "/sparql", content=COUNT_CLAIMS, headers={"Content-Type": "application/sparql-query"}
    )
    counts = {count(r) for r in (by_get, by_form, by_body)}
    assert len(counts) == 1 and counts.pop() > 2  # pub's two claims and the synthetic ones
    assert media(by_get) == "application/sparql-results+json"
    assert by_get.headers["vary"] == "Accept"


@pytest.mark.parametrize("fmt", list(RESULT_TYPES))
def test_select_in_every_result_format_by_accept_and_by_format(
    client: httpx.Client, fmt: str
) -> None:
    media_type, _ = RESULT_TYPES[fmt]
    query = "SELECT ?id WHERE { ?c rg:claimId ?id } ORDER BY ?id LIMIT 3"
    by_accept = client.get("/sparql", params={"query": query}, headers={"Accept": media_type})
    by_param = client.get("/sparql", params={"query": query, "format": fmt})
    for response in (by_accept, by_param):
        assert response.status_code == 200 and media(response) == media_type
        assert len(rows(response)) == 3


@pytest.mark.parametrize("fmt", list(GRAPH_TYPES))
def test_construct_and_describe_in_every_graph_format(client: httpx.Client, fmt: str) -> None:
    media_type, rdf_format = GRAPH_TYPES[fmt]
    construct = "CONSTRUCT { ?c rg:claimId ?id } WHERE { ?c rg:claimId ?id }"
    describe = "DESCRIBE <https://w3id.org/recruitgraph/id/claim/pub/t1>"
    for query in (construct, describe):
        for response in (
            client.get("/sparql", params={"query": query}, headers={"Accept": media_type}),
            client.post("/sparql", data={"query": query, "format": fmt}),
        ):
            assert response.status_code == 200 and media(response) == media_type, response.text
            triples = list(ox.parse(response.content, format=rdf_format))
            assert triples


def test_ask_in_json_and_xml(client: httpx.Client) -> None:
    ask = "ASK { ?c rg:claimId 't1' }"
    as_json = client.get("/sparql", params={"query": ask})
    assert as_json.json()["boolean"] is True
    as_xml = client.get(
        "/sparql", params={"query": ask}, headers={"Accept": "application/sparql-results+xml"}
    )
    assert media(as_xml) == "application/sparql-results+xml" and "<boolean>true" in as_xml.text


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("text/csv;q=0.5, application/sparql-results+xml;q=0.9", "application/sparql-results+xml"),
        (
            "application/sparql-results+xml;q=0.2, text/tab-separated-values",
            "text/tab-separated-values",
        ),
        ("*/*", "application/sparql-results+json"),
        ("text/*;q=0.9, application/sparql-results+json;q=0.1", "application/sparql-results+xml"),
        ("image/png", "application/sparql-results+json"),
        ("application/json", "application/sparql-results+json"),
    ],
)
def test_accept_header_q_values_and_wildcards(
    client: httpx.Client, accept: str, expected: str
) -> None:
    response = client.get("/sparql", params={"query": COUNT_CLAIMS}, headers={"Accept": accept})
    assert response.status_code == 200 and media(response) == expected


def test_construct_negotiation_skips_result_formats(client: httpx.Client) -> None:
    # rdflib's SPARQLStore asks for both kinds in one header.
    accept = "application/sparql-results+xml, application/rdf+xml"
    response = client.get(
        "/sparql",
        params={"query": "CONSTRUCT WHERE { ?c rg:claimId ?id }"},
        headers={"Accept": accept},
    )
    assert media(response) == "application/rdf+xml"


# -- the dataset: FROM, FROM NAMED, default-graph-uri, named-graph-uri ----------------------


def test_default_and_named_graph_parameters(client: httpx.Client) -> None:
    everything = count(client.get("/sparql", params={"query": COUNT_CLAIMS}))
    only_pub = client.get(
        "/sparql", params={"query": COUNT_CLAIMS, "default-graph-uri": PUBLIC_GRAPH}
    )
    assert count(only_pub) == 2 < everything
    graphs = client.post(
        "/sparql",
        data={
            "query": "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }",
            "named-graph-uri": [PUBLIC_GRAPH],
        },
    )
    assert [r["g"] for r in rows(graphs)] == [PUBLIC_GRAPH]
    body = client.post(
        "/sparql",
        params={"default-graph-uri": PUBLIC_GRAPH},
        content=COUNT_CLAIMS,
        headers={"Content-Type": "application/sparql-query"},
    )
    assert count(body) == 2


def test_from_and_from_named_in_the_query(client: httpx.Client) -> None:
    query = f"SELECT (COUNT(?c) AS ?n) FROM <{PUBLIC_GRAPH}> WHERE {{ ?c rg:claimId ?id }}"
    assert count(client.get("/sparql", params={"query": query})) == 2
    named = f"SELECT DISTINCT ?g FROM NAMED <{PUBLIC_GRAPH}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}"
    assert [r["g"] for r in rows(client.get("/sparql", params={"query": named}))] == [PUBLIC_GRAPH]
    # the parameters win over FROM
    overridden = client.get(
        "/sparql",
        params={"query": query, "default-graph-uri": "https://w3id.org/recruitgraph/dataset/synth"},
    )
    assert count(overridden) > 2


# -- errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("request_kwargs", "status", "words"),
    [
        ({"method": "GET", "params": {"query": "SELECT WHERE {"}}, 400, "malformed"),
        ({"method": "GET", "params": {"query": "SELEC * WHERE { ?s ?p ?o }"}}, 400, "SPARQL"),
        ({"method": "GET", "params": {"query": ["ASK {}", "ASK {}"]}}, 400, "one query"),
        ({"method": "GET", "params": {"update": "CLEAR GRAPH <http://x>"}}, 400, "POST"),
        ({"method": "GET", "params": {"query": "ASK {}", "format": "pdf"}}, 400, "unknown format"),
        ({"method": "POST", "data": {"query": "ASK {}", "update": "CLEAR ALL"}}, 400, "not both"),
        ({"method": "POST", "data": {"query": ["ASK {}", "ASK {}"]}}, 400, "one query"),
        ({"method": "POST", "data": {"format": "json"}}, 400, "query"),
        ({"method": "POST", "data": {"query": "  "}}, 400, "empty"),
        (
            {
                "method": "POST",
                "params": {"query": "ASK {}"},
                "content": "ASK {}",
                "headers": {"Content-Type": "application/sparql-query"},
            },
            400,
            "once",
        ),
        (
            {
                "method": "POST",
                "content": b"\xff\xfe",
                "headers": {"Content-Type": "application/sparql-query"},
            },
            400,
            "UTF-8",
        ),
        (
            {"method": "POST", "content": "ASK {}", "headers": {"Content-Type": "text/plain"}},
            415,
            "content type",
        ),
        ({"method": "POST", "content": "ASK {}"}, 415, "content type"),
        ({"method": "POST", "files": {"query": ("q.rq", b"ASK {}")}}, 415, "content type"),
    ],
)
def test_protocol_errors_are_clear_and_never_500(
    client: httpx.Client, request_kwargs: dict, status: int, words: str
) -> None:
    kwargs = dict(request_kwargs)
    method = kwargs.pop("method")
    response = client.request(method, "/sparql", **kwargs)
    assert response.status_code == status, response.text
    body = response.json()
    assert body["status"] == status and words.lower() in body["error"].lower()
    assert "Traceback" not in response.text


def test_parser_message_names_the_position(client: httpx.Client) -> None:
    response = client.get("/sparql", params={"query": "SELECT * WHERE { ?s ?p }"})
    assert response.status_code == 400
    assert "1:" in response.json()["error"] or "line 1" in response.json()["error"]


# -- service description and the query page ------------------------------------------------


def test_service_description(client: httpx.Client) -> None:
    for headers in ({"Accept": "text/turtle"}, {}):
        response = client.get("/sparql", headers=headers)
        assert response.status_code == 200 and media(response) == "text/turtle"
        graph = list(ox.parse(response.content, format=ox.RdfFormat.TURTLE))
        sd = "http://www.w3.org/ns/sparql-service-description#"
        types = {t.object.value for t in graph if t.predicate.value.endswith("#type")}
        assert sd + "Service" in types
        names = {t.object.value for t in graph if t.predicate.value == sd + "name"}
        assert PUBLIC_GRAPH in names and SECRET_GRAPH not in names
        languages = {t.object.value for t in graph if t.predicate.value == sd + "supportedLanguage"}
        assert {sd + "SPARQL11Query", sd + "SPARQL11Update"} <= languages
    as_jsonld = client.get("/sparql", headers={"Accept": "application/ld+json"})
    assert media(as_jsonld) == "application/ld+json"


def test_query_page_for_browsers_has_no_cdn(client: httpx.Client) -> None:
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    page = client.get("/sparql", headers={"Accept": browser})
    assert page.status_code == 200 and media(page) == "text/html"
    html = page.text
    assert 'id="yasgui"' in html and "/static/sparql.js" in html and "/static/sparql.css" in html
    assert 'src="http' not in html and 'href="http' not in html.replace('href="/', "")
    # What the editor completes comes with the page, from the model.
    assert '"rg:FundingFlow"' in html and '"schema:amount"' in html
    script = client.get("/static/sparql.js")
    assert script.status_code == 200 and "rg:FundingFlow" in script.text  # example queries
    assert "http" not in script.text  # no address: it asks the server it came from, only
    for asset in ("yasgui.min.js", "yasgui.min.css"):
        assert client.get(f"/static/vendor/yasgui/{asset}").status_code == 200
    assert client.get("/static/sparql.css").status_code == 200


# -- limits ----------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", [*RESULT_TYPES, "turtle"])
def test_result_row_cap_cuts_cleanly(client: httpx.Client, fmt: str) -> None:
    query = "CONSTRUCT WHERE { ?s ?p ?o }" if fmt == "turtle" else "SELECT * WHERE { ?s ?p ?o }"
    response = client.get("/sparql", params={"query": query, "format": fmt})
    assert response.status_code == 200
    assert response.headers["x-sparql-maxrows"] == str(MAX_ROWS)
    if fmt == "turtle":
        assert len(list(ox.parse(response.content, format=ox.RdfFormat.TURTLE))) == MAX_ROWS
    else:
        assert len(rows(response)) == MAX_ROWS
    small = client.get(
        "/sparql", params={"query": COUNT_CLAIMS, "format": fmt if fmt != "turtle" else "json"}
    )
    assert "x-sparql-maxrows" not in small.headers


HEAVY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"


def test_time_limit_stops_a_heavy_query_while_others_are_answered(live: LiveServer) -> None:
    before_pid = live.engine_pid()
    restarts = httpx.get(f"{live.base}/healthz").json()["engine_restarts"]

    def heavy() -> tuple[int, float, str]:
        started = time.monotonic()
        response = httpx.get(f"{live.base}/sparql", params={"query": HEAVY}, timeout=60)
        return response.status_code, time.monotonic() - started, response.text

    with ThreadPoolExecutor(2) as pool:
        running = pool.submit(heavy)
        time.sleep(0.5)
        # A second client is answered while the heavy query runs.
        answered = []
        for _ in range(5):
            started = time.monotonic()
            light = httpx.get(f"{live.base}/sparql", params={"query": COUNT_CLAIMS}, timeout=60)
            answered.append((light.status_code, time.monotonic() - started))
            time.sleep(0.2)
        assert not running.done()
        status, elapsed, text = running.result(timeout=60)
    assert all(code == 200 for code, _ in answered)
    assert max(seconds for _, seconds in answered) < 1.5
    assert status == 503 and "time limit" in json.loads(text)["error"]
    assert QUERY_TIMEOUT - 0.5 < elapsed < QUERY_TIMEOUT + 5
    # The engine process that ran it was killed, and a new one answers (once it has started:
    # seconds on a busy machine, when /healthz says "degraded" meanwhile).
    deadline = time.monotonic() + 60
    while (health := httpx.get(f"{live.base}/healthz")).status_code != 200:
        assert time.monotonic() < deadline, health.text
        time.sleep(0.5)
    after = health.json()
    assert after["engine_restarts"] == restarts + 1
    assert count(httpx.get(f"{live.base}/sparql", params={"query": COUNT_CLAIMS})) > 2
    assert before_pid is not None and live.engine_pid() not in (None, before_pid)
    assert not _alive(before_pid)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split()[2] != "Z"
    except FileNotFoundError:
        return False


# -- no outbound requests --------------------------------------------------------------------


@pytest.fixture
def listener() -> Iterator[tuple[str, list[str]]]:
    """A loopback HTTP server that records every request it receives."""
    received: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def _record(self) -> None:
            received.append(f"{self.command} {self.path}")
            self.send_response(200)
            self.send_header("Content-Type", "application/sparql-results+json")
            self.end_headers()
            self.wfile.write(b'{"head":{"vars":[]},"results":{"bindings":[{}]}}')

        do_GET = do_POST = _record

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/sparql", received
    finally:
        server.shutdown()
        server.server_close()


def test_service_and_load_are_refused_and_nothing_is_fetched(
    live: LiveServer, listener: tuple[str, list[str]]
) -> None:
    url, received = listener
    queries = [
        f"SELECT * WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ SERVICE SILENT <{url}> {{ ?s ?p ?o }} }}",
        f"PREFIX remote: <{url[:-6]}> SELECT * WHERE {{ SERVICE remote:sparql {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ \\u0053ERVICE <{url}> {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ BIND(<{url}> AS ?e) SERVICE ?e {{ ?s ?p ?o }} }}",
    ]
    with live.client() as anonymous:
        for query in queries:
            response = anonymous.get("/sparql", params={"query": query})
            assert response.status_code == 400, query
            assert "SERVICE" in response.json()["error"]
    with live.client("admin") as admin:
        for update in (
            f"LOAD <{url}>",
            f"LOAD SILENT <{url}> INTO GRAPH <{PUBLIC_GRAPH}>",
            f"INSERT {{ GRAPH <{PUBLIC_GRAPH}> {{ ?s ?p ?o }} }} "
            f"WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}",
        ):
            response = admin.post("/sparql", data={"update": update})
            assert response.status_code == 400, update
            assert "not allowed" in response.json()["error"]
    assert received == []


def test_service_on_the_allow_list_is_reached(live: LiveServer, oxigraph_server: str) -> None:
    httpx.post(
        f"{oxigraph_server}/update",
        data={"update": "INSERT DATA { <http://example.org/a> <http://example.org/b> 'remote' }"},
    ).raise_for_status()
    query = f"SELECT ?o WHERE {{ SERVICE <{oxigraph_server}/query> {{ ?s ?p ?o }} }}"
    response = httpx.get(f"{live.base}/sparql", params={"query": query})
    assert response.status_code == 200, response.text
    assert "remote" in [r["o"] for r in rows(response)]


def test_every_example_query_runs_and_no_sum_mixes_levels_with_totals() -> None:
    """The query page's and the API docs' example queries run on the default dataset, and a
    query that adds amounts says which amount basis it adds: per-recruit levels are never
    summed with totals."""
    import re
    from pathlib import Path

    from api.routes.sparql import _QUERY_EXAMPLES
    from graph.sparql import run_query
    from graph.store import EmbeddedStore

    script = (Path(__file__).resolve().parent.parent / "api" / "static" / "sparql.js").read_text()
    examples = dict(re.findall(r'\["([^"]+)", `([^`]+)`\]', script))
    examples.update({name: e["value"] for name, e in _QUERY_EXAMPLES.items()})
    assert len(examples) >= 6
    store = EmbeddedStore()
    with_default_dataset(store)
    for name, text in examples.items():
        rows = list(run_query(store, text))
        assert rows, name
        if "SUM(?amount)" in text:
            assert "rg:amountBasis rg:TotalAmount" in text, name
