"""The offline-first PWA in real headless Chromium at phone size: service worker, outbox,
sync bar, offline directory, logout clearing, installability."""

import time

import pytest
from playwright.sync_api import expect

from tests.support import (
    CHROMIUM_ARGS,
    PHONE,
    LiveServer,
    axe_violations,
    browser_login,
    make_app,
)
from tests.support.browser import officer_ready, phone_shot, save_a_contact, wait_until

pytestmark = pytest.mark.browser

OFFICER_ID = "0d5e7a10-0000-4000-8000-000000000002"


def outbox_size(page) -> int:
    return page.evaluate("FieldappOutbox.entriesFor(document.body.dataset.userKey)"
                         ".then((e) => e.length)")


def bar_text(page) -> str:
    return page.locator("#syncbar-text").inner_text()


def log_contact_offline(page, base_url: str, place: str, new_person: str | None = None):
    page.goto(f"{base_url}/contacts/new")
    page.check('input[name="place_id"][value=""]', force=True)
    page.fill("#place_text", place)
    page.locator('label.chip:has(input[name="kind"][value="wellness_check"])').click()
    page.locator('label.chip:has(input[name="outcome"][value="information_given"])').click()
    if new_person:
        page.locator("details.contacts-person summary").click()
        page.fill("#new_alias", new_person)
    before = outbox_size(page)
    page.locator(".contacts-save button[type=submit]").click()
    page.wait_for_selector(".pwa-saved")
    wait_until(page, "(n) => FieldappOutbox.entriesFor(document.body.dataset.userKey)"
               ".then((e) => e.length === n)", before + 1)


def referral_service(db) -> dict:
    rows = list(db.query("select id, name from service where accepts_referrals = 1 "
                         "and archived_at is null order by name limit 1"))
    return rows[0] if rows else None


def test_officer_works_offline_and_everything_arrives_once(server, phone):
    page = phone.new_page()
    officer_ready(page, server.url)
    db = server.db()
    service = referral_service(db)

    phone.set_offline(True)
    page.reload()  # from the phone's cache
    assert page.locator(".contact-form").is_visible()
    page.goto(f"{server.url}/account/password")  # not an offline page: the fallback says so
    assert "No connection" == page.locator("h1").inner_text()
    for n in range(3):
        log_contact_offline(page, server.url, f"Offline place {n} (demo)",
                            new_person="Offline Person (demo)" if n == 0 else None)

    if service:
        log_referral_offline(page, server.url, service)
    expected = 4 if service else 3

    page.goto(f"{server.url}/directory/")
    page.fill("#dir-q", "crisis")
    page.wait_for_selector(".pwa-offline-directory .dir-call")
    assert "Offline" in page.locator(".pwa-directory-note").inner_text()
    call = page.locator(".pwa-offline-directory .dir-call").first
    assert call.get_attribute("href").startswith("tel:")
    assert expected == outbox_size(page)
    assert f"{expected} waiting" in bar_text(page)
    phone_shot(page, "pwa_offline_directory_phone")
    page.goto(f"{server.url}/contacts/new")
    phone_shot(page, "pwa_syncbar_offline_phone")

    phone.set_offline(False)
    page.wait_for_function("() => document.getElementById('syncbar').dataset.state === 'sent'",
                           timeout=15000)
    assert "All sent" == bar_text(page)
    assert 0 == outbox_size(page)
    page.locator("#syncbar-details summary").click()
    assert expected == page.locator("#syncbar-list li[data-state=sent]").count()
    if service:  # the referral's line says where it stands with the partner
        page.wait_for_function("""() => [...document.querySelectorAll('#syncbar-list li')]
            .some((li) => li.textContent.startsWith('Referral')
                          && li.textContent.endsWith('· sent'))""")
    phone_shot(page, "pwa_syncbar_all_sent_phone")
    assert 3 == db.execute("select count(*) from contact where place_text like "
                           "'Offline place % (demo)'").fetchone()[0]
    assert 1 == db.execute("select count(*) from person where alias = "
                           "'Offline Person (demo)'").fetchone()[0]
    assert 1 == db.execute("select count(*) from contact c join person p on p.id = c.person_id "
                           "where p.alias = 'Offline Person (demo)'").fetchone()[0]
    assert (1 if service else 0) == db.execute(
        "select count(*) from referral where person_name = 'Offline Person (demo)'"
    ).fetchone()[0]


def log_referral_offline(page, base_url, service):
    page.goto(f"{base_url}/referrals/new")
    # A tap on the first service's choice, as a person does (the label: Playwright waits
    # until nothing covers it, where a forced click on the hidden radio could land elsewhere).
    page.locator("#service-options label.ref-service").first.click()
    expect(page.locator('input[name="service_id"]:checked')).to_have_count(1)
    page.check('input[name="consent"][value="verbal"]', force=True)
    page.check('input[name="shared"][value="name"]', force=True)
    page.fill("#person_name", "Offline Person (demo)")
    page.fill("#handoff_note", "Offline referral (demo)")
    page.locator("#referral-form .ref-send button.primary").click()
    page.locator("#ref-offline-send").click()  # from the summary (issue 19)
    page.wait_for_selector(".pwa-saved")


def queue_contacts_offline(page, phone, base_url: str, places: list[str]):
    phone.set_offline(True)
    page.reload()
    for place in places:
        log_contact_offline(page, base_url, place)


def stored(db, pattern: str) -> int:
    return db.execute("select count(*) from contact where place_text like ?",
                      [pattern]).fetchone()[0]


def test_stale_token_and_expired_session_keep_records_until_login(server, phone):
    page = phone.new_page()
    officer_ready(page, server.url)
    user_key = page.evaluate("document.body.dataset.userKey")
    queue_contacts_offline(page, phone, server.url,
                           ["Expired place 1 (demo)", "Expired place 2 (demo)"])
    db = server.db()
    db.execute("delete from user_session")  # the session ends while the phone is offline
    db.conn.commit()
    stale = {"served": 0}

    def stale_token_once(route):
        if stale["served"]:
            return route.continue_()
        stale["served"] += 1
        route.fulfill(json={"csrf_token": "stale-token"}, headers={"X-Fieldapp-User": user_key})

    phone.route("**/api/csrf", stale_token_once)
    phone.set_offline(False)
    page.wait_for_function("() => document.getElementById('syncbar-text').textContent"
                           ".includes('Log in again')", timeout=15000)
    assert 1 == stale["served"]
    assert 2 == outbox_size(page)
    assert 0 == stored(db, "Expired place % (demo)")
    # The sync's 401 took the user's cached pages with it; the queued records stay.
    wait_until(page, USER_CACHES_GONE)

    browser_login(page, server.url, "officer")
    page.wait_for_url(f"{server.url}/contacts/new")
    page.wait_for_function("() => document.getElementById('syncbar').dataset.state === 'sent'",
                           timeout=15000)
    assert 0 == outbox_size(page)
    assert 2 == stored(db, "Expired place % (demo)")


USER_CACHES_GONE = ("() => caches.keys().then((names) => "
                    "!names.some((n) => n.startsWith('fieldapp-user-')))")
REFERRAL_WITH_NAME = "7e0f0000-0000-4000-8000-000000000001"  # officer's, to "Demo Person A"


def test_a_session_the_server_ended_takes_the_cached_referral_page_with_it(server, phone):
    page = phone.new_page()
    officer_ready(page, server.url)
    referral = f"{server.url}/referrals/{REFERRAL_WITH_NAME}"
    page.goto(referral)
    assert "Demo Person A" in page.content()
    wait_until(page, """async (href) => {
        for (const name of (await caches.keys()).filter((n) => n.startsWith('fieldapp-user-'))) {
          if (await (await caches.open(name)).match(href)) return true;
        }
        return false;
      }""", referral)

    from fieldapp.accounts import store as accounts_store

    db = server.db()
    accounts_store.end_all_sessions(db, OFFICER_ID)  # as a password change does
    db.conn.commit()
    page.goto(f"{server.url}/contacts/")  # online: redirected to the login page
    assert "/login" == page.evaluate("location.pathname")
    wait_until(page, USER_CACHES_GONE)

    phone.set_offline(True)
    page.goto(referral)
    page.reload()
    assert "Demo Person A" not in page.content()
    assert "No connection" == page.locator("h1").inner_text()


def test_client_backs_off_while_the_server_answers_503_then_syncs(server, phone):
    page = phone.new_page()
    officer_ready(page, server.url)
    queue_contacts_offline(page, phone, server.url, ["Busy server place (demo)"])
    attempts = []

    def unavailable_four_times(route):
        attempts.append(time.monotonic())
        if len(attempts) <= 4:
            return route.fulfill(status=503, json={"error": "busy"})
        return route.continue_()

    phone.route("**/api/sync", unavailable_four_times)
    phone.set_offline(False)
    page.wait_for_function("() => document.getElementById('syncbar').dataset.state === 'sent'",
                           timeout=20000)
    # One request per attempt (the page and Background Sync do not double up), and the waits
    # grow: 0.4 s base doubling, with jitter between half and all of each ceiling.
    assert 5 == len(attempts)
    gaps = [b - a for a, b in zip(attempts, attempts[1:], strict=False)]
    assert gaps[-1] > gaps[0], gaps
    assert gaps[-1] >= 0.7, gaps
    assert 1 == stored(server.db(), "Busy server place (demo)")


def test_logout_with_an_empty_outbox_clears_caches_and_indexeddb(server, phone):
    page = phone.new_page()
    officer_ready(page, server.url)
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(f"{server.url}/login")
    page.wait_for_timeout(300)
    assert 0 == page.evaluate("caches.keys().then((k) => k.length)")
    assert 0 == page.evaluate("indexedDB.databases().then((d) => d.length)")


def test_logout_with_a_queued_record_asks_first(server, phone):
    page = phone.new_page()
    officer_ready(page, server.url)
    queue_contacts_offline(page, phone, server.url, ["Logout place (demo)"])
    page.get_by_role("button", name="Log out").click()
    dialog = page.locator("#pwa-logout")
    dialog.wait_for(state="visible")
    assert "1 record is still on this phone" in dialog.inner_text()
    phone_shot(page, "pwa_logout_question_phone")
    page.locator("#pwa-logout-stay").click()
    assert page.url.startswith(f"{server.url}/contacts/new")
    assert 1 == outbox_size(page)

    phone.set_offline(False)
    page.wait_for_function("() => document.getElementById('syncbar').dataset.state === 'sent'",
                           timeout=15000)
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(f"{server.url}/login")
    assert 1 == stored(server.db(), "Logout place (demo)")


def test_discarding_at_logout_is_audited(server, phone):
    page = phone.new_page()
    officer_ready(page, server.url)
    queue_contacts_offline(page, phone, server.url, ["Discarded place (demo)"])
    phone.route("**/api/sync", lambda route: route.fulfill(status=503, json={"error": "busy"}))
    phone.set_offline(False)
    page.get_by_role("button", name="Log out").click()
    page.locator("#pwa-logout-discard").click()
    page.wait_for_url(f"{server.url}/login")
    db = server.db()
    assert 0 == stored(db, "Discarded place (demo)")
    assert 1 == db.execute("select count(*) from audit_event where action = "
                           "'outbox_discarded'").fetchone()[0]


def test_manifest_and_service_worker_pass_chromium_installability(server, playwright, tmp_path):
    context = playwright.chromium.launch_persistent_context(
        str(tmp_path / "profile"), executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS,
        headless=True, **PHONE)
    try:
        page = context.new_page()
        officer_ready(page, server.url)
        session = context.new_cdp_session(page)
        errors = session.send("Page.getInstallabilityErrors")["installabilityErrors"]
        manifest = session.send("Page.getAppManifest")
    finally:
        context.close()
    assert [] == errors
    assert not manifest.get("errors")


def test_another_user_on_the_same_phone_never_gets_the_first_users_pages_or_records(server,
                                                                                    phone):
    page = phone.new_page()
    officer_ready(page, server.url)
    first_key = page.evaluate("document.body.dataset.userKey")
    queue_contacts_offline(page, phone, server.url, ["First officer place (demo)"])
    db = server.db()
    db.execute("delete from user_session")  # officer's session ends; officer2 takes the phone
    db.conn.commit()
    phone.set_offline(False)
    page.evaluate("sessionStorage.clear()")
    browser_login(page, server.url, "officer2")
    page.wait_for_url(f"{server.url}/contacts/new")
    second_key = page.evaluate("document.body.dataset.userKey")
    assert first_key != second_key
    wait_until(page, """async (key) => {
        const names = (await caches.keys()).filter((n) => n.startsWith('fieldapp-user-'));
        return names.length === 1 && names[0] === 'fieldapp-user-' + key;
    }""", second_key)
    page.wait_for_function("() => document.getElementById('syncbar').dataset.state === 'sent'")

    phone.set_offline(True)
    page.reload()
    assert second_key == page.evaluate("document.body.dataset.userKey")
    # The first officer's record stays on the phone for their next login, unsent.
    assert 1 == page.evaluate("(key) => FieldappOutbox.entriesFor(key).then((e) => e.length)",
                              first_key)
    assert 0 == stored(db, "First officer place (demo)")


def test_a_new_version_is_offered_and_taken_on_reload(server, phone, tmp_path, monkeypatch):
    from fieldapp.pwa import routes

    page = phone.new_page()
    officer_ready(page, server.url)
    old_shell = page.evaluate("caches.keys().then((k) => k.filter((n) => "
                              "n.startsWith('fieldapp-shell-')))")
    changed = tmp_path / "icon.svg"
    changed.write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    monkeypatch.setattr(routes, "PRECACHE", {**routes.PRECACHE, "/static/icons/icon.svg": changed})
    page.evaluate("navigator.serviceWorker.getRegistration().then((r) => r.update())")
    banner = page.locator("#pwa-update")
    banner.wait_for(state="visible", timeout=15000)
    phone_shot(page, "pwa_update_prompt_phone")
    with page.expect_navigation():
        page.locator("#pwa-update-reload").click()
    wait_until(page, """(old) => caches.keys().then((k) => {
        const shells = k.filter((n) => n.startsWith('fieldapp-shell-'));
        return shells.length === 1 && shells[0] !== old[0];
    })""", old_shell)


def test_a_record_the_server_refuses_stays_on_the_phone_as_needing_attention(server, phone):
    page = phone.new_page()
    officer_ready(page, server.url)
    phone.set_offline(True)
    page.reload()
    page.check('input[name="place_id"][value=""]', force=True)
    page.fill("#place_text", "Refused place (demo)")  # no kind, no outcome: invalid
    page.locator(".contacts-save button[type=submit]").click()
    page.wait_for_selector(".pwa-saved")
    phone.set_offline(False)
    page.wait_for_function(
        "() => document.getElementById('syncbar').dataset.state === 'attention'", timeout=15000)
    assert 1 == outbox_size(page)
    assert "1 needs attention" in bar_text(page)
    page.locator("#syncbar-details summary").click()
    assert "Choose the kind of contact." in page.locator("#syncbar-list").inner_text()
    phone_shot(page, "pwa_syncbar_attention_phone")

    page.on("dialog", lambda dialog: dialog.accept())
    page.locator(".syncbar-remove").click()
    wait_until(page, "() => FieldappOutbox.entriesFor(document.body.dataset.userKey)"
               ".then((e) => e.length === 0)")
    assert 1 == server.db().execute("select count(*) from audit_event where action = "
                                    "'outbox_discarded'").fetchone()[0]


def test_sync_bar_and_logout_question_pass_axe(server, phone):
    page = phone.new_page()
    officer_ready(page, server.url)
    queue_contacts_offline(page, phone, server.url, ["Axe place (demo)"])
    page.locator("#syncbar-details summary").click()
    page.get_by_role("button", name="Log out").click()
    page.locator("#pwa-logout").wait_for(state="visible")
    phone.set_offline(False)
    ours = ("#syncbar", "#pwa-", ".pwa-")
    found = [v for v in axe_violations(page)
             if any(any(mark in node for mark in ours) for node in v["nodes"])]
    assert [] == found


def fill_contact(page, place: str, kind: str = "wellness_check"):
    page.check('input[name="place_id"][value=""]', force=True)
    page.fill("#place_text", place)
    page.locator(f'label.chip:has(input[name="kind"][value="{kind}"])').click()
    page.locator('label.chip:has(input[name="outcome"][value="information_given"])').click()


def test_online_the_form_posts_as_usual(server, phone):
    page = phone.new_page()
    officer_ready(page, server.url)
    fill_contact(page, "Online place (demo)")
    page.locator(".contacts-save button[type=submit]").click()
    page.wait_for_url("**/contacts/*-*")
    assert page.get_by_text("Contact saved.").is_visible()
    assert 1 == stored(server.db(), "Online place (demo)")
    assert 0 == outbox_size(page)


def test_a_post_failing_on_the_server_is_kept_by_the_service_worker(server, phone):
    page = phone.new_page()
    officer_ready(page, server.url)

    def failing_post(route):
        if route.request.method == "POST":
            return route.fulfill(status=503, body="busy")
        return route.continue_()

    phone.route("**/contacts/new", failing_post)
    fill_contact(page, "Server error place (demo)")
    page.locator(".contacts-save button[type=submit]").click()
    page.wait_for_selector(".pwa-saved")  # kept on the phone; the page load then sends it
    assert "queued" not in page.url
    page.wait_for_function("() => document.getElementById('syncbar').dataset.state === 'sent'",
                           timeout=15000)
    assert 1 == stored(server.db(), "Server error place (demo)")


def test_directory_snapshot_is_revalidated_with_its_etag_and_filters_work_offline(server, phone):
    page = phone.new_page()
    officer_ready(page, server.url)
    statuses = []
    phone.route("**/api/directory/snapshot", lambda route: (
        statuses.append(route.request.headers.get("if-none-match")), route.continue_()))
    page.evaluate("FieldappDirectory.refreshSnapshot(true)")
    assert statuses and statuses[0]  # the stored ETag was sent back
    checks = page.evaluate("""() => {
      const D = FieldappDirectory;
      const late = [[4, "22:00", "06:00"]];  // Friday night until Saturday morning
      const day = [[0, "09:00", "17:00"]];
      return [D.isOpen("24/7", {day: 2, time: "03:00"}),
              D.isOpen(late, {day: 4, time: "23:30"}), D.isOpen(late, {day: 5, time: "05:59"}),
              D.isOpen(late, {day: 5, time: "06:00"}), D.isOpen(day, {day: 0, time: "08:59"}),
              D.isOpen(day, {day: 0, time: "09:00"})];
    }""")
    assert [True, True, True, False, False, True] == checks
    found = page.evaluate("""() => FieldappOutbox.getKv('directory').then((d) => {
      const all = FieldappDirectory.search(d.services, {q: ''});
      const refer = FieldappDirectory.search(d.services, {q: '', referrals: true});
      const lang = all.find((s) => (s.langs || []).some((l) => l !== 'en'));
      const other = lang ? lang.langs.find((l) => l !== 'en') : null;
      const byLang = other ? FieldappDirectory.search(d.services, {q: '', language: other}) : [];
      const cat = all[0].cats[0];
      const byCat = FieldappDirectory.search(d.services, {q: '', category: cat});
      return {all: all.length, refer: refer.every((s) => s.ref) && refer.length < all.length,
              lang: byLang.length > 0 && byLang.length < all.length,
              cat: byCat.length > 0 && byCat.every((s) => s.cats.includes(cat))};
    })""")
    assert {"refer": True, "lang": True, "cat": True} == {k: found[k] for k in ("refer", "lang",
                                                                                  "cat")}


def test_install_hint_shows_once_per_phone_even_across_logouts(server, phone):
    page = phone.new_page()
    browser_login(page, server.url, "officer")
    page.wait_for_url(f"{server.url}/contacts/new")
    assert page.locator("#pwa-install").is_hidden()  # not over the form: after the first save
    save_a_contact(page, server.url)
    assert page.locator("#pwa-install").is_visible()
    page.goto(f"{server.url}/directory/")
    assert page.locator("#pwa-install").is_hidden()
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(f"{server.url}/login")
    browser_login(page, server.url, "officer")
    page.wait_for_url(f"{server.url}/contacts/new")
    assert page.locator("#pwa-install").is_hidden()


def test_sync_bar_and_banners_fit_a_320_px_phone(server, browser):
    context = browser.new_context(**{**PHONE, "viewport": {"width": 320, "height": 640}})
    page = context.new_page()
    officer_ready(page, server.url)
    queue_contacts_offline(page, context, server.url, ["Narrow place (demo)"])
    page.evaluate("document.getElementById('pwa-update').hidden = false")
    page.evaluate("document.getElementById('pwa-install').hidden = false")
    page.locator("#syncbar-details summary").click()
    overflow = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
    phone_shot(page, "pwa_syncbar_320")
    context.close()
    assert overflow is False


def test_back_online_a_cached_page_gets_a_fresh_csrf_token(server, phone):
    page = phone.new_page()
    officer_ready(page, server.url)
    phone.set_offline(True)
    page.reload()
    page.evaluate("""() => document.querySelectorAll('input[name="csrf_token"]')
                      .forEach((i) => { i.value = 'stale'; })""")
    phone.set_offline(False)
    page.wait_for_function("""() => [...document.querySelectorAll('input[name="csrf_token"]')]
                               .every((i) => i.value !== 'stale')""")
    fill_contact(page, "Fresh token place (demo)")
    page.locator(".contacts-save button[type=submit]").click()
    page.wait_for_url("**/contacts/*-*")
    assert 1 == stored(server.db(), "Fresh token place (demo)")


def test_a_long_outbox_is_sent_in_chunks_the_server_accepts(server, phone):
    page = phone.new_page()
    officer_ready(page, server.url)
    sizes = []
    phone.route("**/api/sync", lambda route: (
        sizes.append(len(route.request.post_data_json["contacts"])), route.continue_()))
    page.evaluate("""(n) => new Promise((resolve, reject) => {
      // Straight into the outbox in one transaction (as if queued over a long shift).
      const userKey = document.body.dataset.userKey;
      const open = indexedDB.open("fieldapp", 1);
      open.onsuccess = () => {
        const db = open.result;
        const tx = db.transaction("outbox", "readwrite");
        for (let i = 0; i < n; i++) {
          const id = crypto.randomUUID();
          tx.objectStore("outbox").put({ id, kind: "contacts", userKey, createdAt: Date.now() + i,
            attempts: 0, state: "waiting", records: { contacts: [{
              id, occurred_at: new Date().toISOString(), place_text: "Chunk place (demo)",
              kind: "wellness_check", outcome: "information_given", populations: [],
              is_group: 0 }] } });
        }
        tx.oncomplete = () => { db.close(); resolve(); };
        tx.onerror = () => reject(tx.error);
      };
    })""", 250)
    assert "sent" == page.evaluate("FieldappOutbox.sync().then((r) => r.state)")
    assert 250 == stored(server.db(), "Chunk place (demo)")
    assert [200, 50] == sizes


def test_save_and_refer_offline_links_the_referral_to_its_contact(server, phone):
    page = phone.new_page()
    officer_ready(page, server.url)
    phone.set_offline(True)
    page.reload()
    fill_contact(page, "Save and refer place (demo)", kind="mental_health")
    page.locator('button[name="then"][value="refer"]').click()
    page.wait_for_url("**/referrals/new?contact_id=*")
    contact_id = page.evaluate("new URLSearchParams(location.search).get('contact_id')")
    assert contact_id == page.locator('#referral-form input[name="contact_id"]').input_value()
    # A tap on the first service's choice, as a person does (the label: Playwright waits
    # until nothing covers it, where a forced click on the hidden radio could land elsewhere).
    page.locator("#service-options label.ref-service").first.click()
    expect(page.locator('input[name="service_id"]:checked')).to_have_count(1)
    page.check('input[name="consent"][value="verbal"]', force=True)
    page.locator("#referral-form .ref-send button.primary").click()
    page.locator("#ref-offline-send").click()  # from the summary (issue 19)
    page.wait_for_selector(".pwa-saved")
    assert 2 == outbox_size(page)

    phone.set_offline(False)
    page.wait_for_function("() => document.getElementById('syncbar').dataset.state === 'sent'",
                           timeout=15000)
    db = server.db()
    assert 1 == db.execute("select count(*) from referral where contact_id = ?",
                           [contact_id]).fetchone()[0]


@pytest.fixture
def quick_server(tmp_path):
    """A live server whose phones back off from 0.1 s, so many retries fit in a test."""
    live = LiveServer(make_app(tmp_path, PWA_BACKOFF_BASE_MS=100))
    live.thread.start()
    yield live
    live.server.shutdown()


def entry_states(page) -> list[str]:
    return page.evaluate("FieldappOutbox.entriesFor(document.body.dataset.userKey)"
                         ".then((e) => e.map((x) => x.state))")


def test_server_faults_keep_records_waiting_however_many_retries_then_they_are_sent(
        quick_server, phone):
    page = phone.new_page()
    officer_ready(page, quick_server.url)
    queue_contacts_offline(page, phone, quick_server.url, ["Faulty server place (demo)"])
    # More failures than the outbox used to allow before "needs attention".
    faults = [(503, {"Retry-After": "1"}), (503, {}), (500, {}), (429, {}), (507, {}),
              (502, {}), (504, {})]
    attempts = []

    def failing_then_well(route):
        attempts.append(time.monotonic())
        if len(attempts) <= len(faults):
            status, headers = faults[len(attempts) - 1]
            return route.fulfill(status=status, headers=headers, json={"error": "busy"})
        return route.continue_()

    phone.route("**/api/sync", failing_then_well)
    phone.set_offline(False)
    seen = set()
    deadline = time.monotonic() + 30
    while page.evaluate("document.getElementById('syncbar').dataset.state") != "sent":
        assert time.monotonic() < deadline, f"not sent after {len(attempts)} attempts"
        seen.update(entry_states(page))
        page.wait_for_timeout(50)

    assert "attention" not in seen
    assert len(faults) + 1 == len(attempts)
    # The server's Retry-After: 1 held for every sender (the page and the service worker).
    assert attempts[1] - attempts[0] >= 0.9
    assert 1 == stored(quick_server.db(), "Faulty server place (demo)")


def test_backoff_delays_grow_are_jittered_capped_and_respect_retry_after(server, phone):
    page = phone.new_page()
    officer_ready(page, server.url)
    delays = page.evaluate("""() => {
      const d = (n, retryAfter) => FieldappOutbox.nextDelay(n, retryAfter, 1000);
      const many = (n, retryAfter) => Array.from({ length: 40 }, () => d(n, retryAfter));
      return { first: many(1), fourth: many(4), late: many(30), told: many(1, 10000),
               toldLate: many(6, 1000), max: FieldappOutbox.MAX_DELAY };
    }""")

    assert all(500 <= d <= 1000 for d in delays["first"]), delays["first"]
    assert all(4000 <= d <= 8000 for d in delays["fourth"]), delays["fourth"]
    assert all(delays["max"] / 2 <= d <= delays["max"] for d in delays["late"])
    assert all(10000 <= d <= 12000 for d in delays["told"]), delays["told"]
    # A short Retry-After does not cut a long backoff short.
    assert all(16000 <= d <= 32000 for d in delays["toldLate"]), delays["toldLate"]
    for name in ("first", "fourth", "late", "told"):
        assert len(set(delays[name])) > 30, f"{name} delays are not jittered"


def test_a_batch_the_server_calls_wrong_is_split_and_only_the_record_at_fault_needs_attention(
        server, phone):
    page = phone.new_page()
    officer_ready(page, server.url)
    places = ["Split place 1 (demo)", "Split place 2 (demo)", "Split place 3 (demo)"]
    queue_contacts_offline(page, phone, server.url, places)
    sizes = []

    def too_large_unless_alone(route):
        contacts = route.request.post_data_json["contacts"]
        sizes.append(len(contacts))
        if len(contacts) > 1:
            return route.fulfill(status=413, json={"error": "too large"})
        # (A contact travels as its form's entries: fieldapp/contacts/recording.py.)
        if dict(contacts[0]["entries"]).get("place_text") == places[1]:
            return route.fulfill(status=400, json={"error": "Unreadable record (demo)"})
        return route.continue_()

    phone.route("**/api/sync", too_large_unless_alone)
    phone.set_offline(False)
    page.wait_for_function(
        "() => document.getElementById('syncbar').dataset.state === 'attention'", timeout=15000)

    assert 3 == sizes[0]
    assert ["attention"] == entry_states(page)
    assert 1 == stored(server.db(), places[0])
    assert 0 == stored(server.db(), places[1])
    assert 1 == stored(server.db(), places[2])
    page.locator("#syncbar-details summary").click()
    assert "Unreadable record (demo)" in page.locator("#syncbar-list").inner_text()


# The phone's clock, 3 h behind (the pages only: a service worker keeps the true clock).
CLOCK_3H_BEHIND = """(() => {
  const RealDate = Date;
  const shift = -3 * 3600 * 1000;
  class PhoneDate extends RealDate {
    constructor(...args) { if (args.length) super(...args); else super(RealDate.now() + shift); }
    static now() { return RealDate.now() + shift; }
  }
  globalThis.Date = PhoneDate;
})();"""


def test_a_phone_3_hours_behind_is_told_and_its_contact_gets_the_true_time(server, phone):
    from datetime import UTC, datetime, timedelta

    phone.add_init_script(CLOCK_3H_BEHIND)
    page = phone.new_page()
    officer_ready(page, server.url)
    banner = page.locator("#pwa-clock")
    banner.wait_for(state="visible")
    assert "status" == banner.get_attribute("role")
    assert ("Your phone's clock is off by about 3 hours. Times you log are corrected; set the "
            "clock to automatic.") == banner.inner_text()
    phone_shot(page, "pwa_clock_banner_phone")
    assert [] == [v for v in axe_violations(page) if any("#pwa-clock" in n for n in v["nodes"])]

    queue_contacts_offline(page, phone, server.url, ["Slow clock place (demo)"])
    device_nows = []

    def from_the_page_only(route):
        # Background Sync in the service worker would send the page's record with its own clock.
        device_now = route.request.post_data_json.get("device_now", "")
        device_nows.append(device_now)
        moment = datetime.fromisoformat(device_now.replace("Z", "+00:00"))
        if abs(moment - (datetime.now(UTC) - timedelta(hours=3))) > timedelta(minutes=5):
            return route.fulfill(status=503, json={"error": "not the page (test)"})
        return route.continue_()

    phone.route("**/api/sync", from_the_page_only)
    phone.set_offline(False)
    page.wait_for_function("() => document.getElementById('syncbar').dataset.state === 'sent'",
                           timeout=20000)

    row = server.db().execute("select occurred_at, device_occurred_at, clock_offset_seconds "
                              "from contact where place_text = ?",
                              ["Slow clock place (demo)"]).fetchone()
    occurred, device, offset = (datetime.fromisoformat(row[0]), datetime.fromisoformat(row[1]),
                                row[2])
    assert abs(occurred - datetime.now(UTC)) < timedelta(minutes=1)
    assert abs(device - (datetime.now(UTC) - timedelta(hours=3))) < timedelta(minutes=1)
    assert abs(offset - 3 * 3600) < 60
    assert banner.is_visible()
