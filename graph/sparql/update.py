"""SPARQL updates: which graphs an update reads and writes, read from its parse tree.

Updates have no dataset arguments in the engine, so :func:`plan_update` reads from the parsed
update which graphs it reads and writes; :func:`graph.server.auth.authorize_update` then refuses
those the caller may not touch.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from graph.model.namespaces import PREFIXES, SPARQL_PREFIXES
from graph.sparql.guard import (
    PARSE_LOCK,
    QueryError,
    _allowed,
    _field,
    _parse_error,
    _refuse_service,
    _walk,
    texts_to_plan,
)

DEFAULT_GRAPH = "DEFAULT"


@dataclass(frozen=True)
class Where:
    """An operation's ``WHERE`` (or ``DELETE WHERE`` pattern), as the size check runs it (see
    :func:`graph.sparql.update_size.check_update_size`)."""

    #: Its place among the update's operations, from 1.
    operation: int
    #: The dataset its pattern matches: None for the store's own (no USING or WITH).
    default_graph: tuple[str, ...] | None
    named_graphs: tuple[str, ...] | None
    #: Triples each solution deletes or inserts (its templates).
    template: int
    #: Whether it may read a graph that an earlier operation of the update inserts into (then
    #: its solutions cannot be counted before the update runs).
    reads_inserted: bool


@dataclass(frozen=True)
class UpdatePlan:
    """The graphs an update reads and writes, and why it must be refused whoever sends it."""

    text: str  #: the update with the vocabulary prefixes (and base IRI) declared, as it will run
    reads: frozenset[str] = frozenset()
    writes: frozenset[str] = frozenset()
    refusals: tuple[str, ...] = ()
    operations: tuple[str, ...] = field(default=())
    #: Each operation's WHERE, in the order of the text.
    wheres: tuple[Where, ...] = ()
    #: Lines that ``text`` holds before the caller's own (the declarations prepended).
    prologue_lines: int = 0


_DEFAULT_REFUSAL = (
    "updates may not write the default graph (it is the read-only union of the datasets): "
    "name the dataset's graph with GRAPH <…> or WITH <…>"
)


def _graph_refs(node: Any) -> Iterator[Any]:
    """Terms of every GRAPH pattern inside an algebra expression (subqueries and EXISTS
    included)."""
    from rdflib.plugins.sparql.parserutils import CompValue

    stack = [node]
    seen = 0
    while stack and seen < 1_000_000:
        seen += 1
        item = stack.pop()
        if isinstance(item, CompValue):
            # Translated patterns are "Graph"; those inside EXISTS stay parse-tree nodes.
            if item.name in ("Graph", "GraphGraphPattern"):
                yield _field(item, "term")
            stack.extend(dict.values(item))
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list | tuple | set) or type(item).__name__ == "ParseResults":
            stack.extend(item)


def _template_size(*clauses: Any) -> int:
    """Triples in the templates of an update operation (outside and inside GRAPH)."""
    size = 0
    for clause in clauses:
        if clause is not None:
            size += len(_field(clause, "triples") or ())
            size += sum(len(t) for t in (_field(clause, "quads") or {}).values())
    return size


def plan_update(text: str, *, allow: Sequence[str] = (), base: str | None = None) -> UpdatePlan:
    """Parse an update and list the graphs it reads and writes.

    Refused whoever sends it (listed in ``refusals``): writing the default graph (``INSERT DATA``
    triples outside ``GRAPH``, templates without ``WITH`` or ``GRAPH``, ``CLEAR``/``DROP``
    ``DEFAULT``, ``ADD``/``COPY``/``MOVE`` to or from ``DEFAULT``); ``CLEAR``/``DROP`` ``NAMED``
    or ``ALL``; a ``GRAPH ?var`` in a template or in ``DELETE WHERE`` (its graph is known only
    when it runs); a ``GRAPH ?var`` in a ``WHERE`` without ``USING NAMED`` (it would range over
    every graph of the store); ``LOAD`` (unless ``allow`` names its IRI). ``SERVICE`` raises
    QueryError like a query's, and so do brackets nested too deep (:func:`check_nesting`).

    rdflib's parser reads the update's skeleton (:func:`~graph.sparql.guard.texts_to_plan`:
    its data blocks reduced to the graphs they name), never its data, so that it holds the GIL
    for a bounded time; an update too large for that is refused (split it).

    ``base`` is the IRI that relative IRIs resolve against (the endpoint's URL); without one
    they are malformed. Syntax errors give the line and column in ``text`` itself.
    """
    return _plan_update(text, tuple(allow), base)


def _prologue(base: str | None) -> str:
    return SPARQL_PREFIXES + (f"BASE <{base}>\n" if base else "")


@lru_cache(maxsize=256)
def _plan_update(text: str, allow: tuple[str, ...], base: str | None) -> UpdatePlan:
    texts = iter(texts_to_plan(text))
    prologue = _prologue(base)
    reads, writes, refusals, names, wheres = _plan_parsed(next(texts), allow, prologue)
    for other in texts:  # as engines that expand escapes first read it: keep both plans
        more = _plan_parsed(other, allow, prologue)
        reads, writes = reads | more[0], writes | more[1]
        refusals += [reason for reason in more[2] if reason not in refusals]
    return UpdatePlan(
        prologue + text,
        frozenset(reads),
        frozenset(writes),
        tuple(refusals),
        tuple(names),
        tuple(wheres),
        prologue.count("\n"),
    )


def _plan_parsed(
    planned: str, allow: tuple[str, ...], prologue: str = SPARQL_PREFIXES
) -> tuple[set[str], set[str], list[str], list[str], list[Where]]:
    """(reads, writes, refusals, operation names, each operation's WHERE) of the text rdflib
    parses for an update."""
    from pyparsing import ParseException
    from rdflib import URIRef, Variable
    from rdflib.plugins.sparql.algebra import translateUpdate
    from rdflib.plugins.sparql.parser import parseUpdate

    try:
        with PARSE_LOCK:  # the parser and its algebra are not thread-safe
            tree = parseUpdate(prologue + planned)
            # The parse tree first (SERVICE with its prefixes), then the algebra.
            prefixes = dict(PREFIXES)
            for node in _walk(tree):
                if getattr(node, "name", None) == "PrefixDecl":
                    prefixes[_field(node, "prefix") or ""] = str(node["iri"])
            _refuse_service(tree, prefixes, allow, "updates")
            algebra = translateUpdate(tree).algebra
    except ParseException as error:
        # Line numbers as the user wrote them: without the declared prefixes.
        error.loc = max(0, error.loc - len(prologue))
        error.pstr = planned
        raise _parse_error("update", error) from None
    except QueryError:
        raise
    except Exception as error:  # rdflib's translation raises plain exceptions for bad input
        raise QueryError(f"malformed SPARQL update: {error}") from None

    reads: set[str] = set()
    writes: set[str] = set()
    refusals: list[str] = []
    names: list[str] = []
    wheres: list[Where] = []
    inserted: set[str] = set()  # graphs that the operations so far insert into

    def graph(term: Any) -> str | None:
        if term == "DEFAULT":
            return DEFAULT_GRAPH
        if isinstance(term, URIRef):
            return str(term)
        return None

    def refuse(reason: str) -> None:
        if reason not in refusals:
            refusals.append(reason)

    for op in algebra:
        name = op.name
        names.append(name)
        if name in ("InsertData", "DeleteData"):
            if _field(op, "triples"):
                refuse(_DEFAULT_REFUSAL)
            writes.update(str(g) for g in (_field(op, "quads") or {}))
            if name == "InsertData":
                inserted.update(str(g) for g in (_field(op, "quads") or {}))
        elif name == "DeleteWhere":
            if _field(op, "triples"):
                refuse(_DEFAULT_REFUSAL)
            for g in _field(op, "quads") or {}:
                if isinstance(g, Variable):
                    refuse("GRAPH ?var in DELETE WHERE could reach any graph: name the graph")
                else:
                    reads.add(str(g))
                    writes.add(str(g))
            graphs = {str(g) for g in _field(op, "quads") or {}}
            wheres.append(
                Where(len(names), None, None, _template_size(op), bool(graphs & inserted))
            )
        elif name == "Modify":
            with_graph = _field(op, "withClause")
            using = _field(op, "using") or []
            using_default = [str(u["default"]) for u in using if _field(u, "default") is not None]
            using_named = [str(u["named"]) for u in using if _field(u, "named") is not None]
            op_reads = {*using_default, *using_named}
            if with_graph is not None:
                op_reads.add(str(with_graph))
            op_inserts: set[str] = set()
            for clause in (_field(op, "delete"), _field(op, "insert")):
                if clause is None:
                    continue
                if _field(clause, "triples"):
                    if with_graph is None:
                        refuse(_DEFAULT_REFUSAL)
                    else:
                        writes.add(str(with_graph))
                        if clause is _field(op, "insert"):
                            op_inserts.add(str(with_graph))
                for g in _field(clause, "quads") or {}:
                    if isinstance(g, Variable):
                        refuse(
                            "GRAPH ?var in an update template could write any graph: "
                            "name the graph it writes"
                        )
                    else:
                        writes.add(str(g))
                        if clause is _field(op, "insert"):
                            op_inserts.add(str(g))
            if using_default:
                reads.update(using_default)
            elif with_graph is not None:
                reads.add(str(with_graph))
            reads.update(using_named)
            for term in _graph_refs(_field(op, "where")):
                if isinstance(term, Variable):
                    if not using_named:
                        refuse(
                            "GRAPH ?var in an update's WHERE would range over every graph: "
                            "list the graphs it may match with USING NAMED <…>"
                        )
                elif term is not None:
                    reads.add(str(term))
                    op_reads.add(str(term))
            default: tuple[str, ...] | None = None
            named: tuple[str, ...] | None = None
            if using:  # USING and USING NAMED are the whole dataset, as FROM is a query's
                default, named = tuple(using_default), tuple(using_named)
            elif with_graph is not None:  # WITH: the default graph; the named graphs stay
                default = (str(with_graph),)
            template = _template_size(_field(op, "delete"), _field(op, "insert"))
            wheres.append(Where(len(names), default, named, template, bool(op_reads & inserted)))
            inserted.update(op_inserts)
        elif name in ("Clear", "Drop", "Create"):
            target = _field(op, "graphiri")
            if target in ("NAMED", "ALL"):
                refuse(f"{name.upper()} {target} would touch graphs of other datasets: name one")
            elif target == "DEFAULT" or graph(target) is None:
                refuse(_DEFAULT_REFUSAL)
            else:
                writes.add(str(target))
        elif name in ("Add", "Copy", "Move"):
            source, target = (graph(g) for g in op["graph"])
            if DEFAULT_GRAPH in (source, target) or None in (source, target):
                refuse(_DEFAULT_REFUSAL)
                continue
            assert source is not None and target is not None
            reads.add(source)
            writes.add(target)
            inserted.add(target)
            if name == "Move":
                writes.add(source)
        elif name == "Load":
            iri = str(_field(op, "iri"))
            target = graph(_field(op, "graphiri"))
            if not _allowed(iri, allow):
                refuse("LOAD is not allowed: updates may not fetch documents")
            if target is None:
                refuse(_DEFAULT_REFUSAL)
            else:
                writes.add(target)
                inserted.add(target)
        else:
            refuse(f"unsupported update operation {name}")
    return reads, writes, refusals, names, wheres
