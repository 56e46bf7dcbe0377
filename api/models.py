"""The JSON bodies the server answers with, as TypedDicts: they give the OpenAPI document its
schemas (``response_model``), and tests/test_openapi.py validates real responses against them.

The routes return the library's dictionaries as they are (a JSONResponse), so these types
document the answers and never reshape them. Nested parts whose keys are data (figures by
name, funding by currency and basis) are objects with free keys. Every answer computed from the
store says which state of it it was computed from, to every caller: the header
``X-Store-Version`` and, in a JSON object, the field ``version`` (:data:`ViewVersion`).
"""

from __future__ import annotations

from typing import Annotated, Any, NotRequired

from pydantic import Field

# pydantic reads TypedDicts from typing_extensions on Python < 3.12.
from typing_extensions import TypedDict

from graph.ingest.load import DatasetInfo

__all__ = [
    "Actor",
    "ActorDetail",
    "Comparison",
    "Dataset",
    "Entity",
    "EntityPage",
    "ErrorBody",
    "ExplorerData",
    "Flows",
    "Health",
    "JobState",
    "Merge",
    "MetricsReport",
    "Neighborhood",
    "NodeTable",
    "Paths",
    "RestoreReport",
    "RestoredDataset",
    "Timeline",
    "UpdateResult",
    "UploadReport",
]

JSON = dict[str, Any]

#: The version an answer states (also its ``X-Store-Version`` header): a token of the state
#: of the datasets the caller may read (graph.store.consistency.view_version).
ViewVersion = Annotated[
    str,
    Field(
        description=(
            "The version of the state the answer was computed from, as far as the caller can "
            "see it: an opaque token of the datasets the caller may read (16 hex digits), the "
            "same while none of them changes, different after any write that creates, "
            "changes or deletes one of them; writes to datasets the caller cannot see never "
            "change it. Tokens are compared for equality, never ordered. Also sent as the "
            "header X-Store-Version."
        ),
        pattern="^[0-9a-f]{16}$",
    ),
]


class ErrorBody(TypedDict):
    """Every error: the reason, the HTTP status, and for invalid data or an invalid request
    the problems found (``{"where", "message"}`` for a request; file, line, column, rule and
    text for data); and the request's id, under which the server logged the request (and an
    internal error's traceback)."""

    error: str
    status: int
    problems: NotRequired[list[JSON]]
    request_id: NotRequired[str]


# -- status and datasets ---------------------------------------------------------------------


class Health(TypedDict):
    """Liveness and the engine's state; with a valid token (or anonymous access) what the
    caller can see. (A degraded server answers 503 with an error body holding the engine's
    state.)"""

    status: str
    store: str
    #: open, restarting or closed
    store_state: str
    engine_restarts: int
    #: restarts after a crash in the last 60 s (3 make a crash loop)
    engine_crashes_recent: int
    engine_last_restart: str | None
    #: The warm-up of the landing page (``serve --no-warm``: off): ``state`` (off, idle,
    #: running, done, failed), the view version it warmed, the seconds it took (so far,
    #: while running), its error, and how many warm-ups ran and how many a write superseded
    warm: NotRequired[dict[str, Any]]
    #: Per lane of the engine (query, analysis, write): slots, calls running and waiting,
    #: heavy slots and the long queries in them, and since start calls run, reads that shared
    #: an identical one's answer, calls refused.
    lanes: NotRequired[dict[str, dict[str, int]]]
    version: NotRequired[ViewVersion]
    datasets: NotRequired[int]
    triples: NotRequired[int]
    #: results (projections, reports) held in the engine's cache
    cache_entries: NotRequired[int]
    #: The cache of derived results (projections, reports, explorer data) of the engine
    #: process that answered this call, which is the process that computes them (a
    #: restarted engine starts empty): entries, bytes (as measured when each was stored),
    #: max_bytes (``--metrics-cache-mb``; 0: none kept), and since that process started
    #: hits, computed, waited (for another caller's computation), evicted, and too_large
    #: (computed, served, not kept)
    metrics_cache: NotRequired[dict[str, int]]
    #: The networkx backend first in line for the analytics in the engine process
    #: (``--nx-backend``, $RECRUITGRAPH_NX_BACKEND; ``networkx``: networkx's own code)
    nx_backend: NotRequired[str]
    #: The server's cache of whole answers (SPARQL results), kept until the next write:
    #: entries, bytes, max_bytes (0: off, as for a remote store), and since start hits,
    #: misses, answers kept and evicted
    answer_cache: NotRequired[dict[str, int]]


#: A dataset and its provenance: the library's own record is the response model, so the
#: schema cannot drift from what the server sends.
Dataset = DatasetInfo


class UploadReport(TypedDict):
    """What an upload (or a Graph Store write) wrote."""

    dataset: str
    graph: str
    triples: int
    files: list[str]
    checksum: str
    access: str
    synthetic: bool
    replaced: bool
    version: ViewVersion
    new_actors: list[JSON]
    created: bool


class JobState(TypedDict):
    """A background upload or restore (``GET /api/jobs/{id}``): its state, the progress of
    its current phase and, once it has ended, the answer the call would have given."""

    id: str
    operation: Annotated[str, Field(description="upload or restore")]
    state: Annotated[str, Field(description="running, done (a 2xx answer) or failed")]
    phase: Annotated[
        str | None, Field(description="parse, validate, write or commit (None: not begun)")
    ]
    done: int | None
    total: Annotated[int | None, Field(description="None: not known up front")]
    unit: Annotated[str | None, Field(description="bytes, triples, rows or checks")]
    rate: Annotated[float | None, Field(description="units per second in this phase")]
    eta: Annotated[float | None, Field(description="seconds this phase has left")]
    elapsed: Annotated[float, Field(description="seconds since the job began")]
    status: NotRequired[
        Annotated[int, Field(description="the HTTP status the call answered with (ended)")]
    ]
    result: NotRequired[
        Annotated[
            JSON,
            Field(
                description="the body the call answered with (ended): its report, or its "
                "error with the problems"
            ),
        ]
    ]


class RestoredDataset(TypedDict):
    """One dataset a restore wrote, as its description says, and whether it replaced one."""

    name: str
    access: str
    licence: str | None
    synthetic: bool
    triples: int
    replaced: bool


class RestoreReport(TypedDict):
    """What a restore wrote: every dataset of the export, and the version after it."""

    file: str
    datasets: list[RestoredDataset]
    version: ViewVersion


class UpdateResult(TypedDict):
    """A SPARQL update that ran: the graphs it wrote and the version after it."""

    status: str
    graphs: list[str]
    version: ViewVersion


# -- the graph -------------------------------------------------------------------------------


class EntitySummary(TypedDict):
    id: str
    short_id: str
    kind: str
    tier: str | None
    label: str
    synthetic: bool


class EntityPage(TypedDict):
    """One page of entities."""

    total: int
    limit: int
    offset: int
    items: list[EntitySummary]
    version: NotRequired[ViewVersion]


class Source(TypedDict):
    id: str
    title: str | None
    url: str | None
    publisher: str | None
    issued: str | None


class Counterpart(TypedDict):
    id: str
    short_id: str
    label: str | None
    kind: str | None


class EntityClaim(TypedDict):
    """A claim an entity is a party of, seen from the entity."""

    id: str
    type: str
    counterpart: Counterpart
    dataset: str | None
    start: str | None
    end: str | None
    confidence: str | None
    amount: str | None
    currency: str | None
    purpose: str | None
    count: int | None
    description: str | None
    sources: list[Source]


class Entity(TypedDict):
    """One entity: its attributes (by CURIE: ``{"id"}`` for a resource, ``{"value"}`` with
    ``language`` or ``datatype`` for a literal) and its claims."""

    id: str
    short_id: str
    kind: str | None
    tier: str | None
    label: str | None
    datasets: list[str]
    attributes: dict[str, list[JSON]]
    outgoing: list[EntityClaim]
    incoming: list[EntityClaim]
    version: NotRequired[ViewVersion]


class Node(TypedDict):
    id: str
    short_id: str
    label: str | None
    kind: str | None
    tier: str | None
    aggregate: bool
    synthetic: bool
    distance: NotRequired[int]


class Edge(TypedDict):
    """A claim between two parties of the projection."""

    id: str
    type: str
    source: str
    target: str
    dataset: str | None
    start: str | None
    end: str | None
    confidence: str | None
    amount: float | str | None
    currency: str | None
    amount_basis: str | None
    purpose: str | None
    count: int | None
    sources: list[str]


class Neighborhood(TypedDict):
    center: str
    depth: int
    nodes: list[Node]
    edges: list[Edge]
    truncated: bool
    version: NotRequired[ViewVersion]


class Path(TypedDict):
    """A path: its parties in order, and per step the claims between the two."""

    length: int
    nodes: list[Node]
    claims: list[list[Edge]]


class Paths(TypedDict):
    source: str
    target: str
    mode: str
    directed: bool
    paths: list[Path]
    truncated: bool
    version: NotRequired[ViewVersion]


class FlowRow(TypedDict):
    """One group, currency and amount basis; amounts are decimal strings. Besides these keys,
    one per grouping (``payer_tier``, ``period``, ``payer`` with ``payer_label``…)."""

    group: str
    currency: str | None
    amount_basis: str | None
    total: str | None
    flows: int
    median: str
    median_low: str
    median_high: str
    median_coverage: float
    min: str
    max: str


class Flows(TypedDict):
    group_by: str | list[str]
    rows: list[FlowRow]
    unquantified: dict[str, int]
    version: NotRequired[ViewVersion]


# -- actors ----------------------------------------------------------------------------------


class ActorBrief(TypedDict):
    id: str
    iri: str
    label: str
    kind: str | None


class Merge(TypedDict):
    """A merge record: who merged which actor into which, when and why, and its undoing."""

    merge: str
    dataset: str | None
    merged: ActorBrief
    survivor: ActorBrief
    by: str | None
    at: str | None
    reason: str | None
    undone: str | None
    undone_by: str | None
    undo_reason: str | None
    in_force: bool
    version: NotRequired[ViewVersion]


class Actor(TypedDict):
    id: str
    iri: str
    kind: str | None
    label: str
    code: str | None
    part_of: str | None
    aliases: list[str]
    registered: bool
    claims: int
    merged_into: Merge | None


class ActorDetail(Actor):
    """One actor with its place among organizations, its claims and its merge history."""

    note: str | None
    parents: list[ActorBrief]
    members: list[ActorBrief]
    merged_from: list[Merge]
    claim_ids: list[str]
    merges: list[Merge]
    version: NotRequired[ViewVersion]


# -- metrics and the explorer ----------------------------------------------------------------


class MetricsReport(TypedDict):
    """The full report; ``figures`` by name, ``evidence`` per figure."""

    filter: JSON
    synthetic: bool
    datasets: list[str]
    figures: JSON
    evidence: JSON
    funding_by_tier: JSON
    bonus_funding_by_tier: JSON
    burden_share: list[JSON]
    roles: list[JSON]
    enforcement: list[JSON]
    federal_reach: JSON
    brokers: list[JSON]
    top_actors: list[JSON]
    #: the networkx backend first in line for the analytics that computed the report
    #: (``networkx``: networkx's own code; set by ``--nx-backend``)
    nx_backend: str
    version: NotRequired[ViewVersion]


class Window(TypedDict):
    """One window of the timeline, with every graph-level figure by name besides these."""

    start: str
    end: str
    actors: int
    claims: int


class Timeline(TypedDict):
    window: str
    step: str
    filter: JSON
    synthetic: bool
    windows: list[Window]
    version: NotRequired[ViewVersion]


class Comparison(TypedDict):
    """Two periods, their figures and claims, and each figure's change."""

    filter: JSON
    synthetic: bool
    first: JSON
    second: JSON
    change: JSON
    rounds: int
    confidence: float
    seed: int
    changes: dict[str, list[JSON]]
    version: NotRequired[ViewVersion]


class RankedNode(TypedDict):
    """An actor ranked by one measure (its value under the measure's name), with the rest
    under ``measures``."""

    id: str
    label: str | None
    kind: str | None
    rank: int
    measures: JSON


class NodeTable(TypedDict):
    filter: JSON
    synthetic: bool
    by: str
    nodes: list[RankedNode]
    version: NotRequired[ViewVersion]


class GroupCell(TypedDict):
    """A group of the explorer's aggregate view: the actors of one kind and place."""

    id: str
    kind: str
    code: str | None
    place: str | None
    count: int


class ExplorerGroups(TypedDict):
    """The groups the explorer's aggregate view draws first, and the legend."""

    synthetic: bool
    version: NotRequired[ViewVersion]
    actors: int
    kinds: list[JSON]
    relations: list[JSON]
    cells: list[GroupCell]
    opening_cells: int
    members_page: int
    #: the filter in force (a list of every kind or relation reads as none), and whether it
    #: narrows the claims or datasets
    filter: JSON
    filtered: bool
    #: the choices of the filters: the caller's datasets, confidence levels, levels
    datasets: list[JSON]
    confidence: list[str]
    levels: list[str]


#: The claims between two groups of one relation type ("from" is a Python keyword).
GroupLink = TypedDict("GroupLink", {"from": str, "to": str, "type": str, "claims": int})


#: One claim behind a link of the aggregate view, with its own parties ("from" is a Python
#: keyword).
LinkClaim = TypedDict(
    "LinkClaim",
    {
        "claim": str,
        "type": str,
        "from": str,
        "from_label": str,
        "to": str,
        "to_label": str,
        "start": str | None,
        "end": str | None,
        "confidence": str | None,
        "basis": str,
        "note": str | None,
        "sources": list[JSON],
    },
)


class LinkClaims(TypedDict):
    """The latest claims behind a link (at most 50)."""

    claims: list[LinkClaim]


class GroupMember(TypedDict):
    id: str
    label: str


class MemberLink(TypedDict):
    """A member's claims with another group, or (``actor``) with one drawn member of it."""

    member: str
    direction: str
    type: str
    cell: str
    claims: int
    actor: NotRequired[str]


class GroupMembers(TypedDict):
    """One page of the members of a group, with their links."""

    cell: str
    total: int
    offset: int
    members: list[GroupMember]
    links: list[MemberLink]
    version: NotRequired[ViewVersion]


class JobStarted(TypedDict):
    """An answer still being computed: its job, to poll (``/api/jobs/{id}``), then ask again."""

    job: str
    state: str


class ExplorerData(TypedDict):
    """What the explorer draws: vis-network nodes and edges with the legend, the vocabulary
    and optionally the timeline."""

    synthetic: bool
    filter: JSON
    version: NotRequired[ViewVersion]
    datasets: list[JSON]
    kinds: list[JSON]
    relations: list[JSON]
    bases: list[JSON]
    levels: list[str]
    vocabulary: JSON
    confidence: list[str]
    span: JSON
    measures: list[str]
    budget: int
    nodes: list[JSON]
    edges: list[JSON]
    options: JSON
    timeline: JSON | None


# -- the question page -----------------------------------------------------------------------


class _QuestionScope(TypedDict):
    """What the question page's projection rests on: its question, filter, datasets and the
    claims in it (how many are assessments)."""

    question: str
    filter: JSON
    synthetic: bool
    datasets: list[str]
    claims: int
    assessments: int
    evidence: JSON
    version: NotRequired[ViewVersion]


class QuestionPart(_QuestionScope):
    """One chart of the question page as it draws it on its card
    (:func:`graph.analysis.question.question_part`, :func:`graph.viz.question.page_part`)."""

    chart: str
    data: JSON
    specs: list[JSON]
    tables: list[JSON]


class QuestionData(_QuestionScope):
    """What the question page draws (:func:`graph.analysis.question.question`)."""

    charts: JSON
