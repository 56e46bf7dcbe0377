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
    return str(data.get("claim_id") or data.get("claim") or key)


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
