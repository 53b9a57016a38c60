"""Who may do what: declared here, and nowhere else.

- Roles: every account is a RESIDENT; a member of a merchant's, an association's or a public body's
  organisation is also an ORGANISATION_MEMBER, of a partner's a PARTNER; STAFF runs the platform.
- Anyone may read public lists. What is posted in a community (offers, needs, projects, events,
  posts) only its members (and staff) see: in every list, in `node(id:)`, in map layers and tiles,
  matches, statistics, exports and feeds. Only members post in a community; its managers add and
  remove members. A building's lobby screen (`digest`) shows public items and those of that
  building's own communities, so only staff attach a community to a building: nothing in the data
  says who lives in a building or manages it (a building has no owner nor organisation).
- A logged-in person may create offers, needs and projects, for themself or for an organisation
  they are a member of.
- Only the owner of a thing (or a member of its organisation, or staff) changes or closes it.
- Only the offer's side pledges it, never to a need of its own side (offers.services.same_side);
  only the need's side accepts or declines a pledge.
- A boundary layer is seen by everyone when public, else by its owner's members and staff, and so
  is a post addressed to one of its districts; a partner's member uploads and versions the
  partner's layers.
- A person's exact location is seen by themself, by members of the organisation it is posted for,
  by staff, and by the other side of an accepted (or since fulfilled) pledge: that side's owner and
  the members of the organisation it is posted for, the same two sides as `pledges_seen_by`;
  everyone else sees its public location. A list's distances, radius filter and nearest-first
  order are measured to the public location whoever asks (matching: to the places the caller may
  see), and are shown as measured: no answer places a person more exactly than their public point.
- Through the API a caller is who their bearer token says, never a browser session (so no
  cross-site request can act for a logged-in admin).
"""

from enum import StrEnum

import strawberry
from django.db.models import Q, QuerySet
from strawberry.permission import BasePermission

from accounts.models import Community, Membership
from geoschema.errors import Code
from places.models import BoundaryLayer, Organisation


class Role(StrEnum):
    RESIDENT = "RESIDENT"
    ORGANISATION_MEMBER = "ORGANISATION_MEMBER"
    PARTNER = "PARTNER"
    STAFF = "STAFF"


def roles(user) -> list[Role]:
    """What `user` is on the platform (an anonymous caller has no role)."""
    if not user.is_authenticated:
        return []
    found = [Role.RESIDENT]
    kinds = set(user.organisations.values_list("kind", flat=True))
    if kinds - {Organisation.Kind.PARTNER}:
        found.append(Role.ORGANISATION_MEMBER)
    if Organisation.Kind.PARTNER in kinds:
        found.append(Role.PARTNER)
    if user.is_staff:
        found.append(Role.STAFF)
    return found


def community_ids(user) -> set[int] | None:
    """The communities whose members-only content `user` sees; None for staff, who see all."""
    if user.is_staff:
        return None
    if not user.is_authenticated:
        return set()
    return set(Membership.objects.filter(user=user).values_list("community_id", flat=True))


def seen_communities(request) -> set[int] | None:
    """`community_ids` of the request's user, computed once per request."""
    if not hasattr(request, "_community_ids"):
        request._community_ids = community_ids(request.user)
    return request._community_ids


def only_visible(queryset: QuerySet, request) -> QuerySet:
    """The rows of `queryset` (offers, needs, projects: anything with a `community`) the caller may
    see: those posted for everyone, and those of the caller's communities."""
    communities = seen_communities(request)
    if communities is None:
        return queryset
    return queryset.filter(Q(community__isnull=True) | Q(community_id__in=communities))


def on_screen_in(queryset: QuerySet, building) -> QuerySet:
    """What a lobby screen in `building` may show, seen by anyone passing by: public rows, and those
    of the building's own communities (its residents' space); never another community's."""
    if not hasattr(queryset.model, "community"):
        return queryset
    own = Community.objects.filter(building=building).values("pk")
    return queryset.filter(Q(community__isnull=True) | Q(community__in=own))


def pledges_seen_by(queryset: QuerySet, user) -> QuerySet:
    """Pledges are seen by their two sides (owners and their organisations' members) and staff."""
    if user.is_staff:
        return queryset
    if not user.is_authenticated:
        return queryset.none()
    sides = Q(offer__owner=user) | Q(offer__organisation__members=user)
    sides |= Q(need__owner=user) | Q(need__organisation__members=user)
    return queryset.filter(pk__in=queryset.model.objects.filter(sides).values("pk"))


def visible_sql(alias: str) -> str:
    """`only_visible` for raw SQL on the table aliased `alias`; its parameters: `visible_params`."""
    return f"({alias}.community_id IS NULL OR %(all_communities)s OR {alias}.community_id = ANY(%(communities)s))"


def visible_posts(posts: QuerySet, request) -> QuerySet:
    """The posts (and replies) the caller may see: those of their communities (`only_visible`), and
    of those addressed to a district, the ones whose layer they see (`visible_layers`): to anyone
    else such a post, its replies and its district do not exist."""
    layers = visible_layers(request.user).values("pk")
    return only_visible(posts, request).filter(Q(district__isnull=True) | Q(district__layer__in=layers))


def visible_communities(user) -> QuerySet:
    """The communities `user` belongs to (all of them for staff)."""
    if user.is_staff:
        return Community.objects.all()
    return Community.objects.filter(memberships__user=user) if user.is_authenticated else Community.objects.none()


def can_post_in(user, community: Community | None) -> bool:
    """Whether `user` may post (an offer, a need, a project) in `community`."""
    if community is None:
        return True
    return user.is_staff or Membership.objects.filter(community=community, user=user).exists()


def can_attach_to_building(user, building) -> bool:
    """Whether `user` may make a community `building`'s own, whose members-only items its lobby screen
    then shows to anyone passing by: staff only, since no link says who lives in or runs a building."""
    return user.is_staff


def can_manage_community(user, community: Community) -> bool:
    """Whether `user` may add or remove members of `community`."""
    if user.is_staff:
        return True
    return Membership.objects.filter(community=community, user=user, role=Membership.Role.MANAGER).exists()


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


def sees_exact_location(request, thing) -> bool:
    """Whether the caller of `request` may see where `thing` exactly is."""
    if thing.location_precision == "EXACT":
        return True
    user = request.user
    if not user.is_authenticated:
        return False
    if sees_every_exact_location(request) or _ref(thing, "owner") == user.pk:
        return True
    memo = _memo(request)
    organisation = _ref(thing, "organisation")
    if organisation is not None and organisation in memo["organisations"]:
        return True
    return (type(thing).__name__, thing.pk) in memo["revealed"]


def sees_every_exact_location(request) -> bool:
    """Whether the caller sees the exact place of every row (staff): `sees_exact_location` of any."""
    return request.user.is_authenticated and request.user.is_staff


def exact_location_sql(request, model, table: str) -> tuple[str, list]:
    """`sees_exact_location` as an SQL condition on the rows of `model` in `table`, and its
    parameters: the same rule for pages that PostgreSQL builds (geoschema.compiled)."""
    exact = f"{table}.location_precision = 'EXACT'"
    user = request.user
    if not user.is_authenticated:
        return exact, []
    if sees_every_exact_location(request):
        return "true", []
    columns = {field.attname for field in model._meta.concrete_fields}
    memo = _memo(request)
    revealed = [pk for name, pk in memo["revealed"] if name == model.__name__]
    conditions, params = [exact], []
    if "owner_id" in columns:
        conditions.append(f"{table}.owner_id = %s")
        params.append(user.pk)
    if "organisation_id" in columns:
        conditions.append(f"{table}.organisation_id = ANY(%s)")
        params.append(sorted(memo["organisations"]))
    conditions.append(f"{table}.id = ANY(%s)")
    params.append(revealed)
    return f"({' OR '.join(conditions)})", params


def _ref(thing, relation: str) -> int | None:
    """A foreign key's id: from the optimizer's `<relation>_ref` annotation when the row was fetched
    for a list (no query), else from the row itself."""
    annotated = f"{relation}_ref"
    return thing.__dict__[annotated] if annotated in thing.__dict__ else getattr(thing, f"{relation}_id", None)


def _memo(request) -> dict:
    """Per request: the caller's organisations, and the offers and needs whose exact place an
    accepted (or since fulfilled) pledge revealed to them. A pledge's side is whoever acts for it,
    as in `pledges_seen_by`: the owner of its offer (or need) and the members of the organisation
    that is posted for."""
    if not hasattr(request, "_location_memo"):
        from offers.models import Pledge  # accounts must not import offers at load time

        user = request.user
        organisations = set(user.organisations.values_list("pk", flat=True))
        committed = Pledge.objects.filter(status__in=Pledge.COMMITTED)
        offer_side = Q(offer__owner=user) | Q(offer__organisation_id__in=organisations)
        need_side = Q(need__owner=user) | Q(need__organisation_id__in=organisations)
        revealed = {("Need", pk) for pk in committed.filter(offer_side).values_list("need_id", flat=True)}
        revealed |= {("Offer", pk) for pk in committed.filter(need_side).values_list("offer_id", flat=True)}
        request._location_memo = {"organisations": organisations, "revealed": revealed}
    return request._location_memo


class IsAuthenticated(BasePermission):
    message = "log in first: send the header `Authorization: Bearer <token>` from `login` or `register`"
    error_extensions = {"code": Code.UNAUTHENTICATED.value}

    def has_permission(self, source, info: strawberry.Info, **kwargs) -> bool:
        return info.context.request.user.is_authenticated
