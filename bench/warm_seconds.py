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
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent


def _cpu_seconds(pid: int) -> float:
    """User and system CPU seconds of ``pid`` and its children (the engine process)."""
    children = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for each in [pid, *map(int, children.split())]:
        try:
            fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def measure(store: str, port: int, timeout: float, log: Path) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "graph.cli", "serve", "--data-dir", store]
    load = os.getloadavg()
    started = time.monotonic()
    with log.open("w") as out:
        server = subprocess.Popen(
            [*command, "--port", str(port)], cwd=ROOT, env=env, stdout=out, stderr=out
        )
        try:
            while True:
                try:
                    health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=30).json()
                except httpx.HTTPError:
                    health = {}
                warm = health.get("warm") or {}
                if warm.get("state") in ("done", "failed"):
                    break
                if time.monotonic() - started > timeout:
                    raise TimeoutError(f"the warm-up did not end within {timeout:.0f} s")
                time.sleep(0.5)
            return {
                "checkout": str(ROOT),
                "warm": warm,
                "after_start_s": round(time.monotonic() - started, 1),
                "cpu_s": round(_cpu_seconds(server.pid), 1),
                "load_before": [round(x, 2) for x in load],
                "load_after": [round(x, 2) for x in os.getloadavg()],
            }
        finally:
            server.terminate()
            server.wait(timeout=60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", required=True, help="an on-disk store (a copy)")
    parser.add_argument("--port", type=int, default=18701)
    parser.add_argument("--timeout", type=float, default=900)
    parser.add_argument("--log", default="warm-seconds-server.log", help="the server's log")
    args = parser.parse_args()
    print(json.dumps(measure(args.store, args.port, args.timeout, Path(args.log))))


if __name__ == "__main__":
    main()
