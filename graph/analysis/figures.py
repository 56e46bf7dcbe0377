"""The analyst's questions in one call each: the full metrics report of a projection, its
series over sliding windows, and the comparison of two periods with the claims behind each.

These are the library functions that the CLI (``recruitgraph metrics``), the HTTP API
(``/api/metrics``, ``/api/metrics/timeline``, ``/api/metrics/nodes``) and the notebooks call.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import networkx as nx

from graph.analysis import evidence
from graph.analysis.backends import active_backend
from graph.analysis.metrics import ranked
from graph.analysis.metrics.brokers import _brokers
from graph.analysis.metrics.burden import burden_share
from graph.analysis.metrics.enforcement import enforcement_by_year
from graph.analysis.metrics.funding import (
    funding_by_tier,
)
from graph.analysis.metrics.node import _node_measures, _NodeScores, ranked_values
from graph.analysis.metrics.reach import federal_reach
from graph.analysis.metrics.roles import roles_by_tier
from graph.analysis.network import (
    EXACT_LIMIT,
    _network_figures,
    _scores,
    network_figures,
)
from graph.analysis.projection import ProjectionFilter, add_months, claims_of, project
from graph.errors import InvalidArgument
from graph.store import Store
from graph.store.cache import cached, paused_gc

#: Up to this many claims a report gives each figure's evidence (the claims behind it, the
#: share of assessments, its interval); past it, counting the claims behind a hundred thousand
#: actors' figures would cost more than the report itself.
EVIDENCE_LIMIT = 20_000

#: Resampling rounds of :func:`compare` (bootstrap intervals, permutation tests) by default:
#: enough for a p-value near 0.01 to be told from 0.05 (the standard error of a permutation
#: p of 0.05 over 199 deals is 0.015); 2024 against 2025 on the default dataset, all claims and
#: reports only, took 27 s here (2 cores).
COMPARE_ROUNDS = 199


@dataclass(frozen=True)
class Duration:
    """An ISO 8601 duration of years, months, weeks and days (``P1Y``, ``P6M``, ``P2W``)."""

    months: int = 0
    days: int = 0

    @classmethod
    def parse(cls, text: str) -> Duration:
        """Parse ``PnYnMnWnD`` (any part optional, at least one present)."""
        match = re.fullmatch(r"P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?", text.strip())
        if not match or not any(match.groups()):
            raise InvalidArgument(
                f"not an ISO 8601 duration of years, months, weeks or days: {text!r} "
                "(e.g. P12M, P1Y, P3M, P2W)"
            )
        years, months, weeks, days = (int(g) if g else 0 for g in match.groups())
        duration = cls(months=12 * years + months, days=7 * weeks + days)
        if duration.months == 0 and duration.days == 0:
            raise InvalidArgument(f"a duration must not be zero: {text!r}")
        return duration

    def after(self, day: date) -> date:
        """``day`` plus this duration."""
        return add_months(day, self.months) + timedelta(days=self.days)


def parse_period(text: str) -> tuple[date, date]:
    """A period as analysts write it: ``2024``, ``2024-07``, ``2024-07-15`` or
    ``2024-01-01/2024-06-30`` (ISO 8601 interval); returns its first and last day."""
    text = text.strip()
    try:
        if "/" in text:
            first, last = (date.fromisoformat(part) for part in text.split("/", 1))
        elif re.fullmatch(r"\d{4}", text):
            first, last = date(int(text), 1, 1), date(int(text), 12, 31)
        elif re.fullmatch(r"\d{4}-\d{2}", text):
            first = date.fromisoformat(text + "-01")
            last = add_months(first, 1) - timedelta(days=1)
        else:
            first = last = date.fromisoformat(text)
    except ValueError:
        raise InvalidArgument(
            f"not a period: {text!r} (use 2024, 2024-07, 2024-07-15 or 2024-01-01/2024-06-30)"
        ) from None
    if last < first:
        raise InvalidArgument(f"the period {text!r} ends before it starts")
    return first, last


def sliding_windows(
    start: date, end: date, length: Duration, step: Duration
) -> list[tuple[date, date]]:
    """Windows ``[s, s + length)`` (as first and last day) for ``s = start, start + step, …``
    while ``s <= end``; the last window may reach past ``end``. At most 10,000 windows."""
    windows = []
    first = start
    while first <= end:
        windows.append((first, length.after(first) - timedelta(days=1)))
        first = step.after(first)
        if len(windows) >= 10_000:
            raise InvalidArgument("more than 10,000 windows: choose a longer step")
    return windows


def _label(G: nx.MultiDiGraph, node: Any) -> dict[str, Any]:
    attrs = G.nodes[node]
    return {"id": node, "label": attrs.get("label"), "kind": attrs.get("kind")}


def node_table(
    G: nx.MultiDiGraph, *, by: str = "betweenness", top: int | None = 20, k: int | None = None
) -> list[dict[str, Any]]:
    """Node-level measures of a projection ranked by one of them, with labels and kinds.

    Past :data:`EXACT_LIMIT` actors only degree and (sampled) betweenness are computed:
    exact closeness of every actor is quadratic. ``k`` is the betweenness sample, as
    :func:`sample_size` says.
    """
    return _node_table(G, _scores(G, k), by=by, top=top)


def _node_table(
    G: nx.MultiDiGraph, scores: _NodeScores, *, by: str, top: int | None
) -> list[dict[str, Any]]:
    if G.number_of_nodes() > EXACT_LIMIT:
        return _large_node_table(G, scores, by=by, top=top)
    measures = _node_measures(scores.S, "weight", scores) if scores.n else {}
    if measures and by not in next(iter(measures.values())):
        known = ", ".join(next(iter(measures.values())))
        raise InvalidArgument(f"unknown node measure {by!r}; use one of {known}")
    return [
        {**_label(G, node), "rank": rank, by: value, "measures": measures[node]}
        for rank, (node, value) in enumerate(ranked(measures, by, top), start=1)
    ]


def _large_node_table(
    G: nx.MultiDiGraph, scores: _NodeScores, *, by: str, top: int | None
) -> list[dict[str, Any]]:
    """:func:`_node_table` past :data:`EXACT_LIMIT` actors: degree and (sampled) betweenness,
    a row of measures for each ranked actor only (one for each of 300,000 actors, to keep a
    top 10, took 70 MiB)."""
    columns: dict[str, dict[Any, float]] = {
        "degree": dict(zip(scores.nodes, scores.degrees(), strict=True)),
        "betweenness": scores.betweenness(normalized=True),
    }
    if by not in columns:
        raise InvalidArgument(f"unknown node measure {by!r}; use one of {', '.join(columns)}")
    return [
        {
            **_label(G, node),
            "rank": rank,
            by: value,
            "measures": {measure: column[node] for measure, column in columns.items()},
        }
        for rank, (node, value) in enumerate(ranked_values(columns[by], top), start=1)
    ]


def report(
    store: Store,
    flt: ProjectionFilter | None = None,
    *,
    graphs: Sequence[str] | None = None,
    top: int = 10,
    sample: int | None = None,
    rounds: int = 0,
) -> dict[str, Any]:
    """The full metrics report of the claims that pass ``flt``.

    Graph-level figures (centralization, hierarchy, funding, federal reach), funding per tier,
    currency and amount basis (:func:`graph.analysis.metrics.funding.funding_by_tier`), the brokers
    between federal bodies and recruiters, and the top actors by betweenness (node strength
    counts claims: amounts are never added across currencies or bases). Per calendar year:
    ``burden_share``, the regional share of the per-recruit enlistment payment
    (:func:`graph.analysis.metrics.burden.burden_share`); ``roles``, operators and payers by tier
    (:func:`graph.analysis.metrics.roles.roles_by_tier`); ``enforcement``, enforcement actions
    beside the claims about the same countries
    (:func:`graph.analysis.metrics.enforcement.enforcement_by_year`).
    ``nx_backend`` names the networkx backend first in line for the analytics in the process
    that computed the report (:mod:`graph.analysis.backends`).
    ``evidence`` gives each figure what it rests on
    (:func:`graph.analysis.evidence.figure_evidence`):
    the claims behind it, how many are assessments, and its interval — exact for proportions,
    a bootstrap over ``rounds`` resamples for the rest (0: none); up to
    :data:`EVIDENCE_LIMIT` claims. ``synthetic`` says whether any of the data behind it is
    synthetic. Cached until the store changes: treat the result as read-only.
    """
    # (The backend in the key: a report says which one computed it.)
    key = (
        flt,
        None if graphs is None else tuple(sorted(graphs)),
        top,
        sample,
        rounds,
        active_backend(),
    )

    def compute() -> dict[str, Any]:
        with paused_gc():
            return _report(store, flt, graphs, top, sample, rounds)

    return cached(store, "report", key, compute)


def _report(
    store: Store,
    flt: ProjectionFilter | None,
    graphs: Sequence[str] | None,
    top: int,
    sample: int | None,
    rounds: int,
) -> dict[str, Any]:

    G = project(store, flt, graphs=graphs)
    federal = [n for n, t in G.nodes(data="tier") if t == "federal"]
    recruiters = [n for n, k in G.nodes(data="kind") if k == "Recruiter"]
    # One set of node scores of the simple view for the figures, the brokers and the top
    # actors: betweenness, closeness and eigenvector are each computed once, and the view's
    # CSR form built once for all of them (the view itself only where a measure needs it).
    scores = _scores(G, sample)
    reach = federal_reach(G)
    figures = _network_figures(G, scores, reach)
    return {
        "filter": G.graph["filter"],
        "synthetic": G.graph["synthetic"],
        "datasets": G.graph["datasets"],
        "figures": figures,
        "evidence": (
            evidence.figure_evidence(G, values=figures, rounds=rounds)
            if G.number_of_edges() <= EVIDENCE_LIMIT
            else None
        ),
        "funding_by_tier": funding_by_tier(G),
        "bonus_funding_by_tier": funding_by_tier(G, purpose="enlistment_bonus"),
        "burden_share": burden_share(G),
        "roles": roles_by_tier(G),
        "enforcement": enforcement_by_year(G),
        "federal_reach": reach,
        "brokers": [
            {**_label(G, node), "score": score}
            for node, score in _brokers(scores, federal, recruiters, top)
        ],
        "top_actors": _node_table(G, scores, by="betweenness", top=top),
        "nx_backend": active_backend(),
    }


def data_span(
    store: Store, flt: ProjectionFilter | None = None, graphs: Sequence[str] | None = None
) -> tuple[date, date] | None:
    """First and last day covered by the claims that pass ``flt`` (its period ignored)."""
    G = project(store, (flt or ProjectionFilter()).window(None, None), graphs=graphs)
    starts: list[date] = [d["start"] for _, _, d in G.edges(data=True)]
    ends: list[date] = [d["end"] for _, _, d in G.edges(data=True)]
    return (min(starts), max(ends)) if starts else None


def timeline(
    store: Store,
    flt: ProjectionFilter | None = None,
    *,
    window: str = "P12M",
    step: str = "P3M",
    graphs: Sequence[str] | None = None,
    sample: int | None = None,
) -> dict[str, Any]:
    """Every graph-level figure over sliding windows: the series that says whether the
    network is more centralized than a year ago.

    The windows run from ``flt.start`` (default: the first claim) to ``flt.end`` (default: the
    last), leaving out those wholly before the first claim or after the last; ``window`` and
    ``step`` are ISO 8601 durations. Each row has the window, the number
    of actors and claims in it, and the figures of :func:`network_figures`. Cached until the
    store changes: treat the result as read-only.
    """
    flt = flt or ProjectionFilter()
    length, stride = Duration.parse(window), Duration.parse(step)  # refuse bad input first
    key = (flt, window, step, None if graphs is None else tuple(sorted(graphs)), sample)

    def compute() -> dict[str, Any]:
        with paused_gc():
            return _timeline(store, flt, window, step, length, stride, graphs, sample)

    return cached(store, "timeline", key, compute)


def _timeline(
    store: Store,
    flt: ProjectionFilter,
    window: str,
    step: str,
    length: Duration,
    stride: Duration,
    graphs: Sequence[str] | None,
    sample: int | None,
) -> dict[str, Any]:
    span = data_span(store, flt, graphs)
    rows: list[dict[str, Any]] = []
    synthetic = False
    if span is not None:
        # Windows wholly before the first claim or after the last one hold nothing: they are
        # skipped, so that a period asked to run to the year 3219 costs what the data does
        # (windows stay aligned on the period's start).
        first = flt.start or span[0]
        while length.after(first) - timedelta(days=1) < span[0]:
            first = stride.after(first)
        last = min(flt.end or span[1], span[1])
        for lo, hi in sliding_windows(first, last, length, stride):
            G = project(store, flt.window(lo, hi), graphs=graphs)
            synthetic = synthetic or G.graph["synthetic"]
            rows.append(
                {
                    "start": lo.isoformat(),
                    "end": hi.isoformat(),
                    **network_figures(G, sample=sample),
                }
            )
    return {
        "window": window,
        "step": step,
        "filter": flt.as_dict(),
        "synthetic": synthetic,
        "windows": rows,
    }


def compare(
    store: Store,
    first: tuple[date, date],
    second: tuple[date, date],
    flt: ProjectionFilter | None = None,
    *,
    graphs: Sequence[str] | None = None,
    rounds: int = COMPARE_ROUNDS,
    confidence: float = 0.95,
    seed: int = 0,
    figures: Sequence[str] | None = None,
    leave_out: bool = True,
) -> dict[str, Any]:
    """The figures of two periods side by side, the change between them with its uncertainty,
    and the claims (with their sources) behind each side, so every number can be traced to its
    evidence.

    ``first``, ``second`` and ``change`` hold every figure of :func:`network_figures` of the
    claims that pass ``flt`` in each period, and the claims behind each side. ``changes`` holds,
    for the claims of every basis (``"all"``: reports and assessments; ``"report"``: reports
    only, so that a thesis is not counted as evidence for itself) side by side, one row per
    figure from :func:`graph.analysis.evidence.compare_networks`: the change with its sign, its
    interval
    (exact for proportions, bootstrap otherwise, never a point), the permutation p-value and
    its Holm adjustment over the figures of that basis tested together, the claims behind each
    side and the share of them that are assessments, and the claims whose removal alone would
    flip the sign. ``rounds`` bootstrap resamples and permutation deals (499 by default; fewer
    for a quick look); ``figures`` the figures to test together (default: all but the sizes);
    ``leave_out=False`` skips leaving out each claim in turn. Cached until the store changes:
    treat the result as read-only.
    """
    from dataclasses import replace

    flt = flt or ProjectionFilter()
    figure_names = None if figures is None else tuple(figures)
    key: tuple[Any, ...] = (flt, first, second, None if graphs is None else tuple(sorted(graphs)))
    key += (rounds, confidence, seed, figure_names, leave_out)

    def compute() -> dict[str, Any]:
        sides = {}
        for name, (lo, hi) in (("first", first), ("second", second)):
            G = project(store, flt.window(lo, hi), graphs=graphs)
            sides[name] = {
                "start": lo.isoformat(),
                "end": hi.isoformat(),
                "synthetic": G.graph["synthetic"],
                "figures": network_figures(G),
                "claims": claims_of(G),
            }
        change = {}
        for figure, a in sides["first"]["figures"].items():
            b = sides["second"]["figures"][figure]
            numbers = isinstance(a, int | float) and isinstance(b, int | float)
            change[figure] = b - a if numbers else None
        changes = {}
        for basis, chosen in (("all", None), ("report", "report")):
            view = replace(flt, basis=chosen)
            G1, G2 = (project(store, view.window(*p), graphs=graphs) for p in (first, second))
            with paused_gc():
                changes[basis] = evidence.compare_networks(
                    G1,
                    G2,
                    figures=figure_names,
                    rounds=rounds,
                    confidence=confidence,
                    seed=seed,
                    leave_out=leave_out,
                )
        return {
            "filter": flt.as_dict(),
            "synthetic": sides["first"]["synthetic"] or sides["second"]["synthetic"],
            "first": sides["first"],
            "second": sides["second"],
            "change": change,
            "rounds": rounds,
            "confidence": confidence,
            "seed": seed,
            "changes": changes,
        }

    return cached(store, "compare", key, compute)
