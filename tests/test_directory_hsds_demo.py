"""The fictional demo directory: realistic coverage, fictional markers, idempotent loading."""

import re

import fieldapp.accounts  # noqa: F401  (the foundation needs accounts imported before security)
from fieldapp.directory import categories, demo, hsds


def test_demo_covers_every_category_and_the_cases_the_pages_need(db):
    services = list(db.query("select * from service"))
    assert len(services) >= 60
    assert set(categories.CODES) == {r["category"] for r in db.query(
        "select distinct category from service_category")}
    for org in (demo.CRISIS_TEAM_ID, demo.YOUTH_SHELTER_ID, demo.SENIORS_SERVICE_ID):
        assert db.execute("select count(*) from service where organization_id = ? and "
                          "accepts_referrals = 1", [org]).fetchone()[0] >= 2
    always = db.execute("select count(distinct service_id) from schedule where "
                        "byday = 'MO,TU,WE,TH,FR,SA,SU' and opens_at = '00:00' and "
                        "closes_at = '24:00'").fetchone()[0]
    assert always >= 3
    assert db.execute("select count(*) from schedule where closes_at < opens_at").fetchone()[0]
    stale = db.execute("select count(*) from service where assured_date < "
                       "date('now', '-180 days')").fetchone()[0]
    assert 3 <= stale <= 15
    both = db.execute("select count(*) from (select service_id from service_partnership "
                      "group by service_id having count(*) = 2)").fetchone()[0]
    assert both >= 5
    assert {"HRP", "RCMP"} == {r["police_service"] for r in db.query(
        "select distinct police_service from service_partnership")}
    assert {"en", "fr", "ar", "mic"} <= {r["code"] for r in db.query(
        "select distinct code from language")}
    assert db.execute("select count(*) from location where confidential = 1").fetchone()[0] == 1
    phones = [r["number"] for r in db.query("select number from phone")] + [
        s["intake_phone"] for s in services if s["intake_phone"]]
    assert all(re.fullmatch(r"902-555-01\d\d", p) for p in phones)
    assert all("(demo)" in s["name"] for s in services)
    assert all(r["email"].endswith("demo.test") for r in db.query(
        "select email from organization where email is not null"))


def test_demo_has_near_duplicates_for_the_duplicates_page(db):
    names = {r["name"] for r in db.query("select name from service")}
    assert {"Mobile Crisis Response (demo)", "Mobile Crisis Response Team (demo)",
            "Harbour Food Bank (demo)", "Harbor Food Bank (demo)"} <= names


def test_loading_the_demo_again_changes_nothing(app, db):
    before = {t: list(db.query(f"select * from [{t}] order by rowid")) for t in hsds.ORDER}
    version = db.execute("select n from directory_version").fetchone()[0]
    demo.load(db, app.config, _today_iso(db))
    assert version == db.execute("select n from directory_version").fetchone()[0]
    assert before == {t: list(db.query(f"select * from [{t}] order by rowid"))
                      for t in hsds.ORDER}


def _today_iso(db) -> str:
    """The `now` the fixture loaded the demo with (same day: verified dates do not move)."""
    return db.execute("select max(updated_at) from service").fetchone()[0]
