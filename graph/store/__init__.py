"""Where the triples live: one store interface over pyoxigraph's embedded store and any SPARQL
1.1 endpoint, with atomic replacement of a named graph and a version counter that every write
bumps.

:mod:`~graph.store.stores` holds the two stores; :mod:`~graph.store.consistency` computes
an answer of several queries from one state of a store; :mod:`~graph.store.cache` keeps results
computed from a store (the networkx projection, reports) until its next write, and
:mod:`~graph.store.disk_cache` keeps some on disk beside an embedded store (the landing page's
figures), for a server started again over it;
:mod:`~graph.store.formats` is the one registry of formats (pyoxigraph's format objects, with
their names, media types and suffixes) and content negotiation; :mod:`~graph.store.export`
writes every export file, atomically; :mod:`~graph.store.spreadsheet` keeps the cells of
every CSV and TSV written safe to open in a spreadsheet. Everything above this package speaks
SPARQL or quads and never asks which kind of store it has.
"""

from graph.store.consistency import StoreChanging, consistent, view_version
from graph.store.stores import (
    EmbeddedStore,
    Progress,
    QueryResult,
    RemoteStore,
    Store,
    StoreError,
    default_data_dir,
    lexical_reader,
    lexical_rows,
    lexical_spool,
    lexical_tsv,
    lexical_values,
    open_store,
)

__all__ = [
    "EmbeddedStore",
    "Progress",
    "QueryResult",
    "RemoteStore",
    "Store",
    "StoreChanging",
    "StoreError",
    "consistent",
    "default_data_dir",
    "lexical_reader",
    "lexical_rows",
    "lexical_spool",
    "lexical_tsv",
    "lexical_values",
    "open_store",
    "view_version",
]
