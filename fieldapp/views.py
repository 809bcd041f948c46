"""render(): the one place that decides between a full page and an htmx fragment; json_body():
the one way a view reads a JSON body.

The htmx rule: a view asks `is_htmx()` (htmx-flask's `request.htmx`; only this module and
security.py read it) and sets HX-* answers with htmx-flask's `make_response(redirect=...,
trigger=...)`.  A refused form answers 4xx (422 for field errors) with the fragment to show;
the htmx config in base.html (`responseHandling`) swaps every 4xx in place, so no view
answers 200 for an error."""

import json

from flask import make_response, render_template, request
from flask_babel import gettext as _

from fieldapp import formats


def render(page: str, fragment: str | None = None, *, status: int = 200, **context):
    """Render `page`, or only `fragment` when htmx asked for it (the page includes the fragment).

    The response varies on HX-Request so that no cache serves a fragment as a page.
    """
    template = fragment if fragment and is_htmx() else page
    return render_page(render_template(template, **context), status=status)


def render_page(html: str, *, status: int = 200):
    """A full page already rendered (a kept copy, see directory/cache.py: page) as render()
    answers it: varying on HX-Request."""
    response = make_response(html, status)
    response.headers.add("Vary", "HX-Request")
    return response


def is_htmx() -> bool:
    """True when htmx sent this request (HX-Request: true)."""
    return bool(request.htmx)


class BadJson(ValueError):
    """A JSON body that is not readable, too deep or too large: answer 4xx with this message."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


def json_body(max_bytes: int, max_depth: int):
    """The request's JSON body, refused (BadJson) when larger than `max_bytes` (413), not JSON,
    or nested deeper than `max_depth` (400).  A body nested 100,000 deep never reaches Python's
    recursion limit as a 500."""
    length = request.content_length
    if length is not None and length > max_bytes:
        raise BadJson(_("The batch is too large (at most %(mb)s MB); send fewer records at once.",
                        mb=formats.decimal(max_bytes / 1024 / 1024, 1)), 413)
    data = request.get_data(cache=True)
    if len(data) > max_bytes:
        raise BadJson(_("The batch is too large (at most %(mb)s MB); send fewer records at once.",
                        mb=formats.decimal(max_bytes / 1024 / 1024, 1)), 413)
    try:
        value = json.loads(data)
    except RecursionError:
        raise BadJson(_("The data is nested too deeply.")) from None
    except ValueError:
        raise BadJson(_("The data is not readable JSON.")) from None
    if _depth_over(value, max_depth):
        raise BadJson(_("The data is nested too deeply."))
    return value


def _depth_over(value, limit: int) -> bool:
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            item = list(item.values())
        if isinstance(item, list):
            if depth > limit:
                return True
            stack.extend((child, depth + 1) for child in item
                         if isinstance(child, (dict, list)))
    return False


def htmx_trigger_name() -> str | None:
    """The name of the field that triggered an htmx request (HX-Trigger-Name), for the inline
    checks of one form field."""
    return request.htmx.trigger_name


def is_history_restore() -> bool:
    """True when htmx asks for a whole page to restore its history (the back button after
    hx-push-url found no copy in its cache)."""
    return bool(request.htmx.history_restore_request)
