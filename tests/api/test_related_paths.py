"""Fields whose value the query optimizer prepares for a list (an annotation, a prefetch) give the
same answer when their object comes another way: as a related object, from `districtAt`, from
matches or from a mutation's result."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.gis.geos import Point
from shapely.geometry import shape
from shapely.ops import unary_union
from strawberry.relay import to_base64

from accounts.services import token_issue
from offers import services
from places.models import Organisation
from tests.conftest import BOROUGHS, load_geojson

pytestmark = pytest.mark.django_db
PLATEAU = {"longitude": -73.58, "latitude": 45.52}


def bounds(polygon: dict) -> tuple[float, float, float, float]:
    xs, ys = zip(*polygon["coordinates"][0], strict=True)
    return min(xs), min(ys), max(xs), max(ys)


def test_a_layers_extent_is_the_same_whichever_way_the_layer_is_reached(gql, register):
    expected = unary_union([shape(f["geometry"]) for f in load_geojson(BOROUGHS)["features"]]).bounds
    layers = gql("{ layers { slug extent } }")["data"]["layers"]
    listed = next(layer["extent"] for layer in layers if layer["slug"] == "mtl-boroughs")
    assert bounds(listed) == pytest.approx(expected, abs=1e-6), "the envelope of the file's boroughs (shapely)"
    at = gql(
        'query($p: PointInput!) { districtAt(point: $p, layer: "mtl-boroughs") { layer { extent } } }', {"p": PLATEAU}
    )
    related = gql('{ offers(first: 3) { edges { node { district(layer: "mtl-boroughs") { layer { extent } } } } } }')
    stats = gql('{ areaStats(layer: "mtl-boroughs") { district { layer { extent } } } }')
    created = gql(
        """mutation($p: PointInput!) { createOffer(input: {title: "Drill", kind: LOAN, location: $p}) {
             district(layer: "mtl-boroughs") { layer { extent } } } }""",
        {"p": PLATEAU},
        token=register("ana@example.org"),
    )
    extents = [
        at["data"]["districtAt"]["layer"]["extent"],
        *(e["node"]["district"]["layer"]["extent"] for e in related["data"]["offers"]["edges"]),
        *(row["district"]["layer"]["extent"] for row in stats["data"]["areaStats"]),
        created["data"]["createOffer"]["district"]["layer"]["extent"],
    ]
    assert len(extents) == 1 + 3 + 19 + 1
    assert all(extent == listed for extent in extents)


def test_an_organisations_offers_through_a_match(gql):
    """A match's offer, with its organisation's open offers: the organisation came from the match."""
    User = get_user_model()
    member = User.objects.create_user("member@example.org", password="x" * 20)
    helped = User.objects.create_user("helped@example.org", password="x" * 20)
    org = Organisation.objects.create(name="Atelier", kind="ASSOCIATION", location=Point(-73.581, 45.521, srid=4326))
    org.members.add(member)
    titles = ["Saw", "Plane", "Chisels"]
    for title in titles:
        services.offer_create(
            user=member, organisation=org, title=title, kind="LOAN", location=Point(-73.5805, 45.5205, srid=4326)
        )
    need = services.need_create(user=helped, title="Tools", kind="LOAN", location=Point(-73.5801, 45.5202, srid=4326))
    body = gql(
        """query($n: ID!) { matches(needId: $n, first: 5) { offer { title organisation { name offers(first: 5) {
             title } } } } }""",
        {"n": to_base64("Need", need.pk)},
        token=token_issue(user=helped),
    )
    matched = [m for m in body["data"]["matches"] if m["offer"]["organisation"]]
    assert sorted(m["offer"]["title"] for m in matched) == sorted(titles)
    for match in matched:
        assert match["offer"]["organisation"]["name"] == "Atelier"
        assert [o["title"] for o in match["offer"]["organisation"]["offers"]] == titles[::-1], "newest first"
