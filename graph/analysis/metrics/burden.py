"""Burden share per recruit: of what one recruit is paid on signing, the part a region pays
beside the federal centre's one-time payment.

For a region and a period, the regional per-recruit enlistment payment in force is set against
the federal one in force at the same time, in one currency:

.. math:: s_{r,P} = \\frac{a_{r,P}}{a_{r,P} + f_{r,P}}

The share compares payment *levels*, each a price per person who signs; it is not a sum of
money paid out (how many sign in each region is rarely reported). Across the regions of a
period the shares are summarized by their median and quartiles, so that one region's record
bonus does not stand for all. The per-period tables of :func:`burden_share` list the claims
each share rests on.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable, Sequence
from datetime import date
from typing import Any

import networkx as nx
import numpy as np

from graph.analysis.metrics.funding import BONUS, _flows
from graph.errors import InvalidArgument

__all__ = [
    "PER_RECRUIT",
    "RULES",
    "PeriodPayments",
    "burden_share",
    "burden_share_edges",
    "burden_share_inputs",
    "burden_share_median",
    "calendar_years",
    "period_label",
    "quantile",
]

#: The amount basis of a payment level: the only amounts a per-recruit share compares.
PER_RECRUIT = "per_recruit"
#: How the one payment of a region (or of the centre) is chosen among several in force:
#: ``longest`` = in force for most of the period, ``latest`` = the one that started last.
RULES = ("longest", "latest")

Edge = tuple[Hashable, Hashable, Hashable]
_Claim = tuple[Hashable, Hashable, Hashable, dict[str, Any]]


# --------------------------------------------------------------------------------------------
# Periods (shared with graph.analysis.metrics.roles and graph.analysis.metrics.enforcement)
# --------------------------------------------------------------------------------------------


def calendar_years(first: date, last: date) -> list[tuple[date, date]]:
    """The calendar years from that of ``first`` to that of ``last``, each as its first and
    last day, clipped to ``[first, last]``.

    >>> calendar_years(date(2024, 3, 1), date(2025, 12, 31))
    [(datetime.date(2024, 3, 1), datetime.date(2024, 12, 31)), (datetime.date(2025, 1, 1), datetime.date(2025, 12, 31))]
    """  # noqa: E501
    if last < first:
        raise InvalidArgument(f"the period ends ({last}) before it starts ({first})")
    return [
        (max(first, date(year, 1, 1)), min(last, date(year, 12, 31)))
        for year in range(first.year, last.year + 1)
    ]


def period_label(start: date, end: date) -> str:
    """``2024`` for a calendar year, else ``2024-03-01/2024-12-31`` (ISO 8601 interval)."""
    if (start.month, start.day, end.month, end.day) == (1, 1, 12, 31) and start.year == end.year:
        return f"{start.year:04d}"
    return f"{start.isoformat()}/{end.isoformat()}"


def _checked_periods(periods: Iterable[tuple[date, date]]) -> list[tuple[date, date]]:
    checked = []
    for start, end in periods:
        if end < start:
            raise InvalidArgument(f"the period ends ({end}) before it starts ({start})")
        checked.append((start, end))
    return checked


def _window(G: nx.Graph, claims: Iterable[dict[str, Any]]) -> tuple[date, date] | None:
    """The period a projection covers: its filter's window, each open side closed by the
    first start or last end of ``claims``; None when a side stays open (no claims)."""
    flt = G.graph.get("filter") or {}
    first = date.fromisoformat(flt["start"]) if flt.get("start") else None
    last = date.fromisoformat(flt["end"]) if flt.get("end") else None
    claims = list(claims)
    if first is None and claims:
        first = min(d["start"] for d in claims)
    if last is None and claims:
        last = max(d["end"] for d in claims)
    if first is None or last is None or last < first:
        return None
    return first, last


def _years_of(G: nx.Graph, claims: Iterable[dict[str, Any]]) -> list[tuple[date, date]]:
    """The calendar years of ``G``'s window: whole years, clipped only where its filter
    bounds the window (the last claim's end is not the end of a year's reporting)."""
    window = _window(G, claims)
    if window is None:
        return []
    flt = G.graph.get("filter") or {}
    first = window[0] if flt.get("start") else date(window[0].year, 1, 1)
    last = window[1] if flt.get("end") else date(window[1].year, 12, 31)
    return calendar_years(first, last)


def _overlap(data: dict[str, Any], lo: date, hi: date) -> int:
    """Days of ``[lo, hi]`` on which the claim is in force (its start to its end, inclusive)."""
    days = (min(hi, data["end"]) - max(lo, data["start"])).days + 1
    return max(days, 0)


def _claim_id(key: Hashable, data: dict[str, Any]) -> str:
    return str(data.get("claim_id") or key)


def quantile(values: Sequence[float], q: float) -> float:
    r"""The ``q``-quantile of ``values`` by linear interpolation between order statistics
    (Hyndman and Fan's type 7, the default of R and numpy).

    .. math:: Q(q) = x_{(\lfloor h \rfloor)} + (h - \lfloor h \rfloor)
              (x_{(\lfloor h \rfloor + 1)} - x_{(\lfloor h \rfloor)}), \qquad h = (n - 1) q

    with :math:`x_{(0)} \le \dots \le x_{(n-1)}` the sorted values.

    >>> quantile([0.2, 0.5, 0.6, 0.8], 0.25), quantile([0.2, 0.5, 0.6, 0.8], 0.5)
    (0.425, 0.55)

    References
    ----------
    Hyndman, R. J. & Fan, Y. (1996). Sample quantiles in statistical packages. *The American
    Statistician* 50(4), 361–365.
    """
    if not values:
        raise ValueError("no values")
    if not 0 <= q <= 1:
        raise ValueError(f"q must lie in [0, 1], not {q}")
    x = sorted(values)
    h = (len(x) - 1) * q
    lo = int(h)
    if lo + 1 >= len(x):
        return float(x[-1])
    return float(x[lo] + (h - lo) * (x[lo + 1] - x[lo]))


# --------------------------------------------------------------------------------------------
# The per-recruit payments
# --------------------------------------------------------------------------------------------


def _check_options(rule: str, foreigners_only: bool, keep_unstated: bool) -> None:
    if rule not in RULES:
        raise InvalidArgument(f"unknown rule {rule!r}; use one of {', '.join(RULES)}")
    if keep_unstated and not foreigners_only:
        raise InvalidArgument("keep_unstated only applies with foreigners_only=True")


def _levels(G: nx.MultiDiGraph) -> tuple[dict[Hashable, list[_Claim]], list[_Claim]]:
    """The per-recruit enlistment payments of ``G`` that state an amount: by regional
    government (aggregates left out), and the federal ones."""
    regional: dict[Hashable, list[_Claim]] = defaultdict(list)
    federal: list[_Claim] = []
    for u, v, k, data in _flows(G, BONUS):
        if data.get("amount") is None or data.get("amount_basis") != PER_RECRUIT:
            continue
        payer = G.nodes[u]
        if payer.get("tier") == "federal":
            federal.append((u, v, k, data))
        elif payer.get("tier") == "regional" and not payer.get("aggregate"):
            regional[u].append((u, v, k, data))
    return regional, federal


def _default_currency(regional: dict[Hashable, list[_Claim]], federal: list[_Claim]) -> str | None:
    """The currency most federal payments are in (else most regional ones); ties go to the
    first alphabetically."""
    for claims in (federal, [c for cs in regional.values() for c in cs]):
        counts: dict[str, int] = defaultdict(int)
        for *_, data in claims:
            if data.get("currency"):
                counts[data["currency"]] += 1
        if counts:
            return max(sorted(counts), key=lambda c: counts[c])
    return None


def _pick(claims: Iterable[_Claim], lo: date, hi: date, rule: str) -> _Claim | None:
    """The claim in force for most days of ``[lo, hi]`` (``longest``) or the one that started
    last (``latest``) among those in force in it; ties go to the later start, then the longer
    overlap, then the higher claim id."""
    best = None
    best_key: tuple[Any, ...] | None = None
    for claim in claims:
        days = _overlap(claim[3], lo, hi)
        if days == 0:
            continue
        start = claim[3]["start"]
        ident = _claim_id(claim[2], claim[3])
        key = (days, start, ident) if rule == "longest" else (start, days, ident)
        if best_key is None or key > best_key:
            best, best_key = claim, key
    return best


class _Payments:
    """Payments with their periods as arrays, so that the one in force is found among many
    (the centre's payments of a large synthetic network) without a Python step per claim."""

    def __init__(self, claims: Sequence[_Claim]) -> None:
        self.claims = list(claims)
        self.starts = np.array([c[3]["start"].toordinal() for c in self.claims], dtype=np.int64)
        self.ends = np.array([c[3]["end"].toordinal() for c in self.claims], dtype=np.int64)

    def pick(self, lo: date, hi: date, rule: str) -> _Claim | None:
        """:func:`_pick` of these payments: the leaders on the first element of its key are
        found on the arrays, and :func:`_pick` breaks the ties among them."""
        days = np.minimum(hi.toordinal(), self.ends) - np.maximum(lo.toordinal(), self.starts)
        live = np.flatnonzero(days >= 0)
        if live.size == 0:
            return None
        lead = days[live] if rule == "longest" else self.starts[live]
        top = live[lead == lead.max()]
        return _pick((self.claims[i] for i in top), lo, hi, rule)


def _period_shares(
    G: nx.MultiDiGraph,
    regional: dict[Hashable, list[_Claim]],
    federal: list[_Claim],
    lo: date,
    hi: date,
    currency: str | None,
    foreigners_only: bool,
    keep_unstated: bool,
    rule: str,
) -> tuple[dict[str, Any], list[Edge]]:
    """One period's row of :func:`burden_share` and the edges its shares rest on."""

    def open_to_foreigners(data: dict[str, Any]) -> bool:
        said = data.get("foreigners")
        return said is True or (keep_unstated and said is None)

    # The federal payment is one national level: kept unless its claim says it excludes
    # foreigners (see burden_share).
    centre = [
        c
        for c in federal
        if c[3].get("currency") == currency
        and not (foreigners_only and c[3].get("foreigners") is False)
    ]
    payments = _Payments(centre)
    shares: list[dict[str, Any]] = []
    left_out: list[dict[str, Any]] = []
    edges: list[Edge] = []
    for region, claims in regional.items():
        in_force = [c for c in claims if _overlap(c[3], lo, hi)]
        if not in_force:
            continue
        attrs = G.nodes[region]
        who = {"region": region, "label": attrs.get("label"), "code": attrs.get("code")}

        def leave(reason: str, claims: list[_Claim], who: dict[str, Any] = who) -> None:
            ids = sorted({_claim_id(c[2], c[3]) for c in claims})
            left_out.append({**who, "reason": reason, "claims": ids})

        same = [c for c in in_force if c[3].get("currency") == currency]
        if not same:
            leave("not in the currency compared", in_force)
            continue
        if foreigners_only:
            open_ = [c for c in same if open_to_foreigners(c[3])]
            if not open_:
                leave("no payment open to foreigners", same)
                continue
            same = open_
        chosen = _pick(same, lo, hi, rule)
        assert chosen is not None  # every claim of `same` is in force in the period
        r = chosen[3]
        # The federal level in force while the chosen regional payment is, within the period.
        centre_pick = payments.pick(max(lo, r["start"]), min(hi, r["end"]), rule)
        if centre_pick is None:
            leave("no federal payment in force", [chosen])
            continue
        f = centre_pick[3]
        paid = float(r["amount"]) + float(f["amount"])
        if paid <= 0:
            leave("no payment at all", [chosen, centre_pick])
            continue
        shares.append(
            {
                **who,
                "share": float(r["amount"]) / paid,
                "regional": float(r["amount"]),
                "federal": float(f["amount"]),
                "regional_claim": _claim_id(chosen[2], r),
                "federal_claim": _claim_id(centre_pick[2], f),
                "assessments": sum(1 for d in (r, f) if d.get("basis") == "assessment"),
            }
        )
        edges.extend(c[:3] for c in (chosen, centre_pick))
    shares.sort(key=lambda s: (str(s["label"]), str(s["region"])))
    left_out.sort(key=lambda s: (str(s["label"]), str(s["region"])))
    values = [s["share"] for s in shares]
    behind: dict[str, bool] = {}
    for u, v, k in edges:
        data = G.edges[u, v, k]
        behind[_claim_id(k, data)] = data.get("basis") == "assessment"
    row = {
        "period": period_label(lo, hi),
        "start": lo.isoformat(),
        "end": hi.isoformat(),
        "currency": currency,
        "n": len(values),
        "median": quantile(values, 0.5) if values else None,
        "lower_quartile": quantile(values, 0.25) if values else None,
        "upper_quartile": quantile(values, 0.75) if values else None,
        "claims": sorted(behind),
        "assessments": sum(behind.values()),
        "shares": shares,
        "left_out": left_out,
    }
    return row, sorted(set(edges), key=str)


def burden_share(
    G: nx.MultiDiGraph,
    periods: Iterable[tuple[date, date]] | None = None,
    *,
    currency: str | None = None,
    foreigners_only: bool = False,
    keep_unstated: bool = False,
    rule: str = "longest",
) -> list[dict[str, Any]]:
    r"""The regional share of the per-recruit enlistment payment, per region and period, with
    its median and quartiles across regions.

    For each regional government :math:`r` (aggregates left out) and period :math:`P`:

    .. math:: s_{r,P} = \frac{a_{r,P}}{a_{r,P} + f_{r,P}}

    where :math:`a_{r,P}` is the amount of the regional enlistment-bonus claim of :math:`r`
    in force in :math:`P` and :math:`f_{r,P}` that of the federal one in force at the same
    time, both ``per_recruit`` amounts in ``currency``. 1 means the region pays everything a
    recruit gets on signing, 0.5 as much as the centre, 0 nothing.

    Which payments count:

    * only ``FundingFlow`` claims of purpose ``enlistment_bonus`` with an amount whose
      ``amount_basis`` is ``per_recruit``: a ``total`` amount (money paid out for many
      recruits) or one of unknown basis never enters;
    * a claim is in force in :math:`P` when its ``[start, end]`` overlaps :math:`P` (a claim
      without a stated end lasts as long as its start's precision: see
      :mod:`graph.analysis.projection`);
    * where several claims of one region are in force in :math:`P`, the one in force on most
      days of :math:`P` counts (``rule="longest"``; ties: the later start, then the higher
      claim id), or the one that started last (``rule="latest"``);
    * the federal payment (payer of tier federal) is chosen by the same rule among those in
      force during the part of :math:`P` that the chosen regional payment covers, so that the
      two levels were in force at the same time (a region's payment from September 2024 is
      set against the 400,000 RUB of August 2024 on, not the 195,000 RUB in force for most of
      the year);
    * a region is left out of :math:`P` (and listed under ``left_out`` with the reason) when
      its payments in force are all in another currency (never converted), when no federal
      payment in ``currency`` is in force beside its own (an unreported federal level is not
      a zero one), or when both levels are 0.

    With ``foreigners_only=True`` only regional payments whose claim says they apply to
    foreign nationals (``foreigners`` True) count; ``keep_unstated=True`` also keeps those
    whose source does not say (``foreigners`` None). A region with payments in force but none
    of them open to foreigners is left out of the period (listed in ``left_out``), never
    counted as a zero share. The federal payment is one national level set by decree for
    Russian and foreign citizens alike; it is kept unless its claim says it excludes foreigners
    (``foreigners`` False).

    Parameters
    ----------
    G : MultiDiGraph
        A projection.
    periods : iterable of (date, date), optional
        First and last day of each period. Default: the calendar years of ``G``'s window (its
        filter's start and end; an open side closed by the per-recruit payments of ``G``).
    currency : str, optional
        Default: the currency most federal per-recruit payments are in.
    foreigners_only, keep_unstated : bool
        See above.
    rule : "longest" or "latest"
        How one payment is chosen among several in force.

    Returns
    -------
    list of dict
        One row per period: ``period`` (``2024`` or ``first/last``), ``start``, ``end``,
        ``currency``, ``n`` (regions with a share), ``median``, ``lower_quartile`` and
        ``upper_quartile`` of the shares (Hyndman–Fan type 7, :func:`quantile`; None without
        a share), ``claims`` (the ids of the claims the shares rest on) and ``assessments``
        (how many of them are an expert's assessment), ``shares`` (per region: ``region``,
        ``label``, ``code``, ``share``, ``regional`` and ``federal`` amounts,
        ``regional_claim`` and ``federal_claim`` ids, ``assessments``) and ``left_out``
        (``region``, ``label``, ``code``, ``reason``, ``claims``).

    Examples
    --------
    >>> from datetime import date
    >>> G = nx.MultiDiGraph()
    >>> G.add_node("centre", tier="federal")
    >>> G.add_node("region", tier="regional", label="Region", aggregate=False)
    >>> def pay(payer, amount, start, end, claim_id):
    ...     _ = G.add_edge(payer, "contract", key=claim_id, claim_id=claim_id,
    ...         type="FundingFlow", purpose="enlistment_bonus", amount=amount, currency="RUB",
    ...         amount_basis="per_recruit", start=start, end=end, basis="report")
    >>> pay("centre", 400_000.0, date(2024, 8, 1), date(2024, 12, 31), "f1")
    >>> pay("region", 600_000.0, date(2024, 9, 1), date(2024, 12, 31), "r1")
    >>> [row] = burden_share(G, [(date(2024, 1, 1), date(2024, 12, 31))])
    >>> row["median"], row["n"], row["claims"]
    (0.6, 1, ['f1', 'r1'])

    References
    ----------
    The question it answers: H. Stevens, "Strangers in the Motherland: The Dynamics of
    Russia's Foreign Recruitment", War on the Rocks, September 2024 (schemes paid for by
    provincial governments rather than the Kremlin). Quartiles: Hyndman, R. J. & Fan, Y.
    (1996), *The American Statistician* 50(4), 361–365.
    """
    _check_options(rule, foreigners_only, keep_unstated)
    regional, federal = _levels(G)
    currency = currency or _default_currency(regional, federal)
    if periods is None:
        chosen = _years_of(G, [c[3] for cs in (*regional.values(), federal) for c in cs])
    else:
        chosen = _checked_periods(periods)
    return [
        _period_shares(
            G, regional, federal, lo, hi, currency, foreigners_only, keep_unstated, rule
        )[0]
        for lo, hi in chosen
    ]


def _headline(
    G: nx.MultiDiGraph,
    currency: str | None,
    foreigners_only: bool,
    keep_unstated: bool,
    rule: str,
) -> tuple[dict[str, Any], list[Edge]] | None:
    _check_options(rule, foreigners_only, keep_unstated)
    regional, federal = _levels(G)
    window = _window(G, [c[3] for cs in (*regional.values(), federal) for c in cs])
    if window is None:
        return None
    currency = currency or _default_currency(regional, federal)
    return _period_shares(
        G, regional, federal, *window, currency, foreigners_only, keep_unstated, rule
    )


def burden_share_median(
    G: nx.MultiDiGraph,
    *,
    currency: str | None = None,
    foreigners_only: bool = False,
    keep_unstated: bool = False,
    rule: str = "longest",
) -> float | None:
    r"""The median across regions of the per-recruit burden share over ``G``'s window: the
    headline figure of a report or of one window of a timeline.

    .. math:: \tilde s_P = \operatorname{median}_r \frac{a_{r,P}}{a_{r,P} + f_{r,P}}

    with :math:`P` the window of the projection (its filter's start and end; an open side
    closed by the first start or last end of its per-recruit bonus payments) and the shares of
    :func:`burden_share`, whose rules and options it takes. Over a window of several years each
    region counts once, with its payment in force longest (or latest) in the window: for a
    series over time take :func:`burden_share` per year, or a timeline of one-year windows.

    Parameters
    ----------
    G : MultiDiGraph
        A projection.
    currency, foreigners_only, keep_unstated, rule
        As :func:`burden_share`.

    Returns
    -------
    float or None
        The median share in [0, 1], None when no region has one.

    Examples
    --------
    >>> from datetime import date
    >>> G = nx.MultiDiGraph(filter={"start": "2025-01-01", "end": "2025-12-31"})
    >>> G.add_node("centre", tier="federal")
    >>> for region in "abc":
    ...     G.add_node(region, tier="regional", label=region)
    >>> for payer, amount in [("centre", 400.0), ("a", 100.0), ("b", 400.0), ("c", 1600.0)]:
    ...     _ = G.add_edge(payer, "contract", type="FundingFlow", purpose="enlistment_bonus",
    ...         amount=amount, currency="RUB", amount_basis="per_recruit",
    ...         start=date(2025, 1, 1), end=date(2025, 12, 31))
    >>> burden_share_median(G)
    0.5

    References
    ----------
    As :func:`burden_share`.
    """
    found = _headline(G, currency, foreigners_only, keep_unstated, rule)
    return None if found is None else found[0]["median"]


def burden_share_inputs(G: nx.MultiDiGraph) -> list[Edge]:
    """Every claim (edge ``(u, v, key)``) :func:`burden_share_median` reads: the per-recruit
    enlistment payments with an amount, federal and regional, whether or not it picks them.
    The figure of a network is the figure of these claims of it (with their parties), which
    lets a bootstrap build its resamples from them alone."""
    regional, federal = _levels(G)
    return [(u, v, k) for u, v, k, _ in (*federal, *(c for cs in regional.values() for c in cs))]


def burden_share_edges(
    G: nx.MultiDiGraph,
    *,
    currency: str | None = None,
    foreigners_only: bool = False,
    keep_unstated: bool = False,
    rule: str = "longest",
) -> list[Edge]:
    """The claims (edges ``(u, v, key)`` of ``G``) that :func:`burden_share_median` rests on:
    the regional and the federal payment of each region that has a share.

    Examples
    --------
    >>> from datetime import date
    >>> G = nx.MultiDiGraph()
    >>> G.add_node("centre", tier="federal"); G.add_node("region", tier="regional")
    >>> for payer, amount in [("centre", 400.0), ("region", 100.0)]:
    ...     _ = G.add_edge(payer, "contract", key=payer, type="FundingFlow",
    ...         purpose="enlistment_bonus", amount=amount, currency="RUB",
    ...         amount_basis="per_recruit", start=date(2025, 1, 1), end=date(2025, 12, 31))
    >>> burden_share_edges(G)
    [('centre', 'contract', 'centre'), ('region', 'contract', 'region')]
    """
    found = _headline(G, currency, foreigners_only, keep_unstated, rule)
    return [] if found is None else found[1]


# --------------------------------------------------------------------------------------------
# The median share of many subsets of one period's payments at once (a bootstrap's resamples)
# --------------------------------------------------------------------------------------------


class PeriodPayments:
    r"""The per-recruit enlistment payments of a projection in force in one period, as arrays,
    so that :func:`burden_share_median` of many networks made of some of them (the resamples
    of a bootstrap) is computed at once, with numpy, without building a network for each.

    For a subset :math:`S` of the payments (a row of ``drawn``), :meth:`medians` gives what
    :func:`burden_share_median` gives for the network of the claims of :math:`S` over the
    period's window (its filter's start and end), with the default options: the currency
    most of the federal payments of :math:`S` are in (else most regional ones; ties to the
    first alphabetically), per region its payment in that currency in force on most days
    (ties: the later start, then the higher claim id), the federal one in force on most days
    while it is (the same ties), and the median of the shares (Hyndman–Fan type 7). A claim
    drawn twice counts as once drawn: the figure is the same.

    Parameters
    ----------
    G : MultiDiGraph
        A projection.
    lo, hi : date
        The period: first and last day.
    levels : tuple, optional
        ``_levels(G)`` if the caller has it (one pass over ``G`` for several periods).

    Attributes
    ----------
    inputs : list of (u, v, key)
        The payments in force in the period, in the order of the columns of ``drawn``.
    federal : int
        How many of them, the first ones, are federal.

    Examples
    --------
    The centre pays 300 per recruit, regions a, b and c 100, 300 and 900 beside it; three
    resamples: all four payments, the centre's and a's, the regions' alone.

    >>> from datetime import date
    >>> year = (date(2024, 1, 1), date(2024, 12, 31))
    >>> G = nx.MultiDiGraph()
    >>> G.add_nodes_from([("centre", {"tier": "federal"})] + [(r, {"tier": "regional"})
    ...                                                        for r in "abc"])
    >>> for payer, level in zip(["centre", *"abc"], [300.0, 100.0, 300.0, 900.0]):
    ...     _ = G.add_edge(payer, "scheme", type="FundingFlow", purpose="enlistment_bonus",
    ...         amount=level, currency="RUB", amount_basis="per_recruit",
    ...         start=year[0], end=year[1])
    >>> payments = PeriodPayments(G, *year)
    >>> [str(u) for u, _v, _k in payments.inputs], payments.federal
    (['centre', 'a', 'b', 'c'], 1)
    >>> payments.medians(np.array([[1, 1, 1, 1], [1, 1, 0, 0], [0, 1, 1, 1]], dtype=bool))
    [0.5, 0.25, None]
    """

    #: Cells of the (pairs of region and resample) × federal payments matrix worked on at
    #: once: bounds the memory of :meth:`medians` (about 100 MB).
    _CHUNK = 2_000_000

    def __init__(
        self,
        G: nx.MultiDiGraph,
        lo: date,
        hi: date,
        levels: tuple[dict[Hashable, list[_Claim]], list[_Claim]] | None = None,
    ) -> None:
        regional, federal = levels if levels is not None else _levels(G)
        self.G, self.lo, self.hi = G, lo, hi
        centre = [c for c in federal if _overlap(c[3], lo, hi)]
        in_force = {r: [c for c in cs if _overlap(c[3], lo, hi)] for r, cs in regional.items()}
        self._in_force = ({r: cs for r, cs in in_force.items() if cs}, centre)
        # Regional payments by region, each region's in the order of _pick's key.
        by_region = [
            sorted(
                claims,
                key=lambda c: (_overlap(c[3], lo, hi), c[3]["start"], _claim_id(c[2], c[3])),
            )
            for claims in self._in_force[0].values()
        ]
        provinces = [c for claims in by_region for c in claims]
        self.federal = len(centre)
        self._claims = centre + provinces
        self.inputs: list[Edge] = [c[:3] for c in self._claims]
        # Currencies: those that count towards the default (non-empty) in alphabetical order,
        # then one code per other value (None, ""), which only matches itself.
        said = sorted({c[3]["currency"] for c in self._claims if c[3].get("currency")})
        others = sorted({repr(c[3].get("currency")) for c in self._claims} - set(map(repr, said)))
        codes = {
            **{repr(c): i for i, c in enumerate(said)},
            **{o: len(said) + i for i, o in enumerate(others)},
        }
        self._counted = len(said)
        self._none = codes.get(repr(None), len(said) + len(others))
        self._currency = np.array(
            [codes[repr(c[3].get("currency"))] for c in self._claims], dtype=np.int64
        )
        self._amount = np.array([float(c[3]["amount"]) for c in self._claims])
        self._start = np.array([c[3]["start"].toordinal() for c in self._claims], dtype=np.int64)
        self._end = np.array([c[3]["end"].toordinal() for c in self._claims], dtype=np.int64)
        # Where each region's payments begin among the regional columns.
        sizes = [len(claims) for claims in by_region]
        self._blocks = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
        # The federal payments' rank by start, then claim id: with the days in force, the
        # key _pick orders them by.
        order = sorted(
            range(len(centre)),
            key=lambda i: (centre[i][3]["start"], _claim_id(centre[i][2], centre[i][3])),
        )
        self._federal_rank = np.empty(len(centre), dtype=np.int64)
        self._federal_rank[order] = np.arange(len(centre))

    @classmethod
    def per_period(
        cls, G: nx.MultiDiGraph, periods: Iterable[tuple[date, date]]
    ) -> list[PeriodPayments]:
        """The payments of each period of ``periods`` (one pass over ``G`` for all)."""
        levels = _levels(G)
        return [cls(G, lo, hi, levels) for lo, hi in _checked_periods(periods)]

    def share(self) -> tuple[dict[str, Any], list[Edge]]:
        """The period's row of :func:`burden_share` (its ``median`` is
        :func:`burden_share_median` of the period's projection) and the claims it rests on
        (:func:`burden_share_edges` of it), computed the plain way: the reference the
        resamples of :meth:`medians` are checked against."""
        currency = _default_currency(*self._in_force)
        return _period_shares(
            self.G, *self._in_force, self.lo, self.hi, currency, False, False, "longest"
        )

    def _currencies(self, drawn: np.ndarray) -> np.ndarray:
        """Per resample, the code of the currency compared (:func:`_default_currency`)."""
        counted = self._currency < self._counted
        onehot = np.zeros((len(self._claims), max(self._counted, 1)), dtype=np.int64)
        onehot[np.flatnonzero(counted), self._currency[counted]] = 1
        chosen = np.full(drawn.shape[0], self._none, dtype=np.int64)
        f = self.federal
        for columns in (slice(f, None), slice(0, f)):  # the regional ones only where no federal
            counts = drawn[:, columns].astype(np.int64) @ onehot[columns]
            some = counts.sum(axis=1) > 0
            chosen[some] = counts[some].argmax(axis=1)  # the first of equal counts
        return chosen

    def medians(self, drawn: np.ndarray) -> list[float | None]:
        """:func:`burden_share_median` of the network of each row's payments (``drawn``: a
        boolean matrix, one row per resample, one column per payment of :attr:`inputs`);
        None where no region has a share."""
        drawn = np.asarray(drawn, dtype=bool)
        rounds = drawn.shape[0]
        f = self.federal
        if drawn.shape[1] != len(self._claims):
            raise ValueError(f"drawn has {drawn.shape[1]} columns for {len(self._claims)} payments")
        if rounds == 0 or len(self._claims) == f or f == 0:
            return [None] * rounds
        currency = self._currencies(drawn)
        # Per resample and region, its payment chosen: the last (the greatest by _pick's key)
        # of its drawn payments in the currency.
        eligible = drawn[:, f:] & (self._currency[None, f:] == currency[:, None])
        position = np.where(eligible, np.arange(1, len(self._claims) - f + 1)[None, :], 0)
        chosen = np.maximum.reduceat(position, self._blocks, axis=1) - 1  # -1: none
        pairs = np.argwhere(chosen >= 0)  # (resample, region)
        regional = f + chosen[pairs[:, 0], pairs[:, 1]]
        share = np.full(chosen.shape, np.nan)
        # The federal payment in force longest while the regional one is, pairs in chunks.
        step = max(1, self._CHUNK // f)
        lo, hi = self.lo.toordinal(), self.hi.toordinal()
        for begin in range(0, len(pairs), step):
            part = slice(begin, begin + step)
            rows, r = pairs[part, 0], regional[part]
            first = np.maximum(lo, self._start[r])[:, None]
            last = np.minimum(hi, self._end[r])[:, None]
            days = (
                np.minimum(last, self._end[None, :f]) - np.maximum(first, self._start[None, :f]) + 1
            )
            live = (
                (days >= 1) & drawn[rows, :f] & (self._currency[None, :f] == currency[rows, None])
            )
            key = np.where(live, days * f + self._federal_rank[None, :], -1)
            found = key.max(axis=1) >= 0
            federal = key.argmax(axis=1)
            paid = self._amount[r] + self._amount[federal]
            ok = found & (paid > 0)
            share[rows[ok], pairs[part, 1][ok]] = self._amount[r][ok] / paid[ok]
        return [_median_of_row(row) for row in np.sort(share, axis=1)]


def _median_of_row(ordered: np.ndarray) -> float | None:
    """:func:`quantile` at 0.5 of a sorted row whose NaNs (no share) come last."""
    n = int(np.count_nonzero(~np.isnan(ordered)))
    if n == 0:
        return None
    return quantile(ordered[:n].tolist(), 0.5)
