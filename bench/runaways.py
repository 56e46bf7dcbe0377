"""Runaway queries never starve cheap ones (issue 17, item 3): the latency of ``ASK {}`` while
runaway queries keep the engine busy.

A real ``recruitgraph serve`` (time limit ``--time-limit``) over a chain of 2,000 nodes is
started on a free loopback port. ``--runaways`` clients each send runaway queries one after
another (a cartesian product, a deep property path, a regex over every literal, a heavy GROUP
BY: each runs until the time limit stops it), from ``--runaway-callers`` loopback addresses
(each address is a caller of its own for the server's fairness; 1: one caller floods); each
text is a distinct one (identical queries in flight would share one engine call).
``--cheap`` other clients, each on an address of its own, ask ``ASK {}`` every 50 ms. Prints
the p50/p99/max of ``ASK {}``, how many took over 1 s, how each runaway ended, and how often
the engine was restarted (a stopped query restarts it: the calls in flight wait for the new
process).

    PYTHONPATH=$PWD python bench/runaways.py --runaways 8 --runaway-callers 1 --seconds 60
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import os
import signal
import socket
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import httpx

from bench.load_mixed import percentile, serve
from graph.ingest import load_files
from graph.store import EmbeddedStore
from tests.test_runaway import CHAIN, CHAIN_LENGTH, SLOW


def build(data_dir: Path) -> None:
    """A store with one public dataset ``chain``: CHAIN_LENGTH nodes, each ``next`` to one."""
    nodes = [f"<{CHAIN}{i}>" for i in range(CHAIN_LENGTH)]
    chain = data_dir.parent / "chain.nt"
    chain.write_text("".join(f"{a} <{CHAIN}next> {b} .\n" for a, b in itertools.pairwise(nodes)))
    with EmbeddedStore(data_dir) as store:
        load_files(store, [chain], "chain")


def client(base: str, address: str) -> httpx.AsyncClient:
    transport = httpx.AsyncHTTPTransport(local_address=address)
    return httpx.AsyncClient(base_url=base, transport=transport, timeout=300)


async def runaway(base: str, address: str, end: float, seed: int, ended: Counter[str]) -> None:
    queries = itertools.islice(itertools.cycle(SLOW.values()), seed % len(SLOW), None)
    async with client(base, address) as http:
        for n, query in enumerate(queries):
            if time.monotonic() >= end:
                return
            # Each text its own: identical queries in flight would share one engine call.
            text = f"{query} LIMIT {seed * 1000 + n + 1}"
            answer = await http.post("/sparql", data={"query": text})
            error = answer.json().get("error", "") if answer.status_code != 200 else ""
            kind = (
                "stopped at the time limit"
                if "time limit" in error
                else "engine restarting"
                if "restarting" in error
                else "busy (Retry-After)"
                if "busy" in error
                else f"other {answer.status_code}"
            )
            ended[kind] += 1
            if answer.status_code == 503 and "busy" in error:
                await asyncio.sleep(float(answer.headers.get("Retry-After", "1")))


async def cheap(
    base: str, address: str, end: float, times: list[float], errors: Counter[int]
) -> None:
    async with client(base, address) as http:
        while time.monotonic() < end:
            asked = time.monotonic()
            try:
                answer = await asyncio.wait_for(
                    http.post("/sparql", data={"query": "ASK {}"}), end + 5 - asked
                )
            except TimeoutError:  # still unanswered 5 s after the end: counted as waiting
                times.append(time.monotonic() - asked)
                errors[0] += 1
                return
            if answer.status_code == 200:
                times.append(time.monotonic() - asked)
            else:
                errors[answer.status_code] += 1
            await asyncio.sleep(0.05)


async def main_async(
    args: argparse.Namespace, base: str
) -> tuple[list[float], Counter[int], Counter[str]]:
    times: list[float] = []
    errors: Counter[int] = Counter()
    ended: Counter[str] = Counter()
    end = time.monotonic() + args.seconds
    runaways = [
        asyncio.ensure_future(
            runaway(base, f"127.0.1.{1 + i % args.runaway_callers}", end, i, ended)
        )
        for i in range(args.runaways)
    ]
    await asyncio.gather(
        *(cheap(base, f"127.0.2.{1 + j}", end, times, errors) for j in range(args.cheap))
    )
    for task in runaways:  # the queries still running are left to the server's time limit
        task.cancel()
    await asyncio.gather(*runaways, return_exceptions=True)
    return times, errors, ended


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runaways", type=int, default=8, help="clients sending runaways")
    parser.add_argument("--runaway-callers", type=int, default=1, help="their addresses")
    parser.add_argument("--cheap", type=int, default=4, help="clients asking ASK {}")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--time-limit", type=float, default=10, help="the server's, in s")
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--heavy-threads", type=int, default=4)
    args = parser.parse_args()
    args.runaway_callers = max(1, min(args.runaway_callers, args.runaways))
    with tempfile.TemporaryDirectory() as work:
        data_dir = Path(work) / "data"
        build(data_dir)
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        options = ["--query-timeout", f"{args.time_limit:g}", "--threads", str(args.threads)]
        options += ["--heavy-threads", str(args.heavy_threads)]
        process = serve(data_dir, port, Path(work) / "server.log", *options)
        base = f"http://127.0.0.1:{port}"
        try:
            before = httpx.get(f"{base}/healthz").json()["engine_restarts"]
            times, errors, ended = asyncio.run(main_async(args, base))
            restarts = httpx.get(f"{base}/healthz", timeout=60).json()["engine_restarts"] - before
        finally:
            # Killed, with its engine process (a SIGTERM would wait for the requests in flight:
            # the runaways, up to the time limit; an engine left alone finishes its queries).
            children = Path(f"/proc/{process.pid}/task/{process.pid}/children")
            engines = [int(pid) for pid in children.read_text().split()]
            process.kill()
            process.wait(30)
            for pid in engines:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
    print(
        f"{args.runaways} runaway clients from {args.runaway_callers} address(es), "
        f"{args.cheap} ASK clients, {args.seconds:g} s, time limit {args.time_limit:g} s, "
        f"{args.threads} query + {args.heavy_threads} heavy slots"
    )
    if times:
        slow = sum(t > 1 for t in times)
        print(
            f"ASK {{}}: n {len(times)}, p50 {statistics.median(times) * 1000:.0f} ms, "
            f"p99 {percentile(times, 0.99) * 1000:.0f} ms, max {max(times):.2f} s, "
            f"over 1 s {slow} ({slow / len(times):.1%}), "
            f"errors {dict(errors) or 0} (0: unanswered 5 s after the end)"
        )
    print(f"runaways: {dict(ended)}; engine restarts {restarts}")
    return 1 if errors or not times else 0


if __name__ == "__main__":
    sys.exit(main())
