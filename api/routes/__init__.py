"""The routes, one router per area; :func:`api.app.create_app` includes them in this order.

=====================  =========================================================================
module                 routes
=====================  =========================================================================
:mod:`.sparql`         ``/sparql`` (SPARQL 1.1 Protocol: query, update, service description,
                       the query page) and ``/rdf-graphs`` (Graph Store HTTP Protocol)
:mod:`.datasets`       ``/healthz``; ``/api/datasets`` (list, describe, upload, replace, delete);
                       ``/api/restore`` (an export brought back whole); ``/api/jobs/{id}`` (an
                       upload or restore run in the background)
:mod:`.graph`          ``/api/entities``, ``/api/neighborhood``, ``/api/paths``, ``/api/flows``,
                       ``/api/export``
:mod:`.actors`         ``/api/actors`` (list, describe, merge, unmerge)
:mod:`.metrics`        ``/api/metrics`` (report, ``timeline``, ``compare``, ``nodes``)
:mod:`.viz`            ``/viz`` (the explorer page), ``/api/viz`` (its data), ``/viz/assets``
:mod:`.question`       ``/`` (the question page), ``/api/question`` (its data),
                       ``/question/assets``
=====================  =========================================================================

Each route parses its request with the shared dependencies of :mod:`api.deps` (the caller,
the engine, the projection filters) and makes one call to the engine:
``await engine.call(service.<operation>, principal, ...)``, or ``engine.call_json`` for an
answer sent as it is (JSON encoded in the engine process, :class:`api.deps.EncodedJSON`).
"""

from fastapi import APIRouter

from api.routes import actors, datasets, graph, metrics, question, sparql, viz

ROUTERS: tuple[APIRouter, ...] = (
    sparql.router,
    datasets.router,
    graph.router,
    actors.router,
    metrics.router,
    viz.router,
    question.router,
)
