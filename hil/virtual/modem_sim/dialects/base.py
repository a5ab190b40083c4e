"""What every dialect shares: the command table, SIM checks, and the hooks the modem calls.

A dialect is a class whose methods are marked with ``@command("+NAME", ...)``; the table is built
from the class and its bases, so a vendor overrides a standard command by marking its own method
with the same name. Vendor differences that are only data (defaults, numbering, quoting) are class
attributes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from at_commands.dialects.profiles import Rat
from hil.virtual.modem_sim.errors import CmeError, PlainError
from hil.virtual.modem_sim.parser import Command
from hil.virtual.modem_sim.replies import Result
from hil.virtual.modem_sim.state import SimStatus, Stat

if TYPE_CHECKING:
    from hil.virtual.modem_sim.modem import SimulatedModem

F = TypeVar("F", bound=Callable[..., Any])


def command(*names: str) -> Callable[[F], F]:
    """Mark a method as the handler of these AT command names (upper case, with prefix)."""

    def mark(function: F) -> F:
        function._at_names = names  # type: ignore[attr-defined]
        return function

    return mark


class DialectBase:
    # ---- data a vendor overrides
    boot_cfun: ClassVar[int] = 1  # CFUN after power-on (nRF91 starts in 0)
    default_cmee: ClassVar[int] = 0
    sim_off_in_cfun0: ClassVar[bool] = False  # CFUN=0 powers the SIM down
    sim_off_cpin: ClassVar[str | None] = None  # +CPIN? text then (None: +CME ERROR: 13)
    stat_without_sim: ClassVar[Stat] = Stat.NOT_SEARCHING
    has_sms_storage: ClassVar[bool] = True
    boot_cnmi: ClassVar[tuple[int, int, int, int, int]] = (2, 1, 0, 0, 0)
    sms_memories: ClassVar[tuple[str, ...]] = ("SM", "ME", "MT")
    quote_cpin_codes: ClassVar[bool] = False  # nRF: +CPIN: "SIM PIN"
    cfun_values: ClassVar[frozenset[int]] = frozenset({0, 1, 4})
    cfun_test: ClassVar[str] = "+CFUN: (0,1,4),(0-1)"
    cmee_values: ClassVar[str] = "(0-2)"
    cgdcont_cids: ClassVar[str] = "(1-15)"

    def __init__(self, modem: SimulatedModem) -> None:
        self.modem = modem
        self.profile = modem.profile
        self.table: dict[str, Callable[[Command], Result]] = {}
        for cls in reversed(type(self).__mro__):
            for attribute, function in vars(cls).items():
                for name in getattr(function, "_at_names", ()):
                    self.table[name] = getattr(self, attribute)
        self.generic: dict[str, str] = {}

    def dispatch(self, cmd: Command) -> Result:
        handler = self.table.get(cmd.name)
        if handler is None:
            basic = self.modem.engine.handle_basic(cmd)
            if basic is None:
                raise PlainError(message=f"unknown command {cmd.text}")
            return basic
        return handler(cmd)

    # ---- checks
    def require_sim(self) -> None:
        """+CME ERROR for a SIM that cannot answer: 10 absent, 13 failed/off, 14 busy, 11 PIN, 12 PUK."""
        sim = self.modem.sim
        if sim.status is SimStatus.ABSENT:
            raise CmeError(10)
        if sim.status is SimStatus.FAILED or not sim.powered:
            raise CmeError(13)
        if sim.busy_left > 0:
            sim.busy_left -= 1
            raise CmeError(14)
        if sim.status is SimStatus.PIN:
            raise CmeError(11)
        if sim.status is SimStatus.PUK:
            raise CmeError(12)

    def act(self, rat: Rat | None = None) -> int:
        return self.profile.act[rat or self.modem.radio.reg.rat]

    # ---- hooks the modem calls (vendors override what they need)
    def power_on(self) -> None:
        """After boot: forget volatile per-boot vendor state."""

    def power_off(self) -> None:
        self.close_sockets(None, by_network=False)

    def boot_urcs(self) -> list[str]:
        return list(self.profile.boot_urcs)

    def selected_rats(self) -> list[Rat]:
        """The RATs the host selected, most preferred first."""
        return list(self.profile.rats)

    def registration_line(self, command_name: str, n: int, *, read: bool) -> str:
        raise NotImplementedError

    def on_registration(self, stat: Stat) -> None:
        """Registration changed (URCs for +CREG/+CGREG/+CEREG are already out)."""

    def on_cfun(self, old: int, new: int) -> None:
        """The radio functionality changed (after the answer to AT+CFUN)."""

    def on_rrc(self, connected: bool) -> None:
        """RRC connected / idle (+CSCON on nRF)."""

    def on_sim_status(self) -> None:
        """The SIM became ready, was removed or failed (vendor SIM URCs)."""

    def on_pdp_lost(self, cid: int) -> None:
        """The network took a PDP context away (vendor URCs besides +CGEV)."""

    def close_sockets(self, cid: int | None, *, by_network: bool) -> None:
        """Close the sockets on this context (None: all)."""

    def describe_sockets(self) -> list[dict[str, Any]]:
        return []

    def storm_urc(self) -> str:
        return self.registration_line("+CEREG", 2, read=False)

    def cmt_alpha(self, tpdu: bytes) -> str:
        """The <alpha> field of a PDU-mode +CMT (empty on most modules)."""
        return ""
