"""Projection of the knowledge graph into a networkx multigraph.

Actors and schemes become nodes; each relation node (a sourced claim) becomes one edge from its
``rg:from`` to its ``rg:to`` party, keyed by the claim's IRI and carrying its type, period,
amount, currency, purpose, count, confidence, dataset and sources. Filters select the claims:
a period, relation types, kinds of party, a minimum confidence, datasets, and whether
aggregates ("the regional governments" as a whole) take part.

Time
----
A claim counts in a window when its period overlaps the window. A claim without an end is
taken to last as long as the precision of its start says: a day, a month, or a year (a claim
"in 2024" spans 2024; a bonus "from July 2024" with no stated end spans July 2024). This keeps
one old claim from counting in every later window, at the price of under-counting programmes
whose end nobody reported.

Caching
-------
Projections are cached per (store, store version, filter, visible graphs), and returned frozen
(``nx.freeze``) so that a caller cannot change the cached copy; any write to the store bumps
its version, so a stale projection is never served.
"""

from __future__ import annotations

import calendar
import math
import sys
from collections import Counter, deque
from collections.abc import Hashable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, replace
from datetime import date, timedelta
from typing import IO, Any, Literal, overload

import networkx as nx

from graph.errors import InvalidArgument
from graph.ingest import list_datasets
from graph.model.namespaces import DCTERMS, PROV, RG, SCHEMA, dataset_iri, dataset_name
from graph.model.ontology import (
    concept_rank,
    concepts,
    confidence_levels,
    kinds,
    local_name,
    relation_types,
)
from graph.model.reference import REFERENCE_DATASET
from graph.sparql import dataset_graphs, run_query
from graph.store import EmbeddedStore, Store, lexical_reader, lexical_spool, lexical_values
from graph.store.cache import cached, paused_gc
from graph.store.memory import release_freed_memory
from graph.store.sizing import weighted_size

#: The levels a projection can show actors at (see :class:`ProjectionFilter`).
LEVELS = ("organization", "government")


@dataclass(frozen=True)
class ProjectionFilter:
    """Which claims a projection keeps. ``None`` means no restriction."""

    start: date | None = None  #: window start (inclusive)
    end: date | None = None  #: window end (inclusive)
    relations: frozenset[str] | None = None  #: relation types, e.g. {"FundingFlow"}
    kinds: frozenset[str] | None = None  #: kinds of party, e.g. {"FederalBody", "Recruiter"}
    min_confidence: str | None = None  #: "low", "medium" or "high"
    #: claims of at least this amount, in their own currency (claims with no amount left out)
    min_amount: float | None = None
    datasets: tuple[str, ...] | None = None  #: dataset names
    aggregates: bool = True  #: whether claims about aggregates take part
    #: "report": only claims that report a fact; None: every claim, assessments included
    basis: str | None = None
    #: "organization": each registered actor a node; "government": every actor rolled up along
    #: ``org:subOrganizationOf`` to its top organization (every federal body to the center)
    level: str = "organization"

    def __post_init__(self) -> None:
        if self.start and self.end and self.end < self.start:
            raise InvalidArgument(f"the period ends ({self.end}) before it starts ({self.start})")
        unknown = (self.relations or frozenset()) - set(relation_types())
        if unknown:
            raise InvalidArgument(
                f"unknown relation type {', '.join(sorted(unknown))}; "
                f"use one of {', '.join(relation_types())}"
            )
        unknown = (self.kinds or frozenset()) - set(kinds())
        if unknown:
            raise InvalidArgument(
                f"unknown kind {', '.join(sorted(unknown))}; use one of {', '.join(kinds())}"
            )
        levels = confidence_levels()
        if self.min_confidence is not None and self.min_confidence not in levels:
            raise InvalidArgument(
                f"unknown confidence {self.min_confidence!r}; use one of {', '.join(levels)}"
            )
        if self.min_amount is not None and not math.isfinite(self.min_amount):
            raise InvalidArgument(f"min_amount must be a number, not {self.min_amount!r}")
        for name in self.datasets or ():
            dataset_iri(name)  # refuses a malformed name
        bases = concepts("ClaimBasisScheme")
        if self.basis is not None and self.basis not in bases:
            raise InvalidArgument(
                f"unknown basis {self.basis!r}; use one of {', '.join(bases)} (or none for all)"
            )
        if self.level not in LEVELS:
            raise InvalidArgument(f"unknown level {self.level!r}; use one of {', '.join(LEVELS)}")

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        data = asdict(self)
        for key in ("relations", "kinds"):
            if data[key] is not None:
                data[key] = sorted(data[key])
        for key in ("start", "end"):
            if data[key] is not None:
                data[key] = data[key].isoformat()
        if data["datasets"] is not None:
            data["datasets"] = list(data["datasets"])
        return data

    def window(self, start: date | None, end: date | None) -> ProjectionFilter:
        """The same filter over another period (None: unbounded)."""
        return replace(self, start=start, end=end)


# The claims are read flat (one query for the claims, then the statements of each optional
# property) rather than by one query with a dozen OPTIONALs: oxigraph's left joins, the nested
# one for the sources above all, cost several times the reading of the same triples (100,000
# synthetic actors: 31 s against 9 s for the whole projection). A property counts when it is
# stated in the named graph that states the claim, as the OPTIONALs inside one GRAPH pattern
# would have it.
_CORE = """
SELECT ?claim ?type ?from ?to ?start ?g
WHERE {
  GRAPH ?g { ?claim rg:from ?from ; rg:to ?to ; a ?type ; rg:start ?start . }
  %s
}"""

#: The optional properties of a claim, by the key they are read into.
_CLAIM_PROPERTIES = {
    "end": RG + "end",
    "precision": RG + "datePrecision",
    "confidence": RG + "confidence",
    "amount": SCHEMA + "amount",
    "currency": SCHEMA + "currency",
    "purpose": RG + "purpose",
    "count": RG + "count",
    "claim_id": RG + "claimId",
    "derived_from": PROV + "wasDerivedFrom",
    "basis": RG + "basis",
    "amount_basis": RG + "amountBasis",
    "foreigners": RG + "coversForeigners",
    "note": DCTERMS + "description",
    "action": RG + "enforcementKind",
}

#: The claim properties whose values are concepts, and the scheme of each: a value is read as its
#: notation, and the statements are read one value at a time (:func:`_statements_by_value`).
_SCHEMES = {
    "precision": "DatePrecisionScheme",
    "confidence": "ConfidenceScheme",
    "purpose": "FundingPurposeScheme",
    "basis": "ClaimBasisScheme",
    "amount_basis": "AmountBasisScheme",
    "action": "EnforcementKindScheme",
}

_SOURCES = """
SELECT ?source ?url ?title ?g
WHERE {
  GRAPH ?g { ?source schema:url ?url OPTIONAL { ?source dcterms:title ?title } }
}"""

_PARTIES = """
SELECT ?node ?type (MIN(?name) AS ?label) (MAX(?agg) AS ?aggregate) (MAX(?synth) AS ?synthetic)
       (MIN(?notation) AS ?code)
WHERE {
  ?node a ?type .
  VALUES ?type { %s }
  OPTIONAL { ?node rdfs:label ?name }
  OPTIONAL { ?node rg:aggregate ?agg }
  OPTIONAL { ?node rg:synthetic ?synth }
  OPTIONAL { ?node rg:province|rg:country|rg:nationality ?place . ?place skos:notation ?notation }
}
GROUP BY ?node ?type"""

# What _PARTIES tells, read flat: the kind of each party, then each of its other columns by a
# query of its own over one pattern, grouped by the party with the same aggregate. The same
# answers (a MIN or MAX over a party's values does not change when the OPTIONALs multiply
# its rows) in a third of the time: oxigraph's left joins cost more than the reading (100,000
# synthetic actors: 6-10 s against 2-3 s; bench/RESULTS.md, "Parties and properties read flat").
_PARTY_KINDS = "SELECT ?node ?type WHERE { ?node a ?type . VALUES ?type { %s } }"
_PARTY_COLUMNS = {
    "label": "SELECT ?node (MIN(?name) AS ?v) WHERE { ?node rdfs:label ?name } GROUP BY ?node",
    "aggregate": "SELECT ?node (MAX(?agg) AS ?v) WHERE { ?node rg:aggregate ?agg } GROUP BY ?node",
    "synthetic": "SELECT ?node (MAX(?s) AS ?v) WHERE { ?node rg:synthetic ?s } GROUP BY ?node",
    "code": """SELECT ?node (MIN(?notation) AS ?v)
WHERE { ?node rg:province|rg:country|rg:nationality ?place . ?place skos:notation ?notation }
GROUP BY ?node""",
}


def add_months(day: date, months: int) -> date:
    """``day`` plus ``months`` calendar months, clamped to the end of a shorter month."""
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def implicit_end(start: date, precision: str | None) -> date:
    """The last day that a claim dated ``start`` with ``precision`` (day, month, year) covers."""
    if precision == "year":
        return date(start.year, 12, 31)
    if precision == "month":
        return add_months(start.replace(day=1), 1) - timedelta(days=1)
    return start


def _overlaps(start: date, end: date, flt: ProjectionFilter) -> bool:
    return (flt.end is None or start <= flt.end) and (flt.start is None or end >= flt.start)


def _rows(store: Store, text: str, graphs: list[str]) -> list[list[str]]:
    """The rows of a SELECT query over ``graphs``, each value as its lexical form (see
    :func:`graph.store.lexical_rows`). The embedded engine evaluates and writes without
    holding the GIL, so that the queries of a projection run on one core while Python reads
    the results of the others on the other."""
    return list(lexical_reader(_query_tsv(store, text, graphs)))


def _query_tsv(store: Store, text: str, graphs: list[str]) -> IO[str]:
    """The result of a SELECT query over ``graphs`` as the engine's TSV in a temporary file
    (:func:`graph.store.lexical_spool`), for :func:`graph.store.lexical_reader` to read one
    row at a time: a large result waits there, not in memory (see :func:`_rows`)."""
    return lexical_spool(run_query(store, text, graphs=graphs))


def _statements_tsv(store: Store, graph: str, predicate: str) -> IO[str]:
    """The statements of ``predicate`` in the named graph ``graph`` as SPARQL TSV (subject,
    object), written by the engine into a temporary file (see :func:`_query_tsv`).

    A query rather than :meth:`graph.store.Store.statements`: on an on-disk store most of the
    time goes to the engine's reading of the terms, which a query does without holding the
    GIL, so that the next property is read while Python takes in this one (100,000 synthetic
    actors: bench/RESULTS.md, "A cold report at 100,000 actors").
    """
    text = f"SELECT ?s ?o WHERE {{ GRAPH <{graph}> {{ ?s <{predicate}> ?o }} }}"
    return lexical_spool(store.query(text, default_graph=[], named_graphs=[graph]))


#: The most values a property's statements are read by, one query each
#: (:func:`_statements_by_value`); past it they are read whole.
_MOST_VALUES = 64

#: Whether the parties and the claims' properties are read by the flat queries of
#: :func:`_parties` and :func:`_statements_by_value` (False: by :data:`_PARTIES` and every
#: property whole, the reads they replace and fall back on; the tests compare the two).
_FLAT_READS = True


def _statements_by_value(
    store: Store, graph: str, predicate: str, candidates: Sequence[str]
) -> tuple[int, list[tuple[str, IO[str]]]]:
    """The statements of ``predicate`` in ``graph`` whose object is one of ``candidates``
    (IRIs), read one value at a time: ``(statements of the predicate in all, [(value, TSV of
    its subjects)])``.

    The engine gives back only the subjects: on an on-disk store each IRI it writes is a
    lookup in the store, and a concept or a source, the same for a hundred thousand claims,
    was looked up once per claim (100,000 synthetic actors: 0.9 s against 0.45 s a property).
    """
    count = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s <{predicate}> ?o }} }}"

    def tsv(text: str) -> IO[str]:
        return lexical_spool(store.query(text, default_graph=[], named_graphs=[graph]))

    total = int(next(lexical_reader(tsv(count)))[0])
    parts = []
    for value in candidates:
        parts.append(
            (value, tsv(f"SELECT ?s WHERE {{ GRAPH <{graph}> {{ ?s <{predicate}> <{value}> }} }}"))
        )
    return total, parts


def _read_property(
    store: Store, graph: str, predicate: str, candidates: Sequence[str] | None
) -> IO[str] | tuple[int, list[tuple[str, IO[str]]]]:
    """The statements of ``predicate`` in ``graph``: by value (:func:`_statements_by_value`)
    where ``candidates`` are few, else whole (:func:`_statements_tsv`)."""
    if candidates is None or len(candidates) > _MOST_VALUES:
        return _statements_tsv(store, graph, predicate)
    return _statements_by_value(store, graph, predicate, candidates)


def _subjects_by_value(
    read: tuple[int, list[tuple[str, IO[str]]]], strings: dict[str, str]
) -> dict[str, list[str]] | None:
    """What :func:`_statements_by_value` read as ``{value: [subjects]}`` (each subject the
    one copy of it in ``strings``: see :func:`build_projection`), when
    each subject has one value among the candidates and none other, so that a subject's
    value is the one the whole statements would give first; otherwise (not possible for
    validated data) None."""
    total, parts = read
    share = strings.setdefault
    found = {value: [share(s, s) for s in lexical_values(text)] for value, text in parts}
    if sum(map(len, found.values())) != total:
        return None  # a value outside the candidates
    several = [subjects for subjects in found.values() if subjects]
    if len(several) > 1 and len(set().union(*several)) != total:
        return None  # a subject with two values
    return found


def _property_values(
    store: Store,
    graphs: list[str],
    home: dict[str, str] | None,
    pool: ThreadPoolExecutor,
    strings: dict[str, str],
    sources: Sequence[str] | None = None,
) -> dict[str, dict[str, Any]]:
    """For each key of :data:`_CLAIM_PROPERTIES`, ``{claim: value}`` (``derived_from``:
    ``{claim: [values]}``) of that property, read from each of ``graphs`` (those that state
    claims); the first value wins.

    A property counts when it is stated in the graph that states the claim (``home``: claim
    IRI -> that graph). When one graph states every claim, ``home`` is None and every subject
    of the property in it is kept (the claims look up their own).

    The reads run on ``pool``, two ahead of the one Python takes in (each waiting read holds
    its TSV in a temporary file, not its rows). On the embedded engine the properties of
    :data:`_SCHEMES` and ``derived_from`` (when ``sources``, the IRIs of the sources, are
    given) are read one value at a time (:func:`_statements_by_value`).

    Claim IRIs and values are shared, one copy of each in ``strings``: the engine gives a new
    string for each term it returns, so a dozen properties of every claim held copies of the
    same claim IRIs and of the few concept IRIs of the values while the projection was built
    (at 100,000 actors the peak of a build went from 901 to 681 MiB: bench/RESULTS.md, "10M
    triples on one machine").
    """
    candidates: dict[str, Sequence[str] | None] = dict.fromkeys(_CLAIM_PROPERTIES)
    if isinstance(store, EmbeddedStore) and _FLAT_READS:
        for key, scheme in _SCHEMES.items():
            candidates[key] = list(concepts(scheme).values())
        if sources is not None:
            candidates["derived_from"] = sources
    reads = iter([(key, g) for key in _CLAIM_PROPERTIES for g in graphs])
    pending: deque[tuple[str, str, Future[IO[str] | tuple[int, list[tuple[str, IO[str]]]]]]] = (
        deque()
    )

    def read_next() -> None:
        if (following := next(reads, None)) is not None:
            key, g = following
            read = pool.submit(_read_property, store, g, _CLAIM_PROPERTIES[key], candidates[key])
            pending.append((key, g, read))

    read_next()
    read_next()
    values: dict[str, dict[str, Any]] = {key: {} for key in _CLAIM_PROPERTIES}
    share = strings.setdefault
    while pending:
        key, g, future = pending.popleft()
        read_next()
        found = values[key]
        read = future.result()
        by_value = _subjects_by_value(read, strings) if isinstance(read, tuple) else None
        if by_value is not None:
            first = not found  # (no graph before this one gave a value)
            for value, subjects in by_value.items():
                if home is not None:
                    subjects = [iri for iri in subjects if home.get(iri) == g]
                value = share(value, value)
                if key == "derived_from":
                    for iri in subjects:
                        found.setdefault(iri, []).append(value)
                elif first:
                    found.update(dict.fromkeys(subjects, value))
                else:
                    for iri in subjects:
                        found.setdefault(iri, value)
            continue
        if isinstance(read, tuple):
            read = _statements_tsv(store, g, _CLAIM_PROPERTIES[key])
        statements: Iterable[list[str]] = lexical_reader(read)
        if home is not None:
            statements = (row for row in statements if home.get(row[0]) == g)
        if key == "derived_from":
            for iri, value in statements:
                found.setdefault(share(iri, iri), []).append(share(value, value))
        else:
            for iri, value in statements:
                if iri not in found:
                    found[share(iri, iri)] = share(value, value)
    return values


def _claim_graphs(store: Store, graphs: list[str]) -> list[str]:
    """The graphs among ``graphs`` that state any claim (a cheap look before the queries)."""
    ask = "ASK { GRAPH ?g { ?claim rg:from ?party } }"
    return [g for g in graphs if run_query(store, ask, graphs=[g])]


@dataclass
class _Citations:
    """The sources of claims as (urls, titles), one tuple pair per distinct set of sources
    (shared by the claims that cite the same sources: most cite one or two reports)."""

    titles: dict[tuple[str, str], dict[str, str]]  # (source, graph) -> {url: title}
    found: dict[tuple[tuple[str, ...], str], tuple[tuple[str, ...], tuple[str, ...]]]

    def of(self, sources: tuple[str, ...], g: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
        key = (sources, g)
        cited = self.found.get(key)
        if cited is None:
            urls: dict[str, str] = {}
            for source in sources:
                for url, title in self.titles.get((source, g), {}).items():
                    urls.setdefault(url, title)
            ordered = tuple(sorted(urls))
            cited = self.found[key] = (ordered, tuple(urls[u] for u in ordered))
        return cited


class _Claim:
    """A claim's edge attributes, made as the ``__dict__`` of an instance of this class: a dict
    like any other, whose keys (always these, in this order) are shared by every claim's dict
    instead of held by each (CPython's key-sharing dictionaries, PEP 412): 240 bytes a claim
    against 464 for a dict of its own; a projection of 100,000 actors took 261 MiB instead of
    324 (bench/RESULTS.md, "The server under 2 GiB at 10M triples"). CPython 3.11 shares up
    to 29 keys (a class of 30 attributes gave dicts of 1,584 bytes)."""

    def __init__(
        self,
        claim_id: str | None,
        type: str,
        start: date,
        end: date,
        end_stated: bool,
        precision: str | None,
        confidence: str | None,
        amount: float | None,
        currency: str | None,
        purpose: str | None,
        count: int | None,
        dataset: str | None,
        sources: tuple[str, ...],
        source_titles: tuple[str, ...],
        basis: str,
        amount_basis: str | None,
        foreigners: bool | None,
        note: str | None,
        action: str | None,
        subject: str,
        object: str,
    ) -> None:
        self.claim_id = claim_id
        self.type = type
        self.start = start
        self.end = end
        self.end_stated = end_stated
        self.precision = precision
        self.confidence = confidence
        self.amount = amount
        self.currency = currency
        self.purpose = purpose
        self.count = count
        self.dataset = dataset
        self.sources = sources
        self.source_titles = source_titles
        self.basis = basis
        self.amount_basis = amount_basis
        self.foreigners = foreigners
        self.note = note
        self.action = action
        self.subject = subject
        self.object = object


def _claims(
    store: Store,
    graphs: list[str],
    flt: ProjectionFilter,
    pool: ThreadPoolExecutor,
    strings: dict[str, str],
) -> list[Any]:
    """The claims that pass ``flt``: ``[(claim IRI, from, to, edge attributes)]``, each claim
    once, in the order the engine gives them.

    The claims are found by one query (on ``pool``), their optional properties read one by one
    (:func:`_property_values`). The list is the one the claims were first read into, each
    claim's row replaced by its result as it is made: no second list, nor a dict of the claims,
    is held beside the first (300,000 synthetic actors: 170 MB of the peak of a build;
    bench/RESULTS.md, "The projection's results spooled to a file").
    """
    stating = _claim_graphs(store, graphs)
    if not stating:
        return []
    types = sorted(flt.relations) if flt.relations is not None else relation_types()
    clauses = ["VALUES ?type { " + " ".join(f"rg:{r}" for r in types) + " }"]
    if flt.end is not None:
        # Coarse cut in the engine; the overlap with the window is decided below.
        clauses.append(f'FILTER(?start <= "{flt.end.isoformat()}"^^xsd:date)')
    sources = pool.submit(_query_tsv, store, _SOURCES, graphs)
    core = pool.submit(_query_tsv, store, _CORE % "\n  ".join(clauses), graphs)

    # When one graph states every claim, its properties are read while the engine answers
    # the query of the claims; otherwise they need to know which graph states which claim.
    one = len(stating) == 1
    # (The sources are few and read at once: their IRIs are the values of derived_from.)
    cited = list(dict.fromkeys(row[0] for row in lexical_reader(sources.result())))
    values = _property_values(store, stating, None, pool, strings, cited) if one else {}
    home: dict[str, str] = {}  # claim -> the graph it is stated in (the first one found)
    # (a row of a claim, then the claim that passes, or None)
    rows: list[Any] = []
    share = strings.setdefault
    for iri, rtype, src, dst, start_text, g in lexical_reader(core.result()):
        if iri not in home:
            # (one string per claim, party and date, shared with the properties and nodes)
            claim = share(iri, iri)
            g = home[claim] = share(g, g)
            rtype, src, dst = share(rtype, rtype), share(src, src), share(dst, dst)
            rows.append((claim, rtype, src, dst, share(start_text, start_text), g))
    del core  # (its file, removed: no longer needed while the claims are built)
    if not one:
        values = _property_values(store, stating, home, pool, strings, cited)
    del home  # (each row tells its graph)
    derived = values.pop("derived_from")
    titles: dict[tuple[str, str], dict[str, str]] = {}
    # An unbound title reads as "", the title of a source without one.
    for source, url, title, g in lexical_reader(sources.result()):
        titles.setdefault((source, g), {}).setdefault(url, title)
    del sources
    citations = _Citations(titles, {})

    notation = {iri: n for scheme in _SCHEMES.values() for n, iri in concepts(scheme).items()}
    levels = concepts("ConfidenceScheme")
    rank = {iri: concept_rank(iri) or 0 for iri in levels.values()}
    minimum = rank[levels[flt.min_confidence]] if flt.min_confidence else None
    ends, precisions, confidences = values["end"], values["precision"], values["confidence"]
    amounts, currencies, purposes = values["amount"], values["currency"], values["purpose"]
    counts, claim_ids = values["count"], values["claim_id"]
    bases, amount_bases, foreigners = values["basis"], values["amount_basis"], values["foreigners"]
    notes, actions = values["note"], values["action"]
    # A claim loaded before claims had a basis is a report, as a version-1 CSV is read.
    report = concepts("ClaimBasisScheme")["report"]
    wanted_basis = concepts("ClaimBasisScheme")[flt.basis] if flt.basis else None
    type_names: dict[str, str] = {}
    dataset_names: dict[str, str | None] = {}
    # A few thousand distinct dates among 300,000 claims: each parsed once.
    periods: dict[tuple[str, str | None, str | None], tuple[date, date, str | None] | None] = {}
    kept = 0  # (the claims that pass so far, at the start of ``rows``)
    for i in range(len(rows)):
        iri, rtype, src, dst, start_text, g = rows[i]
        rows[i] = None  # (its tuple freed as the claim's is made)
        confidence = confidences.get(iri)
        if minimum is not None and rank.get(confidence or "", 0) < minimum:
            continue
        if flt.min_amount is not None and not (
            iri in amounts and float(amounts[iri]) >= flt.min_amount
        ):
            continue
        basis = bases.get(iri, report)
        if wanted_basis is not None and basis != wanted_basis:
            continue
        end_text = ends.get(iri)
        key = (start_text, precisions.get(iri), end_text)
        if key not in periods:
            periods[key] = _period(*key, notation)
        period = periods[key]
        if period is None:
            continue  # not possible for validated data; data loaded otherwise is skipped
        start, end, precision = period
        if not _overlaps(start, end, flt):
            continue
        urls, source_titles = citations.of(tuple(derived.get(iri, ())), g)
        name = type_names.get(rtype)
        if name is None:
            name = type_names[rtype] = local_name(rtype)
        if g not in dataset_names:
            dataset_names[g] = dataset_name(g)
        amount = amounts.get(iri)
        count = counts.get(iri)
        rows[kept] = (
            iri,
            src,
            dst,
            _Claim(
                claim_id=claim_ids.get(iri),
                type=name,
                start=start,
                end=end,
                end_stated=end_text is not None,
                precision=precision,
                confidence=notation.get(confidence or ""),
                amount=float(amount) if amount is not None else None,
                currency=currencies.get(iri),
                purpose=notation.get(purposes.get(iri) or ""),
                count=int(count) if count is not None else None,
                dataset=dataset_names[g],
                sources=urls,
                source_titles=source_titles,
                basis=notation[basis],
                amount_basis=notation.get(amount_bases.get(iri) or ""),
                foreigners=_boolean(foreigners.get(iri)),
                note=notes.get(iri),
                action=notation.get(actions.get(iri) or ""),
                subject=src,
                object=dst,
            ).__dict__,
        )
        kept += 1
    del rows[kept:]
    return rows


def _boolean(text: str | None) -> bool | None:
    """An xsd:boolean's lexical form as a bool; None when absent."""
    return None if text is None else text in ("true", "1")


def _period(
    start_text: str, precision_iri: str | None, end_text: str | None, notation: dict[str, str]
) -> tuple[date, date, str | None] | None:
    """A claim's first and last day and the precision of its start; None if a date is not
    one (not possible for validated data)."""
    try:
        start = date.fromisoformat(start_text)
        precision = notation.get(precision_iri or "")
        end = (
            date.fromisoformat(end_text) if end_text is not None else implicit_end(start, precision)
        )
    except ValueError:
        return None
    return start, end, precision


def _parties(store: Store, graphs: list[str], strings: dict[str, str]) -> dict[str, dict[str, Any]]:
    """The parties of the kinds of the model: ``{IRI: {"kind", "tier", "label", "aggregate",
    "synthetic", "code"}}``, what :data:`_PARTIES` answers, read by the flat queries of
    :data:`_PARTY_KINDS` and :data:`_PARTY_COLUMNS`; each IRI the one copy of it in
    ``strings`` (see :func:`build_projection`).

    A party of two kinds (not possible for validated data) is read by :data:`_PARTIES`
    itself, whose order decides which kind it keeps.
    """
    by_iri = {kind.iri: kind for kind in kinds().values()}
    values = " ".join(f"<{iri}>" for iri in by_iri)
    typed: dict[str, str] | None = {} if _FLAT_READS else None
    if typed is not None:
        for iri, rtype in lexical_reader(_query_tsv(store, _PARTY_KINDS % values, graphs)):
            if typed.setdefault(iri, rtype) != rtype:
                typed = None  # a party of two kinds
                break
    rows: list[list[str]]
    if typed is None:
        rows = _rows(store, _PARTIES % values, graphs)
    else:
        labels, aggregates, synthetics, codes = (
            dict(lexical_reader(_query_tsv(store, _PARTY_COLUMNS[name], graphs)))
            for name in ("label", "aggregate", "synthetic", "code")
        )
        rows = [
            [iri, rtype, labels.get(iri, ""), aggregates.get(iri, ""), synthetics.get(iri, ""),
             codes.get(iri, "")]
            for iri, rtype in typed.items()
        ]  # fmt: skip
    parties = {}
    share = strings.setdefault
    for iri, rtype, label, aggregate, synthetic, code in rows:
        kind = by_iri[rtype]
        parties[share(iri, iri)] = {
            "kind": kind.name,
            "tier": kind.tier,
            "label": label or local_name(iri),
            "aggregate": aggregate == "true",
            "synthetic": synthetic == "true",
            "code": code or None,
        }
    return parties


_PART_OF = "SELECT DISTINCT ?actor ?parent WHERE { ?actor org:subOrganizationOf ?parent }"
_MERGES = """
SELECT DISTINCT ?merged ?survivor
WHERE {
  ?merge a rg:ActorMerge ; rg:mergedActor ?merged ; rg:survivor ?survivor .
  FILTER NOT EXISTS { ?merge prov:invalidatedAtTime ?undone }
}"""


def actor_identity(
    store: Store, graphs: Sequence[str], level: str = "organization"
) -> tuple[dict[str, str], dict[str, str]]:
    """Which node each actor is shown as, and each actor's parent organization.

    Returns ``(shown_as, part_of)``: ``shown_as`` maps an actor IRI to the IRI it is drawn as
    when that differs from itself — the survivor of the analysts' merges in force
    (``rg:ActorMerge`` records not undone) and, at the ``government`` level, the top of its
    ``org:subOrganizationOf`` chain, merges applied at every step; ``part_of`` maps an actor
    to its parent as the registry states it.
    """
    part_of = dict(_rows(store, _PART_OF, list(graphs)))
    merged = dict(_rows(store, _MERGES, list(graphs)))
    shown_as = {}
    for start in {*merged, *(part_of if level == "government" else ())}:
        node, seen = start, {start}
        while True:
            step = merged.get(node) or (part_of.get(node) if level == "government" else None)
            if step is None or step in seen:
                break  # the top, or a cycle (refused at load; data written otherwise stops)
            seen.add(step)
            node = step
        if node != start:
            shown_as[start] = node
    return shown_as, part_of


def visible_graphs(store: Store, flt: ProjectionFilter, graphs: Sequence[str] | None) -> list[str]:
    """The graphs a projection under ``flt`` reads: ``graphs`` (None: every dataset) narrowed
    to the filter's datasets, the reference data kept."""
    allowed = set(dataset_graphs(store) if graphs is None else graphs)
    if flt.datasets is None:
        return sorted(allowed)
    # The reference data (place codes, the ontology) always takes part when visible.
    wanted = {dataset_iri(name) for name in flt.datasets} | {dataset_iri(REFERENCE_DATASET)}
    return sorted(allowed & wanted)


def _multidigraph(
    nodes: dict[str, dict[str, Any]], edges: list[tuple[str, str, str, dict[str, Any]]]
) -> nx.MultiDiGraph:
    """The MultiDiGraph of ``nodes`` (node -> its attribute dict) and ``edges`` (from, to, key,
    attribute dict), in that order, with the given dicts as its attribute dicts.

    Written into networkx's documented data structure (node -> neighbour -> key -> attributes,
    the same dict for a key in the successors and the predecessors) rather than through
    ``add_edges_from``, which copies every attribute dict twice and goes through an
    ``add_edge`` call and three views per edge: a third of the time of reading 300,000 claims.
    The result is the graph ``add_nodes_from`` and ``add_edges_from`` would give (tested).
    """
    G: nx.MultiDiGraph[str] = nx.MultiDiGraph()
    # the private dicts are networkx's documented structure but absent from its stubs
    succ, pred = G._succ, G._pred  # type: ignore[attr-defined]
    for node, attrs in nodes.items():
        G._node[node] = attrs  # type: ignore[attr-defined]
        succ[node] = {}
        pred[node] = {}
    for u, v, key, attrs in edges:
        keys = succ[u].get(v)
        if keys is None:
            keys = succ[u][v] = pred[v][u] = {}
        keys[key] = attrs
    nx._clear_cache(G)
    return G


def projection_bytes(G: nx.Graph, *, sample: int = 256) -> int:
    """The bytes the graph ``G`` holds (any networkx graph; made for projections), told in a
    tenth of the time an exact walk takes.

    Its structure is measured whole: every dict of nodes, neighbours and keys, every node, key
    and attribute dict's own size (one :func:`sys.getsizeof` each; what a directed graph's
    predecessors or an undirected one's second direction share with the first is counted
    once, and so is a neighbour or key that is the very object keying its node or naming its
    edge's claim). The values in the attribute dicts, alike from edge to edge (a claim's dates,
    labels, sources), are measured on ``sample`` node and ``sample`` edge attribute dicts
    spread over the graph and scaled to all (:func:`graph.store.sizing.weighted_size`), with
    two corrections for what values share: an edge's value that is a node's (a label) is
    not counted again, and one met in more than one sampled dict (a dataset's name, a source
    cited by every claim) is taken to be shared by all and counted once.

    Against tracemalloc (the memory Python allocated for a projection, built twice so that
    every cache of the process is warm; ``recruitgraph synth`` data, centralization 0.5,
    seed 1; ``bench/projection_bytes.py``): -0.2 % at 1,000 actors (2,841 claims, 4.6 MiB),
    +0.5 % at 10,000 (29,789 claims, 47.9 MiB), in 0.17 s there; an exact walk of every
    object agrees to 0.1 % and takes six times as long.
    """
    nodes = G._node  # type: ignore[attr-defined]
    # (The structure's dicts are in ``seen`` so that the views networkx keeps on the graph,
    # which hold them, do not lead the walk of its other attributes back into them.)
    structure = [getattr(G, name) for name in _STRUCTURE if hasattr(G, name)]
    seen: set[int] = {id(node) for node in nodes} | set(map(id, structure))
    total: float = sys.getsizeof(G) + sum(map(sys.getsizeof, nodes)) + sys.getsizeof(nodes)
    total += sum(map(sys.getsizeof, nodes.values()))
    multi, directed = G.is_multigraph(), G.is_directed()
    # Each edge once (its owner: the successors' side; undirected, the first end reached):
    # its tail, head (as keyed there), key and attribute dict.
    tails: list[object] = []
    heads: list[object] = []
    edge_keys: list[object] = []
    edge_dicts: list[dict[str, Any]] = []
    adjacency = G._adj  # type: ignore[attr-defined]
    total += sys.getsizeof(adjacency)
    for node, neighbours in adjacency.items():
        total += sys.getsizeof(neighbours)
        for neighbour, below in neighbours.items():
            if id(neighbour) not in seen:
                total += sys.getsizeof(neighbour)
            if not directed:
                if id(below) in seen:
                    continue
                seen.add(id(below))
            total += sys.getsizeof(below)
            if multi:
                # (Keys networkx numbers itself are small ints, the interpreter's own.)
                total += sum(sys.getsizeof(key) for key in below if not isinstance(key, int))
                total += sum(map(sys.getsizeof, below.values()))
                for key, attrs in below.items():
                    tails.append(node)
                    heads.append(neighbour)
                    edge_keys.append(key)
                    edge_dicts.append(attrs)
            else:
                tails.append(node)
                heads.append(neighbour)
                edge_keys.append(None)
                edge_dicts.append(below)
    step = max(1, len(edge_dicts) // sample)
    # The objects an edge's attributes may share with the structure (a claim's subject and
    # object keyed as neighbours, its IRI as the key): counted there, not again in the sample.
    sampled = set(zip(tails[::step], heads[::step], strict=True))
    seen.update(map(id, heads[::step]))
    seen.update(map(id, edge_keys[::step]))
    if directed:
        predecessors = G._pred  # type: ignore[attr-defined]
        total += sys.getsizeof(predecessors)
        for node, neighbours in predecessors.items():
            total += sys.getsizeof(neighbours)  # (what is below is the successors')
            for neighbour in neighbours:
                if id(neighbour) not in seen:
                    total += sys.getsizeof(neighbour)
                    if (neighbour, node) in sampled:
                        seen.add(id(neighbour))
    header = {name: value for name, value in vars(G).items() if name not in _STRUCTURE}
    total += weighted_size([(header, 1.0)], seen)
    total += _sampled_values(list(nodes.values()), seen, sample)
    # (An edge's value that is a node's, a label, is the node's.)
    seen.update(id(value) for attrs in nodes.values() for value in attrs.values())
    total += _sampled_values(edge_dicts, seen, sample)
    return round(total)


def _sampled_values(dicts: list[dict[str, Any]], seen: set[int], sample: int) -> float:
    """The bytes of the values of ``dicts``, measured on ``sample`` of them spread evenly and
    scaled to all; a value met in more than one of the sample counts once."""
    step = max(1, len(dicts) // sample)
    picked = dicts[::step]
    if not picked:
        return 0.0
    scale = len(dicts) / len(picked)
    met = Counter(id(value) for attrs in picked for value in attrs.values())
    return weighted_size(
        (
            (value, 1.0 if met[id(value)] > 1 else scale)
            for attrs in picked
            for value in attrs.values()
        ),
        seen,
    )


#: What networkx keeps a graph's nodes and edges in (the rest of its attributes is small).
_STRUCTURE = frozenset({"_node", "_adj", "_succ", "_pred"})


def build_projection(
    store: Store,
    flt: ProjectionFilter | None = None,
    *,
    graphs: Sequence[str] | None = None,
) -> nx.MultiDiGraph:
    """Project the claims that pass ``flt`` into a MultiDiGraph, without the cache.

    ``graphs`` are the named graphs the caller may see (default: every dataset). Nodes are
    the parties of the claims that pass; an edge per claim, keyed by the claim's IRI, with the
    claim's own parties as ``subject`` and ``object`` (they differ from the edge's ends where
    an actor is drawn as another: rolled up, merged). ``G.graph`` holds ``synthetic`` (True if
    any data shown is synthetic), ``datasets`` (the names of the datasets whose claims are
    shown), ``filter``, ``version`` and ``party_labels`` (the label of each party of a claim
    that is not a node; :func:`party_label`).

    An edge's attributes are the 21 keys of :class:`_Claim`, which shares them between all
    claims: its IRI is the edge's key and its parties' labels are read from the nodes and
    ``party_labels``.
    """
    flt = flt or ProjectionFilter()
    visible = visible_graphs(store, flt, graphs)
    version = store.version
    # One copy of each IRI and value read (the engine gives a new string for every term),
    # shared by the claims, their properties and the nodes. Not sys.intern: the interpreter's
    # table of interned strings never shrinks, and one sized for the strings of a large build
    # (29 MiB at 100,000 actors) would stay for good under every later analysis.
    strings: dict[str, str] = {}
    # Two queries at a time on the embedded engine (see _rows); one at a time on a remote one.
    with ThreadPoolExecutor(2 if isinstance(store, EmbeddedStore) else 1) as pool:
        parties_read = pool.submit(_parties, store, visible, strings)
        claims = _claims(store, visible, flt, pool, strings)
        parties = parties_read.result()
    # Who is who (the registry, the merges) is read from every dataset the caller may see,
    # whichever datasets' claims are shown.
    identities = list(dataset_graphs(store) if graphs is None else graphs)
    shown_as, part_of = actor_identity(store, identities, flt.level)
    nodes: dict[str, dict[str, Any]] = {}
    party_labels: dict[str, str] = {}  # the parties of claims that are not nodes: their labels
    # (the list of the claims becomes that of the edges, each claim's entry replaced by its
    # edge: see _claims)
    edges = claims
    kept = 0
    shown = set()
    for at in range(len(claims)):
        iri, src, dst, edge = claims[at]
        own_src, own_dst = parties.get(src), parties.get(dst)
        if own_src is None or own_dst is None:
            continue  # a party of a kind outside the model: not part of the network
        own = (own_src, own_dst)
        # Drawn as the survivor of a merge or, at the government level, its top organization;
        # the claim keeps its own parties for the evidence tables.
        ends_at = [shown_as.get(party, party) for party in (src, dst)]
        ends = [parties.get(node) or own[i] for i, node in enumerate(ends_at)]
        ends_at = [node if node in parties else (src, dst)[i] for i, node in enumerate(ends_at)]
        if flt.kinds is not None and any(end["kind"] not in flt.kinds for end in ends):
            continue
        if not flt.aggregates and any(end["aggregate"] for end in ends):
            continue
        for node, attrs in zip(ends_at, ends, strict=True):
            if node not in nodes:
                nodes[node] = attrs  # a dict of its own, made by _parties
                parent = part_of.get(node)
                attrs["part_of"] = shown_as.get(parent, parent) if parent else None
                attrs["members"] = []
        for node, party, attrs in zip(ends_at, (src, dst), own, strict=True):
            if party != node:
                # (an actor drawn as another is never a node of its own: its label is kept here)
                party_labels[party] = attrs["label"]
                if party not in nodes[node]["members"]:
                    nodes[node]["members"].append(party)
        edges[kept] = (ends_at[0], ends_at[1], iri, edge)
        kept += 1
        shown.add(edge["dataset"])
    del edges[kept:]
    G = _multidigraph(nodes, edges)
    synthetic_datasets = {
        info.name for info in list_datasets(store) if info.synthetic and info.graph in visible
    }
    G.graph.update(
        synthetic=bool(shown & synthetic_datasets)
        or any(attrs["synthetic"] for attrs in nodes.values()),
        datasets=sorted(shown),
        filter=flt.as_dict(),
        version=version,
        party_labels=party_labels,
    )
    return G


def party_label(G: nx.MultiDiGraph, party: Hashable) -> str | None:
    """The label of a claim's own party (an edge's ``subject`` or ``object``) in the
    projection ``G``: its node's, or, for an actor drawn as another, the one kept in
    ``G.graph["party_labels"]``; None for a party that neither knows.

    Examples
    --------
    >>> G = nx.MultiDiGraph(party_labels={"ministry": "Ministry"})
    >>> G.add_node("center", label="Center")
    >>> party_label(G, "center"), party_label(G, "ministry"), party_label(G, "x")
    ('Center', 'Ministry', None)
    """
    attrs = G._node.get(party)  # type: ignore[attr-defined]
    if attrs is not None:
        label: str | None = attrs.get("label")
        return label
    return G.graph.get("party_labels", {}).get(party)


def within(G: nx.MultiDiGraph, start: date, end: date) -> nx.MultiDiGraph:
    """The claims of the projection ``G`` in force in ``[start, end]`` (those whose period
    overlaps it), with their parties: what :func:`project` gives for ``G``'s filter over that
    window, taken from ``G`` instead of the store (seconds a year on a large store). Frozen;
    its ``filter`` names the window.

    Examples
    --------
    >>> G = nx.MultiDiGraph(filter={"start": None, "end": None})
    >>> _ = G.add_edge("a", "b", start=date(2024, 3, 1), end=date(2024, 3, 1))
    >>> _ = G.add_edge("b", "c", start=date(2025, 1, 1), end=date(2025, 6, 30))
    >>> H = within(G, date(2025, 1, 1), date(2025, 12, 31))
    >>> sorted(H.nodes), H.graph["filter"]["start"]
    (['b', 'c'], '2025-01-01')
    """
    edges = [
        (u, v, k, data)
        for u, v, k, data in G.edges(keys=True, data=True)
        if data["start"] <= end and data["end"] >= start
    ]
    H: nx.MultiDiGraph[Hashable] = nx.MultiDiGraph()
    window = {"start": start.isoformat(), "end": end.isoformat()}
    H.graph.update(G.graph, filter={**G.graph.get("filter", {}), **window})
    H.add_nodes_from(
        (node, G.nodes[node]) for node in dict.fromkeys(e for u, v, *_ in edges for e in (u, v))
    )
    H.add_edges_from(edges)  # type: ignore[arg-type]
    return nx.freeze(H)


def project(
    store: Store,
    flt: ProjectionFilter | None = None,
    *,
    graphs: Sequence[str] | None = None,
) -> nx.MultiDiGraph:
    """:func:`build_projection`, cached per (store, version, filter, graphs); frozen.

    A repeated request does not query the claims again; any write to the store bumps its
    version and so invalidates what was cached. Use ``nx.MultiDiGraph(G)`` for a copy that
    can be changed.
    """
    flt = flt or ProjectionFilter()
    key = (flt, None if graphs is None else tuple(sorted(graphs)))

    def compute() -> nx.MultiDiGraph:
        with paused_gc():
            G = nx.freeze(build_projection(store, flt, graphs=graphs))
        # (its temporaries, several times its size, are freed: their pages go back)
        release_freed_memory()
        return G

    return cached(store, "projection", key, compute, projection_bytes)


@overload
def simple_view(
    G: nx.MultiDiGraph,
    *,
    directed: Literal[True] = ...,
    weight: str | None = ...,
    currency: str | None = ...,
    amount_basis: str | None = ...,
) -> nx.DiGraph: ...
@overload
def simple_view(
    G: nx.MultiDiGraph,
    *,
    directed: bool,
    weight: str | None = ...,
    currency: str | None = ...,
    amount_basis: str | None = ...,
) -> nx.Graph: ...
def simple_view(
    G: nx.MultiDiGraph,
    *,
    directed: bool = True,
    weight: str | None = None,
    currency: str | None = None,
    amount_basis: str | None = None,
) -> nx.Graph | nx.DiGraph:
    """A simple graph of ``G`` for algorithms that need one.

    Parallel claims between two parties become one edge whose ``weight`` is the number of
    claims (``weight="count"``) or the sum of the amounts of those in ``currency`` whose
    ``amount_basis`` is ``"total"`` (``weight="amount"``; other claims add 0); with
    ``weight=None`` edges carry no weight. Money is never added across currencies, and
    per-recruit levels (or amounts of unknown basis) are never added at all, so
    ``weight="amount"`` needs ``currency`` and ``amount_basis="total"``. Node attributes are
    kept. Self-loops are dropped.
    """
    if weight not in (None, "count", "amount"):
        raise InvalidArgument(f"weight must be None, 'count' or 'amount', not {weight!r}")
    if weight == "amount" and (currency is None or amount_basis != "total"):
        raise InvalidArgument(
            "weight='amount' sums money: give one currency and amount_basis='total' "
            "(per-recruit levels are never summed), or use weight='count'"
        )
    if weight != "amount" and (currency is not None or amount_basis is not None):
        raise InvalidArgument("currency and amount_basis go with weight='amount'")
    H: nx.Graph | nx.DiGraph = nx.DiGraph() if directed else nx.Graph()
    H.add_nodes_from(G.nodes(data=True))
    H.graph.update(G.graph)
    # Summed in a dict first (one pass, in the order of first appearance), then added at once:
    # a has_edge test and an attribute update per claim cost twice as much on 300,000 claims.
    totals: dict[tuple[Any, Any], float] = {}
    for u, v, data in G.edges(data=True):
        if u == v:
            continue
        if not directed and (v, u) in totals:
            u, v = v, u
        if weight == "amount":
            money = data.get("currency") == currency and data.get("amount_basis") == amount_basis
            add = float(data.get("amount") or 0.0) if money else 0.0
        else:
            add = 1.0
        totals[u, v] = totals.get((u, v), 0.0) + add
    if weight is None:
        H.add_edges_from(totals)
    else:
        H.add_edges_from((u, v, {"weight": w}) for (u, v), w in totals.items())
    return H


def sources_of(data: dict[str, Any]) -> list[dict[str, str]]:
    """The sources of one claim (an edge's attributes) as ``{"url", "title"}`` records."""
    return [
        {"url": url, "title": title}
        for url, title in zip(data["sources"], data["source_titles"], strict=True)
    ]


def claims_of(
    G: nx.MultiDiGraph, edges: Iterable[tuple[Hashable, Hashable, Hashable]] | None = None
) -> list[dict[str, Any]]:
    """The claims behind ``edges`` (default: all of ``G``) as plain records with their sources,
    for citing the evidence behind a figure."""
    selected = (
        G.edges(keys=True, data=True)
        if edges is None
        else ((u, v, k, G.edges[u, v, k]) for u, v, k in edges)
    )
    records = []
    for u, v, key, data in selected:
        records.append(
            {
                "claim": key,
                "claim_id": data["claim_id"],
                "type": data["type"],
                "from": party_label(G, data.get("subject", u)),
                "to": party_label(G, data.get("object", v)),
                "start": data["start"].isoformat(),
                "end": data["end"].isoformat() if data["end_stated"] else None,
                "amount": data["amount"],
                "currency": data["currency"],
                "purpose": data["purpose"],
                "count": data["count"],
                "confidence": data["confidence"],
                "basis": data.get("basis", "report"),
                "amount_basis": data.get("amount_basis"),
                "foreigners": data.get("foreigners"),
                "note": data.get("note"),
                "dataset": data["dataset"],
                "sources": sources_of(data),
            }
        )
    return sorted(records, key=lambda r: (r["start"], r["claim"]))
