"""What the killable engine process costs per query: the same trivial query (and a lookup)
run directly on pyoxigraph, through the library in-process, through the engine process, and
over HTTP (recruitgraph's server and a bare ``oxigraph serve``), one at a time.

    python bench/engine_overhead.py --data-dir DIR [--n 3000]

DIR is a recruitgraph data directory (bench/run.py leaves one in its --work directory). Every
server runs on 127.0.0.1 and is stopped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import pyoxigraph as ox

BIN = Path(sys.executable).parent
LOOKUP = (
    "SELECT ?claim ?type WHERE { ?claim <https://w3id.org/recruitgraph/ontology#from> "
    "<https://w3id.org/recruitgraph/id/federal-body/synth-1-1> ; a ?type } LIMIT 20"
)
QUERIES = {"ASK {}": "ASK {}", "lookup": LOOKUP}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _per_call(run, n: int) -> dict[str, float]:  # type: ignore[no-untyped-def]
    for _ in range(min(200, n)):
        run()
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        run()
        samples.append((time.perf_counter() - started) * 1e6)
    samples.sort()
    return {
        "mean_us": statistics.fmean(samples),
        "p50_us": samples[len(samples) // 2],
        "p99_us": samples[int(len(samples) * 0.99)],
    }


async def _engine(data_dir: str, n: int) -> dict[str, dict[str, float]]:
    from graph.server import service
    from graph.server.auth import ANONYMOUS
    from graph.server.engine import Engine, StoreSpec

    engine = Engine(StoreSpec("embedded", data_dir))
    await engine.start()
    out = {}
    try:
        for name, query in QUERIES.items():
            for _ in range(200):
                await engine.call(service.sparql_query, ANONYMOUS, query)
            samples = []
            for _ in range(n):
                started = time.perf_counter()
                await engine.call(service.sparql_query, ANONYMOUS, query)
                samples.append((time.perf_counter() - started) * 1e6)
            samples.sort()
            out[name] = {
                "mean_us": statistics.fmean(samples),
                "p50_us": samples[len(samples) // 2],
                "p99_us": samples[int(len(samples) * 0.99)],
            }
    finally:
        await engine.close()
    return out


def _in_process(data_dir: str, n: int) -> dict[str, dict[str, dict[str, float]]]:
    from graph.server.auth import ANONYMOUS
    from graph.server.service import Context, sparql_query
    from graph.store import EmbeddedStore

    store = EmbeddedStore(data_dir)
    try:
        context = Context(store)
        graphs = [ox.NamedNode(g) for g in context.readable(ANONYMOUS)]
        raw = store._store  # the bare engine, to measure it without any of our code
        out: dict[str, dict[str, dict[str, float]]] = {
            "pyoxigraph in-process": {},
            "library in-process": {},
        }
        for name, query in QUERIES.items():

            def direct(query: str = query) -> None:
                raw.query(query, default_graph=graphs, named_graphs=graphs).serialize(
                    format=ox.QueryResultsFormat.JSON
                )

            def library(query: str = query) -> None:
                sparql_query(context, ANONYMOUS, query, max_rows=100_000)

            out["pyoxigraph in-process"][name] = _per_call(direct, n)
            out["library in-process"][name] = _per_call(library, n)
        return out
    finally:
        store.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--n", type=int, default=3000)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    results: dict[str, dict[str, dict[str, float]]] = {}

    # 1. pyoxigraph directly, and the library (access, checks, row cap) in-process.
    results.update(_in_process(args.data_dir, args.n))
    gc.collect()  # no reference to the store is left: the engine process needs its lock

    # 2. Through the engine process.
    results["engine process"] = asyncio.run(_engine(args.data_dir, args.n))

    # 3. Over HTTP, one request at a time (the client's own cost is in both).
    work = Path(tempfile.mkdtemp(prefix="recruitgraph-overhead-"))
    try:
        union = work / "union.nq"
        subprocess.run(
            [str(BIN / "recruitgraph"), "export", "--data-dir", args.data_dir, "--format",
             "nquads", "--out", str(union)],
            check=True, capture_output=True,
        )  # fmt: skip
        subprocess.run(
            [str(BIN / "oxigraph"), "load", "--location", str(work / "ox"), "--file", str(union)],
            check=True, capture_output=True,
        )  # fmt: skip
        servers = {
            "recruitgraph over HTTP": (
                [str(BIN / "recruitgraph"), "serve", "--data-dir", args.data_dir,
                 "--port", "{port}", "--no-access-log", "--no-warm"],
                "/sparql",
            ),
            "oxigraph serve over HTTP": (
                [str(BIN / "oxigraph"), "serve", "--location", str(work / "ox"), "--bind",
                 "127.0.0.1:{port}", "--union-default-graph"],
                "/query",
            ),
        }  # fmt: skip
        for label, (command, route) in servers.items():
            port = _free_port()
            process = subprocess.Popen(
                [part.replace("{port}", str(port)) for part in command],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            try:
                base = f"http://127.0.0.1:{port}"
                deadline = time.monotonic() + 60
                with httpx.Client(base_url=base, timeout=30) as client:
                    while time.monotonic() < deadline:
                        try:
                            client.get(route, params={"query": "ASK {}"})
                            break
                        except httpx.HTTPError:
                            time.sleep(0.2)
                    results[label] = {}
                    for name, query in QUERIES.items():
                        results[label][name] = _per_call(
                            lambda q=query, route=route: client.get(
                                route,
                                params={"query": q},
                                headers={"Accept": "application/sparql-results+json"},
                            ).raise_for_status(),
                            args.n,
                        )
            finally:
                process.terminate()
                process.wait(timeout=30)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    for label, by_query in results.items():
        for name, figures in by_query.items():
            print(
                f"{label:28} {name:7} mean {figures['mean_us']:8.1f} us  p50 "
                f"{figures['p50_us']:8.1f} us  p99 {figures['p99_us']:8.1f} us"
            )
    if args.out:
        args.out.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
