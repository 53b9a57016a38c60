"""An organisation's name, as the admin and every other path that cleans it take it: trimmed, and
never only spaces or invisible characters."""

import pytest
from django.contrib.gis.geos import Point
from django.core.exceptions import ValidationError

from places.models import Organisation

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("name", ["   ", "\u200b", "\u00a0\u2060\ufeff", ""])
def test_a_name_that_shows_nothing_is_refused(name):
    with pytest.raises(ValidationError) as refused:
        Organisation(name=name, location=Point(-73.58, 45.52, srid=4326)).full_clean()
    assert refused.value.message_dict["name"] == [
        "a name cannot be blank (empty, or only spaces and invisible characters)"
    ]


def test_a_name_is_trimmed_when_saved():
    organisation = Organisation.objects.create(
        name="\u200b Caisse du Plateau \u00a0", location=Point(-73.58, 45.52, srid=4326)
    )
    organisation.refresh_from_db()
    assert organisation.name == "Caisse du Plateau"
