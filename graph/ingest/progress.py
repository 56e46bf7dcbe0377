"""Progress of the long steps of a load or restore: parse, validate, write, commit.

The loader tells a :data:`Progress` callback :class:`Step` events as it goes: which phase, how
much of it is done, of how much (None when that is not known up front), in which unit. A
:class:`Tracker` turns those events into :class:`Snapshot` s with a rate and an ETA, which
a display shows (the CLI's bar or plain lines, the HTTP job resource).

Phases, in order: ``parse`` (bytes of the input files), ``validate`` (the shapes; ``checks``
once the validator reports them, see :func:`validation_hook`), ``write`` (triples staged in
the store) and ``commit`` (the switch to the new data and, for an on-disk store, compacting:
one step without a count).

>>> seen = []
>>> clock = iter([0.0, 2.0, 4.0]).__next__
>>> track = Tracker(seen.append, clock=clock)
>>> track(Step("write", 0, 100, "triples"))
>>> track(Step("write", 50, 100, "triples"))
>>> track(Step("write", 100, 100, "triples", finished=True))
>>> [(s.done, s.rate, s.eta) for s in seen]
[(0, None, None), (50, 25.0, 2.0), (100, 25.0, 0.0)]
>>> seen[-1].line("load mine")
'load mine: write 100/100 triples (100%), 25/s, done in 4 s'
"""

from __future__ import annotations

import contextlib
import io
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from typing import IO, Any, Literal, cast

__all__ = [
    "CountedReader",
    "Progress",
    "Snapshot",
    "Step",
    "StoreProgress",
    "Throttle",
    "Tracker",
    "ValidationProgress",
    "step_of",
    "validation_hook",
    "writing",
]

Unit = Literal["triples", "bytes", "rows", "checks", "charts", "years"]


@dataclass(frozen=True)
class Step:
    """One event of a long step: ``done`` of ``total`` ``unit`` of ``phase`` (``total``
    None: not known up front); ``finished`` on the phase's last event."""

    phase: str
    done: int
    total: int | None
    unit: Unit
    finished: bool = False


#: What a load or restore tells of its progress (see :class:`Step`).
Progress = Callable[[Step], None]

#: What the store tells of a write: how many triples it has staged.
StoreProgress = Callable[[int], None]

#: What the validator calls as it runs its checks: ``(done, total)``, unit "checks".
ValidationProgress = Callable[[int, int], None]


def validation_hook(progress: Progress | None) -> ValidationProgress | None:
    """The callback for ``validate_triples(..., progress=...)`` that reports its checks to
    ``progress``, as ``checks`` done of total (None where ``progress`` is None).

    >>> seen = []
    >>> validation_hook(seen.append)(3, 12)
    >>> seen
    [Step(phase='validate', done=3, total=12, unit='checks', finished=False)]
    """
    if progress is None:
        return None
    report = progress

    def checked(done: int, total: int) -> None:
        report(Step("validate", done, total, "checks"))

    return checked


def step_of(progress: Progress | None, phase: str, unit: Unit, total: int | None = None) -> Any:
    """A context for a phase told as one step: its start (0 done) on entry and its end on a
    normal exit (with ``total`` done when known). Does nothing for ``progress`` None."""
    return _OneStep(progress, phase, unit, total)


class _OneStep:
    def __init__(self, progress: Progress | None, phase: str, unit: Unit, total: int | None):
        self.progress, self.phase, self.unit, self.total = progress, phase, unit, total

    def __enter__(self) -> None:
        if self.progress is not None:
            self.progress(Step(self.phase, 0, self.total, self.unit))

    def __exit__(self, kind: object, *_: object) -> None:
        if self.progress is not None and kind is None:
            done = self.total or 0
            self.progress(Step(self.phase, done, self.total, self.unit, finished=True))


def _amount(value: float, unit: str) -> str:
    """``value`` in ``unit`` as a person reads it: bytes in KiB, MiB or GiB.

    >>> _amount(341745, "triples"), _amount(5 * 1024**2, "bytes"), _amount(512, "bytes")
    ('341,745', '5.0 MiB', '512 B')
    """
    if unit != "bytes":
        return f"{value:,.0f}"
    for prefix, size in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if value >= size:
            return f"{value / size:.1f} {prefix}"
    return f"{value:.0f} B"


@dataclass(frozen=True)
class Snapshot:
    """Where a phase stands: a :class:`Step` with its rate (``unit`` per second, None until
    some time has passed), its ETA in seconds (None while the total or the rate is not known)
    and the seconds since the phase began."""

    phase: str
    done: int
    total: int | None
    unit: str
    rate: float | None
    eta: float | None
    elapsed: float
    finished: bool

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def amount(self) -> str:
        """How much is done: ``120,000/341,745 triples (35%)``; empty for a step without a
        count."""
        # (bytes are counted in KiB, MiB or GiB, which say the unit)
        unit = "" if self.unit == "bytes" else f" {self.unit}"
        if self.total is not None:
            share = f" ({100 * self.done / self.total:.0f}%)" if self.total else ""
            done, total = _amount(self.done, self.unit), _amount(self.total, self.unit)
            return f"{done}/{total}{unit}{share}"
        return f"{_amount(self.done, self.unit)}{unit}" if self.done else ""

    def speed(self) -> str:
        """The rate: ``52,000/s``, ``3.1 MiB/s``; empty while not known."""
        return f"{_amount(self.rate, self.unit)}/s" if self.rate is not None and self.done else ""

    def remaining(self) -> str:
        """``ETA 4 s`` while it runs (empty while not known), ``done in 9 s`` at its end."""
        if self.finished:
            return f"done in {self.elapsed:.0f} s"
        return f"ETA {self.eta:.0f} s" if self.eta is not None else ""

    def line(self, label: str) -> str:
        """One line for a log: ``label: phase done/total unit (percent), rate/s, ETA s``."""
        head = " ".join(part for part in (f"{label}: {self.phase}", self.amount()) if part)
        return ", ".join(part for part in (head, self.speed(), self.remaining()) if part)


class Tracker:
    """A :data:`Progress` callback that tells ``show`` a :class:`Snapshot` of each event,
    with the rate and ETA of its phase since the phase's first event (``clock``: seconds)."""

    def __init__(
        self, show: Callable[[Snapshot], None], *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.show = show
        self.clock = clock
        self._phase: str | None = None
        self._began = 0.0

    def __call__(self, step: Step) -> None:
        now = self.clock()
        if step.phase != self._phase:
            self._phase, self._began = step.phase, now
        elapsed = now - self._began
        rate = step.done / elapsed if elapsed > 0 and step.done else None
        eta = None
        if step.finished:
            eta = 0.0
        elif rate and step.total is not None:
            eta = max(0.0, (step.total - step.done) / rate)
        self.show(
            Snapshot(
                step.phase, step.done, step.total, step.unit, rate, eta, elapsed, step.finished
            )
        )


class Throttle:
    """A :data:`Progress` callback that passes on to ``progress`` at most one event every
    ``seconds`` per phase, besides each phase's first and last (``finished``) events.

    >>> seen = []
    >>> clock = iter([0.0, 0.5, 1.0, 3.5, 3.6]).__next__
    >>> throttled = Throttle(seen.append, 2.0, clock=clock)
    >>> for done in (0, 1, 2, 3):
    ...     throttled(Step("write", done, 4, "triples"))
    >>> throttled(Step("write", 4, 4, "triples", finished=True))
    >>> [s.done for s in seen]
    [0, 3, 4]
    """

    def __init__(
        self,
        progress: Progress,
        seconds: float,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.progress = progress
        self.seconds = seconds
        self.clock = clock
        self._phase: str | None = None
        self._last = 0.0

    def __call__(self, step: Step) -> None:
        now = self.clock()
        if step.phase != self._phase or step.finished or now - self._last >= self.seconds:
            self._phase, self._last = step.phase, now
            self.progress(step)


@contextlib.contextmanager
def writing(progress: Progress | None, total: int) -> Iterator[StoreProgress | None]:
    """The callback for the store's count of triples staged (:data:`graph.store.Progress`),
    told to ``progress`` as the ``write`` phase of ``total`` triples; then the commit (the
    switch to the new data, and compacting) as one step, ended when the block ends normally.
    None for ``progress`` None."""
    if progress is None:
        yield None
        return
    report = progress
    staged = False

    def written(count: int) -> None:
        nonlocal staged
        if staged:
            return
        staged = count >= total
        report(Step("write", count, total, "triples", finished=staged))
        if staged:
            report(Step("commit", 0, None, "triples"))

    report(Step("write", 0, total, "triples"))
    yield written
    report(Step("commit", 0, None, "triples", finished=True))


class CountedReader(io.RawIOBase):
    """The binary file ``source`` as a parser reads it, telling ``progress`` the ``parse``
    phase: the bytes read, after ``before`` bytes of earlier files, of ``total``, about once a
    ``every``; each chunk read is also given to ``seen`` (a checksum's ``update``, a scan).

    >>> told = []
    >>> reader = CountedReader(io.BytesIO(b"abcdef"), told.append, total=6, every=4)
    >>> reader.read(4), reader.read(), [s.done for s in told]
    (b'abcd', b'ef', [4])
    """

    def __init__(
        self,
        source: IO[bytes],
        progress: Progress | None,
        *,
        before: int = 0,
        total: int | None = None,
        every: int = 1 << 20,
        seen: Callable[[bytes], object] | None = None,
    ) -> None:
        super().__init__()
        self.source = source
        self.progress = progress
        self.before = before
        self.total = total
        self.every = every
        self.seen = seen
        self.position = 0
        self._told = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1, /) -> bytes:
        chunk = self.source.read(-1 if size is None else size)
        if self.seen is not None and chunk:
            self.seen(chunk)
        self.position += len(chunk)
        if self.progress is not None and self.position - self._told >= self.every:
            self._told = self.position
            self.progress(Step("parse", self.before + self.position, self.total, "bytes"))
        return chunk

    def as_file(self) -> IO[bytes]:
        """This reader, typed as the file that parsers take."""
        return cast("IO[bytes]", self)

    def readinto(self, buffer: Any) -> int:
        chunk = self.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)
