"""cohort: Python binding for libcohort, the client library of cohortd.

An application talks to the cohortd on its own machine: it lists the
cluster's members and follows their changes, sends messages by subject
to applications on other nodes and receives theirs, makes requests and
answers them.  This package calls libcohort (libcohort.so.0) through
ctypes; $COHORT_LIBRARY names another copy of the library to load, such
as a build tree's src/.libs/libcohort.so.0.

    import cohort

    with cohort.Client() as c:              # $COHORT_SOCKET, or the default
        for m in c.members():
            print(m.id, m.state, m.rtt_us)
        c.send("n2", "orders.new", b"\\x00\\x01 any bytes")
        print(c.request("n2", "svc.upper", "hello", timeout=2))
        with c.subscribe("orders.>") as sub:
            for msg in sub.messages(timeout=10):
                print(msg.origin, msg.subject, msg.data)

cohort.aio.Client is the same for asyncio.  Errors are cohort.Error and
its subclasses, with libcohort's one-line text.  libcohort(3) documents
the calls underneath.
"""

from .client import DEFAULT_TIMEOUT, Client, Data, Subscription
from .errors import (Closed, ConnectError, Error, InvalidArgument, NoMemory,
                     NoResponder, ProtocolError, Refused, SysError, Timeout,
                     TooBig, Unreachable, strerror)
from .records import Event, Member, Message, Stat, State, Stats, Unreached

__version__ = "0.1.0"

__all__ = [
    "Client", "Subscription", "DEFAULT_TIMEOUT", "Data",
    "Member", "Event", "Message", "State", "Stat", "Stats", "Unreached",
    "Error", "SysError", "ConnectError", "ProtocolError", "Closed",
    "Timeout", "Refused", "InvalidArgument", "NoMemory", "Unreachable",
    "NoResponder", "TooBig", "strerror",
]
