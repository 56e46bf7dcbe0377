"""The actors under /api/actors: who is who across the datasets, and the merges that fold one
actor into another (editors record them; every figure, page and export follows them)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi import Path as PathParameter
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from api.deps import ERRORS, Caller, EncodedJSON, EngineDep, error, require_editor
from api.models import Actor, ActorDetail, Merge
from graph.model.namespaces import ID
from graph.server import service
from graph.server.auth import Principal


def _editor(principal: Caller) -> Principal:
    """The caller, if an editor or admin (401/403 otherwise): a dependency, so that it is
    checked before the body."""
    require_editor(principal, "merging and unmerging actors")
    return principal


Editor = Annotated[Principal, Depends(_editor)]


class MergeRequest(BaseModel):
    """Merge ``actor`` into ``into``: the claims of ``actor`` are shown as those of ``into``."""

    actor: str = Field(
        description="the actor merged away: actor_id, IRI or exact label",
        examples=["ru-armed-forces"],
    )
    into: str = Field(description="the actor that survives", examples=["ru-mod"])
    reason: str = Field(
        description="why they are one actor (recorded; not empty)",
        examples=["the sources use both names for the same command"],
    )


class UnmergeRequest(BaseModel):
    """Undo the merge in force of ``actor``."""

    actor: str = Field(description="the merged actor", examples=["ru-armed-forces"])
    reason: str | None = Field(
        default=None,
        description="why the merge is undone (optional)",
        examples=["the sources name two different commands"],
    )


router = APIRouter(responses=ERRORS)

# -- actors ------------------------------------------------------------------------------
actor_example = {
    "id": "ru-mod",
    "iri": ID + "federal-body/ru-mod",
    "kind": "FederalBody",
    "label": "Russian Ministry of Defence",
    "code": None,
    "part_of": "ru-federal-center",
    "aliases": ["Russian Ministry of Defence (army officers)"],
    "registered": True,
    "claims": 7,
    "merged_into": None,
}
merge_example = {
    "merge": "https://w3id.org/recruitgraph/id/merge/ru-armed-forces-into-ru-mod-1a2b3c4d",
    "dataset": "merges",
    "merged": {"id": "ru-armed-forces", "label": "Russian armed forces"},
    "survivor": {"id": "ru-mod", "label": "Russian Ministry of Defence"},
    "by": "analyst",
    "at": "2026-01-05T10:00:00.000000Z",
    "reason": "the sources use both names for the same command",
    "undone": None,
    "undone_by": None,
    "undo_reason": None,
    "in_force": True,
}


@router.get(
    "/api/actors",
    tags=["actors"],
    response_model=list[Actor],
    responses={200: {"content": {"application/json": {"example": [actor_example]}}}},
)
async def list_actors(
    principal: Caller,
    engine: EngineDep,
    kind: Annotated[
        str | None, Query(description="only actors of this kind", examples=["FederalBody"])
    ] = None,
    search: Annotated[
        str | None,
        Query(description="text in the id, label or an alias, any case", examples=["defence"]),
    ] = None,
) -> Response:
    """The actors of the datasets you can read: registered ones (stable id, label, aliases,
    part_of) and parties no registry knows, each with the number of claims naming it and
    the merge in force that folds it into another actor, if any."""
    return EncodedJSON(
        await engine.call_json(service.actors_list, principal, kind=kind, search=search)
    )


@router.get(
    "/api/actors/{actor_id:path}",
    tags=["actors"],
    response_model=ActorDetail,
    responses={
        200: {
            "content": {
                "application/json": {
                    "example": {
                        **actor_example,
                        "note": None,
                        "parents": [{"id": "ru-federal-center"}],
                        "members": [{"id": "ru-armed-forces"}],
                        "merged_from": [],
                        "claim_ids": ["c010", "c011"],
                        "merges": [],
                    }
                }
            }
        },
        404: error("no such actor among the datasets you can read"),
    },
)
async def get_actor(
    actor_id: Annotated[str, PathParameter(examples=["ru-mod"])],
    principal: Caller,
    engine: EngineDep,
) -> Response:
    """One actor (``ru-mod``, ``federal-body/ru-mod``, its IRI or exact label): its
    aliases, its part_of chain, the actors part of it, the claims naming it and its merge
    history."""
    return EncodedJSON(await engine.call_json(service.actor_show, principal, actor_id))


@router.post(
    "/api/actors/merge",
    tags=["actors"],
    response_model=Merge,
    status_code=201,
    responses={
        201: {"content": {"application/json": {"example": merge_example}}},
        400: error("an unknown actor, a cycle, kinds that differ, no reason…"),
        401: error("no token"),
        403: error("not an editor token"),
    },
)
async def merge_actors(principal: Editor, body: MergeRequest, engine: EngineDep) -> JSONResponse:
    """Record that ``actor`` is the same as ``into`` (who: your token's name; when: now;
    why: ``reason``) in the dataset ``merges``. Claims are not rewritten; every figure,
    page and export shows the merged actor's claims on the survivor until it is undone."""
    result = await engine.call(service.actors_merge, principal, body.actor, body.into, body.reason)
    return JSONResponse(result, 201)


@router.post(
    "/api/actors/unmerge",
    tags=["actors"],
    response_model=Merge,
    responses={
        200: {"content": {"application/json": {"example": {**merge_example, "in_force": False}}}},
        400: error("an unknown actor, or one not merged"),
        401: error("no token"),
        403: error("not an editor token"),
    },
)
async def unmerge_actor(principal: Editor, body: UnmergeRequest, engine: EngineDep) -> JSONResponse:
    """Undo the merge in force of ``actor``: the record stays, marked undone (when, by
    whom), and the actor's claims are its own again."""
    result = await engine.call(service.actors_unmerge, principal, body.actor, reason=body.reason)
    return JSONResponse(result)
