"""Issue 19, the board report at 390 px (and 320 px), in English and French, in real Chromium:
it leads with the one-page summary, wide tables become stacked rows with no sideways scroll,
no text is clipped, and no two chart rows share a cut label."""

import pytest

from fieldapp.db import connect
from tests.support import axe_violations, browser_login, screenshot
from tests.support.reports import HRP_Q1, OFFICER_A, REPORT_NOW, add_cases, load

pytestmark = pytest.mark.browser

SIZES = [(390, 844), (320, 568)]
# A second service of the crisis team whose label starts like S1's for more than a chart
# line: cut, both would read "Harbourside Mobile Crisis Team (demo) — Service s1-cr…".
TWIN = "s1-crisis-line-west"


@pytest.fixture
def report_server(live_server):
    live_server.app.config["NOW"] = REPORT_NOW
    path = live_server.app.config["DATABASE"]
    load(path)
    add_cases(path)
    db = connect(path)
    with db.atomic():
        org = db.execute("select organization_id from service where id = 's1-crisis-line'"
                         ).fetchone()[0]
        db["service"].insert({"id": TWIN, "organization_id": org,
                              "name": "Service s1-crisis-line (test) west"})
        for i in range(6):
            at = f"2026-02-{12 + i:02d}T12:00:00+00:00"
            db["referral"].insert({
                "id": f"twin-{i}", "contact_id": None, "service_id": TWIN,
                "organization_id": org, "officer_id": OFFICER_A, "police_service": "HRP",
                "urgency": "today", "consent": "verbal", "status": "sent", "created_at": at,
                "sent_at": at})
    db.conn.close()
    return live_server


def set_language(page, language):
    if page.evaluate("document.documentElement.lang") != language:
        with page.expect_navigation():
            page.click(f"button[name=language][value={language}]")


LAYOUT = """() => {
  const clipped = [];
  const cells = '.report-table th, .report-table td, .report-table caption';
  for (const el of document.querySelectorAll(cells)) {
    if (el.scrollWidth > el.clientWidth + 1) clipped.push(el.textContent.trim().slice(0, 60));
  }
  const scrolling = [...document.querySelectorAll('.report-table')]
    .filter(el => el.scrollWidth > el.clientWidth + 1).map(el => el.querySelector('table').id);
  const shared = [];
  for (const svg of document.querySelectorAll('svg.chart')) {
    const drawn = [...svg.querySelectorAll('g.chart-row')].map(
      g => [...g.querySelectorAll('.chart-label')].map(t => t.textContent).join(' '));
    if (new Set(drawn).size !== drawn.length) shared.push(svg.id);
  }
  const lead = document.querySelector('.report-lead a').getBoundingClientRect();
  return {overflow: document.documentElement.scrollWidth - window.innerWidth, clipped,
          scrolling, shared, leadBottom: lead.bottom, height: window.innerHeight};
}"""


@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize("width, height", SIZES)
def test_board_report_on_a_phone(report_server, browser, width, height, language):
    context = browser.new_context(viewport={"width": width, "height": height},
                                  is_mobile=True, has_touch=True)
    page = context.new_page()
    browser_login(page, report_server.url, "coordinator")
    page.wait_for_load_state()
    set_language(page, language)
    page.goto(f"{report_server.url}/reports/?{HRP_Q1}")
    layout = page.evaluate(LAYOUT)
    screenshot(page, f"reports_board_{width}_{language}")
    assert layout["overflow"] <= 0, layout
    assert [] == layout["scrolling"], layout  # no table scrolls sideways
    assert [] == layout["clipped"], layout
    assert [] == layout["shared"], layout  # no two chart rows read the same
    # It leads with the summary: its link is on the first screen.
    assert layout["leadBottom"] <= layout["height"], layout
    # The referral table is stacked: each figure with its column's name beside it.
    made = page.locator("#table-referrals_by_service tbody td").first
    label = made.evaluate("td => getComputedStyle(td, '::before').content")
    column = page.locator("#table-referrals_by_service thead th").nth(1).text_content()
    assert f'"{column}"' == label
    # The twin services' chart rows are drawn whole, not cut the same.
    chart = page.locator("#chart-referrals_by_service").inner_html()
    assert "west" in chart
    if (width, language) == (320, "fr"):
        assert [] == axe_violations(page)
    page.goto(f"{report_server.url}/reports/summary?{HRP_Q1}")
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    context.close()
