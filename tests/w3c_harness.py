"""Runs the W3C SPARQL 1.1 test suites (tests/w3c/, copied from w3c/rdf-tests) over HTTP
against a live SPARQL server: ``oxigraph serve`` or ``recruitgraph serve``.

Four suites, counted as issue 14 counts them:

- ``query``: the ``mf:QueryEvaluationTest`` and ``mf:CSVResultFormatTest`` tests of the query
  folders (235; entailment and SERVICE are left out). The test's data is loaded into the
  server (``qt:data`` into the default graph, ``qt:graphData`` as named graphs named by their
  file's IRI), the query is sent by the SPARQL Protocol with its base IRI as a ``BASE``, and
  the answer is compared the W3C way: as a bag of solutions (a sequence under ``ORDER BY``),
  blank nodes up to a one-to-one renaming, numbers of one datatype by value; graphs by
  rdflib's isomorphism.
- ``protocol`` (34) and ``gsp`` (13, the Graph Store Protocol): the HTTP exchanges of the
  manifests (``ht:Request``: method, path, headers, body; ``ht:Response``: expected status,
  boolean, format, RDF body), run in order against the server's endpoints.
- ``syntax`` (94): the ``syntax-query`` tests; a positive one passes when the server answers
  it (2xx), a negative one when it refuses it (4xx).

A :class:`Target` says how to reach a server (its endpoints, its credentials) and how to
load a test's data into it: see :class:`OxigraphTarget` and :class:`RecruitgraphTarget`.
``run_suite(target, suite)`` returns each test's :class:`Outcome`. bench/w3c.py prints the
two servers side by side and records the pass lists (tests/w3c/expected.json);
tests/test_w3c.py checks recruitgraph against them.
"""

from __future__ import annotations

import csv
import io
import json
import re
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import pyoxigraph as ox
import rdflib
from rdflib.collection import Collection
from rdflib.compare import isomorphic

__all__ = [
    "EXPECTED",
    "MAX_ROWS",
    "SUITES",
    "HttpTest",
    "Outcome",
    "OxigraphTarget",
    "QueryTest",
    "RecruitgraphTarget",
    "SyntaxTest",
    "Target",
    "load_tests",
    "run_suite",
]

ROOT = Path(__file__).parent / "w3c"
SPARQL11 = ROOT / "sparql11"
#: The pass lists recorded by ``python bench/w3c.py --write-expected``.
EXPECTED = ROOT / "expected.json"
#: The IRI the suites are published under: the base of their files (data, queries, results).
BASE = "http://www.w3.org/2009/sparql/docs/tests/data-sparql11/"
SUITES = ("query", "protocol", "gsp", "syntax")
QUERY_DIRS = (
    "aggregates", "bind", "bindings", "cast", "construct", "csv-tsv-res", "exists", "functions",
    "grouping", "json-res", "negation", "project-expression", "property-path", "subquery",
)  # fmt: skip
#: The most rows recruitgraph's server answers in the runs (``--max-rows``): no test expects
#: more than 49, and a failing answer of thousands of rows would cost seconds to compare.
MAX_ROWS = 1000
#: Seconds one HTTP exchange may take.
TIMEOUT = 30.0

MF = rdflib.Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
QT = rdflib.Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-query#")
UT = rdflib.Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
HT = rdflib.Namespace("http://www.w3.org/2011/http#")
CNT = rdflib.Namespace("http://www.w3.org/2011/content#")
RS = "http://www.w3.org/2001/sw/DataAccess/tests/result-set#"
XSD = "http://www.w3.org/2001/XMLSchema#"
_NUMERIC = {XSD + t for t in ("integer", "decimal", "double", "float")}
_STATUS = {"OK": 200, "Created": 201, "NoContent": 204, "NotFound": 404}


# -- the tests ---------------------------------------------------------------------------
@dataclass(frozen=True)
class QueryTest:
    """A query evaluation test: data to load, a query, the expected result."""

    id: str
    query: Path
    data: tuple[Path, ...]
    graph_data: tuple[Path, ...]
    result: Path

    @property
    def dataset(self) -> tuple[tuple[Path, ...], tuple[Path, ...]]:
        return self.data, self.graph_data


@dataclass(frozen=True)
class SyntaxTest:
    id: str
    query: Path
    positive: bool


@dataclass(frozen=True)
class Exchange:
    """One HTTP request of a protocol test and what its response must be."""

    method: str
    path: str
    headers: tuple[tuple[str, str], ...]
    body: bytes | None
    statuses: tuple[str, ...]  # "200" or "2xx"
    boolean: bool | None = None
    format: str | None = None
    content_type: str | None = None
    graph: str | None = None  # expected RDF body (Turtle)
    location: str | None = None  # template variable for the Location header


@dataclass(frozen=True)
class HttpTest:
    """A protocol or Graph Store Protocol test: named graphs to load, then exchanges."""

    id: str
    graph_data: tuple[tuple[Path, str], ...]
    exchanges: tuple[Exchange, ...]


Test = QueryTest | SyntaxTest | HttpTest


@dataclass(frozen=True)
class Outcome:
    passed: bool
    detail: str = ""


def file_iri(path: Path) -> str:
    """The published IRI of a suite file."""
    return BASE + path.relative_to(SPARQL11).as_posix()


def _manifest(path: Path) -> rdflib.Graph:
    graph = rdflib.Graph()
    graph.parse(path, format="turtle", publicID=file_iri(path))
    return graph


def _entries(graph: rdflib.Graph) -> Iterator[rdflib.term.Node]:
    for head in graph.objects(None, MF.entries):
        yield from Collection(graph, head)


def _local(manifest: Path, iri: rdflib.term.Node | None) -> Path:
    """The copy here of a file the manifest names."""
    if iri is None:
        raise ValueError(f"{manifest}: a test without its file")
    return SPARQL11 / str(iri).removeprefix(BASE)


def _test_id(folder: str, test: rdflib.term.Node) -> str:
    return f"{folder}/{str(test).rsplit('#', 1)[-1].rsplit('/', 1)[-1]}"


def _query_tests() -> list[QueryTest]:
    tests = []
    for folder in QUERY_DIRS:
        manifest = SPARQL11 / folder / "manifest.ttl"
        graph = _manifest(manifest)
        for test in _entries(graph):
            kind = graph.value(test, rdflib.RDF.type)
            if kind not in (MF.QueryEvaluationTest, MF.CSVResultFormatTest):
                continue
            action = graph.value(test, MF.action)
            result = graph.value(test, MF.result)
            assert action is not None and result is not None
            tests.append(
                QueryTest(
                    id=_test_id(folder, test),
                    query=_local(manifest, graph.value(action, QT.query)),
                    data=tuple(sorted(_local(manifest, d) for d in graph.objects(action, QT.data))),
                    graph_data=tuple(
                        sorted(_local(manifest, d) for d in graph.objects(action, QT.graphData))
                    ),
                    result=_local(manifest, result),
                )
            )
    return tests


def _syntax_tests() -> list[SyntaxTest]:
    manifest = SPARQL11 / "syntax-query" / "manifest.ttl"
    graph = _manifest(manifest)
    tests = []
    for test in _entries(graph):
        kind = graph.value(test, rdflib.RDF.type)
        if kind in (MF.PositiveSyntaxTest11, MF.NegativeSyntaxTest11):
            query = _local(manifest, graph.value(test, MF.action))
            tests.append(
                SyntaxTest(_test_id("syntax-query", test), query, kind == MF.PositiveSyntaxTest11)
            )
    return tests


def _headers(graph: rdflib.Graph, node: rdflib.term.Node | None) -> dict[str, str]:
    head = graph.value(node, HT.headers)
    if head is None:
        return {}
    return {
        str(graph.value(h, HT.fieldName)).lower(): str(graph.value(h, HT.fieldValue))
        for h in Collection(graph, head)
    }


def _exchange(graph: rdflib.Graph, request: rdflib.term.Node) -> Exchange:
    body_node = graph.value(request, HT.body)
    body = None
    if body_node is not None:
        encoding = str(graph.value(body_node, CNT.characterEncoding) or "UTF-8")
        body = str(graph.value(body_node, CNT.chars)).encode(encoding)
    response = graph.value(request, HT.resp)
    statuses = tuple(
        sorted(
            str(_STATUS[name]) if name in _STATUS else name.removeprefix("StatusCode")
            for s in graph.objects(response, MF.expectedStatus)
            for name in [str(s).rsplit("#", 1)[-1]]
        )
    )
    boolean = graph.value(response, MF.expectedBoolean)
    fmt = graph.value(response, MF.expectedFormat)
    expected_body = graph.value(response, HT.body)
    location = graph.value(response, MF.expectedLocation)
    return Exchange(
        method=str(graph.value(request, HT.methodName)),
        path=str(graph.value(request, HT.absolutePath)),
        headers=tuple(_headers(graph, request).items()),
        body=body,
        statuses=statuses,
        boolean=None if boolean is None else str(boolean) == "true",
        format=None if fmt is None else str(fmt),
        content_type=_headers(graph, response).get("content-type"),
        graph=None if expected_body is None else str(graph.value(expected_body, CNT.chars)),
        location=None if location is None else str(location),
    )


def _http_tests(manifests: Sequence[Path]) -> list[HttpTest]:
    tests = []
    for manifest in manifests:
        graph = _manifest(manifest)
        for test in _entries(graph):
            if graph.value(test, rdflib.RDF.type) not in (
                MF.ProtocolTest,
                MF.GraphStoreProtocolTest,
            ):
                continue
            data = tuple(
                (_local(manifest, graph.value(d, UT.graph)), str(graph.value(d, rdflib.RDFS.label)))
                for d in graph.objects(test, UT.graphData)
            )
            connection = graph.value(test, MF.action)
            head = graph.value(connection, HT.requests)
            assert head is not None, f"{test}: no requests"
            requests = Collection(graph, head)
            tests.append(
                HttpTest(
                    _test_id(manifest.parent.name, test),
                    tuple(sorted(data)),
                    tuple(_exchange(graph, r) for r in requests),
                )
            )
    return tests


@cache
def load_tests(suite: str) -> tuple[Test, ...]:
    """The tests of ``suite`` (one of :data:`SUITES`), in manifest order."""
    if suite == "query":
        return tuple(_query_tests())
    if suite == "syntax":
        return tuple(_syntax_tests())
    if suite == "protocol":
        return tuple(_http_tests([SPARQL11 / "protocol" / "manifest.ttl"]))
    if suite == "gsp":
        folder = SPARQL11 / "graph-store-protocol"
        return tuple(
            _http_tests([folder / "manifest-direct.ttl", folder / "manifest-indirect.ttl"])
        )
    raise ValueError(f"unknown suite {suite!r}; use one of {', '.join(SUITES)}")


# -- the servers -------------------------------------------------------------------------
@cache
def ntriples(path: Path) -> bytes:
    """A data file as N-Triples, its relative IRIs resolved against its published IRI, its
    lexical forms as written (pyoxigraph keeps them; rdflib would normalise some)."""
    fmt = ox.RdfFormat.from_extension(path.suffix[1:]) or ox.RdfFormat.TURTLE
    triples = [q.triple for q in ox.parse(path=path, format=fmt, base_iri=file_iri(path))]
    return ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b""


@dataclass
class Target:
    """How to reach a SPARQL server: its base URL, endpoints and request headers."""

    name: str
    base: str
    query_path: str
    update_path: str
    gsp_path: str
    headers: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.client = httpx.Client(base_url=self.base, headers=self.headers, timeout=TIMEOUT)

    def close(self) -> None:
        self.client.close()

    def clear(self) -> None:
        """Empty the store: the next test starts from nothing."""
        raise NotImplementedError

    def load_default(self, data: bytes) -> None:
        """Load N-Triples as (part of) the default graph."""
        raise NotImplementedError

    def settle(self) -> None:
        """Finish what :meth:`clear` left for later (called once a test's data is loaded)."""

    def forget(self) -> None:
        """A test wrote to the store: what it holds is no longer known."""

    def load_named(self, iri: str, data: bytes) -> None:
        """Load N-Triples as named graph ``iri`` (the Graph Store Protocol)."""
        self._ok(
            self.client.put(
                self.gsp_path,
                params={"graph": iri},
                content=data,
                headers={"content-type": "application/n-triples"},
            ),
            f"PUT graph {iri}",
        )

    def _ok(self, response: httpx.Response, what: str) -> None:
        if response.status_code >= 300:
            raise LoadError(f"{what}: {response.status_code} {response.text[:200]}")


class LoadError(Exception):
    """The server refused a test's data."""


class OxigraphTarget(Target):
    """``oxigraph serve``: /query, /update, /store; the default graph is its own graph."""

    def __init__(self, base: str) -> None:
        super().__init__("oxigraph serve", base, "/query", "/update", "/store")

    def clear(self) -> None:
        self._ok(self.client.post("/update", data={"update": "DROP ALL"}), "DROP ALL")

    def load_default(self, data: bytes) -> None:
        self._ok(
            self.client.post(
                "/store",
                params={"default": ""},
                content=data,
                headers={"content-type": "application/n-triples"},
            ),
            "POST default graph",
        )


class RecruitgraphTarget(Target):
    """``recruitgraph serve`` as an editor: /sparql for queries and updates, /rdf-graphs for
    the Graph Store; the default graph's data is uploaded as a dataset (``shapes=false``:
    arbitrary RDF), named graphs are written by the Graph Store Protocol."""

    def __init__(self, base: str, token: str) -> None:
        super().__init__(
            "recruitgraph", base, "/sparql", "/sparql", "/rdf-graphs",
            {"Authorization": f"Bearer {token}"},
        )  # fmt: skip
        self._parts = 0
        #: The datasets the harness wrote, when it knows them (None: a test may have written
        #: others), and those left to delete once the next test's data is loaded: a dataset
        #: replaced by an upload of the same name is not deleted first. Every write compacts
        #: the store (about 0.1 s), so the writes saved are most of the suite's time.
        self._written: set[str] | None = None
        self._stale: set[str] = set()

    def clear(self) -> None:
        if self._written is None:
            answer = self.client.get("/api/datasets")
            self._ok(answer, "list datasets")
            self._written = {i["name"] for i in answer.json()} - {"reference"}
        self._stale |= self._written
        self._written = set()
        self._parts = 0

    def settle(self) -> None:
        for name in sorted(self._stale):
            # A dataset named by a client's IRI (a graph the Graph Store wrote) is deleted by
            # the Graph Store: its name is no path segment of /api/datasets.
            answer = (
                self.client.delete(self.gsp_path, params={"graph": name})
                if ":" in name
                else self.client.delete(f"/api/datasets/{name}")
            )
            if answer.status_code != 404:
                self._ok(answer, f"delete {name}")
        self._stale.clear()

    def load_default(self, data: bytes) -> None:
        self._parts += 1
        name = f"w3c{self._parts}"
        self._ok(
            self.client.put(
                f"/api/datasets/{name}",
                params={"shapes": "false"},
                content=data,
                headers={"content-type": "application/n-triples"},
            ),
            "upload",
        )
        self._stale.discard(name)
        if self._written is not None:
            self._written.add(name)

    def load_named(self, iri: str, data: bytes) -> None:
        self._written = None  # the Graph Store names its datasets itself
        super().load_named(iri, data)

    def forget(self) -> None:
        self._written = None


# -- comparing answers -------------------------------------------------------------------
Row = dict[str, ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple]


def _key(term: Any) -> Any:
    """What a term is compared by: numbers of one datatype by value, the rest as written."""
    if isinstance(term, ox.BlankNode):
        return ("bnode", term.value)
    if isinstance(term, ox.Literal) and term.datatype.value in _NUMERIC:
        try:
            return ("number", term.datatype.value, Decimal(term.value.strip()))
        except InvalidOperation:
            return str(term)
    return str(term)


def _rows_match(
    expected: list[dict[str, Any]], actual: list[dict[str, Any]], ordered: bool
) -> bool:
    """Bag (or sequence) equality of rows of keys, blank nodes renamed one to one."""
    if len(expected) != len(actual):
        return False
    has_bnodes = any(
        isinstance(v, tuple) and v[0] == "bnode" for r in expected + actual for v in r.values()
    )
    if not has_bnodes:
        if ordered:
            return expected == actual
        freeze = lambda rows: Counter(frozenset(r.items()) for r in rows)  # noqa: E731
        return freeze(expected) == freeze(actual)
    budget = [200_000]  # bounds the search on pathological inputs

    def unify(e: dict[str, Any], a: dict[str, Any], m: dict[Any, Any], r: dict[Any, Any]) -> bool:
        if e.keys() != a.keys():
            return False
        for var, ev in e.items():
            av = a[var]
            e_b = isinstance(ev, tuple) and ev[0] == "bnode"
            a_b = isinstance(av, tuple) and av[0] == "bnode"
            if e_b != a_b:
                return False
            if not e_b:
                if ev != av:
                    return False
            elif m.get(ev, av) != av or r.get(av, ev) != ev:
                return False
            else:
                m[ev], r[av] = av, ev
        return True

    def search(i: int, used: set[int], m: dict[Any, Any], r: dict[Any, Any]) -> bool:
        if i == len(expected):
            return True
        candidates = [i] if ordered else [j for j in range(len(actual)) if j not in used]
        for j in candidates:
            budget[0] -= 1
            if budget[0] < 0:
                return False
            m2, r2 = dict(m), dict(r)
            if unify(expected[i], actual[j], m2, r2) and search(i + 1, used | {j}, m2, r2):
                return True
        return False

    return search(0, set(), {}, {})


def _solutions(results: Any) -> tuple[list[str], list[dict[str, Any]]]:
    variables = [v.value for v in results.variables]
    rows = []
    for solution in results:
        rows.append({v: _key(solution[v]) for v in variables if solution[v] is not None})
    return variables, rows


def _rdf_result_set(path: Path) -> Any:
    """A result set written in RDF (the rs: vocabulary): a boolean, or (variables, rows)."""
    triples = [
        q.triple for q in ox.parse(path=path, format=ox.RdfFormat.TURTLE, base_iri=file_iri(path))
    ]
    by_subject: dict[Any, list[ox.Triple]] = {}
    for t in triples:
        by_subject.setdefault(t.subject, []).append(t)

    def values(subject: Any, prop: str) -> list[Any]:
        return [t.object for t in by_subject.get(subject, []) if t.predicate.value == RS + prop]

    result_set = next(t.subject for t in triples if t.object == ox.NamedNode(RS + "ResultSet"))
    boolean = values(result_set, "boolean")
    if boolean:
        return boolean[0].value == "true"
    variables = [v.value for v in values(result_set, "resultVariable")]
    rows = []
    for solution in values(result_set, "solution"):
        row = {}
        for binding in values(solution, "binding"):
            row[values(binding, "variable")[0].value] = _key(values(binding, "value")[0])
        rows.append(row)
    return variables, rows


def _rdflib_graph(triples: Sequence[ox.Triple]) -> rdflib.Graph:
    """An rdflib graph of pyoxigraph triples, lexical forms kept as written."""

    def term(t: Any) -> rdflib.term.Node:
        if isinstance(t, ox.NamedNode):
            return rdflib.URIRef(t.value)
        if isinstance(t, ox.BlankNode):
            return rdflib.BNode(t.value)
        if t.language:
            return rdflib.Literal(t.value, lang=t.language, normalize=False)
        return rdflib.Literal(t.value, datatype=rdflib.URIRef(t.datatype.value), normalize=False)

    graph = rdflib.Graph()
    for t in triples:
        graph.add((term(t.subject), term(t.predicate), term(t.object)))
    return graph


def _csv_rows(text: str) -> list[dict[str, Any]]:
    """CSV results as rows of cell texts (blank-node labels marked for renaming)."""
    parsed = list(csv.reader(io.StringIO(text.replace("\r\n", "\n").rstrip("\n"))))
    header, cells = parsed[0], parsed[1:]
    return [
        {
            h: ("bnode", c[2:]) if c.startswith("_:") else c
            for h, c in zip(header, row, strict=False)
            if c != ""
        }
        for row in cells
    ]


_ORDER_BY = re.compile(r"ORDER\s+BY", re.IGNORECASE)
_CONSTRUCT = re.compile(r"^\s*(CONSTRUCT|DESCRIBE)\b", re.IGNORECASE | re.MULTILINE)


def query_text(path: Path) -> str:
    """A test's query with its base IRI stated (as a W3C runner passes it to the parser)."""
    return f"BASE <{file_iri(path)}>\n{path.read_text('utf-8')}"


def run_query_test(target: Target, test: QueryTest) -> Outcome:
    query = query_text(test.query)
    suffix = test.result.suffix
    if suffix == ".tsv":  # TSV writes terms as SPARQL does: compared as terms
        suffix = ".tsv-terms"
    accept = {
        ".csv": "text/csv",
        ".tsv-terms": "text/tab-separated-values",
    }.get(suffix, "application/sparql-results+json, application/n-triples;q=0.9")
    answer = target.client.post(
        target.query_path, data={"query": query}, headers={"accept": accept}
    )
    if answer.status_code != 200:
        return Outcome(False, f"{answer.status_code} {answer.text[:200]}")
    media = answer.headers.get("content-type", "").split(";")[0].strip()
    if suffix == ".csv":  # CSV loses datatypes and languages: compared as text
        expected = _csv_rows(test.result.read_text("utf-8"))
        actual = _csv_rows(answer.text)
        return Outcome(_rows_match(expected, actual, ordered=False), "rows differ")
    ordered = bool(_ORDER_BY.search(query))
    if suffix == ".ttl" and "ResultSet" not in test.result.read_text("utf-8"):
        if media not in ("application/n-triples", "text/turtle"):
            return Outcome(False, f"a graph was expected, got {media}")
        fmt = ox.RdfFormat.from_media_type(media) or ox.RdfFormat.N_TRIPLES
        actual_graph = [q.triple for q in ox.parse(answer.content, format=fmt)]
        expected_graph = [
            q.triple
            for q in ox.parse(
                path=test.result, format=ox.RdfFormat.TURTLE, base_iri=file_iri(test.result)
            )
        ]
        same = len(set(expected_graph)) == len(set(actual_graph)) and isomorphic(
            _rdflib_graph(expected_graph), _rdflib_graph(actual_graph)
        )
        return Outcome(same, "" if same else "graphs differ")
    if suffix == ".ttl":
        expected_any = _rdf_result_set(test.result)
    else:
        fmt_name = {
            ".srx": ox.QueryResultsFormat.XML,
            ".tsv-terms": ox.QueryResultsFormat.TSV,
        }.get(suffix, ox.QueryResultsFormat.JSON)
        parsed = ox.parse_query_results(path=test.result, format=fmt_name)
        expected_any = bool(parsed) if isinstance(parsed, ox.QueryBoolean) else _solutions(parsed)
    results_format = ox.QueryResultsFormat.from_media_type(media)
    if results_format is None:
        return Outcome(False, f"results were expected, got {media}")
    got = ox.parse_query_results(answer.content, format=results_format)
    if isinstance(expected_any, bool):
        same = isinstance(got, ox.QueryBoolean) and bool(got) == expected_any
        return Outcome(same, "" if same else f"{bool(got)} instead of {expected_any}")
    if isinstance(got, ox.QueryBoolean):
        return Outcome(False, "a boolean instead of solutions")
    _, expected_rows = expected_any
    _, actual_rows = _solutions(got)
    same = _rows_match(expected_rows, actual_rows, ordered)
    detail = "" if same else f"{len(actual_rows)} rows, {len(expected_rows)} expected"
    return Outcome(same, detail)


def run_syntax_test(target: Target, test: SyntaxTest) -> Outcome:
    answer = target.client.post(target.query_path, data={"query": query_text(test.query)})
    code = answer.status_code
    if test.positive:
        return Outcome(200 <= code < 300, f"{code} {answer.text[:200]}")
    return Outcome(400 <= code < 500, f"{code} {answer.text[:200]}")


def _is_update(exchange: Exchange) -> bool:
    headers = dict(exchange.headers)
    body = exchange.body or b""
    return (
        "sparql-update" in headers.get("content-type", "")
        or body.startswith(b"update=")
        or "update=" in exchange.path
    )


def _url(target: Target, exchange: Exchange, variables: dict[str, str]) -> str:
    path = exchange.path
    for name, value in variables.items():
        path = path.replace(name, value)
    if path.startswith("http"):
        return path  # a Location the server gave
    if path.startswith("/sparql/"):
        endpoint = target.update_path if _is_update(exchange) else target.query_path
        return endpoint + path.removeprefix("/sparql/")
    if path.startswith("/gsp"):
        return target.gsp_path + path.removeprefix("/gsp")
    return path


def _status_ok(code: int, statuses: Sequence[str]) -> bool:
    return any(str(code) == s or (s.endswith("xx") and str(code)[0] == s[0]) for s in statuses)


def _format_ok(answer: httpx.Response, fmt: str, boolean: bool | None) -> str:
    media = answer.headers.get("content-type", "").split(";")[0].strip()
    if fmt == "RDF":
        rdf = ox.RdfFormat.from_media_type(media)
        return "" if rdf is not None else f"RDF expected, got {media}"
    results = ox.QueryResultsFormat.from_media_type(media)
    if results is None:
        return f"{fmt} results expected, got {media}"
    got = ox.parse_query_results(answer.content, format=results)
    if fmt == "boolean":
        if not isinstance(got, ox.QueryBoolean):
            return "a boolean expected"
        if boolean is not None and bool(got) != boolean:
            return f"{bool(got)} instead of {boolean}"
    elif isinstance(got, ox.QueryBoolean):
        return "solutions expected"
    return ""


def run_http_test(target: Target, test: HttpTest) -> Outcome:
    for path, iri in test.graph_data:
        target.load_named(iri, ntriples(path))
    variables: dict[str, str] = {}
    for n, exchange in enumerate(test.exchanges, 1):
        body = exchange.body
        headers = dict(exchange.headers)
        answer = target.client.request(
            exchange.method,
            _url(target, exchange, variables),
            content=body,
            headers=headers,
        )
        where = f"request {n} ({exchange.method} {exchange.path[:60]})"
        if not _status_ok(answer.status_code, exchange.statuses):
            expected = "/".join(exchange.statuses)
            return Outcome(
                False, f"{where}: {answer.status_code}, {expected} expected: {answer.text[:150]}"
            )
        if exchange.location:
            location = answer.headers.get("location")
            if not location:
                return Outcome(False, f"{where}: no Location")
            variables[exchange.location] = location
        if exchange.format is not None:
            problem = _format_ok(answer, exchange.format, exchange.boolean)
            if problem:
                return Outcome(False, f"{where}: {problem}")
        if exchange.content_type is not None:
            media = answer.headers.get("content-type", "").split(";")[0].strip()
            if media != exchange.content_type.split(";")[0].strip():
                return Outcome(False, f"{where}: {media}, {exchange.content_type} expected")
        if exchange.graph is not None:
            fmt = ox.RdfFormat.from_media_type(answer.headers.get("content-type", "").split(";")[0])
            if fmt is None:
                return Outcome(False, f"{where}: not RDF")
            got = [q.triple for q in ox.parse(answer.content, format=fmt, base_iri=BASE)]
            want = [
                q.triple
                for q in ox.parse(exchange.graph, format=ox.RdfFormat.TURTLE, base_iri=BASE)
            ]
            if len(set(want)) != len(set(got)) or not isomorphic(
                _rdflib_graph(want), _rdflib_graph(got)
            ):
                return Outcome(False, f"{where}: {len(got)} triples, not the {len(want)} expected")
    return Outcome(True)


def _prepare(target: Target, test: Test, loaded: list[Any]) -> None:
    """Clear the store and load the test's data, unless the previous test had the same data
    (query tests write nothing, so the store is as that test left it)."""
    key: Any = test.dataset if isinstance(test, QueryTest) else None
    if isinstance(test, SyntaxTest):
        key = "empty"  # a syntax test reads no data and writes none
    if key is not None and loaded and loaded[0] == key:
        return
    loaded.clear()
    target.clear()
    if isinstance(test, QueryTest):
        if test.data:
            target.load_default(b"".join(ntriples(p) for p in test.data))
        for path in test.graph_data:
            target.load_named(file_iri(path), ntriples(path))
    target.settle()
    if key is not None:
        loaded.append(key)


def run_suite(
    target: Target,
    suite: str,
    progress: Callable[[str, Outcome], None] | None = None,
) -> dict[str, Outcome]:
    """Run every test of ``suite`` against ``target``; each test's :class:`Outcome` by id.

    Query tests are run grouped by their data, so that the data is loaded once per group;
    every other test starts from an empty store.
    """
    tests = list(load_tests(suite))
    if suite == "query":
        tests.sort(key=lambda t: repr(t.dataset) if isinstance(t, QueryTest) else "")
    outcomes = {}
    loaded: list[Any] = []
    for test in tests:
        try:
            _prepare(target, test, loaded)
            if isinstance(test, QueryTest):
                outcome = run_query_test(target, test)
            elif isinstance(test, SyntaxTest):
                outcome = run_syntax_test(target, test)
            else:
                target.forget()
                outcome = run_http_test(target, test)
        except LoadError as error:
            loaded.clear()
            outcome = Outcome(False, f"data refused: {error}")
        except (httpx.HTTPError, SyntaxError, ValueError) as error:
            loaded.clear()
            outcome = Outcome(False, f"{type(error).__name__}: {error}")
        outcomes[test.id] = outcome
        if progress is not None:
            progress(test.id, outcome)
    target.clear()
    target.settle()
    return outcomes


def passed(outcomes: dict[str, Outcome]) -> list[str]:
    return sorted(name for name, outcome in outcomes.items() if outcome.passed)


def expected() -> dict[str, Any]:
    """The recorded pass lists: ``{"oxigraph": {suite: [ids]}, "recruitgraph": {...}}``."""
    return json.loads(EXPECTED.read_text("utf-8"))


def timed(function: Callable[[], Any]) -> tuple[Any, float]:
    start = time.monotonic()
    return function(), time.monotonic() - start
