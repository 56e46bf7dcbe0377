"""The server's memory while it serves metrics, with the metrics cache bounded at two values.

    .venv/bin/python bench/metrics_cache_rss.py --actors 30000 --bounds 64,2048 --rounds 3

Synthetic data (bench/metrics_bench.py's file and loader: ``recruitgraph synth``,
centralization 0.5, seed 1, written without validation) in an on-disk store; then, for each
bound, ``recruitgraph serve --metrics-cache-mb BOUND --answer-cache-mb 0`` (the answer cache
off, so that every request reaches the engine process) answers two rounds of
``/api/metrics``, one request at a time: round 1 a report for each of ``FILTERS`` (each a
projection of its own), then ``--rounds`` - 1 more rounds of the same filters with ``top``
11, 12, ... (a new report each, from the projection if the cache kept it). After each
request: the engine process's resident memory (VmRSS; it holds the store and the cache) and
the request's time; at the end its peak (VmHWM), the server process's resident memory and
the cache's figures from /healthz.

At 10M triples (issue 15, item 3)::

    .venv/bin/python bench/metrics_cache_rss.py --actors 300000 --bulk --mix 240 --bounds 512

``--bulk`` loads with :func:`bench.metrics_bench.bulk_store` (the engine's bulk loader, no
SHACL checks: one transaction of 10M triples would not fit) instead of one transaction;
``--mix SECONDS`` replaces the rounds: one cold ``/api/metrics`` first, alone (its time is
the cold report of the served store), then for SECONDS two SPARQL clients (a 20-row lookup,
``ASK {}``, a count of claims by type over the whole store) beside one client asking
``/api/metrics`` for each of ``FILTERS`` in turn, while the resident memory of the server
and of its engine process is sampled twice a second. The engine's threads are put back at
niceness 0 first (:func:`unnice`). (``--work`` holds the file and the store: delete it
after.)
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.load_mixed import LOOKUP, serve  # noqa: E402
from bench.metrics_bench import bulk_store, load_store, synthetic_file  # noqa: E402
from tests.helpers import free_port, stop  # noqa: E402

#: The reports asked for: each filter needs a projection of its own.
FILTERS: list[dict[str, str]] = [
    {},
    {"level": "government"},
    {"min_confidence": "medium"},
    {"start": "2024-01-01"},
]
MIB = 1024**2
#: The SPARQL queries of ``--mix``, by name: cheap lookups and one that reads every claim.
MIX_QUERIES = {
    "lookup": LOOKUP,
    "ask": "ASK {}",
    "count by type": "SELECT ?type (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?claim "
    "<https://w3id.org/recruitgraph/ontology#from> ?from ; a ?type } } GROUP BY ?type",
}
#: Seconds between two samples of the resident memory under ``--mix``.
SAMPLE_EVERY = 0.5


def status_mib(pid: int, field: str) -> float:
    """A memory figure of ``/proc/<pid>/status`` (VmRSS, VmHWM) in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise KeyError(field)


def cpu_seconds(pid: int) -> float:
    """The CPU time (user and system) process ``pid`` has used: what a report costs whatever
    else runs on the machine (the engine's analysis threads are niced)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def unnice(pid: int) -> int:
    """Put every thread of process ``pid`` back at niceness 0; the number changed. The engine
    nices its analysis threads (10) so that a server's own cheap queries come first; on this
    shared machine the other users' work at 0 then starved a report for 15 minutes, so the
    bench measures the analysis at the priority of everything else."""
    changed = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        tid = int(task.name)
        if os.getpriority(os.PRIO_PROCESS, tid) != 0:
            os.setpriority(os.PRIO_PROCESS, tid, 0)
            changed += 1
    return changed


#: The server's warm-up of the landing page off: it would build the unfiltered projection at
#: start, beside (or before) the report measured here as cold.
COLD = ("--no-warm",)


def engine_pid(server: int) -> int:
    """The engine process: the server's child."""
    children = Path(f"/proc/{server}/task/{server}/children").read_text().split()
    return int(children[0])


def run(data_dir: Path, bound: int, log: Path, rounds: int) -> dict[str, Any]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    process = serve(
        data_dir, port, log, "--metrics-cache-mb", str(bound), "--answer-cache-mb", "0",
        "--query-timeout", "600", *COLD,
    )  # fmt: skip
    try:
        engine = engine_pid(process.pid)
        rows = []
        with httpx.Client(base_url=base, timeout=900) as client:
            for round_ in range(1, rounds + 1):
                top = 9 + round_
                for flt in FILTERS:
                    began = time.perf_counter()
                    answer = client.get("/api/metrics", params={**flt, "top": str(top)})
                    answer.raise_for_status()
                    seconds = time.perf_counter() - began
                    rows.append(
                        {
                            "round": round_,
                            "filter": ", ".join(f"{k}={v}" for k, v in flt.items()) or "none",
                            "seconds": seconds,
                            "engine_rss": status_mib(engine, "VmRSS"),
                        }
                    )
                    print(f"  bound {bound} MiB, round {round_}: {rows[-1]}", flush=True)
            health = client.get("/healthz").json()
        return {
            "bound": bound,
            "rows": rows,
            "engine_peak": status_mib(engine, "VmHWM"),
            "server_rss": status_mib(process.pid, "VmRSS"),
            "cache": health["metrics_cache"],
        }
    finally:
        stop(process)


def serve_mix(data_dir: Path, bound: int, log: Path, seconds: float) -> dict[str, Any]:
    """One cold report alone, then ``seconds`` of SPARQL queries beside reports (see the
    module's docstring), the resident memory of both processes sampled meanwhile."""
    port = free_port()
    began = time.perf_counter()
    process = serve(
        data_dir, port, log, "--metrics-cache-mb", str(bound), "--answer-cache-mb", "0",
        "--query-timeout", "900", *COLD,
    )  # fmt: skip
    started = time.perf_counter() - began
    engine = engine_pid(process.pid)
    print(f"  {unnice(engine)} threads of the engine put back at niceness 0", flush=True)
    peaks = {"server": 0.0, "engine": 0.0}
    done = threading.Event()
    times: dict[str, list[float]] = defaultdict(list)
    failures: list[str] = []

    def sample() -> None:
        while not done.wait(SAMPLE_EVERY):
            for name, pid in (("server", process.pid), ("engine", engine)):
                try:
                    peaks[name] = max(peaks[name], status_mib(pid, "VmRSS"))
                except (OSError, KeyError):  # an engine restarted: the next sample says
                    failures.append(f"no memory figure of the {name} process")

    def ask(client: httpx.Client, name: str, path: str, params: dict[str, str]) -> None:
        start = time.perf_counter()
        try:
            answer = client.get(path, params=params)
            answer.raise_for_status()
        except httpx.HTTPError as error:
            failures.append(f"{name}: {error}")
            return
        times[name].append(time.perf_counter() - start)

    def sparql_client(deadline: float) -> None:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=900) as client:
            for i in range(100_000):  # bounded by the deadline long before
                if time.monotonic() > deadline:
                    return
                name = list(MIX_QUERIES)[i % len(MIX_QUERIES)]
                ask(client, name, "/sparql", {"query": MIX_QUERIES[name]})

    def metrics_client(deadline: float) -> None:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=900) as client:
            for i in range(1000):
                if time.monotonic() > deadline:
                    return
                flt = FILTERS[i % len(FILTERS)]
                ask(client, "/api/metrics", "/api/metrics", {**flt, "top": str(11 + i)})

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=900) as client:
            start, cpu = time.perf_counter(), cpu_seconds(engine)
            client.get("/api/metrics").raise_for_status()
            cold, cold_cpu = time.perf_counter() - start, cpu_seconds(engine) - cpu
            after_cold = {"server": status_mib(process.pid, "VmRSS"),
                          "engine": status_mib(engine, "VmRSS")}  # fmt: skip
            print(f"  cold report {cold:.1f} s; RSS after it {after_cold}", flush=True)
            deadline = time.monotonic() + seconds
            workers = [threading.Thread(target=sparql_client, args=(deadline,)) for _ in range(2)]
            workers.append(threading.Thread(target=metrics_client, args=(deadline,)))
            for worker in workers:
                worker.start()
            for worker in workers:
                worker.join()
            health = client.get("/healthz").json()
        return {
            "bound": bound,
            "started_s": started,
            "cold_s": cold,
            "cold_cpu_s": cold_cpu,
            "after_cold": after_cold,
            "peak_sampled": dict(peaks),
            "engine_peak": status_mib(engine, "VmHWM"),
            "server_peak": status_mib(process.pid, "VmHWM"),
            "times": {name: sorted(values) for name, values in times.items()},
            "failures": failures[:20],
            "cache": health["metrics_cache"],
            "nx_backend": health.get("nx_backend"),
        }
    finally:
        done.set()
        stop(process)


def print_mix(result: dict[str, Any]) -> None:
    """The figures of :func:`serve_mix` as Markdown tables."""
    print(
        f"server up in {result['started_s']:.1f} s; cold /api/metrics {result['cold_s']:.1f} s "
        f"({result['cold_cpu_s']:.1f} s of the engine's CPU)"
    )
    print()
    print("| process | RSS after the cold report (MiB) | highest RSS sampled (MiB) | VmHWM (MiB) |")
    print("|---|---:|---:|---:|")
    for name in ("server", "engine"):
        print(
            f"| {name} | {result['after_cold'][name]:,.0f} | {result['peak_sampled'][name]:,.0f} "
            f"| {result[f'{name}_peak']:,.0f} |"
        )
    print()
    print("| request | answered | median (s) | max (s) |")
    print("|---|---:|---:|---:|")
    for name, values in result["times"].items():
        print(f"| {name} | {len(values)} | {statistics.median(values):.3f} | {max(values):.3f} |")
    cache = result["cache"]
    print()
    print(
        f"metrics cache: {cache['entries']} entries, {cache['bytes'] / MIB:,.1f} of "
        f"{cache['max_bytes'] / MIB:,.0f} MiB, computed {cache['computed']}, too large "
        f"{cache['too_large']}, evicted {cache['evicted']}; nx backend {result['nx_backend']}; "
        f"failures: {result['failures'] or 'none'}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--actors", type=int, default=30_000)
    parser.add_argument("--bounds", default="64,2048", help="two --metrics-cache-mb values")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "rg-bench")
    parser.add_argument(
        "--bulk", action="store_true", help="load with the engine's bulk loader (no SHACL checks)"
    )
    parser.add_argument(
        "--mix", type=float, metavar="SECONDS", help="a cold report, then SPARQL beside reports"
    )
    args = parser.parse_args()
    data_dir = args.work / f"metrics-cache-{args.actors}"
    if not data_dir.exists():
        began = time.perf_counter()
        path = synthetic_file(args.work, args.actors)[0]
        store, triples = (bulk_store if args.bulk else load_store)(path, data_dir)
        store.close()
        print(f"loaded {triples:,} triples in {time.perf_counter() - began:.1f} s", flush=True)
    if args.mix is not None:
        for bound in args.bounds.split(","):
            log = args.work / f"metrics-mix-{bound}.log"
            print_mix(serve_mix(data_dir, int(bound), log, args.mix))
        return
    results = [
        run(data_dir, int(bound), args.work / f"metrics-cache-{bound}.log", args.rounds)
        for bound in args.bounds.split(",")
    ]
    print()
    print("| --metrics-cache-mb | round | filter | seconds | engine RSS after (MiB) |")
    print("|---:|---:|---|---:|---:|")
    for result in results:
        for row in result["rows"]:
            print(
                f"| {result['bound']} | {row['round']} | {row['filter']} | {row['seconds']:.1f} "
                f"| {row['engine_rss']:,.0f} |"
            )
    print()
    print(
        "| --metrics-cache-mb | engine peak RSS (MiB) | server RSS (MiB) | entries | "
        "cache MiB | computed | too large | evicted |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for result in results:
        cache = result["cache"]
        print(
            f"| {result['bound']} | {result['engine_peak']:,.0f} | {result['server_rss']:,.0f} "
            f"| {cache['entries']} | {cache['bytes'] / MIB:,.1f} | {cache['computed']} "
            f"| {cache['too_large']} | {cache['evicted']} |"
        )


if __name__ == "__main__":
    main()
