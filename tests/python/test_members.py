"""Connecting, members, statistics: what the binding reads back matches
the daemons and cohortctl."""

from __future__ import annotations

import json
import os
import time

import pytest

import cohort
from conftest import wait_until


def test_connect_says_who(c1: cohort.Client, c2: cohort.Client) -> None:
    assert c1.node_id == "n1"
    assert c2.node_id == "n2"
    assert c1.cluster == c2.cluster == "test"
    assert c1.incarnation > 0 and c1.incarnation != c2.incarnation
    assert c1.max_message > 0
    assert not c1.closed
    assert repr(c1) == "<cohort.Client node n1 of test>"


def test_members_states(c1: cohort.Client, down: str, net: str) -> None:
    ms = c1.members()
    assert [m.id for m in ms] == ["n1", "n2", "n3", down]
    by = {m.id: m for m in ms}
    assert by["n1"].state == cohort.State.SELF
    assert by["n2"].state == cohort.State.UP
    assert by["n3"].state == cohort.State.UP
    assert by[down].state == cohort.State.UNKNOWN
    assert [str(m.state) for m in ms] == ["self", "up", "up", "unknown"]
    for i, m in enumerate(ms, 1):
        assert m.address == f"127.{net}.0.{i}"
        assert m.port == 7400
        assert isinstance(m, cohort.Member)
    # The local node's incarnation is the daemon's; a peer's is its own.
    assert by["n1"].incarnation == c1.incarnation
    assert by["n2"].incarnation > 0 and by["n2"].incarnation != c1.incarnation
    assert by[down].incarnation == 0
    assert by["n1"].up and by["n2"].up and not by[down].up
    now_ms = time.time() * 1000
    for m in ms:
        assert now_ms - 600_000 < m.since_ms <= now_ms + 1000
    # The heartbeats measure the round trip to every peer that is up.
    wait_until(lambda: all(m.rtt_us > 0 for m in c1.members()
                           if m.state == cohort.State.UP), 5,
               "a round trip to n2 and n3")
    assert c1.member("n2").id == "n2"
    with pytest.raises(KeyError):
        c1.member("n9")


def test_members_as_cohortctl_says(c2: cohort.Client, ctl) -> None:
    r = ctl(2, "--json", "members")
    assert r.returncode == 0, r.stderr
    theirs = [json.loads(line) for line in r.stdout.decode().splitlines()]
    ours = c2.members()
    assert [(o["id"], o["address"], o["port"], o["state"], o["incarnation"])
            for o in theirs] == [(m.id, m.address, m.port, str(m.state),
                                  m.incarnation) for m in ours]


def test_stats(c1: cohort.Client, c2: cohort.Client, down: str) -> None:
    before = c1.stats()
    assert isinstance(before, cohort.Stats)
    assert before.node == "n1"
    assert before.daemon["peers"] == 3
    assert before.daemon["peers_up"] == 2
    assert before.daemon["incarnation"] == c1.incarnation
    assert sorted(before.peers) == ["n2", "n3", down]
    assert before.peers["n2"]["state"] == cohort.State.UP
    assert before.peers[down]["state"] == cohort.State.UNKNOWN
    assert all(isinstance(s, cohort.Stat) for s in before.entries)
    assert ("daemon", "n1", "peers", 3) in [
        (s.section, s.name, s.key, s.value) for s in before.entries]
    # A counter moves with what the binding does.
    c1.send("n2", "stats.probe", b"x")
    assert c1.stats().daemon["msgs_sent"] == before.daemon["msgs_sent"] + 1


def test_default_socket_from_env(socks, monkeypatch) -> None:
    monkeypatch.setenv("COHORT_SOCKET", socks[3])
    with cohort.Client() as c:
        assert c.node_id == "n3"


def test_connect_error_has_libcohorts_text(tmp_path) -> None:
    path = str(tmp_path / "nothing.sock")
    with pytest.raises(cohort.ConnectError) as ei:
        cohort.Client(path)
    e = ei.value
    assert isinstance(e, cohort.Error) and isinstance(e, ConnectionError)
    assert e.status == -2
    assert e.reason == "cannot connect to cohortd"
    assert str(e).startswith(f"cannot connect to cohortd at {path}: "
                             "No such file or directory")
    assert e.message == str(e)


def test_closed_client(socks) -> None:
    with cohort.Client(socks[1]) as c:
        pass
    assert c.closed
    assert repr(c) == "<cohort.Client closed>"
    with pytest.raises(cohort.Closed, match="the client is closed"):
        c.members()
    c.close()   # twice is harmless


def test_library_from_env() -> None:
    # The tests run on the build's library, named by COHORT_LIBRARY.
    from cohort import _lib
    lib = _lib.load()
    assert os.environ["COHORT_LIBRARY"].endswith("/src/.libs/libcohort.so.0")
    assert lib._name == os.environ["COHORT_LIBRARY"]
    assert cohort.strerror(-5) == "timed out"
    assert cohort.strerror(-9) == "node unknown or down"
