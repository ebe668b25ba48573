"""Small, dependency-free SVG line charts for pages (cumulative dose, labs, PHQ-9 ...).

Why hand-written instead of matplotlib: the page's Content-Security-Policy forbids inline ``style``
attributes, and matplotlib's SVG is full of them. This module only emits SVG *presentation
attributes* (``stroke``, ``fill``, ``stroke-dasharray`` ...), which CSP does not treat as styles, so
the chart can be embedded inline in the page, is readable by screen readers (``role="img"`` with
``<title>``/``<desc>``) and prints as it looks.

Usage::

    from clearcourse.core.charts import Series, Threshold, line_chart

    svg = line_chart(
        title=_("Cumulative dose"),
        desc=_("Actual cumulative dose against the 120 mg/kg target; projected end 2027-03-01."),
        series=[Series(_("Actual"), [(date1, 0.0), (date2, 18.4)])],
        projected=Series(_("Projected"), [(date2, 18.4), (end, 120.0)]),
        thresholds=[Threshold(_("Target 120 mg/kg"), 120.0, kind="target")],
        y_label="mg/kg",
    )
    # in the template: {{ svg }}  (the result is a SafeString: every text in it is escaped here)

The result always parses as XML. Every label, title and tooltip is escaped.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

from django.utils import formats
from django.utils.safestring import SafeString, mark_safe

from clearcourse.core import clock

Point = tuple[dt.date, float]

# Colour-blind-safe palette (Okabe-Ito); every series also differs by marker shape.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9")
THRESHOLD_COLOURS = {"target": "#1e7a46", "upper": "#b3261e", "lower": "#9a6200", "info": "#5b6775"}
MARKERS = ("circle", "square", "diamond", "triangle")

_id_counter = itertools.count(1)


@dataclass(frozen=True, slots=True)
class Series:
    """One line. ``dashed`` draws it dashed (used for projections)."""

    label: str
    points: Sequence[Point]
    dashed: bool = False
    colour: str | None = None
    show_points: bool = True


@dataclass(frozen=True, slots=True)
class Threshold:
    """A horizontal line across the chart: a target or a limit. ``kind`` is target/upper/lower/info."""

    label: str
    value: float
    kind: str = "target"


@dataclass(frozen=True, slots=True)
class Marker:
    """A vertical line on one date (for example "today")."""

    label: str
    on: dt.date


@dataclass(frozen=True, slots=True)
class _Frame:
    width: int
    height: int
    left: int = 64
    right: int = 24
    top: int = 20
    bottom: int = 48
    x0: dt.date = dt.date(2000, 1, 1)
    x1: dt.date = dt.date(2000, 1, 2)
    y0: float = 0.0
    y1: float = 1.0

    @property
    def plot_w(self) -> float:
        return self.width - self.left - self.right

    @property
    def plot_h(self) -> float:
        return self.height - self.top - self.bottom

    def x(self, day: dt.date) -> float:
        span = max((self.x1 - self.x0).days, 1)
        return self.left + (day - self.x0).days / span * self.plot_w

    def y(self, value: float) -> float:
        span = (self.y1 - self.y0) or 1.0
        return self.top + (1 - (value - self.y0) / span) * self.plot_h


def _fmt(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values (1, 2, 2.5, 5 x 10^n steps) covering low..high."""
    if not math.isfinite(low) or not math.isfinite(high):
        return [0.0, 1.0]
    if high <= low:
        high = low + 1
    raw = (high - low) / max(count, 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    start = math.floor(low / step) * step
    ticks: list[float] = []
    value = start
    while value <= high + step * 1e-9:
        ticks.append(round(value, 10))
        value += step
    if ticks[-1] < high:
        ticks.append(round(value, 10))
    return ticks


def date_ticks(first: dt.date, last: dt.date, max_ticks: int = 8) -> list[dt.date]:
    """First-of-month ticks (every n months so there are at most ``max_ticks``); days for short spans."""
    span = (last - first).days
    if span <= 31:
        step = max(1, math.ceil(max(span, 1) / max_ticks))
        return [first + dt.timedelta(days=i) for i in range(0, span + 1, step)]
    months: list[dt.date] = []
    month = dt.date(first.year, first.month, 1)
    if month < first:
        month = _add_months(month, 1)
    while month <= last:
        months.append(month)
        month = _add_months(month, 1)
    every = max(1, math.ceil(len(months) / max_ticks))
    return months[::every]


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.month - 1 + months
    return dt.date(day.year + index // 12, index % 12 + 1, 1)


def _marker(shape: str, x: float, y: float, colour: str, tooltip: str) -> str:
    tip = f"<title>{escape(tooltip)}</title>"
    if shape == "square":
        return (f'<rect x="{x - 3.5:.1f}" y="{y - 3.5:.1f}" width="7" height="7" fill="{colour}">'
                f"{tip}</rect>")
    if shape == "diamond":
        pts = f"{x:.1f},{y - 4.5:.1f} {x + 4.5:.1f},{y:.1f} {x:.1f},{y + 4.5:.1f} {x - 4.5:.1f},{y:.1f}"
        return f'<polygon points="{pts}" fill="{colour}">{tip}</polygon>'
    if shape == "triangle":
        pts = f"{x:.1f},{y - 4.5:.1f} {x + 4.5:.1f},{y + 3.5:.1f} {x - 4.5:.1f},{y + 3.5:.1f}"
        return f'<polygon points="{pts}" fill="{colour}">{tip}</polygon>'
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{colour}">{tip}</circle>'


def line_chart(
    *,
    title: str,
    desc: str,
    series: Sequence[Series],
    projected: Series | Sequence[Series] | None = None,
    thresholds: Sequence[Threshold] = (),
    markers: Sequence[Marker] = (),
    y_label: str = "",
    y_min: float | None = 0.0,
    y_max: float | None = None,
    x_min: dt.date | None = None,
    x_max: dt.date | None = None,
    width: int = 760,
    height: int = 340,
    date_format: str = "YEAR_MONTH_FORMAT",
    value_unit: str = "",
    empty_text: str = "No data yet.",
    css_class: str = "chart-svg",
) -> SafeString:
    """An SVG line chart over dates, as a string safe to embed inline in a page.

    ``series`` are solid lines with point markers; ``projected`` lines are dashed (a projection);
    ``thresholds`` are horizontal lines labelled at the right edge; ``markers`` are vertical lines.
    ``title`` and ``desc`` become the accessible name and description: put the numbers a sighted
    reader gets from the picture into ``desc``.
    """
    projected_list: list[Series]
    if projected is None:
        projected_list = []
    elif isinstance(projected, Series):
        projected_list = [projected]
    else:
        projected_list = list(projected)
    all_series = [*series, *(Series(p.label, p.points, True, p.colour, p.show_points) for p in projected_list)]
    points = [pt for s in all_series for pt in s.points]
    uid = f"chart{next(_id_counter)}"
    title_id, desc_id = f"{uid}-title", f"{uid}-desc"

    dates = [d for d, _ in points] + [m.on for m in markers]
    values = [v for _, v in points] + [t.value for t in thresholds]
    first = x_min or (min(dates) if dates else clock.today())
    last = x_max or (max(dates) if dates else first + dt.timedelta(days=30))
    if last <= first:
        last = first + dt.timedelta(days=1)
    low = y_min if y_min is not None else (min(values) if values else 0.0)
    high = y_max if y_max is not None else (max(values) if values else 1.0)
    if high <= low:
        high = low + 1
    y_ticks = nice_ticks(low, high)
    frame = _Frame(width=width, height=height, x0=first, x1=last, y0=y_ticks[0], y1=y_ticks[-1])

    out: list[str] = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class={quoteattr(css_class)} role="img" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'aria-labelledby="{title_id} {desc_id}" font-family="system-ui, sans-serif" font-size="12">',
        f'<title id="{title_id}">{escape(title)}</title>',
        f'<desc id="{desc_id}">{escape(desc)}</desc>',
        f'<rect x="{frame.left}" y="{frame.top}" width="{frame.plot_w:.1f}" height="{frame.plot_h:.1f}" '
        f'fill="#ffffff" stroke="#d8dee6"/>',
    ]

    # Grid and axes.
    out.append('<g class="chart-grid" aria-hidden="true">')
    for tick in y_ticks:
        y = frame.y(tick)
        out.append(f'<line x1="{frame.left}" x2="{frame.left + frame.plot_w:.1f}" y1="{y:.1f}" y2="{y:.1f}" '
                   f'stroke="#eef2f6"/>')
        out.append(f'<text x="{frame.left - 8}" y="{y + 4:.1f}" text-anchor="end" fill="#5b6775">'
                   f"{escape(_fmt(tick))}</text>")
    for day in date_ticks(first, last):
        x = frame.x(day)
        out.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{frame.top}" y2="{frame.top + frame.plot_h:.1f}" '
                   f'stroke="#eef2f6"/>')
        out.append(f'<text x="{x:.1f}" y="{frame.top + frame.plot_h + 18:.1f}" text-anchor="middle" '
                   f'fill="#5b6775">{escape(formats.date_format(day, date_format))}</text>')
    if y_label:
        out.append(f'<text x="14" y="{frame.top + frame.plot_h / 2:.1f}" text-anchor="middle" fill="#5b6775" '
                   f'transform="rotate(-90 14 {frame.top + frame.plot_h / 2:.1f})">{escape(y_label)}</text>')
    out.append("</g>")

    if not points:
        out.append(f'<text x="{frame.left + frame.plot_w / 2:.1f}" y="{frame.top + frame.plot_h / 2:.1f}" '
                   f'text-anchor="middle" fill="#5b6775">{escape(empty_text)}</text>')

    # Thresholds (horizontal) and markers (vertical).
    for threshold in thresholds:
        colour = THRESHOLD_COLOURS.get(threshold.kind, THRESHOLD_COLOURS["info"])
        y = frame.y(threshold.value)
        out.append(
            f'<g class="chart-threshold chart-threshold-{escape(threshold.kind)}">'
            f'<line x1="{frame.left}" x2="{frame.left + frame.plot_w:.1f}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="{colour}" stroke-width="1.5" stroke-dasharray="2 3"><title>{escape(threshold.label)}</title>'
            f"</line>"
            f'<text x="{frame.left + frame.plot_w - 4:.1f}" y="{y - 5:.1f}" text-anchor="end" fill="{colour}" '
            f'font-weight="600">{escape(threshold.label)}</text></g>'
        )
    for marker in markers:
        if not first <= marker.on <= last:
            continue
        x = frame.x(marker.on)
        # Near the right edge the label goes to the left of its line, so it is not cut off.
        near_right = x + 8 + 7 * len(marker.label) > frame.left + frame.plot_w
        label_x, anchor = (x - 4, "end") if near_right else (x + 4, "start")
        out.append(
            f'<g class="chart-marker"><line x1="{x:.1f}" x2="{x:.1f}" y1="{frame.top}" '
            f'y2="{frame.top + frame.plot_h:.1f}" stroke="#5b6775" stroke-width="1"/>'
            f'<text x="{label_x:.1f}" y="{frame.top + 12}" text-anchor="{anchor}" fill="#5b6775">'
            f"{escape(marker.label)}</text></g>"
        )

    # Lines.
    legend: list[tuple[str, str, bool, str]] = []
    solid_index = 0
    for item in all_series:
        if item.dashed:
            colour = item.colour or "#5b6775"
            shape = "circle"
        else:
            colour = item.colour or PALETTE[solid_index % len(PALETTE)]
            shape = MARKERS[solid_index % len(MARKERS)]
            solid_index += 1
        legend.append((item.label, colour, item.dashed, shape))
        ordered = sorted(item.points, key=lambda p: p[0])
        if not ordered:
            continue
        kind = "projected" if item.dashed else "actual"
        out.append(f'<g class="chart-series chart-series-{kind}">')
        coords = " ".join(f"{frame.x(d):.1f},{frame.y(v):.1f}" for d, v in ordered)
        dash = ' stroke-dasharray="7 5"' if item.dashed else ""
        out.append(f'<polyline points="{coords}" fill="none" stroke="{colour}" stroke-width="2.5"'
                   f'{dash} stroke-linejoin="round"><title>{escape(item.label)}</title></polyline>')
        if item.show_points:
            for day, value in ordered:
                tip = f"{item.label}: {formats.date_format(day, 'DATE_FORMAT')}, {_fmt(value)}{(' ' + value_unit) if value_unit else ''}"
                out.append(_marker(shape if not item.dashed else "circle", frame.x(day), frame.y(value),
                                   colour, tip))
        out.append("</g>")

    # Legend along the bottom.
    if legend:
        out.append('<g class="chart-legend">')
        x = float(frame.left)
        y = height - 10
        for label, colour, dashed, shape in legend:
            dash = ' stroke-dasharray="7 5"' if dashed else ""
            out.append(f'<line x1="{x:.1f}" x2="{x + 24:.1f}" y1="{y - 4}" y2="{y - 4}" stroke="{colour}" '
                       f'stroke-width="2.5"{dash}/>')
            if not dashed:
                out.append(_marker(shape, x + 12, y - 4, colour, label))
            out.append(f'<text x="{x + 30:.1f}" y="{y}" fill="#1d2733">{escape(label)}</text>')
            x += 40 + 7 * len(label)
        out.append("</g>")

    out.append("</svg>")
    return mark_safe("".join(out))  # noqa: S308 - every text above is escaped
