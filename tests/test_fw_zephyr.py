"""The Zephyr port (firmware/zephyr) as far as it can be checked without a Zephyr workspace here:
its manifests through west's own parser, its Kconfig through kconfiglib (the parser Zephyr's
build uses), the .conf files against our Kconfig plus the Zephyr/NCS symbols checked by hand
against the pinned releases, the devicetree overlays through python-devicetree's dtlib over the
node labels of the pinned boards' DTS, the config-block linker snippet against the board files,
and `hil fw build --target zephyr` without a workspace (real CLI)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import kconfiglib
import pytest
from devicetree import dtlib
from west.manifest import ImportFlag, MalformedManifest, Manifest

from hil.firmware.boards import load_board

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "firmware" / "zephyr"

ZEPHYR_RELEASE = "v3.7.0"
NCS_RELEASE = "v2.8.0"
# kconfiglib resolves `source "Kconfig.zephyr"` against this (lower-case) variable, as Zephyr sets it.
KCONFIG_SRCTREE = "srctree"

# Zephyr/NCS Kconfig symbols the .conf files and the port's Kconfig may use besides our own NCE_*
# ones, each checked by hand (the release's Zephyr is not available here); where it was read:
#   Zephyr kernel/Kconfig, drivers/serial/Kconfig, drivers/console/Kconfig, lib/os/Kconfig,
#   subsys/net/Kconfig, arch/arm/core/Kconfig (names stable from v3.0 through v4.x), and
#   nrfconnect/sdk-nrf samples/cellular/udp/prj.conf + samples/cellular/sms/prj.conf (index
#   versions around v2.x, which set the same NCS symbols the nRF91 .conf sets).
ZEPHYR_SYMBOLS = {
    "BOOT_BANNER": "bool",
    "CONSOLE": "bool",
    "UART_CONSOLE": "bool",
    "MAIN_STACK_SIZE": "int",
    "SYSTEM_WORKQUEUE_STACK_SIZE": "int",
    "HEAP_MEM_POOL_SIZE": "int",
    "SERIAL": "bool",
    "UART_INTERRUPT_DRIVEN": "bool",
    "RING_BUFFER": "bool",
    "REBOOT": "bool",
    "CPU_CORTEX_M": "bool",
    "NETWORKING": "bool",
    "NET_NATIVE": "bool",
    "NET_SOCKETS": "bool",
    "NET_SOCKETS_OFFLOAD": "bool",
}
NCS_SYMBOLS = {"NRF_MODEM_LIB": "bool", "LTE_LINK_CONTROL": "bool", "SMS": "bool"}

# Node labels of the pinned boards' devicetrees that the overlays may reference (read from
# zephyr boards/arm/mps2/mps2_an385.dts, and boards/nordic/nrf9160dk/nrf9160dk_nrf9160_ns.dts +
# nrf9160dk_nrf9160_common.dtsi, whose UART nodes come from the SoC's nrf9160 dtsi).
BOARD_UART_LABELS = {
    "mps2_an385": ["uart0", "uart1", "uart2", "uart3", "uart4"],
    "nrf9160dk_nrf9160_ns": ["uart0", "uart1", "uart2"],
}


# ---- west manifests ----------------------------------------------------------------------------


def _manifest(name: str) -> Manifest:
    # IGNORE: the imported manifests (Zephyr's, sdk-nrf's) come with `west update`, not here.
    return Manifest.from_data((APP / name).read_text(), import_flags=ImportFlag.IGNORE)


def _pinned(manifest: Manifest) -> list[tuple[str, str, str]]:
    return [(p.name, p.url, p.revision) for p in manifest.projects[1:]]  # [0] is the manifest repo


def test_west_manifest_pins_one_zephyr_release() -> None:
    projects = _pinned(_manifest("west.yml"))
    assert projects == [("zephyr", "https://github.com/zephyrproject-rtos/zephyr", ZEPHYR_RELEASE)]
    assert re.fullmatch(r"v\d+\.\d+\.\d+", projects[0][2]), "the revision must be a release tag"


def test_west_ncs_manifest_pins_one_sdk_nrf_release() -> None:
    projects = _pinned(_manifest("west-ncs.yml"))
    assert projects == [("nrf", "https://github.com/nrfconnect/sdk-nrf", NCS_RELEASE)]


def _git_repo_with_manifests(path: Path) -> Path:
    repo = path / "nce-hil"
    (repo / "firmware" / "zephyr").mkdir(parents=True)
    for name in ("west.yml", "west-ncs.yml"):
        (repo / "firmware" / "zephyr" / name).write_text((APP / name).read_text())
    return repo


def _west(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    west = Path(sys.executable).parent / "west"
    return subprocess.run(
        [str(west), *args], cwd=cwd, capture_output=True, text=True, timeout=60, check=False
    )


@pytest.mark.parametrize("manifest_file", ["west.yml", "west-ncs.yml"])
def test_documented_west_init_makes_the_repository_parent_the_workspace(
    tmp_path: Path, manifest_file: str
) -> None:
    """`west init -l --mf firmware/zephyr/<file> .` (README): west itself resolves the manifest,
    with Zephyr (or sdk-nrf) cloned beside the repository on `west update`."""
    repo = _git_repo_with_manifests(tmp_path)
    result = _west("init", "-l", "--mf", f"firmware/zephyr/{manifest_file}", ".", cwd=repo)
    assert result.returncode == 0, result.stderr
    manifest = Manifest.from_topdir(topdir=str(tmp_path), import_flags=ImportFlag.IGNORE)
    expected = {"west.yml": ("zephyr", "zephyr"), "west-ncs.yml": ("nrf", "nrf")}[manifest_file]
    project = manifest.projects[1]
    assert project.abspath is not None
    assert (project.name, Path(project.abspath)) == (expected[0], tmp_path / expected[1])


def test_west_init_on_the_app_directory_collides_with_the_zephyr_project(tmp_path: Path) -> None:
    """Why the README does not say `west init -l firmware/zephyr`: the workspace would be
    firmware/, where Zephyr's own checkout path `zephyr` is the app directory."""
    repo = _git_repo_with_manifests(tmp_path)
    assert _west("init", "-l", "firmware/zephyr", cwd=repo).returncode == 0
    with pytest.raises(MalformedManifest, match="taken by the manifest repository"):
        Manifest.from_topdir(topdir=str(repo / "firmware"), import_flags=ImportFlag.IGNORE)


# ---- Kconfig ---------------------------------------------------------------------------------------


def _stub_kconfig_zephyr(directory: Path, with_ncs: bool) -> None:
    symbols = dict(ZEPHYR_SYMBOLS, **(NCS_SYMBOLS if with_ncs else {}))
    lines = []
    for name, kind in symbols.items():
        lines += [f"config {name}", f"\t{kind}", f'\tprompt "{name}"']
        if kind == "int":
            lines.append("\tdefault 1024")
        if name == "CPU_CORTEX_M":
            lines.append("\tdefault y")
    (directory / "Kconfig.zephyr").write_text("\n".join(lines) + "\n")


def _kconfig(tmp_path: Path, with_ncs: bool = False, *confs: Path) -> kconfiglib.Kconfig:
    stub = tmp_path / ("ncs" if with_ncs else "zephyr")
    stub.mkdir(exist_ok=True)
    _stub_kconfig_zephyr(stub, with_ncs)
    old = os.environ.get(KCONFIG_SRCTREE)
    os.environ[KCONFIG_SRCTREE] = str(stub)  # where kconfiglib resolves `source "Kconfig.zephyr"`
    try:
        kconf = kconfiglib.Kconfig(str(APP / "Kconfig"), warn_to_stderr=False)
    finally:
        if old is None:
            del os.environ[KCONFIG_SRCTREE]
        else:
            os.environ[KCONFIG_SRCTREE] = old
    kconf.warn_assign_undef = True  # as Zephyr's kconfig.py sets it: an unknown CONFIG_ is an error
    for conf in confs:
        kconf.load_config(str(conf), replace=False)
    return kconf


def _range(sym: kconfiglib.Symbol) -> tuple[int, int]:
    (low, high, _cond) = sym.ranges[0]
    return int(low.str_value), int(high.str_value)


def test_kconfig_options_and_defaults(tmp_path: Path) -> None:
    kconf = _kconfig(tmp_path)
    assert not kconf.warnings, kconf.warnings
    syms = kconf.syms
    strings = {
        "NCE_APN": "iot.1nce.net",
        "NCE_UDP_HOST": "udp.os.1nce.com",
        "NCE_COAP_HOST": "coap.os.1nce.com",
        "NCE_COAP_TOPIC": "nce",
        "NCE_TEMPLATE_NAME": "nce_sensor",
        "NCE_EXPECTED_ICCID": "",
        "NCE_MODEM_DIALECT": "auto",
    }
    for name, value in strings.items():
        assert syms[name].type == kconfiglib.STRING and syms[name].str_value == value, name
    ints = {
        "NCE_UDP_PORT": (4445, (1, 65535)),
        "NCE_COAP_PORT": (5683, (1, 65535)),
        "NCE_UPLINK_PERIOD_S": (60, (1, 86400)),  # nce_app_configure's interval range
        "NCE_RUN_FOR_S": (0, (0, 65535)),  # the block's u16
        "NCE_LOG_LEVEL": (2, (0, 3)),
    }
    for name, (default, bounds) in ints.items():
        assert syms[name].type == kconfiglib.INT and int(syms[name].str_value) == default, name
        assert _range(syms[name]) == bounds, name
    for name in ("NCE_UDP_UPLINKS", "NCE_COAP_UPLINKS", "NCE_DEVICE_AUTHENTICATOR", "NCE_ENERGY_SAVER"):
        assert syms[name].type == kconfiglib.BOOL and syms[name].str_value == "y", name
    # Without the nRF Connect SDK the offloaded link cannot be chosen: the AT UART link is the one.
    assert syms["NCE_LINK_AT_UART"].str_value == "y"
    assert syms["NCE_LINK_OFFLOADED"].visibility == 0 and syms["NCE_LINK_OFFLOADED"].str_value == "n"
    # ... and it selects what the UART code needs.
    assert (
        syms["SERIAL"].str_value,
        syms["UART_INTERRUPT_DRIVEN"].str_value,
        syms["RING_BUFFER"].str_value,
    ) == (
        "y",
        "y",
        "y",
    )
    assert syms["NCE_EXIT_HALT"].str_value == "y"


def test_kconfig_defaults_match_the_apps_compiled_in_defaults(tmp_path: Path) -> None:
    """NCE_CONFIG_FROM_KCONFIG must not change anything for a default build: the Kconfig defaults
    are the app's (firmware/common/app/nce_app_config.c nce_app_config_defaults)."""
    source = (ROOT / "firmware/common/app/nce_app_config.c").read_text()
    body = source[source.index("void nce_app_config_defaults") :]
    body = body[: body.index("\n}\n")]
    texts = dict(re.findall(r"copy_text\(out->(\w+), sizeof out->\w+, \"([^\"]*)\"\)", body))
    numbers = {k: int(v) for k, v in re.findall(r"out->(\w+) = (\d+)u;", body)}
    syms = _kconfig(tmp_path).syms
    assert texts == {
        "apn": syms["NCE_APN"].str_value,
        "udp_host": syms["NCE_UDP_HOST"].str_value,
        "coap_host": syms["NCE_COAP_HOST"].str_value,
        "template_name": syms["NCE_TEMPLATE_NAME"].str_value,
        "coap_topic": syms["NCE_COAP_TOPIC"].str_value,
    }
    assert numbers == {
        "udp_port": int(syms["NCE_UDP_PORT"].str_value),
        "coap_port": int(syms["NCE_COAP_PORT"].str_value),
        "uplink_period_s": int(syms["NCE_UPLINK_PERIOD_S"].str_value),
        "log_level": int(syms["NCE_LOG_LEVEL"].str_value),
        "run_for_s": int(syms["NCE_RUN_FOR_S"].str_value),
    }


def _assignments(conf: Path) -> dict[str, str]:
    values = {}
    for number, line in enumerate(conf.read_text().splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = re.fullmatch(r"CONFIG_([A-Z0-9_]+)=(.*)", line.strip())
        assert match, f"{conf.name}:{number}: not a CONFIG_NAME=value line: {line!r}"
        values[match[1]] = match[2]
    return values


CONFS = ["prj.conf", "boards/mps2_an385.conf", "boards/nrf9160dk_nrf9160_ns.conf"]


@pytest.mark.parametrize("conf", CONFS)
def test_conf_files_set_only_known_symbols(tmp_path: Path, conf: str) -> None:
    ours = {name for name in _kconfig(tmp_path).syms if name.startswith("NCE_")}
    known = ours | set(ZEPHYR_SYMBOLS) | set(NCS_SYMBOLS)
    unknown = sorted(set(_assignments(APP / conf)) - known)
    assert not unknown, f"{conf} sets symbols that are neither ours nor checked Zephyr/NCS ones: {unknown}"


@pytest.mark.parametrize(
    ("board_conf", "with_ncs", "expected"),
    [
        ("boards/mps2_an385.conf", False, {"NCE_LINK_AT_UART": "y", "NCE_EXIT_SEMIHOSTING": "y"}),
        (
            "boards/nrf9160dk_nrf9160_ns.conf",
            True,
            {"NCE_LINK_OFFLOADED": "y", "NCE_LINK_AT_UART": "n", "NCE_EXIT_HALT": "y", "SMS": "y"},
        ),
    ],
)
def test_board_configuration_takes(
    tmp_path: Path, board_conf: str, with_ncs: bool, expected: dict[str, str]
) -> None:
    """prj.conf + the board's .conf as Zephyr merges them: every assignment takes (Zephyr's build
    stops on one that does not), and the board gets its link and exit."""
    kconf = _kconfig(tmp_path, with_ncs, APP / "prj.conf", APP / board_conf)
    assert not kconf.warnings, kconf.warnings
    for conf in ("prj.conf", board_conf):
        for name, value in _assignments(APP / conf).items():
            assert kconf.syms[name].str_value == value.strip('"'), (
                f"{conf}: CONFIG_{name}={value} did not take"
            )
    for name, value in expected.items():
        assert kconf.syms[name].str_value == value, name


def test_nrf91_conf_without_the_sdk_does_not_take(tmp_path: Path) -> None:
    """With upstream Zephyr only (no NRF_MODEM_LIB), the nRF91 settings are refused: that board
    needs west-ncs.yml."""
    kconf = _kconfig(tmp_path, False, APP / "prj.conf", APP / "boards/nrf9160dk_nrf9160_ns.conf")
    assert any("NRF_MODEM_LIB" in warning for warning in kconf.warnings)
    assert kconf.syms["NCE_LINK_OFFLOADED"].str_value == "n"


# ---- devicetree ------------------------------------------------------------------------------------


def _board_with_overlay(tmp_path: Path, board: str) -> dtlib.DT:
    """The board's UART nodes (labels as in the pinned DTS), then the overlay, parsed by dtlib."""
    nodes = ""
    for i, label in enumerate(BOARD_UART_LABELS[board]):
        address = 0x40004000 + 0x1000 * i
        nodes += f'\t\t{label}: uart@{address:x} {{ reg = <{address:#x} 0x1000>; status = "okay"; }};\n'
    base = "/dts-v1/;\n/ {\n\t#address-cells = <1>;\n\t#size-cells = <1>;\n\tchosen { };\n\tsoc {\n"
    base += "\t\t#address-cells = <1>;\n\t\t#size-cells = <1>;\n" + nodes + "\t};\n};\n"
    if board == "nrf9160dk_nrf9160_ns":
        base += '&uart1 { status = "disabled"; };\n'  # TF-M's, as the board's _ns.dts says
    source = tmp_path / f"{board}.dts"
    source.write_text(base + (APP / "boards" / f"{board}.overlay").read_text())
    return dtlib.DT(str(source))


def test_mps2_overlay_puts_the_modem_on_uart1_and_the_console_on_uart0(tmp_path: Path) -> None:
    dt = _board_with_overlay(tmp_path, "mps2_an385")
    chosen = dt.get_node("/chosen")
    assert chosen.props["zephyr,console"].to_path() is dt.label2node["uart0"]
    modem = chosen.props["nce,modem-uart"].to_path()
    assert modem is dt.label2node["uart1"]
    assert modem.props["status"].to_string() == "okay" and modem.props["current-speed"].to_num() == 115200


def test_nrf9160dk_overlay_keeps_uart1_for_tfm_and_has_no_modem_uart(tmp_path: Path) -> None:
    dt = _board_with_overlay(tmp_path, "nrf9160dk_nrf9160_ns")
    chosen = dt.get_node("/chosen")
    assert chosen.props["zephyr,console"].to_path() is dt.label2node["uart0"]
    assert "nce,modem-uart" not in chosen.props  # the modem is the SiP's, through nrf_modem_lib
    assert dt.label2node["uart1"].props["status"].to_string() == "disabled"


def test_overlays_reference_only_labels_of_their_board() -> None:
    for board, labels in BOARD_UART_LABELS.items():
        text = (APP / "boards" / f"{board}.overlay").read_text()
        referenced = set(re.findall(r"&([A-Za-z_][A-Za-z0-9_]*)", text))
        assert referenced <= set(labels), f"{board}.overlay references {referenced - set(labels)}"


def test_modem_uart_code_uses_the_chosen_node_the_overlay_defines() -> None:
    source = (APP / "src" / "modem_uart.c").read_text()
    assert "DT_CHOSEN(nce_modem_uart)" in source  # "nce,modem-uart" in devicetree macro form
    assert "nce,modem-uart = &uart1;" in (APP / "boards" / "mps2_an385.overlay").read_text()


# ---- config block and the sources the build takes -------------------------------------------------


def test_config_block_snippet_puts_it_where_the_board_files_say(tmp_path: Path) -> None:
    """nce_config.ld places .nce_config 0x400 into the first ROM section; mps2-an385's ROM starts
    at 0, so the block is at the board file's config_block address (hil image stamp's)."""
    snippet = (APP / "nce_config.ld").read_text()
    offset = int(re.search(r"\.\s*=\s*(0x[0-9a-fA-F]+)\s*;", snippet)[1], 16)  # type: ignore[index]
    assert "KEEP(*(.nce_config))" in snippet
    board = load_board("mps2-an385")
    assert board.config_block.address == board.mcu.flash.base + offset
    assert board.config_block.size == 256
    cmake = (APP / "CMakeLists.txt").read_text()
    assert "zephyr_linker_sources(ROM_START" in cmake and "nce_config.ld" in cmake
    assert '__attribute__((section(".nce_config"), used))' in (APP / "src" / "config_block.c").read_text()


def test_cmake_builds_common_and_sdk_sources_from_this_repository() -> None:
    cmake = (APP / "CMakeLists.txt").read_text()
    assert "find_package(Zephyr REQUIRED HINTS $ENV{ZEPHYR_BASE})" in cmake
    assert '"${CMAKE_CURRENT_SOURCE_DIR}/../.."' in cmake  # the repository, by relative path
    for directory in ("firmware/common", "sdk_bindings/c"):
        assert f"${{NCE_REPO_ROOT}}/{directory}" in cmake
    for source in re.findall(r"src/[a-z_]+\.c", cmake):
        assert (APP / source).is_file(), f"CMakeLists.txt names a missing {source}"
    assert sorted(p.name for p in (APP / "src").glob("*.c")) == sorted(
        {Path(s).name for s in re.findall(r"src/[a-z_]+\.c", cmake)}
    ), "every port source is built"
    assert not list(APP.rglob("*.h.in")) and not (APP / "zephyr").exists()  # no fetched copies


# ---- hil fw build --------------------------------------------------------------------------------


def test_hil_fw_build_without_a_workspace_says_how_to_make_one(tmp_path: Path) -> None:
    if any((p / ".west").is_dir() for p in (ROOT, *ROOT.parents)):
        pytest.skip("this checkout sits in a west workspace")
    env = {k: v for k, v in os.environ.items() if k != "ZEPHYR_BASE"}
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + "/usr/bin:/bin"  # west is in the venv
    command = [sys.executable, "-m", "hil.cli.main", "fw", "build", "--target", "zephyr"]
    command += ["--board", "mps2-an385", "--build-dir", str(tmp_path)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False, env=env)
    assert result.returncode == 1, result.stderr
    assert "no Zephyr workspace" in result.stderr
    assert "west init -l --mf firmware/zephyr/west.yml ." in result.stderr
