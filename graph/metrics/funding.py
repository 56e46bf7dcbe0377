"""Who pays: funding totals per tier of government, the burden-shift index, and the
concentration of payers.

The functions read the edges of a projection (:func:`graph.projection.project`): each
``FundingFlow`` edge carries ``amount``, ``currency`` and ``purpose``, and each node its ``tier``
(federal, regional, recruiter, foreign, other — read from the ontology's ``rg:tier``).
Amounts in different currencies are never added together.
"""

from __future__ import annotations

import threading
import weakref
from collections import defaultdict
from collections.abc import Iterable, Iterator
from typing import Any, Literal

import networkx as nx

from graph.ontology import kinds

FUNDING = "FundingFlow"
BONUS = "enlistment_bonus"


def tiers() -> list[str]:
    """The tiers of payer, in the ontology's order of first use (federal first)."""
    order = ["federal", "regional", "recruiter", "foreign", "other"]
    known = {kind.tier for kind in kinds().values()}
    return [t for t in order if t in known] + sorted(known - set(order))


#: The funding claims of frozen graphs (projections), found once per graph: a report asks for
#: them eight times, and on 300,000 claims each pass over all of them costs a quarter second.
_FUNDING_EDGES: weakref.WeakKeyDictionary[nx.Graph, list[tuple[Any, Any, dict]]] = (
    weakref.WeakKeyDictionary()
)
_LOCK = threading.Lock()


def _funding_edges(G: nx.MultiDiGraph) -> Iterable[tuple[Any, Any, dict]]:
    if not nx.is_frozen(G):
        return (e for e in G.edges(data=True) if e[2].get("type") == FUNDING)
    with _LOCK:
        found = _FUNDING_EDGES.get(G)
    if found is None:
        found = [e for e in G.edges(data=True) if e[2].get("type") == FUNDING]
        with _LOCK:
            _FUNDING_EDGES[G] = found
    return found


def _flows(G: nx.MultiDiGraph, purpose: str | None) -> Iterator[tuple[Any, Any, dict]]:
    for u, v, data in _funding_edges(G):
        # The type is read again: a frozen graph's edge attributes can still be changed.
        if data.get("type") == FUNDING and (purpose is None or data.get("purpose") == purpose):
            yield u, v, data


def funding_by_tier(G: nx.MultiDiGraph, *, purpose: str | None = None) -> dict[str, dict]:
    r"""Total funding paid by each tier of payer, per currency.

    .. math:: T_{c,t} = \sum_{e \in F,\ \mathrm{cur}(e)=c,\ \mathrm{tier}(\mathrm{payer}(e))=t}
              \mathrm{amount}(e)

    where :math:`F` are the funding-flow claims (of ``purpose``, if given) that state an amount.

    Parameters
    ----------
    G : MultiDiGraph
        A projection.
    purpose : str, optional
        Only flows of this purpose (``enlistment_bonus``, ``recruiter_fee``, …).

    Returns
    -------
    dict
        ``{currency: {tier: total}}``, every tier present (0.0 where nothing was paid), plus
        ``{currency: {"claims": n}}`` under the key ``"claims"`` of each currency.

    Examples
    --------
    >>> G = nx.MultiDiGraph()
    >>> G.add_node("region", tier="regional"); G.add_node("centre", tier="federal")
    >>> G.add_node("scheme", tier="other")
    >>> G.add_edge("region", "scheme", type="FundingFlow", amount=300.0, currency="RUB",
    ...            purpose="enlistment_bonus")
    0
    >>> G.add_edge("centre", "scheme", type="FundingFlow", amount=100.0, currency="RUB",
    ...            purpose="enlistment_bonus")
    0
    >>> funding_by_tier(G)["RUB"]["regional"]
    300.0
    """
    totals: dict[str, dict[str, Any]] = {}
    for u, _v, data in _flows(G, purpose):
        if data.get("amount") is None or not data.get("currency"):
            continue
        entry = totals.setdefault(data["currency"], {**dict.fromkeys(tiers(), 0.0), "claims": 0})
        entry[G.nodes[u].get("tier", "other")] += data["amount"]
        entry["claims"] += 1
    return dict(sorted(totals.items()))


def _main_currency(G: nx.MultiDiGraph, purpose: str | None) -> str | None:
    counts: dict[str, int] = defaultdict(int)
    for _u, _v, data in _flows(G, purpose):
        if data.get("amount") is not None and data.get("currency"):
            counts[data["currency"]] += 1
    return max(sorted(counts), key=lambda c: counts[c]) if counts else None


def burden_shift_index(
    G: nx.MultiDiGraph,
    *,
    by: Literal["amount", "count"] = "amount",
    currency: str | None = None,
) -> float | None:
    r"""Regional share of enlistment-bonus funding: the burden-shift index.

    .. math:: B = \frac{\sum_{e \in F_b,\ \mathrm{tier}(\mathrm{payer}(e))
                             = \mathrm{regional}} w(e)}{\sum_{e \in F_b} w(e)}

    over the enlistment-bonus funding claims :math:`F_b`, with :math:`w(e)` the amount
    (``by="amount"``, in one currency) or 1 (``by="count"``: the share of bonus claims whose
    payer is a regional government). 1 means the provinces carry the whole bonus burden, 0 that
    the federal centre (or others) do; a rise over time is a shift of the burden to the regions.

    Parameters
    ----------
    G : MultiDiGraph
        A projection.
    by : "amount" or "count"
        Weigh claims by their amount or count them.
    currency : str, optional
        With ``by="amount"``: the currency to compare in (default: the currency in which most
        bonus claims state an amount). Claims in other currencies are left out.

    Returns
    -------
    float or None
        The share in [0, 1], or None when there is no bonus funding to share.

    Examples
    --------
    >>> G = nx.MultiDiGraph()
    >>> G.add_node("region", tier="regional"); G.add_node("centre", tier="federal")
    >>> G.add_node("scheme", tier="other")
    >>> for payer, amount in [("region", 300.0), ("centre", 100.0)]:
    ...     _ = G.add_edge(payer, "scheme", type="FundingFlow", amount=amount, currency="RUB",
    ...                    purpose="enlistment_bonus")
    >>> burden_shift_index(G)
    0.75
    >>> burden_shift_index(G, by="count")
    0.5

    References
    ----------
    The question it measures: H. Stevens, "Strangers in the Motherland: The Dynamics of Russia's
    Foreign Recruitment", War on the Rocks, September 2024 — schemes paid for by provincial
    governments rather than the Kremlin.
    """
    if by not in ("amount", "count"):
        raise ValueError(f"by must be 'amount' or 'count', not {by!r}")
    if by == "amount" and currency is None:
        currency = _main_currency(G, BONUS)
    regional = total = 0.0
    for u, _v, data in _flows(G, BONUS):
        if by == "amount":
            if data.get("amount") is None or data.get("currency") != currency:
                continue
            weight = data["amount"]
        else:
            weight = 1.0
        total += weight
        if G.nodes[u].get("tier") == "regional":
            regional += weight
    return regional / total if total > 0 else None


def payer_concentration(
    G: nx.MultiDiGraph, *, currency: str | None = None, purpose: str | None = None
) -> float | None:
    r"""Herfindahl–Hirschman index of the payers' shares of funding.

    .. math:: H = \sum_i s_i^2, \qquad s_i = \frac{a_i}{\sum_j a_j}

    with :math:`a_i` the amount paid by payer :math:`i` in ``currency``. :math:`H = 1` when one
    payer pays everything, :math:`1/n` when :math:`n` payers pay equal shares.

    Parameters
    ----------
    G : MultiDiGraph
        A projection.
    currency : str, optional
        Default: the currency in which most funding claims state an amount.
    purpose : str, optional
        Only flows of this purpose.

    Returns
    -------
    float or None
        H in (0, 1], or None without funding amounts.

    Examples
    --------
    >>> G = nx.MultiDiGraph()
    >>> for payer, amount in [("a", 50.0), ("b", 50.0)]:
    ...     _ = G.add_edge(payer, "s", type="FundingFlow", amount=amount, currency="RUB")
    >>> payer_concentration(G)
    0.5

    References
    ----------
    Hirschman, A. O. (1964). The paternity of an index. American Economic Review 54(5), 761.
    """
    currency = currency or _main_currency(G, purpose)
    paid: dict[Any, float] = defaultdict(float)
    for u, _v, data in _flows(G, purpose):
        if data.get("amount") is not None and data.get("currency") == currency:
            paid[u] += data["amount"]
    total = sum(paid.values())
    if total <= 0:
        return None
    return sum((a / total) ** 2 for a in paid.values())
