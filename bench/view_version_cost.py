"""The cost of write stamps and view versions (issue 17, item 4): the time of one
``EmbeddedStore.update`` on disk (which saves the version and the stamps, one fsync) and of one
:func:`graph.store.view_version` over 20 graphs.

    PYTHONPATH=. python bench/view_version_cost.py

Prints one JSON object: update_ms (mean of 200 updates), view_version_us (mean of 10,000).
"""

from __future__ import annotations

import json
import tempfile
import time
import timeit

from graph.store import EmbeddedStore, view_version


def main() -> None:
    with tempfile.TemporaryDirectory() as directory, EmbeddedStore(directory) as store:
        began = time.perf_counter()
        for i in range(200):
            graph = f"urn:g{i % 5}"
            store.update(f"INSERT DATA {{ GRAPH <{graph}> {{ <urn:s{i}> <urn:p> {i} }} }}",
                         graphs=[graph])  # fmt: skip
        update_ms = (time.perf_counter() - began) / 200 * 1000
    stamps = {f"urn:g{i}": "ab" * 8 for i in range(20)}
    seconds = timeit.timeit(lambda: view_version(stamps, list(stamps)), number=10_000)
    view_us = seconds / 10_000 * 1e6
    print(json.dumps({"update_ms": round(update_ms, 2), "view_version_us": round(view_us, 1)}))


if __name__ == "__main__":
    main()
