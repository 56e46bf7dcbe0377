"""Consistent answers under a writer (issue 17, item 4): clients read the metrics report, the
flows and the explorer's data while one writer loads and deletes a dataset every few seconds;
every answer is checked against the answer of the state its own version names.

A live ``recruitgraph serve`` over the shipped dataset (plus synthetic actors with ``--actors``);
the clients and the writer hold an admin token (each caller is told the view version of its
own datasets; the admin's follows every write).
Before the run the script records each route's answer without the extra dataset and with it;
an answer is *wrong* when it equals neither or not the one its version's state gives, *unsure*
when its version is one no write reported (never, if each write is one commit).

    PYTHONPATH=. python bench/consistency.py --clients 50 --seconds 60 --every 3

Prints one JSON object: answers, wrong, errors, writes, and p50/p99 per route in ms.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from graph.ingest import load_default_dataset, load_files
from graph.ingest.synth import write_synthetic
from graph.server.auth import TokenStore
from graph.store import EmbeddedStore
from tests.helpers import claims_csv, shift_rows, start_server, stop

ROUTES: dict[str, dict[str, Any]] = {
    "/api/metrics": {"top": 3},
    "/api/flows": {"group_by": "payer_tier"},
    "/api/viz": {},
}
NAME = "churn"


def answer(client: httpx.Client, route: str) -> tuple[str, dict[str, Any]]:
    response = client.get(route, params=ROUTES[route])
    response.raise_for_status()
    body = response.json()
    version = response.headers["X-Store-Version"]
    if body.pop("version") != version:
        raise AssertionError(f"{route}: header and body disagree")
    return version, body


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--every", type=float, default=3, help="seconds between writes")
    parser.add_argument("--actors", type=int, default=0, help="synthetic actors beside")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="bench-consistency-"))
    data = work / "data"
    with EmbeddedStore(data) as store:
        load_default_dataset(store)
        if args.actors:
            write_synthetic(work / "synth.nt", args.actors, 0.5, 1)
            load_files(store, [work / "synth.nt"], "synth", synthetic=True)
    token = TokenStore(data).create("admin", "bench", ())
    csv = claims_csv(work / "churn.csv", *shift_rows()).read_bytes()
    server = start_server(data, work / "server.log", "--data-dir", str(data))
    headers = {"Authorization": f"Bearer {token}"}
    try:
        with httpx.Client(base_url=server.base, headers=headers, timeout=120) as admin:

            def load() -> str:
                files = {"file": ("churn.csv", csv, "text/csv")}
                response = admin.post("/api/datasets", data={"name": NAME}, files=files)
                response.raise_for_status()
                return str(response.json()["version"])

            def delete() -> str:
                response = admin.delete(f"/api/datasets/{NAME}")
                response.raise_for_status()
                return response.headers["X-Store-Version"]

            start = {route: answer(admin, route) for route in ROUTES}
            absent = {route: body for route, (_, body) in start.items()}
            writes = [(start["/api/metrics"][0], False), (load(), True)]
            present = {route: answer(admin, route)[1] for route in ROUTES}
            writes.append((delete(), False))

            answers: list[tuple[str, str, dict[str, Any]]] = []
            times: dict[str, list[float]] = {route: [] for route in ROUTES}
            errors: list[str] = []
            done = threading.Event()

            def reader() -> None:
                with httpx.Client(base_url=server.base, headers=headers, timeout=120) as c:
                    while not done.is_set():
                        for route in ROUTES:
                            began = time.perf_counter()
                            try:
                                version, body = answer(c, route)
                            except Exception as error:  # counted, the run goes on
                                errors.append(f"{route}: {error}")
                                continue
                            times[route].append(time.perf_counter() - began)
                            answers.append((route, version, body))

            threads = [threading.Thread(target=reader) for _ in range(args.clients)]
            for thread in threads:
                thread.start()
            deadline = time.monotonic() + args.seconds
            present_now = False
            while time.monotonic() < deadline:
                time.sleep(args.every)
                writes.append((delete(), False) if present_now else (load(), True))
                present_now = not present_now
            done.set()
            for thread in threads:
                thread.join()
            if present_now:
                writes.append((delete(), False))
    finally:
        stop(server.process)

    state = dict(writes)
    wrong = unsure = 0
    for route, version, body in answers:
        if version not in state:
            unsure += 1
        elif body != (present if state[version] else absent)[route]:
            wrong += 1

    def ms(values: list[float], q: float) -> float:
        if len(values) < 2:
            return round(1000 * (values[0] if values else 0), 1)
        return round(1000 * statistics.quantiles(values, n=100)[int(q) - 1], 1)

    print(
        json.dumps(
            {
                "clients": args.clients,
                "seconds": args.seconds,
                "every": args.every,
                "writes": len(writes) - 1,
                "answers": len(answers),
                "wrong": wrong,
                "unsure": unsure,
                "errors": len(errors),
                "first_errors": errors[:3],
                "ms": {r: {"p50": ms(t, 50), "p99": ms(t, 99)} for r, t in times.items()},
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
