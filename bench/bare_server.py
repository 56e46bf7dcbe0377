"""The least a Python SPARQL server can do per request, for bench/run.py to measure beside the
real servers: a raw ASGI app under uvicorn (no framework, no access control, no row cap) that
runs ``GET ?query=`` on pyoxigraph and answers with pyoxigraph's SPARQL JSON.

    BARE_STORE=DIR [BARE_ENGINE=1] uvicorn bare_server:app --app-dir bench --workers 2 …

``BARE_STORE`` is an on-disk Oxigraph store, opened read-only (so that several workers can open
it), its union of every graph the default graph. Without it every request gets the same empty
result without any query: the cost of the HTTP layer alone. With it the query runs in the event
loop itself, with no time limit: pyoxigraph cannot stop a query.

``BARE_ENGINE=1`` runs each query in a process of its own instead (one per worker, started with
it, the store opened there), as a server must that stops a query at its time limit by killing
that process: the query goes over a socket pair as a frame of raw bytes (an id and the text),
the answer comes back the same way, one asyncio protocol and one timer per call on the worker's
side, one thread on the engine's. Nothing else: the least that a killable engine adds.
"""

from __future__ import annotations

import asyncio
import os
import socket
import struct
import subprocess
import sys
from typing import Any
from urllib.parse import parse_qsl

import pyoxigraph as ox

_EMPTY = b'{"head":{"vars":[]},"results":{"bindings":[]}}'
_HEADERS = [(b"content-type", b"application/sparql-results+json")]
_LOCATION = os.environ.get("BARE_STORE")
_ENGINE = bool(os.environ.get("BARE_ENGINE")) and _LOCATION is not None
_STORE = ox.Store.read_only(_LOCATION) if _LOCATION and not _ENGINE else None
#: A call: id and length of the query; an answer: id, status and length of the body.
_CALL, _ANSWER = struct.Struct("!II"), struct.Struct("!III")
#: The time limit of a call (s): past it the engine would be killed; here never reached.
_LIMIT = 30.0


def _run(store: ox.Store, query: str) -> tuple[int, bytes]:
    try:
        result = store.query(query, use_default_graph_as_union=True)
        return 200, result.serialize(format=ox.QueryResultsFormat.JSON)  # type: ignore[union-attr]
    except (SyntaxError, OSError, AttributeError, TypeError) as error:  # (a graph as JSON)
        return 400, str(error).encode()


def engine(fd: int, location: str) -> None:
    """The engine process: answers each call on socket ``fd`` in turn."""
    store = ox.Store.read_only(location)
    with socket.socket(fileno=fd) as sock, sock.makefile("rb") as calls:
        while header := calls.read(_CALL.size):
            ident, size = _CALL.unpack(header)
            status, body = _run(store, calls.read(size).decode())
            sock.sendall(_ANSWER.pack(ident, status, len(body)) + body)


class _Link(asyncio.Protocol):
    """The worker's end of the socket pair: sends calls, hands each answer to its future."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.waiting: dict[int, asyncio.Future[tuple[int, bytes]]] = {}
        self.buffer = bytearray()
        self.next_id = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while len(self.buffer) >= _ANSWER.size:
            ident, status, size = _ANSWER.unpack_from(self.buffer)
            end = _ANSWER.size + size
            if len(self.buffer) < end:
                return
            body = bytes(self.buffer[_ANSWER.size : end])
            del self.buffer[:end]
            future = self.waiting.pop(ident, None)
            if future is not None and not future.done():
                future.set_result((status, body))

    async def call(self, query: str) -> tuple[int, bytes]:
        assert self.transport is not None
        self.next_id += 1
        data = query.encode()
        future = asyncio.get_running_loop().create_future()
        self.waiting[self.next_id] = future
        timer = asyncio.get_running_loop().call_later(_LIMIT, future.cancel)
        self.transport.write(_CALL.pack(self.next_id, len(data)) + data)
        try:
            return await future
        finally:
            timer.cancel()


_link: _Link | None = None


async def _start_engine() -> subprocess.Popen[bytes]:
    global _link
    ours, theirs = socket.socketpair()
    process = subprocess.Popen(
        [sys.executable, __file__, str(theirs.fileno()), str(_LOCATION)], pass_fds=[theirs.fileno()]
    )
    theirs.close()
    _, _link = await asyncio.get_running_loop().create_connection(_Link, sock=ours)
    return process


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":  # lifespan: the engine process, where there is one
        message = await receive()
        process = None
        if message["type"] == "lifespan.startup":
            process = await _start_engine() if _ENGINE else None
            await send({"type": "lifespan.startup.complete"})
            message = await receive()
        if process is not None:
            process.kill()
            process.wait()
        await send({"type": "lifespan.shutdown.complete"})
        return
    status, body = 200, _EMPTY
    if _STORE is not None or _link is not None:
        query = dict(parse_qsl(scope["query_string"].decode("latin-1"))).get("query", "")
        status, body = await _link.call(query) if _link else _run(_STORE, query)  # type: ignore[arg-type]
    await send({"type": "http.response.start", "status": status, "headers": _HEADERS})
    await send({"type": "http.response.body", "body": body})


if __name__ == "__main__":
    engine(int(sys.argv[1]), sys.argv[2])
