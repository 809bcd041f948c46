"""Small-cell suppression: the one place that turns report numbers into what people see.

Rule (applied to the page, chart labels and the CSV alike: the page and charts print
`Cell.text`, the CSV prints `Cell.value` (None when hidden) with the reason):

- a count from 1 to 4 is shown as "<5"; 0 and 5+ are shown as they are.  "<5" appears only in
  count columns;
- a derived figure (a rate, a median or any statistic, a change) based on a suppressed or
  withheld count (numerator, denominator, or n values from 1 to 4) is shown as "–" (withheld,
  explained by a footnote), and as "—" when there is nothing to compute (denominator 0, no
  values);
- complementary suppression (`protect`): where counts add up to a total that is shown, a hidden
  count must not be worked out by subtraction, so more counts (or the total) are withheld,
  shown as "x", until every hidden count from 1 to 4 could still be one of several values;
- rows sorted by a count never reveal a hidden count by their place: rows whose count is shown
  come first (largest first), then the rows whose count is hidden, by label only
  (`publication_order`).

Across reports (issue 21): the contacts total and the contacts by month are suppressed on the
published *dataset*, not only in the table (`grid_count`): whatever period, police service
or team is asked for, a count is shown only if none of the month × police service × team cells
it adds up is from 1 to 4.  Counts of one kind (by kind, school engagements, contacts
without a kind) are suppressed the same way on the month × police service × team × kind grid,
with complementary cells so that the totals less the other kinds give nothing away
(`sensitive_cells`, `dataset_count`).

Charts draw a suppressed count as a hatched bar of the threshold's length, so that bar lengths
never reveal the hidden value.

Each Cell knows its unit ("count", "percent", "hours", "number", "text"): the CSV writes it,
and tests check that "<5" is only ever a count.
"""

import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from flask import has_app_context
from flask_babel import get_locale

from fieldapp import formats

THRESHOLD = 5
SUPPRESSED = "<5"
WITHHELD = "x"
DERIVED_WITHHELD = "–"  # en dash: a rate or median withheld (footnoted on the page)
EMPTY = "—"  # em dash: nothing to compute
COUNT, PERCENT, HOURS, NUMBER, TEXT = "count", "percent", "hours", "number", "text"


@dataclass(frozen=True)
class Cell:
    """A number as it may be shown: `value` is None when it must not be revealed."""

    value: float | int | None
    text: str
    suppressed: bool = False
    unit: str = COUNT
    key: str | None = None  # a row label's stable key (a code or id), for the CSV

    @property
    def derived_withheld(self) -> bool:
        """A rate or median withheld because a count it rests on is hidden."""
        return self.text == DERIVED_WITHHELD

    @property
    def chart_value(self) -> float:
        """The length a chart may draw: the threshold for a suppressed count, else the value."""
        if self.suppressed:
            return THRESHOLD
        return float(self.value or 0)


def is_small(n: int | None) -> bool:
    return n is not None and 0 < n < THRESHOLD


def _count_text(n: int) -> str:
    """formats.count(n) in the current locale, remembered: babel takes about 20 µs a number
    and a report formats thousands of counts, most of them seen before (the summary's
    referral grid alone formats about 300 a period)."""
    locale = get_locale() if has_app_context() else None
    return _formatted_count(n, str(locale))


@lru_cache(maxsize=8192)
def _formatted_count(n: int, locale: str) -> str:
    # `locale` is the current locale (the key): formats.count formats in it.
    return formats.count(n)


def count(n: int | None) -> Cell:
    """A count of people or events."""
    n = int(n or 0)
    if is_small(n):
        return Cell(None, SUPPRESSED, True)
    return Cell(n, _count_text(n))


def public(n: int | None) -> Cell:
    """A count of public directory data (services and their partnerships, not people or
    events): shown as it is, never suppressed."""
    n = int(n or 0)
    return Cell(n, _count_text(n))


def derived_withheld(unit: str) -> Cell:
    """A rate, median or change that would reveal (or rests on) a hidden count."""
    return Cell(None, DERIVED_WITHHELD, True, unit)


def rate(numerator: int | None, denominator: int | None) -> Cell:
    """numerator / denominator as a percentage with one decimal."""
    numerator, denominator = int(numerator or 0), int(denominator or 0)
    if is_small(numerator) or is_small(denominator):
        return derived_withheld(PERCENT)
    if denominator == 0:
        return Cell(None, EMPTY, unit=PERCENT)
    share = 100.0 * numerator / denominator
    return Cell(round(share, 1), formats.percent(share), unit=PERCENT)


def statistic(value: float | None, n: int | None, unit: str = "") -> Cell:
    """A median (or other statistic) of n values, with one decimal and an optional unit
    (" h": hours)."""
    n = int(n or 0)
    kind = HOURS if unit.strip() == "h" else NUMBER
    if is_small(n):
        return derived_withheld(kind)
    if n == 0 or value is None:
        return Cell(None, EMPTY, unit=kind)
    text = formats.hours(value) if kind == HOURS else formats.decimal(value) + unit
    return Cell(round(value, 1), text, unit=kind)


def change(before: int | None, after: int | None) -> Cell:
    """Relative change from `before` to `after` (percent), withheld if either count is
    suppressed."""
    before, after = int(before or 0), int(after or 0)
    if is_small(before) or is_small(after):
        return derived_withheld(PERCENT)
    if before == 0:
        return Cell(None, EMPTY, unit=PERCENT)
    delta = 100.0 * (after - before) / before
    return Cell(round(delta, 1), formats.percent(delta, signed=True), unit=PERCENT)


def text(value: str, key: str | None = None) -> Cell:
    """A label-like cell (never suppressed); a row's label carries the row's stable key."""
    return Cell(None, value, unit=TEXT, key=key)


def withheld() -> Cell:
    """A count of 5 or more, withheld so that a suppressed count cannot be worked out."""
    return Cell(None, WITHHELD, True)


def grid_count(cells) -> Cell:
    """A count published as the sum of finest cells of the report's dataset (`cells`: their
    counts), suppressed consistently across every view a coordinator can ask for.

    Method: *primary suppression on the finest grid with suppression of every aggregate that
    contains a primary cell* (consistent suppression of linked tables, in the sense of
    Statistics Canada's guidance on releasing tables from the same microdata, and of the ACRO
    output-checking rule that every released table must be checked against the others
    released from the same data).  The finest grid is month × police service × team: every
    figure of this kind in any report (a month, a quarter, a year, a custom run of whole
    months; one police service or all; one team or all) is a sum of grid cells.  A grid cell
    from 1 to 4 is sensitive.  A sum is shown only if none of its cells is sensitive; a sum
    from 1 to 4 is "<5", any other sum covering a sensitive cell is withheld ("x").

    Why it cannot be undone: every figure shown is a sum of non-sensitive cells only, so any
    combination of shown figures (differences of periods, of police services, of teams) is a
    combination of non-sensitive cells and says nothing about a sensitive one.  Zeros and
    counts of 5 or more may be worked out; that is allowed.  The decision for a figure depends
    only on the cells it covers, never on the view it is shown in, so two views agree.
    """
    values = [int(n or 0) for n in cells]
    total = sum(values)
    if is_small(total):
        return count(total)
    if any(is_small(n) for n in values):
        return withheld()
    return count(total)


def sensitive_cells(grid: dict[tuple, int]) -> frozenset:
    """The cells of the finest grid of a count by kind, month × police service × team × kind
    (`grid`: {(month, police service, team, kind): n}), that no published count of one kind
    may cover: every cell from 1 to 4 (primary suppression) and, where a month × police
    service × team block has exactly one such cell, its smallest other cell of 5 or more
    (complementary suppression, chosen from the data alone, never from the view).

    Why a kind's hidden count cannot be worked out, whatever views are combined (the totals
    and months of `grid_count` included): every block with a sensitive cell then has two
    cells no published kind count covers, so moving one contact from one to the other
    changes no published figure but does change the hidden one; a block with only one
    non-zero cell, itself from 1 to 4, is small itself and no published total covers it."""
    blocks: dict[tuple, list[tuple[tuple, int]]] = {}
    for key, n in grid.items():
        blocks.setdefault(key[:-1], []).append((key, int(n or 0)))
    sensitive = set()
    for cells in blocks.values():
        small = [key for key, n in cells if is_small(n)]
        sensitive.update(small)
        if len(small) == 1:
            others = sorted((n, str(key[-1] or "")) + (key,) for key, n in cells
                            if n >= THRESHOLD)
            if others:
                sensitive.add(others[0][2])
    return frozenset(sensitive)


def dataset_count(cells: dict[tuple, int], sensitive: frozenset) -> Cell:
    """A count published as the sum of `cells` of a finest grid ({key: n}): "<5" when the sum
    is from 1 to 4, withheld when it covers a `sensitive` cell, else shown (as `grid_count`)."""
    total = sum(int(n or 0) for n in cells.values())
    if is_small(total):
        return count(total)
    if any(key in sensitive for key in cells):
        return withheld()
    return count(total)


def distinct_count(n: int | None, cells) -> Cell:
    """A count of different people over a view (`n`: not a sum, people met in two cells count
    once), suppressed on the grid as `grid_count`: "<5" when from 1 to 4, withheld when one
    of the cells it covers (`cells`: each cell's own count of different people) is from 1 to
    4, else shown.  Every figure shown is then a function of cells of 5 or more only."""
    n = int(n or 0)
    if is_small(n):
        return count(n)
    if any(is_small(c) for c in cells):
        return withheld()
    return count(n)


def covered_count(n: int | None, keys, sensitive: frozenset) -> Cell:
    """A count (`n`, however computed) of a view covering the finest-grid cells `keys`: "<5"
    when from 1 to 4, withheld when it covers a `sensitive` cell, else shown (as
    `dataset_count`, for figures that are not plain sums, such as different people)."""
    n = int(n or 0)
    if is_small(n):
        return count(n)
    if any(key in sensitive for key in keys):
        return withheld()
    return count(n)


def derived(cell: Cell, *bases: Cell) -> Cell:
    """`cell` (a rate, a median, a change) unless a count it rests on (`bases`) is hidden: then
    withheld ("–"), so that no derived figure gives a hidden count back."""
    if cell.unit != COUNT and any(base.value is None and base.suppressed for base in bases):
        return derived_withheld(cell.unit)
    return cell


def protect(parts: list[Cell], total: Cell, keep=()) -> tuple[list[Cell], Cell]:
    """Complementary suppression of counts `parts` that add up to `total`.

    What a reader knows: the total, the parts shown, that a "<5" part is 1 to 4 and an "x"
    part 5 or more.  While some "<5" part can only be one value, the smallest part shown
    (above 0, not in `keep`: the positions shown elsewhere too) is withheld; when no part is
    left to withhold, the total is.  Returns the new parts and total.
    """
    parts = list(parts)
    if total.value is None:
        return parts, total
    while _revealed(parts, total.value):
        shown = [i for i, cell in enumerate(parts)
                 if cell.value and not cell.suppressed and i not in keep]
        if not shown:
            return parts, withheld()
        parts[min(shown, key=lambda i: parts[i].value)] = withheld()
    return parts, total


def _revealed(parts: list[Cell], total: int) -> bool:
    """Whether some "<5" part can be only one value, given the total and the parts shown."""
    hidden = [cell for cell in parts if cell.value is None and cell.suppressed]
    small = sum(1 for cell in hidden if cell.text == SUPPRESSED)
    if not small:
        return False
    rest = total - sum(cell.value for cell in parts if cell.value is not None)
    withheld_parts = len(hidden) - small
    # For one "<5" part: at most the rest less the least the other hidden parts can be; at
    # least the rest less the most they can be (a withheld part has no upper bound).
    high = min(THRESHOLD - 1, rest - (small - 1) - THRESHOLD * withheld_parts)
    low = 1 if withheld_parts else max(1, rest - (THRESHOLD - 1) * (small - 1))
    return high <= low


def publication_order(rows: list, column: int, label=lambda row: row[0].text) -> list:
    """`rows` (lists of Cells) as a table sorted by the count in `column` may show them: shown
    counts first, largest first (ties by label), then every row whose count is hidden ("<5" or
    "x") by label alone, so that no row's place depends on a hidden value."""
    def key(row):
        cell = row[column]
        if cell.value is None:
            return (1, 0, alphabetical(label(row)))
        return (0, -cell.value, alphabetical(label(row)))
    return sorted(rows, key=key)


def alphabetical(label: str) -> tuple[str, str]:
    """A sort key that ignores case and accents ("école" between "eau" and "effet")."""
    bare = "".join(ch for ch in unicodedata.normalize("NFKD", label)
                   if not unicodedata.combining(ch))
    return bare.casefold(), label
