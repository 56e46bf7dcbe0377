"""Enforcement over time: the actions that foreign governments take against the recruitment of
their nationals, per year, set against how much is reported about those countries at all.

A rise in recorded arrests can mean more arrests or more reporting. Each year's events are
therefore given beside a reporting-intensity denominator: the claims of any kind that concern
the same countries that year, and the rate of events per claim.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Hashable
from datetime import date
from typing import Any

import networkx as nx

from graph.analysis.metrics.burden import _claim_id
from graph.model.ontology import concepts, kinds

__all__ = ["ENFORCEMENT", "claim_year", "country_of", "enforcement_by_year"]

ENFORCEMENT = "EnforcementAction"
#: The action under which an enforcement claim without one is counted.
UNSPECIFIED = "unspecified"


def country_of(attrs: dict[str, Any]) -> str | None:
    """The ISO 3166-1 alpha-2 country a party (its node attributes) stands for: the code of a
    foreign government or the nationality of a cohort, an ISO 3166-2 subdivision rolled up to
    its country (``"IN-DL"`` → ``"IN"``); None for any other kind and for an aggregate.

    >>> country_of({"kind": "ForeignGovernment", "code": "NP"})
    'NP'
    >>> country_of({"kind": "RegionalGovernment", "code": "RU-TA"}) is None
    True
    """
    kind = kinds().get(attrs.get("kind") or "")
    # The kinds whose code names a country: a foreign government (its country) and a recruit
    # cohort (its nationality), as the ontology's rg:codeProperty says.
    if kind is None or kind.code is None or kind.code.place != "Country" or not attrs.get("code"):
        return None
    return str(attrs["code"]).split("-", 1)[0].upper()


def claim_year(data: dict[str, Any]) -> tuple[int, bool]:
    """The year a claim is counted in, and whether it is a span of years.

    A claim dated to the day or month is counted in the year of its ``start`` (the event's
    date), whatever its stated end. A claim dated to the year whose ``end`` falls in a later
    year is a stock or cumulative count over several years (its ``start`` is when the
    accrual began, its ``end`` the as-of date): it is counted once, in the year of its end,
    and flagged as a span (True).

    >>> claim_year({"start": date(2023, 1, 1), "end": date(2025, 10, 11), "precision": "year"})
    (2025, True)
    >>> claim_year({"start": date(2024, 5, 9), "end": date(2024, 5, 9), "precision": "day"})
    (2024, False)
    """
    start, end = data["start"], data["end"]
    if data.get("precision") == "year" and end.year > start.year:
        return end.year, True
    return start.year, False


def _window_years(G: nx.Graph) -> tuple[int | None, int | None]:
    flt = G.graph.get("filter") or {}
    first = date.fromisoformat(flt["start"]).year if flt.get("start") else None
    last = date.fromisoformat(flt["end"]).year if flt.get("end") else None
    return first, last


def enforcement_by_year(G: nx.MultiDiGraph) -> list[dict[str, Any]]:
    r"""Enforcement actions per calendar year by action type, the number of acting countries,
    and the claims of any kind about those countries that year.

    For a year :math:`y`, with :math:`E_y` the ``EnforcementAction`` claims counted in
    :math:`y` and :math:`C_y` the claims of any kind counted in :math:`y` that concern a
    country (one of whose parties is a foreign government of that country or a cohort of that
    nationality):

    .. math:: \mathrm{rate}_y = \frac{|E_y|}{|C_y|}, \qquad
              \mathrm{rate}_{c,y} = \frac{|E_{c,y}|}{|C_{c,y}|}

    per country :math:`c` (:math:`E_{c,y}`: the events whose acting government is of
    :math:`c`). Every event concerns its acting country, so :math:`E_y \subseteq C_y`. The
    acting countries are the distinct countries of the acting governments (a ministry and the
    police of one country are one country: codes are rolled up to the country,
    :func:`country_of`).

    Each claim is counted in one year (:func:`claim_year`): an event dated to the day or
    month in the year it happened; a stock or cumulative count dated to the year over several
    years (start of the accrual to the as-of date) once, in its end year, flagged in ``spans``.
    Events and claims are dated by the same rule, so that the rate compares like with like.
    Where ``G``'s filter bounds its window, only the years it covers are given (a claim that
    overlaps the window but is dated outside it is left out).

    Parameters
    ----------
    G : MultiDiGraph
        A projection; enforcement claims carry ``action`` (arrest, prosecution, …).

    Returns
    -------
    list of dict
        One row per year from the first to the last counted (years without an event
        included): ``year``; ``events``, ``by_action`` (``{action: n}``, in the ontology's
        order; ``unspecified`` where an action is missing), ``event_claims`` (ids),
        ``assessments`` and ``spans`` among the events; ``acting_countries`` (sorted codes)
        and ``n_acting_countries``; ``events_without_country`` (acting government an
        aggregate); ``claims`` (:math:`|C_y|`) and ``rate``; ``countries``: per country code,
        ``{"events", "by_action", "claims", "rate"}``.

    Examples
    --------
    >>> G = nx.MultiDiGraph()
    >>> G.add_node("np", kind="ForeignGovernment", code="NP")
    >>> G.add_node("cohort", kind="RecruitCohort", code="NP")
    >>> G.add_node("ring", kind="Recruiter", code=None)
    >>> def claim(u, v, key, kind, start, action=None):
    ...     _ = G.add_edge(u, v, key=key, claim_id=key, type=kind, action=action,
    ...                    start=start, end=start, precision="day", basis="report")
    >>> claim("np", "ring", "e1", "EnforcementAction", date(2024, 1, 5), "arrest")
    >>> claim("ring", "cohort", "r1", "Recruitment", date(2024, 3, 1))
    >>> claim("ring", "cohort", "r2", "Recruitment", date(2024, 6, 1))
    >>> claim("np", "ring", "e2", "EnforcementAction", date(2024, 9, 1), "ban")
    >>> [row] = enforcement_by_year(G)
    >>> row["events"], row["by_action"], row["claims"], row["rate"], row["acting_countries"]
    (2, {'arrest': 1, 'ban': 1}, 4, 0.5, ['NP'])

    References
    ----------
    Reporting intensity as the denominator of event counts: Earl, J., Martin, A., McCarthy,
    J. D. & Soule, S. A. (2004). The use of newspaper data in the study of collective action.
    *Annual Review of Sociology* 30, 65–80.
    """
    first_year, last_year = _window_years(G)
    events: dict[int, list[tuple[Hashable, dict[str, Any], str | None, bool]]] = defaultdict(list)
    concerning: dict[int, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    every: dict[int, set[str]] = defaultdict(set)
    # Each party's country, read once: a large network's parties are in many claims each.
    country_at = {node: country_of(attrs) for node, attrs in G.nodes(data=True)}
    for u, v, k, data in G.edges(keys=True, data=True):
        year, span = claim_year(data)
        if (first_year is not None and year < first_year) or (
            last_year is not None and year > last_year
        ):
            continue
        ident = _claim_id(k, data)
        countries = {c for c in (country_at[u], country_at[v]) if c}
        for country in countries:
            concerning[year][country].add(ident)
            every[year].add(ident)
        if data.get("type") == ENFORCEMENT:
            events[year].append((ident, data, country_at[u], span))
            every[year].add(ident)  # an event concerns its acting country, known or not
    years = sorted({*events, *every})
    if not years:
        return []
    order = {a: i for i, a in enumerate(concepts("EnforcementKindScheme"))}

    def actions(found: list[tuple[Hashable, dict[str, Any], str | None, bool]]) -> dict[str, int]:
        counted = Counter(d.get("action") or UNSPECIFIED for _, d, _, _ in found)
        return {a: counted[a] for a in sorted(counted, key=lambda a: (order.get(a, len(order)), a))}

    rows = []
    for year in range(years[0], years[-1] + 1):
        found = events.get(year, [])
        by_country: dict[str, list] = defaultdict(list)
        for event in found:
            if event[2] is not None:
                by_country[event[2]].append(event)
        claims = len(every.get(year, ()))
        per_country = {}
        for country in sorted({*by_country, *concerning.get(year, {})}):
            n = len(concerning[year][country])
            acted = by_country.get(country, [])
            per_country[country] = {
                "events": len(acted),
                "by_action": actions(acted),
                "claims": n,
                "rate": len(acted) / n if n else None,
            }
        rows.append(
            {
                "year": year,
                "events": len(found),
                "by_action": actions(found),
                "event_claims": sorted(str(e[0]) for e in found),
                "assessments": sum(1 for _, d, _, _ in found if d.get("basis") == "assessment"),
                "spans": sum(1 for *_, span in found if span),
                "acting_countries": sorted(by_country),
                "n_acting_countries": len(by_country),
                "events_without_country": sum(1 for e in found if e[2] is None),
                "claims": claims,
                "rate": len(found) / claims if claims else None,
                "countries": per_country,
            }
        )
    return rows
