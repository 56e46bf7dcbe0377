"""The dataset an update runs over: where its default graph is, and which graphs ``ALL`` means.

The store's own default graph stays empty (queries see the union of the datasets as theirs),
so an update that writes "the default graph", as scripts written against Oxigraph or Fuseki
do (``INSERT DATA { <a> <b> <c> }``), writes a dataset of its own instead: the *edits*
dataset (:data:`graph.model.namespaces.EDITS`). :func:`resolve_update` rewrites the update's
text so that the engine, which has no dataset arguments for updates, runs it that way:

* triples outside ``GRAPH`` in ``INSERT DATA``, ``DELETE DATA`` and ``DELETE WHERE`` go into
  ``GRAPH <edits> { … }``;
* a ``DELETE``/``INSERT … WHERE`` without ``WITH`` that writes or matches triples outside
  ``GRAPH`` gets ``WITH <edits>``: its templates write the edits dataset and its ``WHERE``
  matches it (``USING``, or ``GRAPH`` in the pattern, reach the other datasets);
* ``DEFAULT`` in ``CLEAR``, ``DROP``, ``ADD``, ``COPY`` and ``MOVE`` is the edits graph;
* ``ALL`` and ``NAMED`` in ``CLEAR`` and ``DROP`` are the graphs the caller may write, each
  named (the edits graph among them);
* ``CLEAR`` of those is ``DROP``: a dataset is a graph with triples, so a dataset emptied is
  gone (the next write creates it afresh, with its new provenance) rather than left as an
  empty graph (its description graph is dropped with it by the server's update);
* the protocol's ``using-graph-uri`` / ``using-named-graph-uri`` become ``USING`` /
  ``USING NAMED`` clauses of each ``DELETE``/``INSERT … WHERE`` (an update that has its own
  ``USING`` or ``WITH`` and is sent with them is refused, as the protocol says).

The rewrite is token by token (:data:`graph.sparql.guard.SPARQL_TOKEN`) and adds no line, so
that the engine's error positions stay those of the caller's text; the result is then planned
and checked like any update (:func:`graph.sparql.update.plan_update`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from graph.sparql.guard import SPARQL_TOKEN, QueryError

__all__ = ["resolve_update"]

_OPERATIONS = frozenset(("clear", "drop", "add", "copy", "move"))


@dataclass
class _Operation:
    """What the scan knows of the operation it is in."""

    start: int  # offset of its first keyword (after any PREFIX/BASE)
    first: str = ""  # its first keyword, lowered
    has_with: bool = False
    has_using: bool = False
    modify: bool = False  # DELETE/INSERT … WHERE
    writes_default: bool = False  # a template holds triples outside GRAPH
    reads_default: bool = False  # its WHERE holds a pattern outside GRAPH
    where: int | None = None  # offset of its WHERE keyword (a Modify's)
    edits: list[tuple[int, int, str]] = field(default_factory=list)


def resolve_update(
    text: str,
    *,
    edits: str,
    writable: Sequence[str],
    using: Sequence[str] = (),
    using_named: Sequence[str] = (),
) -> str:
    """``text`` with its default graph made the graph ``edits``, ``ALL``/``NAMED`` made the
    graphs in ``writable`` (and ``edits``), and ``using``/``using_named`` (the protocol's
    parameters) made ``USING`` clauses; see the module docstring. The text unchanged when it
    needs none of that.

    >>> resolve_update("INSERT DATA { <http://a> <http://b> 1 }", edits="http://e", writable=[])
    'INSERT DATA { GRAPH <http://e> { <http://a> <http://b> 1 } }'
    >>> resolve_update("CLEAR DEFAULT", edits="http://e", writable=[])
    'DROP SILENT GRAPH <http://e>'
    >>> resolve_update("DROP ALL", edits="http://e", writable=["http://g"])
    'DROP SILENT GRAPH <http://e> ; DROP SILENT GRAPH <http://g>'
    """
    targets = sorted({edits, *writable})
    graph = f"GRAPH <{edits}>"
    clauses = "".join(f"USING <{g}> " for g in using) + "".join(
        f"USING NAMED <{g}> " for g in using_named
    )
    done: list[_Operation] = []
    op: _Operation | None = None
    depth = 0
    prev = ""  # the last significant token at depth 0, lowered
    wrap = False  # the block being read is quad data or a DELETE WHERE pattern
    block = ""  # "template", "where", "wrap" or "": what the depth-1 block is
    segment = False  # a run of triples outside GRAPH is open (in a wrapped block)
    graph_term = 0  # significant tokens since GRAPH at depth 1 (0: not after GRAPH)
    for match in SPARQL_TOKEN.finditer(text):
        kind, token = match.lastgroup, match.group()
        if kind in ("ws", "comment"):
            continue
        lowered = token.lower() if kind == "name" else token
        if depth >= 1:
            if token == "{":
                if depth == 1 and graph_term:
                    graph_term = 0  # the GRAPH's own block
                elif depth == 1 and block == "where" and op is not None:
                    op.reads_default = True  # a group of its own
                depth += 1
                continue
            if token == "}":
                depth -= 1
                if depth == 0:
                    if segment:
                        assert op is not None
                        op.edits.append((match.start(), match.start(), "} "))
                    segment, block, graph_term = False, "", 0
                    prev = "}"
                continue
            if depth > 1 or op is None:
                continue
            # depth 1: a block's own level
            if graph_term:
                graph_term += 1  # the graph's term: its "{" comes next
                continue
            if lowered == "graph":
                if segment:
                    op.edits.append((match.start(), match.start(), "} "))
                    segment = False
                graph_term = 1
                continue
            if block == "wrap" and not segment and token != ".":
                op.edits.append((match.start(), match.start(), f"{graph} {{ "))
                segment = True
                op.writes_default = True
            elif block == "template" and token != ".":
                op.writes_default = True
            elif block == "where" and token != ".":
                op.reads_default = True
            continue
        # depth 0
        if token == ";":
            if op is not None:
                done.append(op)
            op, prev = None, ""
            continue
        # an operation begins at its first keyword after the PREFIX and BASE declarations
        in_prologue = lowered in ("prefix", "base") or prev in ("prefix", "base") or kind == "iri"
        if op is None and not in_prologue:
            op = _Operation(match.start(), lowered)
        if token == "{":
            depth = 1
            graph_term = 0
            if wrap:
                block = "wrap"
            elif prev in ("delete", "insert"):
                block = "template"
            elif prev == "where":
                block = "where"
            wrap = False
            prev = token
            continue
        if op is not None and kind == "name":
            if (lowered, prev) in (("data", "insert"), ("data", "delete"), ("where", "delete")):
                wrap = True  # quad data, or DELETE WHERE's pattern
            elif lowered == "where":
                op.modify = True
                op.where = match.start()
            elif lowered == "with" and op.first == "with":
                op.has_with = True
            elif lowered == "using":
                op.has_using = True
            elif lowered == "default" and op.first in _OPERATIONS:
                silent = "SILENT " if op.first in ("clear", "drop") and prev != "silent" else ""
                op.edits.append((match.start(), match.end(), silent + graph))
                if op.first == "clear":
                    op.edits.append((op.start, op.start + len("clear"), "DROP"))
            elif lowered in ("all", "named") and op.first in ("clear", "drop"):
                silent = "" if prev == "silent" else "SILENT "  # a graph may be absent
                expanded = " ; DROP SILENT ".join(f"GRAPH <{g}>" for g in targets)
                op.edits.append((match.start(), match.end(), silent + expanded))
                if op.first == "clear":
                    op.edits.append((op.start, op.start + len("clear"), "DROP"))
        prev = lowered
    if op is not None:
        done.append(op)

    edits_made: list[tuple[int, int, str]] = []
    for found in done:
        edits_made += found.edits
        if not found.modify:
            continue
        if (using or using_named) and (found.has_with or found.has_using):
            raise QueryError(
                "using-graph-uri and using-named-graph-uri may not be given with an update "
                "that has USING or WITH of its own"
            )
        reads_default = found.reads_default and not (using or using_named or found.has_using)
        if not found.has_with and (found.writes_default or reads_default):
            edits_made.append((found.start, found.start, f"WITH <{edits}> "))
        if clauses and found.where is not None:
            edits_made.append((found.where, found.where, clauses))
    if not edits_made:
        return text
    out = []
    done_to = 0
    for start, end, replacement in sorted(edits_made, key=lambda e: (e[0], e[1])):
        out.append(text[done_to:start] + replacement)
        done_to = end
    out.append(text[done_to:])
    return "".join(out)
