"""The labgrid backend against a real labgrid coordinator and exporter on 127.0.0.1 (from
.venv-labgrid, made by bin/setup-labgrid; CI runs it before the tests).

The exporter exports what `hil rigs labgrid-export` generates from a rig file: a simulated modem
(attached to an emulated 1NCE cloud) as a raw-TCP NetworkSerialPort and the power stub as a
simplerest NetworkPowerPort; the places are made with the commands it prints. Through our backend
the modem-mode smoke suite runs on the reserved place; two sessions for the same tags are served
one after the other; the place goes back on close, on failure and on SIGINT."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from hil.checks.base import CheckContext, run_check
from hil.checks.suite import builtin_suite
from hil.cloud.client import CloudClient
from hil.flash.base import Flasher, FlasherError
from hil.records.db import ResultsDB
from hil.rig.backends.labgrid import LabgridPower, LabgridRig, open_rig, reserve_place
from hil.rig.backends.labgrid_client import LabgridClient, parse_env
from hil.rig.backends.labgrid_flash import LabgridPyocdFlasher
from hil.rig.backends.virtual import VirtualLab
from hil.rig.capabilities import Cloud, Power
from hil.rig.rig import MissingCapabilityError
from hil.rig.rigfile import RigSpec
from hil.virtual.modem_sim import ModemSimulator
from tests.support.power_stub import PowerStub

ROOT = Path(__file__).resolve().parents[1]
LG_BIN = ROOT / ".venv-labgrid" / "bin"
HIL = Path(sys.executable).with_name("hil")
DIALECT = "bg95"
TAGS = {"modem": "bg95", "rat": "ltem"}
EXPORTER = "lab1"

pytestmark = pytest.mark.skipif(
    not (LG_BIN / "labgrid-coordinator").exists(),
    reason=f"labgrid is not installed in {LG_BIN.parent} (run bin/setup-labgrid; CI does)",
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(what: str, probe: object, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        last = probe()  # type: ignore[operator]
        if last:
            return
        time.sleep(0.2)
    raise AssertionError(f"{what} within {timeout} s; last probe gave {last!r}")


@dataclass
class Lab:
    coordinator: str
    client: LabgridClient
    power: PowerStub
    cloud: Cloud
    simulator: ModemSimulator
    export: dict[str, object]
    endpoints: dict[str, object]

    def lg(self, *args: str) -> str:
        return subprocess.run(
            [str(LG_BIN / "labgrid-client"), "-x", self.coordinator, *args],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        ).stdout

    def spec(self, **changes: object) -> RigSpec:
        fields: dict[str, object] = {
            "name": "lg-bg95",
            "backend": "labgrid",
            "dialect": DIALECT,
            "tags": dict(TAGS),
            "coordinator": self.coordinator,
        }
        fields.update(changes)
        return RigSpec(**fields)  # type: ignore[arg-type]

    def assert_idle(self, place: str) -> None:
        """Nobody holds the place and no reservation is left."""
        shown = self.lg("-p", place, "show")
        assert "acquired: None" in shown, shown
        assert self.lg("reservations").strip() == "", "a reservation was left behind"


def _start(command: list[str], cwd: Path, log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            command, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    work = tmp_path_factory.mktemp("labgrid")
    coordinator = f"127.0.0.1:{free_port()}"
    processes: list[subprocess.Popen[bytes]] = []
    with (
        VirtualLab(rigs=1, dialects=(DIALECT,), time_scale=0.01, spare_sims=2) as virtual,
        PowerStub() as stub,
    ):
        assert virtual.host is not None
        simulator = ModemSimulator(
            DIALECT, time_scale=0.01, network=virtual.endpoints["netlink"], host=virtual.host, name="lg-bg95"
        )
        try:
            modem_url = simulator.start_tcp()
            dead_port = free_port()  # nothing listens here: the broken rig's modem
            rigs_file = work / "rigs.yaml"
            rigs_file.write_text(
                "rigs:\n"
                "  - name: lg-bg95\n"
                "    backend: labgrid\n"
                f"    modem_port: {modem_url}\n"
                f"    power: {{kind: simplerest, url: '{stub.url}/rest/{{index}}/{{value}}', index: 1}}\n"
                "    tags: {modem: bg95, rat: ltem}\n"
                "  - name: lg-dead\n"
                "    backend: labgrid\n"
                f"    modem_port: socket://127.0.0.1:{dead_port}\n"
                "    tags: {modem: dead}\n"
                "  - name: virtual-1\n"
                "    backend: virtual\n",
                encoding="utf-8",
            )
            generated = subprocess.run(
                [str(HIL), "rigs", "labgrid-export", str(rigs_file), "--exporter", EXPORTER, "--coordinator",
                 coordinator, "--json"],
                capture_output=True, text=True, timeout=60, check=True,
            )  # fmt: skip
            export = json.loads(generated.stdout)
            (work / "exporter.yaml").write_text(str(export["exporter_yaml"]), encoding="utf-8")
            processes.append(
                _start(
                    [str(LG_BIN / "labgrid-coordinator"), "-l", coordinator], work, work / "coordinator.log"
                )
            )
            client = LabgridClient(coordinator, executable=str(LG_BIN / "labgrid-client"))
            wait_until("the coordinator answers", lambda: _answers(client))
            processes.append(
                _start(
                    [
                        str(LG_BIN / "labgrid-exporter"),
                        "-c",
                        coordinator,
                        "-n",
                        EXPORTER,
                        "--hostname",
                        "127.0.0.1",
                        "exporter.yaml",
                    ],
                    work,
                    work / "exporter.log",
                )
            )
            wait_until(
                "the exporter's resources show",
                lambda: client.run("resources").count(f"{EXPORTER}/") >= 3,
            )
            for place in export["places"]:
                for command in place["commands"]:
                    client.run(*command[3:])  # after `labgrid-client -x COORDINATOR`
            cloud_client = CloudClient(virtual.settings(), timeout=10.0)
            cloud = Cloud(cloud_client, virtual.endpoints, emulator=virtual.emulator, inbox=virtual.inbox)
            try:
                yield Lab(coordinator, client, stub, cloud, simulator, export, dict(virtual.endpoints))
            finally:
                cloud_client.close()
        finally:
            for process in reversed(processes):
                process.terminate()
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
            simulator.stop()


def _answers(client: LabgridClient) -> bool:
    try:
        client.run("places", timeout=5)
    except Exception:
        return False
    return True


def test_export_makes_places_with_tags_and_named_matches(lab: Lab) -> None:
    export = lab.export
    assert set(export["groups"]) == {"lg-bg95", "lg-dead"}  # type: ignore[call-overload]
    assert any("virtual-1" in note for note in export["notes"])  # type: ignore[attr-defined]
    group = export["groups"]["lg-bg95"]  # type: ignore[index]
    assert group["modem"]["cls"] == "NetworkSerialPort" and group["modem"]["protocol"] == "raw"
    assert group["NetworkPowerPort"] == {
        "model": "simplerest",
        "host": f"{lab.power.url}/rest/{{index}}/{{value}}",
        "index": 1,
    }
    shown = lab.lg("-p", "lg-bg95", "show")
    assert "tags: modem=bg95, rat=ltem" in shown
    assert f"{EXPORTER}/lg-bg95/NetworkSerialPort/modem -> modem" in shown
    assert f"{EXPORTER}/lg-bg95/NetworkPowerPort" in shown


def test_smoke_suite_through_a_reservation(lab: Lab) -> None:
    rig = open_rig(lab.spec(), cloud=lab.cloud)
    try:
        assert isinstance(rig, LabgridRig) and rig.place == "lg-bg95"
        assert "acquired: " in lab.lg("-p", "lg-bg95", "show")
        assert "acquired: None" not in lab.lg("-p", "lg-bg95", "show")
        assert rig.capability_names() == ["Cloud", "Modem", "Power"]
        suite = builtin_suite("smoke")
        state: dict[str, object] = {}
        failed = []
        ran = []
        for entry in suite.entries:
            if "modem" not in entry.modes:
                continue
            params = {**entry.params, "timeout_s": 20, "attach_timeout_s": 20}
            record = run_check(
                entry.check, CheckContext(rig, "modem", params=params, limits=dict(entry.limits), state=state)
            )
            ran.append(entry.check)
            if not record.passed:
                failed.append((entry.check, [step.error for step in record.steps if step.error]))
        assert len(ran) == 11 and not failed, failed
        # Power: our simplerest client on the place's NetworkPowerPort, and labgrid's own driver.
        before = len(lab.power.switches())
        rig.get(Power).cycle(0.0)  # type: ignore[type-abstract]
        LabgridPower(lab.client, rig.reservation.token, "lg-bg95").on()
        assert [(i, on) for i, on, _ in lab.power.switches()[before:]] == [(1, False), (1, True), (1, True)]
        with pytest.raises(MissingCapabilityError, match="gives it no probe"):
            rig.get(Flasher)  # type: ignore[type-abstract]
    finally:
        rig.close()
    lab.assert_idle("lg-bg95")


def test_two_sessions_for_the_same_tags_are_served_one_after_the_other(lab: Lab) -> None:
    times: dict[str, dict[str, float]] = {"first": {}, "second": {}}
    first_holds = threading.Event()
    errors: list[BaseException] = []

    def session(who: str) -> None:
        try:
            if who == "second" and not first_holds.wait(60):
                raise AssertionError("the first session never acquired the place")
            rig = open_rig(
                lab.spec(),
                cloud=lab.cloud,
                on_waiting=lambda token: times[who].__setitem__("reserved", time.monotonic()),
            )
            times[who]["acquired"] = time.monotonic()
            try:
                record = run_check("sim_ready", CheckContext(rig, "modem", params={"timeout_s": 20}))
                assert record.passed, record.steps
                if who == "first":
                    first_holds.set()
                    time.sleep(2.0)  # long enough for the second session to be waiting
            finally:
                times[who]["closing"] = time.monotonic()
                rig.close()
        except BaseException as exc:
            errors.append(exc)
            first_holds.set()

    threads = [threading.Thread(target=session, args=(who,)) for who in ("first", "second")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors, errors
    first, second = times["first"], times["second"]
    # The second reserved while the first held the place, and got it only once the first let go.
    assert first["acquired"] < second["reserved"] < first["closing"] < second["acquired"]
    lab.assert_idle("lg-bg95")


def test_a_rig_that_fails_to_open_gives_its_place_back(lab: Lab) -> None:
    spec = lab.spec(name="lg-dead", tags={"modem": "dead"})
    with pytest.raises(Exception, match=r"modem socket://127\.0\.0\.1:\d+ \(place lg-dead\)"):
        open_rig(spec, cloud=lab.cloud, connect_timeout=1.0)
    lab.assert_idle("lg-dead")


def test_sigint_releases_the_place(lab: Lab) -> None:
    script = (
        "import sys, time\n"
        "from hil.rig.backends.labgrid import open_rig\n"
        "from hil.rig.rigfile import RigSpec\n"
        f"spec = RigSpec('lg-bg95', backend='labgrid', dialect='{DIALECT}', tags={TAGS!r},\n"
        f"               coordinator='{lab.coordinator}')\n"
        "rig = open_rig(spec, use_user_credentials=False)\n"
        "try:\n"
        "    print('ACQUIRED', rig.place, flush=True)\n"
        "    time.sleep(60)\n"
        "finally:\n"
        "    rig.close()\n"
        "    print('RELEASED', flush=True)\n"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.strip() == "ACQUIRED lg-bg95", line + (process.stderr.read() if process.stderr else "")
        assert "acquired: None" not in lab.lg("-p", "lg-bg95", "show")
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert "RELEASED" in out, err
    assert "KeyboardInterrupt" in err
    lab.assert_idle("lg-bg95")


def test_sigterm_releases_a_place_held_by_reserve_place(lab: Lab) -> None:
    script = (
        "import time\n"
        "from hil.rig.backends.labgrid import reserve_place\n"
        "from hil.rig.backends.labgrid_client import LabgridClient\n"
        f"held = reserve_place(LabgridClient('{lab.coordinator}'), {TAGS!r})\n"
        "print('ACQUIRED', held.token, flush=True)\n"
        "time.sleep(60)\n"
    )
    process = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        assert process.stdout is not None
        assert process.stdout.readline().startswith("ACQUIRED ")
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 128 + signal.SIGTERM
    finally:
        if process.poll() is None:
            process.kill()
    lab.assert_idle("lg-bg95")


def test_reserve_place_waits_and_cancels_when_nothing_matches(lab: Lab) -> None:
    with pytest.raises(Exception, match="did not finish within 2 s"):
        reserve_place(lab.client, {"modem": "nothing_has_this"}, wait_s=2.0)
    assert lab.lg("reservations").strip() == ""


def test_parse_env_names_serial_roles() -> None:
    resources = parse_env(
        "targets:\n  p1:\n    resources:\n"
        "    - NetworkSerialPort: {name: console, host: lab-2, port: 4001, protocol: rfc2217}\n"
        "    - NetworkSerialPort: {name: modem, host: lab-2, port: 4002, protocol: raw, speed: 921600}\n"
        "    - NetworkPowerPort: {model: gude, host: pdu-1, index: 3}\n"
    )
    assert [p.url for p in resources.serial_ports] == ["rfc2217://lab-2:4001", "socket://lab-2:4002"]
    assert resources.serial_ports[1].speed == 921600
    assert resources.power_ports[0].model == "gude" and resources.power_ports[0].index == 3
    assert resources.hosts() == ["lab-2"]


def test_remote_pyocd_flash_command_lines(tmp_path: Path) -> None:
    # No probe can be plugged in here: the ssh/scp command lines are what the lab runs.
    image = tmp_path / "app.hex"
    image.write_text(":00000001FF\n")
    ran: list[list[str]] = []

    def runner(command: object, timeout: float) -> subprocess.CompletedProcess[str]:
        ran.append(list(command))  # type: ignore[call-overload]
        return subprocess.CompletedProcess(list(command), 0, "", "")  # type: ignore[call-overload]

    flasher = LabgridPyocdFlasher("lab-2", "0669FF555", "stm32l496agix", runner=runner)
    flasher.flash(image)
    flasher.reset()
    remote = ran[0][-1].split(":", 1)[1]
    assert ran[0] == ["scp", "-q", "-o", "BatchMode=yes", str(image), f"lab-2:{remote}"]
    assert remote.startswith("/tmp/nce-hil-") and remote.endswith(".hex")
    assert ran[1] == ["ssh", "-o", "BatchMode=yes", "lab-2",
                      f"pyocd flash --no-wait --uid 0669FF555 --target stm32l496agix {remote}"]  # fmt: skip
    assert ran[2] == ["ssh", "-o", "BatchMode=yes", "lab-2", f"rm -f {remote}"]
    assert ran[3][-1] == "pyocd reset --no-wait --uid 0669FF555 --target stm32l496agix"


def test_pyocd_on_this_host_runs_for_real_and_names_the_missing_probe(tmp_path: Path) -> None:
    image = tmp_path / "app.hex"
    image.write_text(":00000001FF\n")
    flasher = LabgridPyocdFlasher("127.0.0.1", "NO-SUCH-PROBE-42", "cortex_m", timeout=60)
    with pytest.raises(FlasherError) as failed:
        flasher.flash(image)
    message = str(failed.value)
    assert "probe NO-SUCH-PROBE-42 on 127.0.0.1: flashing failed" in message
    assert "No connected debug probe matches unique ID 'NO-SUCH-PROBE-42'" in message


def test_labgrid_client_missing_says_how_to_get_it(monkeypatch: pytest.MonkeyPatch) -> None:
    from hil.rig.backends.labgrid_client import LabgridUnavailableError, find_client

    monkeypatch.setenv("HIL_LABGRID_CLIENT", os.devnull + "/labgrid-client")
    with pytest.raises(LabgridUnavailableError, match="is not an executable"):
        find_client()


def test_the_pytest_example_suite_runs_against_the_place(lab: Lab, tmp_path: Path) -> None:
    """examples/pytest (the suite a lab copies) on the labgrid rig of a rig file, against the
    emulated 1NCE cloud named by $NCE_EMULATOR_ENDPOINTS: the smoke tests pass through a
    reservation, the results DB holds them, and the place is free afterwards."""
    endpoints = tmp_path / "endpoints.json"
    endpoints.write_text(json.dumps(lab.endpoints), encoding="utf-8")
    rigs = tmp_path / "rigs.yaml"
    rigs.write_text(
        "rigs:\n"
        "  - name: lg-bg95\n"
        "    backend: labgrid\n"
        f"    dialect: {DIALECT}\n"
        f"    coordinator: {lab.coordinator}\n"
        "    tags: {modem: bg95, rat: ltem}\n",
        encoding="utf-8",
    )
    db = tmp_path / "results.db"
    env = {**os.environ, "NCE_EMULATOR_ENDPOINTS": str(endpoints), "PATH": f"{LG_BIN}:{os.environ['PATH']}"}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", str(ROOT / "examples" / "pytest" / "test_smoke.py"), "-q",
         "-p", "no:cacheprovider", "--rigs-file", str(rigs), "--rig", "lg-bg95", "--results-db", str(db)],
        capture_output=True, text=True, timeout=240, env=env, cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    with ResultsDB(db) as results:
        [run] = results.runs()
        data = results.load_run(run.id)
    assert run.source == "pytest" and run.counts.failed == 0
    assert {stored.rig for stored in data.records} == {"lg-bg95"}
    checks = {stored.record.check for stored in data.records}
    assert {"sim_ready", "attach", "uplink_udp", "uplink_coap", "device_auth"} <= checks, checks
    lab.assert_idle("lg-bg95")
