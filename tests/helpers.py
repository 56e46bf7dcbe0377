"""Helpers shared by the test modules: claims CSV rows, the CLI, servers on free loopback
ports, and the data and tokens of the live API server. Fixtures live in ``conftest.py``; test
modules import from here and never from one another (tests/test_architecture.py checks it).
"""

from __future__ import annotations

import csv
import io
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit
from xml.etree import ElementTree as ET

import httpx
import pyoxigraph as ox

from graph.ingest import load_default_dataset, load_files
from graph.ingest.claims_csv import COLUMNS
from graph.ingest.synth import write_synthetic
from graph.model.namespaces import dataset_iri
from graph.server.auth import TokenStore
from graph.store import EmbeddedStore, Store

if TYPE_CHECKING:  # Playwright is loaded by the browser tests only
    from playwright.sync_api import Browser, Page, Route

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_http(url: str, process: subprocess.Popen[bytes], seconds: float = 30) -> None:
    """Poll ``url`` until it answers (bounded in time); fail if the process dies first."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode} before answering")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise TimeoutError(f"{url} did not answer within {seconds} s")


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def run_cli(
    *args: str, env: dict[str, str], check: bool = False, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run the installed `recruitgraph` console script."""
    result = subprocess.run(
        [str(BIN / "recruitgraph"), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"recruitgraph {' '.join(args)} failed:\n{result.stderr}")
    return result


# Claims CSV rows: one funding flow and one recruitment of the Tatarstan scheme.
BASE_ROW = {
    "claim_id": "t1",
    "relation": "FundingFlow",
    "subject_kind": "RegionalGovernment",
    "subject": "Government of Tatarstan",
    "subject_code": "RU-TA",
    "object_kind": "RecruitmentScheme",
    "object": "Tatarstan contract bonus scheme",
    "object_code": "",
    "start": "2024-01-01",
    "end": "2024-12-31",
    "date_precision": "month",
    "amount": "400000",
    "currency": "RUB",
    "purpose": "enlistment_bonus",
    "offer_type": "",
    "deceptive": "",
    "action": "",
    "count": "",
    "confidence": "high",
    "source_title": "Illustrative report",
    "source_url": "https://example.org/report?id=1&x=y",
    "source_publisher": "Example",
    "source_date": "2024-02-01",
    "note": "An illustrative claim for the test suite.",
}
SECOND_ROW = {
    **BASE_ROW,
    "claim_id": "t2",
    "relation": "Recruitment",
    "subject_kind": "RecruitmentScheme",
    "subject": "Tatarstan contract bonus scheme",
    "subject_code": "",
    "object_kind": "RecruitCohort",
    "object": "Nepali recruits",
    "object_code": "NP",
    "amount": "",
    "currency": "",
    "purpose": "",
    "offer_type": "security_job",
    "deceptive": "true",
    "count": "12",
}


def csv_rows(text: str) -> list[list[str]]:
    """The rows of CSV ``text`` (SPARQL CSV results, an export), as a CSV reader reads them."""
    return list(csv.reader(io.StringIO(text, newline="")))


def claims_csv(path: Path, *rows: dict[str, str]) -> Path:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS)
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


# The shift from provinces to centre that the analysis tests read.
SOURCE = {"source_title": "Illustrative report", "source_url": "https://example.org/shift"}


def row(
    claim_id: str,
    relation: str,
    subject: tuple[str, str, str],
    obj: tuple[str, str, str],
    start: str,
    **extra: str,
) -> dict[str, str]:
    blank = dict.fromkeys(BASE_ROW, "")
    return {
        **blank,
        **SOURCE,
        "claim_id": claim_id,
        "relation": relation,
        "subject_kind": subject[0],
        "subject": subject[1],
        "subject_code": subject[2],
        "object_kind": obj[0],
        "object": obj[1],
        "object_code": obj[2],
        "start": start,
        "date_precision": "day",
        "confidence": "high",
        "note": f"Illustrative claim {claim_id}.",
        **extra,
    }


CENTRE = ("FederalBody", "Ministry of Defence (illustrative)", "")
REGIONS = [
    ("RegionalGovernment", f"Government of {c}", c)
    for c in ("RU-TA", "RU-BA", "RU-SAM", "RU-OMS", "RU-PER", "RU-KDA")
]


def shift_rows() -> list[dict[str, str]]:
    """2023: each province runs and pays for its own scheme. 2025: the centre coordinates the
    provinces, operates the schemes and pays the bonuses."""
    rows = []
    for i, region in enumerate(REGIONS):
        scheme = ("RecruitmentScheme", f"Scheme {i}", "")
        bonus = {"amount": "100000", "currency": "RUB", "purpose": "enlistment_bonus"}
        rows.append(row(f"a{i}", "Operation", region, scheme, "2023-03-01"))
        rows.append(row(f"b{i}", "FundingFlow", region, scheme, "2023-04-01", **bonus))
        rows.append(row(f"c{i}", "Coordination", CENTRE, region, "2025-03-01"))
        rows.append(row(f"d{i}", "Operation", CENTRE, scheme, "2025-03-01"))
        rows.append(row(f"e{i}", "FundingFlow", CENTRE, scheme, "2025-04-01", **bonus))
    return rows


# The live API server (the `live` fixture): `recruitgraph serve` as a user starts it, over a
# real on-disk store holding a public dataset, a restricted one and a small synthetic one, with
# a token per role. The restricted dataset `secret` marks everything it holds with `zzsecret`
# (labels, notes, source URL) and the amount 987654321, and shares the actor
# `regional-government/ru-ta` with the public data, so that a leak through any route shows up
# as one of those marks.
SECRET_MARKS = ("zzsecret", "987654321", dataset_iri("secret"))
SECRET_GRAPH = dataset_iri("secret")
PUBLIC_GRAPH = dataset_iri("pub")
TATARSTAN = "https://w3id.org/recruitgraph/id/regional-government/ru-ta"
#: Every SPARQL form a caller may read a dataset through, as query templates (``$graph``,
#: ``$actor_iri``, ``$label``, ``$marker``: the dataset's names; tests/test_access_matrix.py).
ACCESS_QUERIES = [
    "SELECT * WHERE { ?s ?p ?o }",
    "SELECT * WHERE { GRAPH ?g { ?s ?p ?o } }",
    "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g",
    "SELECT * WHERE { GRAPH <$graph> { ?s ?p ?o } }",
    "ASK { GRAPH <$graph> { ?s ?p ?o } }",
    "SELECT * FROM <$graph> WHERE { ?s ?p ?o }",
    "SELECT * FROM NAMED <$graph> WHERE { GRAPH ?g { ?s ?p ?o } }",
    "SELECT * FROM <$graph> FROM NAMED <$graph> "
    "WHERE { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } }",
    "SELECT ?s ?o WHERE { ?s ?p ?o FILTER(CONTAINS(LCASE(STR(?o)), '$marker')) }",
    "DESCRIBE <$actor_iri>",
    "DESCRIBE ?s WHERE { ?s rdfs:label ?l FILTER(STR(?l) = '$label') }",
    "CONSTRUCT WHERE { ?s ?p ?o }",
    "CONSTRUCT { ?s ?p ?o } WHERE { GRAPH <$graph> { ?s ?p ?o } }",
    # property paths: two steps either way from the target, and a closure from a public actor
    # that restricted claims name too
    "SELECT ?x WHERE { <$actor_iri> (!rdf:nil|^!rdf:nil)/(!rdf:nil|^!rdf:nil) ?x }",
    f"SELECT ?x WHERE {{ <{TATARSTAN}> (!rdf:nil|^!rdf:nil)* ?x }}",
    "SELECT (SUM(?a) AS ?t) WHERE { ?f schema:amount ?a }",
]
QUERY_TIMEOUT = 3
#: Debian's Virtuoso server (virtuoso-opensource-7-bin), installed by `make test`.
VIRTUOSO = "/usr/bin/virtuoso-t"
#: Rows past which the test Virtuoso cuts a result (its [SPARQL] ResultSetMaxRows).
VIRTUOSO_MAX_ROWS = 5000
#: Its administrator, who may update through /sparql-auth (Digest authentication).
VIRTUOSO_USER = ("dba", "dba")


def start_virtuoso(
    location: Path, max_rows: int = VIRTUOSO_MAX_ROWS, seconds: float = 60
) -> tuple[subprocess.Popen[bytes], str]:
    """Debian's Virtuoso 7 on free loopback ports with a new database in ``location``: its
    process and base URL (/sparql anonymous, /sparql-auth with Digest as VIRTUOSO_USER),
    results cut at ``max_rows``. RuntimeError with the reason (and its log's end) if it is
    missing or does not answer within ``seconds``."""
    if not Path(VIRTUOSO).exists():
        raise RuntimeError(f"{VIRTUOSO} is missing: `make test` installs virtuoso-opensource-7-bin")
    port, sql_port = free_port(), free_port()
    (location / "virtuoso.ini").write_text(
        "[Database]\nDatabaseFile = virtuoso.db\nErrorLogFile = virtuoso.log\n"
        "LockFile = virtuoso.lck\nTransactionFile = virtuoso.trx\n"
        "xa_persistent_file = virtuoso.pxa\nStriping = 0\nTempStorage = TempDatabase\n"
        "[TempDatabase]\nDatabaseFile = virtuoso-temp.db\nTransactionFile = virtuoso-temp.trx\n"
        f"[Parameters]\nServerPort = 127.0.0.1:{sql_port}\nNumberOfBuffers = 10000\n"
        "MaxDirtyBuffers = 6000\nDirsAllowed = .\n"
        f"[HTTPServer]\nServerPort = 127.0.0.1:{port}\nServerThreads = 4\n"
        "MaxClientConnections = 4\n"
        f"[SPARQL]\nResultSetMaxRows = {max_rows}\nMaxQueryExecutionTime = 60\n"
        "MaxQueryCostEstimationTime = 400\n",
        "utf-8",
    )
    process = subprocess.Popen(
        [VIRTUOSO, "-f", "-c", "virtuoso.ini"],
        cwd=location,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(f"{base}/sparql?query=ASK%7B%7D", process, seconds=seconds)
    except (RuntimeError, TimeoutError) as error:
        stop(process)
        log = location / "virtuoso.log"
        tail = log.read_text("utf-8", "replace")[-2000:] if log.exists() else "(no log)"
        raise RuntimeError(f"Virtuoso did not start: {error}\n{tail}") from None
    return process, base


MAX_ROWS = 1000

SECRET_ROWS = [
    {
        **BASE_ROW,
        "claim_id": "s1",
        "relation": "FundingFlow",
        "object_kind": "Recruiter",
        "object": "Zzsecret recruiting bureau",
        "amount": "987654321",
        "purpose": "recruiter_fee",
        "source_title": "Zzsecret leaked ledger",
        "source_url": "https://example.org/zzsecret",
        "note": "Zzsecret: a restricted claim.",
    },
    {
        **BASE_ROW,
        "claim_id": "s2",
        "relation": "Coordination",
        "subject_kind": "FederalBody",
        "subject": "Zzsecret federal office",
        "subject_code": "",
        "object_kind": "RegionalGovernment",
        "object": "Government of Tatarstan",
        "object_code": "RU-TA",
        "amount": "",
        "currency": "",
        "purpose": "",
        "source_title": "Zzsecret memo",
        "source_url": "https://example.org/zzsecret-memo",
        "note": "Zzsecret: the office steers Tatarstan.",
    },
]

ROLES = {
    "reader": ("reader", ()),
    "reader_secret": ("reader", ("secret",)),
    "editor": ("editor", ()),
    "editor_secret": ("editor", ("secret",)),
    "admin": ("admin", ()),
}


@dataclass
class LiveServer:
    """A running ``recruitgraph serve`` and a token per role."""

    base: str
    process: subprocess.Popen[bytes]
    data_dir: Path
    tokens: dict[str, str] = field(default_factory=dict)
    log: Path | None = None

    def client(self, role: str | None = None, **kwargs: object) -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.tokens[role]}"} if role else {}
        return httpx.Client(base_url=self.base, headers=headers, timeout=60, **kwargs)  # type: ignore[arg-type]

    def auth(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}

    def engine_pid(self) -> int | None:
        """The pid of the engine process (the server's child)."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        pids = [int(p) for p in children.read_text().split()] if children.exists() else []
        return pids[0] if pids else None


def build_data(data_dir: Path) -> None:
    """The datasets every API test sees, in the store of ``data_dir``: pub (public), secret
    (restricted), synth (public, synthetic)."""
    with EmbeddedStore(data_dir) as store:
        load_once(store, _api_datasets)


def _api_datasets(store: Store) -> None:
    with tempfile.TemporaryDirectory() as directory:
        work = Path(directory)
        synth = work / "synth.nt"
        write_synthetic(synth, 30, 0.5, 7)
        load_files(store, [claims_csv(work / "pub.csv", BASE_ROW, SECOND_ROW)], "pub")
        load_files(store, [claims_csv(work / "secret.csv", *SECRET_ROWS)], "secret",
                   access="restricted")  # fmt: skip
        load_files(store, [synth], "synth")


#: The named graphs each loader of :func:`load_once` wrote, by loader.
_LOADED: dict[Callable[[Store], object], dict[str, list[ox.Triple]]] = {}


def load_once(store: Store, load: Callable[[Store], object]) -> Store:
    """Write into ``store`` the named graphs that ``load`` writes into an empty store.

    ``load`` runs (reads, checks against the shapes and writes its files) once per test
    session, into a scratch store in memory; every call writes its graphs again as they are,
    in one transaction, which takes a fraction of the parse and validation. Tests of loading
    itself call the loaders, not this.
    """
    graphs = _LOADED.get(load)
    if graphs is None:
        with EmbeddedStore(None) as scratch:
            load(scratch)
            graphs = {
                graph: [ox.Triple(q.subject, q.predicate, q.object) for q in scratch.quads(graph)]
                for graph in scratch.graph_names()
            }
        _LOADED[load] = graphs
    store.replace_graphs(graphs)
    return store


def with_default_dataset(store: Store) -> Store:
    """``store`` with the reference data and the default dataset, as
    :func:`graph.ingest.load_default_dataset` writes them (through :func:`load_once`)."""
    return load_once(store, load_default_dataset)


def start_server(
    data_dir: Path,
    log: Path,
    *options: str,
    env: dict[str, str] | None = None,
    new_session: bool = False,
) -> LiveServer:
    """``recruitgraph serve`` on a free port, its output in ``log``; ``new_session``: in a
    process group of its own, which a test may signal as a terminal or systemd would."""
    port = free_port()
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [str(BIN / "recruitgraph"), "serve", "--port", str(port), *options],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env or dict(os.environ),
            start_new_session=new_session,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(f"{base}/healthz", process, seconds=60)
    except BaseException:
        stop(process)
        raise RuntimeError(f"the server did not start:\n{log.read_text()}") from None
    return LiveServer(base, process, data_dir, log=log)


@contextmanager
def serving_default_dataset(work: Path, *options: str) -> Iterator[LiveServer]:
    """``recruitgraph serve`` (with ``options``) over a store in ``work/data`` holding the
    reference data and the default dataset; stopped on leaving."""
    with EmbeddedStore(work / "data") as store:
        with_default_dataset(store)
    live = start_server(
        work / "data", work / "server.log", "--data-dir", str(work / "data"), *options
    )
    try:
        yield live
    finally:
        stop(live.process)


@contextmanager
def serving(
    data_dir: Path,
    log: Path,
    *options: str,
    roles: Mapping[str, tuple[str, Sequence[str]]] = ROLES,
    env: dict[str, str] | None = None,
    new_session: bool = False,
) -> Iterator[LiveServer]:
    """``recruitgraph serve --data-dir data_dir`` (see :func:`start_server`) with a token per
    name of ``roles`` (its role and dataset grants) in ``.tokens``; stopped on leaving."""
    tokens = TokenStore(data_dir)
    created = {name: tokens.create(role, name, grants) for name, (role, grants) in roles.items()}
    server = start_server(
        data_dir, log, "--data-dir", str(data_dir), *options, env=env, new_session=new_session
    )
    server.tokens = created
    try:
        yield server
    finally:
        if server.process.poll() is None:
            stop(server.process)


def assert_no_secret(text: str, where: str) -> None:
    lowered = text.lower()
    for mark in SECRET_MARKS:
        assert mark.lower() not in lowered, f"{where} reveals {mark!r}"


def wait_until(predicate: object, seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return True
        time.sleep(0.05)
    return False


# --------------------------------------------------------------------------------------------
# Pages in a real browser: Debian's Chromium driven by Playwright (the ``browser`` fixture),
# every request away from 127.0.0.1 blocked and recorded.

CHROMIUM = "/usr/bin/chromium"
#: Headless and quiet: no sandbox (root in CI), and none of Chromium's own background traffic.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]
#: Where browser tests keep their screenshots.
ARTIFACTS = (
    Path(
        os.environ.get("RECRUITGRAPH_TEST_ARTIFACTS", Path(__file__).parents[1] / "test-artifacts")
    )
    / "screenshots"
)


@dataclass
class Watch:
    """What a page did that it should not: console errors, requests away from 127.0.0.1,
    dialogs (an injected ``alert`` would open one)."""

    errors: list[str] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    def assert_clean(self) -> None:
        assert self.errors == [], f"console errors: {self.errors}"
        assert self.outside == [], f"requests leaving 127.0.0.1: {self.outside}"
        assert self.dialogs == [], f"dialogs opened: {self.dialogs}"


def watched_page(browser: Browser, viewport: tuple[int, int] = (1400, 900)) -> tuple[Page, Watch]:
    """A new page of ``viewport`` (width, height) in a context of its own (the caller closes
    ``page.context``) that may only reach 127.0.0.1, and the :class:`Watch` of what it did."""
    context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})
    watch = Watch()

    def only_loopback(route: Route) -> None:
        target = route.request.url
        if urlsplit(target).hostname == "127.0.0.1" or target.startswith(
            ("data:", "blob:", "file:")
        ):
            route.continue_()
        else:
            watch.outside.append(target)
            route.abort()

    context.route("**/*", only_loopback)
    page = context.new_page()
    page.on("console", lambda m: watch.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: watch.errors.append(str(error)))
    page.on("dialog", lambda dialog: (watch.dialogs.append(dialog.message), dialog.dismiss()))
    return page, watch


def screenshot(page: Page, name: str) -> Path:
    """Keep a screenshot of ``page`` as a test artifact (:data:`ARTIFACTS`)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path


# --------------------------------------------------------------------------------------------
# GEXF exports

#: GEXF 1.2 (http://gexf.net/1.2 and its draft namespace): what the schema allows where the
#: export writes values, checked here rule by rule (the XSD is not shipped with the suite).
GEXF_NAMESPACES = ("http://gexf.net/1.2", "http://www.gexf.net/1.2draft")
GEXF_EDGE_TYPES = {"directed", "undirected", "mutual"}
GEXF_VALUES = {
    "boolean": re.compile(r"true|false|1|0"),
    "integer": re.compile(r"[+-]?\d+"),
    "long": re.compile(r"[+-]?\d+"),
    "double": re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?|NaN|-?INF"),
    "float": re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?|NaN|-?INF"),
    "string": re.compile(r".*", re.DOTALL),
}
GEXF_TIMES = {"date": re.compile(r"\d{4}-\d{2}-\d{2}"), "integer": re.compile(r"-?\d+")}


def gexf_problems(path: Path) -> list[str]:
    """Where the GEXF file at ``path`` breaks the rules of GEXF 1.2 that an export can break:
    the namespace and version, edge types (a direction), edge ids unique and their ends among
    the nodes, every attribute value declared for its class and of the declared type, times
    in the graph's time format."""
    root = ET.parse(path).getroot()
    namespace = root.tag[1:].split("}")[0]
    problems = [] if namespace in GEXF_NAMESPACES else [f"namespace {namespace}"]
    if root.get("version") != "1.2":
        problems.append(f"version {root.get('version')}")
    ns = {"g": namespace}
    graph = root.find("g:graph", ns)
    assert graph is not None
    if graph.get("defaultedgetype", "undirected") not in GEXF_EDGE_TYPES:
        problems.append(f"defaultedgetype {graph.get('defaultedgetype')}")
    declared = {
        (block.get("class"), attribute.get("id")): attribute.get("type")
        for block in graph.findall("g:attributes", ns)
        for attribute in block.findall("g:attribute", ns)
    }
    time = GEXF_TIMES.get(graph.get("timeformat", "double"))
    nodes = {node.get("id") for node in graph.findall("g:nodes/g:node", ns)}
    edges = graph.findall("g:edges/g:edge", ns)
    if len({edge.get("id") for edge in edges}) != len(edges):
        problems.append("edge ids repeat")
    for edge in edges:
        if edge.get("type", "directed") not in GEXF_EDGE_TYPES:
            problems.append(f"edge {edge.get('id')}: type {edge.get('type')}")
        if {edge.get("source"), edge.get("target")} - nodes:
            problems.append(f"edge {edge.get('id')}: an end is not a node")
    for kind, elements in (("node", graph.findall("g:nodes/g:node", ns)), ("edge", edges)):
        for element in elements:
            for bound in ("start", "end"):
                value = element.get(bound)
                if value is not None and (time is None or not time.fullmatch(value)):
                    problems.append(f"{kind} {element.get('id')}: {bound} {value}")
            for value in element.findall("g:attvalues/g:attvalue", ns):
                kind_of = declared.get((kind, value.get("for")))
                if kind_of is None:
                    problems.append(f"{kind} {element.get('id')}: undeclared {value.get('for')}")
                elif not GEXF_VALUES[kind_of].fullmatch(value.get("value", "")):
                    problems.append(f"{kind} {element.get('id')}: {value.get('value')} {kind_of}")
    return problems


def all_quads(store: Store) -> set[str]:
    """Every quad of ``store``'s named graphs, as text: what a test compares before and after."""
    return {str(q) for g in store.graph_names() for q in store.quads(g)}
