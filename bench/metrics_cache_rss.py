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
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.load_mixed import serve  # noqa: E402
from bench.metrics_bench import load_store, synthetic_file  # noqa: E402
from tests.helpers import free_port, stop  # noqa: E402

#: The reports asked for: each filter needs a projection of its own.
FILTERS: list[dict[str, str]] = [
    {},
    {"level": "government"},
    {"min_confidence": "medium"},
    {"start": "2024-01-01"},
]
MIB = 1024**2


def status_mib(pid: int, field: str) -> float:
    """A memory figure of ``/proc/<pid>/status`` (VmRSS, VmHWM) in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise KeyError(field)


def engine_pid(server: int) -> int:
    """The engine process: the server's child."""
    children = Path(f"/proc/{server}/task/{server}/children").read_text().split()
    return int(children[0])


def run(data_dir: Path, bound: int, log: Path, rounds: int) -> dict[str, Any]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    process = serve(
        data_dir, port, log, "--metrics-cache-mb", str(bound), "--answer-cache-mb", "0",
        "--query-timeout", "600",
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--actors", type=int, default=30_000)
    parser.add_argument("--bounds", default="64,2048", help="two --metrics-cache-mb values")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "rg-bench")
    args = parser.parse_args()
    data_dir = args.work / f"metrics-cache-{args.actors}"
    if not data_dir.exists():
        began = time.perf_counter()
        store, triples = load_store(synthetic_file(args.work, args.actors)[0], data_dir)
        store.close()
        print(f"loaded {triples:,} triples in {time.perf_counter() - began:.1f} s", flush=True)
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
