"""Given a person who shares their place at BLOCK precision, when a stranger asks for matches with
them (their offer as a candidate, their need as the origin, a project's need, an allocation), then
nothing of the answer (which matches, their order, distances, reasons, scores) changes when their
exact place moves inside its ~200 m cell: matching shows a caller only what follows from the places
they may see, so no series of questions (here the trilateration that found a place to 0.6 m from
the distance reason) places the person better than their precision. The person themself and staff
still get matching on exact places."""

import math

import pytest
from django.contrib.auth import get_user_model
from django.contrib.gis.geos import MultiPolygon, Point, Polygon
from pyproj import Geod
from strawberry.relay import to_base64

from accounts.services import token_issue
from offers import services
from places.models import BoundaryLayer, District
from places.services import layer_refresh
from tests.accounts.test_location_privacy import block_centre

pytestmark = pytest.mark.django_db
GEOD = Geod(ellps="WGS84")
CENTRE = block_centre(-73.6203, 45.5012)  # the public point of the person's places
CELL_PLACES = [(0, 0), (-80, -75), (85, 70), (-70, 85)]  # metres east and north of it, inside the cell
SHOWN = "distanceMeters score reasons { name value weight }"
QUESTIONS = {
    "matches": f"query($id: ID!) {{ matches(needId: $id, first: 100) {{ {SHOWN} offer {{ id location }} }} }}",
    "matchesForOffer": f"""query($id: ID!) {{ matchesForOffer(offerId: $id, first: 100) {{ {SHOWN}
      need {{ id location }} offer {{ id }} }} }}""",
    "projectMatches": f"""query($id: ID!) {{ projectMatches(projectId: $id, first: 100) {{ need {{ id }}
      matches {{ {SHOWN} offer {{ id }} }} }} }}""",
    # the typed path: each side's own `distanceMeters`, rounded only when that side is coarse
    "their own distances": """query($need: ID!, $offer: ID!) {
      matches(needId: $need, first: 100) { offer { id distanceMeters } need { id distanceMeters } }
      matchesForOffer(offerId: $offer, first: 100) { offer { id distanceMeters } need { id distanceMeters } } }""",
    "suggestAllocation": """query($layer: String!) { suggestAllocation(layer: $layer) {
      needsCovered unitsAllocated proposals { offer { id } need { id } quantity score } } }""",
}


def shifted(point: tuple[float, float], east_m: float, north_m: float) -> Point:
    """The point `east_m` east and `north_m` north of `point`, on the WGS84 ellipsoid."""
    if east_m == north_m == 0:
        return Point(*point, srid=4326)
    lon, lat, _ = GEOD.fwd(*point, math.degrees(math.atan2(east_m, north_m)), math.hypot(east_m, north_m))
    return Point(lon, lat, srid=4326)


@pytest.fixture
def hidden():
    """A person's BLOCK offer, need and project need at one exact place; a stranger's exact needs
    and offers around it, some with a radius that ends within the cell's reach of the person."""
    layer = BoundaryLayer.objects.create(slug="hidden-corner", name="Hidden corner")
    square = Polygon.from_bbox((CENTRE[0] - 0.015, CENTRE[1] - 0.01, CENTRE[0] + 0.015, CENTRE[1] + 0.01))
    District.objects.create(layer=layer, code="H", name="Hidden", geometry=MultiPolygon(square, srid=4326))
    layer_refresh(layer=layer)
    User = get_user_model()
    person = User.objects.create_user("hidden@example.org", password="x" * 20)
    stranger = User.objects.create_user("prober@example.org", password="x" * 20)
    staff = User.objects.create_user("watcher@example.org", password="x" * 20, is_staff=True)
    here = shifted(CENTRE, *CELL_PLACES[1])
    block = {"location": here, "location_precision": "BLOCK", "quantity": 1}
    offer = services.offer_create(user=person, title="Ladder", kind="LOAN", categories=["ladder"], **block)
    need = services.need_create(user=person, title="Soup", kind="MEAL", categories=["soup"], **block)
    project = services.project_create(user=person, title="Street party", location=here, location_precision="BLOCK")
    in_project = services.need_create(user=person, project=project, title="Chairs", kind="LOAN", **block)
    probes = {"needs": [], "offers": []}
    for east, north, radius in [(-300, 0, 2000), (-20, -260, 2000), (250, 250, 2000), (200, -340, 2000), (0, 400, 410)]:
        place = {"location": shifted(CENTRE, east, north), "location_precision": "EXACT", "quantity": 1}
        probes["needs"].append(services.need_create(
            user=stranger, title="Probe", kind="LOAN", categories=["ladder"], search_radius_m=radius, **place
        ))  # fmt: skip
        probes["offers"].append(services.offer_create(
            user=stranger, title="Probe", kind="MEAL", categories=["soup"], service_radius_m=radius, **place
        ))  # fmt: skip
    return {
        "person": person, "offer": offer, "need": need, "project": project, "in_project": in_project,
        "probes": probes, "tokens": {"anonymous": None, "stranger": token_issue(user=stranger),
                                     "person": token_issue(user=person), "staff": token_issue(user=staff)},
    }  # fmt: skip


def move(hidden: dict, east_m: float, north_m: float) -> None:
    """Move the person's exact place inside its cell: its public point stays the same."""
    place = shifted(CENTRE, east_m, north_m)
    for thing in (hidden["offer"], hidden["need"], hidden["in_project"]):
        type(thing).objects.filter(pk=thing.pk).update(location=place)
        public = type(thing).objects.get(pk=thing.pk).public_location
        assert public.coords == pytest.approx(CENTRE, abs=1e-9), "the same cell"


def everything_asked(gql, hidden: dict, token: str | None) -> dict:
    """Every matching question that involves the person, as the caller of `token` asks it."""
    asked = {}
    ids = [("matches", to_base64("Need", n.pk)) for n in hidden["probes"]["needs"]]
    ids += [("matchesForOffer", to_base64("Offer", o.pk)) for o in hidden["probes"]["offers"]]
    ids += [
        ("matchesForOffer", to_base64("Offer", hidden["offer"].pk)),
        ("matches", to_base64("Need", hidden["need"].pk)),
    ]
    ids += [("projectMatches", to_base64("Project", hidden["project"].pk))]
    for name, id in ids:
        asked[name, id] = gql(QUESTIONS[name], {"id": id}, token=token)["data"]
    mine = {"need": to_base64("Need", hidden["need"].pk), "offer": to_base64("Offer", hidden["offer"].pk)}
    asked["their own distances"] = gql(QUESTIONS["their own distances"], mine, token=token)["data"]
    asked["suggestAllocation"] = gql(QUESTIONS["suggestAllocation"], {"layer": "hidden-corner"}, token=token)["data"]
    return asked


@pytest.fixture(params=[True, False], ids=["compiled", "typed"])
def compiled(request, settings):
    settings.QUARTIER = {**settings.QUARTIER, "COMPILED_PAGES": request.param}


@pytest.mark.parametrize("caller", ["anonymous", "stranger"])
def test_nothing_of_a_match_tells_where_in_its_cell_a_person_is(gql, hidden, compiled, caller):
    token = hidden["tokens"][caller]
    answers = []
    for east, north in CELL_PLACES:
        move(hidden, east, north)
        answers.append(everything_asked(gql, hidden, token))
    offer_id, need_id = to_base64("Offer", hidden["offer"].pk), to_base64("Need", hidden["need"].pk)
    first = str(answers[0])
    assert offer_id in first and need_id in first, "the person's offer and need are among the matches"
    assert "proposals': [{" in str(answers[0]["suggestAllocation"])
    telling = {question for answer in answers[1:] for question, seen in answer.items() if seen != answers[0][question]}
    assert not telling, f"these answers tell where in its cell the person is: {sorted(telling, key=str)}"


def distance_reason(match: dict) -> float:
    return next(r["value"] for r in match["reasons"] if r["name"] == "distance")


def test_trilateration_from_the_distance_reason_finds_the_public_point_only(gql, hidden):
    """The attack of the review (four needs around, the distance reason read back as a distance,
    the best-fitting point sought on a 2 m grid) finds the public point, not the exact one; each
    reason and distance is what pyproj computes to the public point."""
    exact = shifted(CENTRE, *CELL_PLACES[1])
    assert GEOD.inv(exact.x, exact.y, *CENTRE)[2] > 100
    circles = []
    for need in hidden["probes"]["needs"][:4]:
        answer = gql(QUESTIONS["matches"], {"id": to_base64("Need", need.pk)}, token=hidden["tokens"]["stranger"])
        match = next(m for m in answer["data"]["matches"] if m["offer"]["id"] == to_base64("Offer", hidden["offer"].pk))
        public = GEOD.inv(need.location.x, need.location.y, *CENTRE)[2]
        assert distance_reason(match) == pytest.approx(round(1 - public / 2000, 4), abs=1e-9)
        assert match["distanceMeters"] == pytest.approx(public, abs=0.01)  # to the public point, as measured
        circles.append((need.location.x, need.location.y, (1 - distance_reason(match)) * 2000))
    best = None
    for east in range(-150, 151, 2):
        for north in range(-150, 151, 2):
            point = shifted(CENTRE, east, north)
            misfit = sum((GEOD.inv(x, y, point.x, point.y)[2] - r) ** 2 for x, y, r in circles)
            if best is None or misfit < best[0]:
                best = (misfit, point)
    found = best[1]
    assert GEOD.inv(found.x, found.y, *CENTRE)[2] < 2, "the public point"
    assert GEOD.inv(found.x, found.y, exact.x, exact.y)[2] > 100, "not the exact place"


def test_staff_match_on_exact_places(gql, hidden):
    for need in hidden["probes"]["needs"][:4]:
        answer = gql(QUESTIONS["matches"], {"id": to_base64("Need", need.pk)}, token=hidden["tokens"]["staff"])
        match = next(m for m in answer["data"]["matches"] if m["offer"]["id"] == to_base64("Offer", hidden["offer"].pk))
        offer = hidden["offer"].location
        exact = GEOD.inv(need.location.x, need.location.y, offer.x, offer.y)[2]
        assert match["distanceMeters"] == pytest.approx(exact, abs=0.01)
        assert distance_reason(match) == pytest.approx(round(1 - exact / 2000, 4), abs=1e-9)


def test_the_person_matches_their_need_from_its_exact_place(gql, hidden):
    """Their own need, against exact offers: the distances from its exact place, unrounded."""
    answer = gql(QUESTIONS["matches"], {"id": to_base64("Need", hidden["need"].pk)}, token=hidden["tokens"]["person"])
    probes = {to_base64("Offer", o.pk): o for o in hidden["probes"]["offers"]}
    mine = hidden["need"].location
    checked = 0
    for match in answer["data"]["matches"]:
        if match["offer"]["id"] in probes:
            offer = probes[match["offer"]["id"]].location
            exact = GEOD.inv(mine.x, mine.y, offer.x, offer.y)[2]
            assert match["distanceMeters"] == pytest.approx(exact, abs=0.01)
            assert distance_reason(match) == pytest.approx(
                round(1 - exact / min(probes[match["offer"]["id"]].service_radius_m, 2000), 4), abs=1e-9
            )
            checked += 1
    assert checked >= 4
