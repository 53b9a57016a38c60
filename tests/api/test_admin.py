"""Staff find every model in the admin, with a map widget for geometries."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

pytestmark = pytest.mark.django_db
PAGES = [
    "places/boundarylayer",
    "places/district",
    "places/building",
    "places/pointofinterest",
    "places/organisation",
    "offers/offer",
    "offers/need",
    "offers/project",
    "offers/pledge",
    "offers/fundingpool",
    "accounts/apitoken",
]


def test_staff_see_every_list_and_a_map_on_a_district():
    get_user_model().objects.create_superuser("admin@example.org", "admin@example.org", "a long admin passphrase")
    client = Client(HTTP_HOST="localhost")
    assert client.login(username="admin@example.org", password="a long admin passphrase")
    for page in PAGES:
        assert client.get(f"/admin/{page}/").status_code == 200, page
    from places.models import District

    district = District.objects.filter(layer__slug="mtl-boroughs").first()
    page = client.get(f"/admin/places/district/{district.pk}/change/")
    assert page.status_code == 200 and b"geometry" in page.content and b"ol.js" in page.content.lower()


def test_anonymous_visitors_are_sent_to_the_login():
    response = Client(HTTP_HOST="localhost").get("/admin/offers/offer/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
