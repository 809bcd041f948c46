"""Issue 12: a real-looking 2-1-1 export (bench/hsds_messy.py) comes in whole, whatever its
layout: every row of every file is accounted for, exactly as the generator's own book says."""

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

import fieldapp.accounts  # noqa: F401  (the foundation needs accounts imported before security)
from bench.hsds_messy import MISSING_DECLARED, write_messy, zip_package
from fieldapp.db import connect, migrate
from fieldapp.directory import hsds, languages, phones
from tests.support.hsds_schema import package_errors

NOW = "2026-03-02T14:00:00+00:00"
LATER = "2026-03-09T10:00:00+00:00"
OUTCOMES = ("read", "imported", "merged", "unlinked", "refused")


@pytest.fixture(scope="module")
def messy(tmp_path_factory):
    root = tmp_path_factory.mktemp("messy")
    folder = root / "export"
    expected = write_messy(folder, services=300)
    layouts = {
        "folder": folder,
        "zip": zip_package(folder, root / "export.zip"),
        "zip holding a folder": zip_package(folder, root / "export-in-folder.zip",
                                            inner="export-2026"),
    }
    holder = root / "holder"
    holder.mkdir()
    zip_package(folder, holder / "export.zip")
    layouts["folder holding a zip"] = holder
    return layouts, expected


def table(report) -> dict:
    return {line["file"]: {k: line[k] for k in OUTCOMES} for line in report.reconciliation()}


@pytest.mark.parametrize("layout", ["folder", "zip", "zip holding a folder",
                                    "folder holding a zip"])
def test_every_row_of_every_file_is_accounted_for(db, messy, layout):
    layouts, expected = messy
    services = db["service"].count
    report = hsds.import_package(db, layouts[layout], NOW)
    assert {f: {k: c[k] for k in OUTCOMES} for f, c in expected.items()} == table(report)
    for line in report.reconciliation():
        assert line["balanced"], line
    # the numbers, written out for the reader (300 services, 100 organizations)
    assert {"read": 300, "imported": 300, "merged": 0, "unlinked": 0, "refused": 0} == \
        table(report)["services.csv"]
    assert {"read": 101, "imported": 100, "merged": 1, "unlinked": 0, "refused": 0} == \
        table(report)["organizations.csv"]
    assert {"read": 87, "imported": 12, "merged": 0, "unlinked": 75, "refused": 0} == \
        table(report)["eligibility.csv"]
    assert 300 == db["service"].count - services
    for missing in MISSING_DECLARED:
        assert 1 == report.problems[("missing_declared_file", missing)]
    kept = db["hsds_import"].get(report.import_id)
    assert '"eligibility.csv"' in kept["report_json"]


def test_languages_sharing_the_service_id_all_survive(db, messy):
    layouts, expected = messy
    languages = db["language"].count
    hsds.import_package(db, layouts["folder"], NOW)
    sid = hsds.map_id("service", "190")  # service 90: every 2nd, 5th, 6th, 9th
    rows = list(db["language"].rows_where("service_id = ?", [sid], order_by="code, name"))
    assert [("en", "English"), ("es", "Spanish"), ("fr", "French"), ("ht", "Haitian Creole"),
            ("ht", "Haitian Creole")] == [(r["code"], r["name"]) for r in rows]
    assert "Creole" == json.loads(rows[3]["extra_json"])["_raw"]["name"]
    kept = expected["languages.csv"]["imported"] + expected["languages.csv"]["unlinked"]
    assert kept == db["language"].count - languages
    sources = {r["source_id"] for r in db["language"].rows_where("service_id = ?", [sid])}
    assert {"190"} == sources


def test_reimporting_changes_nothing(db, messy):
    layouts, _ = messy
    hsds.import_package(db, layouts["folder"], NOW)
    before = {t: list(db.query(f"select * from [{t}] order by id")) for t in hsds.ORDER}
    again = hsds.import_package(db, layouts["zip"], LATER)
    assert 0 == again.changed
    after = {t: list(db.query(f"select * from [{t}] order by id")) for t in hsds.ORDER}
    assert before == after


def test_cli_prints_the_reconciliation_and_the_page_keeps_it(app, runner, db, messy):
    layouts, _ = messy
    result = runner.invoke(args=["import-hsds", str(layouts["zip holding a folder"])])
    assert 0 == result.exit_code, result.output
    assert "languages.csv" in result.output and "unlinked" in result.output
    assert "Kept as /directory/manage/imports/" in result.output


def test_languages_become_bcp47_codes_with_notes_and_an_interpretation_flag(db, messy):
    layouts, _ = messy
    hsds.import_package(db, layouts["folder"], NOW)

    def languages(i):
        sid = hsds.map_id("service", str(100 + i))
        return sorted(((r["code"], r["note"]) for r in
                       db["language"].rows_where("service_id = ?", [sid])), key=str), \
            db["service"].get(sid)["interpretation_available"]

    assert ([("ase", None), ("en", None)], 0) == languages(13)  # American Sign Language
    assert ([("en", None), ("es", "limited"), ("es", None)], 0) == languages(14)
    assert ([("en", None), (None, "upon request")], 1) == languages(11)


def test_language_filter_lists_only_languages_named_in_the_interface_language(db, messy):
    layouts, _ = messy
    hsds.import_package(db, layouts["folder"], NOW)
    english = languages.options(db, "en", limit=100)
    french = languages.options(db, "fr", limit=100)
    names = [o["name"] for o in english]
    assert "English" == names[0]  # most common first
    assert {"Spanish", "Haitian Creole", "French", "American Sign Language"} <= set(names)
    assert not [n for n in names if "request" in n.lower() or "(" in n]
    assert {"espagnol", "créole haïtien", "langue des signes américaine"} <= \
        {o["name"].lower() for o in french}
    assert [o["n"] for o in english] == sorted((o["n"] for o in english), reverse=True)


def test_language_names_do_not_load_langcodes_name_table():
    """A web worker names the filter's languages from Babel's CLDR names: langcodes' own name
    table (about 20 MB of objects once read) stays unread for the languages Babel names (a
    fresh interpreter, since other tests read it when they import)."""
    code = ("import sys; from fieldapp.directory import languages; "
            "names = [languages.label(c, l) for c in ('es', 'ht', 'pt-BR', 'zh-Hant', 'ase') "
            "for l in ('en', 'fr')]; "
            "print(names[1], names[5], 'language_data.name_data' in sys.modules, sep='|')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=Path(__file__).resolve().parent.parent).stdout
    assert "Espagnol|Portugais (Brésil)|False" == out.strip()


def test_tel_links_carry_e164_and_the_extension(db, messy):
    layouts, _ = messy
    report = hsds.import_package(db, layouts["folder"], NOW)

    def tel(i, kind="voice"):
        sid = hsds.map_id("service", str(100 + i))
        phone = next(db["phone"].rows_where("service_id = ? and type = ?", [sid, kind]))
        return phone["number"], phones.tel_url(phone)

    assert ("902-555-0110", "tel:+19025550110;ext=110") == tel(10)  # "x110" in the text
    assert ("(902) 555-0101", "tel:+19025550101;ext=11") == tel(1)  # extension column
    assert ("902.555.0104", "tel:+19025550104;ext=5") == tel(4)  # "ext. 5" in the text
    assert ("1-800-555-0199", "tel:+18005550199") == tel(2)  # toll-free
    assert ("1-800-FLOWERS", "tel:+18003569377") == tel(3)  # vanity
    assert "call the front desk" == tel(19)[0]  # garbage: kept as given
    assert 15 == report.problems[("unreadable_phone", "phones.csv")]  # 300 // 19


def test_coordinator_uploads_a_folder_as_several_files_and_keeps_the_page(login_as, db, messy):
    layouts, expected = messy
    folder = layouts["folder"]
    files = [(io.BytesIO(path.read_bytes()), path.name)
             for path in sorted(folder.rglob("*")) if path.is_file()]
    client = login_as("coordinator")
    response = client.post("/directory/manage/import", data={"package": files},
                           content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert 200 == response.status_code, page
    assert "Kept, unlinked" in page and "eligibility.csv" in page
    kept = db.execute("SELECT max(id) FROM hsds_import").fetchone()[0]
    assert f"/directory/manage/imports/{kept}" in page
    report_page = client.get(f"/directory/manage/imports/{kept}")
    assert 200 == report_page.status_code
    text = report_page.get_data(as_text=True)
    assert "<td>1250</td>" not in text  # 300 services: 75 unlinked eligibility rows
    assert "<td>75</td>" in text and "no service_id" in text
    for who in ("officer", "partner"):
        assert 404 == login_as(who).get(f"/directory/manage/imports/{kept}").status_code


def test_coordinator_uploads_the_zip(login_as, db, messy):
    layouts, _ = messy
    response = login_as("coordinator").post("/directory/manage/import", data={
        "package": (io.BytesIO(layouts["zip holding a folder"].read_bytes()), "export.zip")},
        content_type="multipart/form-data")
    assert 200 == response.status_code
    assert "languages.csv" in response.get_data(as_text=True)


def test_import_export_import_keeps_every_language_and_phone_and_validates(db, messy, tmp_path):
    layouts, _ = messy
    hsds.import_package(db, layouts["folder"], NOW)
    hsds.export_csv(db, tmp_path / "out")
    assert [] == package_errors(tmp_path / "out")
    fresh = connect(str(tmp_path / "fresh.db"))
    migrate(fresh)
    hsds.import_package(fresh, tmp_path / "out", LATER)

    def per_service(database):
        ids = [r["id"] for r in database.query(
            "SELECT id FROM service WHERE name LIKE 'Fictional service %'")]
        marks = ",".join("?" * len(ids))
        languages = sorted((r["service_id"], r["code"] or "", r["name"], r["note"] or "")
                           for r in database.query(
                               f"SELECT * FROM language WHERE service_id IN ({marks})", ids))
        phones_ = sorted((r["service_id"], r["number"], r["extension"] or "", r["type"] or "")
                         for r in database.query(
                             f"SELECT * FROM phone WHERE service_id IN ({marks})", ids))
        return len(ids), languages, phones_

    before, after = per_service(db), per_service(fresh)
    assert 300 == before[0] == after[0]
    assert before[1] == after[1]
    assert before[2] == after[2]


def test_ids_are_uuid5_of_the_namespace_as_before():
    # names.uuid5_text hashes without building UUID objects: the same ids, so a package
    # imported before keeps its rows
    import uuid
    for name in ("service:101", "language:collision|languages.csv|101|{}", "é|ü", ""):
        assert str(uuid.uuid5(hsds.NAMESPACE, name)) == hsds.names.uuid5_text(name)
    assert str(uuid.uuid5(hsds.NAMESPACE, "service:101")) == hsds.map_id("service", "101")
