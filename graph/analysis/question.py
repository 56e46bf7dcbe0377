"""The project's question at a glance: who runs and who pays for the recruitment of foreigners,
the federal centre or the provinces, and is that shifting toward the centre?

:func:`question` gathers, from one projection of the claims a caller may read, the five series
that answer it, each with the claims it rests on (and how many of them are assessments), so
that the question page (``/`` and ``recruitgraph report``) can draw every chart beside its
evidence:

* **who pays**: the funding claims with an amount by payer tier and year, per currency and
  amount basis (:func:`graph.analysis.queries.flows`): a per-recruit level and a total paid
  out are never added, nor two currencies;
* **who operates**: operation and recruitment claims by the tier of their subject and year
  (:func:`graph.analysis.metrics.roles.roles_by_tier`), and the centre's share of those of
  governments with its Wilson interval
  (:func:`graph.analysis.metrics.uncertainty.wilson_interval`);
* **the burden share per recruit**: the regions' median share of the enlistment payment per
  year (:func:`graph.analysis.metrics.burden.burden_share`) with its bootstrap interval
  (:func:`graph.analysis.evidence.figure_interval`);
* **enforcement**: foreign governments' actions against recruitment per year and action
  (:func:`graph.analysis.metrics.enforcement.enforcement_by_year`);
* **centralization against chance**: a Freeman centralization per year with the band that
  random networks of as many actors and ties give
  (:func:`graph.analysis.metrics.uncertainty.centralization_null`).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from functools import cached_property, partial
from typing import Any

import networkx as nx
import numpy as np

from graph.analysis import queries
from graph.analysis.evidence import burden_share_intervals
from graph.analysis.metrics.burden import _claim_id, _years_of, burden_share, period_label
from graph.analysis.metrics.enforcement import enforcement_by_year
from graph.analysis.metrics.roles import roles_by_tier
from graph.analysis.metrics.uncertainty import centralization_null, wilson_interval
from graph.analysis.projection import ProjectionFilter, claims_of, project
from graph.errors import InvalidArgument
from graph.ingest.progress import Progress, Step
from graph.model.ontology import concept_texts, tiers
from graph.sparql import dataset_graphs
from graph.store import Store
from graph.store.cache import cached, paused_gc

__all__ = ["CENTRALIZATION", "CHARTS", "QUESTION", "assemble", "question", "question_part"]

#: Calendar years, each as its first and last day.
Periods = list[tuple[date, date]]

#: The question the page answers, as it heads it.
QUESTION = (
    "Who runs and who pays for the recruitment of foreigners into Russia's war: the federal "
    "centre or the provinces, and is that shifting toward the centre?"
)
#: The centralization drawn against its null band by default: whether one actor sends most of
#: the network's ties (coordinates, funds, operates), against random networks of as many
#: actors and ties (its null is Erdős–Rényi G(n, m): see centralization_null).
CENTRALIZATION = "centralization_out_degree"
#: The question's two sides, as tiers of the ontology: the federal centre and the provinces,
#: which the ontology orders first (rg:order 1 and 2).
CENTRE, PROVINCES = tiers()[:2]
_SIDES = (CENTRE, PROVINCES)


class _Claims:
    """The claims of a projection read once for every chart of the page: walking the edges
    of a projection of 100,000 actors costs seconds, and each chart named the claims behind
    it, its rows and the page's evidence by walking them again (bench/RESULTS.md).

    ``edges``: ``G``'s edges with their keys and data, in ``G``'s order; ``ids``: the claim id
    of each; ``basis``: each claim id's basis (of its last edge, as a dict made from the edges
    keeps it); ``periods``: the calendar years of ``G``'s window; ``every``: the summary of
    every claim of ``G``.
    """

    def __init__(self, G: nx.MultiDiGraph) -> None:
        self.G = G
        self.edges: list[tuple[Hashable, Hashable, Hashable, dict[str, Any]]] = list(
            G.edges(keys=True, data=True)
        )
        self.ids = [_claim_id(k, d) for _u, _v, k, d in self.edges]
        self.basis = _basis(zip(self.ids, (d for *_, d in self.edges), strict=True))
        self.periods: Periods = _years_of(G, (d for *_, d in self.edges))
        self.every = self.summary(self.ids)
        # Each claim's record of evidence by its edge's place in ``edges``: made once for every
        # chart that names it (the centralization names every claim).
        self._cited: dict[int, dict[str, Any]] = {}

    def summary(self, ids: Iterable[str]) -> dict[str, Any]:
        """The claims behind a chart (of ``G``): see :func:`_summary`."""
        return _summary(self.basis, ids)

    @cached_property
    def spans(self) -> tuple[np.ndarray, np.ndarray]:
        """The first and last day of each claim of ``edges`` (ordinals): the claims in force
        in a period found at once."""
        start = np.fromiter((d["start"].toordinal() for *_, d in self.edges), np.int64)
        end = np.fromiter((d["end"].toordinal() for *_, d in self.edges), np.int64)
        return start, end

    def in_force(self, lo: date, hi: date) -> list[int]:
        """The places in ``edges`` of the claims in force in ``[lo, hi]`` (whose period
        overlaps it, as :func:`graph.analysis.projection.within` keeps them), in order."""
        start, end = self.spans
        found: list[int] = np.flatnonzero(
            (start <= hi.toordinal()) & (end >= lo.toordinal())
        ).tolist()
        return found

    def evidence(self, wanted: set[str]) -> dict[str, dict[str, Any]]:
        """The claims named by a chart (their ids ``wanted``), with their sources and the ids
        of their parties (for a link to the explorer), by claim id, in the order of
        :func:`~graph.analysis.projection.claims_of` (by start, then claim)."""
        # claims_of's order, of every claim: a chart's are taken from it, unsorted
        chosen = [place for place in self._cited_order if self.ids[place] in wanted]
        new = [place for place in chosen if place not in self._cited]
        if new:
            # (an edge's key is its claim's IRI: one edge per claim)
            at = {self.edges[place][2]: place for place in new}
            for record in claims_of(self.G, [self.edges[place][:3] for place in new]):
                place = at[record["claim"]]
                subject, target = self.edges[place][:2]
                self._cited[place] = {**record, "from_id": subject, "to_id": target}
        cited = (self._cited[place] for place in chosen)
        return {record["claim_id"] or record["claim"]: record for record in cited}

    @cached_property
    def _cited_order(self) -> list[int]:
        """The places in ``edges`` in the order of the records of
        :func:`~graph.analysis.projection.claims_of` (by start, then claim, a stable sort of
        ``G``'s order): the claims of any chart, taken in it, are in the order claims_of gives
        them, without a sort per chart."""
        starts = [d["start"].isoformat() for *_, d in self.edges]
        return sorted(range(len(self.edges)), key=lambda p: (starts[p], self.edges[p][2]))


def _basis(claims: Iterable[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    """The basis of each claim id of ``(claim id, edge data)`` pairs (the last pair's where
    an id comes twice)."""
    return {claim: d.get("basis") for claim, d in claims}


def _summary(basis: dict[str, Any], ids: Iterable[str]) -> dict[str, Any]:
    """The claims behind a chart: their ids (sorted) and how many are assessments (``basis``:
    the basis of each claim id of the network they are of)."""
    chosen = sorted(set(ids))
    return {
        "claim_ids": chosen,
        "claims": len(chosen),
        "assessments": sum(1 for i in chosen if basis.get(i) == "assessment"),
    }


def _payers(
    store: Store, claims: _Claims, graphs: Sequence[str], flt: ProjectionFilter
) -> dict[str, Any]:
    # The funding claims of G itself where its filter keeps them (no second projection).
    keeps = flt.relations is None or "FundingFlow" in flt.relations
    money = queries.flows(
        store,
        graphs,
        group_by=("payer_tier", "period"),
        filters=flt,
        claims=True,
        network=claims.G if keeps else None,
    )
    rows = [
        {
            "period": row["period"],
            "payer_tier": row["payer_tier"],
            "currency": row["currency"],
            "amount_basis": row["amount_basis"],
            "flows": row["flows"],
            # A level's median (its range beside it) or a total's sum: what the bar stands for.
            "value": float(row["total"] if row["amount_basis"] == "total" else row["median"]),
            "median": float(row["median"]),
            "median_low": float(row["median_low"]),
            "median_high": float(row["median_high"]),
            "median_coverage": row["median_coverage"],
            "min": float(row["min"]),
            "max": float(row["max"]),
            "total": None if row["total"] is None else float(row["total"]),
            "claim_ids": row["claim_ids"],
            "assessments": row["assessments"],
        }
        for row in money["rows"]
    ]
    panels = sorted({(r["currency"], r["amount_basis"]) for r in rows})
    return {
        "rows": rows,
        "panels": [{"currency": c, "amount_basis": b} for c, b in panels],
        "unquantified": sum(money["unquantified"].values()),
        **claims.summary(i for r in rows for i in r["claim_ids"]),
    }


def _operators(claims: _Claims) -> dict[str, Any]:
    rows = []
    for year in roles_by_tier(claims.G, claims.periods, payers=False):
        for tier, cell in year["operators"].items():
            rows.append(
                {
                    "period": year["period"],
                    "tier": tier,
                    "claims": cell["claims"],
                    "actors": cell["actors"],
                    "assessments": cell["assessments"],
                    "reports": cell["claims"] - cell["assessments"],
                    "claim_ids": cell["claim_ids"],
                }
            )
    return {
        "rows": rows,
        "shares": _centre_shares(rows),
        **claims.summary(i for r in rows for i in r["claim_ids"]),
    }


def _centre_shares(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per year, the centre's share of the operation claims of governments (centre and
    provinces), :math:`k / n`, with its Wilson interval: how sure a year's split between the
    two sides is, given how few claims some years rest on."""
    shares = []
    for period in sorted({r["period"] for r in rows}):
        cells = {r["tier"]: r for r in rows if r["period"] == period and r["tier"] in _SIDES}
        k = cells[CENTRE]["claims"] if CENTRE in cells else 0
        n = sum(cell["claims"] for cell in cells.values())
        if not n:
            continue
        low, high = wilson_interval(k, n)
        shares.append(
            {
                "period": period,
                "share": k / n,
                "low": low,
                "high": high,
                "centre": k,
                "provinces": n - k,
                "claims": n,
                "assessments": sum(cell["assessments"] for cell in cells.values()),
                "claim_ids": sorted(i for cell in cells.values() for i in cell["claim_ids"]),
            }
        )
    return shares


def _burden(claims: _Claims, rounds: int, seed: int, progress: Progress | None) -> dict[str, Any]:
    G, periods = claims.G, claims.periods
    shares = burden_share(G, periods)
    # no region with a per-recruit payment beside a federal one: no row that year
    kept = [(period, share) for period, share in zip(periods, shares, strict=True) if share["n"]]
    if progress is not None:
        progress(Step("burden share", 0, len(kept), "years"))
    # The interval of each year's median from the claims of that year (a bootstrap over
    # G's claims in force in it, all years at once: see burden_share_intervals).
    intervals = burden_share_intervals(G, [p for p, _ in kept], rounds=rounds, seed=seed)
    rows = []
    for (_period, share), interval in zip(kept, intervals, strict=True):
        rows.append(
            {
                "period": share["period"],
                "currency": share["currency"],
                "regions": share["n"],
                "median": share["median"],
                "lower_quartile": share["lower_quartile"],
                "upper_quartile": share["upper_quartile"],
                "low": interval.low,
                "high": interval.high,
                "method": interval.method,
                **claims.summary(share["claims"]),
            }
        )
    return {
        "rows": rows,
        "rounds": rounds,
        **claims.summary(i for r in rows for i in r["claim_ids"]),
    }


def _enforcement(claims: _Claims) -> dict[str, Any]:
    rows = []
    ids: list[str] = []
    # Readers see the ontology's words ("repatriation request"), not the code.
    words = {code: text["label"] for code, text in concept_texts("EnforcementKindScheme").items()}
    for year in enforcement_by_year(claims.G):
        ids.extend(year["event_claims"])
        for action, events in year["by_action"].items():
            rows.append(
                {"period": str(year["year"]), "action": words.get(action, action), "events": events}
            )
    return {"rows": rows, **claims.summary(ids)}


def _centralization(
    claims: _Claims,
    figure: str,
    rounds: int,
    seed: int,
    progress: Progress | None,
) -> dict[str, Any]:
    rows = []
    ids: list[str] = []
    for done, (lo, hi) in enumerate(claims.periods):
        if progress is not None:
            progress(Step("centralization", done, len(claims.periods), "years"))
        # the year's network from G (a year no claim falls in has none: a window from the
        # year 1077 costs nothing for its 950 empty years)
        year, behind_year = _year_network(claims, lo, hi)
        if year.number_of_nodes() == 0:
            continue
        null = centralization_null(year, figure, n=rounds, seed=seed)
        behind = _summary(_basis(behind_year), (claim for claim, _d in behind_year))
        ids.extend(behind["claim_ids"])
        rows.append(
            {
                "period": period_label(lo, hi),
                "observed": null.observed,
                "low": null.low,
                "high": null.high,
                "p_value": null.p_value,
                "model": null.model,
                "actors": year.number_of_nodes(),
                **behind,
            }
        )
    return {"figure": figure, "rounds": rounds, "rows": rows, **claims.summary(ids)}


def _year_network(
    claims: _Claims, lo: date, hi: date
) -> tuple[nx.DiGraph, list[tuple[str, dict[str, Any]]]]:
    """The simple network of the claims in force in ``[lo, hi]`` (what the measures read of
    ``within(G, lo, hi)``: ``_simple`` of it, the same nodes and ties in the same order, so
    that every figure and null drawn on it is the same) and ``(claim id, data)`` of those
    claims in the order of ``within``'s edges; made from the edges read once, without the
    year's multigraph (a quarter of the chart's time at 100,000 actors)."""
    # Per tail, per head, the claims between them: the order within's multigraph keeps.
    ties: dict[Hashable, dict[Hashable, list[int]]] = {}
    chosen = claims.in_force(lo, hi)
    for i in chosen:
        u, v = claims.edges[i][:2]
        ties.setdefault(u, {})
        ties.setdefault(v, {})
    for i in chosen:
        u, v = claims.edges[i][:2]
        ties[u].setdefault(v, []).append(i)
    year: nx.DiGraph = nx.DiGraph()
    year.add_nodes_from(ties)
    year.add_edges_from((u, v) for u, heads in ties.items() for v in heads if u != v)
    behind = [
        (claims.ids[i], claims.edges[i][3])
        for heads in ties.values()
        for found in heads.values()
        for i in found
    ]
    return year, behind


#: The charts of the page, in the order they are computed and drawn: those of one pass over
#: the projection first, then those with an interval or a null band (resampling).
CHARTS = ("payers", "operators", "enforcement", "burden", "centralization")


def question_part(
    store: Store,
    chart: str,
    flt: ProjectionFilter | None = None,
    *,
    graphs: Sequence[str] | None = None,
    progress: Progress | None = None,
    rounds: int = 199,
    centralization: str = CENTRALIZATION,
    seed: int = 0,
) -> dict[str, Any]:
    """One chart of the question page with its evidence: what a page draws on one card, so
    that it draws each card as soon as its chart is computed (the cheap ones first) rather
    than all of them after the slowest.

    Parameters
    ----------
    store, flt, graphs, rounds, centralization, seed
        As :func:`question`.
    chart : str
        One of :data:`CHARTS`.
    progress : callable, optional
        Told a :class:`~graph.ingest.progress.Step` per year of a chart computed year by
        year (the burden share's interval, the centralization's null band).

    Returns
    -------
    dict
        ``chart`` (its name); ``question``, ``filter``, ``synthetic``, ``datasets``,
        ``claims`` and ``assessments`` of the projection, as :func:`question` gives them;
        ``data``: the chart (``question(...)["charts"][chart]``); ``evidence``: the claims it
        names, by id. Cached until the store changes: treat it as read-only.

    Examples
    --------
    >>> from graph.store import EmbeddedStore
    >>> with EmbeddedStore(None) as store:
    ...     part = question_part(store, "payers")
    >>> part["chart"], part["data"]["rows"], part["evidence"]
    ('payers', [], {})
    """
    if chart not in CHARTS:
        raise InvalidArgument(f"no chart named {chart!r} (charts: {', '.join(CHARTS)})")
    flt = flt or ProjectionFilter()
    options = _Options(flt, graphs, rounds, centralization, seed)

    def compute() -> dict[str, Any]:
        with paused_gc():
            if progress is not None:  # (one pass over every claim: most of a cheap chart)
                progress(Step("projecting the claims", 0, None, "rows"))
            G = project(store, flt, graphs=graphs)
            return _part(store, _Claims(G), chart, options, progress)

    return cached(store, "question_part", options.key(chart), compute)


@dataclass(frozen=True)
class _Options:
    """What a part of the page is computed with (besides its chart)."""

    flt: ProjectionFilter
    graphs: Sequence[str] | None
    rounds: int
    centralization: str
    seed: int

    def key(self, chart: str) -> Hashable:
        """The cache key of the part of ``chart``."""
        graphs = None if self.graphs is None else tuple(sorted(self.graphs))
        return (chart, self.flt, graphs, self.rounds, self.centralization, self.seed)


def _part(
    store: Store,
    claims: _Claims,
    chart: str,
    options: _Options,
    progress: Progress | None,
) -> dict[str, Any]:
    """The part of ``chart`` (:func:`question_part`) from the claims of a projection."""
    G = claims.G
    visible = list(options.graphs) if options.graphs is not None else dataset_graphs(store)
    data = _chart(store, claims, chart, visible, options, progress)
    return {
        "chart": chart,
        "question": QUESTION,
        "filter": G.graph["filter"],
        "synthetic": G.graph["synthetic"],
        "datasets": G.graph["datasets"],
        "claims": claims.every["claims"],
        "assessments": claims.every["assessments"],
        "data": data,
        "evidence": claims.evidence(set(data["claim_ids"])),
    }


def _chart(
    store: Store,
    claims: _Claims,
    chart: str,
    visible: Sequence[str],
    options: _Options,
    progress: Progress | None,
) -> dict[str, Any]:
    if chart == "payers":
        return _payers(store, claims, visible, options.flt)
    if chart == "operators":
        return _operators(claims)
    if chart == "enforcement":
        return _enforcement(claims)
    if chart == "burden":
        return _burden(claims, options.rounds, options.seed, progress)
    return _centralization(claims, options.centralization, options.rounds, options.seed, progress)


def question(
    store: Store,
    flt: ProjectionFilter | None = None,
    *,
    graphs: Sequence[str] | None = None,
    rounds: int = 199,
    centralization: str = CENTRALIZATION,
    seed: int = 0,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """What the question page draws: who pays, who operates, the burden share per recruit,
    enforcement and centralization against chance, per calendar year, each with its evidence.

    Parameters
    ----------
    store : Store
        The store.
    flt : ProjectionFilter, optional
        Which claims (period, kinds, confidence, datasets, basis, level).
    graphs : sequence of str, optional
        The dataset graphs the caller may read (default: every dataset).
    rounds : int
        Bootstrap resamples of the burden share's interval, and random networks of the
        centralization's null band.
    centralization : str
        The centralization drawn against its null (``centralization_<measure>``).
    seed : int
        The same seed gives the same intervals and bands.
    progress : callable, optional
        Told a :class:`~graph.ingest.progress.Step` as the projection starts (phase
        ``projecting the claims``), then as each chart starts, under the chart's name (done:
        the charts before it, unit ``charts``), and each step of a chart computed year by year
        under its name too; at the end, phase ``figures``. A page tells from the phase which
        charts are done (the interval and the null band take most of the time).

    Returns
    -------
    dict
        ``question``; ``filter``, ``synthetic``, ``datasets`` of the projection; ``claims`` and
        ``assessments`` in it; ``charts``: ``payers``, ``operators``, ``burden``,
        ``enforcement``, ``centralization``, each with ``rows`` (one per year and group: see
        the helpers above), ``claim_ids`` (the claims the chart rests on), ``claims`` and
        ``assessments`` (how many of them are an expert's assessment); ``payers`` also lists
        its ``panels`` (one per currency and amount basis, never added together) and the
        funding claims without an amount (``unquantified``); ``operators`` its ``shares``
        (per year, the centre's share of governments' operation claims, ``share`` with
        ``low`` and ``high``, its Wilson interval, and the counts ``centre``, ``provinces``);
        ``evidence``: every claim a chart names, by id, with its parties (``from``, ``to``;
        ``from_id``, ``to_id``: the actors' IRIs), period, amount, basis and sources. Made of
        the parts of :func:`question_part`, each cached until the store changes: treat the
        result as read-only.

    Examples
    --------
    >>> from graph.store import EmbeddedStore
    >>> with EmbeddedStore(None) as store:
    ...     page = question(store)
    >>> sorted(page["charts"]), page["claims"], page["charts"]["payers"]["rows"]
    (['burden', 'centralization', 'enforcement', 'operators', 'payers'], 0, [])
    """
    flt = flt or ProjectionFilter()
    options = _Options(flt, graphs, rounds, centralization, seed)
    with paused_gc():
        if progress is not None:
            progress(Step("projecting the claims", 0, None, "rows"))
        # One projection for every part (a large store's is too large for the cache to keep
        # between the parts), each part cached as question_part caches it; made only when a
        # part is not cached (the page asked again after the server's warm-up).
        # Its claims are read once for every part too.
        projected: list[_Claims] = []

        def part(chart: str, told: Progress | None) -> dict[str, Any]:
            if not projected:
                projected.append(_Claims(project(store, flt, graphs=graphs)))
            return _part(store, projected[0], chart, options, told)

        parts = []
        for done, chart in enumerate(CHARTS):
            told = None
            if progress is not None:
                progress(Step(chart, done, len(CHARTS), "charts"))
                told = _told_as(chart, progress)
            parts.append(
                cached(store, "question_part", options.key(chart), partial(part, chart, told))
            )
    if progress is not None:
        progress(Step("figures", len(CHARTS), len(CHARTS), "charts", finished=True))
    return assemble(parts)


def _told_as(chart: str, progress: Progress) -> Progress:
    """``progress`` told each step of a chart under the chart's name (a page tells which
    chart is being computed, and so which are done, by the phase)."""
    return lambda step: progress(replace(step, phase=chart))


def assemble(parts: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The page's data (:func:`question`) made of its parts (:func:`question_part`), one per
    chart; a chart not among them is left out."""
    first = parts[0]
    return {
        **{key: first[key] for key in ("question", "filter", "synthetic", "datasets")},
        "claims": first["claims"],
        "assessments": first["assessments"],
        "charts": {part["chart"]: part["data"] for part in parts},
        "evidence": {claim: record for part in parts for claim, record in part["evidence"].items()},
    }
