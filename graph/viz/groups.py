"""The explorer's aggregate view: a large store drawn as groups of actors first, each group
opened on demand (issue 13, item 3).

Past :data:`AGGREGATE_ABOVE` actors the explorer does not project the whole store: it draws
groups, counted by the store itself (SPARQL ``GROUP BY``), one cheap query per kind of party:

* a **kind** of party (every class the ontology gives an ``rg:tier``: federal bodies, regional
  governments, recruiters, cohorts …), split into
* **cells**: the kind's members by their place, where the kind has one (its
  ``rg:codeProperty``: cohorts of recruits by country, regional governments by province,
  foreign governments by country); a kind without one is a single cell;
* the **members** of a cell, fetched page by page (:func:`group_members`, at most
  :data:`MEMBERS_PAGE` at a time) with their links to every other cell and, for the cells
  already opened on the page, to the actors in them.

The links between cells (claims by relation type, between the kinds and places of their
parties) need a pass over every claim, seconds to a minute on 100,000 actors: they are
computed apart (:func:`group_links`, a job the page polls) and drawn when they come, so that
the groups are on the screen at once. Kinds, places and relation types are all read from
the ontology and the reference data; nothing here names one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from graph.errors import InvalidArgument
from graph.model.namespaces import RDFS, RG, SKOS
from graph.model.ontology import kinds, local_name, relation_types
from graph.sparql import dataset_graphs
from graph.sparql.query import run_query
from graph.store import Store, lexical_rows
from graph.store.cache import cached
from graph.viz.network import kind_styles, relation_styles

__all__ = [
    "AGGREGATE_ABOVE",
    "MEMBERS_PAGE",
    "OPENING_CELLS",
    "aggregate_data",
    "cell_id",
    "group_links",
    "group_members",
    "parse_cell",
]

#: Past this many actors (parties of every kind) the explorer opens on the aggregate view:
#: the whole network of a 10,000-actor store takes about 10 s to compute and draw here, and
#: one of 100,000 does not finish in ten minutes (bench/RESULTS.md). ``serve
#: --aggregate-above`` changes it.
AGGREGATE_ABOVE = 5000
#: The most members one opening of a cell draws; the rest come a page at a time.
MEMBERS_PAGE = 100
#: The most cells of one kind the page draws at first (the largest); the others are one
#: node ("other places") that opens into the next ones.
OPENING_CELLS = 40
#: The most pages of members already drawn that one opening asks the links to, actor by
#: actor (40 pages of 100: at most 4,000 actors in the query's filter).
MAX_WITH = 40
_EMPTY = ""


def cell_id(kind: str, code: str | None) -> str:
    """The id of a cell: its kind and place code (``RecruitCohort|NP``); a kind without a
    place, or a member without one, has an empty code (``Recruiter|``)."""
    return f"{kind}|{code or _EMPTY}"


def parse_cell(cell: str) -> tuple[str, str]:
    """The kind and place code of the cell ``cell`` (:func:`cell_id`).

    >>> parse_cell("RecruitCohort|NP")
    ('RecruitCohort', 'NP')
    """
    kind, _, code = cell.partition("|")
    if kind not in kinds():
        raise InvalidArgument(f"no kind of party named {kind!r} (kinds: {', '.join(kinds())})")
    return kind, code


def _graphs(store: Store, graphs: Sequence[str] | None) -> list[str]:
    return list(dataset_graphs(store) if graphs is None else graphs)


def _rows(store: Store, text: str, graphs: list[str]) -> list[list[str]]:
    return lexical_rows(run_query(store, text, graphs=graphs))


def _literal(text: str) -> str:
    """``text`` as a SPARQL string literal (codes come from callers)."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped.replace(chr(13), "")}"'


def _place_pattern(subject: str, code: str) -> str:
    """A pattern binding ``?{code}`` to the place code of ``?{subject}``, if it has one: the
    code properties of every kind of the ontology."""
    predicates = sorted({kind.code.predicate for kind in kinds().values() if kind.code})
    path = "|".join(f"<{p}>" for p in predicates)
    return (
        f"OPTIONAL {{ ?{subject} {path} ?{code}_place . ?{code}_place <{SKOS}notation> ?{code} }}"
    )


# Kinds and relation types are kept by FILTER ... IN, not VALUES: pyoxigraph starts a join at
# a VALUES block, and a scan of every claim of a type costs seconds where the members' own
# claims cost milliseconds (measured: 4.2 s against 0.02 s for 100 recruiters of 10,000).
def _kind_filter(variable: str) -> str:
    return f"FILTER(?{variable} IN ({', '.join(f'<{k.iri}>' for k in kinds().values())}))"


def _relation_filter(variable: str) -> str:
    return f"FILTER(?{variable} IN ({', '.join(f'<{RG}{r}>' for r in relation_types())}))"


def _cells_of_kind(store: Store, kind: str, graphs: list[str]) -> list[dict[str, Any]]:
    """The cells of one kind with their member counts, largest first."""
    spec = kinds()[kind]
    if spec.code is None:
        text = f"SELECT (COUNT(DISTINCT ?a) AS ?n) WHERE {{ ?a a <{spec.iri}> }}"
        count = int(_rows(store, text, graphs)[0][0] or 0)
        return [{"id": cell_id(kind, None), "kind": kind, "code": None,
                 "place": None, "count": count}] if count else []  # fmt: skip
    text = f"""
SELECT ?code (MIN(?name) AS ?place) (COUNT(DISTINCT ?a) AS ?n) WHERE {{
  ?a a <{spec.iri}> .
  OPTIONAL {{ ?a <{spec.code.predicate}> ?p . ?p <{SKOS}notation> ?code .
             OPTIONAL {{ ?p <{RDFS}label> ?name }} }}
}} GROUP BY ?code"""
    cells = [
        {"id": cell_id(kind, code), "kind": kind, "code": code or None,
         "place": place or None, "count": int(n)}
        for code, place, n in _rows(store, text, graphs)
    ]  # fmt: skip
    return sorted(cells, key=lambda cell: (-cell["count"], cell["id"]))


def _all_cells(store: Store, graphs: list[str]) -> list[dict[str, Any]]:
    return cached(
        store,
        "aggregate-cells",
        tuple(sorted(graphs)),
        lambda: [cell for kind in kinds() for cell in _cells_of_kind(store, kind, graphs)],
    )


def aggregate_data(
    store: Store, graphs: Sequence[str] | None = None, *, synthetic: bool = False
) -> dict[str, Any]:
    """What the aggregate view draws at first: the legend (kinds, relation types), and every
    cell with its kind, place code, place name and number of members.

    ``synthetic``: whether a dataset read holds generated data (the page says so).
    """
    chosen = _graphs(store, graphs)
    cells = _all_cells(store, chosen)
    return {
        "synthetic": synthetic,
        "actors": sum(cell["count"] for cell in cells),
        "kinds": kind_styles(),
        "relations": relation_styles(),
        "cells": cells,
        "opening_cells": OPENING_CELLS,
        "members_page": MEMBERS_PAGE,
    }


def group_links(store: Store, graphs: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """The claims between cells: ``{"from": cell, "to": cell, "type": relation, "claims":
    n}`` for every pair of cells and relation type with claims. One pass over every claim
    (seconds on 100,000 actors); cached per store version."""
    chosen = _graphs(store, graphs)
    text = f"""
SELECT ?type ?from_kind ?from_code ?to_kind ?to_code (COUNT(DISTINCT ?c) AS ?n) WHERE {{
  ?c <{RG}from> ?f ; <{RG}to> ?t ; a ?type . {_relation_filter("type")}
  ?f a ?from_kind . {_kind_filter("from_kind")}
  ?t a ?to_kind . {_kind_filter("to_kind")}
  {_place_pattern("f", "from_code")}
  {_place_pattern("t", "to_code")}
}} GROUP BY ?type ?from_kind ?from_code ?to_kind ?to_code"""

    def compute() -> list[dict[str, Any]]:
        return [
            {"from": cell_id(local_name(fk), fc), "to": cell_id(local_name(tk), tc),
             "type": local_name(rtype), "claims": int(n)}
            for rtype, fk, fc, tk, tc, n in _rows(store, text, chosen)
        ]  # fmt: skip

    return cached(store, "aggregate-links", tuple(sorted(chosen)), compute)


def _page(store: Store, graphs: list[str], cell: str, offset: int, limit: int) -> list[str]:
    """The IRIs of one page of the members of ``cell``, in the store's own order.

    Not ORDER BY: pyoxigraph sorts 64,000 recruiters in about 7 s, while a page at any offset
    of its index comes in well under one. The order is the index's, the same for one state
    of the store (the page sorts what it draws by label)."""
    kind, code = parse_cell(cell)
    spec = kinds()[kind]
    if spec.code is None:
        place = ""
    elif code:
        place = f"?a <{spec.code.predicate}> ?p . ?p <{SKOS}notation> {_literal(code)} ."
    else:
        place = f"FILTER NOT EXISTS {{ ?a <{spec.code.predicate}> ?p }}"
    text = (
        f"SELECT DISTINCT ?a WHERE {{ ?a a <{spec.iri}> . {place} }} LIMIT {limit} OFFSET {offset}"
    )
    return [row[0] for row in _rows(store, text, graphs)]


def _iris(iris: Sequence[str]) -> str:
    return " ".join(f"<{iri}>" for iri in iris)


def group_members(
    store: Store,
    graphs: Sequence[str] | None,
    cell: str,
    *,
    offset: int = 0,
    opened: Sequence[str] = (),
) -> dict[str, Any]:
    """One page of at most :data:`MEMBERS_PAGE` members of ``cell``, and their links.

    ``opened`` lists the pages of members the page draws already, ``cell@offset`` each
    (``RecruitCohort|NP@0``). Returns ``{"cell", "total", "offset", "members": [{"id",
    "label"}], "links": [...]}``. Each link is ``{"member", "direction": "out"|"in", "type",
    "cell", "claims"}``: the claims of a member with the parties of another cell; and ``{...,
    "actor": IRI}``, those with each party of the ``opened`` pages (their share of the cell's
    claims).

    Raises
    ------
    InvalidArgument
        An unknown kind, a negative offset, or more than :data:`MAX_WITH` opened pages.
    """
    parse_cell(cell)
    if not 0 <= offset <= 10**9:
        raise InvalidArgument("offset must be 0 or more")
    if len(opened) > MAX_WITH:
        raise InvalidArgument(f"at most {MAX_WITH} opened pages of members")
    chosen = _graphs(store, graphs)
    found = _page(store, chosen, cell, offset, MEMBERS_PAGE)
    total = next((c["count"] for c in _all_cells(store, chosen) if c["id"] == cell), 0)
    answer: dict[str, Any] = {"cell": cell, "total": total, "offset": offset}
    if not found:
        return {**answer, "members": [], "links": []}
    labels_text = f"""
SELECT ?a (MIN(?name) AS ?label) WHERE {{ VALUES ?a {{ {_iris(found)} }} ?a <{RDFS}label> ?name }}
GROUP BY ?a"""
    labels = dict(_rows(store, labels_text, chosen))
    members = sorted(
        ({"id": iri, "label": labels.get(iri) or local_name(iri)} for iri in found),
        key=lambda member: (member["label"], member["id"]),
    )
    # The members first (VALUES opens the join at them), kinds and relation types filtered.
    ends = f"""VALUES ?a {{ {_iris(found)} }}
  {{ ?c <{RG}from> ?a ; <{RG}to> ?o . BIND("out" AS ?dir) }}
  UNION {{ ?c <{RG}to> ?a ; <{RG}from> ?o . BIND("in" AS ?dir) }}
  ?c a ?type . {_relation_filter("type")}
  ?o a ?kind . {_kind_filter("kind")}
  {_place_pattern("o", "code")}"""
    summary = f"""
SELECT ?a ?dir ?type ?kind ?code (COUNT(DISTINCT ?c) AS ?n) WHERE {{ {ends} }}
GROUP BY ?a ?dir ?type ?kind ?code"""
    links = [
        {"member": a, "direction": direction, "type": local_name(rtype),
         "cell": cell_id(local_name(other), other_code), "claims": int(n)}
        for a, direction, rtype, other, other_code, n in _rows(store, summary, chosen)
    ]  # fmt: skip
    drawn: list[str] = []
    for page in opened:
        other_cell, _, at = page.rpartition("@")
        if not at.isdigit():
            raise InvalidArgument(f"an opened page is cell@offset, not {page!r}")
        drawn.extend(_page(store, chosen, other_cell, int(at), MEMBERS_PAGE))
    if drawn:
        pairs = f"""
SELECT ?a ?dir ?type ?kind ?code ?o (COUNT(DISTINCT ?c) AS ?n) WHERE {{
  {ends} FILTER(?o IN ({", ".join(f"<{iri}>" for iri in drawn)}))
}} GROUP BY ?a ?dir ?type ?kind ?code ?o"""
        links += [
            {"member": a, "direction": direction, "type": local_name(rtype),
             "cell": cell_id(local_name(other), other_code), "actor": o, "claims": int(n)}
            for a, direction, rtype, other, other_code, o, n in _rows(store, pairs, chosen)
        ]  # fmt: skip
    return {**answer, "members": members, "links": links}
