"""A phone's clock hours off: the batch carries the phone's now, the server corrects the
record times by the difference and keeps the times the phone sent (issue 14)."""

import json
from datetime import datetime, timedelta

import pytest

from tests.support.pwa import contact, person, referral, referral_service, statuses

SERVER_NOW = datetime.fromisoformat("2026-03-02T14:00:00+00:00")  # the `frozen` app's NOW
TRUE_TIME = SERVER_NOW - timedelta(minutes=30)  # when the contact really happened


def on_phone(moment: datetime, skew: timedelta) -> str:
    """What a phone whose clock is `skew` off reads at `moment` (as outbox.js sends it)."""
    return (moment + skew).isoformat().replace("+00:00", "Z")


def row(db, table: str, record_id: str) -> dict:
    return dict(zip([c[0] for c in db.execute(f"select * from [{table}] limit 0").description],
                    db.execute(f"select * from [{table}] where id = ?", [record_id]).fetchone(),
                    strict=True))


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


@pytest.mark.parametrize("skew", [timedelta(hours=-3), timedelta(hours=3)],
                         ids=["3h_behind", "3h_ahead"])
def test_a_phone_clock_3_hours_off_stores_the_true_time_and_keeps_the_phones(officer,
                                                                            frozen_db, skew):
    new_person = person(created_at=on_phone(TRUE_TIME, skew))
    item = contact(occurred_at=on_phone(TRUE_TIME, skew), person_id=new_person["id"])
    answer = officer.post("/api/sync", json={"device_now": on_phone(SERVER_NOW, skew),
                                             "people": [new_person], "contacts": [item]})

    assert ["created"] == statuses(answer, "contacts")
    assert -skew.total_seconds() == answer.get_json()["clock_offset_seconds"]
    stored = row(frozen_db, "contact", item["id"])
    assert abs(at(stored["occurred_at"]) - TRUE_TIME) < timedelta(minutes=1)
    assert TRUE_TIME + skew == at(stored["device_occurred_at"])
    assert -skew.total_seconds() == stored["clock_offset_seconds"]
    stored_person = row(frozen_db, "person", new_person["id"])
    assert abs(at(stored_person["created_at"]) - TRUE_TIME) < timedelta(minutes=1)
    assert TRUE_TIME + skew == at(stored_person["device_created_at"])


@pytest.mark.parametrize("skew", [timedelta(hours=-3), timedelta(hours=3)],
                         ids=["3h_behind", "3h_ahead"])
def test_a_referral_from_a_phone_3_hours_off_gets_the_true_created_at(officer, frozen_db,
                                                                     skew):
    item = referral(referral_service(frozen_db), created_at=on_phone(TRUE_TIME, skew))
    answer = officer.post("/api/sync", json={"device_now": on_phone(SERVER_NOW, skew),
                                             "referrals": [item]})

    assert ["created"] == statuses(answer, "referrals")
    stored = row(frozen_db, "referral", item["id"])
    assert abs(at(stored["created_at"]) - TRUE_TIME) < timedelta(minutes=1)
    assert TRUE_TIME + skew == at(stored["device_created_at"])
    assert -skew.total_seconds() == stored["clock_offset_seconds"]


def test_a_time_30_hours_ahead_after_correction_is_refused_with_a_clear_message(officer,
                                                                               frozen_db):
    # The phone's clock is right when it sends, but the contact says 30 h from now.
    item = contact(occurred_at=on_phone(SERVER_NOW + timedelta(hours=30), timedelta(0)))
    answer = officer.post("/api/sync", json={"device_now": on_phone(SERVER_NOW, timedelta(0)),
                                             "contacts": [item]})

    result = answer.get_json()["results"]["contacts"][0]
    assert "invalid" == result["status"]
    assert "more than 24 hours ahead" in result["errors"]["occurred_at"]
    assert 0 == frozen_db.execute("select count(*) from contact where id = ?",
                                  [item["id"]]).fetchone()[0]


def test_a_referral_30_hours_ahead_after_correction_is_refused(officer, frozen_db):
    item = referral(referral_service(frozen_db),
                    created_at=on_phone(SERVER_NOW + timedelta(hours=33), timedelta(hours=3)))
    answer = officer.post("/api/sync", json={"device_now": on_phone(SERVER_NOW, timedelta(hours=3)),
                                             "referrals": [item]})

    result = answer.get_json()["results"]["referrals"][0]
    assert "invalid" == result["status"]
    assert "more than 24 hours ahead" in result["errors"]["created_at"]


def test_a_time_a_little_ahead_after_correction_is_taken_as_the_time_it_arrived(officer,
                                                                               frozen_db):
    # Saved while the clock was 2 h fast, sent after it was set right: it cannot have
    # happened after the server received it.
    item = contact(occurred_at=on_phone(SERVER_NOW + timedelta(hours=2), timedelta(0)))
    officer.post("/api/sync", json={"device_now": on_phone(SERVER_NOW, timedelta(0)),
                                    "contacts": [item]})

    stored = row(frozen_db, "contact", item["id"])
    assert SERVER_NOW == at(stored["occurred_at"])
    assert SERVER_NOW + timedelta(hours=2) == at(stored["device_occurred_at"])


def test_without_device_now_times_are_stored_as_sent_and_3_hours_ahead_is_refused(officer,
                                                                                 frozen_db):
    past = contact(occurred_at=on_phone(TRUE_TIME, timedelta(0)))
    ahead = contact(occurred_at=on_phone(TRUE_TIME, timedelta(hours=3)))
    answer = officer.post("/api/sync", json={"contacts": [past, ahead]})

    assert ["created", "invalid"] == statuses(answer, "contacts")
    assert ("The time of the contact is in the future."
            == answer.get_json()["results"]["contacts"][1]["errors"]["occurred_at"])
    assert answer.get_json()["clock_offset_seconds"] is None
    stored = row(frozen_db, "contact", past["id"])
    assert TRUE_TIME == at(stored["occurred_at"]) == at(stored["device_occurred_at"])
    assert stored["clock_offset_seconds"] is None


def test_a_replay_sent_when_the_phone_clock_reads_differently_is_unchanged(officer, frozen_db):
    skew = timedelta(hours=-3)
    item = contact(occurred_at=on_phone(TRUE_TIME, skew))
    first = officer.post("/api/sync", json={"device_now": on_phone(SERVER_NOW, skew),
                                            "contacts": [item]})
    # The answer was lost; the phone sends again, its clock 40 s further adrift.
    again = officer.post("/api/sync", json={
        "device_now": on_phone(SERVER_NOW, skew - timedelta(seconds=40)), "contacts": [item]})

    assert ["created"] == statuses(first, "contacts")
    assert ["unchanged"] == statuses(again, "contacts")
    assert 0 == frozen_db.execute("select count(*) from sync_conflict").fetchone()[0]


@pytest.mark.parametrize("device_now", ["yesterday", "2026-03-02T11:00:00", 42])
def test_an_unreadable_device_now_is_a_400_and_stores_nothing(officer, frozen_db, device_now):
    item = contact()
    answer = officer.post("/api/sync", json={"device_now": device_now, "contacts": [item]})

    assert 400 == answer.status_code
    assert "device_now" in answer.get_json()["error"]
    assert 0 == frozen_db.execute("select count(*) from contact where id = ?",
                                  [item["id"]]).fetchone()[0]


def test_the_csrf_endpoint_tells_the_server_time(officer):
    assert "2026-03-02T14:00:00+00:00" == officer.get("/api/csrf").get_json()["server_now"]


def test_the_clock_banner_and_the_refusal_speak_french(officer, frozen_db):
    officer.post("/language", data={"language": "fr"})
    page = officer.get("/contacts/new").get_data(as_text=True)
    island = page.split('id="pwa-strings">', 1)[1].split("</script>", 1)[0]
    assert json.loads(island)["clock_off"].startswith(
        "L’horloge de votre téléphone est décalée d’environ {n}\u00a0minutes.")
    item = contact(occurred_at=on_phone(SERVER_NOW + timedelta(hours=30), timedelta(0)))
    answer = officer.post("/api/sync", json={"device_now": on_phone(SERVER_NOW, timedelta(0)),
                                             "contacts": [item]})
    assert ("Cette heure est plus de 24\u00a0heures en avance"
            in answer.get_json()["results"]["contacts"][0]["errors"]["occurred_at"])


def test_a_phone_whose_clock_reset_to_1970_still_stores_the_true_time(officer, frozen_db):
    # A flat battery can reset a phone's clock; its own times are then before EARLIEST.
    skew = datetime.fromisoformat("1970-01-01T00:00:00+00:00") - SERVER_NOW
    item = contact(occurred_at=on_phone(TRUE_TIME, skew))
    answer = officer.post("/api/sync", json={"device_now": on_phone(SERVER_NOW, skew),
                                             "contacts": [item]})

    assert ["created"] == statuses(answer, "contacts")
    stored = row(frozen_db, "contact", item["id"])
    assert TRUE_TIME == at(stored["occurred_at"])
    assert stored["device_occurred_at"].startswith("1969-12-31T23:30")
