"""Exceptions: one class per libcohort status, all under cohort.Error.

Each carries the status (a negative enum cohort_status), libcohort's name
for it (cohort_strerror()) and its one-line account of what went wrong
(cohort_errmsg()), which is also the exception's text, for example
"n3: node is not up" or "n9: no such node in the config".
"""

from __future__ import annotations

from typing import Dict, List, Optional, Tuple, Type

from . import _lib
from .records import Unreached


class Error(Exception):
    """A libcohort call failed.

    Attributes:
        status: the enum cohort_status value (negative).
        reason: libcohort's name for the status ("timed out", ...).
        message: what went wrong, in one line (cohort_errmsg()).
    """

    # Each subclass names its status; an Error of a status this module
    # does not know (a newer libcohort) gets it from from_status().
    status: int = 0

    def __init__(self, message: str, status: Optional[int] = None,
                 reason: Optional[str] = None) -> None:
        super().__init__(message)
        if status is not None:
            self.status = status
        self.message = message
        if reason is None:
            reason = strerror(self.status) if self.status else "error"
        self.reason = reason


class SysError(Error):
    """A system call failed (COHORT_ERR_SYS)."""

    status = _lib.ERR_SYS


class ConnectError(Error, ConnectionError):
    """No daemon could be reached on the socket (COHORT_ERR_CONNECT)."""

    status = _lib.ERR_CONNECT


class ProtocolError(Error):
    """The daemon sent something invalid (COHORT_ERR_PROTO)."""

    status = _lib.ERR_PROTO


class Closed(Error):
    """The daemon closed the connection, or the client was closed
    (COHORT_ERR_CLOSED)."""

    status = _lib.ERR_CLOSED


class Timeout(Error, TimeoutError):
    """Nothing came in time, or a request got no reply in time
    (COHORT_ERR_TIMEOUT).  The client remains usable."""

    status = _lib.ERR_TIMEOUT


class Refused(Error):
    """The daemon answered with an error: an invalid subject, a limit, a
    rule of the socket (COHORT_ERR_REFUSED)."""

    status = _lib.ERR_REFUSED


class InvalidArgument(Error, ValueError):
    """A bad argument (COHORT_ERR_INVAL)."""

    status = _lib.ERR_INVAL


class NoMemory(Error, MemoryError):
    """Out of memory (COHORT_ERR_NOMEM)."""

    status = _lib.ERR_NOMEM


class Unreachable(Error):
    """A node to send to is unknown or not up, or went down before it
    replied (COHORT_ERR_UNREACHABLE).  libcohort does not tell an unknown
    node from a down one by status; the message does ("n9: no such node
    in the config", "n3: node is not up").

    Attributes:
        unreached: for multicast() and broadcast(), the nodes the message
            did not reach (it went to the others), else empty.
    """

    status = _lib.ERR_UNREACHABLE

    def __init__(self, message: str, status: Optional[int] = None,
                 reason: Optional[str] = None,
                 unreached: Optional[List[Unreached]] = None) -> None:
        super().__init__(message, status, reason)
        self.unreached = list(unreached or [])


class NoResponder(Error):
    """Nobody serves the request's subject on that node
    (COHORT_ERR_NO_RESPONDER)."""

    status = _lib.ERR_NO_RESPONDER


class TooBig(Error, ValueError):
    """The body is larger than limits.max_message_size
    (COHORT_ERR_TOO_BIG)."""

    status = _lib.ERR_TOO_BIG


_CLASSES: Tuple[Type[Error], ...] = (
    SysError, ConnectError, ProtocolError, Closed, Timeout, Refused,
    InvalidArgument, NoMemory, Unreachable, NoResponder, TooBig)
_BY_STATUS: Dict[int, Type[Error]] = {cls.status: cls for cls in _CLASSES}


def strerror(status: int) -> str:
    """libcohort's constant name for a status (cohort_strerror())."""
    return _lib.text(_lib.load().cohort_strerror(status))


def from_status(status: int, message: str) -> Error:
    """The exception for a libcohort status, with its message."""
    cls = _BY_STATUS.get(status, Error)
    return cls(message, status)
