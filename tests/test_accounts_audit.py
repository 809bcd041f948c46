"""The coordinator's audit trail: own police service only, filtered, paged, CSV, audited."""

import csv
import io
import json

import pytest

from fieldapp import audit
from fieldapp.accounts import store
from tests.support import EMAILS

RCMP_OFFICER = {"email": "rcmp.officer@demo.test", "name": "Const. Rae Rcmp", "role": "officer",
                "organization_id": None, "police_service": "RCMP", "language": "en"}
RCMP_COORDINATOR = {**RCMP_OFFICER, "email": "rcmp.coordinator@demo.test",
                    "name": "Rory Rcmp Coordinator", "role": "coordinator"}


def _user(db, who):
    return store.get_user_by_email(db, EMAILS.get(who, who))


def _create(db, fields):
    return store.create_user(db, fields, "a long enough password", hash_method="pbkdf2:sha256:1000",
                             now="2026-03-01T12:00:00+00:00")


def _event(db, action, user=None, at="2026-03-10T15:00:00+00:00", **fields):
    audit.record(db, at=at, action=action, user=user, **fields)


@pytest.fixture
def rcmp(db):
    return {"officer": _create(db, RCMP_OFFICER), "coordinator": _create(db, RCMP_COORDINATOR)}


def test_coordinator_sees_only_their_own_police_services_events(login_as, db, rcmp):
    _event(db, "contact_created", _user(db, "officer"), object_type="contact",
           object_id="hrp-contact-1")
    _event(db, "contact_created", rcmp["officer"], object_type="contact",
           object_id="rcmp-contact-1")
    _event(db, "login_failed", rcmp["officer"], object_type="account",
           object_id=RCMP_OFFICER["email"])
    _event(db, "referral_accepted", _user(db, "partner"), object_type="referral",
           object_id="partner-referral-1")
    # About an HRP account, done by the RCMP coordinator: HRP sees it too.
    _event(db, "user_role_changed", rcmp["coordinator"], object_type="user",
           object_id=_user(db, "officer2")["id"])
    # A throttled login for an HRP account's e-mail, before anyone is known.
    _event(db, "login_throttled", None, object_type="account", object_id=EMAILS["officer"])

    page = login_as("coordinator").get("/accounts/audit").get_data(as_text=True)

    assert "hrp-contact-1" in page
    assert _user(db, "officer2")["id"] in page
    assert "login_throttled" in page
    assert "rcmp-contact-1" not in page
    assert RCMP_OFFICER["email"] not in page
    assert "partner-referral-1" not in page


def test_coordinator_csv_holds_only_their_own_police_services_events(login_as, db, rcmp):
    _event(db, "contact_created", _user(db, "officer"), object_type="contact",
           object_id="hrp-contact-1")
    _event(db, "contact_created", rcmp["officer"], object_type="contact",
           object_id="rcmp-contact-1")
    body = login_as("coordinator").get("/accounts/audit.csv").get_data(as_text=True)
    assert "hrp-contact-1" in body and "rcmp-contact-1" not in body


@pytest.mark.parametrize("url", ["/accounts/audit", "/accounts/audit.csv"])
@pytest.mark.parametrize("who", ["officer", "partner"])
def test_other_roles_get_404_for_the_audit_trail(login_as, who, url):
    assert 404 == login_as(who).get(url).status_code


def test_anonymous_is_sent_to_login_from_the_audit_trail(client):
    response = client.get("/accounts/audit")
    assert 302 == response.status_code and response.headers["Location"].startswith("/login")


def test_reading_the_audit_trail_is_itself_audited(login_as, db):
    coordinator = login_as("coordinator")
    officer_id = _user(db, "officer")["id"]
    assert 200 == coordinator.get(
        f"/accounts/audit?action=login&from=2026-01-01&user={officer_id}").status_code
    assert 200 == coordinator.get("/accounts/audit.csv?action=login").status_code
    viewed = audit.events(db, "audit_viewed")[-1]
    exported = audit.events(db, "audit_exported")[-1]
    assert _user(db, "coordinator")["id"] == viewed["user_id"] == exported["user_id"]
    assert "HRP" == viewed["police_service"]
    detail = json.loads(viewed["detail"])
    assert {"action": "login", "from": "2026-01-01", "user": officer_id} == {
        key: detail[key] for key in ("action", "from", "user")}
    assert "login" == json.loads(exported["detail"])["action"]


def test_audit_csv_cells_cannot_run_as_formulas(login_as, db):
    _event(db, "contact_created", _user(db, "officer"), object_type="contact",
           object_id='=HYPERLINK("http://evil.example","x")', ip="@evil")
    response = login_as("coordinator").get("/accounts/audit.csv")
    assert "text/csv" in response.headers["Content-Type"]
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert "action" in rows[0]
    row = next(r for r in rows if "HYPERLINK" in "".join(r))
    assert '\'=HYPERLINK("http://evil.example","x")' in row
    assert "'@evil" in row


def test_audit_trail_filters_by_action_dates_and_person(login_as, db):
    officer, officer2 = _user(db, "officer"), _user(db, "officer2")
    _event(db, "contact_created", officer, at="2026-03-10T15:00:00+00:00",
           object_type="contact", object_id="march-10-by-officer")
    _event(db, "contact_created", officer2, at="2026-03-12T15:00:00+00:00",
           object_type="contact", object_id="march-12-by-officer2")
    _event(db, "person_viewed", officer, at="2026-03-12T16:00:00+00:00",
           object_type="person", object_id="march-12-viewed")
    # 02:00 UTC on 13 March is still 12 March in Halifax (UTC-3): inside "to 2026-03-12".
    _event(db, "contact_created", officer, at="2026-03-13T02:00:00+00:00",
           object_type="contact", object_id="march-12-late-evening")
    coordinator = login_as("coordinator")

    def shown(query):
        page = coordinator.get("/accounts/audit?" + query).get_data(as_text=True)
        return {oid for oid in ("march-10-by-officer", "march-12-by-officer2",
                                "march-12-viewed", "march-12-late-evening") if oid in page}

    assert {"march-12-viewed"} == shown("action=person_viewed")
    assert {"march-12-by-officer2", "march-12-viewed", "march-12-late-evening"} == shown(
        "from=2026-03-11&to=2026-03-12")
    assert {"march-10-by-officer"} == shown("to=2026-03-10")
    assert {"march-12-by-officer2"} == shown(f"user={officer2['id']}")


def test_person_filter_refuses_someone_of_another_police_service(login_as, rcmp):
    response = login_as("coordinator").get(f"/accounts/audit?user={rcmp['officer']['id']}")
    assert 400 == response.status_code
    assert "Choose a person from the list." in response.get_data(as_text=True)


def test_bad_date_is_refused_with_a_message(login_as):
    response = login_as("coordinator").get("/accounts/audit?from=yesterday")
    assert 400 == response.status_code
    assert "YYYY-MM-DD" in response.get_data(as_text=True)


def test_audit_trail_is_paged_newest_first(login_as, db):
    officer = _user(db, "officer")
    for n in range(60):
        _event(db, "contact_created", officer, at=f"2026-03-10T15:{n:02d}:00+00:00",
               object_type="contact", object_id=f"paged-{n:02d}")
    coordinator = login_as("coordinator")
    first = coordinator.get("/accounts/audit?action=contact_created").get_data(as_text=True)
    assert "paged-59" in first and "paged-10" in first and "paged-09" not in first
    assert first.index("paged-59") < first.index("paged-58")
    assert "page=2" in first and "Older events" in first
    second = coordinator.get("/accounts/audit?action=contact_created&page=2").get_data(
        as_text=True)
    assert "paged-09" in second and "paged-00" in second and "paged-10" not in second
    assert "Older events" not in second and "Newer events" in second


def test_htmx_filter_answers_only_the_results_fragment(login_as):
    response = login_as("coordinator").get("/accounts/audit?action=login",
                                           headers={"HX-Request": "true"})
    body = response.get_data(as_text=True)
    assert body.startswith('<div id="audit-results">')
    assert "HX-Request" in response.headers["Vary"]


def test_coordinator_menu_links_to_the_audit_trail(login_as):
    page = login_as("coordinator").get("/accounts/users").get_data(as_text=True)
    assert 'href="/accounts/audit"' in page
    assert 'href="/accounts/audit"' not in login_as("officer").get("/contacts/new").get_data(
        as_text=True)


def test_audit_events_record_the_police_service_of_whoever_acted(login_as, db):
    login_as("coordinator").get("/accounts/users")
    login_as("partner")
    assert "HRP" == audit.events(db, "login")[-2]["police_service"]
    assert audit.events(db, "login")[-1]["police_service"] is None
