"""hil.cloud client and the `hil cloud` CLI against a running emulator (in a thread, or a real
`hil cloud serve` subprocess): tokens, 429 back-off, paging, settings, exit codes, secrets."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from hil.cloud import CloudApiError, CloudClient, ConfigError, load_settings
from hil.virtual.cloud.config import EmulatorConfig
from hil.virtual.cloud.server import ThreadedEmulator
from hil.virtual.network.inventory import parse_yaml_inventory

SECRET = "client-test-secret"
INVENTORY = f"""
organisation: {{id: "7400001", name: "client org", ip_range: "10.66.0.0/24"}}
api_users: [{{client_id: "7400001_api", client_secret: "{SECRET}"}}]
sims:
""" + "".join(f'  - {{iccid: "89882806660000{n:05d}", imsi: "9014051000{n:05d}"}}\n' for n in range(1, 8))
HIL = (
    [sys.executable, "-m", "hil.cli.main"]
    if not Path(sys.executable).with_name("hil").exists()
    else [str(Path(sys.executable).with_name("hil"))]
)


@pytest.fixture(scope="module")
def lab() -> Iterator[ThreadedEmulator]:
    with ThreadedEmulator(
        parse_yaml_inventory(INVENTORY), EmulatorConfig(sims_rate_limit=5, token_ttl=600)
    ) as emulator:
        yield emulator


def client_for(lab: ThreadedEmulator) -> CloudClient:
    environ = {
        "NCE_API_URL": lab.endpoints["api"],
        "NCE_CLIENT_ID": "7400001_api",
        "NCE_CLIENT_SECRET": SECRET,
    }
    return CloudClient(load_settings(environ=environ, config_file=None))


def test_paging_iterator_and_rate_limit_back_off(lab: ThreadedEmulator) -> None:
    with client_for(lab) as client:
        started = time.monotonic()
        iccids = [sim.iccid for sim in client.sims(page_size=1)]  # 7 pages, well past 5 requests/s
        for _ in range(8):
            client.sim(iccids[0])
        assert iccids == [f"89882806660000{n:05d}" for n in range(1, 8)]
        assert time.monotonic() - started >= 1.0  # it had to wait for Retry-After at least once


def test_expired_token_is_refreshed_once(lab: ThreadedEmulator) -> None:
    with client_for(lab) as client:
        client.sim("8988280666000000001")
        lab.call(lambda: lab.services.clock.advance(700))  # the server now rejects the token
        assert client.sim("8988280666000000001").status == "Enabled"
        with pytest.raises(CloudApiError) as caught:
            client.sim("8988280666099999999")
        assert caught.value.status == 404


def test_bad_credentials_and_secrets_stay_hidden(lab: ThreadedEmulator) -> None:
    settings = load_settings(
        environ={
            "NCE_API_URL": lab.endpoints["api"],
            "NCE_CLIENT_ID": "7400001_api",
            "NCE_CLIENT_SECRET": "wrong-secret",
        }
    )
    client = CloudClient(settings)
    with pytest.raises(CloudApiError) as caught:
        client.sim("8988280666000000001")
    assert caught.value.status == 400 and "Incorrect username or password." in str(caught.value)
    good = client_for(lab)
    good.sim("8988280666000000001")
    for text in (repr(settings), str(settings), repr(good), repr(good.settings), repr(lab.services.issuer)):
        assert SECRET not in text and "wrong-secret" not in text
    assert good._token is not None and good._token not in repr(good)
    good.close()
    client.close()


def test_settings_sources_and_their_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no credentials: set NCE_CLIENT_ID/NCE_CLIENT_SECRET"):
        load_settings(environ={"NCE_CONFIG": str(tmp_path / "absent.yaml")})
    config = tmp_path / "cloud.yaml"
    config.write_text("api_url: http://127.0.0.1:1/x\nclient_id: from-file\nclient_secret: file-secret-1\n")
    from_file = load_settings(environ={"NCE_CONFIG": str(config)})
    assert from_file.client_id == "from-file" and from_file.api_url == "http://127.0.0.1:1/x"
    env_wins = load_settings(environ={"NCE_CONFIG": str(config), "NCE_CLIENT_ID": "from-env"})
    assert env_wins.client_id == "from-env" and env_wins.client_secret.get_secret_value() == "file-secret-1"
    config.write_text("client_id: x\npassword: y\n")
    with pytest.raises(ConfigError, match="unknown key"):
        load_settings(environ={"NCE_CONFIG": str(config)})
    endpoints = tmp_path / "lab.json"
    endpoints.write_text(
        json.dumps(
            {"api": "http://127.0.0.1:2/management-api", "client_id": "c", "client_secret": "s3cr3t-x"}
        )
    )
    assert load_settings(emulator_file=endpoints, environ={}).api_url == "http://127.0.0.1:2/management-api"
    endpoints.write_text("[]")
    with pytest.raises(ConfigError, match="not an endpoints file"):
        load_settings(emulator_file=endpoints, environ={})


def run_hil(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("NCE_")}
    return subprocess.run(
        [*HIL, *args], capture_output=True, text=True, timeout=60, env={**clean, **(env or {})}, check=False
    )


def test_cli_against_a_served_emulator(tmp_path: Path) -> None:
    endpoints_file = tmp_path / "lab.json"
    server = subprocess.Popen(
        [*HIL, "cloud", "serve", "--demo-sims", "3", "--endpoints-file", str(endpoints_file)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        first = json.loads(server.stdout.readline())
        for key in ("api", "oauth", "netlink", "udp", "coap", "bootstrap", "client_id", "client_secret"):
            assert key in first, key
        assert first["api"].startswith("http://127.0.0.1:") and first["api"].endswith("/management-api")
        assert stat.S_IMODE(endpoints_file.stat().st_mode) == 0o600
        secret = first["client_secret"]
        iccid = first["sims"][0]["iccid"]
        listed = run_hil("cloud", "sims", "--emulator", str(endpoints_file), "--json")
        assert listed.returncode == 0, listed.stderr
        assert [sim["iccid"] for sim in json.loads(listed.stdout)] == [s["iccid"] for s in first["sims"]]
        sent = run_hil(
            "cloud", "sms", "send", iccid, "hello device", "--emulator", str(endpoints_file), "--json"
        )
        assert sent.returncode == 0 and json.loads(sent.stdout)["submitted"] is True
        sms = run_hil("cloud", "sms", "list", iccid, "--emulator", str(endpoints_file), "--json")
        assert json.loads(sms.stdout)[0]["payload"] == "hello device"
        table = run_hil("cloud", "status", iccid, "--emulator", str(endpoints_file))
        assert table.returncode == 0 and "OFFLINE" in table.stdout
        for command in (["sim", iccid], ["usage", iccid], ["inspect", iccid]):
            result = run_hil("cloud", *command, "--emulator", str(endpoints_file), "--json")
            assert result.returncode == 0, (command, result.stderr)
            json.loads(result.stdout)
            assert secret not in result.stdout + result.stderr
        missing = run_hil("cloud", "sim", "8988280666099999999", "--emulator", str(endpoints_file))
        assert missing.returncode == 1 and "HTTP 404" in missing.stderr
        no_credentials = run_hil(
            "cloud", "sims", "--api", first["api"], env={"NCE_CONFIG": str(tmp_path / "none.yaml")}
        )
        assert no_credentials.returncode == 1 and "no credentials" in no_credentials.stderr
        via_env = run_hil(
            "cloud",
            "sims",
            "--json",
            env={
                "NCE_API_URL": first["api"],
                "NCE_CLIENT_ID": first["client_id"],
                "NCE_CLIENT_SECRET": secret,
                "NCE_CONFIG": str(tmp_path / "none.yaml"),
            },
        )
        assert via_env.returncode == 0 and secret not in via_env.stdout
        assert run_hil("cloud", "sims", "--limit", "0", "--emulator", str(endpoints_file)).returncode == 2
        assert run_hil("cloud", "serve", "--help").returncode == 0
        bad_inventory = tmp_path / "bad.yaml"
        bad_inventory.write_text("sims: [{iccid: '123', imsi: '901405100000001'}]\n")
        refused = run_hil("cloud", "serve", "--sims", str(bad_inventory))
        assert refused.returncode == 1 and "sims[0]" in refused.stderr and "iccid" in refused.stderr
    finally:
        server.terminate()
        server.wait(15)
