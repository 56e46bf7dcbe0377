"""Derived results kept on disk beside an embedded store, so that a server started again over
the same store finds them instead of computing them again (the landing page's figures: minutes
at 100,000 actors, issue 13 item 3).

A result is filed under its *state*: a digest of the store's version and write stamps
(:meth:`graph.store.Store.stamps`), which every write renews and which a crash during a write
leaves ahead of the data, never behind (:class:`~graph.store.EmbeddedStore` saves them before
it commits). Since stamps are drawn at random, no other state of this or any other store has
the same digest, so a result found under the store's current state was computed from exactly
the data the store holds now. The file's name also holds a digest of the key and of the code
that computes results (this package's modules, its ontology and the versions of the libraries
the figures come from), so that an upgrade never serves a result computed by older code.

Only the results of the store's current state are worth keeping: each one filed removes those
of any other state, and the least recently used go while the files hold more than
:data:`MAX_BYTES`. The one exception is a kind's *latest* result for a key
(:func:`keep_latest`): kept across writes, so that a reader can be shown it, marked as
earlier, while the result of the store as it is now is computed. A file that cannot be read
is removed and its result computed again; a file that cannot be written is logged and
skipped: this is a cache, never the data. An in-memory store and a remote store (whose other
writers this process does not see) keep nothing.

Files are JSON, so only results made of JSON's types (dicts with string keys, lists, strings,
numbers, booleans, None) are kept, and a list comes back where a tuple went in.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import json
import logging
import os
import re
import tempfile
import time
from collections.abc import Callable, Hashable
from datetime import date
from importlib import metadata, resources
from pathlib import Path
from typing import Any, TypeVar

from graph.store.consistency import consistent
from graph.store.stores import Store

__all__ = [
    "MAX_BYTES",
    "cached_on_disk",
    "code_digest",
    "keep_latest",
    "latest_kept",
    "state_digest",
]

log = logging.getLogger("recruitgraph.store")

T = TypeVar("T")

#: The most bytes of results kept in a store's directory (the landing page's figures of
#: 100,000 actors take about 6 MB).
MAX_BYTES = 256 * 1024**2

#: The directory of the results, inside the store's own.
DIRECTORY = "derived"

#: The libraries whose versions a result depends on besides this package's code.
_LIBRARIES = ("networkx", "numpy", "scipy", "pyoxigraph")

#: What stands for the state in the name of a latest result (:func:`keep_latest`).
LATEST = "latest"

_PARTIAL = ".partial"
_KIND = re.compile(r"[a-z][a-z0-9_]*")
_NAME = re.compile(
    r"(?P<kind>[a-z][a-z0-9_]*)-(?P<key>[0-9a-f]{32})-(?P<state>[0-9a-f]{32}|latest)\.json"
)


def cached_on_disk(store: Store, kind: str, key: Hashable, compute: Callable[[], T]) -> T:
    """The result of ``compute()`` for ``store`` at its current state, ``kind`` and ``key``:
    read from the store's directory if a result was filed there at this state, else computed
    (from one state of the store: :func:`~graph.store.consistency.consistent`) and filed.

    ``kind`` names what is computed (lower case, digits and ``_``); ``key`` is what the result
    depends on besides the store and the code (its parameters): made of JSON's types, tuples,
    sets, dates and dataclasses of these (told apart by value, whatever the order of a set),
    else nothing is kept.

    Examples
    --------
    >>> import tempfile
    >>> from graph.store import EmbeddedStore
    >>> folder = tempfile.TemporaryDirectory()
    >>> store = EmbeddedStore(folder.name)
    >>> calls = []
    >>> def count() -> dict:
    ...     calls.append(1)
    ...     return {"graphs": len(store.graph_names())}
    >>> cached_on_disk(store, "graphs", (), count), cached_on_disk(store, "graphs", (), count)
    ({'graphs': 0}, {'graphs': 0})
    >>> len(calls)
    1
    >>> store.update("INSERT DATA { GRAPH <urn:g> { <urn:s> <urn:p> 1 } }", graphs=["urn:g"])
    >>> cached_on_disk(store, "graphs", (), count)["graphs"] > 0, len(calls)
    (True, 2)
    >>> store.close(); folder.cleanup()
    """
    state = state_digest(store)
    stem = _stem(store, kind, key)
    if stem is None or state is None:
        return compute()
    folder, prefix = stem
    name = f"{prefix}-{state}.json"
    found = _read(folder / name)
    if found is not None:
        value: T = found[0]
        return value
    _, value = consistent(store, compute)
    # Computed at one version, no earlier than the state's; still the state: computed at it.
    if state_digest(store) == state:
        _file(folder, name, value, state)
    return value


def keep_latest(store: Store, kind: str, key: Hashable, value: Any) -> None:
    """File ``value`` as the latest result of ``kind`` for ``key`` in ``store``'s directory,
    in place of the one before: unlike :func:`cached_on_disk`'s results, it stays there after
    writes (until the next one replaces it, or it is the least recently used past
    :data:`MAX_BYTES`), so that it can be shown, as what was computed earlier, while the
    result for the store as it is now is computed. What it was computed from (the version,
    the time) is the caller's to put in ``value``.

    >>> import tempfile
    >>> from graph.store import EmbeddedStore
    >>> folder = tempfile.TemporaryDirectory()
    >>> store = EmbeddedStore(folder.name)
    >>> keep_latest(store, "graphs", "all", {"graphs": 0, "version": store.version})
    >>> store.update("INSERT DATA { GRAPH <urn:g> { <urn:s> <urn:p> 1 } }", graphs=["urn:g"])
    >>> latest_kept(store, "graphs", "all"), latest_kept(store, "graphs", "other")
    ({'graphs': 0, 'version': 0}, None)
    >>> store.close(); folder.cleanup()
    """
    stem = _stem(store, kind, key)
    if stem is not None:
        folder, prefix = stem
        _file(folder, f"{prefix}-{LATEST}.json", value, None)


def latest_kept(store: Store, kind: str, key: Hashable) -> Any | None:
    """The latest result of ``kind`` for ``key`` filed by :func:`keep_latest` in ``store``'s
    directory (at this or an earlier state of the store, by this code), or None."""
    stem = _stem(store, kind, key)
    if stem is None:
        return None
    folder, prefix = stem
    found = _read(folder / f"{prefix}-{LATEST}.json")
    return None if found is None else found[0]


def _stem(store: Store, kind: str, key: Hashable) -> tuple[Path, str] | None:
    """(the folder of ``store``'s results, the start of the name of a result of ``kind`` for
    ``key`` by this code: its kind and a digest of its key and the code); None where nothing
    is kept (a store without a directory, a key of other types than those a key is told by)."""
    if not _KIND.fullmatch(kind):
        raise ValueError(f"a kind of result is lower case, digits and '_', not {kind!r}")
    directory = store.directory
    if directory is None:
        return None
    try:
        told = json.dumps([_canonical(key), code_digest()])
    except TypeError:  # a key of other types than those a key is told by: nothing kept
        return None
    return directory / DIRECTORY, f"{kind}-{_digest(told)}"


def state_digest(store: Store) -> str | None:
    """A digest of ``store``'s version and write stamps, read together (None while a write is
    being committed): the same as long as no write is committed, and never the same again
    after one.

    >>> from graph.store import EmbeddedStore
    >>> store = EmbeddedStore()
    >>> before = state_digest(store)
    >>> store.update("INSERT DATA { GRAPH <urn:g> { <urn:s> <urn:p> 1 } }", graphs=["urn:g"])
    >>> before == state_digest(store), len(before or "")
    (False, 32)
    """
    version = store.stable_version()
    if version is None:
        return None
    stamps = store.stamps()
    if store.stable_version() != version:  # a write landed between the two reads
        return None
    return _digest(json.dumps([version, sorted(stamps.items())]))


@functools.cache
def code_digest() -> str:
    """A digest of the code that computes results: this package's modules, its ontology and
    data files, and the versions of the libraries the figures come from (read once)."""
    digest = hashlib.sha256()
    package = Path(__file__).resolve().parent.parent
    files = sorted(
        path
        for suffix in ("*.py", "*.csv")
        for path in package.rglob(suffix)
        if "__pycache__" not in path.parts
    )
    for path in files:
        digest.update(path.relative_to(package).as_posix().encode("utf-8"))
        digest.update(path.read_bytes())
    # (the ontology is a linked directory, which rglob does not enter)
    for entry in sorted(resources.files("graph.ontologies").iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".ttl"):
            digest.update(entry.name.encode("utf-8"))
            digest.update(entry.read_bytes())
    for library in _LIBRARIES:
        try:
            digest.update(f"{library} {metadata.version(library)}".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{library} -".encode())
    return digest.hexdigest()[:32]


def _canonical(value: Any) -> Any:
    """``value`` in JSON's types, the same in every process (a set's order is not: sorted).

    >>> _canonical((frozenset({"b", "a"}), date(2024, 1, 1), None))
    [['a', 'b'], '2024-01-01', None]
    """
    if value is None or isinstance(value, (str, int, float)):
        return value
    if isinstance(value, (list, tuple)):
        return [_canonical(item) for item in value]
    if isinstance(value, (set, frozenset)):
        return sorted((_canonical(item) for item in value), key=json.dumps)
    if isinstance(value, dict):
        return sorted(([_canonical(k), _canonical(v)] for k, v in value.items()), key=json.dumps)
    if isinstance(value, date):  # (and a datetime)
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {f.name: _canonical(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return [type(value).__qualname__, fields]
    raise TypeError(f"a key holds a {type(value).__name__}")


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def _read(path: Path) -> tuple[Any] | None:
    """(the result filed at ``path``,), or None when there is none; a file that cannot be
    read is removed (it is computed again and filed anew)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as error:
        log.warning("cannot read the kept result %s (%s); computing it again", path, error)
        return None
    try:
        value = json.loads(data)
    except ValueError:
        log.warning("the kept result %s is damaged; computing it again", path)
        path.unlink(missing_ok=True)
        return None
    with contextlib.suppress(OSError):  # (removed meanwhile)
        os.utime(path)  # recently used: the last to go (_prune)
    return (value,)


def _file(folder: Path, name: str, value: Any, state: str | None) -> None:
    """File ``value`` as ``folder``/``name``, whole or not at all; then remove the results of
    states other than ``state`` (None: a latest result, which removes none) and the least
    recently used past :data:`MAX_BYTES`."""
    try:
        text = json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    except (TypeError, ValueError) as error:  # not made of JSON's types: not kept
        log.debug("not keeping a %s result on disk: %s", name, error)
        return
    partial: Path | None = None
    try:
        folder.mkdir(exist_ok=True)
        with tempfile.NamedTemporaryFile(
            "w", encoding="utf-8", dir=folder, prefix=".", suffix=_PARTIAL, delete=False
        ) as file:
            partial = Path(file.name)
            file.write(text)
        os.replace(partial, folder / name)
    except OSError as error:
        log.warning("cannot keep a result in %s (%s)", folder, error)
        if partial is not None:
            partial.unlink(missing_ok=True)
        return
    _prune(folder, state)


def _prune(folder: Path, state: str | None) -> None:
    """Remove the results of states other than ``state`` (never found again; None: none
    removed) but the latest ones, and leftovers of writes cut short (ten minutes old), then
    the least recently used past :data:`MAX_BYTES`, latest ones too."""
    kept: list[tuple[float, int, Path]] = []
    now = time.time()
    for path in folder.iterdir():
        match = _NAME.fullmatch(path.name)
        try:
            if match is None:
                # a write of another thread under way, or one cut short long ago
                if path.name.endswith(_PARTIAL) and now - path.stat().st_mtime > 600:
                    path.unlink(missing_ok=True)
                continue
            if state is not None and match["state"] not in (state, LATEST):
                path.unlink(missing_ok=True)
                continue
            stat = path.stat()
        except OSError:  # removed meanwhile by another thread
            continue
        kept.append((stat.st_mtime, stat.st_size, path))
    total = sum(size for _, size, _ in kept)
    for _, size, path in sorted(kept, key=lambda entry: entry[0]):
        if total <= MAX_BYTES:
            break
        path.unlink(missing_ok=True)
        total -= size
