"""The library's own errors: what a caller asked for that cannot be done, as opposed to a bug.

recruitgraph raises a :class:`RecruitgraphError` on purpose, with a message meant for the
caller, whenever the input or the request is at fault: a malformed argument, an unknown
entity, a dataset the caller may not write, a store that does not answer. The server answers
each with its 4xx (or 502) status and its message (:func:`graph.server.service.describe_error`),
the command line with exit status 1 and the message. Any other exception is a bug: the server
logs its traceback under a request id and answers 500 with that id; the command line says it
is a bug and where the traceback is.

The classes that take a caller's input also subclass the built-in exception such code has
always raised (``ValueError`` for a bad argument, ``LookupError`` for a missing thing), so
that ``except ValueError`` in a notebook keeps working.

Examples
--------
>>> from graph.errors import InvalidArgument, RecruitgraphError
>>> error = InvalidArgument("top must be >= 0, got -1")
>>> isinstance(error, RecruitgraphError), isinstance(error, ValueError)
(True, True)
>>> isinstance(ValueError("a bug"), RecruitgraphError)
False
"""

from __future__ import annotations

__all__ = ["Conflict", "Forbidden", "InvalidArgument", "NotFound", "RecruitgraphError"]


class RecruitgraphError(Exception):
    """An error of the caller's input or request, raised on purpose by recruitgraph; its
    message says what is wrong and is safe to show to the caller."""


class InvalidArgument(RecruitgraphError, ValueError):
    """An argument or parameter is malformed or out of range (HTTP 400)."""


class NotFound(RecruitgraphError, LookupError):
    """The thing asked for does not exist among what the caller may read (HTTP 404)."""


class Forbidden(RecruitgraphError):
    """The caller is known but may not do this (HTTP 403)."""


class Conflict(RecruitgraphError):
    """The request clashes with what the store holds, e.g. a restore of datasets that exist
    without leave to replace them (HTTP 409)."""
