"""Server-rendered, accessible SVG bar charts for the board report.

Why a small module of our own rather than a charting library: the report needs one chart type
(horizontal bars, one or a few series) and three properties that libraries make hard here:
1. small-cell suppression must reach the chart itself (a suppressed count is drawn as a hatched
   bar of the threshold's length labelled "<5", so no bar length reveals a hidden value);
2. the page's strict CSP forbids inline styles and scripts: Python SVG libraries (pygal,
   matplotlib's SVG backend, leather) emit style attributes or <style>/<script> elements, so
   colours here come from classes in static/css/app.css (light, dark and print);
3. no new dependency for ~100 lines of markup; every function is covered by
   tests/test_reports_charts.py (structure, escaping, suppression, scaling).

Layout: each category's label sits on its own line above its bars, so the chart stays legible
at 320 px (the viewBox scales to the container's width) and in print.  Each chart has <title>
and <desc> referenced by aria-labelledby, and the page shows the same numbers in a data table
next to it.
"""

import textwrap

from markupsafe import Markup, escape

from fieldapp.reports.suppression import Cell

WIDTH = 320  # viewBox units; at phone width (~360 px) one unit is about one pixel
LABEL_HEIGHT = 19
BAR_HEIGHT = 16
GAP = 10
VALUE_ROOM = 48  # room right of the longest bar for its value label
LABEL_CHARS = 44  # longer category labels are shortened in the chart (the table has them)
LEGEND_HEIGHT = 22
MAX_SERIES_CLASSES = 4


def _scale(rows: list[tuple[str, list[Cell]]]) -> float:
    longest = max((cell.chart_value for _, cells in rows for cell in cells), default=0.0)
    return (WIDTH - VALUE_ROOM) / longest if longest > 0 else 0.0


def shortened(label: str) -> str:
    """A label cut to LABEL_CHARS with "…" (the table and the tooltip have it whole)."""
    if len(label) <= LABEL_CHARS:
        return label
    return label[: LABEL_CHARS - 1].rstrip() + "…"


def label_lines(labels: list[str]) -> list[list[str]]:
    """The lines each label is drawn on: shortened to one line, unless two labels would then
    read the same (issue 19: "Harbourside Mobile Crisis Team (demo) — …" for two of its
    services), in which case those are drawn whole over as many lines as they need."""
    cut = [shortened(label) for label in labels]
    seen: dict[str, int] = {}
    for text in cut:
        seen[text] = seen.get(text, 0) + 1
    return [textwrap.wrap(label, LABEL_CHARS) or [""] if seen[text] > 1 and text != label
            else [text] for label, text in zip(labels, cut, strict=True)]


def bar_chart(chart_id: str, title: str, desc: str, series: list[str],
              rows: list[tuple[str, list[Cell]]]) -> Markup:
    """A horizontal bar chart: `rows` are (category label, one Cell per series)."""
    chart_id = str(escape(chart_id))
    scale = _scale(rows)
    parts = []
    y = 0
    if len(series) > 1:
        x = 0
        for i, name in enumerate(series):
            parts.append(
                f'<rect class="chart-bar chart-s{i % MAX_SERIES_CLASSES}" x="{x}" y="{y + 3}" '
                f'width="12" height="12"/>'
                f'<text class="chart-legend" x="{x + 16}" y="{y + 13}">{escape(name)}</text>')
            x += 28 + 8 * len(name)
        y += LEGEND_HEIGHT
    for (label, cells), lines in zip(rows, label_lines([label for label, _ in rows]),
                                     strict=True):
        # The full label and the row's values as the row's tooltip (the table has them too).
        values = ", ".join(f"{name}: {cell.text}" for name, cell in zip(series, cells,
                                                                         strict=False))
        parts.append(f'<g class="chart-row"><title>{escape(label)} — {escape(values)}</title>')
        for line in lines:
            y += LABEL_HEIGHT
            parts.append(f'<text class="chart-label" x="0" y="{y - 5}">{escape(line)}</text>')
        for i, cell in enumerate(cells):
            length = round(cell.chart_value * scale, 1)
            css = f"chart-bar chart-s{i % MAX_SERIES_CLASSES}"
            if cell.suppressed:
                css += " chart-suppressed"
                fill = f' fill="url(#{chart_id}-hatch)"'
            else:
                fill = ""
            parts.append(f'<rect class="{css}"{fill} x="0" y="{y}" width="{length}" '
                         f'height="{BAR_HEIGHT - 3}"/>')
            parts.append(f'<text class="chart-value" x="{length + 4}" '
                         f'y="{y + BAR_HEIGHT - 5}">{escape(cell.text)}</text>')
            y += BAR_HEIGHT
        parts.append("</g>")
        y += GAP
    height = max(y, 1)
    hatch = (f'<defs><pattern id="{chart_id}-hatch" width="6" height="6" '
             f'patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
             f'<rect class="chart-hatch-bg" width="6" height="6"/>'
             f'<line class="chart-hatch" x1="0" y1="0" x2="0" y2="6"/></pattern></defs>')
    return Markup(
        f'<svg class="chart" id="{chart_id}" role="img" viewBox="0 0 {WIDTH} {height}" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" '
        f'preserveAspectRatio="xMinYMin meet">'
        f'<title id="{chart_id}-title">{escape(title)}</title>'
        f'<desc id="{chart_id}-desc">{escape(desc)}</desc>'
        f'{hatch}{"".join(parts)}</svg>')
