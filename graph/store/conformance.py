"""What a remote SPARQL server has been seen to do, on the points access control and figures
rest on (DESIGN.md, "Store": a remote server is trusted only for what a probe has shown).

Virtuoso 7.2.5, for one, lets a query's own ``FROM`` / ``FROM NAMED`` win over the protocol's
``default-graph-uri`` / ``named-graph-uri`` (a caller would read any graph it names), writes
booleans as ``"1"`` / ``"0"``, answers ``ASK`` as a one-row table, and cuts results at its
``ResultSetMaxRows`` (10,000 by default; ``X-SPARQL-MaxRows`` says so on a table, nothing on
a graph). :func:`read_probes` runs at every opening (queries only, none touching data);
:func:`write_probes` before serving (it writes a probe graph and removes it). Each finding
either changes how :class:`~graph.store.RemoteStore` reads answers (booleans read by value,
``ASK`` tables read as booleans, results at the limit refused as cut), or how the layer above
checks a query (``FROM`` checked against the caller's graphs by
:func:`graph.sparql.query.execute_query`), or stops the server from starting
(:class:`NonConformingStore`): graphs that the protocol's parameters cannot confine, or a
version that does not move after a write.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import pyoxigraph as ox

from graph.model.namespaces import STAGING

if TYPE_CHECKING:
    from graph.store.stores import RemoteStore

__all__ = ["Conformance", "NonConformingStore", "read_probes", "write_probes"]

#: Rows the row-limit probe asks for (a cartesian product of VALUES, no data read): a server
#: that cuts results below this is caught at opening; above it, only by its header.
PROBE_ROWS = 125_000


@dataclass(frozen=True)
class Conformance:
    """What the probes found. Until a probe has run, the safe assumption holds: the query's
    dataset clause may win (so the layer checks it), booleans are read by value."""

    #: The protocol's default-graph-uri / named-graph-uri win over the query's FROM / FROM
    #: NAMED (False: the layer must check the query's dataset clause itself).
    dataset_parameters_win: bool = False
    #: default-graph-uri and named-graph-uri confine a query (with no dataset clause) to the
    #: graphs they list; None: not probed yet.
    parameters_confine: bool | None = None
    #: Booleans come back as "true"/"false" (False: "1"/"0", read by value here).
    canonical_booleans: bool = False
    #: Rows past which the server cuts a result (None: none seen up to PROBE_ROWS).
    row_limit: int | None = None
    #: The version moves after a write; None: not probed yet.
    version_moves: bool | None = None
    #: Findings in words, for the server's banner and log.
    notes: tuple[str, ...] = field(default=())


class NonConformingStore(Exception):
    """The remote server fails a probe that nothing here can make up for; the message says
    which and what to change (raised as a StoreError by the caller)."""


def read_probes(store: RemoteStore) -> Conformance:
    """The probes that read nothing but constants: how booleans and ``ASK`` come back, and
    the server's row limit."""
    notes = []
    result = store.query("SELECT ?b WHERE { VALUES ?b { true } }")
    assert isinstance(result, ox.QuerySolutions)
    lexical = next(iter(result))["b"].value
    canonical = lexical == "true"
    if not canonical:
        notes.append(f'booleans come back as "{lexical}": read by value')
    values = " ".join(str(i) for i in range(50))
    rows = store.count_rows(
        f"SELECT ?a ?b ?c WHERE {{ VALUES ?a {{ {values} }} VALUES ?b {{ {values} }} "
        f"VALUES ?c {{ {values} }} }}"
    )
    limit = rows if rows < PROBE_ROWS else None
    if limit is not None:
        notes.append(
            f"results are cut at {limit:,} rows: answers that reach it are refused as cut "
            "(raise the server's limit, e.g. Virtuoso's [SPARQL] ResultSetMaxRows)"
        )
    return Conformance(canonical_booleans=canonical, row_limit=limit, notes=tuple(notes))


def write_probes(store: RemoteStore, found: Conformance) -> Conformance:
    """Write two probe graphs (named as staging graphs, so that a probe killed half way is
    cleaned up like a load), check that the version moved and how the protocol's dataset
    parameters and the query's dataset clause combine, and remove them. Raises
    NonConformingStore where the store cannot be served safely."""
    base = f"{STAGING}{int(time.time())}-probe-{uuid.uuid4().hex}"
    public, hidden = f"{base}/public", f"{base}/hidden"
    before = store.version
    store.update(
        f'INSERT DATA {{ GRAPH <{public}> {{ <{base}> <{base}#p> "public" }} '
        f'GRAPH <{hidden}> {{ <{base}> <{base}#p> "hidden" }} }}',
        graphs=[public, hidden],
    )
    try:
        moves = store.version > before
        if not moves:
            raise NonConformingStore(
                "the store's version did not move after a write: caches and access decisions "
                "would rest on a stale state; check that the update endpoint allows "
                "DELETE/INSERT … WHERE on the graph " + "<https://w3id.org/recruitgraph/system>"
            )

        def seen(query: str, default: list[str], named: list[str]) -> set[str]:
            rows = store.query(query, default_graph=default, named_graphs=named)
            assert isinstance(rows, ox.QuerySolutions)
            return {row["o"].value for row in rows}

        plain = f"SELECT ?o WHERE {{ ?s <{base}#p> ?o }}"
        in_graph = f"SELECT ?o WHERE {{ GRAPH ?g {{ ?s <{base}#p> ?o }} }}"
        confine = seen(plain, [public], []) == {"public"} == seen(in_graph, [], [public])
        if not confine:
            raise NonConformingStore(
                "the store does not confine a query to the graphs named by default-graph-uri "
                "and named-graph-uri: restricted datasets cannot be kept from callers"
            )
        from_query = f"SELECT ?o FROM <{hidden}> WHERE {{ ?s <{base}#p> ?o }}"
        named_query = f"SELECT ?o FROM NAMED <{hidden}> WHERE {{ GRAPH ?g {{ ?s <{base}#p> ?o }} }}"
        parameters_win = "hidden" not in seen(
            from_query, [public], [public]
        ) and "hidden" not in seen(named_query, [public], [public])
    finally:
        store.update(f"DROP SILENT GRAPH <{public}> ; DROP SILENT GRAPH <{hidden}>")
    notes = found.notes
    if not parameters_win:
        notes += (
            "a query's FROM / FROM NAMED win over default-graph-uri / named-graph-uri: "
            "each query's dataset clause is checked against the caller's graphs here",
        )
    return replace(
        found,
        dataset_parameters_win=parameters_win,
        parameters_confine=True,
        version_moves=True,
        notes=notes,
    )
