"""The JSON graph API under /api, and /healthz. Each route parses its parameters and makes one
call to the engine, which runs the library function (:mod:`graph.analysis.queries`,
:mod:`graph.ingest` through :mod:`graph.server.service`) over the graphs the caller may read."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Query, Request
from fastapi.responses import FileResponse, JSONResponse, Response
from pydantic import BaseModel, Field
from starlette.background import BackgroundTask

from api.app import ApiError, caller, engine_of, require_editor
from api.sparql_routes import RDF_BODY_SUFFIX, save_body
from graph.analysis.projection import ProjectionFilter
from graph.analysis.queries import EXPORT_FORMATS, FLOW_GROUPS, BadRequest, parse_filter
from graph.ingest import RDF_FORMATS
from graph.server import service
from graph.server.auth import ANONYMOUS, AuthError, Principal

_ENTITY = "regional-government/ru-ta-government"
_FEDERAL = "federal-body/ru-federal-center"
_UPLOAD_SUFFIXES = {*RDF_FORMATS, ".csv"}


def _filters(
    start: str | None,
    end: str | None,
    kinds: list[str] | None,
    relations: list[str] | None,
    min_confidence: str | None,
    datasets: list[str] | None,
    level: str | None = None,
    basis: str | None = None,
) -> ProjectionFilter:
    try:
        return parse_filter(
            start=start,
            end=end,
            kinds_=kinds,
            relations=relations,
            min_confidence=min_confidence,
            datasets=datasets,
            level=level,
            basis=basis,
        )
    except BadRequest as error:
        raise ApiError(400, str(error)) from None


# Shared filter parameters.
Start = Annotated[
    str | None,
    Query(description="claims overlapping the period from this date", examples=["2024-01-01"]),
]
End = Annotated[
    str | None,
    Query(description="claims overlapping the period up to this date", examples=["2025-12-31"]),
]
Kinds = Annotated[
    list[str] | None,
    Query(
        description="only parties of these kinds (repeat or comma-separate)",
        examples=["RegionalGovernment,RecruitmentScheme"],
    ),
]
Relations = Annotated[
    list[str] | None,
    Query(description="only claims of these relation types", examples=["FundingFlow"]),
]
MinConfidence = Annotated[
    str | None,
    Query(description="low, medium or high: claims at least this firm", examples=["medium"]),
]
Datasets = Annotated[
    list[str] | None,
    Query(alias="dataset", description="only these datasets (repeat)", examples=["claims"]),
]
Level = Annotated[
    str,
    Query(
        description="organization: each registered actor a node; government: every actor "
        "rolled up along part_of to its top organization (every federal body to the federal "
        "center, an agency to its government)",
        examples=["government"],
    ),
]
Basis = Annotated[
    str,
    Query(
        description="report: only claims that report a fact; all: assessments too",
        examples=["report"],
    ),
]


def _json(data: Any, status: int = 200) -> JSONResponse:
    return JSONResponse(data, status)


def _editor(request: Request) -> Principal:
    """The caller, if an editor or admin (401/403 otherwise): a dependency, so that it is
    checked before the body."""
    principal = caller(request)
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
    reason: str | None = Field(default=None, description="why the merge is undone (optional)")


def install(app: FastAPI) -> None:
    @app.get(
        "/healthz",
        tags=["status"],
        responses={
            200: {
                "content": {
                    "application/json": {
                        "example": {
                            "status": "ok",
                            "store": "embedded",
                            "version": 3,
                            "datasets": 2,
                            "triples": 5182,
                        }
                    }
                }
            }
        },
    )
    async def healthz(request: Request) -> JSONResponse:
        """Liveness, and what the caller can see (datasets and triples)."""
        try:
            principal = caller(request)
        except AuthError:
            principal = None
        data = await engine_of(request).call(service.healthz, principal or ANONYMOUS)
        if principal is None:
            data = {"status": data["status"], "store": data["store"]}
        data["engine_restarts"] = engine_of(request).restarts
        return _json(data)

    # -- datasets ----------------------------------------------------------------------------
    dataset_example = {
        "name": "claims",
        "graph": "https://w3id.org/recruitgraph/dataset/claims",
        "created": "2025-03-01T12:00:00Z",
        "checksum": "sha256:9f2c…",
        "access": "public",
        "synthetic": False,
        "triples": 4263,
        "files": ["claims.csv"],
        "licence": "CC-BY-4.0",
        "loaded_by": "recruitgraph",
    }

    @app.get(
        "/api/datasets",
        tags=["datasets"],
        responses={200: {"content": {"application/json": {"example": [dataset_example]}}}},
    )
    async def list_datasets(request: Request) -> JSONResponse:
        """The datasets you can see, with their provenance and access level."""
        return _json(await engine_of(request).call(service.datasets, caller(request)))

    @app.get(
        "/api/datasets/{name}",
        tags=["datasets"],
        responses={200: {"content": {"application/json": {"example": dataset_example}}}},
    )
    async def get_dataset(request: Request, name: str) -> JSONResponse:
        """One dataset's description (404 if you cannot see it)."""
        return _json(await engine_of(request).call(service.dataset, caller(request), name))

    upload_example = {
        "dataset": "mine",
        "graph": "https://w3id.org/recruitgraph/dataset/mine",
        "triples": 31,
        "files": ["claims.csv"],
        "checksum": "sha256:…",
        "access": "public",
        "synthetic": False,
        "replaced": False,
        "version": 7,
        "created": True,
    }
    invalid_example = {
        "error": "the data is invalid: 1 problem",
        "status": 422,
        "problems": [
            {
                "message": "a claim needs a source",
                "file": "claims.csv",
                "line": 2,
                "column": "source_url",
                "rule": "MinCountConstraintComponent",
                "text": "claims.csv, row 2, column source_url: a claim needs a source",
            }
        ],
    }

    @app.post(
        "/api/datasets",
        tags=["datasets"],
        status_code=201,
        openapi_extra={
            "requestBody": {
                "content": {
                    "multipart/form-data": {
                        "schema": {
                            "type": "object",
                            "required": ["name", "file"],
                            "properties": {
                                "name": {"type": "string", "example": "mine"},
                                "file": {
                                    "type": "array",
                                    "items": {"type": "string", "format": "binary"},
                                    "description": "one or more files (claims CSV, Turtle, "
                                    "N-Triples, N-Quads, TriG, JSON-LD, RDF/XML), by suffix",
                                },
                                "access": {"type": "string", "enum": ["public", "restricted"]},
                                "licence": {"type": "string"},
                                "synthetic": {"type": "boolean"},
                            },
                        }
                    }
                }
            }
        },
        responses={
            201: {
                "description": "created",
                "content": {"application/json": {"example": upload_example}},
            },
            200: {"description": "an existing dataset replaced"},
            413: {"description": "larger than the upload limit"},
            415: {"description": "a file type that cannot be loaded"},
            422: {
                "description": "invalid data: nothing was written",
                "content": {"application/json": {"example": invalid_example}},
            },
        },
    )
    async def upload_dataset(request: Request) -> JSONResponse:
        """Upload files as one dataset (multipart form: ``name``, ``file`` (repeat),
        ``access``, ``licence``, ``synthetic``). It is validated against the shapes and written
        atomically, replacing a dataset of that name that you may write."""
        principal = caller(request)
        require_editor(principal, "uploading")
        if not request.headers.get("content-type", "").startswith("multipart/form-data"):
            raise ApiError(415, "send the files as multipart/form-data")
        form = await request.form(max_files=100, max_fields=100)
        directory = tempfile.mkdtemp(prefix="recruitgraph-upload-")
        try:
            paths = []
            for i, item in enumerate(form.getlist("file")):
                if isinstance(item, str):
                    raise ApiError(400, "file must be a file part")
                name = Path(item.filename or f"upload-{i}").name
                suffix = Path(name).suffix.lower()
                if suffix not in _UPLOAD_SUFFIXES:
                    media = (item.content_type or "").split(";")[0].strip().lower()
                    if media not in RDF_BODY_SUFFIX:
                        raise ApiError(
                            415,
                            f"{name}: unknown file type; use {', '.join(sorted(_UPLOAD_SUFFIXES))}",
                        )
                    name += RDF_BODY_SUFFIX[media]
                target = Path(directory) / f"{i}" / name
                target.parent.mkdir()
                with open(target, "wb") as out:
                    shutil.copyfileobj(item.file, out)
                paths.append(str(target))
            if not paths:
                raise ApiError(400, "attach at least one file (form field file)")
            dataset = str(form.get("name") or "").strip()
            if not dataset:
                raise ApiError(400, "give the dataset a name (form field name)")
            access = str(form.get("access") or "").strip() or None
            licence = str(form.get("licence") or "").strip() or None
            synthetic = str(form.get("synthetic") or "").strip().lower() in (
                "1",
                "true",
                "yes",
                "on",
            )
            report = await engine_of(request).call(
                service.upload,
                principal,
                dataset,
                paths,
                access=access,
                licence=licence,
                synthetic=synthetic,
            )
        finally:
            await form.close()
            shutil.rmtree(directory, ignore_errors=True)
        return _json(report, 201 if report["created"] else 200)

    @app.put(
        "/api/datasets/{name}",
        tags=["datasets"],
        status_code=201,
        openapi_extra={
            "requestBody": {
                "content": {media: {"schema": {"type": "string"}} for media in RDF_BODY_SUFFIX}
            }
        },
        responses={
            201: {"content": {"application/json": {"example": upload_example}}},
            422: {"content": {"application/json": {"example": invalid_example}}},
        },
    )
    async def put_dataset(
        request: Request,
        name: str,
        access: Annotated[str | None, Query(description="public or restricted")] = None,
        licence: Annotated[str | None, Query()] = None,
        synthetic: Annotated[bool, Query()] = False,
    ) -> JSONResponse:
        """Upload one file as the body (its Content-Type says the format: text/turtle,
        application/n-triples, text/csv for the claims CSV, …)."""
        principal = caller(request)
        require_editor(principal, "uploading")
        directory, path = await save_body(request)
        try:
            report = await engine_of(request).call(
                service.upload,
                principal,
                name,
                [str(path)],
                access=access,
                licence=licence,
                synthetic=synthetic,
            )
        finally:
            shutil.rmtree(directory, ignore_errors=True)
        return _json(report, 201 if report["created"] else 200)

    @app.delete("/api/datasets/{name}", tags=["datasets"], status_code=204)
    async def delete_dataset(request: Request, name: str) -> Response:
        """Delete a dataset you may write (404 if you cannot see it)."""
        principal = caller(request)
        require_editor(principal, "deleting")
        await engine_of(request).call(service.delete_dataset, principal, name)
        return Response(status_code=204)

    # -- entities ----------------------------------------------------------------------------
    @app.get(
        "/api/entities",
        tags=["graph"],
        responses={
            200: {
                "content": {
                    "application/json": {
                        "example": {
                            "total": 1,
                            "limit": 50,
                            "offset": 0,
                            "items": [
                                {
                                    "id": "https://w3id.org/recruitgraph/id/" + _ENTITY,
                                    "short_id": _ENTITY,
                                    "kind": "RegionalGovernment",
                                    "tier": "regional",
                                    "label": "Government of the Republic of Tatarstan",
                                    "synthetic": False,
                                }
                            ],
                        }
                    }
                }
            }
        },
    )
    async def list_entities(
        request: Request,
        q: Annotated[
            str | None, Query(description="text in the label, any case", examples=["tatarstan"])
        ] = None,
        kind: Annotated[
            str | None,
            Query(
                description="FederalBody, RegionalGovernment, Recruiter, ForeignGovernment, "
                "RecruitCohort or RecruitmentScheme",
                examples=["RegionalGovernment"],
            ),
        ] = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 50,
        offset: Annotated[int, Query(ge=0)] = 0,
    ) -> JSONResponse:
        """Search actors and schemes by label and kind, a page at a time."""
        return _json(
            await engine_of(request).call(
                service.entities, caller(request), q=q, kind=kind, limit=limit, offset=offset
            )
        )

    @app.get(
        "/api/entities/{id:path}",
        tags=["graph"],
        responses={
            200: {
                "content": {
                    "application/json": {
                        "example": {
                            "id": "https://w3id.org/recruitgraph/id/" + _ENTITY,
                            "kind": "RegionalGovernment",
                            "label": "Government of the Republic of Tatarstan",
                            "datasets": ["claims"],
                            "attributes": {
                                "rdfs:label": [
                                    {
                                        "value": "Government of the Republic of Tatarstan",
                                        "language": "en",
                                    }
                                ]
                            },
                            "outgoing": [
                                {
                                    "id": "https://w3id.org/recruitgraph/id/claim/claims/c019",
                                    "type": "FundingFlow",
                                    "counterpart": {
                                        "id": "…/scheme/scheme-tatarstan-regional-one-time-"
                                        "sign-up-payment",
                                        "label": "Tatarstan regional one-time sign-up payment",
                                        "kind": "RecruitmentScheme",
                                    },
                                    "start": "2024-07-01",
                                    "end": None,
                                    "confidence": "medium",
                                    "amount": "1050000",
                                    "currency": "RUB",
                                    "purpose": "enlistment_bonus",
                                    "sources": [
                                        {
                                            "title": "Moscow to pay about US$23,000 for "
                                            "contract military service",
                                            "url": "https://www.pravda.com.ua/eng/news/…",
                                        }
                                    ],
                                }
                            ],
                            "incoming": [],
                        }
                    }
                }
            },
            404: {"description": "no such entity among the datasets you can read"},
        },
    )
    async def get_entity(request: Request, id: str) -> JSONResponse:
        """One entity (``regional-government/ru-ta-government`` or its full IRI): attributes, and
        the claims it is a party of, with periods, amounts, counterparts and sources."""
        return _json(await engine_of(request).call(service.entity, caller(request), id))

    # -- actors ------------------------------------------------------------------------------
    actor_example = {
        "id": "ru-mod",
        "iri": "https://w3id.org/recruitgraph/id/" + "federal-body/ru-mod",
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

    @app.get(
        "/api/actors",
        tags=["actors"],
        responses={200: {"content": {"application/json": {"example": [actor_example]}}}},
    )
    async def list_actors(
        request: Request,
        kind: Annotated[
            str | None, Query(description="only actors of this kind", examples=["FederalBody"])
        ] = None,
        search: Annotated[
            str | None,
            Query(description="text in the id, label or an alias, any case", examples=["defence"]),
        ] = None,
    ) -> JSONResponse:
        """The actors of the datasets you can read: registered ones (stable id, label, aliases,
        part_of) and parties no registry knows, each with the number of claims naming it and
        the merge in force that folds it into another actor, if any."""
        return _json(
            await engine_of(request).call(
                service.actors_list, caller(request), kind=kind, search=search
            )
        )

    @app.get(
        "/api/actors/{actor_id:path}",
        tags=["actors"],
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
            404: {"description": "no such actor among the datasets you can read"},
        },
    )
    async def get_actor(request: Request, actor_id: str) -> JSONResponse:
        """One actor (``ru-mod``, ``federal-body/ru-mod``, its IRI or exact label): its
        aliases, its part_of chain, the actors part of it, the claims naming it and its merge
        history."""
        return _json(await engine_of(request).call(service.actor_show, caller(request), actor_id))

    @app.post(
        "/api/actors/merge",
        tags=["actors"],
        status_code=201,
        responses={
            201: {"content": {"application/json": {"example": merge_example}}},
            400: {"description": "an unknown actor, a cycle, kinds that differ, no reason…"},
            401: {"description": "no token"},
            403: {"description": "not an editor token"},
        },
    )
    async def merge_actors(request: Request, principal: Editor, body: MergeRequest) -> JSONResponse:
        """Record that ``actor`` is the same as ``into`` (who: your token's name; when: now;
        why: ``reason``) in the dataset ``merges``. Claims are not rewritten; every figure,
        page and export shows the merged actor's claims on the survivor until it is undone."""
        result = await engine_of(request).call(
            service.actors_merge, principal, body.actor, body.into, body.reason
        )
        return _json(result, 201)

    @app.post(
        "/api/actors/unmerge",
        tags=["actors"],
        responses={
            200: {
                "content": {"application/json": {"example": {**merge_example, "in_force": False}}}
            },
            400: {"description": "an unknown actor, or one not merged"},
            401: {"description": "no token"},
            403: {"description": "not an editor token"},
        },
    )
    async def unmerge_actor(
        request: Request, principal: Editor, body: UnmergeRequest
    ) -> JSONResponse:
        """Undo the merge in force of ``actor``: the record stays, marked undone (when, by
        whom), and the actor's claims are its own again."""
        result = await engine_of(request).call(
            service.actors_unmerge, principal, body.actor, reason=body.reason
        )
        return _json(result)

    @app.get(
        "/api/neighborhood",
        tags=["graph"],
        responses={
            200: {
                "content": {
                    "application/json": {
                        "example": {
                            "center": "https://w3id.org/recruitgraph/id/" + _ENTITY,
                            "depth": 1,
                            "nodes": [
                                {
                                    "id": "…/" + _ENTITY,
                                    "label": "Government of the Republic of Tatarstan",
                                    "kind": "RegionalGovernment",
                                    "distance": 0,
                                }
                            ],
                            "edges": [
                                {
                                    "id": "…/claim/claims/c019",
                                    "type": "FundingFlow",
                                    "source": "…",
                                    "target": "…",
                                    "amount": "1050000",
                                    "currency": "RUB",
                                }
                            ],
                            "truncated": False,
                        }
                    }
                }
            }
        },
    )
    async def neighborhood(
        request: Request,
        id: Annotated[str, Query(description="the entity", examples=[_ENTITY])],
        depth: Annotated[int, Query(ge=1, le=3)] = 1,
        start: Start = None,
        end: End = None,
        kinds: Kinds = None,
        relations: Relations = None,
        min_confidence: MinConfidence = None,
        datasets: Datasets = None,
        level: Level = "organization",
        basis: Basis = "all",
    ) -> JSONResponse:
        """The parties within ``depth`` claims of an entity and the claims among them."""
        filters = _filters(start, end, kinds, relations, min_confidence, datasets, level, basis)
        return _json(
            await engine_of(request).call(
                service.neighborhood, caller(request), id, depth=depth, filters=filters
            )
        )

    @app.get(
        "/api/paths",
        tags=["graph"],
        responses={
            200: {
                "content": {
                    "application/json": {
                        "example": {
                            "source": "…/" + _ENTITY,
                            "target": "…/" + _FEDERAL,
                            "mode": "shortest",
                            "paths": [
                                {
                                    "length": 2,
                                    "nodes": [{"id": "…"}],
                                    "claims": [[{"id": "…", "type": "Coordination"}]],
                                }
                            ],
                            "truncated": False,
                        }
                    }
                }
            }
        },
    )
    async def paths(
        request: Request,
        source: Annotated[str, Query(examples=[_ENTITY])],
        target: Annotated[str, Query(examples=[_FEDERAL])],
        mode: Annotated[
            str, Query(description="shortest, or all simple paths", examples=["shortest"])
        ] = "shortest",
        max_length: Annotated[int, Query(ge=1, le=6, description="most claims on a path")] = 4,
        directed: Annotated[
            bool, Query(description="follow claims from payer/actor to target only")
        ] = False,
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
        start: Start = None,
        end: End = None,
        kinds: Kinds = None,
        relations: Relations = None,
        min_confidence: MinConfidence = None,
        datasets: Datasets = None,
        level: Level = "organization",
        basis: Basis = "all",
    ) -> JSONResponse:
        """Shortest, or all simple, paths of claims between two parties."""
        filters = _filters(start, end, kinds, relations, min_confidence, datasets, level, basis)
        return _json(
            await engine_of(request).call(
                service.paths,
                caller(request),
                source,
                target,
                mode=mode,
                max_length=max_length,
                directed=directed,
                limit=limit,
                filters=filters,
            )
        )

    @app.get(
        "/api/flows",
        tags=["graph"],
        responses={
            200: {
                "content": {
                    "application/json": {
                        "example": {
                            "group_by": "payer_tier",
                            "rows": [
                                {
                                    "group": "regional",
                                    "payer_tier": "regional",
                                    "currency": "RUB",
                                    "amount_basis": "per_recruit",
                                    "total": None,
                                    "flows": 57,
                                    "median": "1100000",
                                    "min": "0",
                                    "max": "4100000",
                                },
                                {
                                    "group": "regional",
                                    "payer_tier": "regional",
                                    "currency": "RUB",
                                    "amount_basis": "total",
                                    "total": "2000000000",
                                    "flows": 1,
                                    "median": "2000000000",
                                    "min": "2000000000",
                                    "max": "2000000000",
                                },
                            ],
                            "unquantified": {"federal": 1, "regional": 1},
                        }
                    }
                }
            }
        },
    )
    async def flows(
        request: Request,
        group_by: Annotated[
            str,
            Query(
                description="one or more of " + ", ".join(FLOW_GROUPS) + ", comma-separated",
                examples=["payer_tier", "payer_tier,period"],
            ),
        ] = "payer_tier",
        granularity: Annotated[
            str, Query(description="for group_by=period: year, quarter, month")
        ] = "year",
        purpose: Annotated[
            str | None, Query(description="e.g. enlistment_bonus", examples=["enlistment_bonus"])
        ] = None,
        start: Start = None,
        end: End = None,
        kinds: Kinds = None,
        min_confidence: MinConfidence = None,
        datasets: Datasets = None,
        level: Level = "organization",
        basis: Basis = "all",
    ) -> JSONResponse:
        """Money per group, currency and amount basis (never mixed): totals of money paid
        out, and the median, minimum and maximum of per-recruit levels (never summed)."""
        filters = _filters(start, end, kinds, None, min_confidence, datasets, level, basis)
        return _json(
            await engine_of(request).call(
                service.flows,
                caller(request),
                group_by=group_by,
                granularity=granularity,
                purpose=purpose,
                filters=filters,
            )
        )

    @app.get(
        "/api/export",
        tags=["graph"],
        responses={
            200: {
                "description": "the file",
                "content": {media: {} for media in EXPORT_FORMATS.values()},
            }
        },
    )
    async def export(
        request: Request,
        format: Annotated[
            str,
            Query(
                description="nquads, trig, jsonld (datasets as named graphs); turtle, "
                "ntriples (their union); graphml, gexf (Gephi), csv (edge list)",
                examples=["graphml"],
            ),
        ] = "nquads",
        datasets: Datasets = None,
        start: Start = None,
        end: End = None,
        kinds: Kinds = None,
        relations: Relations = None,
        min_confidence: MinConfidence = None,
        level: Level = "organization",
        basis: Basis = "all",
    ) -> Response:
        """Download the datasets you can read (or the named ones) as RDF, or the claims network
        as GraphML, GEXF or a CSV edge list (with the filters)."""
        if format not in EXPORT_FORMATS:
            raise ApiError(
                400, f"unknown export format {format!r}; use {', '.join(EXPORT_FORMATS)}"
            )
        filters = _filters(start, end, kinds, relations, min_confidence, None, level, basis)
        path, _count = await engine_of(request).call(
            service.export, caller(request), format, datasets=datasets, filters=filters
        )
        name = "recruitgraph-" + ("-".join(datasets) if datasets else "all") + Path(path).suffix
        return FileResponse(
            path,
            media_type=EXPORT_FORMATS[format],
            filename=name,
            background=BackgroundTask(os.unlink, path),
        )
