"""The exception family for SIM data: what was expected, what came, and where."""

from __future__ import annotations

from at_commands.evidence import describe


class SimDataError(ValueError):
    def __init__(
        self, problem: str, *, expected: str | None = None, got: str | None = None, where: str | None = None
    ) -> None:
        self.problem = problem
        self.expected = expected
        self.got = got
        self.where = where
        super().__init__(
            describe(problem, expected=expected, got=got, where=None if where is None else f"in {where}")
        )


def require_size(data: bytes, size: int, name: str) -> None:
    """EF contents must be exactly the file's size."""
    if len(data) != size:
        raise SimDataError(
            f"{name} has the wrong size", expected=f"{size} octets", got=f"{len(data)}", where=name
        )


class CrsmStatusError(SimDataError):
    """The SIM answered +CRSM with a status word that is not success."""

    def __init__(self, sw1: int, sw2: int, meaning: str, command: str | None = None) -> None:
        self.sw1 = sw1
        self.sw2 = sw2
        self.meaning = meaning
        super().__init__(
            f"SIM refused the command: {meaning}",
            expected="SW 144,0 (0x9000)",
            got=f"SW {sw1},{sw2} (0x{sw1:02X}{sw2:02X})",
            where=command,
        )
