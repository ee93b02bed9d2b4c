"""The front end in a real browser: Debian's Chromium driven by Playwright for Python.

One browser for the session. Without Chromium (or Playwright) these tests skip with
the reason; with ``DEALGRAPH_REQUIRE_BROWSER=1`` (set by ``.ci/run``) they fail
instead. Screenshots go to ``artifacts/screenshots/`` (git-ignored), and the home
page's weight and load time to ``artifacts/home-page-metrics.json``.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest

from dealgraph.web.home import editor_installed

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
SCREENSHOTS = ARTIFACTS / "screenshots"


def _unavailable(reason: str) -> None:
    if os.environ.get("DEALGRAPH_REQUIRE_BROWSER") == "1":
        pytest.fail(f"DEALGRAPH_REQUIRE_BROWSER=1 but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser() -> Iterator:
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is missing (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("Playwright for Python is not installed (pip install playwright)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="session")
def editor() -> None:
    if not editor_installed():
        _unavailable("the editor's assets are not built (npm ci && npm run build before pip install)")


class Watched:
    """A page with its script errors and the hosts it sent requests to."""

    def __init__(self, page, origin: str):
        self.page, self.origin = page, origin
        self.errors: list[str] = []
        self.outside: list[str] = []
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on("console", lambda message: message.type == "error" and self.errors.append(message.text))
        page.on("request", self._request)
        page.on(
            "response",
            lambda response: response.status >= 400 and self.errors.append(f"{response.status} {response.url}"),
        )

    def _request(self, request) -> None:
        parts = urlsplit(request.url)
        if parts.scheme in ("data", "blob", "about"):
            return
        if f"{parts.scheme}://{parts.netloc}" != self.origin:
            self.outside.append(request.url)


@pytest.fixture
def watched(browser, endpoint) -> Iterator[Watched]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(20_000)
    yield Watched(page, endpoint.url)
    context.close()


def screenshot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def test_home_page_loads_without_errors_or_outside_requests(watched, endpoint, editor):
    page = watched.page
    page.goto(endpoint.url + "/", wait_until="networkidle")
    page.wait_for_selector(".yasqe .CodeMirror")
    page.wait_for_function("document.querySelector('#pictures img').complete")
    assert "dg: <https://w3id.org/dealgraph/ontology#>" in page.evaluate(
        "document.querySelector('.CodeMirror').CodeMirror.getValue()"
    )
    page.wait_for_timeout(500)
    assert watched.errors == []
    assert watched.outside == []
    metrics = page.evaluate(
        """() => {
          const nav = performance.getEntriesByType('navigation')[0];
          const resources = performance.getEntriesByType('resource');
          const sum = (key) => resources.reduce((total, r) => total + (r[key] || 0), 0);
          return {
            requests: resources.length + 1,
            transferred_bytes: nav.transferSize + sum('transferSize'),
            decoded_bytes: nav.decodedBodySize + sum('decodedBodySize'),
            dom_content_loaded_ms: Math.round(nav.domContentLoadedEventEnd - nav.startTime),
            load_ms: Math.round(nav.loadEventEnd - nav.startTime),
          };
        }"""
    )
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "home-page-metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    print("home page:", metrics)
    screenshot(page, "home")


def test_a_query_typed_into_the_editor_runs_and_shows_rows(watched, endpoint, editor):
    page = watched.page
    page.goto(endpoint.url + "/", wait_until="networkidle")
    page.click(".yasqe .CodeMirror-code")
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    page.keyboard.type('SELECT ?name WHERE { ?o a dg:Organization ; rdfs:label ?name FILTER(LANG(?name) = "") ')
    typed = page.evaluate("document.querySelector('.CodeMirror').CodeMirror.getValue()")
    if not typed.rstrip().endswith("}"):
        page.keyboard.type("}")
    page.keyboard.press("Control+Enter")
    page.wait_for_selector(".yasr table tbody tr td")
    text = page.inner_text(".yasr table tbody")
    assert "Alapage" in text and "Marcopoly" in text
    assert watched.outside == []
    screenshot(page, "editor-results")


def test_a_query_link_opens_in_the_editor(watched, endpoint, editor):
    page = watched.page
    query = "SELECT ?deal WHERE { ?deal dg:target id:org\\/alapage } # from a link"
    page.goto(endpoint.url + "/#query=" + quote(query, safe=""), wait_until="networkidle")
    page.wait_for_selector(".yasqe .CodeMirror")
    assert "# from a link" in page.evaluate("document.querySelector('.CodeMirror').CodeMirror.getValue()")


def test_a_saved_query_form_runs_and_shows_rows(watched, endpoint):
    page = watched.page
    page.goto(endpoint.url + "/", wait_until="domcontentloaded")
    page.click("#q-deals summary")
    page.fill("#deals-acquirer", "France Télécom")
    with page.expect_navigation():
        page.click("#q-deals button[type=submit]")
    assert "/queries/deals?" in page.url
    rows = page.locator("table tbody tr")
    assert rows.count() >= 3
    assert "Alapage" in page.inner_text("table tbody")
    screenshot(page, "saved-query")


def test_france_telecom_page_lists_its_purchases_with_prices_and_timeline(watched, endpoint):
    page = watched.page
    page.goto(endpoint.url + "/id/org/france-telecom", wait_until="networkidle")
    purchases = page.locator("#table-acquirer tbody tr")
    prices = {}
    for index in range(purchases.count()):
        row = purchases.nth(index)
        money = row.locator("data.money")
        if money.count():
            prices[row.locator("th").inner_text()] = (money.get_attribute("value"), money.inner_text())
    by_target = {re.sub(r".*of (\w+).*", r"\1", name): value for name, value in prices.items()}
    assert by_target["Alapage"][0] == "50000000"
    assert by_target["Marcopoly"][0] == "30000000"
    assert re.sub(r"\D", "", by_target["Alapage"][1]) == "50000000"
    assert re.sub(r"\D", "", by_target["Marcopoly"][1]) == "30000000"
    timeline = page.locator("img[src^='/pictures/timeline/org/france-telecom.svg']")
    assert "Alapage" in timeline.get_attribute("alt")
    assert page.evaluate("(img) => img.complete && img.naturalWidth > 0", timeline.element_handle())
    assert watched.errors == [] and watched.outside == []
    screenshot(page, "france-telecom")


def test_deal_and_ontology_pages_render(watched, endpoint):
    page = watched.page
    page.goto(endpoint.url + "/id/deal/alapage-1999", wait_until="networkidle")
    assert page.locator("h2#consequences-title").is_visible()
    screenshot(page, "deal-alapage-1999")
    page.goto(endpoint.url + "/ontology?lang=fr", wait_until="networkidle")
    assert page.locator("html").get_attribute("lang") == "fr"
    assert page.locator("#Organization").is_visible()
    screenshot(page, "ontology-fr")
    assert watched.errors == [] and watched.outside == []
