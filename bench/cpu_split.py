"""CPU per request of each process of ``recruitgraph serve`` (the HTTP process and the engine
process, user and system time apart) under a wrk load of one query mix, for A/B runs of two
checkouts on the same store:

    .venv/bin/python bench/cpu_split.py --work /tmp/bench --bin A/.venv/bin --bin B/.venv/bin

``--work`` is a directory a run of bench/run.py left (its ``recruitgraph`` store and
``union.nt``). Each round runs every ``--bin`` in turn (default: this checkout's), so that a
change of the machine's load falls on all of them. The server runs on 127.0.0.1 and is
stopped after each measurement.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

from run import BIN, _actors, free_port, query_paths, run_wrk, server


def _cpu(pid: int) -> tuple[float, float]:
    """(user, system) seconds of process ``pid`` so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    return int(fields[11]) / tick, int(fields[12]) / tick


def measure(bin_dir: Path, work: Path, kind: str, duration: float, actors: list[str]) -> str:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    command = [str(bin_dir / "recruitgraph"), "serve", "--data-dir", str(work / "recruitgraph"),
               "--port", str(port), "--no-access-log", "--max-rows", "1000000",
               # The landing page's warm-up (a projection) would compete with what is measured.
               "--no-warm"]  # fmt: skip
    with server(command, f"{base}/healthz", work / "cpu-split-server.log") as process:
        listed = subprocess.run(
            ["pgrep", "-g", str(process.pid)], capture_output=True, text=True, check=False
        )
        pids = [int(p) for p in listed.stdout.split()]
        role = {
            pid: "engine" if b"graph.server.engine" in Path(f"/proc/{pid}/cmdline").read_bytes()
            else "http"
            for pid in pids
        }  # fmt: skip
        stamp = f"{time.time()}"
        run_wrk(base, query_paths(kind, "/sparql", actors, 2, f"warm-{stamp}"), work, 2, 8, 2)
        paths = query_paths(kind, "/sparql", actors, duration, f"split-{stamp}")
        before = {pid: _cpu(pid) for pid in pids}
        result = run_wrk(base, paths, work, duration, 8, 2)
        after = {pid: _cpu(pid) for pid in pids}
    n = max(1, result["requests"])
    parts, total = [], 0.0
    for pid in sorted(pids, key=lambda p: role[p], reverse=True):
        user, system = (a - b for a, b in zip(after[pid], before[pid], strict=True))
        total += user + system
        parts.append(f"{role[pid]} {(user + system) / n * 1e6:.0f} (user {user / n * 1e6:.0f})")
    return f"{result['rps']:7.0f} req/s  {total / n * 1e6:5.0f} us/req: " + ", ".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--bin", type=Path, action="append", help="a venv's bin (repeatable)")
    parser.add_argument("--kind", default="lookup-unique")
    parser.add_argument("--duration", type=float, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    bins = args.bin or [BIN]
    actors = _actors(args.work / "union.nt")
    for round_number in range(1, args.rounds + 1):
        for bin_dir in bins:
            figures = measure(bin_dir, args.work, args.kind, args.duration, actors)
            print(f"round {round_number} {bin_dir}: {figures}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
