"""A cartesian update (issue 17, item 3): an editor's ``INSERT … WHERE`` over the product of
``--patterns`` copies of ``?s ?p ?o`` in one dataset (41 triples: 41**patterns solutions), sent
to a live ``recruitgraph serve`` with the update limit (``--max-update-triples``, default
100,000) and again with the limit lifted (10**15), each on a fresh server. For each: the
answer, its time, whether the store version moved, and the engine's peak memory during the
request over its memory before (``/proc/PID/clear_refs`` resets the peak first).

    PYTHONPATH=. python bench/update_size.py --patterns 4

Prints one JSON object per run.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import httpx

from bench.upload_limits import peak_kib, reset_peak
from graph.model.namespaces import dataset_iri
from graph.server.auth import TokenStore
from tests.helpers import build_data, start_server, stop

PUB = dataset_iri("pub")


def run(patterns: int, limit: int) -> dict[str, object]:
    work = Path(tempfile.mkdtemp(prefix="rg-update-bench-"))
    data = work / "data"
    build_data(data, work)
    tokens = TokenStore(data)
    editor = tokens.create("editor", "bench-editor", ())
    admin = tokens.create("admin", "bench-admin", ())
    server = start_server(
        data, work / "server.log", "--data-dir", str(data), "--max-update-triples", str(limit)
    )
    try:
        engine = server.engine_pid()
        assert engine is not None
        product = " . ".join(f"?s{i} ?p{i} ?o{i}" for i in range(patterns))
        update = (
            f"INSERT {{ GRAPH <{PUB}> {{ ?s0 <http://example.org/q> ?s1 }} }} "
            f"WHERE {{ GRAPH <{PUB}> {{ {product} }} }}"
        )
        with httpx.Client(base_url=server.base, timeout=900) as client:
            as_admin = {"Authorization": f"Bearer {admin}"}
            version = client.get("/healthz", headers=as_admin).json()["version"]
            held = reset_peak(engine)
            started = time.perf_counter()
            answer = client.post(
                "/sparql",
                content=update,
                headers={
                    "Authorization": f"Bearer {editor}",
                    "Content-Type": "application/sparql-update",
                },
            )
            seconds = time.perf_counter() - started
            after = client.get("/healthz", headers=as_admin).json()["version"]
        return {
            "patterns": patterns,
            "solutions": 41**patterns,
            "max_update_triples": limit,
            "status": answer.status_code,
            "answer": answer.text[:200],
            "seconds": round(seconds, 2),
            "version_moved": after != version,
            "engine_rss_before_mib": round(held / 1024, 1),
            "engine_peak_growth_mib": round((peak_kib(engine) - held) / 1024, 1),
        }
    finally:
        stop(server.process)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--patterns", type=int, default=4)
    parser.add_argument("--max-update-triples", type=int, default=100_000)
    parser.add_argument("--skip-uncapped", action="store_true")
    args = parser.parse_args()
    print(json.dumps(run(args.patterns, args.max_update_triples)), flush=True)
    if not args.skip_uncapped:
        print(json.dumps(run(args.patterns, 10**15)), flush=True)


if __name__ == "__main__":
    main()
