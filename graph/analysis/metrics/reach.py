"""Federal reach: how much of the recruitment machinery the federal centre can reach."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import networkx as nx

from graph.model.ontology import control_relations

#: The relations through which control or money passes from one party to the next (the
#: ontology's ``rg:conveysControl``).
REACH_RELATIONS = control_relations()


def _reached(G: nx.Graph, sources: Iterable[Any], allowed: set[str]) -> set[Any]:
    """The nodes at the end of a directed path of one or more ``allowed`` relations from any
    of ``sources`` (the union of their descendants; self-loops ignored).

    One search from all sources at once, on ``G`` itself: building the subgraph of the
    allowed relations first and searching it once per source costs several times as much.
    """
    multi = G.is_multigraph()
    reached: set[Any] = set()
    expanded: set[Any] = set()
    stack = list(sources)
    while stack:
        u = stack.pop()
        if u in expanded:
            continue
        expanded.add(u)
        for v, data in G.adj[u].items():
            if v == u or v in reached:
                continue
            if multi:
                tie = any(d.get("type") in allowed for d in data.values())
            else:
                tie = data.get("type") in allowed
            if tie:
                reached.add(v)
                stack.append(v)
    return reached


def federal_reach(
    G: nx.MultiDiGraph, *, relations: Iterable[str] = REACH_RELATIONS
) -> dict[str, Any]:
    r"""Share of the active schemes and recruiters reachable from any federal body.

    .. math:: R_K = \frac{|\{v \in V_K : \exists f \in V_{\mathrm{federal}},\ f \leadsto v\}|}
                         {|V_K|}

    for :math:`K` the schemes and the recruiters of the projection (those that take part in a
    claim of its period), where :math:`f \leadsto v` is a directed path from a federal body
    along coordination, funding or operation claims (payer to payee, coordinator to
    coordinated, operator to scheme).

    Parameters
    ----------
    G : MultiDiGraph
        A projection; nodes carry ``tier`` and ``kind``, edges ``type``.
    relations : iterable of str
        The relation types a path may use.

    Returns
    -------
    dict
        ``schemes`` and ``recruiters`` (shares in [0, 1], None when there are none), ``overall``
        (the share of both together), and the counts behind them.

    Examples
    --------
    >>> G = nx.MultiDiGraph()
    >>> G.add_node("mod", tier="federal", kind="FederalBody")
    >>> G.add_node("region", tier="regional", kind="RegionalGovernment")
    >>> G.add_node("s1", tier="other", kind="RecruitmentScheme")
    >>> G.add_node("s2", tier="other", kind="RecruitmentScheme")
    >>> _ = G.add_edge("mod", "region", type="Coordination")
    >>> _ = G.add_edge("region", "s1", type="Operation")
    >>> federal_reach(G)["schemes"]
    0.5
    """
    federal = [n for n, tier in G.nodes(data="tier") if tier == "federal"]
    reached = _reached(G, federal, set(relations))
    result: dict[str, Any] = {}
    totals = [0, 0]
    for key, kind in (("schemes", "RecruitmentScheme"), ("recruiters", "Recruiter")):
        members = [n for n, k in G.nodes(data="kind") if k == kind]
        hit = sum(1 for n in members if n in reached)
        result[key] = hit / len(members) if members else None
        result[f"{key}_reached"] = hit
        result[f"{key}_total"] = len(members)
        totals[0] += hit
        totals[1] += len(members)
    result["overall"] = totals[0] / totals[1] if totals[1] else None
    return result
