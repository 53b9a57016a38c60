"""Who may do what: declared here, and nowhere else.

- Anyone may read public lists.
- A logged-in person may create offers, needs and projects, for themself or for an organisation
  they are a member of.
- Only the owner of a thing (or a member of its organisation, or staff) changes or closes it.
- Only the offer's side pledges it; only the need's side accepts or declines a pledge.
- A boundary layer is seen by everyone when public, else by its owner's members and staff; a
  partner's member uploads and versions the partner's layers.
- Through the API a caller is who their bearer token says, never a browser session (so no
  cross-site request can act for a logged-in admin).
"""

import strawberry
from django.db.models import Q, QuerySet
from strawberry.permission import BasePermission

from geoschema.errors import Code
from places.models import BoundaryLayer


def acts_for(user, organisation) -> bool:
    """Whether `user` may act in the name of `organisation`."""
    if organisation is None:
        return True
    return user.is_staff or organisation.members.filter(pk=user.pk).exists()


def can_change(user, thing) -> bool:
    """Whether `user` may change or close `thing` (an offer, a need, a project)."""
    if not user.is_authenticated:
        return False
    if user.is_staff or (thing.owner_id is not None and thing.owner_id == user.pk):
        return True
    return thing.organisation_id is not None and thing.organisation.members.filter(pk=user.pk).exists()


def visible_layers(user) -> QuerySet:
    """The boundary layers (all versions) `user` may see."""
    layers = BoundaryLayer.objects.all()
    if user.is_staff:
        return layers
    seen = Q(visibility=BoundaryLayer.Visibility.PUBLIC)
    if user.is_authenticated:
        seen |= Q(owner__members=user)
    return layers.filter(seen).distinct()


def visible_layer_ids(request) -> set[int]:
    """`visible_layers` of the request's user, computed once per request."""
    if not hasattr(request, "_visible_layer_ids"):
        request._visible_layer_ids = set(visible_layers(request.user).values_list("pk", flat=True))
    return request._visible_layer_ids


def can_upload_layer(user, owner, current) -> bool:
    """Whether `user` may upload a layer for `owner` (over `current`, the version it replaces)."""
    if user.is_staff:
        return True
    if owner is None or owner.kind != "PARTNER" or not acts_for(user, owner):
        return False
    return current is None or current.owner_id == owner.pk


class IsAuthenticated(BasePermission):
    message = "log in first: send the header `Authorization: Bearer <token>` from `login` or `register`"
    error_extensions = {"code": Code.UNAUTHENTICATED.value}

    def has_permission(self, source, info: strawberry.Info, **kwargs) -> bool:
        return info.context.request.user.is_authenticated
