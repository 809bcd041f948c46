"""French layout holds at 320 x 568 (issue 22): every page of every role, in French, is no wider
than the screen, and no text is cut: no element that hides its overflow (overflow hidden or
clip, or text-overflow: ellipsis) holds text wider than its box, no placeholder is wider than its
input (measured with the input's own font on a canvas), and no select shows its chosen option
cut, and no word is broken in the middle because its box is narrower than the word.  French
runs about a fifth longer than English, so this is where layouts break."""

import pytest

from tests.support import browser_login
from tests.support.pages import pages

pytestmark = pytest.mark.browser
WIDTH = 320
HEIGHT = 568
DOWNLOADS = (".zip", ".csv", ".json", ".js", ".webmanifest")

# What is cut on the page, as "selector: text (needed px > available px)".
# (A phone widens its layout viewport to a page that overflows, so innerWidth would grow with
# the page: the screen's width is passed in.)
CUT_TEXT = """(width) => {
  const found = [];
  const root = document.documentElement;
  if (root.scrollWidth > width) found.push(`page: ${root.scrollWidth}px > ${width}px`);
  const context = document.createElement("canvas").getContext("2d");
  const textWidth = (text, style) => {
    context.font = style.font || `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
    context.letterSpacing = style.letterSpacing === "normal" ? "0px" : style.letterSpacing;
    return context.measureText(text).width;
  };
  const name = (el) => el.tagName.toLowerCase() + (el.id ? `#${el.id}` : "")
    + (el.classList.length ? `.${[...el.classList].join(".")}` : "");
  const contentWidth = (el, style) => el.clientWidth - parseFloat(style.paddingLeft)
    - parseFloat(style.paddingRight);
  for (const el of document.body.querySelectorAll("*")) {
    if (!el.getClientRects().length) continue;
    const style = getComputedStyle(el);
    if (style.visibility !== "visible") continue;
    // Text kept for screen readers only (a 1px box with clip) is not cut for anyone.
    if (el.clientWidth <= 1 || style.clip !== "auto" || style.clipPath !== "none") continue;
    if ((el.tagName === "INPUT" || el.tagName === "TEXTAREA") && el.placeholder) {
      const needed = textWidth(el.placeholder, style);
      const room = contentWidth(el, style);
      if (needed > room + 1) {
        const size = `${Math.ceil(needed)}px > ${room}px`;
        found.push(`${name(el)} placeholder: ${el.placeholder} (${size})`);
      }
      continue;
    }
    if (el.tagName === "SELECT" && el.selectedOptions.length) {
      // A select as wide as its container can be no wider: its list shows the whole name (a
      // long organization's name, data rather than the interface's words).
      const parent = getComputedStyle(el.parentElement);
      if (el.offsetWidth >= contentWidth(el.parentElement, parent) - 1) continue;
      // The arrow of a select takes about 20px of its content box.
      const label = el.selectedOptions[0].label;
      const needed = textWidth(label, style);
      const room = contentWidth(el, style) - 20;
      if (needed > room + 1) {
        found.push(`${name(el)} option: ${label} (${Math.ceil(needed)}px > ${room}px)`);
      }
      continue;
    }
    // A word wider than the box it wraps in is broken in the middle ("Orientatio" / "ns")
    // where the box lets words break, and else spills out of the box (over its neighbours).
    // Words with a digit are data (ids, keys, dates), not the interface's words; a line may
    // break after a hyphen ("DEMO-" / "KEY").
    const own = [...el.childNodes].filter((n) => n.nodeType === 3).map((n) => n.textContent)
      .join(" ");
    let box = el;
    while (box.parentElement && ["inline", "contents"].includes(getComputedStyle(box).display)) {
      box = box.parentElement;
    }
    const boxStyle = getComputedStyle(box);
    const breaks = ["anywhere", "break-word"].includes(boxStyle.overflowWrap)
      || ["break-all", "break-word"].includes(boxStyle.wordBreak);
    const room = breaks ? contentWidth(box, boxStyle) : box.offsetWidth;
    const words = own.split(/[ \\t\\n]+|(?<=[-\u2010])/);
    for (const word of words.filter((w) => w.length > 1 && !/\\d/.test(w))) {
      const needed = textWidth(word, style);
      if (room > 0 && needed > room + 1) {
        const what = breaks ? "word broken" : "word spills";
        found.push(`${name(el)} ${what}: ${word} (${Math.ceil(needed)}px > ${room}px)`);
      }
    }
    const hides = ["hidden", "clip"].includes(style.overflowX) || style.textOverflow === "ellipsis";
    if (!hides || !el.innerText || !el.innerText.trim()) continue;
    if (el.scrollWidth > el.clientWidth + 1) {
      const text = el.innerText.trim().replace(/\\s+/g, " ").slice(0, 60);
      found.push(`${name(el)}: ${text} (${el.scrollWidth}px > ${el.clientWidth}px)`);
    }
  }
  return found;
}"""


def french_tabs(browser, base_url):
    """One French phone tab per user, opened on demand."""
    tabs = {}

    def tab(user):
        if user not in tabs:
            context = browser.new_context(viewport={"width": WIDTH, "height": HEIGHT},
                                          is_mobile=True, has_touch=True)
            page = tabs[user] = context.new_page()
            if user == "anonymous":
                page.goto(f"{base_url}/login")
            else:
                browser_login(page, base_url, user)
                page.wait_for_load_state()
            page.get_by_role("button", name="Français").click()
            page.wait_for_load_state()
        return tabs[user]

    return tab, tabs


def test_every_french_page_fits_320px_and_cuts_no_text(live_server, browser):
    from fieldapp.db import connect

    db = connect(live_server.app.config["DATABASE"])
    urls = [(url, user) for url, user in pages(live_server.app, db)
            if not url.endswith(DOWNLOADS) and not url.startswith("/api/")]
    db.conn.close()
    tab, tabs = french_tabs(browser, live_server.url)
    cut, checked = [], 0
    for url, user in urls:
        page = tab(user)
        response = page.goto(live_server.url + url)
        if response.status >= 400 or not page.locator("meta[name=viewport]").count():
            continue  # an htmx fragment asked for alone is not a page
        assert "fr" == page.evaluate("document.documentElement.lang"), url
        checked += 1
        cut += [f"{user} {url}: {what}" for what in page.evaluate(CUT_TEXT, WIDTH)]
    for page in tabs.values():
        page.context.close()
    assert checked >= 30
    assert [] == cut, "\n".join(cut)


def test_the_check_sees_cut_text_and_overflow(browser):
    """The measure itself: a cut placeholder, an ellipsis, a broken word and a too-wide block
    are found (on a blank page: the app's CSP would refuse these inline styles)."""
    context = browser.new_context(viewport={"width": WIDTH, "height": HEIGHT}, is_mobile=True,
                                  has_touch=True)
    page = context.new_page()
    page.set_content("""<html lang="fr"><head>
      <meta name="viewport" content="width=device-width, initial-scale=1"></head><body>
      <input id="q" style="width:100px" placeholder="Rechercher un nom ou une organisation">
      <p id="e" style="width:80px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis">
        Changer le rôle de la personne</p>
      <p id="w" style="width:60px;overflow-wrap:anywhere">Orientations</p>
      <div style="width:500px">large</div></body></html>""")
    found = page.evaluate(CUT_TEXT, WIDTH)
    context.close()
    assert any(f.startswith("page:") for f in found), found
    assert any(f.startswith("input#q placeholder") for f in found), found
    assert any(f.startswith("p#e:") for f in found), found
    assert any(f.startswith("p#w word broken: Orientations") for f in found), found
