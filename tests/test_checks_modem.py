"""The modem-mode checks on a real virtual lab (one emulated 1NCE cloud, simulated modems on
ptys): every check passes on healthy rigs of two dialects (BG95; nRF91, which sends binary UDP in
data mode) with its measurements checked against what the 1NCE API says independently; injected
faults end in the right failure class; a suite's limit that a measurement misses fails the check."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from at_commands.errors import (
    CmeError,
    ModemRebootedError,
    PdpError,
    PortError,
    RegistrationDeniedError,
    SimError,
)
from hil.checks.base import MISSION_CHECKS, REGISTRY, CheckContext, Limit, load_builtin_checks, run_check
from hil.checks.classify import classify
from hil.checks.suite import builtin_suite, load_suite
from hil.cloud.client import CloudApiError
from hil.records import CheckRecord
from hil.rig.backends.virtual import DEFAULT_DIALECTS, VirtualLab
from hil.rig.capabilities import Cloud
from hil.rig.rig import Rig
from hil.rig.rigfile import RigSpec

DIALECTS = ("bg95", "nrf91")
MODEM_CHECKS = tuple(name for name in MISSION_CHECKS if name != "firmware_boot")  # needs firmware
FAST = {"timeout_s": 10, "attach_timeout_s": 10}


@pytest.fixture(scope="module")
def lab() -> Iterator[VirtualLab]:
    with VirtualLab(rigs=len(DIALECTS), dialects=DIALECTS, time_scale=0.01, spare_sims=2) as virtual:
        yield virtual


@pytest.fixture(scope="module")
def rigs(lab: VirtualLab) -> Iterator[dict[str, CheckContext]]:
    """One healthy rig per dialect; its context (and state) is shared by the module's checks."""
    opened = [lab.open_rig(lab.spec(index, dialect=dialect)) for index, dialect in enumerate(DIALECTS)]
    try:
        yield {rig.spec.dialect or "": CheckContext(rig, "modem", params=FAST) for rig in opened}
    finally:
        for rig in opened:
            rig.close()


def measured(record: CheckRecord) -> dict[str, object]:
    return {m.name: m.value for step in record.steps for m in step.measurements}


def run(ctx: CheckContext, name: str, **params: object) -> CheckRecord:
    context = CheckContext(ctx.rig, "modem", params={**FAST, **params}, state=ctx.state)
    record = run_check(name, context)
    assert record.check == name and record.subject == ctx.rig.name
    declared = REGISTRY[(name, "modem")].measurements
    assert set(measured(record)) <= set(declared), f"{name} records undeclared measurements"
    assert record.transcript.startswith("> "), "the record carries the AT conversation of the check"
    assert "secret" not in record.transcript.lower()
    return record


def passed(record: CheckRecord) -> dict[str, object]:
    problems = [
        f"{s.name}: {s.error or ''} {[m.describe() for m in s.measurements if not m.passed]}"
        for s in record.steps
        if not s.passed
    ]
    assert record.passed and record.failure_class is None, problems
    return measured(record)


def test_every_modem_check_is_registered_with_its_measurements() -> None:
    load_builtin_checks()
    modem = sorted(name for name, mode in REGISTRY if mode == "modem")
    assert modem == sorted(MODEM_CHECKS)
    for name in MODEM_CHECKS:
        assert REGISTRY[(name, "modem")].measurements, name


@pytest.mark.parametrize("dialect", DIALECTS)
def test_sim_ready_iccid_is_the_rigs_and_the_apis(rigs: dict[str, CheckContext], dialect: str) -> None:
    ctx = rigs[dialect]
    values = passed(run(ctx, "sim_ready"))
    api = ctx.rig.get(Cloud).client.sim(str(ctx.rig.spec.iccid))
    assert values["pin_state"] == "READY" and api.status == values["api_status"] == "Enabled"
    assert values["iccid_matches_rig"] is True and values["iccid_matches_api"] is True
    assert ctx.state["modem.iccid"] == ctx.rig.spec.iccid == api.iccid


@pytest.mark.parametrize("dialect", DIALECTS)
def test_attach_roams_on_lte_m_at_the_operator_the_api_reports(
    rigs: dict[str, CheckContext], dialect: str
) -> None:
    ctx = rigs[dialect]
    values = passed(run(ctx, "attach", rat="lte-m"))
    assert values["stat"] == 5 and values["rat"] == "lte-m"
    assert isinstance(values["time_to_attach"], float) and 0 < values["time_to_attach"] < 10
    location = ctx.rig.get(Cloud).client.status(str(ctx.rig.spec.iccid)).location or {}
    assert values["operator"] == location["operator"]["name"]


@pytest.mark.parametrize("dialect", DIALECTS)
def test_apn_reads_back_and_the_ip_is_the_apis(rigs: dict[str, CheckContext], dialect: str) -> None:
    ctx = rigs[dialect]
    values = passed(run(ctx, "apn"))
    assert values["apn"] == "iot.1nce.net"
    assert values["ip"] == ctx.rig.get(Cloud).client.sim(str(ctx.rig.spec.iccid)).ip_address
    assert values["ip_matches_api"] is True


@pytest.mark.parametrize("dialect", DIALECTS)
def test_signal_reports_csq_rsrp_and_rsrq(rigs: dict[str, CheckContext], dialect: str) -> None:
    record = run(rigs[dialect], "signal")
    values = passed(record)
    assert values["rssi"] == -113 + 2 * int(values["csq"])  # type: ignore[call-overload]
    units = {m.name: m.unit for m in record.steps[0].measurements}
    assert units == {"csq": "", "rssi": "dBm", "rsrp": "dBm", "rsrq": "dB"}
    assert isinstance(values["rsrp"], float) and isinstance(values["rsrq"], float)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_sms_mo_is_listed_by_the_api(rigs: dict[str, CheckContext], dialect: str) -> None:
    ctx = rigs[dialect]
    record = run(ctx, "sms_mo")
    values = passed(record)
    assert values["parts"] == 1 and values["api_listed"] is True
    mo = [
        s
        for s in ctx.rig.get(Cloud).client.sms_list(str(ctx.rig.spec.iccid))
        if s.sms_type.description == "MO"
    ]
    assert any((s.payload or "").startswith("nce-hil sms_mo ") for s in mo)
    assert "AT+CMGS" in record.transcript


@pytest.mark.parametrize("dialect", DIALECTS)
def test_sms_mt_arrives_and_the_api_says_delivered(rigs: dict[str, CheckContext], dialect: str) -> None:
    values = passed(run(rigs[dialect], "sms_mt"))
    assert values["text_matches"] is True and values["api_state"] == "DELIVERED"
    assert isinstance(values["receive_latency"], float)


@pytest.mark.parametrize("protocol", ["udp", "coap"])
@pytest.mark.parametrize("dialect", DIALECTS)
def test_bcl_uplink_decodes_to_the_values_sent(
    rigs: dict[str, CheckContext], dialect: str, protocol: str
) -> None:
    ctx = rigs[dialect]
    counter = secrets.randbelow(2**32)
    record = run(ctx, f"uplink_{protocol}", values={"counter": counter, "humidity": 77})
    values = passed(record)
    assert values["decoded_matches"] is True and values["webhook_matches"] is True
    assert isinstance(values["saving_pct"], float) and values["saving_pct"] > 0
    assert values["wire_bytes"] < values["json_bytes"]  # type: ignore[operator]
    # Independently of the check: the Device Inspector's newest message of that protocol.
    client = ctx.rig.get(Cloud).client
    newest = next(client.history(str(ctx.rig.spec.iccid), protocol=protocol.upper(), limit=1))
    decoded = json.loads(newest.payload)
    assert decoded["counter"] == counter and decoded["humidity"] == 77
    assert set(decoded) == {"counter", "interval_s", "temperature_c10", "humidity", "battery_mv", "uptime_s"}
    if protocol == "coap":
        assert values["coap_code"] == "2.04" and values["topic_matches"] is True
        assert newest.topic == "nce_hil/smoke"
    else:
        assert values["wire_bytes"] == 17  # the nce_sensor template's payload


@pytest.mark.parametrize("dialect", DIALECTS)
def test_device_auth_identity_is_the_iccid_and_the_psk_stays_secret(
    rigs: dict[str, CheckContext], dialect: str
) -> None:
    ctx = rigs[dialect]
    record = run(ctx, "device_auth")
    values = passed(record)
    assert values["identity_is_iccid"] is True and values["psk_matches_cloud"] is True
    psk = str(ctx.rig.get(Cloud).client.psk(str(ctx.rig.spec.iccid))["secretKey"])
    assert values["psk_length"] == len(psk)
    everything = json.dumps(record.to_json())
    assert psk not in everything and psk.encode().hex() not in everything
    assert "<redacted>" in record.transcript  # the bootstrap reply went through the modem


@pytest.mark.parametrize("dialect", DIALECTS)
def test_downlink_from_the_device_controller_reaches_the_modem(
    rigs: dict[str, CheckContext], dialect: str
) -> None:
    values = passed(run(rigs[dialect], "downlink", port=5001))
    assert values["received"] is True and values["payload_matches"] is True


@pytest.mark.parametrize("dialect", DIALECTS)
def test_data_usage_grows_by_the_bytes_sent_plus_headers(rigs: dict[str, CheckContext], dialect: str) -> None:
    values = passed(run(rigs[dialect], "data_usage", datagrams=4, size=50))
    assert values["sent_bytes"] == 200
    growth = values["usage_growth"]
    assert isinstance(growth, int) and 200 <= growth <= 200 + 2 * 4 * 28
    assert values["overhead_bytes"] == growth - 200


def test_checks_are_order_tolerant_on_a_fresh_rig(lab: VirtualLab) -> None:
    """Run last-first on a rig nothing attached yet: each check brings the modem where it needs."""
    with lab.open_rig(lab.spec(0, name="fresh", dialect="bg95")) as rig:
        ctx = CheckContext(rig, "modem", params=FAST)
        for name in ("data_usage", "device_auth", "sms_mt", "apn"):
            passed(run(ctx, name))


def test_a_suite_limit_the_measurement_misses_fails_the_check(
    rigs: dict[str, CheckContext], tmp_path: Path
) -> None:
    path = tmp_path / "tight.yaml"
    path.write_text(
        "suite: tight\nchecks:\n  - check: signal\n    modes: [modem]\n    limits:\n"
        "      rsrp: {low: -90, high: -44}\n",
        encoding="utf-8",
    )
    entry = load_suite(path).for_mode("modem")[0]
    ctx = rigs["bg95"]
    record = run_check("signal", CheckContext(ctx.rig, "modem", entry.params, entry.limits, ctx.state))
    assert not record.passed and record.failure_class == "network"
    rsrp = next(m for s in record.steps for m in s.measurements if m.name == "rsrp")
    assert (rsrp.value, rsrp.low, rsrp.high, rsrp.passed) == (-95.0, -90.0, -44.0, False)
    assert "-90 <= x <= -44" in rsrp.describe()
    others = [m for s in record.steps for m in s.measurements if m.name != "rsrp"]
    assert others and all(m.passed for m in others)  # the defaults still apply to the rest


@pytest.mark.parametrize(
    ("fault", "name", "failure_class", "evidence"),
    [
        ("modem_reboot", "attach", "dut", "reboot"),
        ("registration_denied", "attach", "network", "denied"),
        ("sim_missing", "sim_ready", "sim", "SIM"),
        ("cloud_down", "sim_ready", "infra", "ConnectError"),
    ],
)
def test_faults_end_in_the_right_failure_class(
    lab: VirtualLab, fault: str, name: str, failure_class: str, evidence: str
) -> None:
    with lab.open_rig(lab.spec(0, name=f"fault-{fault}", dialect="bg95"), faults=(fault,)) as rig:
        record = run_check(name, CheckContext(rig, "modem", params=FAST))
    assert not record.passed and record.failure_class == failure_class
    errors = " ".join(s.error or "" for s in record.steps)
    assert evidence.lower() in errors.lower()
    assert record.transcript  # what the modem said is kept as evidence


def test_a_rig_without_a_modem_is_an_infra_failure() -> None:
    spec = RigSpec(name="bare", backend="virtual", source="test")
    record = run_check("signal", CheckContext(Rig(spec), "modem"))
    assert record.failure_class == "infra"
    assert "has no Modem capability (needed by signal (modem mode))" in str(record.steps[0].error)


def test_classify_maps_typed_errors_to_their_class() -> None:
    request = httpx.Request("GET", "http://127.0.0.1:1/v1/sims")
    assert classify(SimError("no SIM", reason="not inserted")) == "sim"
    assert (
        classify(CmeError("AT+CPIN?", "+CME ERROR: 10", 10, "SIM not inserted", "SIM not inserted")) == "sim"
    )
    assert classify(RegistrationDeniedError("denied", reject_cause=11)) == "network"
    assert classify(PdpError("rejected")) == "network"
    assert classify(ModemRebootedError("AT+CGDCONT=1", "RDY")) == "dut"
    assert classify(PortError("port gone")) == "infra"
    assert classify(httpx.ConnectError("refused", request=request)) == "infra"
    assert classify(CloudApiError("GET", "/v1/sims/8988", 404, "not found")) == "sim"
    assert classify(CloudApiError("GET", "/v1/inspect/devices", 503, "down")) == "infra"
    assert classify(ValueError("wrong value")) == "dut"
    wrapped = RuntimeError("bootstrap failed")
    wrapped.__cause__ = PortError("port gone")
    assert classify(wrapped) == "infra"


def test_run_check_passes_limits_to_measurements(rigs: dict[str, CheckContext]) -> None:
    ctx = rigs["nrf91"]
    limits = {"stat": Limit(expected=1)}  # home network: 1NCE SIMs roam, so this must fail
    record = run_check("attach", CheckContext(ctx.rig, "modem", FAST, limits, ctx.state))
    assert not record.passed and record.failure_class == "network"
    stat = next(m for s in record.steps for m in s.measurements if m.name == "stat")
    assert stat.expected == 1 and stat.value == 5


@pytest.mark.parametrize("dialect", [d for d in DEFAULT_DIALECTS if d not in DIALECTS])
def test_the_modem_smoke_suite_passes_on_every_dialect_the_lab_hands_out(
    lab: VirtualLab, dialect: str
) -> None:
    """`hil run --rigs N` gives rigs these dialects in turn: each must pass every modem check
    (twice in a row: a second round finds the PDP context and sockets of the first)."""
    entries = builtin_suite("smoke").for_mode("modem")
    assert {e.check for e in entries} == set(MODEM_CHECKS)
    with lab.open_rig(lab.spec(0, name=f"smoke-{dialect}", dialect=dialect)) as rig:
        ctx = CheckContext(rig, "modem", params=FAST)
        for _round in range(2):
            for entry in entries:
                record = run_check(
                    entry.check,
                    CheckContext(
                        rig, "modem", params={**FAST, **entry.params}, limits=entry.limits, state=ctx.state
                    ),
                )
                passed(record)
