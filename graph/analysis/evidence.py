"""The evidence behind a figure: the claims it is computed from, and how far it would move had
other, equally plausible claims been reported.

A figure of :func:`graph.analysis.network.network_figures` (a centralization, the per-recruit
burden share,
federal reach, …) summarizes the claims of a projection (:func:`graph.analysis.projection.project`).
Before reading a change in it as a change in the world, an analyst asks two questions:

* Which claims, with which sources, is it computed from? :func:`claims_behind` for a figure,
  :func:`broker_claims` for a broker of :func:`graph.analysis.figures.report`.
* Would it differ with other claims drawn from the same reporting? :func:`bootstrap` resamples
  the claims of one network with replacement and gives a percentile interval;
  :func:`permutation_test` deals the claims of two periods out again at random, keeping the
  number of each, and gives the share of deals that change the figure at least as much as the
  data do: a p-value for "the two periods differ only by chance".

How sure a change is: :func:`figure_interval` gives a figure an interval that does not
collapse to a point (exact for a proportion of counts, :func:`figure_counts`; a bootstrap,
widened by an exact bound when every resample agrees, for the rest: the rules are those of
:mod:`graph.analysis.metrics.uncertainty`), :func:`change_interval` the same for the change between
two periods, :func:`leave_one_out` the single claims whose removal would flip the change's sign,
and :func:`compare_networks` all of it for every figure of two networks, with Holm-adjusted
p-values and the share of the evidence that is assessment rather than report.

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
from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import networkx as nx
import numpy as np

from graph.analysis.metrics.burden import (
    PeriodPayments,
    burden_share_edges,
    burden_share_inputs,
    burden_share_median,
)
from graph.analysis.metrics.centralization import centralization
from graph.analysis.metrics.funding import (
    BONUS,
    FUNDING,
    _concentration_edges,
    payer_concentration,
    regional_share_of_bonus_claims,
)
from graph.analysis.metrics.hierarchy import global_reaching_centrality, krackhardt
from graph.analysis.metrics.reach import REACH_RELATIONS, _reached, federal_reach
from graph.analysis.metrics.report import REPORT_KEYS
from graph.analysis.metrics.uncertainty import (
    clopper_pearson_interval,
    degenerate_interval,
    disagreement_bound,
    holm,
    mover_interval,
    newcombe_interval,
    percentile_interval,
    wilson_interval,
)
from graph.analysis.network import SERIES_KEYS, network_figures
from graph.analysis.projection import claims_of, simple_view
from graph.errors import InvalidArgument

__all__ = [
    "FIGURES",
    "PROPORTIONS",
    "RESAMPLE_LIMIT",
    "SIZES",
    "Bootstrap",
    "Change",
    "Interval",
    "PermutationTest",
    "bootstrap",
    "broker_claims",
    "burden_share_intervals",
    "change_interval",
    "claim_rows",
    "claims_behind",
    "compare_networks",
    "figure_counts",
    "figure_evidence",
    "figure_interval",
    "figure_value",
    "leave_one_out",
    "permutation_test",
    "resample_claims",
]

#: The figures :func:`figure_value` computes: those of
#: :func:`graph.analysis.network.network_figures` #: except ``sampled_from``.
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

#: The sizes of a network: reported beside each change as what it rests on, not tested.
SIZES: tuple[str, ...] = ("actors", "claims")


def _bonus_counts(G: nx.MultiDiGraph) -> tuple[int, int]:
    """Enlistment-bonus claims paid by a regional government, and all of them."""
    payers = [
        u
        for u, _v, d in G.edges(data=True)
        if d.get("type") == FUNDING and d.get("purpose") == BONUS
    ]
    return sum(1 for u in payers if G.nodes[u].get("tier") == "regional"), len(payers)


def _reach_counts(part: str) -> Callable[[nx.MultiDiGraph], tuple[int, int]]:
    def counts(G: nx.MultiDiGraph) -> tuple[int, int]:
        reach = federal_reach(G)
        parts = ("schemes", "recruiters") if part == "overall" else (part,)
        return (
            sum(reach[f"{p}_reached"] for p in parts),
            sum(reach[f"{p}_total"] for p in parts),
        )

    return counts


#: How each figure that is a proportion of counts counts its numerator and denominator.
_COUNTS: dict[str, Callable[[nx.MultiDiGraph], tuple[int, int]]] = {
    "regional_share_of_bonus_claims": _bonus_counts,
    **{name: _reach_counts(part) for name, part in _REACH.items()},
}

#: The figures that are a proportion :math:`k/n` of counts (:func:`figure_counts`): they get
#: exact intervals; every other figure a bootstrap one.
PROPORTIONS: tuple[str, ...] = tuple(name for name in FIGURES if name in _COUNTS)


def _check_figure(name: str) -> None:
    if name not in FIGURES:
        raise InvalidArgument(f"unknown figure {name!r}; use one of {', '.join(FIGURES)}")


def figure_value(G: nx.MultiDiGraph, name: str) -> float | None:
    """One figure of :func:`graph.analysis.network.network_figures`, computed alone (and exactly).

    The same definition and the same value as the report's (on a graph of up to
    :data:`graph.analysis.network.EXACT_LIMIT` actors, where the report is exact too), at the cost
    of that one figure: out-degree centralization of a few hundred claims takes about a
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
    if name == "burden_share_median":
        return burden_share_median(G)
    if name == "regional_share_of_bonus_claims":
        return regional_share_of_bonus_claims(G)
    if name == "payer_concentration":
        return payer_concentration(G)
    if name in _REACH:
        return federal_reach(G)[_REACH[name]]
    # A figure of the report that has no shortcut here: computed with the whole report.
    value = network_figures(G)[name]
    return None if value is None else float(value)


def _edges(G: nx.MultiDiGraph, keep: Callable[[Hashable, dict[str, Any]], bool]) -> list[Edge]:
    return [(u, v, k) for u, v, k, data in G.edges(keys=True, data=True) if keep(u, data)]


def claims_behind(G: nx.MultiDiGraph, name: str) -> list[dict[str, Any]]:
    """The claims that figure ``name`` of ``G`` is computed from, with their sources, as
    :func:`graph.analysis.projection.claims_of` gives them (sorted by start date).

    * ``burden_share_median``: the regional and federal per-recruit enlistment payments that
      the regions' shares rest on (:func:`graph.analysis.metrics.burden.burden_share_edges`);
      ``regional_share_of_bonus_claims``: every enlistment-bonus funding claim.
    * ``payer_concentration``: the funding claims with a ``total`` amount in the currency it
      compares in (the one most such claims use).
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
    >>> [c["claim_id"] for c in claims_behind(G, "regional_share_of_bonus_claims")]
    ['c1']
    """
    return claims_of(G, _edges_behind(G, name))


def _edges_behind(G: nx.MultiDiGraph, name: str) -> list[Edge]:
    """The edges (claims) of ``G`` that figure ``name`` is computed from (:func:`claims_behind`)."""
    _check_figure(name)
    if name == "burden_share_median":
        return burden_share_edges(G)
    if name == "payer_concentration":
        return [(u, v, k) for u, v, k, _data in _concentration_edges(G, None, None)[1]]
    if name == "regional_share_of_bonus_claims":
        return _edges(G, lambda _u, d: d.get("type") == FUNDING and d.get("purpose") == BONUS)
    if name in _REACH:
        federal = [n for n, tier in G.nodes(data="tier") if tier == "federal"]
        carriers = set(federal) | _reached(G, federal, set(REACH_RELATIONS))
        return _edges(G, lambda u, d: u in carriers and d.get("type") in REACH_RELATIONS)
    return list(G.edges(keys=True))


def claim_rows(claims: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Claims as :func:`graph.analysis.projection.claims_of` (or :func:`claims_behind`) gives them,
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

    :func:`graph.analysis.figures.report` ranks brokers by source–target betweenness
    (:func:`graph.analysis.metrics.brokers`) on the directed simple view of the projection, from the
    federal bodies (``sources``, default every node of tier ``federal``) to the recruiters
    (``targets``, default every node of kind ``Recruiter``). A pair counts here when at least
    one of its shortest paths passes through ``broker``; its claims are those of every arc on a
    shortest path from the source to the broker or from the broker to the target (all the
    parallel claims of an arc).

    Returns
    -------
    dict
        ``broker`` and its ``label``, ``pairs`` (``[{"source", "target"}]`` as labels) and
        ``claims`` (:func:`graph.analysis.projection.claims_of` records); empty lists when
        ``broker`` carries no pair.
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
    H: nx.MultiDiGraph[Hashable] = nx.MultiDiGraph()
    H.graph.update(template.graph, resampled=True)
    seen: dict[Hashable, int] = {}
    parties: dict[Hashable, None] = {}  # in order of first appearance
    claims = []
    for u, v, k, data in edges:
        parties[u] = parties[v] = None
        n = seen[k] = seen.get(k, 0) + 1
        claims.append((u, v, k if n == 1 else f"{k}#{n}", data))
    H.add_nodes_from((node, nodes(node)) for node in parties)
    # MultiDiGraph takes (u, v, key, data) edges; the stubs know only (u, v[, data])
    H.add_edges_from(claims)  # type: ignore[arg-type]
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
        raise InvalidArgument("resamples must be at least 1")
    if not 0 < confidence < 1:
        raise InvalidArgument("confidence must be between 0 and 1")
    found = _bootstrap_values(G, [figure], resamples, _rng(seed))[figure]
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
        raise InvalidArgument("resamples must be at least 1")
    a, b = figure_value(first, figure), figure_value(second, figure)
    change = None if a is None or b is None else b - a
    n_first = first.number_of_edges()
    null = _permutation_values(first, second, [figure], resamples, _rng(seed))[figure]
    p_value = _p_value(change, null)
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


def _p_value(change: float | None, null: Sequence[float]) -> float | None:
    """The two-sided permutation p-value of :func:`permutation_test`."""
    if change is None or not null:
        return None
    # A tolerance, so that a deal equal to the data up to rounding counts as extreme.
    extreme = sum(1 for d in null if abs(d) >= abs(change) - _TOL)
    return (1 + extreme) / (1 + len(null))


# --------------------------------------------------------------------------------------------
# Several figures of the same networks at once, for the resampling behind intervals and tests
# --------------------------------------------------------------------------------------------

#: Sides with more claims than this are neither resampled nor left out one claim at a time by
#: :func:`compare_networks`: each resample costs a report of its own (about 15 ms for the 60
#: claims of a year of the cited data, most of it eigenvector centrality), and leaving out each
#: claim in turn grows with the square of the claims. Exact intervals of proportions are given
#: at any size.
RESAMPLE_LIMIT = 1000

#: The claims each figure reads, for the figures that read no other claim of a network (not
#: the centralizations, nor the reach of the federal bodies, which depend on every claim
#: around them).
_INPUTS: dict[str, Callable[[nx.MultiDiGraph], list[Edge]]] = {
    "burden_share_median": burden_share_inputs,
}

#: Values this close count as equal (a sign, a degenerate bootstrap, an extreme deal).
_TOL = 1e-12


def _values(H: nx.MultiDiGraph, names: Sequence[str]) -> dict[str, float | None]:
    """Figures ``names`` of ``H``: one by one for a few, from one report for many (the report
    shares the node scores between its centralizations and is cheaper than their sum)."""
    if len(names) < 3:
        return {name: figure_value(H, name) for name in names}
    figures = network_figures(H)
    return {name: None if figures[name] is None else float(figures[name]) for name in names}


def _signature(claims: Iterable[tuple[Hashable, Hashable, Hashable, Any]]) -> frozenset:
    """The multiset of claims of a drawn network: two draws of the same claims, in any order,
    make the same network and so the same figures."""
    return frozenset(Counter((u, v, k) for u, v, k, _ in claims).items())


def _bootstrap_values(
    G: nx.MultiDiGraph, names: Sequence[str], rounds: int, rng: random.Random
) -> dict[str, list[float | None]]:
    """The figures of ``rounds`` bootstrap resamples of ``G`` (as :func:`resample_claims`
    draws them). A resample drawn before is not computed again: a network of a few claims has
    few distinct resamples."""
    claims = list(G.edges(keys=True, data=True))
    found: dict[str, list[float | None]] = {name: [] for name in names}
    seen: dict[frozenset, dict[str, float | None]] = {}
    # Figures of a few claims alone: the same draws, but only the drawn claims they read
    # make the network (no other claim can change them; a small part of a large store's
    # claims), so the values are those of the whole resample.
    reads = (
        {edge for name in names for edge in _INPUTS[name](G)}
        if _INPUTS.keys() >= set(names)
        else None
    )
    for _ in range(rounds):
        drawn = rng.choices(claims, k=len(claims))
        if reads is not None:
            drawn = [claim for claim in drawn if claim[:3] in reads]
        signature = _signature(drawn)
        if signature not in seen:
            seen[signature] = _values(_network(G, drawn, lambda node: G.nodes[node]), names)
        for name in names:
            found[name].append(seen[signature][name])
    return found


def _permutation_values(
    first: nx.MultiDiGraph,
    second: nx.MultiDiGraph,
    names: Sequence[str],
    rounds: int,
    rng: random.Random,
) -> dict[str, list[float]]:
    """The change of each figure in ``rounds`` random deals of the pooled claims of two
    networks into two of the original sizes, where the change is defined
    (:func:`permutation_test`). A deal whose two sides were drawn before is not computed
    again."""
    pooled = [*first.edges(keys=True, data=True), *second.edges(keys=True, data=True)]
    n_first = first.number_of_edges()

    def attributes(node: Hashable) -> dict[str, Any]:
        return first.nodes[node] if node in first else second.nodes[node]

    seen: dict[tuple[int, frozenset], dict[str, float | None]] = {}

    def values(side: int, template: nx.MultiDiGraph, drawn: list) -> dict[str, float | None]:
        signature = (side, _signature(drawn))
        if signature not in seen:
            seen[signature] = _values(_network(template, drawn, attributes), names)
        return seen[signature]

    null: dict[str, list[float]] = {name: [] for name in names}
    for _ in range(rounds):
        rng.shuffle(pooled)
        x = values(0, first, pooled[:n_first])
        y = values(1, second, pooled[n_first:])
        for name in names:
            a, b = x[name], y[name]
            if a is not None and b is not None:
                null[name].append(b - a)
    return null


def figure_counts(G: nx.MultiDiGraph, name: str) -> tuple[int, int] | None:
    r"""The numerator and denominator :math:`(k, n)` of a figure that is a proportion of
    counts (one of :data:`PROPORTIONS`); None for any other figure.

    .. math:: \text{figure} = k / n \quad (\text{None when } n = 0)

    * ``federal_reach_schemes``, ``federal_reach_recruiters``: the schemes (recruiters)
      reached from a federal body, and all those of the network; ``federal_reach``: both
      together;
    * ``regional_share_of_bonus_claims``: the enlistment-bonus claims paid by a regional
      government, and all enlistment-bonus claims.

    Examples
    --------
    >>> G = nx.MultiDiGraph()
    >>> G.add_node("mod", tier="federal", kind="FederalBody")
    >>> for scheme in ("s1", "s2", "s3"):
    ...     G.add_node(scheme, tier="other", kind="RecruitmentScheme")
    >>> _ = G.add_edge("mod", "s1", type="Operation")
    >>> figure_counts(G, "federal_reach_schemes"), figure_value(G, "federal_reach_schemes")
    ((1, 3), 0.3333333333333333)
    >>> figure_counts(G, "centralization_degree") is None
    True
    """
    _check_figure(name)
    counts = _COUNTS.get(name)
    return None if counts is None else counts(G)


# --------------------------------------------------------------------------------------------
# Intervals that do not collapse, for a figure and for its change
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Interval:
    """A figure with an interval that does not collapse to a point (:func:`figure_interval`)."""

    figure: str
    value: float | None  #: the figure of the network itself
    low: float | None  #: lower end (None where the figure is undefined or was not resampled)
    high: float | None  #: upper end
    confidence: float
    #: "wilson" or "clopper-pearson" (a proportion of counts), "bootstrap" (percentile),
    #: "exact bound" (every resample agreed: widened as
    #: :func:`graph.analysis.metrics.uncertainty.degenerate_interval`), "degenerate" (every resample
    #: agreed and the figure has no known range: the interval is the point, see ``note``), or
    #: "none" (undefined, or not resampled)
    method: str
    claims: int  #: the claims behind the figure (:func:`claims_behind`)
    counts: tuple[int, int] | None  #: :math:`(k, n)` of a proportion (:func:`figure_counts`)
    degenerate: bool  #: every resample gave the same value
    note: str | None

    def as_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


_PROPORTION_METHODS = {"wilson": wilson_interval, "clopper-pearson": clopper_pearson_interval}


def _check_interval_options(rounds: int, confidence: float, proportion: str) -> None:
    if rounds < 0:
        raise InvalidArgument("rounds must not be negative")
    if not 0 < confidence < 1:
        raise InvalidArgument("confidence must be between 0 and 1")
    if proportion not in _PROPORTION_METHODS:
        raise InvalidArgument(
            f"unknown proportion interval {proportion!r}; "
            f"use one of {', '.join(_PROPORTION_METHODS)}"
        )


def _interval(
    name: str,
    value: float | None,
    counts: tuple[int, int] | None,
    resampled: Sequence[float | None] | None,
    claims: int,
    confidence: float,
    proportion: str = "wilson",
) -> Interval:
    """The interval of one figure by the rules of :func:`figure_interval`."""

    def result(low: float | None, high: float | None, method: str, **extra: Any) -> Interval:
        fields: dict[str, Any] = {"degenerate": False, "note": None, **extra}
        return Interval(name, value, low, high, confidence, method, claims, counts, **fields)

    if value is None:
        return result(None, None, "none", note="the figure is undefined")
    if counts is not None:
        low, high = _PROPORTION_METHODS[proportion](*counts, confidence)
        return result(low, high, proportion)
    if resampled is None:
        return result(None, None, "none", note="not resampled")
    values = [v for v in resampled if v is not None]
    if not values:
        return result(None, None, "none", note="undefined in every resample")
    if max(values) - min(values) > _TOL:
        low, high = percentile_interval(values, confidence)
        return result(low, high, "bootstrap")
    bound = disagreement_bound(claims, confidence)
    note = (
        f"degenerate: every resample gives {values[0]:.4g}, the {claims} claims behind it all "
        f"agree; up to {bound:.3f} of such claims could disagree (exact binomial bound, "
        f"{confidence:.0%})"
    )
    if name not in SIZES and all(0 <= v <= 1 for v in (value, *values)):
        low, high = degenerate_interval(value, claims, confidence)
        return result(low, high, "exact bound", degenerate=True, note=note)
    return result(value, value, "degenerate", degenerate=True, note=note)


def figure_interval(
    G: nx.MultiDiGraph,
    figure: str,
    *,
    rounds: int = 499,
    confidence: float = 0.95,
    seed: int | random.Random | None = 0,
    proportion: str = "wilson",
) -> Interval:
    r"""A figure of ``G`` with an interval that does not collapse to a point.

    * A proportion of counts :math:`k/n` (:data:`PROPORTIONS`, :func:`figure_counts`): the
      Wilson score interval (``proportion="wilson"``, the default) or the Clopper–Pearson one
      (``"clopper-pearson"``); no resampling.
    * Any other figure: the percentile bootstrap interval over ``rounds`` resamples of the
      claims (as :func:`bootstrap`).
    * When every resample gives the same value :math:`v`, the interval comes from the exact
      bound on the share of the :math:`n` claims behind the figure (:func:`claims_behind`)
      that could disagree with the rest,

      .. math:: u = 1 - (\alpha/2)^{1/n}

      a figure in [0, 1] getting :math:`[v - u v,\ v + u (1 - v)]` (method ``"exact bound"``;
      at :math:`v = 1` the Clopper–Pearson interval of :math:`n` of :math:`n`), any other
      figure :math:`[v, v]` (method ``"degenerate"``) with :math:`u` in ``note``.

    :mod:`graph.analysis.metrics.uncertainty` gives the reasons for these rules.

    Parameters
    ----------
    G : MultiDiGraph
        A projection.
    figure : str
        One of :data:`FIGURES`.
    rounds : int
        Bootstrap resamples (0: none, and no interval for figures other than proportions).
    confidence : float
        Coverage of the interval.
    seed : int or random.Random, optional
        The same seed gives the same resamples.
    proportion : str
        "wilson" or "clopper-pearson".

    Returns
    -------
    Interval

    Examples
    --------
    Three provinces pay 100 RUB per recruit and the centre nothing beside them: the median
    per-recruit share is 1 in every resample that has one, and its interval is that of the 4
    claims behind it agreeing. The regional share of bonus claims, 3 of 4, is a proportion.

    >>> from datetime import date
    >>> G = nx.MultiDiGraph()
    >>> G.add_node("centre", tier="federal")
    >>> year = dict(type="FundingFlow", purpose="enlistment_bonus", currency="RUB",
    ...             amount_basis="per_recruit", start=date(2025, 1, 1), end=date(2025, 12, 31))
    >>> _ = G.add_edge("centre", "scheme", amount=0.0, **year)
    >>> for i in range(3):
    ...     G.add_node(f"region{i}", tier="regional")
    ...     _ = G.add_edge(f"region{i}", "scheme", amount=100.0, **year)
    >>> share = figure_interval(G, "burden_share_median", rounds=20)
    >>> share.value, share.method, round(share.low, 4), share.high
    (1.0, 'exact bound', 0.3976, 1.0)
    >>> by_count = figure_interval(G, "regional_share_of_bonus_claims")
    >>> by_count.counts, by_count.method, round(by_count.low, 4)
    ((3, 4), 'wilson', 0.3006)

    References
    ----------
    Efron, B. & Tibshirani, R. J. (1993). *An Introduction to the Bootstrap*, ch. 13.
    Chapman & Hall. Brown, L. D., Cai, T. T. & DasGupta, A. (2001). Interval estimation for
    a binomial proportion. *Statistical Science* 16, 101–133.
    """
    _check_figure(figure)
    _check_interval_options(rounds, confidence, proportion)
    value = figure_value(G, figure)
    counts = figure_counts(G, figure)
    resampled = None
    if counts is None and value is not None and rounds > 0:
        resampled = _bootstrap_values(G, [figure], rounds, _rng(seed))[figure]
    claims = len(_edges_behind(G, figure))
    return _interval(figure, value, counts, resampled, claims, confidence, proportion)


def burden_share_intervals(
    G: nx.MultiDiGraph,
    periods: Sequence[tuple[date, date]],
    *,
    rounds: int = 499,
    confidence: float = 0.95,
    seed: int | None = 0,
) -> list[Interval]:
    r"""The median burden share per recruit of each period with its interval: what
    :func:`figure_interval` gives for ``"burden_share_median"`` on the projection of each
    period (``project(store, flt.window(lo, hi))``), from ``G`` alone.

    The projection of a period is ``G``'s claims in force in it, so each period's resamples
    are drawn from those; the same estimator (:class:`~graph.analysis.metrics.burden.PeriodPayments`
    computes :func:`~graph.analysis.metrics.burden.burden_share_median` of every resample at
    once) and the same interval rules (percentile bootstrap, an exact bound when every
    resample agrees). A resample of the :math:`N` claims of a period draws :math:`N` of them
    with replacement; the figure reads only its :math:`m` payments, and only whether each was
    drawn, so a resample is drawn as :math:`k \sim \operatorname{Binomial}(N, m/N)` draws
    among the payments, uniform: the same distribution as the :math:`N` draws, without them
    (numpy's generator, so the draws differ from :func:`figure_interval`'s for the same seed;
    the intervals agree within their Monte Carlo error).

    Parameters
    ----------
    G : MultiDiGraph
        A projection.
    periods : sequence of (date, date)
        First and last day of each period (within ``G``'s window).
    rounds : int
        Bootstrap resamples per period.
    confidence : float
        Coverage of the intervals.
    seed : int, optional
        The same seed gives the same resamples (each period drawn from its own generator of
        that seed, as :func:`figure_interval` is called per period).

    Returns
    -------
    list of Interval
        One per period.
    """
    _check_interval_options(rounds, confidence, "wilson")
    spans = [(d["start"], d["end"]) for *_, d in G.edges(data=True)]
    intervals = []
    for (lo, hi), payments in zip(periods, PeriodPayments.per_period(G, periods), strict=True):
        row, edges = payments.share()
        resampled = None
        if row["median"] is not None and rounds > 0:
            claims = sum(1 for start, end in spans if start <= hi and end >= lo)
            resampled = payments.medians(
                _drawn_payments(claims, len(payments.inputs), rounds, seed)
            )
        intervals.append(
            _interval("burden_share_median", row["median"], None, resampled, len(edges), confidence)
        )
    return intervals


def _drawn_payments(claims: int, payments: int, rounds: int, seed: int | None) -> np.ndarray:
    """Which of ``payments`` claims (of ``claims`` in all) each of ``rounds`` bootstrap
    resamples draws at least once: a boolean matrix, one row per resample."""
    rng = np.random.default_rng(seed)
    drawn = np.zeros((rounds, payments), dtype=bool)
    if payments == 0:
        return drawn
    hits = rng.binomial(claims, payments / claims, size=rounds)
    drawn[np.repeat(np.arange(rounds), hits), rng.integers(0, payments, size=hits.sum())] = True
    return drawn


def figure_evidence(
    G: nx.MultiDiGraph,
    *,
    values: Mapping[str, Any] | None = None,
    rounds: int = 0,
    confidence: float = 0.95,
    seed: int | random.Random | None = 0,
) -> dict[str, dict[str, Any]]:
    """Every figure of ``G`` with what it rests on: its interval, the claims behind it and how
    many of them are assessments.

    The intervals follow :func:`figure_interval`: exact (Wilson) for the proportions of counts
    at any ``rounds``; for the other figures a percentile bootstrap over ``rounds`` resamples of
    the claims, drawn once for all figures (``rounds=0``, or a network past
    :data:`RESAMPLE_LIMIT` claims: no interval, method ``"none"``).

    Parameters
    ----------
    G : MultiDiGraph
        A projection.
    values : mapping, optional
        The figures of ``G`` if the caller has them
        (:func:`graph.analysis.network.network_figures`).
    rounds : int
        Bootstrap resamples for the figures that are not proportions.
    confidence : float
        Coverage of the intervals.
    seed : int or random.Random, optional
        The same seed gives the same resamples.

    Returns
    -------
    dict
        ``{figure: {**Interval.as_dict(), "assessments": a, "assessment_share": a / claims}}``
        for every figure of :data:`FIGURES` but the sizes.

    Examples
    --------
    Two regional bonus claims, one of them an expert's assessment, and a federal one:

    >>> G = nx.MultiDiGraph()
    >>> G.add_node("centre", tier="federal"); G.add_node("r1", tier="regional")
    >>> G.add_node("r2", tier="regional")
    >>> bonus = dict(type="FundingFlow", purpose="enlistment_bonus")
    >>> for payer, basis in [("r1", "report"), ("r2", "assessment"), ("centre", "report")]:
    ...     _ = G.add_edge(payer, "scheme", basis=basis, **bonus)
    >>> share = figure_evidence(G)["regional_share_of_bonus_claims"]
    >>> share["value"], share["counts"], share["claims"], share["assessments"]
    (0.6666666666666666, (2, 3), 3, 1)
    """
    _check_interval_options(rounds, confidence, "wilson")
    names = [name for name in FIGURES if name not in SIZES]
    found = dict(values) if values is not None else _values(G, names)
    counts = {name: figure_counts(G, name) for name in names}
    resampled: dict[str, list[float | None]] = {}
    if rounds > 0 and G.number_of_edges() <= RESAMPLE_LIMIT:
        wanted = [n for n in names if counts[n] is None and found.get(n) is not None]
        if wanted:
            resampled = _bootstrap_values(G, wanted, rounds, _rng(seed))
    evidence = {}
    for name in names:
        value = found.get(name)
        claims, assessments = _basis_counts(G, _edges_behind(G, name))
        interval = _interval(
            name,
            None if value is None else float(value),
            counts[name],
            resampled.get(name),
            claims,
            confidence,
        )
        evidence[name] = {
            **interval.as_dict(),
            "assessments": assessments,
            "assessment_share": assessments / claims if claims else None,
        }
    return evidence


def _sign(value: float) -> int:
    return 0 if abs(value) <= _TOL else (1 if value > 0 else -1)


@dataclass(frozen=True)
class Change:
    """The change of a figure between two networks with its interval (:func:`change_interval`)."""

    figure: str
    first: float | None
    second: float | None
    change: float | None  #: second − first
    sign: int | None  #: 1, -1, or 0 (no change); None when the change is undefined
    low: float | None
    high: float | None
    confidence: float
    #: "newcombe" (two proportions), "bootstrap" (percentile interval of the difference of
    #: independent resamples), "mover" (from the two sides' intervals, where a side's bootstrap
    #: is degenerate), or "none"
    method: str
    first_interval: Interval
    second_interval: Interval
    note: str | None

    def as_dict(self) -> dict[str, Any]:
        found = {k: getattr(self, k) for k in self.__dataclass_fields__}
        found["first_interval"] = self.first_interval.as_dict()
        found["second_interval"] = self.second_interval.as_dict()
        return found


def _change(
    first: Interval, second: Interval, differences: Sequence[float] | None, confidence: float
) -> Change:
    """The change between two sides' :class:`Interval` by the rules of :func:`change_interval`."""
    a, b = first.value, second.value
    if a is None or b is None:
        note: str | None = "the figure is undefined on a side"
        return Change(
            first.figure, a, b, None, None, None, None, confidence, "none", first, second, note
        )
    low: float | None = None
    high: float | None = None
    method, note = "none", None
    if first.counts is not None and second.counts is not None:
        (k1, n1), (k2, n2) = first.counts, second.counts
        low, high = newcombe_interval(k1, n1, k2, n2, confidence)
        method = "newcombe"
    elif (
        differences
        and not first.degenerate
        and not second.degenerate
        and max(differences) - min(differences) > _TOL
    ):
        low, high = percentile_interval(differences, confidence)
        method = "bootstrap"
    elif "degenerate" in (first.method, second.method):
        # A side's interval is its point (no known range to widen into): MOVER would give a
        # point too, which is not an interval.
        note = "every resample of a side agreed and the figure has no known range"
    elif (
        first.low is not None
        and first.high is not None
        and second.low is not None
        and second.high is not None
    ):
        low, high = mover_interval(a, (first.low, first.high), b, (second.low, second.high))
        method = "mover"
        agreed = [name for name, side in (("first", first), ("second", second)) if side.degenerate]
        note = (
            f"MOVER: every resample of the {' and '.join(agreed)} side agreed"
            if agreed
            else "MOVER: the resampled differences all agreed"
        )
    else:
        notes = dict.fromkeys(side.note for side in (first, second) if side.note)
        note = "; ".join(notes) or "no interval"
    return Change(
        first.figure, a, b, b - a, _sign(b - a), low, high, confidence, method, first, second, note
    )


def _differences(
    first: Sequence[float | None] | None, second: Sequence[float | None] | None
) -> list[float] | None:
    """Differences second − first of paired resamples where both are defined."""
    if first is None or second is None:
        return None
    return [y - x for x, y in zip(first, second, strict=True) if x is not None and y is not None]


def change_interval(
    first: nx.MultiDiGraph,
    second: nx.MultiDiGraph,
    figure: str,
    *,
    rounds: int = 499,
    confidence: float = 0.95,
    seed: int | random.Random | None = 0,
) -> Change:
    r"""The change ``second − first`` of a figure with an interval that does not collapse.

    * Two proportions of counts (:data:`PROPORTIONS`): Newcombe's hybrid score interval
      (:func:`graph.analysis.metrics.uncertainty.newcombe_interval`).
    * Any other figure: each network's claims are resampled ``rounds`` times independently
      (:func:`bootstrap`), and the interval runs between the percentiles of the differences

      .. math:: \Delta^*_i = \theta^*_{2,i} - \theta^*_{1,i}

    * When every resample of a side agrees (:func:`figure_interval`'s degenerate case), the
      differences would hide that side's uncertainty: the interval is MOVER's from the two
      sides' intervals (:func:`graph.analysis.metrics.uncertainty.mover_interval`).

    The interval says how far the change could be from what the claims show; whether it is
    more than chance is :func:`permutation_test`'s question.

    Examples
    --------
    An out-star against a cycle: each resample of the star is a star (centralization 1), so
    that side is degenerate and the interval is MOVER's.

    >>> a = nx.MultiDiGraph([("centre", r) for r in "abcdefgh"])
    >>> b = nx.MultiDiGraph([(r, s) for r, s in zip("abcdefgh", "bcdefgha")])
    >>> result = change_interval(a, b, "centralization_out_degree", rounds=50)
    >>> result.change, result.sign, result.method, result.high < 0
    (-1.0, -1, 'mover', True)

    References
    ----------
    Zou, G. Y. & Donner, A. (2008). Construction of confidence limits about effect measures:
    a general approach. *Statistics in Medicine* 27, 1693–1702. Newcombe, R. G. (1998).
    *Statistics in Medicine* 17, 873–890.
    """
    _check_figure(figure)
    _check_interval_options(rounds, confidence, "wilson")
    rng = _rng(seed)
    sides = []
    draws = []
    for G in (first, second):
        value, counts = figure_value(G, figure), figure_counts(G, figure)
        resampled = None
        if counts is None and value is not None and rounds > 0:
            resampled = _bootstrap_values(G, [figure], rounds, rng)[figure]
        draws.append(resampled)
        claims = len(_edges_behind(G, figure))
        sides.append(_interval(figure, value, counts, resampled, claims, confidence))
    return _change(sides[0], sides[1], _differences(*draws), confidence)


# --------------------------------------------------------------------------------------------
# Leave one claim out
# --------------------------------------------------------------------------------------------


def _without(G: nx.MultiDiGraph, key: Hashable) -> nx.MultiDiGraph:
    """``G`` without the claim ``key``; a party left without claims goes too, as in a
    projection of the data without that claim."""
    kept = ((u, v, k, d) for u, v, k, d in G.edges(keys=True, data=True) if k != key)
    return _network(G, kept, lambda node: G.nodes[node])


def _flips(
    first: nx.MultiDiGraph,
    second: nx.MultiDiGraph,
    names: Sequence[str],
    observed: Mapping[str, tuple[float | None, float | None]],
) -> dict[str, list[dict[str, Any]]]:
    """For each figure whose change is defined, the claims whose removal flips its sign or
    leaves it undefined (:func:`leave_one_out`)."""
    changes = {}
    for name, (a, b) in observed.items():
        if a is not None and b is not None:
            changes[name] = b - a
    tested = [name for name in names if name in changes]
    flips: dict[str, list[dict[str, Any]]] = {name: [] for name in tested}
    if not tested:
        return flips
    held = [{k: d for _u, _v, k, d in G.edges(keys=True, data=True)} for G in (first, second)]
    claims = {**held[1], **held[0]}
    base = [{name: observed[name][i] for name in tested} for i in (0, 1)]
    for key in sorted(claims, key=lambda k: (str(claims[k].get("claim_id")), str(k))):
        values = [
            _values(_without(G, key), tested) if key in held[i] else base[i]
            for i, G in enumerate((first, second))
        ]
        in_first, in_second = key in held[0], key in held[1]
        side = "both" if in_first and in_second else ("first" if in_first else "second")
        for name in tested:
            a, b = values[0][name], values[1][name]
            change = None if a is None or b is None else b - a
            if change is None or _sign(change) != _sign(changes[name]):
                flips[name].append(
                    {
                        "claim": key,
                        "claim_id": claims[key].get("claim_id"),
                        "side": side,
                        "first": a,
                        "second": b,
                        "change": change,
                    }
                )
    return flips


def leave_one_out(
    G_first: nx.MultiDiGraph, G_second: nx.MultiDiGraph, figure: str
) -> list[dict[str, Any]]:
    r"""The single claims that, left out, flip the sign of the change of ``figure`` from
    ``G_first`` to ``G_second`` or leave it undefined.

    Each claim of either network is removed in turn, from every network that holds it (a
    claim spanning both periods is removed from both: it is one piece of evidence), with any
    party that then has no claim; the change is computed again without it, and the claim
    :math:`c` is listed when

    .. math:: \operatorname{sign} \Delta_{-c} \ne \operatorname{sign} \Delta

    (values within :math:`10^{-12}` of 0 count as 0) or :math:`\Delta_{-c}` is undefined. A
    change that one claim can flip rests on that claim.

    Parameters
    ----------
    G_first, G_second : MultiDiGraph
        The two networks (projections of two periods).
    figure : str
        One of :data:`FIGURES`.

    Returns
    -------
    list of dict
        One per flipping claim, sorted by claim id: ``claim`` (IRI), ``claim_id``, ``side``
        ("first", "second" or "both"), and ``first``, ``second`` and ``change`` without it.
        Empty when no single claim flips the change, and when the change is undefined.

    Examples
    --------
    Two bonus claims paid by a region against one by the centre in the first period, one of
    each in the second: the regional share of bonus claims falls from 2/3 to 1/2. Without
    either regional claim of the first period it does not change; without the centre's claim
    of the second it rises.

    >>> def network(*payers):
    ...     G = nx.MultiDiGraph()
    ...     G.add_node("region", tier="regional")
    ...     G.add_node("centre", tier="federal")
    ...     for claim, payer in payers:
    ...         _ = G.add_edge(payer, "scheme", key=claim, claim_id=claim, type="FundingFlow",
    ...                        purpose="enlistment_bonus")
    ...     return G
    >>> first = network(("c1", "region"), ("c2", "region"), ("c3", "centre"))
    >>> second = network(("c4", "region"), ("c5", "centre"))
    >>> [(f["claim_id"], f["side"], round(f["change"], 4)) for f in
    ...  leave_one_out(first, second, "regional_share_of_bonus_claims")]
    [('c1', 'first', 0.0), ('c2', 'first', 0.0), ('c5', 'second', 0.3333)]

    References
    ----------
    Cook, R. D. (1977). Detection of influential observation in linear regression.
    *Technometrics* 19, 15–18 (the case-deletion idea, here applied to claims).
    """
    _check_figure(figure)
    observed = {figure: (figure_value(G_first, figure), figure_value(G_second, figure))}
    return _flips(G_first, G_second, [figure], observed).get(figure, [])


# --------------------------------------------------------------------------------------------
# Every figure of two networks
# --------------------------------------------------------------------------------------------


def _basis_counts(G: nx.MultiDiGraph, edges: Sequence[Edge]) -> tuple[int, int]:
    """Claims among ``edges``, and how many of them are assessments rather than reports."""
    assessments = sum(1 for u, v, k in edges if G.edges[u, v, k].get("basis") == "assessment")
    return len(edges), assessments


def _pair(low: float | None, high: float | None) -> list[float] | None:
    return None if low is None or high is None else [low, high]


def compare_networks(
    first: nx.MultiDiGraph,
    second: nx.MultiDiGraph,
    *,
    figures: Sequence[str] | None = None,
    rounds: int = 499,
    confidence: float = 0.95,
    seed: int | random.Random | None = 0,
    leave_out: bool = True,
) -> list[dict[str, Any]]:
    r"""Every figure of two networks with its change, interval, p-values, evidence and the
    claims that would flip it: one row per figure, ready for a table or JSON.

    Each row has

    * ``figure``; ``first``, ``second``, ``change`` (second − first) and its ``sign``
      (1, -1, 0; None where undefined);
    * ``interval`` for the change, by ``method`` (:func:`change_interval`'s rules), and each
      side's own interval, ``first_interval`` and ``second_interval``, by ``side_methods``
      (:func:`figure_interval`'s), with ``degenerate`` for each side, ``side_notes`` and a
      ``note``;
    * ``p_value``: the permutation test's two-sided p (:func:`permutation_test`), and
      ``p_adjusted``: Holm's adjustment (:func:`graph.analysis.metrics.uncertainty.holm`) over every
      figure of this call whose p is defined, tested together,

      .. math:: \tilde p_{(i)} = \min\left(1, \max_{j \le i} (m - j + 1)\, p_{(j)}\right)

    * what it rests on: ``claims`` behind each side (:func:`claims_behind`), ``assessments``
      among them (claims whose ``basis`` is "assessment") and ``assessment_share``;
      ``counts`` (:math:`(k, n)` of each side) for a proportion;
    * ``flips``: the claims whose removal alone flips the change's sign
      (:func:`leave_one_out`); for a change of 0, those whose removal makes any change; None
      where the change is undefined.

    The same ``rounds`` resamples of each network (and deals of their pooled claims) serve
    every figure. Networks with more than :data:`RESAMPLE_LIMIT` claims are neither resampled
    nor left out claim by claim (intervals of proportions stay; ``note`` says so).

    Parameters
    ----------
    first, second : MultiDiGraph
        The networks of the two periods.
    figures : sequence of str, optional
        The figures to compare (default: every figure of :data:`FIGURES` except the
        :data:`SIZES`, which each row gives as ``claims``).
    rounds : int
        Bootstrap resamples of each network and permutation deals (0: none).
    confidence : float
        Coverage of the intervals.
    seed : int or random.Random, optional
        The same seed gives the same rows.
    leave_out : bool
        Leave each claim out in turn (``flips``); False skips it (``flips`` None), which
        with ``rounds=0`` leaves only the figures, exact intervals and evidence: a cheap look.

    Returns
    -------
    list of dict

    Examples
    --------
    >>> a = nx.MultiDiGraph([("centre", r) for r in "abcdefgh"])
    >>> b = nx.MultiDiGraph([(r, s) for r, s in zip("abcdefgh", "bcdefgha")])
    >>> [row] = compare_networks(a, b, figures=["centralization_out_degree"], rounds=99)
    >>> row["change"], row["p_value"] < 0.05, row["p_adjusted"] == row["p_value"]
    (-1.0, True, True)

    References
    ----------
    Holm, S. (1979). *Scandinavian Journal of Statistics* 6, 65–70.
    """
    names = [f for f in FIGURES if f not in SIZES] if figures is None else list(figures)
    for name in names:
        _check_figure(name)
    _check_interval_options(rounds, confidence, "wilson")
    rng = _rng(seed)
    size = max(first.number_of_edges(), second.number_of_edges())
    small = size <= RESAMPLE_LIMIT
    observed = [_values(G, names) for G in (first, second)]
    boot: list[dict[str, list[float | None]]] | None = None
    null: dict[str, list[float]] | None = None
    if small and rounds > 0:
        boot = [_bootstrap_values(G, names, rounds, rng) for G in (first, second)]
        if first.number_of_edges() + second.number_of_edges() > 0:
            # Without a claim on either side there is nothing to deal, and nothing to test.
            null = _permutation_values(first, second, names, rounds, rng)
    flips = None
    if small and leave_out:
        flips = _flips(first, second, names, {n: (observed[0][n], observed[1][n]) for n in names})
    rows: list[dict[str, Any]] = []
    for name in names:
        sides, behind = [], []
        for i, G in enumerate((first, second)):
            edges = _edges_behind(G, name)
            behind.append(_basis_counts(G, edges))
            resampled = None if boot is None else boot[i][name]
            counts = figure_counts(G, name)
            sides.append(
                _interval(name, observed[i][name], counts, resampled, len(edges), confidence)
            )
        differences = None if boot is None else _differences(boot[0][name], boot[1][name])
        change = _change(sides[0], sides[1], differences, confidence)
        note = change.note
        if not small and rounds > 0:
            note = f"not resampled: {size} claims on a side, more than {RESAMPLE_LIMIT}"
        rows.append(
            {
                "figure": name,
                "first": change.first,
                "second": change.second,
                "change": change.change,
                "sign": change.sign,
                "interval": _pair(change.low, change.high),
                "method": change.method,
                "first_interval": _pair(sides[0].low, sides[0].high),
                "second_interval": _pair(sides[1].low, sides[1].high),
                "side_methods": [side.method for side in sides],
                "degenerate": [side.degenerate for side in sides],
                "p_value": None if null is None else _p_value(change.change, null[name]),
                "p_adjusted": None,
                "claims": [n for n, _ in behind],
                "assessments": [a for _, a in behind],
                "assessment_share": [a / n if n else None for n, a in behind],
                "counts": None
                if sides[0].counts is None or sides[1].counts is None
                else [list(side.counts) for side in sides if side.counts is not None],
                "flips": None if flips is None else flips.get(name),
                "note": note,
                "side_notes": [side.note for side in sides],
            }
        )
    for row, adjusted in zip(rows, holm([row["p_value"] for row in rows]), strict=True):
        row["p_adjusted"] = adjusted
    return rows
