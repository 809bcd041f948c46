"""No native validation bubble anywhere (issue 19): the server's messages, in the one error
pattern, are the only ones. Every form on every page of every role that holds a field the
browser would check itself (required, pattern, min, max, minlength, or an email, url or number
type) says `novalidate`."""

from html.parser import HTMLParser

from tests.support.pages import pages

CHECKED_TYPES = {"email", "url", "number"}
CONSTRAINTS = {"required", "pattern", "min", "max", "minlength"}


class Forms(HTMLParser):
    """The forms that would let the browser show its own bubble."""

    def __init__(self):
        super().__init__()
        self.stack, self.bubbling = [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.stack.append({"novalidate": "novalidate" in attrs, "checked": [],
                               "id": attrs.get("id") or attrs.get("action") or "?"})
        elif tag in {"input", "select", "textarea"} and self.stack:
            if CONSTRAINTS & set(attrs) or attrs.get("type") in CHECKED_TYPES:
                self.stack[-1]["checked"].append(attrs.get("name") or attrs.get("id"))

    def handle_endtag(self, tag):
        if tag == "form" and self.stack:
            form = self.stack.pop()
            if form["checked"] and not form["novalidate"]:
                self.bubbling.append(f"{form['id']}: {', '.join(form['checked'][:3])}")


def test_no_form_lets_the_browser_show_its_own_validation_bubble(app, db, login_as):
    clients, found, seen = {}, [], 0
    for url, user in pages(app, db):
        if user not in clients:
            clients[user] = app.test_client() if user == "anonymous" else login_as(user)
        response = clients[user].get(url)
        if response.mimetype != "text/html" or response.status_code >= 400:
            continue
        parser = Forms()
        parser.feed(response.get_data(as_text=True))
        seen += 1
        found += [f"{user} {url}: {form}" for form in parser.bubbling]
    assert seen >= 30
    assert [] == found, "\n".join(found)


def test_the_check_finds_a_form_that_would_bubble():
    parser = Forms()
    parser.feed('<form action="/x"><input name="a" required></form>'
                '<form action="/y" novalidate><input name="b" type="email"></form>'
                '<form action="/z"><input name="c"></form>')
    assert ["/x: a"] == parser.bubbling


# The forms that said nothing before issue 19's check, posted empty: the server answers with
# its own message (the one error pattern), never a 5xx and never a success.
EMPTY_POSTS = [("officer", "/account/password"), ("coordinator", "/accounts/users"),
               ("coordinator", "/directory/manage/import"),
               ("coordinator", "/directory/manage/merge"), ("coordinator", "/reports/calls"),
               ("coordinator", "/reports/calls/keys")]


def test_the_forms_that_lost_their_bubbles_answer_an_empty_post_with_a_message(login_as):
    answers = {}
    for who, url in EMPTY_POSTS:
        response = login_as(who).post(url, data={})
        answers[url] = (response.status_code, 'class="error' in response.get_data(as_text=True)
                        or 'field-error' in response.get_data(as_text=True))
    assert {url: (answers[url][0] // 100, True) for _, url in EMPTY_POSTS} == \
        {url: (4, True) for _, url in EMPTY_POSTS}, answers
