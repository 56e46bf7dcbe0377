"""Who pays: funding per tier of government, the regional share of bonus claims, and the
concentration of payers.

The functions read the edges of a projection (:func:`graph.analysis.projection.project`): each
``FundingFlow`` edge carries ``amount``, ``currency``, ``amount_basis`` and ``purpose``, and
each node its ``tier`` (federal, regional, recruiter, foreign, other — read from the
ontology's ``rg:tier``).

Money is never added across currencies, nor across amount bases: a ``per_recruit`` amount is a
payment *level* (what one person who signs is paid), a ``total`` amount is money paid out over
a period for many recruits, and an amount of unknown basis (a version-1 file without the
column) could be either. Levels are summarized (median, minimum, maximum), never summed; only
``total`` amounts of one currency are summed. The per-recruit comparison of the regional and
federal bonus is :mod:`graph.analysis.metrics.burden`.
"""

from __future__ import annotations

import statistics
import threading
import weakref
from collections import defaultdict
from collections.abc import Hashable, Iterable, Iterator
from typing import Any

import networkx as nx

# ``tiers`` is the model's (graph.model.ontology); it stays importable from here, where the
# funding tables that are ordered by it live.
from graph.model.ontology import concepts, tiers

__all__ = [
    "BONUS",
    "FUNDING",
    "TOTAL",
    "UNKNOWN_BASIS",
    "amount_bases",
    "funding_by_tier",
    "payer_concentration",
    "regional_share_of_bonus_claims",
    "tiers",
]

FUNDING = "FundingFlow"
BONUS = "enlistment_bonus"
#: The amount basis whose amounts are money paid out, and so the only one that is summed.
TOTAL = "total"
#: The key under which amounts without a stated basis are reported.
UNKNOWN_BASIS = "unknown"

Edge = tuple[Hashable, Hashable, Hashable]


def amount_bases() -> list[str]:
    """The amount bases of the ontology (``per_recruit``, ``total``), then ``"unknown"``."""
    return [*sorted(concepts("AmountBasisScheme")), UNKNOWN_BASIS]


#: The funding claims of frozen graphs (projections), found once per graph: a report asks for
#: them several times, and on 300,000 claims each pass over all of them costs a quarter second.
_FUNDING_EDGES: weakref.WeakKeyDictionary[nx.Graph, list[tuple[Any, Any, Any, dict]]] = (
    weakref.WeakKeyDictionary()
)
_LOCK = threading.Lock()


def _funding_edges(G: nx.MultiDiGraph) -> Iterable[tuple[Any, Any, Any, dict]]:
    if not nx.is_frozen(G):
        return (e for e in G.edges(keys=True, data=True) if e[3].get("type") == FUNDING)
    with _LOCK:
        found = _FUNDING_EDGES.get(G)
    if found is None:
        found = [e for e in G.edges(keys=True, data=True) if e[3].get("type") == FUNDING]
        with _LOCK:
            _FUNDING_EDGES[G] = found
    return found


def _flows(G: nx.MultiDiGraph, purpose: str | None) -> Iterator[tuple[Any, Any, Any, dict]]:
    """The funding claims of ``G`` (of ``purpose``, if given) as ``(u, v, key, data)``."""
    for u, v, k, data in _funding_edges(G):
        # The type is read again: a frozen graph's edge attributes can still be changed.
        if data.get("type") == FUNDING and (purpose is None or data.get("purpose") == purpose):
            yield u, v, k, data


def _basis(data: dict[str, Any]) -> str:
    return data.get("amount_basis") or UNKNOWN_BASIS


def _levels(values: list[float]) -> dict[str, float]:
    return {
        "median": float(statistics.median(values)),
        "min": float(min(values)),
        "max": float(max(values)),
    }


def funding_by_tier(
    G: nx.MultiDiGraph, *, purpose: str | None = None
) -> dict[str, dict[str, dict[str, Any]]]:
    r"""Funding claims per currency, amount basis and tier of payer: totals of money paid out,
    and the levels of per-recruit payments.

    For the claims :math:`F_{c,b,t}` that state an amount in currency :math:`c` on amount basis
    :math:`b`, paid by a party of tier :math:`t`:

    .. math:: T_{c,\mathrm{total},t} = \sum_{e \in F_{c,\mathrm{total},t}} \mathrm{amount}(e)

    only for ``total`` amounts (money paid out over a period). A ``per_recruit`` amount is a
    payment level, and an amount of unknown basis may be either: summing them means nothing,
    so each tier gets the number of claims and the median, minimum and maximum level instead
    (``total`` is None).

    Parameters
    ----------
    G : MultiDiGraph
        A projection.
    purpose : str, optional
        Only flows of this purpose (``enlistment_bonus``, ``recruiter_fee``, …).

    Returns
    -------
    dict
        ``{currency: {basis: {"claims": n, tier: cell, …}}}`` with ``basis`` one of
        :func:`amount_bases` (``"unknown"`` for an amount without a stated basis) and, for each
        tier that paid (in the order of :func:`tiers`), ``cell`` =
        ``{"claims", "payers", "assessments", "total", "median", "min", "max"}``: the number of
        claims, of distinct payers and of claims that are an expert's assessment; ``total`` the
        sum (``total`` basis only, else None); the median, minimum and maximum amount.
        Currencies and bases without a claim are absent.

    Examples
    --------
    >>> G = nx.MultiDiGraph()
    >>> G.add_node("region", tier="regional"); G.add_node("centre", tier="federal")
    >>> G.add_node("scheme", tier="other")
    >>> for payer, amount, basis in [("region", 600.0, "per_recruit"),
    ...                              ("region", 900.0, "per_recruit"),
    ...                              ("centre", 400.0, "per_recruit"),
    ...                              ("region", 5000.0, "total")]:
    ...     _ = G.add_edge(payer, "scheme", type="FundingFlow", amount=amount, currency="RUB",
    ...                    amount_basis=basis, purpose="enlistment_bonus")
    >>> rub = funding_by_tier(G)["RUB"]
    >>> rub["per_recruit"]["regional"]["median"], rub["per_recruit"]["regional"]["total"]
    (750.0, None)
    >>> rub["total"]["regional"]["total"], rub["per_recruit"]["claims"]
    (5000.0, 3)

    References
    ----------
    The median as the summary of payment levels that vary widely between regions: Hyndman,
    R. J. & Fan, Y. (1996). Sample quantiles in statistical packages. *The American
    Statistician* 50(4), 361–365.
    """
    found: dict[tuple[str, str, str], list[tuple[Any, float, bool]]] = defaultdict(list)
    for u, _v, _k, data in _flows(G, purpose):
        if data.get("amount") is None or not data.get("currency"):
            continue
        tier = G.nodes[u].get("tier") or "other"
        key = (data["currency"], _basis(data), tier)
        found[key].append((u, float(data["amount"]), data.get("basis") == "assessment"))
    order = {t: i for i, t in enumerate(tiers())}
    bases = {b: i for i, b in enumerate(amount_bases())}
    result: dict[str, dict[str, dict[str, Any]]] = {}
    for currency, basis, tier in sorted(
        found, key=lambda k: (k[0], bases.get(k[1], len(bases)), order.get(k[2], len(order)), k)
    ):
        paid = found[currency, basis, tier]
        amounts = [a for _, a, _ in paid]
        entry = result.setdefault(currency, {}).setdefault(basis, {"claims": 0})
        entry["claims"] += len(paid)
        entry[tier] = {
            "claims": len(paid),
            "payers": len({u for u, _, _ in paid}),
            "assessments": sum(1 for *_, assessed in paid if assessed),
            "total": float(sum(amounts)) if basis == TOTAL else None,
            **_levels(amounts),
        }
    return result


def _main_currency(
    G: nx.MultiDiGraph, purpose: str | None, amount_basis: str | None = None
) -> str | None:
    """The currency in which most funding claims (of ``purpose`` and ``amount_basis``, if
    given) state an amount; ties go to the first in alphabetical order."""
    counts: dict[str, int] = defaultdict(int)
    for _u, _v, _k, data in _flows(G, purpose):
        if data.get("amount") is None or not data.get("currency"):
            continue
        if amount_basis is None or data.get("amount_basis") == amount_basis:
            counts[data["currency"]] += 1
    return max(sorted(counts), key=lambda c: counts[c]) if counts else None


def _bonus_payers(G: nx.MultiDiGraph) -> list[Hashable]:
    return [u for u, _v, _k, _data in _flows(G, BONUS)]


def regional_share_of_bonus_claims(G: nx.MultiDiGraph) -> float | None:
    r"""Share of the enlistment-bonus funding claims whose payer is a regional government.

    .. math:: S = \frac{|\{e \in F_b : \mathrm{tier}(\mathrm{payer}(e)) = \mathrm{regional}\}|}
                       {|F_b|}

    over the enlistment-bonus funding claims :math:`F_b`, with or without an amount. It counts
    *claims* — how much of the reporting on bonuses is about regional payments — not money:
    26 regions announcing bonuses against one federal decree give a high share whatever the
    amounts. What the regions pay per recruit beside the centre is
    :func:`graph.analysis.metrics.burden.burden_share`. (This was the count form of the former
    "burden-shift index"; its amount form, which summed per-recruit levels, is gone.)

    Parameters
    ----------
    G : MultiDiGraph
        A projection.

    Returns
    -------
    float or None
        The share in [0, 1], or None without any bonus claim.

    Examples
    --------
    >>> G = nx.MultiDiGraph()
    >>> G.add_node("region", tier="regional"); G.add_node("centre", tier="federal")
    >>> for payer in ("region", "region", "region", "centre"):
    ...     _ = G.add_edge(payer, "scheme", type="FundingFlow", purpose="enlistment_bonus")
    >>> regional_share_of_bonus_claims(G)
    0.75

    References
    ----------
    The question it bears on: H. Stevens, "Strangers in the Motherland: The Dynamics of
    Russia's Foreign Recruitment", War on the Rocks, September 2024 — schemes paid for by
    provincial governments rather than the Kremlin.
    """
    payers = _bonus_payers(G)
    if not payers:
        return None
    return sum(1 for u in payers if G.nodes[u].get("tier") == "regional") / len(payers)


def _concentration_edges(
    G: nx.MultiDiGraph, currency: str | None, purpose: str | None
) -> tuple[str | None, list[tuple[Any, Any, Any, dict]]]:
    """The currency :func:`payer_concentration` compares in, and the claims it sums."""
    currency = currency or _main_currency(G, purpose, TOTAL)
    edges = [
        (u, v, k, data)
        for u, v, k, data in _flows(G, purpose)
        if data.get("amount") is not None
        and data.get("currency") == currency
        and data.get("amount_basis") == TOTAL
    ]
    return currency, edges


def payer_concentration(
    G: nx.MultiDiGraph, *, currency: str | None = None, purpose: str | None = None
) -> float | None:
    r"""Herfindahl–Hirschman index of the payers' shares of the money paid out, in one
    currency.

    .. math:: H = \sum_i s_i^2, \qquad s_i = \frac{a_i}{\sum_j a_j}

    with :math:`a_i` the sum of the ``total`` amounts (money paid out over a period) that payer
    :math:`i` paid in ``currency``. Per-recruit levels and amounts of unknown basis are left
    out: a level is a price, not money paid, and a sum of levels says nothing about who pays
    how much. :math:`H = 1` when one payer pays everything, :math:`1/n` when :math:`n` payers
    pay equal shares.

    Parameters
    ----------
    G : MultiDiGraph
        A projection.
    currency : str, optional
        Default: the currency in which most ``total`` funding claims state an amount.
    purpose : str, optional
        Only flows of this purpose.

    Returns
    -------
    float or None
        H in (0, 1], or None without a ``total`` amount in ``currency``.

    Examples
    --------
    >>> G = nx.MultiDiGraph()
    >>> for payer, amount in [("a", 50.0), ("b", 50.0)]:
    ...     _ = G.add_edge(payer, "s", type="FundingFlow", amount=amount, currency="RUB",
    ...                    amount_basis="total")
    >>> _ = G.add_edge("a", "s", type="FundingFlow", amount=9e6, currency="RUB",
    ...                amount_basis="per_recruit")  # a level: left out
    >>> payer_concentration(G)
    0.5

    References
    ----------
    Hirschman, A. O. (1964). The paternity of an index. American Economic Review 54(5), 761.
    """
    _currency, edges = _concentration_edges(G, currency, purpose)
    paid: dict[Any, float] = defaultdict(float)
    for u, _v, _k, data in edges:
        paid[u] += data["amount"]
    total = sum(paid.values())
    if total <= 0:
        return None
    return sum((a / total) ** 2 for a in paid.values())
