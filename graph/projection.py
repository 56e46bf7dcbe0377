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
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import date, timedelta
from typing import Any

import networkx as nx
import pyoxigraph as ox

from graph.cache import cached
from graph.ingest import list_datasets
from graph.namespaces import dataset_iri, dataset_name
from graph.ontology import concept_rank, concepts, kinds, local_name, relation_types
from graph.reference import REFERENCE_DATASET
from graph.sparql import dataset_graphs, run_query
from graph.store import Store


@dataclass(frozen=True)
class ProjectionFilter:
    """Which claims a projection keeps. ``None`` means no restriction."""

    start: date | None = None  #: window start (inclusive)
    end: date | None = None  #: window end (inclusive)
    relations: frozenset[str] | None = None  #: relation types, e.g. {"FundingFlow"}
    kinds: frozenset[str] | None = None  #: kinds of party, e.g. {"FederalBody", "Recruiter"}
    min_confidence: str | None = None  #: "low", "medium" or "high"
    datasets: tuple[str, ...] | None = None  #: dataset names
    aggregates: bool = True  #: whether claims about aggregates take part

    def __post_init__(self) -> None:
        if self.start and self.end and self.end < self.start:
            raise ValueError(f"the period ends ({self.end}) before it starts ({self.start})")
        unknown = (self.relations or frozenset()) - set(relation_types())
        if unknown:
            raise ValueError(
                f"unknown relation type {', '.join(sorted(unknown))}; "
                f"use one of {', '.join(relation_types())}"
            )
        unknown = (self.kinds or frozenset()) - set(kinds())
        if unknown:
            raise ValueError(
                f"unknown kind {', '.join(sorted(unknown))}; use one of {', '.join(kinds())}"
            )
        levels = concepts("ConfidenceScheme")
        if self.min_confidence is not None and self.min_confidence not in levels:
            raise ValueError(
                f"unknown confidence {self.min_confidence!r}; use one of {', '.join(levels)}"
            )
        for name in self.datasets or ():
            dataset_iri(name)  # refuses a malformed name

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


_RELATIONS = """
SELECT ?claim ?type ?from ?to ?start ?end ?precision ?confidence ?amount ?currency ?purpose
       ?count ?claimId ?url ?title ?g
WHERE {
  GRAPH ?g {
    ?claim rg:from ?from ; rg:to ?to ; a ?type ; rg:start ?start .
    OPTIONAL { ?claim rg:end ?end }
    OPTIONAL { ?claim rg:datePrecision ?precision }
    OPTIONAL { ?claim rg:confidence ?confidence }
    OPTIONAL { ?claim schema:amount ?amount }
    OPTIONAL { ?claim schema:currency ?currency }
    OPTIONAL { ?claim rg:purpose ?purpose }
    OPTIONAL { ?claim rg:count ?count }
    OPTIONAL { ?claim rg:claimId ?claimId }
    OPTIONAL { ?claim prov:wasDerivedFrom ?source .
               OPTIONAL { ?source schema:url ?url } OPTIONAL { ?source dcterms:title ?title } }
  }
  %s
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


@dataclass
class _Claim:
    edge: dict[str, Any]
    sources: dict[str, str] = field(default_factory=dict)  #: source URL → title


def _value(term: Any) -> str | None:
    return None if term is None else term.value


def _claims(store: Store, graphs: list[str], flt: ProjectionFilter) -> dict[str, _Claim]:
    types = sorted(flt.relations) if flt.relations is not None else relation_types()
    clauses = ["VALUES ?type { " + " ".join(f"rg:{r}" for r in types) + " }"]
    if flt.end is not None:
        # Coarse cut in the engine; the overlap with the window is decided below.
        clauses.append(f'FILTER(?start <= "{flt.end.isoformat()}"^^xsd:date)')
    result = run_query(store, _RELATIONS % "\n  ".join(clauses), graphs=graphs)
    assert isinstance(result, ox.QuerySolutions)
    schemes = ("DatePrecisionScheme", "ConfidenceScheme", "FundingPurposeScheme")
    notation = {iri: n for scheme in schemes for n, iri in concepts(scheme).items()}
    levels = concepts("ConfidenceScheme")
    minimum = concept_rank(levels[flt.min_confidence]) if flt.min_confidence else None
    claims: dict[str, _Claim] = {}
    for row in result:
        iri = row["claim"].value
        if iri in claims:
            if row["url"] is not None:
                claims[iri].sources[row["url"].value] = _value(row["title"]) or ""
            continue
        confidence = _value(row["confidence"])
        if minimum is not None and (concept_rank(confidence or "") or 0) < minimum:
            continue
        try:
            start = date.fromisoformat(row["start"].value)
            precision = notation.get(_value(row["precision"]) or "")
            end = (
                date.fromisoformat(row["end"].value)
                if row["end"] is not None
                else implicit_end(start, precision)
            )
        except ValueError:
            continue  # not possible for validated data; data loaded otherwise is skipped
        if not _overlaps(start, end, flt):
            continue
        amount = _value(row["amount"])
        count = _value(row["count"])
        claims[iri] = _Claim(
            edge={
                "claim": iri,
                "claim_id": _value(row["claimId"]),
                "type": local_name(row["type"].value),
                "from": row["from"].value,
                "to": row["to"].value,
                "start": start,
                "end": end,
                "end_stated": row["end"] is not None,
                "precision": precision,
                "confidence": notation.get(confidence or ""),
                "amount": float(amount) if amount is not None else None,
                "currency": _value(row["currency"]),
                "purpose": notation.get(_value(row["purpose"]) or ""),
                "count": int(count) if count is not None else None,
                "dataset": dataset_name(row["g"].value),
            },
            sources={row["url"].value: _value(row["title"]) or ""} if row["url"] else {},
        )
    return claims


def _parties(store: Store, graphs: list[str]) -> dict[str, dict[str, Any]]:
    by_iri = {kind.iri: kind for kind in kinds().values()}
    values = " ".join(f"<{iri}>" for iri in by_iri)
    result = run_query(store, _PARTIES % values, graphs=graphs)
    assert isinstance(result, ox.QuerySolutions)
    parties = {}
    for row in result:
        kind = by_iri[row["type"].value]
        parties[row["node"].value] = {
            "kind": kind.name,
            "tier": kind.tier,
            "label": _value(row["label"]) or local_name(row["node"].value),
            "aggregate": _value(row["aggregate"]) == "true",
            "synthetic": _value(row["synthetic"]) == "true",
            "code": _value(row["code"]),
        }
    return parties


def _visible(store: Store, flt: ProjectionFilter, graphs: Sequence[str] | None) -> list[str]:
    allowed = set(dataset_graphs(store) if graphs is None else graphs)
    if flt.datasets is None:
        return sorted(allowed)
    # The reference data (place codes, the ontology) always takes part when visible.
    wanted = {dataset_iri(name) for name in flt.datasets} | {dataset_iri(REFERENCE_DATASET)}
    return sorted(allowed & wanted)


def build_projection(
    store: Store,
    flt: ProjectionFilter | None = None,
    *,
    graphs: Sequence[str] | None = None,
) -> nx.MultiDiGraph:
    """Project the claims that pass ``flt`` into a MultiDiGraph, without the cache.

    ``graphs`` are the named graphs the caller may see (default: every dataset). Nodes are
    the parties of the claims that pass; an edge per claim, keyed by the claim's IRI.
    ``G.graph`` holds ``synthetic`` (True if any data shown is synthetic), ``datasets`` (the
    names of the datasets whose claims are shown), ``filter`` and ``version``.
    """
    flt = flt or ProjectionFilter()
    visible = _visible(store, flt, graphs)
    version = store.version
    claims = _claims(store, visible, flt)
    parties = _parties(store, visible)
    G = nx.MultiDiGraph()
    for iri, claim in claims.items():
        ends = [parties.get(claim.edge["from"]), parties.get(claim.edge["to"])]
        if any(end is None for end in ends):
            continue  # a party of a kind outside the model: not part of the network
        if flt.kinds is not None and any(end["kind"] not in flt.kinds for end in ends):
            continue
        if not flt.aggregates and any(end["aggregate"] for end in ends):
            continue
        for node in (claim.edge["from"], claim.edge["to"]):
            if node not in G:
                G.add_node(node, **parties[node])
        urls = sorted(claim.sources)
        edge = dict(
            claim.edge,
            sources=tuple(urls),
            source_titles=tuple(claim.sources[u] for u in urls),
        )
        G.add_edge(edge.pop("from"), edge.pop("to"), key=iri, **edge)
    shown = {d for _, _, d in G.edges(data="dataset")}
    synthetic_datasets = {
        info.name for info in list_datasets(store) if info.synthetic and info.graph in visible
    }
    G.graph.update(
        synthetic=bool(shown & synthetic_datasets)
        or any(attrs["synthetic"] for _, attrs in G.nodes(data=True)),
        datasets=sorted(shown),
        filter=flt.as_dict(),
        version=version,
    )
    return G


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
    return cached(
        store, "projection", key, lambda: nx.freeze(build_projection(store, flt, graphs=graphs))
    )


def simple_view(
    G: nx.MultiDiGraph, *, directed: bool = True, weight: str | None = None
) -> nx.Graph | nx.DiGraph:
    """A simple graph of ``G`` for algorithms that need one.

    Parallel claims between two parties become one edge whose ``weight`` is the number of
    claims (``weight="count"``) or the sum of their amounts (``weight="amount"``, claims
    without an amount adding 0); with ``weight=None`` edges carry no weight. Node attributes
    are kept. Self-loops are dropped.
    """
    if weight not in (None, "count", "amount"):
        raise ValueError(f"weight must be None, 'count' or 'amount', not {weight!r}")
    H: nx.Graph | nx.DiGraph = nx.DiGraph() if directed else nx.Graph()
    H.add_nodes_from(G.nodes(data=True))
    H.graph.update(G.graph)
    for u, v, data in G.edges(data=True):
        if u == v:
            continue
        add = 1.0 if weight == "count" else float(data.get("amount") or 0.0)
        if H.has_edge(u, v):
            if weight is not None:
                H[u][v]["weight"] += add
        elif weight is not None:
            H.add_edge(u, v, weight=add)
        else:
            H.add_edge(u, v)
    return H


def claims_of(
    G: nx.MultiDiGraph, edges: Iterable[tuple[str, str, str]] | None = None
) -> list[dict[str, Any]]:
    """The claims behind ``edges`` (default: all of ``G``) as plain records with their sources,
    for citing the evidence behind a figure."""
    selected = (
        G.edges(keys=True, data=True)
        if edges is None
        else ((u, v, k, G.edges[u, v, k]) for u, v, k in edges)
    )
    records = []
    for u, v, _key, data in selected:
        records.append(
            {
                "claim": data["claim"],
                "claim_id": data["claim_id"],
                "type": data["type"],
                "from": G.nodes[u]["label"],
                "to": G.nodes[v]["label"],
                "start": data["start"].isoformat(),
                "end": data["end"].isoformat() if data["end_stated"] else None,
                "amount": data["amount"],
                "currency": data["currency"],
                "confidence": data["confidence"],
                "dataset": data["dataset"],
                "sources": [
                    {"url": url, "title": title}
                    for url, title in zip(data["sources"], data["source_titles"], strict=True)
                ],
            }
        )
    return sorted(records, key=lambda r: (r["start"], r["claim"]))
