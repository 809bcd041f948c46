"""Page weight budget: a patrol page with all its assets <= 60 KB gzipped on first load."""

import gzip
import re

import pytest

BUDGET = 60 * 1024


def weight_with_assets(client, url: str) -> tuple[int, list[str]]:
    """Gzipped bytes of the page plus every script, stylesheet, icon and manifest it links."""
    page = client.get(url)
    assert 200 == page.status_code
    html = page.get_data()
    total = len(gzip.compress(html, 9))
    assets = re.findall(rb'<(?:script|link)[^>]+(?:src|href)="(/[^"]+)"', html)
    for asset in sorted(set(a.decode() for a in assets)):
        response = client.get(asset)
        assert 200 == response.status_code, asset
        total += len(gzip.compress(response.get_data(), 9))
        response.close()
    return total, assets


def test_login_page_with_its_assets_fits_the_budget(client):
    total, assets = weight_with_assets(client, "/login")
    assert any(b"htmx" in a for a in assets)
    assert total <= BUDGET, f"{total} bytes gzipped"


@pytest.mark.parametrize("url", ["/contacts/new", "/directory/", "/directory/?q=shelter",
                                 "/contacts/", "/referrals/", "/referrals/new"])
def test_officer_patrol_pages_with_their_assets_fit_the_budget(login_as, url):
    total, _assets = weight_with_assets(login_as("officer"), url)
    assert total <= BUDGET, f"{url}: {total} bytes gzipped"
