"""Crash safety (issue 17): SIGKILL real processes at random moments of a load, a replacing
reload, a delete, a SPARQL update and an upload; after each kill the store must open cleanly
and every dataset must be complete or absent (its old version or its new one, never a mixture).

Each round starts from a copy of one store (the reference data and a dataset ``base``), runs
one operation as a user runs it and kills it after a delay drawn from a seeded random:

=========  ========================================================================
load       ``recruitgraph load new.nt --dataset new`` (the CLI)
replace    ``recruitgraph load new.nt --dataset base`` (the CLI, replacing ``base``)
delete     ``recruitgraph delete base`` (the CLI)
update     ``POST /sparql`` (an admin's INSERT into ``base``) to ``recruitgraph serve``,
           whose process group (server and engine) is killed
upload     ``POST /api/datasets`` (``new``, multipart) to ``recruitgraph serve``, likewise
=========  ========================================================================

A dataset is compared with each version it may have by its triple count and a checksum of
its data (the sorted N-Triples of its graph), and its description (in a graph of its own)
must be there exactly when its data is.

    python bench/crash_safety.py --kills 65 --seed 17         # the full count (bench/RESULTS.md)

``tests/test_crash_safety.py`` runs a reduced count of the same rounds.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pyoxigraph as ox

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from graph.ingest import load_files  # noqa: E402
from graph.ingest.synth import write_synthetic  # noqa: E402
from graph.model.namespaces import RG, STAGING, dataset_iri, description_iri  # noqa: E402
from graph.server.auth import TokenStore  # noqa: E402
from graph.store import EmbeddedStore, Store  # noqa: E402

KINDS = ("load", "replace", "delete", "update", "upload")
#: Size of the synthetic data of each dataset (300 actors: about 2,000 triples).
ACTORS = 300
BIN = Path(sys.executable).parent
#: The update of the ``update`` rounds: one new statement per labelled node of ``base``.
UPDATE = (
    f"INSERT {{ GRAPH <{dataset_iri('base')}> {{ ?s <{RG}crashMark> ?label }} }} "
    f"WHERE {{ GRAPH <{dataset_iri('base')}> "
    "{ ?s <http://www.w3.org/2000/01/rdf-schema#label> ?label } }"
)
#: The longest delay before a kill, per kind (seconds), in the tests: about the time the whole
#: operation takes on 2 cores. The bench measures it instead (see :func:`run`).
WINDOW = {"load": 6.0, "replace": 6.0, "delete": 4.0, "update": 1.0, "upload": 4.0}


def fingerprint(store: Store, graph: str, *, described: bool = True) -> tuple[int, str] | None:
    """(triples, checksum) of the data of a dataset graph, or None if there is no such
    dataset. ``described``: its description (in its own graph, written in the same
    transaction) must be there exactly when its data is (AssertionError otherwise)."""
    names = set(store.graph_names())
    if described:
        has_data, has_description = graph in names, description_iri(graph) in names
        assert has_data == has_description, f"{graph}: data {has_data}, described {has_description}"
    if graph not in names:
        return None
    lines = sorted(str(ox.Triple(q.subject, q.predicate, q.object)) for q in store.quads(graph))
    return len(lines), hashlib.sha256("\n".join(lines).encode()).hexdigest()[:16]


@dataclass
class Fixture:
    """The pristine store, the file of the new version, and what each dataset may be."""

    work: Path
    pristine: Path
    new_file: Path
    admin: str
    #: dataset name -> the fingerprints it may have after a round of each kind
    allowed: dict[str, dict[str, set[tuple[int, str] | None]]] = field(default_factory=dict)
    #: what each fingerprint is: "old", "new", "updated" (None: "absent")
    names: dict[tuple[int, str] | None, str] = field(default_factory=dict)


def prepare(work: Path, actors: int = ACTORS) -> Fixture:
    """Write the data and the pristine store, and work out every allowed outcome."""
    base_file, new_file = work / "base.nt", work / "new.nt"
    write_synthetic(base_file, actors, 0.5, 1)
    write_synthetic(new_file, actors, 0.8, 2)
    pristine = work / "pristine"
    with EmbeddedStore(pristine) as store:
        load_files(store, [base_file], "base")
    admin = TokenStore(pristine).create("admin", "crash-admin")
    # What a load of each file writes is the file's triples (N-Triples, no description): put
    # them in a store as they are, without the shapes, and apply the update there.
    with EmbeddedStore(None) as memory:
        for name, path in (("base", base_file), ("new", new_file)):
            triples = (
                ox.Triple(q.subject, q.predicate, q.object) for q in ox.parse(path=str(path))
            )
            memory.replace_graph(dataset_iri(name), triples)
        old = fingerprint(memory, dataset_iri("base"), described=False)
        new = fingerprint(memory, dataset_iri("new"), described=False)
        memory.update(UPDATE)
        updated = fingerprint(memory, dataset_iri("base"), described=False)
    assert old is not None and new is not None and updated is not None and updated != old
    fixture = Fixture(work, pristine, new_file, admin)
    fixture.names = {None: "absent", old: "old", new: "new", updated: "updated"}
    fixture.allowed = {
        "load": {"base": {old}, "new": {None, new}},
        "replace": {"base": {old, new}, "new": {None}},
        "delete": {"base": {old, None}, "new": {None}},
        "update": {"base": {old, updated}, "new": {None}},
        "upload": {"base": {old}, "new": {None, new}},
    }
    return fixture


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _cli(*args: str) -> list[str]:
    return [str(BIN / "recruitgraph"), *args]


def _spawn(command: list[str], log: Path) -> subprocess.Popen[bytes]:
    with open(log, "ab") as out:
        # A process group of its own: the kill reaches a server's engine process too.
        return subprocess.Popen(
            command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


def _stat(path: Path) -> tuple[str, int, int] | None:
    """(state, parent pid, process group) from a /proc stat file; None if it is gone."""
    try:
        fields = path.read_text().rpartition(")")[2].split()
    except OSError:
        return None
    return fields[0], int(fields[1]), int(fields[2])


def _family(pid: int) -> set[int]:
    """``pid``, the processes of its process group, and their descendants (a server's engine
    process may run in a session of its own)."""
    table = {
        int(e.name): found
        for e in Path("/proc").iterdir()
        if e.name.isdigit() and (found := _stat(e / "stat")) is not None
    }
    family = {pid} | {p for p, (_, _, group) in table.items() if group == pid}
    while True:
        more = {p for p, (_, parent, _) in table.items() if parent in family} - family
        if not more:
            return family
        family |= more


def _alive(pid: int) -> bool:
    """Whether any thread of ``pid`` has not exited: a process's files (the store's lock
    among them) are closed only when its last thread is done."""
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return False
    return any((found := _stat(t / "stat")) is not None and found[0] != "Z" for t in tasks)


def _kill(process: subprocess.Popen[bytes]) -> bool:
    """SIGKILL the process, its group and their descendants, and wait until every one of them
    is gone; whether the operation was still running."""
    running = process.poll() is None
    family = _family(process.pid)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    for pid in family:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)
    process.wait(timeout=30)
    deadline = time.monotonic() + 30
    while any(_alive(pid) for pid in family) and time.monotonic() < deadline:
        time.sleep(0.02)
    return running


def _serve(data: Path, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    process = _spawn(_cli("serve", "--data-dir", str(data), "--port", str(port)), log)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited: {log.read_text()[-2000:]}")
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                return process, base
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    _kill(process)
    raise RuntimeError("the server did not start")


def _request_in_background(kind: str, base: str, fixture: Fixture) -> threading.Thread:
    headers = {"Authorization": f"Bearer {fixture.admin}"}

    def send() -> None:
        try:
            if kind == "update":
                httpx.post(f"{base}/sparql", data={"update": UPDATE}, headers=headers, timeout=120)
            else:
                with open(fixture.new_file, "rb") as body:
                    httpx.post(
                        f"{base}/api/datasets",
                        data={"name": "new"},
                        files={"file": ("new.nt", body, "application/n-triples")},
                        headers=headers,
                        timeout=120,
                    )
        except httpx.HTTPError:
            pass  # the server was killed: expected

    thread = threading.Thread(target=send, daemon=True)
    thread.start()
    return thread


def one_round(fixture: Fixture, kind: str, delay: float | None, number: int) -> dict[str, object]:
    """Run one operation of ``kind`` on a copy of the pristine store, SIGKILL it after
    ``delay`` seconds (None: once it is done, which measures how long it takes), and check the
    store. Returns what happened; raises AssertionError if the store did not open or a dataset
    is neither complete nor absent."""
    data = fixture.work / f"round-{number}"
    shutil.copytree(fixture.pristine, data)
    log = fixture.work / f"round-{number}.log"
    new = str(fixture.new_file)
    started = time.monotonic()
    if kind in ("update", "upload"):
        process, base = _serve(data, log)
        started = time.monotonic()
        thread = _request_in_background(kind, base, fixture)
        thread.join(timeout=None if delay is None else delay)
        took = time.monotonic() - started
        running = thread.is_alive()  # the request not yet answered
        _kill(process)
        thread.join(timeout=30)
    else:
        command = {
            "load": ("load", new, "--dataset", "new"),
            "replace": ("load", new, "--dataset", "base"),
            "delete": ("delete", "base"),
        }[kind]
        process = _spawn(_cli(*command, "--data-dir", str(data)), log)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=delay)
        took = time.monotonic() - started
        running = _kill(process)
    delay = took if delay is None else delay
    try:
        with EmbeddedStore(data) as store:  # opens cleanly, and drops any staging graph
            left = [g for g in store.graph_names() if g.startswith(STAGING)]
            assert not left, f"round {number} ({kind}): staging graphs left: {left}"
            found = {name: fingerprint(store, dataset_iri(name)) for name in ("base", "new")}
    except Exception as error:
        raise AssertionError(f"round {number} ({kind}, kill at {delay:.2f} s): {error}") from None
    outcome = []
    for name, print_ in found.items():
        allowed = fixture.allowed[kind][name]
        assert print_ in allowed, (
            f"round {number} ({kind}, kill at {delay:.2f} s): dataset {name} is half-written: "
            f"{print_} is none of {allowed}"
        )
        outcome.append(f"{name} {fixture.names[print_]}")
    shutil.rmtree(data, ignore_errors=True)
    return {
        "kind": kind,
        "delay": round(delay, 3),
        "took": round(took, 3),
        "killed_running": running,
        "state": outcome,
    }


def run(kills: int, seed: int, work: Path, actors: int = ACTORS) -> list[dict[str, object]]:
    """``kills`` rounds, the kinds taken in turn, each killed after a delay drawn with
    ``random.Random(seed)``."""
    fixture = prepare(work, actors)
    # One round of each kind run to its end (checked too) says how long it takes here: the
    # kills then fall anywhere from its start to a fifth past its end.
    window = {
        k: 1.2 * float(one_round(fixture, k, None, -1 - i)["took"]) for i, k in enumerate(KINDS)
    }  # type: ignore[arg-type]
    print("windows (s): " + ", ".join(f"{k} {w:.1f}" for k, w in window.items()), flush=True)
    chance = random.Random(seed)
    results = []
    for number in range(kills):
        kind = KINDS[number % len(KINDS)]
        delay = chance.uniform(0, window[kind])
        results.append(one_round(fixture, kind, delay, number))
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=65, help="rounds (kinds taken in turn)")
    parser.add_argument("--seed", type=int, default=None, help="default: drawn, and printed")
    parser.add_argument("--actors", type=int, default=ACTORS, help="size of the synthetic data")
    parser.add_argument("--out", type=Path, help="write the rounds as JSON here")
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(2**31)
    print(f"seed {seed}", flush=True)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="crash-safety-") as work:
        results = run(args.kills, seed, Path(work), args.actors)
    elapsed = time.monotonic() - started
    summary: dict[str, Counter[str]] = {}
    for r in results:
        states = summary.setdefault(str(r["kind"]), Counter())
        states["killed while running" if r["killed_running"] else "had finished"] += 1
        states[", ".join(str(s) for s in r["state"])] += 1  # type: ignore[attr-defined]
    for kind, states in summary.items():
        print(f"{kind}: {dict(states)}")
    print(
        f"{len(results)} kills, 0 half-written datasets, the store opened cleanly every time "
        f"({elapsed:.0f} s, seed {seed})"
    )
    if args.out:
        args.out.write_text(json.dumps({"seed": seed, "rounds": results}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
