"""The explorer: the page at /viz, its data at /api/viz, its scripts and styles at /viz/assets.

The page and its data come from :mod:`graph.viz` through the engine
(:func:`graph.server.service.explorer_data`), over the graphs the caller may read, so a
restricted dataset never reaches the page of a caller without the right. Everything the page
loads is served here: no CDN.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, Response

from api.deps import ERRORS, ApiError, Caller, EncodedJSON, EngineDep, Filters, settings_of
from api.models import (
    ExplorerData,
    ExplorerGroups,
    GroupLink,
    GroupMembers,
    JobStarted,
    LinkClaims,
)
from api.pending import json_when_ready, page_when_ready
from graph.analysis.projection import ProjectionFilter
from graph.analysis.queries import BadRequest, entity_ref
from graph.errors import InvalidArgument
from graph.model.ontology import relation_types
from graph.server import service
from graph.server.auth import Principal
from graph.server.engine import Engine
from graph.viz.groups import MAX_WITH, parse_cell
from graph.viz.network import OPENING_LEVEL
from graph.viz.page import (
    ASSETS,
    GROUPS_ASSETS,
    MEDIA_TYPES,
    explorer_page,
    groups_page,
)

router = APIRouter(responses=ERRORS)


@router.get(
    "/viz",
    tags=["explorer"],
    # Errors are JSON: the page's own media type is documented for the page alone.
    response_class=Response,
    responses={200: {"content": {"text/html": {"schema": {"type": "string"}}}}},
)
async def viz(
    request: Request,
    filters: Filters,
    principal: Caller,
    engine: EngineDep,
) -> Response:
    """The explorer page over the claims that pass the filters (the page filters further
    by itself, without a reload). Without ``level=`` it opens at the government level (its
    aggregate view too). When its data takes longer than a moment (a large store), the page
    answers at once with the progress of its computation, a job (:mod:`api.pending`). Past ``serve
    --aggregate-above`` actors it draws groups of actors first (cohorts by country, regional
    governments by province, …), each opened on demand (:mod:`graph.viz.groups`)."""
    root = request.scope.get("root_path", "")
    if "level" not in request.query_params:
        filters = replace(filters, level=OPENING_LEVEL)
    # Whether the page draws groups depends on the store, not on the filters: the same kind
    # of page whatever is chosen on it.
    groups = await engine.call(service.explorer_groups, principal)
    threshold = settings_of(request).aggregate_above
    if groups["actors"] > threshold:
        _check_datasets(groups, filters)
        stored = groups["actors"]
        # Under a filter the groups take a pass over the claims (seconds on a large store):
        # a job, as the network of a small one is.
        return await page_when_ready(
            request,
            principal,
            "the groups of the explorer",
            lambda: engine.call(service.explorer_groups, principal, filters),
            lambda data: groups_page(
                data,
                assets_url=f"{root}/viz/assets",
                api_url=root,
                threshold=threshold,
                stored=stored,
            ),
        )
    return await page_when_ready(
        request,
        principal,
        "the network of the explorer",
        lambda: engine.call(service.explorer_data, principal, filters, window=None),
        lambda data: explorer_page(data, assets_url=f"{root}/viz/assets", api_url=root),
    )


@router.get(
    "/api/viz",
    tags=["explorer"],
    response_model=ExplorerData,
    responses={
        200: {
            "content": {
                "application/json": {
                    "example": {
                        "synthetic": False,
                        "datasets": [{"name": "claims", "synthetic": False}],
                        "nodes": [{"id": "…", "label": "Russian Ministry of Defence"}],
                        "edges": [{"from": "…", "to": "…", "type": "FundingFlow"}],
                    }
                }
            }
        }
    },
)
async def viz_data(
    filters: Filters,
    principal: Caller,
    engine: EngineDep,
    window: Annotated[
        str | None,
        Query(
            description="add the timeline with windows of this length (ISO 8601)",
            examples=["P12M"],
        ),
    ] = None,
    step: Annotated[str, Query(description="step between windows (ISO 8601)")] = "P3M",
) -> Response:
    """What the explorer draws: pyvis (vis-network) nodes with kind, place, position,
    node measures and the actors each stands for (``level=government`` rolls every actor
    up to its top organization); one edge per relation type and basis between two actors
    (an assessment's dashed), carrying its claims with period, confidence, basis, note,
    own parties, amount with currency and amount basis, and sources (``basis=report``:
    reports only); the legend; optionally the timeline."""
    data = await engine.call_json(
        service.explorer_data, principal, filters, window=window, step=step
    )
    return EncodedJSON(data)


_GROUPS_EXAMPLE = {
    "actors": 100000,
    "cells": [{"id": "RecruitCohort|NP", "kind": "RecruitCohort", "code": "NP",
               "place": "Nepal", "count": 530}],
}  # fmt: skip


def _check_datasets(groups: dict[str, Any], filters: ProjectionFilter) -> None:
    """A 404 for a dataset of the filters that the caller cannot read (``groups``: the
    caller's unfiltered groups, which list its datasets), before any job starts."""
    readable = {dataset["name"] for dataset in groups["datasets"]}
    for name in filters.datasets or ():
        if name not in readable:
            raise ApiError(404, f"no such dataset: {name}")


async def _group_job(
    request: Request,
    engine: Engine,
    principal: Principal,
    filters: ProjectionFilter,
    what: str,
    operation: Callable[..., Any],
    **options: Any,
) -> Response:
    """The answer of ``operation`` under ``filters`` (a 404 first for a dataset the caller
    cannot read), or its job past ``--page-wait``."""
    if filters.datasets:
        _check_datasets(await engine.call(service.explorer_groups, principal), filters)
    return await json_when_ready(
        request,
        principal,
        what,
        lambda: engine.call(operation, principal, filters=filters, **options),
    )


_JOB: dict[int | str, dict[str, Any]] = {
    202: {
        "model": JobStarted,
        "description": "Still being computed: poll the job, then ask again",
        "content": {"application/json": {"example": {"job": "/api/jobs/…", "state": "running"}}},
    }
}


@router.get(
    "/api/viz/groups",
    tags=["explorer"],
    response_model=ExplorerGroups,
    responses={200: {"content": {"application/json": {"example": _GROUPS_EXAMPLE}}}, **_JOB},
)
async def viz_groups(
    request: Request, filters: Filters, principal: Caller, engine: EngineDep
) -> Response:
    """The groups the explorer's aggregate view draws first: every kind of party, split by
    place where the kind has one (cohorts by country, regional governments by province),
    with the number of actors in each (``count``), and the legend. Under a filter on claims
    a group counts the actors that are a party of a claim that passes: a pass over every
    claim (seconds on a large store), so a job past ``--page-wait`` (202 with its address)."""
    return await _group_job(
        request, engine, principal, filters, "the groups of the explorer", service.explorer_groups
    )


@router.get(
    "/api/viz/groups/links",
    tags=["explorer"],
    response_model=list[GroupLink],
    responses={
        200: {"content": {"application/json": {"example": [
            {"from": "Recruiter|", "to": "RecruitCohort|NP", "type": "Recruitment",
             "claims": 812}]}}},
        **_JOB,
    },
)  # fmt: skip
async def viz_group_links(
    request: Request, filters: Filters, principal: Caller, engine: EngineDep
) -> Response:
    """The number of claims that pass the filters between groups, by relation type: one
    pass over every claim (seconds on a large store), so a job: past ``--page-wait`` the
    answer is 202 with the job's address, which the page polls."""
    what = "the links between groups"
    return await _group_job(request, engine, principal, filters, what, service.explorer_group_links)


@router.get(
    "/api/viz/groups/members",
    tags=["explorer"],
    response_model=GroupMembers,
    responses={
        200: {"content": {"application/json": {"example": {
            "cell": "RecruitCohort|NP", "total": 530, "offset": 0,
            "members": [{"id": "https://w3id.org/recruitgraph/id/cohort/…", "label": "…"}],
            "links": [{"member": "…", "direction": "in", "type": "Recruitment",
                       "cell": "Recruiter|", "claims": 3}]}}}},
        **_JOB,
    },
)  # fmt: skip
async def viz_group_members(
    request: Request,
    filters: Filters,
    principal: Caller,
    engine: EngineDep,
    cell: Annotated[
        str,
        Query(
            description="the group: a kind of party and a place code, ``Kind|CODE`` "
            "(``Recruiter|`` for a kind without places)",
            examples=["RecruitCohort|NP"],
            max_length=200,
        ),
    ],
    offset: Annotated[
        int, Query(ge=0, le=10**9, description="the first member (pages of 100)", examples=[0])
    ] = 0,
    opened: Annotated[
        list[str] | None,
        Query(
            description="pages of members already drawn, ``cell@offset`` each: their links "
            "to the new members are given actor by actor",
            examples=[["Recruiter|@0"]],
            max_length=MAX_WITH,
        ),
    ] = None,
) -> Response:
    """One page of at most 100 members of a group (under a filter on claims, those that are
    a party of a claim that passes), with their claims that pass towards every other group
    and towards the members of the ``opened`` pages (a job past ``--page-wait``: a hub's
    claims may be many)."""
    try:
        parse_cell(cell)
    except InvalidArgument as bad:
        raise ApiError(400, str(bad)) from None
    return await _group_job(
        request,
        engine,
        principal,
        filters,
        "the members of a group",
        service.explorer_group_members,
        cell=cell,
        offset=offset,
        opened=opened or (),
    )


_END = (
    "an end of the link: a group, ``Kind|CODE`` (``Recruiter|`` for a kind without places), or "
    "an actor (its IRI, or its id under the entity namespace)"
)


@router.get(
    "/api/viz/groups/claims",
    tags=["explorer"],
    response_model=LinkClaims,
    responses={
        200: {"content": {"application/json": {"example": {"claims": [{
            "claim": "https://w3id.org/recruitgraph/id/claim/…", "type": "FundingFlow",
            "from": "…", "from_label": "Russian Ministry of Defence", "to": "…",
            "to_label": "…", "start": "2024-07-01", "end": None, "confidence": "high",
            "basis": "report", "note": "…", "sources": [{"url": "https://…", "title": "…"}]}]}}}},
        **_JOB,
    },
)  # fmt: skip
async def viz_link_claims(
    request: Request,
    filters: Filters,
    principal: Caller,
    engine: EngineDep,
    source: Annotated[
        str, Query(description=f"where the link starts: {_END}", examples=["FederalBody|"])
    ],
    target: Annotated[
        str, Query(description=f"where the link ends: {_END}", examples=["Recruiter|"])
    ],
    relation: Annotated[
        str,
        Query(
            description="the link's relation type",
            examples=["FundingFlow"],
            json_schema_extra={"enum": list(relation_types())},
        ),
    ],
) -> Response:
    """The claims behind one link of the explorer's aggregate view that pass the filters:
    those of ``relation`` from ``source`` to ``target``, the latest 50, with their
    parties, period, confidence, basis, note and sources (a job past ``--page-wait``)."""
    ends = []
    for end in (source, target):
        try:
            ends.append(end if "|" in end and parse_cell(end) else entity_ref(end))
        except (InvalidArgument, BadRequest) as bad:
            raise ApiError(400, str(bad)) from None
    if relation not in relation_types():
        raise ApiError(
            400, f"no relation type named {relation!r} (types: {', '.join(relation_types())})"
        )
    return await _group_job(
        request,
        engine,
        principal,
        filters,
        "the claims behind a link",
        service.explorer_link_claims,
        source=ends[0],
        target=ends[1],
        relation=relation,
    )


@router.get("/viz/assets/{name}", include_in_schema=False)
async def viz_asset(name: str) -> FileResponse:
    path = ASSETS.get(name) or GROUPS_ASSETS.get(name)
    if path is None:
        raise ApiError(404, f"no explorer asset named {name!r}")
    return FileResponse(path, media_type=MEDIA_TYPES[path.suffix])
