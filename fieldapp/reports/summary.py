"""The one-page summary of the board report: its key measures for the period, the period just
before and the same period a year earlier, with the direction of change, and three findings
computed from them.

Every figure is a Cell of the full report's own tables (tables.py, from the same store queries
run for each of the three periods), so it carries the same suppression as the report of that
period: a hidden figure stays hidden here, no direction is shown next to it, and no finding
quotes it.
"""

from dataclasses import dataclass, field

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from fieldapp import police
from fieldapp.reports import period as periods
from fieldapp.reports import store, tables
from fieldapp.reports.suppression import COUNT, Cell, change, count, distinct_count, rate

# The board's populations (issue 21) and the codes of fieldapp/contacts/vocab.py they are.
POPULATIONS = [
    ("veteran", _l("Veterans")),
    ("senior_65_plus", _l("Seniors (65+)")),
    ("youth_12_17", _l("At-risk youth (12–17)")),
    ("mental_health", _l("Mental health")),
    ("unsheltered", _l("Displaced or unsheltered")),
]
# Columns of the full report's referral table (tables.REFERRAL_COLUMN_KEYS).
_MADE, _ACCEPTED, _CONNECTED, _CONNECT_MEDIAN = 1, 3, 4, 7

UP, DOWN, SAME = "up", "down", "same"


@dataclass
class Measure:
    key: str  # stable English key
    label: str
    cells: tuple[Cell, Cell, Cell]  # this period, the previous period, a year before

    @property
    def current(self) -> Cell:
        return self.cells[0]

    @property
    def changes(self) -> tuple[str | None, str | None]:
        """The direction from the previous period and from a year before to this period."""
        return direction(self.cells[1], self.cells[0]), direction(self.cells[2], self.cells[0])


@dataclass
class Group:
    title: str
    measures: list[Measure] = field(default_factory=list)


@dataclass
class Summary:
    periods: tuple  # this period, the previous period, a year before
    groups: list[Group]
    findings: list[str]
    partnerships: list[tuple[str, Cell]] | None  # (label, count), the period's directory
    repeat_calls: list[tuple[str, Cell]] = field(default_factory=list)  # this period only
    repeat_callers: list[tuple[str, Cell]] = field(default_factory=list)  # people, not calls


def direction(before: Cell, now: Cell) -> str | None:
    """UP, DOWN or SAME from `before` to `now`; None unless both are shown."""
    if before.value is None or now.value is None:
        return None
    if now.value > before.value:
        return UP
    return DOWN if now.value < before.value else SAME


# The summary's queries by thread CPU for a quarter of a year of 250,000 contacts
# (repeat_calls 0.075 s, population_cells 0.06, referred 0.048, mental_health 0.037,
# referrals 0.032, grid 0.014).
LONGEST_FIRST = ("repeat_calls", "population_cells", "referred", "mental_health", "referrals",
                 "grid")


def period_queries(filters: store.Filters, period) -> dict:
    """The store queries of one period's measures (independent: they may run at once)."""
    codes = [code for code, _label in POPULATIONS]
    months = period.months()
    return {
        # As in the full report: the total is a sum of the grid, suppressed across reports
        # (no kinds needed: the month × police service × team grid is enough and cheaper).
        "mental_health": lambda d: store.mental_health(d, filters, months),
        "grid": lambda d: store.contact_grid(d, filters, months, by_kind=False),
        "population_cells": lambda d: store.population_cells(d, filters, months),
        "referred": lambda d: store.referred_by_population(d, filters, codes, months),
        "referrals": lambda d: store.referrals(d, filters, months, per_service=False),
    }


def period_cells(data: dict, config: dict) -> dict[str, Cell]:
    """{measure key: Cell} of one period from its queries' results, as the full report of that
    period shows them."""
    cells = {"contacts": tables.contacts_total(data["grid"])}
    # Only the population table of the people section is used: no need for its people query.
    people = tables.people_section({"unique_people": 0, "repeat_people": 0, "cells": [],
                                    "populations": data["population_cells"]["populations"],
                                    "population_cells": data["population_cells"]["cells"]},
                                   int(config.get("REPEAT_CONTACTS", 2)),
                                   int(config.get("REPEAT_DAYS", 60)))
    by_population = {row[0].key: row for row in people.tables[1].rows}
    for code, _label in POPULATIONS:
        row = by_population.get(code)
        cells[f"people_contacted_{code}"] = row[2] if row else count(0)
        referred = data["referred"][code]
        cells[f"people_referred_{code}"] = distinct_count(
            referred["people"], tables.cell_grid(referred["cells"], "people").values())
    total = tables.referrals_total(data["referrals"])
    cells.update({"referrals_made": total[_MADE], "referrals_accepted": total[_ACCEPTED],
                  "referrals_connected": total[_CONNECTED],
                  "median_hours_to_connect": total[_CONNECT_MEDIAN]})
    diversion = {key: cell for key, _label, cell in tables.mental_health_items(
        data["mental_health"])}
    for key in ("mh_contacts", "mh_diverted", "mh_diverted_share"):
        cells[key] = diversion[key]
    return cells


def _groups(cells: list[dict[str, Cell]]) -> list[Group]:
    def measure(key, label):
        return Measure(key, str(label), tuple(c[key] for c in cells))

    return [
        Group(_("Contacts"), [measure("contacts", _("Contacts logged"))]),
        Group(_("People contacted, by population"),
              [measure(f"people_contacted_{code}", label) for code, label in POPULATIONS]),
        Group(_("People referred to a partner, by population"),
              [measure(f"people_referred_{code}", label) for code, label in POPULATIONS]),
        Group(_("Referrals"), [
            measure("referrals_made", _("Referrals made")),
            measure("referrals_accepted", _("Accepted by the partner")),
            measure("referrals_connected", _("Connected (the partner reached the person)")),
            measure("median_hours_to_connect", _("Median hours from sending to connection")),
        ]),
        Group(_("Mental health"), [
            measure("mh_contacts", _("Mental-health contacts")),
            measure("mh_diverted", _("Handled without police (diverted)")),
            measure("mh_diverted_share", _("Share handled without police")),
        ]),
    ]


def findings(groups: list[Group]) -> list[str]:
    """Up to three sentences computed from the measures, each only when every number it quotes
    is shown: the largest increase on the previous period, diversion against the previous
    period, and the share of referrals accepted."""
    measures = {m.key: m for group in groups for m in group.measures}
    result = []
    rises = [m for m in measures.values() if m.current.unit == COUNT
             and m.cells[1].value and m.current.value is not None
             and m.current.value > m.cells[1].value]
    if rises:
        top = max(rises, key=lambda m: ((m.current.value - m.cells[1].value) / m.cells[1].value,
                                        m.current.value))
        result.append(_("The largest increase on the previous period was in %(measure)s: "
                        "from %(before)s to %(now)s (%(change)s).",
                        measure=_measure_name(top, groups), before=top.cells[1].text,
                        now=top.current.text,
                        change=change(top.cells[1].value, top.current.value).text))
    share = measures["mh_diverted_share"]
    if share.current.value is not None and share.cells[1].value is not None:
        result.append(_("%(now)s of mental-health contacts were handled without police "
                        "(a partner outside police accepted a referral), against %(before)s in "
                        "the previous period.", now=share.current.text,
                        before=share.cells[1].text))
    elif share.current.value is not None:
        result.append(_("%(now)s of mental-health contacts were handled without police (a "
                        "partner outside police accepted a referral).", now=share.current.text))
    made, accepted = measures["referrals_made"].current, measures["referrals_accepted"].current
    if made.value and accepted.value is not None:
        accepted_share = rate(accepted.value, made.value)
        connected = measures["referrals_connected"].current
        if connected.value is not None:
            result.append(_("Partners accepted %(accepted)s of the %(made)s referrals made "
                            "(%(share)s), and %(connected)s were connected.",
                            accepted=accepted.text, made=made.text,
                            share=accepted_share.text, connected=connected.text))
        else:
            result.append(_("Partners accepted %(accepted)s of the %(made)s referrals made "
                            "(%(share)s).", accepted=accepted.text, made=made.text,
                            share=accepted_share.text))
    return result


def _measure_name(measure: Measure, groups: list[Group]) -> str:
    """A measure's label with its group's when the label alone is a population."""
    for group in groups:
        if measure in group.measures and len(group.measures) == len(POPULATIONS):
            return f"{group.title.lower()} — {measure.label}"
    return measure.label.lower()


def partnership_cells(db, police_services: dict, filters: store.Filters | None = None
                      ) -> list[tuple[str, Cell]] | None:
    """(label, count) of the services each police service partnered with at the end of the
    period, of those every police service partnered with (the overlaps), and the overlaps
    resolved in the period, as the full report's register shows them (the directory as it
    was then; today's without `filters`); None without the directory's register."""
    codes = list(police_services)
    data = store.partnerships(db, codes, filters.end if filters else None)
    if data is None:
        return None
    before = (store.partnerships(db, codes, filters.start, with_names=False) if filters
              else None)
    section = tables.partnerships_section(data, police_services, before)
    total = section.tables[0].rows[-1]
    overlaps = {row[0].key: row[1] for row in section.tables[1].rows}
    items = [(_("Partnered by %(police_service)s",
                police_service=police.abbreviation(police_services, code)), total[2 + i])
             for i, code in enumerate(codes)]
    items.append((_("Partnered by all police services (overlaps)"), total[2 + len(codes)]))
    items.append((_("Overlaps resolved in the period"), overlaps["resolved"]))
    return items


def build(db, filters: store.Filters, period, config: dict, open_db=None) -> Summary:
    """The summary of `period` with the filters of `filters`.  With `open_db` (a function
    returning a new connection) the queries of the three periods run concurrently."""
    chosen = (period, periods.previous(period), periods.year_before(period))
    queries = {}
    for i, p in enumerate(chosen):
        each = store.Filters(p.start_utc, p.end_utc, filters.police_service, filters.team)
        queries.update({(i, name): query for name, query in period_queries(each, p).items()})
    window_days = int(config.get("REPEAT_CALL_WINDOW_DAYS", store.WINDOW_DAYS))
    caller_calls = int(config.get("REPEAT_CALLER_CALLS", store.REPEAT_CALLER_CALLS))
    queries[("repeat", "repeat_calls")] = lambda d: store.repeat_calls(
        d, filters, window_days, caller_calls, period.months())
    # Longest first, whatever the period, so that the threads finish together.
    queries = dict(sorted(queries.items(), key=lambda item: LONGEST_FIRST.index(item[0][1])))
    results = tables.run_queries(queries, db, open_db)
    cells = [period_cells({name: result for (i, name), result in results.items() if i == n},
                          config) for n in range(len(chosen))]
    groups = _groups(cells)
    return Summary(chosen, groups, findings(groups),
                   partnership_cells(db, config["POLICE_SERVICES"], filters),
                   *repeat_call_cells(results[("repeat", "repeat_calls")], window_days,
                                      caller_calls))


def repeat_call_cells(data: dict, window_days: int, caller_calls: int = store.REPEAT_CALLER_CALLS
                      ) -> tuple[list[tuple[str, Cell]], list[tuple[str, Cell]]]:
    """(label, Cell) of the repeat-call effect of this period, as the full report's section 5
    shows them: people compared, calls before and after first engagement and the change; then
    the repeat callers (people, not calls) before and after."""
    section = tables.repeat_calls_section(data, window_days, caller_calls)
    rows = {row[0].key: row for table in section.tables for row in table.rows}
    calls = [(_("People compared"), rows["compared"][1]),
             (_("Calls in the %(days)s days before", days=window_days), rows["calls_before"][1]),
             (_("Calls in the %(days)s days after", days=window_days), rows["calls_after"][1]),
             (_("Change in calls"), rows["calls_change"][1])]
    callers = [(rows[key][0].text, rows[key][1])
               for key in ("callers_before", "callers_after", "callers_change")]
    return calls, callers
