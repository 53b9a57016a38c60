"""Fixtures shared by the tests of places."""

import pytest
from django.contrib.auth import get_user_model

from accounts.services import token_issue
from places.models import Organisation


@pytest.fixture
def partner():
    """A partner organisation with a member, and a rival partner with its own member."""
    User = get_user_model()
    member = User.objects.create_user("gis@partner.example.org", password="x" * 20)
    org = Organisation.objects.create(name="Partner", kind="PARTNER", location="SRID=4326;POINT(-73.58 45.52)")
    org.members.add(member)
    rival_member = User.objects.create_user("gis@rival.example.org", password="x" * 20)
    rival = Organisation.objects.create(name="Rival", kind="PARTNER", location="SRID=4326;POINT(-73.57 45.51)")
    rival.members.add(rival_member)
    return {
        "org": org,
        "member": token_issue(user=member),
        "rival": rival,
        "rival_member": token_issue(user=rival_member),
    }
