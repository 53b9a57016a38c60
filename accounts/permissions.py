"""Who may do what: declared here, and nowhere else.

- Anyone may read public lists.
- A logged-in person may create offers, needs and projects, for themself or for an organisation
  they are a member of.
- Only the owner of a thing (or a member of its organisation, or staff) changes or closes it.
- Only the offer's side pledges it; only the need's side accepts or declines a pledge.
"""

import strawberry
from strawberry.permission import BasePermission

from geoschema.errors import Code


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


class IsAuthenticated(BasePermission):
    message = "log in first: send the header `Authorization: Bearer <token>` from `login` or `register`"
    error_extensions = {"code": Code.UNAUTHENTICATED.value}

    def has_permission(self, source, info: strawberry.Info, **kwargs) -> bool:
        return info.context.request.user.is_authenticated
