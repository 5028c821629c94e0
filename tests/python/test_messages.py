"""Sending and receiving: bodies arrive as sent (any bytes), to the
Subscription whose pattern matches, and every failure is an exception
with libcohort's text."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import time

import pytest

import cohort
from conftest import scaled, subscriptions, wait_until

ALL_BYTES = bytes(range(256)) * 4 + b"\0\0\0"


def test_send_receive_text(c1: cohort.Client, c2: cohort.Client) -> None:
    with c2.subscribe("greet.>") as sub:
        c1.send("n2", "greet.hello", "hello from n1")
        m = sub.next(timeout=scaled(5))
    assert isinstance(m, cohort.Message)
    assert (m.origin, m.subject, m.data) == ("n1", "greet.hello",
                                             b"hello from n1")
    assert m.text == "hello from n1"
    assert not m.is_request


@pytest.mark.parametrize("data", [b"", b"\0", ALL_BYTES,
                                  os.urandom(256 * 1024),
                                  "h\u00e9llo \u2603".encode()],
                         ids=["empty", "nul", "all-bytes", "256k-random",
                              "utf8"])
def test_binary_bodies(c1: cohort.Client, c2: cohort.Client,
                       data: bytes) -> None:
    with c2.subscribe("bin.*") as sub:
        c1.send("n2", "bin.x", data)
        m = sub.next(timeout=scaled(5))
    assert m.data == data and len(m.data) == len(data)


def test_body_types(c1: cohort.Client, c2: cohort.Client) -> None:
    with c2.subscribe("types.*") as sub:
        c1.send("n2", "types.a", bytearray(b"\x01\x02"))
        c1.send("n2", "types.b", memoryview(b"\x03\x04"))
        c1.send("n2", "types.c", "\u00e9")
        c1.send("n2", "types.d", None)
        got = [m.data for m in sub.messages(count=4, timeout=scaled(5))]
    assert got == [b"\x01\x02", b"\x03\x04", "\u00e9".encode(), b""]


def test_order_and_publish(c1: cohort.Client, c2: cohort.Client) -> None:
    n = 500
    with c2.subscribe("seq") as sub:
        for i in range(n):
            c1.publish("n2", "seq", i.to_bytes(4, "big"))
        c1.flush()
        got = [int.from_bytes(m.data, "big")
               for m in sub.messages(count=n, timeout=scaled(10))]
    assert got == list(range(n))
    assert c1.errors() == []


def test_subscriptions_route_by_pattern(c1: cohort.Client,
                                        c2: cohort.Client) -> None:
    with c2.subscribe("a.*") as a, c2.subscribe("b.>") as b:
        for s in ("a.1", "b.x.y", "a.2", "b.z"):
            c1.send("n2", s, s)
        # b's messages wait while a takes its own, and the other way.
        assert [m.subject for m in a.messages(count=2,
                                              timeout=scaled(5))] == [
            "a.1", "a.2"]
        assert [m.subject for m in b.messages(count=2,
                                              timeout=scaled(5))] == [
            "b.x.y", "b.z"]
        with pytest.raises(cohort.Timeout):
            a.next(timeout=0.2)


def test_next_message_takes_any(c1: cohort.Client, c2: cohort.Client) -> None:
    with c2.subscribe("any.*"):
        c1.send("n2", "any.one", b"1")
        m = c2.next_message(timeout=scaled(5))
    assert (m.subject, m.data) == ("any.one", b"1")


def test_same_pattern_twice(c1: cohort.Client, c2: cohort.Client,
                            socks) -> None:
    s1 = c2.subscribe("twice.x")
    s2 = c2.subscribe("twice.x")
    assert subscriptions(socks[2]) == 1
    s1.close()
    # The pattern is held until its last Subscription closes.
    assert subscriptions(socks[2]) == 1
    c1.send("n2", "twice.x", b"still")
    assert s2.next(timeout=scaled(5)).data == b"still"
    with pytest.raises(cohort.Closed):
        s1.next(timeout=0)
    s2.close()
    wait_until(lambda: subscriptions(socks[2]) == 0, 5, "the unsubscribe")
    assert s1.closed and s2.closed


def test_timeouts(c2: cohort.Client) -> None:
    with c2.subscribe("quiet.>") as sub:
        t0 = time.monotonic()
        with pytest.raises(cohort.Timeout) as ei:
            sub.next(timeout=0.3)
        took = time.monotonic() - t0
        assert 0.29 <= took < scaled(2)
        assert isinstance(ei.value, TimeoutError)
        assert ei.value.status == -5 and ei.value.reason == "timed out"
        assert str(ei.value) == "no message in time"
        t0 = time.monotonic()
        assert list(sub.messages(timeout=0.3)) == []
        assert 0.29 <= time.monotonic() - t0 < scaled(2)
        with pytest.raises(cohort.Timeout):
            sub.next(timeout=0)


def test_unknown_and_down_nodes(c1: cohort.Client, down: str, ctl) -> None:
    with pytest.raises(cohort.Unreachable) as ei:
        c1.send("n9", "x.y", b"hello")
    assert str(ei.value) == "n9: no such node in the config"
    assert ei.value.status == -9
    assert ei.value.reason == "node unknown or down"
    # The same words as cohortctl's, which are libcohort's too.
    r = ctl(1, "send", "n9", "x.y", "hello")
    assert r.returncode != 0
    assert r.stderr.decode() == f"cohortctl: send: {ei.value}\n"

    with pytest.raises(cohort.Unreachable) as ei:
        c1.send(down, "x.y", b"hello")
    assert str(ei.value) == f"{down}: node is not up"
    r = ctl(1, "send", down, "x.y", "hello")
    assert r.stderr.decode() == f"cohortctl: send: {ei.value}\n"


def test_multicast(c1: cohort.Client, c2: cohort.Client, c3: cohort.Client,
                   down: str) -> None:
    with c2.subscribe("mc") as s2, c3.subscribe("mc") as s3:
        c1.multicast(["n2", "n3"], "mc", b"to both")
        assert s2.next(scaled(5)).data == b"to both"
        assert s3.next(scaled(5)).data == b"to both"
        with pytest.raises(cohort.Unreachable) as ei:
            c1.multicast(["n2", down], "mc", b"partly")
        assert [(u.node, u.status, u.reason) for u in ei.value.unreached] == [
            (down, -9, "node is not up")]
        # It went to the node that is up.
        assert s2.next(scaled(5)).data == b"partly"
        with pytest.raises(cohort.Timeout):
            s3.next(0.2)


def test_broadcast(c1: cohort.Client, c2: cohort.Client, c3: cohort.Client,
                   down: str) -> None:
    with c1.subscribe("bc.*") as s1, c2.subscribe("bc.*") as s2, \
            c3.subscribe("bc.*") as s3:
        # n4 is configured and down: named, while the others get it.
        with pytest.raises(cohort.Unreachable) as ei:
            c1.broadcast("bc.peers", b"peers only")
        assert [u.node for u in ei.value.unreached] == [down]
        with pytest.raises(cohort.Unreachable):
            c1.broadcast("bc.all", b"everyone", include_self=True)
        assert [m.subject for m in s2.messages(count=2,
                                               timeout=scaled(5))] == [
            "bc.peers", "bc.all"]
        assert [m.subject for m in s3.messages(count=2,
                                               timeout=scaled(5))] == [
            "bc.peers", "bc.all"]
        # Only the broadcast with include_self reached n1's own app.
        assert s1.next(scaled(5)).subject == "bc.all"
        with pytest.raises(cohort.Timeout):
            s1.next(0.2)
        c1.publish_all("bc.quick", b"q")
        c1.flush()
        assert s2.next(scaled(5)).data == b"q"


def test_publish_failure_is_reported(c1: cohort.Client, down: str) -> None:
    c1.publish(down, "lost.msg", b"nobody")
    c1.flush()
    errs = []

    def reported() -> bool:
        c1.dispatch()
        errs.extend(c1.errors())
        return bool(errs)
    wait_until(reported, 5, "the failure of a publish to a down node")
    assert isinstance(errs[0], cohort.Unreachable)
    assert str(errs[0]) == f"{down}: node is not up"
    assert c1.async_errors == 1


def test_too_big(c1: cohort.Client) -> None:
    with pytest.raises(cohort.TooBig) as ei:
        c1.send("n2", "big", b"x" * (c1.max_message + 1))
    assert "larger than limits.max_message_size" in str(ei.value)


def test_bad_subjects_refused(c1: cohort.Client) -> None:
    with pytest.raises(cohort.Refused) as ei:
        c1.send("n2", "x.*", b"wild")
    assert str(ei.value) == ('"x.*": wildcards are for subscriptions, '
                             'not for sending')
    with pytest.raises(cohort.Refused) as ei:
        c1.subscribe("x.>.y")
    assert str(ei.value).startswith('"x.>.y": ')


def test_from_cohortctl(c2: cohort.Client, ctl) -> None:
    # cohortctl send reads the body from stdin when none is given.
    with c2.subscribe("ctl.in") as sub:
        r = ctl(1, "send", "n2", "ctl.in", input=ALL_BYTES)
        assert r.returncode == 0, r.stderr
        m = sub.next(scaled(5))
    assert (m.origin, m.data) == ("n1", ALL_BYTES)


def test_to_cohortctl(c1: cohort.Client, cohortctl: str, socks) -> None:
    p = subprocess.Popen([cohortctl, "-s", socks[2], "--json", "sub",
                          "-c", "2", "-t", str(int(scaled(10))), "ctl.out"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        wait_until(lambda: subscriptions(socks[2]) == 1, 5,
                   "cohortctl sub on n2")
        c1.send("n2", "ctl.out", ALL_BYTES)
        c1.send("n2", "ctl.out", "text \u00e9")
        out, err = p.communicate(timeout=scaled(10))
    finally:
        p.kill()
        p.wait()
    assert p.returncode == 0, err
    a, b = [json.loads(line) for line in out.decode().splitlines()]
    assert (a["from"], a["subject"]) == ("n1", "ctl.out")
    assert base64.b64decode(a["data_b64"]) == ALL_BYTES
    assert b["data"] == "text \u00e9"
