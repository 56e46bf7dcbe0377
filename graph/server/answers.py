"""A cache of whole answers in the server process, bounded in bytes, that no write outlives.

The engine process computes; this cache keeps what it answered to reads whose answer is bytes
(a SPARQL result as serialized, a report as JSON text), so that a dashboard, a notebook or the
explorer asking the same again is answered without a trip to the engine process, a slot of a
lane or the work itself. An entry is filed under the key of the call (the operation, the caller's
role and grants, the arguments: see :meth:`graph.server.engine.Engine._call`) and the
*generation* of the store as the server knows it: every write the server sends moves the
generation when it starts and again when it ends, so that

* no read asked after a write began is answered from before it (its generation is another);
* an answer is filed only when the generation did not move while it was computed: an answer
  begun before a write and landing after it is given to its callers, not kept.

That holds only where every write passes through this server: an embedded store, which the
server holds locked. A remote store may be written by others, so the cache is off there
(:attr:`graph.server.engine.StoreSpec.answer_cache_bytes` is 0).

Size is the bytes of the answers (and of their keys); the least recently used go first, and an
answer larger than an eighth of the bound is never kept, so that one large export cannot empty
the cache of everything the dashboards ask.

>>> cache = AnswerCache(1000)
>>> generation = cache.generation
>>> cache.put(("q", b"ASK {}"), generation, (b'{"boolean": true}', "v1"))
True
>>> cache.get(("q", b"ASK {}"))
(b'{"boolean": true}', 'v1')
>>> cache.writing()  # a write begins: nothing from before it is given any more
>>> cache.get(("q", b"ASK {}")) is None
True
>>> cache.written()
>>> cache.stats()["entries"]
0
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from typing import Any

__all__ = ["AnswerCache", "answer_size"]


def answer_size(answer: Any) -> int | None:
    """The bytes ``answer`` holds, when it is bytes or text or a tuple of those and of small
    scalars (a SPARQL result: body, media type, truncated); None for anything else, whose
    size cannot be told cheaply and which is never kept."""
    if isinstance(answer, bytes | str):
        return len(answer)
    if isinstance(answer, tuple):
        total = 0
        for part in answer:
            if isinstance(part, bool | int | float) or part is None:
                total += 8
                continue
            size = answer_size(part)
            if size is None:
                return None
            total += size
        return total
    return None


class AnswerCache:
    """Answers by call key, at most ``max_bytes`` of them (0: off), valid for the current
    generation of the store (see the module's description)."""

    #: The largest share of the bound one answer may take.
    LARGEST = 8

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.generation = 0
        #: Writes begun and not yet ended.
        self._writes = 0
        self._entries: OrderedDict[Hashable, tuple[int, Any, int]] = OrderedDict()
        self.bytes = 0
        self.hits = 0
        self.misses = 0
        self.kept = 0
        self.evicted = 0

    @property
    def enabled(self) -> bool:
        return self.max_bytes > 0

    def get(self, key: Hashable) -> Any | None:
        """The answer filed under ``key`` at the current generation, or None."""
        if not self.enabled:
            return None
        entry = self._entries.get(key)
        if entry is None or entry[0] != self.generation or self._writes:
            self.misses += 1
            return None
        self._entries.move_to_end(key)
        self.hits += 1
        return entry[1]

    def put(self, key: Hashable, generation: int, answer: Any) -> bool:
        """File ``answer``, computed from a call begun at ``generation``: only if no write
        began since (nor was running then), it is small enough, and its size can be told."""
        if not self.enabled or generation != self.generation or self._writes:
            return False
        size = answer_size(answer)
        if size is None:
            return False
        size += len(key[1]) if isinstance(key, tuple) and isinstance(key[1], bytes) else 64
        if size > self.max_bytes // self.LARGEST:
            return False
        old = self._entries.pop(key, None)
        if old is not None:
            self.bytes -= old[2]
        self._entries[key] = (generation, answer, size)
        self.bytes += size
        self.kept += 1
        while self.bytes > self.max_bytes:
            _, (_, _, dropped) = self._entries.popitem(last=False)
            self.bytes -= dropped
            self.evicted += 1
        return True

    def writing(self) -> None:
        """A write begins: every answer filed so far is stale from now on."""
        self._writes += 1
        self._moved()

    def written(self) -> None:
        """A write ended (done, failed or cut short): what was read meanwhile is not kept."""
        self._writes -= 1
        self._moved()

    def _moved(self) -> None:
        self.generation += 1
        self._entries.clear()
        self.bytes = 0

    def stats(self) -> dict[str, int]:
        """Entries, bytes and the bound; since start: hits, misses, answers kept, evicted."""
        return {
            "entries": len(self._entries),
            "bytes": self.bytes,
            "max_bytes": self.max_bytes,
            "hits": self.hits,
            "misses": self.misses,
            "kept": self.kept,
            "evicted": self.evicted,
        }
