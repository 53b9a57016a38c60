"""Given the seeded offers over Montreal, when a map asks for vector tiles, then each tile holds
exactly the public places inside its bounds (bounds computed here from the tiling's formula, not
by PostGIS), filtered as asked, never a person's exact place, never another community's rows or
a private layer's districts; bad tiles get a code, a parameter a layer does not take is refused;
unchanged tiles answer 304."""

import math
from collections import defaultdict

import mapbox_vector_tile
import pytest
from django.contrib.auth import get_user_model
from django.contrib.gis.geos import Point
from django.test import Client
from pyproj import Transformer
from strawberry.relay import GlobalID

from accounts import services as accounts
from accounts.services import token_issue
from offers import services
from offers.models import Offer
from places.models import District

pytestmark = pytest.mark.django_db
PLATEAU = (-73.5800, 45.5200)


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


def bounds(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    n = 2**z
    lat = lambda j: math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * j / n))))  # noqa: E731
    return x / n * 360 - 180, lat(y + 1), (x + 1) / n * 360 - 180, lat(y)


def get(path: str, token: str | None = None, **headers):
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return Client(HTTP_HOST="localhost").get(path, headers=headers)


def features(response, layer: str) -> list[dict]:
    if response.status_code == 204:
        return []
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/vnd.mapbox-vector-tile"
    return mapbox_vector_tile.decode(response.content).get(layer, {}).get("features", [])


def code_of(response) -> tuple[int, str]:
    """(status, code) of a JSON error, as GraphQL's: `errors[].extensions.code`."""
    assert response["Content-Type"] == "application/json", response.content[:200]
    [error] = response.json()["errors"]
    return response.status_code, error["extensions"]["code"]


def ids(found: list[dict]) -> set[int]:
    return {int(GlobalID.from_id(f["properties"]["id"]).node_id) for f in found}


@pytest.mark.parametrize("z", [12, 14, 16])
def test_an_offers_tile_holds_exactly_the_offers_inside_it(z):
    x, y = tile_of(*PLATEAU, z)
    west, south, east, north = bounds(z, x, y)
    expected = {
        o.pk
        for o in Offer.objects.only("public_location")
        if west <= o.public_location.x < east and south < o.public_location.y <= north
    }
    found = features(get(f"/tiles/offers/{z}/{x}/{y}.pbf"), "offers")
    got = ids(found)
    # points exactly on a tile edge may be drawn in both neighbours (the buffer): compare inside the edges
    assert expected <= got
    for f in found:
        if int(GlobalID.from_id(f["properties"]["id"]).node_id) not in expected:
            gx, gy = f["geometry"]["coordinates"]
            assert gx in (0, 4096) or gy in (0, 4096), "only edge points may be extra"
    if z == 14:
        assert expected, "the Plateau has offers at zoom 14"


def test_filters_apply_to_tiles():
    z = 13
    x, y = tile_of(*PLATEAU, z)
    everything = features(get(f"/tiles/offers/{z}/{x}/{y}.pbf"), "offers")
    meals = features(get(f"/tiles/offers/{z}/{x}/{y}.pbf?kinds=MEAL"), "offers")
    assert meals and all(f["properties"]["kind"] == "MEAL" for f in meals)
    assert ids(meals) == {
        int(GlobalID.from_id(f["properties"]["id"]).node_id) for f in everything if f["properties"]["kind"] == "MEAL"
    }


def test_a_persons_exact_place_never_reaches_a_tile():
    person = get_user_model().objects.create_user("tile-person@example.org", password="x" * 20)
    exact = Point(-73.57913, 45.52087, srid=4326)
    offer = services.offer_create(user=person, title="Soup", kind="MEAL", location=exact, location_precision="BLOCK")
    public = Offer.objects.get(pk=offer.pk).public_location
    z = 18
    x, y = tile_of(exact.x, exact.y, z)
    west, south, east, north = bounds(z, x, y)
    found = [f for f in features(get(f"/tiles/offers/{z}/{x}/{y}.pbf"), "offers") if f["properties"]["title"] == "Soup"]
    inside_public_tile = tile_of(public.x, public.y, z) == (x, y)
    assert bool(found) == inside_public_tile
    for f in found:  # where it is drawn is the public place, to the tile's pixel
        gx, gy = f["geometry"]["coordinates"]
        lon = west + gx / 4096 * (east - west)
        assert abs(lon - public.x) < (east - west) / 1000


def test_members_only_offers_stay_with_the_members():
    User = get_user_model()
    member, outsider = (User.objects.create_user(f"{n}@example.org", password="x" * 20) for n in ("tm", "to"))
    community = accounts.community_create(user=member, name="Coop", kind="COOPERATIVE")
    offer = services.offer_create(
        user=member, community=community, title="Coop drill", kind="LOAN", location=Point(*PLATEAU, srid=4326),
        location_precision="EXACT",
    )  # fmt: skip
    z = 15
    x, y = tile_of(*PLATEAU, z)
    path = f"/tiles/offers/{z}/{x}/{y}.pbf"
    assert offer.pk in ids(features(get(path, token_issue(user=member)), "offers"))
    assert offer.pk not in ids(features(get(path, token_issue(user=outsider)), "offers"))
    assert offer.pk not in ids(features(get(path), "offers"))
    assert get(path, token_issue(user=member))["Cache-Control"].startswith("private")


MERCATOR = Transformer.from_crs(4326, 3857, always_xy=True)
HALF = 20037508.342789244


@pytest.mark.parametrize("z", [8, 10, 11])
def test_below_zoom_12_an_offers_tile_holds_the_clusters_whose_centroid_it_holds(z):
    """The oracle: the offers grouped here, in Python, on the grid of `z` (cells of 90 / 2^z
    degrees), each centroid put in tile pixels with pyproj's Web Mercator."""
    size, tile = 90 / 2**z, 2 * HALF / 2**z
    x, y = tile_of(*PLATEAU, z)
    cells = defaultdict(list)
    for offer in Offer.objects.filter(community__isnull=True).only("public_location"):
        p = offer.public_location
        cells[(round(p.x / size), round(p.y / size))].append((p.x, p.y))
    expected = []
    for points in cells.values():
        mx, my = MERCATOR.transform(sum(p[0] for p in points) / len(points), sum(p[1] for p in points) / len(points))
        expected.append((len(points), (mx + HALF - x * tile) / tile * 4096, (HALF - y * tile - my) / tile * 4096))
    found = [
        (f["properties"]["count"], f["geometry"]["coordinates"][0], 4096 - f["geometry"]["coordinates"][1])
        for f in features(get(f"/tiles/offers/{z}/{x}/{y}.pbf"), "offers")
    ]

    def near(a, b) -> bool:
        return a[0] == b[0] and abs(a[1] - b[1]) <= 1 and abs(a[2] - b[2]) <= 1

    inside = lambda c, margin: margin <= c[1] <= 4096 - margin and margin <= c[2] <= 4096 - margin  # noqa: E731
    assert [c for c in expected if inside(c, 2)], "the tile holds clusters"
    assert all(any(near(c, f) for f in found) for c in expected if inside(c, 2))
    assert all(any(near(f, c) for c in expected) for f in found if inside(f, 3))
    if z == 8:  # the whole city in one tile: every public offer counted once
        assert sum(f[0] for f in found) == Offer.objects.filter(community__isnull=True).count()
        meals = features(get(f"/tiles/offers/{z}/{x}/{y}.pbf?kinds=MEAL"), "offers")
        assert sum(f["properties"]["count"] for f in meals) == Offer.objects.filter(kind="MEAL").count() > 0


def test_cluster_tiles_count_members_only_offers_for_members():
    member = get_user_model().objects.create_user("tcm@example.org", password="x" * 20)
    community = accounts.community_create(user=member, name="Coop", kind="COOPERATIVE")
    services.offer_create(
        user=member, community=community, title="Coop drill", kind="LOAN", location=Point(*PLATEAU, srid=4326),
        location_precision="EXACT",
    )  # fmt: skip
    path = "/tiles/offers/8/{}/{}.pbf".format(*tile_of(*PLATEAU, 8))
    counted = {
        who: sum(f["properties"]["count"] for f in features(get(path, token), "offers"))
        for who, token in (("member", token_issue(user=member)), ("anyone", None))
    }
    assert counted["member"] == counted["anyone"] + 1


def test_districts_tiles_simplified_and_only_of_visible_layers():
    z = 11
    x, y = tile_of(*PLATEAU, z)
    found = features(get(f"/tiles/districts/{z}/{x}/{y}.pbf?layer=mtl-boroughs"), "districts")
    names = {f["properties"]["name"] for f in found}
    plateau = District.objects.get(layer__slug="mtl-boroughs", name__icontains="Plateau")
    assert plateau.name in names
    assert all(f["geometry"]["type"] in ("Polygon", "MultiPolygon") for f in found)
    missing = get(f"/tiles/districts/{z}/{x}/{y}.pbf?layer=no-such-layer")
    assert code_of(missing) == (404, "NOT_FOUND")


@pytest.mark.parametrize(
    "path,status,code",
    [
        # A tile outside the pyramid does not exist (MapLibre takes a 404 as a missing tile, not a failure).
        ("/tiles/offers/23/0/0.pbf", 404, "NOT_FOUND"),
        ("/tiles/offers/12/5000/0.pbf", 404, "NOT_FOUND"),
        ("/tiles/offers/12/0/5000.pbf", 404, "NOT_FOUND"),
        ("/tiles/districts/0/0/1.pbf?layer=mtl-boroughs", 404, "NOT_FOUND"),
        ("/tiles/pois/8/75/91.pbf", 400, "LIMIT_EXCEEDED"),
        ("/tiles/offers/8/75/91.pbf?categories=tools", 400, "LIMIT_EXCEEDED"),
        ("/tiles/unicorns/12/1/1.pbf", 404, "NOT_FOUND"),
        ("/tiles/offers/12/1209/1465.pbf?kinds=DRAGONS", 400, "BAD_INPUT"),
        ("/tiles/districts/12/1209/1465.pbf", 400, "BAD_INPUT"),
        # A NUL character is the client's mistake, as in GraphQL, not an outage (it was a 503).
        ("/tiles/offers/14/4843/5859.pbf?categories=%00", 400, "BAD_INPUT"),
        ("/tiles/needs/14/4843/5859.pbf?categories=a%00", 400, "BAD_INPUT"),
        ("/tiles/pois/14/4843/5859.pbf?categories=library,%00", 400, "BAD_INPUT"),
        ("/tiles/events/14/4843/5859.pbf?categories=%00", 400, "BAD_INPUT"),
        ("/tiles/offers/8/75/91.pbf?kinds=MONEY%00", 400, "BAD_INPUT"),
        ("/tiles/districts/12/1209/1465.pbf?layer=mtl-boroughs%00", 400, "BAD_INPUT"),
        # A parameter the layer does not take, or given twice: it used to answer a tile unfiltered.
        ("/tiles/offers/14/4843/5859.pbf?kind=MEAL", 400, "BAD_INPUT"),
        ("/tiles/offers/14/4843/5859.pbf?kinds=MEAL&kinds=MONEY", 400, "BAD_INPUT"),
        ("/tiles/offers/8/75/91.pbf?kinds=MEAL&catgories=tools", 400, "BAD_INPUT"),
        ("/tiles/needs/14/4843/5859.pbf?kinds=MEAL&layer=mtl-boroughs", 400, "BAD_INPUT"),
        ("/tiles/projects/14/4843/5859.pbf?categories=tools", 400, "BAD_INPUT"),
        ("/tiles/events/14/4843/5859.pbf?kinds=MEAL", 400, "BAD_INPUT"),
        ("/tiles/pois/14/4843/5859.pbf?kinds=MEAL", 400, "BAD_INPUT"),
        ("/tiles/districts/12/1209/1465.pbf?layer=mtl-boroughs&kinds=MEAL", 400, "BAD_INPUT"),
        ("/tiles/districts/12/1209/1465.pbf?layer=mtl-boroughs&layer=mtl-quartiers", 400, "BAD_INPUT"),
        ("/tiles/districts/12/1209/1465.pbf?layer=", 400, "BAD_INPUT"),
    ],
)
def test_bad_tiles_get_their_code(path, status, code):
    assert code_of(get(path)) == (status, code)


@pytest.mark.parametrize(
    "path,message",
    [
        (
            "/tiles/offers/14/4843/5859.pbf?kind=MEAL&categorie=tools&kinds=MEAL",
            "offers tiles take no parameters 'kind', 'categorie': they take kinds, categories",
        ),
        ("/tiles/projects/14/4843/5859.pbf?v=2", "projects tiles take no parameter 'v': they take none"),
        ("/tiles/pois/14/4843/5859.pbf?categories=a&categories=b", "categories is given 2 times: give it once"),
    ],
)
def test_a_refused_parameter_is_named_with_those_the_layer_takes(path, message):
    [error] = get(path).json()["errors"]
    assert error["message"] == message


def test_empty_kinds_and_categories_filter_nothing_as_empty_lists_in_graphql():
    z = 14
    x, y = tile_of(*PLATEAU, z)
    path = f"/tiles/offers/{z}/{x}/{y}.pbf"
    everything = ids(features(get(path), "offers"))
    assert everything and ids(features(get(f"{path}?kinds=&categories="), "offers")) == everything


def test_an_unchanged_tile_answers_304_and_an_empty_one_204():
    z = 14
    x, y = tile_of(*PLATEAU, z)
    first = get(f"/tiles/offers/{z}/{x}/{y}.pbf")
    assert first.status_code == 200 and first["Cache-Control"] == "public, max-age=60" and first["ETag"]
    again = get(f"/tiles/offers/{z}/{x}/{y}.pbf", HTTP_IF_NONE_MATCH=first["ETag"], **{"If-None-Match": first["ETag"]})
    assert again.status_code == 304
    ocean = get("/tiles/offers/14/0/0.pbf")
    assert ocean.status_code == 204
