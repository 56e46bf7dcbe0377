"""One store interface over two kinds of backing store.

* :class:`EmbeddedStore` — pyoxigraph's on-disk store in a data directory (the default), or in
  memory when no directory is given (tests, notebooks).
* :class:`RemoteStore` — any SPARQL 1.1 Query/Update endpoint (Oxigraph server, Fuseki, …).

Everything above this module speaks SPARQL or quads and never asks which kind it has.

Atomic replacement of a named graph
-----------------------------------
A load first writes its quads into a fresh *staging* graph (fast, possibly in several steps),
then switches them in with one SPARQL update — ``MOVE`` staging ``TO`` the target plus the
version bump — which both engines execute as one transaction. A crash while staging leaves only
an invisible staging graph, which :meth:`Store.drop_stale_staging` removes; a crash never
leaves a half-replaced dataset.

Version counter
---------------
Every write bumps an integer kept in the internal system graph, in the same transaction as the
write, so caches keyed on it (the networkx projection) are invalidated by writes from any
process.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import time
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from itertools import islice
from pathlib import Path
from typing import Any

import httpx
import pyoxigraph as ox

from graph.namespaces import RG, STAGING, SYSTEM_GRAPH

QueryResult = ox.QuerySolutions | ox.QueryBoolean | Iterable[ox.Triple]
Progress = Callable[[int], None]

_BUMP_VERSION = f"""
DELETE {{ GRAPH <{SYSTEM_GRAPH}> {{ <{SYSTEM_GRAPH}> <{RG}storeVersion> ?old }} }}
INSERT {{ GRAPH <{SYSTEM_GRAPH}> {{ <{SYSTEM_GRAPH}> <{RG}storeVersion> ?new }} }}
WHERE {{
  OPTIONAL {{ GRAPH <{SYSTEM_GRAPH}> {{ <{SYSTEM_GRAPH}> <{RG}storeVersion> ?old }} }}
  BIND(COALESCE(?old + 1, 1) AS ?new)
}}"""
_READ_VERSION = (
    f"SELECT ?v WHERE {{ GRAPH <{SYSTEM_GRAPH}> {{ <{SYSTEM_GRAPH}> <{RG}storeVersion> ?v }} }}"
)
# Staging graphs older than this are abandoned loads (remote stores may have concurrent loaders).
_STALE_STAGING_SECONDS = 3600


class StoreError(Exception):
    """A store could not be opened or did not accept a request; the message says why."""


def _staging_iri() -> str:
    return f"{STAGING}{int(time.time())}-{uuid.uuid4().hex}"


def _staging_age(graph: str, now: float) -> float | None:
    if not graph.startswith(STAGING):
        return None
    try:
        return now - int(graph[len(STAGING) :].split("-", 1)[0])
    except ValueError:
        return now  # not ours to date: treat as stale


def _counted(items: Iterable[Any], progress: Progress | None, every: int = 10_000) -> Iterator[Any]:
    """Yield ``items`` and report how many went by to ``progress`` now and then."""
    count = 0
    for count, item in enumerate(items, 1):
        if progress is not None and count % every == 0:
            progress(count)
        yield item
    if progress is not None:
        progress(count)


def lexical_rows(result: QueryResult) -> list[list[str]]:
    """The rows of a SELECT result, each term as SPARQL's CSV results write it: an IRI, a
    literal's lexical form, ``_:`` and a blank node's id, or "" when unbound.

    The engine writes the CSV and Python's csv module reads it back: no Python object per
    term (a quarter of the time for the 2 million values of 300,000 claims), and the embedded
    engine evaluates and writes without holding the GIL.
    """
    assert isinstance(result, ox.QuerySolutions)
    data = result.serialize(format=ox.QueryResultsFormat.CSV)
    assert data is not None
    reader = csv.reader(io.StringIO(data.decode("utf-8"), newline=""))
    next(reader, None)  # the header
    return list(reader)


class Store(ABC):
    """A quad store that answers SPARQL 1.1 and replaces named graphs atomically."""

    kind: str
    location: str

    @abstractmethod
    def query(
        self,
        sparql: str,
        *,
        default_graph: Sequence[str] | None = None,
        named_graphs: Sequence[str] | None = None,
        prefixes: Mapping[str, str] | None = None,
    ) -> QueryResult:
        """Run a SPARQL query; the graph lists, when given, are the only graphs it sees.

        ``prefixes`` are declared for the query unless it declares them itself.
        """

    @abstractmethod
    def _execute_update(self, sparql: str) -> None:
        """Run a SPARQL update as one transaction."""

    @abstractmethod
    def _stage(self, staging: str, triples: Iterable[ox.Triple]) -> None:
        """Write ``triples`` into the (new, invisible) graph ``staging``."""

    @abstractmethod
    def graph_names(self) -> list[str]:
        """IRIs of all named graphs, the internal ones included."""

    @abstractmethod
    def quads(self, graph: str) -> Iterator[ox.Quad]:
        """All quads of one named graph."""

    def statements(self, graph: str, predicate: str) -> Iterator[tuple[str, str]]:
        """(subject, object) of each statement of ``predicate`` in the named graph ``graph``,
        each term as SPARQL's CSV results write it: an IRI, a literal's lexical form, or ``_:``
        and a blank node's id."""
        text = f"SELECT ?s ?o WHERE {{ GRAPH <{graph}> {{ ?s <{predicate}> ?o }} }}"
        rows = lexical_rows(self.query(text, default_graph=[], named_graphs=[graph]))
        yield from ((s, o) for s, o in rows)

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release the store (the on-disk lock for the embedded kind)."""

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def update(self, sparql: str) -> None:
        """Run a SPARQL update and bump the version, in one transaction."""
        self._execute_update(f"{sparql.rstrip().rstrip(';')} ;\n{_BUMP_VERSION}")

    @property
    def version(self) -> int:
        """A counter that every write through this interface increases."""
        result = self.query(_READ_VERSION)
        assert isinstance(result, ox.QuerySolutions)
        for row in result:
            return int(row["v"].value)
        return 0

    def replace_graph(
        self, graph: str, triples: Iterable[ox.Triple], *, progress: Progress | None = None
    ) -> None:
        """Make ``triples`` the whole content of named graph ``graph``, atomically.

        Readers see either the old content or the new one, never a mixture, even if the
        process dies half way (see the module docstring).
        """
        staging = _staging_iri()
        try:
            self._stage(staging, _counted(triples, progress))
        except BaseException:
            # Best effort: a crash here is also handled by drop_stale_staging later.
            self._try_drop(staging)
            raise
        self.update(f"MOVE SILENT GRAPH <{staging}> TO GRAPH <{graph}>")

    def drop_graph(self, graph: str) -> bool:
        """Delete named graph ``graph``; True if it existed."""
        existed = graph in self.graph_names()
        if existed:
            self.update(f"DROP SILENT GRAPH <{graph}>")
        return existed

    def drop_stale_staging(self, max_age: float = _STALE_STAGING_SECONDS) -> list[str]:
        """Remove staging graphs left behind by loads that died; returns their IRIs."""
        now = time.time()
        stale = [
            g
            for g in self.graph_names()
            if (age := _staging_age(g, now)) is not None and age >= max_age
        ]
        for graph in stale:
            self._try_drop(graph)
        return stale

    def _try_drop(self, graph: str) -> None:
        # Cleanup must never hide the error that led to it.
        with contextlib.suppress(Exception):
            self._execute_update(f"DROP SILENT GRAPH <{graph}>")


class EmbeddedStore(Store):
    """pyoxigraph's store: on disk in ``path``, or in memory when ``path`` is None."""

    kind = "embedded"
    #: Loads bigger than this many triples go through the bulk loader (not transactional,
    #: hence the staging graph).
    BULK_THRESHOLD = 200_000

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.location = str(path) if path is not None else ":memory:"
        if path is None:
            self._store = ox.Store()
            return
        Path(path).mkdir(parents=True, exist_ok=True)
        try:
            self._store = ox.Store(str(path))
        except OSError as error:
            if "lock" in str(error).lower():
                raise StoreError(
                    f"the data directory {path} is in use by another recruitgraph process "
                    "(a running server?); stop it, or send the request to that server"
                ) from None
            raise StoreError(f"cannot open the store in {path}: {error}") from None
        # The lock is exclusive: any staging graph here belongs to a load that died.
        self.drop_stale_staging(max_age=0)

    def query(
        self,
        sparql: str,
        *,
        default_graph: Sequence[str] | None = None,
        named_graphs: Sequence[str] | None = None,
        prefixes: Mapping[str, str] | None = None,
    ) -> QueryResult:
        kwargs: dict[str, Any] = {"prefixes": dict(prefixes)} if prefixes else {}
        # pyoxigraph reads an empty list as "no graph", as the protocol's parameters would.
        if default_graph is not None:
            kwargs["default_graph"] = [ox.NamedNode(g) for g in default_graph]
        if named_graphs is not None:
            kwargs["named_graphs"] = [ox.NamedNode(g) for g in named_graphs]
        return self._store.query(sparql, **kwargs)

    def _execute_update(self, sparql: str) -> None:
        self._store.update(sparql)

    def _stage(self, staging: str, triples: Iterable[ox.Triple]) -> None:
        graph = ox.NamedNode(staging)
        quads = (ox.Quad(t.subject, t.predicate, t.object, graph) for t in triples)
        first = list(islice(quads, self.BULK_THRESHOLD))
        if len(first) < self.BULK_THRESHOLD:
            self._store.extend(first)
        else:
            self._store.bulk_extend(_chain(first, quads))

    def graph_names(self) -> list[str]:
        return [g.value for g in self._store.named_graphs() if isinstance(g, ox.NamedNode)]

    def quads(self, graph: str) -> Iterator[ox.Quad]:
        return self._store.quads_for_pattern(None, None, None, ox.NamedNode(graph))

    def statements(self, graph: str, predicate: str) -> Iterator[tuple[str, str]]:
        # Read from the engine's index, without a query: a third less time than having the
        # engine write the statements as CSV and reading them back (300,000 claims).
        blank = ox.BlankNode
        pattern = (None, ox.NamedNode(predicate), None, ox.NamedNode(graph))
        for s, _, o, _ in self._store.quads_for_pattern(*pattern):
            yield (
                "_:" + s.value if type(s) is blank else s.value,
                "_:" + o.value if type(o) is blank else o.value,
            )

    def close(self) -> None:
        if hasattr(self, "_store"):
            self._store.flush()
            del self._store


def _chain(first: list[Any], rest: Iterator[Any]) -> Iterator[Any]:
    yield from first
    yield from rest


class RemoteStore(Store):
    """A SPARQL 1.1 Query/Update endpoint over HTTP.

    ``query_url`` is the query endpoint. ``update_url`` defaults to the same URL, except that
    an endpoint ending in ``/query`` (Oxigraph server, Fuseki) has its update endpoint beside it
    at ``/update``.
    """

    kind = "remote"
    #: Triples per update request; a graph larger than this is staged in several requests.
    CHUNK = 100_000

    def __init__(self, query_url: str, update_url: str | None = None, timeout: float = 300) -> None:
        self.location = query_url
        self.query_url = query_url
        if update_url is None:
            update_url = (
                query_url[: -len("query")] + "update" if query_url.endswith("/query") else query_url
            )
        self.update_url = update_url
        self._http = httpx.Client(timeout=timeout)
        try:
            self.query("ASK {}")
        except StoreError as error:
            raise StoreError(f"no SPARQL endpoint answers at {query_url}: {error}") from None

    def _post(self, url: str, data: dict[str, Any], accept: str) -> httpx.Response:
        try:
            response = self._http.post(url, data=data, headers={"Accept": accept})
        except httpx.HTTPError as error:
            raise StoreError(f"{url}: {error}") from None
        if response.status_code >= 400:
            raise StoreError(
                f"{url} answered {response.status_code}: {response.text.strip()[:500]}"
            )
        return response

    def query(
        self,
        sparql: str,
        *,
        default_graph: Sequence[str] | None = None,
        named_graphs: Sequence[str] | None = None,
        prefixes: Mapping[str, str] | None = None,
    ) -> QueryResult:
        if prefixes:
            # The protocol has no parameter for prefixes: declare them in the text. A PREFIX
            # that the query declares again later wins.
            sparql = "".join(f"PREFIX {p}: <{iri}>\n" for p, iri in prefixes.items()) + sparql
        data: dict[str, Any] = {"query": sparql}
        if default_graph is not None:
            data["default-graph-uri"] = list(default_graph) or [f"{STAGING}none"]
        if named_graphs is not None:
            data["named-graph-uri"] = list(named_graphs) or [f"{STAGING}none"]
        response = self._post(
            self.query_url,
            data,
            "application/sparql-results+json, application/n-triples;q=0.9",
        )
        content_type = response.headers.get("content-type", "").split(";")[0].strip()
        if content_type == "application/n-triples":
            return list(ox.parse(response.content, format=ox.RdfFormat.N_TRIPLES))
        return ox.parse_query_results(response.content, format=ox.QueryResultsFormat.JSON)

    def _execute_update(self, sparql: str) -> None:
        self._post(self.update_url, {"update": sparql}, "*/*")

    def _stage(self, staging: str, triples: Iterable[ox.Triple]) -> None:
        iterator = iter(triples)
        # Blank node labels are scoped to one request: skolemize them so that a graph staged
        # in several requests keeps its blank nodes' identity.
        prefix = f"{STAGING}genid/{uuid.uuid4().hex}/"
        while chunk := list(islice(iterator, self.CHUNK)):
            body = ox.serialize(
                (_skolemized(t, prefix) for t in chunk), format=ox.RdfFormat.N_TRIPLES
            )
            assert body is not None
            self._execute_update(f"INSERT DATA {{ GRAPH <{staging}> {{\n{body.decode()}\n}} }}")

    def graph_names(self) -> list[str]:
        result = self.query("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
        assert isinstance(result, ox.QuerySolutions)
        return [row["g"].value for row in result]

    def quads(self, graph: str) -> Iterator[ox.Quad]:
        name = ox.NamedNode(graph)
        result = self.query(f"SELECT ?s ?p ?o WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")
        assert isinstance(result, ox.QuerySolutions)
        for row in result:
            yield ox.Quad(row["s"], row["p"], row["o"], name)

    def close(self) -> None:
        self._http.close()


def _skolemized(triple: ox.Triple, prefix: str) -> ox.Triple:
    def term(t: Any) -> Any:
        return ox.NamedNode(prefix + t.value) if isinstance(t, ox.BlankNode) else t

    if not isinstance(triple.subject, ox.BlankNode) and not isinstance(triple.object, ox.BlankNode):
        return triple
    return ox.Triple(term(triple.subject), triple.predicate, term(triple.object))


def default_data_dir() -> Path:
    """``$RECRUITGRAPH_DATA_DIR``, else the per-user data directory of recruitgraph."""
    from platformdirs import user_data_dir

    return Path(os.environ.get("RECRUITGRAPH_DATA_DIR") or user_data_dir("recruitgraph"))


def open_store(
    data_dir: str | os.PathLike[str] | None = None,
    store_url: str | None = None,
    *,
    in_memory: bool = False,
) -> Store:
    """Open the configured store: remote if ``store_url`` (or ``$RECRUITGRAPH_STORE_URL``),
    else embedded in ``data_dir`` (default :func:`default_data_dir`), or in memory."""
    store_url = store_url or os.environ.get("RECRUITGRAPH_STORE_URL")
    if store_url:
        return RemoteStore(store_url, os.environ.get("RECRUITGRAPH_UPDATE_URL"))
    if in_memory:
        return EmbeddedStore(None)
    return EmbeddedStore(data_dir if data_dir is not None else default_data_dir())
