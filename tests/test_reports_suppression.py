"""Complementary suppression: no count from 1 to 4 can be worked out from a total."""

import pytest

from fieldapp.reports.suppression import count, protect, withheld


def texts(cells):
    return [cell.text for cell in cells]


@pytest.mark.parametrize("parts, total, keep, expected_parts, expected_total", [
    # One small part and a total: the only other part would give it away.
    ([10, 2], 12, (), ["x", "<5"], "12"),
    # The smallest part shown is the one withheld; larger ones stay.
    ([20, 7, 1], 28, (), ["20", "x", "<5"], "28"),
    # A part shown elsewhere (keep) is never the one withheld.
    ([6, 30, 1], 37, {0}, ["6", "x", "<5"], "37"),
    # Zeros are not withheld (they hide nothing).
    ([0, 9, 3], 12, (), ["0", "x", "<5"], "12"),
    # Three small parts adding up to 7 could be 1+2+4, 2+2+3, ...: nothing more to hide.
    ([6, 5, 3, 2, 2], 18, (), ["6", "5", "<5", "<5", "<5"], "18"),
    # Two small parts adding up to 2 are both 1; withholding the 5 is not enough (each would
    # still be 1 since the 5 is at least 5): the total goes too.
    ([5, 1, 1], 7, (), ["x", "<5", "<5"], "x"),
    # Two small parts adding up to 8 are both 4, with nothing else to withhold.
    ([4, 4], 8, (), ["<5", "<5"], "x"),
    # A suppressed total reveals nothing.
    ([2, 1], 3, (), ["<5", "<5"], "<5"),
    # Nothing small, nothing withheld.
    ([10, 7], 17, (), ["10", "7"], "17"),
])
def test_protect(parts, total, keep, expected_parts, expected_total):
    new_parts, new_total = protect([count(n) for n in parts], count(total), keep)
    assert expected_parts == texts(new_parts)
    assert expected_total == new_total.text


def test_every_small_part_keeps_at_least_two_possible_values():
    """Brute force over small tables: after protect, each "<5" part has several values that
    agree with everything shown."""
    import itertools

    checked = 0
    for values in itertools.product([0, 1, 2, 4, 5, 6, 9], repeat=3):
        parts, total = protect([count(n) for n in values], count(sum(values)))
        if total.value is None:
            continue
        shown = {i: cell.value for i, cell in enumerate(parts) if cell.value is not None}
        ranges = {i: range(1, 5) if cell.text == "<5" else range(5, 40)
                  for i, cell in enumerate(parts) if cell.value is None}
        for i in (i for i, cell in enumerate(parts) if cell.text == "<5"):
            possible = set()
            for combo in itertools.product(*ranges.values()):
                if sum(combo) + sum(shown.values()) == total.value:
                    possible.add(dict(zip(ranges, combo, strict=True))[i])
            assert len(possible) >= 2, (values, texts(parts), total.text)
            checked += 1
    assert checked >= 300, checked  # 372 small parts in these 343 tables


def test_withheld_is_not_a_small_count():
    cell = withheld()
    assert cell.suppressed and cell.value is None and "x" == cell.text
