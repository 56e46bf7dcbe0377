"""What the server does for a caller, as functions over an open store.

Every operation takes a :class:`Context` (the open store, its dataset catalog, the write lock)
and the :class:`~graph.server.auth.Principal` of the caller, works out the graphs that caller may
read or write, and then calls the library (:mod:`graph.sparql`, :mod:`graph.analysis.queries`,
:mod:`graph.ingest`). The HTTP routes run these operations in the engine process
(:mod:`graph.server.engine`); a notebook may call them directly with a Context of its own.

Each operation is marked :func:`operation` (it reads) or :func:`write_operation`; those are
the only functions the engine process runs, called by the function itself:
``await engine.call(service.neighborhood, principal, ref, depth=2)``. The mark also names the
operation's lane (:data:`LANES`): reads that compute projections or reports in Python are
``@operation(lane="analysis")``, so that they never hold the slots cheap queries need.

Consistent answers: the engine process runs each operation through :func:`run`, which computes
a reading operation from one state of the store (:func:`graph.store.consistency.consistent`:
computed again if a write was committed meanwhile) and gives back the version of that state
that the caller may know, which the server sends as the header ``X-Store-Version`` and, where
the answer is a JSON object, its ``version`` field. That is the *view version* of the datasets
the caller may read (:meth:`graph.server.auth.Catalog.view_version`), the same rule for every
caller: it changes with every write to one of them, and never with a write to a dataset the
caller cannot see (the store's own version counts those too, and stays internal: caches). The
dataset catalog (:meth:`Context.catalog`) is always the one of the version read.

Errors: :func:`describe_error` maps each of the library's own errors (:mod:`graph.errors`) to
an HTTP status and its message; any other exception is a bug, logged with its traceback under a
request id and answered 500 with that id, so that nothing reaches a client as a traceback and
no bug is disguised as a bad request.
"""

from __future__ import annotations

import json
import logging
import os
import re
import secrets
import tempfile
import threading
from collections.abc import Callable, Iterable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeGuard, TypeVar, overload

import pyoxigraph as ox

from graph.analysis import figures, queries
from graph.analysis.backends import active_backend
from graph.analysis.projection import ProjectionFilter, project
from graph.analysis.question import question, question_part
from graph.errors import Conflict, Forbidden, InvalidArgument, NotFound, RecruitgraphError
from graph.ingest import actors, list_datasets, load_files, read_export
from graph.ingest import restore as restore_export
from graph.ingest.load import dataset_description
from graph.ingest.load import delete_dataset as drop_dataset
from graph.ingest.progress import Progress
from graph.ingest.validation import Problem, ValidationError
from graph.model.namespaces import (
    DATASET,
    EDITS,
    FORMATS_NS,
    PROJECT,
    RDF,
    RG,
    SD,
    USES_MODEL_FILTER,
    dataset_iri,
    dataset_name,
    description_iri,
)
from graph.server.auth import AuthError, Catalog, Principal, authorize_update, read_catalog
from graph.sparql import (
    QueryError,
    UpdatePlan,
    execute_query,
    is_graph_result,
    known_graphs,
    plan_update,
    resolve_update,
    serialize_capped,
)
from graph.sparql.guard import AccessError
from graph.sparql.update_size import MAX_UPDATE_TRIPLES, check_update_size
from graph.store import Store, StoreChanging, StoreError, cache, consistent
from graph.store.disk_cache import cached_on_disk, keep_latest, latest_kept
from graph.store.export import export_format
from graph.store.formats import Kind, UnknownFormat, by_name, formats
from graph.store.stores import TruncatedResult
from graph.viz import groups, network
from graph.viz.question import page_data, page_part

log = logging.getLogger("recruitgraph.server")


class Context:
    """An open store and what the server keeps beside it."""

    def __init__(self, store: Store, *, allow: Sequence[str] = ()) -> None:
        self.store = store
        #: SERVICE / LOAD targets that are allowed (see graph.sparql).
        self.allow = tuple(allow)
        #: Writes one at a time: checks of the catalog and the write they guard are atomic.
        self.write_lock = threading.RLock()
        self._catalog: Catalog | None = None

    def catalog(self) -> Catalog:
        """The dataset graphs and their access levels at the store's current version (read
        again after any write, this process's or, on a remote store, another's)."""
        current = self._catalog
        if current is not None and current.version == self.store.stable_version():
            return current
        # No lock held while reading: a reader holding commits back (see consistent) may
        # need the catalog while another waits for commits to resume.
        _, catalog = consistent(self.store, lambda: read_catalog(self.store))
        self._catalog = catalog
        return catalog

    def changed(self) -> None:
        """Forget the catalog after a write."""
        self._catalog = None

    def readable(self, principal: Principal) -> list[str]:
        return self.catalog().readable(principal)


# --------------------------------------------------------------------------------------------
# Which functions are operations

_F = TypeVar("_F", bound=Callable[..., Any])

#: The lanes of the engine (:mod:`graph.server.engine`): each has slots and threads of its own,
#: so that work of one lane never waits for a slot held by another. ``query``: cheap reads
#: (SPARQL, which pyoxigraph evaluates without the GIL; lookups; health); ``analysis``: reads
#: that compute projections, metrics or reports in Python (they hold the GIL: few at once);
#: ``write``: every write.
LANES = ("query", "analysis", "write")


@dataclass(frozen=True)
class _Mark:
    write: bool
    lane: str
    #: Whether callers asking the same at the same time may share one answer.
    shared: bool = True
    #: Whether an answer may be kept for callers who ask the same later, until the next
    #: write (:mod:`graph.server.answers`): always, never, or as a predicate of the call's
    #: arguments says.
    cached: bool | Callable[..., bool] = False


#: Every operation the engine process may run: whether it writes, and its lane.
_OPERATIONS: dict[Callable[..., Any], _Mark] = {}


@overload
def operation(function: _F, /) -> _F: ...
@overload
def operation(
    *, lane: str = "query", shared: bool = True, cached: bool | Callable[..., bool] = False
) -> Callable[[_F], _F]: ...
def operation(
    function: _F | None = None,
    /,
    *,
    lane: str = "query",
    shared: bool = True,
    cached: bool | Callable[..., bool] = False,
) -> _F | Callable[[_F], _F]:
    """Mark ``function`` as an operation that reads: the engine process runs it under the
    read time limit, and runs it again in a new process if its process was restarted.
    ``@operation(lane="analysis")`` runs it in the analysis lane (see :data:`LANES`);
    ``shared=False`` when its answer belongs to one caller (a file the caller deletes), so
    that identical calls in flight never share it. ``cached=True`` (or a predicate of the
    call's arguments) when its answer depends on nothing but the store, the caller's role
    and grants and the arguments, so that the server may keep it for later callers until
    the next write (see :func:`cacheable`)."""
    if lane not in LANES or lane == "write":
        raise ValueError(f"a read runs in lane query or analysis, not {lane!r}")

    def mark(function: _F) -> _F:
        _OPERATIONS[function] = _Mark(False, lane, shared, cached)
        return function

    return mark if function is None else mark(function)


def write_operation(function: _F) -> _F:
    """Mark ``function`` as an operation that writes: it runs under the write time limit, in
    the write lane, and never twice (a write cut short is reported to its caller, not
    retried)."""
    _OPERATIONS[function] = _Mark(True, "write")
    return function


def is_operation(function: object) -> TypeGuard[Callable[..., Any]]:
    """Whether ``function`` is an operation of this module (marked by :func:`operation` or
    :func:`write_operation`)."""
    try:
        return function in _OPERATIONS
    except TypeError:  # unhashable: not a function at all
        return False


def writes(function: Callable[..., Any]) -> bool:
    """Whether the operation ``function`` writes; KeyError if it is no operation."""
    return _OPERATIONS[function].write


def shared(function: Callable[..., Any]) -> bool:
    """Whether identical calls of the read ``function`` in flight may share one answer (never
    for a write); KeyError if it is no operation."""
    mark = _OPERATIONS[function]
    return mark.shared and not mark.write


def cacheable(function: Callable[..., Any], args: Sequence[Any], kwargs: dict[str, Any]) -> bool:
    """Whether the answer of this call of the operation ``function`` (``args`` after the
    context and the caller) may be kept for later callers until the next write (see
    :func:`operation`); KeyError if it is no operation.

    >>> cacheable(sparql_query, ["ASK {}"], {})
    True
    >>> cacheable(sparql_query, ["SELECT (NOW() AS ?t) {}"], {}), cacheable(upload, [], {})
    (False, False)
    """
    mark = _OPERATIONS[function]
    if mark.write or mark.cached is False:
        return False
    return mark.cached is True or bool(mark.cached(*args, **kwargs))


def lane(function: Callable[..., Any]) -> str:
    """The lane (one of :data:`LANES`) the operation ``function`` runs in; KeyError if it is
    no operation.

    >>> lane(sparql_query), lane(metrics_report), lane(upload)
    ('query', 'analysis', 'write')
    """
    return _OPERATIONS[function].lane


def run(
    function: Callable[..., Any], ctx: Context, principal: Principal, *args: Any, **kwargs: Any
) -> tuple[Any, str]:
    """(the result of operation ``function`` for ``principal``, the view version of the state
    it was computed from: :meth:`~graph.server.auth.Catalog.view_version`).

    A reading operation is computed from one state of the store, again if a write was
    committed meanwhile; where its result is a dict, its ``version`` field is that view
    version. A write runs once; its version is the one after it, and so is its result's
    ``version`` field where it has one (the library's reports give the store's version)."""
    if writes(function):
        value = function(ctx, principal, *args, **kwargs)
        shown = ctx.catalog().view_version(principal)
        if isinstance(value, dict) and "version" in value:
            value = {**value, "version": shown}
        return value, shown

    def compute() -> tuple[Any, Catalog]:
        return function(ctx, principal, *args, **kwargs), ctx.catalog()

    cleanup = _DISCARD.get(function)
    _, (value, catalog) = consistent(
        ctx.store, compute, discard=None if cleanup is None else lambda pair: cleanup(pair[0])
    )
    shown = catalog.view_version(principal)
    if isinstance(value, dict):  # a copy: the value may be a cached result
        value = {**value, "version": shown}
    return value, shown


def encode(value: Any, encoding: str) -> bytes:
    """``value`` as the bytes a route sends as they are (see
    :meth:`graph.server.engine.Engine.call_json`). ``"json"``: its JSON text in UTF-8, byte for
    byte what Starlette's ``JSONResponse`` sends for it (characters as they are, compact
    separators, NaN and infinities refused).

    >>> encode({"label": "Минобороны", "n": [1, 2.5, None]}, "json").decode()
    '{"label":"Минобороны","n":[1,2.5,null]}'
    """
    if encoding != "json":
        raise ValueError(f"no encoding {encoding!r}")
    text = json.dumps(
        value, ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":")
    )
    return text.encode("utf-8")


# --------------------------------------------------------------------------------------------
# Errors


#: The HTTP status of each kind of the library's errors, the first that matches; any other
#: :class:`~graph.errors.RecruitgraphError` is a bad request too (400).
ERROR_STATUS: tuple[tuple[type[RecruitgraphError], int], ...] = (
    (ValidationError, 422),
    (AuthError, 401),
    (Forbidden, 403),  # and AccessError, an update outside the caller's graphs
    (NotFound, 404),
    (Conflict, 409),
    (StoreError, 502),
    (TruncatedResult, 502),
    (StoreChanging, 503),
    (InvalidArgument, 400),  # QueryError, BadRequest, UnknownActorError...
)


def describe_error(error: BaseException, where: str = "") -> tuple[int, str, dict[str, Any] | None]:
    """(HTTP status, message, details) for ``error``.

    Only the library's own errors (:class:`~graph.errors.RecruitgraphError`) are the caller's
    fault: their status comes from :data:`ERROR_STATUS` and their message is shown. Anything
    else is a bug: see :func:`internal_error` (``where`` names the operation in the log).
    """
    if not isinstance(error, RecruitgraphError):
        return internal_error(error, where)
    status = next((s for kind, s in ERROR_STATUS if isinstance(error, kind)), 400)
    if isinstance(error, ValidationError):
        count = len(error.problems)
        return (
            status,
            f"the data is invalid: {count} problem{'s' if count != 1 else ''}",
            {"problems": [p.as_dict() for p in error.problems]},
        )
    if isinstance(error, StoreError):
        # Its message names the store (a URL, a path): the operator's to read, not the caller's.
        request_id = secrets.token_hex(8)
        log.warning("the store did not answer (request id %s): %s", request_id, error)
        return (
            status,
            f"the store did not answer (request id {request_id})",
            {"request_id": request_id},
        )
    return status, str(error) or type(error).__name__, None


def internal_error(
    error: BaseException, where: str = "", request_id: str | None = None
) -> tuple[int, str, dict[str, Any]]:
    """Log ``error`` with its traceback under ``request_id`` (default: a new one); (500, a
    message naming the id, ``{"request_id": id}``). The client learns the id, never the
    traceback; an operator finds the traceback in the log by the id."""
    request_id = request_id or secrets.token_hex(8)
    place = f" in {where}" if where else ""
    log.error(
        "internal error (request id %s)%s",
        request_id,
        place,
        exc_info=(type(error), error, error.__traceback__),
    )
    return 500, f"internal error (request id {request_id})", {"request_id": request_id}


# --------------------------------------------------------------------------------------------
# Health and datasets


@operation
def healthz(ctx: Context, principal: Principal) -> dict[str, Any]:
    """Liveness and what the caller can see, with the view version of the datasets the caller
    may read (as every answer has: see :func:`run`)."""
    catalog = ctx.catalog()
    readable = set(catalog.readable(principal))
    infos = [i for i in list_datasets(ctx.store) if i.graph in readable]
    return {
        "status": "ok",
        "store": ctx.store.kind,
        "version": catalog.view_version(principal),
        "datasets": len(infos),
        "triples": sum(i.triples for i in infos),
        "cache_entries": cache.stats()["entries"],
        # (This process's: the engine process that computes the analysis.)
        "metrics_cache": cache.stats(),
        "nx_backend": active_backend(),
    }


@operation(cached=True)
def datasets(ctx: Context, principal: Principal) -> list[dict[str, Any]]:
    """The datasets the caller may read, with their descriptions."""
    readable = set(ctx.readable(principal))
    return [i.as_dict() for i in list_datasets(ctx.store) if i.graph in readable]


@operation(cached=True)
def dataset(ctx: Context, principal: Principal, name: str) -> dict[str, Any]:
    graph = _dataset_graph(name)
    for info in datasets(ctx, principal):
        if info["graph"] == graph:
            return info
    raise queries.NotFound(f"no such dataset: {name}")


def _dataset_graph(name: str) -> str:
    try:
        return dataset_iri(name)
    except ValueError as error:
        raise queries.BadRequest(str(error)) from None


def _refuse_write(principal: Principal, name: str) -> Forbidden:
    """The refusal to write dataset ``name``. It is the same whether ``name`` is free (a
    restricted dataset without a grant naming it, or the reference dataset) or a dataset the
    caller cannot see, so that it never tells which."""
    if not principal.can_edit:
        return Forbidden("writing needs an editor or admin token")
    return Forbidden(
        f"you may not write dataset {name}: it is reserved, or needs a grant naming it"
    )


def _as_named(error: RecruitgraphError, paths: Sequence[str], names: Sequence[str]) -> None:
    """Put each file's name as the client knows it (``names``) in place of the server's path
    of the file (``paths``, temporary files) wherever ``error`` mentions it: its message and,
    for a ValidationError, each problem (file, message, focus node: relative IRIs resolve
    against the file's ``file:`` URI)."""
    spellings: list[tuple[str, str]] = []
    for path, name in zip(paths, names, strict=True):
        for form in {Path(path), Path(path).resolve()}:
            if form.is_absolute():  # a relative path names no place on the server
                spellings += [(form.as_uri(), name), (str(form), name)]
                spellings.append((str(form.parent), "upload"))  # any other file beside it
    spellings.sort(key=lambda pair: -len(pair[0]))  # the longest spelling first

    def named(text: str) -> str:
        for spelling, name in spellings:
            text = text.replace(spelling, name)
        return text

    def renamed(problem: Problem) -> Problem:
        fields: dict[str, Any] = {
            key: named(value) if isinstance(value, str) else value
            for key, value in vars(problem).items()
        }
        return Problem(**fields)

    if isinstance(error, ValidationError):
        error.problems = [renamed(problem) for problem in error.problems]
    error.args = tuple(named(a) if isinstance(a, str) else a for a in error.args)


#: Where the operation running in this thread tells the progress of a load or restore: set by
#: the engine process per call (:func:`graph.server.engine.serve`), which sends it to the
#: server (a job: :mod:`graph.server.jobs`); None: nobody listens.
progress_of_call: ContextVar[Progress | None] = ContextVar("progress_of_call", default=None)


@write_operation
def upload(
    ctx: Context,
    principal: Principal,
    name: str,
    paths: Sequence[str],
    *,
    access: str | None = None,
    licence: str | None = None,
    synthetic: bool = False,
    names: Sequence[str] | None = None,
    shapes: bool = True,
) -> dict[str, Any]:
    """Validate files and write them as dataset ``name`` (new, or replacing one the caller may
    write). ``access`` None keeps the level of an existing dataset (public for a new one);
    changing a level needs an admin. ``names`` are the files' names as the caller knows them
    (default: each path's file name): an error names those, never the server's paths.
    ``shapes=False``: arbitrary RDF, not in the recruitment vocabulary, is not checked against
    the shapes (:func:`graph.ingest.load.check`). Returns the load report with ``created``."""
    graph = _dataset_graph(name)
    if access not in (None, "public", "restricted"):
        raise queries.BadRequest("access must be public or restricted")
    if not principal.can_edit:  # before anything about the dataset is looked at
        raise _refuse_write(principal, name)
    with ctx.write_lock:
        catalog = ctx.catalog()
        exists = graph in catalog
        if exists:
            level = catalog.level(graph)
            if not principal.may_write(name, level):
                raise _refuse_write(principal, name)
            if access is not None and access != level and not principal.is_admin:
                raise Forbidden("only an admin may change the access level of a dataset")
            access = access or level or "restricted"
            if licence is None:
                licence = next(
                    (i.licence for i in list_datasets(ctx.store) if i.graph == graph), None
                )
        else:
            access = access or "public"
            if not principal.may_create(name, access):
                raise _refuse_write(principal, name)
        try:
            report = load_files(
                ctx.store,
                list(paths),
                name,
                access=access,
                licence=licence,
                synthetic=synthetic,
                loaded_by=principal.name,
                shapes=shapes,
                progress=progress_of_call.get(),
            )
        except RecruitgraphError as error:
            _as_named(error, paths, names or [Path(p).name for p in paths])
            raise
        finally:
            ctx.changed()
    return {**report.as_dict(), "created": not exists}


@write_operation
def restore(
    ctx: Context, principal: Principal, path: str, *, replace: bool = False, name: str = "body"
) -> dict[str, Any]:
    """Restore the export in ``path`` (see :mod:`graph.ingest.restore`). Only a caller who may
    write every dataset, those of the store and those of the export, may restore: an export
    sets access levels, which only an admin may change. ``name`` is the file's name as the
    caller knows it. Returns the restore report."""
    refusal = Forbidden("restoring needs write rights on every dataset (an admin token)")
    if not principal.can_edit:
        raise refusal
    with ctx.write_lock:
        catalog = ctx.catalog()
        if len(catalog.writable(principal)) != len(catalog.access):
            raise refusal
        try:
            progress = progress_of_call.get()
            export = read_export(path, progress)
            for found in export.datasets:
                if not (
                    principal.may_write(found.name, catalog.level(found.graph))
                    if found.graph in catalog
                    else principal.may_create(found.name, found.access)
                ):
                    raise refusal
            report = restore_export(ctx.store, export, replace=replace, progress=progress)
        except RecruitgraphError as error:
            _as_named(error, [path], [name])
            raise
        finally:
            ctx.changed()
    return {**report.as_dict(), "file": name}


@write_operation
def delete_dataset(ctx: Context, principal: Principal, name: str) -> None:
    """Delete dataset ``name``; NotFound if the caller cannot see it."""
    graph = _dataset_graph(name)
    with ctx.write_lock:
        catalog = ctx.catalog()
        level = catalog.level(graph)
        if graph not in catalog or not principal.may_read(name, level):
            raise queries.NotFound(f"no such dataset: {name}")
        if not principal.may_write(name, level):
            raise Forbidden(
                f"you may not delete dataset {name}"
                if principal.can_edit
                else "deleting needs an editor or admin token"
            )
        try:
            drop_dataset(ctx.store, graph)
        finally:
            ctx.changed()


# --------------------------------------------------------------------------------------------
# SPARQL


#: Functions whose value differs from one evaluation to the next (SPARQL 1.1, 17.4): a
#: query that calls one is computed afresh each time. (A plain scan, no backtracking: the
#: text may be a megabyte.)
_VOLATILE = re.compile(r"(?i)\b(?:now|rand|uuid|struuid|bnode)\s*\(")


def _repeatable(text: str, **_: Any) -> bool:
    lowered = text.lower()  # (most texts name none of them: a scan for words first)
    if not any(name in lowered for name in ("now", "rand", "uuid", "bnode")):
        return True
    return _VOLATILE.search(text) is None


@operation(cached=_repeatable)
def sparql_query(
    ctx: Context,
    principal: Principal,
    text: str,
    *,
    default_graph_uri: Sequence[str] | None = None,
    named_graph_uri: Sequence[str] | None = None,
    formats: tuple[str, str] = ("json", "turtle"),
    max_rows: int | None = None,
    base_iri: str | None = None,
) -> tuple[bytes, str, bool]:
    """Run a query over the caller's graphs; (body, media type, truncated).

    ``formats`` is the format for a SELECT/ASK result and the one for a CONSTRUCT/DESCRIBE
    result (content negotiation happens before the kind of result is known). Relative IRIs
    resolve against ``base_iri`` (the endpoint's URL). A graph named in ``default_graph_uri``
    or ``named_graph_uri`` that is not one the caller may read is a QueryError (400).
    """
    result = execute_query(
        ctx.store,
        text,
        ctx.readable(principal),
        default_graph_uri=default_graph_uri,
        named_graph_uri=named_graph_uri,
        allow=ctx.allow,
        base_iri=base_iri,
    )
    fmt = formats[1] if is_graph_result(result) else formats[0]
    serialized = serialize_capped(result, fmt, max_rows)
    return serialized.body, serialized.media_type, serialized.truncated


def _model_flags(graphs: Sequence[str], removes: bool = False) -> str:
    """Update operations that mark each dataset of ``graphs`` (written by the update they
    follow, in its transaction) as using the recruitment model once its data does (see
    :func:`graph.model.namespaces.uses_model`): the flag that brings the reference data into
    its readers' default graph. A dataset already marked is not scanned; after an update that
    ``removes`` triples, a marked dataset whose data no longer uses the model is unmarked (a
    scan that stops at its first triple of the model)."""
    parts = []
    for graph in sorted(graphs):
        node, described = str(ox.NamedNode(graph)), str(ox.NamedNode(description_iri(graph)))
        flag = f"{described} {{ {node} <{RG}usesModel> ?flag }}"
        uses = f"{{ GRAPH {node} {{ ?s ?p ?o {USES_MODEL_FILTER} }} }}"
        for was, now, test in ((False, True, "EXISTS"), (True, False, "NOT EXISTS")):
            if was and not removes:
                continue
            parts.append(
                f"DELETE {{ GRAPH {flag} }} INSERT {{ GRAPH {described} {{ {node} "
                f"<{RG}usesModel> {str(now).lower()} }} }} WHERE {{ GRAPH {flag} "
                f"FILTER({'' if was else '!'}?flag) FILTER {test} {uses} }}"
            )
    return "".join(f" ;\n{part}" for part in parts)


def _triple_counts(graphs: Sequence[str]) -> str:
    """Update operations that set the triple count in the description of each dataset of
    ``graphs`` to what the update they follow left in it (in its transaction): a count per
    written dataset, one scan of that dataset's index."""
    parts = []
    for graph in sorted(graphs):
        node, described = str(ox.NamedNode(graph)), str(ox.NamedNode(description_iri(graph)))
        parts.append(
            f"DELETE {{ GRAPH {described} {{ {node} <{RG}tripleCount> ?old }} }} "
            f"INSERT {{ GRAPH {described} {{ {node} <{RG}tripleCount> ?new }} }} "
            f"WHERE {{ GRAPH {described} {{ {node} <{RG}tripleCount> ?old }} "
            f"{{ SELECT (COUNT(*) AS ?new) {{ GRAPH {node} {{ ?s ?p ?o }} }} }} }}"
        )
    return "".join(f" ;\n{part}" for part in parts)


#: The route each write that creates a dataset names in its description (dcterms:source).
ROUTE_UPDATE = "SPARQL update (POST /sparql)"

_POSITION = re.compile(r"(?<=error at )(\d+):(\d+)(?:-(\d+):(\d+))?")


def _own_position(message: str, lines: int) -> str:
    """The engine's syntax error ``message`` with its ``line:column`` positions in the caller's
    text, which the engine received after ``lines`` lines of declarations.

    >>> _own_position("error at 14:2: expected GRAPH", 12)
    'error at 2:2: expected GRAPH'
    """

    def shift(match: re.Match[str]) -> str:
        line, column, end_line, end_column = match.groups()
        first = f"{max(1, int(line) - lines)}:{column}"
        if end_line is None:
            return first
        return f"{first}-{max(1, int(end_line) - lines)}:{end_column}"

    return _POSITION.sub(shift, message, count=1)


def _known_graphs(
    catalog: Catalog, principal: Principal, graphs: Sequence[str] | None, parameter: str
) -> list[str]:
    """``graphs`` (a protocol parameter's), each one the caller may read (see
    :func:`graph.sparql.query.known_graphs`)."""
    return known_graphs(graphs or (), catalog.readable(principal), parameter)


def _births(
    graphs: Sequence[str], principal: Principal, route: str, level: Callable[[str], str]
) -> str:
    """Update operations that give each new dataset graph in ``graphs`` its description (who
    created it, when, through which ``route``, its access level) in its description graph, in
    the transaction of the update that creates it; a graph the update leaves empty stays
    absent. (Whether it uses the model is marked after: :func:`_model_flags`.)"""
    parts = []
    for graph in graphs:
        name = dataset_name(graph)
        assert name is not None  # authorize_update creates datasets only
        description = dataset_description(
            name, checksum="none", files=(route,), access=level(name), loaded_by=principal.name
        )
        body = ox.serialize(description, format=ox.RdfFormat.N_TRIPLES)
        assert body is not None
        node, described = str(ox.NamedNode(graph)), str(ox.NamedNode(description_iri(graph)))
        parts.append(
            f"INSERT {{ GRAPH {described} {{\n{body.decode()}\n}} }} "
            f"WHERE {{ FILTER EXISTS {{ GRAPH {node} {{ ?s ?p ?o }} }} }}"
        )
    return "".join(f" ;\n{part}" for part in parts)


@write_operation
def sparql_update(
    ctx: Context,
    principal: Principal,
    text: str,
    *,
    max_triples: int = MAX_UPDATE_TRIPLES,
    using_graph_uri: Sequence[str] | None = None,
    using_named_graph_uri: Sequence[str] | None = None,
    base_iri: str | None = None,
    edits_access: str = "public",
) -> dict[str, Any]:
    """Run an update the caller may run (see :func:`graph.server.auth.authorize_update`), as one
    transaction, if it writes at most ``max_triples`` triples (see
    :func:`graph.sparql.update_size.check_update_size`). Dataset descriptions (access level,
    licence…) live in graphs of their own, which no update may read or write.

    Its default graph is the edits dataset (created at ``edits_access`` by the first write),
    ``CLEAR``/``DROP ALL`` are the datasets the caller may write, and the protocol's
    ``using-graph-uri`` / ``using-named-graph-uri`` are its ``USING`` clauses (see
    :mod:`graph.sparql.update_dataset`). A graph it writes that is no dataset yet becomes one
    (public), described with who wrote it, when and through which route. Relative IRIs
    resolve against ``base_iri``; syntax errors are placed in the caller's own text."""

    def level(name: str) -> str:
        return edits_access if name == EDITS else "public"

    def resolved(catalog: Catalog) -> str:
        return resolve_update(
            text,
            edits=dataset_iri(EDITS),
            writable=catalog.writable(principal),
            using=_known_graphs(catalog, principal, using_graph_uri, "using-graph-uri"),
            using_named=_known_graphs(
                catalog, principal, using_named_graph_uri, "using-named-graph-uri"
            ),
        )

    def planned(update: str) -> UpdatePlan:
        try:
            return plan_update(update, allow=ctx.allow, base=base_iri)
        except QueryError:
            if update != text:  # its errors where the caller wrote them
                plan_update(text, allow=ctx.allow, base=base_iri)
            raise

    if not principal.can_edit:
        raise AccessError("updates need an editor or admin token")
    # Parsed before the lock is taken (it is most of an update's time), and again under it
    # only if a write meanwhile changed what the update resolves to.
    update = resolved(ctx.catalog())
    plan = planned(update)
    with ctx.write_lock:
        catalog = ctx.catalog()
        if resolved(catalog) != update:
            plan = planned(resolved(catalog))
        created = authorize_update(plan, catalog, principal, new_level=level)
        check_update_size(ctx.store, plan, max_triples)
        # Descriptions have graphs of their own, which no update may write or read
        # (authorize_update): an update cannot change who may see a dataset.
        births = _births(created, principal, ROUTE_UPDATE, level)
        # only an insertion removes nothing
        flags = _model_flags(sorted(plan.writes), set(plan.operations) != {"InsertData"})
        described = [description_iri(g) for g in plan.writes]
        try:
            counts = _triple_counts(sorted(plan.writes))
            ctx.store.update(plan.text + births + flags + counts, graphs=[*plan.writes, *described])
            if set(plan.operations) != {"InsertData"}:  # only an insertion empties no graph
                _drop_emptied(ctx.store, plan.writes)
        except SyntaxError as error:
            message = _own_position(str(error), plan.prologue_lines)
            raise QueryError(f"malformed SPARQL update: {message}") from None
        except OSError as error:
            raise QueryError(f"the update failed: {error}") from None
        finally:
            ctx.changed()
    return {"graphs": sorted(plan.writes), "version": ctx.store.version}


def _drop_emptied(store: Store, graphs: Iterable[str]) -> None:
    """Delete each dataset of ``graphs`` that an update left without a triple, description
    included: the engine keeps an emptied named graph, and a description would keep the
    dataset listed, instead of it being gone as the update's DROP or DELETE meant."""
    empty = [
        graph
        for graph in sorted(graphs)
        if not bool(store.query(f"ASK {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}", named_graphs=[graph]))
    ]
    if empty:  # (the store's graph names only then: a remote store finds them by a scan)
        # no compaction: an emptied graph leaves nothing to reclaim
        store.drop_graphs([g for e in empty for g in (e, description_iri(e))], compact=False)


@operation
def service_description(
    ctx: Context, principal: Principal, endpoint: str, fmt: str = "turtle"
) -> bytes:
    """The SPARQL 1.1 Service Description of the endpoint, listing the caller's graphs."""
    sd = ox.NamedNode(endpoint)
    a = ox.NamedNode(RDF + "type")

    def iri(text: str) -> ox.NamedNode:
        return ox.NamedNode(text)

    triples = [
        ox.Triple(sd, a, iri(SD + "Service")),
        ox.Triple(sd, iri(SD + "endpoint"), sd),
        ox.Triple(sd, iri(SD + "supportedLanguage"), iri(SD + "SPARQL11Query")),
        ox.Triple(sd, iri(SD + "supportedLanguage"), iri(SD + "SPARQL11Update")),
        ox.Triple(sd, iri(SD + "feature"), iri(SD + "UnionDefaultGraph")),
    ]
    for served in formats(Kind.RESULTS, Kind.GRAPH):
        assert served.rdf is not None
        # The W3C's IRI of the format (pyoxigraph's JSON-LD IRI is in another namespace).
        name = served.rdf.iri.rsplit("/", 1)[1]
        triples.append(ox.Triple(sd, iri(SD + "resultFormat"), iri(FORMATS_NS + name)))
    dataset_node = ox.BlankNode("dataset")
    default = ox.BlankNode("default")
    triples += [
        ox.Triple(sd, iri(SD + "defaultDataset"), dataset_node),
        ox.Triple(dataset_node, a, iri(SD + "Dataset")),
        ox.Triple(dataset_node, iri(SD + "defaultGraph"), default),
        ox.Triple(default, a, iri(SD + "Graph")),
    ]
    for i, graph in enumerate(ctx.readable(principal)):
        named = ox.BlankNode(f"g{i}")
        triples += [
            ox.Triple(dataset_node, iri(SD + "namedGraph"), named),
            ox.Triple(named, a, iri(SD + "NamedGraph")),
            ox.Triple(named, iri(SD + "name"), iri(graph)),
        ]
    rdf = by_name(fmt, Kind.GRAPH)
    assert isinstance(rdf.rdf, ox.RdfFormat)
    prefixes = {"sd": SD, "formats": FORMATS_NS} if rdf.takes_prefixes else None
    body = ox.serialize(triples, format=rdf.rdf, prefixes=prefixes)
    assert body is not None
    return body


# --------------------------------------------------------------------------------------------
# Graph Store HTTP Protocol


@operation
def gsp_get(ctx: Context, principal: Principal, graph: str | None, fmt: str) -> tuple[bytes, str]:
    """The triples of a named graph the caller may read, or (``graph`` None) of the default
    graph: the union of the caller's datasets."""
    readable = ctx.readable(principal)
    if graph is None:
        chosen = readable
    elif graph in readable:
        chosen = [graph]
    else:
        raise queries.NotFound(f"no graph <{graph}> (or not one you may read)")
    result = ctx.store.query(
        "CONSTRUCT WHERE { ?s ?p ?o }", default_graph=chosen, named_graphs=chosen
    )
    serialized = serialize_capped(result, fmt)
    return serialized.body, serialized.media_type


def _gsp_dataset(graph: str | None) -> str:
    """The dataset a Graph Store write of ``graph`` writes: the edits dataset for the default
    graph (None), the dataset of that name for a dataset graph, else a dataset named by the
    graph's own IRI (any absolute IRI outside recruitgraph's namespace)."""
    if graph is None:
        return EDITS
    name = dataset_name(graph)
    if not name:
        raise queries.BadRequest(
            f"<{graph}> cannot be written: name a graph by an absolute IRI outside "
            f"{PROJECT}, or a dataset's {DATASET}<name>"
        )
    _dataset_graph(name)
    return name


@write_operation
def gsp_put(
    ctx: Context,
    principal: Principal,
    graph: str | None,
    path: str,
    *,
    merge: bool = False,
    access: str | None = None,
    edits_access: str = "public",
) -> dict[str, Any]:
    """Replace (PUT) or add to (POST, ``merge``) a dataset's graph with the RDF in ``path``,
    validated as an upload is; ``graph`` None is the default graph: the edits dataset
    (created at ``edits_access`` unless ``access`` says otherwise). A graph of any other IRI
    that is no dataset yet becomes one. An error calls the file ``body`` (the request's body)."""
    name = _gsp_dataset(graph)
    graph = dataset_iri(name)
    with ctx.write_lock:
        catalog = ctx.catalog()
        if name == EDITS and graph not in catalog and access is None:
            access = edits_access
        paths, names = [path], ["body"]
        if merge and graph in catalog and principal.may_read(name, catalog.level(graph)):
            existing = Path(path).with_name(Path(path).stem + "-existing.nt")
            ox.serialize(  # the data; the description is written afresh
                (ox.Triple(q.subject, q.predicate, q.object) for q in ctx.store.quads(graph)),
                str(existing),
                format=ox.RdfFormat.N_TRIPLES,
            )
            paths.insert(0, str(existing))
            names.insert(0, f"the data of dataset {name}")
        return upload(ctx, principal, name, paths, access=access, names=names)


@write_operation
def gsp_delete(ctx: Context, principal: Principal, graph: str | None) -> None:
    """Delete a dataset's graph; ``graph`` None empties the default graph: deletes the edits
    dataset (NotFound if there is none the caller can see)."""
    name = EDITS if graph is None else dataset_name(graph)
    if not name:
        raise queries.NotFound(f"no graph <{graph}> (or not one you may read)")
    delete_dataset(ctx, principal, name)


# --------------------------------------------------------------------------------------------
# The JSON graph API


@operation(cached=True)
def entities(ctx: Context, principal: Principal, **params: Any) -> dict[str, Any]:
    return queries.entities(ctx.store, ctx.readable(principal), **params)


@operation(cached=True)
def entity(ctx: Context, principal: Principal, ref: str) -> dict[str, Any]:
    return queries.entity(ctx.store, ctx.readable(principal), ref)


@operation(lane="analysis", cached=True)
def neighborhood(ctx: Context, principal: Principal, ref: str, **params: Any) -> dict[str, Any]:
    return queries.neighborhood(ctx.store, ctx.readable(principal), ref, **params)


@operation(lane="analysis", cached=True)
def paths(ctx: Context, principal: Principal, source: str, target: str, **params: Any) -> Any:
    return queries.paths(ctx.store, ctx.readable(principal), source, target, **params)


@operation(cached=True)
def flows(ctx: Context, principal: Principal, **params: Any) -> dict[str, Any]:
    return queries.flows(ctx.store, ctx.readable(principal), **params)


@operation(lane="analysis", shared=False)  # a temporary file that its caller deletes
def export(ctx: Context, principal: Principal, fmt: str, **params: Any) -> tuple[str, int]:
    """Write an export to a temporary file; (its path, the count). The caller deletes it."""
    try:
        suffix = export_format(fmt).suffix
    except UnknownFormat as error:
        raise queries.BadRequest(str(error)) from None
    # A private file (mode 0600), which the exporter replaces keeping its mode.
    handle, path = tempfile.mkstemp(prefix="recruitgraph-export-", suffix=suffix)
    os.close(handle)
    try:
        count = queries.export(ctx.store, ctx.readable(principal), path, fmt, **params)
    except BaseException:
        os.unlink(path)
        raise
    return path, count


#: What to do with the result of a reading operation computed again (see :func:`run`).
_DISCARD: dict[Callable[..., Any], Callable[[Any], None]] = {
    export: lambda result: os.unlink(result[0]),
}


@operation(lane="analysis", cached=True)
def metrics_report(
    ctx: Context, principal: Principal, filters: Any, top: int = 10, rounds: int = 0
) -> dict[str, Any]:
    """The full metrics report (:func:`graph.analysis.figures.report`) over the caller's graphs."""
    return figures.report(
        ctx.store, filters, graphs=ctx.readable(principal), top=top, rounds=rounds
    )


@operation(lane="analysis", cached=True)
def metrics_timeline(
    ctx: Context, principal: Principal, filters: Any, window: str, step: str
) -> dict[str, Any]:
    """Every graph-level figure over sliding windows (:func:`graph.analysis.figures.timeline`)."""
    return figures.timeline(
        ctx.store, filters, window=window, step=step, graphs=ctx.readable(principal)
    )


@operation(lane="analysis", cached=True)
def metrics_compare(
    ctx: Context,
    principal: Principal,
    filters: Any,
    first: str,
    second: str,
    rounds: int = figures.COMPARE_ROUNDS,
    leave_out: bool = True,
) -> dict[str, Any]:
    """Two periods side by side with the claims behind each
    (:func:`graph.analysis.figures.compare`)."""
    periods = figures.parse_period(first), figures.parse_period(second)
    return figures.compare(
        ctx.store,
        *periods,
        filters,
        graphs=ctx.readable(principal),
        rounds=rounds,
        leave_out=leave_out,
    )


@operation(lane="analysis", cached=True)
def metrics_nodes(
    ctx: Context, principal: Principal, filters: Any, by: str, top: int | None
) -> dict[str, Any]:
    """Node-level measures ranked by one of them (:func:`graph.analysis.figures.node_table`)."""
    G = project(ctx.store, filters, graphs=ctx.readable(principal))
    return {
        "filter": G.graph["filter"],
        "synthetic": G.graph["synthetic"],
        "by": by,
        "nodes": figures.node_table(G, by=by, top=top),
    }


@operation(lane="analysis", cached=True)
def question_data(ctx: Context, principal: Principal, filters: ProjectionFilter) -> dict[str, Any]:
    """What the question page draws over the caller's graphs
    (:func:`graph.analysis.question.question`)."""
    return question(
        ctx.store, filters, graphs=ctx.readable(principal), progress=progress_of_call.get()
    )


@operation(lane="analysis", cached=True)
def question_page_data(
    ctx: Context, principal: Principal, filters: ProjectionFilter
) -> dict[str, Any]:
    """What the question page carries over the caller's graphs: every chart, computed from one
    projection in the order of :data:`~graph.analysis.question.CHARTS` (its progress names
    the chart being computed; each part is cached for ``question_chart``), bounded as a page
    carries it (:func:`graph.viz.question.page_data`).

    Figures it computes are also kept as the latest of ``filters``
    (:func:`question_page_earlier`), with the graphs and the view version they were computed
    from."""
    graphs = ctx.readable(principal)
    latest: list[dict[str, Any]] = []

    def compute() -> dict[str, Any]:
        version = ctx.store.stable_version()
        shown = ctx.catalog().view_version(principal)
        data = page_data(
            question(ctx.store, filters, graphs=graphs, progress=progress_of_call.get())
        )
        if version is not None and ctx.store.stable_version() == version:  # of one state
            computed = datetime.now(UTC).isoformat(timespec="seconds")
            latest.append(
                {"graphs": graphs, "version": shown, "computed": computed, "figures": data}
            )
        return data

    # Kept on disk too: a server started again over the same store has its landing page's
    # figures at once (its warm-up finds them), not minutes later.
    data = cached_on_disk(ctx.store, "question_page", (filters, graphs), compute)
    for kept in latest[-1:]:
        keep_latest(ctx.store, "question_page", filters, kept)
    return data


@operation()
def question_page_earlier(
    ctx: Context, principal: Principal, filters: ProjectionFilter
) -> dict[str, Any] | None:
    """The question page's figures as :func:`question_page_data` last computed them for
    ``filters``, maybe at an earlier state of the store (a write since), for a page to show,
    marked as such, while the figures of the store as it is now are computed: ``figures``,
    the ``figures_version`` (view version) and UTC time (``computed``) they were computed
    at, and whether they are still ``current`` for the caller (no write since to a graph the
    caller may read). None when none were kept, or when any graph they were computed from
    is one the caller may not read now (a dataset since restricted, or another caller's)."""
    kept = latest_kept(ctx.store, "question_page", filters)
    if not isinstance(kept, dict):
        return None
    catalog = ctx.catalog()
    graphs, readable = set(kept["graphs"]), set(catalog.readable(principal))
    if not graphs <= readable:
        return None
    current = graphs == readable and kept["version"] == catalog.view_version(principal)
    return {
        "figures": kept["figures"],
        "figures_version": kept["version"],
        "computed": kept["computed"],
        "current": current,
    }


# In the query lane: the page asks for a part while its job (question_page_data) holds the
# caller's one slot of the analysis lane (a caller holds all but one of a lane's slots), and
# the part is then read from the cache that job fills. Asked for alone, it is computed there,
# as a job (under the write time limit).
@operation(cached=True)
def question_chart(
    ctx: Context, principal: Principal, filters: ProjectionFilter, chart: str
) -> dict[str, Any]:
    """One chart of the question page with its evidence, over the caller's graphs
    (:func:`graph.analysis.question.question_part`), with its specs and tables as the page
    draws it (:func:`graph.viz.question.page_part`)."""
    part = question_part(
        ctx.store, chart, filters, graphs=ctx.readable(principal), progress=progress_of_call.get()
    )
    return page_part(part)


# --------------------------------------------------------------------------------------------
# Actors and merges


@operation(cached=True)
def actors_list(
    ctx: Context, principal: Principal, kind: str | None = None, search: str | None = None
) -> list[dict[str, Any]]:
    """The actors of the caller's datasets (:func:`graph.ingest.actors.actors`)."""
    return actors.actors(ctx.store, ctx.readable(principal), kind=kind, search=search)


@operation(cached=True)
def actor_show(ctx: Context, principal: Principal, ref: str) -> dict[str, Any]:
    """One actor (:func:`graph.ingest.actors.actor`); NotFound if no actor the caller sees is
    ``ref``."""
    try:
        return actors.actor(ctx.store, ref, ctx.readable(principal))
    except actors.UnknownActorError as error:
        raise queries.NotFound(str(error)) from None


def _may_record(ctx: Context, principal: Principal, name: str, what: str) -> str | None:
    """The access level of dataset ``name`` (None if new); Forbidden unless the caller may
    write it (or create it, public)."""
    graph = dataset_iri(name)
    catalog = ctx.catalog()
    level = catalog.level(graph) if graph in catalog else None
    allowed = (
        principal.may_write(name, level)
        if graph in catalog
        else principal.may_create(name, "public")
    )
    if not allowed:
        raise Forbidden(
            f"you may not write dataset {name} ({what})"
            if principal.can_edit
            else f"{what} needs an editor or admin token"
        )
    return level


@write_operation
def actors_merge(ctx: Context, principal: Principal, a: str, b: str, reason: str) -> dict[str, Any]:
    """Merge actor ``a`` into ``b`` (:func:`graph.ingest.actors.merge`) as the caller. A public
    record names only actors of public datasets, so that it reveals nothing of a restricted one."""
    with ctx.write_lock:
        level = _may_record(ctx, principal, actors.MERGES_DATASET, "merging actors")
        graphs = ctx.readable(principal)
        if level in (None, "public"):
            catalog = ctx.catalog()
            graphs = [g for g in graphs if catalog.level(g) == "public"]
        try:
            return actors.merge(ctx.store, a, b, reason, principal.name, graphs=graphs)
        finally:
            ctx.changed()


@write_operation
def actors_unmerge(
    ctx: Context, principal: Principal, a: str, reason: str | None = None
) -> dict[str, Any]:
    """Undo the merge in force of actor ``a`` (:func:`graph.ingest.actors.unmerge`) as the
    caller."""
    with ctx.write_lock:
        graphs = ctx.readable(principal)
        found = actors.actor(ctx.store, a, graphs)["merged_into"]
        if found is not None:
            _may_record(ctx, principal, found["dataset"], "undoing a merge")
        try:
            return actors.unmerge(ctx.store, a, principal.name, reason=reason, graphs=graphs)
        finally:
            ctx.changed()


# --------------------------------------------------------------------------------------------
# The explorer


@operation(lane="analysis", cached=True)
def explorer_data(
    ctx: Context,
    principal: Principal,
    filters: ProjectionFilter,
    *,
    window: str | None = "P12M",
    step: str = "P3M",
) -> dict[str, Any]:
    """What the explorer page draws over the caller's graphs
    (:func:`graph.viz.network.explorer_data`)."""
    return network.explorer_data(
        ctx.store, ctx.readable(principal), filters, window=window, step=step
    )


def _group_graphs(
    ctx: Context, principal: Principal, filters: ProjectionFilter | None
) -> list[str]:
    """The caller's graphs; NotFound for a dataset of ``filters`` that is not among them
    (a restricted one looks exactly like a missing one)."""
    readable = ctx.readable(principal)
    if filters is not None and filters.datasets:
        queries.dataset_graphs_for(readable, filters.datasets)
    return list(readable)


@operation(lane="analysis", cached=True)
def explorer_groups(
    ctx: Context, principal: Principal, filters: ProjectionFilter | None = None
) -> dict[str, Any]:
    """The groups of the explorer's aggregate view over the caller's graphs, with the number
    of actors in them under ``filters`` (:func:`graph.viz.groups.aggregate_data`)."""
    readable = _group_graphs(ctx, principal, filters)
    synthetic = any(i.synthetic for i in list_datasets(ctx.store) if i.graph in readable)
    return groups.aggregate_data(ctx.store, readable, filters, synthetic=synthetic)


@operation(lane="analysis", cached=True)
def explorer_group_links(
    ctx: Context, principal: Principal, filters: ProjectionFilter | None = None
) -> list[dict[str, Any]]:
    """The claims between the groups of the aggregate view that pass ``filters``
    (:func:`graph.viz.groups.group_links`)."""
    return groups.group_links(ctx.store, _group_graphs(ctx, principal, filters), filters)


@operation(lane="analysis", cached=True)
def explorer_link_claims(
    ctx: Context,
    principal: Principal,
    source: str,
    target: str,
    relation: str,
    *,
    filters: ProjectionFilter | None = None,
) -> dict[str, Any]:
    """The claims behind one link of the aggregate view, under ``filters``
    (:func:`graph.viz.groups.link_claims`)."""
    return groups.link_claims(
        ctx.store, _group_graphs(ctx, principal, filters), source, target, relation, flt=filters
    )


@operation(lane="analysis", cached=True)
def explorer_group_members(
    ctx: Context,
    principal: Principal,
    cell: str,
    *,
    offset: int = 0,
    opened: Sequence[str] = (),
    filters: ProjectionFilter | None = None,
) -> dict[str, Any]:
    """A page of the members of one group of the aggregate view, with their links, under
    ``filters`` (:func:`graph.viz.groups.group_members`)."""
    return groups.group_members(
        ctx.store,
        _group_graphs(ctx, principal, filters),
        cell,
        offset=offset,
        opened=opened,
        flt=filters,
    )
