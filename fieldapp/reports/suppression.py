"""Small-cell suppression: the one place that turns report numbers into what people see.

Rule (applied to the page, chart labels and the CSV alike, because all three print `Cell.text`):

- a count from 1 to 4 is shown as "<5"; 0 and 5+ are shown as they are;
- a rate (numerator / denominator) is suppressed ("<5") when its numerator or its denominator
  is a suppressed count, and shown as "—" when the denominator is 0;
- a median (or any statistic of n values) is suppressed when n is 1 to 4, "—" when n is 0.

Charts draw a suppressed count as a hatched bar of the threshold's length, so that bar lengths
never reveal the hidden value.
"""

from dataclasses import dataclass

THRESHOLD = 5
SUPPRESSED = "<5"
EMPTY = "—"


@dataclass(frozen=True)
class Cell:
    """A number as it may be shown: `value` is None when it must not be revealed."""

    value: float | int | None
    text: str
    suppressed: bool = False

    @property
    def chart_value(self) -> float:
        """The length a chart may draw: the threshold for a suppressed count, else the value."""
        if self.suppressed:
            return THRESHOLD
        return float(self.value or 0)


def is_small(n: int | None) -> bool:
    return n is not None and 0 < n < THRESHOLD


def count(n: int | None) -> Cell:
    """A count of people or events."""
    n = int(n or 0)
    if is_small(n):
        return Cell(None, SUPPRESSED, True)
    return Cell(n, str(n))


def rate(numerator: int | None, denominator: int | None) -> Cell:
    """numerator / denominator as a percentage with one decimal."""
    numerator, denominator = int(numerator or 0), int(denominator or 0)
    if is_small(numerator) or is_small(denominator):
        return Cell(None, SUPPRESSED, True)
    if denominator == 0:
        return Cell(None, EMPTY)
    share = 100.0 * numerator / denominator
    return Cell(round(share, 1), f"{share:.1f}%")


def statistic(value: float | None, n: int | None, unit: str = "") -> Cell:
    """A median (or other statistic) of n values, with one decimal and an optional unit."""
    n = int(n or 0)
    if is_small(n):
        return Cell(None, SUPPRESSED, True)
    if n == 0 or value is None:
        return Cell(None, EMPTY)
    return Cell(round(value, 1), f"{value:.1f}{unit}")


def change(before: int | None, after: int | None) -> Cell:
    """Relative change from `before` to `after`, suppressed if either count is."""
    before, after = int(before or 0), int(after or 0)
    if is_small(before) or is_small(after):
        return Cell(None, SUPPRESSED, True)
    if before == 0:
        return Cell(None, EMPTY)
    delta = 100.0 * (after - before) / before
    return Cell(round(delta, 1), f"{delta:+.1f}%")


def text(value: str) -> Cell:
    """A label-like cell (never suppressed)."""
    return Cell(None, value)
