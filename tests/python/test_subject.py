"""Which Subscription a message goes to: cohort.subject.matches(), by
the rules of libcohort(3), and in agreement with the daemon's own
matching."""

from __future__ import annotations

import pytest

import cohort
from cohort.subject import matches

CASES = [
    ("a", "a", True), ("a", "b", False), ("a", "a.b", False),
    ("a.b", "a.b", True), ("a.b", "a", False),
    ("a.*", "a.b", True), ("a.*", "a", False), ("a.*", "a.b.c", False),
    ("*.b", "a.b", True), ("*.b", "a.c", False), ("*", "a", True),
    ("*", "a.b", False), ("a.*.c", "a.b.c", True), ("a.*.c", "a.b.d", False),
    ("a.>", "a.b", True), ("a.>", "a.b.c.d", True), ("a.>", "a", False),
    (">", "a", True), (">", "a.b.c", True), ("a.*.>", "a.b", False),
    ("a.*.>", "a.b.c", True), ("ab", "a", False), ("a", "ab", False),
]


@pytest.mark.parametrize("pattern,subject,expected", CASES)
def test_matches(pattern: str, subject: str, expected: bool) -> None:
    assert matches(pattern, subject) is expected


def test_daemon_agrees(c1: cohort.Client, c2: cohort.Client) -> None:
    # For each pattern, what n2 delivers to a client that holds it.
    patterns = sorted({p for p, _, _ in CASES})
    subjects = sorted({s for _, s, _ in CASES})
    for p in patterns:
        with c2.subscribe(p), c2.subscribe("zz.end.mark"):
            for s in subjects:
                c1.send("n2", s, s)
            c1.send("n2", "zz.end.mark", b"")
            got = []
            while True:
                m = c2.next_message(timeout=5)
                if m.subject == "zz.end.mark":
                    break
                got.append(m.subject)
        assert got == [s for s in subjects if matches(p, s)], p
