"""What an editor's small update costs the server (issue 14, item 3: writes that scripts send):
``INSERT DATA`` of one triple into a named dataset graph, and into the default graph (rewritten
to the edits dataset, see graph.sparql.update_dataset), each through
:func:`graph.server.service.sparql_update` over an in-memory store, ``--count`` times after 20
warm-up updates. Run it on the commit before and after a change to compare.

    PYTHONPATH=. python bench/update_writes.py --count 300

Prints one JSON object per kind: milliseconds per update.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable

import pyoxigraph as ox

from graph.ingest.load import dataset_contents, dataset_description
from graph.model.namespaces import dataset_iri
from graph.server.auth import Principal
from graph.server.service import Context, sparql_update
from graph.store import open_store

PUB = dataset_iri("pub")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=300)
    args = parser.parse_args()
    store = open_store(in_memory=True)
    triple = ox.Triple(ox.NamedNode("http://x/s"), ox.NamedNode("http://x/p"), ox.Literal("x"))
    store.replace_graphs(
        dataset_contents(PUB, [triple], dataset_description("pub", checksum="none", files=()))
    )
    ctx = Context(store)
    editor = Principal("editor", "bench")
    kinds: dict[str, Callable[[int], str]] = {
        "named graph": lambda i: (
            f"INSERT DATA {{ GRAPH <{PUB}> {{ <http://x/s{i}> <http://x/p> {i} }} }}"
        ),
        "default graph": lambda i: f"INSERT DATA {{ <http://x/s{i}> <http://x/p> {i} }}",
    }
    for kind, update in kinds.items():
        for i in range(20):
            sparql_update(ctx, editor, update(-i - 1))
        start = time.perf_counter()
        for i in range(args.count):
            sparql_update(ctx, editor, update(i))
        per = (time.perf_counter() - start) / args.count * 1e3
        print(json.dumps({"kind": kind, "count": args.count, "ms_per_update": round(per, 2)}))


if __name__ == "__main__":
    main()
