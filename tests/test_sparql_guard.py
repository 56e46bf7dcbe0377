"""The parse-level guard: brackets nested too deep are refused, and every check is linear."""

from __future__ import annotations

import contextlib
import threading
import time

import pytest

from graph.sparql import MAX_NESTING, QueryError, check_nesting, inspect_query, plan_update


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
