"""Charts for the course monitoring page, drawn with :mod:`clearcourse.core.charts` (inline, CSP-safe SVG).

Lab values are charted in the canonical unit stored with each result (mg/dL for lipids); ALT and AST
as a multiple of the lab's upper limit of normal, because that is what the thresholds compare. The
clinic's alert thresholds are drawn as limit lines; PHQ-9 scores show the band cut points the core
scores with.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from clearcourse.core.charts import Series, Threshold, line_chart
from clearcourse.core.dates import show_date
from clearcourse.rules import labs, mood

if TYPE_CHECKING:
    from clearcourse.monitoring.selectors import CourseMonitoring


@dataclass(frozen=True, slots=True)
class Chart:
    title: str
    svg: SafeString


_SEVERITY_KIND = {"info": "info", "warning": "lower", "urgent": "upper"}


def _threshold_lines(analyte: labs.Analyte, thresholds: tuple[labs.LabThreshold, ...],
                     unit: labs.Unit) -> list[Threshold]:
    lines = []
    for t in thresholds:
        if t.analyte != analyte:
            continue
        bound = t.bound if t.unit in (unit, labs.Unit.X_ULN) else labs.convert(analyte, t.bound, t.unit, unit)
        shown = f"{bound:.0f}" if bound >= 20 else f"{bound:g}"
        label = f"{shown} {'x ULN' if unit == labs.Unit.X_ULN else unit.value} ({_(t.severity.value)})"
        lines.append(Threshold(label, bound, kind=_SEVERITY_KIND.get(t.severity.value, "info")))
    return lines


def phq9_cut_points() -> list[tuple[int, str]]:
    """Where the core's PHQ-9 band changes (the lowest score of each band above minimal)."""
    points: list[tuple[int, str]] = []
    previous = mood.phq9_band(0)
    for total in range(1, 28):
        band = mood.phq9_band(total)
        if band != previous:
            points.append((total, band.value))
            previous = band
    return points


def course_charts(data: CourseMonitoring) -> list[Chart]:
    charts: list[Chart] = []
    thresholds = data.config.thresholds
    by_analyte: dict[str, list[tuple[dt.date, float, float | None]]] = {}
    for result in data.labs:
        by_analyte.setdefault(result.analyte, []).append(
            (result.collected_on, float(result.canonical_value), float(result.uln) if result.uln else None))
    for analyte in labs.Analyte:
        rows = by_analyte.get(analyte.value)
        if not rows or analyte in labs.QUALITATIVE_ANALYTES:
            continue
        name = _(labs.ANALYTE_NAMES[analyte])
        if analyte in labs.ENZYMES:
            unit = labs.Unit.X_ULN
            points = [(d, v / uln) for d, v, uln in rows if uln]
            y_label = _("multiple of the upper limit of normal")
        else:
            unit = labs.ACCEPTED_UNITS[analyte][0]
            points = [(d, v) for d, v, _uln in rows]
            y_label = unit.value
        lines = _threshold_lines(analyte, thresholds, unit)
        latest = points[-1] if points else None
        desc = _("%(count)s results; latest %(value)s on %(date)s. Lines mark the clinic's alert thresholds.") % {
            "count": len(points), "value": f"{latest[1]:.2f}" if latest else "-",
            "date": show_date(latest[0]) if latest else "-"}
        charts.append(Chart(name, line_chart(
            title=name, desc=desc, series=[Series(name, points)], thresholds=lines, y_label=y_label,
            value_unit="x ULN" if unit == labs.Unit.X_ULN else unit.value, empty_text=_("No data yet."),
        )))
    phq9 = [(s.screened_on, float(s.score)) for s in data.screens
            if s.instrument in (mood.Instrument.PHQ9.value, mood.Instrument.PHQ9_TEEN.value)]
    if phq9:
        title = _("PHQ-9 score")
        cuts = [Threshold(f"{score}: {_(band.replace('_', ' '))}", float(score),
                          kind="upper" if band == mood.Band.SEVERE.value else "info")
                for score, band in phq9_cut_points()]
        desc = _("%(count)s questionnaires; latest score %(score)s on %(date)s.") % {
            "count": len(phq9), "score": f"{phq9[-1][1]:.0f}", "date": show_date(phq9[-1][0])}
        charts.append(Chart(title, line_chart(title=title, desc=desc, series=[Series(title, phq9)], thresholds=cuts,
                                              y_label=_("score (0-27)"), y_max=27.0, empty_text=_("No data yet."))))
    return charts
