"""cohort.aio: subscriptions as async iterators, requests that do not
block the loop, timeouts, and nothing lost to a blocking call."""

from __future__ import annotations

import asyncio
import os
import time
from typing import Any, Coroutine, List, TypeVar

import pytest

import cohort
import cohort.aio
from conftest import scaled

T = TypeVar("T")


def run(coro: Coroutine[Any, Any, T]) -> T:
    """Run a test coroutine, bounded."""
    async def bounded() -> T:
        return await asyncio.wait_for(coro, scaled(30))
    return asyncio.run(bounded())


def test_async_subscription(socks) -> None:
    bodies = [b"\0", os.urandom(70_000), "caf\u00e9".encode()]

    async def main() -> List[cohort.Message]:
        async with cohort.aio.Client(socks[1]) as c1, \
                cohort.aio.Client(socks[2]) as c2:
            assert c2.node_id == "n2" and c1.cluster == "test"
            async with c2.subscribe("aio.>") as sub:
                for i, b in enumerate(bodies):
                    await c1.send("n2", f"aio.{i}", b)
                return [m async for m in sub.messages(count=3,
                                                      timeout=scaled(5))]
    got = run(main())
    assert [(m.origin, m.subject, m.data) for m in got] == [
        ("n1", f"aio.{i}", b) for i, b in enumerate(bodies)]


def test_async_for_and_publish(socks) -> None:
    async def main() -> List[bytes]:
        async with cohort.aio.Client(socks[1]) as c1, \
                cohort.aio.Client(socks[2]) as c2:
            out: List[bytes] = []
            async with c2.subscribe("aio.pub") as sub:
                for i in range(200):
                    c1.publish("n2", "aio.pub", i.to_bytes(2, "big"))
                await c1.flush()
                async for m in sub:
                    out.append(m.data)
                    if len(out) == 200:
                        break
            return out
    assert run(main()) == [i.to_bytes(2, "big") for i in range(200)]


def test_async_requests_concurrently(socks) -> None:
    async def main() -> None:
        async with cohort.aio.Client(socks[1]) as c1, \
                cohort.aio.Client(socks[2]) as c2:
            async def handler(m: cohort.Message) -> bytes:
                await asyncio.sleep(0.01)
                return m.data[::-1]
            server = asyncio.create_task(
                c2.serve("aio.rev", handler, count=30, timeout=scaled(10)))
            while (await c2.stats()).daemon["subscriptions"] != 1:
                await asyncio.sleep(0.02)
            # 30 requests in flight at once, each answered correctly.
            replies = await asyncio.gather(*(
                c1.request("n2", "aio.rev", f"req-{i}", timeout=5)
                for i in range(30)))
            assert replies == [f"req-{i}"[::-1].encode() for i in range(30)]
            assert await server == 30
    run(main())


def test_request_does_not_block_the_loop(socks) -> None:
    async def main() -> None:
        async with cohort.aio.Client(socks[1]) as c1, \
                cohort.aio.Client(socks[2]) as c2:
            ticks = 0

            async def ticker() -> None:
                nonlocal ticks
                while True:
                    await asyncio.sleep(0.01)
                    ticks += 1
            async with c2.subscribe("aio.silent"):
                t = asyncio.create_task(ticker())
                t0 = time.monotonic()
                with pytest.raises(cohort.Timeout) as ei:
                    await c1.request("n2", "aio.silent", b"?", timeout=0.6)
                took = time.monotonic() - t0
                t.cancel()
            assert 0.55 <= took < scaled(3)
            assert str(ei.value) == ("no reply from n2 for aio.silent "
                                     "within 600 ms")
            # The loop ran all the while: about 60 ticks of 10 ms.
            assert ticks >= 20
    run(main())


def test_async_errors(socks, down: str) -> None:
    async def main() -> None:
        async with cohort.aio.Client(socks[1]) as c1:
            with pytest.raises(cohort.Unreachable) as ei:
                await c1.send("n9", "x", b"")
            assert str(ei.value) == "n9: no such node in the config"
            with pytest.raises(cohort.Unreachable) as ei:
                await c1.request(down, "x", b"", timeout=2)
            assert str(ei.value) == f"{down}: node is not up"
            with pytest.raises(cohort.NoResponder) as nr:
                await c1.request("n2", "aio.nobody", b"", timeout=2)
            assert str(nr.value) == "no responder for aio.nobody on n2"
            with pytest.raises(cohort.Unreachable) as mc:
                await c1.multicast(["n2", down], "aio.mc", b"")
            assert [u.node for u in mc.value.unreached] == [down]
    run(main())


def test_async_timeouts(socks) -> None:
    async def main() -> None:
        async with cohort.aio.Client(socks[2]) as c2:
            async with c2.subscribe("aio.quiet") as sub:
                t0 = time.monotonic()
                with pytest.raises(cohort.Timeout):
                    await sub.next(timeout=0.3)
                assert 0.29 <= time.monotonic() - t0 < scaled(2)
                t0 = time.monotonic()
                assert [m async for m in sub.messages(timeout=0.3)] == []
                assert 0.29 <= time.monotonic() - t0 < scaled(2)
            with pytest.raises(cohort.Timeout, match="no event in time"):
                await c2.next_event(timeout=0.2)
    run(main())


def test_nothing_lost_to_a_blocking_call(socks) -> None:
    # Messages that a blocking call (members()) reads off the socket while
    # it waits for its answer are delivered: the socket will not become
    # readable again for them.
    async def main() -> List[bytes]:
        async with cohort.aio.Client(socks[2]) as c2:
            async with c2.subscribe("aio.mid") as sub:
                with cohort.Client(socks[1]) as c1:
                    for i in range(5):
                        c1.send("n2", "aio.mid", bytes([i]))
                # Block the loop until they are surely in n2's socket,
                # then make the blocking call read them.
                time.sleep(scaled(0.3))
                assert len(await c2.members()) == 4
                return [m.data for m in [await sub.next(scaled(2))
                                         for _ in range(5)]]
    assert run(main()) == [bytes([i]) for i in range(5)]


def test_reply_from_async(socks) -> None:
    async def main() -> bytes:
        async with cohort.aio.Client(socks[2]) as c2:
            async with c2.subscribe("aio.hand") as sub:
                with cohort.Client(socks[1]) as c1:
                    loop = asyncio.get_running_loop()
                    ask = loop.run_in_executor(None, lambda: c1.request(
                        "n2", "aio.hand", b"ping", timeout=scaled(5)))
                    m = await sub.next(scaled(5))
                    assert m.is_request and m.origin == "n1"
                    m.reply(b"pong")
                    return await ask
    assert run(main()) == b"pong"


def test_close_fails_waiting_requests(socks) -> None:
    async def main() -> None:
        c1 = await cohort.aio.Client.connect(socks[1])
        async with cohort.aio.Client(socks[2]) as c2:
            async with c2.subscribe("aio.never"):
                req = asyncio.create_task(
                    c1.request("n2", "aio.never", b"", timeout=5))
                await asyncio.sleep(0.1)
                c1.close()
                with pytest.raises(cohort.Closed):
                    await req
        assert c1.closed
        with pytest.raises(cohort.Closed):
            await c1.members()
    run(main())

