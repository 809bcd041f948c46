"""All SQL of the board report and of calls for service.  Plain functions over a Database that
return raw numbers (dicts); suppression and labels are applied later, in tables.py.

Every figure is computed in SQLite over indexed columns (contact by occurred_at / team /
police_service, referral by sent_at, calls by person_key and called_at): nothing loads a whole
table into Python.  Times are compared as ISO strings (see period.py); durations use whole
seconds (strftime('%s')) so that "within 48 hours" is exact.

Conventions:
- a contact with deleted_at set was undone: it counts nowhere;
- a person merged into another (person.merged_into_id) counts as the surviving person
  ("canonical" id = coalesce(merged_into_id, id); one level, as merges point at the survivor);
- referrals belong to the period in which they were sent (sent_at).
"""

import json
from dataclasses import dataclass

from sqlite_utils import Database

from fieldapp.db import writing

PARTNER_DECLINE_REASONS = ("no_capacity", "not_eligible", "duplicate")
PERSON_DECLINE_REASONS = ("person_declined",)
ESCALATED_POLICE = "escalated_police"
ANSWER_DAYS = 7
STALE_DAYS = 180
WINDOW_DAYS = 90
# A repeat caller: a person with at least this many calls for service in a window.
REPEAT_CALLER_CALLS = 2

CANONICAL = "coalesce(p.merged_into_id, c.person_id)"
# People merged into another are few: a small materialized map (automatically indexed) is much
# cheaper to probe per contact than the whole person table.
MERGED = ("merged(id, merged_into_id) as materialized (select id, merged_into_id from person "
          "where merged_into_id is not null)")
# People involved in a merge (merged into another, or merged into): few, counted apart.
INVOLVED = "involved(id) as (select id from merged union select merged_into_id from merged)"
SECONDS = "(cast(strftime('%s', {b}) as integer) - cast(strftime('%s', {a}) as integer))"
# The report's index of contacts by person then time (reports/migrations.py).
PERSON_INDEX = "idx_contact_person_report"

# DIVERSION.  A mental-health contact is "diverted" (handled without police) when it was not
# escalated to police enforcement and a partner ACCEPTED a referral made from it (the referral
# reached accepted, and perhaps contact attempted, connected or closed after that: accepted_at
# is stamped once and kept) to a non-police service.  A service marked joint police-health
# (service.joint_police_health, e.g. a mobile crisis team run by police with health) is not
# non-police: a contact whose only accepted referral went to such a team counts as "joint",
# apart.  Referrals made but never accepted (sent, received, declined, expired, withdrawn
# before acceptance) count in neither.  Escalated contacts count in neither.  So diverted,
# joint and escalated never overlap.  A service no longer in the directory counts as
# non-police (the flag's default).
_ACCEPTED_TO = """exists (select 1 from referral r left join service s on s.id = r.service_id
                  where r.contact_id = c.id and r.accepted_at is not null
                    and coalesce(s.joint_police_health, 0) = {joint})"""
_NOT_ESCALATED = f"coalesce(c.outcome, '') != '{ESCALATED_POLICE}'"
DIVERTED = f"{_NOT_ESCALATED} and {_ACCEPTED_TO.format(joint=0)}"
JOINT = (f"{_NOT_ESCALATED} and {_ACCEPTED_TO.format(joint=1)} "
         f"and not {_ACCEPTED_TO.format(joint=0)}")


@dataclass(frozen=True)
class Filters:
    start: str  # UTC ISO, inclusive
    end: str  # UTC ISO, exclusive
    police_service: str | None = None
    team: str | None = None

    def params(self) -> dict:
        return {"start": self.start, "end": self.end, "ps": self.police_service,
                "team": self.team}


def _contacts_where(f: Filters, alias: str = "c", start: str = ":start",
                    end: str = ":end") -> str:
    sql = (f"{alias}.deleted_at is null and {alias}.occurred_at >= {start} "
           f"and {alias}.occurred_at < {end}")
    if f.police_service:
        sql += f" and {alias}.police_service = :ps"
    if f.team:
        sql += f" and {alias}.team = :team"
    return sql


def _referrals_where(f: Filters, alias: str = "r") -> str:
    sql = f"{alias}.sent_at >= :start and {alias}.sent_at < :end"
    if f.police_service:
        sql += f" and {alias}.police_service = :ps"
    if f.team:
        sql += f" and {alias}.officer_id in (select id from user where team = :team)"
    return sql


def _one(db: Database, sql: str, params: dict) -> dict:
    return next(db.query(sql, params))


def _month_case(months, column: str, params: dict) -> str:
    """The index of the period's month that `column` (a UTC ISO time inside the period) falls
    in, as SQL (binding the months' ends in `params`); 0 when no months are given (the whole
    period as one cell)."""
    if not months:
        return "0"
    branches = []
    for i, (_label, _start, end) in enumerate(months):
        params[f"ge{i}"] = end
        branches.append(f"when {column} < :ge{i} then {i}")
    return f"case {' '.join(branches)} end"


def _sum_cells(cells: list[dict], keys) -> dict:
    """The totals of `keys` over per-cell rows."""
    return {key: sum(row[key] or 0 for row in cells) for key in keys}


def table_exists(db: Database, *names: str) -> bool:
    """Whether every table of `names` exists (one look at the schema)."""
    marks = ", ".join("?" for _ in names)
    return len(names) == db.execute(
        f"select count(*) from sqlite_master where type = 'table' and name in ({marks})",
        list(names)).fetchone()[0]


def teams(db: Database) -> list[str]:
    """Teams that users belong to (for the report filter)."""
    sql = "select distinct team from user where team is not null and team != '' order by team"
    return [row["team"] for row in db.query(sql)]


# --- 1 Activity, 4 Diversion, 7 Data quality (contacts) --------------------------------------


def contacts_overview(db: Database, f: Filters, months: list[tuple[str, str, str]],
                      kinds: list[str] = ()) -> dict:
    """Activity (totals, by kind, by month, school visits, groups and headcount), diversion
    (mental-health contacts: diverted, joint police-health, escalated; see DIVERTED) and
    contacts missing a kind or an outcome, from range scans of the covering index, with no
    sorting.

    Counts use FILTER clauses, which step an aggregate only for the rows they match (measured:
    twice as fast as sum(<condition>), which steps every aggregate for every row).  Known kinds
    are counted that way; kinds outside `kinds` (coordinator additions) by a small GROUP BY run
    only when there are any.  Each month is its own range count.
    """
    where = _contacts_where(f)
    params = {**f.params(), "escalated": ESCALATED_POLICE}
    kinds = [k for k in dict.fromkeys(kinds) if k]
    kind_counts = "".join(f", count(*) filter (where c.kind = :k{i}) as k{i}"
                          for i in range(len(kinds)))
    params.update({f"k{i}": kind for i, kind in enumerate(kinds)})
    marks = ", ".join(f":k{i}" for i in range(len(kinds))) or "''"
    row = _one(db, f"""
        select count(*) as contacts,
               count(*) filter (where c.kind is null or c.kind = '') as no_kind,
               count(*) filter (where c.is_group = 1) as group_contacts,
               coalesce(sum(c.headcount) filter (where c.is_group = 1), 0) as headcount,
               count(*) filter (where c.outcome is null or c.outcome = '') as no_outcome,
               count(*) filter (where c.outcome = :escalated) as escalated
               {kind_counts}
        from contact c where {where}""", params)
    row.update(mental_health(db, f))
    by_kind = {kind: row[f"k{i}"] for i, kind in enumerate(kinds)}
    if row["contacts"] - row["no_kind"] - sum(by_kind.values()):  # kinds outside `kinds`
        for other in db.query(f"""
                select c.kind, count(*) as n from contact c
                where {where} and c.kind != '' and c.kind not in ({marks}) group by c.kind""",
                              params):
            by_kind[other["kind"]] = other["n"]
    if row["no_kind"]:
        by_kind[None] = row["no_kind"]
    return {
        **{key: row[key] for key in ("contacts", "group_contacts", "headcount", "no_kind",
                                     "no_outcome", "escalated", "mh_contacts", "mh_escalated",
                                     "mh_diverted", "mh_joint")},
        "school_visits": by_kind.get("school_visit", 0),
        "by_kind": [{"kind": k, "n": n} for k, n in
                    sorted(by_kind.items(), key=lambda item: (-item[1], item[0] or ""))
                    if n],
        "by_month": contacts_by_month(db, f, months),
    }


MH_KEYS = ("mh_contacts", "mh_escalated", "mh_diverted", "mh_joint")


def mental_health(db: Database, f: Filters, months=None) -> dict:
    """Mental-health contacts (the kind, or a mental-health population) and what happened:
    escalated, diverted, joint (see DIVERSION; they never overlap).  A pass of its own over
    the period's contacts, so that the population test is evaluated once per contact; the
    contacts naming the population are found in the period's range of the populations
    mirror (report_contact_population), not among all contacts ever.

    Counted per month × police service × team cell (`mh_cells`: rows with `m`, `ps`, `team`
    and the counts), the grid the report suppresses them on (tables.diversion_cells); the
    totals are the sums of the cells."""
    params = {**f.params(), "escalated": ESCALATED_POLICE}
    month = _month_case(months, "c.occurred_at", params)
    cells = list(db.query(f"""
        select {month} as m, c.police_service as ps, c.team as team,
               count(*) as mh_contacts,
               count(*) filter (where c.outcome = :escalated) as mh_escalated,
               count(*) filter (where {DIVERTED}) as mh_diverted,
               count(*) filter (where {JOINT}) as mh_joint
        from contact c
        where {_contacts_where(f)} and (c.kind = 'mental_health' or c.id in (
            select cp.contact_id from report_contact_population cp
            where cp.occurred_at >= :start and cp.occurred_at < :end
              and cp.population = 'mental_health'))
        group by 1, 2, 3""", params))
    return {**_sum_cells(cells, MH_KEYS), "mh_cells": cells}


def contacts_by_month(db: Database, f: Filters, months: list[tuple[str, str, str]]) -> list:
    """Contacts in each month: one range count of the covering index per month (cheaper than
    comparing every contact with every month's bounds)."""
    params = dict(f.params())
    counts = []
    for i, (_label, start, end) in enumerate(months):
        params.update({f"s{i}": start, f"e{i}": end})
        where = _contacts_where(f, start=f":s{i}", end=f":e{i}")
        counts.append(f"(select count(*) from contact c where {where}) as m{i}")
    row = _one(db, "select " + ", ".join(counts), params) if counts else {}
    return [{"month": label, "n": row[f"m{i}"]} for i, (label, _s, _e) in enumerate(months)]


def _grid_order(key: tuple) -> tuple:
    """The order of a GROUP BY of a cell key (month index, then values, NULL first)."""
    return (key[0], *((value is not None, value or "") for value in key[1:]))


CELL_MEASURES = ("n", "group_contacts", "headcount", "no_outcome", "escalated")
# The report's index of contacts by grid cell then time (reports/migrations.py).
CELLS_INDEX = "idx_contact_cells_report"


def _distinct_prefixes(db: Database, table: str, index: str, columns: tuple[str, ...],
                       fixed: dict[str, str | None]) -> list[list]:
    """Every distinct value of `columns` (the leading columns of `index` on `table`) in the
    table, a value of `fixed` (column: value; None or '': any) being the only one of its
    column: a skip-scan of the index in one recursive query (one seek per value found, a few
    hundred at most), so that its cost does not grow with the rows.  In index order (NULL
    first).

    Level d lists the distinct prefixes of d+1 columns: for each prefix of level d-1, the
    least value of column d (then the least one above it, and so on: `w<d>`), and NULL when
    some row has it (`l<d>`)."""
    ctes = []
    params = {}
    for depth, column in enumerate(columns):
        # The prefix of the level above, and the test of each of its columns on the index.
        above = [f"p.c{i}" for i in range(depth)]
        same = "".join(f"{col} is p.c{i} and " for i, col in enumerate(columns[:depth]))
        least = f"select min({column}) from {table} indexed by {index} where {same}"
        prefix = "".join(f"{ref}, " for ref in above)
        source = f"from l{depth - 1} p" if depth else "from (select 1) p"
        names = ", ".join(f"c{i}" for i in range(depth + 1))
        ctes.append(f"""w{depth}({names}) as (
            select {prefix}({least}{column} is not null) {source}
            union all
            select {prefix}({least}{column} > p.c{depth})
            from w{depth} p where p.c{depth} is not null)""")
        found = f"""select * from w{depth} where c{depth} is not null
            union all
            select {prefix}null {source} where exists (
                select 1 from {table} indexed by {index} where {same}{column} is null)"""
        if fixed.get(column):
            params[f"v{depth}"] = fixed[column]
            found = f"select {prefix}:v{depth} {source}"
        ctes.append(f"l{depth}({names}) as ({found})")
    last = len(columns) - 1
    order = ", ".join(str(i + 1) for i in range(len(columns)))
    sql = (f"with recursive {', '.join(ctes)} select {', '.join(f'c{i}' for i in range(last + 1))}"
           f" from l{last} order by {order}")
    return [list(row) for row in db.execute(sql, params)]


def _cell_combos(db: Database, f: Filters) -> list[list]:
    """Every (police service, team, kind) that any contact ever had, within the filters (the
    cells index's leading columns)."""
    return _distinct_prefixes(db, "contact", CELLS_INDEX, ("police_service", "team", "kind"),
                              {"police_service": f.police_service, "team": f.team})


# The (police service, team, kind) cells of `_cell_combos`, bound as JSON in :combos.
_COMBOS = ("co as (select j.value ->> 0 as ps, j.value ->> 1 as team, j.value ->> 2 as kind "
           "from json_each(:combos) j)")


def _months_values(months: list[tuple[str, str, str]], params: dict) -> str:
    """A CTE `mo(m, s, e)`: each month's index and UTC bounds within the period (binding them
    in `params`)."""
    values = []
    for i, (_label, start, end) in enumerate(months):
        params.update({f"s{i}": start, f"e{i}": end})
        values.append(f"({i}, max(:start, :s{i}), min(:end, :e{i}))")
    return f"mo(m, s, e) as (values {', '.join(values)})"


def contact_cells(db: Database, f: Filters, months: list[tuple[str, str, str]],
                  by_kind: bool = True) -> list[dict]:
    """Contacts of the finest cells the board report publishes sums of, one dict per (month
    index `m`, police service `ps`, `team`, `kind` (None: not recorded; left out unless
    `by_kind`)) with contacts in the filters: `n` contacts, `group_contacts`, `headcount`,
    `no_outcome` and `escalated`, so that the activity figures come from this one pass.  See
    suppression.grid_count and suppression.sensitive_cells for what the grid is for.

    No GROUP BY (a sort of every contact of the period, the cost of this query when it had
    one): each (police service, team, kind) of the filters that has contacts at all, times
    each month, is one range of the cells index, counted by one correlated subquery (a seek
    and an index-only walk); its five figures come back as one JSON array.  Empty cells are
    left out; kinds '' and NULL (not recorded) are added together here."""
    if not months:
        return []
    params = {**f.params(), "escalated": ESCALATED_POLICE,
              "combos": json.dumps(_cell_combos(db, f))}
    sql = f"""
        with {_COMBOS}, {_months_values(months, params)}
        select mo.m, co.ps, co.team, co.kind, (
            select json_array(count(*),
                   count(*) filter (where c.is_group = 1),
                   coalesce(sum(c.headcount) filter (where c.is_group = 1), 0),
                   count(*) filter (where c.outcome is null or c.outcome = ''),
                   count(*) filter (where c.outcome = :escalated))
            from contact c indexed by {CELLS_INDEX}
            where c.police_service is co.ps and c.team is co.team and c.kind is co.kind
              and c.occurred_at >= mo.s and c.occurred_at < mo.e and c.deleted_at is null)
        from co, mo"""
    cells: dict = {}
    for m, ps, team, kind, figures in db.execute(sql, params):
        counts = json.loads(figures)
        if not counts[0]:
            continue
        key = (m, ps, team, (kind or None) if by_kind else None)
        cell = cells.get(key)
        if cell is None:
            cells[key] = counts
        else:
            cells[key] = [a + b for a, b in zip(cell, counts, strict=True)]
    rows = []
    # In the order a GROUP BY gave them, as before.
    for (m, ps, team, kind), counts in sorted(cells.items(),
                                              key=lambda item: _grid_order(item[0])):
        row = {"m": m, "ps": ps, "team": team}
        if by_kind:
            row["kind"] = kind
        row.update(zip(CELL_MEASURES, counts, strict=True))
        rows.append(row)
    return rows


def contact_grid(db: Database, f: Filters, months: list[tuple[str, str, str]],
                 by_kind: bool = True) -> dict:
    """{(month index, police service, team, kind): n} of `contact_cells` ((month index,
    police service, team): n without `by_kind`)."""
    return {(row["m"], row["ps"], row["team"]) + ((row["kind"],) if by_kind else ()): row["n"]
            for row in contact_cells(db, f, months, by_kind)}


# --- 2 People --------------------------------------------------------------------------------


def person_split(db: Database) -> str | None:
    """The person id that splits the person index's contacts in two halves (all periods: one
    short index walk), or None when no contact names a person."""
    row = db.execute(f"""
        select person_id from contact indexed by {PERSON_INDEX} where person_id is not null
        order by person_id limit 1 offset (
            select count(*) / 2 from contact indexed by {PERSON_INDEX}
            where person_id is not null)""").fetchone()
    return row[0] if row else None


def people(db: Database, f: Filters, repeat_contacts: int = 2, repeat_days: int = 60,
           person_range: tuple[str | None, str | None] = (None, None)) -> dict:
    """Unique people and repeat people (repeat_contacts+ contacts within repeat_days, both
    inside the period).

    People untouched by merges (nearly all) are read in the order of the person index: one
    group per person, no sort, and a contact makes its person a repeat person when
    repeat_contacts-1 other contacts of theirs follow it within repeat_days (seeks in the same
    index).  People involved in a merge (merged, or merged into) are few: their contacts are
    counted under the surviving person with a window over (person, time).

    With person_range (low, high), only the untouched people with low <= id < high (None: no
    bound) are counted, so that halves can run at the same time and be added; the people
    involved in merges are counted with the range that has no low bound.
    """
    where = _contacts_where(f)
    low, high = person_range
    params = {**f.params(), "low": low, "high": high}
    in_range = ((" and c.person_id >= :low" if low is not None else "")
                + (" and c.person_id < :high" if high is not None else ""))
    merges = "" if low is None else " and 0"
    lag = max(int(repeat_contacts), 2) - 1
    days = int(repeat_days)
    within = f"{days} * 86400"
    later = (f"""select 1 from contact c2 indexed by {PERSON_INDEX}
                 where c2.person_id = c.person_id and c2.rowid != c.rowid
                   and c2.deleted_at is null and c2.occurred_at >= c.occurred_at
                   and c2.occurred_at < min(:end, strftime('%Y-%m-%dT%H:%M:%S',
                                                         c.occurred_at, '+{days + 1} days'))
                   {"and c2.police_service = :ps" if f.police_service else ""}
                   {"and c2.team = :team" if f.team else ""}
                   and {SECONDS.format(a="c.occurred_at", b="c2.occurred_at")} <= {within}""")
    # "lag other contacts follow within the days": EXISTS when one is enough (the usual 2
    # contacts), else a count that stops at lag.
    repeat = (f"exists ({later})" if lag == 1
              else f"(select count(*) from ({later} limit {lag})) = {lag}")
    return _one(db, f"""
        with {MERGED}, {INVOLVED},
        plain as (
            select c.person_id, max({repeat}) as is_repeat
            from contact c indexed by {PERSON_INDEX}
            where {where} and c.person_id is not null {in_range}
              and c.person_id not in (select id from involved)
            group by c.person_id),
        mixed as (
            select {CANONICAL} as pid, c.occurred_at as t
            from contact c left join merged p on p.id = c.person_id
            where {where} and c.person_id in (select id from involved) {merges}),
        w as (select pid, t, lag(t, {lag}) over by_person as prev,
                     row_number() over by_person as rn
              from mixed window by_person as (partition by pid order by t))
        select (select count(*) from plain)
                 + (select count(*) from w where rn = 1) as unique_people,
               (select count(*) from plain where is_repeat)
                 + (select count(distinct pid) from w
                    where prev is not null
                      and {SECONDS.format(a="prev", b="t")} <= {within}) as repeat_people
        """, params)


def people_cells(db: Database, f: Filters, months=None) -> list[dict]:
    """Different people (merged people once) met in each month × police service × team cell
    of the period (rows with `m`, `ps`, `team`, `people`): the grid the people figures are
    suppressed on (tables.people_section).

    No GROUP BY over the period's contacts (a sort of every one of them): each cell is the
    ranges of the cells index of its kinds in its month (as in contact_cells), its people
    counted by one correlated subquery, index only.  People involved in a merge (few) are
    counted apart, under the surviving person, by a small grouped query of the person index;
    they are never among the others, so the two counts add up."""
    if not months:
        months = [("", f.start, f.end)]
    params = {**f.params(), "combos": json.dumps(_cell_combos(db, f))}
    people: dict = {}
    for m, ps, team, n in db.execute(f"""
            with {MERGED}, {INVOLVED}, {_COMBOS}, {_months_values(months, params)},
            pt as (select distinct ps, team from co)
            select mo.m, pt.ps, pt.team, (
                select count(distinct c.person_id)
                from (select kind from co where co.ps is pt.ps and co.team is pt.team) k
                cross join contact c indexed by {CELLS_INDEX}
                  on c.police_service is pt.ps and c.team is pt.team and c.kind is k.kind
                    and c.occurred_at >= mo.s and c.occurred_at < mo.e
                    and c.deleted_at is null and c.person_id is not null
                where c.person_id not in (select id from involved))
            from mo, pt""", params):
        if n:
            people[(m, ps, team)] = n
    month = _month_case(months, "c.occurred_at", params)
    for m, ps, team, n in db.execute(f"""
            with {MERGED}, {INVOLVED}
            select {month}, c.police_service, c.team,
                   count(distinct coalesce(p.merged_into_id, c.person_id))
            from contact c indexed by {PERSON_INDEX} left join merged p on p.id = c.person_id
            where {_contacts_where(f)} and c.person_id in (select id from involved)
            group by 1, 2, 3""", params):
        people[(m, ps, team)] = people.get((m, ps, team), 0) + n
    # In the order a GROUP BY gave them, as before.
    return [{"m": m, "ps": ps, "team": team, "people": n}
            for (m, ps, team), n in sorted(people.items(), key=lambda item: _grid_order(item[0]))]


# The populations mirror's index by grid cell then time (reports/migrations.py).
POPULATION_CELLS_INDEX = "idx_report_population_cells"


def population_cells(db: Database, f: Filters, months=None) -> dict:
    """Contacts and different people per population (`populations`: rows with `population`,
    `contacts`, `people`, most contacts first) and per month × police service × team ×
    population cell (`cells`: rows with `m`, `ps`, `team`, `population`, `contacts`,
    `people`: the grid the population figures are suppressed on), from the populations
    mirror (report_contact_population) with no GROUP BY over the period's rows (a sort of
    every one of them, the cost of this query when it had one): each (population, police
    service, team) of its index, times each month, is one range of the index, counted by one
    correlated subquery (index only); each population's people over the period likewise.
    People involved in a merge (few) are counted apart, under the surviving person, by a
    small grouped query; they are never among the others, so the counts add up."""
    if not months:
        months = [("", f.start, f.end)]
    combos = _distinct_prefixes(db, "report_contact_population", POPULATION_CELLS_INDEX,
                                ("population", "police_service", "team"),
                                {"police_service": f.police_service, "team": f.team})
    params = {**f.params(), "combos": json.dumps(combos)}
    cells_of = f"""
        with {MERGED}, {INVOLVED},
        co as (select j.value ->> 0 as pop, j.value ->> 1 as ps, j.value ->> 2 as team
               from json_each(:combos) j), {_months_values(months, params)}"""
    plain = "case when cp.person_id not in (select id from involved) then cp.person_id end"
    cells: dict = {}
    for m, population, ps, team, figures in db.execute(f"""
            {cells_of}
            select mo.m, co.pop, co.ps, co.team, (
                select json_array(count(*), count(distinct {plain}))
                from report_contact_population cp indexed by {POPULATION_CELLS_INDEX}
                where cp.population = co.pop and cp.police_service is co.ps
                  and cp.team is co.team and cp.occurred_at >= mo.s and cp.occurred_at < mo.e
                  and cp.deleted_at is null)
            from mo, co""", params):
        contacts, people = json.loads(figures)
        if contacts:
            cells[(m, ps, team, population)] = [contacts, people]
    people_of = dict(db.execute(f"""
            {cells_of}
            select p.pop, (
                select count(distinct {plain})
                from (select ps, team from co where co.pop = p.pop) k
                cross join report_contact_population cp indexed by {POPULATION_CELLS_INDEX}
                  on cp.population = p.pop and cp.police_service is k.ps and cp.team is k.team
                    and cp.occurred_at >= :start and cp.occurred_at < :end
                    and cp.deleted_at is null)
            from (select distinct pop from co) p""", params).fetchall())
    month = _month_case(months, "c.occurred_at", params)
    for whole, m, ps, team, population, people in db.execute(f"""
            with {MERGED}, {INVOLVED},
            base as materialized (
                select {month} as m, c.police_service as ps, c.team as team,
                       coalesce(cp.population, '') as population,
                       coalesce(p.merged_into_id, c.person_id) as pid
                from contact c indexed by {PERSON_INDEX}
                join contact_population cp on cp.contact_id = c.id
                left join merged p on p.id = c.person_id
                where {_contacts_where(f)} and c.person_id in (select id from involved))
            select 0, m, ps, team, population, count(distinct pid) from base
            group by m, ps, team, population
            union all
            select 1, null, null, null, population, count(distinct pid) from base
            group by population""", params):
        if whole:
            people_of[population] = people_of.get(population, 0) + people
        else:
            cells[(m, ps, team, population)][1] += people
    rows = [{"whole": 0, "m": m, "ps": ps, "team": team, "population": population,
             "contacts": contacts, "people": people}
            for (m, ps, team, population), (contacts, people)
            in sorted(cells.items(), key=lambda item: _grid_order(item[0]))]
    contacts_of: dict = {}
    for row in rows:
        contacts_of[row["population"]] = contacts_of.get(row["population"], 0) + row["contacts"]
    totals = [{"population": code, "contacts": n, "people": people_of.get(code, 0)}
              for code, n in contacts_of.items() if n]
    return {"populations": sorted(totals, key=lambda r: (-r["contacts"], r["population"])),
            "cells": rows}


def populations(db: Database, f: Filters, known: list[str] = ()) -> list[dict]:
    """Contacts and people per population, most contacts first, from one range scan of
    report_contact_population (each contact's populations with the contact's columns, kept by
    triggers; see migrations.py).  Known populations are counted with FILTER clauses (no
    sort); others (coordinator additions) by a small GROUP BY, run only when there are any."""
    where = _contacts_where(f, "cp")
    params = dict(f.params())
    known = [code for code in dict.fromkeys(known) if code]
    params.update({f"p{i}": code for i, code in enumerate(known)})
    marks = ", ".join(f":p{i}" for i in range(len(known))) or "''"
    person = "coalesce(p.merged_into_id, cp.person_id)"
    counts = "".join(
        f", count(*) filter (where cp.population = :p{i}) as c{i}"
        f", count(distinct {person}) filter (where cp.population = :p{i}) as n{i}"
        for i in range(len(known)))
    scan = f"""from report_contact_population cp left join merged p on p.id = cp.person_id
        where {where}"""
    row = _one(db, f"with {MERGED} select count(*) as contacts {counts} {scan}", params)
    rows = [{"population": code, "contacts": row[f"c{i}"], "people": row[f"n{i}"]}
            for i, code in enumerate(known) if row[f"c{i}"]]
    if row["contacts"] - sum(r["contacts"] for r in rows):  # populations outside `known`
        rows += db.query(f"""
            with {MERGED}
            select cp.population, count(*) as contacts, count(distinct {person}) as people
            {scan} and cp.population not in ({marks}) group by cp.population""", params)
    return sorted(rows, key=lambda r: (-r["contacts"], r["population"]))


def referred_by_population(db: Database, f: Filters, codes: list[str], months=None) -> dict:
    """{population: {"referrals", "people", "cells"}}: referrals sent in the period from a
    contact naming the population, and the different people (merged people once) those
    contacts name; `cells` counts both per month × police service × team (the officer's)
    cell, the grid they are suppressed on.  A
    referral has one contact and a contact names a population once (its primary key): each
    row is a different referral, counted without a DISTINCT sort."""
    codes = [code for code in dict.fromkeys(codes) if code]
    if not codes:
        return {}
    params = {**f.params(), **{f"p{i}": code for i, code in enumerate(codes)}}
    marks = ", ".join(f":p{i}" for i in range(len(codes)))
    month = _month_case(months, "r.sent_at", params)
    # One pass: the period's (population, person, cell) groups, then added up per cell and,
    # with different people, per population.  The contact's populations, deleted_at and
    # person come from the populations mirror (a copy of contact_population joined to
    # contact, kept by triggers), found by contact: one index-only probe per referral.
    rows = db.query(f"""
        with {MERGED},
        base as materialized (
            select cp.population, coalesce(mg.merged_into_id, cp.person_id) as pid,
                   {month} as m, r.police_service as ps, u.team as team, count(*) as n
            from referral r indexed by idx_referral_sent_contact
            join report_contact_population cp indexed by idx_report_population_contact
              on cp.contact_id = r.contact_id and cp.population in ({marks})
                and cp.deleted_at is null
            left join merged mg on mg.id = cp.person_id
            left join user u on u.id = r.officer_id
            where {_referrals_where(f)}
            group by 1, 2, 3, 4, 5)
        select 0 as whole, m, ps, team, population, sum(n) as referrals,
               count(pid) as people
        from base group by m, ps, team, population
        union all
        select 1, null, null, null, population, sum(n), count(distinct pid)
        from base group by population""", params)
    result = {code: {"referrals": 0, "people": 0, "cells": []} for code in codes}
    for row in rows:
        if row["whole"]:
            result[row["population"]].update(referrals=row["referrals"], people=row["people"])
        else:
            result[row["population"]]["cells"].append(row)
    return result


# --- 3 Referrals -----------------------------------------------------------------------------


REFERRAL_COUNTS = ("made", "received", "accepted", "connected", "connected_48h", "declined",
                   "declined_partner", "declined_person")


def _referral_counts_sql(where: str, month: str) -> str:
    partner = ", ".join(f"'{r}'" for r in PARTNER_DECLINE_REASONS)
    person = ", ".join(f"'{r}'" for r in PERSON_DECLINE_REASONS)
    return f"""
        select {month} as m, r.police_service as ps, u.team as team, r.service_id as g,
          count(*) as made,
          count(*) filter (where coalesce(r.received_at, r.accepted_at, r.declined_at,
                                          r.attempted_at, r.connected_at) is not null)
              as received,
          count(*) filter (where r.accepted_at is not null) as accepted,
          count(*) filter (where r.connected_at is not null) as connected,
          count(*) filter (where r.connected_at is not null and
              {SECONDS.format(a="r.sent_at", b="r.connected_at")} <= 48 * 3600)
              as connected_48h,
          count(*) filter (where r.declined_at is not null) as declined,
          count(*) filter (where r.declined_at is not null and r.status_reason in ({partner}))
              as declined_partner,
          count(*) filter (where r.declined_at is not null and r.status_reason in ({person}))
              as declined_person
        from referral r left join user u on u.id = r.officer_id
        where {where} group by 1, 2, 3, 4"""


def _hours(db: Database, where: str, params: dict) -> dict[str, dict[str, list[float]]]:
    """{"accepted_at"/"connected_at": {service: [hours from sending to it]}} of the period's
    referrals that reached it: one index-only range scan for both (the medians are sorted
    here, per service, rather than by two window sorts and two more sorts in SQLite:
    measured on a year of 40,000 referrals, 0.21 s -> 0.04 s CPU).  The hours are computed
    by SQLite as before (whole seconds / 3600.0), so the medians are the same floats."""
    hours: dict[str, dict[str, list[float]]] = {"accepted_at": {}, "connected_at": {}}
    accept = SECONDS.format(a="r.sent_at", b="r.accepted_at")
    connect = SECONDS.format(a="r.sent_at", b="r.connected_at")
    sql = f"""select r.service_id, {accept} / 3600.0, {connect} / 3600.0 from referral r
              where {where} and (r.accepted_at is not null or r.connected_at is not null)"""
    accepted, connected = hours["accepted_at"], hours["connected_at"]
    for service, to_accept, to_connect in db.execute(sql, params):
        if to_accept is not None:
            accepted.setdefault(service, []).append(to_accept)
        if to_connect is not None:
            connected.setdefault(service, []).append(to_connect)
    return hours


def _middle(values: list[float]) -> float | None:
    """The median of values: the middle one, or the mean of the middle two (None: none)."""
    values = sorted(values)
    n = len(values)
    if not n:
        return None
    return values[n // 2] if n % 2 else (values[n // 2 - 1] + values[n // 2]) / 2


def referrals(db: Database, f: Filters, months=None, per_service: bool = True) -> dict:
    """Per partner service and in total: made, received, accepted, connected, within 48 h,
    declines by reason, and median hours sent -> accepted and sent -> connected.  The counts
    come from one grouped scan per month × police service × team (the officer's) × service
    cell (`cells`), the grid the report suppresses them on."""
    where = _referrals_where(f)
    params = dict(f.params())
    month = _month_case(months, "r.sent_at", params)
    cells = list(db.query(_referral_counts_sql(where, month), params))
    rows: dict = {}
    for cell in cells:
        row = rows.setdefault(cell["g"], {"g": cell["g"], **dict.fromkeys(REFERRAL_COUNTS, 0)})
        for key in REFERRAL_COUNTS:
            row[key] += cell[key]
    # Every count is a sum over referrals, so the total is the sum of the services' rows.
    total = {key: sum(row[key] for row in rows.values()) for key in REFERRAL_COUNTS}
    total["g"] = "*"
    hours = _hours(db, where, params) if total["accepted"] or total["connected"] else {}
    for column, key, counted in (("accepted_at", "accept", "accepted"),
                                 ("connected_at", "connect", "connected")):
        by_service = hours.get(column, {})
        for service, values in (by_service.items() if per_service else ()):
            if service in rows:
                rows[service][f"{key}_n"] = len(values)
                rows[service][f"{key}_median"] = _middle(values)
        if total[counted]:
            total[f"{key}_n"] = total[counted]
            total[f"{key}_median"] = _middle([h for values in by_service.values()
                                              for h in values])
    names = service_names(db, list(rows))
    services = sorted(rows.values(), key=lambda r: (-r["made"], names.get(r["g"], r["g"])))
    for row in services:
        row["service"] = names.get(row["g"], row["g"])
    return {"services": services, "total": total, "cells": cells}


def service_names(db: Database, service_ids: list[str]) -> dict:
    """'Organization — service' labels from the directory (the id when it has no name)."""
    if not service_ids or not table_exists(db, "service"):
        return {}
    marks = ", ".join("?" for _ in service_ids)
    sql = f"""select s.id, s.name, o.name as org from service s
              left join organization o on o.id = s.organization_id where s.id in ({marks})"""
    names = {}
    for row in db.query(sql, service_ids):
        names[row["id"]] = f"{row['org']} — {row['name']}" if row["org"] else row["name"]
    return names


# --- 5 Repeat-call effect --------------------------------------------------------------------


REPEAT_CALL_KEYS = ("cohort", "linked", "compared", "early", "open", "calls_before",
                    "calls_after", "people_before", "people_after", "callers_before",
                    "callers_after")


def repeat_calls(db: Database, f: Filters, window_days: int = WINDOW_DAYS,
                 caller_calls: int = REPEAT_CALLER_CALLS, months=None) -> dict:
    """Calls for service involving engaged people, 90 days before vs after first engagement,
    and the repeat callers among them: people compared with `caller_calls` or more calls in
    the window before (`callers_before`) and in the window after (`callers_after`).  A
    caller is a person (people merged count once, whatever number of keys they have).

    Cohort: people whose first engagement ever (first non-undone contact) falls in the period,
    that contact matching the police-service/team filter.  Only people with a linked person key
    can be compared.  Windows are relative to each person: before = [t0 - 90 d, t0),
    after = [t0, t0 + 90 d); they are not clipped to the period.  Edge rule: a person is compared
    only when both windows lie entirely inside the imported call records (from the first to the
    last call imported); others are counted as "before-window earlier than the call records"
    or "after-window not yet over".
    """
    fmt = "'%Y-%m-%dT%H:%M:%S'"
    params = {**f.params(), "callers": int(caller_calls)}
    month = _month_case(months, "fc.first_at", params)
    ps_filter = " and fc.ps = :ps" if f.police_service else ""
    team_filter = " and fc.team = :team" if f.team else ""
    days = int(window_days)
    sql = f"""
        with {MERGED},
        -- Each person's first contact in the period, in the order of the person index (no
        -- sort); SQLite returns the other columns of the row holding min(): the first
        -- contact's.  Then per surviving person, over the people merged into them.
        first_contacts as (
            select c.person_id, min(c.occurred_at) as first_at, c.police_service as ps,
                   c.team as team
            from contact c indexed by {PERSON_INDEX}
            where c.deleted_at is null and c.person_id is not null
              and c.occurred_at >= :start and c.occurred_at < :end
            group by c.person_id),
        fc as (select coalesce(p.merged_into_id, r.person_id) as pid, min(r.first_at) as first_at,
                      r.ps, r.team
               from first_contacts r left join merged p on p.id = r.person_id
               group by coalesce(p.merged_into_id, r.person_id)),
        cohort as (
            select fc.pid, strftime({fmt}, fc.first_at) as t0, {month} as m, fc.ps, fc.team
            from fc
            where 1 = 1 {ps_filter} {team_filter}
              and not exists (select 1 from contact e where e.person_id = fc.pid
                              and e.deleted_at is null and e.occurred_at < :start)
              and not exists (select 1 from person m join contact e on e.person_id = m.id
                              where m.merged_into_id = fc.pid and e.deleted_at is null
                                and e.occurred_at < :start)),
        keyed as (
            select co.pid, co.t0, k.person_key from cohort co
            join person_key k on k.person_id = co.pid
            union
            select co.pid, co.t0, k.person_key from cohort co
            join person m on m.merged_into_id = co.pid join person_key k on k.person_id = m.id),
        -- min() and max() apart: each is one seek of the index (together, a scan of it).
        bounds as (select strftime({fmt}, (select min(called_at) from calls_for_service)) as lo,
                          strftime({fmt}, (select max(called_at) from calls_for_service))
                            as hi),
        classified as (
            select l.pid, l.t0,
                   case when b.lo is null then 'no_calls'
                        when strftime({fmt}, l.t0, '-{days} days') < b.lo then 'early'
                        when strftime({fmt}, l.t0, '+{days} days') > b.hi then 'open'
                        else 'compared' end as cls
            from (select distinct pid, t0 from keyed) l, bounds b),
        counted as (
            select k.pid,
                   sum(f.called_at < k.t0) as before_calls,
                   sum(f.called_at >= k.t0) as after_calls
            from keyed k
            join classified cl on cl.pid = k.pid and cl.cls = 'compared'
            join calls_for_service f on f.person_key = k.person_key
                and f.called_at >= strftime({fmt}, k.t0, '-{days} days')
                and f.called_at < strftime({fmt}, k.t0, '+{days} days')
            group by k.pid),
        cells as (
            select co.m, co.ps, co.team, count(*) as cohort,
                   count(cl.pid) as linked,
                   count(*) filter (where cl.cls = 'compared') as compared,
                   count(*) filter (where cl.cls = 'early') as early,
                   count(*) filter (where cl.cls = 'open') as open,
                   coalesce(sum(ct.before_calls), 0) as calls_before,
                   coalesce(sum(ct.after_calls), 0) as calls_after,
                   count(*) filter (where ct.before_calls > 0) as people_before,
                   count(*) filter (where ct.after_calls > 0) as people_after,
                   count(*) filter (where ct.before_calls >= :callers) as callers_before,
                   count(*) filter (where ct.after_calls >= :callers) as callers_after
            from cohort co left join classified cl on cl.pid = co.pid
            left join counted ct on ct.pid = co.pid
            group by 1, 2, 3)
        select cells.*, (select lo from bounds) as records_from,
               (select hi from bounds) as records_to
        from (select 1) left join cells"""
    rows = list(db.query(sql, params))
    bounds = rows[0]
    cells = [row for row in rows if row["m"] is not None]
    return {**_sum_cells(cells, REPEAT_CALL_KEYS), "cells": cells,
            "records_from": bounds["records_from"], "records_to": bounds["records_to"]}


# --- 6 Partnerships --------------------------------------------------------------------------


def _register_at(at: str | None) -> tuple[str, str]:
    """(CTE, params) of the partnership register as it was at `at` (UTC ISO; None: today's):
    `sp` the partnerships of that moment (report_partnership_history), `live` the services
    then in the directory (created before, not yet archived)."""
    if at is None:
        return ("sp as (select service_id, police_service from service_partnership), "
                "live as (select s.id from service s where s.archived_at is null)"), ""
    return ("""sp as (select distinct service_id, police_service
                      from report_partnership_history h
                      where h.added_at < :at and (h.removed_at is null or h.removed_at >= :at)),
               live as (select s.id from service s
                        where (s.archived_at is null or s.archived_at >= :at)
                          and (s.created_at is null or s.created_at = ''
                               or s.created_at < :at))"""), at


def partnerships(db: Database, police_services: list[str], at: str | None = None,
                 with_names: bool = True) -> dict | None:
    """Services of the directory partnered by each police service, per category, as the
    register was at `at` (the end of the period, UTC ISO; None: today's): overlaps
    (partnered by every police service, listed by name in `overlapping`) and gaps (a category
    with services but none partnered by one police service).  Public directory data: not
    suppressed.  None when the directory's register is not there."""
    if not table_exists(db, "service", "service_category", "service_partnership",
                        "report_partnership_history"):
        return None
    cte, moment = _register_at(at)
    params = {f"ps{i}": code for i, code in enumerate(police_services)}
    params["at"] = moment
    flags = "".join(f", exists(select 1 from sp where sp.service_id = s.id "
                    f"and sp.police_service = :ps{i}) as ps{i}"
                    for i in range(len(police_services)))
    # One row per service and category (services are hundreds): added up here.
    rows = list(db.query(f"""
        with {cte}
        select s.id, sc.category {flags}
        from service s left join service_category sc on sc.service_id = s.id
        where s.id in (select id from live)""", params))
    keys = [f"ps{i}" for i in range(len(police_services))]

    def empty():
        return {"services": 0, **dict.fromkeys(keys, 0), "overlap": 0}

    by_category: dict = {}
    services: dict = {}
    for row in rows:
        partnered = [bool(row[k]) for k in keys]
        services[row["id"]] = partnered
        if row["category"] is not None:
            figures = by_category.setdefault(row["category"], empty())
            figures["services"] += 1
            for key, flag in zip(keys, partnered, strict=True):
                figures[key] += flag
            figures["overlap"] += bool(keys) and all(partnered)
    total = empty()
    for partnered in services.values():
        total["services"] += 1
        for key, flag in zip(keys, partnered, strict=True):
            total[key] += flag
        total["overlap"] += bool(keys) and all(partnered)
    ids = sorted(i for i, partnered in services.items() if keys and all(partnered))
    names = service_names(db, ids) if with_names else {}
    return {"categories": [{"category": c, **f} for c, f in sorted(by_category.items())],
            "total": total, "overlapping_ids": set(ids),
            "overlapping": sorted((names.get(i, i) for i in ids), key=str.casefold)}


def set_joint_police_health(db: Database, service_id: str, joint: bool = True) -> bool:
    """Mark a service as run jointly by police and health (reported apart from diversion), or
    unmark it; a service already so is not written (the directory's version, which caches
    follow, stays).  False when there is no such service."""
    row = db.execute("select joint_police_health from service where id = ?",
                     [service_id]).fetchone()
    if row is None:
        return False
    if bool(row[0]) != joint:
        with writing(db):
            db.execute("update service set joint_police_health = ? where id = ?",
                       [1 if joint else 0, service_id])
    return True


# --- 7 Data quality --------------------------------------------------------------------------


def data_quality(db: Database, f: Filters, now_iso: str, today: str) -> dict:
    """Referrals with no answer (accepted or declined) 7 days after they were sent; active
    listings not confirmed ("assured") in the last 180 days.  (Contacts missing a kind or an
    outcome come from contacts_overview.)"""
    params = {**f.params(), "now": now_iso[:19], "today": today}
    row = {}
    row.update(_one(db, f"""
        select count(*) as unanswered from referral r
        where {_referrals_where(f)} and r.accepted_at is null and r.declined_at is null
          and r.closed_at is null
          and r.sent_at <= strftime('%Y-%m-%dT%H:%M:%S', :now, '-{ANSWER_DAYS} days')""",
                    params))
    row["stale"] = None
    if table_exists(db, "service"):
        row["stale"] = _one(db, f"""
            select count(*) as n from service s where s.archived_at is null
              and (s.assured_date is null or s.assured_date = ''
                   or s.assured_date < date(:today, '-{STALE_DAYS} days'))""", params)["n"]
    return row
