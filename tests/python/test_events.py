"""Membership events: none while nothing changes, and, when n3 is killed,
the event on n1 (blocking client) and on n2 (asyncio client), with the
members then saying n3 is down and sends to it failing."""

from __future__ import annotations

import asyncio
import os
import signal
import time

import pytest

import cohort
import cohort.aio
from conftest import scaled, wait_until


def test_no_event_when_nothing_changes(c1: cohort.Client) -> None:
    c1.watch()
    t0 = time.monotonic()
    with pytest.raises(cohort.Timeout, match="no event in time"):
        c1.next_event(timeout=0.3)
    assert 0.29 <= time.monotonic() - t0 < scaled(2)
    assert list(c1.events(timeout=0.2)) == []


def _alive(pid: int) -> bool:
    # A zombie (killed, not yet reaped by the test script) is not alive.
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.kills_node
def test_events_when_a_node_is_killed(c1: cohort.Client, socks) -> None:
    pid = int(os.environ["COHORT_TEST_PID3"])
    assert _alive(pid)
    inc3 = c1.member("n3").incarnation
    assert inc3 > 0
    c1.watch()          # before the kill: no change can be missed

    async def on_n2() -> cohort.Event:
        async with cohort.aio.Client(socks[2]) as c2:
            await c2.watch()
            assert (await c2.member("n3")).state == cohort.State.UP
            os.kill(pid, signal.SIGKILL)
            killed_ms = time.time() * 1000
            evs = [e async for e in c2.events(count=1, timeout=scaled(5))]
            assert len(evs) == 1, "n2 saw no event within 5 s"
            assert evs[0].time_ms >= killed_ms - 50
            return evs[0]

    ev2 = asyncio.run(asyncio.wait_for(on_n2(), scaled(20)))
    wait_until(lambda: not _alive(pid), 5, "n3 to die")
    ev1 = c1.next_event(timeout=scaled(5))
    for ev in (ev1, ev2):
        assert isinstance(ev, cohort.Event)
        assert ev.node == "n3"
        assert ev.state == cohort.State.DOWN
        assert ev.prev_state == cohort.State.UP
        assert ev.incarnation == inc3
    assert str(ev1.state) == "down"
    # No other change followed.
    with pytest.raises(cohort.Timeout):
        c1.next_event(timeout=0.3)
    assert c1.member("n3").state == cohort.State.DOWN
    assert c1.member("n2").state == cohort.State.UP
    with pytest.raises(cohort.Unreachable, match="^n3: node is not up$"):
        c1.send("n3", "after.kill", b"?")
