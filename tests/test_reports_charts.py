"""Small-cell suppression rules and the SVG chart module."""

import re

import pytest

import fieldapp.cli  # noqa: F401  (imports the areas in the app's order)
from fieldapp.reports import charts
from fieldapp.reports.suppression import change, count, rate, statistic


@pytest.mark.parametrize("n", [1, 2, 3, 4])
def test_counts_from_1_to_4_are_suppressed(n):
    cell = count(n)
    assert ("<5", True, None) == (cell.text, cell.suppressed, cell.value)


@pytest.mark.parametrize("n, shown", [(0, "0"), (5, "5"), (12345, "12,345"), (None, "0")])
def test_zero_and_five_or_more_are_shown(n, shown):
    assert (shown, False) == (count(n).text, count(n).suppressed)


@pytest.mark.parametrize("numerator, denominator, shown", [
    (3, 10, "–"), (10, 4, "–"), (0, 4, "–"), (0, 10, "0.0%"), (5, 10, "50.0%"),
    (7, 12, "58.3%"), (0, 0, "—"), (2, 3, "–"),
])
def test_rates_from_suppressed_counts_are_withheld_with_a_dash(numerator, denominator, shown):
    assert shown == rate(numerator, denominator).text


@pytest.mark.parametrize("n, shown", [(0, "—"), (1, "–"), (4, "–"), (5, "4.0 h")])
def test_medians_of_fewer_than_5_values_are_withheld_with_a_dash(n, shown):
    assert shown == statistic(4.0, n, " h").text


def test_change_is_withheld_when_either_side_is_suppressed():
    assert "–" == change(10, 3).text
    assert "-50.0%" == change(10, 5).text
    assert "—" == change(0, 7).text


def test_chart_has_title_desc_and_escaped_labels():
    svg = charts.bar_chart("c1", "Kinds <b>", "Bars & more", ["Contacts"],
                           [("School & <i>", [count(10)]), ("Other", [count(5)])])
    assert 'role="img"' in svg and 'aria-labelledby="c1-title c1-desc"' in svg
    assert '<title id="c1-title">Kinds &lt;b&gt;</title>' in svg
    assert '<desc id="c1-desc">Bars &amp; more</desc>' in svg
    assert "School &amp; &lt;i&gt;" in svg
    assert "style=" not in svg and "<script" not in svg


def test_bars_scale_to_the_longest_and_suppressed_bars_hide_their_length():
    svg = charts.bar_chart("c2", "t", "d", ["n"],
                           [("a", [count(10)]), ("b", [count(5)]), ("c", [count(2)])])
    widths = [float(w) for w in re.findall(r'class="chart-bar[^"]*"[^>]*width="([\d.]+)"', svg)]
    longest = charts.WIDTH - charts.VALUE_ROOM
    assert [longest, longest / 2, longest / 2] == widths  # "<5" drawn at the threshold
    assert 1 == svg.count("chart-suppressed")
    assert ["10", "5", "&lt;5"] == re.findall(r'class="chart-value"[^>]*>([^<]*)<', svg)


def test_multi_series_chart_has_a_legend_and_empty_chart_is_valid():
    svg = charts.bar_chart("c3", "t", "d", ["Made", "Connected"],
                           [("S1", [count(10), count(6)])])
    assert ["Made", "Connected"] == re.findall(r'class="chart-legend"[^>]*>([^<]*)<', svg)
    empty = charts.bar_chart("c4", "t", "d", ["n"], [])
    assert empty.startswith("<svg") and 'viewBox="0 0 320 1"' in empty


def test_long_labels_are_shortened_in_the_chart_only():
    label = "Harbourside Mobile Crisis Team (demo) — Mobile crisis response"
    svg = charts.bar_chart("c5", "t", "d", ["n"], [(label, [count(5)])])
    drawn = re.findall(r'class="chart-label"[^>]*>([^<]*)<', svg)
    assert [label[: charts.LABEL_CHARS - 1].rstrip() + "…"] == drawn
    # Issue 19: the full label is the row's tooltip.
    assert f"<title>{label} — n: 5</title>" in svg


def test_labels_that_would_be_cut_the_same_are_drawn_whole():
    """Issue 19: two partners' services must never share a cut label."""
    one = "Harbourside Mobile Crisis Team (demo) — Mobile crisis response, east"
    two = "Harbourside Mobile Crisis Team (demo) — Mobile crisis response, west"
    other = "A short one"
    svg = charts.bar_chart("c6", "t", "d", ["n"], [(one, [count(5)]), (two, [count(6)]),
                                                   (other, [count(7)])])
    drawn = re.findall(r'class="chart-label"[^>]*>([^<]*)<', svg)
    assert "…" not in "".join(drawn)
    assert ["Harbourside Mobile Crisis Team (demo) —", "Mobile crisis response, east",
            "Harbourside Mobile Crisis Team (demo) —", "Mobile crisis response, west",
            other] == drawn
    rows = [[line for line in group] for group in charts.label_lines([one, two, other])]
    assert len({" ".join(r) for r in rows}) == 3
