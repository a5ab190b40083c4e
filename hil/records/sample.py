"""Realistic check records for tests, benchmarks and report previews (never for real results).

The checks, measurement names, units and limits are the ones in the shared contract (the harness
produces the real ones); values are drawn from a seeded RNG around plausible LTE-M / NB-IoT figures,
and a chosen share fails with a failure class and the step error a real failure would carry.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from hil.checks.base import FAILURE_CLASSES, MISSION_CHECKS
from hil.records.model import CheckRecord, Measurement, Step

if TYPE_CHECKING:
    from hil.records.db import ResultsDB

CHECKS = MISSION_CHECKS

_FAILURES: dict[str, tuple[str, str]] = {  # class -> (step error, transcript line)
    "infra": ("TimeoutError: console port /dev/ttyUSB0 gave no line in 10 s", "< (no response)"),
    "flash": ("FlashError: pyocd: no probe with id 0669FF3032", "-- flash failed"),
    "dut": ("ConsoleDeathError: HardFault at pc=0x00001f2c", "! HardFault"),
    "network": ("AttachError: +CEREG: 0,3 (registration denied)", "< +CEREG: 0,3"),
    "sim": ("SimError: +CME ERROR: 10 (SIM not inserted)", "< +CME ERROR: 10"),
}


@dataclass(frozen=True)
class SampleRig:
    name: str
    dialect: str
    iccid: str
    board: str = "mps2-an385"


def sample_rigs(count: int) -> list[SampleRig]:
    dialects = ("bg95", "bg96", "nrf91", "sara-r4", "sim7080", "me910")
    return [
        SampleRig(f"virtual-{i + 1}", dialects[i % len(dialects)], f"8988228066{600000000 + i:09d}")
        for i in range(count)
    ]


def sample_record(
    check: str,
    rig: SampleRig,
    rng: random.Random,
    *,
    started: float,
    fail: bool = False,
    failure_class: str | None = None,
) -> CheckRecord:
    """One record of `check` on `rig`; `fail` makes a measurement miss its limit (or a step error)."""
    record = CheckRecord(check, f"{rig.name} ({rig.dialect})", started=started)
    build = _BUILDERS.get(check)
    if build is None:
        raise ValueError(f"sample_record: unknown check {check!r}; expected one of {', '.join(CHECKS)}")
    step = Step(check, duration_s=round(rng.uniform(0.05, 3.0), 3))
    build(step, rig, rng, fail)
    record.steps.append(step)
    transcript = ["> AT+CEREG?", f"< +CEREG: 0,{1 if not fail else 2}", "< OK"]
    if fail:
        failure_class = failure_class or rng.choice(FAILURE_CLASSES)
        error, line = _FAILURES[failure_class]
        if failure_class != "network" or check != "attach":
            step.error = error
        record.failure_class = failure_class
        transcript.append(line)
    record.duration_s = step.duration_s + round(rng.uniform(0.0, 0.2), 3)
    record.transcript = "\n".join(transcript)
    return record


def _m(step: Step, name: str, value: object, unit: str = "", **limits: object) -> None:
    step.measurements.append(Measurement(name, value, unit, **limits))  # type: ignore[arg-type]


def _sim_ready(step: Step, rig: SampleRig, rng: random.Random, fail: bool) -> None:
    _m(step, "pin_state", "SIM PIN" if fail else "READY", expected="READY")
    _m(step, "iccid", rig.iccid, expected=rig.iccid)


def _attach(step: Step, rig: SampleRig, rng: random.Random, fail: bool) -> None:
    seconds = rng.lognormvariate(2.3, 0.45) if not fail else rng.uniform(125.0, 180.0)
    _m(step, "time_to_attach", round(seconds, 2), "s", low=0.0, high=120.0)
    _m(step, "stat", 5, expected=5)
    _m(step, "rat", rng.choice(("LTE-M", "NB-IoT")))
    _m(step, "operator", "1NCE")


def _apn(step: Step, rig: SampleRig, rng: random.Random, fail: bool) -> None:
    _m(step, "apn", "internet" if fail else "iot.1nce.net", expected="iot.1nce.net")
    _m(step, "ip", f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}")


def _signal(step: Step, rig: SampleRig, rng: random.Random, fail: bool) -> None:
    rsrp = rng.gauss(-95.0, 8.0) if not fail else rng.uniform(-140.0, -125.0)
    _m(step, "rsrp", round(max(-140.0, min(-44.0, rsrp)), 1), "dBm", low=-120.0, high=-44.0)
    _m(step, "rsrq", round(max(-19.5, min(-3.0, rng.gauss(-10.0, 2.5))), 1), "dB", low=-20.0, high=-3.0)
    _m(step, "csq", max(0, min(31, round((rsrp + 113) / 2))), low=5 if not fail else 10, high=31)


def _sms(step: Step, rig: SampleRig, rng: random.Random, fail: bool) -> None:
    latency_ms = 1000 * (rng.lognormvariate(1.2, 0.5) if not fail else rng.uniform(61.0, 90.0))
    name = "receive_latency" if step.name == "sms_mt" else "api_latency"
    _m(step, name, round(latency_ms, 1), "ms", low=0.0, high=60_000.0)
    if step.name == "sms_mt":
        _m(step, "api_state", "DELIVERED", expected="DELIVERED")


def _uplink(step: Step, rig: SampleRig, rng: random.Random, fail: bool) -> None:
    json_bytes = rng.randint(90, 160)
    bcl_bytes = rng.randint(8, 24) if not fail else json_bytes
    _m(step, "wire_bytes", bcl_bytes, "B")
    _m(step, "json_bytes", json_bytes, "B")
    _m(step, "saving_pct", round(100.0 * (1 - bcl_bytes / json_bytes), 1), "%", low=50.0)
    _m(step, "decoded_matches", not fail, expected=True)


def _device_auth(step: Step, rig: SampleRig, rng: random.Random, fail: bool) -> None:
    _m(step, "time", round(rng.uniform(0.8, 4.0) if not fail else 31.0, 2), "s", low=0.0, high=30.0)
    _m(step, "identity", rig.iccid, expected=rig.iccid)
    _m(step, "psk_stored", True, expected=True)


def _downlink(step: Step, rig: SampleRig, rng: random.Random, fail: bool) -> None:
    _m(step, "received", not fail, expected=True)
    _m(step, "latency", round(rng.uniform(0.5, 6.0), 2), "s", low=0.0, high=30.0)


def _firmware_boot(step: Step, rig: SampleRig, rng: random.Random, fail: bool) -> None:
    _m(step, "version", "1.4.2", expected="1.4.2")
    _m(step, "boot_time", round(rng.uniform(0.2, 1.5) if not fail else 12.0, 2), "s", low=0.0, high=10.0)


def _data_usage(step: Step, rig: SampleRig, rng: random.Random, fail: bool) -> None:
    sent = rng.randint(200, 2000)
    _m(step, "bytes_sent", sent, "B")
    overhead = rng.randint(28, 120) if not fail else 5000
    _m(step, "usage_delta", sent + overhead, "B", low=float(sent), high=float(sent + 1500))


_BUILDERS: dict[str, Callable[[Step, SampleRig, random.Random, bool], None]] = {
    "sim_ready": _sim_ready,
    "attach": _attach,
    "apn": _apn,
    "signal": _signal,
    "sms_mo": _sms,
    "sms_mt": _sms,
    "uplink_udp": _uplink,
    "uplink_coap": _uplink,
    "device_auth": _device_auth,
    "downlink": _downlink,
    "firmware_boot": _firmware_boot,
    "data_usage": _data_usage,
}


@dataclass(frozen=True)
class SampleResult:
    rig: SampleRig
    mode: str
    round: int
    attempt: int
    record: CheckRecord


def sample_results(
    *,
    rigs: int = 4,
    rounds: int = 1,
    modes: Sequence[str] = ("modem", "firmware"),
    checks: Sequence[str] = CHECKS,
    fail_rate: float = 0.05,
    seed: int = 1,
    start: float = 1_780_000_000.0,
) -> list[SampleResult]:
    """Results as a run would record them: rounds × rigs × modes × checks, with retries of
    transient failures (infra, network) as attempt 2."""
    rng = random.Random(seed)
    out: list[SampleResult] = []
    clock = start
    for round_ in range(1, rounds + 1):
        for rig in sample_rigs(rigs):
            for mode in modes:
                for check in checks:
                    if mode == "modem" and check == "firmware_boot":
                        continue  # the firmware check runs only when firmware does the work
                    clock += rng.uniform(0.5, 4.0)
                    fail = rng.random() < fail_rate
                    record = sample_record(check, rig, rng, started=clock, fail=fail)
                    out.append(SampleResult(rig, mode, round_, 1, record))
                    if fail and record.failure_class in ("infra", "network") and rng.random() < 0.5:
                        clock += rng.uniform(0.5, 2.0)
                        retry = sample_record(check, rig, rng, started=clock, fail=False)
                        out.append(SampleResult(rig, mode, round_, 2, retry))
    return out


def record_sample_run(
    db: ResultsDB, results: Sequence[SampleResult], *, suite: str = "smoke", status: str | None = None
) -> int:
    """A finished run in `db` holding `results`; status passed/failed from the results unless given."""
    run_id = db.start_run(
        suite=suite, source="sample", argv=["hil", "run", "--sample"], meta={"sample": True}
    )
    seen: set[str] = set()
    for result in results:
        if result.rig.name not in seen:
            seen.add(result.rig.name)
            db.add_rig(
                run_id,
                name=result.rig.name,
                backend="virtual",
                board=result.rig.board,
                dialect=result.rig.dialect,
                iccid=result.rig.iccid,
                tags={"modem": result.rig.dialect},
            )
        db.record(
            run_id,
            rig=result.rig.name,
            record=result.record,
            mode=result.mode,
            round=result.round,
            attempt=result.attempt,
        )
    if status is None:
        status = "passed" if db.run(run_id).counts.failed == 0 else "failed"
    db.finish_run(run_id, status)
    return run_id
