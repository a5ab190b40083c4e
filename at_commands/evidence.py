"""One way to word a data error: the problem, then what was expected, what came, and where."""

from __future__ import annotations


def describe(
    problem: str, *, expected: str | None = None, got: str | None = None, where: str | None = None
) -> str:
    """'odd-length hex (expected an even number of digits, got 5, at octet offset 2)'."""
    details = [
        f"{label} {value}"
        for label, value in (("expected", expected), ("got", got), ("", where))
        if value is not None
    ]
    return f"{problem} ({', '.join(d.strip() for d in details)})" if details else problem
