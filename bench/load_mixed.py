"""Mixed reads by many clients beside a writer: latency per route, errors, wrong answers.

A real ``recruitgraph serve`` over a synthetic store (``--actors``) is started on a free
loopback port; ``--clients`` clients then read for ``--seconds`` (at most ``--max-requests``
in all): SPARQL lookups, ``ASK {}``, /api/flows, /api/metrics, /api/viz and /api/datasets,
chosen at random. One writer uploads a small dataset ``churn`` and deletes it again, one step
every ``--write-every`` seconds. Each answer is checked where that is cheap: no 5xx; the
dataset list always holds ``synth``, and ``churn`` only with its own triple count; the
datasets a report says it drew on are ones that exist. Prints p50/p99 per route.

Run it against another checkout's code with that checkout first on PYTHONPATH::

    PYTHONPATH=$PWD python bench/load_mixed.py --clients 50 --seconds 60
    PYTHONPATH=/work/main python bench/load_mixed.py --clients 50 --seconds 60
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import contextlib
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import httpx

from graph.ingest import load_files
from graph.ingest.synth import write_synthetic
from graph.server.auth import TokenStore
from graph.store import EmbeddedStore

CHURN_CSV = """claim_id,relation,subject_kind,subject,subject_code,object_kind,object,object_code,\
start,end,date_precision,amount,currency,purpose,offer_type,deceptive,action,count,confidence,\
source_title,source_url,source_publisher,source_date,note
c1,FundingFlow,RegionalGovernment,Government of Tatarstan,RU-TA,RecruitmentScheme,Churn scheme,,\
2024-01-01,2024-12-31,month,400000,RUB,enlistment_bonus,,,,,high,Bench report,\
https://example.org/bench,Example,2024-02-01,A claim the writer loads and deletes.
"""

LOOKUP = (
    "SELECT ?s ?label WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?label } LIMIT 20"
)

#: The datasets an answer may name: the store's own (the ontology's reference data and the
#: synthetic one) and the writer's.
KNOWN = {"reference", "synth", "churn"}

#: Route name, weight, and how to ask it.
ROUTES: list[tuple[str, int, str, dict[str, Any]]] = [
    ("sparql lookup", 30, "/sparql", {"query": LOOKUP}),
    ("sparql ASK {}", 20, "/sparql", {"query": "ASK {}"}),
    ("/api/datasets", 15, "/api/datasets", {}),
    ("/api/flows", 15, "/api/flows", {}),
    ("/api/metrics", 10, "/api/metrics", {}),
    ("/api/viz", 10, "/api/viz", {}),
]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


class Run:
    def __init__(self) -> None:
        self.times: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, dict[int | str, int]] = defaultdict(lambda: defaultdict(int))
        self.wrong: dict[str, list[str]] = defaultdict(list)
        #: The distinct error bodies of each route.
        self.messages: dict[str, set[str]] = defaultdict(set)
        self.churn_triples: int | None = None
        #: Each read's route and its time at the client, by the request id it was sent with.
        self.sent: dict[str, tuple[str, float]] = {}
        #: How late this process's event loop woke from 10 ms sleeps: when it is late, so is
        #: every reading of the time a reply arrived, and the figures above are the client's.
        self.lag: list[float] = []
        self.requests = 0


def summary(route: str, body: bytes) -> Any:
    """What :func:`check` needs of an answer's ``body``, small: run in a process of its own
    (see :func:`main_async`), since decoding a report of megabytes in the readers' event loop
    would delay every other reader's reading of its reply, and so the figures measured."""
    if route == "/api/datasets":
        return {d["name"]: d["triples"] for d in json.loads(body)}
    if route in ("/api/metrics", "/api/viz"):
        used = json.loads(body).get("datasets", [])
        return sorted({str(d if isinstance(d, str) else d.get("name")) for d in used})
    if route == "sparql ASK {}":
        return json.loads(body).get("boolean")
    return None


def check(run: Run, route: str, found: Any) -> None:
    """Record what is wrong with an answer beyond its status, from its :func:`summary`."""
    if route == "/api/datasets":
        if "synth" not in found or set(found) - KNOWN:
            run.wrong[route].append(f"datasets {sorted(found)}")
        churn = found.get("churn")
        if churn is not None and run.churn_triples is not None and churn != run.churn_triples:
            run.wrong[route].append(f"churn with {churn} triples")
    elif route in ("/api/metrics", "/api/viz"):
        if set(found) - KNOWN:
            run.wrong[route].append(f"datasets {found}")
    elif route == "sparql ASK {}" and found is not True:
        run.wrong[route].append(f"ASK answered {found!r}")


async def reader(
    client: httpx.AsyncClient,
    run: Run,
    checker: concurrent.futures.Executor,
    end: float,
    limit: int,
    seed: int,
) -> None:
    chooser = random.Random(seed)
    weights = [w for _, w, _, _ in ROUTES]
    while time.monotonic() < end and run.requests < limit:
        route, _, path, params = chooser.choices(ROUTES, weights)[0]
        run.requests += 1
        request_id = f"bench-{seed}-{run.requests}"
        started = time.monotonic()
        try:
            answer = await client.get(path, params=params, headers={"X-Request-ID": request_id})
        except httpx.HTTPError as error:
            run.errors[route][type(error).__name__] += 1
            continue
        run.times[route].append(time.monotonic() - started)
        run.sent[request_id] = (route, run.times[route][-1])
        if answer.status_code >= 400:
            run.errors[route][answer.status_code] += 1
            run.messages[route].add(answer.text[:160])
            continue
        found = await asyncio.get_running_loop().run_in_executor(
            checker, summary, route, answer.content
        )
        check(run, route, found)


async def loop_lag(run: Run, end: float) -> None:
    while time.monotonic() < end:
        started = time.monotonic()
        await asyncio.sleep(0.01)
        run.lag.append(time.monotonic() - started - 0.01)


async def writer(client: httpx.AsyncClient, run: Run, end: float, every: float) -> None:
    loaded = False
    while time.monotonic() < end:
        started = time.monotonic()
        route = "writer delete" if loaded else "writer load"
        try:
            if loaded:
                answer = await client.delete("/api/datasets/churn")
            else:
                answer = await client.post(
                    "/api/datasets",
                    data={"name": "churn"},
                    files={"file": ("churn.csv", CHURN_CSV.encode(), "text/csv")},
                )
        except httpx.HTTPError as error:
            run.errors[route][type(error).__name__] += 1
        else:
            run.times[route].append(time.monotonic() - started)
            if answer.status_code >= 400:
                run.errors[route][answer.status_code] += 1
            else:
                loaded = not loaded
                if route == "writer load":
                    run.churn_triples = answer.json()["triples"]
        await asyncio.sleep(max(0.0, every - (time.monotonic() - started)))


def where_the_time_went(run: Run, log: Path) -> dict[str, dict[str, float]]:
    """Per route, from the server's access log (JSON lines): the p50 and p99 of the time at
    the client, in the server, waiting for a lane's slot, in the engine process and computing
    there, in ms; and the mean share of each in the slowest 5 % of the route's requests."""
    parts: dict[str, list[dict[str, float]]] = defaultdict(list)
    for line in log.read_text(errors="replace").splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        sent = run.sent.get(record.get("request_id", "")) if isinstance(record, dict) else None
        if sent is None:
            continue
        route, seconds = sent
        parts[route].append(
            {
                "client": seconds * 1000,
                "server": record["duration_ms"],
                "wait": record["wait_ms"],
                "engine": record["engine_ms"],
                "compute": record["compute_ms"],
            }
        )
    figures: dict[str, dict[str, float]] = {}
    for route, rows in parts.items():
        figure: dict[str, float] = {"n": len(rows)}
        for part in ("client", "server", "wait", "engine", "compute"):
            values = [row[part] for row in rows]
            figure[f"{part} p50"] = statistics.median(values)
            figure[f"{part} p99"] = percentile(values, 0.99)
        slowest = sorted(rows, key=lambda row: row["client"])[-max(1, len(rows) // 20) :]
        for part in ("client", "server", "wait", "engine", "compute"):
            figure[f"{part} slowest"] = statistics.fmean(row[part] for row in slowest)
        figures[route] = figure
    return figures


def build(data_dir: Path, actors: int) -> str:
    """A store with the synthetic dataset ``synth``; the editor token of the writer."""
    nt = data_dir.parent / "synth.nt"
    write_synthetic(nt, actors, 0.5, 7)
    with EmbeddedStore(data_dir) as store:
        load_files(store, [nt], "synth")
    return TokenStore(data_dir).create("editor", "bench-writer", ())


def serve(data_dir: Path, port: int, log: Path, *options: str) -> subprocess.Popen[bytes]:
    """``recruitgraph serve`` (with ``options``) of this checkout on ``port``, once it answers."""
    command = [sys.executable, "-c", "import sys; from graph.cli import main; sys.exit(main())"]
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [*command, "serve", "--data-dir", str(data_dir), "--port", str(port), *options],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=dict(os.environ),
        )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server exited:\n{log.read_text()}")
        try:
            httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
            return process
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("the server did not answer within 120 s")


async def main_async(args: argparse.Namespace, base: str, token: str) -> Run:
    run = Run()
    timeout = httpx.Timeout(120)
    # Each reader is a script of its own, on an address of its own (127.0.3.i): the server
    # caps what one caller may hold of a lane, so 50 readers on one address would measure one
    # caller. --one-address measures that (as the runs before the per-caller cap did).
    clients = [
        httpx.AsyncClient(
            base_url=base,
            timeout=timeout,
            transport=httpx.AsyncHTTPTransport(
                local_address=None if args.one_address else f"127.0.3.{i % 250 + 1}"
            ),
        )
        for i in range(args.clients)
    ]
    async with contextlib.AsyncExitStack() as stack:
        for client in clients:
            await stack.enter_async_context(client)
        editor = await stack.enter_async_context(
            httpx.AsyncClient(
                base_url=base, timeout=timeout, headers={"Authorization": f"Bearer {token}"}
            )
        )
        await clients[0].get("/api/metrics")  # warm: the first report is not what is measured
        # Connections opened before the timed phase: its figures are the steady state, not
        # 50 connections set up at once on a busy machine.
        await asyncio.gather(*(client.get("/healthz") for client in clients))
        end = time.monotonic() + args.seconds
        # The answers are decoded and checked in a process of its own, at the lowest CPU
        # priority: the checks are the bench's, and must take neither the readers' event loop
        # nor the server's CPU.
        checker = stack.enter_context(
            concurrent.futures.ProcessPoolExecutor(1, initializer=os.nice, initargs=(19,))
        )
        tasks = [
            reader(client, run, checker, end, args.max_requests, i)
            for i, client in enumerate(clients)
        ]
        tasks.append(loop_lag(run, end))
        if args.write_every > 0:
            tasks.append(writer(editor, run, end, args.write_every))
        await asyncio.gather(*tasks)
    return run


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--max-requests", type=int, default=100_000)
    parser.add_argument("--actors", type=int, default=600, help="synthetic actors in the store")
    parser.add_argument("--write-every", type=float, default=3, help="0: no writer")
    parser.add_argument("--json", type=Path, help="write the figures here too")
    parser.add_argument(
        "--one-address", action="store_true", help="every reader from 127.0.0.1 (one caller)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        data_dir = Path(work) / "data"
        token = build(data_dir, args.actors)
        import socket

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        log = Path(work) / "server.log"
        process = serve(data_dir, port, log, "--log-format", "json", "--no-warm")
        try:
            started = time.monotonic()
            run = asyncio.run(main_async(args, f"http://127.0.0.1:{port}", token))
            elapsed = time.monotonic() - started
        finally:
            process.terminate()
            process.wait(30)
        split = where_the_time_went(run, log)
    rows = {}
    print(f"{run.requests} reads in {elapsed:.0f} s ({run.requests / elapsed:.1f}/s), "
          f"{args.clients} clients, writer every {args.write_every:g} s")  # fmt: skip
    print(f"{'route':<16} {'n':>6} {'p50 s':>8} {'p99 s':>8} {'max s':>8}  errors  wrong")
    for route in [r for r, *_ in ROUTES] + ["writer load", "writer delete"]:
        times = run.times.get(route, [])
        errors = dict(run.errors.get(route, {}))
        wrong = run.wrong.get(route, [])
        rows[route] = {
            "n": len(times),
            "p50": statistics.median(times) if times else None,
            "p99": percentile(times, 0.99) if times else None,
            "max": max(times) if times else None,
            "errors": {str(k): v for k, v in errors.items()},
            "wrong": len(wrong),
            "wrong_examples": wrong[:3],
            "error_messages": sorted(run.messages.get(route, ()))[:5],
        }
        if times:
            print(
                f"{route:<16} {len(times):>6} {rows[route]['p50']:>8.2f} "
                f"{rows[route]['p99']:>8.2f} {rows[route]['max']:>8.2f}  "
                f"{sum(errors.values()):>6}  {len(wrong):>5}  {errors or ''}"
            )
    if run.lag:
        lag_ms = [lag * 1000 for lag in run.lag]
        print(
            f"client event loop late by p50 {statistics.median(lag_ms):.0f} ms, "
            f"p99 {percentile(lag_ms, 0.99):.0f} ms, max {max(lag_ms):.0f} ms"
        )
    print("\nwhere the time of reads went, ms (p50 / p99; mean of the slowest 5 %):")
    parts = ("client", "server", "lane wait", "engine process", "computing")
    print(f"{'route':<16} " + " ".join(f"{p:>20}" for p in parts))
    for route, figure in split.items():
        cells = [
            f"{figure[f'{p} p50']:.0f}/{figure[f'{p} p99']:.0f}; {figure[f'{p} slowest']:.0f}"
            for p in ("client", "server", "wait", "engine", "compute")
        ]
        print(f"{route:<16} " + " ".join(f"{c:>20}" for c in cells))
    for route, messages in run.messages.items():
        for message in sorted(messages)[:3]:
            print(f"  {route}: {message}")
    if args.json:
        args.json.write_text(
            json.dumps({"args": vars(args) | {"json": None}, "routes": rows, "split": split})
        )
    failed = sum(sum(r["errors"].values()) + r["wrong"] for r in rows.values())
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
