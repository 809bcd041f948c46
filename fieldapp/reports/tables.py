"""The board report as sections of tables of Cells: the single source of the page, its charts
and the CSV export, so that all three show the same (suppressed) figures."""

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date

from flask_babel import format_date
from flask_babel import gettext as _
from markupsafe import Markup

from fieldapp import formats, police
from fieldapp.contacts import vocab
from fieldapp.directory import categories
from fieldapp.reports import charts, store
from fieldapp.reports.suppression import (
    WITHHELD,
    Cell,
    change,
    count,
    covered_count,
    dataset_count,
    derived,
    derived_withheld,
    distinct_count,
    grid_count,
    protect,
    public,
    publication_order,
    rate,
    sensitive_cells,
    statistic,
    text,
    withheld,
)

# Threads for the report's queries: one per core, at most this many.
MAX_WORKERS = 4
# Row keys of the CSV for a total row and for a kind or population not recorded.
ALL = "all"
NOT_RECORDED = "not_recorded"


@dataclass
class Table:
    id: str
    title: str
    columns: list[str]
    rows: list[list[Cell]]  # first cell: the row's label
    chart: Markup | None = None  # drawn next to the table, from the same cells
    # Stable English keys of the columns (the CSV's column_key); rows carry theirs in their
    # label cell (Cell.key).
    column_keys: list[str] = field(default_factory=list)

    @property
    def has_derived_withheld(self) -> bool:
        """Whether a rate or median is withheld ("–"): the page footnotes it."""
        return any(cell.derived_withheld for row in self.rows for cell in row)


@dataclass
class Section:
    id: str
    title: str
    caption: str
    tables: list[Table] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def vocab_label(vocabulary: str, code: str | None) -> str:
    """The label of a vocabulary code from fieldapp.contacts.vocab, else the code itself."""
    if not code:
        return _("Not recorded")
    return vocab.label(vocabulary, code) or code


def month_label(month: str) -> str:
    """"2026-01" as the month in words in the interface language ("January 2026",
    "janvier 2026")."""
    year, number = (int(part) for part in month.split("-"))
    return format_date(date(year, number, 1), "MMMM yyyy")


def known_kinds() -> list[str]:
    """The built-in kind codes (counted without sorting); others are found by the store."""
    return list(vocab.KINDS)


def known_populations() -> list[str]:
    """The built-in population codes (counted without sorting); others are found by the
    store."""
    return list(vocab.POPULATIONS)


def category_label(code: str) -> str:
    """The label of a directory category, else the code."""
    return categories.label(code)


def _chart(table: Table, title: str, desc: str, value_columns: list[int],
           chart_id: str | None = None) -> Markup:
    series = [table.columns[i] for i in value_columns]
    rows = [(row[0].text, [row[i] for i in value_columns]) for row in table.rows]
    return charts.bar_chart(f"chart-{chart_id or table.id}", title, desc, series, rows)


def _measures(table_id: str, title: str, items: list[tuple[str, str, Cell]]) -> Table:
    """A table of measures: items are (stable key, label, cell)."""
    return Table(table_id, title, [_("Measure"), _("Value")],
                 [[text(label, key), cell] for key, label, cell in items],
                 column_keys=["measure", "value"])


def contact_counts(data: dict) -> tuple[Cell, list[Cell], list[Cell], bool]:
    """The period's contacts, by kind and by month, and whether the kinds are all withheld.

    The total and the months are sums of the month × police service × team grid
    (`data["grid"]`, summed over kinds) and suppressed on it (`grid_count`), the same in every
    report.  Each kind's count is a sum of the month × police service × team × kind grid,
    suppressed on it with complementary cells (`sensitive_cells`, `dataset_count`), the same
    in every report.  The kinds add up to the total: they are also protected against it
    (complementary suppression in the table; "not recorded" and school visits are also shown
    on their own), and when the total is not shown, or could only be protected by withholding
    it, every kind, school engagements and the contacts without a kind are withheld, so that
    adding up kinds never gives a total that is hidden."""
    blocks = month_blocks(data["grid"])
    total = grid_count(blocks.values())
    by_month = [grid_count(n for (m, _ps, _team), n in blocks.items() if m == i)
                for i in range(len(data["by_month"]))]
    keep = {i for i, r in enumerate(data["by_kind"]) if r["kind"] in (None, "school_visit")}
    kinds = [kind_count(data, r["kind"]) for r in data["by_kind"]]
    if total.value is not None:
        protected, checked = protect(kinds, total, keep)
        if checked.value is not None:
            return total, protected, by_month, False
    return total, [cell if cell.suppressed else withheld() for cell in kinds], by_month, True


def month_blocks(grid: dict) -> dict[tuple, int]:
    """{(month index, police service, team): n} of a grid by kind (or without kinds)."""
    blocks: dict[tuple, int] = {}
    for key, n in grid.items():
        blocks[key[:3]] = blocks.get(key[:3], 0) + n
    return blocks


def block(row: dict) -> tuple:
    """The month × police service × team cell of a store row of cells."""
    return (row["m"], row["ps"], row["team"])


def cell_grid(rows: list[dict], value: str, category: str | None = None) -> dict:
    """{(month, police service, team[, category]): n} of a store's per-cell rows (adding up
    rows that share a key)."""
    grid: dict = {}
    for row in rows:
        key = block(row) + ((row[category],) if category else ())
        grid[key] = grid.get(key, 0) + int(row[value] or 0)
    return grid


def by_row(grid: dict) -> dict:
    """{row: {cell key: n}}: a grid whose keys end with the row (kind, service, ...) split by
    row in one pass."""
    rows: dict = {}
    for key, n in grid.items():
        rows.setdefault(key[-1], {})[key] = n
    return rows


def class_counts(rows: list[dict], classes: dict) -> dict[str, Cell]:
    """Counts of classes that split a whole (`classes`: {name: function of a per-cell row
    giving the cell's count}), each suppressed on the month × police service × team × class
    grid with complementary cells (`sensitive_cells`), so that the whole (a `grid_count`)
    less the classes shown never gives a hidden one, whatever views are put side by side."""
    grid: dict = {}
    for row in rows:
        for name, of in classes.items():
            key = block(row) + (name,)
            grid[key] = grid.get(key, 0) + int(of(row) or 0)
    sensitive = sensitive_cells(grid)
    split = by_row(grid)
    return {name: dataset_count(split.get(name, {}), sensitive) for name in classes}


def block_count(rows: list[dict], value: str) -> Cell:
    """A count published as the sum of per-cell rows' `value`, suppressed on the month ×
    police service × team grid (`grid_count`)."""
    return grid_count(cell_grid(rows, value).values())


def contacts_total(grid: dict) -> Cell:
    """The period's contacts as every report shows them (`contact_counts`)."""
    return grid_count(month_blocks(grid).values())


def kind_count(data: dict, kind: str | None) -> Cell:
    """The period's contacts of one kind (None: not recorded), suppressed on the month ×
    police service × team × kind grid."""
    grid = data["grid"]
    if "sensitive" not in data:
        data["sensitive"] = sensitive_cells(grid)
        data["grid_by_kind"] = by_row(grid)
    return dataset_count(data["grid_by_kind"].get(kind, {}), data["sensitive"])


def _kind_count(cell: Cell, kinds_withheld: bool) -> Cell:
    """A count of one kind shown outside the table by kind (school engagements, contacts
    without a kind): withheld with the kinds."""
    return withheld() if kinds_withheld and not cell.suppressed and cell.value else cell


def activity_section(data: dict) -> Section:
    section = Section("activity", _("1. Activity"), _(
        "How many contacts officers logged in the period, of what kind, and month by month. "
        "A group contact counts once; the headcount is how many people were in the groups."))
    contacts, kinds, months, kinds_withheld = contact_counts(data)
    summary = _measures("activity_summary", _("Activity in the period"), [
        ("contacts", _("Contacts"), contacts),
        ("school_engagements", _("School engagements"),
         _kind_count(kind_count(data, "school_visit"), kinds_withheld)),
        ("group_contacts", _("Group contacts"), contact_classes(data, "group_contacts")),
        ("group_headcount", _("People reached in groups (headcount)"),
         block_count(data["cells"], "headcount")),
    ])
    by_kind = Table("activity_by_kind", _("Contacts by kind"), [_("Kind"), _("Contacts")],
                    publication_order([[text(vocab_label("kind", r["kind"]),
                                             r["kind"] or NOT_RECORDED), cell]
                                       for r, cell in zip(data["by_kind"], kinds,
                                                          strict=True)], 1),
                    column_keys=["kind", "contacts"])
    by_month = Table("activity_by_month", _("Contacts by month"), [_("Month"), _("Contacts")],
                     [[text(month_label(r["month"]), r["month"]), cell]
                      for r, cell in zip(data["by_month"], months, strict=True)],
                     column_keys=["month", "contacts"])
    section.tables = [summary, by_kind, by_month]
    by_kind.chart = _chart(by_kind, _("Contacts by kind"),
                           _("Horizontal bars: number of contacts of each kind in the period."),
                           [1])
    by_month.chart = _chart(
        by_month, _("Contacts by month"),
        _("Horizontal bars: number of contacts in each month of the period."), [1])
    return section


def population_rows(data: dict) -> list[list[Cell]]:
    """[label, contacts, people] per population: contacts suppressed on the month × police
    service × team × population grid with complementary cells, people on the same grid of
    different people (`data["population_cells"]`: store.population_cells)."""
    cells = data["population_cells"]
    contacts = cell_grid(cells, "contacts", "population")
    people = cell_grid(cells, "people", "population")
    contacts_sensitive, people_sensitive = sensitive_cells(contacts), sensitive_cells(people)
    contacts_of, people_of = by_row(contacts), by_row(people)
    rows = []
    for r in data["populations"]:
        code = r["population"]
        rows.append([text(vocab_label("population", code), code or NOT_RECORDED),
                     dataset_count(contacts_of.get(code, {}), contacts_sensitive),
                     covered_count(r["people"], people_of.get(code, {}), people_sensitive)])
    return rows


def people_section(data: dict, repeat_contacts: int, repeat_days: int) -> Section:
    section = Section("people", _("2. People"), _(
        "How many different people officers met, and how many came back: a repeat person had "
        "%(n)s or more contacts within %(days)s days, both in the period. People whose records "
        "were merged count once.", n=repeat_contacts, days=repeat_days))
    # Different people are not sums: a figure of people is shown only when every month ×
    # police service × team cell it covers has no people or 5 or more (distinct_count).
    blocks = list(cell_grid(data["cells"], "people").values())
    summary = _measures("people_summary", _("People in the period"), [
        ("unique_people", _("Unique people"), distinct_count(data["unique_people"], blocks)),
        ("repeat_people", _("Repeat people"), distinct_count(data["repeat_people"], blocks)),
    ])
    populations = Table(
        "people_by_population", _("Contacts and people by population"),
        [_("Population"), _("Contacts"), _("People")],
        publication_order(population_rows(data), 1),
        column_keys=["population", "contacts", "people"])
    section.tables = [summary, populations]
    summary.chart = _chart(summary, _("Unique and repeat people"),
                           _("Horizontal bars: unique people and repeat people in the period."),
                           [1])
    populations.chart = _chart(
        populations, _("Contacts by population"),
        _("Horizontal bars: contacts and people in each population group."), [1, 2])
    return section


REFERRAL_COLUMN_KEYS = [
    "service", "made", "received", "accepted", "connected", "connected_share",
    "median_hours_to_accept", "median_hours_to_connect", "connected_48h_share",
    "declined_partner", "declined_person"]


# The referral counts suppressed on the month × police service × team × service grid.
REFERRAL_GRID_COUNTS = ("made", "received", "accepted", "connected", "connected_48h",
                        "declined_partner", "declined_person")


def referral_counts(data: dict) -> tuple[dict, dict]:
    """({service: {count key: Cell}}, {count key: Cell} of all services): each count is a sum
    of the month × police service × team (the officer's) × service grid (`data["cells"]`),
    suppressed on it with complementary cells (`sensitive_cells`, `dataset_count`), and the
    total on the month × police service × team grid (`grid_count`): the same in every
    report, so that no period, police service or team less another gives a hidden count."""
    # Every count's grid by service and by month × police service × team, in one pass.
    grids: dict = {key: {} for key in REFERRAL_GRID_COUNTS}
    blocks: dict = {key: {} for key in REFERRAL_GRID_COUNTS}
    for row in data["cells"]:
        cell = block(row)
        by_service_cell = cell + (row["g"],)
        for key in REFERRAL_GRID_COUNTS:
            n = int(row[key] or 0)
            grid, block_grid = grids[key], blocks[key]
            grid[by_service_cell] = grid.get(by_service_cell, 0) + n
            block_grid[cell] = block_grid.get(cell, 0) + n
    by_service: dict = {}
    total = {}
    for key in REFERRAL_GRID_COUNTS:
        grid = grids[key]
        sensitive = sensitive_cells(grid)
        for service, cells in by_row(grid).items():
            by_service.setdefault(service, {})[key] = dataset_count(cells, sensitive)
        total[key] = grid_count(blocks[key].values())
    return by_service, total


def _referral_row(key: str, label: str, r: dict, counts: dict) -> list[Cell]:
    made, connected = counts["made"], counts["connected"]
    accepted = counts["accepted"]
    return [
        text(label, key), made, counts["received"], accepted, connected,
        derived(rate(r["connected"], r["made"]), connected, made),
        derived(statistic(r.get("accept_median"), r.get("accept_n"), " h"), accepted),
        derived(statistic(r.get("connect_median"), r.get("connect_n"), " h"), connected),
        derived(rate(r["connected_48h"], r["made"]), counts["connected_48h"], made),
        counts["declined_partner"], counts["declined_person"],
    ]


# A rate or median of a service's row that referrals_total does not format (never shown).
_NOT_FORMATTED = Cell(None, "", True)


def referrals_total(data: dict) -> list[Cell]:
    """The "All services" row of referrals_section's table, as that table shows it (its
    counts protected down each column with the services'), without formatting the services'
    rates and medians, which it does not show (the one-page summary)."""
    by_service, total = referral_counts(data)
    rows = []
    for r in data["services"]:
        counts = by_service[r["g"]]
        rows.append([None, counts["made"], counts["received"], counts["accepted"],
                     counts["connected"], *[_NOT_FORMATTED] * 4,
                     counts["declined_partner"], counts["declined_person"]])
    rows.append(_referral_row(ALL, _("All services"), data["total"], total))
    _protect_referrals(rows)
    return rows[-1]


def referrals_section(data: dict) -> Section:
    section = Section("referrals", _("3. Referrals"), _(
        "Warm referrals sent to partner services in the period and how far they got. "
        "Connected ÷ made is the share of referrals where the partner reached the person; "
        "the 48-hour share counts referrals connected within 48 hours of being sent, out of "
        "all referrals made. Declines are split between the partner's reasons (no capacity, "
        "not eligible, duplicate) and the person's own choice."))
    columns = [_("Partner service"), _("Made"), _("Received"), _("Accepted"), _("Connected"),
               _("Connected ÷ made"), _("Median hours sent → accepted"),
               _("Median hours sent → connected"), _("Connected within 48 h"),
               _("Declined: partner reasons"), _("Declined: person's choice")]
    by_service, total = referral_counts(data)
    rows = [_referral_row(r["g"] or NOT_RECORDED, r["service"] or _("Not recorded"), r,
                          by_service[r["g"]]) for r in data["services"]]
    rows.append(_referral_row(ALL, _("All services"), data["total"], total))
    _protect_referrals(rows)
    rows[:-1] = publication_order(rows[:-1], 1)
    table = Table("referrals_by_service", _("Referrals by partner service"), columns, rows,
                  column_keys=REFERRAL_COLUMN_KEYS)
    section.tables = [table]
    by_service = Table(table.id, table.title, columns, rows[:-1])
    table.chart = _chart(
        by_service, _("Referrals made and connected by partner service"),
        _("Horizontal bars: for each partner service, referrals made and referrals connected."),
        [1, 4])
    return section


# Count columns of a referral row, and the rates derived from each count column.
REFERRAL_COUNTS = (1, 2, 3, 4, 9, 10)
REFERRAL_RATES = {1: (5, 8), 3: (6,), 4: (5, 7)}


def _protect_referrals(rows: list[list[Cell]]) -> None:
    """Complementary suppression down each count column (the services add up to the last
    row); a rate whose count is withheld is withheld too ("–")."""
    for column in REFERRAL_COUNTS:
        parts, total = protect([row[column] for row in rows[:-1]], rows[-1][column])
        for row, cell in zip(rows, [*parts, total], strict=True):
            row[column] = cell
    for row in rows:
        for column, rates in REFERRAL_RATES.items():
            if row[column].text == WITHHELD:
                for rate_column in rates:
                    if not row[rate_column].suppressed:
                        row[rate_column] = derived_withheld(row[rate_column].unit)


def mental_health_counts(data: dict) -> dict[str, Cell]:
    """The mental-health counts of `store.mental_health`: the contacts on the month × police
    service × team grid (`grid_count`), and diverted, joint and escalated (which never
    overlap) as classes of them (`class_counts`), the same in every report."""
    cells = data["mh_cells"]
    classes = class_counts(cells, {
        "mh_diverted": lambda r: r["mh_diverted"], "mh_joint": lambda r: r["mh_joint"],
        "mh_escalated": lambda r: r["mh_escalated"],
        "other": lambda r: r["mh_contacts"] - r["mh_diverted"] - r["mh_joint"]
        - r["mh_escalated"]})
    return {"mh_contacts": block_count(cells, "mh_contacts"), **classes}


def mental_health_items(data: dict) -> list[tuple[str, str, Cell]]:
    """(key, label, Cell) of the mental-health measures of `store.mental_health`: the
    diversion table's first rows, and the summary's."""
    c = mental_health_counts(data)
    contacts = c["mh_contacts"]

    def share(key):
        return derived(rate(data[key], data["mh_contacts"]), c[key], contacts)

    return [
        ("mh_contacts", _("Mental-health-related contacts"), contacts),
        ("mh_diverted", _("Diverted to non-police services (referral accepted, not escalated)"),
         c["mh_diverted"]),
        ("mh_diverted_share", _("Share diverted to non-police services"),
         share("mh_diverted")),
        ("mh_joint",
         _("Handled with a joint police–health team (referral accepted, not escalated)"),
         c["mh_joint"]),
        ("mh_joint_share", _("Share handled with a joint police–health team"),
         share("mh_joint")),
        ("mh_escalated", _("Escalated to police enforcement"), c["mh_escalated"]),
        ("mh_escalation_rate", _("Police-escalation rate (mental-health contacts)"),
         share("mh_escalated")),
    ]


def contact_classes(data: dict, value: str) -> Cell:
    """The period's contacts with a property (`value`: a per-cell count of store.contact_cells,
    such as escalated or group contacts), as a class of the contacts (`class_counts`)."""
    cells = data["cells"]
    return class_counts(cells, {"yes": lambda r: r[value],
                                "no": lambda r: r["n"] - r[value]})["yes"]


def diversion_section(data: dict) -> Section:
    section = Section("diversion", _("4. Diversion"), _(
        "Contacts about mental health (the kind of contact, or a person's mental-health "
        "population) and what happened. Diverted to non-police services means a partner "
        "service accepted a referral made from the contact, the service is not run with "
        "police, and the contact was not escalated to police enforcement; a referral made "
        "but never accepted does not count. Referrals accepted by a joint police–health "
        "team (such as a mobile crisis team with officers) are counted on their own line, "
        "not as diversion. The police-escalation rate is the share whose outcome was "
        "escalation to police enforcement."))
    contacts = contact_counts(data)[0]
    escalated = contact_classes(data, "escalated")
    table = _measures("diversion", _("Mental-health contacts and diversion"), [
        *mental_health_items(data),
        ("contacts", _("All contacts"), contacts),
        ("escalated", _("All contacts escalated to police enforcement"), escalated),
        ("escalation_rate", _("Police-escalation rate (all contacts)"),
         derived(rate(data["escalated"], data["contacts"]), escalated, contacts)),
    ])
    section.tables = [table]
    counts = Table(table.id, table.title, table.columns, [table.rows[i] for i in (0, 1, 3, 5)])
    table.chart = _chart(
        counts, _("Mental-health contacts: diverted, joint and escalated"),
        _("Horizontal bars: mental-health-related contacts, those diverted to non-police "
          "services, those handled with a joint police–health team, and those escalated to "
          "police enforcement."), [1])
    return section


def repeat_callers_table(data: dict, window_days: int, caller_calls: int) -> Table:
    """Repeat callers (people compared with `caller_calls` or more calls in a window) before
    and after first engagement: callers counted, not calls."""
    before, after = (block_count(data["cells"], key)
                     for key in ("callers_before", "callers_after"))
    return _measures("repeat_callers", _("Repeat callers before and after first engagement"), [
        ("callers_before",
         _("Repeat callers in the %(days)s days before (%(n)s or more calls)",
           days=window_days, n=caller_calls), before),
        ("callers_after",
         _("Repeat callers in the %(days)s days after (%(n)s or more calls)",
           days=window_days, n=caller_calls), after),
        ("callers_change", _("Change in repeat callers"),
         derived(change(data["callers_before"], data["callers_after"]), before, after)),
    ])


def repeat_calls_section(data: dict, window_days: int,
                         caller_calls: int = store.REPEAT_CALLER_CALLS) -> Section:
    section = Section("repeat-calls", _("5. Repeat-call effect"), _(
        "Calls for service involving people first engaged by the team in this period, counted "
        "%(days)s days before and %(days)s days after their first contact. This is a "
        "correlation, not proof that the team caused the change: people often call less "
        "after a crisis whatever happens.", days=window_days))
    section.notes = [
        _("Only people whose records-system key is linked can be compared, and only when both "
          "of their %(days)s-day windows lie entirely within the imported call records; the "
          "windows follow each person and are not cut at the edges of the period.",
          days=window_days),
    ]
    if data["records_from"]:
        section.notes.append(_("Call records imported: %(start)s to %(end)s (UTC).",
                               start=formats.day(date.fromisoformat(data["records_from"][:10])),
                               end=formats.day(date.fromisoformat(data["records_to"][:10]))))
    else:
        section.notes.append(_("No calls for service have been imported yet."))
    # The people first engaged in the period split into classes (not linked, no calls at
    # all, compared, early, open), each suppressed on the month × police service × team ×
    # class grid (the month of first engagement); compared, early and open add up to the
    # linked people, also protected in the table.
    cells = data["cells"]
    classes = class_counts(cells, {
        "compared": lambda r: r["compared"], "early": lambda r: r["early"],
        "open": lambda r: r["open"],
        "no_calls": lambda r: r["linked"] - r["compared"] - r["early"] - r["open"],
        "not_linked": lambda r: r["cohort"] - r["linked"]})
    linked_grid = {block(r): r["linked"] for r in cells}
    linked = grid_count(linked_grid.values())
    if linked.value is not None and classes["no_calls"].value is None:
        linked = withheld()  # linked less compared, early and open would give it
    (compared, early, still_open), linked = protect(
        [classes["compared"], classes["early"], classes["open"]], linked)
    calls_before, calls_after, people_before, people_after = (
        block_count(cells, key) for key in ("calls_before", "calls_after", "people_before",
                                            "people_after"))
    table = _measures("repeat_calls", _("Calls before and after first engagement"), [
        ("cohort", _("People first engaged in the period"), block_count(cells, "cohort")),
        ("linked", _("… with a linked records-system key"), linked),
        ("compared", _("… compared (both windows within the call records)"), compared),
        ("not_compared_early",
         _("… not compared: before-window starts before the call records"), early),
        ("not_compared_open", _("… not compared: after-window not over yet"), still_open),
        ("calls_before", _("Calls in the %(days)s days before", days=window_days),
         calls_before),
        ("calls_after", _("Calls in the %(days)s days after", days=window_days), calls_after),
        ("calls_change", _("Change in calls"),
         derived(change(data["calls_before"], data["calls_after"]), calls_before, calls_after)),
        ("people_with_call_before", _("People with a call before"), people_before),
        ("people_with_call_after", _("People with a call after"), people_after),
    ])
    section.tables = [table, repeat_callers_table(data, window_days, caller_calls)]
    chart_rows = Table(table.id, table.title, table.columns,
                       [table.rows[i] for i in (5, 6, 8, 9)])
    table.chart = _chart(
        chart_rows, _("Calls before and after first engagement"),
        _("Horizontal bars: calls and people with calls in the windows before and after "
          "first engagement, for the people compared."), [1])
    return section


def partnerships_section(data: dict | None, police_services: dict,
                         before: dict | None = None) -> Section:
    """The partnership register as it was at the end of the period (`data`), and at its
    start (`before`: for the overlaps resolved and added in the period).  Public directory
    data: counts are shown as they are."""
    section = Section("partnerships", _("6. Partnerships"), _(
        "Directory services that each police service had a partnership with at the end of "
        "the period, by category of service (the directory as it was then, from its history, "
        "not as it is today). Partnered by all means every police service partners with it: "
        "an overlap; a gap is a category where a police service has no partnered service. "
        "Public directory data: these counts are not suppressed."))
    if data is None:
        section.notes = [_("The directory's partnership register is not available yet.")]
        return section
    codes = list(police_services)
    # Columns show each police service's abbreviation in the reader's language (GRC, PRH); the
    # CSV keys stay the codes.
    labels = [police.abbreviation(police_services, code) for code in codes]
    columns = [_("Category"), _("Services")] + labels + [_("Partnered by all"), _("Gaps")]
    rows = []
    for r in data["categories"]:
        gaps = [label for i, label in enumerate(labels) if not r[f"ps{i}"]]
        rows.append([text(category_label(r["category"]), r["category"]), public(r["services"])]
                    + [public(r[f"ps{i}"]) for i in range(len(codes))]
                    + [public(r["overlap"]), text(", ".join(gaps) or "—")])
    t = data["total"]
    rows.append([text(_("All services"), ALL), public(t["services"])]
                + [public(t[f"ps{i}"]) for i in range(len(codes))]
                + [public(t["overlap"]), text("")])
    table = Table("partnerships", _("Partnered services by category"), columns, rows,
                  column_keys=["category", "services"] + codes + ["partnered_by_all", "gaps"])
    section.tables = [table, overlaps_table(data, before)]
    if data["overlapping"]:
        section.notes.append(_("Services partnered by every police service at the end of the "
                               "period: %(names)s.", names="; ".join(data["overlapping"])))
    per_category = Table(table.id, table.title, columns, rows[:-1])
    table.chart = _chart(
        per_category, _("Partnered services by category"),
        _("Horizontal bars: for each category, services partnered by each police service."),
        list(range(2, 2 + len(codes))))
    return section


def overlaps_table(data: dict, before: dict | None) -> Table:
    """Overlaps (services partnered by every police service) open at the end of the period,
    resolved in it (an overlap at its start that no longer is) and new in it."""
    now = data["overlapping_ids"]
    then = before["overlapping_ids"] if before else now
    return _measures("partnership_overlaps", _("Overlapping partnerships in the period"), [
        ("open_at_end", _("Overlaps open at the end of the period"), public(len(now))),
        ("resolved", _("Overlaps resolved in the period"), public(len(then - now))),
        ("added", _("New overlaps in the period"), public(len(now - then))),
    ])


def data_quality_section(data: dict) -> Section:
    section = Section("data-quality", _("7. Data quality"), _(
        "Gaps in the records behind this report: contacts saved without a kind or an outcome, "
        "referrals still without an answer (accepted or declined) 7 days after being sent, and "
        "directory listings not confirmed in the last 180 days."))
    items = [
        ("contacts_without_kind", _("Contacts without a kind"),
         _kind_count(data["no_kind"], data["kinds_withheld"])),
        ("contacts_without_outcome", _("Contacts without an outcome"), data["no_outcome"]),
        ("referrals_unanswered_7d", _("Referrals without an answer after 7 days"),
         count(data["unanswered"])),
    ]
    if data["stale"] is not None:
        items.append(("listings_stale_180d", _("Listings not confirmed for over 180 days"),
                      count(data["stale"])))
    table = _measures("data_quality", _("Data quality"), items)
    section.tables = [table]
    table.chart = _chart(table, _("Data quality"),
                         _("Horizontal bars: records with gaps, by kind of gap."), [1])
    return section


# Which section holds each table (so that one table's CSV runs only its section's queries).
SECTION_OF_TABLE = {
    "activity_summary": "activity", "activity_by_kind": "activity",
    "activity_by_month": "activity", "people_summary": "people",
    "people_by_population": "people", "referrals_by_service": "referrals",
    "diversion": "diversion", "repeat_calls": "repeat-calls",
    "repeat_callers": "repeat-calls", "partnerships": "partnerships",
    "partnership_overlaps": "partnerships",
    "data_quality": "data-quality",
}


# The store queries behind each section.  They are independent of one another, so that they
# can run at the same time (see run_queries).
QUERIES_OF_SECTION = {
    "activity": ["cells"], "people": ["people", "people_cells", "population_cells"],
    "referrals": ["referrals"], "diversion": ["cells", "mental_health"],
    "repeat-calls": ["repeat_calls"],
    "partnerships": ["partnerships", "partnerships_before"],
    "data-quality": ["cells", "quality"],
}


ACTIVITY = ("group_contacts", "headcount", "no_outcome", "escalated")


def overview(cells: list[dict], months: list, mental_health: dict) -> dict:
    """The activity figures of `store.contact_cells` rows (and the mental-health ones of
    `store.mental_health`) as the sections read them: totals, `by_kind` (largest first),
    `by_month`, the month × police service × team × kind `grid`."""
    grid = {(r["m"], r["ps"], r["team"], r["kind"]): r["n"] for r in cells}
    by_kind: dict = {}
    for r in cells:
        by_kind[r["kind"]] = by_kind.get(r["kind"], 0) + r["n"]
    return {
        "contacts": sum(grid.values()), "no_kind": by_kind.get(None, 0),
        "school_visits": by_kind.get("school_visit", 0),
        **{key: sum(r[key] for r in cells) for key in ACTIVITY},
        **mental_health,
        "by_kind": [{"kind": k, "n": n} for k, n in
                    sorted(by_kind.items(), key=lambda item: (-item[1], item[0] or "")) if n],
        "by_month": [{"month": label, "n": sum(n for (m, *_rest), n in grid.items() if m == i)}
                     for i, (label, _start, _end) in enumerate(months)],
        "grid": grid, "cells": cells,
    }


def build(db, filters: store.Filters, period, config: dict, now_iso: str,
          today: str, only: str | None = None, open_db=None) -> list[Section]:
    """Every section of the board report, or only the section with id `only`.  With `open_db`
    (a function returning a new connection) the store queries run concurrently."""
    repeat_contacts = int(config.get("REPEAT_CONTACTS", 2))
    repeat_days = int(config.get("REPEAT_DAYS", 60))
    window_days = int(config.get("REPEAT_CALL_WINDOW_DAYS", store.WINDOW_DAYS))
    caller_calls = int(config.get("REPEAT_CALLER_CALLS", store.REPEAT_CALLER_CALLS))
    months = period.months()
    police_services = list(config["POLICE_SERVICES"])
    section_ids = [sid for sid in QUERIES_OF_SECTION if only is None or sid == only]
    needed = {name for sid in section_ids for name in QUERIES_OF_SECTION[sid]}
    # People is the longest query: when the queries run concurrently, two halves of the
    # people (by id) run as two queries and are added up.
    split = store.person_split(db) if open_db is not None and "people" in needed else None
    if split is not None:
        needed.add("people_2")
    # Longest first (thread CPU measured on a year of 250,000 contacts: repeat_calls 0.26 s,
    # population_cells 0.23, each half of people 0.18, referrals 0.15, people_cells 0.14,
    # mental_health 0.14, cells 0.06), so that the two threads finish together.
    queries = {
        "repeat_calls": lambda d: store.repeat_calls(d, filters, window_days, caller_calls,
                                                     months),
        "population_cells": lambda d: store.population_cells(d, filters, months),
        "people": lambda d: store.people(d, filters, repeat_contacts, repeat_days,
                                         (None, split)),
        "people_2": lambda d: store.people(d, filters, repeat_contacts, repeat_days,
                                           (split, None)),
        "referrals": lambda d: store.referrals(d, filters, months),
        "people_cells": lambda d: store.people_cells(d, filters, months),
        "mental_health": lambda d: store.mental_health(d, filters, months),
        # The activity figures, kinds and months all come from the grid's one pass.
        "cells": lambda d: store.contact_cells(d, filters, months),
        "quality": lambda d: store.data_quality(d, filters, now_iso, today),
        "partnerships": lambda d: store.partnerships(d, police_services, filters.end),
        "partnerships_before": lambda d: store.partnerships(d, police_services,
                                                            filters.start, with_names=False),
    }
    data = run_queries({name: q for name, q in queries.items() if name in needed}, db, open_db)
    if "cells" in data:
        data["overview"] = overview(data["cells"], months, data.get("mental_health", {}))
    if "people_2" in data:
        data["people"] = {key: data["people"][key] + data["people_2"][key]
                          for key in data["people"]}
    builders = {
        "activity": lambda: activity_section(data["overview"]),
        "people": lambda: people_section({**data["people"], "cells": data["people_cells"],
                                          "populations":
                                              data["population_cells"]["populations"],
                                          "population_cells":
                                              data["population_cells"]["cells"]},
                                         repeat_contacts, repeat_days),
        "referrals": lambda: referrals_section(data["referrals"]),
        "diversion": lambda: diversion_section(data["overview"]),
        "repeat-calls": lambda: repeat_calls_section(data["repeat_calls"], window_days,
                                                     caller_calls),
        "partnerships": lambda: partnerships_section(data["partnerships"],
                                                     config["POLICE_SERVICES"],
                                                     data["partnerships_before"]),
        "data-quality": lambda: data_quality_section(
            {**data["quality"], "no_kind": kind_count(data["overview"], None),
             "no_outcome": contact_classes(data["overview"], "no_outcome"),
             "kinds_withheld": contact_counts(data["overview"])[3]}),
    }
    return [builders[sid]() for sid in section_ids]


def run_queries(queries: dict, db, open_db=None, workers: int | None = None) -> dict:
    """{name: query(connection)} for every query.  With open_db, each query runs on a
    connection of its own in a small thread pool: SQLite releases the GIL while a statement
    runs, so a report uses every core (a whole year on 2 cores: about half the time).  The
    connections are closed before returning, even when a query fails.  Without open_db they
    run one after the other on db."""
    if open_db is None or len(queries) < 2:
        return {name: query(db) for name, query in queries.items()}

    def run(query):
        connection = open_db()
        try:
            return query(connection)
        finally:
            connection.conn.close()

    workers = workers or min(len(queries), os.cpu_count() or 1, MAX_WORKERS)
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="report") as pool:
        futures = {name: pool.submit(run, query) for name, query in queries.items()}
        return {name: future.result() for name, future in futures.items()}


def all_tables(sections: list[Section]) -> dict[str, Table]:
    return {table.id: table for section in sections for table in section.tables}
