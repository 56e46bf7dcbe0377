"""How long the checks of a query or update hold the engine's threads (issue 17, item 3).

Each heavy text is checked (``inspect_query`` or ``plan_update``) in the main thread while a
second thread runs trivial queries in a loop, each one checked as the engine checks it (a
``FROM`` clause, so that it is read, never answered from the check's cache) and answered by an
in-memory pyoxigraph store. Printed per text: the check's time and outcome, and the longest
and median wait of the trivial queries meanwhile.

Run against the code on ``PYTHONPATH``; to compare with an earlier commit::

    git archive 6f798ad graph | tar -x -C /tmp/before
    PYTHONPATH=/tmp/before .venv/bin/python bench/gil_checks.py
    PYTHONPATH=$PWD .venv/bin/python bench/gil_checks.py
"""

from __future__ import annotations

import statistics
import sys
import threading
import time
from collections.abc import Callable

import pyoxigraph as ox

from graph.sparql import QueryError, inspect_query, plan_update

G = "https://w3id.org/recruitgraph/dataset/g"

TEXTS: dict[str, tuple[Callable[[str], object], str]] = {
    "sum of 1,980 terms, FROM": (
        inspect_query,
        f"SELECT * FROM <{G}> WHERE {{ BIND(1{'+1' * 985} AS ?x) }}",
    ),
    "5,000 VALUES entries, FROM": (
        inspect_query,
        f"SELECT * FROM <{G}> WHERE {{ VALUES ?x {{ "
        + " ".join(f"<http://x/{i}>" for i in range(5000))
        + " } ?x ?p ?o }",
    ),
    "100 triple patterns, FROM": (
        inspect_query,
        f"SELECT * FROM <{G}> WHERE {{ "
        + " ".join(f"?s <http://x/p{i}> ?o{i} ." for i in range(100))
        + " }",
    ),
    "INSERT DATA, 1,000 triples": (
        plan_update,
        f"INSERT DATA {{ GRAPH <{G}> {{ "
        + " ".join(f"<http://x/s{i}> <http://x/p> 'v{i}' ." for i in range(1000))
        + " } }",
    ),
    "sum of 190 terms, SERVICE word in a comment": (
        inspect_query,
        f"SELECT * WHERE {{ BIND(1{'+1' * 95} AS ?x) }} # service",
    ),
    # the worst that still reaches rdflib's parser: MAX_PARSED_TERMS terms
    "sum of 140 terms, FROM, ?x < <urn:x#y> (parsed)": (
        inspect_query,
        f"SELECT * FROM <{G}> WHERE {{ BIND(1{'+1' * 65} AS ?x) FILTER(?x < <urn:x#y>) }}",
    ),
    "update, sum of 140 terms (skeleton parsed)": (
        plan_update,
        f"INSERT {{ GRAPH <{G}> {{ ?s ?p ?x }} }} WHERE {{ ?s ?p ?o BIND(1{'+1' * 60} AS ?x) }}",
    ),
}
if "--large" in sys.argv:  # minutes before the lexer (rdflib's time grows with the square)
    TEXTS["INSERT DATA, 20,000 triples"] = (
        plan_update,
        f"INSERT DATA {{ GRAPH <{G}> {{ "
        + " ".join(f"<http://x/s{i}> <http://x/p> 'v{i}' ." for i in range(20_000))
        + " } }",
    )


def measure(check: Callable[[str], object], text: str) -> tuple[float, str, float, float]:
    store = ox.Store()
    waits: list[float] = []
    stop = threading.Event()

    def trivial() -> None:
        n = 0
        while not stop.is_set():
            n += 1
            started = time.perf_counter()
            inspect_query(f"ASK FROM <{G}/{n}> {{ }}")
            store.query("ASK {}")
            waits.append(time.perf_counter() - started)

    thread = threading.Thread(target=trivial)
    thread.start()
    time.sleep(0.05)
    before = len(waits)
    started = time.perf_counter()
    try:
        check(text)
        outcome = "ok"
    except QueryError as error:
        outcome = f"400: {str(error)[:70]}"
    except RecursionError:
        outcome = "RecursionError"
    took = time.perf_counter() - started
    # the trivial query in flight when the check ended waited for it too
    time.sleep(0.05)
    stop.set()
    thread.join()
    during = waits[before:] or [took]
    return took, outcome, max(during), statistics.median(during)


def main() -> None:
    # rdflib builds its grammar on first use (a second): not the checks' own time
    plan_update(f"INSERT DATA {{ GRAPH <{G}> {{ <http://x/s> <http://x/p> 1 }} }}")
    inspect_query("SELECT * FROM <http://x/{A}> {}".replace("{A}", "#a"))
    print(f"{'text':48} {'check s':>8} {'max wait s':>10} {'p50 wait ms':>11}  outcome")
    for name, (check, text) in TEXTS.items():
        took, outcome, longest, median = measure(check, text)
        print(f"{name:48} {took:8.3f} {longest:10.3f} {median * 1000:11.2f}  {outcome}")


if __name__ == "__main__":
    main()
