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
parties) need a pass over every claim, seconds on 100,000 actors (without a filter on claims,
one plain query a relation type, its parties put into cells from a table of every actor's
cell; under a filter, one ``GROUP BY``): they are computed apart (:func:`group_links`, a job
the page polls, cached per store version and filter) and drawn when they come, so that the
groups are on the screen at once.
Kinds, places and relation types are all read from the ontology and the reference data;
nothing here names one.

Filters
-------
Every function takes the explorer's filter (:class:`~graph.analysis.projection.ProjectionFilter`:
datasets, period, relation types, kinds, minimum confidence and amount, basis, aggregates,
level) and puts it into the store's own queries (:func:`_claim_pattern`), so that nothing is
fetched to be filtered here. Without a filter on claims a group holds every actor of its kind
and place, as the store has them; with one, the actors that are a party of a claim that
passes, as the network of a small store draws them (at the ``government`` level, the top
organizations the claims' parties roll up to).

Who is who
----------
An actor is counted, drawn and linked as the projection draws it
(:func:`~graph.analysis.projection.actor_identity`): as the survivor of the analysts' merges in
force and, at the ``government`` level, as the top organization it is part of. The few actors
drawn as another (merged ones; at the government level, every part of an organization) are
read once, and put into the store's queries: a claim's party is drawn as its survivor or top
(one lookup in a ``VALUES`` table), a group's count leaves out those drawn as another, and a
member drawn stands for the actors drawn as it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from graph.analysis.projection import LEVELS, ProjectionFilter, actor_identity, visible_graphs
from graph.errors import InvalidArgument
from graph.ingest import list_datasets
from graph.model.namespaces import DCTERMS, PROV, RDFS, RG, SCHEMA, SKOS, XSD
from graph.model.ontology import concepts, confidence_levels, kinds, local_name, relation_types
from graph.sparql import dataset_graphs
from graph.sparql.query import run_query
from graph.store import Store, lexical_rows
from graph.store.cache import cached
from graph.viz.network import kind_styles, relation_styles

__all__ = [
    "AGGREGATE_ABOVE",
    "LINK_CLAIMS",
    "MEMBERS_PAGE",
    "OPENING_CELLS",
    "aggregate_data",
    "cell_id",
    "effective_filter",
    "group_links",
    "group_members",
    "link_claims",
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


def effective_filter(flt: ProjectionFilter | None) -> ProjectionFilter:
    """``flt`` (None: no filter) with a choice of every kind or every relation type read as
    no choice: a form that lists them all filters nothing."""
    flt = flt or ProjectionFilter()
    every_kind = flt.kinds is not None and flt.kinds >= set(kinds())
    every_relation = flt.relations is not None and flt.relations >= set(relation_types())
    return replace(
        flt,
        kinds=None if every_kind else flt.kinds,
        relations=None if every_relation else flt.relations,
    )


def _narrows_claims(flt: ProjectionFilter) -> bool:
    """Whether ``flt`` (effective) keeps only some claims (a choice of datasets alone does
    not: it chooses the graphs read; nor does a level: it chooses who is drawn as whom)."""
    return flt != ProjectionFilter(datasets=flt.datasets, level=flt.level)


#: Who is who under one filter: each actor drawn as another, to the actor it is drawn as.
Identity = dict[str, str]


def _identity(store: Store, graphs: Sequence[str] | None, flt: ProjectionFilter) -> Identity:
    """The actors drawn as another at the filter's level (merged ones; at the ``government``
    level, the parts of organizations), read as the projection reads them: from every dataset
    the caller may see (``graphs``, None: every dataset), whichever datasets' claims are
    shown."""
    readable = sorted(dataset_graphs(store) if graphs is None else graphs)

    def compute() -> Identity:
        return actor_identity(store, readable, flt.level)[0]

    return cached(store, "aggregate-identity", (tuple(readable), flt.level), compute)


def _key(graphs: list[str], flt: ProjectionFilter, shown: Identity) -> tuple[Any, ...]:
    """The cache key of what is counted over ``graphs`` under ``flt`` as drawn (``shown``).
    Without a filter on claims the level matters only through ``shown``: two levels that
    draw everyone alike (a store without parts of organizations) share their counts."""
    kept = flt if _narrows_claims(flt) else replace(flt, level=LEVELS[0])
    return (tuple(sorted(graphs)), kept, tuple(sorted(shown.items())))


def _pairs(left: str, right: str, pairs: Sequence[tuple[str, str]]) -> str:
    """A ``VALUES (?left ?right)`` block of the IRI pairs ``pairs``."""
    rows = " ".join(f"(<{a}> <{b}>)" for a, b in pairs)
    return f"VALUES (?{left} ?{right}) {{ {rows} }}"


def _standing_for(drawn: Sequence[str], shown: Identity) -> list[tuple[str, str]]:
    """Each of the actors ``drawn`` with every actor drawn as it (itself among them)."""
    wanted = set(drawn)
    return [(a, a) for a in drawn] + sorted(
        (into, own) for own, into in shown.items() if into in wanted
    )


def _graphs(store: Store, graphs: Sequence[str] | None, flt: ProjectionFilter) -> list[str]:
    return visible_graphs(store, flt, list(dataset_graphs(store) if graphs is None else graphs))


def _rows(store: Store, text: str, graphs: list[str]) -> list[list[str]]:
    return lexical_rows(run_query(store, text, graphs=graphs))


def _literal(text: str) -> str:
    """``text`` as a SPARQL string literal (codes come from callers)."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped.replace(chr(13), "")}"'


def _place_pattern(subject: str, code: str, *, name: str | None = None) -> str:
    """A pattern binding ``?{code}`` to the place code of ``?{subject}``, if it has one (the
    code properties of every kind of the ontology), and ``?{name}`` to the place's name."""
    predicates = sorted({kind.code.predicate for kind in kinds().values() if kind.code})
    path = "|".join(f"<{p}>" for p in predicates)
    named = f" OPTIONAL {{ ?{code}_place <{RDFS}label> ?{name} }}" if name else ""
    return (
        f"OPTIONAL {{ ?{subject} {path} ?{code}_place . "
        f"?{code}_place <{SKOS}notation> ?{code} .{named} }}"
    )


# Kinds and relation types are kept by FILTER ... IN, not VALUES: pyoxigraph starts a join at
# a VALUES block, and a scan of every claim of a type costs seconds where the members' own
# claims cost milliseconds (measured: 4.2 s against 0.02 s for 100 recruiters of 10,000).
def _kind_filter(variable: str, flt: ProjectionFilter) -> str:
    chosen = [k.iri for name, k in kinds().items() if flt.kinds is None or name in flt.kinds]
    return f"FILTER(?{variable} IN ({', '.join(f'<{iri}>' for iri in chosen)}))"


def _relation_filter(variable: str, flt: ProjectionFilter) -> str:
    chosen = [r for r in relation_types() if flt.relations is None or r in flt.relations]
    return f"FILTER(?{variable} IN ({', '.join(f'<{RG}{r}>' for r in chosen)}))"


def _date(day: Any) -> str:
    return f'"{day.isoformat()}"^^<{XSD}date>'


def _period_filter(claim: str, flt: ProjectionFilter) -> str:
    """Claims whose period overlaps the filter's, a claim without an end lasting as long as
    the precision of its start says (:func:`graph.analysis.projection.implicit_end`)."""
    if flt.start is None and flt.end is None:
        return ""
    parts = [f"?{claim} <{RG}start> ?{claim}_start ."]
    if flt.end is not None:
        parts.append(f"FILTER(?{claim}_start <= {_date(flt.end)})")
    if flt.start is not None:
        precision = concepts("DatePrecisionScheme")
        start, first = f"?{claim}_start", flt.start
        parts.append(
            f"OPTIONAL {{ ?{claim} <{RG}end> ?{claim}_end }} "
            f"OPTIONAL {{ ?{claim} <{RG}datePrecision> ?{claim}_precision }} "
            f"FILTER(IF(BOUND(?{claim}_end), ?{claim}_end >= {_date(first)}, "
            f"IF(BOUND(?{claim}_precision) && ?{claim}_precision = <{precision['year']}>, "
            f"YEAR({start}) >= {first.year}, "
            f"IF(BOUND(?{claim}_precision) && ?{claim}_precision = <{precision['month']}>, "
            f"YEAR({start}) * 12 + MONTH({start}) >= {first.year * 12 + first.month}, "
            f"{start} >= {_date(first)}))))"
        )
    return " ".join(parts)


def _evidence_filter(claim: str, flt: ProjectionFilter) -> str:
    """Claims at least as firm as the filter's confidence, of at least its amount, of its
    basis (a claim with no basis stated is a report, as the projection reads it)."""
    parts = []
    if flt.min_confidence is not None:
        levels = confidence_levels()
        firm = levels[levels.index(flt.min_confidence) :]
        iris = ", ".join(f"<{concepts('ConfidenceScheme')[name]}>" for name in firm)
        parts.append(f"?{claim} <{RG}confidence> ?{claim}_confidence . "
                     f"FILTER(?{claim}_confidence IN ({iris}))")  # fmt: skip
    if flt.min_amount is not None:
        parts.append(f"?{claim} <{SCHEMA}amount> ?{claim}_amount . "
                     f"FILTER(?{claim}_amount >= {float(flt.min_amount)!r})")  # fmt: skip
    if flt.basis is not None:
        wanted = concepts("ClaimBasisScheme")[flt.basis]
        parts.append(f"FILTER NOT EXISTS {{ ?{claim} <{RG}basis> ?{claim}_basis . "
                     f"FILTER(?{claim}_basis != <{wanted}>) }}")  # fmt: skip
    return " ".join(parts)


def _end(
    claim: str,
    role: str,
    party: str,
    flt: ProjectionFilter,
    shown: Identity,
    among: Sequence[str] | None = None,
) -> tuple[str, str]:
    """Two patterns: one binding ``?{party}`` to the ``role`` party (rg:from or rg:to) of
    ``?{claim}`` as drawn (``shown``: the survivor of a merge or, at the ``government``
    level, the top organization), one keeping it if its kind, in ``?{party}_kind``, is one the
    filter keeps (and, without aggregates, if it is no aggregate). ``among``: the drawn
    parties wanted, given first (the join opens at them, not at every claim)."""
    own = f"?{claim}_{role}"
    if among is not None and shown:
        found = (
            f"{_pairs(party, own[1:], _standing_for(among, shown))} ?{claim} <{RG}{role}> {own} ."
        )
    elif among is not None:
        found = f"VALUES ?{party} {{ {_iris(among)} }} ?{claim} <{RG}{role}> ?{party} ."
    elif shown:
        drawn_as = f"?{claim}_{role}_as"
        table = _pairs(own[1:], drawn_as[1:], sorted(shown.items()))
        found = (
            f"?{claim} <{RG}{role}> {own} . OPTIONAL {{ {table} }} "
            f"BIND(COALESCE({drawn_as}, {own}) AS ?{party})"
        )
    else:
        found = f"?{claim} <{RG}{role}> ?{party} ."
    aggregate = "" if flt.aggregates else f" FILTER NOT EXISTS {{ ?{party} <{RG}aggregate> true }}"
    kept = f"?{party} a ?{party}_kind . {_kind_filter(party + '_kind', flt)}{aggregate}"
    return found, kept


def _claim_pattern(
    flt: ProjectionFilter,
    shown: Identity,
    claim: str,
    source: str,
    target: str,
    *,
    sources: Sequence[str] | None = None,
    targets: Sequence[str] | None = None,
) -> str:
    """A pattern binding ``?{claim}`` to each claim that passes ``flt``, ``?{claim}_type`` to
    its relation type, ``?{source}`` and ``?{target}`` to its parties as drawn (``shown``;
    their kinds in ``?{source}_kind``, ``?{target}_kind``). Without a filter it is the plain
    pattern of a claim between two parties of the ontology's kinds. ``sources``,
    ``targets``: the drawn parties wanted at either end, if known (the join opens at
    them)."""
    from_found, from_kept = _end(claim, "from", source, flt, shown, sources)
    to_found, to_kept = _end(claim, "to", target, flt, shown, targets)
    return (
        f"{from_found} {to_found} ?{claim} a ?{claim}_type . "
        f"{_relation_filter(claim + '_type', flt)}\n  {from_kept}\n  {to_kept}\n  "
        f"{_period_filter(claim, flt)} {_evidence_filter(claim, flt)}"
    )


def _cells_of_kind(
    store: Store, kind: str, graphs: list[str], among: Sequence[str] | None = None
) -> list[dict[str, Any]]:
    """The cells of one kind with their member counts, largest first (``among``: of these
    actors only)."""
    spec = kinds()[kind]
    only = f"VALUES ?a {{ {_iris(among)} }}" if among is not None else ""
    if spec.code is None:
        text = f"SELECT (COUNT(DISTINCT ?a) AS ?n) WHERE {{ {only} ?a a <{spec.iri}> }}"
        count = int(_rows(store, text, graphs)[0][0] or 0)
        return [{"id": cell_id(kind, None), "kind": kind, "code": None,
                 "place": None, "count": count}] if count else []  # fmt: skip
    text = f"""
SELECT ?code (MIN(?name) AS ?place) (COUNT(DISTINCT ?a) AS ?n) WHERE {{
  {only} ?a a <{spec.iri}> .
  OPTIONAL {{ ?a <{spec.code.predicate}> ?p . ?p <{SKOS}notation> ?code .
             OPTIONAL {{ ?p <{RDFS}label> ?name }} }}
}} GROUP BY ?code"""
    cells = [
        {"id": cell_id(kind, code), "kind": kind, "code": code or None,
         "place": place or None, "count": int(n)}
        for code, place, n in _rows(store, text, graphs)
    ]  # fmt: skip
    return sorted(cells, key=lambda cell: (-cell["count"], cell["id"]))


def _parties(flt: ProjectionFilter, shown: Identity) -> str:
    """A subquery binding ``?a`` to each party of a claim that passes ``flt`` (as drawn) and
    ``?a_kind`` to its kind: one pass over the claims, each giving both its parties (a UNION
    of the two roles is two passes, twice as long: 5.4 s against 3.0 s for 10,000 actors on
    disk)."""
    return (
        f"{{ SELECT DISTINCT ?a ?a_kind WHERE {{ {_claim_pattern(flt, shown, 'c', 'f', 't')}\n"
        "  VALUES ?side { 1 2 } BIND(IF(?side = 1, ?f, ?t) AS ?a) "
        "BIND(IF(?side = 1, ?f_kind, ?t_kind) AS ?a_kind) } }"
    )


def _party_cells(
    store: Store, graphs: list[str], flt: ProjectionFilter, shown: Identity
) -> list[dict[str, Any]]:
    """The cells of the parties of the claims that pass ``flt`` as drawn (``shown``), with
    their counts."""
    text = f"""
SELECT ?a_kind ?code (MIN(?name) AS ?place) (COUNT(DISTINCT ?a) AS ?n) WHERE {{
  {_parties(flt, shown)}
  {_place_pattern("a", "code", name="name")}
}} GROUP BY ?a_kind ?code"""
    counts: dict[str, dict[str, Any]] = {}
    for kind_iri, found, name, n in _rows(store, text, graphs):
        kind = local_name(kind_iri)
        # A kind without places is one cell, whatever its actors state.
        code = found or None if kinds()[kind].code is not None else None
        key = cell_id(kind, code)
        cell = counts.setdefault(
            key, {"id": key, "kind": kind, "code": code, "place": code and (name or None),
                  "count": 0}
        )  # fmt: skip
        cell["count"] += int(n)
    return sorted(counts.values(), key=lambda cell: (-cell["count"], cell["id"]))


def _own_cells(store: Store, kind: str, graphs: list[str], shown: Identity) -> list[dict[str, Any]]:
    """The cells of one kind, every actor of it counted but those drawn as another (``shown``:
    merged ones, parts of an organization), largest first."""
    cells = _cells_of_kind(store, kind, graphs)
    if not shown:
        return cells
    gone = {cell["id"]: cell["count"] for cell in _cells_of_kind(store, kind, graphs, list(shown))}
    kept = [{**cell, "count": cell["count"] - gone.get(cell["id"], 0)} for cell in cells]
    return sorted(
        (cell for cell in kept if cell["count"] > 0),
        key=lambda cell: (-cell["count"], cell["id"]),
    )


def _all_cells(
    store: Store, graphs: list[str], flt: ProjectionFilter, shown: Identity
) -> list[dict[str, Any]]:
    def compute() -> list[dict[str, Any]]:
        if _narrows_claims(flt):
            return _party_cells(store, graphs, flt, shown)
        return [cell for kind in kinds() for cell in _own_cells(store, kind, graphs, shown)]

    return cached(store, "aggregate-cells", _key(graphs, flt, shown), compute)


def aggregate_data(
    store: Store,
    graphs: Sequence[str] | None = None,
    flt: ProjectionFilter | None = None,
    *,
    synthetic: bool = False,
) -> dict[str, Any]:
    """What the aggregate view draws at first: the legend (kinds, relation types), every
    cell with its kind, place code, place name and number of members under ``flt``, and the
    choices of the filters (datasets, confidence levels, levels) with the filter in force.

    ``synthetic``: whether a dataset read holds generated data (the page says so).
    """
    flt = effective_filter(flt)
    chosen = _graphs(store, graphs, flt)
    cells = _all_cells(store, chosen, flt, _identity(store, graphs, flt))
    readable = set(dataset_graphs(store) if graphs is None else graphs)
    return {
        "synthetic": synthetic,
        "actors": sum(cell["count"] for cell in cells),
        "kinds": kind_styles(),
        "relations": relation_styles(),
        "cells": cells,
        "opening_cells": OPENING_CELLS,
        "members_page": MEMBERS_PAGE,
        "filter": flt.as_dict(),
        "filtered": _narrows_claims(flt) or flt.datasets is not None,
        "datasets": [
            {"name": info.name, "synthetic": info.synthetic}
            for info in list_datasets(store)
            if info.graph in readable
        ],
        "confidence": list(confidence_levels()),
        "levels": list(LEVELS),
    }


def _actor_cells(store: Store, graphs: list[str]) -> dict[str, str]:
    """Every actor of the ontology's kinds, to its cell (one query per kind, the kind's own
    place, as :func:`_cells_of_kind` counts them)."""
    cells = {}
    for kind, spec in kinds().items():
        if spec.code is None:
            text = f"SELECT ?a WHERE {{ ?a a <{spec.iri}> }}"
        else:
            text = f"""SELECT ?a ?code WHERE {{ ?a a <{spec.iri}>
  OPTIONAL {{ ?a <{spec.code.predicate}> ?p . ?p <{SKOS}notation> ?code }} }}"""
        for row in _rows(store, text, graphs):
            cells[row[0]] = cell_id(kind, row[1] if len(row) > 1 else None)
    return cells


def _every_link(store: Store, graphs: list[str], shown: Identity) -> list[dict[str, Any]]:
    """The claims between cells, every claim counted (no filter on claims): the parties of
    each relation type's claims (one plain query a type), each drawn as ``shown`` says and
    put into its cell from a table of every actor's cell.

    Three times cheaper than one ``GROUP BY`` over the kinds and places of both parties of
    every claim (measured at 100,000 actors: 8 s against 27 s, bench/RESULTS.md), which
    joins each claim's parties to their types and places; the table is one row an actor."""
    cells = _actor_cells(store, graphs)
    counts: dict[tuple[str, str, str], int] = {}
    for relation in relation_types():
        text = f"SELECT ?f ?t WHERE {{ ?c a <{RG}{relation}> ; <{RG}from> ?f ; <{RG}to> ?t }}"
        for source, target in _rows(store, text, graphs):
            ends = cells.get(shown.get(source, source)), cells.get(shown.get(target, target))
            if ends[0] is not None and ends[1] is not None:
                key = (ends[0], ends[1], relation)
                counts[key] = counts.get(key, 0) + 1
    return [
        {"from": source, "to": target, "type": relation, "claims": n}
        for (source, target, relation), n in counts.items()
    ]


def _grouped_links(
    store: Store, graphs: list[str], flt: ProjectionFilter, shown: Identity
) -> list[dict[str, Any]]:
    """The claims between cells that pass ``flt``: one ``GROUP BY`` over the kinds and
    places of both parties of every claim that passes, as drawn (``shown``)."""
    text = f"""
SELECT ?c_type ?f_kind ?from_code ?t_kind ?to_code (COUNT(DISTINCT ?c) AS ?n) WHERE {{
  {_claim_pattern(flt, shown, "c", "f", "t")}
  {_place_pattern("f", "from_code")}
  {_place_pattern("t", "to_code")}
}} GROUP BY ?c_type ?f_kind ?from_code ?t_kind ?to_code"""
    return [
        {"from": cell_id(local_name(fk), fc), "to": cell_id(local_name(tk), tc),
         "type": local_name(rtype), "claims": int(n)}
        for rtype, fk, fc, tk, tc, n in _rows(store, text, graphs)
    ]  # fmt: skip


def group_links(
    store: Store, graphs: Sequence[str] | None = None, flt: ProjectionFilter | None = None
) -> list[dict[str, Any]]:
    """The claims between cells that pass ``flt``: ``{"from": cell, "to": cell, "type":
    relation, "claims": n}`` for every pair of cells and relation type with claims. One pass
    over every claim (seconds on 100,000 actors); cached per store version and filter."""
    flt = effective_filter(flt)
    chosen = _graphs(store, graphs, flt)
    shown = _identity(store, graphs, flt)

    def compute() -> list[dict[str, Any]]:
        if _narrows_claims(flt):
            return _grouped_links(store, chosen, flt, shown)
        return _every_link(store, chosen, shown)

    return cached(store, "aggregate-links", _key(chosen, flt, shown), compute)


def _page(
    store: Store,
    graphs: list[str],
    flt: ProjectionFilter,
    shown: Identity,
    cell: str,
    offset: int,
    limit: int,
) -> list[str]:
    """The IRIs of one page of the members of ``cell`` under ``flt``, as drawn (``shown``:
    none drawn as another), in the store's own order.

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
    kept = ""
    if _narrows_claims(flt):
        parties = _parties(flt, shown)  # the parties as drawn
    else:
        parties = ""
        # Those of the cell drawn as another, left out (the few of this cell, not every one).
        gone_text = (
            f"SELECT ?a WHERE {{ VALUES ?a {{ {_iris(list(shown))} }} "
            f"?a a <{spec.iri}> . {place} }}"
        )
        gone = [row[0] for row in _rows(store, gone_text, graphs)] if shown else []
        kept = f"FILTER(?a NOT IN ({', '.join(f'<{iri}>' for iri in gone)}))" if gone else ""
    text = (
        f"SELECT DISTINCT ?a WHERE {{ {parties} ?a a <{spec.iri}> . {place} {kept} }} "
        f"LIMIT {limit} OFFSET {offset}"
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
    flt: ProjectionFilter | None = None,
) -> dict[str, Any]:
    """One page of at most :data:`MEMBERS_PAGE` members of ``cell`` under ``flt``, and
    their links (claims that pass ``flt``).

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
    flt = effective_filter(flt)
    chosen = _graphs(store, graphs, flt)
    shown = _identity(store, graphs, flt)
    found = _page(store, chosen, flt, shown, cell, offset, MEMBERS_PAGE)
    cells = _all_cells(store, chosen, flt, shown)
    total = next((c["count"] for c in cells if c["id"] == cell), 0)
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
    out = _claim_pattern(flt, shown, "c", "a", "o", sources=found)
    into = _claim_pattern(flt, shown, "c", "o", "a", targets=found)
    ends = f"""{{ {out} BIND("out" AS ?dir) }}
  UNION {{ {into} BIND("in" AS ?dir) }}
  {_place_pattern("o", "code")}"""
    summary = f"""
SELECT ?a ?dir ?c_type ?o_kind ?code (COUNT(DISTINCT ?c) AS ?n) WHERE {{ {ends} }}
GROUP BY ?a ?dir ?c_type ?o_kind ?code"""
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
        drawn.extend(_page(store, chosen, flt, shown, other_cell, int(at), MEMBERS_PAGE))
    if drawn:
        pairs = f"""
SELECT ?a ?dir ?c_type ?o_kind ?code ?o (COUNT(DISTINCT ?c) AS ?n) WHERE {{
  {ends} FILTER(?o IN ({", ".join(f"<{iri}>" for iri in drawn)}))
}} GROUP BY ?a ?dir ?c_type ?o_kind ?code ?o"""
        links += [
            {"member": a, "direction": direction, "type": local_name(rtype),
             "cell": cell_id(local_name(other), other_code), "actor": o, "claims": int(n)}
            for a, direction, rtype, other, other_code, o, n in _rows(store, pairs, chosen)
        ]  # fmt: skip
    return {**answer, "members": members, "links": links}


#: The most claims one link's details list (the latest first).
LINK_CLAIMS = 50


def _end_of_link(variable: str, end: str) -> str:
    """A pattern keeping ``?{variable}`` (bound by the claim pattern, before it) to one end
    of a link that is a cell (``Kind|code``, by its kind and place); an actor (an IRI) is
    kept by the claim pattern itself."""
    if "|" not in end:
        return ""
    kind, code = parse_cell(end)
    spec = kinds()[kind]
    kept = f"FILTER(?{variable}_kind = <{spec.iri}>)"
    if spec.code is None:
        return kept
    place = f"?{variable} <{spec.code.predicate}> ?{variable}_cell_place ."
    if code:
        return f"{kept} {place} ?{variable}_cell_place <{SKOS}notation> {_literal(code)} ."
    return f"{kept} FILTER NOT EXISTS {{ {place} }}"


def link_claims(
    store: Store,
    graphs: Sequence[str] | None,
    source: str,
    target: str,
    relation: str,
    *,
    flt: ProjectionFilter | None = None,
) -> dict[str, Any]:
    """The claims behind one link of the aggregate view: those of type ``relation`` from
    ``source`` to ``target`` (each a cell, ``Kind|code``, or an actor's IRI) that pass
    ``flt``, the latest :data:`LINK_CLAIMS` of them, with their parties, period, confidence,
    basis, note and sources.

    Raises
    ------
    InvalidArgument
        An unknown kind or relation type.
    """
    if relation not in relation_types():
        raise InvalidArgument(
            f"no relation type named {relation!r} (types: {', '.join(relation_types())})"
        )
    flt = effective_filter(flt)
    chosen = _graphs(store, graphs, flt)
    ends = [_end_of_link("f", source), _end_of_link("t", target)]
    actor = {end: [end] for end in (source, target) if "|" not in end}
    pattern = _claim_pattern(
        flt, _identity(store, graphs, flt), "c", "f", "t",
        sources=actor.get(source), targets=actor.get(target),
    )  # fmt: skip
    text = f"""
SELECT ?c ?f ?t ?when WHERE {{
  {pattern}
  FILTER(?c_type = <{RG}{relation}>)
  {ends[0]}
  {ends[1]}
  OPTIONAL {{ ?c <{RG}start> ?when }}
}} ORDER BY DESC(?when) ?c LIMIT {LINK_CLAIMS}"""
    found = _rows(store, text, chosen)
    if not found:
        return {"claims": []}
    claims = [c for c, _f, _t, _when in found]
    labels_text = f"""
SELECT ?a (MIN(?name) AS ?label) WHERE {{
  VALUES ?a {{ {_iris(sorted({p for _c, f, t, _w in found for p in (f, t)}))} }}
  ?a <{RDFS}label> ?name }} GROUP BY ?a"""
    labels = dict(_rows(store, labels_text, chosen))
    facts_text = f"""
SELECT ?c ?end ?confidence ?basis ?note ?url ?title WHERE {{
  VALUES ?c {{ {_iris(claims)} }}
  OPTIONAL {{ ?c <{RG}end> ?end }}
  OPTIONAL {{ ?c <{RG}confidence> ?confidence }}
  OPTIONAL {{ ?c <{RG}basis> ?basis }}
  OPTIONAL {{ ?c <{DCTERMS}description> ?note }}
  OPTIONAL {{ ?c <{PROV}wasDerivedFrom> ?s . ?s <{SCHEMA}url> ?url
             OPTIONAL {{ ?s <{DCTERMS}title> ?title }} }}
}}"""
    notation = {
        iri: name
        for scheme in ("ConfidenceScheme", "ClaimBasisScheme")
        for name, iri in concepts(scheme).items()
    }
    facts: dict[str, dict[str, Any]] = {c: {"sources": {}} for c in claims}
    for c, end, confidence, basis, note, url, title in _rows(store, facts_text, chosen):
        fact = facts[c]
        fact.setdefault("end", end or None)
        fact.setdefault("confidence", notation.get(confidence))
        fact.setdefault("basis", notation.get(basis, "report"))
        fact.setdefault("note", note or None)
        if url:
            fact["sources"].setdefault(url, title or "")
    return {
        "claims": [
            {
                "claim": c,
                "type": relation,
                "from": f,
                "from_label": labels.get(f) or local_name(f),
                "to": t,
                "to_label": labels.get(t) or local_name(t),
                "start": when or None,
                "end": facts[c].get("end"),
                "confidence": facts[c].get("confidence"),
                "basis": facts[c].get("basis", "report"),
                "note": facts[c].get("note"),
                "sources": [
                    {"url": u, "title": ti} for u, ti in sorted(facts[c]["sources"].items())
                ],
            }
            for c, f, t, when in found
        ]
    }
