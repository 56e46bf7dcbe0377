"""The triple patterns a query matches against its default graph, read without a parser.

A query's answer depends on its default graph only through the triple patterns and property
paths it matches there; :func:`default_graph_patterns` lists them, group by group, so that a
store can tell whether some triples outside the caller's graphs could ever be matched
(:mod:`graph.sparql.union`). It reads the text token by token (as :mod:`graph.sparql.guard`
does; a few microseconds per term, where rdflib's parser takes milliseconds) and knows a
subset of SPARQL: ``SELECT``, ``ASK`` and ``CONSTRUCT`` over groups of triples with ``;`` and
``,``, property paths, ``OPTIONAL``, ``UNION``, ``MINUS``, ``FILTER``, ``BIND``, ``VALUES``,
``GRAPH`` and sub-selects. Anything else (``DESCRIBE``, ``FROM``, relative IRIs in paths,
``EXISTS``, ``SERVICE``, blank-node property lists and collections, quoted triples, escapes)
gives None: the caller then assumes every triple may be matched. A relative IRI (resolved
against a base: the query's ``BASE``, or the endpoint's URL) is read as a variable of its own,
which no rule takes as a proof. A text the engine refuses may be read here; it is refused by
the engine all the same.

A :class:`Group` holds the patterns that all must match together (its triples blocks, which
the engine joins, whatever filters stand between them) and the groups nested in it
(``OPTIONAL``, ``MINUS``, ``UNION``, sub-selects), each read as a group of its own. Patterns of
``GRAPH`` blocks match named graphs, not the default graph, and are left out.

Examples
--------
>>> groups = default_graph_patterns(
...     "SELECT ?who WHERE { ?f a rg:FundingFlow ; rg:from ?who . "
...     "OPTIONAL { ?who rdfs:label ?l } }", {"rg": "urn:rg#", "rdfs": "urn:rdfs#"})
>>> [(p.subject, p.predicate, p.object) for p in groups.patterns]
... # doctest: +NORMALIZE_WHITESPACE
[(Variable(name='f'),
  'http://www.w3.org/1999/02/22-rdf-syntax-ns#type', 'urn:rg#FundingFlow'),
 (Variable(name='f'), 'urn:rg#from', Variable(name='who'))]
>>> [(p.subject, p.predicate) for p in groups.groups[0].patterns]
[(Variable(name='who'), 'urn:rdfs#label')]
>>> default_graph_patterns("DESCRIBE <urn:x>", {}) is None
True
"""

from __future__ import annotations

__all__ = [
    "Group",
    "Literal",
    "Path",
    "Pattern",
    "Slot",
    "Variable",
    "default_graph_patterns",
    "query_shape",
]

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import NamedTuple

from graph.model.namespaces import RDF
from graph.sparql.guard import (
    HIER_IRI,
    IRI,
    PN_PREFIX,
    SCHEME,
    SPARQL_WORDS,
    STRING,
    prefixed_name,
)


class Variable(NamedTuple):
    """A variable, or a blank node of the query (which matches as a variable does)."""

    name: str


class Literal(NamedTuple):
    """A literal of the query; its value does not matter here."""


class Path(NamedTuple):
    """A property path other than one IRI: the IRIs it steps over, and whether it may match
    a path of length zero (``*``, ``?``: every node of the graph) or names the predicates it
    does not step over (``!``)."""

    iris: frozenset[str]
    zero_length: bool
    negated: bool


#: A subject or object: a variable, an IRI (a str) or a literal.
Term = Variable | str | Literal
_LITERAL = Literal()


class Pattern(NamedTuple):
    """A triple pattern; its predicate is a variable, an IRI or a path."""

    subject: Term
    predicate: Variable | str | Path
    object: Term


@dataclass
class Group:
    """Patterns that match together, and the groups nested in this one."""

    patterns: list[Pattern] = field(default_factory=list)
    groups: list[Group] = field(default_factory=list)

    def walk(self) -> Iterator[Group]:
        """This group and every group nested in it."""
        yield self
        for group in self.groups:
            yield from group.walk()


@dataclass
class _PathReading:
    iris: set[str] = field(default_factory=set)
    zero_length: bool = False
    negated: bool = False


class Slot(str):
    """An IRI written in full (``<scheme://…>``) in the query: what :func:`query_shape`
    leaves out. A decision that never looked at one holds for every query of the shape."""

    __slots__ = ()


def _constant(iri: str) -> str | Variable:
    """An IRI of the query; a relative one as a variable of its own: it resolves against a
    base this reader does not follow (a variable is never taken as proof that a pattern
    misses a triple, and the same IRI stands for one term wherever it occurs)."""
    return iri if SCHEME.match(iri) else Variable(f"<{iri}>")


def _written(token: str) -> str | Variable:
    """An IRI token's term: a :class:`Slot` where :func:`query_shape` leaves it out."""
    return Slot(token[1:-1]) if HIER_IRI.match(token) else _constant(token[1:-1])


def _absolute(iri: str | Variable) -> str:
    """An IRI of a path, which a relative one cannot be here."""
    if isinstance(iri, Variable):
        raise _Unread
    return iri


class _Unread(Exception):
    """Something this reader does not know: the caller assumes the worst."""


_TYPE = RDF + "type"
#: What may follow a path's first element (a path is more than one IRI).
_PATH_SIGNS = frozenset(("/", "|", "*", "?", "+"))
#: How a number begins ('-' is read within a name: PN_CHARS hold it).
_NUMBER_STARTS = frozenset("-.0123456789")
#: Characters an IRI token may hide from this reader if the engine reads its '<' as less-than.
_IRI_HIDES = frozenset("#(){}[]")
#: Words that end a triples block within a group.
_GROUP_WORDS = frozenset(("optional", "minus", "graph", "filter", "bind", "values", "service"))
#: Words after which the rest of the query reads no graph, except in what this reader refuses.
_MODIFIERS = frozenset(("group", "by", "having", "order", "asc", "desc", "limit", "offset"))


def default_graph_patterns(text: str, prefixes: Mapping[str, str]) -> Group | None:
    """The patterns query ``text`` matches against its default graph, as a :class:`Group`;
    None where the text holds something this reader does not know. ``prefixes``: those
    declared for the query besides its own ``PREFIX`` lines. Read anew each time: its
    callers keep what they decide per shape of query (:func:`query_shape`)."""
    if "\\" in text:  # escapes: read differently by the engine and by rdflib
        return None
    declared = _PROLOGUE.match(text)
    assert declared is not None  # it matches the empty string
    known = dict(prefixes)
    known.update(_declared(declared.group()))
    try:
        return _Reader(text[declared.end() :], known).query()
    except (_Unread, IndexError):  # IndexError: the text ended early
        return None


#: A query's shape: the text between its strings, full IRIs and comments, with a mark of each.
Shape = tuple[str | None, ...]


def query_shape(text: str) -> Shape | None:
    """``text`` without what tells apart queries of one kind: each IRI written in full
    (``<scheme://…>``, read as a :class:`Slot`), each string and each comment is only marked
    (other IRIs are kept); None for a text with escapes (which :func:`default_graph_patterns`
    does not read). Two texts of one shape read as the same groups, but for their slots.

    >>> query_shape('SELECT * { <http://a/x> rdfs:label "x"@en } # 1') == query_shape(
    ...     "SELECT * { <http://b/y> rdfs:label 'y'@en } # 2")
    True
    >>> query_shape("SELECT * { <urn:a> ?p ?o }") == query_shape("SELECT * { <urn:b> ?p ?o }")
    False
    """
    if "\\" in text:
        return None
    declared = _PROLOGUE.match(text)  # kept whole: the reader takes it as it is
    assert declared is not None  # it matches the empty string
    return (text[: declared.end()], *_SHAPE.split(text[declared.end() :]))


# One pass (``split``, no Python per match: a few microseconds): a run of text in which none of
# them can begin, then a string (an empty group), a full IRI (another), any other IRI (kept),
# a comment (no group), or a quote or '<' that opens nothing (kept). Strings, IRIs and
# comments begin where the reader's tokens find them: never inside a name or a variable.
_SHAPE = re.compile(
    rf"([^\"'<#]*+)(?:()(?:{STRING})|(){HIER_IRI.pattern}{IRI.removeprefix('<')}"
    rf"|({IRI})|#[^\r\n]*+|([\"'<])|$)"
)


# PREFIX lines as most texts begin, read at once and kept: a dozen of them are most of a short
# query's tokens. Anything else is left to the reader. A name is the guard's PN_PREFIX (a name
# pattern written again here once matched no name of two letters or more: every PREFIX line was
# then read as slots, and no decision kept for its shape).
_DECLARATION = re.compile(
    rf"[ \t\r\n]*+PREFIX[ \t\r\n]++({PN_PREFIX.pattern}):[ \t\r\n]*+({IRI})", re.IGNORECASE
)
_PROLOGUE = re.compile(rf"(?:{_DECLARATION.pattern})*+", re.IGNORECASE)


@lru_cache(maxsize=64)
def _declared(prologue: str) -> dict[str, str]:
    return {name: iri[1:-1] for name, iri in _DECLARATION.findall(prologue)}


#: The same names come back in query after query (``rg:from``, ``rdfs:label``).
_prefixed_name = lru_cache(maxsize=4096)(prefixed_name)


def _is_name(token: str) -> bool:
    return token[0] not in _NOT_NAMES


#: First characters of tokens that are no name: strings, IRIs, variables, punctuation.
_NOT_NAMES = frozenset("\"'<?${}()[],;/|^*+!=&@")


class _Reader:
    def __init__(self, text: str, prefixes: dict[str, str]) -> None:
        tokens: list[str] = []
        for token in SPARQL_WORDS.findall(text):
            if token.endswith(".") and len(token) > 1 and _is_name(token):
                name = token.rstrip(".")  # a name never ends with '.'
                tokens += [name, *"." * (len(token) - len(name))] if name else ["."] * len(token)
            elif token:
                tokens.append(token)
        tokens.append("")  # the end
        self.tokens = tokens
        self.at = 0
        self.prefixes = prefixes
        self.slots: set[str] = set()  # prefixes declared with a full IRI among the tokens

    # -- tokens

    def word(self) -> str:
        """The next token, lowered if it is a name ('' for anything else)."""
        token = self.tokens[self.at]
        return token.lower() if token and _is_name(token) else ""

    def take(self) -> str:
        token = self.tokens[self.at]
        if not token:
            raise _Unread
        self.at += 1
        return token

    def expect(self, token: str) -> None:
        if self.take() != token:
            raise _Unread

    # -- the query

    def query(self) -> Group:
        while self.word() in ("prefix", "base"):
            if self.take().lower() == "base":  # relative IRIs are read as unknown anyway
                if not self.take().startswith("<"):
                    raise _Unread
                continue
            name, iri = self.take(), self.take()
            if not _is_name(name) or not name.endswith(":") or not iri.startswith("<"):
                raise _Unread
            self.prefixes[name[:-1]] = iri[1:-1]
            # its names are slots where its IRI is one (query_shape leaves that IRI out)
            if HIER_IRI.match(iri):
                self.slots.add(name[:-1])
            else:
                self.slots.discard(name[:-1])
        form = self.word()
        self.at += 1
        if form == "construct" and self.tokens[self.at] == "{":
            self.skip_block()  # the template reads nothing
        elif form == "construct" and self.word() == "where":
            self.at += 1
            group = self.group()
            self.modifiers()
            return group
        elif form not in ("select", "ask", "construct"):
            raise _Unread
        group = self.select_body()
        self.modifiers()
        if self.tokens[self.at]:
            raise _Unread
        return group

    def select_body(self) -> Group:
        """From after SELECT (or ASK) to its group: the projection read as expressions."""
        while self.tokens[self.at] != "{":
            word = self.word()
            if word == "from":
                raise _Unread
            if self.tokens[self.at] == "(":
                self.skip_expression()
            else:
                self.check_word(self.take())
        return self.group()

    def modifiers(self) -> None:
        """What follows a query's group: solution modifiers and a trailing VALUES."""
        while (token := self.tokens[self.at]) and token != "}":
            if self.word() == "values":
                self.skip_values()
            elif token == "(":
                self.skip_expression()
            elif token[0] in "?$" or _is_name(token):
                self.check_word(self.take())
            else:
                raise _Unread

    # -- groups

    def group(self) -> Group:
        self.expect("{")
        if self.word() == "select":  # a sub-select: a group of its own
            self.at += 1
            inner = self.select_body()
            self.modifiers()
            self.expect("}")
            return Group(groups=[inner])
        group = Group()
        while (token := self.tokens[self.at]) != "}":
            word = self.word()
            if token == ".":
                self.at += 1
            elif token == "{":
                group.groups.append(self.group())
                while self.word() == "union":
                    self.at += 1
                    group.groups.append(self.group())
            elif word in ("optional", "minus"):
                self.at += 1
                group.groups.append(self.group())
            elif word == "graph":  # matched against named graphs
                self.at += 1
                if self.take()[0] in "{}()[],;.":
                    raise _Unread
                self.skip_block()
            elif word in ("filter", "bind"):
                self.at += 1
                self.skip_expression()
            elif word == "values":
                self.skip_values()
            elif word == "service" or not token:
                raise _Unread
            else:
                self.triples(group.patterns)
        self.at += 1
        return group

    def triples(self, patterns: list[Pattern]) -> None:
        subject = self.term()
        while True:
            predicate = self.verb()
            while True:
                patterns.append(Pattern(subject, predicate, self.term()))
                if self.tokens[self.at] != ",":
                    break
                self.at += 1
            semicolons = 0
            while self.tokens[self.at] == ";":
                self.at += 1
                semicolons += 1
            token = self.tokens[self.at]
            if token in (".", "{", "}") or self.word() in _GROUP_WORDS:
                return
            if not semicolons:
                raise _Unread

    # -- terms and paths

    def term(self) -> Term:
        token = self.take()
        first = token[0]
        if first in "?$" and len(token) > 1:
            return Variable(token[1:])
        if first == "<" and len(token) > 1:
            return _written(token)
        if first in "\"'" and len(token) > 1:
            if self.tokens[self.at] == "@":
                self.at += 1
                if not _is_name(self.take()):
                    raise _Unread
            elif self.tokens[self.at] == "^" and self.tokens[self.at + 1] == "^":
                self.at += 2
                if self.take()[0] in _NOT_NAMES - {"<"}:
                    raise _Unread
            return _LITERAL
        if token == "+":
            token = self.take()
            if token[0] not in _NUMBER_STARTS:
                raise _Unread
        if _is_name(token):
            if token.startswith("_:"):
                return Variable(token)
            if token[0] in _NUMBER_STARTS or token.lower() in ("true", "false"):
                return _LITERAL  # a number (the engine refuses a malformed one)
            return self.prefixed(token)
        raise _Unread  # [ ], ( ), << >>, or no term at all

    def verb(self) -> Variable | str | Path:
        token = self.tokens[self.at]
        if token[0] in "?$" and len(token) > 1:
            self.at += 1
            return Variable(token[1:])
        if self.tokens[self.at + 1] not in _PATH_SIGNS and token[0] not in "(^!":
            self.at += 1  # one IRI, the common case
            if token == "a":
                return _TYPE
            if token[0] == "<":
                return _written(token)
            if not _is_name(token):
                raise _Unread
            return self.prefixed(token)
        path = _PathReading()
        self.path(path)
        return Path(frozenset(path.iris), path.zero_length, path.negated)

    def path(self, path: _PathReading) -> None:
        self.path_sequence(path)
        while self.tokens[self.at] == "|":
            self.at += 1
            self.path_sequence(path)

    def path_sequence(self, path: _PathReading) -> None:
        self.path_element(path)
        while self.tokens[self.at] == "/":
            self.at += 1
            self.path_element(path)

    def path_element(self, path: _PathReading) -> None:
        if self.tokens[self.at] == "^":
            self.at += 1
        token = self.take()
        if token == "(":
            self.path(path)
            self.expect(")")
        elif token == "!":
            path.negated = True
            if self.tokens[self.at] == "(":
                self.skip_expression()
            else:
                self.take()
        elif token == "a":
            path.iris.add(_TYPE)
        elif token[0] == "<" and len(token) > 1:
            path.iris.add(_absolute(_written(token)))
        elif _is_name(token):
            path.iris.add(_absolute(self.prefixed(token)))
        else:
            raise _Unread
        if self.tokens[self.at] in ("*", "?", "+"):
            path.zero_length |= self.take() != "+"

    def prefixed(self, token: str) -> str | Variable:
        name = _prefixed_name(token)
        if name is None or name[0] not in self.prefixes:
            raise _Unread
        if name[0] in self.slots:
            return Slot(self.prefixes[name[0]] + name[1])
        return _constant(self.prefixes[name[0]] + name[1])

    # -- what is skipped

    @staticmethod
    def check_word(token: str) -> None:
        """Refuse, within an expression, what could read a graph or hide a bracket."""
        if token.lower() in ("exists", "service", "select"):
            raise _Unread
        if token[0] == "<" and not HIER_IRI.match(token) and set(token) & _IRI_HIDES:
            raise _Unread  # the engine may read this '<' as a less-than (see the guard)

    def skip_expression(self) -> None:
        """A bracketed expression, or a call: FILTER's, BIND's, a projection's."""
        if self.tokens[self.at] != "(":
            self.check_word(self.take())  # a function's name
        depth = 0
        while True:
            token = self.take()
            self.check_word(token)
            if token in ("{", "}"):
                raise _Unread
            depth += (token == "(") - (token == ")")
            if depth == 0:
                return

    def skip_block(self) -> None:
        """A ``{ }`` block and all it holds, read by nothing here (a template, a GRAPH's)."""
        self.expect("{")
        depth = 1
        while depth:
            token = self.take()
            self.check_word(token)
            depth += (token == "{") - (token == "}")

    def skip_values(self) -> None:
        self.at += 1  # VALUES
        while self.tokens[self.at] != "{":
            token = self.take()
            if not (token[0] in "?$" or token in ("(", ")")):
                raise _Unread
        self.skip_block()
