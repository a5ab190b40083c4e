"""The one exception family for everything in the SMS package.

Callers (the AT engine, the Modem API, the simulated modem) catch `PduError` and nothing else; each
subclass adds the evidence a log reader needs to find the fault without re-running the exchange.
"""

from __future__ import annotations

from at_commands.evidence import describe


class PduError(ValueError):
    """Bad PDU input or output: says what was expected, what came, and where (octet offset)."""

    def __init__(
        self,
        problem: str,
        *,
        expected: str | None = None,
        got: str | None = None,
        offset: int | None = None,
    ) -> None:
        self.problem = problem
        self.expected = expected
        self.got = got
        self.offset = offset
        where = None if offset is None else f"at octet offset {offset}"
        super().__init__(describe(problem, expected=expected, got=got, where=where))


class UnencodableCharacterError(PduError):
    """A character has no code point in the alphabet asked for."""

    def __init__(self, character: str, index: int, alphabet: str) -> None:
        self.character = character
        self.index = index
        super().__init__(
            f"character {character!r} (U+{ord(character):04X}) at index {index} is not in the {alphabet}"
        )


class ReassemblyError(PduError):
    """Parts of a concatenated message do not belong together or cannot be put in order."""


class MissingPartError(ReassemblyError):
    """A concatenated message cannot be rebuilt because parts have not arrived."""

    def __init__(self, reference: int, total: int, missing: tuple[int, ...]) -> None:
        self.reference = reference
        self.total = total
        self.missing = missing
        super().__init__(
            f"concatenated message ref {reference} is incomplete",
            expected=f"parts 1..{total}",
            got=f"missing part(s) {', '.join(str(n) for n in missing)}",
        )
