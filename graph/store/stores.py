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
leaves a half-replaced dataset. :meth:`Store.replace_graphs` does the same for several graphs
at once (a restore): one staging graph each, one update that moves them all.

Bulk staging
------------
A big file is staged by the engine's own bulk loader, not as Python objects, through
:meth:`Store.staged` (the embedded store; a remote one has none and stages as above), given the
parsed stream a chunk at a time so that memory is bounded by a chunk. The bulk loader writes no
transaction, so the graphs it writes are kept out of sight until one step makes
them visible. A graph new to the store is loaded under its own name, listed as *pending* in the
file ``store-version`` (below) before anything is written: pending graphs are left out of
:meth:`~Store.graph_names` and of the graphs a query sees, and the commit is the write of that
file without them (one ``os.replace``), so no copy of the data is made. A graph that replaces
one is staged under a staging name and moved in by ``MOVE`` as above. When a store opens, the
pending graphs of a load that died are dropped, in bounded transactions.

Version counter
---------------
Every write bumps an integer, so caches keyed on it (the networkx projection) are invalidated by
writes from any process. A remote store keeps it in the internal system graph, bumped in the same
transaction as the write, since other processes write there too. The embedded store is written
by its own process only (the on-disk store is locked to one), so it keeps the counter in memory
and, on disk, in the file ``store-version`` beside the engine's files, written before each write:
a crash can leave the counter ahead of the data, never behind it. Its named graphs are then the
datasets alone, which lets a query over all of them use the engine's union of every graph (one
index scan per pattern instead of one per graph; see :meth:`EmbeddedStore.query`).

Write stamps
------------
Every write also gives each graph it writes a new *stamp*, a random token (:meth:`Store.stamps`),
in the same transaction, so that an answer can name the state of just the datasets its caller
sees (:func:`graph.store.consistency.view_version`): a stamp is drawn afresh, not derived from
the version, so that it tells nothing of other graphs' writes. A write that does not name its
graphs renews the store's own stamp (under :data:`SYSTEM_GRAPH`), which every view includes. The
remote store keeps the stamps in the system graph beside the version; the embedded one, for the
reason above, in memory and in the file ``store-version`` with the version, written before each
write (a crash can leave a stamp renewed for a write that did not land: a view said to have
changed that did not, never the reverse).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import re
import secrets
import socket
import tempfile
import threading
import time
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from itertools import islice
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import pyoxigraph as ox

from graph.errors import RecruitgraphError
from graph.model.namespaces import (
    DESCRIPTION,
    RG,
    STAGING,
    SYSTEM_GRAPH,
    XSD,
    dataset_name,
    described_graph,
)
from graph.store.conformance import Conformance, NonConformingStore, read_probes, write_probes
from graph.store.credentials import Credentials, without_userinfo
from graph.store.descriptions import migrate_descriptions
from graph.store.hidden import HiddenTriples
from graph.store.merge import MergedDefaultGraph

QueryResult = ox.QuerySolutions | ox.QueryBoolean | Iterable[ox.Triple]
Progress = Callable[[int], None]

# One aggregate row whether or not a version is stored yet (MAX of nothing is unbound, and a
# template triple with an unbound variable is left out). Virtuoso 7 inserts nothing for the
# plainer OPTIONAL + BIND(COALESCE(?old + 1, 1)) form, so that its version never moved.
_BUMP_VERSION = f"""
DELETE {{ GRAPH <{SYSTEM_GRAPH}> {{ <{SYSTEM_GRAPH}> <{RG}storeVersion> ?old }} }}
INSERT {{ GRAPH <{SYSTEM_GRAPH}> {{ <{SYSTEM_GRAPH}> <{RG}storeVersion> ?new }} }}
WHERE {{
  {{ SELECT (MAX(?v) AS ?old) (COALESCE(MAX(?v), 0) + 1 AS ?new)
     WHERE {{ GRAPH <{SYSTEM_GRAPH}> {{ <{SYSTEM_GRAPH}> <{RG}storeVersion> ?v }} }} }}
}}"""
_READ_VERSION = (
    f"SELECT ?v WHERE {{ GRAPH <{SYSTEM_GRAPH}> {{ <{SYSTEM_GRAPH}> <{RG}storeVersion> ?v }} }}"
)
_STAMP = f"<{RG}writeStamp>"
_READ_STAMPS = f"SELECT ?g ?s WHERE {{ GRAPH <{SYSTEM_GRAPH}> {{ ?g {_STAMP} ?s }} }}"


def _new_stamps(graphs: Iterable[str] | None) -> dict[str, str]:
    """A fresh stamp for each of ``graphs`` (the store's own, :data:`SYSTEM_GRAPH`, for a write
    that does not name its graphs)."""
    written = [SYSTEM_GRAPH] if graphs is None else graphs
    return {graph: secrets.token_hex(8) for graph in written}


def _renew_stamps(stamps: Mapping[str, str]) -> str:
    """SPARQL update operations that give each graph of ``stamps`` its new stamp."""
    if not stamps:
        return ""
    graphs = " ".join(str(ox.NamedNode(g)) for g in stamps)
    new = " ".join(f"{ox.NamedNode(g)} {_STAMP} {ox.Literal(s)} ." for g, s in stamps.items())
    return (
        f"DELETE {{ GRAPH <{SYSTEM_GRAPH}> {{ ?g {_STAMP} ?old }} }} WHERE {{ VALUES ?g "
        f"{{ {graphs} }} GRAPH <{SYSTEM_GRAPH}> {{ ?g {_STAMP} ?old }} }} ;\n"
        f"INSERT DATA {{ GRAPH <{SYSTEM_GRAPH}> {{ {new} }} }}"
    )


# Staging graphs older than this are abandoned loads (remote stores may have concurrent loaders).
_STALE_STAGING_SECONDS = 3600


class StoreError(RecruitgraphError):
    """A store could not be opened or did not accept a request; the message says why;
    ``status``: the HTTP status a remote store answered with, if it answered."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


#: This machine, as staging graphs name it: a load that died here is known by its process.
_HOST = hashlib.sha256(socket.gethostname().encode()).hexdigest()[:8]


def _staging_iri() -> str:
    """A new staging graph's IRI: its time, machine and process, and a random part."""
    return f"{STAGING}{int(time.time())}-{_HOST}-{os.getpid()}-{uuid.uuid4().hex}"


def _staging_age(graph: str, now: float) -> float | None:
    """How long ago the staging graph ``graph`` was begun (None: not a staging graph); that
    of a process of this machine that is gone, infinite."""
    if not graph.startswith(STAGING):
        return None
    began, _, rest = graph[len(STAGING) :].partition("-")
    host, _, pid = rest.partition("-")
    if host == _HOST and not _alive(int(pid.partition("-")[0] or 0)):
        return float("inf")
    try:
        return now - int(began)
    except ValueError:
        return now  # not ours to date: treat as stale


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def lexical_rows(result: QueryResult) -> list[list[str]]:
    r"""The rows of a SELECT result, each term as its lexical value: an IRI, a literal's
    lexical form, ``_:`` and a blank node's id, or "" when unbound (what SPARQL's CSV results
    give).

    The engine writes the result as SPARQL's TSV and :func:`lexical_reader` reads it back: no
    Python object per term (a quarter of the time for the 2 million values of 300,000 claims),
    and the embedded engine evaluates and writes without holding the GIL.

    Examples
    --------
    >>> store = EmbeddedStore()
    >>> store.update('INSERT DATA { <http://example.org/a,b> <http://example.org/p> "x,\ty" }')
    >>> lexical_rows(store.query("SELECT ?s ?o ?unbound { ?s ?p ?o }"))
    [['http://example.org/a,b', 'x,\ty', '']]
    """
    return list(lexical_reader(lexical_tsv(result)))


def lexical_tsv(result: QueryResult) -> str:
    """A SELECT result as SPARQL's TSV results, written by the engine (the embedded one
    evaluates and writes without holding the GIL): what :func:`lexical_reader` reads.

    TSV, not CSV: the engine's CSV leaves an IRI unquoted even when it holds a comma (legal in
    an IRI), which splits its row; TSV writes every term in its N-Triples form, where a tab or
    a line break can only appear escaped.
    """
    assert isinstance(result, ox.QuerySolutions)
    data = result.serialize(format=ox.QueryResultsFormat.TSV)
    assert data is not None
    return data.decode("utf-8")


def lexical_spool(result: QueryResult) -> IO[str]:
    """A SELECT result as SPARQL's TSV results (:func:`lexical_tsv`), written by the engine
    into a temporary file (removed when it is closed) for :func:`lexical_reader` to read a
    slice at a time.

    The engine writes a file without holding the GIL, as it does a buffer, but neither the
    process's memory nor its peak holds the result: :func:`lexical_tsv` holds it three times
    at once (the engine's buffer, its copy as ``bytes``, the decoded text), 93 MiB each for
    the claims of 100,000 synthetic actors (bench/RESULTS.md, "The projection's results
    spooled to a file").
    """
    assert isinstance(result, ox.QuerySolutions)
    _sweep_spools()
    # (returned open, for the caller to read: closing it removes it)
    spool = tempfile.NamedTemporaryFile(  # noqa: SIM115
        "w+", encoding="utf-8", newline="\n", prefix=f"{_SPOOL}{os.getpid()}-", suffix=".tsv"
    )
    try:
        result.serialize(spool.name, format=ox.QueryResultsFormat.TSV)
    except BaseException:
        spool.close()
        raise
    return spool


#: The names of :func:`lexical_spool`'s files begin with this and the writing process's id.
_SPOOL = "recruitgraph-spool-"


@functools.cache
def _sweep_spools() -> None:
    """Remove the files :func:`lexical_spool` left behind in processes that are gone (an
    engine killed past its time limit while it read a result: a file is removed when it is
    closed, which a killed process never does); once per process."""
    for path in Path(tempfile.gettempdir()).glob(f"{_SPOOL}*.tsv"):
        pid = path.name[len(_SPOOL) :].partition("-")[0]
        if pid.isdigit() and not _alive(int(pid)):
            path.unlink(missing_ok=True)


def lexical_reader(text: str | IO[str]) -> Iterator[list[str]]:
    """The rows of :func:`lexical_tsv`'s ``text`` (or of :func:`lexical_spool`'s file, read
    from its start), one at a time, each term as its lexical value (see :func:`lexical_rows`).

    Read a slice of about :data:`_SLICE` characters at a time, each ending at a row's end (a
    line break: in TSV one inside a value is escaped). Never through ``io.StringIO``, which
    holds its text at four bytes a character: the claims of 300,000 synthetic actors (about
    250 MB of results) took 1 GB more while they were read whole (bench/RESULTS.md, "The engine
    under 2 GiB").
    """
    for rows in _row_slices(text):
        # (an IRI, most terms, is unwrapped here: a call of _lexical per term costs a third
        # of the reading)
        yield from (
            [term[1:-1] if term[:1] == "<" else _lexical(term) for term in row.split("\t")]
            for row in rows
        )


def lexical_values(text: str | IO[str]) -> Iterator[str]:
    """The lexical value of the one term of each row of a result of one column (as
    :func:`lexical_reader` reads it, without a list per row)."""
    for rows in _row_slices(text):
        yield from (term[1:-1] if term[:1] == "<" else _lexical(term) for term in rows)


def _row_slices(text: str | IO[str]) -> Iterator[list[str]]:
    """The rows (lines) of TSV results after their header, a slice of about :data:`_SLICE`
    characters at a time."""
    if isinstance(text, str):
        begin = text.find("\n") + 1  # after the header
        while 0 < begin < len(text):
            end = text.find("\n", begin + _SLICE)
            end = len(text) if end == -1 else end + 1
            rows = text[begin:end].split("\n")
            if rows[-1] == "":
                rows.pop()  # after the last line break
            yield rows
            begin = end
        return
    text.seek(0)
    text.readline()  # the header
    while chunk := text.read(_SLICE) + text.readline():  # (to a row's end)
        rows = chunk.split("\n")
        if rows[-1] == "":
            rows.pop()
        yield rows


#: The characters of a result that :func:`lexical_reader` splits into rows at once.
_SLICE = 1 << 20


# An escape of an N-Triples literal: \uXXXX, \UXXXXXXXX or one character (ECHAR).
_ESCAPE = re.compile(r"\\(?:u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|(.))", re.DOTALL)
_ECHARS = {"t": "\t", "b": "\b", "n": "\n", "r": "\r", "f": "\f"}


def _unescaped(match: re.Match[str]) -> str:
    short, long, char = match.groups()
    if char is None:
        return chr(int(short or long, 16))
    return _ECHARS.get(char, char)


def _lexical(term: str) -> str:
    """The lexical value of one TSV term: ``<iri>``, ``"literal"`` with an optional ``@lang``
    or ``^^<datatype>`` (its closing quote is the last one: a quote inside is escaped), or a
    bare number, boolean, blank node or "" (unbound), which are their own lexical form."""
    first = term[:1]
    if first == "<":
        return term[1:-1]
    if first == '"':
        value = term[1 : term.rindex('"')]
        return _ESCAPE.sub(_unescaped, value) if "\\" in value else value
    return term


class Store(ABC):
    """A quad store that answers SPARQL 1.1 and replaces named graphs atomically."""

    kind: str
    location: str
    #: Whether the graphs a query is given (the protocol's default-graph-uri and
    #: named-graph-uri) win over its own FROM and FROM NAMED, as SPARQL says; False: the
    #: layer above checks the query's dataset clause itself (graph.sparql.query).
    honours_dataset_parameters: bool = True
    #: The directory that holds the store's files, where results derived from it may be kept
    #: (graph.store.disk_cache): only an embedded store on disk, every write of which passes
    #: through this process (None: in memory, or remote).
    directory: Path | None = None

    @abstractmethod
    def query(
        self,
        sparql: str,
        *,
        default_graph: Sequence[str] | None = None,
        named_graphs: Sequence[str] | None = None,
        prefixes: Mapping[str, str] | None = None,
        base_iri: str | None = None,
        ignores_hidden: Callable[[HiddenTriples], bool] | None = None,
    ) -> QueryResult:
        """Run a SPARQL query; the graph lists, when given, are the only graphs it sees.

        ``prefixes`` are declared for the query unless it declares them itself; relative IRIs
        resolve against ``base_iri`` (none: they are malformed) unless it declares a BASE.
        ``ignores_hidden``, given what the store's other graphs hold, says whether the query
        would answer the same over them too (:func:`graph.sparql.union.union_serves`): a store
        may then run it over all its graphs at once, if that is faster.
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
        each term as its lexical value (see :func:`lexical_rows`)."""
        text = f"SELECT ?s ?o WHERE {{ GRAPH <{graph}> {{ ?s <{predicate}> ?o }} }}"
        rows = lexical_rows(self.query(text, default_graph=[], named_graphs=[graph]))
        yield from ((s, o) for s, o in rows)

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release the store (the on-disk lock for the embedded kind)."""

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def update(self, sparql: str, *, graphs: Iterable[str] | None = None) -> None:
        """Run a SPARQL update, bump the version and renew the stamps of ``graphs``, the
        graphs it writes (None: not known, the store's own stamp is renewed), in one
        transaction."""
        stamps = _renew_stamps(_new_stamps(graphs))
        self._execute_update(f"{sparql.rstrip().rstrip(';')} ;\n{_BUMP_VERSION} ;\n{stamps}")

    def stamps(self) -> dict[str, str]:
        """Each graph's write stamp, renewed by every write to it, and the store's own (under
        :data:`SYSTEM_GRAPH`, renewed by writes that do not name their graphs); a graph not
        written since stamps were kept has none. Read it where the version is read (see
        :mod:`graph.store.consistency`): they change in the same transaction."""
        result = self.query(_READ_STAMPS)
        assert isinstance(result, ox.QuerySolutions)
        return {row["g"].value: row["s"].value for row in result}

    @property
    def version(self) -> int:
        """A counter that every write through this interface increases."""
        result = self.query(_READ_VERSION)
        assert isinstance(result, ox.QuerySolutions)
        for row in result:
            return int(row["v"].value)
        return 0

    def stable_version(self) -> int | None:
        """The version, or None while a write is being committed (its data may already be
        seen while the version does not say so yet). Equal before and after a computation:
        no write was committed meanwhile (see :mod:`graph.store.consistency`)."""
        # A remote store bumps its version in the transaction of the write itself.
        return self.version

    def commits_held(self) -> contextlib.AbstractContextManager[Any]:
        """Hold back this process's commits to the store while the block runs (reads only)."""
        return contextlib.nullcontext()

    def replace_graph(
        self, graph: str, triples: Iterable[ox.Triple], *, progress: Progress | None = None
    ) -> None:
        """Make ``triples`` the whole content of named graph ``graph``, atomically.

        Readers see either the old content or the new one, never a mixture, even if the
        process dies half way (see the module docstring).
        """
        self.replace_graphs({graph: triples}, progress=progress)

    def replace_graphs(
        self, contents: Mapping[str, Iterable[ox.Triple]], *, progress: Progress | None = None
    ) -> None:
        """Make each of ``contents``' triples the whole content of its named graph, all in one
        transaction: readers, and a process that dies half way, see every graph old or every
        graph new. Each graph is staged on its own, then one update moves them all in."""
        staged: dict[str, str] = {}
        done = [0]  # triples staged so far, over every graph
        try:
            for graph, triples in contents.items():
                staged[graph] = _staging_iri()
                self._stage(staged[graph], _tallied(triples, done, progress))
            if progress is not None:
                progress(done[0])
        except BaseException:
            # Best effort: a crash here is also handled by drop_stale_staging later.
            for staging in staged.values():
                self._try_drop(staging)
            raise
        self.move_in(staged)

    def move_in(self, staged: Mapping[str, str]) -> None:
        """Make each staging graph of ``staged`` (graph: its staging graph) the whole content
        of its graph, all in one transaction (one update)."""
        self.update(
            " ;\n".join(f"MOVE SILENT GRAPH <{s}> TO GRAPH <{g}>" for g, s in staged.items()),
            graphs=staged,
        )

    def staged(self, graphs: Sequence[str]) -> StagedGraphs | None:
        """A place where the bulk loader writes ``graphs`` out of sight, to be made visible
        together in one step (see the module docstring); None where the store has no bulk
        loader (then :meth:`replace_graphs` stages)."""
        return None

    def drop_graph(self, graph: str) -> bool:
        """Delete named graph ``graph``; True if it existed."""
        return bool(self.drop_graphs([graph]))

    def drop_graphs(self, graphs: Iterable[str], *, compact: bool = True) -> list[str]:
        """Delete the named graphs ``graphs`` in one transaction; those that existed.
        ``compact``: reclaim their space at once where the store can (the embedded one);
        not worth it for graphs of a few triples."""
        present = set(self.graph_names())
        gone = [g for g in dict.fromkeys(graphs) if g in present]
        if gone:
            self.update(" ;\n".join(f"DROP SILENT GRAPH <{g}>" for g in gone), graphs=gone)
        return gone

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


def _tallied(
    triples: Iterable[ox.Triple], done: list[int], progress: Progress | None
) -> Iterator[ox.Triple]:
    """``triples``, counted into ``done[0]`` and told to ``progress`` every 10,000."""
    for triple in triples:
        done[0] += 1
        if progress is not None and done[0] % 10_000 == 0:
            progress(done[0])
        yield triple


class EmbeddedStore(Store):
    """pyoxigraph's store: on disk in ``path``, or in memory when ``path`` is None."""

    kind = "embedded"
    #: Loads bigger than this many triples go through the bulk loader (not transactional,
    #: hence the staging graph).
    BULK_THRESHOLD = 200_000
    #: Triples removed per transaction where a graph out of sight is dropped, the engine's
    #: write buffers flushed after each where there are several (see :meth:`_drop_in_steps`):
    #: removing 1M triples of a 3.8M-triple store held
    #: 690 MB more in steps of 100,000 without the flushes, 118 MB in steps of 20,000 with
    #: them (20 s against 18).
    DROP_STEP = 20_000
    #: Quads the bulk loader is given at a time (:meth:`_bulk_write`): its memory grows with
    #: what one call is given (about 1 GB for 1.1M triples of a file), not with the store.
    #: At 200,000: 292 MB peak and a quarter slower than one call, for 1.1M triples.
    BULK_CHUNK = 200_000

    #: The file of the version counter and the write stamps, in the store's directory: a JSON
    #: array ``[version, {graph: stamp}]`` (a bare number in stores from before stamps).
    VERSION_FILE = "store-version"

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.location = str(path) if path is not None else ":memory:"
        self._version = 0
        self._version_file: Path | None = None
        # A new store's own stamp: no two stores (nor a store and its lost stamps) share views.
        self._stamps = _new_stamps(None)
        # Writes begun and ended (see _writing): a query uses the engine's union of every graph
        # only when no write was under way while it took its snapshot.
        self._writes_begun = 0
        self._writes_ended = 0
        self._count_lock = threading.Lock()
        # Held by each commit (update). Readers that hold commits back (commits_held) are
        # counted per thread under it rather than holding it, so that several may do so at
        # once: one reader waiting for another's computation (graph.store.cache) must not
        # wait for that reader's lock too. A thread's own holds do not hold back its commits.
        self._version_lock = threading.RLock()
        self._commits_allowed = threading.Condition(self._version_lock)
        self._holders: dict[int, int] = {}
        self._committing = False
        self._union_graphs: tuple[int, frozenset[str] | None] = (-1, None)
        # What the graphs a query's union would add hold, per (writes ended, those graphs).
        self._hidden: tuple[tuple[int, frozenset[str]], HiddenTriples] | None = None
        #: Graphs the bulk loader is writing under their own names, out of sight until their
        #: load commits (see :class:`StagedGraphs`); saved in the version file.
        self._pending: frozenset[str] = frozenset()
        self._merge = MergedDefaultGraph(self)
        if path is None:
            self._store = ox.Store()
            return
        try:
            Path(path).mkdir(parents=True, exist_ok=True)
        except OSError as error:  # a file in the way, no permission, a read-only disk
            reason = "it is a file" if Path(path).is_file() else error.strerror or str(error)
            raise StoreError(f"cannot use {path} as the data directory: {reason}") from None
        try:
            self._store = ox.Store(str(path))
        except OSError as error:
            if "lock" in str(error).lower():
                raise StoreError(
                    f"the data directory {path} is in use by another recruitgraph process "
                    "(a running server?); stop it, or send the request to that server"
                ) from None
            raise StoreError(f"cannot open the store in {path}: {error}") from None
        except RuntimeError as error:  # RocksDB found its files damaged ("Corruption: ...")
            reason = str(error).splitlines()[0] if str(error) else type(error).__name__
            raise StoreError(
                f"the store in {path} is damaged and cannot be opened ({reason}); restore it "
                "from an export, or move the directory away to start afresh"
            ) from None
        self.directory = Path(path)
        self._version_file = self.directory / self.VERSION_FILE
        self._version, self._stamps, died = self._open_state()
        # The lock is exclusive: any staging or pending graph here belongs to a load that died,
        # and any remainder graph (graph.store.merge) to a process whose plans are gone.
        for graph in sorted(died):
            self._drop_in_steps(graph)
        if died:
            self._save_state(self._version, self._stamps)
        self.drop_stale_staging(max_age=0)
        self._merge.drop_leftovers()
        migrate_descriptions(self)  # a store of the old layout, in one transaction

    def _open_state(self) -> tuple[int, dict[str, str], list[str]]:
        """The version, write stamps and pending graphs saved in the version file."""
        assert self._version_file is not None
        try:
            text = self._version_file.read_text(encoding="ascii")
        except FileNotFoundError:
            text = "0"
        try:
            state = json.loads(text)
            version, stamps, *rest = (state, None) if isinstance(state, int) else state
            pending = rest[0] if rest else []
        except (ValueError, TypeError):
            raise StoreError(f"{self._version_file} is not a version number") from None
        if stamps is None:  # a store from before stamps: a new own stamp, kept from now on
            stamps = self._stamps
            self._save_state(version, stamps)
        if (
            not isinstance(version, int)
            or not isinstance(stamps, dict)
            or not isinstance(pending, list)
        ):
            raise StoreError(f"{self._version_file} is not a version number")
        # Stores written before the counter moved to the file kept it in the system graph.
        if self._store.contains_named_graph(ox.NamedNode(SYSTEM_GRAPH)):
            version = max(version, super().version)
            self._save_state(version, stamps)
            self._execute_update(f"DROP SILENT GRAPH <{SYSTEM_GRAPH}>")
        return version, stamps, [str(g) for g in pending]

    def _save_state(self, version: int, stamps: Mapping[str, str]) -> None:
        """Save the version, the write stamps and the pending graphs, durably and whole (one
        file: one fsync; for a bulk load, the commit)."""
        if self._version_file is None:
            return
        partial = self._version_file.with_suffix(".partial")
        with open(partial, "w", encoding="ascii") as file:
            # the pending graphs only while there are any: the file of stores before them
            json.dump([version, stamps, *([sorted(self._pending)] if self._pending else [])], file)
            file.flush()
            os.fsync(file.fileno())
        os.replace(partial, self._version_file)

    @property
    def version(self) -> int:
        return self._version

    def stamps(self) -> dict[str, str]:
        return dict(self._stamps)

    def stable_version(self) -> int | None:
        # The writer sets _committing, commits, bumps _version, clears _committing (in that
        # order, under the GIL): reading the flag first, a reader that sees it clear sees the
        # version of every commit that finished.
        if self._committing:
            return None
        return self._version

    @contextlib.contextmanager
    def commits_held(self) -> Iterator[None]:
        me = threading.get_ident()
        with self._version_lock:  # a commit under way ends first
            self._holders[me] = self._holders.get(me, 0) + 1
        try:
            yield
        finally:
            with self._version_lock:
                self._holders[me] -= 1
                if not self._holders[me]:
                    del self._holders[me]
                    self._commits_allowed.notify_all()

    def update(self, sparql: str, *, graphs: Iterable[str] | None = None) -> None:
        self._commit(graphs, lambda: self._execute_update(sparql))

    def _commit(
        self,
        graphs: Iterable[str] | None,
        write: Callable[[], None],
        *,
        reveal: Iterable[str] = (),
    ) -> None:
        """Run ``write`` (one transaction of the engine) as a write of ``graphs``: the version
        bumped and their stamps renewed with it, and the pending graphs ``reveal`` made visible
        (the saving of the version file is their commit)."""
        with self._version_lock:
            me = threading.get_ident()
            while self._holders.keys() - {me}:
                self._commits_allowed.wait()
            new = self._version + 1
            stamps = {**self._stamps, **_new_stamps(graphs)}
            pending = self._pending
            self._pending = pending - frozenset(reveal)
            # Saved first: a crash during the write leaves them ahead, never behind.
            self._save_state(new, stamps)
            self._committing = True
            try:
                write()
            except BaseException:
                self._pending = pending
                self._save_state(self._version, self._stamps)
                raise
            else:
                self._stamps = stamps
                self._version = new
            finally:
                self._committing = False

    def replace_graphs(
        self, contents: Mapping[str, Iterable[ox.Triple]], *, progress: Progress | None = None
    ) -> None:
        if set(self.graph_names()).isdisjoint(contents):
            # Graphs new to the store: written in one transaction of the engine (all or
            # nothing), without the staging copy and the MOVE that a replacement needs. The
            # MOVE was 138 s of a 189 s load of 1.1M triples; one transaction, a fifth of it.
            # Nothing deleted, so nothing to compact (see _compact): compacting here was 6.3 s
            # of a 1.1M load, the whole store compacted for the few triples of the reference.
            self._commit(contents.keys(), lambda: self._insert(contents, progress))
        else:
            super().replace_graphs(contents, progress=progress)
            self._compact()  # the staging copy and the graphs replaced, left as deleted entries

    def staged(self, graphs: Sequence[str]) -> StagedGraphs:
        return StagedGraphs(self, graphs)

    def _hide(self, graphs: Iterable[str]) -> None:
        """List ``graphs`` as pending (out of sight) before anything is written to them."""
        with self._version_lock:
            self._pending |= frozenset(graphs)
            self._save_state(self._version, self._stamps)

    def _drop_in_steps(self, graph: str) -> None:
        """Drop ``graph`` in transactions of at most :data:`DROP_STEP` triples each: a graph
        out of sight (pending or staging) needs no single transaction, and one of a million
        triples held gigabytes. Where there are several steps, each one's deletions are
        flushed from the engine's write buffers, where they would stay until the buffers are
        full (hundreds of MB). Then it is no longer pending."""
        name = ox.NamedNode(graph)
        step = (
            f"DELETE {{ GRAPH {name} {{ ?s ?p ?o }} }} WHERE {{ "
            f"SELECT ?s ?p ?o WHERE {{ GRAPH {name} {{ ?s ?p ?o }} }} LIMIT {self.DROP_STEP} }}"
        )
        count = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH {name} {{ ?s ?p ?o }} }}"
        with self._writing():
            size = int(next(iter(self._store.query(count)))["n"].value)  # type: ignore[arg-type]
            # bounded: each step removes up to DROP_STEP triples of a graph nobody writes to
            for _ in range(size // self.DROP_STEP + 2):
                if not self._store.contains_named_graph(name):
                    break
                if next(iter(self._store.quads_for_pattern(None, None, None, name)), None) is None:
                    self._store.remove_graph(name)
                    break
                self._store.update(step)
                if size > self.DROP_STEP:
                    self._store.flush()  # (a drop of one step leaves no more than one step)
        with self._version_lock:
            self._pending -= {graph}

    def _insert(
        self, contents: Mapping[str, Iterable[ox.Triple]], progress: Progress | None
    ) -> None:
        done = [0]
        quads = (
            ox.Quad(t.subject, t.predicate, t.object, ox.NamedNode(graph))
            for graph, triples in contents.items()
            for t in _tallied(triples, done, progress)
        )
        with self._writing():
            self._store.extend(quads)
        if progress is not None:
            progress(done[0])

    def drop_graphs(self, graphs: Iterable[str], *, compact: bool = True) -> list[str]:
        gone = super().drop_graphs(graphs)
        if gone and compact:
            self._compact()
        return gone

    def _compact(self) -> None:
        # A load leaves the staging copy and the graph it replaced behind as deleted entries,
        # which every scan steps over until the engine compacts them: after loading 1M triples
        # the store was twice its size and an aggregate took 1.7 times the CPU. Compacting
        # takes 2.5 s there, without holding the GIL (queries go on meanwhile). An in-memory
        # store (no version file) has nothing to compact.
        if self._version_file is not None:
            self._store.optimize()

    def _try_drop(self, graph: str) -> None:
        with contextlib.suppress(Exception):  # as the base class's: never hides an error
            self._drop_in_steps(graph)

    def _counted_write(self) -> None:
        """A write of nothing to the engine, counted (see :meth:`_writing`): the commit of a
        bulk load is the version file's, and queries take their snapshots knowing it."""
        with self._writing():
            pass

    @contextlib.contextmanager
    def _writing(self) -> Iterator[None]:
        # Only counted, never held: a query checks the counts around taking its snapshot.
        with self._count_lock:
            self._writes_begun += 1
        try:
            yield
        finally:
            with self._count_lock:
                self._writes_ended += 1

    def _all_graphs(self) -> frozenset[str] | None:
        """Every named graph, if the store holds nothing else (an empty default graph) and no
        write is under way; else None."""
        ended = self._writes_ended
        if self._writes_begun != ended or self._pending:
            return None
        cached_at, graphs = self._union_graphs
        if cached_at != ended:
            default = self._store.quads_for_pattern(None, None, None, ox.DefaultGraph())
            graphs = (
                frozenset(g.value for g in self._store.named_graphs())
                if next(iter(default), None) is None
                else None
            )
            self._union_graphs = (ended, graphs)
        return graphs

    def query(
        self,
        sparql: str,
        *,
        default_graph: Sequence[str] | None = None,
        named_graphs: Sequence[str] | None = None,
        prefixes: Mapping[str, str] | None = None,
        base_iri: str | None = None,
        ignores_hidden: Callable[[HiddenTriples], bool] | None = None,
    ) -> QueryResult:
        """As :meth:`Store.query`. When the graphs listed are all the store's graphs, or all
        but the datasets' descriptions and ``ignores_hidden`` says the query cannot match
        those, the engine is asked for its union of every graph instead: it scans each
        pattern's index once rather than once per graph (an aggregate over two graphs: 66
        against 88 ms). Several default graphs are their RDF merge (:mod:`graph.store.merge`)."""
        # Commits wait while the merge is planned and the engine takes its snapshot: the
        # remainder graphs of the plan and the graphs they come from are read in one state.
        with self.commits_held():
            if default_graph is not None and len(default_graph) > 1:
                default_graph = self._merge.graphs(default_graph)
            if named_graphs is None and self._pending:
                named_graphs = self.graph_names()  # a load's graphs stay out of sight
            begun = self._writes_begun
            every = (
                self._all_graphs()
                if default_graph is not None or named_graphs is not None
                else None
            )
            union = every is not None and self._union_serves(default_graph, every, ignores_hidden)
            result = self._store.query(
                sparql,
                base_iri=base_iri,
                **_dataset_arguments(default_graph, named_graphs, every, union, prefixes),
            )
            if every is not None and self._writes_begun != begun:
                # A write began before the engine took its snapshot: a staging graph (or a
                # remainder being written) may be in it.
                result = self._store.query(
                    sparql,
                    base_iri=base_iri,
                    **_dataset_arguments(default_graph, named_graphs, None, False, prefixes),
                )
        return result

    def _union_serves(
        self,
        default_graph: Sequence[str] | None,
        every: frozenset[str],
        ignores_hidden: Callable[[HiddenTriples], bool] | None,
    ) -> bool:
        """Whether the engine's union of every graph (``every``) gives the query the answers
        of ``default_graph``: they are the same graphs, or the union adds only the datasets'
        descriptions and ``ignores_hidden`` of those is true."""
        if default_graph is None:
            return False
        graphs = frozenset(default_graph)
        if graphs == every:
            return True
        hidden = every - graphs
        if ignores_hidden is None or len(graphs) < 2:
            return False  # one graph is one scan already
        if not all(g.startswith(DESCRIPTION) for g in hidden):
            return False
        return ignores_hidden(self._hidden_triples(hidden))

    def _hidden_triples(self, hidden: frozenset[str]) -> HiddenTriples:
        """What the triples of graphs ``hidden`` are made of, kept until the next write."""
        ended = self._writes_ended
        cached = self._hidden
        if cached is not None and cached[0] == (ended, hidden):
            return cached[1]
        summary = HiddenTriples.of(self._store, hidden)
        if self._writes_begun == ended == self._writes_ended:  # not mid-write: keep it
            self._hidden = ((ended, hidden), summary)
        return summary

    def _execute_update(self, sparql: str) -> None:
        with self._writing():
            self._store.update(sparql)

    def _stage(self, staging: str, triples: Iterable[ox.Triple]) -> None:
        graph = ox.NamedNode(staging)
        quads = (ox.Quad(t.subject, t.predicate, t.object, graph) for t in triples)
        with self._writing():
            first = list(islice(quads, self.BULK_THRESHOLD))
            if len(first) < self.BULK_THRESHOLD:
                self._store.extend(first)
            else:
                self._bulk_write(_chain(first, quads))

    def _bulk_write(self, quads: Iterable[ox.Quad]) -> None:
        """Write ``quads`` with the bulk loader, :data:`BULK_CHUNK` at a time, so that memory
        is bounded by a chunk, not by ``quads``. Not transactional, as the bulk loader is
        not: the caller writes to graphs out of sight. The caller holds :meth:`_writing`."""
        stream = iter(quads)
        # bounded: each call takes up to BULK_CHUNK quads of the stream, the last one ends it
        while (first := next(stream, None)) is not None:
            # streamed from the parser, not listed: no Python object per quad of a chunk kept
            self._store.bulk_extend(_chain([first], islice(stream, self.BULK_CHUNK - 1)))

    def graph_names(self) -> list[str]:
        pending = self._pending
        return [
            g.value
            for g in self._store.named_graphs()
            if isinstance(g, ox.NamedNode) and g.value not in pending
        ]

    def quads(self, graph: str) -> Iterator[ox.Quad]:
        return self._store.quads_for_pattern(None, None, None, ox.NamedNode(graph))

    def statements(self, graph: str, predicate: str) -> Iterator[tuple[str, str]]:
        # Read from the engine's index, without a query: a third less time than having the
        # engine write the statements as TSV and reading them back (300,000 claims).
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


class StagedGraphs:
    """Named graphs of an embedded store written by the engine's bulk loader out of sight, then
    made visible together in one step (:meth:`commit`), or dropped (:meth:`discard`, also on
    leaving the ``with`` block by an exception). See the module docstring.

    Graphs all new to the store are written under their own names, pending; otherwise each is
    written under a staging name and moved in at the commit. :meth:`where` says which name.
    ``engine`` is the store's engine, to query and edit the staged graphs before the commit
    (the store's own :meth:`~Store.query` does not see them).
    """

    def __init__(self, store: EmbeddedStore, graphs: Sequence[str]) -> None:
        self.store = store
        self.engine = store._store
        present = set(store._store.named_graphs()) | {ox.NamedNode(g) for g in store._pending}
        self.in_place = present.isdisjoint(ox.NamedNode(g) for g in graphs)
        self._names = {g: g if self.in_place else _staging_iri() for g in graphs}
        self._scratch: list[str] = []
        self._open = True
        if self.in_place:
            store._hide(graphs)

    def __enter__(self) -> StagedGraphs:
        return self

    def __exit__(self, kind: object, *_: object) -> None:
        if self._open:
            self.discard()

    def where(self, graph: str) -> str:
        """The name ``graph`` is written under until the commit."""
        return self._names[graph]

    def scratch(self) -> str:
        """A new graph for the caller's own use before the commit: a staging name. It, and
        every graph whose name begins with it, are dropped at the commit (or when a store
        opens after a crash)."""
        self._scratch.append(_staging_iri())
        return self._scratch[-1]

    def _scratch_graphs(self) -> list[str]:
        return [
            g.value
            for g in self.engine.named_graphs()
            if isinstance(g, ox.NamedNode) and g.value.startswith(tuple(self._scratch))
        ]

    def load(
        self, graph: str, source: IO[bytes], fmt: ox.RdfFormat, *, base_iri: str | None = None
    ) -> None:
        """Add the triples of ``source`` (a triple format: the quads of others would go to
        their own graphs) to ``graph`` with the bulk loader: SyntaxError, OSError.

        One streaming parser reads the whole of ``source`` (a blank node is the same node in
        every chunk; its label is renamed, as the engine's ``bulk_load`` does) and the bulk
        loader is given its triples a chunk at a time (:meth:`EmbeddedStore._bulk_write`):
        ``bulk_load`` of the whole file held 1.9 GB for 10M triples. A syntax error after the
        first chunk leaves chunks written: the caller discards the staged graphs."""
        name = ox.NamedNode(self._names[graph])
        parsed = ox.parse(source, format=fmt, base_iri=base_iri, rename_blank_nodes=True)
        with self.store._writing():
            self.store._bulk_write(ox.Quad(q.subject, q.predicate, q.object, name) for q in parsed)

    def add(self, graph: str, triples: Iterable[ox.Triple]) -> None:
        """Add ``triples`` to ``graph`` (or a scratch graph), in one transaction."""
        name = ox.NamedNode(self._names.get(graph, graph))
        with self.store._writing():
            self.engine.extend(ox.Quad(t.subject, t.predicate, t.object, name) for t in triples)

    def add_scratch(self, quads: Iterable[ox.Quad]) -> None:
        """Add ``quads`` to graphs of :meth:`scratch`, with the bulk loader a chunk at a time
        (:meth:`EmbeddedStore._bulk_write`): memory is bounded by a chunk, not by ``quads``,
        which are in sight as they are written (not one transaction)."""
        with self.store._writing():
            self.store._bulk_write(quads)

    def compact(self) -> None:
        """Compact the store now, the staged graphs with it: the engine reads them faster (the
        checks). The commit compacts again: what is written and dropped after (the checks'
        marks and the reference data beside the staged graph, the description) costs every
        later scan a quarter more until then (bench/RESULTS.md, "The engine's union for a
        caller who sees every dataset")."""
        self.store._compact()

    def commit(self) -> None:
        """Make the graphs visible, all in one step, replacing those of the same names; then
        compact the store."""
        store = self.store
        for graph in self._scratch_graphs() if self._scratch else ():
            store._drop_in_steps(graph)
        if self.in_place:
            store._store.flush()  # the data on disk before the version file says it is there
            store._commit(self._names, store._counted_write, reveal=self._names)
        else:
            store.move_in(self._names)
        self._open = False
        store._compact()

    def discard(self) -> None:
        """Drop everything written: the store is as it was."""
        self._open = False
        scratch = self._scratch_graphs() if self._scratch else []
        for graph in [*self._names.values(), *scratch]:
            self.store._drop_in_steps(graph)
        if self.in_place and self.store._version_file is not None:
            with self.store._version_lock:
                self.store._save_state(self.store._version, self.store._stamps)


def _dataset_arguments(
    default_graph: Sequence[str] | None,
    named_graphs: Sequence[str] | None,
    every: frozenset[str] | None,
    union: bool,
    prefixes: Mapping[str, str] | None,
) -> dict[str, Any]:
    """pyoxigraph's keyword arguments for a query over these graphs; ``every``, when known, is
    the set of all graphs of a store that holds nothing else; ``union``: the engine's union of
    every graph stands for ``default_graph``."""
    kwargs: dict[str, Any] = {"prefixes": dict(prefixes)} if prefixes else {}
    # pyoxigraph reads an empty list as "no graph", as the protocol's parameters would.
    if default_graph is not None:
        if union:
            kwargs["use_default_graph_as_union"] = True
        else:
            kwargs["default_graph"] = [ox.NamedNode(g) for g in default_graph]
    if named_graphs is not None and (every is None or frozenset(named_graphs) != every):
        kwargs["named_graphs"] = [ox.NamedNode(g) for g in named_graphs]
    return kwargs


def masked_url(url: str) -> str:
    """``url`` with the password of its user information, if any, replaced by ``***``.

    >>> masked_url("http://user:secret@127.0.0.1:7878/query")
    'http://user:***@127.0.0.1:7878/query'
    >>> masked_url("http://127.0.0.1:7878/query")
    'http://127.0.0.1:7878/query'
    """
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{parts.username}:***@{host}"))


def _chain(first: list[Any], rest: Iterator[Any]) -> Iterator[Any]:
    yield from first
    yield from rest


class TruncatedResult(RecruitgraphError):
    """The remote server cut a result short (its row limit, or its time limit: Virtuoso then
    answers 200 with what it had, a COUNT of 0 say): figures from it would be wrong. The
    message names no URL, so that callers are told it (HTTP 502)."""


#: The first keyword after a query's prologue (BASE and PREFIX declarations, comments).
_PROLOGUE = re.compile(
    r"(?:\s+|#[^\n]*|BASE\s*<[^>]*>|PREFIX\s*[^\s:]*:\s*<[^>]*>)*", re.IGNORECASE
)


def query_form(sparql: str) -> str:
    """The form of a query: SELECT, ASK, CONSTRUCT or DESCRIBE ("" if none of them opens it
    after its prologue; the server then says what is wrong).

    >>> query_form("PREFIX ex: <http://example.org/> # a comment\\nconstruct WHERE { ?s ?p ?o }")
    'CONSTRUCT'
    """
    end = _PROLOGUE.match(sparql)
    word = sparql[end.end() if end else 0 :].split(None, 1)
    form = word[0].upper().split("{")[0] if word else ""
    return form if form in ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE") else ""


#: Accept headers by query form: graph queries ask for graph formats only (a server that
#: prefers SPARQL JSON, Virtuoso, would otherwise answer a CONSTRUCT with a table).
_ACCEPT_GRAPH = "application/n-triples, text/turtle;q=0.9"
_ACCEPT_TABLE = "application/sparql-results+json"
_XSD_BOOLEAN = XSD + "boolean"


class RemoteStore(Store):
    """A SPARQL 1.1 Query/Update endpoint over HTTP.

    ``query_url`` is the query endpoint. ``update_url`` defaults to the same URL, except that
    an endpoint ending in ``/query`` (Oxigraph server, Fuseki) has its update endpoint beside it
    at ``/update``. ``graph_store_url``, a Graph Store Protocol endpoint, takes loads in big
    requests where the server has one (default: ``/store`` beside ``/query``; Virtuoso's
    ``/sparql-graph-crud(-auth)`` beside ``/sparql(-auth)``); without one, loads are sent as
    ``INSERT DATA`` requests of :attr:`CHUNK` triples.

    ``credentials`` (default: from the environment, else the URL's user information) are
    sent by Basic or Digest authentication; they never appear in :attr:`location` or in a
    message. ``timeout`` is the seconds a request may take; ``server_timeout`` is sent with
    each query where the server takes one (Virtuoso's ``timeout`` parameter, in ms) so that
    the server stops the work, not only the connection.

    At opening, :func:`graph.store.conformance.read_probes` finds how the server writes
    booleans and where it cuts results (:attr:`conformance`); :meth:`probe` (before serving)
    the rest.
    """

    kind = "remote"
    #: Triples per INSERT DATA request: Virtuoso 7's SPARQL compiler refuses about 5,000
    #: ("memory exhausted") and its generated SQL 4,000 literals.
    CHUNK = 1_000
    #: Triples and bytes per Graph Store Protocol POST.
    GSP_CHUNK = 50_000
    GSP_CHUNK_BYTES = 8 * 1024**2

    def __init__(
        self,
        query_url: str,
        update_url: str | None = None,
        timeout: float = 300,
        *,
        credentials: Credentials | None = None,
        graph_store_url: str | None = None,
        server_timeout: float | None = None,
    ) -> None:
        #: The endpoint as messages and logs show it: any password in it masked.
        self.location = masked_url(query_url)
        self.query_url, in_url = without_userinfo(query_url)
        if update_url is None:
            update_url = (
                self.query_url[: -len("query")] + "update"
                if self.query_url.endswith("/query")
                else self.query_url
            )
        self.update_url = without_userinfo(update_url)[0]
        self.graph_store_url = (
            without_userinfo(graph_store_url)[0]
            if graph_store_url
            else _graph_store_beside(self.query_url)
        )
        self.credentials = credentials or Credentials.from_environment() or in_url
        self.server_timeout = server_timeout
        self._server = ""  # the Server header of its first answer, lower case
        self.conformance = Conformance()
        # Until the probe has shown otherwise, the query's FROM may win (see probe).
        self.honours_dataset_parameters = False
        self._http = httpx.Client(
            timeout=timeout,
            auth=self.credentials.auth() if self.credentials is not None else None,
        )
        self._merge = MergedDefaultGraph(self)
        try:
            self.query("SELECT * WHERE {} LIMIT 1")
        except StoreError as error:
            raise StoreError(f"no SPARQL endpoint answers at {self.location}: {error}") from None
        self.conformance = read_probes(self)
        migrate_descriptions(self)  # a store of the old layout, in one transaction
        # Loads of this machine's processes that died (others' when they are old).
        self.drop_stale_staging()

    def probe(self) -> Conformance:
        """Run the probes that write (:func:`graph.store.conformance.write_probes`) before
        serving; StoreError where the store cannot be served safely."""
        try:
            self.conformance = write_probes(self, self.conformance)
        except NonConformingStore as failure:
            raise StoreError(f"{self.location} cannot be served: {failure}") from None
        self.honours_dataset_parameters = self.conformance.dataset_parameters_win
        return self.conformance

    def _send(self, url: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self._http.post(url, **kwargs)
        except httpx.HTTPError as error:
            shown = masked_url(url)
            raise StoreError(f"{shown}: {str(error).replace(url, shown)}") from None
        if not self._server:
            self._server = response.headers.get("server", "").lower() or "unknown"
        if response.status_code >= 400:
            answer = response.text.strip()[:500]
            if self.credentials is not None:  # a server that echoes what it was sent
                answer = answer.replace(self.credentials.password or "\0", "***")
            raise StoreError(
                f"{masked_url(url)} answered {response.status_code}: {answer}",
                status=response.status_code,
            )
        return response

    def _post(self, url: str, data: dict[str, Any], accept: str) -> httpx.Response:
        return self._send(url, data=data, headers={"Accept": accept})

    def query(
        self,
        sparql: str,
        *,
        default_graph: Sequence[str] | None = None,
        named_graphs: Sequence[str] | None = None,
        prefixes: Mapping[str, str] | None = None,
        base_iri: str | None = None,
        ignores_hidden: Callable[[HiddenTriples], bool] | None = None,  # the server's affair
    ) -> QueryResult:
        form = query_form(sparql)
        if prefixes:
            # The protocol has no parameter for prefixes: declare them in the text. A PREFIX
            # that the query declares again later wins.
            sparql = "".join(f"PREFIX {p}: <{iri}>\n" for p, iri in prefixes.items()) + sparql
        if base_iri:  # first (Virtuoso refuses a BASE after a PREFIX); the query's own wins
            sparql = f"BASE <{base_iri}>\n" + sparql
        data: dict[str, Any] = {"query": sparql}
        if default_graph is not None and len(default_graph) > 1:
            default_graph = self._merge.graphs(default_graph)  # an RDF merge, as embedded
        if default_graph is not None:
            data["default-graph-uri"] = list(default_graph) or [f"{STAGING}none"]
        if named_graphs is not None:
            data["named-graph-uri"] = list(named_graphs) or [f"{STAGING}none"]
        if self.server_timeout and "virtuoso" in self._server:
            # Virtuoso stops the query itself at this many ms (the others refuse or ignore
            # the parameter: Oxigraph's limit is its own --timeout-s).
            data["timeout"] = str(int(self.server_timeout * 1000))
        graph = form in ("CONSTRUCT", "DESCRIBE")
        response = self._post(self.query_url, data, _ACCEPT_GRAPH if graph else _ACCEPT_TABLE)
        content_type = response.headers.get("content-type", "").split(";")[0].strip()
        if graph or content_type in ("application/n-triples", "text/turtle"):
            return self._triples(response, content_type)
        return self._solutions(response, ask=form == "ASK")

    def count_rows(self, sparql: str) -> int:
        """The rows the server returns for a SELECT (as tab-separated values: the least
        text), cut or not."""
        response = self._post(self.query_url, {"query": sparql}, "text/tab-separated-values")
        return max(0, response.content.rstrip(b"\n").count(b"\n"))

    def _cut(self, rows: int, response: httpx.Response) -> None:
        """TruncatedResult if the server says it cut the result (Virtuoso: X-SPARQL-MaxRows
        for rows, X-SQL-State S1TAT for time), or if it holds as many rows as the server's
        limit."""
        if response.headers.get("x-sql-state", "").upper() == "S1TAT":
            raise TruncatedResult(
                "the store stopped the query at its time limit and sent what it had: the "
                "answer would be wrong. Narrow the query, or ask for a longer limit"
            )
        limit = self.conformance.row_limit
        header = response.headers.get("x-sparql-maxrows")
        if header is not None or (limit is not None and rows >= limit):
            raise TruncatedResult(
                f"the store cut a result at its row limit of {header or limit} rows: the "
                "answer would be wrong. Narrow the query, or raise the store's limit "
                "(Virtuoso: [SPARQL] ResultSetMaxRows)"
            )

    def _triples(self, response: httpx.Response, content_type: str) -> list[ox.Triple]:
        rdf = ox.RdfFormat.TURTLE if content_type == "text/turtle" else ox.RdfFormat.N_TRIPLES
        try:
            triples = list(ox.parse(response.content, format=rdf))
        except SyntaxError as error:
            raise StoreError(f"{self.location} answered a graph query with {error}") from None
        self._cut(len(triples), response)
        if self.conformance.canonical_booleans:
            return triples
        return [_by_value(t) for t in triples]

    def _solutions(self, response: httpx.Response, *, ask: bool) -> QueryResult:
        content = response.content
        if ask or not self.conformance.canonical_booleans or self.conformance.row_limit:
            # Read here: counted, booleans read by value, an ASK answered as a table (Virtuoso
            # names its one column __ASK_RETVAL) read as the boolean.
            try:
                answer: dict[str, Any] = json.loads(content)
            except ValueError:
                raise StoreError(f"{self.location} answered a query with no JSON") from None
            bindings = answer.get("results", {}).get("bindings")
            if bindings is not None:
                self._cut(len(bindings), response)
                if ask:  # one row of one column, 1 or 0; or no row at all for false
                    term: dict[str, Any] = next(iter(bindings[0].values()), {}) if bindings else {}
                    answer = {"head": {}, "boolean": term.get("value") in ("1", "true")}
                else:
                    for row in bindings:
                        for cell in row.values():
                            if cell.get("datatype") == _XSD_BOOLEAN:
                                cell["value"] = _canonical_boolean(cell["value"])
            elif response.headers.get("x-sparql-maxrows") is not None:
                self._cut(0, response)
            content = json.dumps(answer).encode()
        else:
            self._cut(0, response)  # the header only: the rows are not counted
        return ox.parse_query_results(content, format=ox.QueryResultsFormat.JSON)

    def _execute_update(self, sparql: str) -> None:
        self._post(self.update_url, {"update": sparql}, "*/*")

    def _stage(self, staging: str, triples: Iterable[ox.Triple]) -> None:
        # Blank node labels are scoped to one request: skolemize them so that a graph staged
        # in several requests keeps its blank nodes' identity.
        prefix = f"{STAGING}genid/{uuid.uuid4().hex}/"
        skolemized = (_skolemized(t, prefix) for t in triples)
        while chunk := list(islice(skolemized, self.GSP_CHUNK)):
            if self.graph_store_url is not None and self._post_graph(staging, chunk):
                continue
            for start in range(0, len(chunk), self.CHUNK):
                part = chunk[start : start + self.CHUNK]
                body = ox.serialize(part, format=ox.RdfFormat.N_TRIPLES)
                assert body is not None
                self._execute_update(f"INSERT DATA {{ GRAPH <{staging}> {{\n{body.decode()}\n}} }}")

    def _post_graph(self, staging: str, triples: list[ox.Triple]) -> bool:
        """Add ``triples`` to ``staging`` by Graph Store POSTs of at most
        :attr:`GSP_CHUNK_BYTES` (halves of ``triples`` until each fits); False, and no Graph
        Store from now on, if the server has none (404, 405, 415, 501)."""
        body = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES)
        assert body is not None
        if len(body) > self.GSP_CHUNK_BYTES and len(triples) > 1:
            half = len(triples) // 2
            return self._post_graph(staging, triples[:half]) and self._post_graph(
                staging, triples[half:]
            )
        assert self.graph_store_url is not None
        try:
            self._send(
                self.graph_store_url,
                # The standard names the graph by graph, Virtuoso by graph-uri.
                params={"graph": staging, "graph-uri": staging},
                content=body,
                headers={"Content-Type": "application/n-triples"},
            )
        except StoreError as error:
            if error.status not in (404, 405, 415, 501):
                raise
            self.graph_store_url = None  # no Graph Store there: INSERT DATA from now on
            return False
        return True

    def graph_names(self) -> list[str]:
        # GROUP BY, not DISTINCT: the same answer, which Virtuoso 7 gives from its graph index
        # (8 ms) where DISTINCT scans every quad (1.4 s at 35,000 quads; 9 s under load).
        result = self.query("SELECT ?g WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")
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


def _graph_store_beside(query_url: str) -> str | None:
    """The Graph Store endpoint of well-known servers, found from the query endpoint's path.

    >>> _graph_store_beside("http://127.0.0.1:7878/query")
    'http://127.0.0.1:7878/store'
    >>> _graph_store_beside("http://127.0.0.1:8890/sparql-auth")
    'http://127.0.0.1:8890/sparql-graph-crud-auth'
    """
    for query_path, store_path in (
        ("/query", "/store"),
        ("/sparql", "/sparql-graph-crud"),
        ("/sparql-auth", "/sparql-graph-crud-auth"),
    ):
        if query_url.endswith(query_path):
            return query_url[: -len(query_path)] + store_path
    return None


def _canonical_boolean(lexical: str) -> str:
    return "true" if lexical.strip() in ("1", "true") else "false"


def _by_value(triple: ox.Triple) -> ox.Triple:
    """``triple`` with a boolean object in its canonical form ("1" is read as true)."""
    value = triple.object
    if isinstance(value, ox.Literal) and value.datatype.value == _XSD_BOOLEAN:
        canonical = ox.Literal(_canonical_boolean(value.value), datatype=value.datatype)
        return ox.Triple(triple.subject, triple.predicate, canonical)
    return triple


def _skolemized(triple: ox.Triple, prefix: str) -> ox.Triple:
    def term(t: Any) -> Any:
        return ox.NamedNode(prefix + t.value) if isinstance(t, ox.BlankNode) else t

    if not isinstance(triple.subject, ox.BlankNode) and not isinstance(triple.object, ox.BlankNode):
        return triple
    return ox.Triple(term(triple.subject), triple.predicate, term(triple.object))


def dataset_graphs(store: Store) -> list[str]:
    """IRIs of the named graphs that are datasets: those of a dataset's name, and those that
    a description graph describes (a dataset of no triples has no graph of its own)."""
    names = store.graph_names()
    found = {g for g in names if dataset_name(g) is not None}
    found.update(g for d in names if (g := described_graph(d)) is not None)
    return sorted(found)


def default_data_dir() -> Path:
    """``$RECRUITGRAPH_DATA_DIR``, else the per-user data directory of recruitgraph."""
    from platformdirs import user_data_dir

    return Path(os.environ.get("RECRUITGRAPH_DATA_DIR") or user_data_dir("recruitgraph"))


def open_store(
    data_dir: str | os.PathLike[str] | None = None,
    store_url: str | None = None,
    *,
    in_memory: bool = False,
    credentials: Credentials | None = None,
    graph_store_url: str | None = None,
    server_timeout: float | None = None,
) -> Store:
    """Open the configured store: remote if ``store_url`` (or ``$RECRUITGRAPH_STORE_URL``),
    else embedded in ``data_dir`` (default :func:`default_data_dir`), or in memory. A remote
    store's update and Graph Store endpoints default to ``$RECRUITGRAPH_UPDATE_URL`` and
    ``$RECRUITGRAPH_GRAPH_STORE_URL``, its credentials to the environment's (see
    :mod:`graph.store.credentials`)."""
    store_url = store_url or os.environ.get("RECRUITGRAPH_STORE_URL")
    if store_url:
        return RemoteStore(
            store_url,
            os.environ.get("RECRUITGRAPH_UPDATE_URL"),
            credentials=credentials,
            graph_store_url=graph_store_url or os.environ.get("RECRUITGRAPH_GRAPH_STORE_URL"),
            server_timeout=server_timeout,
        )
    if in_memory:
        return EmbeddedStore(None)
    return EmbeddedStore(data_dir if data_dir is not None else default_data_dir())
