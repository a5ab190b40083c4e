"""SIM inventories from YAML and CSV: what loads, and how bad files are refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from at_commands.sim import luhn_check_digit
from hil.virtual.network.inventory import (
    InventoryError,
    Organisation,
    demo_inventory,
    load_inventory,
    parse_csv_inventory,
    parse_yaml_inventory,
)


def test_yaml_with_defaults_and_assigned_addresses() -> None:
    inventory = parse_yaml_inventory(
        """
organisation: {id: "42", name: "Org", ip_range: "10.9.8.0/24"}
sims:
  - {iccid: "8988280666000000011", imsi: "901405100000011", ip_address: "10.9.8.1"}
  - {iccid: "8988280666000000012", imsi: "901405100000012", status: Disabled, imei_lock: true}
"""
    )
    assert [sim.ip_address for sim in inventory.sims] == ["10.9.8.1", "10.9.8.2"]
    assert inventory.sims[1].status == "Disabled" and inventory.sims[1].data_quota_mb == 500
    assert inventory.credentials_generated and inventory.api_users[0].client_id == "42_api_user"
    assert inventory.api_users[0].client_secret not in repr(inventory.api_users[0])


def test_csv_inventory(tmp_path: Path) -> None:
    path = tmp_path / "sims.csv"
    path.write_text(
        "iccid,imsi,msisdn,status,imei_lock,label\n"
        "8988280666000000021,901405100000021,882285100000021,Enabled,true,a\n"
        "8988280666000000022,901405100000022,,Disabled,,b\n"
    )
    inventory = load_inventory(path, Organisation(ip_range="10.7.0.0/24"))
    assert [(s.iccid, s.imei_lock, s.ip_address) for s in inventory.sims] == [
        ("8988280666000000021", True, "10.7.0.1"),
        ("8988280666000000022", False, "10.7.0.2"),
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("sims: [{iccid: '898828066600000001', imsi: '901405100000001'}]", "sims[0]: iccid"),
        ("sims: [{iccid: '8988280666000000001', imsi: '262015100000001'}]", "sims[0]: imsi"),
        (
            "sims: [{iccid: '8988280666000000001', imsi: '901405100000001', status: Active}]",
            "sims[0]: status",
        ),
        ("sims: [{iccid: '8988280666000000001', imsi: '901405100000001', colour: red}]", "colour"),
        (
            "sims: [{iccid: '8988280666000000001', imsi: '901405100000001'}, "
            "{iccid: '8988280666000000001', imsi: '901405100000002'}]",
            "duplicate iccid",
        ),
        (
            "organisation: {ip_range: '10.1.1.0/24'}\n"
            "sims: [{iccid: '8988280666000000001', imsi: '901405100000001', ip_address: '10.2.2.2'}]",
            "outside the organisation's range",
        ),
        (
            "organisation: {ip_range: '192.168.1.0/24'}\n"
            "sims: [{iccid: '8988280666000000001', imsi: '901405100000001'}]",
            "10.0.0.0/8",
        ),
        ("sims: []", "non-empty list"),
        ("sims: [{", "not valid YAML"),
        ("simz: []", "unknown top-level"),
    ],
)
def test_bad_yaml_is_refused_with_where_and_what(text: str, message: str) -> None:
    with pytest.raises(InventoryError) as caught:
        parse_yaml_inventory(text, source="lab.yaml")
    assert message in str(caught.value) and str(caught.value).startswith("lab.yaml")


def test_bad_csv_rows_name_the_line(tmp_path: Path) -> None:
    with pytest.raises(InventoryError, match=r"sims\.csv: line 3: imsi"):
        parse_csv_inventory(
            "iccid,imsi\n8988280666000000001,901405100000001\n8988280666000000002,12345\n", source="sims.csv"
        )
    with pytest.raises(InventoryError, match="header line"):
        parse_csv_inventory("iccid\n8988280666000000001\n")
    with pytest.raises(InventoryError, match="unknown inventory format"):
        load_inventory(tmp_path / "x.json")
    with pytest.raises(InventoryError, match="cannot read"):
        load_inventory(tmp_path / "missing.yaml")


def test_demo_inventory_and_luhn() -> None:
    demo = demo_inventory(3)
    assert [sim.iccid for sim in demo.sims] == [
        "8988280666000000001",
        "8988280666000000002",
        "8988280666000000003",
    ]
    assert luhn_check_digit("8988280666000000001") == "0"  # 89882806660000000010, as the SIM API shows it
    with pytest.raises(InventoryError, match="room for 254"):
        demo_inventory(300)
