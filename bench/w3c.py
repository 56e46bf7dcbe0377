"""The W3C SPARQL 1.1 suites side by side: ``oxigraph serve`` and ``recruitgraph serve``, each
a fresh process over an empty store, run by the harness of tests/w3c_harness.py.

    PYTHONPATH=. .venv/bin/python bench/w3c.py                  # the table
    PYTHONPATH=. .venv/bin/python bench/w3c.py --failures       # and why each test failed
    PYTHONPATH=. .venv/bin/python bench/w3c.py --write-expected # record the pass lists

``--write-expected`` rewrites tests/w3c/expected.json (each server's passing tests) and the
known-gap table of docs/conformance.md (the tests oxigraph passes and recruitgraph fails),
keeping the reason written for a test that is still a gap; a new gap gets the failure as
its reason, marked ``TODO`` for whoever records it to explain.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from graph.server.auth import TokenStore  # noqa: E402
from tests.helpers import BIN, free_port, start_server, stop, wait_for_http  # noqa: E402
from tests.w3c_harness import (  # noqa: E402
    EXPECTED,
    MAX_ROWS,
    SUITES,
    Outcome,
    OxigraphTarget,
    RecruitgraphTarget,
    Target,
    load_tests,
    passed,
    run_suite,
)

CONFORMANCE = ROOT / "docs" / "conformance.md"
GAPS_START = "<!-- gaps: written by bench/w3c.py --write-expected -->"
GAPS_END = "<!-- end of gaps -->"
TABLE_START = "<!-- table: written by bench/w3c.py --write-expected -->"
TABLE_END = "<!-- end of table -->"
NAMES = {"query": "query evaluation", "protocol": "protocol", "gsp": "Graph Store Protocol",
         "syntax": "query syntax"}  # fmt: skip


@contextmanager
def oxigraph(work: Path) -> Iterator[Target]:
    executable = shutil.which("oxigraph", path=str(BIN)) or shutil.which("oxigraph")
    if executable is None:
        raise SystemExit("oxigraph is missing: install the dev extra (make install)")
    port = free_port()
    process = subprocess.Popen(
        [executable, "serve", "--location", str(work / "oxigraph"), "--bind", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(f"{base}/query?query=ASK%7B%7D", process)
        target = OxigraphTarget(base)
        yield target
        target.close()
    finally:
        stop(process)


@contextmanager
def recruitgraph(work: Path) -> Iterator[Target]:
    data = work / "recruitgraph"
    data.mkdir()
    token = TokenStore(data).create("editor", "w3c", ())
    server = start_server(
        data, work / "recruitgraph.log", "--data-dir", str(data), "--max-rows", str(MAX_ROWS)
    )
    try:
        target = RecruitgraphTarget(server.base, token)
        yield target
        target.close()
    finally:
        stop(server.process)


def _progress(name: str, outcome: Outcome) -> None:
    print(f"  {'ok  ' if outcome.passed else 'FAIL'} {name}", file=sys.stderr, flush=True)


def run(which: str, work: Path, verbose: bool) -> tuple[dict[str, dict[str, Outcome]], float]:
    work.mkdir(parents=True)
    start = time.monotonic()
    server = oxigraph if which == "oxigraph" else recruitgraph
    with server(work) as target:
        results = {
            suite: run_suite(target, suite, _progress if verbose else None) for suite in SUITES
        }
    seconds = time.monotonic() - start
    print(f"{target.name}: {seconds:.1f} s", file=sys.stderr)
    if verbose:
        for outcomes in results.values():
            for name, outcome in outcomes.items():
                if not outcome.passed:
                    print(f"  {which} FAIL {name}: {outcome.detail}", file=sys.stderr)
    return results, seconds


def table(results: dict[str, dict[str, dict[str, Outcome]]]) -> str:
    lines = ["| suite | oxigraph serve | recruitgraph |", "|---|---:|---:|"]
    for suite in SUITES:
        counts = [
            len(passed(results[w][suite])) if w in results else "–"
            for w in ("oxigraph", "recruitgraph")
        ]
        lines.append(
            f"| {NAMES[suite]} ({len(load_tests(suite))} tests) | {counts[0]} | {counts[1]} |"
        )
    return "\n".join(lines)


def known_reasons() -> dict[str, str]:
    """The reasons docs/conformance.md gives for each known gap, by test id."""
    text = CONFORMANCE.read_text("utf-8") if CONFORMANCE.exists() else ""
    section = text.partition(GAPS_START)[2].partition(GAPS_END)[0]
    return dict(re.findall(r"^\| `([^`]+)` \| (.*) \|$", section, re.MULTILINE))


def gaps(results: dict[str, dict[str, dict[str, Outcome]]]) -> dict[str, str]:
    """The tests oxigraph passes and recruitgraph fails, with recruitgraph's failure."""
    found = {}
    for suite in SUITES:
        ours = results["recruitgraph"][suite]
        for name in passed(results["oxigraph"][suite]):
            if not ours[name].passed:
                found[name] = ours[name].detail
    return found


def _replace(text: str, start: str, end: str, body: str) -> str:
    head, _, rest = text.partition(start)
    _, _, tail = rest.partition(end)
    return f"{head}{start}\n{body}\n{end}{tail}"


def write_expected(results: dict[str, dict[str, dict[str, Outcome]]]) -> None:
    record = {
        "recorded": date.today().isoformat(),
        "command": "PYTHONPATH=. .venv/bin/python bench/w3c.py --write-expected",
        **{w: {s: passed(results[w][s]) for s in SUITES} for w in ("oxigraph", "recruitgraph")},
    }
    EXPECTED.write_text(json.dumps(record, indent=1) + "\n", "utf-8")
    reasons = known_reasons()
    rows = ["| test | reason |", "|---|---|"]
    for name, detail in sorted(gaps(results).items()):
        reason = reasons.get(name) or "TODO: " + re.sub(r"\s+", " ", detail).replace("|", "/")[:160]
        rows.append(f"| `{name}` | {reason} |")
    text = CONFORMANCE.read_text("utf-8")
    text = _replace(text, TABLE_START, TABLE_END, table(results))
    CONFORMANCE.write_text(_replace(text, GAPS_START, GAPS_END, "\n".join(rows)), "utf-8")
    print(f"wrote {EXPECTED.relative_to(ROOT)} and {CONFORMANCE.relative_to(ROOT)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--servers", default="oxigraph,recruitgraph")
    parser.add_argument("--failures", action="store_true", help="print each failure's reason")
    parser.add_argument(
        "--write-expected",
        action="store_true",
        help="record the pass lists (tests/w3c/expected.json) and the gaps (docs/conformance.md)",
    )
    args = parser.parse_args()
    which = [w.strip() for w in args.servers.split(",") if w.strip()]
    if args.write_expected and set(which) != {"oxigraph", "recruitgraph"}:
        parser.error("--write-expected runs both servers")
    results = {}
    with tempfile.TemporaryDirectory(prefix="w3c-") as work:
        for w in which:
            results[w], _ = run(w, Path(work) / w, args.failures)
    print(table(results))
    if args.write_expected:
        write_expected(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
