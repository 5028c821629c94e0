"""The blocking client: one connection to the local cohortd.

Every call that waits takes a timeout in seconds (a float; None waits for
as long as it takes, 0 takes only what has arrived already) and raises
cohort.Timeout when it passes.  Calls that only ask the local daemon
(members, send, subscribe, ...) wait at most DEFAULT_TIMEOUT unless told
otherwise.
"""

from __future__ import annotations

import ctypes
import math
import os
import threading
import time
from collections import deque
from typing import (Any, Callable, Deque, Dict, Iterable, Iterator, List,
                    Optional, TypeVar, Union)

from . import _lib
from .errors import Closed, Error, NoMemory, Timeout, Unreachable, from_status
from .records import (Event, Member, Message, Stat, Stats, Unreached,
                      state_of)
from .subject import matches

DEFAULT_TIMEOUT = 5.0

#: A message body: bytes as they are, str as UTF-8.
Data = Union[bytes, bytearray, memoryview, str]

_T = TypeVar("_T")
_INT_MAX = 2 ** 31 - 1


def to_ms(timeout: Optional[float]) -> int:
    """A timeout in seconds as libcohort's milliseconds (-1: forever)."""
    if timeout is None:
        return -1
    if timeout <= 0:
        return 0
    return min(_INT_MAX, max(1, int(math.ceil(timeout * 1000))))


def _deadline(timeout: Optional[float]) -> Optional[float]:
    return None if timeout is None else time.monotonic() + max(0, timeout)


def _left(deadline: Optional[float]) -> Optional[float]:
    return None if deadline is None else max(0.0, deadline - time.monotonic())


def body(data: Optional[Data]) -> bytes:
    """A message body as bytes: str is encoded as UTF-8."""
    if data is None:
        return b""
    if isinstance(data, str):
        return data.encode("utf-8")
    return bytes(data)


def _name(s: str) -> bytes:
    # Node ids, subjects and patterns; the daemon checks their syntax.
    return s.encode("utf-8")


def event_of(ev: _lib.CohortEvent) -> Event:
    """An Event from a struct cohort_event."""
    return Event(_lib.text(ev.node), state_of(ev.state),
                 state_of(ev.prev_state), ev.incarnation, ev.time_ms)


class Client:
    """A connection to the local cohortd, through libcohort.

    Client(socket) connects to the daemon's Unix socket at socket, or,
    when it is None, at $COHORT_SOCKET, or else libcohort's default,
    /run/cohort/cohortd.sock; it raises cohort.ConnectError when no
    daemon answers within timeout.  Use it as a context manager, or call
    close().

    A client is used by one thread at a time (calls from several threads
    are serialised by a lock, so a thread blocked in next_message() holds
    up the others: give each thread its own Client).

    Messages and events that arrive while the client waits for something
    else are queued in it, in order, and never dropped: they wait for
    next_message(), a Subscription, or next_event().
    """

    def __init__(self, socket: Optional[str] = None, *,
                 timeout: Optional[float] = DEFAULT_TIMEOUT) -> None:
        self._lib = _lib.load()
        self._lock = threading.RLock()
        self._h: Optional[int] = None
        self._inbox: Deque[Message] = deque()
        self._patterns: Dict[str, int] = {}
        self._watching = False
        self._errors: Deque[Error] = deque()
        self._n_errors = 0
        # Messages received are answered through this: the client, or the
        # asyncio client built on it.
        self._replier: Any = self
        h = _lib.Handle()
        path = os.fsencode(socket) if socket is not None else None
        rv = self._lib.cohort_open(ctypes.byref(h), path, to_ms(timeout))
        if not h.value:
            raise NoMemory("out of memory", _lib.ERR_NOMEM)
        if rv != _lib.OK:
            err = from_status(rv, _lib.text(self._lib.cohort_errmsg(h)))
            self._lib.cohort_close(h)
            raise err
        self._h = h.value
        # Failures of publish() and publish_all(), reported later.
        self._error_cb = _lib.ERROR_CB(self._on_async_error)
        self._lib.cohort_set_error_cb(self._h, self._error_cb, None)

    # Connection

    def close(self) -> None:
        """Write out what is buffered (waiting up to 5 s for the daemon),
        then close the connection.  Closing twice is harmless."""
        with self._lock:
            if self._h is not None:
                h, self._h = self._h, None
                self._lib.cohort_close(h)

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:
            pass

    def __repr__(self) -> str:
        if self._h is None:
            return "<cohort.Client closed>"
        return f"<cohort.Client node {self.node_id} of {self.cluster}>"

    @property
    def closed(self) -> bool:
        """True once close() was called."""
        return self._h is None

    def _handle(self) -> int:
        if self._h is None:
            raise Closed("the client is closed", _lib.ERR_CLOSED)
        return self._h

    def _error(self, rv: int) -> Error:
        return from_status(rv, _lib.text(self._lib.cohort_errmsg(self._h)))

    def _check(self, rv: int) -> int:
        if rv < 0:
            raise self._error(rv)
        return int(rv)

    @property
    def node_id(self) -> str:
        """The local node's id, as the daemon said at connect time."""
        with self._lock:
            return _lib.text(self._lib.cohort_node_id(self._handle()))

    @property
    def cluster(self) -> str:
        """The cluster's name."""
        with self._lock:
            return _lib.text(self._lib.cohort_cluster(self._handle()))

    @property
    def incarnation(self) -> int:
        """The daemon's incarnation; it changes at every restart."""
        with self._lock:
            return int(self._lib.cohort_incarnation(self._handle()))

    @property
    def max_message(self) -> int:
        """The largest body the daemon accepts (limits.max_message_size)."""
        with self._lock:
            return int(self._lib.cohort_max_message(self._handle()))

    # Members, statistics, administration

    def members(self, timeout: Optional[float] = DEFAULT_TIMEOUT
                ) -> List[Member]:
        """Every configured node, the local one included, in config order.

        To follow changes without missing one, call watch() first.
        """
        arr = ctypes.POINTER(_lib.CohortMember)()
        n = ctypes.c_size_t()
        with self._lock:
            self._check(self._lib.cohort_members(
                self._handle(), ctypes.byref(arr), ctypes.byref(n),
                to_ms(timeout)))
            try:
                return [Member(_lib.text(m.id), _lib.text(m.address),
                               m.port, state_of(m.state), m.rtt_us,
                               m.incarnation, m.since_ms)
                        for m in arr[:n.value]]
            finally:
                self._lib.cohort_members_free(arr)

    def member(self, node: str, timeout: Optional[float] = DEFAULT_TIMEOUT
               ) -> Member:
        """The member named node; KeyError if it is not configured."""
        for m in self.members(timeout):
            if m.id == node:
                return m
        raise KeyError(node)

    def stats(self, timeout: Optional[float] = DEFAULT_TIMEOUT) -> Stats:
        """The daemon's counters and each peer's (cohortctl stats)."""
        arr = ctypes.POINTER(_lib.CohortStat)()
        n = ctypes.c_size_t()
        with self._lock:
            self._check(self._lib.cohort_stats(
                self._handle(), ctypes.byref(arr), ctypes.byref(n),
                to_ms(timeout)))
            try:
                entries = [Stat(_lib.text(s.section), _lib.text(s.name),
                                _lib.text(s.key), s.value)
                           for s in arr[:n.value]]
            finally:
                self._lib.cohort_stats_free(arr)
        return Stats.from_entries(entries)

    def reload(self, timeout: Optional[float] = DEFAULT_TIMEOUT) -> None:
        """Have the daemon read its config file again, as SIGHUP does;
        cohort.Refused, with the file and line, when it is invalid."""
        with self._lock:
            self._check(self._lib.cohort_reload(self._handle(),
                                                to_ms(timeout)))

    def log_level(self, debug: bool,
                  timeout: Optional[float] = DEFAULT_TIMEOUT) -> None:
        """Switch the daemon's debug logging on or off until a reload."""
        with self._lock:
            self._check(self._lib.cohort_log_level(
                self._handle(), int(bool(debug)), to_ms(timeout)))

    # Cluster views and leases: cohortd's design has them (a numbered,
    # agreed view and named leases), but libcohort has no calls for them
    # yet.  Their methods (view(), lease()) belong here, over cohort.h's
    # calls once it declares them.

    # Membership events

    def watch(self, on: bool = True,
              timeout: Optional[float] = DEFAULT_TIMEOUT) -> None:
        """Ask the daemon for an event at every change of state of a peer
        (on=False: to stop).  next_event() and events() call it when it
        was not called; call it before members() to miss no change."""
        with self._lock:
            self._check(self._lib.cohort_watch(self._handle(), int(on),
                                               to_ms(timeout)))
            self._watching = on

    def next_event(self, timeout: Optional[float] = None) -> Event:
        """The next membership event, waiting up to timeout seconds for
        one; cohort.Timeout if none came."""
        with self._lock:
            if not self._watching:
                self.watch(True)
            ev = _lib.CohortEvent()
            self._check(self._lib.cohort_next_event(
                self._handle(), ctypes.byref(ev), to_ms(timeout)))
        return event_of(ev)

    def events(self, timeout: Optional[float] = None,
               count: Optional[int] = None) -> Iterator[Event]:
        """Membership events as they come, until count of them or until
        timeout seconds have passed in all (None: no limit)."""
        return _until(self.next_event, timeout, count)

    # Subscriptions and receiving

    def subscribe(self, pattern: str,
                  timeout: Optional[float] = DEFAULT_TIMEOUT
                  ) -> "Subscription":
        """Subscribe to pattern ("orders.*", "orders.>") and return the
        Subscription, which yields the messages matching it.  Requests on
        a subject come only to clients that subscribe to it."""
        with self._lock:
            h = self._handle()
            if pattern not in self._patterns:
                self._check(self._lib.cohort_subscribe(h, _name(pattern),
                                                       to_ms(timeout)))
                self._patterns[pattern] = 0
            self._patterns[pattern] += 1
        return Subscription(self, pattern)

    def _release(self, pattern: str, timeout: Optional[float]) -> None:
        # A pattern is unsubscribed when its last Subscription closes.
        with self._lock:
            left = self._patterns.get(pattern, 0) - 1
            if left > 0:
                self._patterns[pattern] = left
                return
            self._patterns.pop(pattern, None)
            if self._h is None:
                return
            rv = self._lib.cohort_unsubscribe(self._h, _name(pattern),
                                              to_ms(timeout))
            # Subscriptions end with the connection: nothing to undo.
            if rv != _lib.ERR_CLOSED:
                self._check(rv)

    def next_message(self, timeout: Optional[float] = None) -> Message:
        """The oldest message received, whatever pattern it matched,
        waiting up to timeout seconds for one; cohort.Timeout if none."""
        return self._next_for(None, timeout)

    def messages(self, timeout: Optional[float] = None,
                 count: Optional[int] = None) -> Iterator[Message]:
        """Messages as they come (any pattern), until count of them or
        until timeout seconds have passed in all."""
        return _until(self.next_message, timeout, count)

    def _take(self, pattern: Optional[str]) -> Optional[Message]:
        # The oldest queued message for pattern (None: any).
        for i, m in enumerate(self._inbox):
            if pattern is None or matches(pattern, m.subject):
                del self._inbox[i]
                return m
        return None

    def _pull(self, ms: int) -> Message:
        # One message from libcohort's queue into ours' order.
        p = ctypes.POINTER(_lib.CohortMsg)()
        self._check(self._lib.cohort_next_msg(self._handle(),
                                              ctypes.byref(p), ms))
        try:
            return self._message(p.contents)
        finally:
            self._lib.cohort_msg_free(p)

    def _message(self, m: _lib.CohortMsg) -> Message:
        data = ctypes.string_at(m.data, m.len) if m.len else b""
        return Message(_lib.text(m.origin), _lib.text(m.subject), data,
                       bool(m.is_request), int(m.token), self._replier)

    def _next_for(self, pattern: Optional[str],
                  timeout: Optional[float]) -> Message:
        deadline = _deadline(timeout)
        with self._lock:
            while True:
                m = self._take(pattern)
                if m is not None:
                    return m
                left = _left(deadline)
                self._inbox.append(self._pull(to_ms(left)))

    # Sending

    def send(self, node: str, subject: str, data: Optional[Data] = b"",
             timeout: Optional[float] = DEFAULT_TIMEOUT) -> None:
        """Send data to the subscribers of subject on node, once the daemon
        has accepted it.  cohort.Unreachable when node is unknown or not
        up (nothing is sent), cohort.TooBig over max_message."""
        b = body(data)
        with self._lock:
            self._check(self._lib.cohort_send(
                self._handle(), _name(node), _name(subject), b or None,
                len(b), to_ms(timeout)))

    def multicast(self, nodes: Iterable[str], subject: str,
                  data: Optional[Data] = b"",
                  timeout: Optional[float] = DEFAULT_TIMEOUT) -> None:
        """Send to each of nodes once.  When some were not reached, the
        message went to the others and cohort.Unreachable lists them in
        its unreached attribute."""
        names = [_name(n) for n in nodes]
        arr = (ctypes.c_char_p * max(1, len(names)))(*names)

        def call(h: int, s: bytes, b: Optional[bytes], *out: Any) -> int:
            return int(self._lib.cohort_multicast(h, arr, len(names), s, b,
                                                  len(b or b""), *out))
        self._sendmany(subject, data, timeout, call)

    def broadcast(self, subject: str, data: Optional[Data] = b"",
                  include_self: bool = False,
                  timeout: Optional[float] = DEFAULT_TIMEOUT) -> None:
        """Send to every peer that is up, and to the local node's
        subscribers too with include_self (cohortctl broadcast --self).
        A configured peer that is not up makes it cohort.Unreachable,
        listing it; the message went to the others."""
        flags = _lib.SELF if include_self else 0

        def call(h: int, s: bytes, b: Optional[bytes], *out: Any) -> int:
            return int(self._lib.cohort_broadcast(h, flags, s, b,
                                                  len(b or b""), *out))
        self._sendmany(subject, data, timeout, call)

    def _sendmany(self, subject: str, data: Optional[Data],
                  timeout: Optional[float],
                  call: Callable[..., int]) -> None:
        # call(handle, subject, body, unreached, n_unreached, timeout_ms)
        b = body(data)
        ur = ctypes.POINTER(_lib.CohortUnreached)()
        nur = ctypes.c_size_t()
        with self._lock:
            rv = call(self._handle(), _name(subject), b or None,
                      ctypes.byref(ur), ctypes.byref(nur), to_ms(timeout))
            try:
                unreached = [Unreached(_lib.text(u.node), u.status,
                                       _lib.text(u.reason))
                             for u in ur[:nur.value]]
            finally:
                if ur:
                    _lib.free(ur)
            if rv < 0:
                err = self._error(rv)
                if isinstance(err, Unreachable):
                    err.unreached = unreached
                raise err

    def publish(self, node: str, subject: str,
                data: Optional[Data] = b"") -> None:
        """Send without waiting: the message is queued in the client and
        written in batches (flush(), and any call that waits, write it
        out).  A failure the daemon reports later (a node not up) is
        collected for errors()."""
        b = body(data)
        with self._lock:
            self._check(self._lib.cohort_publish(
                self._handle(), _name(node), _name(subject), b or None,
                len(b)))

    def publish_all(self, subject: str, data: Optional[Data] = b"",
                    include_self: bool = False) -> None:
        """broadcast() without waiting, as publish() is to send(); nodes
        that are down are not an error."""
        b = body(data)
        with self._lock:
            self._check(self._lib.cohort_publish_all(
                self._handle(), _lib.SELF if include_self else 0,
                _name(subject), b or None, len(b)))

    def flush(self, timeout: Optional[float] = DEFAULT_TIMEOUT) -> None:
        """Write out everything published, waiting up to timeout for the
        daemon to take it."""
        with self._lock:
            self._check(self._lib.cohort_flush(self._handle(),
                                               to_ms(timeout)))

    def errors(self) -> List[Error]:
        """The failures of publish() and publish_all() reported since the
        last call, oldest first (each a cohort.Error with the daemon's
        text)."""
        with self._lock:
            out = list(self._errors)
            self._errors.clear()
            return out

    @property
    def async_errors(self) -> int:
        """How many asynchronous failures were reported in all."""
        return self._n_errors

    def _on_async_error(self, _c: Any, status: int, text: Optional[bytes],
                        _arg: Any) -> None:
        # Called by libcohort from inside a call on this client.
        self._n_errors += 1
        self._errors.append(from_status(status, _lib.text(text)))

    # Requests and replies

    def request(self, node: str, subject: str, data: Optional[Data] = b"",
                timeout: float = DEFAULT_TIMEOUT) -> bytes:
        """Send a request to node and return the body of its one reply.

        cohort.NoResponder at once when nobody on node subscribes to
        subject, cohort.Unreachable when node is not up (or stops being
        up before it replies), cohort.Timeout when no reply came within
        timeout seconds, which must be positive.
        """
        b = body(data)
        p = ctypes.POINTER(_lib.CohortMsg)()
        with self._lock:
            self._check(self._lib.cohort_request(
                self._handle(), _name(node), _name(subject), b or None,
                len(b), ctypes.byref(p), to_ms(timeout)))
            try:
                m = p.contents
                return ctypes.string_at(m.data, m.len) if m.len else b""
            finally:
                self._lib.cohort_msg_free(p)

    def reply(self, request: Message, data: Optional[Data] = b"") -> None:
        """Answer request, a Message with is_request set, with data.  It
        does not wait: what the socket does not take at once goes out with
        the next call.  A reply after the requester's timeout is dropped
        by the daemon (and counted there)."""
        b = body(data)
        m = _lib.CohortMsg(_name(request.origin), _name(request.subject),
                           None, 0, int(request.is_request), request.token)
        with self._lock:
            self._check(self._lib.cohort_reply(self._handle(),
                                               ctypes.byref(m), b or None,
                                               len(b)))

    def serve(self, pattern: str, handler: Callable[[Message],
                                                    Optional[Data]],
              timeout: Optional[float] = None,
              count: Optional[int] = None) -> int:
        """Answer requests on pattern with handler(request)'s return value
        (bytes or str; None is an empty reply), until count requests were
        answered or timeout seconds passed in all.  Messages that are not
        requests are passed over.  Returns how many were answered; an
        exception from handler ends serving (the requester then times out).
        """
        n = 0
        deadline = _deadline(timeout)
        with self.subscribe(pattern) as sub:
            while count is None or n < count:
                try:
                    m = sub.next(_left(deadline))
                except Timeout:
                    break
                if not m.is_request:
                    continue
                self.reply(m, handler(m))
                n += 1
        return n

    # Event loops

    def fileno(self) -> int:
        """The connection's socket, for select() or an event loop: when it
        is readable (or pending() is true) call dispatch(), then take what
        arrived with next_message(0) and next_event(0)."""
        with self._lock:
            return int(self._lib.cohort_fd(self._handle()))

    def pending(self) -> bool:
        """True when something received waits to be taken, so that a loop
        does not wait on the socket for it."""
        with self._lock:
            return bool(self._inbox) or bool(
                self._lib.cohort_pending(self._handle()))

    def dispatch(self) -> int:
        """Write out what is buffered and read what the socket has, without
        waiting.  Returns how many callbacks libcohort ran; cohort.Closed
        when the daemon has closed the connection."""
        with self._lock:
            return self._check(int(self._lib.cohort_dispatch(
                self._handle())))


class Subscription:
    """Messages matching one pattern, from Client.subscribe().

    Iterating yields them as they come, for ever; next() waits for one
    with a timeout; messages() stops at a count or a deadline.  close()
    (or leaving a with block) unsubscribes, once the client's last
    Subscription to the same pattern closes.
    """

    def __init__(self, client: Client, pattern: str) -> None:
        self._client = client
        self._pattern = pattern
        self._closed = False

    @property
    def pattern(self) -> str:
        """The pattern subscribed to."""
        return self._pattern

    @property
    def closed(self) -> bool:
        """True once close() was called."""
        return self._closed

    def next(self, timeout: Optional[float] = None) -> Message:
        """The next message matching the pattern, waiting up to timeout
        seconds; cohort.Timeout if none came."""
        if self._closed:
            raise Closed(f"the subscription to {self._pattern} is closed",
                         _lib.ERR_CLOSED)
        return self._client._next_for(self._pattern, timeout)

    def messages(self, timeout: Optional[float] = None,
                 count: Optional[int] = None) -> Iterator[Message]:
        """Messages as they come, until count of them or until timeout
        seconds have passed in all (None: no limit)."""
        return _until(self.next, timeout, count)

    def __iter__(self) -> Iterator[Message]:
        return self.messages()

    def close(self, timeout: Optional[float] = DEFAULT_TIMEOUT) -> None:
        """Unsubscribe (when no other Subscription of the client holds the
        pattern).  Messages already received stay for next_message()."""
        if not self._closed:
            self._closed = True
            self._client._release(self._pattern, timeout)

    def __enter__(self) -> "Subscription":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = " closed" if self._closed else ""
        return f"<cohort.Subscription {self._pattern}{state}>"


def _until(next_fn: Callable[[Optional[float]], _T],
           timeout: Optional[float], count: Optional[int]) -> Iterator[_T]:
    # Items from next_fn until count, or until the deadline passes.
    deadline = _deadline(timeout)
    n = 0
    while count is None or n < count:
        try:
            item = next_fn(_left(deadline))
        except Timeout:
            return
        yield item
        n += 1
