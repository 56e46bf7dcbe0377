"""The size of an update, checked before it runs: an update writes at most so many triples.

The engine evaluates an update's ``WHERE`` whole before it writes, so a cartesian ``INSERT``
would grow it by the product of its patterns (3.8 GB for one editor's update). The triples
an operation deletes or inserts are at most its solutions times its template's triples, so
:func:`check_update_size` counts each ``WHERE``'s solutions first, with a query over the same
graphs that stops one past the limit, and refuses the update past it. The other operations
are bounded without a count: ``INSERT DATA`` and ``DELETE DATA`` by the text (the request
body limit), ``ADD``, ``COPY`` and ``MOVE`` by graphs already stored.

A ``WHERE`` that reads a graph an earlier operation of the same update inserts into cannot
be counted before the update runs (the earlier operation's triples are not there yet): such
an update is refused, to be sent as two.
"""

from __future__ import annotations

import re

from graph.sparql.guard import SPARQL_TOKEN, QueryError
from graph.sparql.update import UpdatePlan, Where
from graph.store import Store

__all__ = ["MAX_UPDATE_TRIPLES", "check_update_size", "where_groups"]

#: Most triples an update may delete and insert, by default. The engine held 3.2 KB per
#: solution of a cartesian INSERT (219 MB for 68,921; bench/RESULTS.md): a million would
#: be 3 GB.
MAX_UPDATE_TRIPLES = 100_000

_DECLARATION = re.compile(r"(?i:prefix)\s+[\w.-]*:\s*<[^>]*>|(?i:base)\s*<[^>]*>")


def where_groups(text: str) -> list[tuple[str, str]]:
    """The group pattern after each top-level ``WHERE`` of an update (``DELETE WHERE`` too),
    in order, each with the ``PREFIX`` and ``BASE`` declarations before it.

    >>> where_groups('PREFIX ex: <http://e/> INSERT { ?s ex:p "}" } WHERE { ?s ?p ?o # }\\n}')
    [('PREFIX ex: <http://e/> ', '{ ?s ?p ?o # }\\n}')]
    """
    groups: list[tuple[str, str]] = []
    prologue: list[str] = []
    depth = 0
    start = -1
    after_where = False
    for token in SPARQL_TOKEN.finditer(text):
        kind, value = token.lastgroup, token.group()
        if kind == "other" and value == "{":
            if depth == 0 and after_where:
                start = token.start()
            depth += 1
        elif kind == "other" and value == "}":
            depth -= 1
            if depth == 0 and start >= 0:
                groups.append(("".join(prologue), text[start : token.end()]))
                start = -1
        elif depth == 0 and kind not in ("ws", "comment"):
            upper = value.upper()
            if upper in ("PREFIX", "BASE"):
                declaration = _DECLARATION.match(text, token.start())
                if declaration:
                    prologue.append(declaration.group() + " ")
            after_where = upper == "WHERE"
    return groups


def _fresh_variable(text: str) -> str:
    """A variable name that does not occur in ``text``."""
    n = 0
    while f"count{n}" in text:
        n += 1
    return f"count{n}"


def _count(store: Store, prologue: str, pattern: str, where: Where, limit: int) -> int:
    """Solutions of ``pattern`` over the graphs of ``where``, counted up to ``limit``."""
    var = _fresh_variable(pattern)
    probe = (
        f"{prologue}SELECT (COUNT(*) AS ?{var}) WHERE {{ {{ SELECT * WHERE {pattern} "
        f"LIMIT {limit} }} }}"
    )
    try:
        result = store.query(
            probe,
            default_graph=where.default_graph,
            named_graphs=where.named_graphs,
        )
    except SyntaxError as error:
        raise QueryError(f"malformed SPARQL update: {error}") from None
    for row in result:  # type: ignore[union-attr]  # a SELECT
        return int(row[0].value)
    return 0


def check_update_size(store: Store, plan: UpdatePlan, max_triples: int) -> None:
    """Raise QueryError unless the update of ``plan`` writes at most ``max_triples`` triples
    (deleted and inserted, every operation together), counting each ``WHERE``'s solutions in
    ``store`` as it is now (times its template's triples; a solution is counted as one triple
    at least, since the engine holds each). Call it where no other write can come between it
    and the update."""
    if not plan.wheres:
        return
    groups = where_groups(plan.text)
    if len(groups) != len(plan.wheres):
        raise RuntimeError(f"found {len(groups)} WHERE groups in an update with {plan.wheres}")
    budget = max_triples
    for where, (prologue, pattern) in zip(plan.wheres, groups, strict=True):
        if where.reads_inserted:
            raise QueryError(
                f"operation {where.operation} of the update reads a graph that an earlier "
                "operation of it inserts into, so its size cannot be checked before it runs: "
                "send them as separate updates"
            )
        each = max(where.template, 1)
        allowed = budget // each
        solutions = _count(store, prologue, pattern, where, allowed + 1)
        if solutions > allowed:
            raise QueryError(
                f"the update is too large: operation {where.operation} has more than {allowed:,} "
                f"solutions, writing {each} triple(s) each, past the limit of {max_triples:,} "
                "triples an update may write (serve --max-update-triples); narrow its WHERE"
            )
        budget -= solutions * each
