"""The parse-level guard: brackets nested too deep are refused, and every check is linear."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import threading
import time

import pytest

from graph.sparql import (
    MAX_NESTING,
    MAX_TERMS,
    QueryError,
    check_nesting,
    inspect_query,
    plan_update,
)


@pytest.mark.parametrize(
    "text",
    [
        "ASK " + "{" * 5000 + "}" * 5000,  # the 10 KB query
        "ASK { FILTER(" + "(" * 100 + "1" + ")" * 100 + ") }",
        "ASK { ?s <http://x/p> " + "[ <http://x/p> " * 100 + "1" + " ]" * 100 + " }",
        # a '<' the engine may read as less-than, before brackets that are not an IRI's
        "ASK { FILTER(?a <" + "(" * 100 + "1" + ")" * 100 + "> 0) }",
        # an escaped '#' in a prefixed name is no comment
        "ASK { ?s ex:a\\# " + "{" * 100 + "}" * 100 + " }",
    ],
)
def test_brackets_nested_too_deep_are_refused(text: str) -> None:
    with pytest.raises(QueryError, match=f"more than {MAX_NESTING} deep"):
        inspect_query(text)
    with pytest.raises(QueryError, match="the update nests brackets"):
        plan_update(text.replace("ASK", "INSERT DATA", 1))


def test_brackets_in_strings_iris_and_comments_do_not_count() -> None:
    deep = "{" * 200 + "(" * 200 + "[" * 200
    check_nesting(f"SELECT * WHERE {{ ?s ?p '{deep}' }} # {deep}\n")
    check_nesting(f'SELECT * WHERE {{ ?s ?p """{deep}\n""" }}')
    check_nesting("SELECT * WHERE { ?s ?p <http://x/a(b)> }" + " <http://x/(c)>" * 200)
    inner = "{ ?s ?p ?o }"
    for _ in range(MAX_NESTING - 1):
        inner = "{ " + inner + " }"
    check_nesting("SELECT * WHERE " + inner)


#: Texts on which the old regular expressions of the FROM check backtracked for seconds (a bare
#: "from" inside a string or comment made it lex the whole text).
ADVERSARIAL = {
    "digit runs": "1" * 60_000 + ' "from"',
    "digits and dots": "1." * 30_000 + ' "from"',
    "escapes": "\\u" * 30_000 + ' "from"',
    "quotes": '"a\\' * 20_000 + " # from",
    "mixed": ("1" * 2000 + "\\u0041" * 200 + '"') * 20 + " # from",
}


@pytest.mark.parametrize("name", ADVERSARIAL)
def test_the_checks_are_linear_on_adversarial_text(name: str) -> None:
    text = ADVERSARIAL[name]
    started = time.perf_counter()
    with contextlib.suppress(QueryError):  # malformed or not, decided quickly
        inspect_query(text)
    assert time.perf_counter() - started < 0.5


def test_checks_in_many_threads_at_once_all_succeed() -> None:
    """The engine checks texts in several threads; rdflib's parser is not thread-safe, so
    unlocked parses at once failed with TypeErrors (answered 500)."""
    failures: list[str] = []

    def check(thread: int) -> None:
        for i in range(15):  # distinct texts: the checks cache their answers
            try:
                inspect_query(f"SELECT * FROM <http://x/{thread}/{i}> WHERE {{ ?s ?p ?o }}")
                plan_update(f"LOAD SILENT <http://x/{thread}/{i}>")
            except QueryError as error:
                if "LOAD is not allowed" not in str(error):
                    failures.append(repr(error))
            except Exception as error:  # what the test looks for
                failures.append(repr(error))

    threads = [threading.Thread(target=check, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []


def _chain(n: int) -> dict[str, str]:
    """Flat texts of about ``n`` elements on which the engine's parser recursed once per
    element and overflowed its stack (measured in a subprocess: from 2,600 to 9,000)."""
    return {
        "sum": "SELECT * { FILTER(1" + "+1" * n + ") }",
        "or": "SELECT * { FILTER(true" + " || true" * n + ") }",
        "and": "SELECT * { FILTER(true" + "&&true" * n + ") }",
        "not": "SELECT * { FILTER(" + "!" * n + "true) }",
        "path": "SELECT * { ?a " + "/".join(["<http://x/p>"] * n) + " ?b }",
        "alternatives": "SELECT * { ?a " + "|".join(["<http://x/p>"] * n) + " ?b }",
        "union": "SELECT * { " + " UNION ".join(["{ ?s ?p ?o }"] * n) + " }",
        "minus": "SELECT * { ?s ?p ?o " + "MINUS { ?s ?p ?o } " * n + "}",
        "bind": "SELECT * { " + " ".join(f"BIND(1 AS ?v{i})" for i in range(n)) + " }",
        "collection": "SELECT * { ?s ?p (" + " 1" * n + " ) }",
        "objects": "SELECT * { ?s ?p " + ", ".join(["1"] * n) + " }",
    }


@pytest.mark.parametrize("name", list(_chain(1)))
def test_flat_chains_past_the_term_limit_are_refused(name: str) -> None:
    text = _chain(10_000)[name]
    started = time.perf_counter()
    with pytest.raises(QueryError, match=f"more than {MAX_TERMS} terms and operators"):
        inspect_query(text)
    assert time.perf_counter() - started < 0.5
    update = text.replace("SELECT * {", "DELETE { GRAPH <http://x/g> { ?s ?p ?o } } WHERE {", 1)
    with pytest.raises(QueryError, match="the update holds more than"):
        plan_update(update)


def test_data_blocks_do_not_count_towards_the_term_limit() -> None:
    rows = " ".join(f"(ex:a-{i} 1.5)" for i in range(MAX_TERMS * 5))
    check_nesting(f"SELECT * {{ ?x ?p ?o VALUES (?x ?y) {{ {rows} }} }}")
    single = " ".join(f"ex:a-{i}" for i in range(MAX_TERMS * 5))
    check_nesting(f"SELECT * {{ ?x ?p ?o }} VALUES ?x {{ {single} }}")
    triples = " ".join(f"<http://x/{i}> <http://x/p> {i} ." for i in range(MAX_TERMS))
    check_nesting(f"INSERT DATA {{ GRAPH <http://x/g> {{ {triples} }} }}")
    # after the data block, terms count again
    with pytest.raises(QueryError, match="terms and operators"):
        check_nesting(f"SELECT * {{ VALUES ?x {{ {rows} }} FILTER(1{'+1' * MAX_TERMS}) }}")


def test_the_engine_parses_texts_under_the_limits() -> None:
    """The limits stay below what crashes the engine: the longest chain of each kind that the
    guard lets through is parsed and evaluated by pyoxigraph in a thread (as in the engine
    process) of a subprocess. (Paths, object lists and collections at the limit take the
    planner minutes, not a crash: the time limit stops them.)"""
    texts = {name: _longest(name) for name in ("sum", "or", "and", "not", "union", "minus", "bind")}
    program = (
        "import json, sys, threading, pyoxigraph as ox\n"
        "texts = json.load(sys.stdin)\n"
        "def run():\n"
        "    for text in texts.values():\n"
        "        result = ox.Store().query(text)\n"
        "        list(result) if hasattr(result, '__iter__') else bool(result)\n"
        "    print('done')\n"
        "thread = threading.Thread(target=run); thread.start(); thread.join()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", program],
        input=json.dumps(texts),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0 and done.stdout.strip() == "done", done.stderr[-2000:]


def _longest(name: str) -> str:
    """The longest chain of kind ``name`` (:func:`_chain`) that the guard lets through."""
    low, high = 1, MAX_TERMS
    while low < high:
        middle = (low + high + 1) // 2
        try:
            check_nesting(_chain(middle)[name])
            low = middle
        except QueryError:
            high = middle - 1
    assert low > MAX_TERMS // 8, (name, low)
    return _chain(low)[name]
