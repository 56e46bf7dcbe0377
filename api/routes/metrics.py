"""The metrics under /api/metrics: how centralized the network is, who pays, and the trend.

Each route parses the projection filters and makes one call to the engine, which runs the
library function of :mod:`graph.analysis.figures` over the graphs the caller may read. Every answer
carries ``synthetic``: true when any of the data behind it is generated.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from api.deps import ERRORS, Caller, EncodedJSON, EngineDep, Filters, projection_filters
from api.models import Comparison, MetricsReport, NodeTable, Timeline
from graph.analysis.figures import COMPARE_ROUNDS
from graph.analysis.projection import ProjectionFilter
from graph.server import service

Top = Annotated[int, Query(ge=1, le=1000, description="rows of the ranked tables")]
#: Most resampling rounds a request may ask for. Each round costs about a report of its own
#: (tens of ms on the cited data), so 9,999 could never finish within the default 30 s limit,
#: and a call stopped at its limit restarts the engine for everyone (caches lost).
MAX_ROUNDS = 999
#: A period as :func:`graph.analysis.figures.parse_period` reads it: a year, a month, a day,
#: or an ISO 8601 interval of two days (documented, not enforced: the library says why a
#: period is wrong, a 400).
_DAY = r"\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])"
PERIOD = rf"^\d{{4}}(-(0[1-9]|1[0-2]))?$|^{_DAY}$|^{_DAY}/{_DAY}$"

_FIGURES_EXAMPLE = {
    "actors": 162,
    "claims": 144,
    "sampled_from": None,
    "centralization_degree": 0.021,
    "centralization_betweenness": 0.0009,
    "global_reaching_centrality": 0.0439,
    "krackhardt_hierarchy": 0.9937,
    "burden_share_median": 0.7204,
    "regional_share_of_bonus_claims": 0.9032,
    "payer_concentration": 1.0,
    "federal_reach": 0.1268,
}


#: A comparison takes its two periods as ``first`` and ``second``: no start or end.
CompareFilters = Annotated[
    ProjectionFilter,
    Depends(
        projection_filters(
            "kinds", "relations", "min_confidence", "datasets", "aggregates", "level", "basis"
        )
    ),
]


def _example(data: dict[str, Any]) -> dict[int | str, dict[str, Any]]:
    return {200: {"content": {"application/json": {"example": data}}}}


router = APIRouter(responses=ERRORS)


@router.get(
    "/api/metrics",
    tags=["metrics"],
    response_model=MetricsReport,
    responses=_example(
        {
            "synthetic": False,
            "datasets": ["claims"],
            "figures": _FIGURES_EXAMPLE,
            "funding_by_tier": {
                "RUB": {
                    "per_recruit": {
                        "claims": 62,
                        "federal": {
                            "claims": 5,
                            "payers": 2,
                            "assessments": 0,
                            "total": None,
                            "median": 400000.0,
                            "min": 195000.0,
                            "max": 400000.0,
                        },
                    },
                }
            },
            "burden_share": [{"period": "2025", "currency": "RUB", "n": 19, "median": 0.8}],
            "brokers": [{"label": "Russian Ministry of Defence", "score": 3.0}],
        }
    ),
)
async def metrics(
    filters: Filters,
    principal: Caller,
    engine: EngineDep,
    top: Top = 10,
    rounds: Annotated[
        int,
        Query(
            ge=0,
            le=MAX_ROUNDS,
            description="bootstrap resamples for the intervals of the figures that are "
            "not proportions (0: exact intervals of proportions only)",
            examples=[COMPARE_ROUNDS],
        ),
    ] = 0,
) -> Response:
    """The full report of the claims that pass the filters: Freeman centralization,
    hierarchy, the per-recruit burden share (its median across regions, and per year),
    funding per tier, currency and amount basis (never summed across them), payer
    concentration, federal reach, operators and payers by tier per year, enforcement per
    year, the brokers between federal bodies and recruiters, the top actors; under
    ``evidence``, each figure with the claims it rests on, the share of them that are
    assessments, and its interval."""
    result = await engine.call_json(service.metrics_report, principal, filters, top, rounds)
    return EncodedJSON(result)


@router.get(
    "/api/metrics/timeline",
    tags=["metrics"],
    response_model=Timeline,
    responses=_example(
        {
            "window": "P12M",
            "step": "P3M",
            "synthetic": False,
            "windows": [{"start": "2024-01-01", "end": "2024-12-31", **_FIGURES_EXAMPLE}],
        }
    ),
)
async def timeline(
    filters: Filters,
    principal: Caller,
    engine: EngineDep,
    window: Annotated[
        str, Query(description="window length, ISO 8601 duration", examples=["P12M"])
    ] = "P12M",
    step: Annotated[
        str, Query(description="step between windows, ISO 8601 duration", examples=["P3M"])
    ] = "P3M",
) -> Response:
    """Every graph-level figure over sliding windows from ``start`` (default: the first
    claim) to ``end`` (default: the last): is the network more centralized than a year
    ago?"""
    result = await engine.call_json(service.metrics_timeline, principal, filters, window, step)
    return EncodedJSON(result)


@router.get(
    "/api/metrics/compare",
    tags=["metrics"],
    response_model=Comparison,
    responses=_example(
        {
            "synthetic": False,
            "first": {"start": "2024-01-01", "end": "2024-12-31", "figures": {}, "claims": []},
            "second": {"start": "2025-01-01", "end": "2025-12-31", "figures": {}, "claims": []},
            "change": {"federal_reach": 0.0424},
            "rounds": 499,
            "confidence": 0.95,
            "seed": 0,
            "changes": {
                "all": [
                    {
                        "figure": "federal_reach",
                        "first": 0.129,
                        "second": 0.1714,
                        "change": 0.0424,
                        "sign": 1,
                        "interval": [-0.1409, 0.2161],
                        "method": "newcombe",
                        "first_interval": [0.0513, 0.2885],
                        "second_interval": [0.081, 0.3268],
                        "side_methods": ["wilson", "wilson"],
                        "degenerate": [False, False],
                        "p_value": 0.58,
                        "p_adjusted": 1.0,
                        "claims": [8, 8],
                        "assessments": [2, 3],
                        "assessment_share": [0.25, 0.375],
                        "counts": [[4, 31], [6, 35]],
                        "flips": [
                            {
                                "claim": "https://w3id.org/recruitgraph/id/claim/claims/c005",
                                "claim_id": "c005",
                                "side": "second",
                                "first": 0.129,
                                "second": 0.1143,
                                "change": -0.0147,
                            }
                        ],
                        "note": None,
                        "side_notes": [None, None],
                    }
                ],
                "report": [],
            },
        }
    ),
)
async def compare(
    filters: CompareFilters,
    principal: Caller,
    engine: EngineDep,
    first: Annotated[
        str,
        Query(
            description="2024, 2024-07 or 2024-01-01/2024-06-30",
            examples=["2024"],
            json_schema_extra={"pattern": PERIOD},
        ),
    ],
    second: Annotated[
        str,
        Query(
            description="the other period",
            examples=["2025"],
            json_schema_extra={"pattern": PERIOD},
        ),
    ],
    rounds: Annotated[
        int,
        Query(
            ge=0,
            le=MAX_ROUNDS,
            description="resampling rounds of the intervals and permutation tests "
            "(0: exact intervals only, no p-values)",
            examples=[COMPARE_ROUNDS],
        ),
    ] = COMPARE_ROUNDS,
    leave_out: Annotated[
        bool,
        Query(description="find the claims whose removal alone flips a change"),
    ] = True,
) -> Response:
    """The figures of two periods, the change between them, and the claims with their
    sources behind each side; under ``changes``, for all claims and for reports only side
    by side, each figure's change with its sign, interval, permutation p and Holm-adjusted
    p, the claims it rests on and the share of them that are assessments, and the claims
    whose removal alone would flip it (:func:`graph.analysis.figures.compare`)."""
    result = await engine.call_json(
        service.metrics_compare, principal, filters, first, second, rounds, leave_out
    )
    return EncodedJSON(result)


@router.get(
    "/api/metrics/nodes",
    tags=["metrics"],
    response_model=NodeTable,
    responses=_example(
        {
            "synthetic": False,
            "by": "betweenness",
            "nodes": [
                {
                    "id": "https://w3id.org/recruitgraph/id/federal-body/ru-federal-center",
                    "label": "Russian federal government (federal center)",
                    "kind": "FederalBody",
                    "rank": 1,
                    "betweenness": 0.0008,
                }
            ],
        }
    ),
)
async def nodes(
    filters: Filters,
    principal: Caller,
    engine: EngineDep,
    by: Annotated[
        str,
        Query(
            description="degree, strength, betweenness, closeness, eigenvector, pagerank, "
            "in_degree, out_degree",
            examples=["betweenness"],
        ),
    ] = "betweenness",
    top: Top = 20,
) -> Response:
    """Node-level measures of every actor, ranked by one of them."""
    result = await engine.call_json(service.metrics_nodes, principal, filters, by, top)
    return EncodedJSON(result)
