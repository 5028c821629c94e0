"""Requests and replies: exactly one reply, binary both ways, and each
failure (nobody serves, node down, no reply in time) as its exception."""

from __future__ import annotations

import os
import subprocess
import threading
import time
from typing import Callable, List, Optional

import pytest

import cohort
from conftest import scaled, subscriptions, wait_until


class Server(threading.Thread):
    """Serves requests on a pattern from its own client, in a thread."""

    def __init__(self, sock: str, pattern: str,
                 handler: Callable[[cohort.Message], Optional[bytes]],
                 count: int) -> None:
        super().__init__(daemon=True)
        self.client = cohort.Client(sock)
        self.pattern, self.handler, self.count = pattern, handler, count
        self.seen: List[cohort.Message] = []
        self.served = -1
        self.error: Optional[BaseException] = None

    def _handle(self, m: cohort.Message) -> Optional[bytes]:
        self.seen.append(m)
        return self.handler(m)

    def run(self) -> None:
        try:
            self.served = self.client.serve(self.pattern, self._handle,
                                            timeout=scaled(10),
                                            count=self.count)
        except BaseException as e:
            self.error = e
        finally:
            self.client.close()

    def __enter__(self) -> "Server":
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.join(scaled(15))
        assert not self.is_alive(), "the server did not finish"
        if self.error is not None:
            raise self.error


def serving(sock: str, pattern: str,
            handler: Callable[[cohort.Message], Optional[bytes]],
            count: int = 1) -> Server:
    """A Server of count requests, to use in a with block."""
    return Server(sock, pattern, handler, count)


def test_request_reply(c1: cohort.Client, socks) -> None:
    with serving(socks[2], "svc.upper", lambda m: m.data.upper()) as srv:
        wait_until(lambda: subscriptions(socks[2]) == 1, 5, "the server")
        assert c1.request("n2", "svc.upper", "hello", timeout=5) == b"HELLO"
    assert srv.served == 1
    m = srv.seen[0]
    assert (m.origin, m.subject, m.data, m.is_request) == (
        "n1", "svc.upper", b"hello", True)
    assert m.token != 0


def test_binary_round_trip(c1: cohort.Client, socks) -> None:
    body = os.urandom(200_000) + b"\0"
    with serving(socks[3], "svc.rev", lambda m: m.data[::-1]):
        wait_until(lambda: subscriptions(socks[3]) == 1, 5, "the server")
        assert c1.request("n3", "svc.rev", body, timeout=5) == body[::-1]


def test_many_requests_in_turn(c1: cohort.Client, socks) -> None:
    with serving(socks[2], "svc.num", lambda m: m.data + b"!", count=50):
        wait_until(lambda: subscriptions(socks[2]) == 1, 5, "the server")
        for i in range(50):
            assert c1.request("n2", "svc.num", str(i), timeout=5) == \
                f"{i}!".encode()


def test_reply_by_hand(c1: cohort.Client, c2: cohort.Client, socks) -> None:
    # A server that takes requests from a Subscription and answers with
    # Message.reply(); the requester is a thread of its own.
    got: List[bytes] = []
    with c2.subscribe("svc.hand") as sub:
        t = threading.Thread(target=lambda: got.append(
            c1.request("n2", "svc.hand", b"q", timeout=scaled(5))))
        t.start()
        m = sub.next(scaled(5))
        assert m.is_request and m.data == b"q"
        m.reply(b"\0answer\xff")
        t.join(scaled(10))
    assert got == [b"\0answer\xff"]
    with pytest.raises(cohort.InvalidArgument, match="not a request"):
        c2.reply(cohort.Message("n1", "x", b""), b"nope")


def test_no_responder(c1: cohort.Client, ctl) -> None:
    t0 = time.monotonic()
    with pytest.raises(cohort.NoResponder) as ei:
        c1.request("n2", "svc.nobody", b"?", timeout=5)
    # At once, not at the timeout.
    assert time.monotonic() - t0 < scaled(2)
    assert str(ei.value) == "no responder for svc.nobody on n2"
    assert ei.value.reason == "no responder"
    r = ctl(1, "request", "n2", "svc.nobody", "?")
    assert r.stderr.decode() == f"cohortctl: request: {ei.value}\n"


def test_request_to_down_node(c1: cohort.Client, down: str) -> None:
    with pytest.raises(cohort.Unreachable) as ei:
        c1.request(down, "svc.x", b"?", timeout=5)
    assert str(ei.value) == f"{down}: node is not up"


def test_request_timeout(c1: cohort.Client, c2: cohort.Client) -> None:
    with c2.subscribe("svc.silent"):     # subscribed, never answers
        t0 = time.monotonic()
        with pytest.raises(cohort.Timeout) as ei:
            c1.request("n2", "svc.silent", b"?", timeout=0.5)
        took = time.monotonic() - t0
    assert 0.45 <= took < scaled(3)
    assert str(ei.value) == "no reply from n2 for svc.silent within 500 ms"
    with pytest.raises(cohort.InvalidArgument):
        c1.request("n2", "svc.silent", b"?", timeout=0)


def test_cohortctl_asks_python(socks, ctl) -> None:
    with serving(socks[2], "svc.py", lambda m: b"py:" + m.data):
        wait_until(lambda: subscriptions(socks[2]) == 1, 5, "the server")
        r = ctl(1, "request", "-t", "5", "n2", "svc.py", "abc")
    assert r.returncode == 0, r.stderr
    assert r.stdout == b"py:abc"


def test_python_asks_cohortctl(c1: cohort.Client, cohortctl: str,
                               socks) -> None:
    p = subprocess.Popen([cohortctl, "-s", socks[3], "reply", "-c", "1",
                          "-t", str(int(scaled(10))), "svc.tr", "--",
                          "tr", "a-z", "A-Z"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        wait_until(lambda: subscriptions(socks[3]) == 1, 5,
                   "cohortctl reply on n3")
        assert c1.request("n3", "svc.tr", "shout", timeout=5) == b"SHOUT"
        _, err = p.communicate(timeout=scaled(10))
    finally:
        p.kill()
        p.wait()
    assert p.returncode == 0, err
