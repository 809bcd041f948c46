"""Helpers of the directory tests: listings added through the store, the manage form as a
coordinator posts it, and a reader of a page's form values."""

import io
import zipfile
from datetime import UTC, datetime
from html.parser import HTMLParser

from werkzeug.datastructures import MultiDict

import fieldapp.accounts  # noqa: F401  (the foundation's import order: accounts first)
from fieldapp.directory import search as directory_search
from fieldapp.directory import upkeep
from fieldapp.directory.demo import CRISIS_TEAM_ID
from tests.support.hsds_schema import FIXTURES


def add_service(db, name, *, organization_id=CRISIS_TEAM_ID, description="", categories=(),
                populations=(), languages=(), accepts_referrals=False, schedule=None,
                phones=(), lat=None, lon=None, address_1="", city="", keywords="",
                verified=None):
    values = {field: "" for field in upkeep.SERVICE_TEXT_FIELDS}
    values.update(
        name=name, description=description, keywords=keywords, organization_id=organization_id,
        accepts_referrals=accepts_referrals, categories=list(categories),
        populations=list(populations), partnered_with=[], languages=list(languages),
        phones=[{"number": p, "extension": "", "type": "voice"} for p in phones],
        address={"address_1": address_1, "city": city, "latitude": lat, "longitude": lon},
        schedule=schedule or {"always_open": False, "days": {}},
    )
    service_id = upkeep.save_service(db, values, service_id=None, now="2026-03-01T12:00:00+00:00")
    if verified:
        db.execute("UPDATE service SET assured_date = ? WHERE id = ?", [verified, service_id])
    return service_id


def service_form(**overrides):
    form = {
        "organization_id": CRISIS_TEAM_ID, "name": "Quillfeather Counselling",
        "description": "Walk-in counselling.", "accepts_referrals": "1",
        "intake_phone": "902-555-0177", "intake_email": "intake@quill.demo.test",
        "categories": ["mental_health_crisis", "health"], "populations": ["mental_health"],
        "partnered_with": ["HRP"], "languages": ["en", "fr"],
        "phone_id": [""], "phone_number": ["902-555-0170"], "phone_extension": ["12"],
        "phone_type": ["voice"],
        "address_1": "1 Demo Lane", "city": "Dartmouth", "state_province": "NS",
        "latitude": "44.67", "longitude": "-63.57",
        "MO_open1": "09:00", "MO_close1": "12:00", "MO_open2": "13:00", "MO_close2": "17:00",
        "FR_open1": "20:00", "FR_close1": "02:00",
    }
    form.update(overrides)
    return form


class FormValues(HTMLParser):
    """The values a browser would submit from the page's upkeep form (class dir-form)."""

    def __init__(self):
        super().__init__()
        self.pairs: list[tuple[str, str]] = []
        self._form = 0
        self._select = None
        self._textarea = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._form += 1 if "dir-form" in (a.get("class") or "") and not self._form else 0
            if "dir-form" not in (a.get("class") or "") and self._form == 1:
                self._form = 2  # a later form: stop collecting
        if self._form != 1:
            return
        if tag == "input" and a.get("name"):
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            self.pairs.append((a["name"], a.get("value") or ""))
        elif tag == "select":
            self._select = [a["name"], None, None]
        elif tag == "option" and self._select:
            if self._select[2] is None:
                self._select[2] = a.get("value", "")
            if "selected" in a:
                self._select[1] = a.get("value", "")
        elif tag == "textarea":
            self._textarea = [a["name"], ""]

    def handle_endtag(self, tag):
        if tag == "select" and self._select:
            name, chosen, first = self._select
            self.pairs.append((name, chosen if chosen is not None else first or ""))
            self._select = None
        elif tag == "textarea" and self._textarea:
            self.pairs.append(tuple(self._textarea))
            self._textarea = None

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1] += data


def snapshot(service):
    return {
        "fields": {f: service.get(f) or None for f in upkeep.SERVICE_TEXT_FIELDS},
        "referrals": service["accepts_referrals"],
        "joint": service["joint_police_health"],
        "phones": sorted((p["id"], p["number"], p["extension"]) for p in service["phones"]),
        "schedules": sorted(s["id"] for s in service["schedules"]),
        "languages": sorted((lang["code"], lang["name"]) for lang in service["languages"]),
        "categories": service["categories"], "populations": sorted(service["populations"]),
        "partners": service["partnered_with"],
        "address": (service["address"] or {}).get("text"),
    }


# A frozen clock and a search helper of the directory search tests.
TZ = "America/Halifax"
# Monday 2 March 2026, 10:00 in Halifax (UTC-4).
MONDAY_10 = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
WEEKDAYS = ["MO", "TU", "WE", "TH", "FR"]


def hours_for(days, *shifts):
    schedule = {"always_open": False, "days": {d: [] for d in
                                               ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]}}
    for day in days:
        schedule["days"][day] = list(shifts)
    return schedule


def ids(results):
    return [r["id"] for r in results]


def search(db, q="", now=MONDAY_10, **filters):
    return directory_search.search_services(db, q, now=now, tz=TZ, **filters)


# HSDS examples for the upload tests.
EXAMPLES_CSV = FIXTURES / "examples-3.1" / "csv"


def zipped(folder) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in folder.iterdir():
            archive.write(path, path.name)
    return buffer.getvalue()


def edit_form(client, service_id, *, joint: bool) -> MultiDict:
    """The service's edit page posted back as a browser would, the joint box (un)ticked."""
    page = FormValues()
    page.feed(client.get(f"/directory/manage/services/{service_id}").get_data(as_text=True))
    # The client sends its own CSRF token (tests/conftest.py CsrfClient).
    data = MultiDict([pair for pair in page.pairs
                      if pair[0] not in ("joint_police_health", "csrf_token")])
    if joint:
        data.add("joint_police_health", "1")
    return data
