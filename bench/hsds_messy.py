"""A messy HSDS 1.1 export, generated: what a regional 2-1-1 really ships (issue 12), with
fictional content only (organisations, services, 555-01xx numbers, example.test domains).

    write_messy(folder, services=300) -> expected reconciliation

The package: a folder with datapackage.json whose resource paths are wrong (the files sit under
data/) and 8 declared resources with no file at all; HSDS 1.1 file names; child files whose row
ids repeat the service id (languages, phones, schedules); free-text languages ("Spanish
(limited)", "other languages available upon request", "Creole", "American Sign Language");
phone extensions in the `extension` column and inside the number text, toll-free, vanity and
garbage numbers; holiday schedules (closed days, shorter hours, US-style dates); unreadable
opening hours and `8:00am`, `8 AM`, `0800`, `noon`, `24:00` and `8:00am-5:00pm` in one cell;
bare domains (`www.agency1.example.test`) and text that is no URL as web addresses; addresses
without a country; eligibility rows with a blank service id; exact duplicate rows; rows
pointing to services that do not exist.

The generator keeps its own book of what must become of every row it writes (imported,
merged, unlinked, refused) per file: the tests compare the importer's reconciliation with it.
Used by tests/test_hsds_messy.py and bench/import_hsds.py.
"""

from __future__ import annotations

import csv
import json
import zipfile
from collections import Counter, defaultdict
from pathlib import Path

LANGUAGE_TEXTS = [  # (text, every nth service has it)
    ("Spanish", 2), ("Creole", 5), ("Spanish (limited)", 7),
    ("other languages available upon request", 11), ("American Sign Language", 13),
    ("Haitian Creole", 9), ("French", 6), ("Others available upon request", 23),
]
MISSING_DECLARED = ["programs.csv", "funding.csv", "fees.csv", "service_areas.csv",
                    "required_documents.csv", "contacts.csv", "metadata.csv",
                    "payment_accepted.csv"]
FILES = ["organizations.csv", "locations.csv", "services.csv", "services_at_location.csv",
         "physical_addresses.csv", "phones.csv", "languages.csv", "regular_schedules.csv",
         "holiday_schedules.csv", "eligibility.csv"]


def phone_for(i: int) -> dict:
    """One fictional phone of service i: extension in the text, in the column, toll-free,
    vanity, or garbage."""
    kind = i % 5
    if i % 19 == 0:
        return {"number": "call the front desk", "extension": ""}
    if kind == 0:
        return {"number": f"902-555-01{i % 100:02d} x{i % 900 + 100}", "extension": ""}
    if kind == 1:
        return {"number": f"(902) 555-01{i % 100:02d}", "extension": str(i % 90 + 10)}
    if kind == 2:
        return {"number": "1-800-555-0199", "extension": ""}
    if kind == 3:
        return {"number": "1-800-FLOWERS", "extension": ""}
    return {"number": f"902.555.01{i % 100:02d} ext. {i % 50 + 1}", "extension": ""}


def write_messy(folder, services: int = 300) -> dict[str, Counter]:
    """Write the package into folder (created) and return {file: Counter(read=, imported=,
    merged=, unlinked=, refused=)} the import must report."""
    folder = Path(folder)
    data = folder / "data"
    data.mkdir(parents=True, exist_ok=True)
    expect: dict[str, Counter] = defaultdict(Counter)
    rows: dict[str, list[list]] = defaultdict(list)

    def add(file: str, row: list, outcome: str) -> None:
        rows[file].append(row)
        expect[file]["read"] += 1
        expect[file][outcome] += 1

    organizations = max(1, services // 3)
    for k in range(1, organizations + 1):
        website = (f"www.agency{k}.example.test" if k % 2 else  # a bare domain
                   f"https://agency{k}.example.test")
        add("organizations.csv", [f"O{k}", f"Fictional Agency {k}", f"Agency {k} (fictional)",
                                  website], "imported")
        add("locations.csv", [f"L{k}", f"O{k}", f"Agency {k} office", "44.6", "-63.5"],
            "imported")
        add("physical_addresses.csv", [f"A{k}", f"L{k}", f"{k} Example Street", "Halifax",
                                       "NS", "B3K 0A1", "" if k % 3 else "CA"], "imported")
    add("organizations.csv", ["O1", "Fictional Agency 1", "Agency 1 (fictional)",
                              "www.agency1.example.test"], "merged")  # exported twice
    for i in range(1, services + 1):
        sid = str(100 + i)
        org = f"O{(i - 1) % organizations + 1}"
        url = ("see our Facebook page" if i % 9 == 0 else f"www.service{i}.example.test"
               if i % 2 else f"https://service{i}.example.test/help")
        add("services.csv", [sid, org, f"Fictional service {i}",
                             f"Help number {i} for fictional people", "active", url], "imported")
        add("services_at_location.csv", [sid, sid, f"L{(i - 1) % organizations + 1}"],
            "imported")
        # languages.csv reuses the service id as the row id
        add("languages.csv", [sid, sid, "English"], "imported")
        for text, every in LANGUAGE_TEXTS:
            if i % every == 0:
                add("languages.csv", [sid, sid, text], "imported")
        if i % 17 == 0:
            add("languages.csv", [sid, sid, "English"], "merged")
        phone = phone_for(i)
        add("phones.csv", [sid, sid, phone["number"], phone["extension"], "voice"], "imported")
        if i % 3 == 0:  # a fax under the same id
            add("phones.csv", [sid, sid, f"902-555-02{i % 100:02d}", "", "fax"], "imported")
        for day, opens, closes in (("Monday", "9:00am", "5:00pm"), ("Wednesday", "9", "5"),
                                   ("Friday", "by appointment" if i % 10 == 0 else "10:00",
                                    "varies" if i % 10 == 0 else "16:00")):
            add("regular_schedules.csv", [sid, sid, day, opens, closes], "imported")
        opens, closes = [("8:00am-5:00pm", ""), ("8 AM", "noon"), ("0800", "24:00"),
                         ("8:00am", "5:00pm")][i % 4]
        add("regular_schedules.csv", [sid, sid, "Tuesday", opens, closes], "imported")
        # holiday_schedules.csv, its ids repeating the service id too: closed on Christmas
        # Day (every 20th), shorter hours on Christmas Eve (every 50th)
        if i % 20 == 0:
            add("holiday_schedules.csv", [sid, sid, "true", "", "", "2026-12-25", "2026-12-25"],
                "imported")
        if i % 50 == 0:
            add("holiday_schedules.csv", [sid, sid, "false", "10:00", "14:00", "12/24/2026",
                                          "12/24/2026"], "imported")
        if i % 4 == 0:
            add("eligibility.csv", [f"E{i}", "", f"Fictional residents of area {i % 7}"],
                "unlinked")
        if i % 25 == 0:
            add("eligibility.csv", [f"EL{i}", sid, "Adults 18 and over"], "imported")
    for gone in ("99991", "99992"):  # services the export left out
        add("languages.csv", [gone, gone, "Spanish"], "unlinked")
        add("phones.csv", [gone, gone, "902-555-0100", "", "voice"], "unlinked")

    headers = {
        "organizations.csv": ["id", "name", "description", "url"],
        "locations.csv": ["id", "organization_id", "name", "latitude", "longitude"],
        "physical_addresses.csv": ["id", "location_id", "address_1", "city",
                                   "state_province", "postal_code", "country"],
        "services.csv": ["id", "organization_id", "name", "description", "status", "url"],
        "services_at_location.csv": ["id", "service_id", "location_id"],
        "languages.csv": ["id", "service_id", "language"],
        "phones.csv": ["id", "service_id", "number", "extension", "type"],
        "regular_schedules.csv": ["id", "service_id", "weekday", "opens_at", "closes_at"],
        "holiday_schedules.csv": ["id", "service_id", "closed", "opens_at", "closes_at",
                                  "start_date", "end_date"],
        "eligibility.csv": ["id", "service_id", "eligibility"],
    }
    for file in FILES:
        with (data / file).open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(headers[file])
            writer.writerows(rows[file])
    descriptor = {"name": "fictional-211-export", "profile": "tabular-data-package",
                  "resources": [{"name": f[:-4], "path": f, "profile": "tabular-data-resource"}
                                for f in FILES + MISSING_DECLARED]}
    (folder / "datapackage.json").write_text(json.dumps(descriptor, indent=2), encoding="utf-8")
    return dict(expect)


def zip_package(folder, target, *, inner: str = "") -> Path:
    """The package as a zip: its files at the root, or under one folder `inner`."""
    folder, target = Path(folder), Path(target)
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, str(Path(inner) / path.relative_to(folder)))
    return target
