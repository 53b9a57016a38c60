"""Given the API running as in production on the test data (Montreal's boroughs and housing
neighbourhoods, 4,000 offers, 600 needs), when a person opens the demo map at / in a real browser
(Debian's Chromium, headless, driven by Playwright), then the districts and markers appear, a filter
changes the markers, a click on a need lists its matches, and a click on the map lists the offers
nearby: each checked against the database or an independent computation (pyproj).

Screenshots land in .local/screenshots/ for a human to look at."""

from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, sync_playwright
from pyproj import Geod
from strawberry.relay import GlobalID

from offers.models import Offer
from tests.conftest import QUARTIERS, load_geojson
from tests.servers import ROOT, database_url_for, running_api

pytestmark = pytest.mark.django_db
CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = ROOT / ".local" / "screenshots"
GEOD = Geod(ellps="WGS84")
PLATEAU = (45.5230, -73.5800)
BOUNDS = (
    "(() => { const b = quartierMap.getBounds(); return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()] })()"
)


@pytest.fixture
def page(django_db_setup):
    assert Path(CHROMIUM).exists(), "Debian's chromium is missing: `make test` installs it"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with running_api(database_url_for()) as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        errors = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.base = base
        page.goto(f"{base}/")
        yield page
        browser.close()
        assert not errors, errors


def settle(page: Page) -> None:
    """Wait until the markers of the current view have arrived."""
    page.wait_for_function("document.getElementById('status').dataset.ready === '1'")
    page.evaluate("document.getElementById('status').dataset.ready = '0'")


def move(page: Page, lat: float, lng: float, zoom: int) -> tuple[float, float, float, float]:
    page.evaluate("document.getElementById('status').dataset.ready = '0'")
    page.evaluate(f"quartierMap.setView([{lat}, {lng}], {zoom}, {{animate: false}})")
    settle(page)
    b = page.evaluate(BOUNDS)
    return tuple(b)


@pytest.fixture
def offers(django_db_setup) -> list[tuple[int, float, float, str]]:
    """Every offer's public place, read before the browser starts (its event loop forbids the ORM)."""
    return [
        (o.pk, o.public_location.x, o.public_location.y, o.kind) for o in Offer.objects.only("public_location", "kind")
    ]


def offers_inside(offers, bounds, kind: str | None = None) -> set[int]:
    west, south, east, north = bounds
    return {pk for pk, x, y, k in offers if west <= x <= east and south <= y <= north and kind in (None, k)}


def test_the_demo_map_shows_districts_markers_filters_matches_and_nearby_offers(offers, page):
    # the page loads, with the first layer's boroughs as the base map
    settle(page)
    assert page.locator("path.district").count() > 0
    page.select_option("#layer", "mtl-quartiers")
    page.wait_for_function(
        f"document.querySelectorAll('path.district').length === {len(load_geojson(QUARTIERS)['features'])}"
    )
    page.screenshot(path=SCREENSHOTS / "map-city.png")

    # markers: every offer in view, one marker each (the oracle: plain coordinate comparisons)
    bounds = move(page, *PLATEAU, 15)
    expected = offers_inside(offers, bounds)
    assert expected, "the Plateau has offers"
    assert page.locator("path.marker-offer").count() == len(expected)
    assert int(page.get_attribute("#status", "data-offers")) == len(expected)
    assert page.locator("path.marker-need").count() > 0
    page.screenshot(path=SCREENSHOTS / "map-plateau.png")

    # a filter changes the markers
    page.evaluate("document.getElementById('status').dataset.ready = '0'")
    page.select_option("#kind", "MEAL")
    settle(page)
    meals = offers_inside(offers, bounds, kind="MEAL")
    assert 0 < len(meals) < len(expected)
    assert page.locator("path.marker-offer").count() == len(meals)
    page.evaluate("document.getElementById('status').dataset.ready = '0'")
    page.select_option("#kind", "")
    settle(page)

    # a click on a need lists its matches, as the API gives them
    need = page.locator("path.marker-need").first
    need.click(force=True)
    page.wait_for_selector("#details-list li")
    need_id = page.get_attribute("#details", "data-need")
    answer = httpx.post(
        f"{page.base}/graphql",
        json={
            "query": "query($n: ID!) { matches(needId: $n, first: 10) { offer { id } } }",
            "variables": {"n": need_id},
        },
    ).json()
    listed = [li.get_attribute("data-id") for li in page.locator("#details-list li").all()]
    assert listed == [m["offer"]["id"] for m in answer["data"]["matches"]] or (
        listed == [""] and not answer["data"]["matches"]
    )
    page.screenshot(path=SCREENSHOTS / "map-matches.png")

    # a click on the map lists the offers within 500 m, nearest first (oracle: pyproj geodesic)
    move(page, *PLATEAU, 13)
    box = page.locator("#map").bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.6, box["y"] + box["height"] * 0.4)
    page.wait_for_function("document.getElementById('details').dataset.lat !== undefined")
    page.wait_for_selector("#details-list li")
    lat, lng = float(page.get_attribute("#details", "data-lat")), float(page.get_attribute("#details", "data-lng"))
    distances = {pk: GEOD.inv(lng, lat, x, y)[2] for pk, x, y, _ in offers}
    within = sorted((d, pk) for pk, d in distances.items() if d <= 500)
    assert within, "offers within 500 m of the click"
    assert page.inner_text("#details-title").startswith(f"{len(within)} offers within 500 m")
    listed = [li.get_attribute("data-id") for li in page.locator("#details-list li").all()]
    assert [int(GlobalID.from_id(i).node_id) for i in listed] == [pk for _, pk in within[:20]]
    page.screenshot(path=SCREENSHOTS / "map-nearby.png")
