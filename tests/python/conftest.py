"""Fixtures for the binding's tests, run by tests/t-python.sh.

The script starts n1, n2 and n3 of a cluster of four (n4 is configured
and never started) and passes, in the environment: COHORT_TEST_SOCK1..3,
COHORT_TEST_PID3 (the test marked kills_node kills n3, and runs last),
COHORT_TEST_DOWN (n4), COHORT_TEST_NET (the loopback subnet),
COHORT_TEST_SCALE (stretches deadlines), COHORTCTL, and COHORT_LIBRARY
(the build's libcohort).
"""

from __future__ import annotations

import functools
import os
import subprocess
import time
from typing import Callable, Dict, Iterator, List

import pytest

import cohort

# With a sanitizer build, t-python.sh preloads the ASan runtime into
# python for libcohort; the programs the tests run (cohortctl, tr) need
# no such thing.
os.environ.pop("LD_PRELOAD", None)


def _env(name: str) -> str:
    v = os.environ.get(name)
    if not v:
        raise RuntimeError(f"{name} is not set: run tests/t-python.sh "
                           "(make check TESTS=tests/t-python.sh)")
    return v


SCALE = int(os.environ.get("COHORT_TEST_SCALE", "1") or "1")


def scaled(seconds: float) -> float:
    """A deadline, stretched under slow wrappers."""
    return seconds * SCALE


def wait_until(pred: Callable[[], bool], seconds: float, what: str) -> None:
    """Poll pred every 20 ms until it is true; fail after seconds."""
    end = time.monotonic() + scaled(seconds)
    while not pred():
        if time.monotonic() > end:
            pytest.fail(f"timed out after {scaled(seconds)} s waiting for "
                        f"{what}")
        time.sleep(0.02)


def subscriptions(sock: str) -> int:
    """How many subscriptions the clients of the daemon at sock hold."""
    with cohort.Client(sock) as c:
        return c.stats().daemon["subscriptions"]


def _running(sock: str) -> bool:
    try:
        cohort.Client(sock).close()
        return True
    except cohort.ConnectError:
        return False     # n3, once killed


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "kills_node: kills n3; runs last")


def pytest_collection_modifyitems(items: List[pytest.Item]) -> None:
    # Tests that kill a node go last, whatever file they are in.
    items.sort(key=lambda it: it.get_closest_marker("kills_node") is not None)


@pytest.fixture(scope="session")
def socks() -> Dict[int, str]:
    """The sockets of n1, n2 and n3, by node number."""
    return {i: _env(f"COHORT_TEST_SOCK{i}") for i in (1, 2, 3)}


@pytest.fixture(scope="session")
def down() -> str:
    """A configured node that never started."""
    return _env("COHORT_TEST_DOWN")


@pytest.fixture(scope="session")
def net() -> str:
    """The test cluster's loopback subnet: nodes are 127.NET.0.i."""
    return _env("COHORT_TEST_NET")


@pytest.fixture(scope="session")
def cohortctl() -> str:
    return _env("COHORTCTL")


@pytest.fixture(autouse=True)
def quiet_cluster(socks: Dict[int, str]) -> None:
    """Each test starts with no subscription held on any node: the
    clients of the tests before it are closed, and their daemons know."""
    for i, s in socks.items():
        if _running(s):
            wait_until(functools.partial(_no_subscription, s), 10,
                       f"n{i} to hold no subscription")


def _no_subscription(sock: str) -> bool:
    return subscriptions(sock) == 0


def _client(sock: str) -> Iterator[cohort.Client]:
    c = cohort.Client(sock)
    try:
        yield c
    finally:
        c.close()


@pytest.fixture
def c1(socks: Dict[int, str]) -> Iterator[cohort.Client]:
    """A client of n1."""
    yield from _client(socks[1])


@pytest.fixture
def c2(socks: Dict[int, str]) -> Iterator[cohort.Client]:
    """A client of n2."""
    yield from _client(socks[2])


@pytest.fixture
def c3(socks: Dict[int, str]) -> Iterator[cohort.Client]:
    """A client of n3."""
    yield from _client(socks[3])


@pytest.fixture
def ctl(cohortctl: str, socks: Dict[int, str]
        ) -> Callable[..., subprocess.CompletedProcess]:
    """ctl(i, args..., input=b"") runs cohortctl on node i, bounded."""
    def run(i: int, *args: str, input: bytes = b"",
            timeout: float = 10) -> subprocess.CompletedProcess:
        return subprocess.run([cohortctl, "-s", socks[i], *args],
                              input=input, capture_output=True,
                              timeout=scaled(timeout))
    return run
