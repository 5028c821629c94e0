"""Which subscription a message belongs to.

The daemon sends a client one copy of each message matching any of its
patterns; a client with several Subscriptions hands each message to the
one whose pattern matches, by the rule of libcohort(3): tokens separated
by dots, "*" matches exactly one token, ">" as the last token one or more.
The daemon checks the syntax; this only compares.
"""

from __future__ import annotations


def matches(pattern: str, subject: str) -> bool:
    """True when subject matches pattern ("orders.*.created", "orders.>")."""
    ptoks = pattern.split(".")
    stoks = subject.split(".")
    for i, tok in enumerate(ptoks):
        if tok == ">" and i == len(ptoks) - 1:
            return len(stoks) > i
        if i >= len(stoks):
            return False
        if tok != "*" and tok != stoks[i]:
            return False
    return len(ptoks) == len(stoks)
