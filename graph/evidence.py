"""The evidence behind a figure: the claims it is computed from, and how far it would move had
other, equally plausible claims been reported.

A figure of :func:`graph.analysis.network_figures` (a centralization, the burden-shift index,
federal reach, …) summarizes the claims of a projection (:func:`graph.projection.project`).
Before reading a change in it as a change in the world, an analyst asks two questions:

* Which claims, with which sources, is it computed from? :func:`claims_behind` for a figure,
  :func:`broker_claims` for a broker of :func:`graph.analysis.report`.
* Would it differ with other claims drawn from the same reporting? :func:`bootstrap` resamples
  the claims of one network with replacement and gives a percentile interval;
  :func:`permutation_test` deals the claims of two periods out again at random, keeping the
  number of each, and gives the share of deals that change the figure at least as much as the
  data do: a p-value for "the two periods differ only by chance".

Resampling treats claims as exchangeable units, as if each had been reported independently of
the others. Real reporting is clustered (one article, several claims; one region, many
bonuses), so the intervals are, if anything, too narrow, and a change that the permutation test
cannot tell from chance is certainly not established by the data.

Figures are computed exactly (no sampled betweenness or closeness): resampling is meant for the
networks of at most a few thousand claims that analysts compare, where each figure costs
milliseconds.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import networkx as nx

from graph.analysis import SERIES_KEYS
from graph.metrics.centralization import centralization
from graph.metrics.funding import (
    BONUS,
    FUNDING,
    _main_currency,
    burden_shift_index,
    payer_concentration,
)
from graph.metrics.hierarchy import global_reaching_centrality, krackhardt
from graph.metrics.reach import REACH_RELATIONS, _reached, federal_reach
from graph.metrics.report import REPORT_KEYS
from graph.projection import claims_of, simple_view

__all__ = [
    "FIGURES",
    "Bootstrap",
    "PermutationTest",
    "bootstrap",
    "broker_claims",
    "claim_rows",
    "claims_behind",
    "figure_value",
    "permutation_test",
    "resample_claims",
]

#: The figures :func:`figure_value` computes: those of :func:`graph.analysis.network_figures`
#: except ``sampled_from``.
FIGURES: tuple[str, ...] = ("actors", "claims", *REPORT_KEYS, *SERIES_KEYS)

_KRACKHARDT = {
    "krackhardt_connectedness": "connectedness",
    "krackhardt_hierarchy": "hierarchy",
    "krackhardt_efficiency": "efficiency",
    "krackhardt_lub": "least_upper_boundedness",
}
_REACH = {
    "federal_reach": "overall",
    "federal_reach_schemes": "schemes",
    "federal_reach_recruiters": "recruiters",
}

Edge = tuple[Hashable, Hashable, Hashable]


def _check_figure(name: str) -> None:
    if name not in FIGURES:
        raise ValueError(f"unknown figure {name!r}; use one of {', '.join(FIGURES)}")


def figure_value(G: nx.MultiDiGraph, name: str) -> float | None:
    """One figure of :func:`graph.analysis.network_figures`, computed alone (and exactly).

    The same definition and the same value as the report's (on a graph of up to
    :data:`graph.analysis.EXACT_LIMIT` actors, where the report is exact too), at the cost of
    that one figure: out-degree centralization of a few hundred claims takes about a
    millisecond, the whole report a hundred times more.

    Parameters
    ----------
    G : MultiDiGraph
        A projection, or a network of claims drawn from one (:func:`resample_claims`).
    name : str
        One of :data:`FIGURES`.

    Returns
    -------
    float or None
        The figure; None where the report has None (no bonus funding, no schemes…).

    Examples
    --------
    >>> G = nx.MultiDiGraph([("centre", r) for r in "abcd"])
    >>> figure_value(G, "centralization_out_degree")
    1.0
    """
    _check_figure(name)
    if name == "actors":
        return float(G.number_of_nodes())
    if name == "claims":
        return float(G.number_of_edges())
    if name.startswith("centralization_"):
        measure = name.removeprefix("centralization_")
        # As the report: on the simple directed graph (parallel claims collapsed, self-loops
        # dropped), closeness as Wasserman–Faust's.
        return centralization(G, measure, wf_improved=measure == "closeness")
    if name == "global_reaching_centrality":
        return global_reaching_centrality(G)
    if name in _KRACKHARDT:
        return krackhardt(G)[_KRACKHARDT[name]]
    if name == "burden_shift_index":
        return burden_shift_index(G)
    if name == "burden_shift_index_by_count":
        return burden_shift_index(G, by="count")
    if name == "payer_concentration":
        return payer_concentration(G)
    return federal_reach(G)[_REACH[name]]


def _edges(G: nx.MultiDiGraph, keep: Callable[[Hashable, dict[str, Any]], bool]) -> list[Edge]:
    return [(u, v, k) for u, v, k, data in G.edges(keys=True, data=True) if keep(u, data)]


def claims_behind(G: nx.MultiDiGraph, name: str) -> list[dict[str, Any]]:
    """The claims that figure ``name`` of ``G`` is computed from, with their sources, as
    :func:`graph.projection.claims_of` gives them (sorted by start date).

    * ``burden_shift_index``: the enlistment-bonus funding claims that state an amount in the
      currency the index compares in (the one most bonus claims use);
      ``burden_shift_index_by_count``: every enlistment-bonus funding claim.
    * ``payer_concentration``: the funding claims with an amount in the main currency.
    * ``federal_reach``, ``federal_reach_schemes``, ``federal_reach_recruiters``: the
      coordination, funding and operation claims along which the federal bodies reach the
      parties they reach (an empty list: the centre reaches nothing). The schemes and
      recruiters that it does *not* reach count too, as the denominator; they are the nodes
      of ``G``.
    * every other figure (the centralizations and hierarchy measures, ``actors``, ``claims``)
      depends on the whole network: every claim of ``G``.

    Examples
    --------
    >>> from datetime import date
    >>> G = nx.MultiDiGraph()
    >>> G.add_node("region", tier="regional", label="Region")
    >>> G.add_node("cohort", tier="other", label="Cohort")
    >>> _ = G.add_edge("region", "cohort", key="c1", claim="c1", claim_id="c1",
    ...     type="FundingFlow", purpose="enlistment_bonus", amount=10.0, currency="RUB", count=None,
    ...     start=date(2024, 1, 1), end=date(2024, 1, 1), end_stated=False, confidence="high",
    ...     dataset="d", sources=("https://example.org/a",), source_titles=("A",))
    >>> [c["claim_id"] for c in claims_behind(G, "burden_shift_index")]
    ['c1']
    """
    _check_figure(name)
    if name in ("burden_shift_index", "payer_concentration"):
        purpose = BONUS if name == "burden_shift_index" else None
        currency = _main_currency(G, purpose)

        def keep(_u: Hashable, data: dict[str, Any]) -> bool:
            return (
                data.get("type") == FUNDING
                and (purpose is None or data.get("purpose") == purpose)
                and data.get("amount") is not None
                and data.get("currency") == currency
            )

        return claims_of(G, _edges(G, keep))
    if name == "burden_shift_index_by_count":
        return claims_of(
            G, _edges(G, lambda _u, d: d.get("type") == FUNDING and d.get("purpose") == BONUS)
        )
    if name in _REACH:
        federal = [n for n, tier in G.nodes(data="tier") if tier == "federal"]
        carriers = set(federal) | _reached(G, federal, set(REACH_RELATIONS))
        return claims_of(
            G,
            _edges(G, lambda u, d: u in carriers and d.get("type") in REACH_RELATIONS),
        )
    return claims_of(G)


def claim_rows(claims: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Claims as :func:`graph.projection.claims_of` (or :func:`claims_behind`) gives them,
    one flat row each for a table: ``pandas.DataFrame(claim_rows(claims))``.

    The fields of a claim are kept (``claim_id``, ``type``, ``from``, ``to``, ``start``,
    ``end``, ``amount``, ``currency``, ``confidence``, ``dataset``, ``claim``); its sources
    become ``source_titles`` and ``source_urls``, each joined by ``" | "`` in the same order,
    and ``sources``, their number.

    Examples
    --------
    >>> row = claim_rows([{"claim_id": "c1", "sources": [
    ...     {"url": "https://example.org/a", "title": "A"},
    ...     {"url": "https://example.org/b", "title": "B"}]}])[0]
    >>> row["sources"], row["source_titles"], row["source_urls"]
    (2, 'A | B', 'https://example.org/a | https://example.org/b')
    """
    rows = []
    for claim in claims:
        sources = claim.get("sources") or []
        row = {k: v for k, v in claim.items() if k != "sources"}
        row["sources"] = len(sources)
        row["source_titles"] = " | ".join(s.get("title") or "" for s in sources)
        row["source_urls"] = " | ".join(s["url"] for s in sources)
        rows.append(row)
    return rows


def broker_claims(
    G: nx.MultiDiGraph,
    broker: Hashable,
    *,
    sources: Iterable[Hashable] | None = None,
    targets: Iterable[Hashable] | None = None,
) -> dict[str, Any]:
    """Why ``broker`` is a broker: the source–target pairs whose shortest paths run through it,
    and the claims along those paths, with their sources.

    :func:`graph.analysis.report` ranks brokers by source–target betweenness
    (:func:`graph.metrics.brokers`) on the directed simple view of the projection, from the
    federal bodies (``sources``, default every node of tier ``federal``) to the recruiters
    (``targets``, default every node of kind ``Recruiter``). A pair counts here when at least
    one of its shortest paths passes through ``broker``; its claims are those of every arc on a
    shortest path from the source to the broker or from the broker to the target (all the
    parallel claims of an arc).

    Returns
    -------
    dict
        ``broker`` and its ``label``, ``pairs`` (``[{"source", "target"}]`` as labels) and
        ``claims`` (:func:`graph.projection.claims_of` records); empty lists when ``broker``
        carries no pair.
    """
    D = simple_view(G)
    sources = (
        [n for n, tier in G.nodes(data="tier") if tier == "federal"]
        if sources is None
        else list(sources)
    )
    targets = (
        [n for n, kind in G.nodes(data="kind") if kind == "Recruiter"]
        if targets is None
        else list(targets)
    )
    label = G.nodes[broker].get("label") if broker in G else None
    result: dict[str, Any] = {"broker": broker, "label": label, "pairs": [], "claims": []}
    if broker not in D:
        return result
    reverse = D.reverse(copy=False)
    to_broker = nx.single_source_shortest_path_length(reverse, broker)
    from_broker = nx.single_source_shortest_path_length(D, broker)
    pairs = []
    for s in sorted((s for s in set(sources) if s in D and s != broker), key=str):
        from_s = nx.single_source_shortest_path_length(D, s)
        if broker in from_s:
            pairs += [
                (s, t)
                for t in sorted(set(targets), key=str)
                if t in from_broker
                and t not in (s, broker)
                and from_s[broker] + from_broker[t] == from_s.get(t)
            ]
    arcs: set[tuple[Hashable, Hashable]] = set()
    for s in {s for s, _ in pairs}:
        # The arcs of the shortest paths from s to the broker ...
        arcs |= _geodesic_arcs(D, nx.single_source_shortest_path_length(D, s), to_broker)
    for t in {t for _, t in pairs}:
        # ... and from the broker to t.
        arcs |= _geodesic_arcs(D, from_broker, nx.single_source_shortest_path_length(reverse, t))
    result["pairs"] = [
        {"source": G.nodes[s].get("label", s), "target": G.nodes[t].get("label", t)}
        for s, t in pairs
    ]
    edges = [(x, y, k) for x, y in sorted(arcs, key=str) for k in G[x][y]]
    result["claims"] = claims_of(G, edges)
    return result


def _geodesic_arcs(
    D: nx.DiGraph, from_start: dict[Hashable, int], to_end: dict[Hashable, int]
) -> set[tuple[Hashable, Hashable]]:
    """The arcs on shortest paths from a start to an end node, given the distances from the
    start (``from_start``) and to the end (``to_end``) of every node."""
    length = min((from_start[v] + to_end[v] for v in from_start if v in to_end), default=None)
    return {
        (x, y)
        for x, y in D.edges()
        if x in from_start and y in to_end and from_start[x] + 1 + to_end[y] == length
    }


def _rng(seed: int | random.Random | None) -> random.Random:
    return seed if isinstance(seed, random.Random) else random.Random(seed)


def _network(
    template: nx.MultiDiGraph,
    edges: Iterable[tuple[Hashable, Hashable, Hashable, dict[str, Any]]],
    nodes: Callable[[Hashable], dict[str, Any]],
) -> nx.MultiDiGraph:
    """A network of the given claims; a claim given twice becomes two parallel edges."""
    H = nx.MultiDiGraph()
    H.graph.update(template.graph, resampled=True)
    seen: dict[Hashable, int] = {}
    parties: dict[Hashable, None] = {}  # in order of first appearance
    claims = []
    for u, v, k, data in edges:
        parties[u] = parties[v] = None
        n = seen[k] = seen.get(k, 0) + 1
        claims.append((u, v, k if n == 1 else f"{k}#{n}", data))
    H.add_nodes_from((node, nodes(node)) for node in parties)
    H.add_edges_from(claims)
    return H


def resample_claims(
    G: nx.MultiDiGraph,
    size: int | None = None,
    *,
    replace: bool = True,
    seed: int | random.Random | None = None,
) -> nx.MultiDiGraph:
    """A network of ``size`` claims drawn at random from those of ``G``.

    With ``replace`` (a bootstrap sample, the default) a claim can be drawn more than once and
    then appears as parallel edges (keys ``<claim>#2``, …); without it (a subsample) ``size``
    must not exceed the number of claims. The nodes are the parties of the drawn claims, with
    their attributes; ``G.graph`` is copied (``synthetic`` included) with ``resampled`` True.

    Parameters
    ----------
    G : MultiDiGraph
        A projection.
    size : int, optional
        Number of claims to draw (default: as many as ``G`` has).
    replace : bool
        Draw with replacement.
    seed : int or random.Random, optional
        The same seed gives the same draw.

    Examples
    --------
    >>> G = nx.MultiDiGraph([("centre", r) for r in "abcd"])
    >>> resample_claims(G, 2, replace=False, seed=1).number_of_edges()
    2
    """
    claims = list(G.edges(keys=True, data=True))
    size = len(claims) if size is None else size
    if size < 0 or (not replace and size > len(claims)):
        raise ValueError(f"cannot draw {size} of {len(claims)} claims without replacement")
    rng = _rng(seed)
    drawn = rng.choices(claims, k=size) if replace else rng.sample(claims, size)
    return _network(G, drawn, lambda node: G.nodes[node])


@dataclass(frozen=True)
class Bootstrap:
    """A figure with a percentile bootstrap interval (:func:`bootstrap`)."""

    figure: str
    value: float | None  #: the figure of the network itself
    low: float | None  #: lower end of the interval
    high: float | None  #: upper end
    confidence: float
    claims: int  #: claims of the network (each resample draws as many)
    values: tuple[float, ...]  #: the figure of each resample that has one
    undefined: int  #: resamples where the figure is None (e.g. no bonus claim was drawn)

    def as_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def _quantile(values: Sequence[float], q: float) -> float:
    """The ``q`` quantile of sorted ``values``, linearly interpolated (numpy's default)."""
    position = q * (len(values) - 1)
    below = math.floor(position)
    above = min(below + 1, len(values) - 1)
    return values[below] + (values[above] - values[below]) * (position - below)


def bootstrap(
    G: nx.MultiDiGraph,
    figure: str,
    *,
    resamples: int = 200,
    confidence: float = 0.95,
    seed: int | random.Random | None = 0,
) -> Bootstrap:
    """How far ``figure`` moves when the claims of ``G`` are drawn again with replacement.

    Each of ``resamples`` networks has as many claims as ``G``, drawn from them
    (:func:`resample_claims`); the interval runs between the ``(1 - confidence) / 2`` and
    ``(1 + confidence) / 2`` quantiles of the figure over them (Efron's percentile interval).
    A wide interval says that a few claims more or less would change the figure. The interval
    need not contain the figure itself: where drawing a claim twice pushes a figure one way
    (payer concentration rises when one payer's claim is counted twice), it shifts that way.

    Resampling claims keeps the actors that those claims name: an actor all of whose claims
    are left out is absent from the resample, so the network's size varies too, as it would
    with other reporting.

    Examples
    --------
    >>> G = nx.MultiDiGraph([("centre", r) for r in "abcdefgh"])
    >>> result = bootstrap(G, "centralization_out_degree", resamples=50)
    >>> result.value, result.low <= result.high <= 1.0
    (1.0, True)

    References
    ----------
    Efron, B. & Tibshirani, R. J. (1993). *An Introduction to the Bootstrap*, ch. 13.
    Chapman & Hall.
    """
    _check_figure(figure)
    if resamples < 1:
        raise ValueError("resamples must be at least 1")
    if not 0 < confidence < 1:
        raise ValueError("confidence must be between 0 and 1")
    rng = _rng(seed)
    found = [figure_value(resample_claims(G, seed=rng), figure) for _ in range(resamples)]
    values = sorted(v for v in found if v is not None)
    tail = (1 - confidence) / 2
    return Bootstrap(
        figure=figure,
        value=figure_value(G, figure),
        low=_quantile(values, tail) if values else None,
        high=_quantile(values, 1 - tail) if values else None,
        confidence=confidence,
        claims=G.number_of_edges(),
        values=tuple(values),
        undefined=len(found) - len(values),
    )


@dataclass(frozen=True)
class PermutationTest:
    """The change of a figure between two networks and its p-value (:func:`permutation_test`)."""

    figure: str
    first: float | None  #: the figure of the first network
    second: float | None  #: the figure of the second
    change: float | None  #: second − first
    p_value: float | None  #: None when the change is undefined
    claims: tuple[int, int]  #: claims of the first and second network
    null: tuple[float, ...]  #: the change in each random deal where it is defined
    undefined: int  #: deals where the change is undefined

    def as_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def permutation_test(
    first: nx.MultiDiGraph,
    second: nx.MultiDiGraph,
    figure: str,
    *,
    resamples: int = 199,
    seed: int | random.Random | None = 0,
) -> PermutationTest:
    r"""Is the change of ``figure`` from ``first`` to ``second`` more than chance?

    The claims of both networks are pooled and dealt out again at random into two networks of
    the original sizes, ``resamples`` times; the two-sided p-value is

    .. math:: p = \frac{1 + \#\{i : |\Delta_i| \ge |\Delta|\}}{1 + R}

    over the :math:`R` deals whose change :math:`\Delta_i` is defined, with :math:`\Delta` the
    observed change. A small p (say below 0.05) says that so large a change rarely arises from
    the same claims split at random; a large one, that the data cannot tell the change from
    chance. The smallest p possible is :math:`1/(1+R)`.

    A claim that lies in both networks (one that spans both periods) is pooled twice, once
    from each: it is evidence about each period.

    Examples
    --------
    >>> a = nx.MultiDiGraph([("centre", r) for r in "abcdefgh"])
    >>> b = nx.MultiDiGraph([(r, s) for r, s in zip("abcdefgh", "bcdefgha")])
    >>> result = permutation_test(a, b, "centralization_out_degree", resamples=99)
    >>> result.change, result.p_value < 0.05
    (-1.0, True)

    References
    ----------
    Good, P. (2005). *Permutation, Parametric, and Bootstrap Tests of Hypotheses*, 3rd ed.,
    ch. 3. Springer. Phipson, B. & Smyth, G. K. (2010). Permutation p-values should never be
    zero. *Statistical Applications in Genetics and Molecular Biology* 9(1), 39.
    """
    _check_figure(figure)
    if resamples < 1:
        raise ValueError("resamples must be at least 1")
    a, b = figure_value(first, figure), figure_value(second, figure)
    change = None if a is None or b is None else b - a
    pooled = [*first.edges(keys=True, data=True), *second.edges(keys=True, data=True)]
    n_first = first.number_of_edges()

    def attributes(node: Hashable) -> dict[str, Any]:
        return first.nodes[node] if node in first else second.nodes[node]

    rng = _rng(seed)
    null: list[float] = []
    for _ in range(resamples):
        rng.shuffle(pooled)
        x = figure_value(_network(first, pooled[:n_first], attributes), figure)
        y = figure_value(_network(second, pooled[n_first:], attributes), figure)
        if x is not None and y is not None:
            null.append(y - x)
    p_value = None
    if change is not None and null:
        # A tolerance, so that a deal equal to the data up to rounding counts as extreme.
        extreme = sum(1 for d in null if abs(d) >= abs(change) - 1e-12)
        p_value = (1 + extreme) / (1 + len(null))
    return PermutationTest(
        figure=figure,
        first=a,
        second=b,
        change=change,
        p_value=p_value,
        claims=(n_first, second.number_of_edges()),
        null=tuple(null),
        undefined=resamples - len(null),
    )
