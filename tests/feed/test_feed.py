"""Given two buildings a street apart on the Plateau, posts to each, to real neighbourhoods, to
radii and to a building's community, then each place's feed holds exactly what is addressed to it
(district posts checked with shapely on the real quartiers, radius posts with pyproj), members-only
items reach members only, pages are complete, and the lobby digest costs a fixed number of queries."""

import random
from datetime import timedelta

import pytest
import shapely
from django.contrib.auth import get_user_model
from django.contrib.gis.geos import Point
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from pyproj import Geod
from shapely.geometry import shape
from strawberry.relay import GlobalID

from accounts import services as accounts
from accounts.services import token_issue
from events.models import Event
from feed import services
from feed.models import Post
from offers import services as offers
from places.models import Building, District, Organisation
from places.services import located_assign_districts
from tests.conftest import QUARTIERS, codes, load_geojson

pytestmark = pytest.mark.django_db
GEOD = Geod(ellps="WGS84")
FEED = """query($p: PointInput, $b: ID, $d: ID, $first: Int!, $after: String) {
  feed(point: $p, buildingId: $b, districtId: $d, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { __typename ... on Post { id body } ... on Offer { id } ... on Need { id }
                          ... on Project { id } ... on Event { id } } } } }"""


def gid(thing) -> str:
    return str(GlobalID(type(thing).__name__, str(thing.pk)))


def building_at(x: float, y: float, name: str) -> Building:
    building = Building.objects.create(name=name, location=Point(x, y, srid=4326))
    located_assign_districts(building)
    return building


def feed_ids(gql, token=None, first=100, **place) -> list[str]:
    variables = {"first": first, "p": None, "b": None, "d": None, **place}
    return [e["node"]["id"] for e in gql(FEED, variables, token=token)["data"]["feed"]["edges"]]


@pytest.fixture
def street():
    User = get_user_model()
    ana, ben = (User.objects.create_user(f"{n}@example.org", password="x" * 20, first_name=n) for n in ("ana", "ben"))
    a = building_at(-73.5800, 45.5200, "4520 rue A")
    b = building_at(-73.5790, 45.5205, "4530 rue B")  # about 100 m away
    return {"ana": ana, "ben": ben, "a": a, "b": b}


def test_a_post_to_one_building_never_reaches_the_next(gql, street):
    to_a = services.post_create(user=street["ana"], body="Laundry room closed Friday", building=street["a"])
    to_b = services.post_create(user=street["ben"], body="Bike room keys", building=street["b"])
    feed_a, feed_b = feed_ids(gql, b=gid(street["a"])), feed_ids(gql, b=gid(street["b"]))
    assert gid(to_a) in feed_a and gid(to_a) not in feed_b
    assert gid(to_b) in feed_b and gid(to_b) not in feed_a
    assert gid(to_a) not in feed_ids(gql, p={"longitude": -73.5800, "latitude": 45.5200})


def test_district_and_radius_posts_reach_exactly_the_places_they_cover(gql, street):
    rng = random.Random(4)
    quartiers = [
        (f["properties"]["no_qr"], shapely.make_valid(shape(f["geometry"])))
        for f in load_geojson(QUARTIERS)["features"]
    ]
    code, polygon = next((c, p) for c, p in quartiers if p.contains(shapely.Point(-73.58, 45.52)))
    district = District.objects.get(layer__slug="mtl-quartiers", code=str(code))
    to_district = services.post_create(user=street["ana"], body="Street party", district=district)
    circles = []
    for _ in range(4):
        centre = (rng.uniform(-73.60, -73.56), rng.uniform(45.51, 45.53))
        radius = rng.uniform(300, 1500)
        post = services.post_create(
            user=street["ben"], body="Lost cat", centre=Point(*centre, srid=4326), radius_m=radius
        )
        circles.append((post, centre, radius))
    for _ in range(20):
        x, y = rng.uniform(-73.61, -73.55), rng.uniform(45.50, 45.54)
        ids = set(feed_ids(gql, p={"longitude": x, "latitude": y}))
        assert (gid(to_district) in ids) == polygon.intersects(shapely.Point(x, y))
        for post, centre, radius in circles:
            assert (gid(post) in ids) == (GEOD.inv(*centre, x, y)[2] <= radius)
    assert gid(to_district) in feed_ids(gql, d=gid(district)) and gid(to_district) in feed_ids(gql, b=gid(street["a"]))


def test_nearby_offers_and_needs_reach_the_feed_and_far_ones_do_not(gql, street):
    near = offers.offer_create(
        user=street["ana"], title="Ladder", kind="LOAN", location=Point(-73.5805, 45.5203, srid=4326)
    )
    far = offers.need_create(user=street["ben"], title="Far", kind="LOAN", location=Point(-73.62, 45.55, srid=4326))
    ids = feed_ids(gql, b=gid(street["a"]))
    assert gid(near) in ids and gid(far) not in ids


def tenants_of(building, manager):
    """A building's own community, which staff attach to it, with `manager` managing it."""
    staff = get_user_model().objects.create_user("staff@example.org", password="x" * 20, is_staff=True)
    community = accounts.community_create(user=staff, name="Tenants of A", kind="BUILDING", building=building)
    accounts.community_add_member(user=staff, community=community, email=manager.get_username(), role="MANAGER")
    return community


def test_a_buildings_community_posts_reach_its_members_only(gql, street):
    community = tenants_of(street["a"], street["ana"])
    post = services.post_create(user=street["ana"], body="Tenants' meeting", community=community)
    assert gid(post) in feed_ids(gql, token_issue(user=street["ana"]), b=gid(street["a"]))
    assert gid(post) not in feed_ids(gql, token_issue(user=street["ben"]), b=gid(street["a"]))
    assert gid(post) not in feed_ids(gql, b=gid(street["a"]))


def test_pages_are_complete_newest_first_and_without_duplicates(gql, street):
    for i in range(9):
        services.post_create(user=street["ana"], body=f"Note {i}", building=street["a"])
    for i in range(5):
        offers.offer_create(
            user=street["ben"], title=f"Offer {i}", kind="MEAL", location=Point(-73.5801, 45.5201, srid=4326)
        )
    whole = feed_ids(gql, b=gid(street["a"]))
    walked, after = [], None
    while True:
        page = gql(FEED, {"b": gid(street["a"]), "p": None, "d": None, "first": 4, "after": after})["data"]["feed"]
        walked += [e["node"]["id"] for e in page["edges"]]
        assert page["totalCount"] == len(whole), "the whole feed, on every page"
        assert page["pageInfo"]["hasPreviousPage"] == (after is not None)
        assert page["pageInfo"]["startCursor"] == page["edges"][0]["cursor"]
        assert page["pageInfo"]["endCursor"] == page["edges"][-1]["cursor"]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert walked == whole and len(set(walked)) == len(walked) >= 14
    notes = [i for i in whole if i.startswith("UG9zd")]  # Post ids
    assert len(notes) >= 9


def test_authors_edit_and_delete_their_posts_and_replies_stay(gql, street):
    post = services.post_create(user=street["ana"], body="Garage sale Saturday", building=street["a"])
    reply = services.post_reply(user=street["ben"], parent=post, body="What time?")
    edit = """mutation($p: ID!) { updatePost(postId: $p, body: "Garage sale Sunday") { body editedAt } }"""
    denied = gql(edit, {"p": gid(post)}, token=token_issue(user=street["ben"]), expect_errors=True)
    assert codes(denied) == ["FORBIDDEN"] and Post.objects.get(pk=post.pk).body == "Garage sale Saturday"
    assert gql(edit, {"p": gid(post)}, token=token_issue(user=street["ana"]))["data"]["updatePost"]["editedAt"]
    delete = """mutation($p: ID!) { deletePost(postId: $p) { body deletedAt replies { body } } }"""
    deleted = gql(delete, {"p": gid(post)}, token=token_issue(user=street["ana"]))["data"]["deletePost"]
    assert deleted["body"] == "" and deleted["deletedAt"] and deleted["replies"] == [{"body": "What time?"}]
    assert Post.objects.get(pk=reply.pk).building_id == street["a"].pk, "a reply belongs to its parent's audience"


def test_a_feeds_pages_are_capped_as_every_lists(gql, street):
    """API.md: `first` defaults to 50 and is at most 500; `first: 0` is an empty page."""
    for i in range(55):
        services.post_create(user=street["ana"], body=f"Note {i}", building=street["a"])
    default = """query($b: ID!) { feed(buildingId: $b) { totalCount edges { cursor } pageInfo { hasNextPage } } }"""
    page = gql(default, {"b": gid(street["a"])})["data"]["feed"]
    assert len(page["edges"]) == 50 and page["pageInfo"]["hasNextPage"] and page["totalCount"] >= 55
    empty = gql(FEED, {"b": gid(street["a"]), "p": None, "d": None, "first": 0, "after": None})["data"]["feed"]
    assert empty["edges"] == [] and empty["pageInfo"]["hasNextPage"] and empty["pageInfo"]["endCursor"] is None
    for first, code in ((501, "LIMIT_EXCEEDED"), (-1, "BAD_INPUT")):
        variables = {"b": gid(street["a"]), "p": None, "d": None, "first": first, "after": None}
        assert codes(gql(FEED, variables, expect_errors=True)) == [code], first


@pytest.mark.parametrize(
    "variables,code",
    [
        ({"p": None, "b": None, "d": None}, "BAD_INPUT"),
        ({"p": {"longitude": -73.58, "latitude": 45.52}, "b": str(GlobalID("Building", "1")), "d": None}, "BAD_INPUT"),
        ({"p": None, "b": str(GlobalID("Building", "999999")), "d": None}, "NOT_FOUND"),
    ],
)
def test_a_feed_needs_exactly_one_known_place(gql, variables, code):
    assert codes(gql(FEED, {"first": 5, "after": None, **variables}, expect_errors=True)) == [code]


DIGEST = """query($b: ID!) { digest(buildingId: $b) {
  building { id } events { id title startsAt } needs { id title location } projects { id title }
  organisations { id name distanceMeters } posts { id body authorName } } }"""


def test_the_digest_costs_the_same_number_of_queries_whatever_the_data(gql, street):
    def add_activity(n: int, offset: int) -> None:
        start = timezone.now() + timedelta(days=1)
        for i in range(n):
            place = Point(-73.5800 + 0.0003 * (i + offset), 45.5200, srid=4326)
            offers.need_create(user=street["ben"], title=f"Need {i + offset}", kind="MEAL", location=place)
            Event.objects.create(
                title=f"Event {i + offset}", location=place, starts_at=start, ends_at=start + timedelta(hours=1)
            )
            Organisation.objects.create(name=f"Asso {i + offset}", kind="ASSOCIATION", location=place)
            services.post_create(user=street["ana"], body=f"Post {i + offset}", building=street["a"])

    def queries() -> tuple[int, dict]:
        with CaptureQueriesContext(connection) as captured:
            answer = gql(DIGEST, {"b": gid(street["a"])})["data"]["digest"]
        return len(captured), answer

    add_activity(1, 0)
    small, _ = queries()
    add_activity(25, 1)
    large, answer = queries()
    assert small == large, "a bounded number of queries"
    assert [len(answer[k]) for k in ("events", "needs", "organisations", "posts")] == [3, 5, 3, 5]
    assert [p["body"] for p in answer["posts"]] == [f"Post {i}" for i in range(25, 20, -1)], "newest first"
    distances = [o["distanceMeters"] for o in answer["organisations"]]
    assert distances == sorted(distances)


def test_the_digest_leaves_out_other_communities(gql, street):
    outsiders = accounts.community_create(user=street["ben"], name="Another coop", kind="COOPERATIVE")
    tenants = tenants_of(street["a"], street["ana"])
    place = Point(-73.5801, 45.5201, srid=4326)
    hidden = offers.need_create(user=street["ben"], title="Coop only", kind="MEAL", location=place, community=outsiders)
    shown = offers.need_create(user=street["ana"], title="Tenants only", kind="MEAL", location=place, community=tenants)
    needs = {n["id"] for n in gql(DIGEST, {"b": gid(street["a"])})["data"]["digest"]["needs"]}
    assert gid(shown) in needs and gid(hidden) not in needs
