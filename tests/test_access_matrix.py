"""No one gets in where they don't belong (issue 17, item 6), against a live server.

The route matrix: every route of the application (read from the app itself, so that a new
route is probed without anyone adding it here) is called with the restricted dataset's name,
graph IRI and actors as arguments, and with every SPARQL form (GRAPH ?g, FROM, FROM NAMED, the
dataset parameters, DESCRIBE, property paths, the Graph Store Protocol), by an anonymous
caller, a reader and an editor without a grant, and by a reader with one (the control). Those
without the right get answers that hold none of the restricted data's marks and that are the
answers they get for a dataset that does not exist; no write goes through for them, and the
store's version and size stay as they were. The grant holder's answers show the marks, so the
probes can see a leak.

Then the tokens (stored hashed, the stored hash is no key, never in the server's log) and the
outbound requests: SERVICE and LOAD in every spelling reach nothing (a loopback listener counts
the connections it receives: none).
"""

from __future__ import annotations

import json
import os
import re
import socket
import stat
import threading
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from string import Template
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute
from starlette.routing import Mount

from api.app import create_app
from api.deps import Settings
from graph.model.namespaces import ID, dataset_iri
from graph.server.auth import hash_token
from graph.store.formats import formats
from tests.helpers import (
    ACCESS_QUERIES,
    BASE_ROW,
    MAX_ROWS,
    PUBLIC_GRAPH,
    SECRET_MARKS,
    LiveServer,
    build_data,
    claims_csv,
    serving,
)

# -- what the probes name -------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """A dataset and two of its actors, as the probes name them."""

    dataset: str
    actor: str  # an actor found only in this dataset
    label: str  # its label
    other: str  # another one
    marker: str  # a word that only this dataset's data holds

    @property
    def values(self) -> dict[str, str]:
        return {
            "dataset": self.dataset,
            "graph": dataset_iri(self.dataset),
            "actor": self.actor,
            "actor_iri": ID + self.actor,
            "label": self.label,
            "other": self.other,
            "other_iri": ID + self.other,
            "marker": self.marker,
        }

    def render(self, template: str) -> str:
        return Template(template).substitute(self.values)

    def normalize(self, text: str) -> str:
        """``text`` with the names of this target (those a caller sends and an answer may echo)
        put back as placeholders; the marker on its own stays, so that restricted data other
        than the names still shows."""
        for key in ("graph", "actor_iri", "other_iri", "actor", "other", "label"):
            text = text.replace(self.values[key], "${" + key + "}")
            text = text.replace(json.dumps(self.values[key])[1:-1], "${" + key + "}")
        return re.sub(rf"\b{re.escape(self.dataset)}\b", "${dataset}", text)


#: The restricted dataset of the live server (tests/helpers.py: every literal in it holds
#: "zzsecret", and its amount is 987654321).
RESTRICTED = Target(
    "secret",
    "recruiter/zzsecret-recruiting-bureau",
    "Zzsecret recruiting bureau",
    "federal-body/zzsecret-federal-office",
    "zzsecret",
)
#: A dataset that does not exist: a caller without the right must not tell the two apart.
MISSING = Target(
    "nosuch",
    "recruiter/zznosuch-recruiting-bureau",
    "Zznosuch recruiting bureau",
    "federal-body/zznosuch-federal-office",
    "zznosuch",
)
#: The public dataset: writes to it are refused to anonymous callers and readers.
PUBLIC = Target(
    "pub",
    "recruitment-scheme/tatarstan-contract-bonus-scheme",
    "Tatarstan contract bonus scheme",
    "regional-government/ru-ta",
    "tatarstan",
)

#: The SPARQL forms, as queries (``$graph`` etc. are the target's names).
QUERIES = ACCESS_QUERIES
#: ... as updates, each needing the right to read or write the target.
UPDATES = [
    "INSERT DATA { GRAPH <$graph> { <$actor_iri> rdfs:comment 'probe' } }",
    "DELETE WHERE { GRAPH <$graph> { ?s ?p ?o } }",
    "DROP GRAPH <$graph>",
    "CLEAR GRAPH <$graph>",
    f"INSERT {{ GRAPH <{PUBLIC_GRAPH}> {{ ?s ?p ?o }} }} WHERE {{ GRAPH <$graph> {{ ?s ?p ?o }} }}",
    f"ADD <$graph> TO <{PUBLIC_GRAPH}>",
    f"MOVE <$graph> TO <{PUBLIC_GRAPH}>",
    f"COPY <{PUBLIC_GRAPH}> TO <$graph>",
    "WITH <$graph> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }",
]
RDF_BODY = b"<https://example.org/probe> <https://example.org/p> 'probe' .\n"


def _documented_formats(operation: dict[str, Any]) -> list[str]:
    """The formats whose media types an operation's 200 answer documents."""
    media = set(operation.get("responses", {}).get("200", {}).get("content", {}))
    return sorted(f.name for f in formats() if media & set(f.media_types))


#: What each parameter (query, path, form or JSON field) of a route is given, by its name:
#: values naming the target (``$dataset``…) or plain values (or a function of the operation
#: that gives them). A parameter not named here
#: fails the test, so that whoever adds one decides what it is probed with. ``[]``: it names
#: no data and is left at its default.
ARGUMENTS: dict[str, Any] = {
    "name": ["$dataset"],
    "dataset": ["$dataset"],
    "graph": ["$graph"],
    "default": [""],
    "default-graph-uri": ["$graph"],
    "named-graph-uri": ["$graph"],
    "using-graph-uri": ["$graph"],
    "using-named-graph-uri": ["$graph"],
    "id": ["$actor", "$actor_iri", "$other"],
    "actor_id": ["$actor", "$actor_iri", "$label"],
    "actor": ["$actor", "$label"],
    "into": ["regional-government/ru-ta"],
    "source": ["regional-government/ru-ta"],
    "target": ["$actor", "$other"],
    # a job is its starter's alone (tests/test_api_graph.py); an id nobody started, here
    "job_id": ["0123456789abcdefghijklmn"],
    "q": ["$marker"],
    "search": ["$marker"],
    "query": QUERIES,
    "update": UPDATES,
    "format": _documented_formats,
    "access": ["public", "restricted"],
    "kind": ["Recruiter"],
    "kinds": ["Recruiter"],
    "purpose": ["recruiter_fee"],
    "depth": [3],
    "first": ["2024"],
    "second": ["2025"],
    "reason": ["probe"],
    "replace": ["true"],
    "shapes": ["false"],  # arbitrary RDF loaded unchecked: a write like any other
    # the aggregate view's groups: a kind without places, and every kind of party's
    "cell": ["Recruiter|", "RegionalGovernment|", "FederalBody|"],
    # a link of the aggregate view: its relation (its ends are "source" and "target")
    "relation": ["FundingFlow", "Coordination"],
    # the question page's parts: every chart's evidence
    "chart": ["payers", "operators", "enforcement", "burden", "centralization"],
    "file": ["claims.csv"],
    # names no data: left at its default
    **{
        name: []
        for name in [
            "start",
            "end",
            "relations",
            "min_confidence",
            "min_amount",
            "level",
            "basis",
            "aggregates",
            "window",
            "step",
            "top",
            "rounds",
            "by",
            "group_by",
            "granularity",
            "mode",
            "max_length",
            "directed",
            "limit",
            "offset",
            "opened",
            "leave_out",
            "licence",
            "synthetic",
        ]
    },
}
#: Parameters sent whenever a route has them: bounded work.
ALWAYS = {"rounds": 0}
#: Parameters probed together with another one, where the route has it: a dataset parameter
#: with a query, an access level with a graph.
WITH = {
    "access": {"graph": "$graph"},
    "default-graph-uri": {"query": "SELECT * WHERE { ?s ?p ?o }"},
    "named-graph-uri": {"query": "SELECT * WHERE { GRAPH ?g { ?s ?p ?o } }"},
    "using-graph-uri": {
        "update": f"INSERT {{ GRAPH <{PUBLIC_GRAPH}> {{ ?s ?p ?o }} }} WHERE {{ ?s ?p ?o }}"
    },
    "using-named-graph-uri": {
        "update": f"INSERT {{ GRAPH <{PUBLIC_GRAPH}> {{ ?s ?p ?o }} }} "
        "WHERE { GRAPH ?g { ?s ?p ?o } }"
    },
}


# -- the probes, from the application's routes ----------------------------------------------


@dataclass(frozen=True)
class Probe:
    """One request, with placeholders for the target."""

    method: str
    path: str
    params: tuple[tuple[str, str], ...] = ()
    kind: str | None = None  # the body's media type
    body: tuple[tuple[str, Any], ...] | str | None = None

    @property
    def reads(self) -> bool:
        """Whether the request only asks (a SPARQL query by POST is a read)."""
        if self.method in ("GET", "HEAD"):
            return True
        if self.kind == "application/sparql-query":
            return True
        return self.kind == "application/x-www-form-urlencoded" and "query" in dict(self.body or ())

    def send(self, client: httpx.Client, target: Target, csv: bytes) -> httpx.Response:
        path = target.render(self.path)
        params = [(k, target.render(str(v))) for k, v in self.params]
        if self.kind is None:
            return client.request(self.method, path, params=params)
        if self.kind == "multipart/form-data":
            fields = {k: target.render(str(v)) for k, v in dict(self.body or ()).items()}
            name = fields.pop("file")
            return client.request(
                self.method, path, params=params, data=fields,
                files={"file": (name, csv, "text/csv")},
            )  # fmt: skip
        if self.kind == "application/json":
            payload = {k: target.render(str(v)) for k, v in dict(self.body or ()).items()}
            return client.request(self.method, path, params=params, json=payload)
        if self.kind == "application/x-www-form-urlencoded":
            form = {k: target.render(str(v)) for k, v in dict(self.body or ()).items()}
            return client.request(self.method, path, params=params, data=form)
        content = target.render(self.body) if isinstance(self.body, str) else RDF_BODY
        return client.request(
            self.method, path, params=params, content=content,
            headers={"Content-Type": self.kind},
        )  # fmt: skip

    @property
    def names_target(self) -> bool:
        """Whether the request names the target (otherwise it is the same for every one)."""
        return "$" in repr(self)

    def __str__(self) -> str:
        body = f" [{self.kind}] {self.body!r:.90}" if self.kind else ""
        return f"{self.method} {self.path} {dict(self.params)}{body}"


def _values(name: str, where: str, operation: dict[str, Any]) -> list[Any]:
    if name not in ARGUMENTS:
        raise AssertionError(
            f"{where}: the parameter {name!r} is not in ARGUMENTS: say what it is probed with"
        )
    values = ARGUMENTS[name]
    return values(operation) if callable(values) else values


def _variants(
    required: list[str], optional: list[str], where: str, operation: dict[str, Any] | None = None
) -> Iterator[dict[str, Any]]:
    """The required parameters at their first value; then each value of each parameter in
    turn (an optional one on its own, with what WITH pairs it with)."""
    base = {k: v for k, v in ALWAYS.items() if k in (*required, *optional)}
    for name in required:
        values = _values(name, where, operation or {})
        assert values, f"{where}: the required parameter {name!r} needs a value in ARGUMENTS"
        base[name] = values[0]
    yield base
    for name in [*required, *optional]:
        values = _values(name, where, operation or {})
        for value in values[1:] if name in required else values:
            paired = {k: v for k, v in WITH.get(name, {}).items() if k in (*required, *optional)}
            yield {**base, **paired, name: value}


def _body_probes(method: str, path: str, params: dict[str, Any], content: dict) -> Iterator[Probe]:
    where = f"{method} {path}"
    query = tuple(params.items())
    for kind, media in content.items():
        schema = media.get("schema", {})
        if kind == "application/sparql-query":
            yield from (Probe(method, path, query, kind, q) for q in QUERIES)
        elif kind == "application/sparql-update":
            yield from (Probe(method, path, query, kind, u) for u in UPDATES)
        elif schema.get("type") == "object" or "$ref" in schema:
            fields = schema.get("properties", {})
            required = schema.get("required", [])
            for form in _variants(required, [f for f in fields if f not in required], where):
                if form:
                    yield Probe(method, path, query, kind, tuple(form.items()))
        elif kind == "text/turtle":  # one RDF media type stands for the others
            yield Probe(method, path, query, kind, None)


def _all_routes(routes: Iterable[Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    """(prefix, route) for every route, those of included routers too (FastAPI keeps an
    included router as one entry that holds it)."""
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from _all_routes(included.routes, prefix + route.include_context.prefix)
        else:
            yield prefix, route


def route_probes(app: Any) -> list[Probe]:
    """Every probe of every route of ``app``: the operations of its OpenAPI document, the
    routes it leaves out of the document, and its mounts."""
    document = app.openapi()
    schemas = document.get("components", {}).get("schemas", {})
    probes: list[Probe] = []
    documented = set()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            documented.add((method.upper(), path))
            where = f"{method.upper()} {path}"
            parameters = operation.get("parameters", [])
            required = [p["name"] for p in parameters if p.get("required")]
            optional = [p["name"] for p in parameters if not p.get("required")]
            content = operation.get("requestBody", {}).get("content", {})
            for media in content.values():  # resolve a body's schema reference
                ref = media.get("schema", {}).get("$ref")
                if ref:
                    media["schema"] = schemas[ref.rsplit("/", 1)[1]]
            for values in _variants(required, optional, where, operation):
                in_path = {k: v for k, v in values.items() if "{" + k + "}" in path}
                filled = path
                for k, v in in_path.items():
                    filled = filled.replace("{" + k + "}", str(v))
                params = {k: v for k, v in values.items() if k not in in_path}
                if content:  # each body with these parameters
                    probes.extend(_body_probes(method.upper(), filled, params, content))
                else:
                    probes.append(Probe(method.upper(), filled, tuple(params.items())))
    for prefix, route in _all_routes(app.routes):
        if isinstance(route, APIRoute):
            path = prefix + re.sub(r"\{(\w+)(:\w+)?\}", r"{\1}", route.path)
            for method in sorted(route.methods):
                if (method, path) not in documented:
                    names = re.findall(r"\{(\w+)\}", path)
                    for values in _variants(names, [], f"{method} {path}"):
                        filled = path
                        for k, v in values.items():
                            filled = filled.replace("{" + k + "}", str(v))
                        probes.append(Probe(method, filled))
        elif isinstance(route, Mount):
            probes.append(Probe("GET", f"{prefix}{route.path}/$dataset"))
        elif getattr(route, "path", None) and ("GET", prefix + route.path) not in documented:
            probes.append(Probe("GET", prefix + route.path))
    return list(dict.fromkeys(probes))


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The live server of this module: the data and tokens of tests/conftest.py's, with
    nothing on the SERVICE allow-list and a query time limit long enough for a cold engine's
    first metrics report (a stopped query would restart the engine under the other probes).
    Its edits dataset (the default graph's writes) is restricted: an editor without a grant
    may not write it, so that no probe's write goes through."""
    work = tmp_path_factory.mktemp("access")
    data_dir = work / "data"
    build_data(data_dir)
    with serving(
        data_dir, work / "server.log", "--query-timeout", "30",
        "--max-rows", str(MAX_ROWS), "--max-upload-mb", "1", "--edits-access", "restricted",
        env={**os.environ, "PYTHONUNBUFFERED": "1"},  # the log as it goes, for the token test
    ) as server:  # fmt: skip
        yield server


@pytest.fixture(scope="module")
def app_probes(live: LiveServer) -> list[Probe]:
    """The probes of the application the live server runs (built here without starting it:
    its engine starts only in the lifespan)."""
    app = create_app(settings=Settings(data_dir=live.data_dir))
    served = httpx.get(f"{live.base}/openapi.json").json()
    assert served["paths"].keys() == app.openapi()["paths"].keys()  # the same application
    return route_probes(app)


@pytest.fixture(scope="module")
def csv_body(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return claims_csv(tmp_path_factory.mktemp("probe") / "claims.csv", BASE_ROW).read_bytes()


# -- running the matrix ---------------------------------------------------------------------

MARK_WORDS = tuple(m for m in SECRET_MARKS if "://" not in m)  # the graph IRI is a name


@dataclass
class Answer:
    status: int
    text: str
    headers: str


@dataclass
class Run:
    """The answers of one caller to every probe, for the restricted target and the missing
    one."""

    role: str | None
    restricted: dict[Probe, Answer] = field(default_factory=dict)
    missing: dict[Probe, Answer] = field(default_factory=dict)
    public: dict[Probe, Answer] = field(default_factory=dict)


def _answer(response: httpx.Response, target: Target) -> Answer:
    headers = "\n".join(
        f"{k}: {v}" for k, v in response.headers.items() if k not in ("date", "x-request-id")
    )
    text = re.sub(r"request id [0-9a-f]+", "request id ID", response.text)
    text = re.sub(r'"request_id": ?"[0-9a-f]+"', '"request_id":"ID"', text)
    return Answer(response.status_code, target.normalize(text), target.normalize(headers))


def _run(live: LiveServer, role: str | None, probes: list[Probe], csv: bytes) -> Run:
    run = Run(role)
    with live.client(role) as client:
        for probe in probes:
            if role == "reader_secret" and not probe.reads:
                continue  # the control is about reads; the reader without a grant tries writes
            answer = run.restricted[probe] = _answer(
                probe.send(client, RESTRICTED, csv), RESTRICTED
            )
            # An editor may create the missing dataset or write the public one: only reads.
            # The holder's answer is compared only where it shows no mark (the control).
            shown = role == "reader_secret" and _marks(answer.text)
            if probe.names_target and (probe.reads or role != "editor") and not shown:
                run.missing[probe] = _answer(probe.send(client, MISSING, csv), MISSING)
            if not probe.reads and role in (None, "reader"):
                run.public[probe] = _answer(probe.send(client, PUBLIC, csv), PUBLIC)
    return run


def _store_state(live: LiveServer) -> tuple[str, str]:
    """The admin's version (a write to any dataset changes it) and the quads per graph, as an
    admin sees them."""
    with live.client("admin") as admin:
        version = admin.get("/healthz").json()["version"]
        counts = admin.get(
            "/sparql",
            params={"query": "SELECT ?g (COUNT(*) AS ?n) { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"},
        ).text
    return version, counts


@pytest.fixture(scope="module")
def matrix(
    live: LiveServer, app_probes: list[Probe], csv_body: bytes
) -> tuple[dict[str | None, Run], tuple[str, str], tuple[str, str]]:
    before = _store_state(live)
    roles = [None, "reader", "editor", "reader_secret"]
    with ThreadPoolExecutor(len(roles)) as pool:
        runs = list(pool.map(lambda r: _run(live, r, app_probes, csv_body), roles))
    return {run.role: run for run in runs}, before, _store_state(live)


def _marks(text: str) -> list[str]:
    lowered = text.lower()
    return [m for m in MARK_WORDS if m.lower() in lowered]


def test_the_matrix_covers_every_route_and_sparql_form(app_probes: list[Probe]) -> None:
    routes = {(p.method, p.path.split("/$")[0]) for p in app_probes}
    assert ("GET", "/api/export") in routes and ("PUT", "/rdf-graphs") in routes
    assert ("GET", "/viz/assets") in routes  # a route left out of the OpenAPI document
    sparql = [p for p in app_probes if p.path == "/sparql"]
    for text in [*QUERIES, *UPDATES]:
        assert any(text in str(p.body) or text in dict(p.params).values() for p in sparql), text
    assert len(app_probes) < 400  # many small requests, bounded


@pytest.mark.parametrize("role", [None, "reader", "editor"])
def test_no_route_shows_a_restricted_dataset_to_a_caller_without_the_right(
    matrix: tuple[dict[str | None, Run], Any, Any], role: str | None
) -> None:
    run = matrix[0][role]
    who = role or "anonymous"
    failures = []
    for probe, answer in run.restricted.items():
        where = f"{probe} as {who}"
        if answer.status >= 500:
            failures.append(f"{where}: {answer.status} {answer.text[:200]}")
        for text in (answer.text, answer.headers):
            if _marks(text):
                failures.append(f"{where} reveals {_marks(text)}: {text[:300]}")
        missing = run.missing.get(probe)
        if missing is not None and (missing.status, missing.text) != (answer.status, answer.text):
            failures.append(
                f"{where} tells the restricted dataset from a missing one: "
                f"{answer.status} {answer.text[:200]!r} / {missing.status} {missing.text[:200]!r}"
            )
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("role", [None, "reader", "editor"])
def test_no_write_goes_through_without_the_right(
    matrix: tuple[dict[str | None, Run], tuple[str, str], tuple[str, str]], role: str | None
) -> None:
    runs, before, after = matrix
    run = runs[role]
    writes = [p for p in run.restricted if not p.reads]
    assert len(writes) > 20
    failures = [
        f"{probe} as {role or 'anonymous'} ({target}): {answer.status} {answer.text[:200]}"
        for target, answers in (("restricted", run.restricted), ("public", run.public))
        for probe, answer in answers.items()
        if not probe.reads and not 400 <= answer.status < 500
    ]
    assert not failures, "\n".join(failures)
    assert after == before, "the store changed under callers without the right"


def test_the_grant_holder_sees_what_the_others_do_not(
    matrix: tuple[dict[str | None, Run], Any, Any],
) -> None:
    """The control: the holder of a grant is shown the restricted data (a mark, or an answer
    that differs from a missing dataset's) by every read route that takes a target and by
    every SPARQL form, so the probes above can see a leak."""
    run = matrix[0]["reader_secret"]

    def sees(probe: Probe) -> bool:
        answer = run.restricted[probe]
        if _marks(answer.text):
            return True
        missing = run.missing[probe]
        return (answer.status, answer.text) != (
            missing.status,
            missing.text,
        )

    for probe, answer in run.restricted.items():
        assert answer.status < 500, f"{probe}: {answer.text[:300]}"
    naming = [p for p in run.restricted if p.names_target and p.reads]
    routes = {(p.method, p.path.split("/$")[0]) for p in naming}
    blind = routes - {(p.method, p.path.split("/$")[0]) for p in naming if sees(p)}
    # Static files answer 404 whatever the name.
    static = {"/static", "/static-offline-docs", "/viz/assets", "/question/assets"}
    assert {path for _, path in blind} <= static
    assert sum(bool(_marks(run.restricted[p].text)) for p in run.restricted) > 40
    for text in QUERIES:
        if "$" in text:
            assert sees(Probe("GET", "/sparql", (("query", text),))), text
            assert sees(Probe("POST", "/sparql", (), "application/sparql-query", text)), text


def test_the_store_check_sees_a_write(live: LiveServer) -> None:
    """The control of the store check above: a write the grant allows changes it."""
    before = _store_state(live)
    comment = f"<{ID}{RESTRICTED.actor}> rdfs:comment 'written by the grant holder'"
    graph = dataset_iri("secret")
    with live.client("editor_secret") as editor:
        inserted = editor.post(
            "/sparql", data={"update": f"INSERT DATA {{ GRAPH <{graph}> {{ {comment} }} }}"}
        )
        assert inserted.status_code == 200, inserted.text
        assert _store_state(live) != before
        deleted = editor.post(
            "/sparql", data={"update": f"DELETE DATA {{ GRAPH <{graph}> {{ {comment} }} }}"}
        )
        assert deleted.status_code == 200, deleted.text


# -- tokens ---------------------------------------------------------------------------------


def test_the_token_file_holds_hashes_not_tokens(live: LiveServer) -> None:
    path = live.data_dir / "tokens.json"
    text = path.read_text("utf-8")
    for token in live.tokens.values():
        assert token not in text and token.removeprefix("rgt_") not in text
        assert hash_token(token) in text
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_stored_hash_is_no_key(live: LiveServer) -> None:
    """Who reads the token file (a backup, a leak) cannot call with what it holds."""
    records = json.loads((live.data_dir / "tokens.json").read_text("utf-8"))["tokens"]
    admin = next(r for r in records if r["role"] == "admin")
    token = live.tokens["admin"]
    for presented in (
        admin["hash"],
        admin["hash"].removeprefix("sha256:"),
        token[:-1],
        token.upper(),
    ):
        answer = httpx.get(
            f"{live.base}/api/datasets", headers={"Authorization": f"Bearer {presented}"}
        )
        assert answer.status_code == 401, presented


def test_tokens_never_reach_the_log(live: LiveServer) -> None:
    """Good and bad tokens, on answers of every kind (200, 400, 401, 403, 404): the server's
    log names none of them, nor their hashes."""
    bad = ["rgt_" + "x" * 43, live.tokens["reader"][:-2] + "zz", "not-even-a-token"]
    presented = [*live.tokens.values(), *bad]
    probe = "/api/datasets/zz-token-probe"
    for token in presented:
        with httpx.Client(base_url=live.base, headers={"Authorization": f"Bearer {token}"}) as c:
            c.get("/api/datasets")
            c.get(probe)
            c.get("/sparql", params={"query": "SELECT * WHERE {"})
            # refused whoever sends it (400): DROP ALL, once, now drops what the caller may write
            c.post(
                "/sparql",
                data={"update": "INSERT { GRAPH ?g { ?s ?p 1 } } WHERE { GRAPH ?g { ?s ?p ?o } }"},
            )
            answer = c.post("/sparql", data={"update": f"DROP GRAPH <{dataset_iri('zz')}>"})
            assert token not in answer.text and token not in str(answer.headers)
    assert live.log is not None
    log = live.log.read_text()
    assert log.count(probe) >= len(presented)  # the log is written as it goes, and is read
    for token in presented:
        assert token not in log and hash_token(token) not in log, token


# -- no outbound requests -------------------------------------------------------------------


@pytest.fixture
def listener() -> Iterator[tuple[int, list[tuple[str, int]]]]:
    """A TCP listener on a free loopback port: (its port, the peers it accepted)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    sock.settimeout(0.05)
    accepted: list[tuple[str, int]] = []
    done = threading.Event()

    def serve() -> None:
        while not done.is_set():
            try:
                connection, peer = sock.accept()
            except TimeoutError:
                continue
            accepted.append(peer)
            connection.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield sock.getsockname()[1], accepted
    finally:
        done.set()
        thread.join(timeout=5)
        sock.close()


def _outbound_queries(port: int) -> list[str]:
    url = f"http://127.0.0.1:{port}/sparql"
    pattern = "{ ?s ?p ?o }"
    return [
        f"SELECT * WHERE {{ SERVICE <{url}> {pattern} }}",
        f"select * where {{ service <{url}> {pattern} }}",
        f"SELECT * WHERE {{ SeRvIcE SILENT <{url}> {pattern} }}",
        f"SELECT * WHERE {{ SERVICE <HTTP://127.0.0.1:{port}/sparql> {pattern} }}",
        f"SELECT * WHERE {{ SERVICE <http://LocalHost:{port}/> {pattern} }}",
        f"SELECT * WHERE {{ SERVICE <http://127.1:{port}/> {pattern} }}",
        f"SELECT * WHERE {{ SERVICE <http://2130706433:{port}/> {pattern} }}",
        f"SELECT * WHERE {{ {{ SELECT * WHERE {{ SERVICE <{url}> {pattern} }} }} }}",
        f"SELECT * WHERE {{ ?a ?b ?c OPTIONAL {{ SERVICE SILENT <{url}> {pattern} }} }} LIMIT 1",
        f"SELECT * WHERE {{ {{ ?s ?p ?o }} UNION {{ SERVICE <{url}> {pattern} }} }}",
        f"ASK {{ FILTER EXISTS {{ SERVICE <{url}> {pattern} }} }}",
        f"CONSTRUCT {pattern} WHERE {{ SERVICE <{url}> {pattern} }}",
        f"SELECT * WHERE {{ GRAPH ?g {{ SERVICE <{url}> {pattern} }} }}",
        f"SELECT * WHERE {{ VALUES ?e {{ <{url}> }} SERVICE ?e {pattern} }}",
        f"PREFIX r: <http://127.0.0.1:{port}/> SELECT * WHERE {{ SERVICE r:sparql {pattern} }}",
        f"BASE <http://127.0.0.1:{port}/> SELECT * WHERE {{ SERVICE <sparql> {pattern} }}",
        f"SELECT * WHERE {{ \\u0053ERVICE <{url}> {pattern} }}",
    ]


def _outbound_updates(port: int) -> list[str]:
    url = f"http://127.0.0.1:{port}/x"
    into = f"INSERT {{ GRAPH <{PUBLIC_GRAPH}> {{ ?s ?p ?o }} }}"
    return [
        f"LOAD <{url}>",
        f"load <HTTP://127.0.0.1:{port}/x>",
        f"LOAD SILENT <{url}> INTO GRAPH <{PUBLIC_GRAPH}>",
        f"LoAd <http://LocalHost:{port}/x> INTO GRAPH <{PUBLIC_GRAPH}>",
        f"\\u004cOAD <{url}>",
        f"INSERT DATA {{ GRAPH <{PUBLIC_GRAPH}> {{ <{url}> <{url}> 'x' }} }} ; LOAD <{url}>",
        f"{into} WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}",
        f"{into} WHERE {{ {{ SELECT * WHERE {{ SERVICE SILENT <{url}> {{ ?s ?p ?o }} }} }} }}",
        f"WITH <{PUBLIC_GRAPH}> DELETE {{ ?s ?p ?o }} WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}",
    ]


def test_service_and_load_reach_nothing(
    live: LiveServer, listener: tuple[int, list[tuple[str, int]]]
) -> None:
    port, accepted = listener
    before = _store_state(live)
    answers: list[tuple[str, httpx.Response]] = []
    with live.client() as anonymous, live.client("editor") as editor:
        for query in _outbound_queries(port):
            answers.append((query, anonymous.get("/sparql", params={"query": query})))
            answers.append((query, editor.post("/sparql", data={"query": query})))
            answers.append((query, anonymous.post(
                "/sparql", content=query, headers={"Content-Type": "application/sparql-query"}
            )))  # fmt: skip
        for update in _outbound_updates(port):
            answers.append((update, editor.post("/sparql", data={"update": update})))
            answers.append((update, editor.post(
                "/sparql", content=update, headers={"Content-Type": "application/sparql-update"}
            )))  # fmt: skip
    with live.client("admin") as admin:
        for update in _outbound_updates(port):
            answers.append((update, admin.post("/sparql", data={"update": update})))
    time.sleep(0.3)  # a connection made at the last moment is accepted by now
    assert accepted == [], f"{len(accepted)} connections reached the listener"
    for text, answer in answers:
        assert answer.status_code == 400, (text, answer.status_code, answer.text)
        assert re.search(r"SERVICE|LOAD", answer.json()["error"]), (text, answer.text)
    assert _store_state(live) == before


def test_dataset_clauses_and_uploads_fetch_nothing(
    live: LiveServer, listener: tuple[int, list[tuple[str, int]]]
) -> None:
    """FROM, FROM NAMED and the dataset parameters name graphs of the store, never documents
    to fetch; an upload's external entities and remote JSON-LD contexts are not fetched."""
    port, accepted = listener
    url = f"http://127.0.0.1:{port}/doc"
    answers = []
    with live.client() as anonymous:
        for params in (
            {"query": f"SELECT * FROM <{url}> WHERE {{ ?s ?p ?o }}"},
            {"query": f"SELECT * FROM NAMED <{url}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}"},
            {"query": "SELECT * WHERE { ?s ?p ?o }", "default-graph-uri": url},
            {"query": "SELECT * WHERE { GRAPH ?g { ?s ?p ?o } }", "named-graph-uri": url},
        ):
            answers.append(anonymous.get("/sparql", params=params))
    rdfxml = (
        f'<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [<!ENTITY e SYSTEM "{url}">]>\n'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
        'xmlns:rdfs="http://www.w3.org/2000/01/rdf-schema#">\n'
        '<rdf:Description rdf:about="https://example.org/a"><rdfs:label>&e;</rdfs:label>'
        "</rdf:Description>\n</rdf:RDF>\n"
    )
    jsonld = json.dumps({"@context": url, "@id": "https://example.org/a", "label": "x"})
    graph = dataset_iri("outbound-probe")
    with live.client("editor") as editor:
        for body, media in ((rdfxml, "application/rdf+xml"), (jsonld, "application/ld+json")):
            answers.append(editor.put(
                "/rdf-graphs", params={"graph": graph}, content=body,
                headers={"Content-Type": media},
            ))  # fmt: skip
    with live.client("admin") as admin:
        admin.delete("/rdf-graphs", params={"graph": graph})
    time.sleep(0.3)
    assert accepted == [], f"{len(accepted)} connections reached the listener"
    for answer in answers:
        assert answer.status_code < 500, answer.text
        # an error may name the graph (unknown in default-graph-uri), never what a fetch met
        shown = answer.text.replace(f"<{url}>", "<the graph>")
        assert str(port) not in shown or answer.status_code < 300
