"""sim_ready in modem mode: the SIM answers READY, and the ICCID the modem reads is the rig's
and one the 1NCE API knows (enabled, with a 1NCE IMSI)."""

from __future__ import annotations

from at_commands.sim import is_1nce
from hil.checks.base import CheckContext, Limit, check
from hil.checks.modem.common import STATE_ICCID, ModemCheck, run_modem_check
from hil.records import CheckRecord
from hil.rig.capabilities import Cloud, Modem

SIM_READY_MEASUREMENTS = (
    "pin_state",
    "iccid_digits",
    "iccid_matches_rig",
    "iccid_matches_api",
    "imsi_is_1nce",
    "api_status",
)
STATE_API_SIM = "cloud.sim"  # the SIM's API record, for later checks (ip_address, ...)


@check("sim_ready", "modem", needs=(Modem, Cloud), measurements=SIM_READY_MEASUREMENTS)
def sim_ready(ctx: CheckContext) -> CheckRecord:
    """The SIM is ready and its ICCID is the rig's and the 1NCE API's."""
    return run_modem_check(ctx, "sim_ready", _sim_ready)


def _sim_ready(c: ModemCheck) -> None:
    with c.step("pin") as s:
        status = c.modem.dialect.sim_status()
        c.measure(s, "pin_state", status, default=Limit(expected="READY"), blame="sim")
        c.modem.ensure_sim_ready()  # a SimError says why (PIN, PUK, not inserted)
    with c.step("identity") as s:
        info = c.modem.info()
        c.ctx.state[STATE_ICCID] = info.iccid
        c.measure(s, "iccid_digits", len(info.iccid), default=Limit(expected=19), blame="sim")
        c.measure(s, "imsi_is_1nce", is_1nce(info.imsi), default=Limit(expected=True), blame="sim")
        rig_iccid = c.rig_iccid()
        if rig_iccid is not None:  # a rig file may leave the ICCID out
            c.measure(
                s, "iccid_matches_rig", info.iccid == rig_iccid, default=Limit(expected=True), blame="sim"
            )
    with c.step("api") as s:
        sim = c.cloud.client.sim(info.iccid)  # 404: the SIM is not in this account (sim)
        c.ctx.state[STATE_API_SIM] = sim
        c.measure(s, "iccid_matches_api", sim.iccid == info.iccid, default=Limit(expected=True), blame="sim")
        c.measure(s, "api_status", sim.status, default=Limit(expected="Enabled"), blame="sim")
