from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

from clearcourse.core.charts import Marker, Series, Threshold, date_ticks, line_chart, nice_ticks

SVG = "{http://www.w3.org/2000/svg}"


def _parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314 - our own output, not untrusted input


def _chart() -> str:
    start = dt.date(2026, 6, 1)
    return line_chart(
        title="Cumulative dose <mg/kg>",
        desc="Actual & target",
        series=[Series("Actual", [(start, 0.0), (start + dt.timedelta(days=30), 18.0),
                                  (start + dt.timedelta(days=60), 36.0)])],
        projected=Series("Projected", [(start + dt.timedelta(days=60), 36.0), (dt.date(2027, 1, 10), 120.0)]),
        thresholds=[Threshold("Target 120 mg/kg", 120.0, kind="target")],
        markers=[Marker("Today", start + dt.timedelta(days=60))],
        y_label="mg/kg",
    )


def test_the_chart_is_well_formed_xml_with_an_accessible_title_and_description() -> None:
    root = _parse(_chart())
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    title = root.find(f"{SVG}title")
    desc = root.find(f"{SVG}desc")
    assert title is not None and title.text == "Cumulative dose <mg/kg>"
    assert desc is not None and desc.text == "Actual & target"
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"


def test_the_chart_draws_a_target_line_and_a_dashed_projection() -> None:
    root = _parse(_chart())
    groups = {g.get("class"): g for g in root.iter(f"{SVG}g")}
    target = groups["chart-threshold chart-threshold-target"]
    line = target.find(f"{SVG}line")
    assert line is not None and line.get("y1") == line.get("y2")
    projected = groups["chart-series chart-series-projected"].find(f"{SVG}polyline")
    assert projected is not None and projected.get("stroke-dasharray")
    actual = groups["chart-series chart-series-actual"].find(f"{SVG}polyline")
    assert actual is not None and actual.get("stroke-dasharray") is None
    assert len(actual.get("points", "").split()) == 3


def test_the_chart_has_no_style_attributes_so_the_csp_allows_it_inline() -> None:
    svg = _chart()
    assert "style=" not in svg and "<style" not in svg and "<script" not in svg


def test_an_empty_chart_still_parses_and_says_so() -> None:
    root = _parse(line_chart(title="t", desc="d", series=[], empty_text="Nothing yet"))
    assert any(t.text == "Nothing yet" for t in root.iter(f"{SVG}text"))


def test_ticks_are_round_and_cover_the_range() -> None:
    ticks = nice_ticks(0, 137)
    assert ticks[0] == 0 and ticks[-1] >= 137
    assert all(t % 25 == 0 for t in ticks)
    months = date_ticks(dt.date(2026, 1, 15), dt.date(2026, 12, 20))
    assert all(d.day == 1 for d in months) and len(months) <= 8
