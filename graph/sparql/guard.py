"""The checks every SPARQL text passes before it runs: well-formed, and no outbound request.

``SERVICE`` and ``LOAD`` are refused (unless an allow-list names the target): the engine would
otherwise make outbound HTTP requests on a user's behalf.

Every check is linear in the length of the text and runs in a few milliseconds, so that no
check holds the GIL (or the lock around rdflib's parser) for long while the engine's other
threads wait. Every text is first scanned once (:func:`check_nesting`) for brackets nested
deeper than :data:`MAX_NESTING` and for more than :data:`MAX_TERMS` terms and operators: the
engine's parser recurses once per level of nesting, and once per element of a flat chain
(``1+1+…``, ``a/b/…``, ``{…} UNION {…} UNION …``, ``MINUS``, ``BIND``, collections), and would
overflow its stack on either and take the engine process down; its planner also takes time
that grows faster than the number of triple patterns.

A query is then read token by token (:func:`_read`): every place where the engine could read
``SERVICE`` and the dataset clause (``FROM``, ``FROM NAMED``, with ``PREFIX`` and ``BASE``
resolved), with the escapes ``\\u`` read as pyoxigraph reads them (in strings and IRIs) and
as rdflib and Jena do (everywhere, before parsing). The few texts that tokens cannot settle
(where a ``<`` may be an IRI or a less-than) are parsed by rdflib if they are short
(:data:`MAX_PARSED_CHARS`, :data:`MAX_PARSED_TERMS`), else refused with the reason. rdflib's
parser holds the GIL for up to milliseconds per term, and seconds on a thousand triples of
data: an update is planned from its :func:`_skeleton`, its data reduced to the graphs it names
(:mod:`graph.sparql.update`).
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
#: lock; only short texts are parsed, so that no check waits long for it.
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
    """False only if the query ``text`` cannot hold the keyword SERVICE, even with its letters
    escaped (``\\u0053ERVICE``)."""
    lowered = text.lower()
    return "service" in lowered or "\\u" in lowered


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


def _scan(text: str, find_from: bool = False) -> tuple[int | None, str, bool, int]:
    """Walk ``text`` once: (the offset where it first goes past a limit, or None; which limit,
    "nesting" or "terms"; whether the bare keyword FROM occurs outside strings, IRIs and
    comments, looked for only if ``find_from``; the number of terms).

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
                return match.start(), "nesting", has_from, terms
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
                return match.start(), "nesting", has_from, terms
            if lowest < 0 or inner != 0:
                depth += sum(char in _OPEN for char in token)
                if depth > MAX_NESTING:
                    return match.start(), "nesting", has_from, terms
        elif first in "\"'" and token in ('"', "'", '"""', "'''"):
            break
        elif first not in "<#\"'\\":
            if find_from and _BARE_FROM.search(token):
                has_from = True
            if data_depth < 0:
                words = _TERM.findall(token)
                terms += len(words) - 1  # counted word by word
                lowered = token.lower()
                if "values" in lowered or "data" in lowered:
                    for name in words:
                        values = name.lower() in _DATA_KEYWORDS or (values and name[0] in "?$")
                elif values:  # no keyword here: data follow only if every word is a variable
                    values = all(name[0] in "?$" for name in words)
        if terms > MAX_TERMS:
            return match.start(), "terms", has_from, terms
    return None, "", has_from, terms


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
    offset, limit, _, _ = _scan(text)
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


# --------------------------------------------------------------------------------------------
# The token-level reading of a query: SERVICE, FROM, PREFIX and BASE without a parser

# The classes of SPARQL's grammar (PN_CHARS_BASE, PN_CHARS_U, PN_CHARS, VARNAME), exactly: a
# token read longer than the engine reads it could hide a keyword that follows it.
_PN_BASE = (
    "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02ff\u0370-\u037d\u037f-\u1fff\u200c-\u200d"
    "\u2070-\u218f\u2c00-\u2fef\u3001-\ud7ff\uf900-\ufdcf\ufdf0-\ufffd\U00010000-\U000effff"
)
_PN_CHARS = _PN_BASE + r"_\-0-9\u00b7\u0300-\u036f\u203f-\u2040"
_VAR_CHARS = _PN_BASE + r"_0-9\u00b7\u0300-\u036f\u203f-\u2040"
_LOCAL_ESCAPE = r"\\[_~.\-!$&'()*+,;=/?#@%]"
STRING = (
    r'"""(?:[^"\\]|\\[\s\S]|"(?!""))*+"""|\'\'\'(?:[^\'\\]|\\[\s\S]|\'(?!\'\'))*+\'\'\''
    r'|"(?:[^"\\\n\r]|\\[\s\S])*+"|\'(?:[^\'\\\n\r]|\\[\s\S])*+\''
)
IRI = r'<(?:[^<>"{}|^`\\\x00-\x20]|\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8})*+>'
_VAR = rf"[?$][{_VAR_CHARS}]++"
_NAME = rf"(?:[{_PN_CHARS}.:%]|{_LOCAL_ESCAPE})++"
#: One token, never backtracking: whitespace, a comment, a string, an IRI, a variable, a run of
# name characters (a keyword, a number, a prefixed name or a blank node label: told apart
# afterwards, so that a long run is read once) or one other character.
SPARQL_TOKEN = re.compile(
    r"(?P<ws>[ \t\r\n]++)|(?P<comment>#[^\r\n]*+)"
    rf"|(?P<string>{STRING})|(?P<iri>{IRI})|(?P<var>{_VAR})|(?P<name>{_NAME})"
    r"|(?P<other>[\s\S])"
)
#: The same tokens, without whitespace and comments, for :func:`re.findall` (an empty string
#: where only whitespace or comments are left): their kind is told by their first character.
SPARQL_WORDS = re.compile(rf"(?:[ \t\r\n]++|#[^\r\n]*+)*+({STRING}|{IRI}|{_VAR}|{_NAME}|[\s\S]|$)")
PN_PREFIX = re.compile(rf"(?:[{_PN_BASE}](?:[{_PN_CHARS}.]*+(?<=[{_PN_CHARS}]))?)?")
_PN_LOCAL = re.compile(
    rf"(?:[{_PN_CHARS}:.%]|{_LOCAL_ESCAPE})*+"  # checked further in prefixed_name
)
_UCHAR = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")
#: Texts that the token-level reading cannot settle go to rdflib's parser, which holds the GIL
#: for up to a millisecond per term (2.5 on a busy machine): only texts this short, with this
#: many terms at most (:data:`MAX_TERMS` counts them), so that it never runs long.
MAX_PARSED_CHARS = 4000
MAX_PARSED_TERMS = 150


def _ambiguous(kind: str | None, token: str, iri_expected: bool) -> bool:
    """Whether a token read as an IRI may be, to the engine, a less-than followed by code and
    a comment that hides the rest of the line (see :func:`_read`). Not where the grammar
    admits an IRI only (``iri_expected``: after ``FROM``, ``GRAPH``…), nor for an IRI that
    begins ``scheme://`` (``scheme: / /`` is no expression)."""
    return kind == "iri" and "#" in token and not iri_expected and not HIER_IRI.match(token)


#: The keywords after which only an IRI (or a variable) can follow, never an expression.
_IRI_AFTER = frozenset(
    ("from", "named", "graph", "service", "silent", "base", "with", "using", "into", "to")
)
HIER_IRI = re.compile(r"<[A-Za-z][A-Za-z0-9+.\-]*://")
_AMBIGUOUS = "an IRI holding '#' where '<' may be a less-than"


def _decode(match: re.Match[str]) -> str:
    code = int(match.group(1) or match.group(2), 16)
    if code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return match.group()  # no character: the engine refuses the text
    return chr(code)


def _decode_escapes(text: str) -> str:
    """``text`` with its ``\\u``/``\\U`` escapes replaced by their characters."""
    return _UCHAR.sub(_decode, text)


@dataclass
class _Reading:
    """What one pass of :func:`_read` found in a text."""

    services: list[str | None]  # each SERVICE's endpoint IRI, None where unknown
    from_default: list[str]
    from_named: list[str]
    froms: int  # FROM keywords met (each should give one IRI)
    unsure: tuple[int, str] | None  # (offset, why) where tokens alone cannot settle the text


def _iri_of(token: str, base: str | None) -> str:
    iri = _decode_escapes(token[1:-1])
    if base is not None and not SCHEME.match(iri):
        from urllib.parse import urljoin

        return urljoin(base, iri)
    return iri


def prefixed_name(run: str) -> tuple[str, str] | None:
    """(prefix, local name) if ``run`` is a prefixed name as the engine reads it, else None."""
    prefix, _, local = run.partition(":")
    if not PN_PREFIX.fullmatch(prefix) or not _PN_LOCAL.fullmatch(local):
        return None
    if local and (local[0] in "-.\u00b7" or "\u0300" <= local[0] <= "\u036f"):
        return None
    return prefix, re.sub(r"\\(.)", r"\1", local)


def _read(text: str) -> _Reading:
    """Read a query once, token by token: every place the engine could read ``SERVICE``, the
    dataset clause with prefixes and ``BASE`` resolved, and whether the tokens settle the text.

    ``SERVICE`` is any word holding those letters, and any prefixed name whose prefix holds
    them: the engine reads ``SERVICESILENT <x>``, ``1SERVICE <x>`` and ``SERVICE:x`` as the
    keyword (so ``PREFIX service: <…>`` is refused too). The tokens do not settle a text where
    a ``<`` may be an IRI's start or a less-than: inside ``FILTER(?a<?b)SERVICE:x#>`` the
    engine reads a comparison, ``SERVICE :x`` and a comment hiding the rest of the line, where
    the tokens read an IRI (see :func:`_ambiguous`); nor where a word or prefix holds the
    letters of ``FROM`` without being the keyword.
    """
    prefixes = dict(PREFIXES)
    base: str | None = None
    reading = _Reading([], [], [], 0, None)
    state = ""  # what the last keyword expects next
    word = ""  # the last token, lowered, if a name
    depth = values = 0  # the depth of braces, and that of the VALUES block the reading is in
    before_values = False  # after VALUES and its variables: its block follows
    declared = ""  # the prefix a PREFIX declaration names

    def unsure(offset: int, why: str) -> None:
        reading.unsure = reading.unsure or (offset, why)

    for match in SPARQL_TOKEN.finditer(text):
        kind, token = match.lastgroup, match.group()
        if kind in ("ws", "comment"):
            continue
        if kind == "other" and token in "\"'":
            break  # a string that never closes: the engine refuses the text
        iri_expected = state == "prefix-iri" or word in _IRI_AFTER
        word = token.lower() if kind == "name" else ""
        if kind == "other" and token == "{":
            depth += 1
            values = depth if before_values else values
        elif kind == "other" and token == "}":
            values = 0 if depth == values else values
            depth -= 1
        before_values = word == "values" or (before_values and (kind == "var" or token in "()"))
        if not values and _ambiguous(kind, token, iri_expected):  # VALUES holds IRIs only
            unsure(match.start(), _AMBIGUOUS)
        pname = prefixed_name(token.rstrip(".")) if kind == "name" and ":" in token else None
        if pname is not None and "service" in pname[0].lower():
            reading.services.append(None)
        elif pname is None and "service" in word:
            if state == "service":
                reading.services.append(None)
            if word.rstrip(".") in ("service", "servicesilent"):
                state = "service"
            else:
                reading.services.append(None)
            continue
        if "from" in (pname[0].lower() if pname is not None else ""):
            unsure(match.start(), "a prefixed name that may be FROM")
        term: str | None = None
        if kind == "iri":
            term = _iri_of(token, base)
        elif pname is not None and pname[0] in prefixes:
            term = prefixes[pname[0]] + pname[1]
        elif pname is not None and state in ("from", "named"):
            raise QueryError(f"unknown prefix {pname[0]}: in the query")
        if state == "prefix":
            state, declared = ("prefix-iri" if token.endswith(":") else ""), token[:-1]
        elif state == "prefix-iri":
            if kind == "iri":
                prefixes[declared] = _iri_of(token, base)
            state = ""
        elif state == "base":
            if kind == "iri":
                base = _iri_of(token, base)
            state = ""
        elif state == "from" and word == "named":
            state = "named"
        elif state in ("from", "named"):
            if term is None:
                unsure(match.start(), "FROM without an IRI")
            else:
                (reading.from_named if state == "named" else reading.from_default).append(term)
            state = ""
        elif state == "service":
            if word == "silent":
                continue
            if kind == "iri":
                term = _decode_escapes(token[1:-1])  # unresolved: an allow-list names IRIs
            reading.services.append(term)
            state = ""
        elif word in ("prefix", "base", "from", "fromnamed"):
            state = "named" if word == "fromnamed" else word
            reading.froms += word.startswith("from")
        elif "from" in word:
            unsure(match.start(), "a word that may be FROM")
    if state == "service":
        reading.services.append(None)
    return reading


_DUMMY_TRIPLE = "<urn:x:s> <urn:x:p> <urn:x:o>"


def _skeleton(text: str) -> tuple[str, int, int | None]:
    """``text`` (an update) as rdflib's parser needs it to tell the graphs it reads and writes:
    the same operations, with each data block (``INSERT DATA``, ``DELETE DATA``) reduced to
    one triple per graph it names, ``VALUES`` blocks emptied, strings empty, comments dropped
    and IRIs with their escapes decoded. rdflib takes seconds on a thousand triples of data
    (its time grows with their square), and expands ``\\u`` escapes everywhere, where the
    engine reads them in strings and IRIs only.

    Read token by token, as :func:`_read` reads; a text whose data blocks do not close keeps
    its tail as it is, for the parser to refuse. Returns the text, the number of graphs its data
    blocks name, and the offset of the first token that the tokens cannot settle (the
    skeleton is then not the update's), or None.
    """
    named = 0
    unsure: int | None = None
    words = ("", "")  # the last two tokens, lowered, where names
    out: list[str] = []
    done = 0  # text[:done] is in out
    depth = 0
    expect = ""  # "data" or "values": the next "{" opens such a block
    block = -1  # the depth of the block being reduced, -1 outside one
    block_start = 0
    graphs: list[str] = []  # the data block's GRAPH terms (their text), in order
    filled: list[bool] = []  # whether each graph's block holds anything
    default = False  # triples outside GRAPH in the data block
    after_graph = 0  # tokens since GRAPH in a data block (0: none)
    for match in SPARQL_TOKEN.finditer(text):
        kind, token = match.lastgroup, match.group()
        if kind == "other" and token in "\"'":
            break
        iri_expected = words[0] in _IRI_AFTER or words[1] == "prefix"
        if unsure is None and block < 0 and _ambiguous(kind, token, iri_expected):
            unsure = match.start()
        if kind not in ("ws", "comment"):
            words = (token.lower() if kind == "name" else "", words[0])
        if block >= 0:
            if kind in ("ws", "comment"):
                continue
            if token == "{":
                depth += 1
                if depth == block + 2 and after_graph == 2:
                    filled.append(False)
                    after_graph = 0
                continue
            if token == "}":
                depth -= 1
                if depth == block:
                    reduced = "" if expect == "values" else _reduced(graphs, filled, default)
                    named += len(graphs)
                    out.append(text[done:block_start] + reduced)
                    out.append("\n" * text.count("\n", block_start, match.start()))
                    done, block, expect = match.start(), -1, ""
                continue
            if expect == "values":
                continue
            if depth == block + 1:
                if after_graph == 1:
                    graphs.append(token if kind != "iri" else _clean_iri(token))
                    after_graph = 2
                elif kind == "name" and token.lower() == "graph":
                    after_graph = 1
                elif token != ".":
                    default = True
            elif depth == block + 2 and filled:
                filled[-1] = True
            continue
        if kind == "name" and token.lower() in ("data", "values"):
            expect = token.lower()
        elif token == "{":
            depth += 1
            if expect:
                block, block_start = depth - 1, match.end()
                graphs, filled, default, after_graph = [], [], False, 0
        elif token == "}":
            depth = max(depth - 1, 0)
        elif kind in ("string", "comment", "iri"):
            # strings keep their lines, so that the parser's line numbers are the update's
            replaced = "\n" * token.count("\n") + '""' if kind == "string" else ""
            replaced = _clean_iri(token) if kind == "iri" else replaced
            out.append(text[done : match.start()] + replaced)
            done = match.end()
    out.append(text[done:])
    return "".join(out), named, unsure


def _reduced(graphs: list[str], filled: list[bool], default: bool) -> str:
    parts = [f" {_DUMMY_TRIPLE} ." if default else ""]
    for term, full in zip(graphs, filled + [False] * (len(graphs) - len(filled)), strict=True):
        parts.append(f" GRAPH {term} {{ {_DUMMY_TRIPLE if full else ''} }}")
    return "".join(parts) + " "


def _clean_iri(token: str) -> str:
    iri = _decode_escapes(token[1:-1])
    if re.search(r'[<>"{}|^`\\\x00-\x20]', iri):
        raise QueryError(f"malformed IRI {token}: a character escaped in it is not allowed")
    return f"<{iri}>"


#: What one graph named in a data block costs rdflib's parser, in terms (:data:`MAX_TERMS`).
GRAPH_TERMS = 6
#: The longest skeleton of an update that rdflib's parser reads (about 0.1 s).
MAX_PLANNED_CHARS = 100_000


def texts_to_plan(update: str) -> list[str]:
    """The texts rdflib's parser reads to tell which graphs ``update`` reads and writes: its
    :func:`_skeleton`, and, if it holds ``\\u`` escapes, the skeleton of the update that
    engines expanding them first (rdflib, Jena behind a remote store) read; where the tokens
    cannot settle the update, the update itself if it is short.

    QueryError if the update goes past :data:`MAX_NESTING` or :data:`MAX_TERMS`, or if the
    parse could take long: more than :data:`MAX_PARSED_TERMS` terms outside its data, each
    graph its data names counting :data:`GRAPH_TERMS`, or a skeleton longer than
    :data:`MAX_PLANNED_CHARS`.
    """
    variants = [update]
    if _UCHAR.search(update):
        variants.append(_decode_escapes(update))
    texts = []
    for text in variants:
        offset, limit, _, terms = _scan(text)
        if offset is not None:
            raise _over_limit(text, offset, limit, "update")
        skeleton, graphs, unsure = _skeleton(text)
        if unsure is not None:
            # rdflib expands escapes everywhere, pyoxigraph in strings and IRIs only
            if terms > MAX_PARSED_TERMS or len(text) > MAX_PARSED_CHARS or _UCHAR.search(text):
                raise _unsure(text, unsure, _AMBIGUOUS, "update")
            texts.append(text)
        elif terms + GRAPH_TERMS * graphs > MAX_PARSED_TERMS or len(skeleton) > MAX_PLANNED_CHARS:
            raise QueryError(
                f"the update is too large to check: it holds {terms} terms and operators "
                f"outside its data and names {graphs} graphs in its data (at most "
                f"{MAX_PARSED_TERMS} terms, a graph counting {GRAPH_TERMS}, and "
                f"{MAX_PLANNED_CHARS:,} characters outside its data); split it into several "
                "updates"
            )
        else:
            texts.append(skeleton)
    return texts


def _refuse_services(services: Iterable[str | None], allow: Sequence[str]) -> None:
    for iri in services:
        if iri is None or not _allowed(iri, allow):
            raise QueryError(
                "SERVICE is not allowed: queries may not reach other endpoints"
                + ("" if iri is None else f" ({iri} is not on the allow-list)")
            )


def _unsure(text: str, offset: int, why: str, what: str) -> QueryError:
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    spaces = "put spaces around comparison operators, or " if why == _AMBIGUOUS else ""
    return QueryError(
        f"the {what} cannot be checked quickly: {why} (line {line}, column {column}); "
        f"{spaces}shorten it (under {MAX_PARSED_CHARS} characters and {MAX_PARSED_TERMS} terms)"
    )


@lru_cache(maxsize=1024)
def _inspect_query(text: str, allow: tuple[str, ...], small: bool) -> QueryInfo:
    reading = _read(text)
    services = list(reading.services)
    unsure = reading.unsure
    if _UCHAR.search(text):
        # Some engines (rdflib, Jena) expand escapes before parsing: SERVICE spelt with them.
        decoded = _read(_decode_escapes(text))
        services += decoded.services
        unsure = unsure or decoded.unsure
    _refuse_services(services, allow)
    if unsure is not None:
        if not small or len(text) > MAX_PARSED_CHARS or _UCHAR.search(text):
            raise _unsure(text, unsure[0], unsure[1], "query")
        return _parse_query(text, allow)
    if reading.froms != len(reading.from_default) + len(reading.from_named):
        raise QueryError("malformed dataset clause: FROM and FROM NAMED take an IRI")
    if not reading.from_default and not reading.from_named:
        return _NO_INFO
    return QueryInfo(tuple(reading.from_default), tuple(reading.from_named))


def _parse_query(text: str, allow: tuple[str, ...]) -> QueryInfo:
    """The dataset clause and SERVICE check from rdflib's parse tree, for the short texts that
    tokens alone cannot settle."""
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

    Raises QueryError for ``SERVICE`` (unless ``allow`` names its IRI), for a malformed
    dataset clause and for texts the checks cannot settle; otherwise the engine reports syntax
    errors itself. Linear in the length of the text: it is read token by token
    (:func:`_read`), and only texts shorter than :data:`MAX_PARSED_CHARS` that the tokens
    cannot settle are parsed.
    """
    find_from = _BARE_FROM.search(text) is not None
    if not (find_from or _may_reach_out(text)) and _within_limits(text):
        return _NO_INFO  # what the scan would find, without it
    offset, limit, has_from, terms = _scan(text, find_from=find_from)
    if offset is not None:
        raise _over_limit(text, offset, limit, "query")
    if not (_may_reach_out(text) or has_from):
        return _NO_INFO
    return _inspect_query(text, tuple(allow), terms <= MAX_PARSED_TERMS)


def _within_limits(text: str) -> bool:
    """Whether ``text`` is short enough that :func:`_scan` cannot find it past a limit: each
    term it counts is at least one character, and each level of nesting one opening bracket.

    >>> _within_limits("SELECT * { ?s ?p ?o }"), _within_limits("ASK " + "{" * 65 + "}" * 65)
    (True, False)
    """
    return len(text) <= MAX_TERMS and sum(text.count(c) for c in _OPEN) <= MAX_NESTING
