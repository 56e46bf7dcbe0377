"""What the server does for a caller, as functions over an open store.

Every operation takes a :class:`Context` (the open store, its dataset catalog, the write lock)
and the :class:`~graph.server.auth.Principal` of the caller, works out the graphs that caller may
read or write, and then calls the library (:mod:`graph.sparql`, :mod:`graph.analysis.queries`,
:mod:`graph.ingest`). The HTTP routes run these operations in the engine process
(:mod:`graph.server.engine`); a notebook may call them directly with a Context of its own.

Errors are exceptions of the library; :func:`describe_error` maps each to an HTTP status and a
message, so that nothing reaches a client as a traceback.
"""

from __future__ import annotations

import importlib
import os
import sys
import tempfile
import threading
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from graph.analysis import figures, queries
from graph.analysis.projection import project
from graph.ingest import actors, list_datasets, load_files
from graph.ingest.validation import ValidationError
from graph.model.namespaces import DATASET, dataset_iri, dataset_name
from graph.server.auth import Catalog, Forbidden, Principal, authorize_update, read_catalog
from graph.sparql import (
    GRAPH_FORMATS,
    AccessError,
    QueryError,
    execute_query,
    is_graph_result,
    plan_update,
    serialize_capped,
)
from graph.store import Store, StoreError

SD = "http://www.w3.org/ns/sparql-service-description#"
FORMATS_NS = "http://www.w3.org/ns/formats/"


class Context:
    """An open store and what the server keeps beside it."""

    def __init__(self, store: Store, *, allow: Sequence[str] = ()) -> None:
        self.store = store
        #: SERVICE / LOAD targets that are allowed (see graph.sparql).
        self.allow = tuple(allow)
        #: Writes one at a time: checks of the catalog and the write they guard are atomic.
        self.write_lock = threading.RLock()
        self._catalog: Catalog | None = None
        self._catalog_lock = threading.Lock()
        # The embedded store has one writer, this process, so its catalog changes only
        # through changed(); a remote store may be written by others: check its version.
        self._shared = store.kind == "remote"

    def catalog(self) -> Catalog:
        """The dataset graphs and their access levels, current."""
        catalog = self._catalog
        if catalog is not None and not self._shared:
            return catalog
        with self._catalog_lock:
            current = self._catalog
            if current is not None and (not self._shared or current.version == self.store.version):
                return current
            self._catalog = read_catalog(self.store)
            return self._catalog

    def changed(self) -> None:
        """Forget the catalog after a write."""
        self._catalog = None

    def readable(self, principal: Principal) -> list[str]:
        return self.catalog().readable(principal)


# --------------------------------------------------------------------------------------------
# Errors


def describe_error(error: BaseException) -> tuple[int, str, dict[str, Any] | None]:
    """(HTTP status, message, details) for an exception of the library."""
    if isinstance(error, ValidationError):
        count = len(error.problems)
        return (
            422,
            f"the data is invalid: {count} problem{'s' if count != 1 else ''}",
            {"problems": [p.as_dict() for p in error.problems]},
        )
    if isinstance(error, queries.NotFound):
        return 404, str(error.args[0]) if error.args else "not found", None
    if isinstance(error, AccessError | Forbidden | PermissionError):
        return 403, str(error), None
    if isinstance(error, QueryError | queries.BadRequest | SyntaxError):
        return 400, str(error), None
    if isinstance(error, StoreError):
        return 502, f"the store did not answer: {error}", None
    if isinstance(error, ValueError | KeyError):
        message = str(error.args[0]) if error.args else type(error).__name__
        return 400, message, None
    traceback.print_exception(error, file=sys.stderr)
    return 500, "internal error (logged by the server)", None


# --------------------------------------------------------------------------------------------
# Health and datasets


def healthz(ctx: Context, principal: Principal) -> dict[str, Any]:
    """Liveness and what the caller can see."""
    readable = set(ctx.readable(principal))
    infos = [i for i in list_datasets(ctx.store) if i.graph in readable]
    return {
        "status": "ok",
        "store": ctx.store.kind,
        "version": ctx.store.version,
        "datasets": len(infos),
        "triples": sum(i.triples for i in infos),
    }


def datasets(ctx: Context, principal: Principal) -> list[dict[str, Any]]:
    """The datasets the caller may read, with their descriptions."""
    readable = set(ctx.readable(principal))
    return [i.as_dict() for i in list_datasets(ctx.store) if i.graph in readable]


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


def upload(
    ctx: Context,
    principal: Principal,
    name: str,
    paths: Sequence[str],
    *,
    access: str | None = None,
    licence: str | None = None,
    synthetic: bool = False,
) -> dict[str, Any]:
    """Validate files and write them as dataset ``name`` (new, or replacing one the caller may
    write). ``access`` None keeps the level of an existing dataset (public for a new one);
    changing a level needs an admin. Returns the load report with ``created``."""
    graph = _dataset_graph(name)
    if access not in (None, "public", "restricted"):
        raise queries.BadRequest("access must be public or restricted")
    with ctx.write_lock:
        catalog = ctx.catalog()
        exists = graph in catalog
        if exists:
            level = catalog.level(graph)
            if not principal.may_write(name, level):
                raise Forbidden(f"you may not write dataset {name}")
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
                raise Forbidden(
                    f"you may not create dataset {name}"
                    + ("" if access == "public" else " (a restricted one needs a grant naming it)")
                    if principal.can_edit
                    else "writing needs an editor or admin token"
                )
        try:
            report = load_files(
                ctx.store,
                list(paths),
                name,
                access=access,
                licence=licence,
                synthetic=synthetic,
                loaded_by=principal.name,
            )
        finally:
            ctx.changed()
    return {**report.as_dict(), "created": not exists}


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
            ctx.store.drop_graph(graph)
        finally:
            ctx.changed()


# --------------------------------------------------------------------------------------------
# SPARQL


def sparql_query(
    ctx: Context,
    principal: Principal,
    text: str,
    *,
    default_graph_uri: Sequence[str] | None = None,
    named_graph_uri: Sequence[str] | None = None,
    formats: tuple[str, str] = ("json", "turtle"),
    max_rows: int | None = None,
) -> tuple[bytes, str, bool]:
    """Run a query over the caller's graphs; (body, media type, truncated).

    ``formats`` is the format for a SELECT/ASK result and the one for a CONSTRUCT/DESCRIBE
    result (content negotiation happens before the kind of result is known).
    """
    result = execute_query(
        ctx.store,
        text,
        ctx.readable(principal),
        default_graph_uri=default_graph_uri,
        named_graph_uri=named_graph_uri,
        allow=ctx.allow,
    )
    fmt = formats[1] if is_graph_result(result) else formats[0]
    serialized = serialize_capped(result, fmt, max_rows)
    return serialized.body, serialized.media_type, serialized.truncated


def _description_guard(store: Store, graphs: Sequence[str]) -> str:
    """Update operations that put back each graph's dataset description as it is now, so
    that an update cannot change who may see a dataset (they run in the same transaction).
    A graph the update empties stays empty."""
    parts = []
    for graph in sorted(graphs):
        node = str(ox.NamedNode(graph))
        snapshot = store.query(
            f"CONSTRUCT {{ {node} ?p ?o }} WHERE {{ GRAPH {node} {{ {node} ?p ?o }} }}",
            default_graph=[],
            named_graphs=[graph],
        )
        assert is_graph_result(snapshot)  # a CONSTRUCT
        body = ox.serialize(snapshot, format=ox.RdfFormat.N_TRIPLES)
        assert body is not None
        parts.append(
            f"DELETE {{ GRAPH {node} {{ {node} ?p ?o }} }} "
            f"WHERE {{ GRAPH {node} {{ {node} ?p ?o }} }}"
        )
        if body.strip():
            parts.append(
                f"INSERT {{ GRAPH {node} {{\n{body.decode()}\n}} }} WHERE {{ FILTER EXISTS "
                f"{{ GRAPH {node} {{ ?s ?p ?o FILTER(?s != {node}) }} }} }}"
            )
    return "".join(f" ;\n{part}" for part in parts)


def sparql_update(ctx: Context, principal: Principal, text: str) -> dict[str, Any]:
    """Run an update the caller may run (see :func:`graph.server.auth.authorize_update`), as one
    transaction. Dataset descriptions (access level, licence…) are kept as they were unless
    the caller is an admin."""
    plan = plan_update(text, allow=ctx.allow)
    with ctx.write_lock:
        authorize_update(plan, ctx.catalog(), principal)
        guard = "" if principal.is_admin else _description_guard(ctx.store, sorted(plan.writes))
        try:
            ctx.store.update(plan.text + guard)
        except SyntaxError as error:
            raise QueryError(f"malformed SPARQL update: {error}") from None
        except OSError as error:
            raise QueryError(f"the update failed: {error}") from None
        finally:
            ctx.changed()
    return {"graphs": sorted(plan.writes), "version": ctx.store.version}


def service_description(
    ctx: Context, principal: Principal, endpoint: str, fmt: str = "turtle"
) -> bytes:
    """The SPARQL 1.1 Service Description of the endpoint, listing the caller's graphs."""
    sd = ox.NamedNode(endpoint)
    a = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")

    def iri(text: str) -> ox.NamedNode:
        return ox.NamedNode(text)

    triples = [
        ox.Triple(sd, a, iri(SD + "Service")),
        ox.Triple(sd, iri(SD + "endpoint"), sd),
        ox.Triple(sd, iri(SD + "supportedLanguage"), iri(SD + "SPARQL11Query")),
        ox.Triple(sd, iri(SD + "supportedLanguage"), iri(SD + "SPARQL11Update")),
        ox.Triple(sd, iri(SD + "feature"), iri(SD + "UnionDefaultGraph")),
    ]
    for name in (
        "SPARQL_Results_JSON",
        "SPARQL_Results_XML",
        "SPARQL_Results_CSV",
        "SPARQL_Results_TSV",
        "Turtle",
        "N-Triples",
        "JSON-LD",
        "RDF_XML",
    ):
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
    prefixes = {"sd": SD, "formats": FORMATS_NS} if fmt == "turtle" else None
    body = ox.serialize(triples, format=GRAPH_FORMATS[fmt], prefixes=prefixes)
    assert body is not None
    return body


# --------------------------------------------------------------------------------------------
# Graph Store HTTP Protocol


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


def _gsp_dataset(graph: str) -> str:
    name = dataset_name(graph)
    if not name:
        raise queries.BadRequest(
            f"graphs written here are datasets: use a graph IRI {DATASET}<name>"
        )
    _dataset_graph(name)
    return name


def gsp_put(
    ctx: Context,
    principal: Principal,
    graph: str,
    path: str,
    *,
    merge: bool = False,
    access: str | None = None,
) -> dict[str, Any]:
    """Replace (PUT) or add to (POST, ``merge``) a dataset's graph with the RDF in ``path``,
    validated as an upload is."""
    name = _gsp_dataset(graph)
    with ctx.write_lock:
        catalog = ctx.catalog()
        paths = [path]
        if merge and graph in catalog and principal.may_read(name, catalog.level(graph)):
            existing = Path(path).with_name(Path(path).stem + "-existing.nt")
            quads = (
                q for q in ctx.store.quads(graph) if q.subject != ox.NamedNode(graph)
            )  # the description is written afresh
            ox.serialize(
                (ox.Triple(q.subject, q.predicate, q.object) for q in quads),
                str(existing),
                format=ox.RdfFormat.N_TRIPLES,
            )
            paths.insert(0, str(existing))
        return upload(ctx, principal, name, paths, access=access)


def gsp_delete(ctx: Context, principal: Principal, graph: str) -> None:
    name = dataset_name(graph)
    if not name:
        raise queries.NotFound(f"no graph <{graph}> (or not one you may read)")
    delete_dataset(ctx, principal, name)


# --------------------------------------------------------------------------------------------
# The JSON graph API


def entities(ctx: Context, principal: Principal, **params: Any) -> dict[str, Any]:
    return queries.entities(ctx.store, ctx.readable(principal), **params)


def entity(ctx: Context, principal: Principal, ref: str) -> dict[str, Any]:
    return queries.entity(ctx.store, ctx.readable(principal), ref)


def neighborhood(ctx: Context, principal: Principal, ref: str, **params: Any) -> dict[str, Any]:
    return queries.neighborhood(ctx.store, ctx.readable(principal), ref, **params)


def paths(ctx: Context, principal: Principal, source: str, target: str, **params: Any) -> Any:
    return queries.paths(ctx.store, ctx.readable(principal), source, target, **params)


def flows(ctx: Context, principal: Principal, **params: Any) -> dict[str, Any]:
    return queries.flows(ctx.store, ctx.readable(principal), **params)


def export(ctx: Context, principal: Principal, fmt: str, **params: Any) -> tuple[str, int]:
    """Write an export to a temporary file; (its path, the count). The caller deletes it."""
    if fmt not in queries.EXPORT_FORMATS:
        raise queries.BadRequest(
            f"unknown export format {fmt!r}; use one of {', '.join(queries.EXPORT_FORMATS)}"
        )
    handle, path = tempfile.mkstemp(
        prefix="recruitgraph-export-", suffix=queries.EXPORT_SUFFIXES[fmt]
    )
    os.close(handle)
    try:
        count = queries.export(ctx.store, ctx.readable(principal), path, fmt, **params)
    except BaseException:
        os.unlink(path)
        raise
    return path, count


def metrics_report(
    ctx: Context, principal: Principal, filters: Any, top: int = 10, rounds: int = 0
) -> dict[str, Any]:
    """The full metrics report (:func:`graph.analysis.figures.report`) over the caller's graphs."""
    return figures.report(
        ctx.store, filters, graphs=ctx.readable(principal), top=top, rounds=rounds
    )


def metrics_timeline(
    ctx: Context, principal: Principal, filters: Any, window: str, step: str
) -> dict[str, Any]:
    """Every graph-level figure over sliding windows (:func:`graph.analysis.figures.timeline`)."""
    return figures.timeline(
        ctx.store, filters, window=window, step=step, graphs=ctx.readable(principal)
    )


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


# --------------------------------------------------------------------------------------------
# Actors and merges


def actors_list(
    ctx: Context, principal: Principal, kind: str | None = None, search: str | None = None
) -> list[dict[str, Any]]:
    """The actors of the caller's datasets (:func:`graph.ingest.actors.actors`)."""
    return actors.actors(ctx.store, ctx.readable(principal), kind=kind, search=search)


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


def library(ctx: Context, principal: Principal, target: str, *args: Any, **kwargs: Any) -> Any:
    """Call ``module:function`` of the graph package as ``function(store, graphs, ...)`` over
    the caller's graphs: how routes of other modules (metrics, viz) reach the store."""
    module_name, _, function_name = target.partition(":")
    if not module_name.startswith("graph.") or not function_name:
        raise ValueError(f"not a library function of recruitgraph: {target}")
    function: Callable[..., Any] = getattr(importlib.import_module(module_name), function_name)
    return function(ctx.store, ctx.readable(principal), *args, **kwargs)


#: The operations the engine process runs, by name.
OPERATIONS: dict[str, Callable[..., Any]] = {
    f.__name__: f
    for f in (
        healthz,
        datasets,
        dataset,
        upload,
        delete_dataset,
        sparql_query,
        sparql_update,
        service_description,
        gsp_get,
        gsp_put,
        gsp_delete,
        entities,
        entity,
        neighborhood,
        paths,
        flows,
        export,
        metrics_report,
        metrics_timeline,
        metrics_compare,
        metrics_nodes,
        actors_list,
        actor_show,
        actors_merge,
        actors_unmerge,
        library,
    )
}
