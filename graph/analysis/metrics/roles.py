"""Who operates and who pays: per period, the operators and recruiters by tier of government,
and the payers by tier, side by side.

A government can run recruitment without paying for it, or pay for what others run; the
question "the federal centre or the provinces?" has two halves, and these tables keep them
apart. Cells count claims and distinct actors, never money (amounts in different currencies
and on different bases cannot be added: see :mod:`graph.analysis.metrics.funding`).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from datetime import date
from functools import cache
from typing import Any

import networkx as nx

from graph.analysis.metrics.burden import (
    _checked_periods,
    _claim_id,
    _overlap,
    _years_of,
    period_label,
)
from graph.analysis.metrics.funding import FUNDING
from graph.model.ontology import kinds, tiers

__all__ = ["OPERATION", "RECRUITMENT", "actor_kinds", "roles_by_tier"]

OPERATION = "Operation"
RECRUITMENT = "Recruitment"
#: The purpose under which funding claims without one are counted.
UNSPECIFIED = "unspecified"


@cache
def actor_kinds() -> frozenset[str]:
    """The kinds of party that are actors (the subclasses of ``rg:Actor`` in the ontology):
    a recruitment scheme or a cohort is not one who operates."""
    return frozenset(name for name, kind in kinds().items() if kind.actor)


def _cell() -> dict[str, Any]:
    return {"claims": 0, "actors": 0, "assessments": 0, "aggregates": 0, "claim_ids": []}


def _fill(
    cell: dict[str, Any], claims: list[tuple[Hashable, Hashable, dict[str, Any]]], G: nx.Graph
) -> dict[str, Any]:
    cell["claims"] = len(claims)
    cell["actors"] = len({u for u, _k, _d in claims})
    cell["assessments"] = sum(1 for *_, d in claims if d.get("basis") == "assessment")
    cell["aggregates"] = sum(1 for u, _k, _d in claims if G.nodes[u].get("aggregate"))
    cell["claim_ids"] = sorted({_claim_id(k, d) for _u, k, d in claims})
    return cell


def _table(
    G: nx.Graph, claims: list[tuple[Hashable, Hashable, dict[str, Any]]], split: str
) -> dict[str, dict[str, Any]]:
    """``{tier: cell}`` of ``claims`` (``(subject, key, data)``) by the tier of their subject,
    each cell also split by the edge attribute ``split`` (under ``split + "s"``)."""
    by_tier: dict[str, list] = {}
    for claim in claims:
        by_tier.setdefault(G.nodes[claim[0]].get("tier") or "other", []).append(claim)
    order = {t: i for i, t in enumerate(tiers())}
    table = {}
    for tier in sorted(by_tier, key=lambda t: (order.get(t, len(order)), t)):
        parts: dict[str, list] = {}
        for claim in by_tier[tier]:
            parts.setdefault(claim[2].get(split) or UNSPECIFIED, []).append(claim)
        cell = _fill(_cell(), by_tier[tier], G)
        cell[f"{split}s"] = {name: _fill(_cell(), parts[name], G) for name in sorted(parts)}
        table[tier] = cell
    return table


def roles_by_tier(
    G: nx.MultiDiGraph,
    periods: Iterable[tuple[date, date]] | None = None,
    *,
    payers: bool = True,
) -> list[dict[str, Any]]:
    r"""Per period, who operates and recruits and who pays, by tier of government.

    For a period :math:`P` and a tier :math:`t`:

    .. math:: O_{t,P} = \{e \in \mathrm{Operation} \cup \mathrm{Recruitment}_A :
                         \mathrm{tier}(\mathrm{subject}(e)) = t,\ e \text{ in force in } P\}

    .. math:: F_{t,P,p} = \{e \in \mathrm{FundingFlow} : \mathrm{tier}(\mathrm{payer}(e)) = t,
                           \ \mathrm{purpose}(e) = p,\ e \text{ in force in } P\}

    with :math:`\mathrm{Recruitment}_A` the recruitment claims whose subject is an actor
    (:func:`actor_kinds`: a government or a recruiter, not a scheme). Each cell gives
    :math:`|O_{t,P}|` (claims), the number of distinct subjects (actors), the claims behind it
    and how many are an expert's assessment. A claim counts in every period its
    ``[start, end]`` overlaps (as in :mod:`graph.analysis.projection`): a stock count that accrued
    over 2022–2025 is evidence about each of those years.

    Parameters
    ----------
    G : MultiDiGraph
        A projection.
    periods : iterable of (date, date), optional
        First and last day of each period. Default: the calendar years of ``G``'s window (its
        filter's start and end; an open side closed by its claims).
    payers : bool
        False: the operators' tables alone, each row without ``payers`` (the same periods):
        the question page draws who pays from the amounts, and the payers' tables of a large
        network took half of this function's time.

    Returns
    -------
    list of dict
        One row per period: ``period``, ``start``, ``end``, ``operators`` and ``payers``, each
        ``{tier: cell}`` for the tiers that have a claim (in the order of
        :func:`graph.model.ontology.tiers`). A cell is ``{"claims", "actors",
        "assessments",
        "aggregates", "claim_ids"}`` (``aggregates``: claims whose subject stands for several
        governments or recruiters taken as a whole), and splits into ``types`` (operators:
        ``Operation``, ``Recruitment``) or ``purposes`` (payers: ``enlistment_bonus``, …,
        ``unspecified``) with cells of their own.

    Examples
    --------
    >>> from datetime import date
    >>> G = nx.MultiDiGraph()
    >>> G.add_node("region", tier="regional", kind="RegionalGovernment")
    >>> G.add_node("centre", tier="federal", kind="FederalBody")
    >>> G.add_node("scheme", tier="other", kind="RecruitmentScheme")
    >>> G.add_node("cohort", tier="other", kind="RecruitCohort")
    >>> day = {"start": date(2024, 5, 1), "end": date(2024, 5, 1), "basis": "report"}
    >>> _ = G.add_edge("region", "scheme", key="c1", type="Operation", **day)
    >>> _ = G.add_edge("scheme", "cohort", key="c2", type="Recruitment", **day)
    >>> _ = G.add_edge("centre", "scheme", key="c3", type="FundingFlow",
    ...                purpose="enlistment_bonus", **day)
    >>> [row] = roles_by_tier(G)
    >>> row["period"], list(row["operators"]), row["operators"]["regional"]["claim_ids"]
    ('2024', ['regional'], ['c1'])
    >>> row["payers"]["federal"]["purposes"]["enlistment_bonus"]["claims"]
    1

    References
    ----------
    The distinction between who runs recruitment and who pays for it: H. Stevens, "Strangers
    in the Motherland: The Dynamics of Russia's Foreign Recruitment", War on the Rocks,
    September 2024.
    """
    actors = actor_kinds()
    operating: list[tuple[Hashable, Hashable, dict[str, Any]]] = []
    paying: list[tuple[Hashable, Hashable, dict[str, Any]]] = []
    for u, _v, k, data in G.edges(keys=True, data=True):
        kind = data.get("type")
        if kind == OPERATION or (kind == RECRUITMENT and G.nodes[u].get("kind") in actors):
            operating.append((u, k, data))
        elif kind == FUNDING:
            paying.append((u, k, data))
    if periods is None:
        chosen = _years_of(G, [d for *_, d in (*operating, *paying)])
    else:
        chosen = _checked_periods(periods)
    rows = []
    for lo, hi in chosen:
        row = {
            "period": period_label(lo, hi),
            "start": lo.isoformat(),
            "end": hi.isoformat(),
            "operators": _table(G, [c for c in operating if _overlap(c[2], lo, hi)], "type"),
        }
        if payers:
            row["payers"] = _table(G, [c for c in paying if _overlap(c[2], lo, hi)], "purpose")
        rows.append(row)
    return rows
