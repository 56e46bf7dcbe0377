"""The checks every SPARQL text passes before it runs: well-formed, and no outbound request.

``SERVICE`` and ``LOAD`` are refused (unless an allow-list names the target): the engine would
otherwise make outbound HTTP requests on a user's behalf. The decision is made on the parse tree
of rdflib's SPARQL parser, never on a pattern over the text. That parser costs milliseconds, so
a query is parsed only when it *could* hold one of those keywords or a dataset clause: a text in
which neither ``service`` nor ``load`` occurs in any letter case, and that has no ``\\u``
escape (SPARQL expands those before parsing), cannot contain ``SERVICE`` or ``LOAD``.

Every text is first scanned once, in linear time (:func:`check_nesting`), for brackets nested
deeper than :data:`MAX_NESTING` and for more than :data:`MAX_TERMS` terms and operators: the
engine's parser recurses once per level of nesting, and once per element of a flat chain
(``1+1+…``, ``a/b/…``, ``{…} UNION {…} UNION …``, ``MINUS``, ``BIND``, collections), and would
overflow its stack on either and take the engine process down; its planner also takes time
that grows faster than the number of triple patterns.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from graph.errors import Forbidden, InvalidArgument
from graph.model.namespaces import PREFIXES


class QueryError(InvalidArgument):
    """A query or update that is malformed or not allowed; the message says which and why."""


class AccessError(Forbidden, PermissionError):
    """An update that would touch graphs the caller may not write (HTTP 403)."""


# --------------------------------------------------------------------------------------------
# Parsing and the outbound-request check

#: rdflib's SPARQL parser (pyparsing) is not thread-safe: two parses at once, in the engine's
#: threads, fail inside its parse actions (a TypeError, answered 500). Every parse holds this
#: lock; the pure-Python parse holds the GIL throughout anyway, so nothing runs less at once.
PARSE_LOCK = threading.Lock()


def _walk(node: Any) -> Iterable[Any]:
    yield node
    if isinstance(node, dict):
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list | tuple) or type(node).__name__ == "ParseResults":
        for item in node:
            yield from _walk(item)


def _field(node: Any, key: str) -> Any:
    """A field of an rdflib parse-tree or algebra node, None if absent (their ``get`` returns
    the key itself for a missing field)."""
    return dict.get(node, key)


def _allowed(iri: str, allow: Sequence[str]) -> bool:
    """An allow-list entry names an IRI exactly, or every IRI under it if it ends with '/'."""
    return any(iri == entry or (entry.endswith("/") and iri.startswith(entry)) for entry in allow)


def _may_reach_out(text: str) -> bool:
    """False only if ``text`` cannot hold the keywords SERVICE or LOAD (see module docstring)."""
    lowered = text.lower()
    return "service" in lowered or "load" in lowered or "\\u" in lowered


#: How deep ``{ }``, ``( )`` and ``[ ]`` may nest in a query or an update, counted together.
#: The engine's parser recurses once per level and overflows its stack (killing the engine
#: process) a few thousand levels down; real queries stay well under a dozen.
MAX_NESTING = 64

#: How many terms and operators a query or an update may hold, outside strings, IRIs, comments
#: and data (``VALUES``, ``INSERT DATA``, ``DELETE DATA``). The engine's parser crashes on flat
#: chains of a few thousand elements (2,600 ``MINUS`` or ``BIND`` clauses, 4,000 collection
#: items, 6,600 ``+``); its planner takes seconds on a hundred triple patterns already. Real
#: queries hold a few hundred.
MAX_TERMS = 2000

# One pass over the text, never backtracking (possessive quantifiers; a string or IRI that does
# not close fails after one scan of its own line or run): plain text, an escaped character of a
# prefixed name (``ex:a\#b``), a comment, a string, an IRI, or one character (a bracket, or a
# ``<``, quote or ``"""`` that opens nothing: the engine's parser stops at such a quote).
_LEXEME = re.compile(
    r"[^{}()\[\]\"'<#\\]++|\\[\s\S]?|#[^\n\r]*+"
    r'|"""(?:[^"\\]|\\[\s\S]|"(?!""))*+"""|\'\'\'(?:[^\'\\]|\\[\s\S]|\'(?!\'\'))*+\'\'\''
    r'|"""|\'\'\'|"(?:[^"\\\n\r]|\\[\s\S])*+"|\'(?:[^\'\\\n\r]|\\[\s\S])*+\''
    r'|<[^<>"{}|^`\\\x00-\x20]*+>|[\s\S]'
)
_OPEN = frozenset("{([")
_CLOSE = frozenset("})]")
_IRI_BRACKET = re.compile(r"[()\[\]]")
# Terms in a run of plain text: a name, number, variable, keyword or language tag, or one
# character of an operator ('-' and '.' count even inside a name: an over-count is harmless).
_TERM = re.compile(r"[\w:?$@]+|[^\s\w]")
#: The keywords after which a block of data follows (VALUES, INSERT DATA, DELETE DATA).
_DATA_KEYWORDS = frozenset(("values", "data"))

# The bare keyword FROM (``rg:from`` is a prefixed name, ``?from`` a variable).
_BARE_FROM = re.compile(r"(?<![\w:?$])from(?![\w:])", re.IGNORECASE)


def _scan(text: str, find_from: bool = False) -> tuple[int | None, str, bool]:
    """Walk ``text`` once: (the offset where it first goes past a limit, or None; which limit,
    "nesting" or "terms"; whether the bare keyword FROM occurs outside strings, IRIs and
    comments, looked for only if ``find_from``).

    The depth is an upper bound of the parser's: a closing bracket never goes below zero, and
    an IRI holding brackets (the engine could read its ``<`` as less-than) adds its opening
    brackets unless they are balanced within it. Terms are counted as :data:`MAX_TERMS` says;
    the block after the keyword ``VALUES`` (or ``INSERT DATA``, ``DELETE DATA``) is data, not
    counted: the parser reads data without recursion.
    The scan stops at a string that does not close, where the parser stops too.
    """
    depth = 0
    terms = 0
    has_from = False
    values = False  # VALUES (and its variables) or DATA was the last word: data follow
    data_depth = -1  # the depth of the VALUES block the scan is in, -1 outside
    for match in _LEXEME.finditer(text):
        token = match.group()
        first = token[0]
        if data_depth < 0:
            terms += 1
        if first in _OPEN:
            depth += 1
            if depth > MAX_NESTING:
                return match.start(), "nesting", has_from
            if values and first == "{":
                values, data_depth = False, depth
        elif first in _CLOSE:
            if depth == data_depth:
                data_depth = -1
            depth = max(depth - 1, 0)
        elif first == "<" and len(token) > 1 and _IRI_BRACKET.search(token):
            inner = lowest = peak = 0
            for char in token:
                inner += (char in _OPEN) - (char in _CLOSE)
                lowest, peak = min(lowest, inner), max(peak, inner)
            if depth + peak > MAX_NESTING:
                return match.start(), "nesting", has_from
            if lowest < 0 or inner != 0:
                depth += sum(char in _OPEN for char in token)
                if depth > MAX_NESTING:
                    return match.start(), "nesting", has_from
        elif first in "\"'" and token in ('"', "'", '"""', "'''"):
            break
        elif first not in "<#\"'\\":
            if find_from and _BARE_FROM.search(token):
                has_from = True
            if data_depth < 0:
                terms -= 1  # counted word by word
                for word in _TERM.finditer(token):
                    terms += 1
                    name = word.group()
                    values = name.lower() in _DATA_KEYWORDS or (values and name[0] in "?$")
        if terms > MAX_TERMS:
            return match.start(), "terms", has_from
    return None, "", has_from


def check_nesting(text: str, what: str = "query") -> None:
    """QueryError if brackets nest deeper than :data:`MAX_NESTING` in ``text`` (a ``what``),
    or if it holds more than :data:`MAX_TERMS` terms and operators.

    Linear in the length of the text, so that it can run on every text before the engine
    parses it; brackets and terms in strings, IRIs and comments do not count.

    >>> check_nesting("SELECT * WHERE { { ?s ?p '{{{' } }")
    >>> check_nesting("ASK " + "{" * 100 + "}" * 100)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    graph.sparql.guard.QueryError: the query nests brackets (...) more than 64 deep (line 1, ...)
    """
    offset, limit, _ = _scan(text)
    if offset is not None:
        raise _over_limit(text, offset, limit, what)


def _over_limit(text: str, offset: int, limit: str, what: str) -> QueryError:
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    where = f"(line {line}, column {column})"
    if limit == "terms":
        return QueryError(
            f"the {what} holds more than {MAX_TERMS} terms and operators {where}: split it, "
            "or put long lists of values in a VALUES block"
        )
    return QueryError(
        f"the {what} nests brackets ({{ }}, ( ), [ ]) more than {MAX_NESTING} deep {where}"
    )


def _resolve(term: Any, prefixes: dict[str, str]) -> str | None:
    """The IRI of a parse-tree term (IRI or prefixed name); None for a variable."""
    if getattr(term, "name", None) == "pname":
        prefix = _field(term, "prefix") or ""
        if prefix not in prefixes:
            raise QueryError(f"unknown prefix {prefix}: in the query")
        return prefixes[prefix] + (_field(term, "localname") or "")
    from rdflib import URIRef

    return str(term) if isinstance(term, URIRef) else None


def _prologue_prefixes(prologue: Any) -> dict[str, str]:
    prefixes = dict(PREFIXES)
    for decl in prologue or ():
        if getattr(decl, "name", None) == "PrefixDecl":
            prefixes[_field(decl, "prefix") or ""] = str(decl["iri"])
    return prefixes


@dataclass(frozen=True)
class QueryInfo:
    """What the parse of a query says about its dataset (None: no such clause)."""

    from_default: tuple[str, ...] | None = None
    from_named: tuple[str, ...] | None = None


_NO_INFO = QueryInfo()


def _parse_error(kind: str, error: Any) -> QueryError:
    return QueryError(
        f"malformed SPARQL {kind} at line {error.lineno}, column {error.column}: {error.msg}"
    )


def _refuse_service(tree: Any, prefixes: dict[str, str], allow: Sequence[str], what: str) -> None:
    """Refuse a ``SERVICE`` in the parse tree of a query or update (``what``) unless ``allow``
    names its endpoint: the engine would otherwise fetch from the network for the caller."""
    for node in _walk(tree):
        if getattr(node, "name", None) == "ServiceGraphPattern":
            iri = _resolve(_field(node, "term"), prefixes)
            if iri is None or not _allowed(iri, allow):
                raise QueryError(
                    f"SERVICE is not allowed: {what} may not reach other endpoints"
                    + ("" if iri is None else f" ({iri} is not on the allow-list)")
                )


@lru_cache(maxsize=1024)
def _inspect_query(text: str, allow: tuple[str, ...]) -> QueryInfo:
    from pyparsing import ParseException
    from rdflib.plugins.sparql.parser import parseQuery

    try:
        with PARSE_LOCK:
            tree = parseQuery(text)
    except ParseException as error:
        raise _parse_error("query", error) from None
    except RecursionError:  # rdflib's parser recurses deeper per bracket than the engine's
        raise QueryError("the query nests too deep to be checked; simplify it") from None
    prefixes = _prologue_prefixes(tree[0])
    _refuse_service(tree, prefixes, allow, "queries")
    default: list[str] = []
    named: list[str] = []
    for clause in _field(tree[1], "datasetClause") or ():
        if "default" in clause:
            default.append(_resolve(clause["default"], prefixes) or "")
        else:
            named.append(_resolve(clause["named"], prefixes) or "")
    if not default and not named:
        return _NO_INFO
    return QueryInfo(tuple(default), tuple(named))


def inspect_query(text: str, *, allow: Sequence[str] = ()) -> QueryInfo:
    """Check a query before it runs and read its dataset clause.

    Raises QueryError for ``SERVICE`` (unless ``allow`` names its IRI) and, when the text must
    be parsed, for malformed text; otherwise the engine reports syntax errors itself.
    """
    offset, limit, has_from = _scan(text, find_from=_BARE_FROM.search(text) is not None)
    if offset is not None:
        raise _over_limit(text, offset, limit, "query")
    if not (_may_reach_out(text) or has_from):
        return _NO_INFO
    return _inspect_query(text, tuple(allow))
