"""The HTTP layer: a FastAPI application over :mod:`graph.server`. :mod:`api.app` builds it,
:mod:`api.deps` holds what every route depends on, :mod:`api.routes` has one router per area
(SPARQL, datasets, graph, actors, metrics, explorer) and :mod:`api.models` the JSON bodies the
OpenAPI document describes. Each route makes one call to the engine process, which runs an
operation of :mod:`graph.server.service`."""
