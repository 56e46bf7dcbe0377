"""Cells of the CSV and TSV files that recruitgraph writes, made safe to open in a spreadsheet.

A spreadsheet evaluates a cell whose text begins with ``=``, ``+``, ``-`` or ``@`` (and, in
some, a tab or a carriage return) as a formula, which can fetch URLs or run commands (CSV
injection, see OWASP). Labels and sources come from uploaded data, so every CSV or TSV writer
passes its cells through :func:`formula_safe`: the export edge list
(:func:`graph.store.export.write_export`), SPARQL CSV and TSV results
(:mod:`graph.sparql.results`) and so ``recruitgraph query --format csv|tsv``.
"""

from __future__ import annotations

import re

__all__ = ["FORMULA_STARTS", "NUMBER", "formula_safe"]

#: The first characters that make a spreadsheet read a cell as a formula (OWASP).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

#: A decimal number literal, as SPARQL, Python and spreadsheets write them: a sign, digits
#: with an optional fraction, an optional exponent.
NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


def formula_safe(cell: str) -> str:
    """``cell`` as a spreadsheet shows it as text: prefixed with ``'`` when it begins with a
    formula character, unless it is a number.

    The rule is the OWASP one for CSV injection, with one exception so that numbers stay
    numbers: a cell that is wholly a decimal number literal (``-5``, ``+3``, ``-1.5e3``) is a
    value to every spreadsheet, never a formula, and is left as it is. Anything else that
    begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return, including ``-5+A1``, is
    prefixed with an apostrophe, which spreadsheets read as "this cell is text".

    Parameters
    ----------
    cell : str
        The text of one cell, before any CSV quoting.

    Returns
    -------
    str
        The text to write.

    Examples
    --------
    >>> formula_safe('=HYPERLINK("http://x")')
    '\\'=HYPERLINK("http://x")'
    >>> formula_safe("@SUM(A1)"), formula_safe("-5+A1"), formula_safe("\\tx")
    ("'@SUM(A1)", "'-5+A1", "'\\tx")
    >>> formula_safe("-5"), formula_safe("-1.5e3"), formula_safe("Wagner Group"), formula_safe("")
    ('-5', '-1.5e3', 'Wagner Group', '')
    """
    if cell.startswith(FORMULA_STARTS) and not NUMBER.fullmatch(cell):
        return "'" + cell
    return cell
