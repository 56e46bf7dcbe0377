"""The checks every SPARQL text passes before it runs: well-formed, and no outbound request.

``SERVICE`` and ``LOAD`` are refused (unless an allow-list names the target): the engine would
otherwise make outbound HTTP requests on a user's behalf. The decision is made on the parse tree
of rdflib's SPARQL parser, never on a pattern over the text. That parser costs milliseconds, so
a query is parsed only when it *could* hold one of those keywords or a dataset clause: a text in
which neither ``service`` nor ``load`` occurs in any letter case, and that has no ``\\u``
escape (SPARQL expands those before parsing), cannot contain ``SERVICE`` or ``LOAD``.
"""

from __future__ import annotations

import re
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


# A small lexer that finds the bare keyword FROM outside strings, IRIs and comments (``rg:from``
# is a prefixed name, not the keyword). It only decides whether the query needs the full parse
# to read its dataset clause; it decides nothing about access.
_TOKENS = re.compile(
    r'#[^\n\r]*|"""(?:[^"\\]|\\.|"(?!""))*"""|\'\'\'(?:[^\'\\]|\\.|\'(?!\'\'))*\'\'\''
    r'|"(?:[^"\\\n\r]|\\.)*"|\'(?:[^\'\\\n\r]|\\.)*\'|<[^<>"{}|^`\\\x00-\x20]*>'
    r"|[?$][\w\u00b7-\uffff]+|[\w\u00b7-\uffff.-]*:[\w\u00b7-\uffff.:%-]*|[A-Za-z_]\w*",
    re.DOTALL,
)


_BARE_FROM = re.compile(r"(?<![\w:?$])from(?![\w:])", re.IGNORECASE)


def _has_from(text: str) -> bool:
    # Most queries only have rg:from: a quick look for the bare word decides them.
    if not _BARE_FROM.search(text):
        return False
    return any(m.group().lower() == "from" for m in _TOKENS.finditer(text))


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


@lru_cache(maxsize=1024)
def _inspect_query(text: str, allow: tuple[str, ...]) -> QueryInfo:
    from pyparsing import ParseException
    from rdflib.plugins.sparql.parser import parseQuery

    try:
        tree = parseQuery(text)
    except ParseException as error:
        raise _parse_error("query", error) from None
    prefixes = _prologue_prefixes(tree[0])
    for node in _walk(tree):
        if getattr(node, "name", None) == "ServiceGraphPattern":
            iri = _resolve(_field(node, "term"), prefixes)
            if iri is None or not _allowed(iri, allow):
                raise QueryError(
                    "SERVICE is not allowed: queries may not reach other endpoints"
                    + ("" if iri is None else f" ({iri} is not on the allow-list)")
                )
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
    if not (_may_reach_out(text) or _has_from(text)):
        return _NO_INFO
    return _inspect_query(text, tuple(allow))
