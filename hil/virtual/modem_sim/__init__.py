"""The simulated modem of the virtual lab: nine vendor dialects over a real pty or TCP socket.

``ModemSimulator`` (runner.py) is the synchronous API; ``SimulatedModem`` (modem.py) the asyncio one;
``hil modem-sim`` (hil/cli/modem_sim.py) the command line. See docs/virtual-modem.md.
"""

from hil.virtual.modem_sim.modem import SimulatedModem
from hil.virtual.modem_sim.network import NetlinkNetwork, StandaloneNetwork
from hil.virtual.modem_sim.runner import ModemSimulator, SimulatorHost
from hil.virtual.modem_sim.scenario import Scenario, ScenarioError, load_scenario, parse_scenario

__all__ = [
    "ModemSimulator",
    "NetlinkNetwork",
    "Scenario",
    "ScenarioError",
    "SimulatedModem",
    "SimulatorHost",
    "StandaloneNetwork",
    "load_scenario",
    "parse_scenario",
]
