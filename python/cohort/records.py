"""What libcohort returns, as Python values: states, members, events,
messages, counters.  Each mirrors one structure of cohort.h."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple, Union

from . import _lib


class State(enum.IntEnum):
    """A node's membership state (enum cohort_state).

    str() gives the name cohortctl prints: "self", "up", "down", ...
    """

    UNKNOWN = 0   # not seen since the daemon started
    SELF = 1      # the local node
    UP = 2
    DOWN = 3      # failed: stream lost or silent
    LEFT = 4      # left the cluster (said BYE)
    REFUSED = 5   # handshake refused (see the daemon's logs)

    def __str__(self) -> str:
        return _lib.text(_lib.load().cohort_state_name(int(self)))


def state_of(value: int) -> Union[State, int]:
    """The State for a value, or the bare int when this module does not
    know it (a newer daemon may add states)."""
    try:
        return State(value)
    except ValueError:
        return value


@dataclass(frozen=True)
class Member:
    """One configured node (struct cohort_member)."""

    id: str
    address: str
    port: int
    state: Union[State, int]
    rtt_us: int        # smoothed round trip in microseconds; 0 if unknown
    incarnation: int   # changes at every restart; 0 if never seen
    since_ms: int      # when it entered its state, ms since the epoch

    @property
    def up(self) -> bool:
        """True for the local node and for peers that are up."""
        return self.state in (State.SELF, State.UP)


@dataclass(frozen=True)
class Event:
    """One change of state of a peer (struct cohort_event)."""

    node: str
    state: Union[State, int]
    prev_state: Union[State, int]
    incarnation: int
    time_ms: int       # when the daemon saw it, ms since the epoch


@dataclass(frozen=True)
class Message:
    """A message received (struct cohort_msg, copied).

    origin is the node id of the sender (the "from" of cohortctl --json
    sub); data is the body, any bytes.  A request has is_request set:
    answer it with reply().
    """

    origin: str
    subject: str
    data: bytes
    is_request: bool = False
    token: int = 0
    # The client that received it (a Client or a cohort.aio.Client).
    _client: Optional[Any] = field(default=None, repr=False, compare=False)

    @property
    def text(self) -> str:
        """The body decoded as UTF-8 (invalid bytes replaced)."""
        return self.data.decode("utf-8", errors="replace")

    def reply(self, data: Any = b"") -> None:
        """Answer this request with data (bytes, or str as UTF-8), through
        the client that received it.  See Client.reply()."""
        if self._client is None:
            raise ValueError("this message was not received by a client")
        self._client.reply(self, data)


@dataclass(frozen=True)
class Unreached:
    """A node a multicast or broadcast did not reach, and why
    (struct cohort_unreached)."""

    node: str
    status: int
    reason: str


@dataclass(frozen=True)
class Stat:
    """One counter of the daemon (struct cohort_stat)."""

    section: str       # "daemon" or "peer"
    name: str          # a node id: the local one, or the peer's
    key: str
    value: int


@dataclass(frozen=True)
class Stats:
    """The daemon's counters (cohort_stats()), arranged by section.

    daemon: the "daemon" section's counters; node: its name (the local
    node id); peers: each peer's counters by peer id; entries: every
    counter as libcohort listed it, sections this module does not know
    included.  cohortctl(1) lists the keys.
    """

    node: str
    daemon: Dict[str, int]
    peers: Dict[str, Dict[str, int]]
    entries: Tuple[Stat, ...]

    @classmethod
    def from_entries(cls, entries: List[Stat]) -> "Stats":
        node = ""
        daemon: Dict[str, int] = {}
        peers: Dict[str, Dict[str, int]] = {}
        for s in entries:
            if s.section == "daemon":
                node = s.name
                daemon[s.key] = s.value
            elif s.section == "peer":
                peers.setdefault(s.name, {})[s.key] = s.value
        return cls(node, daemon, peers, tuple(entries))
