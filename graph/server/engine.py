"""The store in a process of its own, so that a time limit really stops a query.

pyoxigraph cannot cancel a running query, and a Python thread cannot be killed; a process can.
So the server does not open the store itself. One *engine process* owns it (an on-disk store
can be opened by one process only, so that process does the writes too) and runs the
operations of :mod:`graph.server.service` on a pool of threads; pyoxigraph releases the GIL while it
evaluates and serializes, so queries of different clients run side by side.

The server (:class:`Engine`, asyncio) talks to the engine process over a socket pair:
length-prefixed pickles, one id per call, replies in any order. A call names its operation by
the function itself (``await engine.call(service.neighborhood, principal, ref)``); what goes
over the socket is its :func:`reference`, which the engine process resolves (:func:`resolve`)
to an operation of :mod:`graph.server.service` and to nothing else.

* Every call has a time limit (``timeout``, 30 s by default; writes have ``write_timeout``,
  and so have the reads of a background job, :data:`call_in_background`: nobody holds a
  connection open for them, a client polls).
  When a call runs past it, the server kills the engine process (SIGKILL stops whatever it was
  doing), starts a new one on the same store, and the caller gets :class:`EngineTimeout`.
* Reads of other clients that were in flight are sent again to the new process, within their
  own time limits: those clients see a delay, not an error.
* When the engine process dies on its own (a crash: a query that overflows the parser's stack,
  say), a new one is started, but the calls that were in flight are not sent again, since one of
  them may be what crashed it: each fails with :class:`EngineCrashed` (HTTP 503). A query that
  kills the engine thus kills it once, not once per restart. Every restart is logged.
* After the first restart, the next engine process is kept ready (:meth:`Engine._prepare_standby`:
  Python started and the library imported, the store not yet opened), so that a further
  restart costs opening the store, not starting Python; nothing is kept while nothing goes
  wrong.
* Writes in flight are never cut: a restart caused by a read first waits for them to finish
  (each within its own limit). A write that is itself past its limit is killed; writes are
  transactions, so it is then either wholly applied or not at all, and its caller is told so.
* :meth:`Engine.call_json` has the engine process encode the answer as JSON: the server
  sends those bytes as they are, so that its event loop never decodes and encodes a large
  answer itself while every other request waits.
* A call may tell its progress before its answer (a load's steps: parse, validate, write,
  commit; :mod:`graph.ingest.progress`): the engine process sends them on the same socket,
  a few a second, as frames without a verdict, and the server hands them to the listener the
  call was made with (:data:`call_progress`: a job of :mod:`graph.server.jobs`).
* Each answer comes back with the view version of the state it was computed from
  (:func:`graph.server.service.run`), noted for the request in :data:`call_notes` with the
  time it waited for a slot, spent in the engine process and computed there.
* Calls run in *lanes* (:data:`graph.server.service.LANES`, named by each operation's mark):
  cheap queries, analysis (projections, metrics, reports: Python that holds the GIL) and
  writes. Each lane has its own slots on the server and as many threads of its own in the
  engine process (:meth:`StoreSpec.slots`), so that heavy analysis never holds a slot that a
  cheap query or a write needs. A call waits for a slot of its lane up to its time limit (then
  :class:`EngineBusy`); waiting never counts against its own limit, so a queue never causes a
  restart.
* Runaways never starve cheap queries: a query still running after ``promote_after`` (0.5 s)
  moves to one of the query lane's *heavy* slots (``StoreSpec.heavy_threads``, with threads of
  their own in the engine process) and frees its slot for the next query; it runs on within
  its time limit. Only when the heavy slots are full does a long query keep its slot.
* Fairness between callers: one caller (:func:`fairness_key`: its token, else its address)
  holds at most all but one of a lane's slots, and of its heavy slots; its further calls wait
  while those of other callers go past them.
* Admission: at most ``queue`` calls wait per lane; past that a call is refused at once
  (:class:`EngineBusy`, HTTP 503 with ``Retry-After``) rather than after its time limit.
* Identical reads in flight run once (single-flight): a read with the same operation, caller
  and arguments as one already running waits for that one's answer (not for an operation
  marked ``shared=False``, whose answer belongs to its caller). Callers must not change the
  answer they get. A finished write ends the
  sharing, so that nobody gets an answer computed before a write they saw complete.

Run directly (``python -m graph.server.engine FD SPEC``) it is the engine process itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import itertools
import json
import logging
import math
import os
import pickle
import queue
import socket
import struct
import subprocess
import sys
import threading
import time
from collections import Counter, OrderedDict, deque
from collections.abc import Callable, Coroutine
from dataclasses import asdict, dataclass, field
from typing import Any, BinaryIO, Concatenate, ParamSpec, TypeVar

from graph.analysis.backends import use_backend
from graph.ingest.progress import Progress, Throttle
from graph.server import service
from graph.server.answers import AnswerCache
from graph.server.auth import Principal
from graph.server.service import Context
from graph.store import cache
from graph.store.cache import DEFAULT_MAX_BYTES
from graph.store.credentials import ENVIRONMENT, Credentials
from graph.store.memory import release_freed_memory

log = logging.getLogger("recruitgraph.server")

_HEADER = struct.Struct("!Q")
_STOP = "__stop__"
#: The byte that tells a started engine process to open the store and serve.
_GO = b"\x01"
_P = ParamSpec("_P")
_R = TypeVar("_R")

#: Seconds between two steps of one phase of a call's progress sent to the server.
PROGRESS_EVERY = 0.25

#: How a call names its operation on the socket: (module, qualified name).
Reference = tuple[str, str]


def reference(operation: Callable[..., Any]) -> Reference:
    """What is sent for ``operation``: its module and qualified name. TypeError unless it is
    an operation of :mod:`graph.server.service` (see :func:`graph.server.service.operation`).

    >>> reference(service.neighborhood)
    ('graph.server.service', 'neighborhood')
    >>> reference(service.describe_error)
    Traceback (most recent call last):
    TypeError: graph.server.service.describe_error is not an operation of graph.server.service
    """
    if not service.is_operation(operation):
        module = getattr(operation, "__module__", "?")
        name = f"{module}.{getattr(operation, '__qualname__', operation)}"
        raise TypeError(f"{name} is not an operation of {service.__name__}")
    return operation.__module__, operation.__qualname__


def resolve(ref: object) -> Callable[..., Any]:
    """The operation that ``ref`` (made by :func:`reference`) names. Only the module-level
    operations of :mod:`graph.server.service` are looked up; anything else is a TypeError.

    >>> resolve(("graph.server.service", "neighborhood")) is service.neighborhood
    True
    >>> resolve(("os", "remove"))
    Traceback (most recent call last):
    TypeError: not an operation of graph.server.service: ('os', 'remove')
    """
    if isinstance(ref, tuple) and len(ref) == 2 and ref[0] == service.__name__:
        function = getattr(service, str(ref[1]), None)
        # An operation imported under another name does not count: one name per operation.
        if service.is_operation(function) and function.__qualname__ == ref[1]:
            return function
    raise TypeError(f"not an operation of {service.__name__}: {ref!r}")


@dataclass(frozen=True)
class StoreSpec:
    """Which store the engine process opens: an embedded store's directory, or a remote
    endpoint; what SERVICE/LOAD may reach; how many calls of each lane run at once (each on a
    thread of its own)."""

    kind: str  # "embedded" or "remote"
    location: str  # directory, or query endpoint URL
    update_url: str | None = None
    allow: tuple[str, ...] = ()
    #: Cheap reads at once (lane ``query``). pyoxigraph evaluates without the GIL, so more
    #: than the CPUs is fine.
    threads: int = 4
    #: Projections, metrics and reports at once (lane ``analysis``): Python holding the GIL,
    #: so few; more only queue up inside the process.
    analysis_threads: int = 2
    #: Writes at once (lane ``write``): they take turns on the store's write lock anyway.
    write_threads: int = 1
    #: Long queries at once (past :attr:`Engine.promote_after`), on threads of their own
    #: besides ``threads``: so many runaways never hold the slots of cheap queries.
    heavy_threads: int = 4
    #: The niceness of the analysis lane's threads (Linux; 0: as the rest). Slots keep
    #: analysis from holding cheap queries' places, not from taking the CPUs they need: with
    #: the analysis niced, the kernel gives a cheap query, the server and the writes the CPU
    #: first, and the analysis what is left (see :func:`_lower_priority`).
    analysis_nice: int = 10
    #: Bytes of derived results (projections, reports) the engine process keeps between
    #: calls (:func:`graph.store.cache.set_max_bytes`; 0: none).
    metrics_cache_bytes: int = DEFAULT_MAX_BYTES
    #: The networkx backend that runs the analysis in the engine process
    #: (:func:`graph.analysis.backends.use_backend`; None: networkx's own configuration).
    nx_backend: str | None = None

    @property
    def sees_every_write(self) -> bool:
        """Whether every write to the store passes through this server (an embedded store,
        its directory locked to one process), so that what is kept between writes (answers,
        the landing page's figures) is right until the next; a remote store has other writers."""
        return self.kind == "embedded"

    #: A remote store's Graph Store endpoint, and the seconds after which its server should
    #: stop a query (where it takes a limit per query).
    graph_store_url: str | None = None
    server_timeout: float | None = None
    #: A remote store's credentials: given to the engine process in its environment, never
    #: in its arguments (``ps`` shows those), so left out of :meth:`to_json`.
    credentials: Credentials | None = field(default=None, repr=False, compare=False)
    #: What the server's probe of a remote store found (RemoteStore.probe): its dataset
    #: parameters win over a query's FROM.
    honours_dataset_parameters: bool = False

    def slots(self, lane: str) -> int:
        """How many calls of ``lane`` run at once.

        >>> StoreSpec("embedded", "/tmp/x").slots("analysis")
        2
        """
        counts = {"query": self.threads, "analysis": self.analysis_threads}
        return max(1, counts.get(lane, self.write_threads))

    def heavy(self, lane: str) -> int:
        """How many long calls of ``lane`` run at once besides :meth:`slots`: only queries
        move aside (analysis holds the GIL, and writes take turns anyway).

        >>> spec = StoreSpec("embedded", "/tmp/x")
        >>> spec.heavy("query"), spec.heavy("write")
        (4, 0)
        """
        return max(0, self.heavy_threads) if lane == "query" else 0

    def to_json(self) -> str:
        fields = asdict(self)
        del fields["credentials"]
        return json.dumps(fields)

    @classmethod
    def from_json(cls, text: str) -> StoreSpec:
        data = json.loads(text)
        data["allow"] = tuple(data.get("allow", ()))
        return cls(**data)

    def open(self) -> Any:
        from graph.store import EmbeddedStore, RemoteStore

        if self.kind == "remote":
            store = RemoteStore(
                self.location,
                self.update_url,
                credentials=self.credentials or Credentials.from_environment(),
                graph_store_url=self.graph_store_url,
                server_timeout=self.server_timeout,
            )
            store.honours_dataset_parameters = self.honours_dataset_parameters
            return store
        return EmbeddedStore(self.location)


@dataclass
class CallNotes:
    """What the engine calls made for one request noted: the view version of the state the
    (last) answer was computed from (see :func:`graph.server.service.run`; None: no answer
    yet), and where their time went, in seconds summed over the calls: waiting for a slot of
    their lane (``waited``), from sending to the engine process until its reply
    (``engine``), and of that, computing in the engine process (``computed``; the rest is
    the trip and waiting there for the GIL)."""

    version: str | None = None
    waited: float = 0.0
    engine: float = 0.0
    computed: float = 0.0


#: Where the calls made for one request note what they did: the API sets one per request
#: (:class:`api.app.RequestLog`), which sends the version as the X-Store-Version header and
#: logs the times.
call_notes: contextvars.ContextVar[CallNotes | None] = contextvars.ContextVar(
    "call_notes", default=None
)

#: Where a call tells its progress (:class:`graph.ingest.progress.Step` events of a load or
#: restore, sent by the engine process as they happen, at most a few a second): set by a job
#: (:mod:`graph.server.jobs`) around its call; None: the steps are dropped here.
call_progress: contextvars.ContextVar[Progress | None] = contextvars.ContextVar(
    "call_progress", default=None
)

#: Whether the call runs for a background job (:mod:`graph.server.jobs`, or a page that
#: answers at once and lets the reader poll): a read then has the write time limit.
call_in_background: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "call_in_background", default=False
)

#: The network address of the request's client, set per request by the API
#: (:class:`api.app.RequestLog`): who an anonymous caller is, for fairness
#: (:func:`fairness_key`). Behind a proxy, every client has the proxy's address.
client_address: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "client_address", default=None
)


def fairness_key(principal: Principal) -> str:
    """Who calls, for each caller's share of a lane's slots: the token of an authenticated
    caller, else the client's address (:data:`client_address`), else the principal's name
    (a call made in this process, not for a request).

    >>> fairness_key(Principal("editor", "ed", token_id="1f2e"))
    'token 1f2e'
    >>> token = client_address.set("192.0.2.7")
    >>> fairness_key(Principal())
    'address 192.0.2.7'
    >>> client_address.reset(token)
    """
    if principal.token_id is not None:
        return f"token {principal.token_id}"
    address = client_address.get()
    return f"address {address}" if address is not None else f"local {principal.name}"


class EngineError(Exception):
    """An operation failed in the engine: ``status`` is the HTTP status to answer with."""

    def __init__(self, status: int, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.details = details

    @property
    def headers(self) -> dict[str, str]:
        """``X-Request-ID`` of an internal error: the id under which the engine process logged
        its traceback."""
        request_id = (self.details or {}).get("request_id")
        return {"X-Request-ID": request_id} if request_id else {}


class EngineTimeout(EngineError):
    """A call ran past its time limit and was stopped (HTTP 503)."""

    def __init__(self, seconds: float, write: bool = False, background: bool = False) -> None:
        what = "update" if write else "computation" if background else "query"
        detail = (
            " It was a transaction: it was applied entirely or not at all; check before retrying."
            if write
            # A job computes a page's figures: the reader cannot narrow it, the operator can
            # give jobs longer (serve --write-timeout) or the page a narrower filter.
            else " Narrow the view (datasets, period, level) or ask the server's operator for a"
            " longer limit for jobs (serve --write-timeout)."
            if background
            else " Narrow it (LIMIT, more specific patterns) or ask for a longer limit."
        )
        super().__init__(
            503, f"the {what} was stopped after the time limit of {seconds:g} s.{detail}"
        )
        self.seconds = seconds


class EngineBusy(EngineError):
    """No slot in the engine freed up within the time limit, or the queue of the call's lane
    is full (HTTP 503, with ``Retry-After``)."""

    def __init__(self, seconds: float, message: str | None = None, retry_after: int = 1) -> None:
        super().__init__(
            503, message or f"the server is busy: no query slot freed up in {seconds:g} s"
        )
        self.retry_after = retry_after

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


class EngineUnavailable(EngineError):
    """The engine process could not be started, or died (HTTP 503)."""

    def __init__(self, message: str) -> None:
        super().__init__(503, message)


class EngineCrashed(EngineUnavailable):
    """The engine process died on its own while the call ran (HTTP 503); it is not re-sent."""

    def __init__(self) -> None:
        super().__init__(
            "the query stopped the engine (or ran beside one that did); it is not sent again"
        )


class _WorkerGone(Exception):
    pass


class _Ticket:
    """One call's hold on its lane: which caller's, and whether it has moved to the heavy
    slots."""

    __slots__ = ("caller", "done", "heavy")

    def __init__(self, caller: str) -> None:
        self.caller = caller
        self.heavy = False
        self.done = False


def _share(slots: int) -> int:
    """How many of ``slots`` one caller may hold: all but one, so that one caller never fills
    them (all of one slot).

    >>> _share(4), _share(1)
    (3, 1)
    """
    return max(1, slots - 1)


def _expire(future: asyncio.Future[Any]) -> None:
    """A wait's time limit has passed: its waiter gets TimeoutError (a call's reply, if it
    comes later, is dropped)."""
    if not future.done():
        future.set_exception(TimeoutError())


def _woken(waiter: asyncio.Future[None]) -> bool:
    """Whether ``waiter`` was given its slot (not timed out, not cancelled)."""
    return waiter.done() and not waiter.cancelled() and waiter.exception() is None


class _Lane:
    """The server's side of one lane: its slots, its queue, and counts for /healthz.

    A call holds one of the lane's ``size`` slots while it runs. In a lane with ``heavy``
    slots (the query lane), a call still running after :attr:`Engine.promote_after` seconds
    moves to a heavy slot and frees its own for the next call, so that long queries never hold
    the slots cheap ones need; when the heavy slots are full it keeps its slot until one frees
    up. One caller (see :func:`fairness_key`) holds at most all but one of the lane's slots and
    of its heavy slots (:func:`_share`); its further calls wait while other callers' calls go
    past them.
    """

    def __init__(self, name: str, slots: int, queue: int, heavy: int = 0) -> None:
        self.name = name
        self.size = slots
        self.heavy = heavy
        self.queue = queue
        self.waiting = 0
        #: Calls sent to the engine process; reads answered by one in flight; refusals.
        self.calls = 0
        self.shared = 0
        self.refused = 0
        #: Seconds a call of the lane takes, smoothed: what Retry-After is worked out from.
        self.mean = 0.5
        self._held: Counter[str] = Counter()
        self._held_heavy: Counter[str] = Counter()
        #: Calls waiting for a slot, with their callers (woken first come first served, as
        #: many as the free slots take), and long calls waiting for a heavy slot.
        self._waiters: deque[tuple[str, asyncio.Future[None]]] = deque()
        self._promotions: deque[_Ticket] = deque()

    @property
    def running(self) -> int:
        """Calls in the lane's slots."""
        return sum(self._held.values())

    @property
    def promoted(self) -> int:
        """Calls in its heavy slots."""
        return sum(self._held_heavy.values())

    def fits(self, caller: str) -> bool:
        """Whether a call of ``caller`` may take a slot now."""
        return self.running < self.size and self._held[caller] < _share(self.size)

    async def enter(self, caller: str, seconds: float) -> _Ticket:
        """A slot for a call of ``caller``: at once, or after waiting at most ``seconds``
        (TimeoutError). EngineBusy at once when it would have to wait and ``queue`` calls
        wait already."""
        if not self.fits(caller):
            if self.waiting >= self.queue:
                self.refused += 1
                seconds = self.retry_after()
                raise EngineBusy(
                    seconds,
                    f"the server is busy: {self.waiting} {self.name} calls are waiting already; "
                    f"try again in {seconds} s",
                    seconds,
                )
            loop = asyncio.get_running_loop()
            deadline = loop.time() + seconds
            self.waiting += 1
            try:
                while not self.fits(caller):
                    waiter: asyncio.Future[None] = loop.create_future()
                    entry = (caller, waiter)
                    self._waiters.append(entry)
                    # A timer rather than wait_for (a task per wait), and the waiter taken
                    # out only when no wake-up did (a miss in deque.remove formats its repr).
                    expiry = loop.call_at(deadline, _expire, waiter)
                    try:
                        await waiter
                    except BaseException:
                        if _woken(waiter):  # then cancelled: its slot goes to the next one
                            self._wake()
                        else:
                            with contextlib.suppress(ValueError):
                                self._waiters.remove(entry)
                        raise
                    finally:
                        expiry.cancel()
            finally:
                self.waiting -= 1
        self._held[caller] += 1
        return _Ticket(caller)

    def promote(self, ticket: _Ticket) -> None:
        """``ticket``'s call has run long: move it to a heavy slot (now, or when one frees
        up), freeing its slot for the next call."""
        if ticket.done or ticket.heavy:
            return
        if self.promoted < self.heavy and self._held_heavy[ticket.caller] < _share(self.heavy):
            self._held[ticket.caller] -= 1
            self._held_heavy[ticket.caller] += 1
            ticket.heavy = True
            self._wake()
        elif ticket not in self._promotions:
            self._promotions.append(ticket)

    def leave(self, ticket: _Ticket) -> None:
        """``ticket``'s call is over: free its slot."""
        ticket.done = True
        if ticket.heavy:
            self._held_heavy[ticket.caller] -= 1
            # A long call waiting for a heavy slot takes this one (first come first served).
            for waiting in list(self._promotions):
                self.promote(waiting)
                if waiting.heavy:
                    self._promotions.remove(waiting)
        else:
            self._held[ticket.caller] -= 1
            with contextlib.suppress(ValueError):
                self._promotions.remove(ticket)
            self._wake()

    def _wake(self) -> None:
        # The waiters whose calls fit the free slots, in the order they came, each counted as
        # holding its slot (it takes it when it runs, or waits again if a newcomer took it
        # first); the others wait on. Waking every waiter to check again cost each call a
        # wake-up of every call waiting behind it.
        running, woken = self.running, Counter[str]()
        waiting: deque[tuple[str, asyncio.Future[None]]] = deque()
        while self._waiters and running < self.size:
            caller, waiter = self._waiters.popleft()
            if waiter.done():
                continue
            if self._held[caller] + woken[caller] < _share(self.size):
                waiter.set_result(None)
                running += 1
                woken[caller] += 1
            else:
                waiting.append((caller, waiter))
        waiting.extend(self._waiters)
        self._waiters = waiting

    def retry_after(self) -> int:
        """Seconds until the queue has likely moved on: its length over the slots, times
        a call's mean duration (1 to 60)."""
        return min(60, max(1, math.ceil(self.mean * (self.waiting + 1) / self.size)))

    def took(self, seconds: float) -> None:
        self.mean += 0.2 * (seconds - self.mean)

    def stats(self) -> dict[str, int]:
        return {
            "slots": self.size,
            "running": self.running,
            "waiting": self.waiting,
            "heavy_slots": self.heavy,
            "heavy": self.promoted,
            "calls": self.calls,
            "shared": self.shared,
            "refused": self.refused,
        }


@dataclass
class _Pending:
    future: asyncio.Future[tuple[bool, Any]]
    write: bool
    #: Told the progress the call sends (see :data:`call_progress`).
    progress: Progress | None = None


class _Connection(asyncio.Protocol):
    """The server's end of the socket to one engine process: frames in, frames out.

    Replies are parsed as they arrive (no task per read); requests written in one turn of the
    event loop go out in one write, so a burst of requests costs the engine process one
    wake-up rather than one each.
    """

    def __init__(self, worker: _Worker) -> None:
        self.worker = worker
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.outbox: list[bytes] = []
        self.closed = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        buffer = self.buffer
        buffer += data
        offset = 0
        while len(buffer) - offset >= _HEADER.size:
            (size,) = _HEADER.unpack_from(buffer, offset)
            end = offset + _HEADER.size + size
            if len(buffer) < end:
                break
            self.worker.received(pickle.loads(memoryview(buffer)[offset + _HEADER.size : end]))
            offset = end
        if offset:
            del buffer[:offset]

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.closed.done():
            self.closed.set_result(None)
        self.worker.lost()

    def send(self, frame: bytes) -> None:
        if not self.outbox:
            asyncio.get_running_loop().call_soon(self._flush)
        self.outbox.append(frame)

    def _flush(self) -> None:
        frames, self.outbox = self.outbox, []
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(b"".join(frames))


def _frame(message: Any) -> bytes:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    return _HEADER.pack(len(data)) + data


class _Worker:
    """One engine process and the calls in flight in it (server side)."""

    def __init__(
        self, process: subprocess.Popen[bytes], on_exit: Callable[[_Worker], None]
    ) -> None:
        self.process = process
        self.pending: dict[int, _Pending] = {}
        self.alive = True
        self.killed = False
        #: Calls that were in flight when the process went away.
        self.in_flight = 0
        self.connection: _Connection | None = None
        self._on_exit = on_exit
        self._hello: asyncio.Future[tuple[bool, Any]] = asyncio.get_running_loop().create_future()

    async def connect(self, sock: socket.socket, seconds: float) -> tuple[bool, Any]:
        """Attach to the socket and wait for the engine's hello (its store is open)."""
        loop = asyncio.get_running_loop()
        _, self.connection = await loop.create_connection(lambda: _Connection(self), sock=sock)
        return await asyncio.wait_for(asyncio.shield(self._hello), seconds)

    def received(self, message: tuple[int, bool | None, Any]) -> None:
        call_id, ok, payload = message
        if ok is None:  # not the reply: a step of the call's progress
            listening = self.pending.get(call_id)
            if listening is not None and listening.progress is not None:
                listening.progress(payload)
            return
        if call_id == 0:
            if not self._hello.done():
                self._hello.set_result((ok, payload))
            return
        pending = self.pending.pop(call_id, None)
        if pending is not None and not pending.future.done():
            pending.future.set_result((ok, payload))

    def lost(self) -> None:
        self.alive = False
        self.in_flight = len(self.pending)
        if not self._hello.done():
            self._hello.set_exception(_WorkerGone())
        for pending in self.pending.values():
            if not pending.future.done():
                pending.future.set_exception(_WorkerGone())
        self.pending.clear()
        self._on_exit(self)

    def send(
        self,
        call_id: int,
        ref: Reference,
        args: tuple,
        kwargs: dict,
        write: bool,
        encoding: str | None = None,
    ) -> _Pending:
        if not self.alive or self.connection is None:
            raise _WorkerGone()
        future: asyncio.Future[tuple[bool, Any]] = asyncio.get_running_loop().create_future()
        # The exception of a future nobody awaits any more must not be logged as lost.
        future.add_done_callback(lambda f: f.cancelled() or f.exception())
        pending = _Pending(future, write)
        self.pending[call_id] = pending
        self.connection.send(_frame((call_id, ref, args, kwargs, encoding)))
        return pending

    def forget(self, call_id: int) -> None:
        pending = self.pending.pop(call_id, None)
        if pending is not None and not pending.future.done():
            pending.future.cancel()

    def _close(self) -> None:
        if self.connection is not None and self.connection.transport is not None:
            self.connection.transport.close()

    async def kill(self) -> None:
        self.killed = True
        with contextlib.suppress(ProcessLookupError):
            self.process.kill()
        self._close()
        await asyncio.get_running_loop().run_in_executor(None, self.process.wait)

    async def stop(self, seconds: float = 30) -> None:
        """Ask the process to finish its calls and close the store; kill it if it won't."""
        if self.connection is not None:
            self.connection.send(_frame((0, _STOP, (), {}, None)))
        loop = asyncio.get_running_loop()
        try:
            await asyncio.wait_for(loop.run_in_executor(None, self.process.wait), seconds)
        except TimeoutError:
            await self.kill()
        self._close()


#: What a call gives: its result, the view version, (waited, in the engine, computed) seconds.
_Answer = tuple[Any, str, tuple[float, float, float]]


@dataclass
class _Flight:
    """A read in flight that identical reads join: its answer, and how many joined it."""

    answer: asyncio.Future[_Answer]
    joined: int = 0

    def __post_init__(self) -> None:
        # An error nobody joined to hear is not "never retrieved".
        self.answer.add_done_callback(lambda f: f.cancelled() or f.exception())


def _settle(future: asyncio.Future[Any], task: asyncio.Task[Any]) -> None:
    """Give ``future`` the outcome of ``task``."""
    if future.done():
        return
    if task.cancelled():
        future.cancel()
    elif (error := task.exception()) is not None:
        future.set_exception(error)
    else:
        future.set_result(task.result())


class Engine:
    """The server side of the engine process: calls with time limits, restarts, retries."""

    def __init__(
        self,
        spec: StoreSpec,
        *,
        timeout: float = 30.0,
        write_timeout: float = 600.0,
        start_timeout: float = 120.0,
        queue: int = 64,
        promote_after: float = 0.5,
        answer_cache_bytes: int = 64 * 1024**2,
    ) -> None:
        self.spec = spec
        self.timeout = timeout
        self.write_timeout = write_timeout
        self.start_timeout = start_timeout
        #: Seconds after which a call still running moves to one of its lane's heavy slots.
        self.promote_after = promote_after
        #: The lanes, each with ``spec.slots(lane)`` slots, ``spec.heavy(lane)`` heavy slots
        #: and at most ``queue`` calls waiting.
        self.lanes = {
            lane: _Lane(lane, spec.slots(lane), queue, spec.heavy(lane)) for lane in service.LANES
        }
        #: Reads in flight by (operation, caller and arguments): identical ones share an answer.
        self._flights: dict[tuple[Reference, bytes, Principal], _Flight] = {}
        #: Answers kept until the next write; only where every write passes through this
        #: server (an embedded store: see graph.server.answers).
        self.answers = AnswerCache(answer_cache_bytes if spec.sees_every_write else 0)
        #: Called after every write, whether it succeeded or not (the server's page jobs and
        #: warm-up: graph.server.jobs, graph.server.warm).
        self.written: list[Callable[[], None]] = []
        #: How many times the engine process was restarted (time limits, crashes).
        self.restarts = 0
        #: When it was last restarted (seconds since the epoch), and when (monotonic clock)
        #: it last died on its own: the /healthz of the server tells a crash loop by these.
        self.last_restart: float | None = None
        self.crashes: deque[float] = deque(maxlen=32)
        self._worker: _Worker | None = None
        self._ready = asyncio.Event()
        self._lock = asyncio.Lock()
        self._ids = itertools.count(1)
        self._closing = False
        self._start_error: str | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        #: The next engine process, started after the first restart (see _prepare_standby).
        self._standby: tuple[subprocess.Popen[bytes], socket.socket] | None = None

    # -- life cycle ----------------------------------------------------------------------
    async def start(self) -> None:
        """Start the engine process; EngineUnavailable if the store cannot be opened."""
        async with self._lock:
            await self._spawn()

    @property
    def state(self) -> str:
        """``open`` (an engine process serves the store), ``restarting`` or ``closed``."""
        if self._closing:
            return "closed"
        worker = self._worker
        return "open" if worker is not None and worker.alive else "restarting"

    def _restarted(self, crash: bool) -> None:
        self.restarts += 1
        self.last_restart = time.time()
        if crash:
            self.crashes.append(time.monotonic())

    def _background(self, work: Coroutine[Any, Any, _R]) -> asyncio.Task[_R]:
        """Run ``work`` as a task of the engine's own, held until it ends (the loop keeps only
        a weak reference to a task) and awaited by :meth:`close`."""
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def closing(self) -> None:
        """Shutdown begins: calls already made run on, but a read whose caller went away is no
        longer run again for those who joined it (they are going away too)."""
        self._closing = True

    async def close(self) -> None:
        self._closing = True
        for task in list(self._tasks):
            with contextlib.suppress(Exception):
                await task
        worker, self._worker = self._worker, None
        self._ready.clear()
        self._drop_standby()
        if worker is not None:
            await worker.stop()

    def _launch(self) -> tuple[subprocess.Popen[bytes], socket.socket]:
        """A new engine process, its imports under way; it opens the store only when told to
        (:data:`_GO`), so that it can wait as the standby while another one owns the store."""
        parent, child = socket.socketpair()
        try:
            process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "graph.server.engine",
                    str(child.fileno()),
                    self.spec.to_json(),
                ],
                pass_fds=[child.fileno()],
                stdin=subprocess.DEVNULL,
                env=self._environment(),
            )
        finally:
            child.close()
        return process, parent

    def _environment(self) -> dict[str, str]:
        """The engine process's environment: this one's, with the remote store's credentials
        (if any) in place of any it had."""
        environment = {k: v for k, v in os.environ.items() if k not in ENVIRONMENT.values()}
        if self.spec.credentials is not None:
            environment.update(self.spec.credentials.environment())
        return environment

    def _prepare_standby(self) -> None:
        """After a restart, keep the next engine process ready (imported, store not opened),
        so that the next restart costs opening the store, not starting Python: one restart
        often announces others (a client sending runaways), and until then none is kept."""
        if self.restarts and self._standby is None and not self._closing:
            self._standby = self._launch()

    def _drop_standby(self) -> None:
        standby, self._standby = self._standby, None
        if standby is not None:
            process, parent = standby
            parent.close()  # it reads end-of-file instead of _GO and exits
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            process.wait()

    async def _spawn(self) -> None:
        standby, self._standby = self._standby, None
        if standby is not None and standby[0].poll() is None:
            process, parent = standby
        else:
            if standby is not None:
                standby[1].close()
            process, parent = self._launch()
        try:
            parent.sendall(_GO)
        except OSError:
            parent.close()
            process, parent = self._launch()
            parent.sendall(_GO)
        worker = _Worker(process, self._exited)
        try:
            ok, payload = await worker.connect(parent, self.start_timeout)
        except (TimeoutError, _WorkerGone, OSError):
            await worker.kill()
            raise EngineUnavailable("the query engine did not start") from None
        if not ok:
            await worker.kill()
            self._start_error = payload[1]
            raise EngineUnavailable(f"the query engine could not start: {payload[1]}")
        self._worker = worker
        self._ready.set()
        self._prepare_standby()

    def _exited(self, worker: _Worker) -> None:
        """The engine process went away. If nobody killed it (a crash), start a new one."""
        if worker is self._worker and not worker.killed and not self._closing:
            self._ready.clear()
            self._worker = None
            # Counted now: a call may start the next process (_current) before the task does.
            self._restarted(crash=True)
            self._background(self._respawn_after_crash(worker))

    async def _respawn_after_crash(self, worker: _Worker) -> None:
        code = await asyncio.get_running_loop().run_in_executor(None, worker.process.wait)
        log.warning(
            "engine process %d died on its own (exit status %d) with %d calls in flight; "
            "restarting it, the calls fail",
            worker.process.pid,
            code,
            worker.in_flight,
        )
        async with self._lock:
            if self._worker is None and not self._closing:
                with contextlib.suppress(EngineUnavailable):
                    await self._spawn()

    async def _restart(self, culprit: _Worker, call_id: int) -> None:
        """Kill ``culprit`` (if it is still the current process) and start a new one."""
        async with self._lock:
            if culprit is not self._worker:
                return  # another call restarted it already
            # Writes in flight finish first, each within its own limit.
            writes = [p.future for i, p in culprit.pending.items() if p.write and i != call_id]
            if writes:
                await asyncio.wait(writes, timeout=self.write_timeout)
            self._ready.clear()
            self._worker = None
            self._restarted(crash=False)
            log.warning(
                "engine process %d stopped: a call ran past its time limit; restarting it",
                culprit.process.pid,
            )
            await culprit.kill()
            if not self._closing:
                with contextlib.suppress(EngineUnavailable):
                    await self._spawn()

    async def _current(self, deadline: float) -> _Worker:
        loop = asyncio.get_running_loop()
        while True:
            worker = self._worker
            if worker is not None and worker.alive:
                return worker
            if self._closing:
                raise EngineUnavailable("the server is shutting down")
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise EngineUnavailable("the query engine is restarting; try again")
            if self._worker is None and not self._lock.locked():
                # Nobody is starting one (a failed start): try now.
                async with self._lock:
                    if self._worker is None:
                        try:
                            await self._spawn()
                        except EngineUnavailable:
                            await asyncio.sleep(min(1.0, remaining))
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._ready.wait(), min(remaining, 1.0))

    # -- calls ---------------------------------------------------------------------------
    async def call(
        self,
        operation: Callable[Concatenate[Context, Principal, _P], _R],
        principal: Principal,
        /,
        *args: _P.args,
        **kwargs: _P.kwargs,
    ) -> _R:
        """Run ``operation(context, principal, *args, **kwargs)`` in the engine process, under
        the write time limit if the operation writes, else the read limit, in the operation's
        lane. A read identical to one in flight (operation, caller, arguments) gets that one's
        answer. The caller's share of the lane's slots is counted by :func:`fairness_key`
        (the principal's token, else :data:`client_address`).

        ``operation`` is a function of :mod:`graph.server.service` marked as an operation
        (TypeError otherwise, before anything is sent). Raises EngineError (with the HTTP
        status of the failure), EngineTimeout, EngineBusy or EngineUnavailable.
        """
        result: _R = await self._call(operation, principal, args, kwargs, None)
        return result

    async def call_json(
        self,
        operation: Callable[Concatenate[Context, Principal, _P], Any],
        principal: Principal,
        /,
        *args: _P.args,
        **kwargs: _P.kwargs,
    ) -> bytes:
        """:meth:`call`, but the answer is its JSON text (UTF-8), encoded in the engine
        process by :func:`graph.server.service.encode_json` exactly as a ``JSONResponse``
        would encode it; a route sends these bytes as they are. A large answer (the
        explorer's: megabytes) thus costs the server's event loop neither the decoding of an
        object nor its encoding, which would hold up every other request meanwhile."""
        body: bytes = await self._call(operation, principal, args, kwargs, "json")
        return body

    async def _call(
        self,
        operation: Callable[..., Any],
        principal: Principal,
        args: tuple,
        kwargs: dict,
        encoding: str | None,
    ) -> Any:
        ref = reference(operation)
        write = service.writes(operation)
        lane = self.lanes[service.lane(operation)]
        caller = fairness_key(principal)
        arguments = (principal, *args)
        if write:
            # Reads asked from now on must see this write: none is answered from the cache,
            # nor joins a flight, begun before it.
            self.answers.writing()
            try:
                answer = await self._run(lane, caller, ref, arguments, kwargs, encoding, write=True)
            finally:
                self._flights.clear()
                self.answers.written()
                # (a write that failed too: one cut short may have been applied)
                for listener in self.written:
                    listener()
        elif not service.shared(operation):
            answer = await self._run(lane, caller, ref, arguments, kwargs, encoding, write=False)
        else:
            # The arguments pickled once, for both keys (a principal compares by its fields).
            asked = pickle.dumps((args, kwargs, encoding), protocol=pickle.HIGHEST_PROTOCOL)
            key = (ref, asked, principal)
            kept = self.answers.enabled and service.cacheable(operation, args, kwargs)
            # What the caller may see (its role and grants), not who it is: callers who see
            # the same share the answers kept.
            cache_key = (ref, asked, principal.role, principal.grants) if kept else None
            if cache_key is not None and (hit := self.answers.get(cache_key)) is not None:
                result, version = hit
                answer = (result, version, (0.0, 0.0, 0.0))
            else:
                flight = self._flights.get(key)
                if flight is not None:
                    lane.shared += 1
                    flight.joined += 1
                    # A caller that goes away does not cancel the answer others wait for.
                    answer = await asyncio.shield(flight.answer)
                else:
                    answer = await self._lead(
                        key,
                        cache_key,
                        lambda: self._run(
                            lane, caller, ref, arguments, kwargs, encoding, write=False
                        ),
                    )
        result, version, (waited, engine, computed) = answer
        # Noted in the caller's own context: a shared flight runs in its first caller's.
        note = call_notes.get()
        if note is not None:
            note.version = version
            note.waited += waited
            note.engine += engine
            note.computed += computed
        return result

    async def _lead(
        self,
        key: tuple[Reference, bytes, Principal],
        cache_key: tuple[Any, ...] | None,
        run: Callable[[], Coroutine[Any, Any, _Answer]],
    ) -> _Answer:
        """Run a read (``run()``: its call by :meth:`_run`) as the first caller of its flight,
        in the caller's own task: no task and shield per call (most reads are joined by
        nobody), the answer handed to those who joined meanwhile and filed in the cache (if
        ``cache_key``) as begun now."""
        flight = _Flight(asyncio.get_running_loop().create_future())
        self._flights[key] = flight
        generation = self.answers.generation
        try:
            answer = await run()
        except asyncio.CancelledError:
            self._landed(key, flight)
            # The caller went away: those who joined still get an answer (not at shutdown).
            if flight.joined and not self._closing:
                task = self._background(run())
                task.add_done_callback(lambda done: _settle(flight.answer, done))
            else:
                flight.answer.cancel()
            raise
        except BaseException as error:
            self._landed(key, flight)
            flight.answer.set_exception(error)
            raise
        self._landed(key, flight)
        flight.answer.set_result(answer)
        if cache_key is not None:
            result, version, _ = answer
            self.answers.put(cache_key, generation, (result, version))
        return answer

    def _landed(self, key: tuple[Reference, bytes, Principal], flight: _Flight) -> None:
        if self._flights.get(key) is flight:
            del self._flights[key]

    async def _run(
        self,
        lane: _Lane,
        caller: str,
        ref: Reference,
        arguments: tuple,
        kwargs: dict,
        encoding: str | None,
        *,
        write: bool,
    ) -> tuple[Any, str, tuple[float, float, float]]:
        """One call of ``caller`` in ``lane``: a place in its queue, a slot, then the engine
        process; its result (encoded in the engine process when ``encoding`` names a format,
        ``"json"``), the view version (see :func:`graph.server.service.run`) and the seconds
        it waited for the slot, spent in the engine process and computed there (see
        :class:`CallNotes`)."""
        limit = self.write_timeout if write or call_in_background.get() else self.timeout
        loop = asyncio.get_running_loop()
        entered = loop.time()
        try:
            ticket = await lane.enter(caller, limit)
        except TimeoutError:
            raise EngineBusy(limit, retry_after=lane.retry_after()) from None
        # Still running after promote_after: a heavy slot, and this one for the next call.
        promotion = (
            loop.call_later(self.promote_after, lane.promote, ticket) if lane.heavy else None
        )
        started = loop.time()
        try:
            deadline = started + limit
            while True:
                worker = await self._current(deadline)
                call_id = next(self._ids)
                try:
                    pending = worker.send(call_id, ref, arguments, kwargs, write, encoding)
                except _WorkerGone:
                    continue
                pending.progress = call_progress.get()
                lane.calls += 1
                sent = loop.time()
                # One timer, not wait_for's task and shield: cheap queries pay for each. A
                # write's future is shielded: it stays pending while the write runs, even if
                # its caller goes away, since a restart waits for the writes in flight.
                expiry = loop.call_at(deadline, _expire, pending.future)
                try:
                    ok, payload = await (
                        asyncio.shield(pending.future) if write else pending.future
                    )
                except TimeoutError:
                    worker.forget(call_id)
                    # The caller hears at once; the restart goes on in the background (other
                    # calls wait for it in _current).
                    self._background(self._restart(worker, call_id))
                    # The restart takes the process out of use before the caller hears, so
                    # that the caller's next call waits for the new one instead of failing.
                    await asyncio.sleep(0)
                    raise EngineTimeout(limit, write, call_in_background.get()) from None
                except _WorkerGone:
                    if write:
                        raise EngineUnavailable(
                            "the query engine stopped while your write ran; it was applied "
                            "entirely or not at all: check before retrying"
                        ) from None
                    if not worker.killed:
                        raise EngineCrashed() from None  # it may be the call that crashed it
                    if loop.time() >= deadline:
                        raise EngineTimeout(limit, background=call_in_background.get()) from None
                    continue  # a read: run it again in the new engine process
                finally:
                    expiry.cancel()
                if ok:
                    result, version, computed = payload
                    return result, version, (started - entered, loop.time() - sent, computed)
                raise EngineError(*payload)
        finally:
            if promotion is not None:
                promotion.cancel()
            lane.leave(ticket)
            lane.took(loop.time() - started)

    def load(self) -> dict[str, dict[str, int]]:
        """Per lane: its slots, the calls running and waiting, and since start the calls sent
        to the engine process, the reads answered by an identical one in flight, and the
        calls refused because its queue was full."""
        return {name: lane.stats() for name, lane in self.lanes.items()}


# ---------------------------------------------------------------------------------------------
# The engine process


class _Encoded:
    """The engine process's last large encoded answers, by operation, arguments, encoding and
    view version (the caller is among the arguments): an answer asked again before the next
    write to the caller's datasets is encoded once, not once per request (the explorer's data:
    megabytes, tens of ms of JSON encoding holding the GIL). Answers without a version (none
    from :func:`graph.server.service.run` today) are never kept."""

    def __init__(self, entries: int = 8, smallest: int = 1 << 16) -> None:
        self.entries = entries
        self.smallest = smallest
        self._bodies: OrderedDict[tuple[Any, ...], bytes] = OrderedDict()
        self._lock = threading.Lock()

    def encode(
        self,
        function: Callable[..., Any],
        args: tuple,
        kwargs: dict,
        answer: tuple[Any, str | None],
        encoding: str,
    ) -> bytes:
        """``answer`` (result, version) of ``function(*args, **kwargs)``: its result encoded
        (:func:`graph.server.service.encode`), or the bytes kept for the same call and version."""
        result, version = answer
        if version is None:
            return service.encode(result, encoding)
        key = (function, encoding, version, pickle.dumps((args, kwargs), pickle.HIGHEST_PROTOCOL))
        with self._lock:
            body = self._bodies.get(key)
            if body is not None:
                self._bodies.move_to_end(key)
                return body
        body = service.encode(result, encoding)
        if len(body) >= self.smallest:
            with self._lock:
                self._bodies[key] = body
                while len(self._bodies) > self.entries:
                    self._bodies.popitem(last=False)
        return body


def _lower_priority(nice: int) -> None:
    """Lower the CPU priority of the calling thread by ``nice`` (Linux, where niceness is
    per thread; elsewhere, and when refused, nothing)."""
    if nice <= 0 or not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError):
        tid = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, tid, os.getpriority(os.PRIO_PROCESS, tid) + nice)


def _read_exact(stream: BinaryIO, size: int) -> bytes | None:
    data = stream.read(size)
    if data is None or len(data) < size:
        return None
    return data


def serve(fd: int, spec: StoreSpec) -> int:
    """The engine process: open the store, then run calls until the socket closes.

    This thread reads the calls from the socket and hands each to the queue of its
    operation's lane; each lane has ``spec.slots(lane)`` threads of its own, so that a lane's
    calls never wait for another lane's threads.
    """
    sock = socket.socket(fileno=fd)
    if sock.recv(1) != _GO:  # a standby the server no longer needs
        return 0
    send_lock = threading.Lock()

    def send(message: tuple[int, bool | None, Any]) -> None:
        try:
            data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as error:  # a result that cannot be pickled: a bug
            data = pickle.dumps(
                (message[0], False, service.describe_error(error, "sending a result"))
            )
        header = _HEADER.pack(len(data))
        with send_lock:
            if len(data) < 1 << 16:
                sock.sendall(header + data)
            else:  # no copy of a large result
                sock.sendall(header)
                sock.sendall(data)

    cache.set_max_bytes(spec.metrics_cache_bytes)
    try:
        use_backend(spec.nx_backend)  # (refused here too, for a server a library user built)
        store = spec.open()
    except Exception as error:
        with contextlib.suppress(OSError):
            send((0, False, service.describe_error(error)))
        return 1
    context = Context(store, allow=spec.allow)
    stream = sock.makefile("rb")
    Call = tuple[int, Callable[..., Any], tuple, dict, str | None]
    lanes: dict[str, queue.SimpleQueue[Call | None]] = {
        lane: queue.SimpleQueue() for lane in service.LANES
    }

    encoded = _Encoded()

    def steps_sent(call_id: int) -> Progress:
        """Where call ``call_id`` tells its progress: to the server as it goes, a few steps a
        second (see :data:`call_progress`)."""

        def step_sent(step: Any) -> None:
            with contextlib.suppress(OSError):  # the server is gone: the call goes on
                send((call_id, None, step))

        return Throttle(step_sent, PROGRESS_EVERY)

    def work(calls: queue.SimpleQueue[Call | None], nice: int, analysis: bool) -> None:
        _lower_priority(nice)
        while (call := calls.get()) is not None:
            call_id, function, args, kwargs, encoding = call
            began = time.perf_counter()
            told = service.progress_of_call.set(steps_sent(call_id))
            try:
                # (result, view version): see service.run
                result, version = service.run(function, context, *args, **kwargs)
                if encoding is not None:
                    result = encoded.encode(function, args, kwargs, (result, version), encoding)
                computed = time.perf_counter() - began
                reply: tuple[int, bool, Any] = (call_id, True, (result, version, computed))
            except BaseException as error:
                reply = (call_id, False, service.describe_error(error, function.__qualname__))
            finally:
                service.progress_of_call.reset(told)
            with contextlib.suppress(OSError):
                send(reply)
            if analysis:
                # A report's working set (its simple view, scores, query results) is freed
                # now: its pages go back, so that the resident memory is what the engine holds.
                del reply
                release_freed_memory()

    try:
        send((0, True, {"pid": os.getpid(), "started": time.time()}))
    except OSError:  # the server is gone already
        store.close()
        return 1
    # A thread for each slot and heavy slot: the server sends no more calls than that.
    count = {lane: spec.slots(lane) + spec.heavy(lane) for lane in lanes}
    nice = {lane: spec.analysis_nice if lane == "analysis" else 0 for lane in lanes}
    threads = [
        threading.Thread(
            target=work,
            args=(calls, nice[lane], lane == "analysis"),
            name=f"engine-{lane}-{i}",
            daemon=True,
        )
        for lane, calls in lanes.items()
        for i in range(count[lane])
    ]
    for thread in threads:
        thread.start()
    try:
        while True:
            header = _read_exact(stream, _HEADER.size)
            body = None if header is None else _read_exact(stream, _HEADER.unpack(header)[0])
            message = None if body is None else pickle.loads(body)
            if message is None or message[1] == _STOP:
                break
            call_id, ref, args, kwargs, encoding = message
            try:
                function = resolve(ref)
            except TypeError as error:
                with contextlib.suppress(OSError):
                    send((call_id, False, service.describe_error(error, str(ref))))
                continue
            lanes[service.lane(function)].put((call_id, function, args, kwargs, encoding))
        # Stop: each thread finishes the calls queued before, then ends.
        for lane, calls in lanes.items():
            for _ in range(count[lane]):
                calls.put(None)
        for thread in threads:
            thread.join()
    finally:
        store.close()
    return 0


if __name__ == "__main__":
    import signal

    from graph.server import logs

    # The server stops this process (its socket closes) once its requests are answered; a
    # SIGTERM or SIGINT meant for the server must not cut an upload short: Ctrl-C signals
    # the terminal's process group, systemd every process of the service. (The process stays
    # in the server's group, so that a SIGKILL to the group still reaches it.)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # The tracebacks of internal errors go to the server's stderr, each under its request id,
    # in the server's format (text for an engine of a library user's own).
    logs.configure(os.environ.get(logs.ENVIRONMENT, "text"), process="engine")
    sys.exit(serve(int(sys.argv[1]), StoreSpec.from_json(sys.argv[2])))
