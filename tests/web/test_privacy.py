"""Personal data is masked on every page of every role until someone asks to see it (an audited action), and
every page keeps to the same object-level permissions as the API."""

from __future__ import annotations

import re
from collections import deque
from urllib.parse import urljoin, urlparse

import pytest

from tests.api.conftest import BUYER_ADDRESS, BUYER_NAME, BUYER_PHONE, forged_rgb, jpeg
from tests.repairs.conftest import CUSTOMER_ADDRESS, CUSTOMER_PHONE
from tests.web.conftest import Browser, WebWorld

FULL_PHONE = re.compile(r"(?<![0-9A-Za-z_])1[3-9]\d{9}(?![0-9A-Za-z])")  # ids are hex: not phones
LINK = re.compile(r'href="([^"#]+)"')
# Only pages: static files and images are not HTML; nothing that reveals is reachable by GET anyway.
SKIP = ("/static/", "/media/", "/api/", "/logout")


def crawl(b: Browser, start: str, limit: int = 80) -> dict[str, str]:
    """Every console page reachable by links from `start` (same origin, GET only)."""
    seen: dict[str, str] = {}
    todo = deque([start])
    while todo and len(seen) < limit:
        url = todo.popleft()
        if url in seen:
            continue
        r = b.get(url)
        if not r.headers.get("content-type", "").startswith("text/html"):
            continue
        seen[url] = r.text
        for href in LINK.findall(r.text):
            target = urljoin(url, href.replace("&amp;", "&"))
            parsed = urlparse(target)
            if parsed.netloc not in ("", "testserver") or parsed.path.startswith(SKIP):
                continue
            path = parsed.path + (f"?{parsed.query}" if parsed.query else "")
            if path not in seen:
                todo.append(path)
    return seen


@pytest.fixture
def busy(web: WebWorld) -> WebWorld:
    """A claim screened and waiting for the merchant, and a repair request dispatched."""
    r = web.api.file_claim("buyer1", "order1", jpeg(forged_rgb()))
    assert r.status_code == 201, r.text
    web.api.ids["claim"] = r.json()["id"]
    web.api.run_jobs()
    r = web.repairs.intake()
    assert r.status_code == 201, r.text
    web.api.ids["repair"] = r.json()["id"]
    return web


@pytest.mark.parametrize(
    "who", ["buyer1", "merchantA", "rev1", "rev2", "admin", "agent", "super", "tech_near", "tech_far"]
)
def test_no_page_shows_a_full_phone_name_or_address(busy: WebWorld, who: str) -> None:
    b = busy.browser(who)
    pages = crawl(b, "/")
    assert len(pages) >= 2, f"{who} reached only {list(pages)}"
    for url, html in pages.items():
        assert not FULL_PHONE.search(html), f"{who}: full phone number on {url}"
        for secret in (BUYER_PHONE, CUSTOMER_PHONE, BUYER_ADDRESS, CUSTOMER_ADDRESS, BUYER_NAME):
            assert secret not in html, f"{who}: {secret!r} in clear on {url}"


def test_one_buyer_cannot_open_anothers_claim(busy: WebWorld) -> None:
    claim = busy.api.ids["claim"]
    own = busy.browser("buyer1").get(f"/buyer/claims/{claim}")
    assert own.status_code == 200 and claim in own.text
    other = busy.browser("buyer2")
    for url in (f"/buyer/claims/{claim}", f"/review/claims/{claim}", f"/merchant/claims/{claim}"):
        r = other.get(url)
        assert r.status_code in (403, 404), url
        assert "screen cracked on arrival" not in r.text  # the claim's reason
    r = busy.browser("merchantB").get(f"/merchant/claims/{claim}")
    assert r.status_code == 404
