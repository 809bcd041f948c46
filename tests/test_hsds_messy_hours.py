"""Issue 12, what a 2-1-1 export says about a service beyond its card: phones people can dial
(national format, the interpretation flag), hours as given, the zone local times mean (CLI and
upload form), holiday schedules that "open now" honours, and the older files (eligibility, ...)
on the service page."""

import io
import json
from datetime import UTC, datetime

import pytest

import fieldapp.accounts  # noqa: F401  (the foundation needs accounts imported before security)
from bench.hsds_messy import write_messy
from fieldapp.directory import hours, hsds, search
from tests.support import NOW, login

TZ = "America/Halifax"  # the test app's FIELDAPP_TIMEZONE


@pytest.fixture(scope="module")
def messy_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("messy") / "export"
    expected = write_messy(folder, services=300)
    return folder, expected


def small_package(folder, holiday: str = "") -> None:
    """One organization, one service open Mondays 9 to 5, and maybe holiday_schedules.csv."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {
        "organizations.csv": "id,name,description\n1,Fictional Agency,An agency\n",
        "services.csv": "id,organization_id,name,description,status\n"
                        "10,1,Fictional Monday clinic,Open Mondays,active\n",
        "regular_schedules.csv": "id,service_id,weekday,opens_at,closes_at\n"
                                 "1,10,Monday,9:00am,5:00pm\n",
    }
    if holiday:
        files["holiday_schedules.csv"] = ("id,service_id,closed,opens_at,closes_at,start_date,"
                                          "end_date\n" + holiday)
    for name, text in files.items():
        (folder / name).write_text(text)


def monday_hours(db, service="10"):
    sid = hsds.map_id("service", service)
    return [(r["byday"], r["opens_at"], r["closes_at"], r["valid_from"]) for r in
            db["schedule"].rows_where("service_id = ?", [sid], order_by="valid_from, byday")]


# --- time zone ---------------------------------------------------------------------------


def test_cli_timezone_reads_the_files_local_times_in_that_zone(app, runner, db, tmp_path):
    small_package(tmp_path / "toronto")
    result = runner.invoke(args=["import-hsds", "--timezone", "America/Toronto",
                                 str(tmp_path / "toronto")])
    assert 0 == result.exit_code, result.output
    # 9 to 5 in Toronto is 10 to 6 in Halifax (the directory's zone), kept as given too
    assert [("MO", "10:00", "18:00", None)] == monday_hours(db)
    sid = hsds.map_id("service", "10")
    row = next(db["schedule"].rows_where("service_id = ?", [sid]))
    extra = json.loads(row["extra_json"])
    assert "America/Toronto" == extra["_timezone"]
    assert {"opens_at": "9:00am", "closes_at": "5:00pm"} == \
        {k: extra["_raw"][k] for k in ("opens_at", "closes_at")}
    assert "times_in_other_zone" in result.output


def test_cli_default_zone_is_fieldapps_and_a_bad_zone_is_refused(app, runner, db, tmp_path):
    small_package(tmp_path / "here")
    assert TZ == app.config["TIMEZONE"]
    result = runner.invoke(args=["import-hsds", str(tmp_path / "here")])
    assert 0 == result.exit_code, result.output
    assert [("MO", "09:00", "17:00", None)] == monday_hours(db)
    imports = db["hsds_import"].count
    bad = runner.invoke(args=["import-hsds", "--timezone", "Mars/Olympus_Mons",
                              str(tmp_path / "here")])
    assert 2 == bad.exit_code
    assert "is not a time zone" in bad.output and "America/Toronto" in bad.output
    assert imports == db["hsds_import"].count  # nothing read, nothing kept


def test_zone_shift_moves_days_across_midnight():
    from fieldapp.directory.hsds.values import shift_times, zone_shift
    assert 60 == zone_shift("America/Toronto", TZ, "2026-03-02")
    assert 180 == zone_shift("America/Vancouver", "America/Toronto", "2026-07-01")
    # Saskatchewan keeps no daylight saving: the import's day decides
    assert 120 == zone_shift("America/Regina", TZ, "2026-01-15")
    assert 180 == zone_shift("America/Regina", TZ, "2026-07-15")
    days = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
    assert ("00:30", "02:00", "TU,SA") == shift_times("23:30", "01:00", "MO,FR", 60, days)
    assert ("23:00", "24:00", "SU") == shift_times("00:00", "01:00", "MO", -60, days)


def test_upload_form_takes_a_zone_and_refuses_a_bad_one_with_422(login_as, db, tmp_path):
    folder = tmp_path / "upload"
    small_package(folder)

    def files():
        return [(io.BytesIO(p.read_bytes()), p.name) for p in sorted(folder.iterdir())]

    client = login_as("coordinator")
    page = client.get("/directory/manage/import").get_data(as_text=True)
    assert 'id="timezone"' in page and 'aria-describedby="timezone-hint"' in page
    imports = db["hsds_import"].count
    refused = client.post("/directory/manage/import",
                          data={"package": files(), "timezone": "Atlantis/Capital"},
                          content_type="multipart/form-data")
    text = refused.get_data(as_text=True)
    assert 422 == refused.status_code
    assert 'id="timezone-error"' in text and "like America/Toronto" in text
    assert 'aria-describedby="timezone-hint timezone-error"' in text
    assert imports == db["hsds_import"].count
    assert [] == monday_hours(db)
    taken = client.post("/directory/manage/import",
                        data={"package": files(), "timezone": " America/Toronto "},
                        content_type="multipart/form-data")
    assert 200 == taken.status_code, taken.get_data(as_text=True)
    assert [("MO", "10:00", "18:00", None)] == monday_hours(db)
    latest = db.execute("SELECT max(id) FROM hsds_import").fetchone()[0]
    kept = json.loads(db["hsds_import"].get(latest)["report_json"])
    assert "America/Toronto" == kept["timezone"]
    page = client.get(f"/directory/manage/imports/{latest}").get_data(as_text=True)
    assert "local times read in America/Toronto" in page


# --- holidays ---------------------------------------------------------------------------


def test_a_holiday_closure_on_a_monday_is_not_open_now(tmp_path):
    from tests.support import make_app
    # NOW (tests/support) is Monday 2026-03-02 10:00 in Halifax
    app = make_app(tmp_path, NOW=NOW)
    small_package(tmp_path / "holiday", holiday="H1,10,true,,,2026-03-02,2026-03-02\n"
                                                "H2,10,false,12:00,14:00,2026-03-09,2026-03-09\n")
    from fieldapp.db import connect
    db = connect(app.config["DATABASE"])
    report = hsds.import_package(db, tmp_path / "holiday", NOW)
    assert {"read": 2, "imported": 2} == dict(report.files["holiday_schedules.csv"])
    sid = hsds.map_id("service", "10")
    rows = list(db["schedule"].rows_where("service_id = ?", [sid]))
    now = datetime.fromisoformat(NOW)
    assert False is hours.is_open(rows, now, TZ)  # the holiday: closed all day
    assert hours.status(rows, now, TZ)["today"] == []
    following = datetime(2026, 3, 16, 14, tzinfo=UTC)  # a plain Monday: open 9 to 5
    assert True is hours.is_open(rows, following, TZ)
    special = datetime(2026, 3, 9, 14, tzinfo=UTC)  # exceptional hours 12 to 2: not yet open
    assert False is hours.is_open(rows, special, TZ)
    assert True is hours.is_open(rows, datetime(2026, 3, 9, 16, 30, tzinfo=UTC), TZ)
    # the weekly hours stay the regular ones
    assert [(0, ["09:00–17:00"])] == [(d, [s.label() for s in sh])
                                     for d, sh in hours.week(rows) if sh]

    def open_ids(moment):
        return {s["id"] for s in search.search_services(db, "Fictional Monday clinic",
                                                        open_now=True, now=moment, tz=TZ)} | \
            {s["id"] for s in search.search_services(db, open_now=True, now=moment, tz=TZ,
                                                     limit=1000)}

    assert sid not in open_ids(now)
    assert sid in open_ids(following)
    assert sid not in open_ids(special)
    assert sid in open_ids(datetime(2026, 3, 9, 16, 30, tzinfo=UTC))
    client = app.test_client()
    login(client, "officer")
    page = client.get(f"/directory/services/{sid}").get_data(as_text=True)
    assert "Closed now" in page and "Holidays and other days" in page
    assert "12:00–14:00" in page
    db.conn.close()


# --- the service page and the card --------------------------------------------------------


def test_service_page_shows_hours_as_given_and_the_older_files(login_as, db, messy_folder):
    folder, _ = messy_folder
    report = hsds.import_package(db, folder, NOW)
    # unreadable hours are counted, file by file (every 10th service: "by appointment")
    assert 30 == report.problems[("unreadable_time", "regular_schedules.csv:opens_at")]
    assert 30 == report.problems[("unreadable_time", "regular_schedules.csv:closes_at")]
    kept = login_as("coordinator").get(f"/directory/manage/imports/{report.import_id}")
    kept = kept.get_data(as_text=True)
    lines = [line for line in kept.split("<li>") if "Times that could not be read" in line]
    assert 2 == len(lines)
    assert all('<span class="badge badge-warn">30</span>' in line for line in lines)
    assert "regular_schedules.csv:opens_at" in lines[1] and "by appointment" in lines[1]
    client = login_as("officer")

    def page(i):
        return client.get(f"/directory/services/{hsds.map_id('service', str(100 + i))}") \
            .get_data(as_text=True)

    assert "Hours as given: Friday: by appointment – varies" in page(10)
    assert "Hours as given" not in page(11)
    # eligibility rows that name their service are on its page; blank ones stay unlinked
    assert "Adults 18 and over" in page(25)
    assert "Adults 18 and over" not in page(24)
    assert 75 == report.files["eligibility.csv"]["unlinked"]
    # phones in the national format, tel: links in E.164 with the extension
    one = page(1)
    assert 'href="tel:+19025550101;ext=11"' in one and "(902) 555-0101" in one
    four = page(4)
    assert 'href="tel:+19025550104;ext=5">(902) 555-0104 ext. 5' in four
    assert "call the front desk" in page(19)
    assert "Interpretation available" in page(11)
    assert "Interpretation available" not in page(12)


def test_card_shows_the_national_format_and_interpretation(login_as, db, messy_folder):
    folder, _ = messy_folder
    hsds.import_package(db, folder, NOW)
    client = login_as("officer")
    html = client.get("/directory/?q=Fictional+service+11").get_data(as_text=True)
    card = html[html.index("Fictional service 11<"):]
    card = card[:card.index("</li>")]
    assert "Interpretation available" in card
    assert "Call (902) 555-0111 ext. 21" in card
    html = client.get("/directory/?q=Fictional+service+10").get_data(as_text=True)
    card = html[html.index("Fictional service 10<"):]
    card = card[:card.index("</li>")]
    assert 'href="tel:+19025550110;ext=110"' in card
    assert "Call (902) 555-0110 ext. 110" in card
    assert "Interpretation available" not in card


def test_editing_the_weekly_hours_keeps_the_holidays(login_as, db, tmp_path):
    from tests.support.directory import service_form
    small_package(tmp_path / "kept", holiday="H1,10,true,,,2026-12-25,2026-12-25\n")
    hsds.import_package(db, tmp_path / "kept", NOW)
    sid = hsds.map_id("service", "10")
    coordinator = login_as("coordinator")
    assert 303 == coordinator.post(f"/directory/manage/services/{sid}",
                                   data=service_form(always_open="1")).status_code
    rows = [(r["byday"], r["opens_at"], r["closes_at"], r["valid_from"]) for r in
            db["schedule"].rows_where("service_id = ?", [sid], order_by="valid_from")]
    assert ("MO,TU,WE,TH,FR,SA,SU", "00:00", "24:00", None) in rows
    assert ("FR", None, None, "2026-12-25") in rows  # the closure stays
    assert ("MO", "09:00", "17:00", None) not in rows


def test_older_files_show_on_the_service_page(login_as, db, tmp_path):
    folder = tmp_path / "older"
    small_package(folder)
    files = {
        "programs.csv": "id,organization_id,name,description\nP1,1,Fictional outreach program,"
                        "Street outreach\n",
        "locations.csv": "id,organization_id,name\nL1,1,Main office\n",
        "services_at_location.csv": "id,service_id,location_id\nSL1,10,L1\n",
        "accessibility_for_disabilities.csv": "id,location_id,accessibility,details\n"
                                              "AC1,L1,Ramp,At the side door\n",
        "required_documents.csv": "id,service_id,document\nRD1,10,Health card\n",
        "service_areas.csv": "id,service_id,service_area,description\nSA1,10,Halifax County,\n",
        "funding.csv": "id,service_id,source\nF1,10,Fictional Foundation\n",
        "payment_accepted.csv": "id,service_id,payment\nPA1,10,Cash\nPA2,,Cheque\n",
        "eligibility.csv": "id,service_id,eligibility\nE1,10,Adults 18 and over\n",
    }
    for name, text in files.items():
        (folder / name).write_text(text)
    services = (folder / "services.csv").read_text().replace(
        "id,organization_id,name", "id,organization_id,program_id,name").replace(
        "10,1,Fictional", "10,1,P1,Fictional")
    (folder / "services.csv").write_text(services)
    report = hsds.import_package(db, folder, NOW)
    assert {"read": 2, "imported": 1, "unlinked": 1} == dict(report.files["payment_accepted.csv"])
    sid = hsds.map_id("service", "10")
    page = login_as("officer").get(f"/directory/services/{sid}").get_data(as_text=True)
    for text in ("Documents to bring", "Health card", "Area served", "Halifax County",
                 "Funding", "Fictional Foundation", "Payment accepted", "Cash",
                 "Accessibility", "Ramp — At the side door", "Program",
                 "Fictional outreach program", "Who can use it", "Adults 18 and over"):
        assert text in page, text
    assert "Cheque" not in page  # names no service: kept unlinked in the import's record
    french = login_as("officer")
    french.post("/language", data={"language": "fr"})
    page = french.get(f"/directory/services/{sid}").get_data(as_text=True)
    assert "Documents à apporter" in page and "Territoire desservi" in page


def test_the_messy_exports_holidays_close_and_shorten_days(db, messy_folder):
    folder, expected = messy_folder
    report = hsds.import_package(db, folder, NOW)
    assert {"read": 21, "imported": 21} == {k: v for k, v in report.files[
        "holiday_schedules.csv"].items() if v}  # 15 closures, 6 Christmas Eves
    sid = hsds.map_id("service", "200")  # service 100: both
    rows = list(db["schedule"].rows_where("service_id = ?", [sid]))
    christmas = datetime(2026, 12, 25, 15, tzinfo=UTC)  # a Friday, 11:00 in Halifax
    eve = datetime(2026, 12, 24, 19, tzinfo=UTC)  # a Thursday, 15:00: after the short day
    assert False is hours.is_open(rows, christmas, TZ)
    assert False is hours.is_open(rows, eve, TZ)
    assert True is hours.is_open(rows, datetime(2026, 12, 24, 15, tzinfo=UTC), TZ)
    other = hsds.map_id("service", "101")
    assert True is hours.is_open(list(db["schedule"].rows_where("service_id = ?", [other])),
                                 datetime(2026, 12, 28, 15, tzinfo=UTC), TZ)  # a Monday
