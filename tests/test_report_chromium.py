"""The HTML report in a real headless Chromium (Debian's `chromium`): it renders, its plots are
drawn, it loads nothing from the network, and a screenshot is taken and checked for content."""

from __future__ import annotations

import contextlib
import re
import shutil
import socket
import struct
import subprocess
import threading
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from hil.records.db import ResultsDB
from hil.records.sample import record_sample_run, sample_results
from hil.reports import write_report
from hil.reports.figures import PLOT_SOURCES

CHROMIUM = shutil.which("chromium")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium is not installed (Debian package `chromium`, in bin/apt-packages.txt)"
)
TIMEOUT_S = 120
# Chromium's own services that still call out in headless mode whatever the flags (component
# updater, sign-in): requests to them are the browser's, not the page's, and are left out.
BROWSER_SERVICE_HOSTS = re.compile(r"(^|\.)(googleapis\.com|google\.com|gvt1\.com)(:\d+)?$")


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The HTML report of the third run of a suite (so the trend has three bars)."""
    root = tmp_path_factory.mktemp("chromium")
    db = ResultsDB(root / "results.db")
    for seed in (1, 2):
        record_sample_run(db, sample_results(rigs=3, fail_rate=0.1, seed=seed))
    run_id = record_sample_run(db, sample_results(rigs=4, rounds=2, fail_rate=0.12, seed=3))
    db.set_rig_health("virtual-1", "good", "health check passed")
    db.set_rig_health("virtual-2", "bad", "console port gave no line in 10 s")
    path = write_report(db, run_id, root / "report.html", "html")
    db.close()
    return path


class _Listener:
    """A TCP listener on 127.0.0.1 used as Chromium's proxy: every request the page makes to any
    http(s) URL reaches it, so its first lines are the evidence of a network request."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.seen: list[str] = []  # first line of every request
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _addr = self.sock.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(2)
                try:
                    first = conn.recv(4096).split(b"\r\n", 1)[0].decode("latin-1")
                except OSError:
                    first = "(connection without a request line)"
                self.seen.append(first)
                with contextlib.suppress(OSError):
                    conn.sendall(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")

    @property
    def requests(self) -> list[str]:
        """The requests that are not Chromium's own service calls."""
        return [line for line in self.seen if not BROWSER_SERVICE_HOSTS.search(_host(line))]

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.sock.close()


def _host(request_line: str) -> str:
    """The host of a proxy request line: `GET http://host/path HTTP/1.1` or `CONNECT host:443 ...`."""
    parts = request_line.split()
    target = parts[1] if len(parts) > 1 else ""
    return target.split("://", 1)[-1].split("/", 1)[0]


@pytest.fixture
def proxy() -> Iterator[_Listener]:
    listener = _Listener()
    yield listener
    listener.close()


def _chromium(tmp: Path, *args: str, proxy: _Listener | None = None) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    command = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        # Chromium's own services (updates, sign-in, time) would otherwise call home on start
        "--disable-component-update",
        "--disable-sync",
        "--disable-default-apps",
        "--disable-extensions",
        "--disable-domain-reliability",
        "--disable-client-side-phishing-detection",
        "--no-first-run",
        "--no-default-browser-check",
        "--metrics-recording-only",
        "--disable-features=OptimizationHints,MediaRouter,Translate,AutofillServerCommunication,NetworkTimeServiceQuerying",
        f"--user-data-dir={tmp / 'profile'}",
        *args,
    ]
    if proxy is not None:  # even loopback goes through it ("<-loopback>" drops the implicit bypass)
        command += [f"--proxy-server=http://127.0.0.1:{proxy.port}", "--proxy-bypass-list=<-loopback>"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_S)
    assert result.returncode == 0, f"chromium {args} exited {result.returncode}:\n{result.stderr[-3000:]}"
    return result


def _png_pixels(path: Path) -> tuple[int, int, int, list[bytes]]:
    """(width, height, bytes per pixel, rows) of an 8-bit RGB/RGBA PNG, unfiltered (PNG spec §9)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG (starts {data[:8]!r})"
    pos, idat, header = 8, bytearray(), b""
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            idat += body
    width, height, depth, color_type = struct.unpack(">IIBB", header[:10])
    assert depth == 8 and color_type in (2, 6), (
        f"unexpected PNG format: depth {depth}, colour type {color_type}"
    )
    bpp = 3 if color_type == 2 else 4
    stride = width * bpp
    raw = zlib.decompress(bytes(idat))
    rows: list[bytes] = []
    previous = bytes(stride)
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        if kind == 1:  # Sub
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 0xFF
        elif kind == 2:  # Up
            line = bytearray((a + b) & 0xFF for a, b in zip(line, previous, strict=True))
        elif kind == 3:  # Average
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + ((left + previous[i]) >> 1)) & 0xFF
        elif kind == 4:  # Paeth
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0
                b = previous[i]
                c = previous[i - bpp] if i >= bpp else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
        rows.append(bytes(line))
        previous = bytes(line)
    return width, height, bpp, rows


def test_screenshot_shows_the_report(report: Path, tmp_path: Path) -> None:
    shot = tmp_path / "report.png"
    _chromium(tmp_path, f"--screenshot={shot}", "--window-size=1280,2400", report.as_uri())
    assert shot.is_file() and shot.stat().st_size > 10_000, f"no screenshot at {shot}"
    width, height, bpp, rows = _png_pixels(shot)
    assert (width, height) == (1280, 2400)
    # not blank: the luminance varies and there are many colours
    lumas = [(r * 299 + g * 587 + b * 114) // 1000 for row in rows[::8] for r, g, b in _rgb(row, bpp, 4)]
    mean = sum(lumas) / len(lumas)
    variance = sum((v - mean) ** 2 for v in lumas) / len(lumas)
    assert variance > 200, f"the screenshot looks blank: luminance variance {variance:.1f}"
    colours = {px for row in rows[::8] for px in _rgb(row, bpp, 1)}
    assert len(colours) > 200, f"only {len(colours)} colours in the screenshot"
    # the plots are drawn: the first series' colour (light or dark palette) fills bars and dots
    series_0 = {(0x1F, 0x6F, 0xEB), (0x58, 0xA6, 0xFF)}
    drawn = sum(px in series_0 for row in rows for px in _rgb(row, bpp, 1))
    assert drawn > 2000, f"only {drawn} pixels of the plots' first colour: are the plots drawn?"
    shutil.copy(shot, report.with_suffix(".png"))  # kept beside the report for a look


def _rgb(row: bytes, bpp: int, step: int) -> Iterator[tuple[int, int, int]]:
    for i in range(0, len(row), bpp * step):
        yield row[i], row[i + 1], row[i + 2]


def test_rendered_dom_has_every_plot_and_the_summary_and_loads_nothing(
    report: Path, tmp_path: Path, proxy: _Listener
) -> None:
    html = report.read_text()
    assert "default-src 'none'; style-src 'unsafe-inline'; img-src data:" in html
    assert not re.search(r"https?://", html), "the report references something online"
    result = _chromium(tmp_path, "--virtual-time-budget=5000", "--dump-dom", report.as_uri(), proxy=proxy)
    dom = result.stdout
    assert "<html" in dom[:200].lower() and "</html>" in dom, dom[:500]
    plots = re.findall(r'<svg class="plot[^"]*" data-plot="([^"]+)"[^>]*>(.*?)</svg>', dom, re.S)
    assert [name for name, _body in plots] == [source.plot for source in PLOT_SOURCES]
    for name, body in plots:
        marks = len(
            re.findall(r'<(?:rect|circle|path) class="(?:line )?(?:series-\d|fail|current|trend-\w+)"', body)
        )
        assert marks > 0, f"plot {name} has no data marks in the rendered DOM"
        assert "no data" not in body, f"plot {name} says no data"
    summary = re.search(r'<table class="summary" id="rig-summary">(.*?)</table>', dom, re.S)
    assert summary is not None, "no rig summary table in the rendered DOM"
    rows = re.findall(r"<tr><td><b>(virtual-\d)</b>", summary.group(1))
    assert rows == ["virtual-1", "virtual-2", "virtual-3", "virtual-4"]
    assert ">bad</span>" in summary.group(1) and ">good</span>" in summary.group(1)
    assert proxy.requests == [], f"the report made network requests: {proxy.requests}"


def test_the_content_security_policy_blocks_a_request_the_proxy_would_see(
    report: Path, tmp_path: Path, proxy: _Listener
) -> None:
    """The detector works (a page without the policy reaches the proxy) and the report's policy
    stops even an image someone slipped into it."""
    canary = '<img src="http://report-canary.invalid/pixel.png" alt="">'
    html = report.read_text()
    guarded = tmp_path / "guarded.html"
    guarded.write_text(html.replace("<main>", "<main>" + canary, 1))
    _chromium(tmp_path, "--virtual-time-budget=3000", "--dump-dom", guarded.as_uri(), proxy=proxy)
    assert proxy.requests == [], f"the policy let requests through: {proxy.requests}"
    open_page = tmp_path / "open.html"
    open_page.write_text(re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", guarded.read_text()))
    _chromium(tmp_path, "--virtual-time-budget=3000", "--dump-dom", open_page.as_uri(), proxy=proxy)
    assert any("report-canary.invalid/pixel.png" in line for line in proxy.requests), (
        f"expected the page without a policy to request the canary through the proxy; saw {proxy.requests}"
    )
