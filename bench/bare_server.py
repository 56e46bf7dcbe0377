"""The least a Python SPARQL server can do per request, for bench/run.py to measure beside the
real servers: a raw ASGI app under uvicorn (no framework, no access control, no time limit, no
row cap, no engine process) that runs ``GET ?query=`` on pyoxigraph in the event loop itself and
answers with pyoxigraph's SPARQL JSON.

    BARE_STORE=DIR uvicorn bare_server:app --app-dir bench --workers 2 …

``BARE_STORE`` is an on-disk Oxigraph store, opened read-only (so that several workers can open
it), its union of every graph the default graph. Without it every request gets the same empty
result without any query: the cost of the HTTP layer alone.
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import parse_qsl

import pyoxigraph as ox

_EMPTY = b'{"head":{"vars":[]},"results":{"bindings":[]}}'
_STORE = ox.Store.read_only(os.environ["BARE_STORE"]) if os.environ.get("BARE_STORE") else None
_HEADERS = [(b"content-type", b"application/sparql-results+json")]


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":  # lifespan: nothing to set up
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
            message = await receive()
        await send({"type": "lifespan.shutdown.complete"})
        return
    status, body = 200, _EMPTY
    if _STORE is not None:
        query = dict(parse_qsl(scope["query_string"].decode("latin-1"))).get("query", "")
        try:
            result = _STORE.query(query, use_default_graph_as_union=True)
            body = result.serialize(format=ox.QueryResultsFormat.JSON)  # type: ignore[union-attr]
        except (SyntaxError, OSError, AttributeError) as error:
            status, body = 400, str(error).encode()
    await send({"type": "http.response.start", "status": status, "headers": _HEADERS})
    await send({"type": "http.response.body", "body": body})
