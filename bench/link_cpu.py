"""CPU per call of the engine link alone, without HTTP: unique lookups through
:meth:`graph.server.engine.Engine.call` (8 in flight, no answer cache) over the store a run of
bench/run.py left, with the CPU of this process (the server's side: asyncio, lanes, socket) and
of the engine process apart. For A/B runs of two checkouts, run it with each one's code first
on the path (the engine process imports it through ``PYTHONPATH``)::

    PYTHONPATH=A .venv/bin/python bench/link_cpu.py --work /tmp/bench --checkout A
    PYTHONPATH=B .venv/bin/python bench/link_cpu.py --work /tmp/bench --checkout B
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import time
from pathlib import Path


def _cpu(pid: int) -> float:
    """User and system seconds of process ``pid`` so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def measure(work: Path, calls: int, clients: int) -> str:
    """``calls`` unique lookups by ``clients`` callers at once, after 100 each to warm up."""
    from run import LOOKUP, _actors

    from graph.server import service
    from graph.server.auth import ANONYMOUS
    from graph.server.engine import Engine, StoreSpec

    actors = _actors(work / "union.nt")
    rng = random.Random(1)
    stamp = time.time()
    texts = iter(
        f"{LOOKUP.format(actor=rng.choice(actors))}\n# {stamp} {i}"
        for i in range(calls + 100 * clients)
    )
    engine = Engine(StoreSpec("embedded", str(work / "recruitgraph")), answer_cache_bytes=0)
    await engine.start()
    try:

        async def client(count: int) -> None:
            for _ in range(count):
                await engine.call(service.sparql_query, ANONYMOUS, next(texts))

        await asyncio.gather(*(client(100) for _ in range(clients)))
        worker = engine._worker
        assert worker is not None
        pid = worker.process.pid
        server, engine_cpu, began = _cpu(os.getpid()), _cpu(pid), time.perf_counter()
        await asyncio.gather(*(client(calls // clients) for _ in range(clients)))
        server = _cpu(os.getpid()) - server
        engine_cpu = _cpu(pid) - engine_cpu
        elapsed = time.perf_counter() - began
    finally:
        await engine.close()
    n = calls // clients * clients
    return (
        f"{n / elapsed:6.0f} calls/s  server {server / n * 1e6:4.0f} us  "
        f"engine {engine_cpu / n * 1e6:4.0f} us  "
        f"total {(server + engine_cpu) / n * 1e6:4.0f} us/call"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--work", type=Path, required=True, help="a bench/run.py --work dir")
    parser.add_argument("--checkout", type=Path, help="whose code (default: this one's)")
    parser.add_argument("--calls", type=int, default=8000)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args(argv)
    checkout = (args.checkout or Path(__file__).resolve().parent.parent).resolve()
    sys.path[:0] = [str(checkout), str(Path(__file__).resolve().parent)]
    if not (args.work / "union.nt").is_file():
        print(f"{args.work} is not a directory bench/run.py left", file=sys.stderr)
        return 1
    print(f"{checkout}: {asyncio.run(measure(args.work, args.calls, args.clients))}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
