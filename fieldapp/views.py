"""render(): the one place that decides between a full page and an htmx fragment."""

from flask import make_response, render_template, request


def render(page: str, fragment: str | None = None, *, status: int = 200, **context):
    """Render `page`, or only `fragment` when htmx asked for it (the page includes the fragment).

    The response varies on HX-Request so that no cache serves a fragment as a page.
    """
    template = fragment if fragment and request.headers.get("HX-Request") else page
    response = make_response(render_template(template, **context), status)
    response.headers.add("Vary", "HX-Request")
    return response


def is_htmx() -> bool:
    return bool(request.headers.get("HX-Request"))
