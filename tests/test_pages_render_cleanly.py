"""Every HTML page, as every user allowed to see it: no Python or template internals leak into
what people read (a method's repr, an unrendered tag, "None" as a value)."""

import re

from tests.support.pages import pages

# ("None" alone in an element is a Python None printed; "None." or "None: …" are words.)
LEAKS = re.compile(r"<built-in|bound method|object at 0x|Undefined|\{\{|\{%|>\s*None\s*<")


def test_no_internals_on_any_page(app, db, login_as):
    clients = {"anonymous": app.test_client()}
    leaks, checked = [], 0
    for url, user in pages(app, db):
        if user not in clients:
            clients[user] = login_as(user)
        for headers in ({}, {"HX-Request": "true"}):
            response = clients[user].get(url, headers=headers)
            if response.mimetype != "text/html" or response.status_code >= 400:
                continue
            checked += 1
            body = response.get_data(as_text=True)
            leaks += [f"{user} {url}: {body[max(0, m.start() - 60):m.end() + 20]!r}"
                      for m in LEAKS.finditer(body)]
    assert checked >= 40
    assert [] == leaks
