"""The asyncio client: cohort.aio.Client, on the running event loop.

It is a cohort.Client whose socket (cohort_fd()) the loop watches with
add_reader(): what arrives is read when it arrives, and subscriptions,
events and requests are awaited without blocking the loop.

    async with cohort.aio.Client() as c:
        async with c.subscribe("orders.>") as sub:
            async for m in sub:
                print(m.origin, m.subject, m.data)

request() waits without blocking the loop (cohort_request_async()), and
so do next_message(), next_event(), the async iterators and flush().  The
other calls (members(), send(), subscribe(), ...) are a question to the
local daemon, which answers from its memory, in well under a millisecond
on a machine that is not overloaded: they wait for that answer on the
loop's thread, up to their timeout.  A send() that the daemon holds back
(a peer's queue is full, limits.peer_queue_bytes) holds the loop as long;
publish(), which only queues, never does.

A client belongs to the loop it was first used in.
"""

from __future__ import annotations

import asyncio
import ctypes
import inspect
from collections import deque
from typing import (Any, AsyncIterator, Awaitable, Callable, Deque, Dict,
                    Iterable, List, Optional, TypeVar, Union, cast)

from . import _lib
from . import client as _client
from .client import DEFAULT_TIMEOUT, Data, _name, body, event_of, to_ms
from .errors import Closed, Error, Timeout, from_status
from .records import Event, Member, Message, Stats

_T = TypeVar("_T")


class Client:
    """A connection to the local cohortd for asyncio programs.

    Client(socket) connects at once, as cohort.Client does (socket None:
    $COHORT_SOCKET, else libcohort's default).  Use it with async with,
    or call close().
    """

    def __init__(self, socket: Optional[str] = None, *,
                 timeout: Optional[float] = DEFAULT_TIMEOUT) -> None:
        self._c = _client.Client(socket, timeout=timeout)
        # Messages it receives are answered through this client.
        self._c._replier = self
        self._lib = self._c._lib
        self._fd = self._c.fileno()
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._arrival: Optional[asyncio.Future[None]] = None
        self._drained: Optional[asyncio.Future[None]] = None
        self._writing = False
        self._events: Deque[Event] = deque()
        self._requests: Dict[int, asyncio.Future[bytes]] = {}
        self._last_id = 0
        self._lost: Optional[Error] = None
        self._reply_cb = _lib.REPLY_CB(self._on_reply)

    @classmethod
    async def connect(cls, socket: Optional[str] = None, *,
                      timeout: Optional[float] = DEFAULT_TIMEOUT
                      ) -> "Client":
        """Connect and attach to the running loop."""
        c = cls(socket, timeout=timeout)
        c._attach()
        return c

    async def __aenter__(self) -> "Client":
        self._attach()
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop watching the socket, fail the requests still waiting with
        cohort.Closed, and close the connection (see Client.close())."""
        self._detach()
        self._fail_all(Closed("the client is closed", _lib.ERR_CLOSED))
        self._c.close()

    @property
    def closed(self) -> bool:
        """True once close() was called."""
        return self._c.closed

    @property
    def sync(self) -> _client.Client:
        """The blocking client underneath (the same connection), for its
        non-waiting calls; use it from the loop's thread only, and not its
        waiting calls, which would hold the loop."""
        return self._c

    @property
    def node_id(self) -> str:
        """The local node's id."""
        return self._c.node_id

    @property
    def cluster(self) -> str:
        """The cluster's name."""
        return self._c.cluster

    @property
    def incarnation(self) -> int:
        """The daemon's incarnation."""
        return self._c.incarnation

    @property
    def max_message(self) -> int:
        """The largest body the daemon accepts."""
        return self._c.max_message

    # The loop side

    def _attach(self) -> None:
        loop = asyncio.get_running_loop()
        if self._loop is None:
            self._c._handle()
            self._loop = loop
            loop.add_reader(self._fd, self._on_readable)
            self._kick()
        elif self._loop is not loop:
            raise RuntimeError("this cohort.aio.Client belongs to another "
                               "event loop")

    def _detach(self) -> None:
        if self._loop is not None and not self._loop.is_closed():
            self._loop.remove_reader(self._fd)
            if self._writing:
                self._loop.remove_writer(self._fd)
        self._writing = False

    def _kick(self) -> None:
        # A blocking call may have read what the socket had: the socket
        # will not be readable again for that, so look at once.
        h = self._c._h
        if (self._loop is not None and h is not None
                and self._lib.cohort_pending(h)):
            self._loop.call_soon(self._on_readable)

    def _on_readable(self) -> None:
        c = self._c
        lost: Optional[Error] = None
        with c._lock:
            if c._h is None or self._lost is not None:
                return
            try:
                c.dispatch()
            except Error as e:
                lost = e
            # Take what arrived; libcohort says Closed only once all that
            # was received before has been taken.
            while lost is None:
                try:
                    c._inbox.append(c._pull(0))
                except Timeout:
                    break
                except Error as e:
                    lost = e
            while True:
                try:
                    self._events.append(self._next_event_now())
                except Timeout:
                    break
                except Error as e:
                    lost = lost or e
                    break
        if lost is not None:
            self._lose(lost)
        self._wake()

    def _next_event_now(self) -> Event:
        c = self._c
        ev = _lib.CohortEvent()
        c._check(self._lib.cohort_next_event(c._handle(), ctypes.byref(ev),
                                             0))
        return event_of(ev)

    def _lose(self, err: Error) -> None:
        # The daemon closed the connection, or it failed: nothing more
        # will come.  Waiters see err once the queues are empty.
        self._lost = err
        self._detach()
        self._fail_all(err)
        self._wake()
        if self._drained is not None and not self._drained.done():
            self._drained.set_exception(_again(err))
            self._drained = None

    def _fail_all(self, err: Error) -> None:
        reqs, self._requests = self._requests, {}
        for fut in reqs.values():
            if not fut.done():
                fut.set_exception(_again(err))

    def _wake(self) -> None:
        if self._arrival is not None and not self._arrival.done():
            self._arrival.set_result(None)
        self._arrival = None

    async def _wait(self, deadline: Optional[float], what: str) -> None:
        # Until something arrives, or raise at the deadline or when the
        # connection is lost.
        if self._lost is not None:
            raise _again(self._lost)
        if self._c.closed:
            raise Closed("the client is closed", _lib.ERR_CLOSED)
        assert self._loop is not None
        if self._arrival is None:
            self._arrival = self._loop.create_future()
        left = None if deadline is None else deadline - self._loop.time()
        if left is not None and left <= 0:
            raise Timeout(f"no {what} in time", _lib.ERR_TIMEOUT)
        try:
            await asyncio.wait_for(asyncio.shield(self._arrival), left)
        except asyncio.TimeoutError:
            raise Timeout(f"no {what} in time", _lib.ERR_TIMEOUT) from None

    def _deadline(self, timeout: Optional[float]) -> Optional[float]:
        assert self._loop is not None
        return None if timeout is None else self._loop.time() + timeout

    def _left(self, deadline: Optional[float]) -> Optional[float]:
        assert self._loop is not None
        return (None if deadline is None
                else max(0.0, deadline - self._loop.time()))

    def _push(self) -> None:
        # Write out what is buffered without waiting; the rest when the
        # socket is writable.
        c = self._c
        with c._lock:
            rv = self._lib.cohort_flush(c._handle(), 0)
            err = c._error(rv) if rv not in (_lib.OK, _lib.ERR_TIMEOUT) \
                else None
        if err is not None:
            self._lose(err)
            raise err
        if rv == _lib.OK:
            if self._drained is not None and not self._drained.done():
                self._drained.set_result(None)
            self._drained = None
            if self._writing and self._loop is not None:
                self._loop.remove_writer(self._fd)
                self._writing = False
        elif not self._writing and self._loop is not None:
            self._loop.add_writer(self._fd, self._on_writable)
            self._writing = True
        self._kick()

    def _on_writable(self) -> None:
        try:
            self._push()
        except Error:
            pass  # _push recorded it: waiters get it

    def _blocking(self, fn: Callable[..., _T], *args: Any) -> _T:
        # One of the short blocking calls, then look at what it read.
        self._attach()
        try:
            return fn(*args)
        finally:
            self._kick()

    # Members, statistics, administration

    async def members(self, timeout: Optional[float] = DEFAULT_TIMEOUT
                      ) -> List[Member]:
        """Every configured node (see cohort.Client.members())."""
        return self._blocking(self._c.members, timeout)

    async def member(self, node: str,
                     timeout: Optional[float] = DEFAULT_TIMEOUT) -> Member:
        """The member named node; KeyError if it is not configured."""
        return self._blocking(self._c.member, node, timeout)

    async def stats(self, timeout: Optional[float] = DEFAULT_TIMEOUT
                    ) -> Stats:
        """The daemon's counters (see cohort.Client.stats())."""
        return self._blocking(self._c.stats, timeout)

    async def reload(self, timeout: Optional[float] = DEFAULT_TIMEOUT
                     ) -> None:
        """Have the daemon reload its config file."""
        self._blocking(self._c.reload, timeout)

    async def log_level(self, debug: bool,
                        timeout: Optional[float] = DEFAULT_TIMEOUT) -> None:
        """Switch the daemon's debug logging on or off."""
        self._blocking(self._c.log_level, debug, timeout)

    # Cluster views and leases: see the note in cohort.client; their
    # coroutines belong here when libcohort has the calls.

    # Membership events

    async def watch(self, on: bool = True,
                    timeout: Optional[float] = DEFAULT_TIMEOUT) -> None:
        """Ask for membership events (see cohort.Client.watch())."""
        self._blocking(self._c.watch, on, timeout)

    async def next_event(self, timeout: Optional[float] = None) -> Event:
        """The next membership event; cohort.Timeout if none came within
        timeout seconds."""
        self._attach()
        if not self._c._watching:
            await self.watch(True)
        deadline = self._deadline(timeout)
        while not self._events:
            await self._wait(deadline, "event")
        return self._events.popleft()

    async def events(self, timeout: Optional[float] = None,
                     count: Optional[int] = None) -> AsyncIterator[Event]:
        """Membership events as they come, until count of them or until
        timeout seconds have passed in all."""
        async for ev in self._until(self.next_event, timeout, count):
            yield ev

    # Subscriptions and receiving

    def subscribe(self, pattern: str,
                  timeout: Optional[float] = DEFAULT_TIMEOUT
                  ) -> "Subscription":
        """Subscribe to pattern and return its Subscription, once the
        daemon agreed (a plain call, so that `async with c.subscribe(p)
        as sub` reads well; it waits for the daemon as members() does)."""
        sub = self._blocking(self._c.subscribe, pattern, timeout)
        return Subscription(self, sub)

    async def next_message(self, timeout: Optional[float] = None
                           ) -> Message:
        """The oldest message received, whatever pattern it matched."""
        return await self._next_for(None, timeout)

    async def messages(self, timeout: Optional[float] = None,
                       count: Optional[int] = None
                       ) -> AsyncIterator[Message]:
        """Messages as they come (any pattern), until count of them or
        until timeout seconds have passed in all."""
        async for m in self._until(self.next_message, timeout, count):
            yield m

    async def _next_for(self, pattern: Optional[str],
                        timeout: Optional[float]) -> Message:
        self._attach()
        deadline = self._deadline(timeout)
        while True:
            with self._c._lock:
                m = self._c._take(pattern)
            if m is not None:
                return m
            await self._wait(deadline, "message")

    async def _until(self, next_fn: Callable[[Optional[float]],
                                             Awaitable[_T]],
                     timeout: Optional[float],
                     count: Optional[int]) -> AsyncIterator[_T]:
        self._attach()
        deadline = self._deadline(timeout)
        n = 0
        while count is None or n < count:
            try:
                item = await next_fn(self._left(deadline))
            except Timeout:
                return
            yield item
            n += 1

    # Sending

    async def send(self, node: str, subject: str, data: Optional[Data] = b"",
                   timeout: Optional[float] = DEFAULT_TIMEOUT) -> None:
        """Send to node once the daemon accepted it (see
        cohort.Client.send())."""
        self._blocking(self._c.send, node, subject, data, timeout)

    async def multicast(self, nodes: Iterable[str], subject: str,
                        data: Optional[Data] = b"",
                        timeout: Optional[float] = DEFAULT_TIMEOUT) -> None:
        """Send to each of nodes (see cohort.Client.multicast())."""
        self._blocking(self._c.multicast, list(nodes), subject, data,
                       timeout)

    async def broadcast(self, subject: str, data: Optional[Data] = b"",
                        include_self: bool = False,
                        timeout: Optional[float] = DEFAULT_TIMEOUT) -> None:
        """Send to every peer that is up (see cohort.Client.broadcast())."""
        self._blocking(self._c.broadcast, subject, data, include_self,
                       timeout)

    def publish(self, node: str, subject: str,
                data: Optional[Data] = b"") -> None:
        """Queue a message for node and write it out without waiting;
        later failures go to errors()."""
        self._attach()
        self._c.publish(node, subject, data)
        self._push()

    def publish_all(self, subject: str, data: Optional[Data] = b"",
                    include_self: bool = False) -> None:
        """Queue a broadcast and write it out without waiting."""
        self._attach()
        self._c.publish_all(subject, data, include_self)
        self._push()

    async def flush(self, timeout: Optional[float] = DEFAULT_TIMEOUT
                    ) -> None:
        """Wait until everything queued is written to the daemon."""
        self._attach()
        assert self._loop is not None
        self._push()
        if not self._writing:
            return
        if self._drained is None:
            self._drained = self._loop.create_future()
        try:
            await asyncio.wait_for(asyncio.shield(self._drained), timeout)
        except Error:
            raise
        except asyncio.TimeoutError:
            raise Timeout("cohortd does not read its socket",
                          _lib.ERR_TIMEOUT) from None

    def errors(self) -> List[Error]:
        """Failures of publish() reported since the last call."""
        return self._c.errors()

    # Requests and replies

    async def request(self, node: str, subject: str,
                      data: Optional[Data] = b"",
                      timeout: float = DEFAULT_TIMEOUT) -> bytes:
        """Send a request and return the body of its reply, without
        blocking the loop (see cohort.Client.request() for the errors)."""
        self._attach()
        assert self._loop is not None
        if self._lost is not None:
            raise _again(self._lost)
        b = body(data)
        c = self._c
        fut: asyncio.Future[bytes] = self._loop.create_future()
        self._last_id += 1
        rid = self._last_id
        with c._lock:
            c._check(self._lib.cohort_request_async(
                c._handle(), _name(node), _name(subject), b or None,
                len(b), to_ms(timeout), self._reply_cb, rid))
            self._requests[rid] = fut
        try:
            self._push()
            # The daemon times the request and answers at its deadline;
            # the second more covers a daemon that went silent.
            return await asyncio.wait_for(fut, timeout + 1.0)
        except Timeout:
            raise   # the daemon's answer (cohort.Timeout is a TimeoutError)
        except asyncio.TimeoutError:
            raise Timeout(f"no answer from cohortd in time for the "
                          f"request to {node}", _lib.ERR_TIMEOUT) from None
        finally:
            self._requests.pop(rid, None)

    def _on_reply(self, c: Any, status: int,
                  m: "ctypes._Pointer[_lib.CohortMsg]", arg: Any) -> None:
        # Called by libcohort from inside dispatch() or a next_* call on
        # this client, on the loop's thread.
        fut = self._requests.pop(arg or 0, None)
        if fut is None or fut.done():
            return
        try:
            if status == _lib.OK:
                r = m.contents
                fut.set_result(ctypes.string_at(r.data, r.len)
                               if r.len else b"")
            else:
                fut.set_exception(from_status(
                    status, _lib.text(self._lib.cohort_errmsg(c))))
        except Exception as e:  # never let it unwind into C
            if not fut.done():
                fut.set_exception(e)

    def reply(self, request: Message, data: Optional[Data] = b"") -> None:
        """Answer request with data, without waiting (a plain call, as
        Message.reply() is)."""
        self._attach()
        self._c.reply(request, data)
        self._push()

    async def serve(self, pattern: str,
                    handler: Callable[[Message],
                                      Union[Optional[Data],
                                            Awaitable[Optional[Data]]]],
                    timeout: Optional[float] = None,
                    count: Optional[int] = None) -> int:
        """Answer requests on pattern with handler(request), a function or
        a coroutine function, until count were answered or timeout
        seconds passed in all; returns how many were answered."""
        n = 0
        self._attach()
        deadline = self._deadline(timeout)
        async with self.subscribe(pattern) as sub:
            while count is None or n < count:
                try:
                    m = await sub.next(self._left(deadline))
                except Timeout:
                    break
                if not m.is_request:
                    continue
                out = handler(m)
                if inspect.isawaitable(out):
                    out = await out
                self.reply(m, cast(Optional[Data], out))
                n += 1
        return n


class Subscription:
    """Messages matching one pattern, from cohort.aio.Client.subscribe():
    `async for m in sub`, or await sub.next(timeout)."""

    def __init__(self, client: Client, sub: _client.Subscription) -> None:
        self._client = client
        self._sub = sub

    @property
    def pattern(self) -> str:
        """The pattern subscribed to."""
        return self._sub.pattern

    @property
    def closed(self) -> bool:
        """True once close() was called."""
        return self._sub.closed

    async def next(self, timeout: Optional[float] = None) -> Message:
        """The next message matching the pattern; cohort.Timeout if none
        came within timeout seconds."""
        if self._sub.closed:
            raise Closed(f"the subscription to {self.pattern} is closed",
                         _lib.ERR_CLOSED)
        return await self._client._next_for(self.pattern, timeout)

    async def messages(self, timeout: Optional[float] = None,
                       count: Optional[int] = None
                       ) -> AsyncIterator[Message]:
        """Messages as they come, until count of them or until timeout
        seconds have passed in all."""
        async for m in self._client._until(self.next, timeout, count):
            yield m

    def __aiter__(self) -> AsyncIterator[Message]:
        return self.messages()

    def close(self, timeout: Optional[float] = DEFAULT_TIMEOUT) -> None:
        """Unsubscribe (see cohort.Subscription.close())."""
        self._sub.close(timeout)
        self._client._kick()

    async def __aenter__(self) -> "Subscription":
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = " closed" if self.closed else ""
        return f"<cohort.aio.Subscription {self.pattern}{state}>"


def _again(err: Error) -> Error:
    # A fresh exception of the same kind, for each waiter.
    return from_status(err.status, err.message)
