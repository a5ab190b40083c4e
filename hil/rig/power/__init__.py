"""Network power switches a rig's power can hang on: labgrid's simplerest URL scheme, Tasmota and
Shelly (Gen 1) relays. `open_power(spec)` gives the Power capability for a rig's `power:` entry."""

from hil.rig.power.http import HttpPowerSwitch, ShellyGen1, SimpleRest, Tasmota, open_power

__all__ = ["HttpPowerSwitch", "ShellyGen1", "SimpleRest", "Tasmota", "open_power"]
