"""The people search as a real form action: it works without JavaScript (issue 23)."""

import re
import uuid

from fieldapp.contacts import demo
from tests.support import NOW, make_app
from tests.support.contacts import contact_form, login_client


def stored(app, contact_id: str):
    with app.app_context():
        from fieldapp.db import get_db

        rows = list(get_db()["contact"].rows_where("id = ?", [contact_id]))
        return rows[0] if rows else None


def test_search_button_is_a_submit_of_the_contact_form_named_search_people(login_as):
    page = login_as("officer").get("/contacts/new").get_data(as_text=True)
    button = re.search(r'<button type="submit" name="search_people"[^>]*>', page).group(0)
    assert 'hx-post="/contacts/people/search"' in button and "formnovalidate" in button
    # The hidden default Save comes before it, so Enter in a text field never searches.
    assert page.index('class="visually-hidden"') < page.index('name="search_people"')


def test_search_without_javascript_lists_people_keeps_the_form_and_saves_nothing(tmp_path):
    app = make_app(tmp_path, NOW=NOW)
    client = login_client(app)
    form = contact_form(place_id="", place_text="Corner of Main and 2nd", q="J.D",
                        search_people="1")
    response = client.post("/contacts/new", data=form)
    page = response.get_data(as_text=True)
    assert 200 == response.status_code
    assert f'name="person_id" value="{demo.PERSON_JD}"' in page
    assert 'value="Corner of Main and 2nd"' in page and 'value="J.D"' in page
    assert f'name="id" value="{form["id"]}"' in page
    assert stored(app, form["id"]) is None


def test_chosen_person_from_the_results_is_saved_with_the_contact(tmp_path):
    app = make_app(tmp_path, NOW=NOW)
    client = login_client(app)
    form = contact_form(q="J.D", person_id=demo.PERSON_JD)
    response = client.post("/contacts/new", data=form)
    assert 303 == response.status_code
    assert demo.PERSON_JD == stored(app, form["id"])["person_id"]


def test_save_with_a_search_typed_but_nobody_chosen_asks_instead_of_saving(tmp_path):
    app = make_app(tmp_path, NOW=NOW)
    client = login_client(app)
    form = contact_form(q="J.D", person_id="", note="Kept note")
    response = client.post("/contacts/new", data=form)
    page = response.get_data(as_text=True)
    assert 422 == response.status_code
    assert "Choose the person, or clear the search box." in page
    assert f'name="person_id" value="{demo.PERSON_JD}"' in page and "Kept note" in page
    assert stored(app, form["id"]) is None
    # A group contact has no person: the search box does not hold it back.
    group = contact_form(q="J.D", is_group="1", headcount="5", age_band="18_64",
                         id=str(uuid.uuid4()))
    assert 303 == client.post("/contacts/new", data=group).status_code


def test_the_edit_form_searches_without_javascript_too(tmp_path):
    app = make_app(tmp_path, NOW=NOW)
    client = login_client(app)
    form = contact_form()
    assert 303 == client.post("/contacts/new", data=form).status_code
    edit = {**form, "q": "J.D", "search_people": "1"}
    response = client.post(f"/contacts/{form['id']}/edit", data=edit)
    assert 200 == response.status_code
    assert f'name="person_id" value="{demo.PERSON_JD}"' in response.get_data(as_text=True)
    saved = client.post(f"/contacts/{form['id']}/edit",
                        data={**form, "q": "J.D", "person_id": demo.PERSON_JD})
    assert 303 == saved.status_code
    assert demo.PERSON_JD == stored(app, form["id"])["person_id"]
