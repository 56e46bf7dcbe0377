"""How long the server's warm-up of the landing page takes (issue 13, item 3), without a
browser: ``recruitgraph serve`` over ``--store`` (one that no other process has open: the
lock is exclusive), ``/healthz`` polled until its ``warm`` state is done, then the seconds
the warm-up took (``warm.seconds``), the seconds since the command started, the CPU seconds
of the server and its engine process (from ``/proc``) and the load average before and after.

The checkout the file is in is the one served (``PYTHONPATH`` set to it), so that two
checkouts are compared by running each one's own copy, one after the other:

    .venv/bin/python bench/warm_seconds.py --store /tmp/copy-of-a-100000-actor-store

bench/warm_page.py measures the same warm-up with the page in a browser beside it.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.metrics_cache_rss import cpu_seconds  # noqa: E402
from bench.warm_page import _warm_done  # noqa: E402
from tests.helpers import start_server, stop  # noqa: E402


def _cpu_seconds(pid: int) -> float:
    """CPU seconds of ``pid`` and its children (the engine process)."""
    children = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    total = 0.0
    for each in [pid, *map(int, children.split())]:
        with contextlib.suppress(OSError):  # (ended meanwhile)
            total += cpu_seconds(each)
    return total


def measure(store: str, timeout: float, log: Path) -> dict[str, Any]:
    load = os.getloadavg()
    started = time.perf_counter()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    server = start_server(Path(store), log, "--data-dir", store, env=env)
    try:
        seen, warm = _warm_done(server.base, 1, timeout)
        return {
            "checkout": str(ROOT),
            "warm": warm,
            "after_start_s": round(seen - started, 1),
            "cpu_s": round(_cpu_seconds(server.process.pid), 1),
            "load_before": [round(x, 2) for x in load],
            "load_after": [round(x, 2) for x in os.getloadavg()],
        }
    finally:
        stop(server.process)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", required=True, help="an on-disk store (a copy)")
    parser.add_argument("--timeout", type=float, default=900)
    parser.add_argument("--log", default="warm-seconds-server.log", help="the server's log")
    args = parser.parse_args()
    print(json.dumps(measure(args.store, args.timeout, Path(args.log))))


if __name__ == "__main__":
    main()
