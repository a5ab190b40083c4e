"""Small inline-SVG charts for the HTML report: no JavaScript, no external files, no matplotlib.

Every chart is one `<svg class="plot">` with a viewBox (it scales with its box), a <title> for
screen readers, and classes instead of colours (`series-N`, `pass`, `fail`, `grid`, `axis`) so the
page's CSS decides the palette in light and dark mode. A chart with nothing to show is still an
<svg>: it says "no data" rather than vanishing.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape

WIDTH = 560
HEIGHT = 260
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 16, 44
SERIES_CLASSES = 8  # series-0 .. series-7 in the page's CSS


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    low: float | None = None  # an optional whisker (e.g. min .. max)
    high: float | None = None
    css: str = ""  # extra class, e.g. "fail"
    note: str = ""  # text on the bar's end, defaults to the value


def _fmt(value: float) -> str:
    if value == 0:
        return "0"
    magnitude = abs(value)
    if magnitude >= 1000 or magnitude < 0.01:
        return f"{value:.3g}"
    return f"{value:.4g}"


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values covering low..high (1, 2, 5 × 10^n steps)."""
    if not math.isfinite(low) or not math.isfinite(high):
        return [0.0, 1.0]
    if high <= low:
        high = low + (abs(low) or 1.0)
    raw = (high - low) / max(count, 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    first = math.floor(low / step) * step
    ticks = []
    value = first
    while value < high + step * 0.999:
        ticks.append(round(value, 10))
        value += step
    return ticks


class _Canvas:
    def __init__(self, title: str, height: int = HEIGHT, *, legend: bool = False) -> None:
        self.title = title
        self.height = height
        self.top = TOP + (18 if legend else 0)
        self.parts: list[str] = []
        self.marks = 0

    @property
    def plot_w(self) -> float:
        return WIDTH - LEFT - RIGHT

    @property
    def plot_h(self) -> float:
        return self.height - self.top - BOTTOM

    def add(self, svg: str, *, mark: bool = False) -> None:
        self.parts.append(svg)
        self.marks += mark

    def text(self, x: float, y: float, text: str, css: str, anchor: str = "middle", extra: str = "") -> None:
        self.add(
            f'<text x="{x:.1f}" y="{y:.1f}" class="{css}" text-anchor="{anchor}"{extra}>{escape(text)}</text>'
        )

    def y_axis(self, ticks: Sequence[float], scale_y: _Scale, label: str) -> None:
        for tick in ticks:
            y = scale_y(tick)
            self.add(f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>')
            self.text(LEFT - 6, y + 4, _fmt(tick), "tick", "end")
        self.text(
            14,
            self.top + self.plot_h / 2,
            label,
            "axis-label",
            extra=f' transform="rotate(-90 14 {self.top + self.plot_h / 2:.1f})"',
        )

    def x_ticks(self, ticks: Sequence[float], scale_x: _Scale, label: str) -> None:
        base = self.top + self.plot_h
        for tick in ticks:
            x = scale_x(tick)
            self.add(f'<line class="axis" x1="{x:.1f}" x2="{x:.1f}" y1="{base}" y2="{base + 4}"/>')
            self.text(x, base + 16, _fmt(tick), "tick")
        self.x_label(label)

    def x_label(self, label: str) -> None:
        self.text(LEFT + self.plot_w / 2, self.height - 6, label, "axis-label")

    def frame(self) -> None:
        base = self.top + self.plot_h
        self.add(f'<line class="axis" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{base}" y2="{base}"/>')

    def legend(self, names: Sequence[str]) -> None:
        x = LEFT + 8
        for index, name in enumerate(names):
            css = f"series-{index % SERIES_CLASSES}"
            self.add(f'<rect class="{css}" x="{x:.1f}" y="{TOP + 2}" width="10" height="10" rx="2"/>')
            self.text(x + 14, TOP + 11, name, "legend", "start")
            x += 24 + 7 * len(name)

    def svg(self, kind: str) -> str:
        body = "".join(self.parts)
        return (
            f'<svg class="plot" data-plot="{escape(kind)}" data-marks="{self.marks}" '
            f'viewBox="0 0 {WIDTH} {self.height}" role="img">'
            f"<title>{escape(self.title)}</title>{body}</svg>"
        )


class _Scale:
    """Linear map from data to pixels."""

    def __init__(self, d0: float, d1: float, p0: float, p1: float) -> None:
        self.d0, self.p0, self.p1 = d0, p0, p1
        self.k = (p1 - p0) / (d1 - d0) if d1 != d0 else 0.0

    def __call__(self, value: float) -> float:
        return self.p0 + (value - self.d0) * self.k


def no_data(kind: str, title: str, why: str = "no data") -> str:
    canvas = _Canvas(title, height=120)
    canvas.add(f'<rect class="empty" x="1" y="1" width="{WIDTH - 2}" height="118" rx="8"/>')
    canvas.text(WIDTH / 2, 58, why, "no-data")
    canvas.text(WIDTH / 2, 80, title, "tick")
    return canvas.svg(kind).replace('class="plot"', 'class="plot no-data"', 1)


def histogram(
    kind: str,
    title: str,
    series: Mapping[str, Sequence[float]],
    *,
    x_label: str,
    bins: int = 20,
    limit: float | None = None,
) -> str:
    """Counts of values per bin; several series share the bins side by side; `limit` draws a
    dashed line (e.g. the upper limit of the measurement)."""
    values = [v for vs in series.values() for v in vs if math.isfinite(v)]
    if not values:
        return no_data(kind, title)
    low, high = min(values), max(values)
    if limit is not None and limit > high and limit < high + (high - low) * 0.5 + 1:
        high = limit
    if high == low:
        low, high = low - 0.5, high + 0.5
    width = (high - low) / bins
    counts = {name: [0] * bins for name in series}
    for name, vs in series.items():
        for v in vs:
            if math.isfinite(v):
                counts[name][min(int((v - low) / width), bins - 1)] += 1
    canvas = _Canvas(title, legend=len(series) > 1)
    top = max(max(c) for c in counts.values())
    y_ticks = nice_ticks(0, top, 4)
    sy = _Scale(0, y_ticks[-1], canvas.top + canvas.plot_h, canvas.top)
    sx = _Scale(low, high, LEFT, LEFT + canvas.plot_w)
    canvas.y_axis(y_ticks, sy, "count")
    slot = canvas.plot_w / bins
    bar_w = max((slot - 2) / len(series), 1.0)
    for index, name in enumerate(series):
        css = f"series-{index % SERIES_CLASSES}"
        for b, count in enumerate(counts[name]):
            if not count:
                continue
            x = LEFT + b * slot + 1 + index * bar_w
            y = sy(count)
            label = f"{name}: {low + b * width:.3g}–{low + (b + 1) * width:.3g}: {count}"
            canvas.add(
                f'<rect class="{css}" x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" '
                f'height="{canvas.top + canvas.plot_h - y:.1f}"><title>{escape(label)}</title></rect>',
                mark=True,
            )
    if limit is not None and low <= limit <= high:
        x = sx(limit)
        canvas.add(
            f'<line class="limit" x1="{x:.1f}" x2="{x:.1f}" y1="{canvas.top}" '
            f'y2="{canvas.top + canvas.plot_h}"/>'
        )
        canvas.text(x - 4, canvas.top + 12, f"limit {_fmt(limit)}", "limit-label", "end")
    canvas.frame()
    canvas.x_ticks(_inside(nice_ticks(low, high, 6), low, high), sx, x_label)
    if len(series) > 1:
        canvas.legend(list(series))
    return canvas.svg(kind)


def _inside(ticks: Sequence[float], low: float, high: float) -> list[float]:
    span = (high - low) * 1e-9
    return [t for t in ticks if low - span <= t <= high + span]


def lines(
    kind: str,
    title: str,
    series: Mapping[str, Sequence[tuple[float, float]]],
    *,
    x_label: str,
    y_label: str,
    band: tuple[float | None, float | None] | None = None,
    y_range: tuple[float, float] | None = None,
    dots: bool = True,
) -> str:
    """One line (with dots while there are few points) per series; `band` shades the limits."""
    points = [p for ps in series.values() for p in ps if math.isfinite(p[0]) and math.isfinite(p[1])]
    if not points:
        return no_data(kind, title)
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    x0, x1 = min(xs), max(xs)
    if x1 == x0:
        x0, x1 = x0 - 1, x1 + 1
    y0, y1 = y_range if y_range else (min(ys), max(ys))
    y_ticks = nice_ticks(y0, y1, 5)
    canvas = _Canvas(title, legend=True)
    sy = _Scale(y_ticks[0], y_ticks[-1], canvas.top + canvas.plot_h, canvas.top)
    sx = _Scale(x0, x1, LEFT + 6, LEFT + canvas.plot_w - 6)
    canvas.y_axis(y_ticks, sy, y_label)
    if band is not None:
        lo = y_ticks[0] if band[0] is None else max(band[0], y_ticks[0])
        hi = y_ticks[-1] if band[1] is None else min(band[1], y_ticks[-1])
        if hi > lo:
            canvas.add(
                f'<rect class="band" x="{LEFT}" y="{sy(hi):.1f}" width="{canvas.plot_w}" '
                f'height="{sy(lo) - sy(hi):.1f}"><title>within limits</title></rect>'
            )
    few = len(points) <= 400
    for index, (name, ps) in enumerate(series.items()):
        css = f"series-{index % SERIES_CLASSES}"
        ordered = sorted(p for p in ps if math.isfinite(p[0]) and math.isfinite(p[1]))
        if not ordered:
            continue
        path = "M" + "L".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in ordered)
        canvas.add(f'<path class="line {css}" d="{path}"><title>{escape(name)}</title></path>', mark=True)
        if dots and few:
            for x, y in ordered:
                canvas.add(
                    f'<circle class="{css}" cx="{sx(x):.1f}" cy="{sy(y):.1f}" r="2.6">'
                    f"<title>{escape(name)}: {_fmt(y)}</title></circle>",
                    mark=True,
                )
    canvas.frame()
    canvas.x_ticks(_inside(nice_ticks(x0, x1, 6), x0, x1), sx, x_label)
    canvas.legend(list(series))
    return canvas.svg(kind)


def bars(
    kind: str,
    title: str,
    items: Sequence[Bar],
    *,
    y_label: str,
    y_max: float | None = None,
    unit: str = "",
) -> str:
    """Vertical bars with their value written on top, optional min–max whiskers."""
    if not items:
        return no_data(kind, title)
    top = max(*(b.high if b.high is not None else b.value for b in items), y_max or 0.0)
    canvas = _Canvas(title, legend=True)  # the legend's room holds the value labels of full bars
    y_ticks = nice_ticks(0, (top or 1.0) * (1.0 if y_max and top <= y_max else 1.12), 4)
    sy = _Scale(0, y_ticks[-1], canvas.top + canvas.plot_h, canvas.top)
    canvas.y_axis(y_ticks, sy, y_label)
    slot = canvas.plot_w / len(items)
    bar_w = min(slot * 0.6, 90.0)
    for index, bar in enumerate(items):
        cx = LEFT + slot * (index + 0.5)
        y = sy(bar.value)
        css = bar.css or f"series-{index % SERIES_CLASSES}"
        note = bar.note or f"{_fmt(bar.value)}{unit}"
        canvas.add(
            f'<rect class="{css}" x="{cx - bar_w / 2:.1f}" y="{y:.1f}" width="{bar_w:.1f}" '
            f'height="{canvas.top + canvas.plot_h - y:.1f}" rx="2"><title>{escape(bar.label)}: {escape(note)}'
            "</title></rect>",
            mark=True,
        )
        if bar.low is not None and bar.high is not None:
            y_lo, y_hi = sy(bar.low), sy(bar.high)
            canvas.add(
                f'<path class="whisker" d="M{cx:.1f},{y_lo:.1f}V{y_hi:.1f}M{cx - 8:.1f},{y_lo:.1f}'
                f'H{cx + 8:.1f}M{cx - 8:.1f},{y_hi:.1f}H{cx + 8:.1f}"/>'
            )
        label_y = min(y, sy(bar.high) if bar.high is not None else y) - 6
        canvas.text(cx, max(label_y, canvas.top + 10), note, "value-label")
        canvas.text(cx, canvas.top + canvas.plot_h + 16, bar.label, "tick")
    canvas.frame()
    return canvas.svg(kind)
