"""The HTML report's plots: which check and measurement each one reads (one table, PLOT_SOURCES,
with the names hil/records/sample.py and the harness use), and the data pulled from a run."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from hil.reports import plots
from hil.reports.data import ReportData
from hil.reports.plots import Bar


@dataclass(frozen=True)
class PlotSource:
    plot: str  # the svg's data-plot
    title: str
    measurements: Mapping[str, str]  # check -> the measurement the plot reads (empty: none)
    reads: str  # for people, under the plots

    @property
    def checks(self) -> tuple[str, ...]:
        return tuple(self.measurements)


PLOT_SOURCES: tuple[PlotSource, ...] = (
    PlotSource(
        "time_to_attach",
        "Time to attach",
        {"attach": "time_to_attach"},
        "check attach, measurement time_to_attach (s)",
    ),
    PlotSource(
        "signal",
        "Signal over time (RSRP per rig)",
        {"signal": "rsrp"},
        "check signal, measurement rsrp (dBm)",
    ),
    PlotSource(
        "sms_latency",
        "SMS latency, MO and MT",
        {"sms_mo": "api_latency", "sms_mt": "receive_latency"},
        "checks sms_mo (api_latency) and sms_mt (receive_latency), in seconds",
    ),
    PlotSource(
        "bcl_savings",
        "Energy Saver (BCL) savings per uplink protocol",
        {"uplink_udp": "saving_pct", "uplink_coap": "saving_pct"},
        "checks uplink_udp and uplink_coap, measurement saving_pct (%)",
    ),
    PlotSource("failures", "Failures by class", {}, "failure class of every failed result"),
    PlotSource("trend", "Pass rate across runs of this suite", {}, "the suite's last runs (results DB)"),
)
SOURCES = {source.plot: source for source in PLOT_SOURCES}


@dataclass(frozen=True)
class Figure:
    source: PlotSource
    svg: str
    caption: str


@dataclass
class _Series:
    values: list[tuple[str, str, float, float]]  # (rig, check, started, value)
    low: float | None = None
    high: float | None = None
    unit: str = ""


def _collect(report: ReportData) -> dict[str, _Series]:
    """One pass over the final results: every numeric value each plot reads."""
    wanted: dict[tuple[str, str], str] = {
        (check, name): source.plot for source in PLOT_SOURCES for check, name in source.measurements.items()
    }
    found: dict[str, _Series] = {source.plot: _Series([]) for source in PLOT_SOURCES}
    for result in report.results:
        record = result.final.record
        for step in record.steps:
            for m in step.measurements:
                plot = wanted.get((record.check, m.name))
                if plot is None:
                    continue
                value = m.value
                if isinstance(value, bool) or not isinstance(value, int | float):
                    continue
                scale = 0.001 if m.unit == "ms" else 1.0  # plots show seconds
                series = found[plot]
                if not series.values:
                    series.low = None if m.low is None else m.low * scale
                    series.high = None if m.high is None else m.high * scale
                    series.unit = "s" if m.unit == "ms" else m.unit
                series.values.append((result.final.rig, record.check, record.started, float(value) * scale))
    return found


def _stats(values: Sequence[float]) -> str:
    if not values:
        return "no values"
    ordered = sorted(values)
    median = ordered[len(ordered) // 2]
    return f"n = {len(values)}, median {median:.3g}, min {ordered[0]:.3g}, max {ordered[-1]:.3g}"


def figures(report: ReportData) -> list[Figure]:
    data = _collect(report)
    out: list[Figure] = []

    src = SOURCES["time_to_attach"]
    attach = data[src.plot]
    values = [v for *_rest, v in attach.values]
    out.append(
        Figure(
            src,
            plots.histogram(
                src.plot, src.title, {"time to attach": values}, x_label="seconds", limit=attach.high
            ),
            _stats(values) + (f"; limit ≤ {attach.high:g} s" if attach.high is not None else ""),
        )
    )

    src = SOURCES["signal"]
    signal = data[src.plot]
    start = min((t for _rig, _c, t, _v in signal.values), default=0.0)
    per_rig: dict[str, list[tuple[float, float]]] = {}
    for rig, _check, started, value in signal.values:
        per_rig.setdefault(rig, []).append(((started - start) / 60.0, value))
    out.append(
        Figure(
            src,
            plots.lines(
                src.plot,
                src.title,
                per_rig,
                x_label="minutes since the first signal check",
                y_label="RSRP (dBm)",
                band=(signal.low, signal.high),
                y_range=None if not signal.values else _padded([v for *_r, v in signal.values], signal.low),
            ),
            _stats([v for *_r, v in signal.values])
            + (
                f"; shaded: within {signal.low:g} … {signal.high:g} dBm"
                if signal.low is not None and signal.high is not None
                else ""
            ),
        )
    )

    src = SOURCES["sms_latency"]
    sms = data[src.plot]
    by_direction = {
        "MO": [v for _r, check, _t, v in sms.values if check == "sms_mo"],
        "MT": [v for _r, check, _t, v in sms.values if check == "sms_mt"],
    }
    out.append(
        Figure(
            src,
            plots.histogram(src.plot, src.title, by_direction, x_label="seconds", limit=sms.high),
            "; ".join(f"{name}: {_stats(vs)}" for name, vs in by_direction.items()),
        )
    )

    src = SOURCES["bcl_savings"]
    saving = data[src.plot]
    protocols: dict[str, list[float]] = {}
    for _rig, check, _t, value in saving.values:
        protocols.setdefault(check.removeprefix("uplink_").upper().replace("COAP", "CoAP"), []).append(value)
    bars = [
        Bar(name, sum(vs) / len(vs), min(vs), max(vs), note=f"{sum(vs) / len(vs):.1f}% mean")
        for name, vs in sorted(protocols.items())
    ]
    out.append(
        Figure(
            src,
            plots.bars(src.plot, src.title, bars, y_label="bytes saved vs JSON (%)", y_max=100.0),
            "; ".join(f"{b.label}: mean {b.value:.1f}%, min {b.low:.1f}%, max {b.high:.1f}%" for b in bars)
            or "no uplink results",
        )
    )

    src = SOURCES["failures"]
    classes: dict[str, int] = {}
    for result in report.results:
        if not result.final.record.passed:
            label = result.final.record.failure_class or "unclassified"
            classes[label] = classes.get(label, 0) + 1
    ordered = sorted(classes.items(), key=lambda item: (-item[1], item[0]))
    out.append(
        Figure(
            src,
            plots.bars(
                src.plot,
                src.title,
                [Bar(name, count, css="fail") for name, count in ordered],
                y_label="failed results",
            )
            if ordered
            else plots.no_data(src.plot, src.title, "no data: no failures"),
            ", ".join(f"{name}: {count}" for name, count in ordered) or "every result passed",
        )
    )

    src = SOURCES["trend"]
    trend = [s for s in report.trend if s.counts.pass_rate is not None]
    trend_bars = [
        Bar(
            f"#{s.id}",
            100.0 * (s.counts.pass_rate or 0.0),
            css="current"
            if s.id == report.run.id
            else ("trend-bad" if s.status != "passed" else "trend-good"),
            note=f"{100.0 * (s.counts.pass_rate or 0.0):.0f}%",
        )
        for s in trend
    ]
    out.append(
        Figure(
            src,
            plots.bars(src.plot, src.title, trend_bars, y_label="pass rate (%)", y_max=100.0),
            f"last {len(trend)} run(s) of suite {report.run.suite!r}; this run (#{report.run.id}) in blue, "
            "earlier runs green when they passed, red when not",
        )
    )
    return out


def _padded(values: Sequence[float], low: float | None) -> tuple[float, float]:
    """The y range: the values, and the lower limit when it is near them."""
    lo, hi = min(values), max(values)
    if low is not None and math.isfinite(low) and lo - 20 <= low < lo:
        lo = low
    return lo - 2, hi + 2
