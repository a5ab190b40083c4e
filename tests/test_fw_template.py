"""The firmware's Energy Saver template: the committed C tables are what `hil bcl gen-c` makes of
the committed JSON (regenerate with the command in the header when the JSON changes)."""

from __future__ import annotations

from pathlib import Path

from sdk_bindings.bcl import compile_template, decode
from sdk_bindings.bcl.gen_c import generate_header

TEMPLATES = Path(__file__).resolve().parents[1] / "firmware" / "common" / "templates"


def test_generated_header_is_up_to_date() -> None:
    source = TEMPLATES / "nce_sensor.json"
    expected = generate_header(source.read_text(), source=source.name)
    actual = (TEMPLATES / "nce_sensor.h").read_text()
    assert actual == expected, (
        "firmware/common/templates/nce_sensor.h is stale: run "
        "`hil bcl gen-c firmware/common/templates/nce_sensor.json -o firmware/common/templates/nce_sensor.h`"
    )


def test_template_decodes_a_round_as_the_firmware_logs_it() -> None:
    template = compile_template((TEMPLATES / "nce_sensor.json").read_text())
    payload = bytes.fromhex("070000001e000000eb002a100e0c000000")
    assert decode(template, payload) == {
        "counter": 7,
        "interval_s": 30,
        "temperature_c10": 235,
        "humidity": 42,
        "battery_mv": 3600,
        "uptime_s": 12,
    }
