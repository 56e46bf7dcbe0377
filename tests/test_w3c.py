"""The W3C SPARQL 1.1 suites, run over HTTP against a live ``recruitgraph serve`` and a live
``oxigraph serve`` side by side (issue 14, item 2; harness: tests/w3c_harness.py).

Two promises are checked against the lists recorded by ``bench/w3c.py --write-expected``
(tests/w3c/expected.json): no test recruitgraph passed then fails now, and the tests that
oxigraph passes and recruitgraph fails are exactly the known gaps that docs/conformance.md
lists with their reasons (so a fix that closes a gap must remove it from the list, and a
new gap must be explained there).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from graph.server.auth import TokenStore
from tests.helpers import start_server, stop
from tests.w3c_harness import (
    MAX_ROWS,
    SUITES,
    Outcome,
    OxigraphTarget,
    RecruitgraphTarget,
    expected,
    load_tests,
    passed,
    run_suite,
)
from tests.w3c_harness import _rows_match as rows_match

CONFORMANCE = Path(__file__).parent.parent / "docs" / "conformance.md"
Results = dict[str, dict[str, dict[str, Outcome]]]


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory, oxigraph_server: str) -> Iterator[Results]:
    """Every suite run once on each server: a recruitgraph server of its own over an empty
    store (an editor's token), and the session's oxigraph server, emptied before and after.
    oxigraph's run goes on while recruitgraph's server starts."""
    data = tmp_path_factory.mktemp("w3c") / "data"
    data.mkdir()
    token = TokenStore(data).create("editor", "w3c", ())
    theirs = OxigraphTarget(oxigraph_server)
    with ThreadPoolExecutor(1) as pool:
        theirs_run = pool.submit(lambda: {suite: run_suite(theirs, suite) for suite in SUITES})
        server = start_server(
            data, data.parent / "server.log", "--data-dir", str(data), "--max-rows", str(MAX_ROWS)
        )
        ours = RecruitgraphTarget(server.base, token)
        try:
            yield {
                "recruitgraph": {suite: run_suite(ours, suite) for suite in SUITES},
                "oxigraph": theirs_run.result(timeout=120),
            }
        finally:
            ours.close()
            theirs.close()
            stop(server.process)


def documented_gaps() -> set[str]:
    text = CONFORMANCE.read_text("utf-8")
    section = text.partition("<!-- gaps:")[2].partition("<!-- end of gaps -->")[0]
    return set(re.findall(r"^\| `([^`]+)` \|", section, re.MULTILINE))


def test_the_suites_hold_the_tests_issue_14_counts() -> None:
    counts = {suite: len(load_tests(suite)) for suite in SUITES}
    assert counts == {"query": 235, "protocol": 34, "gsp": 13, "syntax": 94}


@pytest.mark.parametrize("suite", SUITES)
def test_no_test_recruitgraph_passed_fails_now(results: Results, suite: str) -> None:
    outcomes = results["recruitgraph"][suite]
    regressed = {
        name: outcomes[name].detail
        for name in expected()["recruitgraph"][suite]
        if not outcomes[name].passed
    }
    assert not regressed, f"passed when recorded, fail now: {regressed}"


def test_every_gap_with_oxigraph_is_documented(results: Results) -> None:
    gaps = {
        name: results["recruitgraph"][suite][name].detail
        for suite in SUITES
        for name in passed(results["oxigraph"][suite])
        if not results["recruitgraph"][suite][name].passed
    }
    documented = documented_gaps()
    assert not gaps.keys() - documented, (
        "oxigraph passes, recruitgraph fails, docs/conformance.md does not list: "
        f"{ {n: gaps[n] for n in sorted(gaps.keys() - documented)} }"
    )
    assert not documented - gaps.keys(), (
        "docs/conformance.md lists as gaps tests that are no longer gaps (re-record with "
        f"bench/w3c.py --write-expected): {sorted(documented - gaps.keys())}"
    )


# The comparison itself: a harness that cannot fail a wrong answer proves nothing.
def b(label: str) -> tuple[str, str]:
    return ("bnode", label)


def n(value: str) -> tuple[str, str, Decimal]:
    return ("number", "http://www.w3.org/2001/XMLSchema#decimal", Decimal(value))


def test_results_compare_as_bags_with_blank_nodes_renamed_one_to_one() -> None:
    expected_rows: list[dict[str, Any]] = [
        {"x": b("a"), "y": "<s>"},
        {"x": b("a"), "y": "<t>"},
        {"x": b("c")},
    ]
    renamed: list[dict[str, Any]] = [
        {"x": b("q")},
        {"x": b("p"), "y": "<t>"},
        {"x": b("p"), "y": "<s>"},
    ]
    assert rows_match(expected_rows, renamed, ordered=False)
    # one blank node where two are expected, or two where one is: different answers
    merged: list[dict[str, Any]] = [
        {"x": b("p")},
        {"x": b("p"), "y": "<t>"},
        {"x": b("p"), "y": "<s>"},
    ]
    split: list[dict[str, Any]] = [
        {"x": b("q")},
        {"x": b("p"), "y": "<t>"},
        {"x": b("r"), "y": "<s>"},
    ]
    assert not rows_match(expected_rows, merged, ordered=False)
    assert not rows_match(expected_rows, split, ordered=False)
    # a bag: a row twice is not the row once
    twice: list[dict[str, Any]] = [{"y": "<s>"}, {"y": "<s>"}]
    assert not rows_match(twice, [{"y": "<s>"}, {"y": "<t>"}], ordered=False)


def test_order_counts_only_when_asked_and_numbers_compare_by_value() -> None:
    one_two: list[dict[str, Any]] = [{"v": n("1")}, {"v": n("2.0")}]
    assert rows_match(one_two, [{"v": n("2")}, {"v": n("1.00")}], ordered=False)
    assert not rows_match(one_two, [{"v": n("2")}, {"v": n("1.00")}], ordered=True)
    assert not rows_match(one_two, [{"v": n("1")}, {"v": n("3")}], ordered=False)
