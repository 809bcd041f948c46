"""The PWA's files at the site root, its headers, and what pages carry for the offline scripts."""

import json
import struct


def test_service_worker_is_served_from_the_root_with_its_scope_and_no_cache(client):
    response = client.get("/sw.js")
    assert 200 == response.status_code
    assert "text/javascript" == response.mimetype
    assert "/" == response.headers["Service-Worker-Allowed"]
    assert "no-cache" == response.headers["Cache-Control"]
    body = response.get_data(as_text=True)
    assert "__VERSION__" not in body and "__PRECACHE__" not in body


def test_service_worker_version_changes_when_a_precached_file_changes(client, tmp_path,
                                                                      monkeypatch):
    from fieldapp.pwa import routes

    extra = tmp_path / "extra.css"
    extra.write_text("a { color: red; }")
    monkeypatch.setattr(routes, "PRECACHE", {**routes.PRECACHE, "/static/extra.css": extra})
    first = client.get("/sw.js").get_data(as_text=True)
    extra.write_text("a { color: blue; }")
    second = client.get("/sw.js").get_data(as_text=True)

    def version(body):
        return body.split('const VERSION = "')[1].split('"')[0]

    assert version(first) != version(second)
    assert "/static/extra.css" in first


def test_precached_files_all_exist(client):
    body = client.get("/sw.js").get_data(as_text=True)
    urls = json.loads(body.split("const PRECACHE = ")[1].split(";")[0])
    # The offline page, the stylesheet, htmx, the app's and the offline scripts, the manifest and
    # the icons are always there; the other areas' page scripts when their files exist.
    assert len(urls) >= 10, urls
    for url in urls:
        response = client.get(url)
        assert 200 == response.status_code, url
        response.close()


def test_manifest_has_what_installing_needs(client):
    response = client.get("/manifest.webmanifest")
    manifest = response.get_json(force=True)
    assert "application/manifest+json" == response.mimetype
    assert {"name", "short_name", "start_url", "scope", "display", "theme_color",
            "background_color"} <= manifest.keys()
    assert ("/", "/", "standalone") == (manifest["start_url"], manifest["scope"],
                                        manifest["display"])
    sizes = {(icon["sizes"], icon.get("purpose", "any")) for icon in manifest["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= sizes
    for icon in manifest["icons"]:
        png = client.get(icon["src"]).get_data()
        width, height = struct.unpack(">II", png[16:24])
        assert icon["sizes"] == f"{width}x{height}"


def test_offline_page_says_what_still_works_in_french(client):
    client.post("/language", data={"language": "fr"})
    response = client.get("/offline.html")
    assert 200 == response.status_code
    assert "no-cache" in response.headers["Cache-Control"]
    assert "Aucune connexion" in response.get_data(as_text=True)


def test_outbox_script_is_served_and_nothing_else_is(client):
    assert 200 == client.get("/offline/outbox.js").status_code
    assert 404 == client.get("/offline/make_icons.py").status_code
    assert 404 == client.get("/offline/sw.js").status_code


def test_logout_response_clears_the_site_data(login_as):
    response = login_as("officer").post("/logout")
    assert '"cache", "storage"' == response.headers["Clear-Site-Data"]


def test_pages_carry_the_user_key_only_when_logged_in(client, login_as):
    assert "X-Fieldapp-User" not in client.get("/login").headers
    officer = login_as("officer")
    page = officer.get("/contacts/new")
    key = page.headers["X-Fieldapp-User"]
    html = page.get_data(as_text=True)
    assert f'data-user-key="{key}"' in html
    assert 'id="syncbar"' in html and 'id="pwa-strings"' in html
    assert "offline-app.js" in html


def test_login_page_loads_no_offline_script(client):
    html = client.get("/login").get_data(as_text=True)
    assert "offline-app.js" not in html and "data-user-key" not in html


def test_partners_get_no_sync_bar(login_as):
    html = login_as("partner").get("/referrals/").get_data(as_text=True)
    assert 'id="syncbar"' not in html


def test_script_strings_are_translated_json(login_as):
    officer = login_as("officer")
    officer.post("/language", data={"language": "fr"})
    html = officer.get("/contacts/new").get_data(as_text=True)
    island = html.split('id="pwa-strings">')[1].split("</script>")[0]
    strings = json.loads(island)
    assert "{n} en attente" == strings["waiting"]
    assert "Tout est envoyé" == strings["all_sent"]
