"""The simulated modem of the virtual lab: nine vendor dialects over a real pty or TCP socket.

``ModemSimulator`` (runner.py) is the synchronous API; ``SimulatedModem`` (modem.py) the asyncio one;
``hil modem-sim`` (hil/cli/modem_sim.py) the command line. See docs/virtual-modem.md.
"""

from hil.virtual.modem_sim.modem import SimulatedModem
from hil.virtual.modem_sim.network import ClaimedSim, NetlinkNetwork, SimClaimError, StandaloneNetwork
from hil.virtual.modem_sim.runner import ModemSimulator, SimulatorHost
from hil.virtual.modem_sim.scenario import Scenario, ScenarioError, load_scenario, parse_scenario

__all__ = [
    "ClaimedSim",
    "ModemSimulator",
    "NetlinkNetwork",
    "Scenario",
    "ScenarioError",
    "SimClaimError",
    "SimulatedModem",
    "SimulatorHost",
    "StandaloneNetwork",
    "load_scenario",
    "parse_scenario",
]
