"""The simulated dialects, one module per vendor family, chosen by the profile's socket family."""

from __future__ import annotations

from typing import TYPE_CHECKING

from at_commands.dialects.profiles import SocketFamily
from hil.virtual.modem_sim.dialects.base import DialectBase
from hil.virtual.modem_sim.dialects.nordic import NordicDialect
from hil.virtual.modem_sim.dialects.quectel import QuectelDialect
from hil.virtual.modem_sim.dialects.simcom import Sim7000Dialect, Sim7080Dialect
from hil.virtual.modem_sim.dialects.telit import TelitDialect
from hil.virtual.modem_sim.dialects.ublox import UbloxDialect

if TYPE_CHECKING:
    from hil.virtual.modem_sim.modem import SimulatedModem

FAMILIES: dict[SocketFamily, type[DialectBase]] = {
    SocketFamily.QUECTEL_QI: QuectelDialect,
    SocketFamily.NRF_SLM: NordicDialect,
    SocketFamily.UBLOX_USO: UbloxDialect,
    SocketFamily.SIMCOM_CA: Sim7080Dialect,
    SocketFamily.SIMCOM_CIP: Sim7000Dialect,
    SocketFamily.TELIT_SD: TelitDialect,
}


def make_dialect(modem: SimulatedModem) -> DialectBase:
    return FAMILIES[modem.profile.socket_family](modem)
